"""Finding records for the services of the app and its parts: by instance or key, inside the actor's scope.

``resolve`` turns an instance or a primary key into a record of a queryset (None when blank, False when
unknown: the caller reports the field error); ``get`` finds one record the actor may act on (outside the
scope: ``NotFound``), optionally locked; ``region_allowed`` says whether a region lies in the actor's area;
``community`` cleans the community field of a form; ``save_status`` writes and audits a status change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import NotFound
from gongjian.core.kernel import Actor, key_of
from gongjian.core.permissions import require
from gongjian.core.scope import region_paths, scoped
from gongjian.core.validation import Errors
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

MODULE = "cobuild"


def resolve(model: type[Model], value: Any, qs: QuerySet[Any] | None = None) -> Any:
    """An instance from an instance or a primary key, looked up in ``qs``; None if blank, False if not found
    (anything that cannot be a key — a list, a boolean, another model's record — is not found)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        pk = key_of(value, model)
    except NotFound:
        return False
    base = qs if qs is not None else model._default_manager.all()
    return base.filter(pk=pk).first() or False


def chosen(model: type[Model], value: Any, qs: QuerySet[Any], errors: Errors, field: str, *, missing: Any, unknown: Any) -> Any:
    """The record a required choice field names, looked up in ``qs``; blank: the error ``missing``, not found: the error
    ``unknown``; None with an error."""
    found = resolve(model, value, qs)
    if found is None:
        errors.add(field, missing)
    elif found is False:
        errors.add(field, unknown)
        return None
    return found


def region_allowed(actor: Actor, action: str, region: Region) -> bool:
    paths = region_paths(actor, action)
    return "" in paths or any(region.path.startswith(p) for p in paths)


def get(model: type[Model], actor: Actor, action: str, obj: Any, *, lock: bool = False) -> Any:
    """The record ``obj`` (instance or key) if the actor may ``action`` it; else ``NotFound``."""
    qs = scoped(model._default_manager.all(), actor, action)
    found = resolve(model, obj, qs)
    if not found:
        raise NotFound()
    if lock:
        return model._default_manager.select_for_update().get(pk=found.pk)
    return found


def now() -> dt.datetime:
    return timezone.now()


def community(value: Any, errors: Errors, *, actor: Actor = None, action: str | None = None) -> Region | None:
    """The active community named by ``value`` (and, with ``action``, in the actor's area for it); else the field's
    error and None."""
    region = resolve(Region, value, Region.objects.filter(is_active=True))
    if region is None:
        errors.add("community", _("Choose the community."))
        return None
    if region is False or region.level != Level.COMMUNITY:
        errors.add("community", _("Choose a community (a region of the community level)."))
        return None
    if action is not None and not region_allowed(actor, action, region):
        errors.add("community", _("Choose a community within your area."))
        return None
    return region


def transition(model: type[Model], table: Any, actor: Actor, obj: Any, to: str, *, action: str, verb: str, reason: str = "",
               stamps: tuple[tuple[str, str, bool], ...] = (), check: Callable[[Any], None] | None = None,
               note: str = "status_note") -> Any:
    """Move the record (locked, in the actor's scope for ``action``) to ``to`` by ``table``: ``check`` it first, stamp
    the time in each ``(status, field, only_once)`` of ``stamps`` whose status is ``to``, save and audit it."""
    require(actor, action)
    rec = get(model, actor, action, obj, lock=True)
    if check is not None:
        check(rec)
    before = table.move(rec, to)
    moment = now()
    fields = ["status", "updated_at"]
    for status, field, once in stamps:
        if to == status and not (once and getattr(rec, field) is not None):
            setattr(rec, field, moment)
            fields.append(field)
    save_status(rec, fields, actor=actor, verb=verb, before=before, to=to, reason=reason, note=note)
    return rec


def save_status(obj: Model, fields: list[str], *, actor: Actor, verb: str, before: str, to: str, reason: str = "",
                note: str = "status_note") -> None:
    """Save a status change (``fields``; a reason into ``note``), audit it and refresh the module's figures."""
    if reason:
        setattr(obj, note, reason)
        fields.append(note)
    obj.save(update_fields=fields)
    changes: dict[str, Any] = {"status": {"before": before, "after": to}}
    if reason:
        changes["reason"] = reason
    audit.record(actor=actor, verb=verb, target=obj, changes=changes)
    registry.bump(MODULE)
