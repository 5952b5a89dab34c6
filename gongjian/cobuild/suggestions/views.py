"""Pages of the suggestions part (served under /cobuild/matching/; the engine itself is ``cobuild.matching``): the
suggestions panel of a need (loaded into the need page with htmx), the decisions,
and the matching board (对接看板) of a subdistrict or district."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gongjian.core import pages, picker
from gongjian.core.listcache import shared_list
from gongjian.core.pagination import PAGE_SIZES, querystring_without
from gongjian.core.params import require_page
from gongjian.core.permissions import can
from gongjian.core.tabular import ExportColumn

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


def _back(request: HttpRequest, need_id: int) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("cobuild:need_detail", args=[need_id]) + "#suggestions"


ERROR_FIELDS = ("title", "plan", "amount", "resources", "reason")


def _decide(request: HttpRequest, pk: int, call: Callable[[Any], Any], message: Any) -> HttpResponse:
    """A decision on a suggestion for the need ``pk`` (in the caller's reach): ``call(need)``, then back with ``message``."""
    require_page(request, perms.SUGGEST_DECIDE)
    n = selectors.need_for_matching(actor=request.user, id=pk)
    return pages.action(request, lambda: call(n), back=_back(request, n.pk), error_fields=ERROR_FIELDS, message=message)


@login_required
@require_POST
def suggest_accept(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    return _decide(request, pk, lambda n: services.match_accept(actor=request.user, need=n, resource=rid, amount=request.POST.get("amount", ""),
                                                                title=request.POST.get("title", "")),
                   lambda d: _("Accepted: the project “%(title)s” was proposed to %(unit)s.")
                   % {"title": d.project.title if d.project else "", "unit": d.resource.unit.name})


@login_required
@require_POST
def suggest_reject(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    return _decide(request, pk, lambda n: services.match_reject(actor=request.user, need=n, resource=rid, reason=request.POST.get("reason", "")),
                   lambda d: _("Rejected: “%(title)s” will not be suggested for this need again.") % {"title": d.resource.title})


@login_required
@require_POST
def suggest_unreject(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    return _decide(request, pk, lambda n: services.match_unreject(actor=request.user, need=n, resource=rid),
                   _("The rejection was undone; the resource may be suggested again."))


# --- the matching board ------------------------------------------------------------------------------


def _board(request: HttpRequest) -> tuple[Any, selectors.Board]:
    region = _board_region(request)
    return region, selectors.board(actor=request.user, region=region)


def _board_region(request: HttpRequest) -> Any:
    """The board's region, once the role may open the board (else "not found"; a region out of reach too)."""
    require_page(request, perms.MATCH_BOARD)
    return selectors.board_region(actor=request.user, region=request.GET.get("region", ""))


@login_required
@require_GET
@shared_list
def suggest_board(request: HttpRequest) -> HttpResponse:
    region = _board_region(request)  # the heading's, and the checks: drawn for each request
    try:
        size = int(request.GET.get("size", 20))
    except ValueError:
        size = 20
    size = size if size in PAGE_SIZES else 20
    # The board (the engine's assignment, its key's aggregates) and the page's rows are computed only when the table
    # is drawn: not for a request served the kept table (core.listcache).
    rows = pages.lazy(lambda: selectors.board(actor=request.user, region=region))
    return render(request, "cobuild/suggestions/board.html", {
        "region": region, "page": pages.lazy(lambda: Paginator(rows(), size).get_page(request.GET.get("page", 1))),
        "region_options": pages.lazy(lambda: picker.options(
            ((pk, full or name) for pk, full, name in selectors.board_regions(actor=request.user).values_list("pk", "full_name", "name")),
            region.pk)),
        "qs": querystring_without(request, "page"), "export_qs": querystring_without(request, "page", "size", "format"),
        "proposed": pages.lazy(lambda: rows().proposed), "total": pages.lazy(lambda: len(rows())),
        "can_decide": can(request.user, perms.SUGGEST_DECIDE) and can(request.user, cperms.PROJECT_MANAGE),
        "next": request.get_full_path(),
    })


@login_required
@require_GET
def suggest_board_export(request: HttpRequest) -> HttpResponse:
    region, rows = _board(request)
    return pages.export(request, rows, BOARD_COLUMNS, basename=_("matching-board") + f"-{region.code}")


def _proposal(attr: str, default: Any = "") -> Any:
    def read(row: selectors.BoardRow) -> Any:
        p = row.proposal
        return getattr(p, attr) if p else default
    return read


BOARD_COLUMNS = (
    ExportColumn(gettext_lazy("Community"), "need.community.name"), ExportColumn(gettext_lazy("Need"), "need.title"),
    ExportColumn(gettext_lazy("Category"), "need.category.name"), ExportColumn(gettext_lazy("Quantity"), "quantity_text"),
    ExportColumn(gettext_lazy("Resource"), lambda row: row.proposal.resource.title if row.proposal else ""),
    ExportColumn(gettext_lazy("Unit"), lambda row: row.proposal.resource.unit.name if row.proposal else ""),
    ExportColumn(gettext_lazy("Score"), lambda row: round(row.proposal.score, 4) if row.proposal else ""),
    ExportColumn(gettext_lazy("Amount proposed"),
                 lambda row: row.proposal.default_amount if row.proposal and row.proposal.default_amount is not None else ""),
    ExportColumn(gettext_lazy("Capacity unit"), _proposal("capacity_unit_label")),
    ExportColumn(gettext_lazy("Remaining capacity"),
                 lambda row: row.proposal.resource.remaining if row.proposal and row.proposal.resource.remaining is not None else ""),
    ExportColumn(gettext_lazy("Reasons"), lambda row: "；".join(row.proposal.reasons) if row.proposal else _("No resource to propose")),
)
