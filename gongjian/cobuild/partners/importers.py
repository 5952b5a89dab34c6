"""Spreadsheet import of partnerships (联建): officials keep the list of organ branch ↔ community pairs in Excel.

A row names the organ by its unified social credit code, the branch by name (optional when the organ has
exactly one branch that may partner), the community by its code, and optionally the start date. The
natural key is (branch, community): a pair that already has an active partnership is "unchanged", so
re-importing the same file changes nothing. Rows are written through ``services.partnership_create``
(validated, scoped, audited).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor
from gongjian.core.tabular import Column, Importer
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.models import Region

from ..importers import remap_fields
from . import services


class PartnershipImporter(Importer):
    kind = "cobuild-partnerships"
    name = _("Partnerships")
    key = "natural"
    columns = (
        Column("uscc", _("Organ's unified social credit code"), required=True, example="11410100MB0000000X"),
        Column("branch", _("Party branch"), example="中共二七区委组织部机关党支部",
               help=_("May be left blank when the organ has one party branch.")),
        Column("community_code", _("Community code"), required=True, example="410103001001"),
        Column("started_on", _("Started on"), example="2024-03-01"),
    )

    def prepare(self, actor: Actor) -> dict[str, Any]:
        return {"actor": actor, "units": {}}

    def label(self, key: str) -> str:
        # a row repeating a pair of the same file is reported against the columns that make the pair
        if key == self.key:
            return "、".join(Importer.label(self, k) for k in ("uscc", "branch", "community_code"))
        return super().label(key)

    def _branch(self, values: dict[str, str], context: dict[str, Any]) -> Any:
        code = pii.normalize_uscc(values["uscc"], field="uscc")
        unit = context["units"].get(code)
        if unit is None:
            unit = ResidentUnit.objects.filter(uscc=code, is_active=True).first()
            if unit is None:
                raise ValidationError.for_field("uscc", _("No active resident unit has this code."))
            context["units"][code] = unit
        branches = services.organ_branches().filter(unit=unit)
        name = " ".join(values.get("branch", "").split())
        if name:
            found = list(branches.filter(name=name)[:2])
            if len(found) != 1:
                raise ValidationError.for_field("branch", _("“%(unit)s” has no organ party branch named “%(name)s”.")
                                                % {"unit": unit.name, "name": name})
            return found[0]
        found = list(branches[:2])
        if len(found) != 1:
            raise ValidationError.for_field("branch", _("“%(unit)s” has %(n)s organ party branches; name the branch.")
                                            % {"unit": unit.name, "n": branches.count()})
        return found[0]

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:

        branch = self._branch(values, context)
        community = Region.objects.filter(code=values["community_code"].strip(), is_active=True).first()
        if community is None:
            raise ValidationError.for_field("community_code", _("No region with this code exists."))
        try:
            clean = services.clean_partnership(context["actor"], {"branch": branch, "community": community,
                                                                  "started_on": values.get("started_on", "")})
        except ValidationError as exc:
            raise remap_fields(exc, {"community": "community_code"}) from None
        clean["natural"] = f"{branch.pk}|{community.pk}"
        return clean

    def write_row(self, data: dict[str, Any], *, actor: Actor, context: dict[str, Any]) -> str:
        if services._active_partnership_exists(data["branch"].pk, data["community"].pk):
            return "unchanged"
        services.partnership_create(actor=actor, branch=data["branch"], community=data["community"], started_on=data["started_on"])
        return "created"

