"""Pages every role opens stay cheap (issue #12): the policy library is a shared list whose kept body reads nothing, the
units list builds its query only when its table is drawn, the member's own screen is one query of the columns it shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongjian.orgs import search, selectors, services
from gongjian.orgs.models import Policy
from gongjian.testing import factories as f


def _get(client: Any, path: str, **params: Any) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path, params)
        assert resp.status_code == 200, (path, resp.status_code)
    return [q["sql"] for q in ctx.captured_queries], resp.content.decode()


def _orgs(sqls: list[str]) -> list[str]:
    """The queries of the module's own tables."""
    return [s for s in sqls if '"orgs_' in s.partition(" FROM ")[2][:40]]


def _policies(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        p = Policy(title=f"第{i:02d}号办法", level="district", role="supporting", issuer="二七区委",
                   issued_on=dt.date(2015 + i % 10, 1 + i % 12, 1), body=f"社区治理的第{i:02d}条具体办法。")
        p.search_tokens, p.token_count = search.token_field(p.title, p.doc_number, p.issuer, p.body)
        p.save()


def _counting(real: Any, calls: list[str], name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)

    return call


@pytest.fixture
def cache_on(settings: Any) -> None:
    settings.GONGJIAN_LIST_CACHE = True


# --- the policy library --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"level": "district"}, {"q": "社区治理"}])
def test_the_policy_library_has_a_fixed_number_of_queries(world: Any, client: Any, params: dict[str, str]) -> None:
    client.force_login(world.users["district_admin"])
    client.get(reverse("orgs:policy_list"))  # the frame's caches warm: compare warm requests
    _policies(3)
    few, _html = _get(client, reverse("orgs:policy_list"), **params)
    _policies(40, start=3)
    many, html = _get(client, reverse("orgs:policy_list"), **params)
    # the count (or a search's candidates and the library's statistics), the page's rows, the years of the filter row
    assert len(many) == len(few) and len(_orgs(many)) == (4 if params.get("q") else 3), many
    assert html.count('class="list-group-item"') == 20 and "2024" in html


def test_a_kept_policy_library_reads_nothing_and_a_write_is_seen_at_once(world: Any, client: Any, cache_on: None,
                                                                          monkeypatch: Any) -> None:
    admin = world.users["district_admin"]
    _policies(3)
    client.force_login(admin)
    first, html = _get(client, reverse("orgs:policy_list"))
    assert _orgs(first) and "第00号办法" in html
    calls: list[str] = []
    for name in ("policy_search", "policy_years"):
        monkeypatch.setattr(selectors, name, _counting(getattr(selectors, name), calls, name))
    kept, again = _get(client, reverse("orgs:policy_list"))
    assert not _orgs(kept) and calls == [], (kept, calls)  # the body kept: no count, no rows, no years, no query built
    assert again == html.replace(_csrf(html), _csrf(again))
    services.policy_create(actor=admin, title="新的办法", level="district", role="supporting", issuer="二七区委",
                           issued_on=dt.date(2025, 6, 1), region=world.tree.erqi, body="新办法的正文。")  # audited: moves "orgs"
    assert "新的办法" in _get(client, reverse("orgs:policy_list"))[1]


def test_a_kept_policy_library_is_shared_by_the_same_scope_only(world: Any, client: Any, cache_on: None) -> None:
    _policies(2)
    client.force_login(world.users["district_admin"])
    _get(client, reverse("orgs:policy_list"))
    twin = f.user("district_admin", region=world.tree.erqi)
    client.force_login(twin)
    sqls, html = _get(client, reverse("orgs:policy_list"))
    assert not _orgs(sqls) and "第01号办法" in html  # served from what the first administrator of 二七区 saw
    assert 'href="/orgs/policies/new/"' in html  # the heading's actions are the account's own, drawn per request
    client.force_login(world.users["member"])  # a member's lists are the account's own (a role reaching its own records)
    sqls, html = _get(client, reverse("orgs:policy_list"))
    assert _orgs(sqls) and "第01号办法" in html and 'href="/orgs/policies/new/"' not in html


def _csrf(html: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    return html.split(marker, 1)[1].split('"', 1)[0] if marker in html else "\x00"


# --- resident units ---------------------------------------------------------------------------------------------


def test_a_kept_units_list_builds_no_query(world: Any, client: Any, cache_on: None, monkeypatch: Any) -> None:
    client.force_login(world.users["district_admin"])
    assert "二七区某机关" in _get(client, reverse("orgs:unit_list"))[1]
    calls: list[str] = []
    monkeypatch.setattr(selectors, "unit_page", _counting(selectors.unit_page, calls, "unit_page"))
    sqls, html = _get(client, reverse("orgs:unit_list"))
    assert calls == [] and not _orgs(sqls) and "二七区某机关" in html
    other = _get(client, reverse("orgs:unit_list"), kind="organ")[1]  # another query string: computed
    assert len(calls) == 1 and "二七区某机关" in other


# --- the member's own screen ------------------------------------------------------------------------------------


def test_my_member_page_is_one_query_of_what_it_shows(world: Any, client: Any) -> None:
    m = world.m_a1
    m.employer_unit = world.unit_a
    m.save(update_fields=["employer_unit"])
    client.force_login(world.users["member"])
    client.get(reverse("orgs:me"))  # the frame's caches warm
    sqls, html = _get(client, reverse("orgs:me"))
    assert len(_orgs(sqls)) == 1, sqls  # no field read later one by one
    assert " ORDER BY " not in _orgs(sqls)[0]  # one row by its unique key
    for shown in ("张伟", "淮河社区第一党支部", "二七区某机关", "淮河社区", "138****1111"):
        assert shown in html, shown
    assert "13800001111" not in html
