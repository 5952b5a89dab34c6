"""The home page's panels and the sidebar are not rebuilt on every request (issue #12): panels come from the cache until
a module's version moves (per scope for area panels, per account for the others; live panels always computed), and the
sidebar's entries are built once per combination of roles and language in a process."""

from __future__ import annotations

from typing import Any

import pytest

from gongjian.accounts.choices import Role
from gongjian.core import registry
from gongjian.core.registry import Module, NavEntry, area_panel, live_panel
from gongjian.testing import factories

pytestmark = pytest.mark.django_db

CALLS: dict[str, list[Any]] = {"own": [], "area": [], "live": []}


def own_panel(actor: Any) -> dict[str, Any]:
    CALLS["own"].append(actor.pk)
    return {"key": "cachetest-own", "title": f"own {len(CALLS['own'])}", "stats": [], "links": []}


@area_panel
def shared_panel(actor: Any) -> dict[str, Any]:
    CALLS["area"].append(actor.pk)
    return {"key": "cachetest-area", "title": f"area {len(CALLS['area'])}", "stats": [], "links": []}


@live_panel
def every_time_panel(actor: Any) -> dict[str, Any]:
    CALLS["live"].append(actor.pk)
    return {"key": "cachetest-live", "title": f"live {len(CALLS['live'])}", "stats": [], "links": []}


MODULE = Module(key="cachetest", name="Cache test", order=6, panels=[own_panel, shared_panel, every_time_panel])


@pytest.fixture(autouse=True)
def _module():
    for calls in CALLS.values():
        calls.clear()
    registry.register_module(MODULE)
    yield
    registry.unregister_module(MODULE.key)


def test_panels_are_computed_once_until_the_module_moves(tree: Any, django_capture_on_commit_callbacks: Any) -> None:
    one = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    two = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)  # the same scope
    titles = [p["title"] for p in registry.home_panels(one) if p["key"].startswith("cachetest")]
    assert titles == ["own 1", "area 1", "live 1"]
    titles = [p["title"] for p in registry.home_panels(one) if p["key"].startswith("cachetest")]
    assert titles == ["own 1", "area 1", "live 2"]  # the live panel is computed every time
    titles = [p["title"] for p in registry.home_panels(two) if p["key"].startswith("cachetest")]
    assert titles == ["own 2", "area 1", "live 3"]  # another account: his own panels, the area's shared
    with django_capture_on_commit_callbacks(execute=True):
        registry.bump("cachetest")
    titles = [p["title"] for p in registry.home_panels(one) if p["key"].startswith("cachetest")]
    assert titles == ["own 3", "area 2", "live 4"]


def test_the_sidebar_follows_roles_and_registrations(client: Any, tree: Any) -> None:
    admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    member = factories.user(Role.MEMBER, region=tree.comm_a1)

    def entries(user: Any) -> set[str]:
        client.force_login(user)
        return {e["key"] for e in client.get("/notifications/").context["nav_entries"]}

    assert "audit" in entries(admin) and "audit" not in entries(member)
    extra = Module(key="sidebartest", name="Sidebar test", order=7,
                   nav=[NavEntry("sidebartest-home", "Home again", "core:home", order=1)])
    registry.register_module(extra)
    try:
        assert "sidebartest-home" in entries(member)  # a registration is seen at once
    finally:
        registry.unregister_module(extra.key)
    assert "sidebartest-home" not in entries(member)
    # the sidebar's HTML, kept per entries and active entry, marks the page's own entry only
    client.force_login(admin)
    html = client.get("/audit/").content.decode()
    assert '<li class="nav-item active"><a class="nav-link" href="/audit/" data-nav="audit">' in html
    assert html.count('<li class="nav-item active">') == 1
    html = client.get("/figures/").content.decode()
    assert '<li class="nav-item"><a class="nav-link" href="/audit/" data-nav="audit">' in html
