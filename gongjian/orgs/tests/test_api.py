from __future__ import annotations

import datetime as dt

import pytest

from gongjian.accounts.models import ApiToken
from gongjian.core import fakes, pii
from gongjian.core.models import AuditEvent
from gongjian.orgs import services
from gongjian.orgs.models import Member
from gongjian.testing import factories as f


@pytest.fixture
def api(client):
    def _for(user):
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path, **params):
                return client.get(f"/api/v1/orgs{path}", params, **headers)

            def post(self, path, body):
                return client.post(f"/api/v1/orgs{path}", body, content_type="application/json", **headers)

            def patch(self, path, body):
                return client.patch(f"/api/v1/orgs{path}", body, content_type="application/json", **headers)

        return C()

    return _for


def test_members_are_masked_and_scoped(world, api):
    c = api(world.users["community_admin"])
    resp = c.get("/members")
    assert resp.status_code == 200
    data = resp.json()
    assert data["count"] == 1 and [m["name"] for m in data["items"]] == ["张伟"]
    idn = pii.decrypt(world.m_a1.id_number_enc)
    assert data["items"][0]["id_number_masked"] == pii.mask_id_number(idn)
    assert idn not in resp.content.decode() and "13800001111" not in resp.content.decode()
    assert c.get(f"/members/{world.m_a1.pk}").status_code == 200
    out = c.get(f"/members/{world.m_b1.pk}")
    assert out.status_code == 404 and out.json()["code"] == "not_found"
    assert c.get("/members", q=idn).json()["count"] == 1
    assert c.get("/members", in_service="true").json()["count"] == 0


def test_unauthenticated_and_roles_without_access(world, api, client):
    assert client.get("/api/v1/orgs/members").status_code == 401
    assert api(world.users["resident"]).get("/members").status_code == 404
    assert api(world.users["member"]).get(f"/members/{world.m_a1.pk}").status_code == 200
    assert api(world.users["member"]).get(f"/members/{world.m_a2.pk}").status_code == 404


def test_member_create_validation_errors_in_core_shape(world, api):
    c = api(world.users["community_admin"])
    resp = c.post("/members", {"name": "", "id_number": "410103199013011234", "org_id": world.org_a1.pk})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid" and {"name", "id_number"} <= set(body["details"])
    resp = c.post("/members", {"name": "外区", "id_number": f.new_id_number(), "org_id": world.org_b1.pk})
    assert resp.status_code == 400 and "org" in resp.json()["details"]
    idn = f.new_id_number("410103", "female", dt.date(1992, 2, 2))
    resp = c.post("/members", {"name": "周芳", "id_number": idn, "org_id": world.org_a1.pk, "phone": "13912341234",
                               "home_community_id": world.tree.comm_a1.pk})
    assert resp.status_code == 201, resp.content
    assert resp.json()["gender"] == "female" and resp.json()["phone_masked"] == "139****1234"
    again = c.post("/members", {"name": "周芳", "id_number": idn, "org_id": world.org_a1.pk})
    assert again.status_code == 400 and "id_number" in again.json()["details"]
    assert api(world.users["unit_liaison"]).post("/members", {"name": "x", "id_number": idn, "org_id": world.org_a1.pk}).status_code == 403
    bad = c.post("/members", {"name": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert Member.objects.filter(name="周芳").count() == 1


def test_orgs_units_policies(world, api):
    c = api(world.users["district_admin"])
    orgs = c.get("/orgs").json()
    assert {o["name"] for o in orgs["items"]} == {"淮河路街道党工委", "淮河社区第一党支部", "路砦社区党支部"}
    assert c.get(f"/orgs/{world.org_b1.pk}").status_code == 404
    assert c.get(f"/orgs/{world.org_a1.pk}").json()["member_count"] == 1
    units = c.get("/units").json()
    assert [u["name"] for u in units["items"]] == ["二七区某机关"]
    assert c.get(f"/units/{world.unit_b.pk}").status_code == 404
    p = services.policy_create(actor=world.users["district_admin"], title="社区党组织工作规则", level="district", issuer="二七区委",
                               issued_on=dt.date(2024, 2, 1), body="规则正文", region=world.tree.erqi)
    res = api(world.users["resident"]).get("/policies", q="党组织").json()
    assert [x["id"] for x in res["items"]] == [p.pk] and res["items"][0]["score"] > 0
    assert api(world.users["resident"]).get(f"/policies/{p.pk}").json()["body"] == "规则正文"
    assert c.get("/members", size=1000).json()["size"] == 100


def test_member_patch_and_audited_pii(world, api):
    c = api(world.users["community_admin"])
    resp = c.patch(f"/members/{world.m_a1.pk}", {"phone": "13700007777"})
    assert resp.status_code == 200 and resp.json()["phone_masked"] == "137****7777"
    assert c.patch(f"/members/{world.m_a1.pk}", {"id_number": "123"}).json()["code"] == "invalid"
    assert c.patch(f"/members/{world.m_b1.pk}", {"name": "x"}).status_code == 404
    full = c.post(f"/members/{world.m_a1.pk}/pii", {})
    assert full.status_code == 200 and full.json()["phone"] == "13700007777"
    assert AuditEvent.objects.filter(verb="pii.read", target_id=str(world.m_a1.pk)).count() == 1
    assert api(world.users["district_admin"]).post(f"/members/{world.m_a1.pk}/pii", {}).status_code == 404
    assert api(world.users["member"]).patch(f"/members/{world.m_a1.pk}", {"name": "我"}).status_code == 403


def test_create_orgs_units_policies(world, api):
    c = api(world.users["district_admin"])
    resp = c.post("/orgs", {"name": "新党支部", "rank": "branch", "region_id": world.tree.comm_a2.pk, "sector": "community",
                            "parent_id": world.committee_a.pk})
    assert resp.status_code == 201 and resp.json()["parent_id"] == world.committee_a.pk
    bad = c.post("/orgs", {"name": "外区", "rank": "branch", "region_id": world.tree.comm_b1.pk, "sector": "community"})
    assert bad.status_code == 400 and "region" in bad.json()["details"]
    import random

    code = fakes.uscc_code(random.Random(3), area_code="410103")
    resp = c.post("/units", {"name": "新单位", "uscc": code, "kind": "enterprise", "region_id": world.tree.comm_a1.pk, "lat": 34.7})
    assert resp.status_code == 201 and resp.json()["uscc"] == code
    assert c.post("/units", {"name": "重复", "uscc": code, "kind": "enterprise", "region_id": world.tree.comm_a1.pk}).status_code == 400
    resp = c.post("/policies", {"title": "办法", "level": "district", "issuer": "区委", "issued_on": "2024-01-01", "body": "正文",
                                "region_id": world.tree.erqi.pk})
    assert resp.status_code == 201
    assert api(world.users["community_admin"]).post("/policies", {"title": "办法", "level": "district", "issuer": "区委",
                                                                  "issued_on": "2024-01-01", "body": "正文"}).status_code == 403
