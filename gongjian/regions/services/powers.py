"""Powers a city or district delegates to its subdistricts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor, snapshot
from gongjian.core.permissions import require
from gongjian.core.scope import get_in_scope

from .. import permissions as P
from ..choices import Level
from ..models import DelegatedPower, Region
from .codes import clean_name
from .common import MODULE, region_in_scope

# --- delegated powers ----------------------------------------------------------------------------


POWER_FIELDS = ["name", "description", "legal_basis", "effective_on", "is_active"]


def _clean_power(name: Any, description: Any, legal_basis: Any, errors: dict[str, list[Any]]) -> tuple[str, str, str]:
    try:
        name = clean_name(name, max_length=128)
    except ValidationError as exc:
        errors.update(exc.details)
    legal_basis = str(legal_basis or "").strip()
    if len(legal_basis) > 255:
        errors.setdefault("legal_basis", []).append(_("The legal basis is longer than %(n)s characters.") % {"n": 255})
    return str(name), str(description or "").strip(), legal_basis


@transaction.atomic
def power_create(
    *, actor: Actor, region: Region | int, name: str, description: str = "", legal_basis: str = "", effective_on: dt.date | None = None
) -> DelegatedPower:
    require(actor, P.POWERS_MANAGE)
    reg = region_in_scope(actor, P.POWERS_MANAGE, region)
    if reg.level not in (Level.CITY, Level.DISTRICT):
        raise ValidationError.for_field("region", _("Powers are delegated to subdistricts by a city or a district."))
    errors: dict[str, list[Any]] = {}
    name, description, legal_basis = _clean_power(name, description, legal_basis, errors)
    if not errors.get("name") and DelegatedPower.objects.filter(region=reg, name=name).exists():
        errors.setdefault("name", []).append(_("%(region)s has already delegated a power named %(name)s.") % {"region": reg.name, "name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    power = DelegatedPower.objects.create(
        region=reg, region_path=reg.path, name=name, description=description, legal_basis=legal_basis, effective_on=effective_on
    )
    audit.record(actor=actor, verb="power.create", target=power, changes=snapshot(power, POWER_FIELDS))
    registry.bump(MODULE)
    return power


def _power_in_scope(actor: Actor, power: DelegatedPower | int) -> DelegatedPower:
    pk = power.pk if isinstance(power, DelegatedPower) else power
    return get_in_scope(DelegatedPower.objects.select_for_update().select_related("region"), actor, P.POWERS_MANAGE, pk=pk)


@transaction.atomic
def power_update(
    *, actor: Actor, power: DelegatedPower | int, name: str, description: str = "", legal_basis: str = "", effective_on: dt.date | None = None
) -> DelegatedPower:
    require(actor, P.POWERS_MANAGE)
    obj = _power_in_scope(actor, power)
    before = snapshot(obj, POWER_FIELDS)
    errors: dict[str, list[Any]] = {}
    name, description, legal_basis = _clean_power(name, description, legal_basis, errors)
    if not errors.get("name") and DelegatedPower.objects.filter(region_id=obj.region_id, name=name).exclude(pk=obj.pk).exists():
        errors.setdefault("name", []).append(
            _("%(region)s has already delegated a power named %(name)s.") % {"region": obj.region.name, "name": name}
        )
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    obj.name, obj.description, obj.legal_basis, obj.effective_on = name, description, legal_basis, effective_on
    obj.save()
    audit.record(actor=actor, verb="power.update", target=obj, changes=audit.diff(before, snapshot(obj, POWER_FIELDS)))
    registry.bump(MODULE)
    return obj


@transaction.atomic
def power_deactivate(*, actor: Actor, power: DelegatedPower | int) -> DelegatedPower:
    require(actor, P.POWERS_MANAGE)
    obj = _power_in_scope(actor, power)
    if obj.is_active:
        obj.is_active = False
        obj.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=actor, verb="power.deactivate", target=obj, changes={"is_active": {"before": True, "after": False}})
        registry.bump(MODULE)
    return obj
