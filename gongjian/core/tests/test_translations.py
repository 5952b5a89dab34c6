"""Every catalog under gongjian/ is complete and compiled: no empty or fuzzy entry, and each .mo
holds exactly the translations of its .po (so a forgotten compilemessages fails the suite)."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]  # gongjian/
PO_FILES = sorted(PACKAGE.glob("**/locale/*/LC_MESSAGES/django.po"))


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False
    obsolete: bool = False

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def _unquote(text: str) -> str:
    return ast.literal_eval(text) if text else ""  # PO strings use C escapes, a subset of Python's


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader (msgctxt, msgid, msgid_plural, msgstr[n], continuation lines, flags)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    flags_pending = False
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#~"):
            if current is None:
                current = Entry(line=no, obsolete=True)
                entries.append(current)
            current.obsolete = True
            continue
        if line.startswith("#,"):
            flags_pending = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if m:
            kw, idx, value = m.group(1), m.group(2), _unquote(m.group(3))
            starts_entry = kw == "msgctxt" or (kw == "msgid" and (current is None or current.msgctxt is None or current.msgstr))
            if starts_entry:
                current = Entry(line=no, fuzzy=flags_pending)
                entries.append(current)
                flags_pending = False
            assert current is not None, f"{path}:{no}: {kw} outside an entry"
            if kw == "msgctxt":
                current.msgctxt = value
                target = ("msgctxt", None)
            elif kw == "msgid":
                current.msgid = value
                target = ("msgid", None)
            elif kw == "msgid_plural":
                current.msgid_plural = value
                target = ("msgid_plural", None)
            else:
                n = int(idx) if idx is not None else 0
                current.msgstr[n] = value
                target = ("msgstr", n)
            continue
        if line.startswith('"') and current is not None and target is not None:
            value = _unquote(line)
            name, index = target
            if name == "msgstr":
                current.msgstr[index or 0] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        raise AssertionError(f"{path}:{no}: cannot read line {raw!r}")
    return entries


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_catalogs_exist():
    apps_with_code = {p.parent.name for p in PACKAGE.glob("*/apps.py")}
    with_catalog = {p.relative_to(PACKAGE).parts[0] for p in PO_FILES}
    assert "core" in with_catalog
    missing = sorted(a for a in apps_with_code - with_catalog if any((PACKAGE / a).glob("**/*.html")) or _has_gettext(PACKAGE / a))
    assert not missing, f"apps with translatable text but no zh_Hans catalog: {missing}"


def _has_gettext(app: Path) -> bool:
    return any(re.search(r"\bgettext(_lazy)?\b", p.read_text(encoding="utf-8")) for p in app.glob("**/*.py") if "tests" not in p.parts)


@pytest.mark.parametrize("po", PO_FILES, ids=_rel)
def test_no_empty_or_fuzzy_entries(po):
    problems = []
    for e in parse_po(po):
        if e.obsolete or e.msgid == "":
            if e.msgid == "" and e.fuzzy:
                problems.append(f"line {e.line}: the header is marked fuzzy")
            continue
        if e.fuzzy:
            problems.append(f"line {e.line}: fuzzy: {e.msgid!r}")
        if not e.msgstr or any(not s.strip() for s in e.msgstr.values()):
            problems.append(f"line {e.line}: untranslated: {e.msgid!r}")
        placeholders = set(re.findall(r"%\(\w+\)[sd]|\{\w*\}", e.msgid))
        for s in e.msgstr.values():
            if s and set(re.findall(r"%\(\w+\)[sd]|\{\w*\}", s)) != placeholders:
                problems.append(f"line {e.line}: placeholders differ: {e.msgid!r} -> {s!r}")
    assert not problems, f"{_rel(po)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("po", PO_FILES, ids=_rel)
def test_mo_is_compiled_from_the_current_po(po):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{_rel(mo)} is missing: run compilemessages"
    with mo.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for e in parse_po(po):
        if e.obsolete or e.fuzzy or e.msgid == "":
            continue
        if e.msgid_plural is not None:
            for n, s in e.msgstr.items():
                if s:
                    expected[(e.key, n)] = s
        elif e.msgstr.get(0):
            expected[e.key] = e.msgstr[0]
    compiled = {k: v for k, v in catalog.items() if k != ""}
    stale = sorted(str(k) for k in expected if compiled.get(k) != expected[k])
    extra = sorted(str(k) for k in compiled if k not in expected)
    assert not stale and not extra, f"{_rel(mo)} is not compiled from {_rel(po)}: run compilemessages (differs: {stale[:5]}, extra: {extra[:5]})"


def test_parser_reads_contexts_plurals_and_flags(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\nmsgctxt "menu"\nmsgid "Open"\nmsgstr "打开"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s row"\nmsgid_plural "%(n)s rows"\nmsgstr[0] ""\n"%(n)s 行"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n#~ msgid "Old"\n#~ msgstr "旧"\n',
        encoding="utf-8",
    )
    entries = [e for e in parse_po(po) if not e.obsolete]
    assert [(e.msgctxt, e.msgid, e.msgid_plural, e.msgstr, e.fuzzy) for e in entries] == [
        (None, "", None, {0: "Language: zh_Hans\n"}, False),
        ("menu", "Open", None, {0: "打开"}, False),
        (None, "%(n)s row", "%(n)s rows", {0: "%(n)s 行"}, True),
        (None, "Empty", None, {0: ""}, False),
    ]
