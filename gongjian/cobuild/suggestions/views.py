"""Pages of the matching part: the suggestions panel of a need (loaded into the need page with htmx), the decisions,
and the matching board (对接看板) of a subdistrict or district."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gongjian.core.errors import DomainError
from gongjian.core.pagination import PAGE_SIZES, querystring_without
from gongjian.core.params import export_format, require_page
from gongjian.core.permissions import can
from gongjian.core.tabular import export_response

from .. import permissions as cperms
from . import permissions as perms
from . import selectors, services


def project_url(project_id: int | None) -> str:
    """The project's page, when the projects part provides one."""
    if not project_id:
        return ""
    try:
        return reverse("cobuild:project_detail", args=[project_id])
    except NoReverseMatch:
        return ""


def _panel_context(request: HttpRequest, n: Any) -> dict[str, Any]:
    rows = selectors.suggestions_for_need(actor=request.user, need=n)
    accepted = list(selectors.accepted_for_need(actor=request.user, need=n))
    for d in accepted:
        d.project_url = project_url(d.project_id)  # type: ignore[attr-defined]
    return {
        "n": n, "rows": rows, "suggestable": selectors.is_suggestable(n),
        "rejected": list(selectors.rejected_for_need(actor=request.user, need=n)), "accepted": accepted,
        "can_decide": can(request.user, perms.SUGGEST_DECIDE) and can(request.user, cperms.PROJECT_MANAGE),
        "next": request.get_full_path() if not request.headers.get("HX-Request") else reverse("cobuild:need_detail", args=[n.pk]),
    }


@login_required
@require_GET
def suggest_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The need's top suggestions with reasons, accept/reject, accepted and rejected pairs. A fragment for htmx, a page
    otherwise (without JavaScript the need page links here)."""
    require_page(request, perms.SUGGEST_VIEW)
    n = selectors.need_for_matching(actor=request.user, id=pk)
    ctx = _panel_context(request, n)
    if request.headers.get("HX-Request"):
        return render(request, "cobuild/suggestions/_panel.html", ctx)
    return render(request, "cobuild/suggestions/need.html", ctx)


def _back(request: HttpRequest, need_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(reverse("cobuild:need_detail", args=[need_id]) + "#suggestions")


def _error(exc: DomainError) -> str:
    if exc.details:
        first = next(iter(exc.details.values()))
        return str(first[0] if isinstance(first, list | tuple) else first)
    return str(exc.message)


@login_required
@require_POST
def suggest_accept(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    require_page(request, perms.SUGGEST_DECIDE)
    n = selectors.need_for_matching(actor=request.user, id=pk)
    try:
        d = services.match_accept(actor=request.user, need=n, resource=rid, amount=request.POST.get("amount", ""),
                                  title=request.POST.get("title", ""))
    except DomainError as exc:
        messages.error(request, _error(exc))
    else:
        messages.success(request, _("Accepted: the project “%(title)s” was proposed to %(unit)s.")
                         % {"title": d.project.title if d.project else "", "unit": d.resource.unit.name})
    return _back(request, n.pk)


@login_required
@require_POST
def suggest_reject(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    require_page(request, perms.SUGGEST_DECIDE)
    n = selectors.need_for_matching(actor=request.user, id=pk)
    try:
        d = services.match_reject(actor=request.user, need=n, resource=rid, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, _error(exc))
    else:
        messages.success(request, _("Rejected: “%(title)s” will not be suggested for this need again.") % {"title": d.resource.title})
    return _back(request, n.pk)


@login_required
@require_POST
def suggest_unreject(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    require_page(request, perms.SUGGEST_DECIDE)
    n = selectors.need_for_matching(actor=request.user, id=pk)
    try:
        services.match_unreject(actor=request.user, need=n, resource=rid)
    except DomainError as exc:
        messages.error(request, _error(exc))
    else:
        messages.success(request, _("The rejection was undone; the resource may be suggested again."))
    return _back(request, n.pk)


# --- the matching board ------------------------------------------------------------------------------


def _board(request: HttpRequest) -> tuple[Any, list[selectors.BoardRow]]:
    require_page(request, perms.MATCH_BOARD)
    region = selectors.board_region(actor=request.user, region=request.GET.get("region", ""))
    return region, selectors.board(actor=request.user, region=region)


@login_required
@require_GET
def suggest_board(request: HttpRequest) -> HttpResponse:
    region, rows = _board(request)
    try:
        size = int(request.GET.get("size", 20))
    except ValueError:
        size = 20
    size = size if size in PAGE_SIZES else 20
    page = Paginator(rows, size).get_page(request.GET.get("page", 1))
    return render(request, "cobuild/suggestions/board.html", {
        "region": region, "regions": selectors.board_regions(actor=request.user), "page": page,
        "qs": querystring_without(request, "page"), "export_qs": querystring_without(request, "page", "size", "format"),
        "proposed": sum(1 for r in rows if r.proposal), "total": len(rows),
        "can_decide": can(request.user, perms.SUGGEST_DECIDE) and can(request.user, cperms.PROJECT_MANAGE),
        "next": request.get_full_path(),
    })


@login_required
@require_GET
def suggest_board_export(request: HttpRequest) -> HttpResponse:
    region, rows = _board(request)
    headers = [_("Community"), _("Need"), _("Category"), _("Quantity"), _("Resource"), _("Unit"), _("Score"), _("Amount proposed"),
               _("Capacity unit"), _("Remaining capacity"), _("Reasons")]
    out = []
    for row in rows:
        n, p = row.need, row.proposal
        out.append([
            n.community.name, n.title, n.category.name if n.category else "",
            row.quantity_text,
            p.resource.title if p else "", p.resource.unit.name if p else "", round(p.score, 4) if p else "",
            p.default_amount if p and p.default_amount is not None else "", p.capacity_unit_label if p else "",
            p.resource.remaining if p and p.resource.remaining is not None else "", "；".join(p.reasons) if p else _("No resource to propose"),
        ])
    return export_response(headers, out, basename=_("matching-board") + f"-{region.code}", fmt=export_format(request))
