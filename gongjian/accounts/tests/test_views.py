"""Pages: each role's home, the account pages (404 outside the area), profile, OTP, layout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken, Scope, User
from gongjian.core.models import AuditEvent
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def _role_user(tree, role):
    if role == Role.UNIT_LIAISON:
        return factories.user(role, unit=factories.unit(tree.comm_a1, name="郑州市第一测试单位"))
    if role == Role.DEPARTMENT_HANDLER:
        return factories.user(role, department=tree.dept_erqi)
    place = {Role.CITY_ADMIN: tree.city, Role.DISTRICT_ADMIN: tree.erqi, Role.SUBDISTRICT_ADMIN: tree.sub_a}.get(role, tree.comm_a1)
    return factories.user(role, region=place, display_name="张三")


@pytest.mark.parametrize("role", list(Role.values))
def test_each_role_home_renders_with_identity_and_panels(client, tree, role):
    user = _role_user(tree, role)
    client.force_login(user)
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="current-role"' in html and 'data-panel="my-scopes"' in html
    assert ('data-panel="accounts-in-area"' in html) is (role in {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_ADMIN})
    assert ('data-panel="my-membership"' in html) is (role == Role.MEMBER)
    assert ('data-panel="my-unit"' in html) is (role == Role.UNIT_LIAISON)
    assert ('data-nav="accounts"' in html) is (role in {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_ADMIN})


def test_home_panel_counts_move_with_records(client, tree, admins, django_capture_on_commit_callbacks):
    from gongjian.core import registry

    client.force_login(admins["community"])
    html = client.get("/").content.decode()
    assert 'data-stat="accounts-active">1<' in html  # the admin itself
    with django_capture_on_commit_callbacks(execute=True):
        factories.user(Role.MEMBER, region=tree.comm_a1)
        factories.user(Role.MEMBER, region=tree.comm_b1)  # outside: not counted
        registry.bump("accounts")  # what the services creating accounts and granting roles do; factories do not
    html = client.get("/").content.decode()
    assert 'data-stat="accounts-active">2<' in html


def test_home_panel_counts_a_lock_out_when_it_begins_and_when_it_is_lifted(tree, admins, django_capture_on_commit_callbacks):
    """The accounts panel is served from the cache (per scope) until the accounts' version moves: axes' lock-out
    signal and account_unlock move it, so the panel is not stale after either."""
    from django.test import Client

    from gongjian.accounts import services

    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    admin, visitor = Client(), Client()
    admin.force_login(admins["community"])
    assert 'data-stat="accounts-locked">0<' in admin.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            visitor.post("/accounts/login/", {"username": member.username, "password": "wrong-password-x"})
    assert 'data-stat="accounts-locked">1<' in admin.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.account_unlock(actor=admins["community"], user=member)
    assert 'data-stat="accounts-locked">0<' in admin.get("/").content.decode()


def test_top_bar_shows_name_role_and_place_in_chinese(client, tree, admins):
    client.force_login(admins["community"])
    html = client.get("/").content.decode()
    assert "社区管理员" in html and "淮河社区" in html


def test_language_switch_keeps_the_page(client, tree, admins):
    client.force_login(admins["community"])
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/manage/?q=x"})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/manage/?q=x"
    html = client.get("/accounts/manage/").content.decode()
    assert "Accounts" in html and 'lang="en"' in html


def test_account_list_search_filter_pagination_and_query_count(client, tree, admins, django_assert_max_num_queries):
    for i in range(25):
        factories.user(Role.MEMBER, region=tree.comm_a1, username=f"m{i:02d}", display_name=f"党员{i}")
    factories.user(Role.MEMBER, region=tree.comm_b1, username="outsider")
    client.force_login(admins["subdistrict"])
    with django_assert_max_num_queries(14):
        resp = client.get("/accounts/manage/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "outsider" not in html and 'data-row-id="' in html
    assert html.count('data-row-id="') == 20
    html2 = client.get("/accounts/manage/?page=2").content.decode()
    assert html2.count('data-row-id="') == 7  # 25 members + community admin + subdistrict admin
    with django_assert_max_num_queries(14):
        client.get("/accounts/manage/?size=100")
    html = client.get("/accounts/manage/?q=党员1").content.decode()
    assert html.count('data-row-id="') == 11  # 党员1, 党员10..19
    html = client.get(f"/accounts/manage/?role={Role.COMMUNITY_ADMIN}").content.decode()
    assert html.count('data-row-id="') == 1
    html = client.get("/accounts/manage/?q=nobody-like-this").content.decode()
    assert 'class="empty"' in html


def test_account_pages_outside_area_answer_404_and_change_nothing(client, tree, admins):
    other = factories.user(Role.MEMBER, region=tree.comm_b1)
    client.force_login(admins["district"])
    assert client.get(reverse("accounts:account_detail", args=[other.pk])).status_code == 404
    for name in ("account_deactivate", "account_unlock", "account_password_reset", "account_grant"):
        resp = client.post(reverse(f"accounts:{name}", args=[other.pk]), {"role": Role.MEMBER, "region": tree.comm_a1.pk})
        assert resp.status_code == 404, name
    resp = client.post(reverse("accounts:scope_revoke", args=[other.pk, other.scopes.get().pk]))
    assert resp.status_code == 404
    other.refresh_from_db()
    assert other.is_active and other.scopes.get().is_active and other.scopes.count() == 1
    assert not AuditEvent.objects.filter(target_id=str(other.pk)).exists()


def test_non_admins_get_403_on_account_pages(client, tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    client.force_login(member)
    assert client.get("/accounts/manage/").status_code == 403
    assert client.get("/accounts/manage/new/").status_code == 403
    assert client.get("/accounts/manage/export/").status_code == 403


def test_create_account_page_flow_and_errors_next_to_fields(client, tree, admins):
    client.force_login(admins["district"])
    resp = client.get("/accounts/manage/new/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "金水区" not in html and 'value="city_admin"' not in html
    resp = client.post("/accounts/manage/new/", {"username": "", "role": Role.COMMUNITY_ADMIN, "region": tree.sub_a.pk})
    assert resp.status_code == 400
    assert 'data-error-for="username"' in resp.content.decode()
    resp = client.post("/accounts/manage/new/", {"username": "abc", "role": Role.COMMUNITY_ADMIN, "region": tree.sub_a.pk})
    assert resp.status_code == 400 and 'data-error-for="region"' in resp.content.decode()
    # a region outside the picker is refused by the form, a city admin role is not offered
    resp = client.post("/accounts/manage/new/", {"username": "abc", "role": Role.COMMUNITY_ADMIN, "region": tree.comm_b1.pk})
    assert resp.status_code == 400 and not User.objects.filter(username="abc").exists()
    resp = client.post("/accounts/manage/new/", {"username": "abc", "role": Role.CITY_ADMIN, "region": tree.city.pk})
    assert resp.status_code == 400 and not User.objects.filter(username="abc").exists()
    resp = client.post("/accounts/manage/new/", {"username": "abc", "display_name": "<b>李四</b>", "role": Role.COMMUNITY_ADMIN,
                                                  "region": tree.comm_a2.pk})
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    html = resp.content.decode()
    assert 'id="generated-password"' in html
    created = User.objects.get(username="abc")
    assert created.scopes.get().region_id == tree.comm_a2.pk
    detail = client.get(reverse("accounts:account_detail", args=[created.pk])).content.decode()
    assert "&lt;b&gt;李四&lt;/b&gt;" in detail and "<b>李四</b>" not in detail


def test_grant_revoke_reset_deactivate_unlock_pages(client, tree, admins):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    client.force_login(admins["subdistrict"])
    url = lambda name, *a: reverse(f"accounts:{name}", args=[member.pk, *a])  # noqa: E731
    resp = client.post(url("account_grant"), {"role": Role.COMMUNITY_ADMIN, "region": tree.comm_a2.pk})
    assert resp.status_code == 302
    assert member.scopes.filter(role=Role.COMMUNITY_ADMIN, is_active=True).exists()
    resp = client.post(url("account_grant"), {"role": Role.DISTRICT_ADMIN, "region": tree.erqi.pk})
    assert resp.status_code == 400  # not offered in the picker: form error, nothing written
    assert not member.scopes.filter(role=Role.DISTRICT_ADMIN).exists()
    scope = member.scopes.get(role=Role.COMMUNITY_ADMIN)
    assert client.post(url("scope_revoke", scope.pk)).status_code == 302
    scope.refresh_from_db()
    assert not scope.is_active
    resp = client.post(url("account_password_reset"), {"password": "123"})
    assert resp.status_code == 400 and 'data-error-for="password"' in resp.content.decode()
    resp = client.post(url("account_password_reset"), {"password": ""})
    assert resp.status_code == 200 and 'id="generated-password"' in resp.content.decode()
    assert client.post(url("account_deactivate")).status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert client.post(url("account_reactivate")).status_code == 302
    member.refresh_from_db()
    assert member.is_active
    assert client.post(url("account_unlock")).status_code == 302
    assert client.get(url("account_deactivate")).status_code == 405


def test_export_has_no_passwords_and_is_scoped(client, tree, admins):
    factories.user(Role.MEMBER, region=tree.comm_a1, username="=cmd|calc", display_name="inside")
    factories.user(Role.MEMBER, region=tree.comm_b1, username="outsider")
    client.force_login(admins["community"])
    resp = client.get("/accounts/manage/export/?format=csv")
    assert resp.status_code == 200
    text = resp.content.decode("utf-8-sig")
    assert "outsider" not in text and "'=cmd|calc" in text
    assert "md5$" not in text and "argon2" not in text and "pbkdf2" not in text
    resp = client.get("/accounts/manage/export/")
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(verb="account.export").count() == 2


def test_profile_language_password_and_tokens(client, tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    other = factories.user(Role.MEMBER, region=tree.comm_a1)
    other_token, _ = ApiToken.issue(other)
    token, _ = ApiToken.issue(member)
    client.force_login(member)
    html = client.get("/accounts/profile/").content.decode()
    assert f'data-token-id="{token.pk}"' in html and f'data-token-id="{other_token.pk}"' not in html
    assert "Set up two-step sign-in" not in html and "设置两步登录" not in html  # members do not enrol
    resp = client.post("/accounts/profile/", {"display_name": "小王", "preferred_language": "en"})
    assert resp.status_code == 302 and resp.cookies["django_language"].value == "en"
    resp = client.post("/accounts/profile/password/", {"old_password": "bad", "new_password": "x", "new_password_again": "x"})
    assert resp.status_code == 400 and 'data-error-for="old_password"' in resp.content.decode()
    resp = client.post("/accounts/profile/password/", {"old_password": factories.PASSWORD, "new_password": "Brand-new-pass-99",
                                                       "new_password_again": "Brand-new-pass-99"})
    assert resp.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200  # still signed in after the change
    assert client.post(f"/accounts/profile/tokens/{other_token.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    other_token.refresh_from_db()
    assert token.revoked and not other_token.revoked


def test_login_applies_preferred_language(client, tree):
    member = factories.user(Role.MEMBER, region=tree.comm_a1, preferred_language="en")
    resp = client.post("/accounts/login/", {"username": member.username, "password": factories.PASSWORD})
    assert resp.status_code == 302 and resp.cookies["django_language"].value == "en"
    assert AuditEvent.objects.filter(verb="account.login", actor=member).exists()


def test_otp_enrolment_shows_inline_svg_and_verifies(client, tree, admins, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code would otherwise hold the next try back a second
    client.force_login(admins["community"])
    resp = client.get("/accounts/otp/")
    html = resp.content.decode()
    assert resp.status_code == 200 and 'src="data:image/svg+xml;base64,' in html and 'id="otp-secret"' in html
    device = TOTPDevice.objects.get(user=admins["community"])
    resp = client.post("/accounts/otp/", {"code": "000000" if totp(device.bin_key) != 0 else "111111"})
    assert resp.status_code == 400 and 'data-error-for="code"' in resp.content.decode()
    resp = client.post("/accounts/otp/?next=https://evil.example/", {"code": f"{totp(device.bin_key):06d}"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(verb="otp.enrol").exists()


def test_members_may_not_enrol_otp(client, tree):
    client.force_login(factories.user(Role.MEMBER, region=tree.comm_a1))
    assert client.get("/accounts/otp/").status_code == 404


def test_mandatory_otp_blocks_every_page_until_verified(client, tree, admins, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.GONGJIAN_REQUIRE_OTP = True
    client.post("/accounts/login/", {"username": admins["community"].username, "password": factories.PASSWORD})
    for path in ("/", "/accounts/manage/", "/accounts/profile/", "/audit/"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/otp/"), path
    assert client.get("/api/v1/auth/me").status_code == 401  # the session is not enough for the API either
    client.get("/accounts/otp/")
    device = TOTPDevice.objects.get(user=admins["community"])
    resp = client.post("/accounts/otp/?next=/accounts/manage/", {"code": f"{totp(device.bin_key):06d}"})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/manage/"
    assert client.get("/accounts/manage/").status_code == 200
    # members are not staff: no code needed
    client.post("/accounts/logout/")
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    client.post("/accounts/login/", {"username": member.username, "password": factories.PASSWORD})
    assert client.get("/").status_code == 200


def test_error_pages_render_in_both_languages(client, tree, admins):
    client.force_login(admins["community"])
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404 and "未找到" in resp.content.decode()
    client.cookies["django_language"] = "en"
    resp = client.get("/no-such-page/")
    assert "Not found" in resp.content.decode()
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "服务器出错了" in html and "Server error" in html


def test_scope_rows_are_never_deleted(client, tree, admins):
    member = factories.user(Role.MEMBER, region=tree.comm_a1)
    client.force_login(admins["community"])
    client.post(reverse("accounts:scope_revoke", args=[member.pk, member.scopes.get().pk]))
    assert Scope.objects.filter(user=member).count() == 1
    # revoked-only accounts stay visible to the admin of that place
    assert client.get(reverse("accounts:account_detail", args=[member.pk])).status_code == 200
