from __future__ import annotations

import pytest

from gongjian.accounts.models import ApiToken
from gongjian.cobuild import services
from gongjian.cobuild.models import Need, Resource


@pytest.fixture
def api(client):
    def _for(user):
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path, **params):
                return client.get(f"/api/v1/cobuild{path}", params, **headers)

            def post(self, path, body=None):
                return client.post(f"/api/v1/cobuild{path}", body or {}, content_type="application/json", **headers)

            def patch(self, path, body):
                return client.patch(f"/api/v1/cobuild{path}", body, content_type="application/json", **headers)

        return C()

    return _for


def test_needs_api_create_update_publish_scoped(world, api):
    c = api(world.users["community_admin"])
    r = c.post("/needs", {"title": "加装扶手", "community_id": world.tree.comm_a1.pk, "category_id": world.cat.pk, "lat": 34.74, "lng": 113.6})
    assert r.status_code == 201, r.content
    nid = r.json()["id"]
    assert r.json()["status"] == "draft" and r.json()["category_name"] == "助老"
    r = c.post("/needs", {"title": "x", "community_id": world.tree.comm_a1.pk, "lat": 95, "lng": 113, "wanted_from": "2027-02-01",
                          "wanted_to": "2027-01-01"})
    assert r.status_code == 400 and r.json()["code"] == "invalid" and {"lat", "wanted_to"} <= set(r.json()["details"])
    assert c.patch(f"/needs/{nid}", {"title": "加装楼道扶手"}).json()["title"] == "加装楼道扶手"
    assert c.post(f"/needs/{nid}/publish").json()["status"] == "published"
    r = c.post(f"/needs/{nid}/publish")
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert c.get("/needs").json()["count"] == 1 and c.get("/needs", status="draft").json()["count"] == 0
    other = api(world.users["community_admin_b"])
    for resp in (other.get(f"/needs/{nid}"), other.patch(f"/needs/{nid}", {"title": "x"}), other.post(f"/needs/{nid}/withdraw")):
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert other.get("/needs").json()["count"] == 0
    assert api(world.users["unit_liaison"]).get("/needs").status_code == 404
    assert Need.objects.get(pk=nid).title == "加装楼道扶手"


def test_resources_api_liaison(world, api):
    c = api(world.users["unit_liaison"])
    r = c.post("/resources", {"unit_id": world.unit_a.pk, "title": "活动室", "kind": "venue", "capacity": 120, "capacity_unit": "m2",
                              "service_region_ids": [world.tree.comm_a2.pk], "radius_km": 2})
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert r.json()["remaining"] == 120 and r.json()["service_region_ids"] == [world.tree.comm_a2.pk]
    r = c.post("/resources", {"unit_id": world.unit_b.pk, "title": "x", "kind": "venue"})
    assert r.status_code == 400 and "unit" in r.json()["details"]
    r = c.post("/resources", {"unit_id": world.unit_a.pk, "title": "x", "kind": "venue", "capacity": -5, "capacity_unit": "m2"})
    assert r.status_code == 400 and "capacity" in r.json()["details"]
    assert c.patch(f"/resources/{rid}", {"capacity": 200}).json()["remaining"] == 200
    assert c.post(f"/resources/{rid}/publish").json()["status"] == "offered"
    other = api(world.users["unit_liaison_b"])
    for resp in (other.get(f"/resources/{rid}"), other.patch(f"/resources/{rid}", {"title": "x"}), other.post(f"/resources/{rid}/publish")):
        assert resp.status_code == 404
    assert other.get("/resources").json()["count"] == 0
    assert api(world.users["community_admin"]).get("/resources", kind="venue").json()["count"] == 1
    assert Resource.objects.get(pk=rid).title == "活动室"


def test_api_needs_authentication(client):
    assert client.get("/api/v1/cobuild/needs").status_code == 401


def test_resident_api_sees_own_wishes_only(world, api):
    services.need_submit_wish(actor=world.users["resident"], title="台灯")
    services.need_submit_wish(actor=world.users["resident_b"], title="轮椅")
    r = api(world.users["resident"]).get("/needs")
    assert [n["title"] for n in r.json()["items"]] == ["台灯"]
