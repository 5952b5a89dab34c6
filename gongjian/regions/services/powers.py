"""Powers a city or district delegates to its subdistricts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor, audited_save
from gongjian.core.permissions import require

from .. import permissions as P
from ..models import DelegatedPower, Region
from .codes import clean_name
from .common import MODULE, TOP_LEVELS, locked_in_scope, name_taken, raise_errors, region_of_level, set_active

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
    reg = region_of_level(actor, P.POWERS_MANAGE, region, TOP_LEVELS, _("Powers are delegated to subdistricts by a city or a district."))
    errors: dict[str, list[Any]] = {}
    name, description, legal_basis = _clean_power(name, description, legal_basis, errors)
    name_taken(errors, DelegatedPower.objects.filter(region=reg, name=name),
               lambda: _("%(region)s has already delegated a power named %(name)s.") % {"region": reg.name, "name": name})
    raise_errors(errors)
    power = DelegatedPower(region=reg, region_path=reg.path, name=name, description=description, legal_basis=legal_basis,
                           effective_on=effective_on)
    audited_save(power, actor=actor, verb="power.create", fields=POWER_FIELDS, module=MODULE)
    return power


def _power_in_scope(actor: Actor, power: DelegatedPower | int) -> DelegatedPower:
    return locked_in_scope(DelegatedPower, actor, P.POWERS_MANAGE, power, "region")


@transaction.atomic
def power_update(
    *, actor: Actor, power: DelegatedPower | int, name: str, description: str = "", legal_basis: str = "", effective_on: dt.date | None = None
) -> DelegatedPower:
    obj = _power_in_scope(actor, power)
    errors: dict[str, list[Any]] = {}
    name, description, legal_basis = _clean_power(name, description, legal_basis, errors)
    name_taken(errors, DelegatedPower.objects.filter(region_id=obj.region_id, name=name).exclude(pk=obj.pk),
               lambda: _("%(region)s has already delegated a power named %(name)s.") % {"region": obj.region.name, "name": name})
    raise_errors(errors)
    audited_save(obj, actor=actor, verb="power.update", fields=POWER_FIELDS, module=MODULE,
                 changes={"name": name, "description": description, "legal_basis": legal_basis, "effective_on": effective_on})
    return obj


@transaction.atomic
def power_deactivate(*, actor: Actor, power: DelegatedPower | int) -> DelegatedPower:
    return set_active(_power_in_scope(actor, power), actor=actor, active=False, verb="power")
