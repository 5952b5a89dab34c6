"""API: POST /api/v1/auth/token and GET /api/v1/auth/me, lock-out, revoked and expired tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken
from gongjian.core.models import AuditEvent
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def _token(client, username, password):
    return client.post("/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json")


def test_token_and_me(client, tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1, display_name="王五")
    resp = _token(client, member.username, factories.PASSWORD)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token"].startswith("gj_") and body["token_type"] == "bearer"
    assert AuditEvent.objects.filter(verb="token.issue", actor=member).exists()
    me = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    data = me.json()
    assert data["username"] == member.username and data["roles"] == [Role.MEMBER]
    assert data["scopes"][0]["region_path"] == tree.comm_a1.path
    assert "password" not in str(data)


def test_bad_credentials_and_bad_tokens_answer_401_in_one_shape(client, tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    resp = _token(client, member.username, "wrong")
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated" and resp.json()["message"]
    assert _token(client, "nobody", "wrong").status_code == 401
    assert client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json").status_code == 422
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer gj_forged").status_code == 401
    token, raw = ApiToken.issue(member)
    token.revoked = True
    token.save()
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    token2, raw2 = ApiToken.issue(member)
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401
    _t3, raw3 = ApiToken.issue(member)
    member.is_active = False
    member.save()
    assert client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw3}").status_code == 401
    assert _token(client, member.username, factories.PASSWORD).status_code == 401


def test_token_endpoint_locks_out_after_five_failures(client, tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    for _ in range(4):
        assert _token(client, member.username, "wrong-password").status_code == 401
    resp = _token(client, member.username, "wrong-password")  # the fifth failure locks
    assert resp.status_code == 403 and resp.json()["code"] == "locked_out"
    resp = _token(client, member.username, factories.PASSWORD)
    assert resp.status_code == 403 and resp.json()["code"] == "locked_out"
    assert not ApiToken.objects.filter(user=member).exists()
    # the lock-out covers the web sign-in as well
    resp = client.post("/accounts/login/", {"username": member.username, "password": factories.PASSWORD})
    assert "_auth_user_id" not in client.session


def test_staff_gets_no_token_when_otp_is_mandatory(client, tree, settings):
    settings.GONGJIAN_REQUIRE_OTP = True
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    resp = _token(client, admin.username, factories.PASSWORD)
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    assert _token(client, member.username, factories.PASSWORD).status_code == 200


def test_session_api_write_needs_csrf(tree):
    from django.test import Client

    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    c = Client(enforce_csrf_checks=True)
    c.force_login(member)
    assert c.get("/api/v1/auth/me").status_code == 200
