"""Meeting pages: list (filters, pagination, export), plan/edit, the meeting page (facts, attendees,
agenda with the proposed matters, minutes, decisions with their department work and follow-ups,
speakers and experiences of an exchange), the quarterly calendar, the experiences library and the
department handler's decision tasks.

Outside the reader's sight: 404. Visible but not the reader's to run: 403. Service field errors
are shown next to the field (plan, hold, cancel) or as a message above the section they concern.

Stable hooks for browser journeys: ``#meeting-status[data-status]``, ``#agenda [data-matter]``,
``#hold-form``, ``#decision-form``, ``#task-complete-form``, ``#calendar-table [data-status]``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongjian.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.params import export_format, get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.tabular import export_response
from gongjian.regions.choices import Level

from . import forms, services
from . import selectors as sel
from .choices import AttendeeKind, MeetingKind, MeetingStatus, TaskStatus
from .models import Meeting
from .permissions import CALENDAR_VIEW, EXPERIENCE_MANAGE, EXPERIENCE_VIEW, MEETING_MANAGE, MEETING_VIEW, TASK_WORK

EXPORT_LIMIT = 100_000


def _error_text(exc: DomainError) -> str:
    if exc.details:
        msgs = [str(m) for v in exc.details.values() for m in (v if isinstance(v, list | tuple) else [v])]
        return "；".join(dict.fromkeys(msgs))
    return str(exc.message)


def _back(m: Meeting | int, anchor: str = "") -> HttpResponse:
    pk = m.pk if isinstance(m, Meeting) else m
    return redirect(reverse("meetings:meeting_detail", args=[pk]) + anchor)


def _run(request: HttpRequest, m: Meeting | int, anchor: str, fn: Any, ok: str, **kwargs: Any) -> HttpResponse:
    """Call a service; domain errors become a message above the section; 404/403 pass through."""
    try:
        fn(actor=request.user, **kwargs)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, ok)
    return _back(m, anchor)


# --- list and export -------------------------------------------------------------------------


def _years() -> list[int]:
    now = timezone.localdate().year
    return list(range(now + 1, now - 6, -1))


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    require_page(request, MEETING_VIEW)
    f = get_filters(request, sel.FILTERS)
    page = paginate(request, sel.meeting_list(actor=request.user, filters=f))
    return render(request, "meetings/list.html", {
        "page": page, "filters": f, "qs": querystring_without(request, "page"), "export_qs": querystring_without(request, "page", "size"),
        "kinds": MeetingKind.choices, "statuses": MeetingStatus.choices,
        "levels": [(lv, Level(lv).label) for lv in sel.MEETING_LEVELS], "years": _years(), "quarters": [1, 2, 3, 4],
        "can_plan": bool(sel.managed_paths(request.user)),
    })


@login_required
def meeting_export(request: HttpRequest) -> HttpResponse:
    require_page(request, MEETING_VIEW)
    qs = sel.meeting_list(actor=request.user, filters=get_filters(request, sel.FILTERS))[:EXPORT_LIMIT]
    headers = [_("Title"), _("Kind"), _("Level"), _("Region code"), _("Region"), _("Year"), _("Quarter"), _("Theme"), _("Date and time"),
               _("Meeting place"), _("By video"), _("Chair"), _("Status"), _("Held at"), _("Agenda items"), _("Decisions"), _("Reason")]

    def when(v: Any) -> Any:
        return timezone.localtime(v).strftime("%Y-%m-%d %H:%M") if v else None

    rows = ([m.title, m.get_kind_display(), Level(m.level).label if m.level in Level.values else m.level, m.region.code, m.region.name,
             m.year, m.quarter, m.theme, when(m.starts_at), m.place, _("Yes") if m.is_video else _("No"), m.chair, m.get_status_display(),
             when(m.held_at), getattr(m, "agenda_count", None), getattr(m, "decision_count", None), m.cancelled_reason] for m in qs)
    return export_response(headers, rows, basename=_("meetings"), fmt=export_format(request))


# --- plan and edit ---------------------------------------------------------------------------


def _local_input(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    regions = sel.managed_regions(request.user)
    if not regions.exists():
        raise PermissionDenied()
    initial: dict[str, Any] = {"kind": request.GET.get("kind") or MeetingKind.COORDINATION}
    if regions.count() == 1:
        initial["region"] = regions[0].pk
    form = forms.MeetingForm(request.POST or None, initial=initial, region_qs=regions)
    if request.method == "POST":
        form.is_valid()
        p = request.POST
        try:
            m = services.meeting_plan(actor=request.user, kind=p.get("kind", ""), region=p.get("region", ""), title=p.get("title", ""),
                                      starts_at=p.get("starts_at", ""), theme=p.get("theme", ""), place=p.get("place", ""),
                                      is_video=p.get("is_video", ""), video_link=p.get("video_link", ""), chair=p.get("chair", ""))
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            n = m.agenda.count()
            messages.success(request, _("The meeting is planned.") + (" " + _("%(n)s escalated matters were proposed for its agenda.")
                                                                       % {"n": n} if n else ""))
            return _back(m)
    return render(request, "meetings/form.html", {"form": form, "editing": False}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    if m.status != MeetingStatus.PLANNED:
        messages.error(request, _("Only a planned meeting can be changed."))
        return _back(m)
    initial = {"title": m.title, "theme": m.theme, "starts_at": _local_input(m.starts_at), "place": m.place, "is_video": m.is_video,
               "video_link": m.video_link, "chair": m.chair}
    form = forms.MeetingForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST":
        form.is_valid()
        p = request.POST
        try:
            services.meeting_update(actor=request.user, meeting=m, title=p.get("title", ""), theme=p.get("theme", ""),
                                    starts_at=p.get("starts_at", ""), place=p.get("place", ""), is_video=p.get("is_video", ""),
                                    video_link=p.get("video_link", ""), chair=p.get("chair", ""))
        except ValidationError as exc:
            form.add_domain_error(exc)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
            return _back(m)
        else:
            messages.success(request, _("The meeting was saved."))
            return _back(m)
    return render(request, "meetings/form.html", {"form": form, "editing": True, "m": m}, status=400 if form.errors else 200)


# --- the meeting page ------------------------------------------------------------------------


def _detail(request: HttpRequest, pk: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    d = sel.meeting_detail(actor=request.user, id=pk)
    m = d.meeting
    manage = sel.may_manage(request.user, m) and can(request.user, MEETING_MANAGE)
    planned, held = m.status == MeetingStatus.PLANNED, m.status == MeetingStatus.HELD
    decisions = [{"d": dec, "progress": sel.decision_progress(dec)} for dec in d.decisions]
    ctx: dict[str, Any] = {
        "m": m, "d": d, "manage": manage, "planned": planned, "held": held, "decisions": decisions,
        "is_exchange": m.kind == MeetingKind.SECRETARY_EXCHANGE,
        "hold_form": forms.HoldForm(), "cancel_form": forms.CancelForm(), "minutes_form": forms.MinutesForm(initial={"minutes": m.minutes}),
        "attendee_kinds": AttendeeKind.choices, "now": timezone.now(), "can_experience": can(request.user, EXPERIENCE_MANAGE),
        "experience_form": forms.ExperienceForm(),
    }
    if manage and m.status != MeetingStatus.CANCELLED:
        ctx["departments"] = list(sel.department_choices(m))
        ctx["secretary_regions"] = list(sel.secretary_regions(m)[:500])
        ctx["units"] = list(sel.unit_choices(m)[:500])
        ctx["subdistricts"] = list(sel.subdistricts_of(m)[:500]) if m.kind == MeetingKind.SECRETARY_EXCHANGE else []
        if planned:
            ctx["addable"] = list(sel.addable_matters(m)[:200])
    ctx.update(extra)
    return render(request, "meetings/detail.html", ctx, status=status)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_VIEW)
    return _detail(request, pk)


@login_required
@require_POST
def meeting_hold(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    form = forms.HoldForm(request.POST)
    form.is_valid()
    try:
        services.meeting_hold(actor=request.user, meeting=m, minutes=request.POST.get("minutes", ""), held_at=request.POST.get("held_at", ""))
    except ValidationError as exc:
        form.add_domain_error(exc)
        return _detail(request, m.pk, status=400, hold_form=form, open_hold=True)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The meeting is recorded as held. Record its decisions below."))
    return _back(m, "#decisions")


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    form = forms.CancelForm(request.POST)
    form.is_valid()
    try:
        services.meeting_cancel(actor=request.user, meeting=m, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        form.add_domain_error(exc)
        return _detail(request, m.pk, status=400, cancel_form=form, open_cancel=True)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The meeting was cancelled."))
    return _back(m)


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    return _run(request, m, "#minutes", services.meeting_minutes_update, _("The minutes were saved."), meeting=m,
                minutes=request.POST.get("minutes", ""))


@login_required
@require_POST
def attendee_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    p = request.POST
    return _run(request, m, "#attendees", services.attendee_add, _("The attendee was added."), meeting=m, kind=p.get("kind", ""),
                department=p.get("department") or None, unit=p.get("unit") or None, region=p.get("region") or None,
                name=p.get("name", ""), present=p.get("present", "1"))


@login_required
@require_POST
def attendee_action(request: HttpRequest, pk: int, aid: int, action: str) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    if action in ("present", "absent"):
        return _run(request, m, "#attendees", services.attendee_set_present, _("Attendance was saved."), meeting=m, attendee=aid,
                    present=action == "present")
    if action == "remove":
        return _run(request, m, "#attendees", services.attendee_remove, _("The attendee was removed."), meeting=m, attendee=aid)
    raise NotFound()


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    return _run(request, m, "#agenda", services.agenda_add, _("The item was added to the agenda."), meeting=m,
                title=request.POST.get("title", ""), matter=request.POST.get("matter") or None)


@login_required
@require_POST
def agenda_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    try:
        added = services.agenda_refresh(actor=request.user, meeting=m)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        if added:
            messages.success(request, _("%(n)s escalated matters were proposed for its agenda.") % {"n": len(added)})
        else:
            messages.info(request, _("No other escalated matter is waiting for this meeting."))
    return _back(m, "#agenda")


@login_required
@require_POST
def agenda_action(request: HttpRequest, pk: int, item: int, action: str) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    if action in ("up", "down"):
        return _run(request, m, "#agenda", services.agenda_move, _("The agenda was reordered."), meeting=m, item=item, direction=action)
    if action == "remove":
        return _run(request, m, "#agenda", services.agenda_remove, _("The item was removed from the agenda."), meeting=m, item=item)
    if action == "discussion":
        return _run(request, m, "#agenda", services.agenda_discussion, _("The discussion was saved."), meeting=m, item=item,
                    discussion=request.POST.get("discussion", ""))
    raise NotFound()


@login_required
@require_POST
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    p = request.POST
    depts, dls = p.getlist("task_department")[:services.MAX_TASKS], p.getlist("task_deadline")[:services.MAX_TASKS]
    dls += [""] * (len(depts) - len(dls))
    tasks = [(d, dl) for d, dl in zip(depts, dls, strict=False) if d or dl]
    return _run(request, m, "#decisions", services.decision_record, _("The decision was recorded."), meeting=m, text=p.get("text", ""),
                agenda_item=p.get("agenda_item") or None, lead=p.get("lead") or None,
                assist=[a for a in p.getlist("assist") if a][:services.MAX_TASKS], deadline=p.get("deadline") or None, tasks=tasks)


@login_required
@require_POST
def task_follow_up(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    return _run(request, m, "#decisions", services.task_follow_up, _("The follow-up was sent to the department."), task=task,
                note=request.POST.get("note", ""), new_deadline=request.POST.get("new_deadline") or None)


# --- speakers and experiences ----------------------------------------------------------------


@login_required
@require_POST
def speaker_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    p = request.POST
    return _run(request, m, "#speakers", services.speaker_add, _("The speaker was added."), meeting=m, region=p.get("region", ""),
                name=p.get("name", ""), topic=p.get("topic", ""), report=p.get("report", ""), attachment=request.FILES.get("attachment"))


@login_required
@require_POST
def speaker_action(request: HttpRequest, pk: int, sid: int, action: str) -> HttpResponse:
    require_page(request, MEETING_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    p = request.POST
    if action == "edit":
        return _run(request, m, "#speakers", services.speaker_update, _("The speaker was saved."), meeting=m, speaker=sid,
                    name=p.get("name", ""), topic=p.get("topic", ""), report=p.get("report", ""),
                    attachment=request.FILES.get("attachment"), remove_attachment=p.get("remove_attachment") == "1")
    if action == "remove":
        return _run(request, m, "#speakers", services.speaker_remove, _("The speaker was removed."), meeting=m, speaker=sid)
    raise NotFound()


@login_required
@require_GET
def speaker_attachment(request: HttpRequest, pk: int, sid: int) -> FileResponse:
    """A speaker's report attachment, only to those who may read the meeting (else 404)."""
    require_page(request, MEETING_VIEW)
    m = sel.meeting_get(actor=request.user, id=pk)
    s = sel.speaker_get(meeting=m, id=sid)
    if not s.attachment:
        raise NotFound()
    try:
        handle = s.attachment.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    ctype = services.attachment_content_type(s)
    resp = FileResponse(handle, content_type=ctype)
    ext = str(s.attachment.name).rsplit(".", 1)[-1].lower()
    resp["Cache-Control"] = "private, max-age=3600"
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Disposition"] = f'{"inline" if ext != "pdf" else "attachment"}; filename="report-{s.pk}.{ext}"'
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@login_required
@require_POST
def experience_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, EXPERIENCE_MANAGE)
    m = sel.meeting_get(actor=request.user, id=pk, manage=True)
    p = request.POST
    return _run(request, m, "#experiences", services.experience_record, _("The experience was recorded."), meeting=m,
                speaker=p.get("speaker") or None, region=p.get("region") or None, title=p.get("title", ""), summary=p.get("summary", ""),
                tags=p.get("tags", ""), published=p.get("published", ""))


@login_required
def experience_list(request: HttpRequest) -> HttpResponse:
    require_page(request, EXPERIENCE_VIEW)
    f = get_filters(request, ("q", "tag", "region", "year", "published"))
    page = paginate(request, sel.experience_list(actor=request.user, filters=f), default_size=12)
    return render(request, "meetings/experiences.html", {
        "page": page, "filters": f, "qs": querystring_without(request, "page"), "tags": sel.tag_cloud(actor=request.user),
        "years": _years(), "can_manage": can(request.user, EXPERIENCE_MANAGE),
        "exchanges": sel.meeting_list(actor=request.user, filters={"kind": MeetingKind.SECRETARY_EXCHANGE})[:8],
    })


@login_required
@require_http_methods(["GET", "POST"])
def experience_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, EXPERIENCE_VIEW)
    e = sel.experience_get(actor=request.user, id=pk)
    manage = can(request.user, EXPERIENCE_MANAGE)
    form = forms.ExperienceForm(request.POST or None, initial={"title": e.title, "summary": e.summary, "tags": e.tags,
                                                              "published": e.published})
    if request.method == "POST":
        if not manage:
            raise PermissionDenied()
        form.is_valid()
        p = request.POST
        try:
            services.experience_update(actor=request.user, experience=e, title=p.get("title", ""), summary=p.get("summary", ""),
                                       tags=p.get("tags", ""), published=p.get("published", "") == "on")
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The experience was saved."))
            return redirect("meetings:experience_detail", pk=e.pk)
    return render(request, "meetings/experience.html", {"e": e, "form": form, "manage": manage, "tags": sel.split_tags(e.tags)},
                  status=400 if form.errors else 200)


# --- calendar --------------------------------------------------------------------------------


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    require_page(request, CALENDAR_VIEW)
    year, quarter = sel.current_quarter()
    y = int_param(request.GET.get("year"))
    q = int_param(request.GET.get("quarter"))
    if y and 2000 <= y <= 2100:
        year = y
    if q and 1 <= q <= 4:
        quarter = q
    cal = sel.calendar(actor=request.user, year=year, quarter=quarter, root=request.GET.get("root"), level=request.GET.get("level", ""))
    show = request.GET.get("show", "")
    rows = [r for r in cal.rows if r.status == show] if show in ("held", "planned", "none") else cal.rows
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "meetings/calendar.html", {
        "cal": cal, "page": page, "show": show, "qs": querystring_without(request, "page"), "years": _years(), "quarters": [1, 2, 3, 4],
        "level_labels": {lv: Level(lv).label for lv in sel.MEETING_LEVELS},
    })


# --- the department's decision tasks ---------------------------------------------------------


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    require_page(request, TASK_WORK)
    f = get_filters(request, sel.TASK_FILTERS)
    if "status" not in request.GET:
        f["status"] = TaskStatus.ASSIGNED
    page = paginate(request, sel.task_list(actor=request.user, filters=f))
    return render(request, "meetings/tasks.html", {"page": page, "filters": f, "qs": querystring_without(request, "page"),
                                                   "statuses": TaskStatus.choices, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not (can(request.user, TASK_WORK) or can(request.user, MEETING_VIEW)):
        raise NotFound()
    t = sel.task_get(actor=request.user, id=pk)
    mine = can(request.user, TASK_WORK) and t.department_id in sel.handler_departments(request.user)
    form = forms.TaskResultForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
        try:
            services.task_complete(actor=request.user, task=t, result=request.POST.get("result", ""))
        except ValidationError as exc:
            form.add_domain_error(exc)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
            return redirect("meetings:task_detail", pk=t.pk)
        else:
            messages.success(request, _("The result was reported. Thank you."))
            return redirect("meetings:task_list")
    return render(request, "meetings/task.html", {"t": t, "mine": mine, "form": form, "follow_ups": services.task_follow_ups(t),
                                                  "now": timezone.now(), "meeting_visible": sel.meeting_base(request.user)
                                                  .filter(pk=t.decision.meeting_id).exists()},
                  status=400 if form.errors else 200)
