"""Hostile review of the regions module: odd codes and encodings, broken files, imports across
districts, moves that must keep scopes and paths consistent, out-of-scope 404s on every page and
endpoint, and markup in names."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.accounts.models import ApiToken
from gongjian.core.errors import ValidationError
from gongjian.core.models import AuditEvent
from gongjian.orgs import selectors as org_selectors
from gongjian.regions import services
from gongjian.regions.importer import RegionImporter
from gongjian.regions.models import Department, Region, StaffQuota
from gongjian.testing import factories

pytestmark = pytest.mark.django_db
HEADER = "code,name,level,parent_code,kind\n"


def _check(rows: str, actor, *, header: str = HEADER, encoding: str = "utf-8", bom: bool = False):
    data = (header + rows).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    imp = RegionImporter()
    return imp, imp.check(data, filename="r.csv", actor=actor)


@pytest.fixture
def admin(db):
    return factories.user(None, is_superuser=True)


# --- codes ----------------------------------------------------------------------------------------


def test_import_codes_with_spaces_and_full_width_digits_are_normalised(tree, admin):
    rows = (
        "４１０１０３００１０９９,全角社区,community,４１０１０３００１０００,community\n"
        "410103 001 098, 空格社区 ,community, 410103001000 ,community\n"
        "\u3000410103001097\u3000,全角空格社区,community,410103001000,community\n"
    )
    imp, result = _check(rows, admin)
    assert result.errors == []
    imp.apply(result, actor=admin)
    for code in ("410103001099", "410103001098", "410103001097"):
        r = Region.objects.get(code=code)
        assert r.path == f"/410100/410103/410103001000/{code}/"
    assert Region.objects.get(code="410103001098").name == "空格社区"


def test_service_normalises_codes_too(tree, admin):
    r = services.region_create(actor=admin, code="４１０１０３ ００１ ０５５", name="新社区", level="community", parent=tree.sub_a)
    assert r.code == "410103001055" and r.path.endswith("/410103001055/")
    moved = services.region_update(actor=admin, region=r, code="４１０１０３００１０５６")
    assert moved.code == "410103001056"


@pytest.mark.parametrize("code", ["41010300105A", "410103-001-099", "4101030010991", "٤١٠١٠٣٠٠١٠٩٩"])
def test_codes_that_are_not_digits_or_wrong_length_are_row_errors(tree, admin, code):
    _imp, result = _check(f"{code},坏代码社区,community,410103001000,community\n", admin)
    assert [e.row for e in result.errors] == [2]
    assert result.errors[0].column in ("统计代码", "Statistical code")
    assert not Region.objects.filter(name="坏代码社区").exists()


# --- encodings ------------------------------------------------------------------------------------


def test_utf8_bom_with_chinese_headers(tree, admin):
    imp, result = _check("410103001090,BOM社区,社区,410103001000,社区\n", admin, header="统计代码,名称,层级,上级代码,类型\n", bom=True)
    assert result.errors == [] and result.total == 1
    imp.apply(result, actor=admin)
    assert Region.objects.get(code="410103001090").name == "BOM社区"


def test_gb18030_with_characters_outside_gbk(tree, admin):
    name = "𠀀㘵社区"  # a four-byte GB18030 character and a rare one
    imp, result = _check(f"410103001091,{name},社区,410103001000,社区\n", admin, header="统计代码,名称,层级,上级代码,类型\n", encoding="gb18030")
    assert result.errors == []
    imp.apply(result, actor=admin)
    assert Region.objects.get(code="410103001091").name == name


def test_file_in_an_unsupported_encoding_is_refused_with_a_message(tree, admin):
    from gongjian.core.tabular import FileRejected

    data = (HEADER + "410103001092,社区,community,410103001000,community\n").encode("utf-16")
    with pytest.raises(FileRejected):
        RegionImporter().check(data, filename="r.csv", actor=admin)


# --- broken rows ----------------------------------------------------------------------------------


def test_broken_rows_each_reported_and_nothing_written_in_all_mode(tree, admin):
    rows = (
        "410103001080,缺上级社区,community,410103009000,community\n"  # 2: parent nowhere
        "410103001081,自己上级,community,410103001081,community\n"  # 3: its own parent
        "410103002000,循环街道,subdistrict,410103002001,subdistrict\n"  # 4: a cycle: subdistrict under a community …
        "410103002001,循环社区,community,410103002000,community\n"  # 5: … that sits under it
        "410103001082,层级错,subdistrict,410103001000,subdistrict\n"  # 6: wrong level for its code and parent
        "4101030010,长度错,community,410103001000,community\n"  # 7: wrong code length
        "410105002083,前缀错,community,410103001000,community\n"  # 8: code not under its parent
        "410103001084,好社区,community,410103001000,community\n"  # 9: fine
    )
    imp, result = _check(rows, admin)
    bad = {e.row for e in result.errors}
    assert bad == {2, 3, 4, 5, 6, 7, 8}
    assert [n for n, _d in result.valid] == [9]
    before = Region.objects.count()
    with pytest.raises(ValidationError):
        imp.apply(result, actor=admin, mode="all")
    assert Region.objects.count() == before
    imp.apply(result, actor=admin, mode="valid")
    assert Region.objects.count() == before + 1 and Region.objects.filter(code="410103001084").exists()


def test_duplicate_codes_in_one_file_are_errors_not_a_crash(tree, admin):
    rows = (
        "410103001070,甲社区,community,410103001000,community\n"
        "410103001070,乙社区,community,410103001000,community\n"
        "410103001071,丙社区,community,410103001000,community\n"
    )
    imp, result = _check(rows, admin)
    assert [e.row for e in result.errors] == [3]
    assert "2" in result.errors[0].reason
    out = imp.apply(result, actor=admin, mode="valid")
    assert out.created == 2
    assert Region.objects.get(code="410103001070").name == "甲社区"


def test_duplicate_of_an_existing_code_with_another_name_in_one_file(tree, admin):
    rows = "410103001001,淮河社区,community,410103001000,community\n410103001001,别的名字,community,410103001000,community\n"
    imp, result = _check(rows, admin)
    assert [e.row for e in result.errors] == [3]
    imp.apply(result, actor=admin, mode="valid")
    assert Region.objects.get(code="410103001001").name == "淮河社区"


# --- importing across districts -------------------------------------------------------------------


def test_district_admin_importing_another_districts_rows_is_refused_row_by_row(tree):
    erqi_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    rows = (
        "410103001060,二七新社区,community,410103001000,community\n"
        "410105002060,金水新社区,community,410105002000,community\n"
        "410105002003,省供销社社区改名,community,410105002000,community\n"  # renaming the other district's community
        "410105003000,金水新街道,subdistrict,410105,subdistrict\n"
    )
    imp, result = _check(rows, erqi_admin)
    assert {e.row for e in result.errors} == {3, 4, 5}
    assert [n for n, _d in result.valid] == [2]
    imp.apply(result, actor=erqi_admin, mode="valid")
    assert Region.objects.filter(code="410103001060").exists()
    assert not Region.objects.filter(code__in=["410105002060", "410105003000"]).exists()
    assert Region.objects.get(code="410105002003").name == "省供销社社区"


def test_community_admin_cannot_import_at_all(tree):
    from gongjian.core.permissions import can

    comm_admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    assert not can(comm_admin, "regions.import")


# --- moving keeps scopes and paths consistent -----------------------------------------------------


def test_moving_a_community_keeps_its_admins_scope_and_members_paths(tree):
    city_admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    comm_admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    sub_a_admin = factories.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a)
    new_sub = services.region_create(actor=city_admin, code="410103002000", name="五里堡街道", level="subdistrict", parent=tree.erqi)
    org = factories.party_org(tree.comm_a1)
    elsewhere = factories.party_org(tree.comm_b1)
    m_org = factories.member(org=org)
    m_home = factories.member(org=elsewhere, home=tree.comm_a1)
    seen_before = set(org_selectors.member_list(actor=comm_admin).values_list("pk", flat=True))
    assert {m_org.pk, m_home.pk} <= seen_before

    moved = services.region_update(actor=city_admin, region=tree.comm_a1, parent=new_sub, code="410103002001")

    assert moved.path == "/410100/410103/410103002000/410103002001/"
    m_org.refresh_from_db()
    m_home.refresh_from_db()
    org.refresh_from_db()
    assert m_org.region_path == moved.path and org.region_path == moved.path
    assert m_home.home_path == moved.path and m_home.region_path == tree.comm_b1.path
    # the community admin's scope follows the region (a foreign key), so they still see the same people …
    comm_admin = type(comm_admin).objects.get(pk=comm_admin.pk)
    assert set(org_selectors.member_list(actor=comm_admin).values_list("pk", flat=True)) == seen_before
    # … and the old subdistrict's admin no longer does
    sub_a_admin = type(sub_a_admin).objects.get(pk=sub_a_admin.pk)
    assert not set(org_selectors.member_list(actor=sub_a_admin).values_list("pk", flat=True)) & {m_org.pk, m_home.pk}
    assert Region.objects.filter(path__startswith="/410100/410103/410103001000/410103001001/").count() == 0


def test_failed_move_changes_nothing(tree):
    city_admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    m = factories.member(org=factories.party_org(tree.comm_a1))
    with pytest.raises(ValidationError):
        services.region_update(actor=city_admin, region=tree.comm_a1, parent=tree.sub_b, code="410105002003")  # taken
    m.refresh_from_db()
    assert m.region_path == tree.comm_a1.path
    assert Region.objects.get(pk=tree.comm_a1.pk).path == tree.comm_a1.path
    assert not AuditEvent.objects.filter(verb="region.move").exists()


# --- out of scope: 404 everywhere -----------------------------------------------------------------


@pytest.fixture
def jinshui_things(tree):
    city_admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    offices = services.structure_instantiate(actor=city_admin, subdistrict=tree.sub_b)
    quota = services.quota_create(actor=city_admin, subdistrict=tree.sub_b, count=3, year=2025, office=offices[0])
    power = services.power_create(actor=city_admin, region=tree.jinshui, name="行政执法权", effective_on=dt.date(2025, 1, 1))
    return {"office": offices[0], "quota": quota, "power": power, "dept": tree.dept_jinshui}


def _out_of_scope_urls(tree, things) -> list[str]:
    code = tree.sub_b.code
    urls = [reverse(f"regions:{n}", args=[code]) for n in (
        "detail", "create", "edit", "toggle", "committee", "structure", "office_create", "quota_create")]
    urls.append(reverse("regions:power_create", args=[tree.jinshui.code]))
    urls += [reverse("regions:department_edit", args=[things["dept"].pk]), reverse("regions:department_toggle", args=[things["dept"].pk])]
    urls += [reverse("regions:office_edit", args=[things["office"].pk]), reverse("regions:office_toggle", args=[things["office"].pk])]
    urls += [reverse("regions:quota_edit", args=[things["quota"].pk]), reverse("regions:quota_delete", args=[things["quota"].pk])]
    urls += [reverse("regions:power_edit", args=[things["power"].pk]), reverse("regions:power_deactivate", args=[things["power"].pk])]
    return urls


def test_every_regions_page_answers_404_out_of_scope(tree, jinshui_things, client):
    erqi_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    client.force_login(erqi_admin)
    for url in _out_of_scope_urls(tree, jinshui_things):
        post_only = url.endswith(("/toggle/", "/delete/", "/deactivate/"))
        assert client.get(url).status_code == (405 if post_only else 404), url
        assert client.post(url, {"name": "x", "count": "9", "year": "2025", "code": "410105002099"}).status_code == 404, url
    assert client.get(reverse("regions:detail", args=["999999"])).status_code == 404
    # out-of-scope regions passed as parameters of in-scope pages
    assert client.get(reverse("regions:export") + f"?root={tree.jinshui.code}&format=csv").status_code == 404
    assert client.get(reverse("regions:department_list") + f"?region={tree.jinshui.code}").status_code == 404
    assert client.get(reverse("regions:department_create") + f"?region={tree.jinshui.code}").status_code == 404
    r = client.post(reverse("regions:department_create"), {"region": tree.jinshui.pk, "name": "越界局", "kind": "other"})
    assert r.status_code in (400, 404) and not Department.objects.filter(name="越界局").exists()
    # nothing changed
    jinshui_things["quota"].refresh_from_db()
    assert jinshui_things["quota"].count == 3 and StaffQuota.objects.filter(pk=jinshui_things["quota"].pk).exists()
    assert Department.objects.get(pk=jinshui_things["dept"].pk).is_active


def test_list_pages_do_not_show_out_of_scope_rows(tree, jinshui_things, client):
    erqi_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    client.force_login(erqi_admin)
    for name in ("tree", "department_list", "structure_list"):
        body = client.get(reverse(f"regions:{name}")).content.decode()
        assert "花园路街道" not in body and "金水区民政局" not in body, name
    found = client.get(reverse("regions:tree") + "?q=花园路").content.decode()
    assert "410105002000" not in found and "花园路街道" not in found
    export = client.get(reverse("regions:export") + "?format=csv")
    assert export.status_code == 200 and "410105002000" not in export.content.decode("utf-8-sig")


def test_every_regions_api_endpoint_answers_404_out_of_scope(tree):
    erqi_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    _tok, raw = ApiToken.issue(erqi_admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    base = "/api/v1/regions"
    for code in (tree.sub_b.code, tree.jinshui.code, tree.comm_b1.code):
        for suffix in ("", "/children", "/departments"):
            assert api.get(f"{base}/{code}{suffix}").status_code == 404, (code, suffix)
        r = api.patch(f"{base}/{code}", {"name": "改名"}, content_type="application/json")
        assert r.status_code == 404, code
    r = api.post(f"{base}/", {"code": "410105002099", "name": "越界社区", "level": "community", "parent_code": tree.sub_b.code},
                 content_type="application/json")
    assert r.status_code == 404
    # moving an in-scope region under an out-of-scope parent is also a 404, not a move
    r = api.patch(f"{base}/{tree.comm_a2.code}", {"parent_code": tree.sub_b.code, "code": "410105002098"}, content_type="application/json")
    assert r.status_code == 404
    assert Region.objects.get(pk=tree.comm_a2.pk).path == tree.comm_a2.path
    listing = api.get(f"{base}/?q=花园").json()
    assert all(not item["code"].startswith("410105") for item in listing["items"])


# --- markup in names ------------------------------------------------------------------------------


def test_markup_in_names_is_escaped_on_every_page(tree, client):
    admin = factories.user(None, is_superuser=True)
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>社区'
    r = services.region_create(actor=admin, code="410103001066", name=evil, level="community", parent=tree.sub_a)
    services.department_create(actor=admin, region=tree.erqi, name='<b onmouseover="x()">局</b>')
    services.region_update(actor=admin, region=tree.sub_a, name="<i>淮河路</i>街道")
    client.force_login(admin)
    pages = [reverse("regions:tree"), reverse("regions:tree") + "?q=script", reverse("regions:detail", args=[r.code]),
             reverse("regions:detail", args=[tree.sub_a.code]), reverse("regions:edit", args=[r.code]),
             reverse("regions:department_list"), reverse("regions:structure_list"), reverse("regions:structure", args=[tree.sub_a.code]),
             reverse("regions:committee", args=[tree.erqi.code]), "/"]
    for url in pages:
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body and "<img src=x" not in body and '<b onmouseover' not in body, url
        assert "<i>淮河路</i>" not in body, url


def test_control_characters_in_names_are_refused_or_dropped_not_a_crash(tree, admin):
    from gongjian.core.tabular import FileRejected

    with pytest.raises(FileRejected):  # a NUL byte: not a text table
        _check("410103001093,坏\x00名社区,community,410103001000,community\n", admin)
    with pytest.raises(FileRejected):  # other control characters too
        _check("410103001093,坏\x1b名社区,community,410103001000,community\n", admin)
    imp, result = _check("410103001093,坏名\u200b\ufeff社区,community,410103001000,community\n", admin)
    assert result.errors == []
    imp.apply(result, actor=admin)
    assert Region.objects.get(code="410103001093").name == "坏名社区"
    with pytest.raises(ValidationError):
        services.region_create(actor=admin, code="410103001094", name="\x00\x07", level="community", parent=tree.sub_a)
    r = services.region_create(actor=admin, code="410103001095", name="零\u200b宽\x00\x07社区", level="community", parent=tree.sub_a)
    assert r.name == "零宽社区"


def test_formula_names_are_neutralised_in_the_export(tree, admin, client):
    services.region_create(actor=admin, code="410103001096", name="=HYPERLINK(\"http://x\")社区", level="community", parent=tree.sub_a)
    client.force_login(admin)
    body = client.get(reverse("regions:export") + "?format=csv").content.decode("utf-8-sig")
    assert "\n410103001096,=HYPERLINK" not in body and "'=HYPERLINK" in body


def test_deactivating_a_region_that_still_holds_active_records_is_refused(tree, admin):
    org = factories.party_org(tree.comm_a2)
    resident = factories.member(org=factories.party_org(tree.comm_a1), home=tree.comm_a2)
    with pytest.raises(ValidationError) as exc:
        services.region_deactivate(actor=admin, region=tree.comm_a2)
    assert "region" in exc.value.details
    assert Region.objects.get(pk=tree.comm_a2.pk).is_active
    org.is_active = False
    org.save()
    with pytest.raises(ValidationError):  # a member still lives there
        services.region_deactivate(actor=admin, region=tree.comm_a2)
    resident.is_active = False
    resident.save()
    services.region_deactivate(actor=admin, region=tree.comm_a2)
    assert not Region.objects.get(pk=tree.comm_a2.pk).is_active


def test_moving_a_subdistrict_carries_members_paths_of_its_communities(tree):
    city_admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    jinshui_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.jinshui)
    m = factories.member(org=factories.party_org(tree.comm_a1), home=tree.comm_a2)
    services.region_update(actor=city_admin, region=tree.sub_a, parent=tree.jinshui, code="410105009000")
    m.refresh_from_db()
    assert m.region_path == "/410100/410105/410105009000/410105009001/"
    assert m.home_path == "/410100/410105/410105009000/410105009014/"
    jinshui_admin = type(jinshui_admin).objects.get(pk=jinshui_admin.pk)
    assert org_selectors.member_list(actor=jinshui_admin).filter(pk=m.pk).exists()
