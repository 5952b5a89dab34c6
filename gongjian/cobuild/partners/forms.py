"""Page forms of report-in and partnerships: they render fields and parse types; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import MandatoryText, StyledForm

from ..forms import DATE


class _Pick(forms.ModelChoiceField):
    """A choice whose emptiness and reach the service reports (with every other error at once)."""

    def __init__(self, *, label: Any, label_fn: Any = None) -> None:
        super().__init__(None, label=label, required=False, empty_label="—")
        self._label_fn = label_fn

    def label_from_instance(self, obj: Any) -> str:
        return self._label_fn(obj) if self._label_fn else str(obj)


def community_label(r: Any) -> str:
    return r.full_name or r.name


def org_label(o: Any) -> str:
    return f"{o.name}（{o.get_rank_display()}）"


def branch_label(o: Any) -> str:
    return f"{o.name}（{o.unit.name if o.unit else '—'}）"


class ReportInForm(StyledForm):
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    community = _Pick(label=_("Community"), label_fn=community_label)
    party_org = _Pick(label=_("Party organisation"), label_fn=org_label)
    contact_name = MandatoryText(label=_("Contact person"), max_length=200)
    offer = forms.CharField(label=_("What the unit offers"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000,
                            help_text=_("For example: a meeting room on weekends, volunteers for elderly care, legal advice."))

    def __init__(self, *args: Any, community_qs: Any, org_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("community", community_qs)
        self.set_queryset("party_org", org_qs)
        self.fields["community"].required = True
        self.fields["community"].validate = lambda value: None  # type: ignore[method-assign]
        self.fields["party_org"].required = True
        self.fields["party_org"].validate = lambda value: None  # type: ignore[method-assign]


class PartnershipForm(StyledForm):
    branch = _Pick(label=_("Party branch"), label_fn=branch_label)
    community = _Pick(label=_("Community"), label_fn=community_label)
    started_on = forms.DateField(label=_("Started on"), widget=DATE, required=False, help_text=_("Today if left blank."))

    def __init__(self, *args: Any, branch_qs: Any, community_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_queryset("branch", branch_qs)
        self.set_queryset("community", community_qs)
        for name in ("branch", "community"):
            self.fields[name].required = True
            self.fields[name].validate = lambda value: None  # type: ignore[method-assign]


class AgreementForm(StyledForm):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=0, max_value=9999)
    branch_commitments = MandatoryText(label=_("The branch will"), widget=forms.Textarea(attrs={"rows": 5}), max_length=8000)
    community_commitments = MandatoryText(label=_("The community will"), widget=forms.Textarea(attrs={"rows": 5}), max_length=8000)


class EndForm(StyledForm):
    reason = MandatoryText(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    ended_on = forms.DateField(label=_("Ended on"), widget=DATE, required=False)


class SignForm(StyledForm):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE, required=False)
