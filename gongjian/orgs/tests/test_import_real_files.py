"""Member lists as offices really keep them: a title row merged across the columns, dates in every
writing and as Excel serials, ID numbers Excel turned into floating point, phones stored as
numbers, trailing empty rows, semicolon/tab CSV in GBK without BOM, duplicates within the file and
against existing members. Each bad row gets its own reason; "valid rows" writes exactly those;
re-importing changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.core.models import AuditEvent
from gongjian.orgs import services
from gongjian.orgs.importers import MemberImporter
from gongjian.orgs.models import Member
from gongjian.testing import factories as f

HEADER = ["姓名", "身份证号", "手机号", "所在党组织", "党组织所在区划代码", "工作单位统一社会信用代码", "居住社区代码", "在职党员",
          "入党日期", "状态"]


def _xlsx(title: str | None, rows: list[list[object]], trailing_empty: int = 0) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title] + [None] * (len(HEADER) - 1))
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    for _i in range(trailing_empty):  # rows someone formatted but never filled
        ws.cell(row=ws.max_row + 1, column=1).number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _reasons(result) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for e in result.errors:
        out.setdefault(e.row, []).append(f"{e.column}: {e.reason}")
    return out


@pytest.fixture
def ids():
    return [f.new_id_number("410103", g, dt.date(1980 + i, 1 + i, 1 + i)) for i, g in enumerate(["male", "female"] * 4)]


def test_a_real_looking_workbook(world, ids):
    admin = world.users["community_admin"]
    org = "淮河社区第一党支部"
    numeric = next(i for i in (f.new_id_number("410103", "male") for _n in range(50)) if i[-1] != "X")
    float_id = float(numeric)  # what Excel keeps of an ID number typed into a number cell
    outside = pii.decrypt(world.m_b1.id_number_enc)  # a member of another district
    rows = [
        ["阿依古丽·买买提", ids[0], 13812345678, org, "", "", "410103001001", "否", 43835, "正式党员"],  # row 3: serial date 2020-01-05
        ["  刘　洋  ", ids[1].lower(), "+86 135-1234-5678", org, "", "", "", "否", "2020/1/5", ""],  # row 4
        ["陈静", ids[2], "", org, "", "", "", "否", "2020年1月5日", ""],  # row 5
        ["数字号", float_id, "", org, "", "", "", "否", dt.datetime(2020, 1, 5), ""],  # noqa: DTZ001 - an Excel cell has no time zone; row 6: ID lost its digits
        ["重复", ids[1], "", org, "", "", "", "否", "", ""],  # row 7: duplicate of row 4
        ["外区党员", outside, "", org, "", "", "", "否", "", ""],  # row 8: registered elsewhere
        ["旧号", "410103850615003", "", org, "", "", "", "否", "", ""],  # row 9: 15-digit number
    ]
    data = _xlsx("淮河社区党员花名册（2024年）", rows, trailing_empty=30)
    with translation.override("zh-hans"):
        result = MemberImporter().check(data, filename="花名册.xlsx", actor=admin)
    reasons = _reasons(result)
    assert result.total == 7
    assert [r for r, _d in result.valid] == [3, 4, 5]
    assert set(reasons) == {6, 7, 8, 9}
    assert "文本" in " ".join(reasons[6])
    assert "第 4 行" in " ".join(reasons[7]) or "4" in " ".join(reasons[7])
    assert "已登记" in " ".join(reasons[8]) and world.m_b1.name not in " ".join(reasons[8])
    assert "15" in " ".join(reasons[9])
    # the error report never echoes a full ID number
    for e in result.errors:
        for idn in (*ids, outside, numeric):
            assert idn not in e.reason
    out = MemberImporter().apply(result, actor=admin, mode="valid")
    assert out.as_dict() == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 4}
    aygl = Member.objects.get(id_number_hash=pii.lookup_hash(ids[0]))
    assert aygl.name == "阿依古丽·买买提" and aygl.join_date == dt.date(2020, 1, 5)
    assert pii.decrypt(aygl.phone_enc) == "13812345678"
    liu = Member.objects.get(id_number_hash=pii.lookup_hash(ids[1]))
    assert liu.name == "刘 洋" and pii.decrypt(liu.phone_enc) == "13512345678" and liu.join_date == dt.date(2020, 1, 5)
    assert Member.objects.get(id_number_hash=pii.lookup_hash(ids[2])).join_date == dt.date(2020, 1, 5)
    # the same file again: nothing changes, nothing is audited
    events = AuditEvent.objects.count()
    again = MemberImporter().check(data, filename="花名册.xlsx", actor=admin)
    out2 = MemberImporter().apply(again, actor=admin, mode="valid")
    assert out2.as_dict() == {"created": 0, "updated": 0, "unchanged": 3, "skipped": 4}
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_gbk_csv_without_bom_with_another_delimiter(world, ids, delimiter):
    admin = world.users["community_admin"]
    lines = [HEADER, ["张三", ids[0], "13812345678", "淮河社区第一党支部", "", "", "", "否", "2019-7-1", ""],
             ["李四", ids[1], "", "淮河社区第一党支部", "", "", "", "否", "", ""]]
    data = "\r\n".join(delimiter.join(r) for r in lines).encode("gbk")
    assert not data.startswith(b"\xef\xbb\xbf")
    result = MemberImporter().check(data, filename="党员.csv", actor=admin)
    assert result.errors == [] and len(result.valid) == 2
    assert result.valid[0][1]["join_date"] == dt.date(2019, 7, 1)


def test_a_row_updating_an_existing_member_is_validated_at_check_time(world):
    """Before: a row for an existing member skipped validation; a bad phone passed the check and the
    whole import then failed at "import valid rows" with no row number."""
    admin = world.users["community_admin"]
    idn = pii.decrypt(world.m_a1.id_number_enc)
    good = f.new_id_number("410103", "male", dt.date(1990, 3, 3))
    lines = [HEADER, [world.m_a1.name, idn, "12345", "淮河社区第一党支部", "", "", "", "否", "", ""],
             ["新党员", good, "", "淮河社区第一党支部", "", "", "", "否", "", ""]]
    data = "\n".join(",".join(r) for r in lines).encode()
    result = MemberImporter().check(data, filename="m.csv", actor=admin)
    assert [e.row for e in result.errors] == [2]
    out = MemberImporter().apply(result, actor=admin, mode="valid")
    assert out.created == 1 and out.skipped == 1
    world.m_a1.refresh_from_db()
    assert pii.decrypt(world.m_a1.phone_enc) == "13800001111"


def test_a_write_failing_halfway_names_its_row_and_leaves_nothing_written(world, ids, monkeypatch):
    admin = world.users["community_admin"]
    lines = [HEADER] + [[f"党员{i}", ids[i], "", "淮河社区第一党支部", "", "", "", "否", "", ""] for i in range(3)]
    result = MemberImporter().check("\n".join(",".join(r) for r in lines).encode(), filename="m.csv", actor=admin)
    assert len(result.valid) == 3

    real = services.member_create
    calls = {"n": 0}

    def flaky(**kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValidationError.for_field("id_number", "这个身份证号已登记。")
        return real(**kw)

    monkeypatch.setattr(services, "member_create", flaky)
    before = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        MemberImporter().apply(result, actor=admin, mode="valid")
    with translation.override("zh-hans"):
        assert "4" in str(exc.value.message)
    assert Member.objects.count() == before
