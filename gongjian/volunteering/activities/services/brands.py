"""Service brands: create, edit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import Conflict
from gongjian.core.kernel import Actor, audited_save
from gongjian.core.permissions import require
from gongjian.core.validation import Errors

from ... import permissions as perms
from ...common import acting_community
from ...common import user_or_none as _user
from ...models import ServiceBrand
from .base import _in_scope, _text

# --- service brands ------------------------------------------------------------------------------


def brand_snapshot(b: ServiceBrand) -> dict[str, Any]:
    return {"community": b.community_id, "name": b.name, "description": b.description, "target_group": b.target_group,
            "schedule": b.schedule, "is_active": b.is_active}


def _clean_brand(data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out = {
        "name": _text(data.get("name"), field="name", errors=errors, required=_("Enter the brand's name."), max_length=64),
        "description": _text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True),
        "target_group": _text(data.get("target_group"), field="target_group", errors=errors, max_length=100),
        "schedule": _text(data.get("schedule"), field="schedule", errors=errors, max_length=100),
    }
    errors.raise_if_any()
    return out


def _brand_name_taken() -> Conflict:
    msg = _("The community already has a service brand of this name.")
    return Conflict(msg, code="duplicate", details={"name": [msg]})


@transaction.atomic
def brand_create(*, actor: Actor, community: Any, name: Any, description: Any = "", target_group: Any = "", schedule: Any = "") -> ServiceBrand:
    require(actor, perms.BRAND_MANAGE)
    region = acting_community(actor, perms.BRAND_MANAGE, community)
    clean = _clean_brand({"name": name, "description": description, "target_group": target_group, "schedule": schedule})
    b = ServiceBrand(community=region, region_path=region.path, created_by=_user(actor), **clean)
    audited_save(b, conflict=_brand_name_taken, actor=actor, verb="volunteering.brand.create", snap=brand_snapshot)
    return b


@transaction.atomic
def brand_update(*, actor: Actor, brand: Any, name: Any, description: Any = "", target_group: Any = "", schedule: Any = "",
                 is_active: Any = True) -> ServiceBrand:
    require(actor, perms.BRAND_MANAGE)
    b = _in_scope(ServiceBrand, brand, actor, perms.BRAND_MANAGE, lock=True)
    clean = _clean_brand({"name": name, "description": description, "target_group": target_group, "schedule": schedule})
    audited_save(b, conflict=_brand_name_taken, actor=actor, verb="volunteering.brand.update", changes={**clean, "is_active": bool(is_active)},
                    snap=brand_snapshot, always=True)
    return b
