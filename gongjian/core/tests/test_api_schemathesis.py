"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Authenticated as a district administrator over a small world (regions, organisations, units,
members, a policy), every operation is called with generated valid and invalid requests; no
answer may be a server error, and documented answers must match the schema. Runs in the normal
suite: a bounded number of examples per operation keeps it well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from config.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = get_wsgi_application()

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Any:
    """Calls go through the WSGI handler, whose end-of-request hook would close the connection that
    holds the test's transaction (PostgreSQL); the Django test client detaches it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def district_token(db: Any) -> str:
    from gongjian.accounts.choices import Role
    from gongjian.accounts.models import ApiToken
    from gongjian.testing import factories as f

    t = f.tree()
    org = f.party_org(t.comm_a1, "淮河社区第一党支部")
    other = f.party_org(t.comm_b1, "省供销社社区党支部")
    unit = f.unit(t.comm_a1, "二七区某机关")
    f.member(org, name="张伟", home=t.comm_a1, phone="13800001111")
    f.member(other, name="王强", home=t.comm_b1, employer=unit, in_service=True)
    admin = f.user(Role.DISTRICT_ADMIN, region=t.erqi, username="fuzz_erqi")
    _row, raw = ApiToken.issue(admin)
    return raw


@pytest.mark.django_db
@schema.exclude(path="/api/v1/auth/token").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_api_never_fails_and_matches_its_schema(case: Any, district_token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {district_token}"})
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
@schema.include(path="/api/v1/auth/token").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_token_endpoint_never_fails(case: Any) -> None:
    response = case.call()
    case.validate_response(response, checks=CHECKS)


def test_a_body_that_cannot_be_parsed_is_the_callers_error_not_a_500(client: Any, db: Any) -> None:
    """Found by the fuzzer: multipart without a boundary answered 500."""
    resp = client.generic("POST", "/api/v1/auth/token", b'{"username": "a"}', content_type="multipart/form-data")
    assert resp.status_code == 422
    body = resp.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == "invalid"
    # a body ninja cannot parse at all answers in the same shape, in the caller's language
    resp = client.post("/api/v1/auth/token", data=b"--x\r\n", content_type="multipart/form-data", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 422
    body = resp.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == "invalid"
