"""Pages of members' report-in, receipts and pledges: the member's own pages (phone first), the community's report-in
and pledge lists, the unit's page of its members, receipts as PDF, public cards. Views parse input, call selectors and
services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongjian.core import listcache, pages, picker, pii
from gongjian.core.errors import DomainError, NotFound
from gongjian.core.forms import first_error
from gongjian.core.listcache import shared_list
from gongjian.core.pages import list_context
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.params import get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.tabular import ExportColumn
from gongjian.orgs.models import Member

from .. import common
from .. import permissions as perms
from ..choices import REPORT_IN_TRANSITIONS, PledgeStatus, ReportInStatus
from ..common import active_report_in, actor_member, cached_count, counted, next_or, record_action
from . import forms, pdf, selectors, services

# Pages of the other parts linked from the member's home when they exist (they are built at the same time): the first
# name of each entry that resolves.
OTHER_PAGES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("volunteering:activity_list", "volunteering:activities"), "Activities"),
    (("volunteering:my_signups",), "My sign-ups"),
    (("volunteering:my_hours",), "My hours"),
    (("volunteering:my_posts",), "My posts"),
    (("volunteering:my_patrols",), "My patrols"),
)


def _member(request: HttpRequest, permission: str) -> Member:
    """The acting member of a member's own page (the page's permission first)."""
    require_page(request, permission)
    member = actor_member(request.user)
    assert member is not None
    return member


def _back(request: HttpRequest, default: str) -> str:
    return next_or(request.POST, default)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _masked_phone(member: Any) -> str:
    try:
        return pii.mask_phone(pii.decrypt(member.phone_enc)) if member.phone_enc else ""
    except pii.DecryptionError:
        return ""


def other_links() -> list[dict[str, str]]:
    """Links to the other parts' member pages that resolve (the parts are built at the same time): found once per
    process, URLconf, script prefix and language (only code changes them; one name of the list resolves nowhere)."""
    key = (get_urlconf(), get_script_prefix(), translation.get_language())
    if key not in _OTHER_LINKS:
        _OTHER_LINKS[key] = _other_links()
    return [dict(link) for link in _OTHER_LINKS[key]]


_OTHER_LINKS: dict[tuple[Any, ...], list[dict[str, str]]] = {}


def _other_links() -> list[dict[str, str]]:
    labels = {"Activities": _("Activities"), "My sign-ups": _("My sign-ups"), "My hours": _("My hours"), "My posts": _("My posts"),
              "My patrols": _("My patrols")}
    out = []
    for names, label in OTHER_PAGES:
        for name in names:
            try:
                out.append({"url": reverse(name), "label": labels[label]})
            except NoReverseMatch:
                continue
            break
    return out


# --- the member's pages -------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的社区: the member's report-in (or the way to report in), his community, his pledge, his receipts, links."""
    mine = selectors.my_home(actor=request.user)
    if mine is None:
        if can(request.user, perms.REPORT_IN_CONFIRM):
            return redirect(reverse("volunteering:report_in_list") + "?status=pending")
        if selectors.my_units(actor=request.user):
            return redirect("volunteering:unit_members")
        if can(request.user, perms.REPORT_IN_SELF):
            messages.error(request, _("Your account is not linked to a party member record yet; ask your branch to link it."))
            return render(request, "volunteering/members/home.html", {"member": None}, status=200)
        raise NotFound()
    active = mine["active"]
    confirmed = active if active and active.status == ReportInStatus.CONFIRMED else None
    return render(request, "volunteering/members/home.html", {
        **mine, "confirmed": confirmed, "receipts": selectors.my_receipts(actor=request.user, member=mine["member"]), "links": other_links(),
    })


def _float(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN


@login_required
@require_http_methods(["GET", "POST"])
def report_in_form(request: HttpRequest) -> HttpResponse:
    """Report in (phone first): find the community by name or by location, enter the ID number, confirm."""
    member = _member(request, perms.REPORT_IN_SELF)
    active = active_report_in(member)
    moving = request.GET.get("move") == "1" or request.POST.get("move") == "1"
    if active and not moving:
        messages.info(request, _("You have already reported in to %(community)s.") % {"community": active.community.name})
        return redirect("volunteering:my_community")
    q = request.GET.get("q", "").strip()[:64]
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    near: list[dict[str, Any]] = []
    located = lat is not None and lng is not None
    if located:
        near = selectors.communities_near(member=member, lat=lat or 0.0, lng=lng or 0.0)
    found = list(selectors.community_search(member=member, q=q)[:selectors.PICKER_LIMIT]) if q else []
    chosen = int_param(request.POST.get("community") or request.GET.get("community"))
    chosen_region = selectors.city_communities(member).filter(pk=chosen).select_related("parent").first() if chosen else None
    form = forms.ReportInForm(request.POST or None, initial={"community": chosen, "move": "1" if moving else ""})
    return pages.form_page(
        request, form,
        save=lambda d: services.report_in(actor=request.user, community=request.POST.get("community"), id_number=d["id_number"],
                                          skills=d["skills"], move=moving, reason=d["reason"]),
        success="volunteering:my_community",
        message=lambda r: _("You reported in to %(community)s. The community will confirm it.") % {"community": r.community.name},
        template="volunteering/members/report_in_form.html",
        context={"q": q, "found": found, "near": near, "located": located, "chosen": chosen_region, "active": active,
                 "moving": moving, "member": member})


# --- the community's report-ins -----------------------------------------------------------------

REPORT_IN_FILTERS = ("q", "status", "community")


@login_required
@shared_list
def report_in_list(request: HttpRequest) -> HttpResponse:
    def communities() -> Any:
        return selectors.issue_communities(actor=request.user)

    options = picker.answer_partial(request, permission=perms.REPORT_IN_CONFIRM, pickers={picker.COMMUNITY: communities})
    if options is not None:
        return options
    require_page(request, perms.REPORT_IN_CONFIRM)
    f = get_filters(request, REPORT_IN_FILTERS)

    def page() -> Any:  # counted and read when the table is drawn: not for a body kept by core.listcache
        p = paginate(request, counted(selectors.report_in_list(actor=request.user, filters=f, action=perms.REPORT_IN_CONFIRM)))
        for r in p.object_list:
            r.actions = [a for a, to in (("confirm", ReportInStatus.CONFIRMED), ("reject", ReportInStatus.REJECTED),
                                         ("end", ReportInStatus.ENDED)) if REPORT_IN_TRANSITIONS.allows(r.status, to)]
        return p

    return render(request, "volunteering/members/report_in_list.html", {
        **list_context(request, pages.lazy(page), f), "statuses": ReportInStatus.choices,
        "community": pages.lazy(lambda: picker.communities(request, communities(), f)),
        "pending": cached_count(selectors.report_in_pending(actor=request.user)), "period": services.current_period(),
    })


@login_required
def report_in_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.REPORT_IN_VIEW, keys=REPORT_IN_FILTERS, columns=_report_in_columns,
                             rows=lambda f: selectors.report_in_list(actor=request.user, filters=f), basename=_("member report-ins"))


def _report_in_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Name"), "member.name"), ExportColumn(_("Phone"), lambda r: _masked_phone(r.member)),
        ExportColumn(_("Employer unit"), "unit.name"), ExportColumn(_("Community"), "community.name"),
        ExportColumn(_("Status"), "get_status_display"), ExportColumn(_("Reported in at"), lambda r: _when(r.reported_at)),
        ExportColumn(_("Confirmed at"), lambda r: _when(r.confirmed_at)), ExportColumn(_("Ended at"), lambda r: _when(r.ended_at)),
        ExportColumn(_("Reason"), lambda r: r.rejected_reason or r.end_reason),
    ]


@login_required
@require_POST
def report_in_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return record_action(request, services.REPORT_IN_ACTIONS, action, permission=perms.REPORT_IN_CONFIRM, arg="report_in",
                         load=lambda: selectors.report_in_get(actor=request.user, id=pk, action=perms.REPORT_IN_CONFIRM),
                         fields={"reject": "reason", "end": "reason"}, back=lambda r: _back(request, reverse("volunteering:report_in_list")),
                         message=lambda r, done: _("The report-in of %(name)s is now “%(status)s”.") % {
                             "name": r.member.name, "status": done.get_status_display()})


# --- the unit's page ----------------------------------------------------------------------------


def _unit(request: HttpRequest) -> Any:
    pk = int_param(request.GET.get("unit"))
    if pk:
        return selectors.unit_get(actor=request.user, id=pk)
    units = selectors.my_units(actor=request.user)
    if not units:
        raise NotFound()
    return units[0]


@login_required
@shared_list
def unit_members(request: HttpRequest) -> HttpResponse:
    """本单位党员报到: which of the unit's in-service members reported in and where, and who has not."""
    require_page(request, perms.REPORT_IN_VIEW)
    unit = _unit(request)
    show = "missing" if request.GET.get("show") == "missing" else "reported"
    f = get_filters(request, ("q", "status", "community"))

    def page() -> Any:  # counted and read when the table is drawn: not for a body kept by core.listcache
        if show == "missing":
            return paginate(request, selectors.unit_members_missing(unit=unit, q=f.get("q", "")))
        return paginate(request, selectors.unit_report_ins(actor=request.user, unit=unit, filters={"status": "active", **f}))

    return render(request, "volunteering/members/unit.html", {
        **list_context(request, pages.lazy(page), f), "unit": unit, "show": show, "counts": pages.lazy(lambda: selectors.unit_counts(unit=unit)),
        "units": pages.lazy(lambda: selectors.my_units(actor=request.user)), "statuses": ReportInStatus.choices,
    })


@login_required
def unit_members_export(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.REPORT_IN_VIEW)
    unit = _unit(request)
    f = get_filters(request, ("q", "status", "community"))
    if request.GET.get("show") == "missing":
        columns = [ExportColumn(_("Name"), "name"), ExportColumn(_("Phone"), _masked_phone), ExportColumn(_("Party organisation"), "org.name")]
        return pages.export(request, selectors.unit_members_missing(unit=unit, q=f.get("q", "")), columns,
                            basename=_("members who have not reported in"))
    qs = selectors.unit_report_ins(actor=request.user, unit=unit, filters={"status": "active", **f})
    return pages.export(request, qs, _report_in_columns(), basename=_("member report-ins"))


# --- receipts -----------------------------------------------------------------------------------

RECEIPT_FILTERS = ("q", "period", "community", "unit")


@login_required
@shared_list
def receipt_list(request: HttpRequest) -> HttpResponse:
    def context(f: dict[str, str]) -> dict[str, Any]:
        can_issue = can(request.user, perms.RECEIPT_ISSUE)
        is_member = actor_member(request.user, required=False) is not None
        if is_member:
            listcache.own(request)  # a member's page (his own receipts, no name search): his, not his scope's
        communities = pages.lazy(lambda: list(selectors.issue_communities(actor=request.user).only("id", "name")[:200]) if can_issue else [])
        return {"can_issue": can_issue, "communities": communities, "period": services.current_period(), "is_member": is_member}

    return pages.list_view(request, "volunteering/members/receipt_list.html", permission=perms.RECEIPT_VIEW, keys=RECEIPT_FILTERS,
                           rows=lambda f: counted(selectors.receipt_list(actor=request.user, filters=f)), context=context)


@login_required
@require_POST
def receipt_issue(request: HttpRequest) -> HttpResponse:
    """Issue receipts: for one report-in (``report_in``) or every confirmed report-in of a community (``community``)."""
    require_page(request, perms.RECEIPT_ISSUE)
    period, remark = request.POST.get("period", ""), request.POST.get("remark", "")
    try:
        if request.POST.get("report_in"):
            rc = services.receipt_issue(actor=request.user, report_in=request.POST.get("report_in"), period=period, remark=remark)
            messages.success(request, _("The receipt of %(name)s for %(period)s was issued.") % {"name": rc.member.name, "period": rc.period})
        else:
            n = services.receipt_issue_all(actor=request.user, community=request.POST.get("community"), period=period, remark=remark)
            messages.success(request, _("%(issued)s receipts issued, %(refreshed)s refreshed.") % n)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, first_error(exc, "period", "community", "remark"))
    return redirect(_back(request, reverse("volunteering:receipt_list")))


@login_required
def receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.RECEIPT_VIEW)
    rc = selectors.receipt_get(actor=request.user, id=pk)
    response = HttpResponse(pdf.receipt_pdf(rc), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") == "1" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf.filename(rc)}"'
    return response


# --- pledges ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_pledge(request: HttpRequest) -> HttpResponse:
    """The member's pledge for this year: make it, or change it while the community has not assessed it."""
    member = _member(request, perms.PLEDGE_MAKE)
    pledge = selectors.my_pledge(member)
    confirmed = active_report_in(member, confirmed_only=True)
    editable = pledge is None or pledge.status == PledgeStatus.MADE
    initial = {"content": pledge.content, "due_date": pledge.due_date} if pledge else {}
    form = forms.PledgeForm(request.POST or None, initial=initial)

    def save(d: dict[str, Any]) -> Any:  # an assessed pledge: the service says it can no longer be changed
        if pledge is None:
            return services.pledge_make(actor=request.user, **d)
        return services.pledge_update(actor=request.user, pledge=pledge, **d)

    return pages.form_page(request, form, save=save, success="volunteering:my_community", message=_("Your pledge was saved."),
                           template="volunteering/members/pledge_form.html",
                           context={"pledge": pledge, "confirmed": confirmed, "editable": editable, "year": selectors.this_year()})


PLEDGE_FILTERS = ("q", "year", "status", "community")


@login_required
@shared_list
def pledge_list(request: HttpRequest) -> HttpResponse:
    return pages.list_view(request, "volunteering/members/pledge_list.html", permission=perms.PLEDGE_ASSESS, keys=PLEDGE_FILTERS,
                           rows=lambda f: counted(selectors.pledge_list(actor=request.user, filters=f)), context={"statuses": PledgeStatus.choices})


@login_required
@require_POST
def pledge_assess(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.PLEDGE_ASSESS)
    p = selectors.pledge_get(actor=request.user, id=pk, action=perms.PLEDGE_ASSESS)
    return pages.action(request, lambda: services.pledge_assess(actor=request.user, pledge=p, fulfilled=request.POST.get("fulfilled", ""),
                                                                remark=request.POST.get("remark", "")),
                        back=_back(request, reverse("volunteering:pledge_list")), error_fields=("fulfilled", "remark"),
                        message=lambda done: _("The pledge of %(name)s is now “%(status)s”.") % {
                            "name": p.member.name, "status": done.get_status_display()})


# --- public cards -------------------------------------------------------------------------------


@login_required
def member_card(request: HttpRequest, pk: int) -> HttpResponse:
    card = selectors.member_card(actor=request.user, member_id=pk)
    return render(request, "volunteering/members/card.html", {"card": card, "year": selectors.this_year()})


@login_required
def community_cards(request: HttpRequest) -> HttpResponse:
    """The members serving in the member's community (his confirmed report-in's), each with his card."""
    require_page(request, perms.REPORT_IN_SELF)
    q = request.GET.get("q", "").strip()[:64]
    member = common.me(request.user)
    community = member.community if member is not None else None
    if community is None:
        messages.info(request, _("Report in to your community first; once it confirms you, you see the members serving there."))
        return redirect("volunteering:my_community")

    def draw() -> tuple[str, Any]:  # the same wall for every member of the community: drawn once for all of them
        page = paginate(request, selectors.community_card_rows(community_id=community.pk, q=q))
        return render_to_string("volunteering/members/_cards.html", {
            "page": page, "cards": selectors.cards_for(list(page.object_list)), "qs": querystring_without(request, "page"),
            "year": selectors.this_year()}), None

    return render(request, "volunteering/members/cards.html", {
        "community": community, "q": q, "cards": mark_safe(common.for_community("cards", community.pk, request, draw)),  # escaped when drawn
    })
