"""The lists of a whole city (issue #12): each page and API list counts its rows once per version of the module (a
committed write moves it), reads a page's rows keys first with their totals computed for those rows only, keeps its
number of queries whatever the rows, and bounds its community filter; "my hours" are the caller's own."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongjian.accounts.choices import Role, ScopeKind
from gongjian.accounts.models import Scope
from gongjian.core import picker, registry
from gongjian.regions.choices import Level
from gongjian.testing import factories as f
from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.choices import HoldingStatus, ReportInStatus
from gongjian.volunteering.common import cached_count, counted
from gongjian.volunteering.members import services as member_svc
from gongjian.volunteering.models import HourRecord, MemberReportIn
from gongjian.volunteering.roads import services as road_svc

from .domain import World, w_fixture  # noqa: F401
from .test_activities_world import activity, new_member, ready, report_in

pytestmark = pytest.mark.django_db

PAGES = ["/volunteering/report-ins/", "/volunteering/report-ins/?status=pending", "/volunteering/pledges/", "/volunteering/receipts/",
         "/volunteering/activities/", "/volunteering/activities/hours/", "/volunteering/activities/posts/", "/volunteering/roads/",
         "/volunteering/roads/patrols/", "/volunteering/roads/reports/"]
API = ["report-ins", "pledges", "receipts", "activities/", "activities/hours", "activities/posts", "activities/brands", "roads/segments",
       "roads/chiefs", "roads/patrols", "roads/reports"]
URLS = PAGES + [f"/api/v1/volunteering/{p}" for p in API]


def client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def fill(w: World, start: int, n: int) -> None:
    """``n`` more members of 淮河社区, each with a report-in, a pledge, hours, an application for a new post, an activity, and
    a road segment he is chief of, patrols and reports on."""
    year = timezone.localdate().year
    admin = w.u["comm_a1"]
    for i in range(start, start + n):
        account, m = new_member(w, i)
        member_svc.pledge_make(actor=account, content=f"承诺{i}", due_date=dt.date(year, 12, 31))
        svc.hours_credit(actor=admin, member=m, community=w.tree.comm_a1, kind="task", hours="1", date=timezone.localdate())
        post = svc.post_create(actor=admin, community=w.tree.comm_a1, kind="grid", name=f"网格员{i}", needed=2)
        svc.holding_apply(actor=account, post=post)
        svc.brand_create(actor=admin, community=w.tree.comm_a1, name=f"品牌{i}")
        activity(w)
        seg = road_svc.segment_create(actor=admin, community=w.tree.comm_a1, name=f"路{i}")
        road_svc.chief_assign(actor=admin, segment=seg, member=m)
        road_svc.patrol_log(actor=account, segment=seg)
        road_svc.report_create(actor=account, segment=seg, title=f"问题{i}")


def outer(sql: str) -> str:
    """The statement without its parenthesised parts (subqueries)."""
    while True:
        shorter = re.sub(r"\([^()]*\)", "", sql)
        if shorter == sql:
            return sql
        sql = shorter


def measured(c: Client, url: str) -> list[str]:
    """The SQL of a request whose list count is already kept (the request before counted it)."""
    assert c.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


def test_city_lists_count_once_and_keep_their_queries(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    with django_capture_on_commit_callbacks(execute=True):
        fill(w, 0, 2)
    city = client(w.u["city"])
    before = {}
    for url in URLS:
        sql = measured(city, url)
        counts = [q for q in sql if re.search(r"SELECT COUNT\(\*\)", q) and "core_notification" not in q]
        assert counts == [], (url, counts)  # the list's number (and the page's waiting counts) come from the cache
        assert not [q for q in sql if "GROUP BY" in outer(q)], url  # totals per row are subqueries of the page's rows
        before[url] = len(sql)
    with django_capture_on_commit_callbacks(execute=True):
        fill(w, 2, 5)
    after = {url: len(measured(city, url)) for url in URLS}
    assert after == before


def test_a_committed_write_refreshes_the_kept_counts(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    qs = MemberReportIn.objects.filter(region_path__startswith=w.tree.city.path)
    assert cached_count(qs) == 3
    _account, m = new_member(w, 1, confirmed=False)
    pending = report_in(m, w.tree.comm_a1, status=ReportInStatus.PENDING)  # written without a service: the kept count stays
    assert cached_count(qs) == 3
    with django_capture_on_commit_callbacks(execute=True):
        registry.bump("volunteering")  # what every service of the module does on commit
    assert cached_count(qs) == 4
    admin = client(w.u["comm_a1"])

    def waiting() -> str:
        found = re.search(r'id="pending-link">[^<]*<span class="badge ms-1">(\d+)</span>', admin.get("/volunteering/report-ins/").content.decode())
        assert found
        return found.group(1)

    assert waiting() == "1"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"/volunteering/report-ins/{pending.pk}/confirm/").status_code == 302
    assert waiting() == "0"  # the administrator's own confirmation is counted at once


def test_a_page_is_read_keys_first_in_the_lists_order(w: World) -> None:
    ready(w)
    for i in range(7):
        new_member(w, 10 + i)
    qs = MemberReportIn.objects.select_related("member", "community").order_by("-reported_at", "-id")
    rows = counted(qs)
    assert [r.pk for r in rows[2:6]] == [r.pk for r in qs[2:6]] and rows[2:6][0].member.name
    assert rows[100:120] == [] and len(rows) == qs.count() == 10


def test_post_page_shows_the_newest_applications_and_how_many_wait(w: World) -> None:
    ready(w)
    post = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="grid", name="网格员", needed=30)
    for i in range(25):
        account, _m = new_member(w, 40 + i)
        svc.holding_apply(actor=account, post=post)
    html = client(w.u["city"]).get("/volunteering/activities/posts/").content.decode()
    assert html.count('data-action="approve"') == 20 and "(25)" in html
    page = client(w.u["city"]).get("/api/v1/volunteering/activities/posts?size=1").json()
    assert page["count"] == 1 and page["items"][0]["name"] == "网格员" and page["items"][0]["holders"] == 0
    assert post.holdings.filter(status=HoldingStatus.APPLIED).count() == 25


def test_the_community_filter_of_a_city_is_bounded_and_searched(w: World) -> None:
    ready(w)
    extra = [f.region(f"410103001{100 + i}", f"测试{i:02d}社区", Level.COMMUNITY, w.tree.sub_a) for i in range(60)]
    city = client(w.u["city"])
    for url in [p for p in PAGES if "pledges" not in p and "receipts" not in p]:  # the lists with a community filter
        html = city.get(url).content.decode()
        select = re.search(r'<select class="form-select" name="community" id="filter-community".*?</select>', html, re.S)
        assert select, url
        assert len(re.findall(r'<option value="\d+"', select.group(0))) == picker.PICKER_LIMIT, url
        assert 'name="community_q"' in html, url
    chosen = extra[59]
    html = city.get(f"/volunteering/roads/patrols/?community={chosen.pk}").content.decode()
    assert f'<option value="{chosen.pk}" selected>测试59社区</option>' in html  # the chosen one is always listed
    options = city.get("/volunteering/roads/patrols/?partial=community&community_q=测试57").content.decode()
    assert "测试57社区" in options and "测试56社区" not in options and "<html" not in options
    assert client(w.u["m1"]).get("/volunteering/roads/patrols/?partial=community&community_q=测试").status_code == 404
    # a subdistrict's few communities: a plain select; a community: none
    sub = client(f.user(Role.SUBDISTRICT_ADMIN, region=w.tree.sub_b)).get("/volunteering/activities/hours/").content.decode()
    assert 'id="filter-community"' in sub and 'name="community_q"' not in sub
    assert 'id="filter-community"' not in client(w.u["comm_a1"]).get("/volunteering/activities/hours/").content.decode()


def test_my_hours_are_the_callers_own_whatever_his_roles(w: World) -> None:
    ready(w)
    today = timezone.localdate()
    for key in ("m1", "m2"):
        community = w.tree.comm_a1 if key == "m1" else w.tree.comm_a2
        HourRecord.objects.create(member=w.m[key], community=community, region_path=community.path, kind="task", hours=2, date=today)
    assert client(w.u["comm_a1"]).get("/api/v1/volunteering/activities/hours/mine").status_code == 404  # no member record
    Scope.objects.create(user=w.u["m1"], role=Role.SUBDISTRICT_ADMIN, kind=ScopeKind.REGION, region=w.tree.sub_a)  # m1 is staff too
    m1 = client(w.u["m1"])
    page = m1.get("/api/v1/volunteering/activities/hours/mine").json()
    assert page["count"] == 1 and [r["member_id"] for r in page["items"]] == [w.m["m1"].pk]
    assert 'data-total="pending">2<' in m1.get("/volunteering/activities/hours/mine/").content.decode()  # not 4: m2's are not his


def test_road_chiefs_answer_pages(w: World) -> None:
    ready(w)
    for i in range(3):
        _account, m = new_member(w, 70 + i)
        seg = road_svc.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"路{i}")
        road_svc.chief_assign(actor=w.u["comm_a1"], segment=seg, member=m)
    page = client(w.u["city"]).get("/api/v1/volunteering/roads/chiefs?size=2&page=2").json()
    assert (page["count"], page["pages"], page["page"], len(page["items"])) == (3, 2, 2, 1)
