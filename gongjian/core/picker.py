"""The selects of list filter rows over many records (communities, units), bounded for a whole city.

A subdistrict's list offers its few communities in a plain select. A city has about a thousand communities and
thousands of resident units: listing them all made a city's list pages heavier than their rows (22 KB of the 45 KB of
the patrols page) and took a good part of their time. Where the choices are more than ``PICKER_LIMIT``, the select
lists at most that many — the chosen one always among them — and a search box beside it narrows them by name or code:
with htmx it refreshes the select's options as one types (the list page answers ``?partial=<name>`` with the options
alone: ``answer_partial``), without JavaScript the filter form's search button does the same.

Templates: ``includes/picker.html`` (the search box and the select) and ``includes/picker_options.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .kernel import text_q
from .params import int_param, require_page

PICKER_LIMIT = 50
QUERY_MAX = 64
COMMUNITY_SEARCH = ("name", "full_name", "code")
UNIT_SEARCH = ("name", "uscc")


@dataclass(frozen=True)
class Kind:
    """What is picked: the filter's ``name``, the fields the search box matches, and the select's texts."""

    name: str
    search: tuple[str, ...]
    label: Any
    any_label: Any
    search_label: Any


COMMUNITY = Kind("community", COMMUNITY_SEARCH, _("Community"), _("Any community"), _("Search the community by name or code"))
UNIT = Kind("unit", UNIT_SEARCH, _("Unit"), _("Any unit"), _("Search the unit by name or credit code"))


def options(rows: Iterable[tuple[Any, Any]], chosen: Any = "") -> SafeString:
    """``<option>``s of ``(value, label)`` rows, the one whose value is ``chosen`` selected, values and labels escaped:
    the options of a long filter select drawn in Python (a template loop costs ~0.05 ms an option)."""
    chosen = str(chosen if chosen is not None else "")
    return mark_safe("".join(  # every value and label is escaped
        f'<option value="{escape(v)}"{" selected" if str(v) == chosen else ""}>{escape(label)}</option>' for v, label in rows))


@dataclass
class Picker:
    """What the filter row draws for one select: ``kind``, ``options`` (records with ``pk`` and ``name``), ``value``
    (the chosen key as text), ``search`` (more choices than the select lists: show the search box, named ``<name>_q``
    holding ``query``), ``more`` (``limit`` are listed and more match: say so)."""

    kind: Kind
    options: list[Any]
    value: str
    search: bool
    query: str
    limit: int
    more: bool = False

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def query_name(self) -> str:
        return f"{self.kind.name}_q"

    @property
    def options_html(self) -> SafeString:
        """The select's ``<option>``s ("any" first, the chosen one selected, a note when more match than are listed),
        drawn here: a template loop over 50 options cost more than a city list page's 20 rows."""
        html = options([("", self.kind.any_label), *((o.pk, o.name) for o in self.options)], self.value)
        if self.more:
            note = _("At most %(n)s are listed; search to narrow them.") % {"n": self.limit}
            html = mark_safe(f'{html}<option value="" disabled>{escape(note)}</option>')  # escaped
        return html

    @property
    def shown(self) -> bool:
        """Worth a select: more than one choice, a search, or a chosen value to keep."""
        return self.search or len(self.options) > 1 or bool(self.value)


def picker(request: HttpRequest, kind: Kind, choices: QuerySet[Any], value: Any = None, *, limit: int | None = None) -> Picker:
    """The select of ``kind`` over ``choices`` (ordered), with ``value`` (default: the request's ``kind.name``)
    chosen, at most ``limit`` (default ``PICKER_LIMIT``) listed. Two small queries at most, whatever the number of
    choices."""
    limit = limit or PICKER_LIMIT
    choices = choices.only("id", "name")  # all an option shows: not the records' other columns, 51 rows a page
    query = request.GET.get(f"{kind.name}_q", "").strip()[:QUERY_MAX]
    value = str(request.GET.get(kind.name, "") if value is None else value)
    options = list((choices.filter(text_q(query, *kind.search)) if query else choices)[:limit + 1])
    more = len(options) > limit
    options = options[:limit]
    large = bool(query) or more
    pk = int_param(value)
    if large and pk is not None and all(o.pk != pk for o in options):
        chosen = choices.filter(pk=pk).first()
        if chosen is not None:
            options.insert(0, chosen)
    return Picker(kind=kind, options=options, value=value, search=large, query=query, limit=limit, more=more)


def communities(request: HttpRequest, choices: QuerySet[Any], filters: dict[str, str]) -> Picker:
    """The community filter over ``choices``, its value from the list's ``filters``."""
    return picker(request, COMMUNITY, choices, filters.get("community", ""))


def units(request: HttpRequest, choices: QuerySet[Any], filters: dict[str, str]) -> Picker:
    """The unit filter over ``choices``, its value from the list's ``filters``."""
    return picker(request, UNIT, choices, filters.get("unit", ""))


def partial(request: HttpRequest) -> str:
    """The select whose options alone are asked for (``?partial=community``), or ""."""
    return request.GET.get("partial", "")


def options_response(request: HttpRequest, p: Picker) -> HttpResponse:
    """The select's options alone: what the search box's htmx request puts into the select."""
    return render(request, "includes/picker_options.html", {"p": p})


def answer_partial(request: HttpRequest, *, permission: str | None = None,
                   pickers: dict[Kind, Callable[[], QuerySet[Any]]]) -> HttpResponse | None:
    """The options alone of the select the search box asks for (``?partial=<name>``), when the role may open the list
    (``permission``, else "not found"); None for the list page itself (or a name it has no select for)."""
    which = partial(request)
    for kind, choices in pickers.items():
        if kind.name == which:
            if permission is not None:
                require_page(request, permission)
            return options_response(request, picker(request, kind, choices()))
    return None
