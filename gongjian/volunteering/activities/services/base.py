"""The shared helpers of the activities part's services: limits, cleaners, scope lookups, the acting member."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import NotFound, PermissionDenied, TransitionError
from gongjian.core.kernel import Actor, Transitions, key_of, text_field
from gongjian.core.scope import ScopeFields, scoped
from gongjian.core.validation import Errors
from gongjian.orgs.models import Member

from ...common import active_report_in, actor_member
from ...models import MemberReportIn

MAX_CAPACITY = 10_000
MAX_NEEDED = 500
HOURS_STEP = Decimal("0.1")  # hours are credited in tenths of an hour
# shifts and sign-ups reached by the manager of their activity (a unit liaison through the activity's unit)
SHIFT_MANAGE_SCOPE = ScopeFields(region=("region_path",), unit=("activity__unit_id",))
SIGNUP_MANAGE_SCOPE = ScopeFields(region=("region_path",), unit=("shift__activity__unit_id",))


def _now() -> dt.datetime:
    return timezone.now()




def _text(value: Any, **kw: Any) -> str:
    return text_field(value, **{"max_length": 200, **kw})


def _int(value: Any, *, field: str, errors: Errors, low: int, high: int, required: Any) -> int | None:
    if value in (None, ""):
        errors.add(field, required)
        return None
    if isinstance(value, bool | float | list | dict):
        errors.add(field, _("Enter a whole number."))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.add(field, _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high})
        return None
    return number


def _when(value: Any, *, field: str, errors: Errors, required: Any) -> dt.datetime | None:
    """An aware date and time from a datetime or an ISO text (``2026-05-01T09:00`` or with a space)."""
    if value in (None, ""):
        errors.add(field, required)
        return None
    parsed: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40 and "\x00" not in value:
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        errors.add(field, _("Enter a date and time, e.g. 2026-05-01 09:00."))
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if not dt.datetime(2000, 1, 1, tzinfo=dt.UTC) <= parsed <= dt.datetime(2100, 1, 1, tzinfo=dt.UTC):
        errors.add(field, _("Enter a date between 2000 and 2100."))
        return None
    return parsed


def _reason(value: Any) -> str:
    errors = Errors()
    text = _text(value, field="reason", errors=errors, required=_("Give a reason."), max_length=300, multiline=True)
    errors.raise_if_any()
    return text


def _transition(table: Transitions, obj: Any, to: str, label: Any) -> str:
    """``table.move``, naming the record ``label`` in the refusal (a post holding is a “post application” to people)."""
    if not table.allows(obj.status, to):
        labels = dict(type(obj)._meta.get_field("status").choices)
        raise TransitionError(_("A %(what)s in status “%(from)s” cannot be changed to “%(to)s”.")
                              % {"what": label, "from": obj.get_status_display(), "to": labels.get(to, to)})
    return table.move(obj, to)


def _in_scope(model: type[Model], value: Any, actor: Actor, action: str, *, lock: bool = False, qs: Any = None) -> Any:
    pk = key_of(value)
    base = qs if qs is not None else model._default_manager.all()
    found = scoped(base, actor, action).filter(pk=pk).values_list("pk", flat=True).first() if pk else None
    if found is None:
        raise NotFound()
    if lock:
        return model._default_manager.select_for_update().get(pk=found)
    return base.get(pk=found)


def member_community(actor: Actor) -> tuple[Member, MemberReportIn]:
    """The acting member and his confirmed report-in; a member without one is told to report in first."""
    member = actor_member(actor)
    assert member is not None
    report_in = active_report_in(member, confirmed_only=True)
    if report_in is None:
        raise PermissionDenied(_("Report in to the community where you live first (双报到); once the community confirms it you can "
                                 "volunteer there."), code="no_report_in")
    return member, report_in
