"""Partnership spreadsheet import: row errors, all-or-valid, idempotent re-import, scope, the import pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongjian.cobuild.choices import PartnershipStatus
from gongjian.cobuild.models import Partnership
from gongjian.cobuild.partners.importers import PartnershipImporter
from gongjian.core.errors import ValidationError
from gongjian.core.tabular import write_csv
from gongjian.testing import factories as f

from .test_partners_services import PW, build_pw

HEADERS = ["机关统一社会信用代码", "党支部", "社区代码", "开始日期"]


@pytest.fixture
def pw(world) -> PW:
    return build_pw(world)


def test_rows_checked_then_written_and_idempotent(pw):
    admin = pw.users["district_admin"]
    second = f.party_org(pw.w.tree.erqi, "二七区民政局第二机关党支部", sector="organ", unit=pw.district_unit)
    a, b, d = pw.w.unit_a.uscc, pw.w.unit_b.uscc, pw.district_unit.uscc
    rows = [
        [b, "", "410103001001", "2024-03-01"],  # unit_b has one organ branch: the name may be blank
        [d, "二七区民政局第二机关党支部", "410103001014", ""],
        [d, "", "410103001001", ""],  # two branches: name one
        [a, "不存在的支部", "410103001001", ""],
        [a, "", "410105002003", ""],  # a community outside 二七区
        [a, "", "999999999999", ""],
        ["123", "", "410103001001", ""],
        [a, "", "410103001001", "明年"],
        [b, "", "410103001001", ""],  # the same pair twice in one file
    ]
    imp = PartnershipImporter()
    result = imp.check(write_csv(HEADERS, rows), filename="p.csv", actor=admin)
    assert result.total == 9 and len(result.valid) == 2
    by_row = {e.row: e.column for e in result.errors}
    assert by_row == {4: "党支部", 5: "党支部", 6: "社区代码", 7: "社区代码", 8: "机关统一社会信用代码", 9: "开始日期",
                      10: "机关统一社会信用代码、党支部、社区代码"}
    reasons = {e.row: e.reason for e in result.errors}
    assert "请填写党支部名称" in reasons[4] and "不存在的支部" in reasons[5] and "辖区内" in reasons[6] and "第 2 行" in reasons[10]
    with pytest.raises(ValidationError):
        imp.apply(result, actor=admin, mode="all")
    assert Partnership.objects.count() == 0
    out = imp.apply(result, actor=admin, mode="valid")
    assert out.created == 2
    p = Partnership.objects.get(branch=pw.org_b)
    assert str(p.started_on) == "2024-03-01" and p.status == PartnershipStatus.ACTIVE and p.unit == pw.w.unit_b
    assert Partnership.objects.get(branch=second).community == pw.w.tree.comm_a2
    again = imp.check(write_csv(HEADERS, rows[:2]), filename="p.csv", actor=admin)
    assert imp.apply(again, actor=admin).as_dict() == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert Partnership.objects.count() == 2


def test_import_pages(pw, client):
    client.force_login(pw.users["community_admin"])
    assert client.get(reverse("core:import_start", args=["cobuild-partnerships"])).status_code == 200
    assert "cobuild-partnerships" in client.get(reverse("cobuild:partner_list")).content.decode()
    client.force_login(pw.users["unit_liaison"])
    assert client.get(reverse("core:import_start", args=["cobuild-partnerships"])).status_code in (403, 404)
