"""The structure overview and the department list of a whole city stay cheap (issue #12): counts of the page's rows only,
kinds translated once per page, the same number of queries however many rows there are."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongjian.regions.models import Department, Office, StaffQuota
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def _queries(client: Any, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path)
        assert resp.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def _subdistricts(tree: Any, n: int) -> None:
    for i in range(n):
        sub = factories.region(f"410103{100 + i:03d}000", f"测试{i:02d}街道", "subdistrict", tree.erqi)
        for k in range(2):
            Office.objects.create(subdistrict=sub, region_path=sub.path, name=f"办公室{k}", kind="office", is_active=k == 0)
        StaffQuota.objects.create(subdistrict=sub, region_path=sub.path, year=2025, count=i + 1)


def _departments(tree: Any, start: int, n: int) -> None:
    for i in range(start, start + n):
        Department.objects.create(region=tree.erqi, region_path=tree.erqi.path, name=f"测试{i:02d}局", kind="finance" if i % 2 else "health")


def test_structure_overview_counts_offices_of_the_page_rows_only(tree, actors, client):
    client.force_login(actors.city)
    client.get(reverse("regions:structure_list"))  # the frame's caches (the account's scope rows, the bell) warm: compare warm requests
    _subdistricts(tree, 3)
    few = _queries(client, reverse("regions:structure_list"))
    for i in range(30):
        factories.region(f"410105{200 + i:03d}000", f"金水{i:02d}街道", "subdistrict", tree.jinshui)
    many = _queries(client, reverse("regions:structure_list"))
    assert len(many) == len(few)
    page = [s for s in many if "regions_office" in s and not s.upper().startswith("SELECT COUNT(")]
    assert page and all("GROUP BY" not in s.split("FROM", 1)[0] for s in page)  # no COUNT over a join of every subdistrict
    count = [s for s in many if s.upper().startswith("SELECT COUNT(") and "regions_region" in s]
    assert count and all("regions_office" not in s for s in count)  # the paginator counts subdistricts only
    html = client.get(reverse("regions:structure_list") + "?q=测试01").content.decode()
    assert "测试01街道" in html and ">1</td>" in html and ">2</td>" in html  # one active office; quota 2


def test_department_list_translates_kinds_once_and_has_a_fixed_number_of_queries(tree, actors, client):
    client.force_login(actors.city)
    client.get(reverse("regions:department_list"))  # the frame's caches warm, as above
    _departments(tree, 0, 2)
    few = _queries(client, reverse("regions:department_list"))
    _departments(tree, 2, 40)
    assert len(_queries(client, reverse("regions:department_list"))) == len(few)
    html = client.get(reverse("regions:department_list") + "?q=测试03").content.decode()
    assert "测试03局" in html and "财政" in html


@pytest.mark.parametrize(("path", "selector"), [("regions:structure_list", "subdistrict_list"), ("regions:department_list", "department_list")])
def test_a_kept_list_builds_no_query(tree, actors, client, settings, monkeypatch, path, selector):
    """Marked shared lists: a body kept by core.listcache neither reads its rows nor builds their query (the scope, the
    per-row subqueries: ~1 ms of ORM work for nothing)."""
    from gongjian.regions import selectors

    settings.GONGJIAN_LIST_CACHE = True
    _subdistricts(tree, 2)
    _departments(tree, 0, 2)
    client.force_login(actors.city)
    first = client.get(reverse(path)).content.decode()
    calls: list[Any] = []
    real = getattr(selectors, selector)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, selector, counting)
    sqls = _queries(client, reverse(path))
    assert calls == [] and not [s for s in sqls if '"regions_' in s.partition(" FROM ")[2][:40]], (calls, sqls)
    assert "测试01" in first and "测试01" in client.get(reverse(path)).content.decode()
    client.get(reverse(path) + "?q=测试")  # another query string: computed
    assert len(calls) == 1
