"""Every list marked ``core.listcache.shared_list`` shows each account, from the cache, what it would see without it.

On the small demo, for each role's demo account at its widest scope (the accounts ``bench/bench_load.py`` drives), a twin
account with the same scope rows is made; every list page and API list of the project is opened by the demo account
(which fills the cache), then by the twin (served from what the first saw) and by the twin again with the cache off. The
two answers of the twin must be the same, but for the CSRF token of each request; and opening a shared list records no
audit event (a kept list would not record it again). A list that depended on the account itself — its own
notifications, "mine" — would differ here. The check can fail: with every account given the same sight, a district's
administrator is served the city's lists and it says so.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from gongjian.core import listcache
from gongjian.core.models import AuditEvent
from gongjian.demo import build as demo_build

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the demo-wide check runs in the PostgreSQL pass")

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

ROLE_KEYS = ["city", "district", "subdistrict", "community", "liaison", "department", "member"]
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
_MESSAGE = re.compile(r'<div class="alert [^"]*" role="alert" data-message="[^"]*">.*?</div>\s*<a class="btn-close"[^>]*></a>\s*</div>', re.S)


def _same(html: str) -> str:
    """The page but for what differs between two requests of one account by design: each request's CSRF token, and
    the flash messages of the frame (a message shows once)."""
    return re.sub(r"\s+", " ", _MESSAGE.sub("", _CSRF.sub(r"\1\2", html)))


@pytest.fixture
def small_demo(db: Any, settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    demo_build.build(scale="small", seed=11, out=lambda _s: None)


class Switch:
    """The list cache on or off (``listcache.enabled``), flipped twice per list."""

    def __init__(self, monkeypatch: Any) -> None:
        self.on = True
        monkeypatch.setattr(listcache, "enabled", lambda: self.on)


@pytest.fixture
def switch(monkeypatch: Any) -> Switch:
    return Switch(monkeypatch)


def _twin(user: Any) -> Any:
    from gongjian.accounts.models import Scope, User

    twin = User.objects.create_user(username=f"{user.username}_twin", password="Twin-password-1")
    for s in Scope.objects.filter(user=user, is_active=True):
        Scope.objects.create(user=twin, role=s.role, kind=s.kind, region=s.region, unit=s.unit, department=s.department)
    return twin


def _client(user: Any) -> Client:
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(user)
    return c


def _lists() -> list[str]:
    import bench_load

    from gongjian.accounts.models import User

    probe = _client(User.objects.filter(is_superuser=False, scopes__role="city_admin").first())
    return bench_load.page_candidates() + bench_load.api_lists(probe)


def mismatches(first: Any, second: Any, paths: list[str], switch: Switch, verbose: bool = True) -> list[str]:
    """The paths where ``second`` is served by the cache (filled by ``first``) something else than it would see."""
    ca, cb = _client(first), _client(second)
    out: list[str] = []
    for path in paths:
        # the clock stands still for the three requests: a countdown ("还剩 2 小时 5 分") kept a second ago may read a
        # minute less when drawn again — staleness the kept lists accept by design (TTL), not what is checked here
        with time_machine.travel(timezone.now(), tick=False):
            switch.on = True
            if ca.get(path).status_code != 200:
                continue
            kept = cb.get(path)
            switch.on = False
            events = AuditEvent.objects.count()
            fresh = cb.get(path)
            switch.on = True
        a, b = _same(kept.content.decode()), _same(fresh.content.decode())
        if kept.status_code != fresh.status_code or a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            out.append(f"{path} ({kept.status_code}/{fresh.status_code}: …{a[at - 60:at + 100]}…)" if verbose else path)
        elif _shared(fresh) and AuditEvent.objects.count() != events:
            out.append(f"{path} (records an audit event when read)")
    return out


def _shared(resp: Any) -> bool:
    return listcache.is_shared(resp.wsgi_request)


def test_every_shared_list_shows_each_account_what_it_would_see(small_demo: None, switch: Switch) -> None:
    import bench_load

    accounts, _notes = bench_load.choose_accounts(ROLE_KEYS)
    assert {a.key for a in accounts} >= {"city", "district", "community", "member"}
    paths = _lists()
    assert "/api/v1/orgs/members" in paths and "/cobuild/needs/" in paths
    found = {a.key: mismatches(a.user, _twin(a.user), paths, switch) for a in accounts}
    assert found == {a.key: [] for a in accounts}


def test_the_check_fails_when_accounts_of_other_sights_share(small_demo: None, switch: Switch, monkeypatch: Any) -> None:
    import bench_load

    accounts = {a.key: a for a in bench_load.choose_accounts(["city", "district"])[0]}
    monkeypatch.setattr(listcache, "sight", lambda actor: ("everyone",))
    found = mismatches(accounts["city"].user, accounts["district"].user, ["/api/v1/orgs/members", "/cobuild/needs/"], switch, verbose=False)
    assert found == ["/api/v1/orgs/members", "/cobuild/needs/"]
