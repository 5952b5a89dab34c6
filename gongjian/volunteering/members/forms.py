"""Page forms of report-in and pledges: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import StyledForm

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class ReportInForm(StyledForm):
    community = forms.IntegerField(widget=forms.HiddenInput, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
                                help_text=_("Checked against your party member record; it is not stored again."))
    skills = forms.CharField(label=_("Skills and when you are free"), max_length=200, required=False,
                             help_text=_("For example: first aid, calligraphy; weekends."))
    move = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Why you are moving"), max_length=300, required=False,
                             help_text=_("Optional; “Moved home” if left blank."))


class PledgeForm(StyledForm):
    content = forms.CharField(label=_("What I pledge"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, required=False,
                              help_text=_("For example: serve four hours a month at the elderly day-care centre."))
    due_date = forms.DateField(label=_("By"), widget=DATE, required=False)
