"""{% load i18n %} is Django's library with constant translations kept per language: same output, every case."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, engines
from django.test import override_settings
from django.utils import translation

from gongjian.core.templatetags.i18n_kept import KeptTranslateNode

SOURCE = (
    "{% load i18n %}{% translate 'Draft' context 'cobuild status' %}|{% translate 'Title' as x %}{{ x }}|"
    "{% trans 'A %% b' %}|{% trans '<b>' %}|{% autoescape off %}{% trans '<b>' %}{% endautoescape %}|"
    "{% trans 'Title'|upper %}|{% trans 'Title' noop %}|{% with v='Title' %}{% trans v %}{% endwith %}|"
    "{% blocktranslate with n=3 %}{{ n }} rows{% endblocktranslate %}|{% get_current_language as L %}{{ L }}"
)


def _django() -> Engine:
    return Engine(libraries={"i18n": "django.templatetags.i18n"})


def _ours() -> Engine:
    return engines["django"].engine  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_same_output_as_djangos_library(language: str) -> None:
    ours = _ours().from_string(SOURCE)
    theirs = _django().from_string(SOURCE)
    with translation.override(language):
        for _ in range(2):  # the second render is served from what the first kept
            assert ours.render(Context({})) == theirs.render(Context({}))


def test_a_kept_text_follows_the_active_language() -> None:
    t = _ours().from_string("{% load i18n %}{% translate 'Title' %}")
    with translation.override("en"):
        assert t.render(Context({})) == "Title"
    with translation.override("zh-hans"):
        zh = t.render(Context({}))
    assert zh not in ("", "Title")
    with translation.override("en"):
        assert t.render(Context({})) == "Title"


def test_only_constants_are_kept() -> None:
    t = _ours().from_string("{% load i18n %}{% translate 'Title' %}{% translate v %}{% translate 'Title'|upper %}")
    kinds = [type(n) for n in t.nodelist if "Translate" in type(n).__name__]
    assert kinds.count(KeptTranslateNode) == 1 and len(kinds) == 3


def test_kept_texts_are_dropped_when_the_catalogs_change() -> None:
    t = _ours().from_string("{% load i18n %}{% translate 'Title' %}")
    with translation.override("en"):
        assert t.render(Context({})) == "Title"
        node = next(n for n in t.nodelist if isinstance(n, KeptTranslateNode))
        node.kept[next(iter(node.kept))] = "stale"
        assert t.render(Context({})) == "stale"
    with override_settings(LOCALE_PATHS=[]), translation.override("en"):  # Django drops its catalogs, and so do we
        assert t.render(Context({})) == "Title"


def test_no_other_tag_library_name_is_taken_twice() -> None:
    """settings silence templates.W003 for the deliberate "i18n" replacement; any other clash must still fail."""
    from collections import defaultdict

    from django.template.backends.django import get_template_tag_modules

    names: dict[str, set[str]] = defaultdict(set)
    for name, path in get_template_tag_modules():
        names[name].add(path)
    for name, path in _ours().libraries.items():
        names[name].add(path)
    assert {n for n, paths in names.items() if len(paths) > 1} == {"i18n"}
    assert names["i18n"] == {"django.templatetags.i18n", "gongjian.core.templatetags.i18n_kept"}
