"""Writes of members' report-in (双报到), half-year feedback receipts (回执) and pledges (亮身份、作承诺、当先锋).

Every function takes ``actor=`` keyword-only, checks the permission matrix, validates every field before writing
(nothing is written on error), runs in one transaction, locks what two people can change at once, writes an audit
event, bumps the volunteering figures and tells the person who waits for the outcome.

Decisions:

* **Which communities.** A member reports in to a community (level community, active) of *his* city: the city of
  his party organisation (the first code of ``Member.region_path``). A region of another city, or a region that is not
  a community, is refused with a clear message.
* **One active report-in.** Reporting in again while one is pending or confirmed is refused, unless the member says
  he is moving home (``move=True``): the old one is ended (``end_reason``) and the new one created, pending, in the
  same transaction under a lock on the member's row (the partial unique constraint keeps it if two requests race).
  ``Member.home_community`` is left as it is: the report-in records where he serves.
* **Receipts.** One per report-in and half-year (``2026H1`` = January–June, ``2026H2`` = July–December), for a
  confirmed report-in, for a half-year that has begun. Issuing again *refreshes* the snapshot (figures recomputed,
  issue date and issuer updated; the remark replaced when a new one is given, kept otherwise): the unit always gets
  the latest figures and there is never a second receipt for the same half-year. Figures count the CONFIRMED hour
  records of the report-in's community dated in the half-year, the distinct activities of those records, the posts
  approved (held) in that community, the pledges of that year made and fulfilled, and points (the hour records'
  points plus the point rule's ``per_pledge`` for a pledge of the year marked fulfilled within the half-year). Issuing
  for a whole community is set-based (four grouped reads, one bulk insert, one bulk update) and writes one audit event
  for the batch (how many issued, how many refreshed); issuing one receipt writes one event (``issue`` or ``refresh``).
* **Pledges.** One per member and year, made in the community of his confirmed report-in; editable while "made";
  the community marks it fulfilled or not with a remark.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.accounts.choices import Role
from gongjian.core import audit, notify, pii, registry
from gongjian.core.errors import Conflict, NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, audited_save, key_of, text_field
from gongjian.core.permissions import require
from gongjian.core.scope import region_paths, scoped
from gongjian.core.validation import Errors, clean_date
from gongjian.orgs.models import Member
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import permissions as perms
from ..choices import PLEDGE_TRANSITIONS, REPORT_IN_TRANSITIONS, HoldingStatus, HourStatus, PledgeStatus, ReportInStatus
from ..common import MODULE, active_report_in, actor_member, in_paths, point_rule
from ..common import pk_of as _pk
from ..common import user_or_none as _user
from ..models import FeedbackReceipt, HourRecord, MemberReportIn, Pledge, PostHolding

PERIOD_RE = re.compile(r"^(\d{4})H([12])$")
FIRST_YEAR = 2000
ADMIN_ROLES = (Role.COMMUNITY_ADMIN,)
VERBS: dict[str, str] = {ReportInStatus.CONFIRMED: "confirm", ReportInStatus.REJECTED: "reject", ReportInStatus.ENDED: "end"}


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate()




def _text(value: Any, **kw: Any) -> str:
    return text_field(value, **{"max_length": 300, **kw})


def _reason(value: Any, *, required: bool = True, field: str = "reason") -> str:
    errors = Errors()
    text = _text(value, field=field, errors=errors, required=_("Give a reason.") if required else None, multiline=True)
    errors.raise_if_any()
    return text


def city_path(member: Member) -> str:
    """The path of the member's city: the first code of his party organisation's region (then home, then unit)."""
    for path in (member.region_path, member.home_path):
        codes = [c for c in (path or "").strip("/").split("/") if c]
        if codes:
            return f"/{codes[0]}/"
    return ""


def _notify_member(member: Member, *, verb: str, title: Any, body: Any = "", url: str = "", target: Any = None) -> None:
    if member.user_id:
        notify.send([member.user], verb=verb, title=str(title), body=str(body), url=url, target=target)


def _home_url() -> str:
    return reverse("volunteering:my_community")


# --- report-in ------------------------------------------------------------------------------------


def report_in_snapshot(r: MemberReportIn) -> dict[str, Any]:
    return {"member": r.member_id, "community": r.community_id, "unit": r.unit_id, "status": r.status, "skills": r.skills}


def _already_active(active: MemberReportIn) -> Conflict:
    msg = (_("You have already reported in to %(community)s (%(status)s). If you have moved home, choose “I have moved” to end it "
             "and report in to your new community.") % {"community": active.community.name, "status": active.get_status_display()})
    return Conflict(msg, code="duplicate", details={"community": [msg]})


def clean_report_in(member: Member, data: dict[str, Any]) -> dict[str, Any]:
    """Check the community (a community of the member's city) and the ID number (against the member record's keyed hash)."""
    errors = Errors()
    out: dict[str, Any] = {}
    pk = _pk(data.get("community"))
    community = Region.objects.filter(pk=pk).first() if pk else None
    if not pk:
        errors.add("community", _("Choose your community."))
    elif community is None or not community.is_active:
        errors.add("community", _("This community does not exist or is no longer active; choose another."))
        community = None
    elif community.level != Level.COMMUNITY:
        errors.add("community", _("“%(name)s” is not a community; choose the community (社区) where you live.") % {"name": community.name})
        community = None
    elif not community.path.startswith(city_path(member) or "\x00"):
        errors.add("community", _("“%(name)s” is not in this city; you can only report in to a community of the city.")
                   % {"name": community.full_name or community.name})
        community = None
    out["community"] = community
    raw = data.get("id_number")
    if not isinstance(raw, str) or not raw.strip():
        errors.add("id_number", _("Enter your ID number."))
    else:
        try:
            normalized = pii.normalize_id_number(raw)
        except ValidationError as exc:
            errors.catch(exc)
        else:
            if pii.lookup_hash(normalized) != member.id_number_hash:
                errors.add("id_number", _("This ID number does not match your party member record; check it, or ask your branch to "
                                          "correct the record."))
    out["skills"] = _text(data.get("skills"), field="skills", errors=errors, max_length=200)
    errors.raise_if_any()
    return out


@transaction.atomic
def report_in(*, actor: Actor, community: Any, id_number: Any, skills: Any = "", move: bool = False, reason: Any = "") -> MemberReportIn:
    """The member reports in to the community where he lives (pending until the community confirms).

    With an active report-in he is refused, unless ``move``: then the old one ends (``reason`` or "moved home") and the
    new one is created in the same transaction."""
    require(actor, perms.REPORT_IN_SELF)
    member = actor_member(actor)
    assert member is not None
    if not member.in_service:
        raise ValidationError(_("Only in-service members report in to their community; your record does not say you are in service."))
    clean = clean_report_in(member, {"community": community, "id_number": id_number, "skills": skills})
    end_reason = _reason(reason, required=False)
    Member.objects.select_for_update().filter(pk=member.pk).first()
    active = active_report_in(member)
    target: Region = clean["community"]
    if active is not None:
        if not move:
            raise _already_active(active)
        if active.community_id == target.pk:
            msg = _("You are already reported in to %(community)s; choose another community when you move.") % {"community": target.name}
            raise Conflict(msg, code="duplicate", details={"community": [msg]})
        old = MemberReportIn.objects.select_for_update().get(pk=active.pk)
        _check_transition(old, ReportInStatus.ENDED)
        before = old.status
        old.status, old.ended_at = ReportInStatus.ENDED, _now()
        old.end_reason = end_reason or str(_("Moved home to %(community)s") % {"community": target.name})
        old.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
        audit.record(actor=actor, verb="volunteering.report_in.end", target=old,
                     changes={"status": {"before": before, "after": old.status}, "reason": old.end_reason, "moved_to": target.pk})
    r = MemberReportIn(member=member, community=target, region_path=target.path, unit=member.employer_unit, status=ReportInStatus.PENDING,
                       skills=clean["skills"], reported_at=_now())
    audited_save(r, conflict=lambda: Conflict(_("You have already reported in; reload the page."), code="duplicate"), actor=actor,
                    verb="volunteering.report_in.create", snap=report_in_snapshot, module=MODULE)
    admins = notify.recipients(roles=ADMIN_ROLES, region=target)
    notify.send(admins, verb="volunteering.report_in.create", title=_("%(name)s reported in to %(community)s")
                % {"name": member.name, "community": target.name}, url=reverse("volunteering:report_in_list") + "?status=pending", target=r)
    return r


def _check_transition(r: MemberReportIn, to: str) -> None:
    REPORT_IN_TRANSITIONS.check(r, to, message=_("A report-in in status “%(from)s” cannot be changed to “%(to)s”."))


def _get_report_in(actor: Actor, report_in: Any) -> MemberReportIn:
    pk = key_of(report_in)
    if not scoped(MemberReportIn.objects.filter(pk=pk), actor, perms.REPORT_IN_CONFIRM).exists():
        raise NotFound()
    return MemberReportIn.objects.select_for_update(of=("self",)).select_related("member", "member__user", "community").get(pk=pk)


def _transition(actor: Actor, report_in: Any, to: str, *, reason: str = "") -> MemberReportIn:
    require(actor, perms.REPORT_IN_CONFIRM)
    r = _get_report_in(actor, report_in)
    _check_transition(r, to)
    before = r.status
    r.status = to
    fields = ["status", "updated_at"]
    if to == ReportInStatus.CONFIRMED:
        r.confirmed_at, r.confirmed_by = _now(), _user(actor)
        fields += ["confirmed_at", "confirmed_by"]
    elif to == ReportInStatus.REJECTED:
        r.rejected_reason = reason
        fields.append("rejected_reason")
    elif to == ReportInStatus.ENDED:
        r.ended_at, r.end_reason = _now(), reason
        fields += ["ended_at", "end_reason"]
    r.save(update_fields=fields)
    changes: dict[str, Any] = {"status": {"before": before, "after": to}}
    if reason:
        changes["reason"] = reason
    audit.record(actor=actor, verb=f"volunteering.report_in.{VERBS[to]}", target=r, changes=changes)
    registry.bump(MODULE)
    return r


@transaction.atomic
def report_in_confirm(*, actor: Actor, report_in: Any) -> MemberReportIn:
    """The community confirms a pending report-in; the member is told."""
    r = _transition(actor, report_in, ReportInStatus.CONFIRMED)
    _notify_member(r.member, verb="volunteering.report_in.confirm", title=_("%(community)s confirmed your report-in")
                   % {"community": r.community.name}, url=_home_url(), target=r)
    return r


def _close_with_reason(actor: Actor, report_in: Any, reason: Any, to: str, verb: str, title: Any) -> MemberReportIn:
    text = _reason(reason)
    r = _transition(actor, report_in, to, reason=text)
    _notify_member(r.member, verb=f"volunteering.report_in.{verb}", title=title % {"community": r.community.name}, body=text,
                   url=_home_url(), target=r)
    return r


@transaction.atomic
def report_in_reject(*, actor: Actor, report_in: Any, reason: Any) -> MemberReportIn:
    """The community declines a pending report-in with a reason; the member is told (and may report in again)."""
    return _close_with_reason(actor, report_in, reason, ReportInStatus.REJECTED, "reject",
                              _("%(community)s did not accept your report-in"))


@transaction.atomic
def report_in_end(*, actor: Actor, report_in: Any, reason: Any) -> MemberReportIn:
    """The community ends a report-in (the member moved away, left the unit …); the member is told."""
    return _close_with_reason(actor, report_in, reason, ReportInStatus.ENDED, "end", _("%(community)s ended your report-in"))


REPORT_IN_ACTIONS = {"confirm": report_in_confirm, "reject": report_in_reject, "end": report_in_end}


# --- half-year receipts ---------------------------------------------------------------------------


def parse_period(value: Any) -> tuple[str, dt.date, dt.date]:
    """``"2026H1"`` → (period, 2026-01-01, 2026-06-30); a half-year that has not begun is refused."""
    text = str(value or "").strip().upper() if isinstance(value, str) else ""
    m = PERIOD_RE.match(text)
    if not m:
        raise ValidationError.for_field("period", _("Enter a half-year such as 2026H1 (January–June) or 2026H2 (July–December)."))
    year, half = int(m.group(1)), int(m.group(2))
    start = dt.date(year, 1 if half == 1 else 7, 1)
    end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
    if year < FIRST_YEAR or start > _today():
        raise ValidationError.for_field("period", _("This half-year has not begun yet; choose a half-year up to the current one."))
    return text, start, end


def current_period(today: dt.date | None = None) -> str:
    d = today or _today()
    return f"{d.year}H{1 if d.month <= 6 else 2}"


def _figures(report_ins: list[MemberReportIn], start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """The receipt's figures for many report-ins at once: four grouped queries whatever their number."""
    if not report_ins:
        return {}
    members = [r.member_id for r in report_ins]
    by_community: dict[int, list[int]] = defaultdict(list)
    for r in report_ins:
        by_community[r.community_id].append(r.member_id)
    hours: dict[tuple[int, int], Any] = {}
    cond = Q(pk__in=[])
    for community_id, ids in by_community.items():
        cond |= Q(community_id=community_id, member_id__in=ids)
    rows = (HourRecord.objects.filter(cond, status=HourStatus.CONFIRMED, date__gte=start, date__lte=end)
            .values("member_id", "community_id").annotate(h=Sum("hours"), p=Sum("points"), a=Count("activity_id", distinct=True)))
    for row in rows:
        hours[(row["member_id"], row["community_id"])] = row
    posts: dict[tuple[int, int], list[str]] = defaultdict(list)
    held = (PostHolding.objects.filter(member_id__in=members, post__community_id__in=list(by_community))
            .filter(Q(status=HoldingStatus.APPROVED) | Q(status=HoldingStatus.ENDED, ended_at__date__gte=start))
            .filter(decided_at__date__lte=end).values_list("member_id", "post__community_id", "post__name").order_by("post__name"))
    for member_id, community_id, name in held:
        if name not in posts[(member_id, community_id)]:
            posts[(member_id, community_id)].append(name)
    pledges: dict[int, dict[str, int]] = defaultdict(lambda: {"made": 0, "fulfilled": 0, "fulfilled_in_period": 0})
    for member_id, status, assessed in Pledge.objects.filter(member_id__in=members, year=start.year).values_list("member_id", "status",
                                                                                                                 "assessed_at"):
        p = pledges[member_id]
        p["made"] += 1
        if status == PledgeStatus.FULFILLED:
            p["fulfilled"] += 1
            if assessed is not None and start <= timezone.localtime(assessed).date() <= end:
                p["fulfilled_in_period"] += 1
    per_pledge = point_rule().per_pledge
    out: dict[int, dict[str, Any]] = {}
    for r in report_ins:
        h = hours.get((r.member_id, r.community_id), {})
        p = pledges[r.member_id]
        out[r.pk] = {
            "hours": Decimal(h.get("h") or 0).quantize(Decimal("0.1")), "activities": int(h.get("a") or 0),
            "posts": "、".join(posts[(r.member_id, r.community_id)])[:300],
            "pledges_total": p["made"], "pledges_fulfilled": p["fulfilled"],
            "points": int(h.get("p") or 0) + per_pledge * p["fulfilled_in_period"],
        }
    return out


FIGURE_FIELDS = ["hours", "activities", "posts", "pledges_total", "pledges_fulfilled", "points"]


def receipt_snapshot(rc: FeedbackReceipt) -> dict[str, Any]:
    return {"period": rc.period, **{f: getattr(rc, f) for f in FIGURE_FIELDS}, "remark": rc.remark}


def _issue(actor: Actor, report_ins: list[MemberReportIn], period: str, start: dt.date, end: dt.date, remark: str | None
           ) -> tuple[list[FeedbackReceipt], int, int]:
    figures = _figures(report_ins, start, end)
    existing = {rc.report_in_id: rc for rc in FeedbackReceipt.objects.select_for_update()
                .filter(report_in_id__in=[r.pk for r in report_ins], period=period)}
    now, user = _now(), _user(actor)
    new: list[FeedbackReceipt] = []
    changed: list[FeedbackReceipt] = []
    for r in report_ins:
        rc = existing.get(r.pk)
        if rc is None:
            rc = FeedbackReceipt(report_in=r, member_id=r.member_id, community_id=r.community_id, region_path=r.region_path, unit_id=r.unit_id,
                                 period=period, period_start=start, period_end=end, remark=remark or "")
            new.append(rc)
        else:
            changed.append(rc)
            if remark:
                rc.remark = remark
        for k, v in figures[r.pk].items():
            setattr(rc, k, v)
        rc.issued_at, rc.issued_by = now, user
    FeedbackReceipt.objects.bulk_create(new)
    FeedbackReceipt.objects.bulk_update(changed, [*FIGURE_FIELDS, "remark", "issued_at", "issued_by", "updated_at"])
    return new + changed, len(new), len(changed)


def _clean_issue(remark: Any, period: Any) -> tuple[str, tuple[str, dt.date, dt.date]]:
    """The remark and the half-year of an issue, both checked before anything is written (all errors at once)."""
    errors = Errors()
    text = _text(remark, field="remark", errors=errors, max_length=1000, multiline=True)
    parsed = ("", dt.date.min, dt.date.min)
    try:
        parsed = parse_period(period)
    except ValidationError as exc:
        errors.catch(exc)
    errors.raise_if_any()
    return text, parsed


def _confirmed_report_in(actor: Actor, report_in: Any) -> MemberReportIn:
    pk = key_of(report_in)
    if not scoped(MemberReportIn.objects.filter(pk=pk), actor, perms.RECEIPT_ISSUE).exists():
        raise NotFound()
    r = MemberReportIn.objects.select_for_update(of=("self",)).select_related("member", "member__user", "community").get(pk=pk)
    if r.status != ReportInStatus.CONFIRMED:
        raise ValidationError(_("Receipts are issued for confirmed report-ins only; this one is “%(status)s”.")
                              % {"status": r.get_status_display()})
    return r


@transaction.atomic
def receipt_issue(*, actor: Actor, report_in: Any, period: Any, remark: Any = "") -> FeedbackReceipt:
    """Issue (or refresh) the half-year receipt of one confirmed report-in."""
    require(actor, perms.RECEIPT_ISSUE)
    text, (period_key, start, end) = _clean_issue(remark, period)
    r = _confirmed_report_in(actor, report_in)
    before = FeedbackReceipt.objects.filter(report_in=r, period=period_key).first()
    old = receipt_snapshot(before) if before else {}
    (rc,), created, _refreshed = _issue(actor, [r], period_key, start, end, text or None)
    audit.record(actor=actor, verb="volunteering.receipt.issue" if created else "volunteering.receipt.refresh", target=rc,
                 changes=audit.diff(old, receipt_snapshot(rc)))
    _notify_member(r.member, verb="volunteering.receipt.issue", title=_("%(community)s issued your receipt for %(period)s")
                   % {"community": r.community.name, "period": period_key}, url=reverse("volunteering:receipt_list"), target=rc)
    registry.bump(MODULE)
    return rc


@transaction.atomic
def receipt_issue_all(*, actor: Actor, community: Any, period: Any, remark: Any = "") -> dict[str, int]:
    """Issue (or refresh) the receipts of every confirmed report-in of a community for a half-year, set-based."""
    require(actor, perms.RECEIPT_ISSUE)
    text, (period_key, start, end) = _clean_issue(remark, period)
    pk = _pk(community)
    region = Region.objects.filter(pk=pk, level=Level.COMMUNITY).first() if pk else None
    if region is None:
        raise ValidationError.for_field("community", _("Choose a community."))
    if not in_paths(region.path, region_paths(actor, perms.RECEIPT_ISSUE)):
        raise NotFound()
    report_ins = list(MemberReportIn.objects.select_for_update().filter(community=region, status=ReportInStatus.CONFIRMED).order_by("id"))
    _rows, created, refreshed = _issue(actor, report_ins, period_key, start, end, text or None)
    audit.record(actor=actor, verb="volunteering.receipt.issue_all", target=region, region_path=region.path,
                 changes={"period": period_key, "issued": created, "refreshed": refreshed, "remark": text})
    users = Member.objects.filter(pk__in=[r.member_id for r in report_ins], user__isnull=False).select_related("user")
    notify.send([m.user for m in users], verb="volunteering.receipt.issue",
                title=_("%(community)s issued your receipt for %(period)s") % {"community": region.name, "period": period_key},
                url=reverse("volunteering:receipt_list"))
    registry.bump(MODULE)
    return {"issued": created, "refreshed": refreshed}


# --- pledges --------------------------------------------------------------------------------------


def pledge_snapshot(p: Pledge) -> dict[str, Any]:
    return {"year": p.year, "content": p.content, "due_date": p.due_date, "status": p.status, "remark": p.remark}


def _clean_pledge(data: dict[str, Any], year: int) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {"content": _text(data.get("content"), field="content", errors=errors, required=_("Say what you pledge."),
                                            max_length=1000, multiline=True)}
    due = clean_date(data.get("due_date"), field="due_date", errors=errors)
    if due is None and "due_date" not in errors.details:
        errors.add("due_date", _("Enter the date by which you will fulfil it."))
    elif due is not None and (due.year != year or due < _today()):
        errors.add("due_date", _("Choose a date from today to the end of %(year)s.") % {"year": year})
    out["due_date"] = due
    errors.raise_if_any()
    return out


@transaction.atomic
def pledge_make(*, actor: Actor, content: Any, due_date: Any) -> Pledge:
    """The member makes this year's pledge in the community of his confirmed report-in (one per year)."""
    require(actor, perms.PLEDGE_MAKE)
    member = actor_member(actor)
    assert member is not None
    year = _today().year
    clean = _clean_pledge({"content": content, "due_date": due_date}, year)
    Member.objects.select_for_update().filter(pk=member.pk).first()
    ri = active_report_in(member, confirmed_only=True)
    if ri is None:
        raise ValidationError(_("Report in to your community first; once it confirms you, you can make your pledge."), code="no_report_in")
    if Pledge.objects.filter(member=member, year=year).exists():
        msg = _("You have already made your pledge for %(year)s; you can change it while the community has not assessed it.") % {"year": year}
        raise Conflict(msg, code="duplicate", details={"content": [msg]})
    p = Pledge(member=member, community=ri.community, region_path=ri.community.path, year=year, **clean)
    audited_save(p, conflict=lambda: Conflict(_("You have already made your pledge for %(year)s.") % {"year": year}, code="duplicate"),
                    actor=actor, verb="volunteering.pledge.make", snap=pledge_snapshot, module=MODULE)
    return p


def _own_pledge(actor: Actor, pledge: Any) -> Pledge:
    pk = key_of(pledge)
    if not scoped(Pledge.objects.filter(pk=pk), actor, perms.PLEDGE_MAKE).exists():
        raise NotFound()
    return Pledge.objects.select_for_update().get(pk=pk)


@transaction.atomic
def pledge_update(*, actor: Actor, pledge: Any, content: Any, due_date: Any) -> Pledge:
    """The member changes his pledge while it is "made" (not yet assessed)."""
    require(actor, perms.PLEDGE_MAKE)
    p = _own_pledge(actor, pledge)
    if p.status != PledgeStatus.MADE:
        raise TransitionError(_("The community has already assessed this pledge; it can no longer be changed."))
    clean = _clean_pledge({"content": content, "due_date": due_date}, p.year)
    audited_save(p, actor=actor, verb="volunteering.pledge.update", changes=clean, snap=pledge_snapshot, always=True,
                 update_fields=["content", "due_date", "updated_at"])
    return p


@transaction.atomic
def pledge_assess(*, actor: Actor, pledge: Any, fulfilled: Any, remark: Any = "") -> Pledge:
    """The community marks a pledge fulfilled or not, with a remark (required when not fulfilled); the member is told."""
    require(actor, perms.PLEDGE_ASSESS)
    pk = key_of(pledge)
    if not scoped(Pledge.objects.filter(pk=pk), actor, perms.PLEDGE_ASSESS).exists():
        raise NotFound()
    if fulfilled not in (True, False, "1", "0", "true", "false", 1, 0):
        raise ValidationError.for_field("fulfilled", _("Say whether the pledge was fulfilled."))
    done = fulfilled in (True, "1", "true", 1)
    errors = Errors()
    text = _text(remark, field="remark", errors=errors, max_length=500, multiline=True,
                 required=None if done else _("Say why the pledge was not fulfilled."))
    errors.raise_if_any()
    p = Pledge.objects.select_for_update(of=("self",)).select_related("member", "member__user").get(pk=pk)
    to = PledgeStatus.FULFILLED if done else PledgeStatus.NOT_FULFILLED
    PLEDGE_TRANSITIONS.check(p, to, message=_("This pledge has already been assessed (“%(status)s”)."))
    audited_save(p, actor=actor, verb="volunteering.pledge.assess", snap=pledge_snapshot, module=MODULE,
                 changes={"status": to, "remark": text, "assessed_at": _now(), "assessed_by": _user(actor)},
                 update_fields=["status", "remark", "assessed_at", "assessed_by", "updated_at"])
    _notify_member(p.member, verb="volunteering.pledge.assess", title=_("Your pledge for %(year)s: %(status)s")
                   % {"year": p.year, "status": p.get_status_display()}, body=text, url=_home_url(), target=p)
    return p
