"""What every writer of the regions module shares: the module key, paths and the scope checks."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import PermissionDenied, ValidationError
from gongjian.core.kernel import Actor
from gongjian.core.scope import get_in_scope, region_paths

from ..models import Region

MODULE = "regions"


def tree_path(parent: Region | None, code: str) -> str:
    return (parent.path if parent else "/") + code + "/"


def full_name_under(parent: Region | None, name: str) -> str:
    return ((parent.full_name if parent else "") + name)[:255]


def region_in_scope(actor: Actor, action: str, region: Region | int) -> Region:
    pk = region.pk if isinstance(region, Region) else region
    return get_in_scope(Region.objects.select_related("parent"), actor, action, pk=pk)


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
