"""Spreadsheets in and out: the one import/export mechanism every list uses.

Reading: .xlsx and CSV (UTF-8 with or without BOM, GB18030/GBK), size-limited; anything else is
refused with a clear message. Headers are matched to an importer's columns by their Chinese or
English label (or key).

Importing is two-step and all-or-nothing by default:
1. ``Importer.check(file)`` validates every row and returns a ``CheckResult``: the rows that are
   valid and an error report (row number, column, reason). Nothing is written.
2. ``Importer.apply(result, actor=, mode=)`` writes inside one transaction: with ``mode="all"`` it
   writes only when no row has an error; with ``mode="valid"`` it writes exactly the valid rows.
   Rows are upserts on the natural key, so re-importing the same file changes nothing.

Exporting: ``write_xlsx`` / ``write_csv`` neutralise formula injection (cells starting with
``= + - @`` or control characters get a leading apostrophe).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError, ValidationError

XLSX_MAGIC = b"PK\x03\x04"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


class FileRejected(DomainError):
    code = "file_rejected"
    default_message = _("This file cannot be read.")


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # Chinese (translated) header shown in templates and error reports
    required: bool = False
    example: str = ""
    help: Any = ""


@dataclass(frozen=True)
class ExportColumn:
    """A column of an export: its (translated) header and how to read the cell from a row.

    ``value`` is an attribute path (``"community.name"``; a method at its end is called, so
    ``"get_status_display"`` works) or a callable of the row.
    """

    label: Any
    value: str | Callable[[Any], Any]

    def value_of(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        obj = row
        for name in self.value.split("."):
            if obj is None:
                return ""
            obj = getattr(obj, name)
        return obj() if callable(obj) else obj


@dataclass
class RowError:
    row: int  # 1-based spreadsheet row number (the header is row 1)
    column: str
    reason: str


@dataclass
class CheckResult:
    total: int = 0
    valid: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows with errors not written

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "skipped": self.skipped}


# --- reading ---------------------------------------------------------------------------------


# Signatures of file types people upload by mistake instead of a spreadsheet.
_BINARY_SIGNATURES: tuple[tuple[bytes, Any], ...] = (
    (b"%PDF", _("This is a PDF file. Only .xlsx and CSV files are accepted.")),
    (b"\xd0\xcf\x11\xe0", _("This is an old Office file (.xls or .doc). Save it as .xlsx and upload it again.")),
    (b"\x1f\x8b", _("This is a compressed archive. Only .xlsx and CSV files are accepted.")),
    (b"Rar!", _("This is a compressed archive. Only .xlsx and CSV files are accepted.")),
    (b"7z\xbc\xaf", _("This is a compressed archive. Only .xlsx and CSV files are accepted.")),
    (b"\x89PNG", _("This is an image. Only .xlsx and CSV files are accepted.")),
    (b"\xff\xd8\xff", _("This is an image. Only .xlsx and CSV files are accepted.")),
    (b"GIF8", _("This is an image. Only .xlsx and CSV files are accepted.")),
)
_CONTROL_OK = {"\t", "\n", "\r", "\f"}


def _looks_chinese(text: str) -> bool:
    """Text decoded as GB18030 is plausible when most of its Chinese characters are common ones.

    Japanese, Big5 or other files also decode as GB18030 but into rare characters (mojibake);
    real Chinese lists consist mostly of the 3,755 level-1 characters of GB 2312.
    """
    total = common = 0
    for ch in text:
        if ord(ch) < 128 or ch.isspace():
            continue
        total += 1
        try:
            b = ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        if 0xB0 <= b[0] <= 0xD7 or b[0] <= 0xA9:  # level-1 hanzi, or punctuation/full-width forms
            common += 1
    return total < 4 or common >= 0.7 * total


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
        if not text or not _looks_chinese(text):
            raise FileRejected(_("The CSV file is neither UTF-8 nor GB18030/GBK; save it as UTF-8 CSV or .xlsx.")) from None
    if any(ord(ch) < 32 and ch not in _CONTROL_OK for ch in text[:65536]):
        raise FileRejected(_("This is not a text file. Only .xlsx and CSV files are accepted."))
    return text


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[Any]]:
    try:
        yield from reader
    except csv.Error:
        raise FileRejected(_("The CSV file is malformed (for example a quote is not closed).")) from None


def read_table(file: IO[bytes] | bytes, *, filename: str = "", max_bytes: int | None = None) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and data rows of an .xlsx or CSV file; anything else raises ``FileRejected``."""
    limit = max_bytes or settings.GONGJIAN_IMPORT_MAX_BYTES
    data = file if isinstance(file, bytes) else file.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    if not data.strip():
        raise FileRejected(_("The file is empty."))
    name = filename.lower()
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(_("The CSV file is saved as UTF-16 (Unicode text); save it as UTF-8 CSV or .xlsx."))
    for magic, message in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise FileRejected(message)
    if name.endswith((".xlsx", ".xlsm")):
        raise FileRejected(_("The file is named .xlsx but is not a valid Excel workbook."))
    if name.endswith((".xls", ".doc", ".docx", ".pdf", ".zip")) or b"\x00" in data[:4096]:
        raise FileRejected(_("Only .xlsx and CSV files are accepted (old .xls files must be saved as .xlsx)."))
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = _csv_rows(reader)
    try:
        header = next(rows)
    except StopIteration:
        raise FileRejected(_("The file is empty.")) from None
    return [h.strip() for h in header], rows


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel in some locales) or tab (copied from a sheet), from the header line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def size_text(limit: int) -> str:
    """A byte count as people write it: 20 MB, 1.5 MB, 512 KB."""
    mb = limit / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.0f} MB" if mb.is_integer() else f"{mb:.1f} MB"
    return f"{max(limit // 1024, 1)} KB"


def too_large(limit: int) -> FileRejected:
    return FileRejected(_("The file is larger than %(size)s.") % {"size": size_text(limit)})


def _read_xlsx(data: bytes) -> tuple[list[str], Iterator[list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise FileRejected(_("The Excel workbook is damaged or protected and cannot be read.")) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        raise FileRejected(_("The file is empty.")) from None
    return [str(h).strip() if h is not None else "" for h in header], (list(r) for r in rows)


def cell_text(value: Any) -> str:
    """A cell as clean text; undoes the apostrophe our own exports put before formula-like text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= 2**53:
            # Beyond what a floating-point number holds exactly (an 18-digit ID number typed into a
            # number cell): show it as Excel does, so the validator explains instead of guessing digits.
            return f"{value:.15G}"
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith("'") and text[1:].lstrip(" ").startswith(FORMULA_PREFIXES):
        text = text[1:]
    return text.strip()


EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: str, *, field: str) -> dt.date | None:
    """A date as people write it (2020-01-05, 2020/1/5, 2020.1.5, 2020年1月5日, 20200105, full-width
    digits) or as Excel stores it in a cell formatted as a number (a serial day count such as 43835)."""
    import unicodedata

    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        return None
    if len(value) == 5 and value.isdigit():
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if len(value) > 10 and value[10] in " T" and value[11:].replace(":", "").replace(".", "").strip("0") == "":
        value = value[:10]  # a datetime at midnight written as text
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no instant
        except ValueError:
            continue
    raise ValidationError.for_field(field, _("Write the date as YYYY-MM-DD, e.g. 2024-07-01."))


def parse_choice(value: str, choices: Any, *, field: str, default: str | None = None) -> str:
    """A choice by its key or by its label in Chinese or English."""
    v = value.strip()
    if not v:
        if default is not None:
            return default
        raise ValidationError.for_field(field, _("This column is required."))
    lookup: dict[str, str] = {}
    for key, label in choices.choices:
        lookup[key.lower()] = key
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                lookup[str(label).lower()] = key
    if v.lower() in lookup:
        return lookup[v.lower()]
    labels = []
    with translation.override("zh-hans"):
        labels = [str(label) for _k, label in choices.choices]
    raise ValidationError.for_field(field, gettext("Unknown value “%(v)s”; use one of: %(options)s.") % {"v": v, "options": "、".join(labels)})


def parse_bool(value: str, *, field: str) -> bool:
    v = value.strip().lower()
    if v in {"是", "y", "yes", "true", "1", "√"}:
        return True
    if v in {"否", "n", "no", "false", "0", ""}:
        return False
    raise ValidationError.for_field(field, _("Write 是 or 否."))


# --- importing -------------------------------------------------------------------------------


class Importer:
    """Subclass per list: declare ``columns``, ``key``, and implement ``clean_row`` and ``write_row``.

    ``clean_row(values, context)`` returns cleaned data or raises ``ValidationError`` whose
    ``details`` name the column keys. ``write_row(data, actor)`` upserts one row through the app's
    services and returns "created", "updated" or "unchanged".
    """

    kind: str = ""
    name: Any = ""
    columns: Sequence[Column] = ()
    key: str = ""  # column key of the natural key, used to refuse duplicates within one file
    max_rows: int = 100_000

    def header_map(self, header: list[str]) -> dict[str, int]:
        from django.utils import translation

        wanted: dict[str, str] = {}
        # A header in any configured language matches: a Chinese template filled in by one user
        # is imported by another who works in English, and the other way round.
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for col in self.columns:
                    for alias in {col.key, str(col.label), _strip_star(str(col.label))}:
                        wanted.setdefault(alias.strip().lower(), col.key)
        mapping: dict[str, int] = {}
        for idx, h in enumerate(header):
            key = wanted.get(_strip_star(h).strip().lower())
            if key and key not in mapping:
                mapping[key] = idx
        missing = [str(c.label) for c in self.columns if c.required and c.key not in mapping]
        if missing:
            raise FileRejected(
                _("Required columns are missing: %(cols)s. Download the template to see the expected headers.") % {"cols": "、".join(missing)}
            )
        return mapping

    def prepare(self, actor: Any) -> dict[str, Any]:
        """Look-ups shared by all rows (e.g. region codes in the actor's scope)."""
        return {}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def write_row(self, data: dict[str, Any], *, actor: Any, context: dict[str, Any]) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def upsert(existing: Any, *, create: Callable[[], Any], update: Callable[[Any], Any], snapshot: Callable[[Any], Any],
               frozen: bool = False) -> str:
        """``write_row``'s usual outcome: "created" when there is no record yet; "unchanged" for a ``frozen`` one (inactive,
        closed) or when the update left its ``snapshot`` as it was; else "updated"."""
        if existing is None:
            create()
            return "created"
        if frozen:
            return "unchanged"
        before = snapshot(existing)
        return "updated" if snapshot(update(existing)) != before else "unchanged"

    def label(self, key: str) -> str:
        for c in self.columns:
            if c.key == key:
                return str(c.label)
        return key

    HEADER_SEARCH_ROWS = 10

    def locate_header(self, header: list[str], rows: Iterator[list[Any]]) -> tuple[dict[str, int], int, Iterator[list[Any]]]:
        """The column mapping, the header's row number and the rows after it.

        Real lists often start with a title row (merged across the columns) or a row of merged group
        headings above the real headers: the first of the top rows that has every required column
        is the header."""
        try:
            return self.header_map(header), 1, rows
        except FileRejected as first_error:
            for offset in range(self.HEADER_SEARCH_ROWS - 1):
                try:
                    candidate = next(rows)
                except StopIteration:
                    break
                try:
                    return self.header_map([cell_text(c) for c in candidate]), offset + 2, rows
                except FileRejected:
                    continue
            raise first_error from None

    def check(self, file: IO[bytes] | bytes, *, filename: str = "", actor: Any = None) -> CheckResult:
        header, rows = read_table(file, filename=filename)
        mapping, header_row, rows = self.locate_header(header, rows)
        context = self.prepare(actor)
        result = CheckResult()
        seen: dict[str, int] = {}
        for offset, raw in enumerate(rows):
            rownum = offset + header_row + 1
            values = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in mapping.items()}
            if not any(values.values()):
                continue
            result.total += 1
            if result.total > self.max_rows:
                raise FileRejected(_("The file has more than %(n)s rows; split it into smaller files.") % {"n": self.max_rows})
            for col in self.columns:
                if col.required and not values.get(col.key):
                    result.errors.append(RowError(rownum, str(col.label), gettext("This column is required.")))
            if any(e.row == rownum for e in result.errors[-len(self.columns) :]):
                continue
            try:
                data = self.clean_row(values, context)
            except ValidationError as exc:
                for fld, msgs in (exc.details or {"": [exc.message]}).items():
                    for msg in msgs if isinstance(msgs, list | tuple) else [msgs]:
                        result.errors.append(RowError(rownum, self.label(fld) if fld else "", str(msg)))
                continue
            except DomainError as exc:
                result.errors.append(RowError(rownum, "", str(exc.message)))
                continue
            if self.key:
                natural = str(data.get(self.key, ""))
                if natural in seen:
                    result.errors.append(
                        RowError(rownum, self.label(self.key), gettext("Duplicate of row %(row)s in the same file.") % {"row": seen[natural]})
                    )
                    continue
                seen[natural] = rownum
            result.valid.append((rownum, data))
        return result

    def refuse(self, result: CheckResult, mode: str) -> None:
        """The checks before writing anything: a known mode, and no row in error when importing all rows."""
        if mode not in {"all", "valid"}:
            raise ValidationError.for_field("mode", _("Choose whether to import all rows or only the valid rows."))
        if mode == "all" and result.errors:
            raise ValidationError(
                _("%(n)s rows have errors; nothing was imported. Fix them, or choose to import only the valid rows.") % {"n": result.error_rows}
            )

    def apply(self, result: CheckResult, *, actor: Any, mode: str = "all") -> ApplyResult:
        self.refuse(result, mode)
        out = ApplyResult(skipped=result.error_rows)
        context = self.prepare(actor)
        with transaction.atomic():
            for rownum, data in result.valid:
                try:
                    outcome = self.write_row(data, actor=actor, context=context)
                except ValidationError as exc:
                    # nothing is written (the transaction rolls back); say which row stopped the import
                    raise ValidationError(
                        _("Row %(row)s: %(reason)s Nothing was imported.") % {"row": rownum, "reason": exc.message},
                        details={f"row {rownum}": [exc.message]},
                    ) from None
                setattr(out, outcome, getattr(out, outcome) + 1)
        return out


def _strip_star(label: str) -> str:
    return label.replace("*", "").replace("（必填）", "").strip()


# --- writing ---------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection; keep numbers and dates as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal | dt.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) or text.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_xlsx(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.append([str(h) for h in headers])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([str(h) for h in headers])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def file_response(content: bytes, filename: str, fmt: str) -> HttpResponse:
    from urllib.parse import quote

    ctype = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = HttpResponse(content, content_type=ctype)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


def export_response(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, basename: str, fmt: str) -> HttpResponse:
    if fmt == "csv":
        return file_response(write_csv(headers, rows), f"{basename}.csv", "csv")
    return file_response(write_xlsx(headers, rows, sheet=basename), f"{basename}.xlsx", "xlsx")


def template_response(importer: Importer, fmt: str = "xlsx") -> HttpResponse:
    headers = [f"{c.label}*" if c.required else str(c.label) for c in importer.columns]
    example = [c.example for c in importer.columns]
    return export_response(headers, [example], basename=f"{importer.kind}-template", fmt=fmt)


def error_report_response(importer: Importer, result: CheckResult, fmt: str = "xlsx") -> HttpResponse:
    headers = [gettext("Row"), gettext("Column"), gettext("Reason")]
    return export_response(headers, ([e.row, e.column, e.reason] for e in result.errors), basename=f"{importer.kind}-errors", fmt=fmt)


Cleaner = Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]
