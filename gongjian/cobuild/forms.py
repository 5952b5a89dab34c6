"""Page forms: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import MandatoryChoice, MandatoryText, RegionChoiceField, StyledForm, blank

from .choices import CapacityUnit, CategoryUse, NeedSource, ResourceKind, Urgency

# core.forms.DATE without a format renders dates in the locale; a date picker needs ISO
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class NeedForm(StyledForm):
    title = MandatoryText(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000)
    category = CategoryField(label=_("Category"), queryset=None, required=False, empty_label="—")
    community = RegionChoiceField(label=_("Community"), queryset=None, required=False, empty_label="—")
    grid = RegionChoiceField(label=_("Grid"), queryset=None, required=False, empty_label="—")
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    lat = forms.CharField(label=_("Latitude"), max_length=20, required=False)
    lng = forms.CharField(label=_("Longitude"), max_length=20, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=20, required=False)
    quantity_unit = forms.CharField(label=_("Unit of measure"), max_length=16, required=False, help_text=_("For example 人, 次, 平方米."))
    wanted_from = forms.DateField(label=_("Wanted from"), widget=DATE, required=False)
    wanted_to = forms.DateField(label=_("Wanted until"), widget=DATE, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False, initial=Urgency.NORMAL)
    source = forms.ChoiceField(label=_("Source"), choices=[c for c in NeedSource.choices if c[0] != NeedSource.WISH], required=False)

    def __init__(self, *args: Any, category_qs: Any, community_qs: Any, grid_qs: Any, wish: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("category", category_qs)
        self.set_queryset("community", community_qs)
        self.set_queryset("grid", grid_qs)
        self.fields["community"].required = True
        self.fields["community"].validate = lambda value: None  # type: ignore[method-assign]
        if wish:
            del self.fields["source"]


class WishForm(StyledForm):
    """The resident's phone form: few fields, big targets."""

    title = MandatoryText(label=_("What do you wish for?"), max_length=200,
                          widget=forms.TextInput(attrs={"placeholder": _("For example: a reading lamp for my grandson")}))
    description = forms.CharField(label=_("Tell us more"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000)
    category = CategoryField(label=_("Category"), queryset=None, required=False, empty_label="—")
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    wanted_to = forms.DateField(label=_("Wanted until"), widget=DATE, required=False)

    def __init__(self, *args: Any, category_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("category", category_qs)


class ResourceForm(StyledForm):
    unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False,
                                                               empty_label="—")
    title = MandatoryText(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000)
    kind = MandatoryChoice(label=_("Kind"), choices=blank(ResourceKind.choices))
    category = CategoryField(label=_("Category"), queryset=None, required=False, empty_label="—")
    capacity = forms.CharField(label=_("Capacity"), max_length=20, required=False)
    capacity_unit = forms.ChoiceField(label=_("Capacity unit"), choices=blank(CapacityUnit.choices), required=False)
    radius_km = forms.CharField(label=_("Service radius (km)"), max_length=20, required=False,
                                help_text=_("Measured from the unit's location."))
    service_regions: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(label=_("Service regions"), queryset=None, required=False,
                                                     widget=forms.SelectMultiple(attrs={"size": 6}))
    available_from = forms.DateField(label=_("Available from"), widget=DATE, required=False)
    available_to = forms.DateField(label=_("Available until"), widget=DATE, required=False)

    def __init__(self, *args: Any, unit_qs: Any, category_qs: Any, region_qs: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("category", category_qs)
        self.fields["service_regions"].queryset = region_qs  # type: ignore[attr-defined]
        self.fields["service_regions"].label_from_instance = lambda r: r.full_name or r.name  # type: ignore[attr-defined]
        if editing:
            del self.fields["unit"]
        else:
            self.set_queryset("unit", unit_qs)
            self.fields["unit"].required = True
            self.fields["unit"].validate = lambda value: None  # type: ignore[method-assign]


class CategoryForm(StyledForm):
    name = MandatoryText(label=_("Name"), max_length=64)
    sort_order = forms.IntegerField(label=_("Sort order"), required=False, initial=100)
    applies_to = forms.ChoiceField(label=_("Used for"), choices=CategoryUse.choices, initial=CategoryUse.BOTH)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000)
