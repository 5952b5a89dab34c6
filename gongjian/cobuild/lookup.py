"""Finding records for the services of the app and its parts: by instance or key, inside the actor's scope.

``resolve`` turns an instance or a primary key into a record of a queryset (None when blank, False when
unknown: the caller reports the field error); ``get`` finds one record the actor may act on (outside the
scope: ``NotFound``), optionally locked; ``region_allowed`` says whether a region lies in the actor's area.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from gongjian.core.errors import NotFound
from gongjian.core.kernel import key_of
from gongjian.core.scope import region_paths, scoped
from gongjian.regions.models import Region


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


def region_allowed(actor: Any, action: str, region: Region) -> bool:
    paths = region_paths(actor, action)
    return "" in paths or any(region.path.startswith(p) for p in paths)


def get(model: type[Model], actor: Any, action: str, obj: Any, *, lock: bool = False) -> Any:
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
