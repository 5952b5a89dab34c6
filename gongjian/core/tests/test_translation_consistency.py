"""One wording per English text across all catalogs.

Django merges every app's catalog (and the project catalog in LOCALE_PATHS) into one translation table:
the project catalog wins, then the first app in INSTALLED_APPS. When two catalogs translate the same
(msgctxt, msgid) differently, one of them silently loses on every page, including the pages of the app
whose catalog lost. Where the meaning really differs, the call site needs a context (pgettext /
{% translate "…" context "…" %}); where it is the same, the catalogs must agree.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from django.utils import translation

from gongjian.core.tests.test_translations import PACKAGE, PO_FILES, Entry, parse_po


def _app(po: Path) -> str:
    owner = po.parents[3]  # <app>/locale/<lang>/LC_MESSAGES/django.po
    return "project (gongjian/locale)" if owner == PACKAGE else owner.name


def _language(po: Path) -> str:
    return po.parents[1].name  # …/locale/<lang>/LC_MESSAGES/django.po


def _entries(po: Path) -> list[Entry]:
    return [e for e in parse_po(po) if not e.obsolete and not e.fuzzy and e.msgid != ""]


def find_clashes(po_files: list[Path]) -> list[str]:
    """Every (language, msgctxt, msgid) that two catalogs translate differently, with each wording."""
    seen: dict[tuple[str, str | None, str], dict[tuple[tuple[int, str], ...], list[str]]] = defaultdict(lambda: defaultdict(list))
    for po in po_files:
        for e in _entries(po):
            seen[(_language(po), e.msgctxt, e.msgid)][tuple(sorted(e.msgstr.items()))].append(_app(po))
    problems = []
    for (lang, ctxt, msgid), wordings in sorted(seen.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1] or "")):
        if len(wordings) > 1:
            where = "; ".join(f"{' | '.join(s for _, s in w)!r} in {', '.join(apps)}" for w, apps in wordings.items())
            label = f"[{ctxt}] {msgid!r}" if ctxt is not None else repr(msgid)
            problems.append(f"{lang} {label}: {where}")
    return problems


def test_no_two_catalogs_translate_the_same_text_differently():
    problems = find_clashes(PO_FILES)
    assert not problems, (
        "The same English text has different translations in different catalogs; Django keeps only one of them "
        "everywhere. Agree one wording, or give the call sites a context (pgettext):\n" + "\n".join(problems)
    )


def test_clash_finder_sees_differences_in_wording_context_and_plural(tmp_path):
    def catalog(app: str, body: str) -> Path:
        po = tmp_path / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
        po.parent.mkdir(parents=True)
        po.write_text('msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n' + body, encoding="utf-8")
        return po

    a = catalog(
        "a",
        'msgid "Active"\nmsgstr "有效"\n\nmsgctxt "org"\nmsgid "Deactivate"\nmsgstr "撤销"\n\n'
        'msgid "%(n)s row"\nmsgid_plural "%(n)s rows"\nmsgstr[0] "%(n)s 行"\n',
    )
    b = catalog(
        "b",
        'msgid "Active"\nmsgstr "正常"\n\nmsgid "Deactivate"\nmsgstr "停用"\n\nmsgid "%(n)s row"\nmsgid_plural "%(n)s rows"\nmsgstr[0] "%(n)s 行"\n',
    )
    c = catalog("c", 'msgid "Active"\nmsgstr "有效"\n\n#, fuzzy\nmsgid "Deactivate"\nmsgstr "关闭"\n')
    # Only "Active" clashes: a context makes "Deactivate" a different text, equal plurals agree, fuzzy is ignored.
    problems = find_clashes([a, b, c])
    assert len(problems) == 1 and "'Active'" in problems[0] and "正常" in problems[0] and "有效" in problems[0]
    assert find_clashes([a, c]) == []


@pytest.mark.parametrize("po", [p for p in PO_FILES if _language(p) == "zh_Hans"], ids=lambda p: _app(p))
def test_every_catalog_entry_is_what_django_shows(po):
    """After Django merged all catalogs (ours, Django's, third-party apps'), each of our entries still shows
    the wording its catalog gives; a third-party app listed before ours cannot override it either."""
    lost = []
    with translation.override("zh-hans"):
        for e in _entries(po):
            if e.msgid_plural is not None and e.msgctxt is not None:
                shown = translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
            elif e.msgid_plural is not None:
                shown = translation.ngettext(e.msgid, e.msgid_plural, 1)
            elif e.msgctxt is not None:
                shown = translation.pgettext(e.msgctxt, e.msgid)
            else:
                shown = translation.gettext(e.msgid)
            if shown != e.msgstr.get(0):
                lost.append(f"line {e.line}: {e.msgid!r} shows {shown!r}, the catalog says {e.msgstr.get(0)!r}")
    assert not lost, f"{_app(po)}: entries overridden by another catalog:\n" + "\n".join(lost)
