"""Pages of the road chiefs part: the community's segments (with their chiefs, map and patrols), the patrol log, the
reports queue; the road chief's phone pages (my segments, log a patrol, report a problem, my reports).
Views parse input, call selectors and services, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongjian.core import pages, picker
from gongjian.core.errors import DomainError, NotFound, PermissionDenied
from gongjian.core.forms import first_error
from gongjian.core.listcache import shared_list
from gongjian.core.pages import reraise_page_errors
from gongjian.core.params import int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.scope import scoped
from gongjian.core.tabular import ExportColumn
from gongjian.matters.selectors import visible_matters

from .. import common
from .. import permissions as perms
from ..choices import PATROL_REPORT_TRANSITIONS, PatrolReportStatus
from ..models import PatrolReport, RoadChief
from . import forms, selectors, services

SEGMENT_FILTERS = ("q", "community", "active", "chief")
PATROL_FILTERS = ("q", "segment", "community", "member", "since", "until")
REPORT_FILTERS = ("q", "status", "segment", "community", "category")


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


def _list(request: HttpRequest, template: str, *, permission: str, keys: tuple[str, ...], rows: Callable[[dict[str, str]], Any],
          context: Callable[[dict[str, str]], dict[str, Any]]) -> HttpResponse:
    """A list page of the community's road records: its rows counted once per version (``common.counted``), its
    community filter bounded for a city (``picker``: the options alone for the search box's ``?partial=community``)."""

    def communities() -> Any:
        return selectors.community_choices(actor=request.user)

    options = picker.answer_partial(request, permission=permission, pickers={picker.COMMUNITY: communities})
    if options is not None:
        return options
    return pages.list_view(request, template, permission=permission, keys=keys, rows=lambda f: common.counted(rows(f)),
                           context=lambda f: {**context(f), "community": pages.lazy(lambda: picker.communities(request, communities(), f))})


@login_required
@shared_list
def segment_list(request: HttpRequest) -> HttpResponse:
    return _list(request, "volunteering/roads/segment_list.html", permission=perms.ROAD_MANAGE, keys=SEGMENT_FILTERS,
                 rows=lambda f: selectors.segment_list(actor=request.user, filters=f),
                 context=lambda f: {"open_reports": pages.lazy(lambda: selectors.open_report_count(actor=request.user))})


def _segment_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Community"), "community.name"), ExportColumn(_("Name"), "name"), ExportColumn(_("Start point"), "start_name"),
        ExportColumn(_("End point"), "end_name"), ExportColumn(_("Length (m)"), "length_m"),
        ExportColumn(_("Points on the line"), lambda s: len(s.line or [])),
        ExportColumn(_("Road chiefs"), lambda s: "、".join(c.member.name for c in s.active_chiefs)),
        ExportColumn(_("Last patrol"), lambda s: _when(s.last_patrol_at)), ExportColumn(_("Active"), "is_active"),
    ]


@login_required
def segment_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.ROAD_MANAGE, keys=SEGMENT_FILTERS, columns=_segment_columns,
                             rows=lambda f: selectors.segment_list(actor=request.user, filters=f), basename=_("road segments"))


def _community_options(request: HttpRequest) -> list[tuple[int, str]]:
    return [(c.pk, c.name) for c in selectors.community_choices(actor=request.user, action=perms.ROAD_MANAGE)[:500]]


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    options = _community_options(request)
    initial = {"community": options[0][0]} if len(options) == 1 else {"community": int_param(request.GET.get("community"))}
    form = forms.SegmentForm(request.POST if request.method == "POST" else None, initial=initial, communities=options)
    return pages.form_page(request, form, save=lambda d: services.segment_create(actor=request.user, **d),
                           success=lambda s: reverse("volunteering:road_segment_detail", kwargs={"pk": s.pk}),
                           message=lambda s: _("The road segment %(name)s was created.") % {"name": s.name},
                           template="volunteering/roads/segment_form.html", context={"segment": None})


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    initial = {"name": s.name, "start_name": s.start_name, "end_name": s.end_name, "line": _line_text(s.line),
               "length_m": "" if s.line else (s.length_m or "")}
    form = forms.SegmentForm(request.POST if request.method == "POST" else None, initial=initial)
    return pages.form_page(request, form, save=lambda d: services.segment_update(actor=request.user, segment=s, **d),
                           success=reverse("volunteering:road_segment_detail", kwargs={"pk": s.pk}), message=_("The road segment was saved."),
                           template="volunteering/roads/segment_form.html", context={"segment": s})


@login_required
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    return render(request, "volunteering/roads/segment_detail.html", _segment_context(s, forms.ChiefForm(members=_chief_choices(s))))


def _chief_choices(s: Any) -> list[tuple[int, str]]:
    return [(m.pk, m.name) for m in selectors.chief_member_choices(s)[: selectors.PICKER_LIMIT]]


def _segment_context(s: Any, chief_form: Any) -> dict[str, Any]:
    return {"s": s, "chiefs": list(selectors.segment_chiefs(s)), "patrols": selectors.last_patrols(s), "reports": selectors.segment_reports(s),
            "stats": selectors.segment_stats(s), "chief_form": chief_form, "line": s.line or []}


@login_required
@require_POST
def segment_active(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    active = request.POST.get("active") == "1"
    return pages.action(request, lambda: services.segment_set_active(actor=request.user, segment=s, active=active),
                        back=reverse("volunteering:road_segment_detail", kwargs={"pk": s.pk}),
                        message=_("The road segment is active again.") if active else _("The road segment was deactivated."))


@login_required
@require_POST
def chief_assign(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    s = selectors.segment_get(actor=request.user, id=pk)
    form = forms.ChiefForm(request.POST, members=_chief_choices(s))
    return pages.form_page(request, form, save=lambda d: services.chief_assign(actor=request.user, segment=s, **d),
                           success=reverse("volunteering:road_segment_detail", kwargs={"pk": s.pk}),
                           message=lambda c: _("%(name)s is now road chief of this segment.") % {"name": c.member.name},
                           template="volunteering/roads/segment_detail.html",
                           context=lambda: _segment_context(selectors.segment_get(actor=request.user, id=s.pk), form))


@login_required
@require_POST
def chief_end(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_MANAGE)
    try:
        c = services.chief_end(actor=request.user, chief=pk)
    except DomainError as exc:
        reraise_page_errors(exc)
        messages.error(request, first_error(exc, "until"))

        c = scoped(RoadChief.objects.filter(pk=pk), request.user, perms.ROAD_MANAGE).first()  # type: ignore[assignment]
        if c is None:
            raise NotFound() from None
    else:
        messages.success(request, _("The road chief assignment of %(name)s ended.") % {"name": c.member.name})
    return redirect("volunteering:road_segment_detail", pk=c.segment_id)


# --- patrols and reports (the community) --------------------------------------------------------------


@login_required
@shared_list
def patrol_list(request: HttpRequest) -> HttpResponse:
    return _list(request, "volunteering/roads/patrol_list.html", permission=perms.ROAD_MANAGE, keys=PATROL_FILTERS,
                 rows=lambda f: selectors.patrol_list(actor=request.user, filters=f), context=lambda f: {})


def _patrol_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Road segment"), "segment.name"), ExportColumn(_("Road chief"), "member.name"),
        ExportColumn(_("Patrolled at"), lambda p: _when(p.at)), ExportColumn(_("Notes"), "notes"), ExportColumn(_("Latitude"), "lat"),
        ExportColumn(_("Longitude"), "lng"), ExportColumn(_("Photo"), lambda p: bool(p.photo)),
    ]


@login_required
def patrol_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.ROAD_MANAGE, keys=PATROL_FILTERS, columns=_patrol_columns,
                             rows=lambda f: selectors.patrol_list(actor=request.user, filters=f), basename=_("patrols"))


@login_required
@require_GET
def patrol_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A patrol's photo, only to those who see the patrol (the chief himself, the community): else 404."""
    require_page(request, perms.ROAD_VIEW)
    return _photo_response(selectors.patrol_get(actor=request.user, id=pk).photo)


@login_required
@shared_list
def report_list(request: HttpRequest) -> HttpResponse:
    return _list(request, "volunteering/roads/report_list.html", permission=perms.PATROL_HANDLE, keys=REPORT_FILTERS,
                 rows=lambda f: selectors.report_list(actor=request.user, filters=f),
                 context=lambda f: {"statuses": PatrolReportStatus.choices,
                                    "open_reports": pages.lazy(lambda: selectors.open_report_count(actor=request.user))})


def _report_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Road segment"), "segment.name"), ExportColumn(_("Road chief"), "member.name"),
        ExportColumn(_("When reported"), lambda r: _when(r.reported_at)), ExportColumn(_("Problem"), "title"),
        ExportColumn(_("Description"), "description"), ExportColumn(_("Category"), lambda r: str(r.category) if r.category else ""),
        ExportColumn(_("Status"), "get_status_display"), ExportColumn(_("Matter number"), "matter.number"),
        ExportColumn(_("Handled at"), lambda r: _when(r.handled_at)), ExportColumn(_("What was done or why not"), "resolution"),
    ]


@login_required
def report_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.PATROL_HANDLE, keys=REPORT_FILTERS, columns=_report_columns,
                             rows=lambda f: selectors.report_list(actor=request.user, filters=f), basename=_("patrol reports"))


def report_actions(user: Any, r: PatrolReport) -> list[dict[str, Any]]:
    """The buttons this actor may press (only transitions the table allows)."""
    if not can(user, perms.PATROL_HANDLE) or not scoped(PatrolReport.objects.filter(pk=r.pk), user, perms.PATROL_HANDLE).exists():
        return []
    out: list[dict[str, Any]] = []
    if PATROL_REPORT_TRANSITIONS.allows(r.status, PatrolReportStatus.HANDLING):
        out.append({"key": "handle", "label": _("Handle it in the community"), "style": "btn-outline-primary", "text": None})
    if PATROL_REPORT_TRANSITIONS.allows(r.status, PatrolReportStatus.SOLVED):
        out.append({"key": "solve", "label": _("Mark solved"), "style": "btn-success", "text": ("resolution", _("What was done"))})
    if PATROL_REPORT_TRANSITIONS.allows(r.status, PatrolReportStatus.MATTER):
        out.append({"key": "to-matter", "label": _("Turn into a matter"), "style": "btn-primary", "text": None})
    if PATROL_REPORT_TRANSITIONS.allows(r.status, PatrolReportStatus.REJECTED):
        out.append({"key": "reject", "label": _("Not a problem"), "style": "btn-outline-danger", "text": ("reason", _("Reason"))})
    return out


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ROAD_VIEW)
    r = selectors.report_get(actor=request.user, id=pk)
    matter_url = None
    if r.matter_id:

        if visible_matters(request.user).filter(pk=r.matter_id).exists():
            matter_url = reverse("matters:matter_detail", args=[r.matter_id])
    return render(request, "volunteering/roads/report_detail.html", {
        "r": r, "actions": report_actions(request.user, r), "matter_url": matter_url,
        "is_admin": can(request.user, perms.PATROL_HANDLE),
    })


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return common.record_action(request, services.REPORT_ACTIONS, action, permission=perms.PATROL_HANDLE, arg="report",
                                load=lambda: selectors.report_get(actor=request.user, id=pk), fields={"solve": "resolution", "reject": "reason"},
                                back=lambda r: reverse("volunteering:road_report_detail", kwargs={"pk": r.pk}), message=_report_done)


def _report_done(_record: Any, done: Any) -> str:
    text = _("The report is now “%(status)s”.") % {"status": done.get_status_display()}
    if done.matter_id:
        text += " " + _("Matter number: %(number)s.") % {"number": done.matter.number}
    return text


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
    mine = selectors.mine(actor=request.user)
    if mine is None:
        raise PermissionDenied(common.NO_MEMBER_MESSAGE, code="no_member")
    return render(request, "volunteering/roads/mine.html", {**mine, "report_in_url": _report_in_url()})


def _phone_form(request: HttpRequest, segment: int, kind: str, make_form: Callable[..., Any], save: Callable[..., Any], message: Any) -> HttpResponse:
    """A road chief's form on his segment (log a patrol, report a problem): the photo comes with the POST."""
    require_page(request, perms.PATROL)
    seg = selectors.my_segment(actor=request.user, id=segment)
    posting = request.method == "POST"
    form = make_form(request.POST if posting else None, request.FILES if posting else None)
    return pages.form_page(request, form, save=lambda d: save(actor=request.user, segment=seg, **d), success="volunteering:my_patrols",
                           message=message(seg) if callable(message) else message,
                           template="volunteering/roads/patrol_form.html", context={"seg": seg, "kind": kind})


@login_required
@require_http_methods(["GET", "POST"])
def patrol_new(request: HttpRequest, segment: int) -> HttpResponse:
    return _phone_form(request, segment, "patrol", forms.PatrolForm, services.patrol_log,
                       lambda seg: _("Your patrol on %(name)s was recorded. Thank you!") % {"name": seg.name})


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, segment: int) -> HttpResponse:
    def make_form(data: Any, files: Any) -> Any:
        categories = [(c.pk, c.full_name or c.name) for c in selectors.category_choices()]
        return forms.ReportForm(data, files, categories=categories)

    return _phone_form(request, segment, "report", make_form, services.report_create,
                       _("Your report was sent to the community. You will see its status here."))
