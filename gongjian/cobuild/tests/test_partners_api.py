"""API of unit report-in and partnerships: scoped like the pages, one error shape, hostile bodies."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gongjian.accounts.models import ApiToken
from gongjian.cobuild.models import Partnership, PartnershipAgreement, UnitReportIn
from gongjian.core.models import AuditEvent

from .test_partners_services import PW, build_pw, partner, report


@pytest.fixture
def pw(world) -> PW:
    return build_pw(world)


@pytest.fixture
def api(client):
    def _for(user):
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path, **params):
                return client.get(f"/api/v1/cobuild{path}", params, **headers)

            def post(self, path, body=None, raw_body=None):
                data = raw_body if raw_body is not None else (body or {})
                return client.post(f"/api/v1/cobuild{path}", data, content_type="application/json", **headers)

            def patch(self, path, body):
                return client.patch(f"/api/v1/cobuild{path}", body, content_type="application/json", **headers)

        return C()

    return _for


def _shape(r, status, code):
    assert r.status_code == status, r.content
    body = r.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code and body["message"], body
    return body


def test_report_in_lifecycle(pw, api):
    liaison = api(pw.users["unit_liaison"])
    body = {"unit_id": pw.w.unit_a.pk, "community_id": pw.w.tree.comm_a1.pk, "party_org_id": pw.org_a.pk, "contact_name": "王建国",
            "offer": "会议室"}
    r = liaison.post("/report-ins", body)
    assert r.status_code == 201, r.content
    ri = r.json()
    assert ri["status"] == "pending" and ri["unit_name"] == "二七区某机关" and ri["party_org_name"] == "二七区某机关机关党支部"
    err = _shape(liaison.post("/report-ins", body), 409, "duplicate")
    assert "不能重复报到" in err["message"] and "community" in err["details"]
    err = _shape(liaison.post("/report-ins", {**body, "community_id": pw.w.tree.comm_a2.pk}), 400, "invalid")
    assert "只能向单位所在的社区报到" in err["details"]["community"][0]
    _shape(liaison.post(f"/report-ins/{ri['id']}/confirm"), 403, "forbidden")
    admin = api(pw.users["community_admin"])
    assert admin.get("/report-ins").json()["count"] == 1
    assert admin.get("/report-ins", status="pending").json()["items"][0]["id"] == ri["id"]
    _shape(admin.post(f"/report-ins/{ri['id']}/reject", {"reason": ""}), 400, "invalid")
    assert admin.post(f"/report-ins/{ri['id']}/confirm").json()["status"] == "confirmed"
    err = _shape(admin.post(f"/report-ins/{ri['id']}/confirm"), 409, "invalid_transition")
    assert "不能变更为" in err["message"]
    _shape(admin.post(f"/report-ins/{ri['id']}/reject", {"reason": "x"}), 409, "invalid_transition")
    got = liaison.post(f"/report-ins/{ri['id']}/end", {"reason": "单位搬迁"}).json()
    assert got["status"] == "ended" and got["reason"] == "单位搬迁" and got["ended_at"]
    assert liaison.get(f"/report-ins/{ri['id']}").json()["status"] == "ended"


@pytest.mark.parametrize("role", ["community_admin_b", "jinshui_admin", "unit_liaison_b", "liaison_d"])
def test_report_in_out_of_scope_is_404(pw, api, role):
    ri = report(pw)
    c = api(pw.users[role])
    for resp in (c.get(f"/report-ins/{ri.pk}"), c.post(f"/report-ins/{ri.pk}/confirm"), c.post(f"/report-ins/{ri.pk}/reject", {"reason": "x"}),
                 c.post(f"/report-ins/{ri.pk}/end", {"reason": "x"})):
        _shape(resp, 404, "not_found")
    assert c.get("/report-ins").json()["count"] == 0
    assert UnitReportIn.objects.get().status == "pending"


@pytest.mark.parametrize("role", ["resident", "member", "instructor", "nobody"])
def test_roles_without_the_module(pw, api, role):
    c = api(pw.users[role])
    for path in ("/report-ins", "/partnerships"):
        _shape(c.get(path), 404, "not_found")
    _shape(c.post("/report-ins", {"unit_id": pw.w.unit_a.pk, "community_id": pw.w.tree.comm_a1.pk, "party_org_id": pw.org_a.pk}),
           403, "forbidden")
    _shape(c.post("/partnerships", {"branch_id": pw.org_b.pk, "community_id": pw.w.tree.comm_a1.pk}), 403, "forbidden")


def test_hostile_bodies(pw, api):
    c = api(pw.users["unit_liaison"])
    events = AuditEvent.objects.count()
    base = {"unit_id": pw.w.unit_a.pk, "community_id": pw.w.tree.comm_a1.pk, "party_org_id": pw.org_a.pk, "contact_name": "王"}
    for body, status in [
        ({**base, "unit_id": "abc"}, 422), ({**base, "community_id": [1]}, 422), ({**base, "party_org_id": None}, 422),
        ({**base, "contact_name": {"x": 1}}, 422), ({**base, "community_id": 10**30}, 400),
        ({**base, "contact_name": "a\x00b"}, 422), ({**base, "offer": "长" * 5000}, 400), ({**base, "community_id": -5}, 400),
        ({**base, "unit_id": pw.w.unit_b.pk, "community_id": pw.w.tree.comm_b1.pk, "party_org_id": pw.org_b.pk}, 400),
    ]:
        r = c.post("/report-ins", body)
        assert r.status_code == status, (body, r.content)
        assert set(r.json()) == {"code", "message", "details"}
    r = c.post("/report-ins", raw_body="{not json")
    assert r.status_code in (400, 422) and set(r.json()) == {"code", "message", "details"}
    assert UnitReportIn.objects.count() == 0 and AuditEvent.objects.count() == events
    for params in ({"page": "x"}, {"size": "100000"}, {"community": "abc"}, {"status": "'; DROP"}):
        assert c.get("/report-ins", **params).status_code in (200, 422)
    r = c.get("/report-ins/99999999999999999999")
    assert r.status_code in (404, 422) and set(r.json()) == {"code", "message", "details"}


def test_partnerships_and_agreements(pw, api):
    admin = api(pw.users["community_admin"])
    r = admin.post("/partnerships", {"branch_id": pw.org_b.pk, "community_id": pw.w.tree.comm_a1.pk, "started_on": "2024-03-01"})
    assert r.status_code == 201, r.content
    p = r.json()
    assert p["unit_name"] == "省供销合作总社" and p["status"] == "active" and p["agreements"] == [] and not p["signed_this_year"]
    _shape(admin.post("/partnerships", {"branch_id": pw.org_b.pk, "community_id": pw.w.tree.comm_a1.pk}), 409, "duplicate")
    err = _shape(admin.post("/partnerships", {"branch_id": pw.community_branch.pk, "community_id": pw.w.tree.comm_a1.pk}), 400, "invalid")
    assert "机关" in err["details"]["branch"][0]
    _shape(admin.post("/partnerships", {"branch_id": pw.org_a.pk, "community_id": pw.w.tree.comm_b1.pk}), 400, "invalid")
    year = timezone.localdate().year
    r = admin.post(f"/partnerships/{p['id']}/agreements", {"year": year, "branch_commitments": "助老", "community_commitments": "场地"})
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["status"] == "draft"
    _shape(admin.post(f"/partnerships/{p['id']}/agreements", {"year": year, "branch_commitments": "x", "community_commitments": "y"}),
           400, "invalid")
    _shape(admin.post(f"/partnerships/{p['id']}/agreements", {"year": 2023, "branch_commitments": "x", "community_commitments": "y"}),
           400, "invalid")
    # the branch's liaison edits his side, cannot sign
    liaison = api(pw.users["unit_liaison_b"])
    assert liaison.patch(f"/agreements/{a['id']}", {"branch_commitments": "每月助老"}).json()["branch_commitments"] == "每月助老"
    _shape(liaison.post(f"/agreements/{a['id']}/sign", {}), 403, "forbidden")
    assert liaison.get("/partnerships").json()["count"] == 1
    _shape(api(pw.users["unit_liaison"]).get(f"/partnerships/{p['id']}"), 404, "not_found")
    _shape(api(pw.users["community_admin_b"]).patch(f"/agreements/{a['id']}", {"branch_commitments": "x"}), 404, "not_found")
    _shape(api(pw.users["community_admin_b"]).post(f"/partnerships/{p['id']}/end", {"reason": "x"}), 404, "not_found")
    assert admin.get("/partnerships", missing="1").json()["count"] == 1
    signed = admin.post(f"/agreements/{a['id']}/sign", {"signed_on": str(timezone.localdate())}).json()
    assert signed["status"] == "signed"
    _shape(admin.post(f"/agreements/{a['id']}/sign", {}), 409, "invalid_transition")
    _shape(admin.patch(f"/agreements/{a['id']}", {"branch_commitments": "改"}), 409, "invalid_transition")
    assert admin.get("/partnerships", missing="1").json()["count"] == 0
    got = admin.get(f"/partnerships/{p['id']}").json()
    assert got["signed_this_year"] and got["agreements"][0]["signed_on"] == str(timezone.localdate())
    _shape(admin.post(f"/partnerships/{p['id']}/end", {"reason": ""}), 400, "invalid")
    _shape(admin.post(f"/partnerships/{p['id']}/end", {"reason": "x", "ended_on": "not a date"}), 422, "invalid")
    ended = admin.post(f"/partnerships/{p['id']}/end", {"reason": "调整", "ended_on": "2025-01-31"}).json()
    assert ended["status"] == "ended" and ended["ended_on"] == "2025-01-31"
    _shape(admin.post(f"/partnerships/{p['id']}/end", {"reason": "再次"}), 409, "invalid_transition")
    assert Partnership.objects.get().end_reason == "调整" and PartnershipAgreement.objects.count() == 1


def test_partnership_list_is_scoped(pw, api):
    p1 = partner(pw)
    p2 = partner(pw, actor="jinshui_admin", branch=pw.org_a, community=pw.w.tree.comm_b2)
    ids = {role: {x["id"] for x in api(pw.users[role]).get("/partnerships").json()["items"]}
           for role in ("city_admin", "district_admin", "community_admin", "community_admin_b", "jinshui_admin", "unit_liaison",
                        "unit_liaison_b")}
    assert ids == {"city_admin": {p1.pk, p2.pk}, "district_admin": {p1.pk}, "community_admin": {p1.pk}, "community_admin_b": set(),
                   "jinshui_admin": {p2.pk}, "unit_liaison": {p2.pk}, "unit_liaison_b": {p1.pk}}
    page = api(pw.users["city_admin"]).get("/partnerships", size=1, page=2).json()
    assert page["count"] == 2 and page["pages"] == 2 and len(page["items"]) == 1
