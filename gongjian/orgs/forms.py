"""Page forms: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.forms import (
    DATE,
    MandatoryChoice,
    MandatoryDate,
    MandatoryRegionChoice,
    MandatoryText,
    RegionChoiceField,
    ServiceChecked,
    StyledForm,
    blank,
)

from .choices import Basis, Formation, Gender, MemberStatus, OrgRank, PolicyLevel, PolicyRole, Sector, UnitKind
from .services import LEAVING_STATUSES


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        depth = max(obj.org_path.count("/") - 2, 0)
        return "\u3000" * depth + f"{obj.name}（{obj.region.name}）"


class MandatoryOrgChoice(ServiceChecked, OrgChoiceField):
    pass


class MemberForm(StyledForm):
    name = MandatoryText(label=pgettext_lazy("person", "Full name"), max_length=64)
    id_number = MandatoryText(label=_("ID number"), max_length=32,
                                help_text=_("18 characters. Gender and birth date are read from it."))
    gender = forms.ChoiceField(label=_("Gender"), choices=blank(Gender.choices), required=False)
    birth_date = forms.DateField(label=_("Birth date"), widget=DATE, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    org = MandatoryOrgChoice(label=_("Party organisation"), queryset=None)
    employer_uscc = forms.CharField(label=_("Employer unit (USCC)"), max_length=32, required=False,
                                    help_text=_("The unified social credit code of the unit where the member works."))
    home_community = RegionChoiceField(label=_("Home community"), queryset=None, required=False)
    in_service = forms.BooleanField(label=_("In-service member"), required=False)
    join_date = forms.DateField(label=_("Join date"), widget=DATE, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[c for c in MemberStatus.choices if c[0] not in LEAVING_STATUSES])

    def __init__(self, *args: Any, org_qs: Any, community_qs: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("org", org_qs)
        self.set_queryset("home_community", community_qs)
        if editing:
            del self.fields["org"]
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off"})


class TransferForm(StyledForm):
    to_org = OrgChoiceField(label=_("New party organisation"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, org_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("to_org", org_qs)


class MemberDeactivateForm(StyledForm):
    status = forms.ChoiceField(label=_("Reason for leaving"), choices=[c for c in MemberStatus.choices if c[0] in LEAVING_STATUSES])
    reason = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OrgForm(StyledForm):
    name = MandatoryText(label=_("Name"), max_length=128)
    rank = MandatoryChoice(label=_("Rank"), choices=blank(OrgRank.choices))
    parent = OrgChoiceField(label=_("Parent organisation"), queryset=None, required=False)
    region = MandatoryRegionChoice(label=_("Region"), queryset=None)
    sector = MandatoryChoice(label=_("Sector"), choices=blank(Sector.choices))
    formation = forms.ChoiceField(label=_("Formation"), choices=Formation.choices)
    basis = forms.ChoiceField(label=_("Basis"), choices=Basis.choices)
    unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Resident unit"), queryset=None, required=False)
    secretary: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Secretary"), queryset=None, required=False)
    founded_on = forms.DateField(label=_("Founded on"), widget=DATE, required=False)

    def __init__(self, *args: Any, parent_qs: Any, region_qs: Any, unit_qs: Any, secretary_qs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("parent", parent_qs)
        self.set_queryset("region", region_qs)
        self.set_queryset("unit", unit_qs)
        if secretary_qs is None:
            del self.fields["secretary"]
        else:
            self.set_queryset("secretary", secretary_qs)


class UnitForm(StyledForm):
    name = MandatoryText(label=_("Name"), max_length=128)
    uscc = MandatoryText(label=_("Unified social credit code"), max_length=32)
    kind = MandatoryChoice(label=_("Kind"), choices=blank(UnitKind.choices))
    region = MandatoryRegionChoice(label=_("Region"), queryset=None)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    liaison_name = forms.CharField(label=_("Liaison"), max_length=64, required=False)
    liaison_phone = forms.CharField(label=_("Liaison phone"), max_length=32, required=False)
    lat = forms.CharField(label=_("Latitude"), max_length=16, required=False)
    lng = forms.CharField(label=_("Longitude"), max_length=16, required=False)

    def __init__(self, *args: Any, region_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("region", region_qs)


class PolicyForm(StyledForm):
    title = MandatoryText(label=_("Title"), max_length=255)
    doc_number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    level = MandatoryChoice(label=_("Level"), choices=blank(PolicyLevel.choices))
    role = forms.ChoiceField(label=_("Place in 1+N"), choices=PolicyRole.choices)
    issuer = MandatoryText(label=_("Issuer"), max_length=128)
    issued_on = MandatoryDate(label=_("Issued on"), widget=DATE)
    region = RegionChoiceField(label=_("Region"), queryset=None, required=False)
    body = MandatoryText(label=_("Body"), widget=forms.Textarea(attrs={"rows": 12}))

    def __init__(self, *args: Any, region_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("region", region_qs)


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("Attachment"))
