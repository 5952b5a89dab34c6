from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import notify, permissions, registry

_ENTRIES: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_ENTRIES_MAX = 512  # distinct (roles, language) combinations kept; more empties the memo


def _entries(user: Any) -> tuple[tuple[Any, ...], list[dict[str, Any]]]:
    """The sidebar entries this account may open, with their labels in the current language and their URLs.

    Whether an entry shows depends only on the account's roles (``can``: roles, superuser, active), so the list is built
    once per combination of roles and language in each process, not per request (it was ~40 permission checks, URL
    reversals and lazy labels on every page); registering a module or rules moves the key."""
    key = (registry.generation(), permissions.generation(), translation.get_language(), bool(getattr(user, "is_superuser", False)),
           bool(getattr(user, "is_active", False)), frozenset(permissions.actor_roles(user)))
    found = _ENTRIES.get(key)
    if found is not None:
        return key, found
    found = []
    for module, entry in registry.nav_entries():
        if entry.permission and not permissions.can(user, entry.permission):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        found.append({"module": module.key, "module_name": str(module.name), "key": entry.key, "label": str(entry.label), "url": url,
                      "icon": entry.icon, "active": False})
    if len(_ENTRIES) >= _ENTRIES_MAX:
        _ENTRIES.clear()
    _ENTRIES[key] = found
    return key, found


_HTML: dict[tuple[Any, ...], str] = {}
_ENTRY = '<li class="nav-item{}"><a class="nav-link" href="{}" data-nav="{}"><span class="nav-link-title">{}</span></a></li>'
_SECTION = '<li class="nav-item nav-section" data-nav-section="{}"><div class="nav-section-title">{}</div><ul class="navbar-nav">{}</ul></li>'


def _sidebar_html(key: tuple[Any, ...], sections: list[dict[str, Any]], active: str) -> str:
    """The sidebar's sections as HTML (what ``base.html`` shows below "Home"), kept per entries and active entry: the
    template loop over ~40 entries cost more than many a page's own content."""
    found = _HTML.get((key, active))
    if found is None:
        parts = []
        for section in sections:
            items = "".join(format_html(_ENTRY, " active" if e["active"] else "", e["url"], e["key"], e["label"]) for e in section["entries"])
            parts.append(format_html(_SECTION, section["key"], section["name"], mark_safe(items)))  # the items are escaped
        found = "".join(parts)
        if len(_HTML) >= _ENTRIES_MAX * 4:
            _HTML.clear()
        _HTML[(key, active)] = found
    return mark_safe(found)  # built with format_html


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The sidebar: the entries this account may open, grouped by module (``nav_sections``; a module with none is left
    out), and the same entries as one list (``nav_entries``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": [], "nav_sections": [], "unread_notifications": 0}
    key, shared = _entries(user)
    entries = [dict(e) for e in shared]
    # One active entry: the longest URL the current path lies under (/orgs/members/ beats /orgs/).
    matching = [e for e in entries if e["url"] != "/" and request.path.startswith(e["url"])]
    active = ""
    if matching:
        chosen = max(matching, key=lambda e: len(e["url"]))
        chosen["active"], active = True, chosen["url"]
    sections: list[dict[str, Any]] = []
    for e in entries:  # registry order: the modules by their order, each module's entries by theirs
        if not sections or sections[-1]["key"] != e["module"]:
            sections.append({"key": e["module"], "name": e["module_name"], "entries": [], "active": False})
        sections[-1]["entries"].append(e)
        sections[-1]["active"] = sections[-1]["active"] or e["active"]
    # the bell in the top bar (one indexed count of the account's unread notifications)
    return {"nav_entries": entries, "nav_sections": sections, "nav_html": _sidebar_html(key, sections, active),
            "unread_notifications": notify.unread_count(user)}
