"""The API's one error shape ({"code", "message", "details"}, Chinese messages), OpenAPI and docs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken
from gongjian.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RequestInvalid, TransitionError, Unauthenticated
from gongjian.core.errors import ValidationError as CoreValidationError
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def _shape(resp) -> dict:
    body = resp.json()
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def community_client(tree):
    user = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    _row, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_unauthenticated_is_401(client, tree):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer nope"}, {"HTTP_AUTHORIZATION": "Basic abc"}):
        resp = client.get(f"/api/v1/regions/{tree.comm_a1.code}", HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)
        assert resp.status_code == 401
        body = _shape(resp)
        assert body["code"] == "unauthenticated" and body["message"] == "请先登录，或提供有效的访问令牌。"


def test_expired_or_revoked_token_is_401(tree):
    from django.utils import timezone

    user = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    row, raw = ApiToken.issue(user)
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"/api/v1/regions/{tree.comm_a1.code}").status_code == 401
    row2, raw2 = ApiToken.issue(user)
    ApiToken.objects.filter(pk=row2.pk).update(revoked=True)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw2}").get(f"/api/v1/regions/{tree.comm_a1.code}").status_code == 401


def test_in_scope_200_out_of_scope_and_absent_404(community_client, tree):
    assert community_client.get(f"/api/v1/regions/{tree.comm_a1.code}").status_code == 200
    for code in (tree.comm_b1.code, tree.erqi.code, "999999999999"):
        resp = community_client.get(f"/api/v1/regions/{code}")
        assert resp.status_code == 404
        body = _shape(resp)
        assert body == {"code": "not_found", "message": "未找到。", "details": {}}


def test_unknown_api_path_is_404_in_the_same_shape(community_client):
    resp = community_client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404


def test_validation_is_422_with_chinese_message_and_details(client):
    resp = client.post("/api/v1/auth/token", data={"username": "x"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 422
    body = _shape(resp)
    assert body["code"] == "invalid" and body["message"] == "请求参数有误。"
    assert "password" in body["details"] and isinstance(body["details"]["password"], list)


def test_malformed_json_is_a_clean_error(client):
    resp = client.post("/api/v1/auth/token", data="{not json", content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code in (400, 422)
    _shape(resp)


def test_english_when_asked(client, tree):
    resp = client.get(f"/api/v1/regions/{tree.comm_a1.code}", HTTP_ACCEPT_LANGUAGE="en")
    assert _shape(resp)["message"] == "Sign in or send a valid token."


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (NotFound(), 404, "not_found"),
        (PermissionDenied(), 403, "forbidden"),
        (Conflict(), 409, "conflict"),
        (TransitionError(), 409, "invalid_transition"),
        (Unauthenticated(), 401, "unauthenticated"),
        (RequestInvalid(details={"a": ["b"]}), 422, "invalid"),
        (CoreValidationError.for_field("name", "名称不能为空"), 400, "invalid"),
        (DomainError("自定义", code="custom"), 400, "custom"),
    ],
)
def test_domain_errors_map_to_status_and_shape(rf, exc, status, code):
    from config.api import domain_error

    resp = domain_error(rf.get("/api/v1/x"), exc)
    assert resp.status_code == status
    import json

    body = json.loads(resp.content)
    assert set(body) == {"code", "message", "details"} and body["code"] == code
    if isinstance(exc, CoreValidationError) and exc.details.get("name"):
        assert body["details"] == {"name": ["名称不能为空"]}


def test_unexpected_errors_are_500_without_internals(rf):
    import json

    from config.api import server_error

    resp = server_error(rf.get("/api/v1/x"), RuntimeError("secret internals /etc/passwd"))
    body = json.loads(resp.content)
    assert resp.status_code == 500 and body["code"] == "server_error" and "passwd" not in resp.content.decode()


def test_openapi_and_docs(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    doc = spec.json()
    assert doc["openapi"].startswith("3.") and doc["info"]["title"].startswith("Gongjian")
    paths = doc["paths"]
    assert "/api/v1/auth/token" in paths
    assert any(p.startswith("/api/v1/regions") for p in paths) and any(p.startswith("/api/v1/orgs") for p in paths)
    assert "BearerAuth" in doc["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content
