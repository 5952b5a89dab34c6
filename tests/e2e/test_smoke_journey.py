"""Sign in, see the home page in Chinese, switch to English and back; a wrong password is refused."""

import pytest

from gongjian.accounts.choices import Role
from gongjian.testing import factories

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_and_switch_language(desktop, live_server):
    page, shot = desktop
    t = factories.tree()
    factories.user(Role.COMMUNITY_ADMIN, region=t.comm_a1, username="huaihe", display_name="淮河社区书记")

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    shot("login")
    page.fill("#id_username", "huaihe")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".alert-danger").count() == 1
    shot("wrong-password")

    login(page, live_server.url, "huaihe", factories.PASSWORD)
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot("home-zh")

    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    shot("home-en")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
