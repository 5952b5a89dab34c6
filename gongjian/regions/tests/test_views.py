from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from gongjian.core.models import AuditEvent
from gongjian.regions import services
from gongjian.regions.models import Department, Office, Region, StaffQuota

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.mark.parametrize("role", ["city", "erqi", "sub_a", "comm_a1", "instructor"])
def test_pages_render_for_each_staff_role(tree, actors, login, role):
    c = login(getattr(actors, role))
    resp = c.get(reverse("regions:tree"))
    assert resp.status_code in (200, 302)
    resp = c.get(reverse("regions:tree"), follow=True)
    assert resp.status_code == 200
    assert c.get(reverse("regions:department_list")).status_code == 200
    assert c.get(reverse("regions:structure_list")).status_code == 200
    assert c.get(reverse("regions:tree") + "?q=淮河").status_code == 200
    assert c.get(reverse("regions:detail", args=[tree.comm_a1.code])).status_code == 200 or role == "comm_a1"


def test_roles_without_view_get_403_or_404(tree, actors, login):
    for role in ("member", "resident", "nobody"):
        c = login(getattr(actors, role))
        assert c.get(reverse("regions:tree")).status_code == 403
        assert c.get(reverse("regions:detail", args=[tree.comm_a1.code])).status_code in (403, 404)


def test_anonymous_is_sent_to_login(client, tree):
    resp = client.get(reverse("regions:detail", args=[tree.city.code]))
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_out_of_scope_pages_are_404(tree, actors, login):
    c = login(actors.erqi)
    for url in [
        reverse("regions:detail", args=[tree.jinshui.code]),
        reverse("regions:detail", args=[tree.city.code]),
        reverse("regions:structure", args=[tree.sub_b.code]),
        reverse("regions:create", args=[tree.sub_b.code]),
        reverse("regions:edit", args=[tree.comm_b1.code]),
        reverse("regions:committee", args=[tree.jinshui.code]),
        reverse("regions:department_edit", args=[tree.dept_jinshui.pk]),
        reverse("regions:export") + f"?root={tree.jinshui.code}",
    ]:
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("regions:toggle", args=[tree.comm_b1.code])).status_code == 404
    assert Region.objects.get(pk=tree.comm_b1.pk).is_active


def test_tree_drilldown_breadcrumbs_and_counts(tree, actors, login, django_assert_max_num_queries):
    c = login(actors.city)
    resp = c.get(reverse("regions:tree"), follow=True)
    html = resp.content.decode()
    assert "二七区" in html and "金水区" in html
    for i in range(30, 70):
        Region.objects.create(
            code=f"410103001{i:03d}",
            name=f"社区{i}",
            level="community",
            kind="community",
            parent=tree.sub_a,
            path=f"{tree.sub_a.path}410103001{i:03d}/",
            depth=3,
        )
    resp = c.get(reverse("regions:detail", args=[tree.sub_a.code]))
    html = resp.content.decode()
    assert 'class="breadcrumb' in html and "郑州市" in html
    assert html.count("<tr>") >= 20  # one page of 20 children
    assert "page=2" in html
    with django_assert_max_num_queries(20):
        c.get(reverse("regions:detail", args=[tree.sub_a.code]) + "?size=100")


def test_detail_query_count_does_not_grow_with_children(tree, actors, login, django_assert_max_num_queries):
    c = login(actors.city)
    c.get(reverse("regions:detail", args=[tree.erqi.code]))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        c.get(reverse("regions:detail", args=[tree.erqi.code]))
    for i in range(2, 40):
        Region.objects.create(
            code=f"410103{i:03d}000",
            name=f"街道{i}",
            level="subdistrict",
            kind="subdistrict",
            parent=tree.erqi,
            path=f"{tree.erqi.path}410103{i:03d}000/",
            depth=2,
        )
    with CaptureQueriesContext(connection) as many:
        c.get(reverse("regions:detail", args=[tree.erqi.code]))
    assert len(many) == len(few)


def test_user_text_is_escaped(tree, actors, login):
    services.region_create(actor=actors.erqi, code="410103001099", name="<script>alert(1)</script>", level="community", parent=tree.sub_a)
    html = login(actors.erqi).get(reverse("regions:detail", args=[tree.sub_a.code])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_create_form_shows_errors_next_to_fields_and_writes_nothing(tree, actors, login):
    c = login(actors.erqi)
    before = AuditEvent.objects.count()
    resp = c.post(reverse("regions:create", args=[tree.sub_a.code]), {"code": "410105002099", "name": "新社区", "kind": ""})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-error-for="code"' in html
    assert AuditEvent.objects.count() == before and not Region.objects.filter(code="410105002099").exists()
    resp = c.post(reverse("regions:create", args=[tree.sub_a.code]), {"code": "410103001099", "name": "新社区", "kind": "community"})
    assert resp.status_code == 302
    assert Region.objects.get(code="410103001099").parent == tree.sub_a


def test_edit_and_move_form(tree, actors, login):
    c = login(actors.city)
    resp = c.post(reverse("regions:edit", args=[tree.sub_a.code]), {"code": "410103001000", "name": "淮河街道", "kind": "subdistrict"})
    assert resp.status_code == 302
    assert Region.objects.get(pk=tree.comm_a1.pk).full_name.endswith("淮河街道淮河社区")
    resp = c.post(
        reverse("regions:edit", args=[tree.sub_a.code]),
        {"code": "410103001000", "name": "淮河街道", "kind": "subdistrict", "move-parent_code": "410105"},
    )
    assert resp.status_code == 400 and 'data-error-for="code"' in resp.content.decode()
    resp = c.post(
        reverse("regions:edit", args=[tree.sub_a.code]),
        {"code": "410105007000", "name": "淮河街道", "kind": "subdistrict", "move-parent_code": "410105"},
    )
    assert resp.status_code == 302
    assert Region.objects.get(pk=tree.comm_a1.pk).code == "410105007001"


def test_deactivate_button_refuses_with_children(tree, actors, login):
    c = login(actors.erqi)
    resp = c.post(reverse("regions:toggle", args=[tree.sub_a.code]), {"active": "0"}, follow=True)
    assert resp.status_code == 200 and Region.objects.get(pk=tree.sub_a.pk).is_active
    c.post(reverse("regions:toggle", args=[tree.comm_a1.code]), {"active": "0"})
    assert not Region.objects.get(pk=tree.comm_a1.pk).is_active


def test_department_pages(tree, actors, login):
    c = login(actors.erqi)
    resp = c.post(reverse("regions:department_create"), {"region": tree.erqi.pk, "name": "二七区民政局", "kind": "civil_affairs"})
    assert resp.status_code == 400 and 'data-error-for="name"' in resp.content.decode()
    resp = c.post(reverse("regions:department_create"), {"region": tree.jinshui.pk, "name": "越权局", "kind": "other"})
    assert resp.status_code == 400 and not Department.objects.filter(name="越权局").exists()
    resp = c.post(reverse("regions:department_create"), {"region": tree.erqi.pk, "name": "二七区人社局", "kind": "human_resources"})
    assert resp.status_code == 302
    d = Department.objects.get(name="二七区人社局")
    assert (
        c.post(reverse("regions:department_edit", args=[d.pk]), {"name": "二七区人力资源和社会保障局", "kind": "human_resources"}).status_code == 302
    )
    c.post(reverse("regions:department_toggle", args=[d.pk]), {"active": "0"})
    d.refresh_from_db()
    assert d.name == "二七区人力资源和社会保障局" and not d.is_active
    html = c.get(reverse("regions:department_list") + "?active=all&q=人力").content.decode()
    assert "二七区人力资源和社会保障局" in html
    html = c.get(reverse("regions:department_list") + "?q=不存在的部门").content.decode()
    assert 'class="empty"' in html
    assert login(actors.sub_a).get(reverse("regions:department_create")).status_code == 403


def test_committee_page(tree, actors, login):
    c = login(actors.erqi)
    resp = c.post(reverse("regions:committee", args=[tree.erqi.code]), {"name": "", "director": "李四", "department_ids": [str(tree.dept_erqi.pk)]})
    assert resp.status_code == 302
    html = c.get(reverse("regions:detail", args=[tree.erqi.code])).content.decode()
    assert "李四" in html and "二七区民政局" in html
    assert c.get(reverse("regions:committee", args=[tree.sub_a.code])).status_code == 404


def test_structure_pages(tree, actors, login, django_assert_max_num_queries):
    c = login(actors.sub_a)
    resp = c.get(reverse("regions:structure", args=[tree.sub_a.code]))
    assert resp.status_code == 200 and 'class="empty"' in resp.content.decode()
    c.post(reverse("regions:structure", args=[tree.sub_a.code]))
    assert Office.objects.filter(subdistrict=tree.sub_a).count() == 10
    office = Office.objects.filter(subdistrict=tree.sub_a).first()
    assert office is not None
    resp = c.post(reverse("regions:quota_create", args=[tree.sub_a.code]), {"count": "0", "year": "2025", "office": ""})
    assert resp.status_code == 400 and 'data-error-for="count"' in resp.content.decode()
    resp = c.post(reverse("regions:quota_create", args=[tree.sub_a.code]), {"count": "18", "year": "2025", "office": office.pk, "moved_down": "on"})
    assert resp.status_code == 302
    q = StaffQuota.objects.get()
    assert c.post(reverse("regions:quota_edit", args=[q.pk]), {"count": "19", "year": "2025", "office": ""}).status_code == 302
    resp = c.post(reverse("regions:office_create", args=[tree.sub_a.code]), {"name": office.name, "kind": "office"})
    assert resp.status_code == 400 and 'data-error-for="name"' in resp.content.decode()
    assert c.post(reverse("regions:office_edit", args=[office.pk]), {"name": "综合办", "kind": "office", "head": "王五"}).status_code == 302
    c.post(reverse("regions:office_toggle", args=[office.pk]), {"active": "0"})
    with django_assert_max_num_queries(15):
        html = c.get(reverse("regions:structure", args=[tree.sub_a.code])).content.decode()
    assert "综合办" in html and "19" in html
    c.post(reverse("regions:quota_delete", args=[q.pk]))
    assert not StaffQuota.objects.exists()
    # another subdistrict's records are not found
    other = Office.objects.create(subdistrict=tree.sub_b, region_path=tree.sub_b.path, name="外", kind="office")
    assert c.get(reverse("regions:office_edit", args=[other.pk])).status_code == 404
    assert c.post(reverse("regions:office_toggle", args=[other.pk]), {"active": "0"}).status_code == 404
    assert c.get(reverse("regions:structure", args=[tree.sub_b.code])).status_code == 404
    # a community admin may look but not change
    cc = login(actors.comm_a1)
    assert cc.get(reverse("regions:office_create", args=[tree.sub_a.code])).status_code in (403, 404)


def test_powers_pages(tree, actors, login):
    c = login(actors.erqi)
    assert c.post(reverse("regions:power_create", args=[tree.erqi.code]), {"name": ""}).status_code == 400
    assert c.post(reverse("regions:power_create", args=[tree.erqi.code]), {"name": "综合执法指挥调度权"}).status_code == 302
    html = c.get(reverse("regions:structure", args=[tree.sub_a.code])).content.decode()
    assert "综合执法指挥调度权" in html


def test_office_templates_page(tree, actors, login):
    c = login(actors.city)
    assert c.get(reverse("regions:office_templates")).status_code == 200
    assert c.post(reverse("regions:office_templates"), {"name": "网格中心", "kind": "centre", "order": "11", "is_active": "on"}).status_code == 302
    assert login(actors.erqi).get(reverse("regions:office_templates")).status_code == 403


def test_export_is_scoped_and_formula_safe(tree, actors, login):
    services.region_create(actor=actors.erqi, code="410103001098", name="=HYPERLINK(1)", level="community", parent=tree.sub_a)
    c = login(actors.erqi)
    resp = c.get(reverse("regions:export") + "?format=csv")
    text = resp.content.decode("utf-8-sig")
    assert "410103001098" in text and "'=HYPERLINK(1)" in text
    assert "410105" not in text
    resp = c.get(reverse("regions:export"))
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(resp.content))
    sheet: Any = wb.active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes[0] == "410103" and "410105002000" not in codes


def test_import_pages_through_core_flow(tree, actors, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = login(actors.erqi)
    assert c.get(reverse("core:import_start", args=["regions"])).status_code == 200
    upload = SimpleUploadedFile("r.csv", "code,name,level,parent_code,kind\n410103001061,导入社区,community,410103001000,community\n".encode())
    resp = c.post(reverse("core:import_start", args=["regions"]), {"file": upload})
    assert resp.status_code == 302
    resp = c.post(resp["Location"] + "apply/", {"mode": "all"})
    assert resp.status_code == 200 and Region.objects.filter(code="410103001061").exists()
    assert login(actors.sub_a).get(reverse("core:import_start", args=["regions"])).status_code == 404


def test_tree_lists_several_roots(client, tree):
    from gongjian.accounts.choices import Role
    from gongjian.accounts.models import Scope
    from gongjian.testing import factories

    u = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    Scope.objects.create(user=u, role=Role.DISTRICT_ADMIN, kind="region", region=tree.jinshui)
    client.force_login(u)
    resp = client.get(reverse("regions:tree"))
    html = resp.content.decode()
    assert resp.status_code == 200 and "二七区" in html and "金水区" in html


def test_tree_empty_state_for_a_department_handler(client, tree, actors):
    client.force_login(actors.handler)
    resp = client.get(reverse("regions:tree"))
    assert resp.status_code == 200 and 'class="empty"' in resp.content.decode()
    html = client.get(reverse("regions:department_list")).content.decode()
    assert "二七区民政局" in html and "金水区民政局" not in html


def test_home_panel_shows_the_figures_of_my_region(client, tree, actors):
    from gongjian.regions.panels import home_panel

    panel: Any = home_panel(actors.erqi)
    stats = {s["key"]: s["value"] for s in panel["stats"]}
    assert stats == {"regions.subdistricts": 1, "regions.communities": 2, "regions.staff_quotas": 0, "regions.delegated_powers": 0}
    assert home_panel(actors.member) is None and home_panel(actors.handler) is None
    client.force_login(actors.erqi)
    html = client.get("/").content.decode()
    assert 'data-panel="regions"' in html
