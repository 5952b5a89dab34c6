"""The dispatch catalogue, the deadline rules and the holiday calendar (city administrators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import NotFound
from gongjian.core.kernel import Actor, key_of
from gongjian.core.params import int_param
from gongjian.core.permissions import require
from gongjian.core.validation import Errors, clean_text

from .. import deadlines
from .. import permissions as perms
from ..choices import Urgency
from ..models import DeadlineRule, Holiday, MatterCategory


def _category_full_name(name: str, parent: MatterCategory | None) -> str:
    return f"{parent.full_name} › {name}" if parent else name


@transaction.atomic
def category_save(*, actor: Actor, category: MatterCategory | int | None = None, name: Any, parent: Any = None,
                  default_urgency: Any = "", sort_order: Any = 100, is_active: bool = True) -> MatterCategory:
    """Add or rename a catalogue entry (three levels); deactivating hides it from pickers, never deletes it."""
    require(actor, perms.CATALOGUE_MANAGE)
    errors = Errors()
    text = clean_text(name, field="name", errors=errors, required=_("The name is required."), max_length=64)
    if "›" in text:
        errors.add("name", _("The name cannot contain “›”."))
    c = None
    if category is not None:
        c = MatterCategory.objects.select_for_update().filter(pk=key_of(category, MatterCategory)).first()
        if c is None:
            raise NotFound()
    par = None
    if parent not in (None, ""):
        par = MatterCategory.objects.filter(pk=int_param(parent.pk if isinstance(parent, MatterCategory) else parent) or 0).first()
        if par is None:
            errors.add("parent", _("Unknown category."))
        elif par.level >= 3:
            errors.add("parent", _("The catalogue has three levels; choose a first- or second-level parent."))
        elif c is not None and (par.pk == c.pk or par.full_name.startswith(c.full_name + " ›")):
            errors.add("parent", _("A category cannot be placed under itself."))
    urgency = str(default_urgency or "")
    if urgency and urgency not in Urgency.values:
        errors.add("default_urgency", _("Choose one of the listed options."))
    order = int_param(sort_order) if sort_order not in (None, "") else 100
    if order is None and str(sort_order).strip() != "0":
        errors.add("sort_order", _("Enter a whole number from 0 to 100000."))
    if text and MatterCategory.objects.filter(name=text, parent=par).exclude(pk=getattr(c, "pk", None) or 0).exists():
        errors.add("name", _("A category with this name already exists here."))
    errors.raise_if_any()
    before = {} if c is None else {"name": c.name, "parent": c.parent_id, "default_urgency": c.default_urgency, "sort_order": c.sort_order,
                                   "is_active": c.is_active}
    c = c or MatterCategory()
    old_full = c.full_name
    c.name, c.parent, c.level = text, par, (par.level + 1 if par else 1)
    c.full_name = _category_full_name(text, par)
    c.default_urgency, c.sort_order, c.is_active = urgency, order or 0, bool(is_active)
    c.save()
    if old_full and old_full != c.full_name:
        for child in MatterCategory.objects.filter(full_name__startswith=old_full + " ›"):
            child.full_name = c.full_name + child.full_name[len(old_full):]
            child.save(update_fields=["full_name", "updated_at"])
    after = {"name": c.name, "parent": c.parent_id, "default_urgency": c.default_urgency, "sort_order": c.sort_order, "is_active": c.is_active}
    audit.record(actor=actor, verb="matters.category.save", target=c, changes=audit.diff(before, after))
    return c


@transaction.atomic
def rule_update(*, actor: Actor, urgency: Any, accept_hours: Any, resolve_hours: Any = None, resolve_days: Any = None,
                working_days: bool = False, remind_before_hours: Any = 24) -> DeadlineRule:
    """Change the deadlines of one urgency (hours to accept; hours or days to resolve; working days or not)."""
    require(actor, perms.CATALOGUE_MANAGE)
    errors = Errors()
    if str(urgency) not in Urgency.values:
        errors.add("urgency", _("Choose one of the listed options."))

    def number(value: Any, field: str, high: int) -> int | None:
        if value in (None, ""):
            return None
        n = int_param(value)
        if n is None or n > high:
            errors.add(field, _("Enter a whole number from 1 to %(n)s.") % {"n": high})
        return n

    acc = number(accept_hours, "accept_hours", 720)
    if acc is None and "accept_hours" not in errors.details:
        errors.add("accept_hours", _("Enter a whole number from 1 to %(n)s.") % {"n": 720})
    rh = number(resolve_hours, "resolve_hours", 2160)
    rd = number(resolve_days, "resolve_days", 365)
    if (rh is None) == (rd is None) and "resolve_hours" not in errors.details and "resolve_days" not in errors.details:
        errors.add("resolve_days", _("Give the time to resolve either in hours or in days."))
    remind = number(remind_before_hours, "remind_before_hours", 720) or 0
    errors.raise_if_any()
    r = DeadlineRule.objects.select_for_update().filter(urgency=urgency).first() or DeadlineRule(urgency=urgency)
    before = {} if r.pk is None else {"accept_hours": r.accept_hours, "resolve_hours": r.resolve_hours, "resolve_days": r.resolve_days,
                                      "working_days": r.working_days, "remind_before_hours": r.remind_before_hours}
    r.accept_hours, r.resolve_hours, r.resolve_days = acc or 1, rh, rd
    r.working_days = bool(working_days) and rd is not None
    r.remind_before_hours = remind
    r.save()
    after = {"accept_hours": r.accept_hours, "resolve_hours": r.resolve_hours, "resolve_days": r.resolve_days,
             "working_days": r.working_days, "remind_before_hours": r.remind_before_hours}
    audit.record(actor=actor, verb="matters.rule.update", target=r, changes=audit.diff(before, after))
    transaction.on_commit(deadlines.invalidate)
    deadlines.invalidate()
    return r


@transaction.atomic
def holiday_save(*, actor: Actor, date: Any, name: Any, is_workday: bool = False) -> Holiday:
    """Add or change a day of the calendar: a public holiday, or a make-up working day (调休, ``is_workday``)."""
    require(actor, perms.CATALOGUE_MANAGE)
    errors = Errors()
    day = date if isinstance(date, dt.date) and not isinstance(date, dt.datetime) else None
    if day is None:
        try:
            day = dt.date.fromisoformat(str(date).strip())
        except ValueError:
            errors.add("date", _("Enter a date such as 2026-10-01."))
    text = clean_text(name, field="name", errors=errors, required=_("The name is required."), max_length=64)
    errors.raise_if_any()
    assert day is not None
    h = Holiday.objects.select_for_update().filter(date=day).first() or Holiday(date=day)
    before = {} if h.pk is None else {"name": h.name, "is_workday": h.is_workday}
    h.name, h.is_workday = text, bool(is_workday)
    h.save()
    audit.record(actor=actor, verb="matters.holiday.save", target=h, changes=audit.diff(before, {"name": h.name, "is_workday": h.is_workday}))
    transaction.on_commit(deadlines.invalidate)
    deadlines.invalidate()
    return h


@transaction.atomic
def holiday_delete(*, actor: Actor, holiday: Holiday | int) -> None:
    require(actor, perms.CATALOGUE_MANAGE)
    h = Holiday.objects.select_for_update().filter(pk=key_of(holiday, Holiday)).first()
    if h is None:
        raise NotFound()
    audit.record(actor=actor, verb="matters.holiday.delete", target=h, changes={"date": h.date, "name": h.name, "is_workday": h.is_workday})
    h.delete()
    transaction.on_commit(deadlines.invalidate)
    deadlines.invalidate()

