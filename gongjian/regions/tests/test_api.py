from __future__ import annotations

import pytest

from gongjian.accounts.models import ApiToken
from gongjian.regions.models import Region

pytestmark = pytest.mark.django_db
BASE = "/api/v1/regions"


@pytest.fixture
def api(client):
    def _for(user):
        _token, raw = ApiToken.issue(user)
        return lambda method, url, **kw: getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {raw}", content_type="application/json", **kw)

    return _for


def test_requires_authentication(client, tree):
    resp = client.get(f"{BASE}/")
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"


def test_list_and_search_are_scoped(tree, actors, api):
    call = api(actors.erqi)
    data = call("get", f"{BASE}/").json()
    codes = [r["code"] for r in data["items"]]
    assert data["count"] == 4 and codes[0] == "410103" and all(c.startswith("410103") for c in codes)
    data = call("get", f"{BASE}/?q=淮河").json()
    assert data["items"][0]["name"] in ("淮河路街道", "淮河社区")
    assert call("get", f"{BASE}/?q=花园路").json()["count"] == 0
    second = call("get", f"{BASE}/?page=2&size=1").json()
    assert second["items"][0]["code"] == "410103001000"
    assert (second["count"], second["page"], second["size"], second["pages"]) == (4, 2, 1, 4)
    assert call("get", f"{BASE}/?size=100000").json()["size"] == 100  # clamped to GONGJIAN_API_MAX_PAGE_SIZE
    bad = call("get", f"{BASE}/?size=many")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_get_children_departments_and_404_outside(tree, actors, api):
    call = api(actors.erqi)
    r = call("get", f"{BASE}/410103001001").json()
    assert r["parent_code"] == "410103001000" and r["full_name"] == "郑州市二七区淮河路街道淮河社区"
    kids = call("get", f"{BASE}/410103/children").json()
    assert (kids["page"], kids["size"], kids["pages"]) == (1, 20, 1)
    assert kids["count"] == 1 and kids["items"][0]["communities"] == 2 and kids["items"][0]["child_count"] == 2
    depts = call("get", f"{BASE}/410103/departments").json()
    assert [d["name"] for d in depts["items"]] == ["二七区民政局"]
    for url in (f"{BASE}/410105", f"{BASE}/410105/children", f"{BASE}/410105/departments", f"{BASE}/410100", f"{BASE}/nonsense"):
        resp = call("get", url)
        assert resp.status_code == 404 and resp.json() == {"code": "not_found", "message": resp.json()["message"], "details": {}}


def test_roles_without_view_are_forbidden(tree, actors, api):
    resp = api(actors.member)("get", f"{BASE}/")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"


def test_create_and_update(tree, actors, api):
    call = api(actors.erqi)
    resp = call("post", f"{BASE}/", data={"code": "410103001080", "name": "接口社区", "level": "community", "parent_code": "410103001000"})
    assert resp.status_code == 201 and resp.json()["full_name"].endswith("接口社区")
    resp = call("post", f"{BASE}/", data={"code": "410103001080", "name": "重复", "level": "community", "parent_code": "410103001000"})
    assert resp.status_code == 400 and "code" in resp.json()["details"]
    resp = call("post", f"{BASE}/", data={"code": "410105002080", "name": "外区", "level": "community", "parent_code": "410105002000"})
    assert resp.status_code == 404
    resp = call("patch", f"{BASE}/410103001080", data={"name": "改名社区"})
    assert resp.status_code == 200 and resp.json()["name"] == "改名社区"
    assert api(actors.sub_a)("patch", f"{BASE}/410103001080", data={"name": "x"}).status_code == 403
    assert Region.objects.get(code="410103001080").name == "改名社区"
