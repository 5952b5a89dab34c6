"""Project pages: list (filters, pagination, export), detail (plan, milestones, progress with photos,
history, actions), create by hand, status actions, milestones, progress notes and the scoped photo view.

Stable hooks for browser journeys: action forms ``#project-action-<key>`` with buttons
``[data-action=<key>]`` (agree, start, complete, rate, cancel); ``#note-form``; ``#milestone-form``;
``#project-form``; the status badge ``#project-status[data-status]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongjian.core import pages, picker
from gongjian.core.errors import DomainError, NotFound, ValidationError
from gongjian.core.forms import StyledForm
from gongjian.core.listcache import shared_list
from gongjian.core.params import int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.scope import in_scope
from gongjian.core.tabular import ExportColumn

from ..choices import PROJECT_TRANSITIONS, ProjectStatus
from ..models import Project, ProjectPhoto
from . import forms, services
from . import selectors as sel
from .permissions import PROJECT_MANAGE, PROJECT_PROGRESS, PROJECT_RATE, PROJECT_RUN, PROJECT_VIEW

MAX_RESOURCE_ROWS = 20


# --- list and export -------------------------------------------------------------------------


@login_required
@shared_list
def project_list(request: HttpRequest) -> HttpResponse:
    def communities() -> QuerySet[Any]:
        return sel.filter_communities(actor=request.user)

    def units() -> QuerySet[Any]:
        return sel.filter_units(actor=request.user)

    options = picker.answer_partial(request, permission=PROJECT_VIEW, pickers={picker.COMMUNITY: communities, picker.UNIT: units})
    if options is not None:
        return options
    return pages.list_view(request, "cobuild/projects/list.html", permission=PROJECT_VIEW, keys=sel.FILTERS,
                           rows=lambda f: sel.project_list(actor=request.user, filters=f), context=lambda f: {
                               "statuses": ProjectStatus.choices,
                               "community": pages.lazy(lambda: picker.communities(request, communities(), f)),
                               "unit": pages.lazy(lambda: picker.units(request, units(), f)),
                               "can_create": can(request.user, PROJECT_MANAGE)})


def _day(value: Any) -> Any:
    return timezone.localtime(value).date() if value else None


EXPORT_COLUMNS = (
    ExportColumn(gettext_lazy("Title"), "title"), ExportColumn(gettext_lazy("Community code"), "community.code"),
    ExportColumn(gettext_lazy("Community"), "community.name"), ExportColumn(gettext_lazy("Responsible unit"), "unit.name"),
    ExportColumn(gettext_lazy("Status"), "get_status_display"),
    ExportColumn(gettext_lazy("Number of needs"), lambda p: getattr(p, "needs_count", None)),
    ExportColumn(gettext_lazy("Progress (%)"), lambda p: getattr(p, "latest_progress", None)),
    ExportColumn(gettext_lazy("Proposed on"), lambda p: _day(p.created_at)), ExportColumn(gettext_lazy("Agreed on"), lambda p: _day(p.agreed_at)),
    ExportColumn(gettext_lazy("Started on"), lambda p: _day(p.started_at)), ExportColumn(gettext_lazy("Completed on"), lambda p: _day(p.done_at)),
    ExportColumn(gettext_lazy("Rating"), "rating"), ExportColumn(gettext_lazy("Rating remark"), "rating_remark"),
    ExportColumn(gettext_lazy("Outcome"), "outcome"), ExportColumn(gettext_lazy("Reason"), "cancel_reason"),
)


@login_required
def project_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=PROJECT_VIEW, keys=sel.FILTERS,
                             rows=lambda f: sel.project_list(actor=request.user, filters=f), columns=EXPORT_COLUMNS, basename=_("projects"))


# --- detail ----------------------------------------------------------------------------------


def _may(request: HttpRequest, p: Project, action: str) -> bool:
    return can(request.user, action) and in_scope(p, request.user, action)


def project_actions(request: HttpRequest, p: Project) -> list[dict[str, Any]]:
    """The status actions this actor may take on this project now (only transitions the table allows)."""

    def allows(to: str) -> bool:
        return PROJECT_TRANSITIONS.allows(p.status, to)

    out: list[dict[str, Any]] = []
    if any(allows(to) for to in (ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS, ProjectStatus.DONE)) and _may(request, p, PROJECT_RUN):
        if allows(ProjectStatus.AGREED):
            out.append({"key": "agree", "label": _("Agree to the project"), "style": "btn-primary", "form": None})
        if allows(ProjectStatus.IN_PROGRESS):
            out.append({"key": "start", "label": _("Start the work"), "style": "btn-primary", "form": None})
        if allows(ProjectStatus.DONE):
            out.append({"key": "complete", "label": _("Mark as completed"), "style": "btn-success", "form": "complete"})
    if allows(ProjectStatus.RATED) and _may(request, p, PROJECT_RATE):
        out.append({"key": "rate", "label": _("Rate the project"), "style": "btn-success", "form": "rate"})
    if allows(ProjectStatus.CANCELLED) and _may(request, p, PROJECT_MANAGE):
        out.append({"key": "cancel", "label": _("Cancel the project"), "style": "btn-outline-danger", "form": "cancel"})
    return out


def _detail(request: HttpRequest, pk: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    d = sel.project_detail(actor=request.user, id=pk)
    p = d.project
    progress = _may(request, p, PROJECT_PROGRESS)
    ctx = {
        "p": p, "d": d, "actions": project_actions(request, p),
        "complete_form": forms.CompleteForm(), "rate_form": forms.RateForm(), "cancel_form": forms.CancelForm(),
        "can_plan": progress and p.status in services.MILESTONE_EDITABLE,
        "can_note": progress and p.status in services.NOTE_OPEN,
        "milestone_form": forms.MilestoneForm(), "plan_form": forms.PlanForm(initial={"plan": p.plan}),
        "note_form": forms.NoteForm(), "max_photos": services.MAX_PHOTOS,
        "stars": range(1, 6),
    }
    ctx.update(extra)
    return render(request, "cobuild/projects/detail.html", ctx, status=status)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, PROJECT_VIEW)
    return _detail(request, pk)


ACTION_FORMS: dict[str, type[StyledForm]] = {"complete": forms.CompleteForm, "rate": forms.RateForm, "cancel": forms.CancelForm}
ACTION_FIELDS = {"complete": {"outcome": "outcome"}, "rate": {"rating": "rating", "rating_remark": "remark"},
                 "cancel": {"reason": "reason"}}


@login_required
@require_POST
def project_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_page(request, PROJECT_VIEW)
    fn: Any = services.PROJECT_ACTIONS.get(action)
    if fn is None:
        raise NotFound()
    p = sel.project_get(actor=request.user, id=pk)
    kwargs: dict[str, Any] = {}
    form = None
    if action in ACTION_FORMS:
        form = ACTION_FORMS[action](request.POST)
        form.is_valid()
        data = {**form.cleaned_data}
        kwargs = {"complete": lambda: {"outcome": data.get("outcome", "")},
                  "rate": lambda: {"rating": data.get("rating") or None, "remark": data.get("remark", "")},
                  "cancel": lambda: {"reason": data.get("reason", "")}}[action]()
    return _post(request, p, lambda: fn(actor=request.user, project=p, **kwargs), form=form, anchor="",
                 message=lambda: _("The project is now “%(status)s”.") % {"status": Project.objects.get(pk=p.pk).get_status_display()},
                 field_map=ACTION_FIELDS.get(action), on_error={f"{action}_form": form, "open_action": action}, field_errors_only=True)


# --- milestones and notes --------------------------------------------------------------------


F = TypeVar("F", bound=StyledForm)


def _progress_post(request: HttpRequest, pk: int, form_class: type[F]) -> tuple[Project, F]:
    """A progress POST on the project page: the project the actor may record progress of, and the bound form."""
    require_page(request, PROJECT_PROGRESS)
    p = sel.project_get(actor=request.user, id=pk, action=PROJECT_PROGRESS)
    form = form_class(request.POST)
    form.is_valid()
    return p, form


def _post(request: HttpRequest, p: Project, call: Callable[[], Any], *, form: StyledForm | None, anchor: str, message: Any,
          field_map: dict[str, str] | None = None, on_error: dict[str, Any] | None = None,
          error_extra: Callable[[ValidationError], dict[str, Any]] | None = None, field_errors_only: bool = False) -> HttpResponse:
    """A POST on the project page: call the service; a validation error re-shows the page with the form (400; with
    ``field_errors_only``, only one that names fields), any other domain error is a message; success is a message.
    Both go back to the project at ``anchor``."""
    try:
        call()
    except DomainError as exc:
        pages.reraise_page_errors(exc)
        if form is None or not isinstance(exc, ValidationError) or (field_errors_only and not exc.details):
            messages.error(request, str(exc.message))
        else:
            form.add_domain_error(exc, field_map)
            return _detail(request, p.pk, status=400, **(on_error or {}), **(error_extra(exc) if error_extra else {}))
    else:
        messages.success(request, message() if callable(message) else message)
    return redirect(reverse("cobuild:project_detail", args=[p.pk]) + anchor)


@login_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    p, form = _progress_post(request, pk, forms.MilestoneForm)
    d = form.cleaned_data
    return _post(request, p, lambda: services.milestone_add(actor=request.user, project=p, title=d.get("title", ""),
                                                            due_on=d.get("due_on") or request.POST.get("due_on", "")),
                 form=form, anchor="#milestones", message=_("The milestone was added."), on_error={"milestone_form": form})


@login_required
@require_POST
def plan_update(request: HttpRequest, pk: int) -> HttpResponse:
    p, form = _progress_post(request, pk, forms.PlanForm)
    plan = form.cleaned_data.get("plan", request.POST.get("plan", ""))
    return _post(request, p, lambda: services.project_plan_update(actor=request.user, project=p, plan=plan), form=form, anchor="#plan",
                 message=_("The plan was saved."), on_error={"plan_form": form, "open_plan": True})


MILESTONE_ACTIONS = {"done": services.milestone_mark_done, "reopen": services.milestone_reopen, "remove": services.milestone_remove}


@login_required
@require_POST
def milestone_action(request: HttpRequest, pk: int, mid: int, action: str) -> HttpResponse:
    require_page(request, PROJECT_PROGRESS)
    p = sel.project_get(actor=request.user, id=pk, action=PROJECT_PROGRESS)
    kwargs: dict[str, Any] = {}
    if action == "edit":
        fn: Any = services.milestone_update
        form = forms.MilestoneForm(request.POST)
        form.is_valid()
        kwargs = {"title": form.cleaned_data.get("title", ""), "due_on": form.cleaned_data.get("due_on")}
    elif action in MILESTONE_ACTIONS:
        fn = MILESTONE_ACTIONS[action]
        if action == "done" and request.POST.get("done_on"):
            kwargs["done_on"] = request.POST["done_on"]
    else:
        raise NotFound()
    return pages.action(request, lambda: fn(actor=request.user, project=p, milestone=int_param(mid) or 0, **kwargs),
                        back=reverse("cobuild:project_detail", args=[p.pk]) + "#milestones", error_fields=("title", "due_on", "done_on"),
                        message={"done": _("The milestone is marked as done."), "reopen": _("The milestone is open again."),
                                 "remove": _("The milestone was removed."), "edit": _("The milestone was saved.")}[action])


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    p, form = _progress_post(request, pk, forms.NoteForm)
    d = form.cleaned_data
    return _post(request, p, lambda: services.note_add(actor=request.user, project=p, text=d.get("text", request.POST.get("text", "")),
                                                       progress=d.get("progress", ""), photos=request.FILES.getlist("photos")),
                 form=form, anchor="#progress", message=_("The progress note was added."), on_error={"note_form": form},
                 error_extra=lambda exc: {"photo_errors": [str(m) for m in exc.details.get("photos", [])]})


@login_required
@require_GET
def photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """A progress photo, only to those who may see the project (outside the scope: 404)."""
    require_page(request, PROJECT_VIEW)
    p = sel.project_get(actor=request.user, id=pk)
    return photo_response(services.photo_get(actor=request.user, project=p, photo_id=photo_id), inline=True)


def photo_response(ph: ProjectPhoto, *, inline: bool) -> FileResponse:
    """A progress photo's bytes (a missing file: not found), never cached by others, never run as a page; ``inline``
    names the file."""
    try:
        handle = ph.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    resp = FileResponse(handle, content_type=ph.content_type)
    resp["Cache-Control"] = "private, max-age=3600"
    resp["X-Content-Type-Options"] = "nosniff"
    if inline:
        resp["Content-Disposition"] = f'inline; filename="{str(ph.file.name).rsplit("/", 1)[-1]}"'
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


# --- create by hand --------------------------------------------------------------------------


def _resource_rows(request: HttpRequest) -> list[tuple[str, str]]:
    ids = request.POST.getlist("resource")[:MAX_RESOURCE_ROWS]
    amounts = request.POST.getlist("amount")[:MAX_RESOURCE_ROWS]
    amounts += [""] * (len(ids) - len(amounts))
    return [(str(r).strip(), str(a).strip()) for r, a in zip(ids, amounts, strict=False)]


def _form_ctx(request: HttpRequest, form: forms.ProjectForm, community: Any, chosen: set[str], rows: list[tuple[str, str]]
              ) -> dict[str, Any]:
    rows = list(rows) + [("", "")] * max(0, 3 - len(rows))
    return {"form": form, "needs": sel.form_needs(actor=request.user, community=community), "chosen": chosen,
            "resources": sel.form_resources(actor=request.user), "rows": rows, "community": int_param(community)}


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    require_page(request, PROJECT_MANAGE)
    communities = sel.form_communities(actor=request.user)
    source = request.POST if request.method == "POST" else request.GET
    community = int_param(source.get("community"))
    if community is None and communities.count() == 1:
        community = communities[0].pk
    chosen = {str(v) for v in (source.getlist("needs") or source.getlist("need"))}
    initial: dict[str, Any] = {"community": community}
    form = forms.ProjectForm(request.POST or None, initial=initial, community_qs=communities, unit_qs=sel.form_units(actor=request.user))
    rows = _resource_rows(request) if request.method == "POST" else []
    return pages.form_page(
        request, form, template="cobuild/projects/form.html", context=lambda: _form_ctx(request, form, community, chosen, rows),
        save=lambda d: services.project_create(
            actor=request.user, title=d["title"], community=source.get("community", ""), unit=source.get("unit", ""), plan=d["plan"],
            needs=source.getlist("needs"), resources=[(r, a) for r, a in rows if r or a]),
        success=lambda p: reverse("cobuild:project_detail", args=[p.pk]),
        message=_("The project was proposed. The responsible unit is asked to agree to it."))


@login_required
@require_GET
def project_form_needs(request: HttpRequest) -> HttpResponse:
    """The needs fieldset for the chosen community (htmx swaps it in when the community changes)."""
    require_page(request, PROJECT_MANAGE)
    community = request.GET.get("community")
    return render(request, "cobuild/projects/_needs.html", {"needs": sel.form_needs(actor=request.user, community=community),
                                                            "chosen": set(), "community": int_param(community)})


@login_required
@require_GET
def project_form_resource_row(request: HttpRequest) -> HttpResponse:
    require_page(request, PROJECT_MANAGE)
    return render(request, "cobuild/projects/_resource_row.html", {"row": ("", ""), "resources": sel.form_resources(actor=request.user)})
