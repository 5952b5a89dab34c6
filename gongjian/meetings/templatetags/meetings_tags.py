"""Template helpers of the meetings pages."""

from __future__ import annotations

from django import template

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
