"""Pages of the road chiefs part: the community's segments (with their chiefs, map and patrols), the patrol log, the
reports queue; the road chief's phone pages (my segments, log a patrol, report a problem, my reports).
Views parse input, call selectors and services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongjian.core.errors import DomainError, NotFound
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.params import export_format, get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.scope import scoped
from gongjian.core.tabular import export_response

from .. import common
from .. import permissions as perms
from ..choices import PATROL_REPORT_TRANSITIONS, PatrolReportStatus
from ..models import PatrolReport
from . import forms, selectors, services

EXPORT_LIMIT = 100_000
SEGMENT_FILTERS = ("q", "community", "active", "chief")
PATROL_FILTERS = ("q", "segment", "community", "member", "since", "until")
REPORT_FILTERS = ("q", "status", "segment", "community", "category")


def _list_ctx(request: HttpRequest, page: Any, f: dict[str, str]) -> dict[str, Any]:
    return {"page": page, "filters": f, "qs": querystring_without(request, "page"), "export_qs": querystring_without(request, "page", "size")}


def _reraise(exc: DomainError) -> None:
    if exc.status in (401, 403, 404):  # not allowed and out of scope are pages of their own
        raise exc


def _error_text(exc: DomainError, *fields: str) -> str:
    for f in fields:
        if exc.details.get(f):
            msgs = exc.details[f]
            return str(msgs[0] if isinstance(msgs, list | tuple) else msgs)
    return str(exc.message)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _photo_response(field: Any) -> FileResponse:
    if not field:
        raise NotFound()
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    ext = str(field.name).rsplit(".", 1)[-1].lower()
    ctype = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(ext, "application/octet-stream")
    resp = FileResponse(handle, content_type=ctype)
    resp["Cache-Control"] = "private, max-age=3600"
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Disposition"] = f'inline; filename="{str(field.name).rsplit("/", 1)[-1]}"'
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def _line_text(line: Any) -> str:
    return "\n".join(f"{p[0]}, {p[1]}" for p in line or [])


# --- segments (the community) ----------------------------------------------------------------


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    f = get_filters(request, SEGMENT_FILTERS)
    page = paginate(request, selectors.segment_list(actor=request.user, filters=f))
    return render(request, "volunteering/roads/segment_list.html", {
        **_list_ctx(request, page, f), "communities": selectors.community_choices(actor=request.user)[:500],
        "open_reports": selectors.open_report_count(actor=request.user),
    })


@login_required
def segment_export(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    qs = selectors.segment_list(actor=request.user, filters=get_filters(request, SEGMENT_FILTERS))[:EXPORT_LIMIT]
    headers = [_("Community"), _("Name"), _("Start point"), _("End point"), _("Length (m)"), _("Points on the line"), _("Road chiefs"),
               _("Last patrol"), _("Active")]
    rows = ([s.community.name, s.name, s.start_name, s.end_name, s.length_m, len(s.line or []),
             "、".join(c.member.name for c in s.active_chiefs), _when(s.last_patrol_at), s.is_active]  # type: ignore[attr-defined]
            for s in qs)
    return export_response(headers, rows, basename=_("road segments"), fmt=export_format(request))


def _community_options(request: HttpRequest) -> list[tuple[int, str]]:
    return [(c.pk, c.name) for c in selectors.community_choices(actor=request.user, action=perms.ROAD_MANAGE)[:500]]


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    options = _community_options(request)
    initial = {"community": options[0][0]} if len(options) == 1 else {"community": int_param(request.GET.get("community"))}
    form = forms.SegmentForm(request.POST if request.method == "POST" else None, initial=initial, communities=options)
    if request.method == "POST" and form.is_valid():
        try:
            s = services.segment_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _reraise(exc)
            form.add_domain_error(exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("The road segment %(name)s was created.") % {"name": s.name})
            return redirect("volunteering:road_segment_detail", pk=s.pk)
    return render(request, "volunteering/roads/segment_form.html", {"form": form, "segment": None}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    initial = {"name": s.name, "start_name": s.start_name, "end_name": s.end_name, "line": _line_text(s.line),
               "length_m": "" if s.line else (s.length_m or "")}
    form = forms.SegmentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.segment_update(actor=request.user, segment=s, **form.cleaned_data)
        except DomainError as exc:
            _reraise(exc)
            form.add_domain_error(exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("The road segment was saved."))
            return redirect("volunteering:road_segment_detail", pk=s.pk)
    return render(request, "volunteering/roads/segment_form.html", {"form": form, "segment": s}, status=400 if form.errors else 200)


@login_required
def segment_detail(request: HttpRequest, pk: int, chief_form: Any = None, status: int = 200) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    if chief_form is None:
        members = [(m.pk, m.name) for m in selectors.chief_member_choices(s)[: selectors.PICKER_LIMIT]]
        chief_form = forms.ChiefForm(members=members)
    return render(request, "volunteering/roads/segment_detail.html", {
        "s": s, "chiefs": list(selectors.segment_chiefs(s)), "patrols": selectors.last_patrols(s), "reports": selectors.segment_reports(s),
        "stats": selectors.segment_stats(s), "chief_form": chief_form, "line": s.line or [],
    }, status=status)


@login_required
@require_POST
def segment_active(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    active = request.POST.get("active") == "1"
    try:
        services.segment_set_active(actor=request.user, segment=s, active=active)
    except DomainError as exc:
        _reraise(exc)
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The road segment is active again.") if active else _("The road segment was deactivated."))
    return redirect("volunteering:road_segment_detail", pk=s.pk)


@login_required
@require_POST
def chief_assign(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    members = [(m.pk, m.name) for m in selectors.chief_member_choices(s)[: selectors.PICKER_LIMIT]]
    form = forms.ChiefForm(request.POST, members=members)
    if form.is_valid():
        try:
            c = services.chief_assign(actor=request.user, segment=s, **form.cleaned_data)
        except DomainError as exc:
            _reraise(exc)
            form.add_domain_error(exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("%(name)s is now road chief of this segment.") % {"name": c.member.name})
            return redirect("volunteering:road_segment_detail", pk=s.pk)
    return segment_detail(request, s.pk, chief_form=form, status=400)


@login_required
@require_POST
def chief_end(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    try:
        c = services.chief_end(actor=request.user, chief=pk)
    except DomainError as exc:
        _reraise(exc)
        messages.error(request, _error_text(exc, "until"))
        from ..models import RoadChief

        c = scoped(RoadChief.objects.filter(pk=pk), request.user, perms.ROAD_MANAGE).first()  # type: ignore[assignment]
        if c is None:
            raise NotFound() from None
    else:
        messages.success(request, _("The road chief assignment of %(name)s ended.") % {"name": c.member.name})
    return redirect("volunteering:road_segment_detail", pk=c.segment_id)


# --- patrols and reports (the community) --------------------------------------------------------------


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    f = get_filters(request, PATROL_FILTERS)
    page = paginate(request, selectors.patrol_list(actor=request.user, filters=f))
    return render(request, "volunteering/roads/patrol_list.html", {
        **_list_ctx(request, page, f), "communities": selectors.community_choices(actor=request.user)[:500],
    })


@login_required
def patrol_export(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    qs = selectors.patrol_list(actor=request.user, filters=get_filters(request, PATROL_FILTERS))[:EXPORT_LIMIT]
    headers = [_("Road segment"), _("Road chief"), _("Patrolled at"), _("Notes"), _("Latitude"), _("Longitude"), _("Photo")]
    rows = ([p.segment.name, p.member.name, _when(p.at), p.notes, p.lat, p.lng, bool(p.photo)] for p in qs)
    return export_response(headers, rows, basename=_("patrols"), fmt=export_format(request))


@login_required
@require_GET
def patrol_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A patrol's photo, only to those who see the patrol (the chief himself, the community): else 404."""
    require_page(request, perms.ROAD_VIEW)
    return _photo_response(selectors.patrol_get(actor=request.user, id=pk).photo)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.PATROL_HANDLE)
    f = get_filters(request, REPORT_FILTERS)
    page = paginate(request, selectors.report_list(actor=request.user, filters=f))
    return render(request, "volunteering/roads/report_list.html", {
        **_list_ctx(request, page, f), "statuses": PatrolReportStatus.choices, "communities": selectors.community_choices(actor=request.user)[:500],
        "open_reports": selectors.open_report_count(actor=request.user),
    })


@login_required
def report_export(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.PATROL_HANDLE)
    qs = selectors.report_list(actor=request.user, filters=get_filters(request, REPORT_FILTERS))[:EXPORT_LIMIT]
    headers = [_("Road segment"), _("Road chief"), _("When reported"), _("Problem"), _("Description"), _("Category"), _("Status"),
               _("Matter number"), _("Handled at"), _("What was done or why not")]
    rows = ([r.segment.name, r.member.name, _when(r.reported_at), r.title, r.description, str(r.category) if r.category else "",
             r.get_status_display(), r.matter.number if r.matter else "", _when(r.handled_at), r.resolution] for r in qs)
    return export_response(headers, rows, basename=_("patrol reports"), fmt=export_format(request))


def report_actions(user: Any, r: PatrolReport) -> list[dict[str, Any]]:
    """The buttons this actor may press (only transitions the table allows)."""
    if not can(user, perms.PATROL_HANDLE) or not scoped(PatrolReport.objects.filter(pk=r.pk), user, perms.PATROL_HANDLE).exists():
        return []
    allowed = PATROL_REPORT_TRANSITIONS[r.status]
    out: list[dict[str, Any]] = []
    if PatrolReportStatus.HANDLING in allowed:
        out.append({"key": "handle", "label": _("Handle it in the community"), "style": "btn-outline-primary", "text": None})
    if PatrolReportStatus.SOLVED in allowed:
        out.append({"key": "solve", "label": _("Mark solved"), "style": "btn-success", "text": ("resolution", _("What was done"))})
    if PatrolReportStatus.MATTER in allowed:
        out.append({"key": "to-matter", "label": _("Turn into a matter"), "style": "btn-primary", "text": None})
    if PatrolReportStatus.REJECTED in allowed:
        out.append({"key": "reject", "label": _("Not a problem"), "style": "btn-outline-danger", "text": ("reason", _("Reason"))})
    return out


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_VIEW)
    r = selectors.report_get(actor=request.user, id=pk)
    matter_url = None
    if r.matter_id:
        from gongjian.matters.selectors import visible_matters

        if visible_matters(request.user).filter(pk=r.matter_id).exists():
            matter_url = reverse("matters:matter_detail", args=[r.matter_id])
    return render(request, "volunteering/roads/report_detail.html", {
        "r": r, "actions": report_actions(request.user, r), "matter_url": matter_url,
        "is_admin": can(request.user, perms.PATROL_HANDLE),
    })


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    fn: Any = services.REPORT_ACTIONS.get(action)
    if fn is None:
        raise NotFound()
    require_page(request, perms.PATROL_HANDLE)
    r = selectors.report_get(actor=request.user, id=pk)
    kwargs: dict[str, Any] = {}
    if action == "solve":
        kwargs["resolution"] = request.POST.get("resolution", "")
    elif action == "reject":
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        done = fn(actor=request.user, report=r, **kwargs)
    except DomainError as exc:
        _reraise(exc)
        messages.error(request, _error_text(exc, "resolution", "reason"))
    else:
        text = _("The report is now “%(status)s”.") % {"status": done.get_status_display()}
        if done.matter_id:
            text += " " + _("Matter number: %(number)s.") % {"number": done.matter.number}
        messages.success(request, text)
    return redirect("volunteering:road_report_detail", pk=r.pk)


@login_required
@require_GET
def report_photo(request: HttpRequest, pk: int) -> FileResponse:
    require_page(request, perms.ROAD_VIEW)
    return _photo_response(selectors.report_get(actor=request.user, id=pk).photo)


# --- the road chief's phone pages -------------------------------------------------------------------


def _report_in_url() -> str:
    try:
        return reverse("volunteering:report_in")
    except NoReverseMatch:
        return "/volunteering/"


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的巡查: my segments (log a patrol, report a problem), my last patrols, my reports with their status."""
    require_page(request, perms.PATROL)
    member = common.actor_member(request.user)
    segments = selectors.my_segments(actor=request.user)
    reported_in = common.active_report_in(member, confirmed_only=True) is not None
    return render(request, "volunteering/roads/mine.html", {
        "member": member, "segments": segments, "reported_in": reported_in, "report_in_url": _report_in_url(),
        "patrols": list(selectors.patrol_list(actor=request.user)[:10]),
        "reports": list(selectors.report_list(actor=request.user)[:30]),
    })


@login_required
@require_http_methods(["GET", "POST"])
def patrol_new(request: HttpRequest, segment: int) -> HttpResponse:
    require_page(request, perms.PATROL)
    seg = selectors.my_segment(actor=request.user, id=segment)
    posting = request.method == "POST"
    form = forms.PatrolForm(request.POST if posting else None, request.FILES if posting else None)
    if posting and form.is_valid():
        try:
            services.patrol_log(actor=request.user, segment=seg, **form.cleaned_data)
        except DomainError as exc:
            _reraise(exc)
            form.add_domain_error(exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("Your patrol on %(name)s was recorded. Thank you!") % {"name": seg.name})
            return redirect("volunteering:my_patrols")
    return render(request, "volunteering/roads/patrol_form.html", {"form": form, "seg": seg, "kind": "patrol"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, segment: int) -> HttpResponse:
    require_page(request, perms.PATROL)
    seg = selectors.my_segment(actor=request.user, id=segment)
    posting = request.method == "POST"
    categories = [(c.pk, c.full_name or c.name) for c in selectors.category_choices()]
    form = forms.ReportForm(request.POST if posting else None, request.FILES if posting else None, categories=categories)
    if posting and form.is_valid():
        try:
            services.report_create(actor=request.user, segment=seg, **form.cleaned_data)
        except DomainError as exc:
            _reraise(exc)
            form.add_domain_error(exc)  # type: ignore[arg-type]
        else:
            messages.success(request, _("Your report was sent to the community. You will see its status here."))
            return redirect("volunteering:my_patrols")
    return render(request, "volunteering/roads/patrol_form.html", {"form": form, "seg": seg, "kind": "report"},
                  status=400 if form.errors else 200)
