"""Matching pages and API: the need page's panel, accept/reject/undo through the pages, the board, the permission matrix."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from gongjian.accounts.models import ApiToken
from gongjian.cobuild.choices import MatchVerdict, NeedStatus
from gongjian.cobuild.models import MatchDecision, Need, Project, Resource
from gongjian.cobuild.suggestions import index as idx
from gongjian.core.models import AuditEvent
from gongjian.core.registry import nav_entries

from .test_suggestions_services import need, res


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    idx.forget()
    yield
    idx.forget()


@pytest.fixture
def api(client):
    def _for(user):
        _tok, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

        class C:
            def get(self, path, **params):
                return client.get(f"/api/v1/cobuild{path}", params, **headers)

            def post(self, path, body=None):
                return client.post(f"/api/v1/cobuild{path}", body or {}, content_type="application/json", **headers)

            def delete(self, path):
                return client.delete(f"/api/v1/cobuild{path}", **headers)

        return C()

    return _for


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"


def test_need_page_loads_the_panel_and_accepting_makes_a_project(world, client):
    admin = world.users["community_admin"]
    n = need(world, description="中午给独居老人送饭", quantity="3", quantity_unit="人")
    r = res(world)
    _login(client, admin)
    page = client.get(reverse("cobuild:need_detail", args=[n.pk])).content.decode()
    assert reverse("cobuild:suggest_panel", args=[n.pk]) in page and 'hx-trigger="load"' in page
    panel = client.get(reverse("cobuild:suggest_panel", args=[n.pk]), HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert panel.status_code == 200 and "<html" not in html
    assert r.title in html and "同类：助老" in html and "容量足够：剩余 10 人" in html and 'value="3"' in html
    full = client.get(reverse("cobuild:suggest_panel", args=[n.pk])).content.decode()
    assert "<html" in full and "对接建议" in full
    url = reverse("cobuild:suggest_accept", args=[n.pk, r.pk])
    bad = client.post(url, {"amount": "99"}, follow=True).content.decode()
    assert "仅剩 10 人" in bad and Project.objects.count() == 0
    done = client.post(url, {"amount": "3"}, follow=True)
    assert done.redirect_chain[-1][0].startswith(reverse("cobuild:need_detail", args=[n.pk]))
    assert "已接受" in done.content.decode()
    assert Project.objects.count() == 1 and Need.objects.get(pk=n.pk).status == NeedStatus.IN_PROJECT
    assert Resource.objects.get(pk=r.pk).remaining == Decimal("7.00")
    after = client.get(reverse("cobuild:suggest_panel", args=[n.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="accepted-pairs"' in after and 'id="suggestions-unavailable"' in after


def test_reject_and_undo_through_the_page(world, client):
    admin = world.users["community_admin"]
    n = need(world)
    r = res(world)
    _login(client, admin)
    url = reverse("cobuild:suggest_reject", args=[n.pk, r.pk])
    empty = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "请填写原因" in empty and not MatchDecision.objects.exists()
    client.post(url, {"reason": "<b>太远</b>"})
    d = MatchDecision.objects.get()
    assert d.verdict == MatchVerdict.REJECTED and d.reason == "<b>太远</b>"
    panel = client.get(reverse("cobuild:suggest_panel", args=[n.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="rejected-pairs"' in panel and "&lt;b&gt;太远&lt;/b&gt;" in panel and 'id="suggestion-table"' not in panel
    # an open redirect is refused: back to the need page
    back = client.post(reverse("cobuild:suggest_unreject", args=[n.pk, r.pk]), {"next": "https://evil.example/"})
    assert back.status_code == 302 and back["Location"].startswith(reverse("cobuild:need_detail", args=[n.pk]))
    assert not MatchDecision.objects.exists()
    assert AuditEvent.objects.filter(verb="cobuild.match.unreject").count() == 1


def test_pages_out_of_scope_or_role_are_404(world, client):
    n = need(world)
    r = res(world)
    for who in ("community_admin_b", "unit_liaison", "resident", "member", "instructor", "nobody"):
        _login(client, world.users[who])
        assert client.get(reverse("cobuild:suggest_panel", args=[n.pk])).status_code == 404, who
        assert client.post(reverse("cobuild:suggest_accept", args=[n.pk, r.pk]), {"amount": "1"}).status_code == 404, who
        assert client.post(reverse("cobuild:suggest_reject", args=[n.pk, r.pk]), {"reason": "x"}).status_code == 404, who
        assert client.post(reverse("cobuild:suggest_unreject", args=[n.pk, r.pk])).status_code == 404, who
    assert not MatchDecision.objects.exists() and not Project.objects.exists()
    _login(client, world.users["community_admin"])
    assert client.get(reverse("cobuild:suggest_accept", args=[n.pk, r.pk])).status_code == 405
    assert client.get(reverse("cobuild:suggest_panel", args=[10**12])).status_code == 404


BOARD_MATRIX = {
    "city_admin": 200, "district_admin": 200, "subdistrict_admin": 200, "community_admin": 404, "community_admin_b": 404,
    "unit_liaison": 404, "resident": 404, "member": 404, "instructor": 404, "nobody": 404,
}


@pytest.mark.parametrize(("who", "status"), BOARD_MATRIX.items())
def test_board_permission_matrix(world, client, who, status):
    _login(client, world.users[who])
    assert client.get(reverse("cobuild:suggest_board"), {"region": world.tree.sub_a.pk}).status_code == status
    assert client.get(reverse("cobuild:suggest_board_export"), {"region": world.tree.sub_a.pk}).status_code == status
    labels = [e.url_name for _m, e in nav_entries()]
    assert "cobuild:suggest_board" in labels


def test_board_page_accept_a_row_and_export(world, client, django_assert_max_num_queries):
    sub = world.users["subdistrict_admin"]
    n1 = need(world, "老人助餐", description="独居老人午餐", quantity="2", quantity_unit="人")
    n2 = need(world, "老人吃饭难", description="老人午餐送餐", community=world.tree.comm_a2)
    r = res(world)
    _login(client, sub)
    page = client.get(reverse("cobuild:suggest_board"))
    html = page.content.decode()
    assert page.status_code == 200 and "对接看板" in html and n1.title in html and n2.title in html
    assert html.count(f'data-resource="{r.pk}"') == 1  # proposed once
    assert "2 个已发布需求中有 1 个获得对接方案" in html
    # the sidebar shows the board to this admin
    assert reverse("cobuild:suggest_board") in client.get(reverse("cobuild:need_list")).content.decode()
    with django_assert_max_num_queries(40):
        client.get(reverse("cobuild:suggest_board"), {"region": world.tree.sub_a.pk})
    assert client.get(reverse("cobuild:suggest_board"), {"region": world.tree.sub_b.pk}).status_code == 404
    assert client.get(reverse("cobuild:suggest_board"), {"region": "x"}).status_code == 200  # a malformed value: own area
    assert client.get(reverse("cobuild:suggest_board"), {"region": "x\x00"}).status_code == 400
    export = client.get(reverse("cobuild:suggest_board_export"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["社区（村）", "需求"] and len(rows) == 3
    assert any(row[4] == r.title and "同类：助老" in row[10] for row in rows[1:])
    assert any("暂无可对接的资源" in row[10] for row in rows[1:])
    board_url = reverse("cobuild:suggest_board") + f"?region={world.tree.sub_a.pk}"
    proposed_need = n1 if f'data-need="{n1.pk}"' in html.split(f'data-resource="{r.pk}"')[0].rsplit("<tr", 1)[-1] else n2
    done = client.post(reverse("cobuild:suggest_accept", args=[proposed_need.pk, r.pk]), {"amount": "2", "next": board_url})
    assert done.status_code == 302 and done["Location"] == board_url
    assert Project.objects.count() == 1


def test_api_suggestions_accept_reject_undo_and_board(world, api):
    admin = api(world.users["community_admin"])
    n = need(world, quantity="2", quantity_unit="人")
    r1, r2 = res(world), res(world, "老年餐桌", description="社区老年餐桌送餐")
    got = admin.get(f"/needs/{n.pk}/suggestions")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["suggestable"] and {i["resource_id"] for i in body["items"]} == {r1.pk, r2.pk}
    item = body["items"][0]
    assert item["reasons"] and item["default_amount"] == 2.0 and item["capacity_unit"] == "people" and 0 < item["score"] <= 1
    assert admin.get(f"/needs/{n.pk}/suggestions", k=1).json()["items"].__len__() == 1
    assert admin.get(f"/needs/{n.pk}/suggestions", k=99).status_code == 400
    assert admin.get(f"/needs/{n.pk}/suggestions", k="x").status_code == 422
    rej = admin.post(f"/needs/{n.pk}/suggestions/{r2.pk}/reject", {"reason": ""})
    assert rej.status_code == 400 and rej.json()["code"] == "invalid" and "reason" in rej.json()["details"]
    rej = admin.post(f"/needs/{n.pk}/suggestions/{r2.pk}/reject", {"reason": "不合适"})
    assert rej.status_code == 201 and rej.json()["verdict"] == "rejected"
    body = admin.get(f"/needs/{n.pk}/suggestions").json()
    assert [i["resource_id"] for i in body["items"]] == [r1.pk] and body["rejected"][0]["reason"] == "不合适"
    assert admin.delete(f"/needs/{n.pk}/suggestions/{r2.pk}/reject").status_code == 204
    assert admin.delete(f"/needs/{n.pk}/suggestions/{r2.pk}/reject").status_code == 404
    too_much = admin.post(f"/needs/{n.pk}/suggestions/{r1.pk}/accept", {"amount": "11"})
    assert too_much.status_code == 409 and too_much.json()["code"] == "capacity_exhausted"
    assert admin.post(f"/needs/{n.pk}/suggestions/{r1.pk}/accept", {"amount": "abc"}).status_code == 400
    assert admin.post(f"/needs/{n.pk}/suggestions/{r1.pk}/accept", {"amount": "1", "title": "a\x00"}).status_code == 422
    assert admin.post(f"/needs/{n.pk}/suggestions/{r1.pk}/accept", {"amount": ""}).status_code == 400
    ok = admin.post(f"/needs/{n.pk}/suggestions/{r1.pk}/accept", {})  # the default: the need's 2 people
    assert ok.status_code == 201 and ok.json()["verdict"] == "accepted" and ok.json()["project_id"]
    assert Resource.objects.get(pk=r1.pk).remaining == Decimal("8.00")
    again = admin.post(f"/needs/{n.pk}/suggestions/{r2.pk}/accept", {"amount": 1})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    # out of scope / wrong role: 404; unknown resource: 404
    other = api(world.users["community_admin_b"])
    assert other.get(f"/needs/{n.pk}/suggestions").status_code == 404
    assert other.post(f"/needs/{n.pk}/suggestions/{r1.pk}/reject", {"reason": "x"}).status_code == 404
    assert api(world.users["unit_liaison"]).get(f"/needs/{n.pk}/suggestions").status_code == 404
    n2 = need(world, "老人助餐")
    assert admin.post(f"/needs/{n2.pk}/suggestions/{10**12}/reject", {"reason": "x"}).status_code == 404
    # board
    sub = api(world.users["subdistrict_admin"])
    board = sub.get("/matching/board", region=world.tree.sub_a.pk)
    assert board.status_code == 200 and board.json()["region_id"] == world.tree.sub_a.pk
    assert [i["need_id"] for i in board.json()["items"]] == [n2.pk]
    assert board.json()["items"][0]["proposal"]["resource_id"] in {r1.pk, r2.pk} and board.json()["proposed"] == 1
    assert sub.get("/matching/board", region=world.tree.sub_b.pk).status_code == 404
    assert admin.get("/matching/board").status_code == 404
    assert sub.get("/matching/board").json()["region_id"] == world.tree.sub_a.pk


PANEL_MATRIX = {
    "city_admin": 200, "district_admin": 200, "subdistrict_admin": 200, "community_admin": 200, "community_admin_b": 404,
    "unit_liaison": 404, "unit_liaison_b": 404, "resident": 404, "member": 404, "instructor": 404, "nobody": 404,
}


@pytest.mark.parametrize(("who", "status"), PANEL_MATRIX.items())
def test_suggestions_permission_matrix(world, api, who, status):
    """role × action on a need of 淮河社区: those who may manage it see, reject, undo and accept; everyone else 404."""
    n = need(world)
    r = res(world)
    c = api(world.users[who])
    assert c.get(f"/needs/{n.pk}/suggestions").status_code == status
    rej = c.post(f"/needs/{n.pk}/suggestions/{r.pk}/reject", {"reason": "测试"})
    assert rej.status_code == (201 if status == 200 else 404)
    assert c.delete(f"/needs/{n.pk}/suggestions/{r.pk}/reject").status_code == (204 if status == 200 else 404)
    acc = c.post(f"/needs/{n.pk}/suggestions/{r.pk}/accept", {"amount": "1"})
    assert acc.status_code == (201 if status == 200 else 404), acc.content
    assert Project.objects.count() == (1 if status == 200 else 0)


def test_hostile_input_gets_clear_errors(world, api, client, django_assert_max_num_queries):
    admin = world.users["community_admin"]
    n = need(world)
    r = res(world)
    c = api(admin)
    long_reason = c.post(f"/needs/{n.pk}/suggestions/{r.pk}/reject", {"reason": "很" * 501})
    assert long_reason.status_code == 400 and "500" in long_reason.json()["details"]["reason"][0]
    assert c.post(f"/needs/{n.pk}/suggestions/{r.pk}/accept", {"amount": "1" * 40}).status_code == 400
    assert c.post(f"/needs/{n.pk}/suggestions/{r.pk}/accept", {"amount": [1]}).status_code == 422
    assert c.post(f"/needs/{n.pk}/suggestions/{r.pk}/accept", {"amount": "NaN"}).status_code == 400
    assert c.get(f"/needs/{2**70}/suggestions").status_code in (404, 422)
    assert not MatchDecision.objects.exists() and not Project.objects.exists()
    _login(client, admin)
    for i in range(6):
        res(world, f"助餐服务{i}")
    client.get(reverse("cobuild:suggest_panel", args=[n.pk]), HTTP_HX_REQUEST="true")  # builds the index
    with django_assert_max_num_queries(20):
        page = client.get(reverse("cobuild:suggest_panel", args=[n.pk]), HTTP_HX_REQUEST="true")
    assert page.content.decode().count('data-form="accept"') == 5


def test_board_paginates(world, client):
    for i in range(23):
        need(world, f"需求{i:02d}", community=world.tree.comm_a2 if i % 2 else world.tree.comm_a1)
    res(world)
    _login(client, world.users["district_admin"])
    first = client.get(reverse("cobuild:suggest_board"), {"region": world.tree.sub_a.pk}).content.decode()
    assert first.count("data-need=") == 20 and "1 / 2" in first
    second = client.get(reverse("cobuild:suggest_board"), {"region": world.tree.sub_a.pk, "page": 2}).content.decode()
    assert second.count("data-need=") == 3
    own = client.get(reverse("cobuild:suggest_board")).content.decode()  # the district admin's own area: the district
    assert "二七区" in own and own.count("data-need=") == 20


def test_home_panel_counts_needs_waiting_for_a_match(world, client):
    need(world)
    need(world, "老人助餐", community=world.tree.comm_b1)
    _login(client, world.users["subdistrict_admin"])
    html = client.get("/").content.decode()
    assert "待对接的已发布需求" in html and reverse("cobuild:suggest_board") in html
    from gongjian.cobuild.suggestions.panels import board_panel

    sub_panel, city_panel = board_panel(world.users["subdistrict_admin"]), board_panel(world.users["city_admin"])
    assert sub_panel is not None and sub_panel["stats"][0]["value"] == 1
    assert city_panel is not None and city_panel["stats"][0]["value"] == 2
    assert board_panel(world.users["community_admin"]) is None
