"""Page forms of the road chiefs part: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import MandatoryText, StyledForm, blank

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
PHOTO = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment", "class": "form-control"})


class SegmentForm(StyledForm):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False, empty_value=None)
    name = MandatoryText(label=_("Name"), max_length=200)
    start_name = forms.CharField(label=_("Start point"), max_length=200, required=False)
    end_name = forms.CharField(label=_("End point"), max_length=200, required=False)
    line = forms.CharField(label=_("Line (latitude, longitude points)"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 4, "placeholder": "34.7466, 113.6253\n34.7480, 113.6301"}),
                           help_text=_("Optional: one point per line as “latitude, longitude” (2 to 200 points); the length is computed from it."))
    length_m = forms.CharField(label=_("Length (m)"), required=False, max_length=20,
                               help_text=_("Only when there is no line; with a line it is computed."))

    def __init__(self, *args: Any, communities: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if communities is None:
            del self.fields["community"]
        else:
            self.fields["community"].choices = blank(communities)  # type: ignore[attr-defined]
            self.fields["community"].validate = lambda value: None  # type: ignore[method-assign]


class ChiefForm(StyledForm):
    member = forms.TypedChoiceField(label=_("Member"), coerce=int, required=False, empty_value=None)
    since = forms.DateField(label=_("Since"), widget=DATE, required=False, help_text=_("Today if left blank."))

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = blank(members)  # type: ignore[attr-defined]
        self.fields["member"].validate = lambda value: None  # type: ignore[method-assign]


class _Located(StyledForm):
    lat = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    lng = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    photo = forms.FileField(label=_("Photo"), required=False, widget=PHOTO, help_text=_("Optional. Location data in the photo is removed."))


class PatrolForm(_Located):
    at = forms.DateTimeField(label=_("Patrolled at"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                             help_text=_("Now if left blank."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    field_order = ["at", "notes", "photo", "lat", "lng"]


class ReportForm(_Located):
    title = MandatoryText(label=_("Problem"), max_length=400)
    description = forms.CharField(label=_("Description"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    field_order = ["title", "description", "category", "photo", "lat", "lng"]

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Not sure")), *categories]  # type: ignore[attr-defined]
        self.fields["category"].validate = lambda value: None  # type: ignore[method-assign]
