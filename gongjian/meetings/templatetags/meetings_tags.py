"""Template helpers of the meetings pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..selectors import matter_url as _matter_url
from ..selectors import split_tags

register = template.Library()


@register.simple_tag
def matter_url(matter_id: int) -> str:
    """The matter's page, or "" while the matters pages do not exist yet."""
    return _matter_url(matter_id)


@register.filter
def tag_list(tags: str) -> list[str]:
    """An experience's tags as a list (commas, 、, semicolons or spaces between them)."""
    return split_tags(tags)


@register.simple_tag
def status_badge(status: Any, label: Any) -> SafeString:
    """A status badge of a meeting, decision or task: ``{% status_badge m.status m.get_status_display %}``; drawn here, not
    by an ``{% include %}`` per row of a list."""
    status = str(status)
    if status in ("held", "done"):
        cls = "bg-green-lt"
    elif status == "cancelled":
        cls = "bg-secondary-lt"
    elif status == "none":
        cls = "bg-red-lt"
    else:
        cls = "bg-blue-lt"
    return format_html('<span class="badge {}" data-status="{}">{}</span>', cls, status, label)
