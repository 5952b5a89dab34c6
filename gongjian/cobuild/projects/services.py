"""Writes of a project's plan and progress: milestones, progress notes and their photos.

Same rules as ``cobuild.services``: ``actor=`` keyword-only, the permission matrix first, the
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
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.images import CleanImage, clean_image
from gongjian.core.params import int_param
from gongjian.core.permissions import require

from ..choices import ProjectStatus
from ..models import Project, ProjectMilestone, ProjectNote, ProjectPhoto
from ..services import Errors, _get, clean_date, clean_text
from .permissions import PROJECT_PROGRESS

MILESTONE_EDITABLE = frozenset({ProjectStatus.PROPOSED, ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS})
NOTE_OPEN = frozenset({ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS, ProjectStatus.DONE})
MAX_PHOTOS = 6
MAX_MILESTONES = 50
NOTE_MAX_LENGTH = 4000


def _project(actor: Any, project: Project | int) -> Project:
    require(actor, PROJECT_PROGRESS)
    return _get(Project, actor, PROJECT_PROGRESS, project, lock=True)  # type: ignore[no-any-return]


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


def milestone_snapshot(m: ProjectMilestone) -> dict[str, Any]:
    return {"milestone": m.pk, "title": m.title, "due_on": m.due_on, "done_on": m.done_on}


@transaction.atomic
def milestone_add(*, actor: Any, project: Project | int, title: Any, due_on: Any = None) -> ProjectMilestone:
    """A step of the plan, appended after the others."""
    p = _project(actor, project)
    _require_editable_plan(p)
    clean = _clean_milestone({"title": title, "due_on": due_on})
    count = p.milestones.count()
    if count >= MAX_MILESTONES:
        raise ValidationError.for_field("title", _("A project has at most %(n)s milestones.") % {"n": MAX_MILESTONES})
    last = p.milestones.order_by("-sort_order").values_list("sort_order", flat=True).first()
    m = ProjectMilestone.objects.create(project=p, sort_order=(last or 0) + 10, **clean)
    audit.record(actor=actor, verb="cobuild.project.milestone_add", target=p, changes=audit.diff({}, milestone_snapshot(m)))
    return m


@transaction.atomic
def milestone_update(*, actor: Any, project: Project | int, milestone: ProjectMilestone | int, **data: Any) -> ProjectMilestone:
    p = _project(actor, project)
    m = _milestone(p, milestone)
    _require_editable_plan(p)
    before = milestone_snapshot(m)
    clean = _clean_milestone({"title": data.get("title", m.title), "due_on": data.get("due_on", m.due_on)})
    m.title, m.due_on = clean["title"], clean["due_on"]
    m.save(update_fields=["title", "due_on", "updated_at"])
    changes = audit.diff(before, milestone_snapshot(m))
    if changes:
        audit.record(actor=actor, verb="cobuild.project.milestone_update", target=p, changes={"milestone": m.pk, **changes})
    return m


@transaction.atomic
def milestone_mark_done(*, actor: Any, project: Project | int, milestone: ProjectMilestone | int, done_on: Any = None) -> ProjectMilestone:
    """The milestone was reached on ``done_on`` (default today; not in the future)."""
    p = _project(actor, project)
    m = _milestone(p, milestone)
    _require_editable_plan(p)
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
def milestone_reopen(*, actor: Any, project: Project | int, milestone: ProjectMilestone | int) -> ProjectMilestone:
    """Undo "done" (marked by mistake)."""
    p = _project(actor, project)
    m = _milestone(p, milestone)
    _require_editable_plan(p)
    if m.done_on is None:
        raise TransitionError(_("This milestone is not marked as done."))
    before = m.done_on
    m.done_on = None
    m.save(update_fields=["done_on", "updated_at"])
    audit.record(actor=actor, verb="cobuild.project.milestone_reopen", target=p,
                 changes={"milestone": m.pk, "title": m.title, "done_on": {"before": before, "after": None}})
    return m


@transaction.atomic
def milestone_remove(*, actor: Any, project: Project | int, milestone: ProjectMilestone | int) -> None:
    p = _project(actor, project)
    m = _milestone(p, milestone)
    _require_editable_plan(p)
    snap = milestone_snapshot(m)
    m.delete()
    audit.record(actor=actor, verb="cobuild.project.milestone_remove", target=p, changes=audit.diff(snap, {}))


@transaction.atomic
def project_plan_update(*, actor: Any, project: Project | int, plan: Any) -> Project:
    """Rewrite the plan text (the project's managers, while milestones can still change)."""
    p = _project(actor, project)
    _require_editable_plan(p)
    errors = Errors()
    text = clean_text(plan, field="plan", errors=errors, max_length=8000, multiline=True)
    errors.raise_if_any()
    if text != p.plan:
        before = p.plan
        p.plan = text
        p.save(update_fields=["plan", "updated_at"])
        audit.record(actor=actor, verb="cobuild.project.plan_update", target=p, changes={"plan": {"before": before, "after": text}})
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
def note_add(*, actor: Any, project: Project | int, text: Any, progress: Any = None, photos: Any = ()) -> ProjectNote:
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
    note = ProjectNote.objects.create(project=p, author=actor if getattr(actor, "pk", None) else None, text=body, progress=pct)
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


def photo_get(*, actor: Any, project: Project, photo_id: Any) -> ProjectPhoto:
    """One photo of a project the caller may see (the project was found in scope); else NotFound."""
    pk = int_param(photo_id)
    photo = ProjectPhoto.objects.filter(project=project, pk=pk).first() if pk else None
    if photo is None:
        raise NotFound()
    return photo
