"""A NUL character (%00 in a URL, \\u0000 in JSON) cannot be stored or compared by PostgreSQL; it made
searches and API writes answer 500 there. It is the caller's error: 422 in the API, 400 on pages."""

from __future__ import annotations

import pytest
from django.test import Client

from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tree):
    return factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)


def test_nul_in_a_search_is_refused_not_a_server_error(admin, client):
    _row, raw = ApiToken.issue(admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for path in ("/api/v1/orgs/members?q=a%00b", "/api/v1/orgs/units?q=%00", "/api/v1/regions/?q=%00"):
        resp = api.get(path)
        assert resp.status_code == 422, path
        assert resp.json()["code"] == "invalid"
    client.force_login(admin)
    for path in ("/orgs/members/?q=a%00b", "/orgs/units/?q=%00", "/orgs/?q=%00", "/orgs/policies/?q=%00", "/regions/?q=%00"):
        assert client.get(path).status_code == 400, path


def test_nul_in_a_json_body_is_refused_not_a_server_error(admin, tree):
    org = factories.party_org(tree.comm_a1, "淮河社区第一党支部")
    _row, raw = ApiToken.issue(admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    resp = api.post("/api/v1/orgs/members", {"name": "张\u0000三", "id_number": factories.new_id_number(), "org_id": org.pk},
                    content_type="application/json")
    assert resp.status_code == 422 and resp.json()["code"] == "invalid"
    resp = api.post("/api/v1/auth/token", {"username": "a\u0000", "password": "x"}, content_type="application/json")
    assert resp.status_code == 422
