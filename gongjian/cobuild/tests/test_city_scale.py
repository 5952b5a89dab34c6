"""A city's co-building lists stay bounded (issue #12).

* The community and unit selects of the filter rows list at most ``picker.PICKER_LIMIT`` choices, the chosen one among
  them, with a search box (``<name>_q``) that narrows them; the list answers ``?partial=<name>`` with the options alone.
  A page costs the same number of queries whatever the number of communities or units.
* The project list counts each shown project's needs (not every project of the area before the page is cut).
* The matching board's assignment is computed once per set of inputs; a page reads only its rows, and any change to
  the needs, the decisions or the resources gives the board a new key.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.cobuild import services as csvc
from gongjian.cobuild.models import Project, ProjectNeed
from gongjian.cobuild.suggestions import selectors as sel
from gongjian.cobuild.suggestions import services as ssvc
from gongjian.core import picker, registry
from gongjian.regions.choices import Level
from gongjian.regions.models import Region
from gongjian.testing import factories as f

from .test_projects_views import make_need, make_project
from .test_suggestions_services import _fresh_index, need, res  # noqa: F401 - the index is dropped around each test


def login(client: Any, user: Any) -> Any:
    client.logout()
    client.force_login(user)
    return client


def options(html: str, name: str) -> list[str]:
    """The values of the select ``name``'s options (the empty one included)."""
    m = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert m, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', m.group(1))


def communities(tree: Any, k: int, start: int = 100) -> list[Any]:
    return [f.region(f"410103001{start + i:03d}", f"测试{i}社区", Level.COMMUNITY, tree.sub_a) for i in range(k)]


def queries(client: Any, path: str, **params: Any) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path, params)
    assert r.status_code == 200, r.status_code
    return len(ctx.captured_queries), r.content.decode()


# --- the community and unit selects ------------------------------------------------------------


def test_need_list_community_select_is_bounded_with_a_search(world, client, monkeypatch):
    c = login(client, world.users["city_admin"])
    c.get("/cobuild/needs/")  # the account's scopes and bell are cached from here on: measure warm requests
    few_queries, html = queries(c, "/cobuild/needs/")
    assert len(options(html, "community")) == 1 + 4 and 'name="community_q"' not in html  # a small area: all, as before
    monkeypatch.setattr(picker, "PICKER_LIMIT", 3)
    many = communities(world.tree, 6)
    n, html = queries(c, "/cobuild/needs/")
    assert n == few_queries
    assert len(options(html, "community")) == 1 + 3 + 1 and 'name="community_q"' in html  # any, 3, the hint (disabled)
    assert 'hx-get="/cobuild/needs/?partial=community"' in html
    assert "<option value=\"\" disabled>最多列出 3 项，请输入名称搜索以缩小范围。</option>" in html  # the hint, in Chinese
    # the chosen community is always among the options, and selected
    html = c.get("/cobuild/needs/", {"community": many[5].pk}).content.decode()
    assert str(many[5].pk) in options(html, "community") and f'<option value="{many[5].pk}" selected>' in html
    # the search narrows the select (by name or code), without JavaScript too
    html = c.get("/cobuild/needs/", {"community_q": "测试5"}).content.decode()
    assert options(html, "community") == ["", str(many[5].pk)] and 'value="测试5"' in html
    assert options(c.get("/cobuild/needs/", {"community_q": many[4].code}).content.decode(), "community") == ["", str(many[4].pk)]
    # htmx asks for the options alone
    part = c.get("/cobuild/needs/", {"partial": "community", "community_q": "测试2", "community": many[2].pk}).content.decode()
    assert "<html" not in part and part.startswith('<option value="">全部社区</option>')
    assert f'<option value="{many[2].pk}" selected>测试2社区</option>' in part
    Region.objects.filter(pk=many[3].pk).update(name="<b>测试3</b>社区")  # a name is text, never markup
    part = c.get("/cobuild/needs/", {"partial": "community", "community_q": "测试3"}).content.decode()
    assert "&lt;b&gt;测试3&lt;/b&gt;社区" in part and "<b>" not in part
    # the partial keeps the page's permission; the community admin's area is one community
    assert login(client, world.users["resident"]).get("/cobuild/needs/", {"partial": "community"}).status_code == 404
    html = login(client, world.users["community_admin"]).get("/cobuild/needs/").content.decode()
    assert 'name="community"' not in html and 'name="community_q"' not in html  # one community: nothing to choose


def test_project_list_pickers_and_needs_counted_per_row(world, client, monkeypatch, django_assert_max_num_queries):
    p1 = make_project(world, title="楼道扶手")
    extra = make_need(world, "第二个需求")
    ProjectNeed.objects.create(project=p1, need=extra)
    make_project(world, b=True, title="通信花园绿化")
    c = login(client, world.users["city_admin"])
    base, html = queries(c, "/cobuild/projects/")
    counts = dict(re.findall(r'<tr data-project="(\d+)">.*?data-label="需求数">(\d+)</td>', html, re.S))
    assert counts[str(p1.pk)] == "2" and sorted(counts.values()) == ["1", "2"]
    assert len(options(html, "unit")) == 1 + 2 and 'name="unit_q"' not in html
    monkeypatch.setattr(picker, "PICKER_LIMIT", 1)
    for i in range(6):
        make_project(world, title=f"批量项目{i}")
    with django_assert_max_num_queries(base):
        r = c.get("/cobuild/projects/")
    html = r.content.decode()
    assert 'name="community_q"' in html and 'name="unit_q"' in html
    assert len(options(html, "unit")) == 1 + 1 + 1
    found = c.get("/cobuild/projects/", {"unit_q": world.unit_b.name}).content.decode()
    assert options(found, "unit") == ["", str(world.unit_b.pk)]
    part = c.get("/cobuild/projects/", {"partial": "unit", "unit_q": world.unit_b.uscc}).content.decode()
    assert "<html" not in part and f'value="{world.unit_b.pk}"' in part
    assert Project.objects.count() == 8


def test_partner_lists_community_select_is_bounded(world, client, monkeypatch):
    c = login(client, world.users["city_admin"])
    for path in ("/cobuild/partners/report-ins/", "/cobuild/partners/"):
        c.get(path)  # the account's scopes and bell are cached from here on: measure warm requests
        base, html = queries(c, path)
        assert len(options(html, "community")) == 1 + 4 and 'name="community_q"' not in html, path
        monkeypatch.setattr(picker, "PICKER_LIMIT", 2)
        n, html = queries(c, path)
        assert n == base and 'name="community_q"' in html and len(options(html, "community")) == 1 + 2 + 1, path
        html = c.get(path, {"community_q": "省供销社"}).content.decode()
        assert options(html, "community") == ["", str(world.tree.comm_b1.pk)], path
        html = c.get(path, {"community_q": "不存在"}).content.decode()
        assert options(html, "community") == [""] and 'name="community_q"' in html, path  # nothing found: the box stays
        part = c.get(path, {"partial": "community", "community_q": "淮河"}).content.decode()
        assert "<html" not in part and f'value="{world.tree.comm_a1.pk}"' in part, path
        monkeypatch.setattr(picker, "PICKER_LIMIT", 50)
    # a community administrator's list still offers the button to his community's page
    html = login(client, world.users["community_admin"]).get("/cobuild/partners/report-ins/").content.decode()
    assert 'id="my-community"' in html


# --- the matching board ------------------------------------------------------------------------


@pytest.fixture
def computed(monkeypatch: Any) -> list[Any]:
    """The regions the board's assignment was computed for (the engine run), one entry per run."""
    runs: list[Any] = []
    compute = sel._compute_board

    def counting(actor: Any, region: Any, index: Any, k: int) -> Any:
        runs.append(region.pk)
        return compute(actor, region, index, k)

    monkeypatch.setattr(sel, "_compute_board", counting)
    return runs


def test_board_is_computed_once_per_set_of_inputs(world, computed):
    sub = world.users["subdistrict_admin"]
    n1 = need(world, "老人助餐", description="独居老人午餐")
    n2 = need(world, "老人吃饭难", description="老人午餐送餐", community=world.tree.comm_a2)
    r = res(world)
    first = sel.board(actor=sub, region=world.tree.sub_a)
    again = sel.board(actor=sub, region=world.tree.sub_a)
    assert len(computed) == 1 and len(first) == len(again) == 2 and first.proposed == again.proposed == 1
    assert [(row.need.pk, row.proposal.resource.pk if row.proposal else None) for row in again] == \
        [(row.need.pk, row.proposal.resource.pk if row.proposal else None) for row in first]
    # another actor (another scope) has a board of his own
    sel.board(actor=world.users["district_admin"], region=world.tree.sub_a)
    assert len(computed) == 2
    # a decision, a need's edit, a new need and a resource's change each give the board a new key
    proposed = next(row for row in again if row.proposal)
    ssvc.match_reject(actor=sub, need=proposed.need, resource=r, reason="不合适")
    after = {row.need.pk: row.proposal for row in sel.board(actor=sub, region=world.tree.sub_a)}
    assert len(computed) == 3 and after[proposed.need.pk] is None  # the rejected pair is not proposed again
    csvc.need_update(actor=world.users["city_admin"], need=n1, title="老人助餐（改）")
    assert sel.board(actor=sub, region=world.tree.sub_a)[0].need.title in ("老人助餐（改）", "老人吃饭难") and len(computed) == 4
    need(world, "第三个需求", description="老人午餐")
    assert len(sel.board(actor=sub, region=world.tree.sub_a)) == 3 and len(computed) == 5
    res(world, "老年餐桌", description="社区老年餐桌送餐")
    board = sel.board(actor=sub, region=world.tree.sub_a)
    assert len(computed) == 6 and board.proposed >= 1
    assert {row.need.pk for row in board} >= {n1.pk, n2.pk}


def test_board_page_reads_only_its_rows(world, client, computed):
    sub = world.users["subdistrict_admin"]
    res(world)
    for i in range(3):
        need(world, f"老人助餐{i}", description="独居老人午餐")
    c = login(client, sub)
    url = "/cobuild/matching/board/"
    c.get(url)
    few, _html = queries(c, url)
    for i in range(25):
        need(world, f"老人吃饭难{i}", description="老人午餐送餐", community=world.tree.comm_a2)
    c.get(url)  # computes the board again (new needs)
    runs = len(computed)
    many, html = queries(c, url)
    assert len(computed) == runs  # served from the cache
    assert many == few and html.count("<tr data-need=") == 20 and "28 个已发布需求中有 1 个获得对接方案" in html
    api_few = queries(c, "/api/v1/cobuild/matching/board")[0]
    body = c.get("/api/v1/cobuild/matching/board", {"size": 5, "page": 2}).json()
    assert body["count"] == 28 and body["proposed"] == 1 and len(body["items"]) == 5 and body["page"] == 2
    assert queries(c, "/api/v1/cobuild/matching/board", size=50)[0] == api_few


def test_the_board_cache_client_is_loaded_before_the_workers_fork():
    steps = {w.key: w.build for w in registry.warmups()}
    assert steps["cobuild.board_cache"] is sel.warm_board_cache
    sel.warm_board_cache()  # reads the cache once; nothing is written
