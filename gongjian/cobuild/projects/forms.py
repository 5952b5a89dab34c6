"""Page forms of the project pages: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import MandatoryText, RegionChoiceField, StyledForm

from ..choices import PROJECT_RATING_MAX, PROJECT_RATING_MIN
from ..forms import DATE


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class ProjectForm(StyledForm):
    """Title, community, unit and plan; the needs (checkboxes) and resources (rows) are read from the request."""

    title = MandatoryText(label=_("Title"), max_length=200)
    community = RegionChoiceField(label=_("Community"), queryset=None, required=False, empty_label="—")
    unit = UnitChoiceField(label=_("Responsible unit"), queryset=None, required=False, empty_label="—")
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=8000,
                           help_text=_("What will be done, by whom and by when. Milestones can be added on the project page."))
    # not rendered by the loop: the template draws them; they hold the service's errors
    needs = forms.Field(required=False, widget=forms.HiddenInput)
    resources = forms.Field(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, community_qs: Any, unit_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("community", community_qs)
        self.set_queryset("unit", unit_qs)
        for name in ("community", "unit"):
            self.fields[name].required = True
            self.fields[name].validate = lambda value: None  # type: ignore[method-assign]
        self.fields["community"].widget.attrs.update({"id": "id_community"})


class CompleteForm(StyledForm):
    outcome = MandatoryText(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)


RATING_CHOICES = [(str(i), "★" * i) for i in range(PROJECT_RATING_MAX, PROJECT_RATING_MIN - 1, -1)]


class RateForm(StyledForm):
    rating = forms.ChoiceField(label=_("Rating"), choices=RATING_CHOICES, widget=forms.RadioSelect, required=False)
    remark = forms.CharField(label=_("Remark"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=500)


class CancelForm(StyledForm):
    reason = MandatoryText(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class MilestoneForm(StyledForm):
    title = MandatoryText(label=_("Milestone"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DATE, required=False)


class NoteForm(StyledForm):
    text = MandatoryText(label=_("Progress note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)
    progress = forms.CharField(label=_("Progress (%)"), max_length=4, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "0–100"}))


class PlanForm(StyledForm):
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=8000)
