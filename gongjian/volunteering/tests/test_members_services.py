"""Members' report-in, receipts and pledges: services and selectors, including every failure that must change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent, Notification
from gongjian.regions.choices import Level
from gongjian.testing import factories as f
from gongjian.volunteering.choices import HoldingStatus, HourStatus, PledgeStatus, PostKind, ReportInStatus
from gongjian.volunteering.members import selectors, services
from gongjian.volunteering.models import Activity, FeedbackReceipt, HourRecord, MemberReportIn, Pledge, PostHolding, ServicePost

from .domain import World, w_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def report(w: World, key: str, community: Any = None, **kw: Any) -> MemberReportIn:
    return services.report_in(actor=w.u[key], community=community or w.m[key].home_community, id_number=w.id_numbers[key], **kw)


def confirmed(w: World, key: str, community: Any = None) -> MemberReportIn:
    r = report(w, key, community)
    return services.report_in_confirm(actor=w.u["comm_a1"] if r.community_id == w.tree.comm_a1.pk else w.u["city"], report_in=r)


def audits(verb: str) -> int:
    return AuditEvent.objects.filter(verb=verb).count()


# --- report-in ----------------------------------------------------------------------------------


def test_member_reports_in_pending_with_his_unit_and_the_community_is_told(w: World, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = report(w, "m1", skills="急救")
    assert r.status == ReportInStatus.PENDING and r.community == w.tree.comm_a1 and r.unit == w.unit_a
    assert r.region_path == w.tree.comm_a1.path and r.skills == "急救"
    assert audits("volunteering.report_in.create") == 1
    assert Notification.objects.filter(user=w.u["comm_a1"], verb="volunteering.report_in.create").exists()
    # the ID number is never stored or logged
    assert w.id_numbers["m1"] not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_id_number_mismatch_changes_nothing(w: World):
    with pytest.raises(ValidationError) as exc:
        services.report_in(actor=w.u["m1"], community=w.tree.comm_a1, id_number=w.id_numbers["m2"])
    assert "id_number" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        services.report_in(actor=w.u["m1"], community=w.tree.comm_a1, id_number="12345")
    assert "id_number" in exc.value.details
    with pytest.raises(ValidationError):
        services.report_in(actor=w.u["m1"], community=w.tree.comm_a1, id_number="")
    assert MemberReportIn.objects.count() == 0 and AuditEvent.objects.filter(verb__startswith="volunteering.").count() == 0


def test_id_number_as_typed_on_a_phone_is_accepted(w: World):
    idn = w.id_numbers["m1"]
    r = services.report_in(actor=w.u["m1"], community=w.tree.comm_a1.pk, id_number=f" {idn[:6]} {idn[6:14]} {idn[14:].lower()} ")
    assert r.status == ReportInStatus.PENDING


def test_community_outside_the_city_or_not_a_community_is_refused(w: World):
    other_city = f.region("410200", "开封市", Level.CITY)
    district = f.region("410202", "龙亭区", Level.DISTRICT, other_city)
    sub = f.region("410202001000", "北书店街道", Level.SUBDISTRICT, district)
    far = f.region("410202001001", "北书店社区", Level.COMMUNITY, sub)
    with pytest.raises(ValidationError) as exc:
        report(w, "m1", far)
    assert "community" in exc.value.details
    for region in (w.tree.sub_a, w.tree.erqi, w.tree.city):
        with pytest.raises(ValidationError) as exc:
            report(w, "m1", region)
        assert "community" in exc.value.details
    with pytest.raises(ValidationError):
        report(w, "m1", 999999)
    inactive = f.region("410103001099", "撤销社区", Level.COMMUNITY, w.tree.sub_a)
    inactive.is_active = False
    inactive.save()
    with pytest.raises(ValidationError):
        report(w, "m1", inactive)
    assert MemberReportIn.objects.count() == 0
    # the search only offers the city's communities
    assert far not in selectors.community_search(member=w.m["m1"], q="社区")
    # names that match come before full names that match (淮河路街道 holds 路砦社区 too)
    assert list(selectors.community_search(member=w.m["m1"], q="淮河")) == [w.tree.comm_a1, w.tree.comm_a2]


def test_reporting_in_twice_is_refused_and_changes_nothing(w: World):
    first = report(w, "m1")
    with pytest.raises(Conflict):
        report(w, "m1")
    with pytest.raises(Conflict):
        report(w, "m1", w.tree.comm_a2)
    services.report_in_confirm(actor=w.u["comm_a1"], report_in=first)
    with pytest.raises(Conflict):
        report(w, "m1", w.tree.comm_a2)
    assert list(MemberReportIn.objects.values_list("status", flat=True)) == [ReportInStatus.CONFIRMED]
    assert audits("volunteering.report_in.create") == 1


def test_moving_home_ends_the_old_and_creates_the_new_in_one_go(w: World):
    old = confirmed(w, "m1")
    home_before = w.m["m1"].home_community_id
    with pytest.raises(Conflict):  # moving to the same community
        report(w, "m1", w.tree.comm_a1, move=True)
    new = report(w, "m1", w.tree.comm_b2, move=True, reason="搬家到通信花园")
    old.refresh_from_db()
    assert old.status == ReportInStatus.ENDED and old.end_reason == "搬家到通信花园" and old.ended_at
    assert new.status == ReportInStatus.PENDING and new.community == w.tree.comm_b2
    w.m["m1"].refresh_from_db()
    assert w.m["m1"].home_community_id == home_before  # the report-in says where he serves, not where he lives
    # a move with a bad ID number ends nothing
    with pytest.raises(ValidationError):
        services.report_in(actor=w.u["m1"], community=w.tree.comm_a2, id_number=w.id_numbers["m2"], move=True)
    new.refresh_from_db()
    assert new.status == ReportInStatus.PENDING
    # a move without a reason says so
    third = report(w, "m1", w.tree.comm_a2, move=True)
    new.refresh_from_db()
    assert new.status == ReportInStatus.ENDED and "路砦社区" in new.end_reason and third.status == ReportInStatus.PENDING


def test_who_may_report_in(w: World):
    for key in ("comm_a1", "liaison_a", "resident", "nobody"):
        with pytest.raises(PermissionDenied):
            services.report_in(actor=w.u[key], community=w.tree.comm_a1, id_number=w.id_numbers["m1"])
    unlinked = f.user("member", region=w.tree.comm_a1, username="v_unlinked")
    with pytest.raises(PermissionDenied):
        services.report_in(actor=unlinked, community=w.tree.comm_a1, id_number=w.id_numbers["m1"])
    assert MemberReportIn.objects.count() == 0


def test_confirm_reject_end_by_the_community_in_scope(w: World, django_capture_on_commit_callbacks):
    r = report(w, "m1")
    # the member cannot confirm his own report-in; another community's admin does not see it
    with pytest.raises(PermissionDenied):
        services.report_in_confirm(actor=w.u["m1"], report_in=r)
    with pytest.raises(PermissionDenied):
        services.report_in_confirm(actor=w.u["liaison_a"], report_in=r)
    for key in ("comm_a2", "comm_b1", "jinshui"):
        with pytest.raises(NotFound):
            services.report_in_confirm(actor=w.u[key], report_in=r)
    r.refresh_from_db()
    assert r.status == ReportInStatus.PENDING and audits("volunteering.report_in.confirm") == 0
    with pytest.raises(ValidationError):
        services.report_in_reject(actor=w.u["comm_a1"], report_in=r, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_in_confirm(actor=w.u["comm_a1"], report_in=r)
    r.refresh_from_db()
    assert r.status == ReportInStatus.CONFIRMED and r.confirmed_by == w.u["comm_a1"] and r.confirmed_at
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.report_in.confirm").exists()
    with pytest.raises(TransitionError):
        services.report_in_confirm(actor=w.u["comm_a1"], report_in=r)
    with pytest.raises(TransitionError):
        services.report_in_reject(actor=w.u["comm_a1"], report_in=r, reason="不对")
    services.report_in_end(actor=w.u["sub_a"], report_in=r, reason="已调离")
    r.refresh_from_db()
    assert r.status == ReportInStatus.ENDED and r.end_reason == "已调离"
    # rejected: the member is told the reason and may report in again
    r2 = report(w, "m1")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_in_reject(actor=w.u["comm_a1"], report_in=r2, reason="不住本社区")
    n = Notification.objects.get(user=w.u["m1"], verb="volunteering.report_in.reject")
    assert n.body == "不住本社区"
    assert report(w, "m1", w.tree.comm_a2).status == ReportInStatus.PENDING
    assert audits("volunteering.report_in.reject") == 1 and audits("volunteering.report_in.end") == 1


def test_selectors_scope(w: World):
    r1 = report(w, "m1")
    r3 = report(w, "m3")
    assert list(selectors.report_in_list(actor=w.u["m1"])) == [r1]
    assert list(selectors.report_in_list(actor=w.u["comm_a1"])) == [r1]
    assert set(selectors.report_in_list(actor=w.u["city"])) == {r1, r3}
    with pytest.raises(NotFound):
        selectors.report_in_get(actor=w.u["comm_b1"], id=r1.pk)
    with pytest.raises(NotFound):
        selectors.report_in_get(actor=w.u["m2"], id=r1.pk)
    assert list(selectors.unit_report_ins(actor=w.u["liaison_a"])) == [r1]
    assert list(selectors.unit_report_ins(actor=w.u["liaison_b"])) == [r3]
    assert list(selectors.unit_report_ins(actor=w.u["liaison_b"], unit=w.unit_a)) == []
    assert list(selectors.unit_report_ins(actor=w.u["city"], unit=w.unit_a.pk)) == [r1]
    assert list(selectors.unit_report_ins(actor=w.u["liaison_a"], filters={"status": "confirmed"})) == []
    missing = list(selectors.unit_members_missing(unit=w.unit_a))
    assert set(missing) == {w.m["m2"], w.m["m4"]}
    assert selectors.unit_counts(unit=w.unit_a) == {"members": 3, "confirmed": 0, "pending": 1}
    with pytest.raises(NotFound):
        selectors.unit_get(actor=w.u["liaison_b"], id=w.unit_a.pk)


def test_communities_near_by_their_units_and_without_coordinates(w: World):
    assert selectors.communities_near(member=w.m["m1"], lat=34.75, lng=113.62) == []
    u1 = f.unit(w.tree.comm_a1, name="淮河社区卫生站")
    u1.lat, u1.lng = Decimal("34.740000"), Decimal("113.640000")
    u1.save()
    u2 = f.unit(w.tree.comm_b2, name="通信花园物业")
    u2.lat, u2.lng = Decimal("34.800000"), Decimal("113.680000")
    u2.save()
    near = selectors.communities_near(member=w.m["m1"], lat=34.741, lng=113.641)
    assert [row["community"] for row in near] == [w.tree.comm_a1, w.tree.comm_b2]
    assert near[0]["km"] < 1 < near[1]["km"]
    assert selectors.communities_near(member=w.m["m1"], lat=95, lng=0) == []


# --- receipts -----------------------------------------------------------------------------------


def _work(w: World, r: MemberReportIn, day: dt.date, hours: str, status: str = HourStatus.CONFIRMED, activity: Any = None) -> HourRecord:
    return HourRecord.objects.create(member=r.member, community=r.community, region_path=r.region_path, kind="task", date=day,
                                     hours=Decimal(hours), points=int(Decimal(hours) * 10) if status == HourStatus.CONFIRMED else 0,
                                     status=status, activity=activity)


def _activity(w: World, title: str) -> Activity:
    return Activity.objects.create(community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, title=title, status="published")


def test_receipt_snapshot_figures_and_refresh(w: World, django_capture_on_commit_callbacks):
    r = confirmed(w, "m1")
    year = timezone.localdate().year - 1
    a1, a2 = _activity(w, "四点钟课堂"), _activity(w, "清洁家园")
    _work(w, r, dt.date(year, 3, 1), "2.5", activity=a1)
    _work(w, r, dt.date(year, 4, 1), "1.5", activity=a1)
    _work(w, r, dt.date(year, 5, 1), "3", activity=a2)
    _work(w, r, dt.date(year, 5, 2), "4", status=HourStatus.PENDING, activity=a2)  # not confirmed: not counted
    _work(w, r, dt.date(year, 8, 1), "5", activity=a2)  # second half-year
    post = ServicePost.objects.create(community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind=PostKind.BUILDING_CHIEF, name="3号楼楼栋长")
    PostHolding.objects.create(post=post, member=r.member, region_path=post.region_path, status=HoldingStatus.APPROVED,
                               applied_at=timezone.now(), decided_at=dt.datetime(year, 2, 1, tzinfo=timezone.get_current_timezone()))
    Pledge.objects.create(member=r.member, community=r.community, region_path=r.region_path, year=year, content="每月服务4小时",
                          due_date=dt.date(year, 12, 31), status=PledgeStatus.FULFILLED,
                          assessed_at=dt.datetime(year, 6, 1, tzinfo=timezone.get_current_timezone()))
    with django_capture_on_commit_callbacks(execute=True):
        rc = services.receipt_issue(actor=w.u["comm_a1"], report_in=r, period=f"{year}h1", remark="表现突出")
    assert rc.period == f"{year}H1" and rc.period_start == dt.date(year, 1, 1) and rc.period_end == dt.date(year, 6, 30)
    assert rc.hours == Decimal("7.0") and rc.activities == 2 and rc.posts == "3号楼楼栋长"
    assert rc.pledges_total == 1 and rc.pledges_fulfilled == 1 and rc.points == 70 + 20
    assert rc.unit == w.unit_a and rc.remark == "表现突出" and rc.issued_by == w.u["comm_a1"]
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.receipt.issue").exists()
    # re-issuing refreshes the same receipt: new figures, the remark kept when none is given
    _work(w, r, dt.date(year, 6, 30), "1")
    again = services.receipt_issue(actor=w.u["comm_a1"], report_in=r, period=f"{year}H1")
    assert again.pk == rc.pk and again.hours == Decimal("8.0") and again.remark == "表现突出"
    assert FeedbackReceipt.objects.count() == 1
    assert audits("volunteering.receipt.issue") == 1 and audits("volunteering.receipt.refresh") == 1
    h2 = services.receipt_issue(actor=w.u["comm_a1"], report_in=r, period=f"{year}H2", remark="")
    assert h2.hours == Decimal("5.0") and h2.activities == 1 and h2.points == 50


def test_receipt_refusals_change_nothing(w: World):
    pending = report(w, "m1")
    year = timezone.localdate().year
    with pytest.raises(ValidationError):
        services.receipt_issue(actor=w.u["comm_a1"], report_in=pending, period=f"{year}H1")
    services.report_in_confirm(actor=w.u["comm_a1"], report_in=pending)
    for bad in ("2026", "2026H3", "H1", f"{year + 1}H1", "1999H2", None, ["2026H1"]):
        with pytest.raises(ValidationError):
            services.receipt_issue(actor=w.u["comm_a1"], report_in=pending, period=bad)
    with pytest.raises(NotFound):
        services.receipt_issue(actor=w.u["comm_b1"], report_in=pending, period=f"{year}H1")
    with pytest.raises(PermissionDenied):
        services.receipt_issue(actor=w.u["liaison_a"], report_in=pending, period=f"{year}H1")
    with pytest.raises(PermissionDenied):
        services.receipt_issue(actor=w.u["m1"], report_in=pending, period=f"{year}H1")
    assert FeedbackReceipt.objects.count() == 0


def test_receipts_for_a_whole_community_set_based(w: World, django_assert_max_num_queries):
    year = timezone.localdate().year - 1
    rs = [confirmed(w, "m1"), confirmed(w, "m2", w.tree.comm_a1)]
    report(w, "m3")  # pending, another community
    for r in rs:
        _work(w, r, dt.date(year, 2, 2), "2")
    with django_assert_max_num_queries(20):
        n = services.receipt_issue_all(actor=w.u["comm_a1"], community=w.tree.comm_a1, period=f"{year}H1", remark="感谢参与")
    assert n == {"issued": 2, "refreshed": 0}
    assert FeedbackReceipt.objects.filter(community=w.tree.comm_a1, hours=Decimal("2.0"), remark="感谢参与").count() == 2
    assert services.receipt_issue_all(actor=w.u["comm_a1"], community=w.tree.comm_a1.pk, period=f"{year}H1") == {"issued": 0, "refreshed": 2}
    assert FeedbackReceipt.objects.filter(remark="感谢参与").count() == 2
    with pytest.raises(NotFound):
        services.receipt_issue_all(actor=w.u["comm_b1"], community=w.tree.comm_a1, period=f"{year}H1")
    with pytest.raises(ValidationError):
        services.receipt_issue_all(actor=w.u["comm_a1"], community=w.tree.sub_a, period=f"{year}H1")


def test_receipt_scope_unit_member_and_communities(w: World):
    r = confirmed(w, "m1")
    rc = services.receipt_issue(actor=w.u["comm_a1"], report_in=r, period=services.current_period())
    for key in ("liaison_a", "m1", "comm_a1", "sub_a", "city"):
        assert selectors.receipt_get(actor=w.u[key], id=rc.pk) == rc
    for key in ("liaison_b", "m2", "m3", "comm_b1", "comm_a2", "resident"):
        with pytest.raises(NotFound):
            selectors.receipt_get(actor=w.u[key], id=rc.pk)
        assert list(selectors.receipt_list(actor=w.u[key])) == []


# --- pledges ------------------------------------------------------------------------------------


def test_pledge_make_edit_assess(w: World, django_capture_on_commit_callbacks):
    year = timezone.localdate().year
    due = dt.date(year, 12, 31)
    with pytest.raises(ValidationError):  # not reported in yet
        services.pledge_make(actor=w.u["m1"], content="每月服务4小时", due_date=due)
    r = report(w, "m1")
    with pytest.raises(ValidationError):  # still pending
        services.pledge_make(actor=w.u["m1"], content="每月服务4小时", due_date=due)
    services.report_in_confirm(actor=w.u["comm_a1"], report_in=r)
    for content, day in (("", due), ("每月服务4小时", ""), ("每月服务4小时", dt.date(year + 1, 1, 1)), ("每月服务4小时", "not a date")):
        with pytest.raises(ValidationError):
            services.pledge_make(actor=w.u["m1"], content=content, due_date=day)
    assert Pledge.objects.count() == 0
    p = services.pledge_make(actor=w.u["m1"], content="每月服务4小时", due_date=due.isoformat())
    assert p.year == year and p.community == w.tree.comm_a1 and p.status == PledgeStatus.MADE
    with pytest.raises(Conflict):
        services.pledge_make(actor=w.u["m1"], content="再来一个", due_date=due)
    services.pledge_update(actor=w.u["m1"], pledge=p, content="每月服务6小时", due_date=due)
    p.refresh_from_db()
    assert p.content == "每月服务6小时"
    with pytest.raises(NotFound):
        services.pledge_update(actor=w.u["m2"], pledge=p, content="改", due_date=due)
    with pytest.raises(PermissionDenied):
        services.pledge_assess(actor=w.u["m1"], pledge=p, fulfilled=True)
    with pytest.raises(NotFound):
        services.pledge_assess(actor=w.u["comm_b1"], pledge=p, fulfilled=True)
    with pytest.raises(ValidationError):  # not fulfilled needs a remark
        services.pledge_assess(actor=w.u["comm_a1"], pledge=p, fulfilled=False, remark="")
    with pytest.raises(ValidationError):
        services.pledge_assess(actor=w.u["comm_a1"], pledge=p, fulfilled="maybe")
    p.refresh_from_db()
    assert p.status == PledgeStatus.MADE
    with django_capture_on_commit_callbacks(execute=True):
        services.pledge_assess(actor=w.u["comm_a1"], pledge=p, fulfilled=True, remark="按时完成")
    p.refresh_from_db()
    assert p.status == PledgeStatus.FULFILLED and p.remark == "按时完成" and p.assessed_by == w.u["comm_a1"]
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.pledge.assess").exists()
    with pytest.raises(TransitionError):
        services.pledge_assess(actor=w.u["comm_a1"], pledge=p, fulfilled=False, remark="改主意")
    with pytest.raises(TransitionError):
        services.pledge_update(actor=w.u["m1"], pledge=p, content="改", due_date=due)
    assert audits("volunteering.pledge.make") == 1 and audits("volunteering.pledge.assess") == 1


def test_public_card_for_staff_and_members_of_the_same_community(w: World):
    r1 = confirmed(w, "m1")
    services.pledge_make(actor=w.u["m1"], content="每月服务4小时", due_date=dt.date(timezone.localdate().year, 12, 31))
    _work(w, r1, timezone.localdate(), "3")
    post = ServicePost.objects.create(community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind=PostKind.MEDIATOR, name="调解员")
    PostHolding.objects.create(post=post, member=r1.member, region_path=post.region_path, status=HoldingStatus.APPROVED,
                               applied_at=timezone.now(), decided_at=timezone.now())
    card = selectors.member_card(actor=w.u["comm_a1"], member_id=w.m["m1"].pk)
    assert card["posts"] == ["调解员"] and card["pledge"].content == "每月服务4小时" and card["hours"] == Decimal("3")
    assert selectors.member_card(actor=w.u["m1"], member_id=w.m["m1"].pk)["member"] == w.m["m1"]
    # m2 sees it once he is confirmed in the same community, not before
    with pytest.raises(NotFound):
        selectors.member_card(actor=w.u["m2"], member_id=w.m["m1"].pk)
    confirmed(w, "m2", w.tree.comm_a1)
    assert selectors.member_card(actor=w.u["m2"], member_id=w.m["m1"].pk)["member"] == w.m["m1"]
    for key in ("m3", "comm_b1", "liaison_b", "resident"):
        with pytest.raises(NotFound):
            selectors.member_card(actor=w.u[key], member_id=w.m["m1"].pk)
    community, qs = selectors.community_cards(actor=w.u["m2"])
    assert community == w.tree.comm_a1 and {r.member for r in qs} == {w.m["m1"], w.m["m2"]}
