"""The governance committee (社工委) of a city or district."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor, audited_save, snapshot
from gongjian.core.permissions import require

from .. import permissions as P
from ..models import Department, GovernanceCommittee, Region
from .common import MODULE, TOP_LEVELS, raise_errors, region_of_level

# --- governance committee ----------------------------------------------------------------------


@transaction.atomic
def committee_save(
    *,
    actor: Actor,
    region: Region | int,
    name: str = "",
    director: str = "",
    established_on: dt.date | None = None,
    remit: str = "",
    department_ids: list[int] | None = None,
) -> GovernanceCommittee:
    """Create or update the governance committee (社工委) of a city or district and its member departments."""
    require(actor, P.COMMITTEE_MANAGE)
    reg = region_of_level(actor, P.COMMITTEE_MANAGE, region, TOP_LEVELS, _("A governance committee belongs to a city or a district."))
    errors: dict[str, list[Any]] = {}
    name = " ".join(str(name or "").split()) or gettext("%(region)s Urban and Rural Community Development and Governance Committee") % {
        "region": reg.name
    }
    if len(name) > 128:
        errors.setdefault("name", []).append(_("The name is longer than %(n)s characters.") % {"n": 128})
    director = " ".join(str(director or "").split())
    if len(director) > 64:
        errors.setdefault("director", []).append(_("The name is longer than %(n)s characters.") % {"n": 64})
    if established_on and established_on > timezone.localdate() + dt.timedelta(days=366):
        errors.setdefault("established_on", []).append(_("The date lies too far in the future."))
    ids = sorted({int(i) for i in (department_ids or [])})
    depts = list(Department.objects.filter(pk__in=ids, region=reg, is_active=True))
    if len(depts) != len(ids):
        errors.setdefault("departments", []).append(_("Member departments must be active departments of %(region)s.") % {"region": reg.name})
    raise_errors(errors)
    committee = GovernanceCommittee.objects.select_for_update().filter(region=reg).first()
    created = committee is None
    fields = ["name", "director", "established_on", "remit"]
    before = None
    if committee is None:
        committee = GovernanceCommittee(region=reg, region_path=reg.path)
    else:
        before = {**snapshot(committee, fields), "departments": sorted(committee.departments.values_list("pk", flat=True))}

    def snap(c: GovernanceCommittee) -> dict[str, Any]:  # the member departments as they are set right after the save
        return {**snapshot(c, fields), "departments": ids}

    audited_save(committee, actor=actor, verb="committee.create" if created else "committee.update", snap=snap, before=before,
                 changes={"name": name, "director": director, "established_on": established_on, "remit": str(remit or "").strip()},
                 module=MODULE)
    committee.departments.set(depts)
    return committee
