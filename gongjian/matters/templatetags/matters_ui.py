"""Badges of the matters pages, drawn in Python: a list page shows one status and one deadline badge per row (twice on
the list: cards for phones, the table for wider screens), and an ``{% include %}`` of a small template per badge cost more
than the rest of the row."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext

from ..choices import MatterStatus, Urgency

register = template.Library()


def _label(choices: Any, value: Any) -> str:
    """The label of a choice (one translation lookup); ``get_FOO_display`` rebuilds and hashes every translated label of
    the field on each call, which a page of matters calls a hundred times."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)

STATUS_BADGE: dict[str, str] = {
    MatterStatus.REPORTED: "bg-orange-lt", MatterStatus.ACCEPTED: "bg-blue-lt", MatterStatus.ESCALATED: "bg-purple-lt",
    MatterStatus.ASSIGNED: "bg-cyan-lt", MatterStatus.RESOLVED: "bg-teal-lt", MatterStatus.CLOSED: "bg-green-lt",
    MatterStatus.REOPENED: "bg-yellow-lt",
}


@register.simple_tag
def matter_status(m: Any, id: str = "") -> SafeString:
    """A matter's status badge: ``{% matter_status m %}`` (``id="…"`` optional); ``data-status`` is the status."""
    status = str(m.status)
    return format_html('<span class="badge {}"{} data-status="{}">{}</span>', STATUS_BADGE.get(status, "bg-secondary-lt"),
                       format_html(' id="{}"', id) if id else "", status, _label(MatterStatus, status))


@register.filter
def urgency_label(value: Any) -> str:
    """``{{ m.urgency|urgency_label }}``: what ``m.get_urgency_display`` shows."""
    return _label(Urgency, value)


@register.simple_tag
def countdown(c: Any, label: str = "") -> SafeString | str:
    """A deadline badge: ``c`` = {"overdue", "soon", "text", "due"} from the view (nothing when None); ``label`` optional."""
    if not c:
        return ""
    if c["overdue"]:
        cls, state, text = "bg-red text-white", "overdue", gettext("overdue by %(t)s")
    elif c["soon"]:
        cls, state, text = "bg-orange-lt", "soon", gettext("%(t)s left")
    else:
        cls, state, text = "bg-secondary-lt", "ok", gettext("%(t)s left")
    # the message is the catalogue's (trusted, as {% blocktranslate %} treats it); the value in it is escaped
    body = format_html(text.replace("{", "{{").replace("}", "}}").replace("%(t)s", "{}"), c["text"])
    return format_html('<span class="badge {}" data-countdown="{}" title="{}">{}{}</span>', cls, state,
                       date_filter(localtime(c["due"]), "Y-m-d H:i"), format_html("{} ", label) if label else "", body)
