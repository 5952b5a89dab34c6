"""What every page costs before its own content (issue #12): the top bar from the scope rows already read, the device
check of a staff account without a device remembered by its session for a while, and still asked once a device exists."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.accounts import middleware
from gongjian.accounts.choices import Role
from gongjian.accounts.models import Scope
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def _device_queries(client: Any, path: str = "/notifications/") -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return sum("otp_totp_totpdevice" in q["sql"] for q in ctx.captured_queries)


def _sign_in(client: Any, user: Any) -> None:
    resp = client.post("/accounts/login/", {"username": user.username, "password": factories.PASSWORD})
    assert resp.status_code == 302


def test_a_staff_session_without_device_does_not_ask_for_it_on_every_page(client: Any, tree: Any, admins: Any, monkeypatch: Any) -> None:
    _sign_in(client, admins["community"])
    assert _device_queries(client) == 0
    # once the remembered answer expires, the devices are asked again (and the answer renewed)
    clock = [middleware.time.time() + middleware.NO_DEVICE_RECHECK + 1]
    monkeypatch.setattr(middleware.time, "time", lambda: clock[0])
    assert _device_queries(client) == 1
    assert _device_queries(client) == 0


def test_a_device_enrolled_elsewhere_is_asked_for_once_the_remembered_answer_expires(client: Any, tree: Any, admins: Any,
                                                                                     monkeypatch: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _sign_in(client, admins["community"])
    TOTPDevice.objects.create(user=admins["community"], name="phone", confirmed=True)  # enrolled in another session
    clock = [middleware.time.time() + middleware.NO_DEVICE_RECHECK + 1]
    monkeypatch.setattr(middleware.time, "time", lambda: clock[0])
    resp = client.get("/accounts/profile/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/otp/")
    assert client.get("/").status_code == 302  # and from then on, on every page


def test_with_a_device_the_session_remembers_nothing(client: Any, tree: Any, admins: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=admins["community"], name="phone", confirmed=True)
    _sign_in(client, admins["community"])
    assert middleware.NO_DEVICE_KEY not in client.session
    resp = client.get("/accounts/profile/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/otp/")


def test_the_top_bar_reads_no_scope_row_twice(client: Any, tree: Any, admins: Any) -> None:
    user = admins["community"]
    Scope.objects.create(user=user, role=Role.SUBDISTRICT_ADMIN, kind="region", region=tree.sub_a)  # a second role and place
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/notifications/").content.decode()
    assert sum('FROM "accounts_scope"' in q["sql"] for q in ctx.captured_queries) == 1
    assert 'id="current-role"' in html and "社区管理员" in html and "淮河社区" in html and "街道管理员" in html
    assert 'data-scope-role="subdistrict_admin"' in html and 'data-scope-role="community_admin"' in html


def test_the_api_through_a_session_trusts_the_same_answer(client: Any, tree: Any, admins: Any) -> None:
    _sign_in(client, admins["community"])
    assert _device_queries(client, "/api/v1/auth/me") == 0
