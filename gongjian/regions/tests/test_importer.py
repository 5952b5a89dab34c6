from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from gongjian.accounts.choices import Role
from gongjian.core import services as core_services
from gongjian.core.errors import ValidationError
from gongjian.core.models import AuditEvent
from gongjian.core.tabular import FileRejected
from gongjian.regions.importer import RegionImporter
from gongjian.regions.models import Region
from gongjian.testing import factories

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "demo" / "data" / "zhengzhou-divisions.csv"  # the shipped copy of ../shared/data
HEADER = "code,name,level,parent_code,kind\n"


def _csv(rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + rows).encode(encoding)


@pytest.fixture
def admin(db):
    return factories.user(None, is_superuser=True)


def test_real_zhengzhou_file_imports_cleanly_and_is_idempotent(admin):
    data = DATA.read_bytes()
    imp = RegionImporter()
    result = imp.check(data, filename="zhengzhou-divisions.csv", actor=admin)
    assert result.errors == [] and result.total == 3530
    out = imp.apply(result, actor=admin)
    assert out.created == 3530
    assert Region.objects.count() == 3530
    assert Region.objects.filter(level="subdistrict").count() == 208
    assert Region.objects.filter(level="community", kind="community").count() == 1123
    huaihe = Region.objects.get(code="410103001001")
    assert huaihe.path == "/410100/410103/410103001000/410103001001/" and huaihe.full_name == "郑州市二七区淮河路街道淮河社区居民委员会"
    assert AuditEvent.objects.filter(verb="region.import").count() == 1
    again = RegionImporter()
    out2 = again.apply(again.check(data, filename="z.csv", actor=admin), actor=admin)
    assert (out2.created, out2.updated, out2.unchanged) == (0, 0, 3530)
    assert AuditEvent.objects.filter(verb="region.import").count() == 1


def test_parent_later_in_the_same_file_and_chinese_headers_and_labels(admin):
    rows = "410103001099,新社区,社区,410103001000,社区\n410103001000,淮河路街道,街道,410103,街道\n410103,二七区,区,410100,区\n410100,郑州市,市,,市\n"
    data = _csv(rows, header="统计代码,名称,层级,上级代码,类型\n")
    imp = RegionImporter()
    result = imp.check(data, filename="x.csv", actor=admin)
    assert result.errors == []
    imp.apply(result, actor=admin)
    assert Region.objects.get(code="410103001099").path == "/410100/410103/410103001000/410103001099/"


def test_gb18030_csv_works(admin):
    data = _csv("410100,郑州市,city,,city\n410103,二七区,district,410100,district\n", encoding="gb18030")
    imp = RegionImporter()
    result = imp.check(data, filename="gbk.csv", actor=admin)
    assert result.errors == [] and result.valid[1][1]["name"] == "二七区"


def test_broken_file_reports_row_column_reason_and_valid_rows_mode(admin):
    rows = (
        "410100,郑州市,city,,city\n"  # 2 ok
        "41010,二七区,district,410100,district\n"  # 3 bad code length
        "410105,金水区,district,410100,village\n"  # 4 bad kind for level
        "410105002000,花园路街道,subdistrict,410199,subdistrict\n"  # 5 unknown parent
        "410106001000,某街道,community,410100,community\n"  # 6 code shape wrong for community
        "410108,惠济区,galaxy,410100,\n"  # 7 unknown level
        "410102,中原区,district,410100,district\n"  # 8 ok
        "410102001000,林山寨街道,subdistrict,410102,\n"  # 9 ok, default kind
        "410102,中原区重复,district,410100,district\n"  # 10 duplicate code
        "410103001001,淮河社区,community,41010300,community\n"  # 11 malformed parent code
        "410102001001,孤儿社区,community,410105002000,community\n"  # 12 parent row has errors
        ",无代码,community,410102001000,\n"  # 13 required code missing
    )
    imp = RegionImporter()
    result = imp.check(_csv(rows), filename="bad.csv", actor=admin)
    by_row = {e.row: e for e in result.errors}
    assert set(by_row) == {3, 4, 5, 6, 7, 10, 11, 12, 13}
    assert by_row[3].column == "统计代码" and "6" in by_row[3].reason
    assert by_row[4].column == "类型"
    assert by_row[5].column == "上级代码" and "410199" in by_row[5].reason
    assert by_row[7].column == "层级"
    assert "8" in by_row[10].reason
    assert by_row[12].column == "上级代码" and "5" in by_row[12].reason
    before = Region.objects.count()
    with pytest.raises(ValidationError):
        imp.apply(result, actor=admin, mode="all")
    assert Region.objects.count() == before == 0
    out = imp.apply(result, actor=admin, mode="valid")
    assert out.created == 3 and out.skipped == 9
    assert set(Region.objects.values_list("code", flat=True)) == {"410100", "410102", "410102001000"}


def test_rows_outside_the_importers_scope_are_refused(tree):
    erqi_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    rows = (
        "410103001050,新社区,community,410103001000,community\n"
        "410105002050,外区社区,community,410105002000,community\n"
        "410103,二七区改名,district,410100,district\n"
        "410103,二七区,district,410100,district\n"
    )
    imp = RegionImporter()
    result = imp.check(_csv(rows), filename="s.csv", actor=erqi_admin)
    bad = {e.row for e in result.errors}
    assert 3 in bad and 4 in bad and 2 not in bad
    assert any("不在" in e.reason for e in result.errors if e.row == 3)


def test_rename_by_import_updates_descendant_full_names(tree):
    admin = factories.user(None, is_superuser=True)
    imp = RegionImporter()
    result = imp.check(_csv("410103001000,淮河街道,subdistrict,410103,subdistrict\n"), filename="r.csv", actor=admin)
    out = imp.apply(result, actor=admin)
    assert out.updated == 1
    assert Region.objects.get(code="410103001001").full_name == "郑州市二七区淮河街道淮河社区"


def test_existing_code_under_another_parent_or_level_is_refused(tree):
    admin = factories.user(None, is_superuser=True)
    rows = "410103001001,淮河社区,community,410103002000,community\n410103001014,路砦,subdistrict,410103,subdistrict\n"
    result = RegionImporter().check(_csv(rows), filename="m.csv", actor=admin)
    assert {e.row for e in result.errors} == {2, 3}


def test_files_that_are_not_tables_are_refused(admin):
    with pytest.raises(FileRejected):
        RegionImporter().check(b"%PDF-1.4 \x00\x00", filename="x.pdf", actor=admin)
    with pytest.raises(FileRejected):
        RegionImporter().check(b"foo,bar\n1,2\n", filename="x.csv", actor=admin)


def test_core_import_flow_with_the_regions_kind(tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    upload = SimpleUploadedFile("r.csv", _csv("410103001060,新建社区,community,410103001000,community\n"))
    job, result = core_services.import_check(actor=admin, kind="regions", upload=upload, filename="r.csv")
    assert result.ok
    out = core_services.import_apply(actor=admin, token=job.token, mode="all")
    assert out.created == 1 and Region.objects.filter(code="410103001060").exists()


def test_management_command_refuses_unknown_scope(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("import_regions", str(DATA), "--scope", "410103")
    assert Region.objects.count() == 0


def test_management_command_imports_whole_file(capsys, db):
    call_command("import_regions", str(DATA))
    assert Region.objects.count() == 3530
    assert "created: 3530" in capsys.readouterr().out
    call_command("import_regions", str(DATA), "--scope", "410103")
    out = capsys.readouterr().out
    assert "created: 0" in out and "unchanged: 193" in out and "outside scope: 3337" in out
