from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from . import notify, registry
from .permissions import can


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The sidebar: the entries this account may open, grouped by module (``nav_sections``; a module with none is left
    out), and the same entries as one list (``nav_entries``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": [], "nav_sections": [], "unread_notifications": 0}
    entries = []
    for module, entry in registry.nav_entries():
        if entry.permission and not can(user, entry.permission):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"module": module.key, "module_name": module.name, "key": entry.key, "label": entry.label, "url": url,
                        "icon": entry.icon, "active": False})
    # One active entry: the longest URL the current path lies under (/orgs/members/ beats /orgs/).
    matching = [e for e in entries if e["url"] != "/" and request.path.startswith(e["url"])]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    sections: list[dict[str, Any]] = []
    for e in entries:  # registry order: the modules by their order, each module's entries by theirs
        if not sections or sections[-1]["key"] != e["module"]:
            sections.append({"key": e["module"], "name": e["module_name"], "entries": [], "active": False})
        sections[-1]["entries"].append(e)
        sections[-1]["active"] = sections[-1]["active"] or e["active"]
    # the bell in the top bar (one indexed count of the account's unread notifications)
    return {"nav_entries": entries, "nav_sections": sections, "unread_notifications": notify.unread_count(user)}
