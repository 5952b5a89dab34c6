"""Figures of the meetings module: queries over records for any region and period, registered with the core.

A region counts the meetings held in its subtree (by the meeting's ``region_path``): the city counts
every level's meetings, a district its own and its subdistricts' and communities'.

* meetings held: coordination meetings with status ``held`` whose ``held_at`` falls in the period;
  as of now (no period): this calendar year, the way the seed counts them ("3,100+ meetings held
  this year"). One figure over all levels, and one per level (``meetings.held.city``, ``.district``,
  ``.subdistrict``, ``.community``: the level of the region that held it) — the same records split
  by ``Meeting.level``, so the four add up to the total;
* secretaries' exchanges held: the same for ``secretary_exchange`` meetings (held at the city level,
  so a district counts none);
* decisions: decisions recorded at the meetings held (as above), and of them those done;
* experiences published: exemplar experiences of the region published from exchanges (in a period:
  recorded in it).

Quarter-by-quarter numbers come from asking for a quarter (``Period.quarter``); the figures page does.
Every service that changes these records calls ``core.registry.bump("meetings")``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from gongjian.core.measures import count_of as _count
from gongjian.core.measures import in_period as _in_period
from gongjian.core.measures import in_region as _in_region
from gongjian.core.measures import year_or as _year_or
from gongjian.core.registry import Figure, Period
from gongjian.regions.choices import Level

from .choices import DecisionStatus, MeetingKind, MeetingStatus
from .models import Decision, Experience, Meeting

MODULE = "meetings"
LEVELS = (Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)


def held_records(region: Any, period: Period | None = None, *, kind: str = MeetingKind.COORDINATION) -> QuerySet[Meeting]:
    """Meetings of the kind held in the region's subtree in the period (as of now: this calendar year)."""
    p = _year_or(period)
    return Meeting.objects.filter(_in_region(region), _in_period("held_at", p), kind=kind, status=MeetingStatus.HELD)


def held_at_level(level: str) -> Any:
    def records(region: Any, period: Period | None = None) -> QuerySet[Meeting]:
        return held_records(region, period).filter(level=level)

    records.__doc__ = f"Coordination meetings held by regions of level {level!r} (as for all meetings held)."
    return records


def exchanges_held_records(region: Any, period: Period | None = None) -> QuerySet[Meeting]:
    """Secretaries' exchanges held in the period (as of now: this calendar year)."""
    return held_records(region, period, kind=MeetingKind.SECRETARY_EXCHANGE)


def decisions_records(region: Any, period: Period | None = None) -> QuerySet[Decision]:
    """Decisions of the meetings (of both kinds) held in the region in the period (as of now: this calendar year)."""
    p = _year_or(period)
    return Decision.objects.filter(_in_region(region, "meeting__region_path"), _in_period("meeting__held_at", p),
                                   meeting__status=MeetingStatus.HELD)


def decisions_done_records(region: Any, period: Period | None = None) -> QuerySet[Decision]:
    """Of those decisions, the ones carried out (done)."""
    return decisions_records(region, period).filter(status=DecisionStatus.DONE)


def experiences_records(region: Any, period: Period | None = None) -> QuerySet[Experience]:
    """Published experiences of the region's subtree (in a period: recorded in it)."""
    return Experience.objects.filter(_in_region(region, "region__path"), _in_period("created_at", period), published=True)


def _level_figures() -> list[Figure]:
    out = []
    for level in LEVELS:
        out.append(Figure(
            key=f"meetings.held.{level.value}",
            name=format_lazy(_("Coordination meetings held: {level}"), level=level.label),
            description=format_lazy(_("Coordination meetings held by regions of the level “{level}” within the region "
                                      "(in a period: held in it; as of now: this calendar year)."), level=level.label),
            unit=_("meetings"), module=MODULE, compute=_count(held_at_level(level.value)), records=held_at_level(level.value),
        ))
    return out


FIGURES: list[Figure] = [
    Figure(key="meetings.held", name=_("Coordination meetings held"),
           description=_("Coordination meetings held at every level within the region (in a period: held in it; as of now: this "
                         "calendar year)."),
           unit=_("meetings"), module=MODULE, compute=_count(held_records), records=held_records),
    *_level_figures(),
    Figure(key="meetings.exchanges_held", name=_("Secretaries' exchanges held"),
           description=_("Subdistrict secretaries' exchanges held (in a period: held in it; as of now: this calendar year)."),
           unit=_("meetings"), module=MODULE, compute=_count(exchanges_held_records), records=exchanges_held_records),
    Figure(key="meetings.decisions", name=_("Meeting decisions"),
           description=_("Decisions recorded at the meetings held within the region (in a period: at meetings held in it; as of "
                         "now: this calendar year)."),
           unit=_("decisions"), module=MODULE, compute=_count(decisions_records), records=decisions_records),
    Figure(key="meetings.decisions_done", name=_("Meeting decisions carried out"),
           description=_("Of those decisions, the ones carried out."),
           unit=_("decisions"), module=MODULE, compute=_count(decisions_done_records), records=decisions_done_records),
    Figure(key="meetings.experiences", name=_("Experiences published"),
           description=_("Exemplar experiences from the secretaries' exchanges published for the region (in a period: recorded in it)."),
           unit=_("experiences"), module=MODULE, compute=_count(experiences_records), records=experiences_records),
]
