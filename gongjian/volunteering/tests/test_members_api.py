"""API of members' report-in, receipts and pledges: same rules as the pages, scoped, errors in the house shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gongjian.accounts.models import ApiToken
from gongjian.volunteering.choices import ReportInStatus
from gongjian.volunteering.models import FeedbackReceipt, MemberReportIn, Pledge

from .domain import World, w_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def _for(user: Any) -> Any:
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path: str, **params: Any) -> Any:
                return client.get(f"/api/v1/volunteering{path}", params, **headers)

            def post(self, path: str, body: Any = None) -> Any:
                return client.post(f"/api/v1/volunteering{path}", body or {}, content_type="application/json", **headers)

            def put(self, path: str, body: Any) -> Any:
                return client.put(f"/api/v1/volunteering{path}", body, content_type="application/json", **headers)

        return C()

    return _for


def test_report_in_through_the_api(w: World, api):
    m1 = api(w.u["m1"])
    r = m1.post("/report-ins", {"community_id": w.tree.comm_a1.pk, "id_number": w.id_numbers["m2"]})
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "id_number" in r.json()["details"]
    assert MemberReportIn.objects.count() == 0
    r = m1.post("/report-ins", {"community_id": w.tree.sub_a.pk, "id_number": w.id_numbers["m1"]})
    assert r.status_code == 400 and "community" in r.json()["details"]
    r = m1.post("/report-ins", {"community_id": w.tree.comm_a1.pk, "id_number": w.id_numbers["m1"], "skills": "急救"})
    assert r.status_code == 201 and r.json()["status"] == ReportInStatus.PENDING and r.json()["unit_name"] == "二七区委组织部"
    rid = r.json()["id"]
    r = m1.post("/report-ins", {"community_id": w.tree.comm_a2.pk, "id_number": w.id_numbers["m1"]})
    assert r.status_code == 409 and r.json()["code"] == "duplicate"
    assert m1.get("/report-ins").json()["count"] == 1
    assert api(w.u["m2"]).get("/report-ins").json()["count"] == 0
    assert api(w.u["m2"]).get(f"/report-ins/{rid}").status_code == 404
    # the member cannot confirm his own; another community's admin does not find it
    assert m1.post(f"/report-ins/{rid}/confirm").status_code in (403, 404)
    assert api(w.u["comm_b1"]).post(f"/report-ins/{rid}/confirm").status_code == 404
    assert MemberReportIn.objects.get().status == ReportInStatus.PENDING
    a = api(w.u["comm_a1"])
    assert a.post(f"/report-ins/{rid}/reject", {"reason": ""}).status_code == 400
    r = a.post(f"/report-ins/{rid}/confirm")
    assert r.status_code == 200 and r.json()["status"] == ReportInStatus.CONFIRMED
    assert a.post(f"/report-ins/{rid}/confirm").json()["code"] == "invalid_transition"
    assert api(w.u["liaison_a"]).get("/report-ins").json()["count"] == 1
    assert api(w.u["liaison_b"]).get("/report-ins").json()["count"] == 0
    # moving home
    r = m1.post("/report-ins", {"community_id": w.tree.comm_b2.pk, "id_number": w.id_numbers["m1"], "move": True, "reason": "搬家"})
    assert r.status_code == 201
    assert MemberReportIn.objects.get(pk=rid).end_reason == "搬家"
    assert api(w.u["resident"]).get("/report-ins").status_code == 404


def test_receipts_and_pledges_through_the_api(w: World, api):
    m1 = api(w.u["m1"])
    rid = m1.post("/report-ins", {"community_id": w.tree.comm_a1.pk, "id_number": w.id_numbers["m1"]}).json()["id"]
    a = api(w.u["comm_a1"])
    a.post(f"/report-ins/{rid}/confirm")
    today = timezone.localdate()
    year = today.year  # a pledge is due within its year, from today on: the last day of the year and today always are
    r = m1.post("/pledges", {"content": "每月服务4小时", "due_date": f"{year}-12-31"})
    assert r.status_code == 201
    pid = r.json()["id"]
    assert m1.post("/pledges", {"content": "第二个", "due_date": f"{year}-12-31"}).status_code == 409
    assert m1.put(f"/pledges/{pid}", {"content": "每月服务6小时", "due_date": str(today)}).json()["content"] == "每月服务6小时"
    assert m1.post(f"/pledges/{pid}/assess", {"fulfilled": True}).status_code == 403
    assert api(w.u["comm_b1"]).post(f"/pledges/{pid}/assess", {"fulfilled": True}).status_code == 404
    assert a.post(f"/pledges/{pid}/assess", {"fulfilled": True, "remark": "好"}).json()["status"] == "fulfilled"
    assert Pledge.objects.get().status == "fulfilled"
    assert a.get("/pledges").json()["count"] == 1 and api(w.u["m2"]).get("/pledges").json()["count"] == 0
    # receipts: one, then all of the community
    assert a.post("/receipts", {"period": "2026H9", "report_in_id": rid}).status_code == 400
    r = a.post("/receipts", {"period": f"{year}H1", "report_in_id": rid, "remark": "积极"})
    assert r.status_code == 200 and r.json()["remark"] == "积极"
    rcid = r.json()["id"]
    r = a.post("/receipts", {"period": f"{year}H1", "community_id": w.tree.comm_a1.pk})
    assert r.status_code == 201 and r.json() == {"issued": 0, "refreshed": 1}
    assert FeedbackReceipt.objects.count() == 1
    assert api(w.u["liaison_a"]).get("/receipts").json()["count"] == 1
    assert api(w.u["liaison_b"]).get("/receipts").json()["count"] == 0
    pdf = api(w.u["liaison_a"]).get(f"/receipts/{rcid}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api(w.u["liaison_b"]).get(f"/receipts/{rcid}/pdf").status_code == 404
    assert api(w.u["m2"]).get(f"/receipts/{rcid}").status_code == 404
    assert m1.get(f"/receipts/{rcid}").json()["member_name"] == "王芳"
    assert api(w.u["liaison_a"]).post("/receipts", {"period": f"{year}H1", "report_in_id": rid}).status_code == 403
    assert dt.date.fromisoformat(m1.get("/receipts").json()["items"][0]["period_start"]) == dt.date(year, 1, 1)


def test_api_lists_keep_their_query_count(w: World, api, django_capture_on_commit_callbacks):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongjian.testing import factories as f
    from gongjian.volunteering.members import services

    year = timezone.localdate().year

    def more(n: int, start: int) -> None:
        for i in range(start, start + n):
            idn = f.new_id_number("410103", "male")
            account = f.user("member", region=w.tree.comm_a1, username=f"v_api{i}")
            f.member(w.org_a, name=f"党员{i}", id_number=idn, home=w.tree.comm_a1, employer=w.unit_a, in_service=True, user=account)
            r = services.report_in(actor=account, community=w.tree.comm_a1, id_number=idn)
            services.report_in_confirm(actor=w.u["comm_a1"], report_in=r)
            services.pledge_make(actor=account, content="承诺", due_date=dt.date(year, 12, 31))
        services.receipt_issue_all(actor=w.u["comm_a1"], community=w.tree.comm_a1, period=f"{year}H1")

    more(2, 0)
    paths = [("comm_a1", "/report-ins"), ("liaison_a", "/report-ins"), ("comm_a1", "/receipts"), ("liaison_a", "/receipts"),
             ("comm_a1", "/pledges")]
    clients = {key: api(w.u[key]) for key in ("comm_a1", "liaison_a")}
    before = {}
    for key, path in paths:
        clients[key].get(path)
        cache.clear()  # the list's count is not kept yet: the worst case, both times
        with CaptureQueriesContext(connection) as ctx:
            assert clients[key].get(path).status_code == 200
        before[(key, path)] = len(ctx.captured_queries)
    with django_capture_on_commit_callbacks(execute=True):  # committed: the counts kept in the cache are counted again
        more(6, 2)
    for key, path in paths:
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert clients[key].get(path).json()["count"] >= 8
        assert len(ctx.captured_queries) == before[(key, path)], (key, path)
