"""Template helpers of the global layout: who is signed in, in which roles and places."""

from __future__ import annotations

from typing import Any

from django import template

from gongjian.accounts.selectors import own_places

register = template.Library()


@register.simple_tag(takes_context=True)
def identity(context: Any) -> dict[str, Any]:
    """``{% identity as me %}``: name, the first role and place, and all of them (for the role menu)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(request, "_gongjian_identity", None)
    if cached is not None:
        return cached
    scopes = own_places(actor=user)
    primary = scopes[0] if scopes else None
    ident = {
        "name": str(user),
        "username": user.username,
        "role_label": primary["role_label"] if primary else "",
        "place": primary["place"] if primary else "",
        "scopes": scopes,
        "superuser": bool(getattr(user, "is_superuser", False)),
    }
    if request is not None:
        request._gongjian_identity = ident
    return ident


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ filters|get_item:"status" }}``: a dict or QueryDict value by a variable key ('' if absent)."""
    if mapping is None:
        return ""
    try:
        value = mapping.get(key, "")
    except AttributeError:
        return ""
    return "" if value is None else value


@register.simple_tag
def field_value(spec: Any, filters: Any) -> str:
    """The current value of a filter-bar field: ``spec.value`` if given, else ``filters[spec.name]``."""
    value = spec.get("value") if isinstance(spec, dict) else getattr(spec, "value", None)
    if value is None:
        name = spec.get("name") if isinstance(spec, dict) else getattr(spec, "name", "")
        value = get_item(filters, name)
    return str(value)


@register.filter
def with_columns(cells: Any, columns: Any) -> list[tuple[Any, Any]]:
    """Pairs each cell with its column: ``{% for col, cell in row.cells|with_columns:columns %}``."""
    cols = list(columns or [])
    out = []
    for i, cell in enumerate(cells or []):
        col = cols[i] if i < len(cols) else ""
        if not isinstance(col, dict):
            col = {"label": col}
        out.append((col, cell))
    return out
