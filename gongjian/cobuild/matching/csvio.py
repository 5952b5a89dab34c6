"""CSV in and out for the batch interface (``gongjian match``).

Input: UTF-8 with or without BOM (GB18030 is read too, as Excel writes it on Chinese Windows); comma-separated (a
tab- or semicolon-separated file is recognised from its header). Needs: ``id,title,description,category,lat,lng,
wanted_from,wanted_to`` (optional ``quantity``, ``quantity_unit``, ``region_code``); resources: ``id,title,description,
category,unit,lat,lng,radius_km,capacity,available_from,available_to`` (``unit`` is the offering unit's name; optional
``capacity_unit`` such as 元 or m², and ``service_region_codes``, several separated by ``;``, ``、`` or spaces).
Only ``id`` and ``title`` are required; other columns may be missing or empty; unknown
columns are ignored. Any bad cell raises :class:`MatchingInputError` naming the row (as a spreadsheet numbers it, the
header being row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from .model import Need, Resource, Suggestion

NEED_COLUMNS = (
    "id", "title", "description", "category", "lat", "lng", "wanted_from", "wanted_to", "quantity", "region_code", "quantity_unit",
)
RESOURCE_COLUMNS = (
    "id",
    "title",
    "description",
    "category",
    "unit",
    "lat",
    "lng",
    "radius_km",
    "capacity",
    "available_from",
    "available_to",
    "service_region_codes",
    "capacity_unit",
)
OUTPUT_COLUMNS = ("need_id", "rank", "resource_id", "score", "reasons")
REASON_SEPARATOR = "；"
MAX_CELL = 10_000


class MatchingInputError(ValueError):
    """A bad input file: ``row`` (spreadsheet numbering, header = 1) and ``column`` say where, the message says what."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.row = row
        self.column = column
        self.detail = message
        where = []
        if row is not None:
            where.append(f"第 {row} 行")
        if column:
            where.append(f"“{column}”列")
        super().__init__(("".join(where) + "：" if where else "") + message)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise MatchingInputError("文件编码无法识别，请另存为 UTF-8 编码的 CSV") from exc


def _read_text(source: str | Path | IO[Any]) -> str:
    if isinstance(source, str | Path):
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise MatchingInputError(f"无法读取文件 {source}：{exc.strerror or exc}") from exc
        return _decode(data)
    raw = source.read()
    if isinstance(raw, bytes):
        return _decode(raw)
    return raw.removeprefix("\ufeff")


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "CSV 格式错误：引号没有闭合（文件在引号内结束）"
    if "expected after" in text:
        return "CSV 格式错误：引号闭合后应紧跟分隔符"
    if "field larger than field limit" in text:
        return "CSV 格式错误：单元格内容过长"
    return f"CSV 格式错误：{text}"


def _rows(source: str | Path | IO[Any], columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    content = _read_text(source)
    first = content.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        if "\t" in first:
            delimiter = "\t"
        elif ";" in first:
            delimiter = ";"
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise MatchingInputError("文件是空的，第一行应为列名") from None
    except csv.Error as exc:
        raise MatchingInputError(_csv_problem(exc), row=1) from exc
    names = [unicodedata.normalize("NFKC", h).strip().lower() for h in header]
    for required in ("id", "title"):
        if required not in names:
            raise MatchingInputError(f"缺少必需的列“{required}”（第一行应为列名：{','.join(columns)}）", row=1)
    seen_names: set[str] = set()
    for name in names:
        if name in columns and name in seen_names:
            raise MatchingInputError(f"列“{name}”重复", row=1)
        seen_names.add(name)
    positions = {name: i for i, name in enumerate(names) if name in columns}
    row_no = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise MatchingInputError(_csv_problem(exc), row=row_no + 1) from exc
        row_no += 1
        if not any(c.strip() for c in cells):
            continue
        row = {}
        for name, i in positions.items():
            value = cells[i].strip() if i < len(cells) else ""
            if "\x00" in value:
                raise MatchingInputError("含有非法字符（NUL）", row=row_no, column=name)
            if len(value) > MAX_CELL:
                raise MatchingInputError(f"内容过长（超过 {MAX_CELL} 个字符）", row=row_no, column=name)
            row[name] = value
        yield row_no, row


def _number(value: str, row: int, column: str, *, low: float | None = None, high: float | None = None) -> float | None:
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise MatchingInputError(f"“{value}”不是数字", row=row, column=column) from None
    if not math.isfinite(number):
        raise MatchingInputError(f"“{value}”不是有效数字", row=row, column=column)
    if low is not None and number < low:
        raise MatchingInputError(f"{value} 超出范围（不能小于 {low:g}）", row=row, column=column)
    if high is not None and number > high:
        raise MatchingInputError(f"{value} 超出范围（不能大于 {high:g}）", row=row, column=column)
    return number


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ t]00:00(?::00)?)?$")


def _date(value: str, row: int, column: str) -> date | None:
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if not text:
        return None
    match = _DATE.match(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise MatchingInputError(f"“{value}”不是有效日期（应为 2025-03-01 这样的格式）", row=row, column=column)


def _required(row: dict[str, str], row_no: int, column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise MatchingInputError("不能为空", row=row_no, column=column)
    return value


def _coords(row: dict[str, str], row_no: int) -> tuple[float | None, float | None]:
    lat = _number(row.get("lat", ""), row_no, "lat", low=-90, high=90)
    lng = _number(row.get("lng", ""), row_no, "lng", low=-180, high=180)
    if (lat is None) != (lng is None):
        missing = "lng" if lng is None else "lat"
        raise MatchingInputError("纬度和经度要么都填写，要么都不填", row=row_no, column=missing)
    return lat, lng


def _period(row: dict[str, str], row_no: int, start: str, end: str) -> tuple[date | None, date | None]:
    a = _date(row.get(start, ""), row_no, start)
    b = _date(row.get(end, ""), row_no, end)
    if a and b and b < a:
        raise MatchingInputError(f"结束日期 {b.isoformat()} 早于开始日期 {a.isoformat()}", row=row_no, column=end)
    return a, b


def _read(source: str | Path | IO[Any], columns: tuple[str, ...], build: Callable[[dict[str, str], int], Any]) -> list[Any]:
    items = []
    ids: dict[str, int] = {}
    for row_no, row in _rows(source, columns):
        item = build(row, row_no)
        if item.id in ids:
            raise MatchingInputError(f"编号“{item.id}”与第 {ids[item.id]} 行重复", row=row_no, column="id")
        ids[item.id] = row_no
        items.append(item)
    return items


def _need(row: dict[str, str], row_no: int) -> Need:
    lat, lng = _coords(row, row_no)
    wanted_from, wanted_to = _period(row, row_no, "wanted_from", "wanted_to")
    return Need(
        id=_required(row, row_no, "id"),
        title=_required(row, row_no, "title"),
        description=row.get("description", ""),
        category=row.get("category", ""),
        lat=lat,
        lng=lng,
        wanted_from=wanted_from,
        wanted_to=wanted_to,
        quantity=_number(row.get("quantity", ""), row_no, "quantity", low=0),
        region_code=row.get("region_code", ""),
        quantity_unit=row.get("quantity_unit", ""),
    )


def _resource(row: dict[str, str], row_no: int) -> Resource:
    lat, lng = _coords(row, row_no)
    available_from, available_to = _period(row, row_no, "available_from", "available_to")
    codes = tuple(c for c in re.split(r"[;；、,，\s]+", row.get("service_region_codes", "")) if c)
    return Resource(
        id=_required(row, row_no, "id"),
        title=_required(row, row_no, "title"),
        description=row.get("description", ""),
        category=row.get("category", ""),
        unit=row.get("unit", ""),
        lat=lat,
        lng=lng,
        radius_km=_number(row.get("radius_km", ""), row_no, "radius_km", low=0, high=20_000),
        capacity=_number(row.get("capacity", ""), row_no, "capacity", low=0),
        available_from=available_from,
        available_to=available_to,
        service_region_codes=codes,
        capacity_unit=row.get("capacity_unit", ""),
    )


def read_needs_csv(path_or_file: str | Path | IO[Any]) -> list[Need]:
    """Needs from a CSV file (path, or a binary/text file object). Raises :class:`MatchingInputError`."""
    return _read(path_or_file, NEED_COLUMNS, _need)


def read_resources_csv(path_or_file: str | Path | IO[Any]) -> list[Resource]:
    """Resources from a CSV file (path, or a binary/text file object). Raises :class:`MatchingInputError`."""
    return _read(path_or_file, RESOURCE_COLUMNS, _resource)


def _safe(value: str) -> str:
    """Cells that a spreadsheet would run as a formula get a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_suggestions_csv(suggestions: dict[str, list[Suggestion]], file: IO[str]) -> None:
    """``need_id,rank,resource_id,score,reasons`` rows, needs in the given order, best first; reasons joined with "；"."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for need_id, items in suggestions.items():
        for s in sorted(items, key=lambda s: s.rank):
            writer.writerow([_safe(need_id), s.rank, _safe(s.resource_id), f"{s.score:.4f}", _safe(REASON_SEPARATOR.join(s.reasons))])


def parse_date(value: str) -> date:
    """A date as the CSV reader accepts it (for ``--today``)."""
    return _date(value, 0, "today") or datetime.now(UTC).astimezone().date()
