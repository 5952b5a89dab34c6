"""The figures page: every registered figure for a region of the reader's scope, a period, a
breakdown by child regions, an export — and nothing outside the scope."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.cobuild import services as cobuild_services
from gongjian.cobuild.models import Category
from gongjian.core import figures as F
from gongjian.core import registry
from gongjian.core.errors import ValidationError
from gongjian.regions.choices import Level
from gongjian.testing import factories

pytestmark = pytest.mark.django_db
URL = reverse("core:figures")


def _client(client, user):
    client.force_login(user)
    return client


def test_city_admin_reads_every_module_and_the_values_are_the_registry_values(client, tree):
    admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    r = _client(client, admin).get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert "郑州市" in html
    modules = {m.key for m, _rows in r.context["groups"]}
    assert {"regions", "orgs", "cobuild"} <= modules
    row = next(row for m, rows in r.context["groups"] for row in rows if row.figure.key == "regions.communities")
    assert row.value == registry.figure_value("regions.communities", tree.city) == 4


def test_a_community_admin_sees_his_community_only(client, tree):
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    c = _client(client, admin)
    r = c.get(URL)
    assert r.status_code == 200 and r.context["region"] == tree.comm_a1
    assert c.get(URL, {"region": tree.comm_b1.code}).status_code == 404
    assert c.get(URL, {"region": tree.sub_a.code}).status_code == 404  # his parent is outside too
    assert c.get(URL, {"region": "nonsense"}).status_code == 404


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.UNIT_LIAISON, Role.MEMBER, Role.DEPARTMENT_HANDLER])
def test_roles_without_figures_get_not_found(client, tree, role):
    kwargs = {"unit": factories.unit(tree.comm_a1)} if role == Role.UNIT_LIAISON else {"region": tree.comm_a1}
    if role == Role.DEPARTMENT_HANDLER:
        kwargs = {"department": tree.dept_erqi}
    user = factories.user(role, **kwargs)
    assert _client(client, user).get(URL).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    r = client.get(URL)
    assert r.status_code == 302 and "login" in r["Location"]


def test_breakdown_lists_the_child_regions_with_their_own_values(client, tree):
    admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    r = _client(client, admin).get(URL, {"figure": "regions.communities"})
    assert r.status_code == 200
    fig, rows = r.context["breakdown"]
    assert fig.key == "regions.communities"
    assert [(child.code, value) for child, value in rows] == [(tree.sub_a.code, 2)]
    assert _client(client, admin).get(URL, {"figure": "no.such.figure"}).status_code == 404


def test_periods_are_parsed_and_a_bad_one_is_a_clear_error(client, tree):
    assert F.parse_period("") is None
    year = F.parse_period("2026")
    assert year is not None and year.start.isoformat() == "2026-01-01"
    q = F.parse_period("2026q3")
    assert q is not None
    assert (q.start.isoformat(), q.end.isoformat()) == ("2026-07-01", "2026-09-30")
    for bad in ("2026Q5", "26", "1800", "二〇二六", "2026-01"):
        with pytest.raises(ValidationError):
            F.parse_period(bad)
    admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    r = _client(client, admin).get(URL, {"period": "2026Q9"})
    assert r.status_code == 400
    assert "季度" in r.content.decode()


def test_a_published_need_moves_the_figure_on_the_page(client, tree, django_capture_on_commit_callbacks):
    cat, _ = Category.objects.get_or_create(name="助老")
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    c = _client(client, admin)

    def shown() -> float:
        r = c.get(URL)
        return next(row.value for m, rows in r.context["groups"] for row in rows if row.figure.key == "cobuild.needs_published")

    before = shown()
    with django_capture_on_commit_callbacks(execute=True):
        cobuild_services.need_create(actor=admin, publish=True, title="助老送餐", category=cat.pk, community=tree.comm_a1.pk)
    assert shown() == before + 1


def test_export_has_one_row_per_figure(client, tree):
    admin = factories.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a)
    r = _client(client, admin).get(URL, {"export": "1", "period": "2026"})
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("模块", "指标", "数值")
    assert len(rows) - 1 == len(registry.figures())
    assert all(row[4] == "淮河路街道" for row in rows[1:])
    csv = _client(client, admin).get(URL, {"export": "1", "format": "csv"})
    assert csv.status_code == 200 and "淮河路街道" in csv.content.decode("utf-8-sig")


def test_figure_regions_of_an_admin_with_two_scopes(tree):
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    from gongjian.accounts.models import Scope

    s = Scope.objects.get(user=admin)
    Scope.objects.create(user=admin, role=s.role, kind=s.kind, region=tree.comm_b1)
    roots = F.figure_regions(actor=admin)
    assert [r.code for r in roots] == [tree.comm_a1.code, tree.comm_b1.code]
    assert all(r.level == Level.COMMUNITY for r in roots)
