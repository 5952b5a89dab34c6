"""Pages of unit report-in (单位双报到) and partnerships (联建): lists, detail pages, forms, a page per community
and a page per unit (the liaison's, usable on a phone). Views parse input, call selectors and services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongjian.core import pages, picker
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.pagination import paginate
from gongjian.core.params import get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.scope import in_scope, scoped
from gongjian.core.tabular import ExportColumn
from gongjian.orgs.models import PartyOrg
from gongjian.regions.models import Region

from ..choices import REPORT_IN_ACTIVE, REPORT_IN_TRANSITIONS, AgreementStatus, PartnershipStatus, ReportInStatus
from ..models import Partnership, UnitReportIn
from . import forms, selectors, services
from . import permissions as perms

PICKER = selectors.PICKER_LIMIT


def _liaison_only(request: HttpRequest) -> bool:
    """A unit liaison without an administrator's role: his pages are the unit's."""
    return not can(request.user, perms.REPORT_IN_CONFIRM) and bool(selectors.my_units(actor=request.user))


def _back(request: HttpRequest, default: str) -> str:
    """Where to go after a POST action: the page it came from when that is one of ours, else ``default``."""
    return pages.safe_next(request, default, prefix="/cobuild/partners/")


# --- report-ins ---------------------------------------------------------------------------------

REPORT_IN_FILTERS = ("q", "status", "community", "unit")


def _community_filter(request: HttpRequest, f: dict[str, str]) -> picker.Picker:
    return picker.communities(request, selectors.reach_communities(actor=request.user), f)


@login_required
@shared_list
def report_in_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.REPORT_IN_VIEW)
    if _liaison_only(request):
        return redirect("cobuild:partner_mine")
    f = get_filters(request, REPORT_IN_FILTERS)
    community = _community_filter(request, f)
    if picker.partial(request) == "community":
        return picker.options_response(request, community)
    page = pages.lazy(lambda: paginate(request, selectors.report_in_list(actor=request.user, filters=f)))  # when drawn
    return render(request, "cobuild/partners/report_in_list.html", {
        **pages.list_context(request, page, f), "statuses": ReportInStatus.choices, "community": community,
        "one_community": community.options[0] if len(community.options) == 1 and not community.search else None,
        "can_create": can(request.user, perms.REPORT_IN_CREATE),
    })


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


REPORT_IN_COLUMNS = (
    ExportColumn(gettext_lazy("Unit's unified social credit code"), "unit.uscc"), ExportColumn(gettext_lazy("Unit"), "unit.name"),
    ExportColumn(gettext_lazy("Party organisation"), "party_org.name"), ExportColumn(gettext_lazy("Community code"), "community.code"),
    ExportColumn(gettext_lazy("Community"), "community.name"), ExportColumn(gettext_lazy("Contact person"), "contact_name"),
    ExportColumn(gettext_lazy("What the unit offers"), "offer"), ExportColumn(gettext_lazy("Status"), "get_status_display"),
    ExportColumn(gettext_lazy("Reported at"), lambda r: _when(r.reported_at)),
    ExportColumn(gettext_lazy("Confirmed at"), lambda r: _when(r.confirmed_at)),
    ExportColumn(gettext_lazy("Ended at"), lambda r: _when(r.ended_at)), ExportColumn(gettext_lazy("Reason"), "status_note"),
)


@login_required
def report_in_export(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.REPORT_IN_VIEW)
    qs = selectors.report_in_list(actor=request.user, filters=get_filters(request, REPORT_IN_FILTERS))
    return pages.export(request, qs, REPORT_IN_COLUMNS, basename=_("unit report-ins"))


def report_in_actions_many(user: Any, rows: list[UnitReportIn]) -> dict[int, list[dict[str, Any]]]:
    """Per report-in, the buttons this actor may press (only transitions the table allows); two queries for any number of rows."""
    ids = [r.pk for r in rows if REPORT_IN_TRANSITIONS.get(r.status)]

    def reach(action: str) -> set[int]:
        if not ids or not can(user, action):
            return set()
        return set(scoped(UnitReportIn.objects.filter(pk__in=ids), user, action).values_list("pk", flat=True))

    confirm, end = reach(perms.REPORT_IN_CONFIRM), reach(perms.REPORT_IN_END)
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        allows = REPORT_IN_TRANSITIONS.allows
        buttons: list[dict[str, Any]] = []
        if r.pk in confirm and allows(r.status, ReportInStatus.CONFIRMED):
            buttons.append({"key": "confirm", "label": _("Confirm"), "style": "btn-primary", "reason": False})
        if r.pk in confirm and allows(r.status, ReportInStatus.REJECTED):
            buttons.append({"key": "reject", "label": _("Reject"), "style": "btn-outline-danger", "reason": True})
        if r.pk in end and allows(r.status, ReportInStatus.ENDED):
            label = _("Withdraw the report-in") if r.status == ReportInStatus.PENDING else _("End the report-in")
            buttons.append({"key": "end", "label": label, "style": "btn-outline-secondary", "reason": True})
        out[r.pk] = buttons
    return out


def report_in_actions(user: Any, r: UnitReportIn) -> list[dict[str, Any]]:
    return report_in_actions_many(user, [r])[r.pk]


@login_required
def report_in_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.REPORT_IN_VIEW)
    r = selectors.report_in_get(actor=request.user, id=pk)
    return render(request, "cobuild/partners/report_in_detail.html", {
        "r": r, "actions": report_in_actions(request.user, r), "liaison_only": _liaison_only(request),
        "community_page": can(request.user, perms.REPORT_IN_CONFIRM) and in_scope(r, request.user, perms.REPORT_IN_CONFIRM),
    })


@login_required
@require_POST
def report_in_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    fn: Any = services.REPORT_IN_ACTIONS.get(action)
    if fn is None:
        raise NotFound()
    require_page(request, perms.REPORT_IN_VIEW)
    r = selectors.report_in_get(actor=request.user, id=pk)
    kwargs: dict[str, Any] = {"reason": request.POST.get("reason", "")} if action in ("reject", "end") else {}

    def done(_result: Any) -> str:
        now = UnitReportIn.objects.get(pk=r.pk)
        return _("The report-in of %(unit)s is now “%(status)s”.") % {"unit": now.unit.name, "status": now.get_status_display()}

    back = _back(request, reverse("cobuild:partner_report_in_detail", args=[r.pk]))
    return pages.action(request, lambda: fn(actor=request.user, report_in=r, **kwargs), back=back, message=done, error_fields=("reason",))


def _communities_partial(request: HttpRequest, unit: Any) -> HttpResponse:
    q = request.GET.get("cq", "").strip()[:64]
    return render(request, "cobuild/partners/_community_options.html",
                  {"options": selectors.community_choices_for_unit(unit, q)[:PICKER], "selected": int_param(request.GET.get("community"))})


@login_required
@require_http_methods(["GET", "POST"])
def report_in_create(request: HttpRequest) -> HttpResponse:
    """Report a unit in: choose the unit (a liaison's own is chosen for him), then the community where it is located."""
    require_page(request, perms.REPORT_IN_CREATE)
    units = selectors.unit_choices(actor=request.user)
    unit_id = int_param(request.POST.get("unit") or request.GET.get("unit"))
    unit = units.filter(pk=unit_id).first() if unit_id else None
    if unit is None:
        only = list(units[:2])
        if len(only) == 1:
            unit = only[0]
    if unit is None:
        uq = request.GET.get("uq", "").strip()[:64]
        return render(request, "cobuild/partners/report_in_unit_pick.html", {
            "units": selectors.unit_choices(actor=request.user, q=uq)[:PICKER], "uq": uq,
        })
    if request.GET.get("partial") == "communities":
        return _communities_partial(request, unit)
    cq = request.GET.get("cq", "").strip()[:64]
    all_communities = selectors.community_choices_for_unit(unit)
    shown = selectors.community_choices_for_unit(unit, cq)
    orgs = selectors.party_org_choices(unit)
    initial: dict[str, Any] = {"unit": unit.pk}
    only_communities = list(all_communities[:2])
    if len(only_communities) == 1:
        initial["community"] = only_communities[0].pk
    elif int_param(request.GET.get("community")):
        initial["community"] = int_param(request.GET.get("community"))
    only_orgs = list(orgs[:2])
    if len(only_orgs) == 1:
        initial["party_org"] = only_orgs[0].pk
    if unit.liaison_name:
        initial["contact_name"] = unit.liaison_name
    posting = request.method == "POST"
    # On POST any record parses, so the service answers with its own clear message (wrong community, another unit's org).
    form = forms.ReportInForm(request.POST if posting else None, initial=initial,
                              community_qs=Region.objects.all() if posting else shown[:PICKER],
                              org_qs=PartyOrg.objects.all() if posting else orgs)
    return pages.form_page(
        request, form, save=lambda d: services.report_in_create(actor=request.user, **{**d, "unit": unit.pk}),
        success=reverse("cobuild:partner_unit", args=[unit.pk]),
        message=lambda r: _("%(unit)s reported in to %(community)s. The community will confirm it.")
        % {"unit": unit.name, "community": r.community.name},
        field_map={"unit": "__all__"},  # the unit is a hidden field: its error goes on top
        template="cobuild/partners/report_in_form.html",
        context={"unit": unit, "cq": cq, "community_count": all_communities.count(), "shown_count": shown.count(), "picker": PICKER,
                 "can_pick_unit": units[:2].count() > 1, "no_orgs": not only_orgs})


# --- partnerships -------------------------------------------------------------------------------

PARTNER_FILTERS = ("q", "status", "community", "unit", "missing")


@login_required
@shared_list
def partner_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.PARTNERSHIP_VIEW)
    if _liaison_only(request):
        return redirect(reverse("cobuild:partner_mine") + "#partnerships")
    f = get_filters(request, PARTNER_FILTERS)
    if picker.partial(request) == "community":
        return picker.options_response(request, _community_filter(request, f))
    page = pages.lazy(lambda: paginate(request, selectors.partnership_list(actor=request.user, filters=f)))  # when drawn
    return render(request, "cobuild/partners/partner_list.html", {
        **pages.list_context(request, page, f), "statuses": PartnershipStatus.choices,
        "community": pages.lazy(lambda: _community_filter(request, f)),
        "can_manage": can(request.user, perms.PARTNERSHIP_MANAGE), "year": selectors.this_year(),
    })


def _agreements(p: Partnership) -> str:
    return "；".join(f"{a.year} {a.get_status_display()}" for a in p.agreements.all())


@login_required
def partner_export(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.PARTNERSHIP_VIEW)
    qs = selectors.with_agreements(selectors.partnership_list(actor=request.user, filters=get_filters(request, PARTNER_FILTERS)))
    year = selectors.this_year()
    columns = (
        ExportColumn(_("Party branch"), "branch.name"), ExportColumn(_("Unit's unified social credit code"), "unit.uscc"),
        ExportColumn(_("Unit"), "unit.name"), ExportColumn(_("Community code"), "community.code"),
        ExportColumn(_("Community"), "community.name"), ExportColumn(_("Status"), "get_status_display"),
        ExportColumn(_("Started on"), "started_on"), ExportColumn(_("Ended on"), "ended_on"), ExportColumn(_("Reason"), "end_reason"),
        ExportColumn(_("Agreement signed for %(year)s") % {"year": year}, lambda p: _("Yes") if p.signed_this_year else _("No")),
        ExportColumn(_("Agreements"), _agreements),
    )
    return pages.export(request, qs, columns, basename=_("partnerships"))


def agreement_buttons_many(user: Any, partnerships: list[Partnership]) -> dict[int, dict[str, bool]]:
    """Per partnership: may this actor edit/sign its agreements and end it? Three queries whatever the number of rows."""
    active = [p.pk for p in partnerships if p.status == PartnershipStatus.ACTIVE]

    def reach(action: str) -> set[int]:
        if not active or not can(user, action):
            return set()
        return set(scoped(Partnership.objects.filter(pk__in=active), user, action).values_list("pk", flat=True))

    edit, sign, end = reach(perms.AGREEMENT_EDIT), reach(perms.AGREEMENT_SIGN), reach(perms.PARTNERSHIP_MANAGE)
    return {p.pk: {"edit": p.pk in edit, "sign": p.pk in sign, "end": p.pk in end} for p in partnerships}


def agreement_buttons(user: Any, p: Partnership) -> dict[str, bool]:
    return agreement_buttons_many(user, [p])[p.pk]


@login_required
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.PARTNERSHIP_VIEW)
    p = selectors.partnership_get(actor=request.user, id=pk)
    agreements = list(p.agreements.order_by("-year", "-id"))
    year = selectors.this_year()
    return render(request, "cobuild/partners/partner_detail.html", {
        "p": p, "agreements": agreements, "can": agreement_buttons(request.user, p), "year": year,
        "has_this_year": any(a.year == year for a in agreements),
        "signed_this_year": any(a.year == year and a.status == AgreementStatus.SIGNED for a in agreements),
        "end_form": forms.EndForm(initial={"ended_on": timezone.localdate()}),
        "sign_form": forms.SignForm(initial={"signed_on": timezone.localdate()}),
        "liaison_only": _liaison_only(request),
        "community_page": can(request.user, perms.REPORT_IN_CONFIRM) and in_scope(p, request.user, perms.REPORT_IN_CONFIRM),
    })


@login_required
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.PARTNERSHIP_MANAGE)
    bq = request.GET.get("bq", "").strip()[:64]
    cq = request.GET.get("cq", "").strip()[:64]
    posting = request.method == "POST"
    # On POST any record parses, so the service answers with its own clear message (not an organ branch, outside the area).
    branches = PartyOrg.objects.all() if posting else selectors.branch_choices(bq)[:PICKER]
    all_communities = selectors.community_choices(actor=request.user)
    communities = Region.objects.all() if posting else selectors.community_choices(actor=request.user, q=cq)[:PICKER]
    initial: dict[str, Any] = {"started_on": timezone.localdate()}
    only = list(all_communities[:2])
    if len(only) == 1:
        initial["community"] = only[0].pk
    for key in ("community", "branch"):
        if int_param(request.GET.get(key)):
            initial[key] = int_param(request.GET.get(key))
    # a search that leaves one choice chooses it
    for key, query, options in (("branch", bq, branches), ("community", cq, communities)):
        if query and not posting:
            found = list(options[:2])
            if len(found) == 1:
                initial[key] = found[0].pk
    form = forms.PartnershipForm(request.POST if posting else None, initial=initial, branch_qs=branches, community_qs=communities)
    return pages.form_page(
        request, form, save=lambda d: services.partnership_create(actor=request.user, **d),
        success=lambda p: reverse("cobuild:partner_detail", args=[p.pk]),
        message=lambda p: _("The partnership of %(branch)s with %(community)s was recorded.") % {"branch": p.branch.name,
                                                                                                "community": p.community.name},
        template="cobuild/partners/partner_form.html", context={"bq": bq, "cq": cq, "picker": PICKER})


@login_required
@require_POST
def partner_end(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.PARTNERSHIP_VIEW)
    p = selectors.partnership_get(actor=request.user, id=pk)
    return pages.action(request, lambda: services.partnership_end(actor=request.user, partnership=p, reason=request.POST.get("reason", ""),
                                                                   ended_on=request.POST.get("ended_on", "")),
                        back=_back(request, reverse("cobuild:partner_detail", args=[p.pk])), message=_("The partnership has ended."),
                        error_fields=("reason", "ended_on"))


def _agreement_page(request: HttpRequest, form: Any, p: Partnership, title: str, save: Any, message: str) -> HttpResponse:
    return pages.form_page(request, form, save=save, success=lambda _a: _back(request, reverse("cobuild:partner_detail", args=[p.pk])),
                           message=message, template="cobuild/partners/agreement_form.html", context={"p": p, "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.AGREEMENT_EDIT)
    p = selectors.partnership_get(actor=request.user, id=pk, action=perms.AGREEMENT_EDIT)
    if p.status != PartnershipStatus.ACTIVE:
        messages.error(request, _("This partnership has ended; it takes no new agreements."))
        return redirect("cobuild:partner_detail", pk=p.pk)
    form = forms.AgreementForm(request.POST or None, initial={"year": selectors.this_year()})
    return _agreement_page(request, form, p, _("Agreement of %(branch)s with %(community)s") % {"branch": p.branch.name,
                                                                                               "community": p.community.name},
                           save=lambda d: services.agreement_create(actor=request.user, partnership=p, **d),
                           message=_("The agreement was saved as a draft."))


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.AGREEMENT_EDIT)
    a = selectors.agreement_get(actor=request.user, id=pk, action=perms.AGREEMENT_EDIT)
    p = a.partnership
    if a.status != AgreementStatus.DRAFT or p.status != PartnershipStatus.ACTIVE:
        messages.error(request, _("A signed agreement can no longer be changed.") if a.status != AgreementStatus.DRAFT
                       else _("This partnership has ended; its agreements can no longer be changed."))
        return redirect("cobuild:partner_detail", pk=p.pk)
    form = forms.AgreementForm(request.POST or None, initial={"year": a.year, "branch_commitments": a.branch_commitments,
                                                             "community_commitments": a.community_commitments})
    return _agreement_page(request, form, p, _("Agreement for %(year)s") % {"year": a.year},
                           save=lambda d: services.agreement_update(actor=request.user, agreement=a, **d), message=_("The agreement was saved."))


@login_required
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.PARTNERSHIP_VIEW)
    a = selectors.agreement_get(actor=request.user, id=pk)
    return pages.action(request, lambda: services.agreement_sign(actor=request.user, agreement=a, signed_on=request.POST.get("signed_on", "")),
                        back=_back(request, reverse("cobuild:partner_detail", args=[a.partnership_id])),
                        message=_("The agreement for %(year)s was signed.") % {"year": a.year}, error_fields=("signed_on",))


# --- per community and per unit ------------------------------------------------------------------


@login_required
def community_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One community: report-ins awaiting confirmation (confirm/reject), confirmed units, partnerships with their agreements."""
    require_page(request, perms.REPORT_IN_CONFIRM)
    community = selectors.community_get(actor=request.user, id=pk)
    report_ins = selectors.report_in_list(actor=request.user, filters={"community": community.pk})
    pending = list(report_ins.filter(status=ReportInStatus.PENDING).order_by("reported_at", "id")[:200])
    confirmed = list(report_ins.filter(status=ReportInStatus.CONFIRMED).order_by("unit__name", "id")[:500])
    partnerships = list(selectors.with_agreements(selectors.partnership_list(actor=request.user, filters={
        "community": community.pk, "status": PartnershipStatus.ACTIVE})))
    year = selectors.this_year()
    buttons = agreement_buttons_many(request.user, partnerships)
    # The page shows this year's and last year's agreements; the partnership's page has the whole history.
    rows = [{"p": p, "can": buttons[p.pk], "agreements": [a for a in p.agreements.all() if a.year >= year - 1],
             "older": sum(1 for a in p.agreements.all() if a.year < year - 1),
             "this_year": next((a for a in p.agreements.all() if a.year == year), None)} for p in partnerships]
    return render(request, "cobuild/partners/community.html", {
        "community": community, "pending": pending, "confirmed": confirmed, "rows": rows, "year": year,
        "missing": sum(1 for p in partnerships if not getattr(p, "signed_this_year", False)),
        "ended_count": selectors.partnership_list(actor=request.user, filters={"community": community.pk, "status": "ended"}).count(),
        "can_manage": can(request.user, perms.PARTNERSHIP_MANAGE), "can_report": can(request.user, perms.REPORT_IN_CREATE),
        "sign_form": forms.SignForm(initial={"signed_on": timezone.localdate()}), "here": request.path,
    })


@login_required
def community_pick(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.REPORT_IN_CONFIRM)
    pk = int_param(request.GET.get("community"))
    if pk:
        return redirect("cobuild:partner_community", pk=selectors.community_get(actor=request.user, id=pk).pk)
    only = list(selectors.reach_communities(actor=request.user)[:2])
    if len(only) == 1:
        return redirect("cobuild:partner_community", pk=only[0].pk)
    return redirect("cobuild:partner_report_in_list")


@login_required
def unit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit (the liaison's page): its report-ins with their status, its partnerships and agreements."""
    require_page(request, perms.REPORT_IN_VIEW)
    unit = selectors.unit_get(actor=request.user, id=pk)
    report_ins = list(selectors.report_in_list(actor=request.user, filters={"unit": unit.pk})[:200])
    actions = report_in_actions_many(request.user, report_ins)
    for r in report_ins:
        r.actions = actions[r.pk]  # type: ignore[attr-defined]
    partnerships: list[Any] = []
    if can(request.user, perms.PARTNERSHIP_VIEW):
        rows = list(selectors.with_agreements(selectors.partnership_list(actor=request.user, filters={"unit": unit.pk}))[:200])
        buttons = agreement_buttons_many(request.user, rows)
        partnerships = [{"p": p, "can": buttons[p.pk], "agreements": list(p.agreements.all())} for p in rows]
    can_report = scoped(type(unit).objects.filter(pk=unit.pk), request.user, perms.REPORT_IN_CREATE, type(unit).scope_fields).exists()
    return render(request, "cobuild/partners/unit.html", {
        "unit": unit, "report_ins": report_ins, "partnerships": partnerships, "can_report": can_report and unit.is_active,
        "active_count": sum(1 for r in report_ins if r.status in REPORT_IN_ACTIVE), "here": request.path, "year": selectors.this_year(),
        "other_units": [u for u in selectors.my_units(actor=request.user) if u.pk != unit.pk],
    })


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The liaison's entry: his unit's page (or a choice when he looks after several units)."""
    require_page(request, perms.REPORT_IN_VIEW)
    units = selectors.my_units(actor=request.user)
    if not units:
        raise NotFound()
    if len(units) == 1:
        return redirect(reverse("cobuild:partner_unit", args=[units[0].pk]))
    return render(request, "cobuild/partners/mine.html", {"units": units})

