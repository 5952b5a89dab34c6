"""The shared form base of every app's pages.

Page forms render fields and parse types; the services validate and decide. A service's
``DomainError`` is put on the form by one function, ``apply_domain_error``: each message next to
the field its ``details`` name (through an optional map of service names to form names), the rest
at the top of the form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from .errors import DomainError

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M")
INPUT = {"class": "form-control"}
SELECT = {"class": "form-select"}


def date_widget() -> forms.DateInput:
    """A fresh date picker (a widget instance must not be shared by two fields that change its attrs)."""
    return forms.DateInput(attrs={"type": "date", "class": "form-control"})


def datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M")


def blank(choices: Iterable[Any], label: str = "—") -> list[tuple[str, Any]]:
    """The choices with an empty first option (a select that may be left unchosen)."""
    return [("", label), *list(choices)]


def apply_domain_error(form: forms.Form, exc: DomainError, field_map: Mapping[str, str] | None = None) -> None:
    """Put a service's error on the form: messages next to the fields they name, the rest at the top.

    ``field_map`` maps a service's field names to the form's (``{"parent_code": "parent"}``). An error
    without field details shows its message at the top.
    """
    field_map = field_map or {}
    placed = False
    for key, msgs in (exc.details or {}).items():
        name = field_map.get(key, key)
        target = name if name in form.fields else None
        for message in msgs if isinstance(msgs, list | tuple) else [msgs]:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def first_error(exc: DomainError, *fields: str) -> str:
    """The first message of the named fields, else the error's message (for a one-line page message)."""
    for name in fields:
        msgs = exc.details.get(name)
        if msgs:
            return str(msgs[0] if isinstance(msgs, list | tuple) else msgs)
    return str(exc.message)


class StyledForm(forms.Form):
    """Tabler's classes on every widget; a service error goes on the form with ``add_domain_error``."""

    field_map: Mapping[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            w = field.widget
            if isinstance(w, forms.CheckboxInput):
                w.attrs.setdefault("class", "form-check-input")
            elif isinstance(w, forms.Select):
                w.attrs.setdefault("class", "form-select")
            else:
                w.attrs.setdefault("class", "form-control")

    def set_queryset(self, name: str, qs: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = qs

    _set_qs = set_queryset

    def add_domain_error(self, exc: DomainError, field_map: Mapping[str, str] | None = None) -> None:
        apply_domain_error(self, exc, {**self.field_map, **(field_map or {})})


class ServiceChecked:
    """A field shown as required whose emptiness the service reports (with every other error at once)."""

    def validate(self, value: Any) -> None:
        return None


class MandatoryText(ServiceChecked, forms.CharField):
    pass


class MandatoryChoice(ServiceChecked, forms.ChoiceField):
    pass


class MandatoryDate(ServiceChecked, forms.DateField):
    pass


class RegionChoiceField(forms.ModelChoiceField):
    """A region picker labelled with the region's full name (郑州市二七区淮河路街道淮河社区)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "full_name", "") or obj.name)


class MandatoryRegionChoice(ServiceChecked, RegionChoiceField):
    pass
