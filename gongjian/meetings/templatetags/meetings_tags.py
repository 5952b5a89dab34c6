"""Template helpers of the meetings pages."""

from __future__ import annotations

from django import template

from ..selectors import matter_url as _matter_url

register = template.Library()


@register.simple_tag
def matter_url(matter_id: int) -> str:
    """The matter's page, or "" while the matters pages do not exist yet."""
    return _matter_url(matter_id)
