"""Page forms of posts, brands, activities, shifts, hours and the point rule: they render fields and parse types; the
services validate and decide (their errors are put next to the fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import StyledForm, blank

from ..choices import HourKind, PostKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CommunityForm(StyledForm):
    community = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PostForm(CommunityForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=PostKind.choices)
    name = forms.CharField(label=_("Name"), max_length=128, required=False)
    needed = forms.CharField(label=_("People needed"), required=False, widget=forms.NumberInput(attrs={"min": 1}))
    skills = forms.CharField(label=_("Skills wanted"), max_length=400, required=False)
    description = forms.CharField(label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class BrandForm(CommunityForm):
    name = forms.CharField(label=_("Name"), max_length=128, required=False)
    target_group = forms.CharField(label=_("Who it serves"), max_length=200, required=False)
    schedule = forms.CharField(label=_("Schedule"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=8000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class ActivityForm(CommunityForm):
    title = forms.CharField(label=_("Title"), max_length=240, required=False)
    place = forms.CharField(label=_("Place"), max_length=400, required=False)
    brand = forms.TypedChoiceField(label=_("Service brand"), required=False, coerce=str, choices=[])
    unit = forms.TypedChoiceField(label=_("Organising unit"), required=False, coerce=str, choices=[])
    description = forms.CharField(label=_("Description"), max_length=8000, required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, brands: Any = (), units: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        brand = self.fields["brand"]
        unit = self.fields["unit"]
        assert isinstance(brand, forms.ChoiceField) and isinstance(unit, forms.ChoiceField)
        brand.choices = blank([(str(b.pk), b.name) for b in brands])
        unit.choices = blank([(str(u.pk), u.name) for u in units])


class ShiftForm(StyledForm):
    starts_at = forms.CharField(label=_("Starts at"), required=False, widget=DATETIME)
    ends_at = forms.CharField(label=_("Ends at"), required=False, widget=DATETIME)
    capacity = forms.CharField(label=_("Places"), required=False, widget=forms.NumberInput(attrs={"min": 1}))
    signup_cutoff = forms.CharField(label=_("Sign-up and cancellation close at"), required=False, widget=DATETIME,
                                    help_text=_("Empty: when the shift starts."))
    place = forms.CharField(label=_("Place"), max_length=400, required=False, help_text=_("Empty: the activity's place."))
    skills = forms.CharField(label=_("Skills wanted"), max_length=400, required=False)


class CreditForm(CommunityForm):
    member = forms.TypedChoiceField(label=_("Member"), required=False, coerce=str, choices=[])
    kind = forms.ChoiceField(label=_("Kind"), choices=[(HourKind.POST, HourKind.POST.label), (HourKind.TASK, HourKind.TASK.label)])
    post = forms.TypedChoiceField(label=_("Service post"), required=False, coerce=str, choices=[])
    hours = forms.CharField(label=_("Hours"), required=False, widget=forms.NumberInput(attrs={"step": "0.1", "min": "0.1"}))
    date = forms.CharField(label=_("Date"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=600, required=False)

    def __init__(self, *args: Any, members: Any = (), posts: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        post = self.fields["post"]
        assert isinstance(member, forms.ChoiceField) and isinstance(post, forms.ChoiceField)
        member.choices = blank([(str(m.pk), m.name) for m in members])
        post.choices = blank([(str(p.pk), p.name) for p in posts])


class PointRuleForm(StyledForm):
    per_hour = forms.CharField(label=_("Points per confirmed hour"), required=False, widget=forms.NumberInput(attrs={"min": 0}))
    per_task = forms.CharField(label=_("Points per confirmed task"), required=False, widget=forms.NumberInput(attrs={"min": 0}))
    per_pledge = forms.CharField(label=_("Points per fulfilled pledge"), required=False, widget=forms.NumberInput(attrs={"min": 0}))
