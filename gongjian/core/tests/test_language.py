"""Chinese is the default whatever the browser says; the language switch and the API's Accept-Language choose English."""

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_pages_are_chinese_even_for_an_english_browser(client):
    resp = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = resp.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "登录" in html
    assert resp["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_language_switch_sets_english_until_switched_back(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Sign in" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "登录" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx-evil"
    assert "登录" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_api_honours_accept_language(client):
    zh = client.get("/api/v1/auth/me").json()["message"]
    en = client.get("/api/v1/auth/me", HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert zh != en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert en.isascii()

