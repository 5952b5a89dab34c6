"""The workflow services: every transition, and every forbidden one refused with a clear message and nothing changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core import pii
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent, Notification
from gongjian.matters import services as svc
from gongjian.matters.choices import AssignmentRole, AssignmentStatus, EventKind, MatterSource, MatterStatus, Urgency
from gongjian.matters.models import Assignment, FollowUp, Matter, MatterCategory, MatterEvent

from .domain import World, accepted, at_level, report, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = pytest.mark.django_db


def snapshot(m: Matter) -> tuple[Any, ...]:
    m = Matter.objects.get(pk=m.pk)
    return (m.status, m.owner_id, m.top_depth, m.version, m.events.count(), Assignment.objects.filter(matter=m).count(),
            AuditEvent.objects.filter(target_type="matters.matter", target_id=str(m.pk)).count())


def refused(exc_type: type[Exception], m: Matter, fn: Any, **kw: Any) -> Exception:
    before = snapshot(m)
    with pytest.raises(exc_type) as exc:
        fn(**kw)
    assert snapshot(m) == before
    return exc.value


# --- report ----------------------------------------------------------------------------------


def test_report_numbers_deadlines_phone_and_timeline(w: World, django_capture_on_commit_callbacks: Any) -> None:
    leaf = MatterCategory.objects.get(full_name="住房与物业 › 老旧小区改造 › 加装电梯")
    with django_capture_on_commit_callbacks(execute=True):
        m = report(w, category=leaf.pk, reporter_phone="+86 138-1234-5678")
    assert m.status == MatterStatus.REPORTED and m.owner == w.tree.comm_a1 and m.top_depth == 3
    assert m.region_path == m.owner_path == w.tree.comm_a1.path
    local = timezone.localtime(m.reported_at)
    assert m.number == f"SX{local:%Y%m%d}{m.pk:06d}"
    assert m.urgency == Urgency.COMPLEX  # the category's default
    assert m.accept_due == m.reported_at + dt.timedelta(hours=24)
    assert m.resolve_due is not None and m.resolve_due > m.reported_at + dt.timedelta(days=15)
    assert m.reporter_phone_enc.startswith("v1:") and "13812345678" not in m.reporter_phone_enc
    assert m.reporter_phone_hash == pii.lookup_hash("13812345678")
    assert svc.reporter_phone_masked(m) == "138****5678"
    ev = m.events.get()
    assert ev.kind == EventKind.REPORTED and ev.actor == w.u["comm_a1"]
    audit = AuditEvent.objects.get(verb="matters.matter.report")
    assert "13812345678" not in str(audit.changes)
    # the community's administrators are told there is something to accept (not the reporter himself)
    assert Notification.objects.filter(user=w.u["comm_a1"]).count() == 0
    m2_reporter = w.u["resident"]
    with django_capture_on_commit_callbacks(execute=True):
        m2 = report(w, actor="resident", source=MatterSource.STAFF)
    assert m2.source == MatterSource.RESIDENT and m2.reported_by == m2_reporter and m2.reporter_name
    assert Notification.objects.filter(user=w.u["comm_a1"], verb="matters.reported").count() == 1


def test_numbers_are_unique(w: World) -> None:
    numbers = {report(w, title=f"事项{i}").number for i in range(5)}
    assert len(numbers) == 5


def test_report_validation_reports_every_field_and_writes_nothing(w: World) -> None:
    with pytest.raises(ValidationError) as exc:
        svc.matter_report(actor=w.u["comm_a1"], title=" ", community=w.tree.comm_b1, category=999999, urgency="soon",
                          lat="91", reporter_phone="12345", reported_at=timezone.now() + dt.timedelta(days=1))
    d = exc.value.details
    assert {"title", "community", "category", "urgency", "lat", "lng", "reporter_phone", "reported_at"} <= set(d)
    assert "社区" in str(d["community"][0])
    assert Matter.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_report_refuses_other_communities_and_non_communities(w: World) -> None:
    with pytest.raises(ValidationError) as exc:
        report(w, actor="resident", community=w.tree.comm_a2)
    assert "community" in exc.value.details
    with pytest.raises(ValidationError):
        report(w, community=w.tree.sub_a)
    with pytest.raises(PermissionDenied):
        report(w, actor="h_erqi")
    with pytest.raises(PermissionDenied):
        report(w, actor="nobody")
    # the subdistrict enters a matter for one of its communities
    m = report(w, actor="sub_a", community=w.tree.comm_a2)
    assert m.owner == w.tree.comm_a2
    # hotline work orders come from the importer's roles, once per work-order number
    with pytest.raises(ValidationError) as exc:
        report(w, source=MatterSource.HOTLINE, external_ref="GD001")
    assert "source" in exc.value.details
    report(w, actor="erqi", source=MatterSource.HOTLINE, external_ref="GD001", reported_at=timezone.now() - dt.timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        report(w, actor="erqi", source=MatterSource.HOTLINE, external_ref="GD001")
    assert "external_ref" in exc.value.details


def test_member_reports_as_road_chief(w: World) -> None:
    m = report(w, actor="member")
    assert m.source == MatterSource.ROAD_CHIEF


# --- accept / reject -------------------------------------------------------------------------


def test_accept_by_the_community_only(w: World) -> None:
    m = report(w)
    refused(PermissionDenied, m, svc.matter_accept, actor=w.u["sub_a"], matter=m.pk)  # a subdistrict is not the first receiver
    refused(NotFound, m, svc.matter_accept, actor=w.u["comm_a2"], matter=m.pk)  # another community: not even visible
    refused(PermissionDenied, m, svc.matter_accept, actor=w.u["h_erqi"], matter=m.pk)
    svc.matter_accept(actor=w.u["comm_a1"], matter=m)
    assert m.status == MatterStatus.ACCEPTED and m.accepted_at and m.version == 2
    exc = refused(TransitionError, m, svc.matter_accept, actor=w.u["comm_a1"], matter=m.pk)
    assert "已受理" in str(exc) or "受理" in str(exc)


def test_reject_needs_a_reason_and_ends_the_matter(w: World, django_capture_on_commit_callbacks: Any) -> None:
    m = report(w, actor="resident")
    exc = refused(ValidationError, m, svc.matter_reject, actor=w.u["comm_a1"], matter=m, reason="  ")
    assert "reason" in exc.details  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        svc.matter_reject(actor=w.u["comm_a1"], matter=m, reason="属于民事合同纠纷，建议通过诉讼解决")
    assert m.status == MatterStatus.REJECTED and m.rejected_at and m.reject_reason
    assert Notification.objects.filter(user=w.u["resident"], verb="matters.rejected").exists()
    # a rejected matter cannot be resolved, escalated, assigned or accepted
    exc2 = refused(TransitionError, m, svc.matter_resolve, actor=w.u["comm_a1"], matter=m, resolution="已处理")
    assert "已退回" in str(exc2) or "不予受理" in str(exc2) or "rejected" in str(exc2).lower()
    refused(TransitionError, m, svc.matter_escalate, actor=w.u["comm_a1"], matter=m, reason="上报")
    refused(TransitionError, m, svc.matter_assign, actor=w.u["comm_a1"], matter=m, lead=w.dept_erqi)
    refused(TransitionError, m, svc.matter_accept, actor=w.u["comm_a1"], matter=m)


# --- escalate --------------------------------------------------------------------------------


def test_escalation_goes_one_level_up_to_the_city_and_no_further(w: World, django_capture_on_commit_callbacks: Any) -> None:
    m = accepted(w)
    refused(NotFound, m, svc.matter_escalate, actor=w.u["sub_a"], matter=m, reason="越级")  # not his yet: not even visible
    refused(NotFound, m, svc.matter_escalate, actor=w.u["erqi"], matter=m, reason="越级")  # skipping levels: cannot even see it
    with django_capture_on_commit_callbacks(execute=True):
        svc.matter_escalate(actor=w.u["comm_a1"], matter=m, reason="涉及多个小区，需街道统筹")
    assert (m.status, m.owner, m.owner_path, m.top_depth, m.escalation_count) == (
        MatterStatus.ESCALATED, w.tree.sub_a, w.tree.sub_a.path, 2, 1)
    assert Notification.objects.filter(user=w.u["sub_a"], verb="matters.escalated").exists()
    refused(PermissionDenied, m, svc.matter_escalate, actor=w.u["comm_a1"], matter=m, reason="再上报")  # no longer the owner
    svc.matter_escalate(actor=w.u["sub_a"], matter=m, reason="需区级协调")
    svc.matter_escalate(actor=w.u["erqi"], matter=m, reason="需市级协调")
    assert m.owner == w.tree.city and m.top_depth == 0 and m.escalation_count == 3
    refused(PermissionDenied, m, svc.matter_escalate, actor=w.u["city"], matter=m, reason="再上报")
    w.u["city"].is_superuser = True
    w.u["city"].save()
    exc = refused(TransitionError, m, svc.matter_escalate, actor=w.u["city"], matter=m, reason="再上报")
    assert "市" in str(exc)
    assert m.events.filter(kind=EventKind.ESCALATED).count() == 3


def test_escalating_an_assigned_matter_withdraws_the_assignments(w: World) -> None:
    m = at_level(w, "subdistrict")
    lead, helper = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj, assist=[w.dept_erqi])
    svc.matter_escalate(actor=w.u["sub_a"], matter=m, reason="部门无法解决，提请区级协调")
    lead.refresh_from_db()
    helper.refresh_from_db()
    assert lead.status == helper.status == AssignmentStatus.WITHDRAWN
    assert m.status == MatterStatus.ESCALATED and m.owner == w.tree.erqi
    # the withdrawn department can no longer act (a clear refusal, nothing changes)
    refused(TransitionError, m, svc.assignment_result, actor=w.u["h_cj"], assignment=lead.pk, result="已完成")


# --- assign ----------------------------------------------------------------------------------


def test_assign_lead_and_assisting_departments(w: World, django_capture_on_commit_callbacks: Any) -> None:
    m = at_level(w, "subdistrict")
    with django_capture_on_commit_callbacks(execute=True):
        rows = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj.pk, assist=[w.dept_erqi.pk], note="请尽快现场勘查")
    assert [(a.department, a.role) for a in rows] == [(w.dept_erqi_cj, AssignmentRole.LEAD), (w.dept_erqi, AssignmentRole.ASSIST)]
    assert all(a.deadline == m.resolve_due and a.by_region == w.tree.sub_a for a in rows)
    assert m.status == MatterStatus.ASSIGNED
    assert Notification.objects.filter(user=w.u["h_cj"], verb="matters.assigned").count() == 1
    assert Notification.objects.filter(user=w.u["h_erqi"], verb="matters.assigned").count() == 1
    ev = m.events.get(kind=EventKind.ASSIGNED)
    assert "二七区城建局" in ev.note and "请尽快现场勘查" in ev.note


def test_assign_validation(w: World) -> None:
    m = at_level(w, "subdistrict")
    exc = refused(ValidationError, m, svc.matter_assign, actor=w.u["sub_a"], matter=m, lead=None)
    assert "lead" in exc.details  # type: ignore[attr-defined]
    # another district's department, a city department (only the city assigns those), the lead as helper, a past deadline
    exc = refused(ValidationError, m, svc.matter_assign, actor=w.u["sub_a"], matter=m, lead=w.dept_jinshui,
                  assist=[w.dept_city], deadline=timezone.now() - dt.timedelta(hours=1))
    assert {"lead", "assist", "deadline"} <= set(exc.details)  # type: ignore[attr-defined]
    exc = refused(ValidationError, m, svc.matter_assign, actor=w.u["sub_a"], matter=m, lead=w.dept_erqi, assist=[w.dept_erqi])
    assert "assist" in exc.details  # type: ignore[attr-defined]
    exc = refused(ValidationError, m, svc.matter_assign, actor=w.u["sub_a"], matter=m, lead=[w.dept_erqi, w.dept_erqi_cj])
    assert "lead" in exc.details  # type: ignore[attr-defined]
    exc = refused(ValidationError, m, svc.matter_assign, actor=w.u["sub_a"], matter=m, lead=w.dept_erqi, deadline="明天")
    assert "deadline" in exc.details  # type: ignore[attr-defined]
    refused(PermissionDenied, m, svc.matter_assign, actor=w.u["comm_a1"], matter=m, lead=w.dept_erqi)
    # the city may task city departments
    c = at_level(w, "city", title="全市充电桩规划")
    rows = svc.matter_assign(actor=w.u["city"], matter=c, lead=w.dept_city, assist=[w.dept_erqi_cj],
                             deadline=(timezone.localdate() + dt.timedelta(days=30)).isoformat())
    assert rows[0].department == w.dept_city
    assert timezone.localtime(rows[0].deadline).time() == dt.time(23, 59, 59)


def test_assign_with_a_meeting_decision_marks_coordinated(w: World) -> None:
    from gongjian.meetings.models import Decision, Meeting

    m = at_level(w, "subdistrict")
    meeting = Meeting.objects.create(region=w.tree.sub_a, region_path=w.tree.sub_a.path, level="subdistrict", year=2026, quarter=4,
                                     title="淮河路街道第四季度党建协调会", starts_at=timezone.now())
    svc.matter_record_agenda(actor=w.u["sub_a"], matter=m, meeting=meeting)
    v = m.version
    decision = Decision.objects.create(meeting=meeting, matter=m, text="由区城建局牵头加装电梯")
    svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj, decision=decision)
    assert m.coordinated_at is not None and m.version == v + 1
    assert not decision.assignments.exists()  # linking them to the decision is the meetings app's write (its table)
    kinds = list(m.events.values_list("kind", flat=True))
    assert EventKind.AGENDA in kinds and EventKind.COORDINATED in kinds
    other = Decision.objects.create(meeting=meeting, matter=accepted(w, title="另一件"), text="x")
    m2 = at_level(w, "subdistrict", title="第三件")
    refused(ValidationError, m2, svc.matter_assign, actor=w.u["sub_a"], matter=m2, lead=w.dept_erqi, decision=other)


def test_mark_coordinated_does_not_change_the_version(w: World) -> None:
    from gongjian.meetings.models import Decision, Meeting

    m = at_level(w, "subdistrict")
    meeting = Meeting.objects.create(region=w.tree.sub_a, region_path=w.tree.sub_a.path, level="subdistrict", year=2026, quarter=4,
                                     title="协调会", starts_at=timezone.now())
    d = Decision.objects.create(meeting=meeting, matter=m, text="研究决定")
    v = m.version
    svc.matter_mark_coordinated(actor=w.u["sub_a"], matter=m, decision=d)
    m.refresh_from_db()
    assert m.coordinated_at and m.version == v


# --- departments -----------------------------------------------------------------------------


def test_department_works_its_assignment_and_the_owner_resolves(w: World, django_capture_on_commit_callbacks: Any) -> None:
    m = at_level(w, "subdistrict", actor="resident")
    lead, helper = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj, assist=[w.dept_erqi])
    # another department cannot see it; a handler cannot act on another department's assignment
    refused(NotFound, m, svc.assignment_accept, actor=w.u["h_jinshui"], assignment=lead.pk)
    refused(NotFound, m, svc.assignment_accept, actor=w.u["h_erqi"], assignment=lead.pk)
    refused(PermissionDenied, m, svc.assignment_accept, actor=w.u["sub_a"], assignment=lead.pk)
    svc.assignment_accept(actor=w.u["h_cj"], assignment=lead)
    assert lead.status == AssignmentStatus.IN_PROGRESS and lead.accepted_at
    svc.assignment_progress(actor=w.u["h_cj"], assignment=lead, note="已现场勘查，方案设计中")
    # resolving before the lead's result is refused
    exc = refused(TransitionError, m, svc.matter_resolve, actor=w.u["sub_a"], matter=m.pk, resolution="已完成")
    assert "牵头" in str(exc)
    with django_capture_on_commit_callbacks(execute=True):
        svc.assignment_result(actor=w.u["h_cj"], assignment=lead, result="电梯已安装并通过验收")
    assert Notification.objects.filter(user=w.u["sub_a"], verb="matters.result").exists()
    with django_capture_on_commit_callbacks(execute=True):
        svc.matter_resolve(actor=w.u["sub_a"], matter=m.pk, resolution="电梯已投入使用")
    m.refresh_from_db()
    helper.refresh_from_db()
    assert m.status == MatterStatus.RESOLVED and m.resolved_at and helper.status == AssignmentStatus.WITHDRAWN
    assert Notification.objects.filter(user=w.u["resident"], verb="matters.resolved").exists()
    assert Notification.objects.filter(user=w.u["comm_a1"], verb="matters.resolved").exists()  # the community calls back
    refused(TransitionError, m, svc.assignment_progress, actor=w.u["h_cj"], assignment=lead.pk, note="补充")


def test_assist_returns_only_its_assignment_lead_returns_the_matter(w: World) -> None:
    m = at_level(w, "subdistrict")
    lead, helper = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj, assist=[w.dept_erqi])
    exc = refused(ValidationError, m, svc.assignment_return, actor=w.u["h_erqi"], assignment=helper.pk, reason="")
    assert "reason" in exc.details  # type: ignore[attr-defined]
    svc.assignment_return(actor=w.u["h_erqi"], assignment=helper, reason="不属于民政职责")
    m.refresh_from_db()
    assert helper.status == AssignmentStatus.RETURNED and m.status == MatterStatus.ASSIGNED
    svc.assignment_accept(actor=w.u["h_cj"], assignment=lead)
    # once taken up, the lead can no longer send it back
    refused(TransitionError, m, svc.assignment_return, actor=w.u["h_cj"], assignment=lead.pk, reason="不归我管")
    m2 = at_level(w, "subdistrict", title="第二件")
    lead2, helper2 = svc.matter_assign(actor=w.u["sub_a"], matter=m2, lead=w.dept_erqi_cj, assist=[w.dept_erqi])
    svc.assignment_return(actor=w.u["h_cj"], assignment=lead2, reason="应由房管部门牵头")
    m2.refresh_from_db()
    helper2.refresh_from_db()
    assert m2.status == MatterStatus.ACCEPTED and m2.owner == w.tree.sub_a and helper2.status == AssignmentStatus.WITHDRAWN
    ev = m2.events.get(kind=EventKind.RETURNED)
    assert ev.from_status == MatterStatus.ASSIGNED and ev.to_status == MatterStatus.ACCEPTED
    # the owner decides again: a new lead
    rows = svc.matter_assign(actor=w.u["sub_a"], matter=m2, lead=w.dept_erqi)
    assert rows[0].role == AssignmentRole.LEAD and m2.status == MatterStatus.ASSIGNED


def test_follow_up_by_the_owning_level(w: World, django_capture_on_commit_callbacks: Any) -> None:
    m = at_level(w, "subdistrict")
    (lead,) = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj)
    Assignment.objects.filter(pk=lead.pk).update(is_overdue=True, reminded_at=timezone.now())
    refused(PermissionDenied, m, svc.assignment_follow_up, actor=w.u["comm_a1"], assignment=lead.pk, note="请加快")
    refused(NotFound, m, svc.assignment_follow_up, actor=w.u["erqi"], assignment=lead.pk, note="请加快")
    refused(PermissionDenied, m, svc.assignment_follow_up, actor=w.u["h_cj"], assignment=lead.pk, note="请加快")
    new = timezone.now() + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        fu = svc.assignment_follow_up(actor=w.u["sub_a"], assignment=lead.pk, note="请三日内办结", new_deadline=new)
    lead.refresh_from_db()
    assert isinstance(fu, FollowUp) and fu.by_region == w.tree.sub_a
    assert lead.follow_up_count == 1 and lead.deadline == new and not lead.is_overdue and lead.reminded_at is None
    assert Notification.objects.filter(user=w.u["h_cj"], verb="matters.follow_up").exists()
    assert m.events.filter(kind=EventKind.FOLLOW_UP).count() == 1


# --- callback --------------------------------------------------------------------------------


def resolved(w: World, **kw: Any) -> Matter:
    m = accepted(w, **kw)
    svc.matter_resolve(actor=w.u["comm_a1"], matter=m, resolution="社区协调物业已修复")
    return m


def test_callback_satisfied_closes(w: World) -> None:
    m = resolved(w)
    exc = refused(ValidationError, m, svc.matter_callback, actor=w.u["comm_a1"], matter=m, satisfaction="great")
    assert "satisfaction" in exc.details  # type: ignore[attr-defined]
    svc.matter_callback(actor=w.u["comm_a1"], matter=m, satisfaction="basically", note="居民表示基本满意")
    assert m.status == MatterStatus.CLOSED and m.closed_at and m.satisfaction == "basically"
    assert list(m.events.order_by("id").values_list("kind", flat=True))[-2:] == [EventKind.CALLBACK, EventKind.CLOSED]
    refused(TransitionError, m, svc.matter_callback, actor=w.u["comm_a1"], matter=m, satisfaction="satisfied")


def test_callback_unsatisfied_reopens_at_the_owning_level(w: World) -> None:
    m = at_level(w, "subdistrict")
    svc.matter_resolve(actor=w.u["sub_a"], matter=m, resolution="已协调")
    Matter.objects.filter(pk=m.pk).update(is_overdue=True)
    m.refresh_from_db()
    # the community the matter comes from records the callback (it knows the reporter); the owner may too
    svc.matter_callback(actor=w.u["comm_a1"], matter=m, satisfaction="unsatisfied", note="问题仍未解决")
    assert m.status == MatterStatus.REOPENED and m.reopen_count == 1 and m.owner == w.tree.sub_a and not m.is_overdue
    assert m.resolve_due and m.resolve_due > timezone.now()
    refused(NotFound, m, svc.matter_callback, actor=w.u["comm_b1"], matter=m, satisfaction="satisfied")
    # reopened: the owner handles it again
    svc.matter_resolve(actor=w.u["sub_a"], matter=m, resolution="二次处理完毕")
    svc.matter_callback(actor=w.u["sub_a"], matter=m, satisfaction="satisfied")
    assert m.status == MatterStatus.CLOSED


def test_callback_by_another_community_of_the_subdistrict_is_refused(w: World) -> None:
    m = at_level(w, "subdistrict")
    svc.matter_resolve(actor=w.u["sub_a"], matter=m, resolution="已协调")
    refused(NotFound, m, svc.matter_callback, actor=w.u["comm_a2"], matter=m, satisfaction="satisfied")


# --- versions --------------------------------------------------------------------------------


def test_stale_version_is_a_conflict(w: World) -> None:
    m = report(w)
    stale = Matter.objects.get(pk=m.pk)
    svc.matter_accept(actor=w.u["comm_a1"], matter=m)
    exc = refused(Conflict, m, svc.matter_escalate, actor=w.u["comm_a1"], matter=stale, reason="上报")
    assert str(exc) == "该事项已被他人处理，请刷新后再试"
    refused(Conflict, m, svc.matter_escalate, actor=w.u["comm_a1"], matter=m.pk, reason="上报", version=1)
    refused(ValidationError, m, svc.matter_escalate, actor=w.u["comm_a1"], matter=m.pk, reason="上报", version="abc")
    svc.matter_escalate(actor=w.u["comm_a1"], matter=m.pk, reason="上报", version="2")


# --- attachments and the reporter's phone -----------------------------------------------------


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def test_attachments_photo_pdf_and_refusals(w: World) -> None:
    m = report(w, actor="resident")
    a = svc.matter_attach(actor=w.u["resident"], matter=m, upload=png_bytes(), filename="现场.png")
    assert a.content_type == "image/png" and a.name == "现场.png" and a.size > 0
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    p = svc.matter_attach(actor=w.u["comm_a1"], matter=m, upload=pdf, filename="说明材料.pdf")
    assert p.content_type == "application/pdf"
    with pytest.raises(ValidationError) as exc:
        svc.matter_attach(actor=w.u["comm_a1"], matter=m, upload=b"<html><script>alert(1)</script>", filename="x.pdf")
    assert "file" in exc.value.details
    with pytest.raises(ValidationError):
        svc.matter_attach(actor=w.u["comm_a1"], matter=m, upload=b"%PDF-1.4 truncated", filename="x.pdf")
    with pytest.raises(ValidationError):
        svc.matter_attach(actor=w.u["comm_a1"], matter=m, upload=b"", filename="x.png")
    with pytest.raises(NotFound):
        svc.matter_attach(actor=w.u["resident2"], matter=m, upload=png_bytes(), filename="x.png")
    with pytest.raises(NotFound):
        svc.matter_attach(actor=w.u["comm_b1"], matter=m, upload=png_bytes(), filename="x.png")
    assert m.events.filter(kind=EventKind.ATTACHMENT).count() == 2
    from gongjian.matters.selectors import attachment_get

    assert attachment_get(actor=w.u["comm_a1"], id=a.pk) == a
    with pytest.raises(NotFound):
        attachment_get(actor=w.u["comm_b1"], id=a.pk)
    _got, fh = svc.attachment_read(actor=w.u["resident"], id=a.pk, matter=m.pk)
    with fh:
        assert fh.read(8).startswith(b"\x89PNG")


def test_reporter_phone_is_read_by_staff_and_audited(w: World) -> None:
    m = report(w)
    assert svc.reporter_phone(actor=w.u["comm_a1"], matter=m) == "13812345678"
    assert AuditEvent.objects.filter(verb="pii.read", target_id=str(m.pk)).count() == 1
    with pytest.raises(PermissionDenied):
        svc.reporter_phone(actor=w.u["h_erqi"], matter=m)
    with pytest.raises(NotFound):
        svc.reporter_phone(actor=w.u["comm_b1"], matter=m)


# --- full path -------------------------------------------------------------------------------


def test_every_transition_writes_one_audit_event_and_bumps_figures(w: World, django_capture_on_commit_callbacks: Any) -> None:
    from django.core.cache import cache

    with django_capture_on_commit_callbacks(execute=True):
        m = accepted(w)
    v0 = cache.get("figver:matters") or 0
    with django_capture_on_commit_callbacks(execute=True):
        svc.matter_escalate(actor=w.u["comm_a1"], matter=m, reason="上报街道")
    assert (cache.get("figver:matters") or 0) > v0
    verbs = list(AuditEvent.objects.filter(target_type="matters.matter", target_id=str(m.pk)).order_by("id").values_list("verb", flat=True))
    assert verbs == ["matters.matter.report", "matters.matter.accept", "matters.matter.escalate"]
    assert MatterEvent.objects.filter(matter=m).count() == 3


def test_hostile_input_is_refused_or_stored_verbatim(w: World) -> None:
    with pytest.raises(ValidationError) as exc:
        report(w, title="电梯\x00坏了", description="x" * 4001, lat="NaN", lng="Infinity")
    assert {"title", "description", "lat", "lng"} <= set(exc.value.details)
    with pytest.raises(ValidationError) as exc:
        report(w, community="1 OR 1=1", category="../../etc", reported_at="yesterday")
    assert {"community", "category", "reported_at"} <= set(exc.value.details)
    m = report(w, title="'; DROP TABLE matters_matter; --", address="<script>alert(1)</script>")
    assert Matter.objects.get(pk=m.pk).title == "'; DROP TABLE matters_matter; --"
    svc.matter_accept(actor=w.u["comm_a1"], matter=m)
    svc.matter_escalate(actor=w.u["comm_a1"], matter=m, reason="上交")
    exc2 = refused(ValidationError, m, svc.matter_assign, actor=w.u["sub_a"], matter=m, lead="x", assist=["1; DROP"], deadline="2026-13-45")
    assert {"lead", "assist", "deadline"} <= set(exc2.details)  # type: ignore[attr-defined]
    refused(NotFound, m, svc.matter_accept, actor=w.u["comm_a1"], matter="abc")
    refused(NotFound, m, svc.matter_accept, actor=w.u["comm_a1"], matter=2**70)
    refused(ValidationError, m, svc.matter_escalate, actor=w.u["sub_a"], matter=m.pk, reason="x" * 501)
