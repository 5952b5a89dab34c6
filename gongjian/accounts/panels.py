"""Home-page panels of the accounts module (see core.registry.Module.panels).

Each takes the actor and returns a panel dict (key, title, scope, stats, links) or None.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from gongjian.core import counts, registry
from gongjian.core.kernel import Actor, actor_key
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel
from gongjian.orgs.selectors import member_of_account

from . import permissions as perms
from . import selectors
from .choices import Role


def _url(*names: str, **kwargs: Any) -> str | None:
    """The first of ``names`` that resolves (other modules add their pages over time)."""
    for name in names:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return None


def _links(*pairs: tuple[str | None, Any]) -> list[dict[str, Any]]:
    return [{"url": url, "label": label} for url, label in pairs if url]


def my_scopes(actor: Actor) -> dict[str, Any] | None:
    scopes = selectors.scope_labels(actor=actor)
    if not scopes:
        return None
    return {
        "key": "my-scopes",
        "title": _("My roles and places"),
        "stats": [{"key": f"scope-{i}", "label": s["role_label"], "value": s["place"]} for i, s in enumerate(scopes)],
        "links": _links((reverse("accounts:profile"), _("My account"))),
    }


def _lock_out_moved(**kwargs: Any) -> None:
    """A sign-in lock-out began: the accounts panels and lists count it (``account_unlock`` bumps when one is lifted;
    a lock-out that ends by its cool-off is shown until the panel's lifetime, ``registry.PANEL_TTL``, runs out)."""
    registry.bump("accounts")


user_locked_out.connect(_lock_out_moved, dispatch_uid="gongjian.accounts.lock_out")


@area_panel  # per scope until the accounts' version moves: an account written, a lock-out begun or lifted
def accounts_in_area(actor: Actor) -> dict[str, Any] | None:
    if not can(actor, perms.ACCOUNT_VIEW):
        return None
    qs = selectors.account_queryset(actor=actor)
    active, inactive = counts.counts([qs.filter(is_active=True), qs.filter(is_active=False)], module="accounts")
    held = selectors.locked_usernames()  # the few accounts axes holds now, anywhere: then those in the area
    locked = qs.filter(username__in=held).count() if held else 0
    place = ", ".join(sorted({s["place"] for s in selectors.scope_labels(actor=actor) if s["role"] in perms.LEVEL_OF_ROLE}))
    url = reverse("accounts:account_list")
    return {
        "key": "accounts-in-area",
        "title": _("Accounts in my area"),
        "scope": place,
        "stats": [
            {"key": "accounts-active", "label": _("Active accounts"), "value": active},
            {"key": "accounts-locked", "label": _("Locked accounts"), "value": locked},
            {"key": "accounts-inactive", "label": _("Deactivated accounts"), "value": inactive},
        ],
        "links": _links(
            (url, _("Manage accounts")),
            (reverse("accounts:account_create") if can(actor, perms.ACCOUNT_CREATE) else None, _("New account")),
            (f"{url}?status=locked" if locked else None, _("Locked accounts")),
        ),
    }


def my_membership(actor: Actor) -> dict[str, Any] | None:
    """For party members: the link to their membership card, or why there is none yet.

    When the account is linked to a member record and orgs offers its own page, the orgs module's
    panel shows it; this one then stays away to avoid saying the same twice."""
    if Role.MEMBER not in getattr(actor, "roles", set()):
        return None
    card_url = _url("orgs:me", "orgs:member_card")
    linked = member_of_account(actor_key(actor)) is not None
    if linked and card_url:
        return None
    return {
        "key": "my-membership",
        "title": _("My membership card"),
        "stats": [] if linked else [{"key": "member-link", "label": _("Member record"), "value": _("Not linked yet")}],
        "hint": "" if linked else _("Your account is not linked to a member record yet. Ask your community to link it."),
        "links": _links((card_url if linked else None, _("Open my membership card"))),
    }


def my_unit(actor: Actor) -> dict[str, Any] | None:
    units = [s for s in selectors.scope_labels(actor=actor) if s["role"] == Role.UNIT_LIAISON and s["unit"] is not None]
    if not units:
        return None
    links: list[tuple[str | None, Any]] = []
    for s in units[:3]:
        links.append((_url("orgs:unit_detail", pk=s["unit"].pk), s["unit"].name))
    return {
        "key": "my-unit",
        "title": _("My unit"),
        "stats": [{"key": f"unit-{i}", "label": _("Resident unit"), "value": s["unit"].name} for i, s in enumerate(units)],
        "links": _links(*links),
    }


def my_department(actor: Actor) -> dict[str, Any] | None:
    depts = [s for s in selectors.scope_labels(actor=actor) if s["role"] == Role.DEPARTMENT_HANDLER and s["department"] is not None]
    if not depts:
        return None
    return {
        "key": "my-department",
        "title": _("My department"),
        "stats": [{"key": f"dept-{i}", "label": _("Department"), "value": str(s["department"])} for i, s in enumerate(depts)],
        "links": [],
    }
