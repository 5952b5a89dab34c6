"""Page forms: they only parse input; the services validate and write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import INPUT, SELECT, StyledForm, blank

from .choices import DepartmentKind, Level, OfficeKind, RegionKind


class _Form(StyledForm):
    """The regions services name a region's parent ``parent_code`` and a committee's members ``departments``."""

    field_map = {"parent_code": "parent", "departments": "department_ids"}


class RegionForm(_Form):
    code = forms.CharField(
        label=_("Statistical code"),
        max_length=15,
        widget=forms.TextInput(attrs={**INPUT, "inputmode": "numeric"}),
        help_text=_("6 digits for a city or district, 12 for a subdistrict or community (a subdistrict's 9 digits + 000)."),
    )
    name = forms.CharField(label=_("Name"), max_length=64, widget=forms.TextInput(attrs=INPUT))
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), choices=blank(RegionKind.choices), required=False, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, fixed_level: str | None = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_level:
            self.fields["level"].initial = fixed_level
            self.fields["level"].disabled = True
        if editing:
            self.fields["level"].disabled = True
            self.fields["code"].help_text = _("Changing the code re-codes every sub-region under this one.")


class RegionMoveForm(_Form):
    parent_code = forms.CharField(
        label=_("New parent code"), max_length=15, required=False, widget=forms.TextInput(attrs=INPUT), help_text=_("Leave empty to keep the parent.")
    )


class DepartmentForm(_Form):
    region = forms.ChoiceField(label=_("City or district"), widget=forms.Select(attrs=SELECT))
    name = forms.CharField(label=_("Name"), max_length=64, widget=forms.TextInput(attrs=INPUT))
    kind = forms.ChoiceField(label=_("Kind"), choices=DepartmentKind.choices, widget=forms.Select(attrs=SELECT))
    phone = forms.CharField(label=_("Office phone"), max_length=32, required=False, widget=forms.TextInput(attrs={**INPUT, "inputmode": "tel"}))

    def __init__(self, *args: Any, regions: Sequence[Any] = (), editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.pk, f"{r.full_name or r.name}（{r.code}）") for r in regions]  # type: ignore[attr-defined]
        if editing:
            self.fields["region"].disabled = True
            self.fields["region"].required = False


class CommitteeForm(_Form):
    name = forms.CharField(
        label=_("Name"), max_length=128, required=False, widget=forms.TextInput(attrs=INPUT), help_text=_("Leave empty for the standard name.")
    )
    director = forms.CharField(label=_("Director"), max_length=64, required=False, widget=forms.TextInput(attrs=INPUT))
    established_on = forms.DateField(label=_("Established on"), required=False, widget=forms.DateInput(attrs={**INPUT, "type": "date"}))
    remit = forms.CharField(label=_("Remit"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 3}))
    department_ids = forms.MultipleChoiceField(label=_("Member departments"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, departments: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department_ids"].choices = [(d.pk, d.name) for d in departments]  # type: ignore[attr-defined]
        self.fields["department_ids"].widget.attrs.pop("class", None)  # checkboxes, not a text box


class OfficeForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=64, widget=forms.TextInput(attrs=INPUT))
    kind = forms.ChoiceField(label=_("Kind"), choices=OfficeKind.choices, widget=forms.Select(attrs=SELECT))
    head = forms.CharField(label=_("Head"), max_length=64, required=False, widget=forms.TextInput(attrs=INPUT))
    order = forms.IntegerField(label=_("Order"), required=False, min_value=0, max_value=999, widget=forms.NumberInput(attrs=INPUT))


class OfficeTemplateForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=64, widget=forms.TextInput(attrs=INPUT))
    kind = forms.ChoiceField(label=_("Kind"), choices=OfficeKind.choices, widget=forms.Select(attrs=SELECT))
    order = forms.IntegerField(label=_("Order"), required=False, min_value=0, max_value=999, widget=forms.NumberInput(attrs=INPUT))
    is_active = forms.BooleanField(
        label=_("Part of the standard structure"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )


class QuotaForm(_Form):
    count = forms.IntegerField(label=_("Positions"), min_value=1, max_value=10000, widget=forms.NumberInput(attrs=INPUT))
    year = forms.IntegerField(label=_("Year"), min_value=1949, max_value=2100, widget=forms.NumberInput(attrs=INPUT))
    office = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        widget=forms.Select(attrs=SELECT),
        help_text=_("Leave empty for positions of the subdistrict as a whole."),
    )
    moved_down = forms.BooleanField(
        label=_("Moved down from higher levels"), required=False, initial=True, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False, widget=forms.TextInput(attrs=INPUT))

    def __init__(self, *args: Any, offices: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = blank((o.pk, o.name) for o in offices)  # type: ignore[attr-defined]


class PowerForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=128, widget=forms.TextInput(attrs=INPUT))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 3}))
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=255, required=False, widget=forms.TextInput(attrs=INPUT))
    effective_on = forms.DateField(label=_("Effective on"), required=False, widget=forms.DateInput(attrs={**INPUT, "type": "date"}))
