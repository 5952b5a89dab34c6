"""The filters of list selectors, declared once: ``apply_filters(qs, filters, {name: filter, ...})``.

Each filter turns one query-string value into a condition; a blank value is no condition, a value
that cannot match (an unknown status, a key that is not a number) matches nothing rather than
everything. Example::

    NEED_FILTERS = {
        "q": by_text("title", "description"),
        "status": by_choice(NeedStatus),
        "community": by_key("community_id"),
        "review": by_flag(Q(source="wish", status=NeedStatus.DRAFT)),
    }
    qs = apply_filters(scoped(Need.objects.all(), actor, action), filters, NEED_FILTERS)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet

from .kernel import text_q
from .params import int_param

Filter = Callable[[QuerySet[Any], str], QuerySet[Any]]


def apply_filters(qs: QuerySet[Any], filters: Mapping[str, Any] | None, spec: Mapping[str, Filter]) -> QuerySet[Any]:
    """Apply each declared filter whose value is not blank, in the declared order."""
    f = filters or {}
    for name, fn in spec.items():
        value = f.get(name)
        if value is None or str(value).strip() == "":
            continue
        qs = fn(qs, str(value).strip())
    return qs


def by_text(*fields: str) -> Filter:
    """Every word in one of ``fields`` (``kernel.text_q``)."""
    return lambda qs, value: qs.filter(text_q(value, *fields))


def by_choice(choices: Any, field: str = "status", *, groups: Mapping[str, Iterable[str]] | None = None,
              strict: bool = False) -> Filter:
    """One of the choices' values; ``groups`` name sets of values (``{"active": (...)}``). An unknown value is
    ignored, or matches nothing when ``strict``."""

    def apply(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if groups and value in groups:
            return qs.filter(**{f"{field}__in": list(groups[value])})
        if value in choices.values:
            return qs.filter(**{field: value})
        return qs.none() if strict else qs

    return apply


def by_key(field: str, *, none: str | None = None) -> Filter:
    """A record's key (``community_id``); a value that is not a number matches nothing; ``none`` names the value
    that asks for records without one (``"none"`` → ``field IS NULL``)."""

    def apply(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if none is not None and value == none:
            return qs.filter(**{f"{field}__isnull": True})
        return qs.filter(**{field: int_param(value) or 0})

    return apply


def by_value(field: str) -> Filter:
    """The value as it is (a free code, a kind)."""
    return lambda qs, value: qs.filter(**{field: value})


def by_flag(condition: Q, *, on: str = "1", off: Q | None = None) -> Filter:
    """``condition`` when the value is ``on``; ``off`` (if given) for any other value."""

    def apply(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == on:
            return qs.filter(condition)
        return qs.filter(off) if off is not None else qs

    return apply
