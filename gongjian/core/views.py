from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import figures as F
from . import pages, registry, selectors, services
from .errors import DomainError, NotFound, PermissionDenied
from .listcache import shared_list
from .pagination import paginate, querystring_without
from .params import export_format, require_page
from .permissions import can
from .tabular import error_report_response, export_response, template_response

AUDIT_FIELDS = selectors.AUDIT_FIELDS


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A home page per role: each module may contribute a panel for the roles it serves."""
    return render(request, "core/home.html", {"panels": registry.home_panels(request.user)})


@login_required
@shared_list
def figures(request: HttpRequest) -> HttpResponse:
    """Every registered figure for one region of the actor's scope; ``figure=`` adds its child-region breakdown.
    The page below the frame is the same for every account of the same sight (``shared_list``): the figures, the
    breakdown and the region path are computed when it is drawn, not for a page kept by ``core.listcache``."""
    require_page(request, F.VIEW)
    region = F.figure_region(actor=request.user, code=request.GET.get("region"))
    period_text = request.GET.get("period", "").strip()
    error = None
    try:
        period = F.parse_period(period_text)
    except DomainError as exc:
        error, period, period_text = str(exc.message), None, ""
    key = request.GET.get("figure", "").strip()
    if key and key not in {f.key for f in registry.figures()}:
        raise NotFound()  # an unknown figure, before the page is drawn
    if request.GET.get("export"):
        headers = [_("Module"), _("Figure"), _("Value"), _("Unit of measure"), _("Region"), _("Period")]
        label = dict(F.period_choices()).get(period_text, period_text) or _("As of now")
        rows = ([str(m.name), str(r.figure.name), r.value, str(r.figure.unit), region.name, label]
                for m, rs in F.figure_rows(region, period) for r in rs)
        return export_response(headers, rows, basename=f"figures-{region.code}", fmt=export_format(request))
    roots = pages.lazy(lambda: F.figure_regions(actor=request.user))

    def ancestors() -> list[Any]:
        out: list[Any] = []
        node = region
        while node is not None:
            out.insert(0, node)
            if any(node.pk == r.pk for r in roots()):
                break
            node = node.parent
        return out

    ctx = {
        "region": region, "roots": roots, "ancestors": pages.lazy(ancestors), "groups": pages.lazy(lambda: F.figure_rows(region, period)),
        "breakdown": pages.lazy(lambda: F.figure_breakdown(key, region, period)) if key else None,
        "period": period_text, "periods": F.period_choices(), "figure_key": key, "error": error,
        "qs": querystring_without(request, "figure", "export", "format"),
    }
    return render(request, "core/figures.html", ctx, status=400 if error else 200)


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.audit_event_list(actor=request.user, filters=request.GET)
    page = paginate(request, qs, default_size=50)
    return render(request, "core/audit_list.html", {"page": page, "filters": request.GET, "qs": querystring_without(request, "page")})


def _import_context(kind: str, request: HttpRequest) -> dict[str, Any]:
    try:
        definition = registry.importer(kind)
    except KeyError:
        raise NotFound() from None
    if not can(request.user, definition.permission):
        raise NotFound()
    importer = definition.factory()
    return {"definition": definition, "importer": importer, "kind": kind, "back_url": reverse(definition.back_url_name)}


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, kind: str) -> HttpResponse:
    ctx = _import_context(kind, request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            ctx["error"] = _("Choose a file to upload.")
        else:
            try:
                job, _result = services.import_check(actor=request.user, kind=kind, upload=upload, filename=upload.name or "")
            except DomainError as exc:
                ctx["error"] = str(exc.message)
            else:
                return redirect("core:import_review", kind=kind, token=job.token)
    return render(request, "core/import_start.html", ctx, status=400 if ctx.get("error") else 200)


@login_required
def import_review(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    ctx = _import_context(kind, request)
    job = services.import_job_get(actor=request.user, token=token)
    result = services.import_recheck(actor=request.user, job=job)
    ctx.update({"job": job, "result": result, "errors": result.errors[:200]})
    return render(request, "core/import_review.html", ctx)


@login_required
def import_errors(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    ctx = _import_context(kind, request)
    job = services.import_job_get(actor=request.user, token=token)
    result = services.import_recheck(actor=request.user, job=job)
    return error_report_response(ctx["importer"], result, request.GET.get("format", "xlsx"))


@login_required
@require_POST
def import_apply(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    ctx = _import_context(kind, request)
    action = request.POST.get("action", "")
    if action == "discard":
        services.import_discard(actor=request.user, token=token)
        return redirect(ctx["back_url"])
    try:
        outcome = services.import_apply(actor=request.user, token=token, mode=request.POST.get("mode", "all"))
    except DomainError as exc:
        job = services.import_job_get(actor=request.user, token=token)
        result = services.import_recheck(actor=request.user, job=job)
        ctx.update({"job": job, "result": result, "errors": result.errors[:200], "error": str(exc.message)})
        return render(request, "core/import_review.html", ctx, status=400)
    ctx["outcome"] = outcome
    return render(request, "core/import_done.html", ctx)


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    ctx = _import_context(kind, request)
    return template_response(ctx["importer"], request.GET.get("format", "xlsx"))


def domain_error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = exc.status
    template = "404.html" if isinstance(exc, NotFound) else "403.html" if isinstance(exc, PermissionDenied) else "core/error.html"
    return render(request, template, {"error": exc}, status=status)
