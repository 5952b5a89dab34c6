"""BaseModel's get_<field>_display(): Django's answer, translating only the label it shows."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.utils import translation

from gongjian.cobuild.choices import NeedStatus, Urgency
from gongjian.cobuild.models import Need


def test_the_label_of_the_value_in_the_active_language() -> None:
    n = Need(status=NeedStatus.IN_PROJECT, urgency=Urgency.HIGH)
    with translation.override("en"):
        assert n.get_status_display() == "In a project"
        english = n.get_urgency_display()
    with translation.override("zh-hans"):
        assert n.get_status_display() not in ("", "In a project")
        assert n.get_urgency_display() != english
    assert isinstance(n.get_status_display(), str)


def test_a_value_outside_the_choices_is_shown_as_it_is() -> None:
    n = Need(status="no-such-status")
    assert n.get_status_display() == "no-such-status"
    n.status = None  # type: ignore[assignment]
    assert n.get_status_display() is None


def test_only_the_shown_label_is_translated() -> None:
    n = Need(status=NeedStatus.MET)
    n.get_status_display()  # the field's labels are kept from here on
    calls: list[Any] = []
    trans = getattr(translation, "_trans")  # what the lazy labels call (django.utils.translation.pgettext -> _trans)  # noqa: B009
    real = trans.pgettext

    def counting(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    with mock.patch.object(trans, "pgettext", counting), translation.override("en"):
        assert n.get_status_display() == "Met"
    assert len(calls) == 1  # Django's own translated every label of the choices again (7 here)
