"""Writes of co-building projects: the lifecycle (propose with needs and committed resources, agree, start,
complete, rate, cancel) and the plan and progress (milestones, progress notes and their photos).

``cobuild.services`` re-exports the lifecycle (``services.project_create`` …). Same rules as ``cobuild.services``:
``actor=`` keyword-only, the permission matrix first, the
project found inside the actor's scope (outside = NotFound) and locked, every field validated
before anything is written, one audit event per write, one transaction.

Decisions:

* **Milestones** and the plan text can be changed while the project is proposed, agreed or in
  progress; once it is done, rated or cancelled its plan is history and stays as it was.
* **Progress notes** can be written once the unit has agreed, while the work is in progress and
  after it is done (the final photos, before the community rates it) — i.e. in *agreed*,
  *in progress* and *done*. A proposed project has no progress yet; a rated or cancelled one is
  closed.
* A note has 1–4000 characters of text, an optional progress percentage (0–100) and 0–6 photos.
  Every photo is checked and cleaned (``core.images``) **before** anything is written: one bad
  photo refuses the whole note. Files written before a failure inside the service are deleted
  again; if a caller's outer transaction rolls back later, the files it wrote have no row and are
  listed by ``orphan_photo_files`` (Django has no rollback hook).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.images import CleanImage, clean_image
from gongjian.core.kernel import Actor, account_of, audited_save, clean_reason
from gongjian.core.params import int_param
from gongjian.core.permissions import require
from gongjian.core.scope import scoped
from gongjian.core.validation import Errors, clean_date, clean_decimal, clean_text
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.models import Region

from .. import lookup
from .. import permissions as perms
from ..choices import (
    PROJECT_NEED_STATUSES,
    PROJECT_RATING_MAX,
    PROJECT_RATING_MIN,
    PROJECT_TRANSITIONS,
    NeedStatus,
    ProjectStatus,
    ResourceStatus,
)
from ..models import Need, Project, ProjectMilestone, ProjectNeed, ProjectNote, ProjectPhoto, ProjectResource, Resource
from ..selectors import resource_base
from .permissions import PROJECT_PROGRESS

MODULE = "cobuild"

MILESTONE_EDITABLE = frozenset({ProjectStatus.PROPOSED, ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS})
NOTE_OPEN = frozenset({ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS, ProjectStatus.DONE})
MAX_PHOTOS = 6
MAX_MILESTONES = 50
NOTE_MAX_LENGTH = 4000


def _project(actor: Actor, project: Project | int) -> Project:
    require(actor, PROJECT_PROGRESS)
    return lookup.get(Project, actor, PROJECT_PROGRESS, project, lock=True)


def _milestone(p: Project, milestone: ProjectMilestone | int) -> ProjectMilestone:
    pk = milestone.pk if isinstance(milestone, ProjectMilestone) else int_param(milestone)
    m = ProjectMilestone.objects.filter(project=p, pk=pk).first() if pk else None
    if m is None:
        raise NotFound()
    return m


def _require_editable_plan(p: Project) -> None:
    if p.status not in MILESTONE_EDITABLE:
        raise TransitionError(_("The plan of a project in status “%(status)s” can no longer be changed.")
                              % {"status": p.get_status_display()})


def _clean_milestone(data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    title = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=120)
    due_on = clean_date(data.get("due_on"), field="due_on", errors=errors)
    if due_on is not None and not dt.date(2000, 1, 1) <= due_on <= dt.date(2100, 12, 31):
        errors.add("due_on", _("Enter a date between 2000 and 2100."))
    errors.raise_if_any()
    return {"title": title, "due_on": due_on}


def _plan_milestone(actor: Actor, project: Project | int, milestone: ProjectMilestone | int) -> tuple[Project, ProjectMilestone]:
    """The project in the actor's reach and its milestone, once the plan may still be changed."""
    p = _project(actor, project)
    m = _milestone(p, milestone)
    _require_editable_plan(p)
    return p, m


def milestone_snapshot(m: ProjectMilestone) -> dict[str, Any]:
    return {"milestone": m.pk, "title": m.title, "due_on": m.due_on, "done_on": m.done_on}


@transaction.atomic
def milestone_add(*, actor: Actor, project: Project | int, title: Any, due_on: Any = None) -> ProjectMilestone:
    """A step of the plan, appended after the others."""
    p = _project(actor, project)
    _require_editable_plan(p)
    clean = _clean_milestone({"title": title, "due_on": due_on})
    count = p.milestones.count()
    if count >= MAX_MILESTONES:
        raise ValidationError.for_field("title", _("A project has at most %(n)s milestones.") % {"n": MAX_MILESTONES})
    last = p.milestones.order_by("-sort_order").values_list("sort_order", flat=True).first()
    m = ProjectMilestone(project=p, sort_order=(last or 0) + 10)
    audited_save(m, actor=actor, verb="cobuild.project.milestone_add", changes=clean, snap=milestone_snapshot, target=p)
    return m


@transaction.atomic
def milestone_update(*, actor: Actor, project: Project | int, milestone: ProjectMilestone | int, **data: Any) -> ProjectMilestone:
    p, m = _plan_milestone(actor, project, milestone)
    clean = _clean_milestone({"title": data.get("title", m.title), "due_on": data.get("due_on", m.due_on)})
    audited_save(m, actor=actor, verb="cobuild.project.milestone_update", changes=clean, snap=milestone_snapshot, target=p,
                 extra={"milestone": m.pk}, update_fields=["title", "due_on", "updated_at"])
    return m


@transaction.atomic
def milestone_mark_done(*, actor: Actor, project: Project | int, milestone: ProjectMilestone | int, done_on: Any = None) -> ProjectMilestone:
    """The milestone was reached on ``done_on`` (default today; not in the future)."""
    p, m = _plan_milestone(actor, project, milestone)
    errors = Errors()
    day = clean_date(done_on, field="done_on", errors=errors) or timezone.localdate()
    if day > timezone.localdate():
        errors.add("done_on", _("The date cannot be in the future."))
    elif day < dt.date(2000, 1, 1):
        errors.add("done_on", _("Enter a date between 2000 and 2100."))
    errors.raise_if_any()
    if m.done_on is not None:
        raise TransitionError(_("This milestone is already marked as done."))
    m.done_on = day
    m.save(update_fields=["done_on", "updated_at"])
    audit.record(actor=actor, verb="cobuild.project.milestone_done", target=p, changes={"milestone": m.pk, "title": m.title,
                                                                                         "done_on": day})
    return m


@transaction.atomic
def milestone_reopen(*, actor: Actor, project: Project | int, milestone: ProjectMilestone | int) -> ProjectMilestone:
    """Undo "done" (marked by mistake)."""
    p, m = _plan_milestone(actor, project, milestone)
    if m.done_on is None:
        raise TransitionError(_("This milestone is not marked as done."))
    audited_save(m, actor=actor, verb="cobuild.project.milestone_reopen", changes={"done_on": None}, target=p,
                 extra={"milestone": m.pk, "title": m.title}, update_fields=["done_on", "updated_at"])
    return m


@transaction.atomic
def milestone_remove(*, actor: Actor, project: Project | int, milestone: ProjectMilestone | int) -> None:
    p, m = _plan_milestone(actor, project, milestone)
    snap = milestone_snapshot(m)
    m.delete()
    audit.record(actor=actor, verb="cobuild.project.milestone_remove", target=p, changes=audit.diff(snap, {}))


@transaction.atomic
def project_plan_update(*, actor: Actor, project: Project | int, plan: Any) -> Project:
    """Rewrite the plan text (the project's managers, while milestones can still change)."""
    p = _project(actor, project)
    _require_editable_plan(p)
    errors = Errors()
    text = clean_text(plan, field="plan", errors=errors, max_length=8000, multiline=True)
    errors.raise_if_any()
    if text != p.plan:  # an unchanged plan is not written at all
        audited_save(p, actor=actor, verb="cobuild.project.plan_update", changes={"plan": text}, update_fields=["plan", "updated_at"])
    return p


# --- progress notes and photos ---------------------------------------------------------------


def clean_photos(photos: Any) -> list[CleanImage]:
    """Every photo checked and cleaned; the first bad one refuses them all (field ``photos``)."""
    files = [f for f in list(photos or []) if f is not None]
    if len(files) > MAX_PHOTOS:
        raise ValidationError.for_field("photos", _("At most %(n)s photos per note.") % {"n": MAX_PHOTOS})
    out = []
    for i, f in enumerate(files, 1):
        try:
            out.append(clean_image(f, field="photos"))
        except ValidationError as exc:
            name = str(getattr(f, "name", "") or i)[:80]
            msg = _("Photo %(name)s: %(error)s") % {"name": name, "error": exc.message}
            raise ValidationError(msg, details={"photos": [msg]}) from None
    return out


def _clean_progress(value: Any, errors: Errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip().rstrip("%"))
        if not 0 <= number <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("progress", _("Enter a whole number from 0 to 100."))
        return None
    return number


@transaction.atomic
def note_add(*, actor: Actor, project: Project | int, text: Any, progress: Any = None, photos: Any = ()) -> ProjectNote:
    """A progress note with an optional percentage and 0–6 photos; nothing is written if any part is bad."""
    p = _project(actor, project)
    if p.status not in NOTE_OPEN:
        raise TransitionError(_("Progress notes can be written once the project is agreed, until the community rates it "
                                "(this project is “%(status)s”).") % {"status": p.get_status_display()})
    errors = Errors()
    body = clean_text(text, field="text", errors=errors, required=_("Write what has been done."), max_length=NOTE_MAX_LENGTH,
                      multiline=True)
    pct = _clean_progress(progress, errors)
    try:
        images = clean_photos(photos)
    except ValidationError as exc:
        errors.catch(exc)
        images = []
    errors.raise_if_any()
    note = ProjectNote.objects.create(project=p, author=account_of(actor), text=body, progress=pct)
    written: list[ProjectPhoto] = []
    try:
        for img in images:
            photo = ProjectPhoto(note=note, project=p, content_type=img.content_type, width=img.width, height=img.height, size=img.size)
            photo.file.save(img.random_name(), ContentFile(img.content), save=False)
            written.append(photo)
            photo.save()
        audit.record(actor=actor, verb="cobuild.project.note_add", target=p,
                     changes={"note": note.pk, "text": body[:200], "progress": pct, "photos": [ph.pk for ph in written]})
    except BaseException:
        for photo in written:
            photo.file.delete(save=False)
        raise
    return note


def orphan_photo_files(storage: Any = None) -> list[str]:
    """Stored project photo files that no row points at (left by a crash or a rolled-back transaction)."""
    from django.core.files.storage import default_storage

    st = storage or default_storage
    known = set(ProjectPhoto.objects.values_list("file", flat=True))
    out: list[str] = []
    try:
        project_dirs, _files = st.listdir("cobuild/projects")
    except (FileNotFoundError, NotImplementedError, OSError):
        return out
    for d in project_dirs:
        _sub, files = st.listdir(f"cobuild/projects/{d}")
        out.extend(f"cobuild/projects/{d}/{f}" for f in files if f"cobuild/projects/{d}/{f}" not in known)
    return sorted(out)


def photo_get(*, actor: Actor, project: Project, photo_id: Any) -> ProjectPhoto:
    """One photo of a project the caller may see (the project was found in scope); else NotFound."""
    pk = int_param(photo_id)
    photo = ProjectPhoto.objects.filter(project=project, pk=pk).first() if pk else None
    if photo is None:
        raise NotFound()
    return photo


# --- the project lifecycle: propose, agree, start, complete, rate, cancel --------------------


def project_snapshot(p: Project, needs: Iterable[int] | None = None, resources: Iterable[tuple[int, Decimal]] | None = None
                     ) -> dict[str, Any]:
    """The project's values for an audit diff; ``needs`` (their keys) and ``resources`` (``(key, amount)``) are read
    from its rows unless given."""
    lines = resources if resources is not None else p.project_resources.values_list("resource_id", "amount")
    return {
        "title": p.title, "community": p.community_id, "unit": p.unit_id, "plan": p.plan, "status": p.status,
        "needs": sorted(needs if needs is not None else p.project_needs.values_list("need_id", flat=True)),
        "resources": {str(r): str(a) for r, a in sorted(lines)},
    }


def _project_needs(actor: Actor, community: Region | None, values: Any, errors: Errors) -> list[Need]:
    raw = list(values or [])
    if not raw:
        errors.add("needs", _("Choose at least one need the project takes up."))
        return []
    found: list[Need] = []
    qs = scoped(Need.objects.all(), actor, perms.NEED_MANAGE)
    for value in raw:
        n = lookup.resolve(Need, value, qs)
        if not n:
            errors.add("needs", _("Unknown need, or a need outside your area."))
        elif any(x.pk == n.pk for x in found):
            errors.add("needs", _("The need “%(title)s” is listed twice.") % {"title": n.title})
        elif community is not None and n.community_id != community.pk:
            errors.add("needs", _("The need “%(title)s” belongs to another community.") % {"title": n.title})
        elif n.status not in PROJECT_NEED_STATUSES:
            errors.add("needs", _("The need “%(title)s” is “%(status)s”; only published or matched needs can be taken up by a project.")
                       % {"title": n.title, "status": n.get_status_display()})
        else:
            found.append(n)
    return found


def _project_resources(actor: Actor, values: Any, errors: Errors) -> list[tuple[Resource, Decimal]]:
    lines: list[tuple[Resource, Decimal]] = []
    visible = resource_base(actor, perms.RESOURCE_VIEW)
    today = timezone.localdate()
    for item in list(values or []):
        try:
            value, raw_amount = item
        except (TypeError, ValueError):
            errors.add("resources", _("Give each resource with the amount committed."))
            continue
        r = lookup.resolve(Resource, value, visible)
        if not r:
            errors.add("resources", _("Unknown resource, or a resource outside your reach."))
            continue
        if any(x.pk == r.pk for x, _a in lines):
            errors.add("resources", _("The resource “%(title)s” is listed twice.") % {"title": r.title})
            continue
        if r.status != ResourceStatus.OFFERED:
            errors.add("resources", _("The resource “%(title)s” is not on offer.") % {"title": r.title})
            continue
        if r.available_to is not None and r.available_to < today:
            errors.add("resources", _("The available period of the resource “%(title)s” has ended.") % {"title": r.title})
            continue
        sub = Errors()
        amount = clean_decimal(raw_amount, field="resources", errors=sub, high=Decimal("999999999999"))
        if sub.details:
            errors.catch(ValidationError("", details=sub.details))
            continue
        if amount is None or amount <= 0:
            errors.add("resources", _("The amount committed from “%(title)s” must be greater than zero.") % {"title": r.title})
            continue
        lines.append((r, amount))
    return lines


def _clean_project(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=120)
    out["plan"] = clean_text(data.get("plan"), field="plan", errors=errors, max_length=8000, multiline=True)
    community = lookup.community(data.get("community"), errors, actor=actor, action=perms.PROJECT_MANAGE)
    out["community"] = community
    out["needs"] = _project_needs(actor, community, data.get("needs"), errors)
    out["resources"] = _project_resources(actor, data.get("resources"), errors)
    unit = lookup.chosen(ResidentUnit, data.get("unit"), ResidentUnit.objects.filter(is_active=True), errors, "unit",
                         missing=_("Choose the responsible unit."), unknown=_("Unknown or deactivated unit."))
    if unit is not None and not (scoped(ResidentUnit.objects.filter(pk=unit.pk), actor, perms.PROJECT_MANAGE, ResidentUnit.scope_fields).exists()
                                 or any(r.unit_id == unit.pk for r, _a in out["resources"])):
        errors.add("unit", _("Choose a unit located in your area or one whose resource the project uses."))
        unit = None
    out["unit"] = unit
    errors.raise_if_any()
    return out


def _lock_resources(ids: Iterable[int]) -> dict[int, Resource]:
    """Lock the resource rows in id order (two projects sharing resources cannot deadlock)."""
    return {r.pk: r for r in Resource.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")}


def _move_need(actor: Actor, need_id: int, to: str, *, verb: str, allowed_from: Iterable[str]) -> Need:
    """A need moved by a project service (the project permission has been checked); locked and audited."""
    n = Need.objects.select_for_update().get(pk=need_id)
    if n.status not in set(allowed_from):
        raise TransitionError(
            _("A need in status “%(from)s” cannot be changed to “%(to)s”.")
            % {"from": n.get_status_display(), "to": NeedStatus(to).label}
        )
    before = n.status
    n.status = to
    fields = ["status", "updated_at"]
    if to == NeedStatus.MET:
        n.met_at = lookup.now()
        fields.append("met_at")
    n.save(update_fields=fields)
    audit.record(actor=actor, verb=verb, target=n, changes={"status": {"before": before, "after": to}})
    return n


@transaction.atomic
def project_create(*, actor: Actor, title: Any, community: Any, unit: Any, needs: Any, resources: Any = (), plan: Any = "") -> Project:
    """Propose a project: takes up the needs (→ in a project) and commits capacity of the resources.

    Validates everything first; then locks the resource rows in id order and refuses, writing
    nothing, when a resource's remaining capacity is short.
    """
    require(actor, perms.PROJECT_MANAGE)
    clean = _clean_project(actor, {"title": title, "community": community, "unit": unit, "needs": needs, "resources": resources,
                                   "plan": plan})
    locked = _lock_resources(r.pk for r, _a in clean["resources"])
    errors = Errors()
    for r, amount in clean["resources"]:
        current = locked[r.pk]
        if current.status != ResourceStatus.OFFERED:
            errors.add("resources", _("The resource “%(title)s” is not on offer.") % {"title": current.title})
        elif current.remaining is not None and current.remaining < amount:
            errors.add("resources", _("Only %(remaining)s of the resource “%(title)s” remain; %(amount)s cannot be committed.")
                       % {"remaining": current.remaining.normalize(), "title": current.title, "amount": amount.normalize()})
    errors.raise_if_any()
    p = Project(title=clean["title"], plan=clean["plan"], community=clean["community"], region_path=clean["community"].path,
                unit=clean["unit"], status=ProjectStatus.PROPOSED, proposed_by=account_of(actor))
    # The needs and resources are rows that point at the project, written once it has a key: audited as the cleaned ones.
    need_ids = [n.pk for n in clean["needs"]]
    amounts = [(r.pk, amount) for r, amount in clean["resources"]]
    audited_save(p, actor=actor, verb="cobuild.project.create", snap=lambda o: project_snapshot(o, need_ids, amounts), module=MODULE)
    for n in clean["needs"]:
        ProjectNeed.objects.create(project=p, need=n)
        if n.status == NeedStatus.PUBLISHED:
            _move_need(actor, n.pk, NeedStatus.MATCHED, verb="cobuild.need.match", allowed_from=[NeedStatus.PUBLISHED])
        _move_need(actor, n.pk, NeedStatus.IN_PROJECT, verb="cobuild.need.start_project", allowed_from=[NeedStatus.MATCHED])
    for r, amount in clean["resources"]:
        current = locked[r.pk]
        ProjectResource.objects.create(project=p, resource=current, amount=amount)
        if current.remaining is not None:
            audited_save(current, actor=actor, verb="cobuild.resource.commit", changes={"remaining": current.remaining - amount},
                         extra={"project": p.pk}, update_fields=["remaining", "updated_at"])
    return p


def _project_transition(actor: Actor, project: Project | int, to: str, *, action: str, verb: str,
                        extra: dict[str, Any] | None = None) -> Project:
    require(actor, action)
    p = lookup.get(Project, actor, action, project, lock=True)
    before = PROJECT_TRANSITIONS.move(p, to)
    fields = ["status", "updated_at"]
    stamp = {ProjectStatus.AGREED: "agreed_at", ProjectStatus.IN_PROGRESS: "started_at", ProjectStatus.DONE: "done_at",
             ProjectStatus.RATED: "rated_at", ProjectStatus.CANCELLED: "cancelled_at"}[ProjectStatus(to)]
    setattr(p, stamp, lookup.now())
    fields.append(stamp)
    changes: dict[str, Any] = {"status": {"before": before, "after": to}}
    for key, value in (extra or {}).items():
        setattr(p, key, value)
        fields.append(key)
        changes[key] = value
    p.save(update_fields=fields)
    audit.record(actor=actor, verb=verb, target=p, changes=changes)
    registry.bump(MODULE)
    return p


@transaction.atomic
def project_agree(*, actor: Actor, project: Project | int) -> Project:
    """The responsible unit (or an administrator on its behalf) agrees to the proposed plan."""
    return _project_transition(actor, project, ProjectStatus.AGREED, action=perms.PROJECT_RUN, verb="cobuild.project.agree")


@transaction.atomic
def project_start(*, actor: Actor, project: Project | int) -> Project:
    return _project_transition(actor, project, ProjectStatus.IN_PROGRESS, action=perms.PROJECT_RUN, verb="cobuild.project.start")


@transaction.atomic
def project_complete(*, actor: Actor, project: Project | int, outcome: Any) -> Project:
    """The project is done: the outcome is recorded and its needs are met."""
    errors = Errors()
    text = clean_text(outcome, field="outcome", errors=errors, required=_("Describe the outcome of the project."), max_length=8000,
                      multiline=True)
    errors.raise_if_any()
    p = _project_transition(actor, project, ProjectStatus.DONE, action=perms.PROJECT_RUN, verb="cobuild.project.complete",
                            extra={"outcome": text})
    for need_id in p.project_needs.order_by("need_id").values_list("need_id", flat=True):
        _move_need(actor, need_id, NeedStatus.MET, verb="cobuild.need.met", allowed_from=[NeedStatus.IN_PROJECT])
    return p


@transaction.atomic
def project_rate(*, actor: Actor, project: Project | int, rating: Any, remark: Any = "") -> Project:
    """The community rates a completed project (1–5) with an optional remark."""
    errors = Errors()
    try:
        value = int(str(rating).strip())
        if not PROJECT_RATING_MIN <= value <= PROJECT_RATING_MAX:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("rating", _("Choose a rating from %(low)s to %(high)s.") % {"low": PROJECT_RATING_MIN, "high": PROJECT_RATING_MAX})
        value = 0
    text = clean_text(remark, field="rating_remark", errors=errors, max_length=500, multiline=True)
    errors.raise_if_any()
    return _project_transition(actor, project, ProjectStatus.RATED, action=perms.PROJECT_RATE, verb="cobuild.project.rate",
                               extra={"rating": value, "rating_remark": text})


@transaction.atomic
def project_cancel(*, actor: Actor, project: Project | int, reason: Any) -> Project:
    """Cancel an unfinished project: its committed capacity is released and its needs are published again."""
    text = clean_reason(reason, multiline=False)
    p = _project_transition(actor, project, ProjectStatus.CANCELLED, action=perms.PROJECT_MANAGE, verb="cobuild.project.cancel",
                            extra={"cancel_reason": text})
    lines = list(p.project_resources.order_by("resource_id").values_list("resource_id", "amount"))
    locked = _lock_resources(rid for rid, _a in lines)
    for rid, amount in lines:
        r = locked[rid]
        if r.remaining is None:
            continue
        remaining = r.remaining + amount
        if r.capacity is not None and remaining > r.capacity:
            remaining = r.capacity
        audited_save(r, actor=actor, verb="cobuild.resource.release", changes={"remaining": remaining}, extra={"project": p.pk},
                     update_fields=["remaining", "updated_at"])
    for need_id in p.project_needs.order_by("need_id").values_list("need_id", flat=True):
        _move_need(actor, need_id, NeedStatus.PUBLISHED, verb="cobuild.need.release", allowed_from=[NeedStatus.IN_PROJECT])
    return p


PROJECT_ACTIONS: dict[str, Callable[..., Project]] = {
    "agree": project_agree, "start": project_start, "complete": project_complete, "rate": project_rate, "cancel": project_cancel}
