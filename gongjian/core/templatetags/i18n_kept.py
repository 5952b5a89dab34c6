"""Django's ``i18n`` template library, with ``{% translate "a constant" %}`` kept per language.

Registered as the library ``i18n`` (``TEMPLATES[...]["OPTIONS"]["libraries"]``), so every ``{% load i18n %}``
loads it: every tag and filter is Django's own, except that ``translate``/``trans`` of a literal string (no
filters, a literal context if any) keeps the text it rendered for each language and escaping mode instead of
making a lazy string and looking the catalog up again on every render. A list page renders ~180 of them (the
``data-label`` of every cell of every row), ~14 µs each. The kept texts are dropped when the catalogs are
(a change of ``LANGUAGES``, ``LANGUAGE_CODE`` or ``LOCALE_PATHS`` in tests, a ``.mo`` file changing under the
development server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.templatetags import i18n as django_i18n
from django.utils import autoreload, translation
from django.utils.safestring import SafeData, mark_safe

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

_generation = [0]


def _forget(**kwargs: Any) -> None:
    _generation[0] += 1


def _on_setting(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _forget()


def _on_file(*, file_path: Path, **kwargs: Any) -> None:
    if Path(file_path).suffix == ".mo":
        _forget()


setting_changed.connect(_on_setting, dispatch_uid="gongjian.i18n_kept.setting")
autoreload.file_changed.connect(_on_file, dispatch_uid="gongjian.i18n_kept.file")


def _literal(expression: Any) -> bool:
    """A filter expression that is a literal string with no filters."""
    var = getattr(expression, "var", None)
    return not getattr(expression, "filters", None) and getattr(var, "literal", None) is not None and not getattr(var, "lookups", None)


class KeptTranslateNode(django_i18n.TranslateNode):
    """``{% translate "literal" %}``: rendered once per (language, autoescape, catalog generation)."""

    def __init__(self, node: django_i18n.TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.filter_expression.var.translate = not self.noop
        if self.message_context is not None:
            self.filter_expression.var.message_context = self.message_context.var.literal
        self.kept: dict[tuple[Any, ...], str] = {}

    def render(self, context: template.Context) -> str:
        key = (translation.get_language(), context.autoescape, _generation[0])
        value = self.kept.get(key)
        if value is None:
            output = self.filter_expression.resolve(context)
            value = template.base.render_value_in_context(output, context)
            # as Django's: percent signs doubled in template text are restored after the translation
            value = mark_safe(value.replace("%%", "%")) if isinstance(value, SafeData) else value.replace("%%", "%")
            if len(self.kept) > 16:  # catalogs reloaded many times (development): start again
                self.kept.clear()
            self.kept[key] = value
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Any, token: Any) -> template.Node:
    node = django_i18n.do_translate(parser, token)
    if (isinstance(node, django_i18n.TranslateNode) and _literal(node.filter_expression)
            and (node.message_context is None or _literal(node.message_context))):
        return KeptTranslateNode(node)
    return node
