"""What every writer of the regions module shares: the module key, paths and the scope checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import PermissionDenied, ValidationError
from gongjian.core.kernel import Actor, audited_save
from gongjian.core.permissions import require
from gongjian.core.scope import ScopeFields, get_in_scope, region_paths

from ..choices import Level
from ..models import Region

MODULE = "regions"
TOP_LEVELS = (Level.CITY, Level.DISTRICT)  # the levels that have departments, a governance committee and delegated powers

M = TypeVar("M", bound=models.Model)


def tree_path(parent: Region | None, code: str) -> str:
    return (parent.path if parent else "/") + code + "/"


def full_name_under(parent: Region | None, name: str) -> str:
    return ((parent.full_name if parent else "") + name)[:255]


def region_in_scope(actor: Actor, action: str, region: Region | int) -> Region:
    pk = region.pk if isinstance(region, Region) else region
    return get_in_scope(Region.objects.select_related("parent"), actor, action, pk=pk)


def region_of_level(actor: Actor, action: str, region: Region | int, levels: tuple[str, ...], message: Any) -> Region:
    """The region in the actor's scope for ``action``; one of another level is refused with ``message`` (on ``region``)."""
    reg = region_in_scope(actor, action, region)
    if reg.level not in levels:
        raise ValidationError.for_field("region", message)
    return reg


def ensure_below_top(actor: Actor, action: str, region: Region) -> None:
    """Administrators manage the regions *below* their own top region, not the top itself."""
    if getattr(actor, "is_superuser", False):
        return
    paths = region_paths(actor, action)
    if not any(region.path.startswith(p) and region.path != p for p in paths):
        raise PermissionDenied(_("You manage the regions below your own region; ask the level above to change this one."))


def parent_for(actor: Actor, action: str, parent: Region | int | None) -> Region | None:
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise ValidationError.for_field("parent", _("Choose the parent region."))
        return None
    return region_in_scope(actor, action, parent)


# --- the steps every writer takes ----------------------------------------------------------------


def name_taken(errors: dict[str, list[Any]], same_name: models.QuerySet[Any] | None, message: Callable[[], Any]) -> None:
    """A name valid so far that another record already has (``same_name`` finds it; None: none can) is refused with ``message()``."""
    if same_name is not None and not errors.get("name") and same_name.exists():
        errors.setdefault("name", []).append(message())


def raise_errors(errors: dict[str, list[Any]]) -> None:
    """All the field errors at once (the first one as the message)."""
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)


def locked_in_scope(model: type[M], actor: Actor, action: str, record: M | int, related: str,
                    fields: ScopeFields | None = None) -> M:
    """The record, locked, in the actor's scope for ``action`` (a role that may not ``action`` is refused first; else "not found")."""
    require(actor, action)
    pk = record.pk if isinstance(record, model) else record
    return get_in_scope(model._default_manager.select_for_update().select_related(related), actor, action, fields, pk=pk)


def set_active(obj: Any, *, actor: Actor, active: bool, verb: str) -> Any:
    """Activate or deactivate (audited as ``verb.activate`` / ``verb.deactivate``); nothing when it already is."""
    if obj.is_active != active:
        audited_save(obj, actor=actor, verb=f"{verb}.{'activate' if active else 'deactivate'}", changes={"is_active": active},
                     update_fields=["is_active", "updated_at"], module=MODULE)
    return obj
