"""core.tabular: reading .xlsx/CSV in the accepted encodings, refusing everything else, header
matching, row checks, formula neutralisation and export round trips."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from gongjian.core.errors import ValidationError
from gongjian.core.tabular import (
    Column,
    FileRejected,
    Importer,
    cell_text,
    error_report_response,
    export_response,
    parse_bool,
    parse_date,
    read_table,
    safe_cell,
    template_response,
    write_csv,
    write_xlsx,
)

ROWS = [["淮河社区", "410103001001", "张三"], ["路砦社区", "410103001014", "李四"]]
HEADER = ["名称", "代码", "书记"]


def _csv(rows: list[list[str]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.worksheets[0]
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rejected(data: bytes, filename: str = "x.csv", **kw: Any) -> str:
    with pytest.raises(FileRejected) as exc, translation.override("zh-hans"):
        _header, rows = read_table(data, filename=filename, **kw)
        list(rows)
    with translation.override("zh-hans"):
        return str(exc.value.message)


# --- accepted files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gb18030", False), ("gbk", False)], ids=["utf8", "utf8-bom", "gb18030", "gbk"]
)
def test_csv_encodings_are_read(encoding, bom):
    header, rows = read_table(_csv([HEADER, *ROWS], encoding, bom), filename="社区.csv")
    assert header == HEADER
    assert list(rows) == ROWS


def test_gb18030_with_a_rare_name_character():
    rows = [["姓名", "社区"], ["王𠮷", "淮河社区"]]
    _header, data = read_table(_csv(rows, "gb18030"), filename="a.csv")
    assert list(data) == [["王𠮷", "淮河社区"]]


def test_xlsx_is_read_with_typed_cells():
    import datetime as dt

    header, rows = read_table(_xlsx([[*HEADER, "日期", "人数"], [*ROWS[0], dt.datetime(2024, 7, 1), 12.0]]), filename="a.xlsx")  # noqa: DTZ001
    assert header == [*HEADER, "日期", "人数"]
    row = next(rows)
    assert [cell_text(v) for v in row] == [*ROWS[0], "2024-07-01", "12"]


def test_xlsx_is_recognised_by_content_not_name():
    header, _rows = read_table(_xlsx([HEADER]), filename="upload.csv")
    assert header == HEADER


# --- refused files -----------------------------------------------------------------------------


def test_empty_files_are_refused():
    assert "文件是空的" in _rejected(b"")
    assert "文件是空的" in _rejected(b"  \r\n ")
    assert "文件是空的" in _rejected(_xlsx([]), filename="a.xlsx")


def test_over_size_is_refused():
    msg = _rejected(_csv([HEADER, *ROWS] * 100), max_bytes=1024 * 1024 // 512)
    assert msg == "文件大小超过 2 KB。"


@override_settings(GONGJIAN_IMPORT_MAX_BYTES=3 * 1024 * 1024)
def test_size_limit_comes_from_settings():
    assert "3 MB" in _rejected(b"a,b\n" + b"x,y\n" * (1024 * 1024))


def test_pdf_is_refused():
    assert "PDF" in _rejected(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", filename="名单.pdf")


def test_old_office_file_is_refused():
    assert ".xlsx" in _rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="名单.xls")


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, b"\x1f\x8b\x08\x00" + b"\x01" * 20, bytes(range(256)) * 4])
def test_binary_files_are_refused(data):
    msg = _rejected(data, filename="a.csv")
    assert ".xlsx" in msg and "CSV" in msg


def test_damaged_xlsx_is_refused():
    assert "损坏" in _rejected(b"PK\x03\x04" + b"garbage" * 20, filename="a.xlsx")
    assert "不是有效的 Excel" in _rejected(b"name,code\n", filename="a.xlsx")


def test_utf16_is_refused_with_advice():
    assert "UTF-8" in _rejected("名称,代码\n淮河社区,1\n".encode("utf-16"))


@pytest.mark.parametrize("encoding", ["shift_jis", "big5", "latin-1", "koi8_r"])
def test_other_encodings_are_refused(encoding):
    samples = {
        "shift_jis": [["名前", "電話番号", "住所"], ["山田太郎", "09012345678", "東京都渋谷区神南"], ["鈴木花子", "08011112222", "大阪府大阪市北区"]],
        "big5": [["姓名", "聯繫電話", "所屬單位"], ["張偉", "0912345678", "臺灣省臺北市政府"], ["陳靜", "0923456789", "高雄市議會"]],
        "latin-1": [["nom", "ville"], ["José", "Zürich"], ["André", "Genève"]],
        "koi8_r": [["имя", "город"], ["Иван", "Москва"]],
    }
    msg = _rejected(_csv(samples[encoding], encoding))
    assert "UTF-8" in msg and "GB18030" in msg


def test_malformed_csv_is_refused_not_crashed():
    with override_settings(GONGJIAN_IMPORT_MAX_BYTES=10 * 1024 * 1024):
        msg = _rejected(b'name,code\n"unclosed,1\n' + b"x" * 200_000)
    assert msg


# --- header matching and row checks ------------------------------------------------------------


class _Communities(Importer):
    kind = "coretest-communities"
    name = "社区"
    key = "code"
    columns = (
        Column("name", "名称", required=True, example="淮河社区"),
        Column("code", "统计代码", required=True, example="410103001001"),
        Column("secretary", "书记"),
    )

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        if not values["code"].isdigit() or len(values["code"]) != 12:
            raise ValidationError.for_field("code", "统计代码应为12位数字")
        return dict(values)


def test_headers_match_by_chinese_label_key_star_and_case():
    imp = _Communities()
    assert imp.header_map(["统计代码*", "名称（必填）", "书记"]) == {"code": 0, "name": 1, "secretary": 2}
    assert imp.header_map(["NAME", "Code"]) == {"name": 0, "code": 1}
    assert imp.header_map([" 名称 ", "统计代码", "备注"]) == {"name": 0, "code": 1}


def test_missing_required_column_is_named():
    with pytest.raises(FileRejected) as exc, translation.override("zh-hans"):
        _Communities().header_map(["名称", "书记"])
    with translation.override("zh-hans"):
        assert "统计代码" in str(exc.value.message)


def test_check_reports_row_column_reason_and_in_file_duplicates():
    data = _csv(
        [
            ["名称", "统计代码", "书记"],
            ["淮河社区", "410103001001", "张三"],
            ["", "410103001014", ""],
            ["坏代码社区", "4101", ""],
            [],
            ["淮河社区重复", "410103001001", ""],
            ["路砦社区", "410103001014", "李四"],
        ]
    )
    with translation.override("zh-hans"):
        result = _Communities().check(data, filename="a.csv")
    assert result.total == 5  # the blank line is not a row
    assert [n for n, _d in result.valid] == [2, 7]
    errors = {(e.row, e.column): e.reason for e in result.errors}
    assert set(errors) == {(3, "名称"), (4, "统计代码"), (6, "统计代码")}
    assert "必填" in errors[(3, "名称")]
    assert errors[(4, "统计代码")] == "统计代码应为12位数字"
    assert "第 2 行" in errors[(6, "统计代码")]
    assert result.error_rows == 3 and not result.ok


def test_row_limit():
    imp = _Communities()
    imp.max_rows = 2
    data = _csv([["名称", "统计代码"]] + [[f"社区{i}", f"41010300100{i}"] for i in range(3)])
    with pytest.raises(FileRejected):
        imp.check(data, filename="a.csv")


def test_apply_all_refuses_when_any_row_has_an_error():
    data = _csv([["名称", "统计代码"], ["淮河社区", "410103001001"], ["坏", "1"]])
    imp = _Communities()
    result = imp.check(data, filename="a.csv")
    with pytest.raises(ValidationError):
        imp.apply(result, actor=None, mode="all")
    with pytest.raises(ValidationError):
        imp.apply(result, actor=None, mode="everything")


def test_parse_date_and_bool():
    import datetime as dt

    for text in ("2024-07-01", "2024/7/1", "2024.07.01", "2024年7月1日", "20240701"):
        assert parse_date(text, field="d") == dt.date(2024, 7, 1)
    assert parse_date("  ", field="d") is None
    with pytest.raises(ValidationError) as exc:
        parse_date("2024-02-30", field="join_date")
    assert "join_date" in exc.value.details
    assert parse_bool("是", field="b") is True and parse_bool("否", field="b") is False and parse_bool("", field="b") is False
    with pytest.raises(ValidationError):
        parse_bool("也许", field="b")


# --- writing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", " =HYPERLINK(\"http://x\")"])
def test_formula_like_text_is_neutralised(text):
    assert safe_cell(text) == "'" + text


def test_plain_values_are_kept():
    import datetime as dt
    from decimal import Decimal

    assert safe_cell("淮河社区") == "淮河社区"
    assert safe_cell(-5) == -5 and safe_cell(1.5) == 1.5 and safe_cell(Decimal("2.5")) == Decimal("2.5")
    assert safe_cell(dt.date(2024, 7, 1)) == dt.date(2024, 7, 1)
    assert safe_cell(None) == "" and safe_cell(True) == "是" and safe_cell(False) == "否"


DANGEROUS = ["=cmd|' /C calc'!A0", "+SUM(1)", "-2+3", "@A1", "\t=1"]


def test_xlsx_export_has_no_formula_and_round_trips():
    data = write_xlsx(["名称", "备注", "人数"], [["淮河社区", d, 3] for d in DANGEROUS], sheet="社区")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.title == "社区"
    for row in ws.iter_rows(min_row=2):
        assert row[1].data_type == "s" and str(row[1].value).startswith("'")
        assert row[2].value == 3
    header, rows = read_table(data, filename="out.xlsx")
    assert header == ["名称", "备注", "人数"]
    assert [cell_text(r[1]) for r in rows] == [d.strip() for d in DANGEROUS]


def test_csv_export_is_utf8_with_bom_neutralised_and_round_trips():
    data = write_csv(["名称", "备注"], [["淮河社区", d] for d in DANGEROUS])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert all(line[1].startswith("'") for line in lines[1:])
    header, rows = read_table(data, filename="out.csv")
    assert header == ["名称", "备注"]
    assert [cell_text(r[1]) for r in rows] == [d.strip() for d in DANGEROUS]


def test_responses_have_download_headers():
    resp = export_response(["a"], [["=1"]], basename="成员名单", fmt="csv")
    assert resp["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''%E6%88%90%E5%91%98%E5%90%8D%E5%8D%95.csv" in resp["Content-Disposition"]
    resp = export_response(["a"], [["x"]], basename="list", fmt="xlsx")
    assert resp["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_template_marks_required_columns_and_has_an_example_row():
    resp = template_response(_Communities(), "csv")
    lines = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert lines == [["名称*", "统计代码*", "书记"], ["淮河社区", "410103001001", ""]]
    # the template itself is accepted by the importer
    result = _Communities().check(resp.content, filename="t.csv")
    assert result.ok and result.total == 1


def test_error_report_lists_row_column_reason():
    result = _Communities().check(_csv([["名称", "统计代码"], ["坏", "1"]]), filename="a.csv")
    with translation.override("zh-hans"):
        resp = error_report_response(_Communities(), result, "csv")
    lines = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert lines == [["行号", "列", "原因"], ["2", "统计代码", "统计代码应为12位数字"]]


def test_headers_match_in_every_configured_language_whatever_the_active_one():
    from gongjian.orgs.importers import UnitImporter

    imp = UnitImporter()
    with translation.override("en"):
        zh_headers = []
        with translation.override("zh-hans"):
            zh_headers = [str(c.label) for c in imp.columns]
        en_map = imp.header_map(zh_headers)  # a Chinese template imported by an English-speaking user
    with translation.override("zh-hans"):
        en_headers = []
        with translation.override("en"):
            en_headers = [str(c.label) for c in imp.columns]
        zh_map = imp.header_map(en_headers)
    assert zh_headers != en_headers
    assert en_map == zh_map == {c.key: i for i, c in enumerate(imp.columns)}
