"""Page forms of matters: they render fields and parse types; the services validate and decide.

Every action form carries the matter's ``version`` (hidden): the service compares it with the row it
locks, so a page opened before someone else acted gets the clear conflict message instead of acting
on a state it never saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from gongjian.core.forms import MandatoryChoice, MandatoryText, StyledForm, blank

from .choices import MatterSource, Satisfaction, Urgency

# ISO dates whatever the locale's input format (a date picker reads only ISO)
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"
ATTACH_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"
# the sources a person enters by hand (hotline work orders come from the import)
STAFF_SOURCES = [c for c in MatterSource.choices if c[0] != MatterSource.HOTLINE]


class VersionForm(StyledForm):
    version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)  # the service judges it


KEPT_SELECTS = 2000  # drawn selects one catalogue version keeps at most (values × languages × the forms' attributes)


class KeptChoices(BaseChoiceIterator):
    """The catalogue's choices (already in Django's normal form) of one catalogue ``version``, with the selects drawn from
    them: a form field given them takes them as they are (not normalised again: 150 categories cost ~0.6 ms a form) and
    a ``CategorySelect`` over them is drawn once per language, name, value and attributes (~3.5 ms a select drawn by
    the template engine). ``views.kept_catalogue`` keeps one per catalogue version."""

    def __init__(self, choices: list[Any], version: str) -> None:
        self.choices = choices
        self.version = version
        self.values = frozenset(str(v) for v, label in choices if not isinstance(label, list)) | frozenset(
            str(v) for _group, label in choices if isinstance(label, list) for v, _name in label)
        self.drawn: dict[tuple[Any, ...], str] = {}

    def __iter__(self) -> Iterator[Any]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)


def _attrs_key(attrs: dict[str, Any]) -> tuple[Any, ...]:
    """A widget's attributes as part of a key: a lazily translated value by its text (the language is in the key too)."""
    return tuple(sorted((str(k), v if isinstance(v, str | bool | int) else str(v)) for k, v in attrs.items()))


class CategorySelect(forms.Select):
    """One select over the 3-level dispatch catalogue: the leaves grouped under "level 1 › level 2". Over ``KeptChoices``
    the select is drawn once per language, name, value and attributes of a catalogue version, and kept with them."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        kept = self.choices
        if not isinstance(kept, KeptChoices) or not (value is None or (isinstance(value, str) and (not value or value in kept.values))):
            return super().render(name, value, attrs, renderer)  # a value that is no category is drawn as it is
        key = (translation.get_language(), name, value, type(self), type(renderer), _attrs_key(self.attrs), _attrs_key(attrs or {}))
        html = kept.drawn.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(kept.drawn) < KEPT_SELECTS:
                kept.drawn[key] = html
        return mark_safe(html)  # drawn by Django's widget template above


def category_choices(categories: Any) -> list[Any]:
    """Choices for the catalogue: level-3 entries grouped by their parents' names; a level-2 entry without
    children, and a level-1 entry without any, is a choice of its own. The report forms take them as ``categories=``
    (the views keep them per catalogue version: ``views.kept_catalogue``)."""
    cats = list(categories)
    by_parent: dict[Any, list[Any]] = {}
    for c in cats:
        by_parent.setdefault(c.parent_id, []).append(c)
    out: list[Any] = [("", "—")]
    for top in by_parent.get(None, []):
        seconds = by_parent.get(top.pk, [])
        if not seconds:
            out.append((str(top.pk), top.name))
            continue
        loose: list[tuple[str, str]] = []
        for second in seconds:
            leaves = by_parent.get(second.pk, [])
            if leaves:
                out.append((f"{top.name} › {second.name}", [(str(leaf.pk), leaf.name) for leaf in leaves]))
            else:
                loose.append((str(second.pk), second.name))
        if loose:
            out.append((top.name, loose))
    return out


class CategoryField(forms.ChoiceField):
    """The category id as text; the service checks it exists and is active."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CategorySelect)
        super().__init__(*args, **kwargs)

    def validate(self, value: Any) -> None:  # the service reports an unknown or inactive category
        return None


class ReportForm(StyledForm):
    """A matter entered by community (or higher) staff."""

    title = MandatoryText(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000)
    category = CategoryField(label=_("Category"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=blank(Urgency.choices), required=False,
                                help_text=_("Leave blank to take the category's default urgency (otherwise general)."))
    source = forms.ChoiceField(label=_("Source"), choices=STAFF_SOURCES, initial=MatterSource.STAFF, required=False)
    community = MandatoryChoice(label=_("Community"), choices=[])
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    lat = forms.CharField(label=_("Latitude"), max_length=20, required=False)
    lng = forms.CharField(label=_("Longitude"), max_length=20, required=False)
    reporter_name = forms.CharField(label=_("Reporter"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("Reporter phone"), max_length=32, required=False,
                                     help_text=_("For the callback. Stored encrypted and shown masked."))
    photo = forms.FileField(label=_("Photo"), required=False, widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}))

    def __init__(self, *args: Any, categories: Any, community_qs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = categories  # type: ignore[attr-defined]
        # the service checks the community is one of the actor's (all errors of the form are shown at once)
        self.fields["community"].choices = blank([(str(c.pk), c.full_name or c.name) for c in community_qs])  # type: ignore[attr-defined]
        self.fields["reporter_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        for name in ("lat", "lng"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal"})


class ResidentReportForm(StyledForm):
    """The resident's (or road chief's) phone form: few fields, big targets; the community comes from his scope."""

    title = MandatoryText(label=_("What is the problem?"), max_length=200,
                          widget=forms.TextInput(attrs={"placeholder": _("For example: the street lamp at gate 3 is broken")}))
    description = forms.CharField(label=_("Tell us more"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=8000)
    category = CategoryField(label=_("Category"), required=False)
    address = forms.CharField(label=_("Where is it?"), max_length=255, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("Building, street or landmark")}))
    lat = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)
    lng = forms.CharField(max_length=20, required=False, widget=forms.HiddenInput)
    reporter_phone = forms.CharField(label=_("Phone for the callback"), max_length=32, required=False,
                                     help_text=_("Optional. Only the staff handling it see it in full."))
    photo = forms.FileField(label=_("Photo"), required=False, widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT,
                                                                                                    "capture": "environment"}))

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = categories  # type: ignore[attr-defined]
        self.fields["reporter_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})


class ReasonForm(VersionForm):
    reason = MandatoryText(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class AssignForm(VersionForm):
    lead = MandatoryChoice(label=_("Lead department"), choices=[])
    assist = forms.MultipleChoiceField(label=_("Assisting departments"), choices=[], required=False,
                                       widget=forms.CheckboxSelectMultiple)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE, required=False,
                               help_text=_("Leave blank to use the matter's deadline to resolve."))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=500)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [(str(d.pk), str(d)) for d in departments]
        self.fields["lead"].choices = blank(options)  # type: ignore[attr-defined]
        self.fields["assist"].choices = options  # type: ignore[attr-defined]
        self.fields["assist"].widget.attrs["class"] = "form-check-input"

    def clean_assist(self) -> list[str]:
        return [v for v in self.cleaned_data.get("assist") or [] if v != self.data.get(self.add_prefix("lead"))]


class ResolveForm(VersionForm):
    resolution = MandatoryText(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)


class CallbackForm(VersionForm):
    satisfaction = MandatoryChoice(label=_("Satisfaction"), choices=blank(Satisfaction.choices))
    note = forms.CharField(label=_("Callback note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=500)


class FollowUpForm(VersionForm):
    assignment = MandatoryChoice(label=_("Assignment"), choices=[])
    note = MandatoryText(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
    new_deadline = forms.DateField(label=_("New deadline"), widget=DATE, required=False)

    def __init__(self, *args: Any, assignments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignment"].choices = blank([(str(a.pk), f"{a.department}（{a.get_role_display()}）")  # type: ignore[attr-defined]
                                                    for a in assignments])


class AttachForm(VersionForm):
    file = forms.FileField(label=_("File"), required=False, widget=forms.ClearableFileInput(attrs={"accept": ATTACH_ACCEPT}),
                           help_text=_("A photo (JPEG, PNG, WebP) or a PDF."))


class NoteForm(VersionForm):
    note = MandatoryText(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ResultForm(VersionForm):
    result = MandatoryText(label=_("Result"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)
