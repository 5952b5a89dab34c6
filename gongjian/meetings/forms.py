"""Page forms of the meetings pages: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import MandatoryText, RegionChoiceField, ServiceChecked, StyledForm, date_widget

from .choices import MeetingKind


class ServiceRegionField(ServiceChecked, RegionChoiceField):
    """The meeting's region: shown as required, its emptiness reported by the service with the other errors."""


class MeetingForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices, required=False)
    region = ServiceRegionField(label=_("Level"), queryset=None, required=False, empty_label="—")
    title = MandatoryText(label=_("Title"), max_length=200)
    theme = forms.CharField(label=_("Theme"), max_length=200, required=False,
                            help_text=_("A secretaries' exchange has a theme, e.g. 物业管理融入基层治理."))
    starts_at = MandatoryText(label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("Meeting place"), max_length=200, required=False)
    is_video = forms.BooleanField(label=_("By video"), required=False)
    video_link = forms.CharField(label=_("Video link"), max_length=200, required=False)
    chair = forms.CharField(label=_("Chair"), max_length=64, required=False)

    def __init__(self, *args: Any, region_qs: Any = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]
            del self.fields["region"]
        else:
            self.set_queryset("region", region_qs)
            self.fields["region"].required = True


class HoldForm(StyledForm):
    minutes = MandatoryText(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    held_at = forms.CharField(label=_("Held at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                              help_text=_("Leave empty for now."))


class CancelForm(StyledForm):
    reason = MandatoryText(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class MinutesForm(StyledForm):
    minutes = MandatoryText(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20000)


class TaskResultForm(StyledForm):
    result = MandatoryText(label=_("Result"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class FollowUpForm(StyledForm):
    note = MandatoryText(label=_("Follow-up note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
    new_deadline = forms.DateField(label=_("New deadline"), required=False, widget=date_widget())


class ExperienceForm(StyledForm):
    title = MandatoryText(label=_("Title"), max_length=200)
    summary = MandatoryText(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 6}), max_length=8000)
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False, help_text=_("Separate tags with commas."))
    published = forms.BooleanField(label=_("Published (every level can read it)"), required=False)
