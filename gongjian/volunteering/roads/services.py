"""Writes of the road chiefs part (路长制): road segments, their chiefs, patrols and patrol reports.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds records inside the actor's scope
(outside = NotFound), validates every field before writing (nothing is written on error), runs in one transaction,
locks the row that decides, writes one audit event and bumps the volunteering figures.

Decisions:

* A segment's line is a list of ``[lat, lng]`` points (2–200, inside China's bounding box); its length is computed
  from the line (haversine) whenever a line is given; without a line the length may be entered by hand.
* A road chief is a member with a **confirmed** report-in to the segment's community; one active assignment per
  segment and member (the database's partial unique constraint keeps it if two requests race).
* Only an active chief of an active segment logs patrols and reports problems on it; anyone else gets NotFound and
  nothing is stored. Photos are checked by content and re-encoded without metadata (``core.images``).
* Patrol reports follow ``PATROL_REPORT_TRANSITIONS``. ``handled_at``/``handled_by`` are the community's last action
  (taking it up, then the outcome): figures count ``status`` and ``handled_at``. Turning a report into a matter calls
  ``matters.services.matter_report`` in the same transaction (source ``road_chief``, ``source_ref``
  ``patrol-report:<id>``) and copies the photo as a matter attachment.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.accounts.choices import Role
from gongjian.core import audit, notify, pii, registry
from gongjian.core.errors import Conflict, DomainError, NotFound, TransitionError, ValidationError
from gongjian.core.images import clean_image
from gongjian.core.kernel import Actor, audited_save, key_of, text_field
from gongjian.core.permissions import require
from gongjian.core.scope import scoped
from gongjian.core.validation import Errors, clean_date, clean_decimal
from gongjian.matters.choices import MatterSource
from gongjian.matters.models import MatterCategory
from gongjian.matters.services import matter_attach, matter_report
from gongjian.orgs.models import Member
from gongjian.regions.models import Region

from .. import common
from .. import permissions as perms
from ..choices import PATROL_REPORT_TRANSITIONS, PatrolReportStatus
from ..common import pk_of as _pk
from ..common import save_unique
from ..common import user_or_none as _user
from ..models import PatrolLog, PatrolReport, RoadChief, RoadSegment

MODULE = common.MODULE
MIN_POINTS, MAX_POINTS = 2, 200
# China's bounding box (a sanity check against swapped or foreign coordinates)
LAT_MIN, LAT_MAX = Decimal("3.8"), Decimal("53.6")
LNG_MIN, LNG_MAX = Decimal("73.5"), Decimal("135.1")
EARTH_RADIUS_M = 6_371_008.8
MAX_LENGTH_M = 200_000
PHOTO_MAX_BYTES = 8 * 1024 * 1024
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _now() -> dt.datetime:
    return timezone.now()




def _text(value: Any, **kw: Any) -> str:
    return text_field(value, **{"max_length": 255, **kw})


# --- geometry --------------------------------------------------------------------------------------


def _in_china(lat: Decimal, lng: Decimal) -> bool:
    return LAT_MIN <= lat <= LAT_MAX and LNG_MIN <= lng <= LNG_MAX


def clean_point(lat: Any, lng: Any, *, errors: Errors) -> tuple[Decimal | None, Decimal | None]:
    """An optional location (both or neither), inside China."""
    la = clean_decimal(lat, field="lat", errors=errors, low=Decimal(-90), high=Decimal(90), places="0.000001")
    ln = clean_decimal(lng, field="lng", errors=errors, low=Decimal(-180), high=Decimal(180), places="0.000001")
    if (lat in (None, "")) != (lng in (None, "")):
        errors.add("lat" if lat in (None, "") else "lng", _("Enter the latitude and the longitude together."))
        return None, None
    if la is not None and ln is not None and not _in_china(la, ln):
        errors.add("lat", _("This location lies outside China; check the latitude and longitude (not swapped?)."))
        return None, None
    return la, ln


def _parse_line_text(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return False
    points = []
    for raw in text.replace(";", "\n").replace("；", "\n").splitlines():
        raw = raw.strip().replace("，", ",")
        if not raw:
            continue
        parts = [p for p in raw.replace(",", " ").split() if p]
        if len(parts) != 2:
            return False
        points.append(parts)
    return points


def clean_line(value: Any, *, errors: Errors, field: str = "line") -> list[list[float]] | None:
    """The line as ``[[lat, lng], ...]`` (2–200 points inside China), from a list or from text (JSON or one
    "lat, lng" pair per line); None when blank."""
    if value in (None, "", []):
        return None
    raw = _parse_line_text(value) if isinstance(value, str) else value
    if raw is None:
        return None
    bad = _("Enter the line as points “latitude, longitude”, one per line.")
    if raw is False or not isinstance(raw, list | tuple):
        errors.add(field, bad)
        return None
    if not MIN_POINTS <= len(raw) <= MAX_POINTS:
        errors.add(field, _("A line has between %(low)s and %(high)s points.") % {"low": MIN_POINTS, "high": MAX_POINTS})
        return None
    out: list[list[float]] = []
    for i, point in enumerate(raw, start=1):
        if not isinstance(point, list | tuple) or len(point) != 2 or any(isinstance(v, bool) for v in point):
            errors.add(field, bad)
            return None
        sub = Errors()
        la = clean_decimal(point[0], field="lat", errors=sub, low=Decimal(-90), high=Decimal(90), places="0.000001")
        ln = clean_decimal(point[1], field="lng", errors=sub, low=Decimal(-180), high=Decimal(180), places="0.000001")
        if sub.details or la is None or ln is None:
            errors.add(field, _("Point %(n)s: the latitude lies between -90 and 90, the longitude between -180 and 180.") % {"n": i})
            return None
        if not _in_china(la, ln):
            errors.add(field, _("Point %(n)s lies outside China; check the latitude and longitude (not swapped?).") % {"n": i})
            return None
        out.append([float(la), float(ln)])
    return out


def haversine_m(a: list[float], b: list[float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def line_length_m(line: list[list[float]]) -> int:
    return round(sum(haversine_m(line[i], line[i + 1]) for i in range(len(line) - 1)))


# --- segments ----------------------------------------------------------------------------------


def segment_snapshot(s: RoadSegment) -> dict[str, Any]:
    return {"name": s.name, "start_name": s.start_name, "end_name": s.end_name, "points": len(s.line or []), "length_m": s.length_m,
            "is_active": s.is_active, "community": s.community_id}


DUPLICATE_NAME = _("This community already has a road segment with this name.")
# the database's backstop of the name check (two administrators creating the same name at once): the same field error
UNIQUE_NAME = {"vol_road_unique_name": ("name", DUPLICATE_NAME)}


def _clean_segment(data: dict[str, Any], community: Region, exclude: int | None = None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["name"] = _text(data.get("name"), field="name", errors=errors, required=_("Enter the name of the road segment."), max_length=100)
    out["start_name"] = _text(data.get("start_name"), field="start_name", errors=errors, max_length=100)
    out["end_name"] = _text(data.get("end_name"), field="end_name", errors=errors, max_length=100)
    line = clean_line(data.get("line"), errors=errors)
    out["line"] = line
    if line:
        out["length_m"] = line_length_m(line)
    else:
        length = clean_decimal(data.get("length_m"), field="length_m", errors=errors, low=Decimal(1), high=Decimal(MAX_LENGTH_M), places="1")
        out["length_m"] = int(length) if length is not None else None
    if out["name"] and RoadSegment.objects.filter(community=community, name=out["name"]).exclude(pk=exclude or 0).exists():
        errors.add("name", DUPLICATE_NAME)
    errors.raise_if_any()
    return out


@transaction.atomic
def segment_create(*, actor: Actor, community: Any, name: Any, start_name: Any = "", end_name: Any = "", line: Any = None,
                   length_m: Any = None) -> RoadSegment:
    """A community's new road segment (the unique name per community is checked here and by the database)."""
    require(actor, perms.ROAD_MANAGE)
    region = common.acting_community(actor, perms.ROAD_MANAGE, community)
    region = Region.objects.select_for_update().get(pk=region.pk)
    clean = _clean_segment({"name": name, "start_name": start_name, "end_name": end_name, "line": line, "length_m": length_m}, region)
    s = RoadSegment(community=region, region_path=region.path, created_by=_user(actor), **clean)
    audited_save(s, actor=actor, verb="volunteering.road_segment.create", snap=segment_snapshot, unique=UNIQUE_NAME, module=MODULE)
    return s


def _lock_segment(actor: Actor, segment: Any, action: str = perms.ROAD_MANAGE) -> RoadSegment:
    found = scoped(RoadSegment.objects.filter(pk=key_of(segment)), actor, action).first()
    if found is None:
        raise NotFound()
    return RoadSegment.objects.select_for_update(of=("self",)).select_related("community").get(pk=found.pk)


@transaction.atomic
def segment_update(*, actor: Actor, segment: Any, name: Any, start_name: Any = "", end_name: Any = "", line: Any = None,
                   length_m: Any = None) -> RoadSegment:
    require(actor, perms.ROAD_MANAGE)
    s = _lock_segment(actor, segment)
    clean = _clean_segment({"name": name, "start_name": start_name, "end_name": end_name, "line": line, "length_m": length_m},
                           s.community, exclude=s.pk)
    audited_save(s, actor=actor, verb="volunteering.road_segment.update", changes=clean, snap=segment_snapshot, unique=UNIQUE_NAME,
                 always=True, module=MODULE)
    return s


@transaction.atomic
def segment_set_active(*, actor: Actor, segment: Any, active: bool) -> RoadSegment:
    """Deactivate a segment (its active chiefs' assignments end today) or activate it again."""
    require(actor, perms.ROAD_MANAGE)
    s = _lock_segment(actor, segment)
    if s.is_active == bool(active):
        raise TransitionError(_("The road segment is already active.") if active else _("The road segment is already deactivated."))
    ended: list[int] = []
    if not active:
        today = timezone.localdate()
        for c in RoadChief.objects.select_for_update().filter(segment=s, is_active=True):
            c.is_active, c.until = False, max(today, c.since)
            c.save(update_fields=["is_active", "until", "updated_at"])
            ended.append(c.pk)
    s.is_active = bool(active)
    s.save(update_fields=["is_active", "updated_at"])
    verb = "activate" if active else "deactivate"
    audit.record(actor=actor, verb=f"volunteering.road_segment.{verb}", target=s, changes={"is_active": s.is_active, "chiefs_ended": ended})
    registry.bump(MODULE)
    return s


# --- chiefs ------------------------------------------------------------------------------------


def _duplicate_chief() -> Conflict:
    msg = _("This member is already an active road chief of this segment.")
    return Conflict(msg, code="duplicate", details={"member": [msg]})


@transaction.atomic
def chief_assign(*, actor: Actor, segment: Any, member: Any, since: Any = None) -> RoadChief:
    """Assign a member with a confirmed report-in to the segment's community as its road chief."""
    require(actor, perms.ROAD_MANAGE)
    s = _lock_segment(actor, segment)
    errors = Errors()
    if not s.is_active:
        raise TransitionError(_("The road segment is deactivated; activate it before assigning road chiefs."))
    m = Member.objects.filter(pk=_pk(member), is_active=True).first()
    if m is None:
        errors.add("member", _("Choose a member."))
    else:
        r = common.active_report_in(m, confirmed_only=True)
        if r is None or r.community_id != s.community_id:
            errors.add("member", _("Only members whose report-in to this community is confirmed can be road chiefs here."))
    day = clean_date(since, field="since", errors=errors) or timezone.localdate()
    if day > timezone.localdate() + dt.timedelta(days=366) or day.year < 2000:
        errors.add("since", _("Enter a date between 2000 and next year."))
    errors.raise_if_any()
    assert m is not None
    if RoadChief.objects.filter(segment=s, member=m, is_active=True).exists():
        raise _duplicate_chief()
    c = RoadChief(segment=s, member=m, region_path=s.region_path, since=day, assigned_by=_user(actor))
    save_unique(c, _duplicate_chief)
    audit.record(actor=actor, verb="volunteering.road_chief.assign", target=c,
                 changes={"segment": s.pk, "member": m.pk, "since": day})
    registry.bump(MODULE)
    if m.user_id:
        notify.send([m.user], verb="volunteering.road_chief.assigned", title=_("You are now road chief of %(name)s") % {"name": s.name},
                    url=_my_url(), target=c)
    return c


@transaction.atomic
def chief_end(*, actor: Actor, chief: Any, until: Any = None) -> RoadChief:
    require(actor, perms.ROAD_MANAGE)
    found = scoped(RoadChief.objects.filter(pk=key_of(chief)), actor, perms.ROAD_MANAGE).first()
    if found is None:
        raise NotFound()
    c = RoadChief.objects.select_for_update().get(pk=found.pk)
    if not c.is_active:
        raise TransitionError(_("This road chief assignment has already ended."))
    errors = Errors()
    day = clean_date(until, field="until", errors=errors) or timezone.localdate()
    if day < c.since:
        errors.add("until", _("The end date cannot be before the start date."))
    errors.raise_if_any()
    c.is_active, c.until = False, day
    c.save(update_fields=["is_active", "until", "updated_at"])
    audit.record(actor=actor, verb="volunteering.road_chief.end", target=c, changes={"until": day})
    registry.bump(MODULE)
    return c


# --- patrols (a road chief from his phone) -----------------------------------------------------------


def _my_url() -> str:
    from django.urls import reverse

    return reverse("volunteering:my_patrols")


def chief_segment(actor: Actor, segment: Any) -> tuple[Member, RoadSegment]:
    """The acting member and one of HIS active segments; any other segment is NotFound."""
    require(actor, perms.PATROL)
    member = common.actor_member(actor)
    assert member is not None
    seg = RoadSegment.objects.filter(pk=key_of(segment), is_active=True, chiefs__member=member, chiefs__is_active=True).select_related(
        "community").first()
    if seg is None:
        raise NotFound()
    return member, seg


def _clean_when(value: Any, errors: Errors, field: str = "at") -> dt.datetime:
    now = _now()
    if value in (None, ""):
        return now
    when = value
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            when = parse_datetime(value.strip().replace(" ", "T"))
        except ValueError:
            when = None
    if not isinstance(when, dt.datetime):
        errors.add(field, _("Enter a date and time."))
        return now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now + FUTURE_TOLERANCE:
        errors.add(field, _("The time cannot be in the future."))
    elif when < now - dt.timedelta(days=366):
        errors.add(field, _("The time lies more than a year back."))
    return when


def _clean_photo(photo: Any, errors: Errors) -> Any:
    if photo in (None, b"", ""):
        return None
    try:
        return clean_image(photo, field="photo", max_bytes=PHOTO_MAX_BYTES)
    except ValidationError as exc:
        errors.catch(exc)
        return None


def _store(obj: PatrolLog | PatrolReport, image: Any) -> None:
    """Save the record with its cleaned photo (a random name); the file goes away again if the row cannot be saved."""
    if image is not None:
        obj.photo.save(image.random_name(), ContentFile(image.content), save=False)
    try:
        obj.save()
    except Exception:
        if image is not None:
            obj.photo.delete(save=False)
        raise


@transaction.atomic
def patrol_log(*, actor: Actor, segment: Any, at: Any = None, notes: Any = "", photo: Any = None, lat: Any = None,
               lng: Any = None) -> PatrolLog:
    """A road chief records a patrol on one of his segments (time: now by default, never in the future)."""
    member, seg = chief_segment(actor, segment)
    errors = Errors()
    when = _clean_when(at, errors)
    text = _text(notes, field="notes", errors=errors, max_length=2000, multiline=True)
    la, ln = clean_point(lat, lng, errors=errors)
    image = _clean_photo(photo, errors)
    errors.raise_if_any()
    log = PatrolLog(segment=seg, member=member, region_path=seg.region_path, at=when, notes=text, lat=la, lng=ln)
    _store(log, image)
    audit.record(actor=actor, verb="volunteering.patrol.log", target=log,
                 changes={"segment": seg.pk, "at": when, "photo": bool(image), "location": la is not None})
    registry.bump(MODULE)
    return log


def _category(value: Any, errors: Errors) -> Any:

    if value in (None, ""):
        return None
    cat = MatterCategory.objects.filter(pk=_pk(value), is_active=True).first()
    if cat is None:
        errors.add("category", _("Unknown or deactivated category."))
    elif MatterCategory.objects.filter(parent=cat, is_active=True).exists():
        errors.add("category", _("Choose the most specific category (one without subcategories)."))
        cat = None
    return cat


def _admins_of(region: Region) -> list[Any]:
    return notify.recipients(roles=[Role.COMMUNITY_ADMIN], region=region)


def _report_url(report: PatrolReport) -> str:
    from django.urls import reverse

    return reverse("volunteering:road_report_detail", args=[report.pk])


@transaction.atomic
def report_create(*, actor: Actor, segment: Any, title: Any, description: Any = "", category: Any = None, photo: Any = None,
                  lat: Any = None, lng: Any = None, patrol: Any = None) -> PatrolReport:
    """A road chief reports a problem found on his segment; the community's administrators are told."""
    member, seg = chief_segment(actor, segment)
    errors = Errors()
    t = _text(title, field="title", errors=errors, required=_("Say in a few words what the problem is."), max_length=200)
    desc = _text(description, field="description", errors=errors, max_length=4000, multiline=True)
    cat = _category(category, errors)
    la, ln = clean_point(lat, lng, errors=errors)
    log = None
    if patrol not in (None, ""):
        log = PatrolLog.objects.filter(pk=_pk(patrol), segment=seg, member=member).first()
        if log is None:
            errors.add("patrol", _("Choose one of your patrols on this segment."))
    image = _clean_photo(photo, errors)
    errors.raise_if_any()
    r = PatrolReport(segment=seg, patrol=log, member=member, region_path=seg.region_path, category=cat, title=t, description=desc,
                     lat=la, lng=ln, reported_at=_now())
    _store(r, image)
    audit.record(actor=actor, verb="volunteering.patrol_report.create", target=r,
                 changes={"segment": seg.pk, "title": t, "category": cat.pk if cat else None, "photo": bool(image)})
    registry.bump(MODULE)
    notify.send(_admins_of(seg.community), verb="volunteering.patrol_report.created",
                title=_("New patrol report on %(segment)s: %(title)s") % {"segment": seg.name, "title": t}, url=_report_url(r), target=r)
    return r


# --- the community handles a report -------------------------------------------------------------


def _lock_report(actor: Actor, report: Any) -> PatrolReport:
    found = scoped(PatrolReport.objects.filter(pk=key_of(report)), actor, perms.PATROL_HANDLE).first()
    if found is None:
        raise NotFound()
    related = ("segment", "segment__community", "member", "member__user")
    return PatrolReport.objects.select_for_update(of=("self",)).select_related(*related).get(pk=found.pk)


def _check(r: PatrolReport, to: str) -> None:
    if r.status == PatrolReportStatus.MATTER and not PATROL_REPORT_TRANSITIONS.allows(r.status, to):
        raise TransitionError(_("This report has already been turned into a matter (%(number)s).")
                              % {"number": r.matter.number if r.matter else "—"})
    PATROL_REPORT_TRANSITIONS.check(r, to, message=_("A report in status “%(from)s” cannot be changed to “%(to)s”."))


def _finish(actor: Actor, r: PatrolReport, to: str, fields: list[str], *, verb: str, changes: dict[str, Any]) -> PatrolReport:
    before = r.status
    r.status, r.handled_at, r.handled_by = to, _now(), _user(actor)
    r.save(update_fields=["status", "handled_at", "handled_by", "updated_at", *fields])
    audit.record(actor=actor, verb=f"volunteering.patrol_report.{verb}", target=r,
                 changes={"status": {"before": before, "after": to}, **changes})
    registry.bump(MODULE)
    if to != PatrolReportStatus.HANDLING and r.member.user_id:
        notify.send([r.member.user], verb=f"volunteering.patrol_report.{verb}",
                    title=_("Your patrol report “%(title)s”: %(status)s") % {"title": r.title, "status": PatrolReportStatus(to).label},
                    body=r.resolution, url=_my_url(), target=r)
    return r


@transaction.atomic
def report_handle(*, actor: Actor, report: Any) -> PatrolReport:
    """The community takes the report up itself."""
    require(actor, perms.PATROL_HANDLE)
    r = _lock_report(actor, report)
    _check(r, PatrolReportStatus.HANDLING)
    return _finish(actor, r, PatrolReportStatus.HANDLING, [], verb="handle", changes={})


def _required_text(value: Any, field: str, message: Any) -> str:
    errors = Errors()
    text = _text(value, field=field, errors=errors, required=message, max_length=2000, multiline=True)
    errors.raise_if_any()
    return text


def _close_with_text(actor: Actor, report: Any, to: str, text: Any, *, field: str, required: Any, verb: str) -> PatrolReport:
    require(actor, perms.PATROL_HANDLE)
    r = _lock_report(actor, report)
    _check(r, to)
    r.resolution = _required_text(text, field, required)
    return _finish(actor, r, to, ["resolution"], verb=verb, changes={field: r.resolution})


@transaction.atomic
def report_solve(*, actor: Actor, report: Any, resolution: Any) -> PatrolReport:
    """The community solved the problem itself: what was done."""
    return _close_with_text(actor, report, PatrolReportStatus.SOLVED, resolution, field="resolution", required=_("Say what was done."),
                            verb="solve")


@transaction.atomic
def report_reject(*, actor: Actor, report: Any, reason: Any) -> PatrolReport:
    """Not a problem (or a duplicate): the reason is kept and told to the road chief."""
    return _close_with_text(actor, report, PatrolReportStatus.REJECTED, reason, field="reason", required=_("Give a reason."), verb="reject")


def _phone(member: Member) -> str:
    try:
        return pii.decrypt(member.phone_enc) if member.phone_enc else ""
    except pii.DecryptionError:
        return ""


def _attach_photo(actor: Actor, r: PatrolReport, matter: Any) -> None:
    """Copy the report's photo to the matter (already cleaned); a failure keeps the matter without it."""

    if not r.photo:
        return
    try:
        with r.photo.open("rb") as fh:
            data = fh.read()
        with transaction.atomic():
            matter_attach(actor=actor, matter=matter, upload=data, filename=f"patrol-report-{r.pk}.{str(r.photo.name).rsplit('.', 1)[-1]}")
    except (DomainError, OSError):
        pass


@transaction.atomic
def report_to_matter(*, actor: Actor, report: Any, urgency: Any = None) -> PatrolReport:
    """Turn the report into a matter of the escalation workflow, owned by the segment's community (one matter, ever)."""

    require(actor, perms.PATROL_HANDLE)
    r = _lock_report(actor, report)
    _check(r, PatrolReportStatus.MATTER)
    seg = r.segment
    location = f"（{r.lat}, {r.lng}）" if r.lat is not None else ""
    place = " ".join(p for p in [seg.name, f"{seg.start_name}—{seg.end_name}" if seg.start_name or seg.end_name else ""] if p)
    phone = _phone(r.member)
    m = matter_report(actor=actor, title=r.title, description=r.description, category=r.category, urgency=urgency,
                      community=seg.community, address=f"{place}{location}"[:255], lat=r.lat, lng=r.lng, source=MatterSource.ROAD_CHIEF,
                      reporter_name=r.member.name, reporter_phone=phone, source_ref=f"patrol-report:{r.pk}")
    if phone:  # the member's full phone number was read (and handed to the matter, where it stays encrypted)
        audit.record_pii_read(actor=actor, target=r.member, fields=["phone"])
    _attach_photo(actor, r, m)
    r.matter = m
    return _finish(actor, r, PatrolReportStatus.MATTER, ["matter"], verb="to_matter", changes={"matter": m.pk, "number": m.number})


REPORT_ACTIONS: dict[str, Any] = {"handle": report_handle, "solve": report_solve, "reject": report_reject, "to-matter": report_to_matter}
