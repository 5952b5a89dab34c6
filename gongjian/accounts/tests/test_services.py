"""Account services: who may grant what, where; passwords; lock-out; deactivation; audit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import RequestFactory

from gongjian.accounts import services
from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken, Scope, User
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.testing import factories

pytestmark = pytest.mark.django_db
GOOD = "Strong-pass-2468"


def test_district_admin_creates_community_admin_in_own_district(tree, admins):
    user, generated = services.account_create(actor=admins["district"], username="new1", role=Role.COMMUNITY_ADMIN, region=tree.comm_a2)
    assert generated and len(generated) >= 14
    assert user.check_password(generated)
    assert list(user.scopes.values_list("role", "region_id")) == [(Role.COMMUNITY_ADMIN, tree.comm_a2.pk)]
    verbs = set(AuditEvent.objects.filter(actor=admins["district"]).values_list("verb", flat=True))
    assert {"account.create", "scope.grant"} <= verbs


@pytest.mark.parametrize(
    ("actor_level", "role", "place"),
    [
        ("district", Role.CITY_ADMIN, "city"),  # above its level
        ("district", Role.DISTRICT_ADMIN, "jinshui"),  # its level, other district
        ("district", Role.COMMUNITY_ADMIN, "comm_b1"),  # below, but other district
        ("subdistrict", Role.DISTRICT_ADMIN, "erqi"),
        ("community", Role.SUBDISTRICT_ADMIN, "sub_a"),
        ("community", Role.COMMUNITY_ADMIN, "comm_a2"),  # neighbouring community
        ("community", Role.MEMBER, "comm_b1"),
    ],
)
def test_grant_outside_level_or_area_is_refused_and_writes_nothing(tree, admins, actor_level, role, place):
    before_users, before_scopes, before_audit = User.objects.count(), Scope.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.account_create(actor=admins[actor_level], username="intruder", role=role, region=getattr(tree, place))
    assert (User.objects.count(), Scope.objects.count(), AuditEvent.objects.count()) == (before_users, before_scopes, before_audit)


def test_admin_may_grant_its_own_level_inside_its_area(tree, admins):
    user, _ = services.account_create(actor=admins["community"], username="deputy", role=Role.COMMUNITY_ADMIN, region=tree.comm_a1, password=GOOD)
    assert user.roles == {Role.COMMUNITY_ADMIN}


def test_unit_and_department_roles_need_a_place_inside_the_area(tree, admins):
    unit_in = factories.unit(tree.comm_a1)
    unit_out = factories.unit(tree.comm_b1)
    u, _ = services.account_create(actor=admins["subdistrict"], username="liaison", role=Role.UNIT_LIAISON, unit=unit_in)
    assert u.scopes.get().unit_id == unit_in.pk
    with pytest.raises(PermissionDenied):
        services.account_create(actor=admins["subdistrict"], username="liaison2", role=Role.UNIT_LIAISON, unit=unit_out)
    with pytest.raises(PermissionDenied):  # a department of the district sits above a subdistrict admin's area
        services.account_create(actor=admins["subdistrict"], username="handler", role=Role.DEPARTMENT_HANDLER, department=tree.dept_erqi)
    h, _ = services.account_create(actor=admins["district"], username="handler", role=Role.DEPARTMENT_HANDLER, department=tree.dept_erqi)
    assert h.scopes.get().department_id == tree.dept_erqi.pk


def test_bad_input_is_reported_per_field_and_nothing_is_written(tree, admins):
    actor = admins["district"]
    count = User.objects.count()
    cases = [
        ({"username": "", "role": Role.MEMBER, "region": tree.comm_a1}, "username"),
        ({"username": "city_admin", "role": Role.MEMBER, "region": tree.comm_a1}, "username"),
        ({"username": "CITY_ADMIN", "role": Role.MEMBER, "region": tree.comm_a1}, "username"),
        ({"username": "x1", "role": Role.COMMUNITY_ADMIN, "region": tree.sub_a}, "region"),
        ({"username": "x2", "role": Role.UNIT_LIAISON}, "unit"),
        ({"username": "x3", "role": "emperor", "region": tree.comm_a1}, "role"),
        ({"username": "x4", "role": Role.MEMBER, "region": tree.comm_a1, "password": "12345678901"}, "password"),
        ({"username": "x5", "role": Role.MEMBER, "region": tree.comm_a1, "password": "short"}, "password"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.account_create(actor=actor, **kwargs)
        assert field in exc.value.details, kwargs
    assert User.objects.count() == count


def test_duplicate_role_in_same_place_is_refused(tree, admins):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    with pytest.raises(ValidationError):
        services.scope_grant(actor=admins["community"], user=member, role=Role.MEMBER, region=tree.comm_a1)


def test_revoke_inside_area_and_refused_outside(tree, admins):
    target = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    erqi_scope = target.scopes.get()
    with pytest.raises(PermissionDenied):
        services.scope_revoke(actor=factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1), scope=erqi_scope)
    with pytest.raises(PermissionDenied):  # a district admin from the other district
        services.scope_revoke(actor=factories.user(Role.DISTRICT_ADMIN, region=tree.jinshui), scope=erqi_scope)
    erqi_scope.refresh_from_db()
    assert erqi_scope.is_active
    services.scope_revoke(actor=admins["subdistrict"], scope=erqi_scope)
    erqi_scope.refresh_from_db()
    assert not erqi_scope.is_active
    assert AuditEvent.objects.filter(verb="scope.revoke", target_id=str(erqi_scope.pk)).exists()
    with pytest.raises(ValidationError):
        services.scope_revoke(actor=admins["subdistrict"], scope=erqi_scope)


def test_cannot_revoke_a_higher_level_role_or_own_role(tree, admins):
    with pytest.raises(PermissionDenied):
        services.scope_revoke(actor=admins["subdistrict"], scope=admins["district"].scopes.get())
    with pytest.raises(PermissionDenied):
        services.scope_revoke(actor=admins["district"], scope=admins["district"].scopes.get())


def test_password_reset_generated_or_set_validates_and_revokes_tokens(tree, admins):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    _token, raw = ApiToken.issue(member)
    generated = services.password_reset(actor=admins["community"], user=member)
    member.refresh_from_db()
    assert generated and member.check_password(generated)
    assert not ApiToken.objects.get(key_hash=ApiToken.hash(raw)).is_valid
    with pytest.raises(ValidationError) as exc:
        services.password_reset(actor=admins["community"], user=member, password="password1")
    assert "password" in exc.value.details
    member.refresh_from_db()
    assert member.check_password(generated)
    assert services.password_reset(actor=admins["community"], user=member, password=GOOD) is None
    member.refresh_from_db()
    assert member.check_password(GOOD)
    event = AuditEvent.objects.filter(verb="account.password_reset").latest("at")
    assert GOOD not in str(event.changes) and generated not in str(event.changes)


def test_account_outside_area_is_not_found_and_higher_account_forbidden(tree, admins):
    other = factories.user(Role.MEMBER, region=tree.comm_b1)
    with pytest.raises(NotFound):
        services.password_reset(actor=admins["district"], user=other)
    with pytest.raises(NotFound):
        services.account_set_active(actor=admins["district"], user=other, active=False)
    # an account that also works in 金水区 cannot be changed by the 二七区 admin
    both = factories.user(Role.MEMBER, region=tree.comm_a1)
    Scope.objects.create(user=both, role=Role.MEMBER, kind="region", region=tree.comm_b1)
    with pytest.raises(PermissionDenied):
        services.password_reset(actor=admins["district"], user=both)
    with pytest.raises(NotFound):  # the district admin's place is above the community: not in its area
        services.password_reset(actor=admins["community"], user=admins["district"])
    boss = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    Scope.objects.create(user=boss, role=Role.COMMUNITY_ADMIN, kind="region", region=tree.comm_a1)
    with pytest.raises(PermissionDenied):  # visible through its community role, but it also holds a higher role
        services.password_reset(actor=admins["community"], user=boss)
    with pytest.raises(PermissionDenied):  # own account goes through the profile page
        services.password_reset(actor=admins["community"], user=admins["community"])


def test_deactivate_and_reactivate_never_delete(tree, admins):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    _t, raw = ApiToken.issue(member)
    services.account_set_active(actor=admins["community"], user=member, active=False)
    member.refresh_from_db()
    assert not member.is_active
    assert authenticate(RequestFactory().post("/"), username=member.username, password=factories.PASSWORD) is None
    assert not ApiToken.objects.get(key_hash=ApiToken.hash(raw)).is_valid
    with pytest.raises(ValidationError):
        services.account_set_active(actor=admins["community"], user=member, active=False)
    services.account_set_active(actor=admins["community"], user=member, active=True)
    member.refresh_from_db()
    assert member.is_active and User.objects.filter(pk=member.pk).exists()
    assert list(AuditEvent.objects.filter(target_id=str(member.pk), verb__startswith="account.").values_list("verb", flat=True).order_by("at")) == [
        "account.deactivate", "account.reactivate"]


def _fail_login(client, username, times):
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong-password-x"})


def test_lockout_after_five_failures_and_unlock(client, tree, admins):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    assert settings.AXES_FAILURE_LIMIT == 5
    _fail_login(client, member.username, 4)
    resp = client.post("/accounts/login/", {"username": member.username, "password": factories.PASSWORD})
    assert resp.status_code == 302  # 4 failures: still allowed (and the counter resets on success)
    client.post("/accounts/logout/")
    _fail_login(client, member.username, 5)
    resp = client.post("/accounts/login/", {"username": member.username, "password": factories.PASSWORD})
    assert resp.status_code == 429 or resp.status_code == 403
    assert "_auth_user_id" not in client.session
    from gongjian.accounts.selectors import locked_usernames

    assert member.username in locked_usernames()
    with pytest.raises(NotFound):
        services.account_unlock(actor=factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1), user=member)
    assert services.account_unlock(actor=admins["community"], user=member) >= 1
    assert member.username not in locked_usernames()
    resp = client.post("/accounts/login/", {"username": member.username, "password": factories.PASSWORD})
    assert resp.status_code == 302


def test_profile_update_and_password_change(tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    services.profile_update(actor=member, display_name="  王小明 ", preferred_language="en")
    member.refresh_from_db()
    assert (member.display_name, member.preferred_language) == ("王小明", "en")
    with pytest.raises(ValidationError):
        services.profile_update(actor=member, display_name="x", preferred_language="fr")
    with pytest.raises(ValidationError) as exc:
        services.password_change(actor=member, old_password="nope", new_password=GOOD, new_password_again=GOOD)
    assert "old_password" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        services.password_change(actor=member, old_password=factories.PASSWORD, new_password=GOOD, new_password_again=GOOD + "x")
    assert "new_password_again" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        services.password_change(actor=member, old_password=factories.PASSWORD, new_password="1234567890", new_password_again="1234567890")
    assert "new_password" in exc.value.details
    services.password_change(actor=member, old_password=factories.PASSWORD, new_password=GOOD, new_password_again=GOOD)
    member.refresh_from_db()
    assert member.check_password(GOOD)


def test_token_revoke_only_own(tree):
    a = factories.user(Role.MEMBER, region=tree.comm_a1)
    b = factories.user(Role.MEMBER, region=tree.comm_a1)
    token, _raw = ApiToken.issue(b)
    with pytest.raises(NotFound):
        services.token_revoke(actor=a, token_id=token.pk)
    token.refresh_from_db()
    assert not token.revoked
    services.token_revoke(actor=b, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked


def test_production_settings_hash_with_argon2():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode("Strong-pass-2468", Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$") and Argon2PasswordHasher().verify("Strong-pass-2468", encoded)


def test_system_actor_may_grant_anything(tree):
    u = services.user_create(actor=None, username="sys", password=GOOD)
    services.scope_grant(actor=None, user=u, role=Role.CITY_ADMIN, region=tree.city)
    assert u.roles == {Role.CITY_ADMIN}
