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

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongjian.core import pages
from gongjian.core.counts import CountedRows
from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.listcache import shared_list
from gongjian.core.pagination import querystring_without
from gongjian.core.params import get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.tabular import ExportColumn
from gongjian.regions.choices import Level

from . import forms, services
from . import selectors as sel
from .choices import MEETING_TRANSITIONS, AttendeeKind, MeetingKind, MeetingStatus, TaskStatus
from .models import Meeting
from .permissions import CALENDAR_VIEW, EXPERIENCE_MANAGE, EXPERIENCE_VIEW, MEETING_MANAGE, MEETING_VIEW, TASK_WORK


def _managed(request: HttpRequest, pk: int) -> Meeting:
    """The meeting the caller runs (the page is his role's, the meeting his level's); else not found / forbidden."""
    require_page(request, MEETING_MANAGE)
    return sel.meeting_get(actor=request.user, id=pk, manage=True)


def _url(m: Meeting | int, anchor: str = "") -> str:
    return reverse("meetings:meeting_detail", args=[m.pk if isinstance(m, Meeting) else m]) + anchor


def _back(m: Meeting | int, anchor: str = "") -> HttpResponse:
    return redirect(_url(m, anchor))


def _run(request: HttpRequest, m: Meeting, anchor: str, call: Callable[..., Any], ok: str, *, error_fields: tuple[str, ...] = (),
         **kwargs: Any) -> HttpResponse:
    """A button on the meeting page: call the service; its error becomes a message above the section; 404/403 pass through."""
    return pages.action(request, lambda: call(actor=request.user, **kwargs), back=_url(m, anchor), message=ok, error_fields=error_fields)


# --- list and export -------------------------------------------------------------------------


def _years() -> list[int]:
    now = timezone.localdate().year
    return list(range(now + 1, now - 6, -1))


@login_required
@shared_list
def meeting_list(request: HttpRequest) -> HttpResponse:
    return pages.list_view(request, "meetings/list.html", permission=MEETING_VIEW, keys=sel.FILTERS,
                           rows=lambda f: sel.meeting_list(actor=request.user, filters=f), context=lambda f: {
        "kinds": MeetingKind.choices, "statuses": MeetingStatus.choices,
        "levels": [(lv, Level(lv).label) for lv in sel.MEETING_LEVELS], "years": _years(), "quarters": [1, 2, 3, 4],
        "can_plan": bool(sel.managed_paths(request.user)),
    })


def _local(v: Any) -> Any:
    return timezone.localtime(v).strftime("%Y-%m-%d %H:%M") if v else None


MEETING_COLUMNS = [
    ExportColumn(gettext_lazy("Title"), "title"),
    ExportColumn(gettext_lazy("Kind"), "get_kind_display"),
    ExportColumn(gettext_lazy("Level"), lambda m: Level(m.level).label if m.level in Level.values else m.level),
    ExportColumn(gettext_lazy("Region code"), "region.code"),
    ExportColumn(gettext_lazy("Region"), "region.name"),
    ExportColumn(gettext_lazy("Year"), "year"),
    ExportColumn(gettext_lazy("Quarter"), "quarter"),
    ExportColumn(gettext_lazy("Theme"), "theme"),
    ExportColumn(gettext_lazy("Date and time"), lambda m: _local(m.starts_at)),
    ExportColumn(gettext_lazy("Meeting place"), "place"),
    ExportColumn(gettext_lazy("By video"), lambda m: _("Yes") if m.is_video else _("No")),
    ExportColumn(gettext_lazy("Chair"), "chair"),
    ExportColumn(gettext_lazy("Status"), "get_status_display"),
    ExportColumn(gettext_lazy("Held at"), lambda m: _local(m.held_at)),
    ExportColumn(gettext_lazy("Agenda items"), lambda m: getattr(m, "agenda_count", None)),
    ExportColumn(gettext_lazy("Decisions"), lambda m: getattr(m, "decision_count", None)),
    ExportColumn(gettext_lazy("Reason"), "cancelled_reason"),
]


@login_required
def meeting_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=MEETING_VIEW, keys=sel.FILTERS, rows=lambda f: sel.meeting_list(actor=request.user, filters=f),
                             columns=MEETING_COLUMNS, basename=gettext_lazy("meetings"))


# --- plan and edit ---------------------------------------------------------------------------


def _local_input(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def _form_context(*, editing: bool, cancel_url: str) -> dict[str, Any]:
    """The generic form page (core/form.html) as the plan and edit pages show it."""
    if editing:
        return {"title": _("Edit the meeting"), "form_id": "meeting-form", "submit_label": _("Save"), "cancel_url": cancel_url,
                "narrow": True}
    return {"title": _("Plan a meeting"), "form_id": "meeting-form", "submit_label": _("Plan the meeting"), "cancel_url": cancel_url,
            "narrow": True, "note": _("The year and quarter follow from the date. For a coordination meeting, the matters escalated to "
                                      "this level and waiting for coordination are proposed for its agenda. A secretaries' exchange "
                                      "is city-level, themed and held by video.")}


def _planned_message(m: Meeting) -> str:
    n = m.agenda.count()
    return _("The meeting is planned.") + (" " + _("%(n)s escalated matters were proposed for its agenda.") % {"n": n} if n else "")


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
    return pages.form_page(request, form, save=lambda d: services.meeting_plan(actor=request.user, **d), success=_url,
                     message=_planned_message, context=_form_context(editing=False, cancel_url=reverse("meetings:meeting_list")))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    m = _managed(request, pk)
    if m.status != MeetingStatus.PLANNED:
        messages.error(request, _("Only a planned meeting can be changed."))
        return _back(m)
    initial = {"title": m.title, "theme": m.theme, "starts_at": _local_input(m.starts_at), "place": m.place, "is_video": m.is_video,
               "video_link": m.video_link, "chair": m.chair}
    form = forms.MeetingForm(request.POST or None, initial=initial, editing=True)
    return pages.form_page(request, form, save=lambda d: services.meeting_update(actor=request.user, meeting=m, **d), success=_url(m),
                     message=_("The meeting was saved."), context=_form_context(editing=True, cancel_url=_url(m)))


# --- the meeting page ------------------------------------------------------------------------


def _detail_context(request: HttpRequest, pk: Any, **extra: Any) -> dict[str, Any]:
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
    return ctx


class _Later(Mapping[str, Any]):
    """A page's context built only when the page is shown (a form again with its errors), not before a redirect."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build
        self._ctx: dict[str, Any] | None = None

    def _get(self) -> dict[str, Any]:
        if self._ctx is None:
            self._ctx = self._build()
        return self._ctx

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, MEETING_VIEW)
    return render(request, "meetings/detail.html", _detail_context(request, pk))


def _status_form(request: HttpRequest, m: Meeting, to: str, form: Any, *, call: Callable[..., Any], ok: str, anchor: str,
                 form_key: str) -> HttpResponse:
    """Hold or cancel from the meeting page. A field error shows the page again with the form open (400); when the
    transitions table no longer allows the change (the form is gone from the page), the service's refusal is a message."""
    if not MEETING_TRANSITIONS.allows(m.status, to):
        fields: dict[str, Any] = {k: request.POST.get(k, "") for k in form.fields}
        return _run(request, m, anchor, call, ok, meeting=m, **fields)
    return pages.form_page(request, form, save=lambda d: call(actor=request.user, meeting=m, **d), success=_url(m, anchor), message=ok,
                           template="meetings/detail.html",
                           context=_Later(lambda: _detail_context(request, m.pk, **{f"{form_key}_form": form, f"open_{form_key}": True})))


def _status_view(to: str, form_class: Callable[..., Any], call: Callable[..., Any], ok: Any, anchor: str,
                 form_key: str) -> Callable[[HttpRequest, int], HttpResponse]:
    """The view of a status change (hold, cancel) from the meeting page; ``ok`` is translated at request time."""
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        m = _managed(request, pk)
        return _status_form(request, m, to, form_class(request.POST), call=call, ok=str(ok), anchor=anchor, form_key=form_key)
    return view


meeting_hold = _status_view(MeetingStatus.HELD, forms.HoldForm, services.meeting_hold,
                            gettext_lazy("The meeting is recorded as held. Record its decisions below."), "#decisions", "hold")
meeting_cancel = _status_view(MeetingStatus.CANCELLED, forms.CancelForm, services.meeting_cancel,
                              gettext_lazy("The meeting was cancelled."), "", "cancel")


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    m = _managed(request, pk)
    return _run(request, m, "#minutes", services.meeting_minutes_update, _("The minutes were saved."), meeting=m,
                minutes=request.POST.get("minutes", ""))


@login_required
@require_POST
def attendee_add(request: HttpRequest, pk: int) -> HttpResponse:
    m = _managed(request, pk)
    p = request.POST
    return _run(request, m, "#attendees", services.attendee_add, _("The attendee was added."), meeting=m, kind=p.get("kind", ""),
                department=p.get("department") or None, unit=p.get("unit") or None, region=p.get("region") or None,
                name=p.get("name", ""), present=p.get("present", "1"))


@login_required
@require_POST
def attendee_action(request: HttpRequest, pk: int, aid: int, action: str) -> HttpResponse:
    m = _managed(request, pk)
    if action in ("present", "absent"):
        return _run(request, m, "#attendees", services.attendee_set_present, _("Attendance was saved."), meeting=m, attendee=aid,
                    present=action == "present")
    if action == "remove":
        return _run(request, m, "#attendees", services.attendee_remove, _("The attendee was removed."), meeting=m, attendee=aid)
    raise NotFound()


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    m = _managed(request, pk)
    return _run(request, m, "#agenda", services.agenda_add, _("The item was added to the agenda."), error_fields=("matter",), meeting=m,
                title=request.POST.get("title", ""), matter=request.POST.get("matter") or None)


def _proposed_message(added: list[Any]) -> str:
    return _("%(n)s escalated matters were proposed for its agenda.") % {"n": len(added)}


@login_required
@require_POST
def agenda_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    m = _managed(request, pk)

    def refresh() -> list[Any]:
        added = services.agenda_refresh(actor=request.user, meeting=m)
        if added:
            messages.success(request, _proposed_message(added))
        else:
            messages.info(request, _("No other escalated matter is waiting for this meeting."))
        return added

    return pages.action(request, refresh, back=_url(m, "#agenda"))


@login_required
@require_POST
def agenda_action(request: HttpRequest, pk: int, item: int, action: str) -> HttpResponse:
    m = _managed(request, pk)
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
    m = _managed(request, pk)
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
    m = _managed(request, pk)
    return _run(request, m, "#decisions", services.task_follow_up, _("The follow-up was sent to the department."), task=task,
                note=request.POST.get("note", ""), new_deadline=request.POST.get("new_deadline") or None)


# --- speakers and experiences ----------------------------------------------------------------


@login_required
@require_POST
def speaker_add(request: HttpRequest, pk: int) -> HttpResponse:
    m = _managed(request, pk)
    p = request.POST
    return _run(request, m, "#speakers", services.speaker_add, _("The speaker was added."), meeting=m, region=p.get("region", ""),
                name=p.get("name", ""), topic=p.get("topic", ""), report=p.get("report", ""), attachment=request.FILES.get("attachment"))


@login_required
@require_POST
def speaker_action(request: HttpRequest, pk: int, sid: int, action: str) -> HttpResponse:
    m = _managed(request, pk)
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
    s, handle = sel.speaker_file(meeting=m, id=sid)
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
@shared_list
def experience_list(request: HttpRequest) -> HttpResponse:
    # the tag cloud and the recent exchanges are drawn in the kept body (shared_list): computed only when it is drawn
    return pages.list_view(request, "meetings/experiences.html", permission=EXPERIENCE_VIEW, keys=("q", "tag", "region", "year", "published"),
                           rows=lambda f: sel.experience_list(actor=request.user, filters=f), default_size=12, context={
                               "tags": pages.lazy(lambda: sel.tag_cloud(actor=request.user)), "years": _years(),
                               "can_manage": can(request.user, EXPERIENCE_MANAGE),
                               "exchanges": pages.lazy(lambda: list(sel.meeting_list(
                                   actor=request.user, filters={"kind": MeetingKind.SECRETARY_EXCHANGE})[:8])),
                           })


@login_required
@require_http_methods(["GET", "POST"])
def experience_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, EXPERIENCE_VIEW)
    e = sel.experience_get(actor=request.user, id=pk)
    manage = can(request.user, EXPERIENCE_MANAGE)
    if request.method == "POST" and not manage:
        raise PermissionDenied()
    form = forms.ExperienceForm(request.POST or None, initial={"title": e.title, "summary": e.summary, "tags": e.tags,
                                                              "published": e.published})
    return pages.form_page(request, form, save=lambda d: services.experience_update(actor=request.user, experience=e, **d),
                           success=reverse("meetings:experience_detail", args=[e.pk]), message=_("The experience was saved."),
                           template="meetings/experience.html", context={"e": e, "manage": manage, "tags": sel.split_tags(e.tags)})


# --- calendar --------------------------------------------------------------------------------


@login_required
@shared_list
def calendar(request: HttpRequest) -> HttpResponse:
    require_page(request, CALENDAR_VIEW)
    year, quarter = sel.current_quarter()
    y = int_param(request.GET.get("year"))
    q = int_param(request.GET.get("quarter"))
    if y and 2000 <= y <= 2100:
        year = y
    if q and 1 <= q <= 4:
        quarter = q
    _roots, root = sel.calendar_root(request.user, request.GET.get("root"))  # the heading's; the rest is drawn in the kept body
    cal = pages.lazy(lambda: sel.calendar(actor=request.user, year=year, quarter=quarter, root=request.GET.get("root"),
                                          level=request.GET.get("level", "")))
    show = request.GET.get("show", "")

    def page() -> Any:
        rows = [r for r in cal.rows if r.status == show] if show in ("held", "planned", "none") else cal.rows
        return Paginator(rows, 50).get_page(request.GET.get("page"))

    return render(request, "meetings/calendar.html", {
        "root": root, "cal": cal, "page": pages.lazy(page), "show": show, "qs": querystring_without(request, "page"), "years": _years(),
        "quarters": [1, 2, 3, 4], "level_labels": {lv: Level(lv).label for lv in sel.MEETING_LEVELS},
    })


# --- the department's decision tasks ---------------------------------------------------------


@login_required
@shared_list
def task_list(request: HttpRequest) -> HttpResponse:
    """The department's tasks: the same for every handler of the same departments (``sel.task_list`` reads the scope
    rows), so the list is kept for them (``shared_list``); its count is kept per version of meetings (``core.counts``)."""
    require_page(request, TASK_WORK)
    f = get_filters(request, sel.TASK_FILTERS)
    if "status" not in request.GET:
        f["status"] = TaskStatus.ASSIGNED
    rows = CountedRows(sel.task_list(actor=request.user, filters=f), module="meetings")
    return pages.list_page(request, "meetings/tasks.html", rows, filters=f, context={"statuses": TaskStatus.choices})


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not (can(request.user, TASK_WORK) or can(request.user, MEETING_VIEW)):
        raise NotFound()
    t = sel.task_get(actor=request.user, id=pk)
    mine = can(request.user, TASK_WORK) and t.department_id in sel.handler_departments(request.user)
    form = forms.TaskResultForm(request.POST or None)

    def complete(d: dict[str, Any]) -> Any:
        return services.task_complete(actor=request.user, task=t, **d)

    ok = _("The result was reported. Thank you.")
    if request.method == "POST" and t.status != TaskStatus.ASSIGNED:
        # the result form is gone from the page: the service's refusal becomes a message there
        return pages.action(request, lambda: complete({"result": request.POST.get("result", "")}), back=reverse("meetings:task_list"),
                            message=ok, error_back=reverse("meetings:task_detail", args=[t.pk]))

    def context() -> dict[str, Any]:
        return {"t": t, "mine": mine, "follow_ups": services.task_follow_ups(t), "now": timezone.now(),
                "meeting_visible": sel.meeting_base(request.user).filter(pk=t.decision.meeting_id).exists()}

    return pages.form_page(request, form, save=complete, success="meetings:task_list", message=ok, template="meetings/task.html",
                           context=_Later(context))
