"""The account's own page stays cheap (issue #12): its roles and places come from the scope rows the request already
read, its device from what the sign-in check already learnt; one query of its own (the tokens), whatever the account
holds. The page cannot be shared between accounts, so nothing of it is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken, Scope
from gongjian.core import registry
from gongjian.testing import factories

pytestmark = pytest.mark.django_db

PATH = "/accounts/profile/"


def _get(client: Any) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(PATH)
        assert resp.status_code == 200, resp.status_code
    return [q["sql"] for q in ctx.captured_queries], resp.content.decode()


def _own(sqls: list[str]) -> list[str]:
    """The page's own queries: not the frame's (the session, and the device check of a staff session that remembers
    nothing, which the page then reuses)."""
    return [s for s in sqls if "django_session" not in s and "otp_totp_totpdevice" not in s]


def _devices(sqls: list[str]) -> int:
    return sum("otp_totp_totpdevice" in s for s in sqls)


def _sign_in(client: Any, user: Any) -> None:
    assert client.post("/accounts/login/", {"username": user.username, "password": factories.PASSWORD}).status_code == 302


@pytest.mark.parametrize("kind", ["region", "department", "unit"])
def test_the_profile_reads_only_the_tokens_however_many_places_and_tokens(client: Any, tree: Any, kind: str) -> None:
    other_unit = factories.unit(tree.comm_a2, "路砦某公司")
    if kind == "region":
        user = factories.user(Role.MEMBER, region=tree.comm_a1)
        more = {"role": Role.MEMBER, "kind": "region", "region": tree.comm_a2}
    elif kind == "department":
        user = factories.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi)
        more = {"role": Role.DEPARTMENT_HANDLER, "kind": "department", "department": tree.dept_jinshui}
    else:
        user = factories.user(Role.UNIT_LIAISON, unit=factories.unit(tree.comm_a1, "二七区某机关"))
        more = {"role": Role.UNIT_LIAISON, "kind": "unit", "unit": other_unit}
    client.force_login(user)
    client.get(PATH)  # the frame's caches (the account, its scope rows, the bell) warm: compare warm requests
    few, html = _get(client)
    assert _own(few) == [s for s in few if 'FROM "accounts_apitoken"' in s] and len(_own(few)) == 1, few  # no scope, region, unit or department
    assert _devices(few) <= 1  # a staff session that remembers nothing is checked by the middleware; the page reuses its answer
    assert {"region": "淮河社区", "department": "二七区民政局", "unit": "二七区某机关"}[kind] in html
    for _ in range(3):
        ApiToken.issue(user)
    Scope.objects.create(user=user, **more)
    registry.bump("accounts")  # written without a service here: move the version the service's audit would move
    client.get(PATH)
    many, html = _get(client)
    assert len(many) == len(few) and _devices(many) == _devices(few), (few, many)
    assert html.count("data-token-id=") == 3
    assert {"region": "路砦社区", "department": "金水区民政局", "unit": "路砦某公司"}[kind] in html


def test_roles_are_listed_widest_first_with_their_places(client: Any, tree: Any) -> None:
    user = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    Scope.objects.create(user=user, role=Role.DISTRICT_ADMIN, kind="region", region=tree.erqi)
    Scope.objects.create(user=user, role=Role.DEPARTMENT_HANDLER, kind="department", department=tree.dept_erqi)
    Scope.objects.create(user=user, role=Role.SUBDISTRICT_ADMIN, kind="region", region=tree.sub_a, is_active=False)  # taken away
    client.force_login(user)
    html = _get(client)[1]
    card = html.split("data-scope-role=", 1)[1].split("</div></div>", 1)[0]
    roles = [part.split('"', 2)[1] for part in ("data-scope-role=" + card).split("data-scope-role=")[1:]]
    assert roles == ["district_admin", "community_admin", "department_handler"]
    assert "二七区" in card and "淮河社区" in card and tree.dept_erqi.name in card and "淮河路街道" not in card


def test_a_staff_session_without_a_device_shows_it_without_asking(client: Any, tree: Any) -> None:
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    _sign_in(client, admin)  # the session remembers "no device" (decision 0012)
    client.get(PATH)
    sqls, html = _get(client)
    assert not [s for s in sqls if "otp_" in s], sqls
    assert 'href="/accounts/otp/"' in html and 'id="otp-status"' in html


def test_a_verified_session_shows_the_device_without_asking(client: Any, tree: Any) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # what django_otp.login keeps after a code was accepted
    session.save()
    client.get(PATH)
    sqls, html = _get(client)
    # the frame reads the verified device (django_otp) and checks that one is required (the sign-in check): the page
    # asks nothing more
    frame = client.get("/notifications/")
    assert frame.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/notifications/")
    assert _devices(sqls) == _devices([q["sql"] for q in ctx.captured_queries]) == 2, sqls
    assert 'href="/accounts/otp/"' not in html and 'id="otp-status"' in html


def test_a_session_that_learnt_nothing_asks_for_the_device(client: Any, tree: Any) -> None:
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    client.force_login(admin)  # not through the login form: the session remembers nothing, the check asks every time
    html = _get(client)[1]
    assert 'href="/accounts/otp/"' in html  # none: the page offers to set one up


def test_members_are_not_asked_for_a_device(client: Any, tree: Any) -> None:
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    client.force_login(member)
    client.get(PATH)
    sqls, html = _get(client)
    assert not [s for s in sqls if "otp_" in s] and 'id="otp-status"' not in html
