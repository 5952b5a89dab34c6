from __future__ import annotations

import datetime as dt
import io
import random

import pytest

from gongjian.core import fakes, pii
from gongjian.core.errors import ValidationError
from gongjian.core.tabular import write_xlsx
from gongjian.orgs.importers import MemberImporter, PartyOrgImporter, UnitImporter
from gongjian.orgs.models import Member, PartyOrg, ResidentUnit
from gongjian.testing import factories as f


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


MEMBER_HEADER = ["姓名", "身份证号*", "手机号", "所在党组织", "党组织所在区划代码", "工作单位统一社会信用代码", "居住社区代码", "在职党员",
                 "入党日期", "状态"]


def _member_rows(world):
    good1 = f.new_id_number("410103", "male", dt.date(1980, 1, 1))
    good2 = f.new_id_number("410103", "female", dt.date(1985, 5, 5))
    return good1, good2, [
        MEMBER_HEADER,
        ["刘洋", good1, "13512345678", "淮河社区第一党支部", "", world.unit_a.uscc, "410103001001", "是", "2005-07-01", "正式党员"],
        ["陈静", good2, "", "淮河社区第一党支部", "410103001001", "", "", "否", "2010/07/01", ""],
        ["坏号", "410103198001010000", "", "淮河社区第一党支部", "", "", "", "", "", ""],
        ["外区", f.new_id_number(), "", "省供销社社区党支部", "", "", "", "", "", ""],
        ["重复", good1, "", "淮河社区第一党支部", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],
        ["坏日期", f.new_id_number(), "", "淮河社区第一党支部", "", "", "", "也许", "昨天", "x"],
    ]


def test_member_import_gb18030_reports_bad_rows_and_is_all_or_valid(world):
    admin = world.users["community_admin"]
    imp = MemberImporter()
    g1, g2, rows = _member_rows(world)
    # the headers of the downloaded template: Chinese labels, required ones starred
    from django.utils import translation

    with translation.override("zh-hans"):
        rows[0] = [f"{c.label}*" if c.required else str(c.label) for c in imp.columns]
    assert rows[0][0] == "姓名*" and all(not h.isascii() for h in rows[0])
    data = csv_bytes(rows, "gb18030")
    result = imp.check(data, filename="党员.csv", actor=admin)
    assert result.total == 6 and len(result.valid) == 2
    bad_rows = {e.row for e in result.errors}
    assert bad_rows == {4, 5, 6, 8}
    assert all(e.reason for e in result.errors)
    before = Member.objects.count()
    with pytest.raises(ValidationError):
        imp.apply(result, actor=admin, mode="all")
    assert Member.objects.count() == before
    out = imp.apply(result, actor=admin, mode="valid")
    assert (out.created, out.skipped) == (2, 4)
    m = Member.objects.get(id_number_hash=pii.lookup_hash(g1))
    assert m.in_service and m.employer_unit == world.unit_a and m.gender == "male" and pii.decrypt(m.phone_enc) == "13512345678"
    assert Member.objects.get(id_number_hash=pii.lookup_hash(g2)).join_date == dt.date(2010, 7, 1)
    # idempotent: the same file again changes nothing
    again = imp.apply(imp.check(data, filename="党员.csv", actor=admin), actor=admin, mode="valid")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Member.objects.count() == before + 2


def test_member_import_does_not_reveal_members_of_other_areas(world):
    admin = world.users["community_admin"]
    imp = MemberImporter()
    idn = pii.decrypt(world.m_b1.id_number_enc)
    data = csv_bytes([[c.key for c in imp.columns], ["冒名", idn, "", "淮河社区第一党支部", "", "", "", "", "", ""]])
    result = imp.check(data, filename="x.csv", actor=admin)
    assert len(result.errors) == 1
    assert world.org_b1.name not in result.errors[0].reason and world.m_b1.name not in result.errors[0].reason


def test_member_import_xlsx_updates_existing(world):
    admin = world.users["community_admin"]
    imp = MemberImporter()
    idn = pii.decrypt(world.m_a1.id_number_enc)
    data = write_xlsx([c.key for c in imp.columns], [["张伟", idn, "13800001111", "淮河社区第一党支部", "", "", "410103001014", "否", "", ""]])
    result = imp.check(data, filename="x.xlsx", actor=admin)
    assert result.ok, result.errors
    out = imp.apply(result, actor=admin)
    assert out.updated == 1
    world.m_a1.refresh_from_db()
    assert world.m_a1.home_community == world.tree.comm_a2


def test_unit_import(world):
    admin = world.users["district_admin"]
    imp = UnitImporter()
    rng = random.Random(5)
    code = fakes.uscc_code(rng, area_code="410103")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    rows = [[c.key for c in imp.columns],
            ["新单位", code, "国有企业", "410103001001", "路1号", "李四", "13711112222", "34.7", "113.6"],
            ["坏代码", bad, "企业", "410103001001", "", "", "", "", ""],
            ["外区", fakes.uscc_code(rng, area_code="410105"), "企业", "410105002003", "", "", "", "", ""],
            ["坏类型", fakes.uscc_code(rng, area_code="410103"), "火星单位", "410103001001", "", "", "", "", ""],
            ["已有", world.unit_b.uscc, "机关", "410103001001", "", "", "", "", ""]]
    result = imp.check(csv_bytes(rows), filename="u.csv", actor=admin)
    assert len(result.valid) == 1 and {e.row for e in result.errors} == {3, 4, 5, 6}
    out = imp.apply(result, actor=admin, mode="valid")
    assert out.created == 1
    u = ResidentUnit.objects.get(uscc=code)
    assert u.kind == "soe" and pii.decrypt(u.liaison_phone_enc) == "13711112222"
    again = imp.apply(imp.check(csv_bytes(rows[:2]), filename="u.csv", actor=admin), actor=admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_party_org_import_builds_tree_in_file_order(world):
    admin = world.users["district_admin"]
    imp = PartyOrgImporter()
    rows = [[c.key for c in imp.columns],
            ["路砦社区党委", "党委", "410103001014", "社区", "淮河路街道党工委", "410103001000", "", "", "", "2001-07-01"],
            ["路砦社区第二党支部", "党支部", "410103001014", "社区", "路砦社区党委", "", "单独建", "地缘", "", ""],
            ["坏级别", "党小组", "410103001014", "社区", "", "", "", "", "", ""],
            ["支部下设", "党委", "410103001014", "社区", "路砦社区第二党支部", "", "", "", "", ""],
            ["外区", "党支部", "410105002003", "社区", "", "", "", "", "", ""]]
    data = csv_bytes(rows)
    result = imp.check(data, filename="o.csv", actor=admin)
    assert len(result.valid) == 2, result.errors
    assert {e.row for e in result.errors} == {4, 5, 6}
    out = imp.apply(result, actor=admin, mode="valid")
    assert out.created == 2
    br = PartyOrg.objects.get(name="路砦社区第二党支部")
    assert br.parent is not None and br.parent.name == "路砦社区党委" and br.parent.parent == world.committee_a
    assert br.org_path == f"{world.committee_a.org_path}{br.parent_id}/{br.pk}/"
    again = imp.apply(imp.check(data, filename="o.csv", actor=admin), actor=admin, mode="valid")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_import_pages_template_and_error_report(world, client):
    client.force_login(world.users["community_admin"])
    resp = client.get("/imports/orgs-members/template/")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    imp = MemberImporter()
    _g1, _g2, rows = _member_rows(world)
    rows[0] = [c.key for c in imp.columns]
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = client.post("/imports/orgs-members/", {"file": SimpleUploadedFile("m.csv", csv_bytes(rows, "gb18030"))})
    assert resp.status_code == 302
    review = client.get(resp["Location"])
    assert review.status_code == 200 and "import-errors" in review.content.decode()
    report = client.get(resp["Location"] + "errors/?format=csv")
    assert report.status_code == 200 and "4" in report.content.decode("utf-8-sig")
    # a unit liaison may not import members
    client.force_login(world.users["unit_liaison"])
    assert client.get("/imports/orgs-members/").status_code == 404
