"""A hostile administrator against accounts: other areas' accounts by id, scopes of another account
through one's own URL, foreign places in grants, odd usernames, and what an export shows."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from gongjian.accounts import services
from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken, Scope, User
from gongjian.core.errors import ValidationError
from gongjian.testing import factories


def _sheet(content: bytes) -> Any:
    """The first sheet of an exported workbook."""
    return load_workbook(io.BytesIO(content)).active


@pytest.fixture
def other(tree):
    """A community administrator of 金水区, outside the 二七区 admins' area."""
    return factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="jinshui_comm")


def test_every_account_page_of_another_area_is_404(admins, other, login):
    c = login(admins["district"])
    scope = Scope.objects.get(user=other)
    assert c.get(f"/accounts/manage/{other.pk}/").status_code == 404
    for url in (f"/accounts/manage/{other.pk}/grant/", f"/accounts/manage/{other.pk}/scopes/{scope.pk}/revoke/",
                f"/accounts/manage/{other.pk}/password/", f"/accounts/manage/{other.pk}/deactivate/",
                f"/accounts/manage/{other.pk}/reactivate/", f"/accounts/manage/{other.pk}/unlock/", f"/accounts/manage/{other.pk}/otp-reset/"):
        assert c.post(url, {"role": Role.COMMUNITY_ADMIN}).status_code == 404, url
    other.refresh_from_db()
    assert other.is_active and Scope.objects.get(pk=scope.pk).is_active


def test_a_scope_of_another_account_through_ones_own_account_url_is_404(admins, other, login):
    mine = factories.user(Role.COMMUNITY_ADMIN, region=admins["community"].scopes.first().region, username="mine")
    foreign_scope = Scope.objects.get(user=other)
    resp = login(admins["district"]).post(f"/accounts/manage/{mine.pk}/scopes/{foreign_scope.pk}/revoke/")
    assert resp.status_code == 404 and Scope.objects.get(pk=foreign_scope.pk).is_active


def test_granting_a_place_outside_the_area_is_refused(admins, tree, login):
    target = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a2, username="target")
    resp = login(admins["district"]).post(f"/accounts/manage/{target.pk}/grant/", {"role": Role.COMMUNITY_ADMIN, "region": tree.comm_b1.pk})
    assert resp.status_code in (200, 302, 400)
    assert not Scope.objects.filter(user=target, region=tree.comm_b1).exists()
    from gongjian.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.scope_grant(actor=admins["district"], user=target, role=Role.COMMUNITY_ADMIN, region=tree.comm_b1)


def test_export_lists_only_the_area_and_neutralises_formulas(admins, other, tree, login):
    evil = factories.user(Role.RESIDENT, region=tree.comm_a1, username="evil", display_name="=cmd|' /C calc'!A0")
    resp = login(admins["district"]).get("/accounts/manage/export/")
    rows = list(_sheet(resp.content).iter_rows(min_row=2, values_only=True))
    names = {r[0] for r in rows}
    assert "evil" in names and other.username not in names
    assert [r[1] for r in rows if r[0] == evil.username] == ["'=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("username", ["a b", "<script>", "x" * 151, "张三\u0000", ""])
def test_usernames_that_cannot_sign_in_cleanly_are_refused(admins, tree, username):
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.account_create(actor=admins["district"], username=username, role=Role.RESIDENT, region=tree.comm_a1)
    assert "username" in exc.value.details
    assert User.objects.count() == before


def test_usernames_are_trimmed_and_case_insensitively_unique(admins, tree):
    user, _pw = services.account_create(actor=admins["district"], username="  zhang.san  ", role=Role.RESIDENT, region=tree.comm_a1)
    assert user.username == "zhang.san"
    with pytest.raises(ValidationError):
        services.account_create(actor=admins["district"], username="ZHANG.SAN", role=Role.RESIDENT, region=tree.comm_a1)


def test_api_me_and_token_revoke_are_the_callers_own(admins, other, client):
    _row, raw = ApiToken.issue(admins["district"])
    me = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert me["username"] == admins["district"].username and len(me["scopes"]) == 1
    foreign, _raw = ApiToken.issue(other)
    client.force_login(admins["district"])
    assert client.post(f"/accounts/profile/tokens/{foreign.pk}/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert not foreign.revoked
