"""What a member's own pages cost (issue #12, "fast at city scale"): 118,000 members each open theirs, so nothing of them
is kept per account — each page reads the member and his records in a fixed, small number of queries whatever their
number, and what every member of a community is shown alike (its published activities) is drawn once for all of them,
kept until a write of volunteering or the clock changes it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.choices import HourStatus, PledgeStatus, ReportInStatus
from gongjian.volunteering.members import selectors as member_selectors
from gongjian.volunteering.members import services as member_svc
from gongjian.volunteering.models import FeedbackReceipt, HourRecord, MemberReportIn
from gongjian.volunteering.roads import services as road_svc

from .domain import World, w_fixture  # noqa: F401
from .test_activities_world import activity, new_member, ready

pytestmark = pytest.mark.django_db

ACTIVITIES, HOME, PATROLS, HOURS = "/volunteering/activities/", "/volunteering/", "/volunteering/roads/mine/", "/volunteering/activities/hours/mine/"
API = "/api/v1/volunteering/"
BRANDS, MY_HOURS, MY_SEGMENTS = f"{API}activities/brands", f"{API}activities/hours/mine", f"{API}roads/segments/mine"
URLS = [ACTIVITIES, HOME, PATROLS, HOURS, BRANDS, MY_HOURS, MY_SEGMENTS]


def client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def queries(c: Client, url: str, *, warm: bool = True) -> list[str]:
    """The statements of a request but the session's (the frame's scope rows and bell are kept per version: a request
    before, ``warm``, reads them once the writes of the test moved those versions)."""
    if warm:
        assert c.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries if "django_session" not in q["sql"]]


def costs(c: Client) -> dict[str, int]:
    return {url: len(queries(c, url)) for url in URLS}


def hours(w: World, n: int, status: str = HourStatus.CONFIRMED) -> None:
    for i in range(n):
        HourRecord.objects.create(member=w.m["m1"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind="task", hours=Decimal("1.5"),
                                  points=15, date=timezone.localdate() - dt.timedelta(days=i), status=status)


def test_a_members_pages_cost_a_fixed_number_of_queries_whatever_his_records(w: World) -> None:
    ready(w)
    activity(w)
    svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="四点钟课堂")
    hours(w, 2)
    m1 = client(w.u["m1"])
    # the member (with his community, in one statement) and: the community's activities (a page read with its number) |
    # his report-in, pledge and hours (one statement), his receipts | whether he is a road chief, patrolled, reported
    # (one statement: he is none) | his hour records, added up when they fit on the page | the brands | his records
    # (the member asked for only when there is none) | whether he is a road chief
    few = {ACTIVITIES: 2, HOME: 2, PATROLS: 1, HOURS: 2, BRANDS: 2, MY_HOURS: 1, MY_SEGMENTS: 2}
    assert costs(m1) == few
    for _i in range(25):  # more than a page of everything
        activity(w)
    for i in range(8):
        svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"品牌{i}")
    hours(w, 25, HourStatus.PENDING)
    report_in = MemberReportIn.objects.get(member=w.m["m1"])
    for year in range(2016, 2024):
        FeedbackReceipt.objects.create(report_in=report_in, member=w.m["m1"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path,
                                       period=f"{year}H1", period_start=dt.date(year, 1, 1), period_end=dt.date(year, 6, 30),
                                       hours=3, issued_at=timezone.now())
    for i in range(3):
        seg = road_svc.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"路{i}")
        road_svc.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m1"])
        for _j in range(12):
            patrol = road_svc.patrol_log(actor=w.u["m1"], segment=seg)
            road_svc.report_create(actor=w.u["m1"], segment=seg, title=f"问题{i}", patrol=patrol)
    # a list longer than its page: the page's rows, its kept number (the activities: and when the first shift ahead ends;
    # his hours: and their totals) | a road chief's segments, patrols and reports: one statement each
    many = {**few, ACTIVITIES: 3, HOURS: 3, PATROLS: 4, MY_SEGMENTS: 3}
    assert costs(m1) == many
    page = m1.get(ACTIVITIES).context["page"]
    assert (page.paginator.count, len(page.object_list)) == (26, 20)
    for _i in range(10):
        activity(w)
    hours(w, 30)
    assert costs(m1) == many


def test_the_pages_show_the_members_own_records_and_totals(w: World) -> None:
    """What the pages read in fewer statements is what they showed: totals added up or counted, pages of the API's
    lists, the member's report-in, pledge and hours."""
    ready(w)
    hours(w, 3)
    hours(w, 2, HourStatus.PENDING)
    m1 = client(w.u["m1"])
    html = m1.get(HOURS).content.decode()
    assert 'data-total="hours">4.5<' in html and 'data-total="points">45<' in html and 'data-total="pending">3<' in html  # added up
    hours(w, 30)
    html = m1.get(HOURS).content.decode()
    assert 'data-total="hours">49.5<' in html and 'data-total="points">495<' in html and 'data-total="pending">3<' in html  # counted
    page = m1.get(f"{MY_HOURS}?size=20&page=2").json()
    assert (page["count"], page["pages"], len(page["items"])) == (35, 2, 15)
    assert m1.get(f"{MY_HOURS}?size=50").json()["count"] == 35
    for i in range(3):
        svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"品牌{i}")
    svc.brand_create(actor=w.u["comm_a2"], community=w.tree.comm_a2, name="别处的品牌")
    page = m1.get(f"{BRANDS}?size=2&page=2").json()
    assert (page["count"], page["pages"], [b["name"] for b in page["items"]]) == (3, 2, ["品牌2"])
    # a member without a member record: 404; with one but no record of hours: an empty page
    assert client(w.u["comm_a1"]).get(MY_HOURS).status_code == 404
    acc, _m = new_member(w, 1)
    assert client(acc).get(MY_HOURS).json()["count"] == 0
    member_svc.pledge_make(actor=w.u["m1"], content="每月服务4小时", due_date=dt.date(timezone.localdate().year, 12, 31))
    mine = member_selectors.my_home(actor=w.u["m1"])
    assert mine is not None and timezone.is_aware(mine["active"].confirmed_at) and mine["last"] is None
    home = m1.get(HOME).content.decode()
    shown = dict(re.findall(r'id="my-(community-name|hours)">([^<]*)<', home))
    assert shown["community-name"] == "淮河社区" and Decimal(shown["hours"]) == Decimal("49.5")  # confirmed only, his own
    confirmed_on = timezone.localdate(MemberReportIn.objects.get(member=w.m["m1"]).confirmed_at).isoformat()
    with translation.override("zh-hans"):
        labels = str(ReportInStatus.CONFIRMED.label), str(PledgeStatus.MADE.label)
    assert f'data-status="confirmed">{labels[0]}<' in home and w.tree.sub_a.name in home and confirmed_on in home
    assert f'data-status="made">{labels[1]}<' in home and "每月服务4小时" in home and f"{timezone.localdate().year}-12-31" in home
    rejected, m = new_member(w, 2, confirmed=False)  # no active report-in: his last one, and the way to report in
    MemberReportIn.objects.create(member=m, community=w.tree.comm_a2, region_path=w.tree.comm_a2.path, status=ReportInStatus.REJECTED,
                                  rejected_reason="不在本社区居住", reported_at=timezone.now())
    other = client(rejected).get(HOME).content.decode()
    assert "alert-warning" in other and "不在本社区居住" in other and 'id="report-in-link"' in other and 'id="pledge-card"' in other


def test_a_communitys_activities_are_drawn_once_for_its_members(w: World, settings: Any, monkeypatch: Any) -> None:
    settings.GONGJIAN_LIST_CACHE = True
    ready(w)
    a, s = activity(w, capacity=5, starts_in=dt.timedelta(hours=2), hours=1)
    activity(w, community=w.tree.comm_a2, admin="comm_a2")
    other_a1, _m = new_member(w, 1)
    first = client(w.u["m1"])
    cards = first.get(ACTIVITIES).content.decode()
    assert "0/5" in cards and f'data-activity="{a.pk}"' in cards
    neighbour = client(other_a1)
    assert neighbour.get(HOME).status_code == 200  # his frame's account, scope rows and bell, kept from here on
    sql = queries(neighbour, ACTIVITIES, warm=False)
    assert len(sql) == 1 and "orgs_member" in sql[0]  # the member and his community; the cards as drawn for m1
    assert f'data-activity="{a.pk}"' in neighbour.get(ACTIVITIES).content.decode()
    elsewhere = client(w.u["m2"]).get(ACTIVITIES).content.decode()  # 路砦社区's own list, never 淮河社区's
    assert f'data-activity="{a.pk}"' not in elsewhere and "data-activity=" in elsewhere
    svc.signup_create(actor=w.u["m1"], shift=s)  # an audited write moves the version: drawn again
    assert "1/5" in neighbour.get(ACTIVITIES).content.decode()
    later = timezone.now() + dt.timedelta(hours=4)  # the shift has ended: the clock alone takes the activity off
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert f'data-activity="{a.pk}"' not in neighbour.get(ACTIVITIES).content.decode()


def test_the_wall_of_cards_is_drawn_once_for_a_community(w: World, settings: Any, monkeypatch: Any) -> None:
    """/volunteering/community/members/: every member of a community is shown the same wall; a neighbour is served it
    without reading the cards, another community never sees it, and a pledge made through the services shows at once."""
    settings.GONGJIAN_LIST_CACHE = True
    ready(w)
    other_a1, neighbour_member = new_member(w, 1)
    url = "/volunteering/community/members/"
    first = client(w.u["m1"]).get(url).content.decode()
    assert neighbour_member.name in first and w.m["m1"].name in first
    drawn: list[int] = []
    real = member_selectors.cards_for

    def counting(rows: list[Any]) -> Any:
        drawn.append(len(rows))
        return real(rows)

    monkeypatch.setattr(member_selectors, "cards_for", counting)
    page = client(other_a1).get(url).content.decode()
    assert w.m["m1"].name in page and drawn == []  # served what m1's visit drew
    elsewhere = client(w.u["m2"]).get(url).content.decode()  # 路砦社区's own wall, never 淮河社区's
    assert w.m["m2"].name in elsewhere and neighbour_member.name not in elsewhere and drawn == [1]
    member_svc.pledge_make(actor=w.u["m1"], content="每月为邻居义务理发", due_date=timezone.localdate())
    assert "每月为邻居义务理发" in client(other_a1).get(url).content.decode()  # an audited write: drawn again
