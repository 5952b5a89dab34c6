"""Pages of posts, brands, activities and shifts, sign-ups, the QR check-in, hours and the leaderboard.

Members' pages (the activity list of their community, sign-up, my sign-ups, the check-in confirmation, my hours, my
posts) are phone-first; the community's pages manage posts, activities, rosters, the QR screen and hours. Views parse
input, call selectors and services, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongjian.core import pages, picker
from gongjian.core.errors import DomainError, NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.pages import list_context
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.params import get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.tabular import ExportColumn
from gongjian.orgs.models import Member, ResidentUnit

from .. import common
from .. import permissions as perms
from ..choices import ACTIVITY_TRANSITIONS, ActivityStatus, CodeKind, HoldingStatus, HourKind, HourStatus, PostKind, SignupStatus
from ..common import Me, actor_member, cached_count, counted, me, next_or, page_end, point_rule
from ..models import Activity, ServiceBrand, ServicePost
from . import codes, forms, selectors, services


def _fail(request: HttpRequest, exc: DomainError) -> None:
    if exc.status in (401, 404):
        raise exc
    messages.error(request, str(exc.message))


def _act(request: HttpRequest, call: Callable[[], Any], *, back: str, message: Any = None) -> HttpResponse:
    """``pages.action`` for these buttons, except that a refusal (403) shows as a page message, as it always did here."""
    try:
        result = call()
    except DomainError as exc:
        _fail(request, exc)
        return redirect(back)
    if message is not None:
        messages.success(request, message(result) if callable(message) else message)
    return redirect(back)


def _back(request: HttpRequest, default: str) -> str:
    return next_or(request.POST, default, "/volunteering/activities/")


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _is_manager(request: HttpRequest) -> bool:
    return can(request.user, perms.ACTIVITY_MANAGE)


def _community_of(request: HttpRequest, action: str) -> Any:
    """The community an administrator works on: ?community=, or his only one."""
    pk = int_param(request.POST.get("community") or request.GET.get("community"))
    if pk:
        return selectors.community_get(actor=request.user, id=pk, action=action)
    only = list(selectors.managed_communities(actor=request.user, action=action)[:2])
    return only[0] if len(only) == 1 else None


def _pick_community(request: HttpRequest, action: str, next_url: str) -> HttpResponse:
    """The page that asks an administrator of several communities which one he works on now."""
    return render(request, "volunteering/activities/community_pick.html", {
        "communities": selectors.managed_communities(actor=request.user, action=action)[:500], "next": reverse(next_url)})


_UNREAD: Any = object()


def _no_report_in(request: HttpRequest, member: Me | None = _UNREAD) -> HttpResponse:
    """The page that asks a member to report in first (``member``: his record, when the caller read it already)."""
    return render(request, "volunteering/activities/no_report_in.html", {"member": me(request.user) if member is _UNREAD else member})


# --- activities ----------------------------------------------------------------------------------

ACTIVITY_FILTERS = ("q", "status", "community", "brand")


@login_required
@shared_list
def activities(request: HttpRequest) -> HttpResponse:
    """Administrators and liaisons: the activities they manage. Members: their community's open activities."""
    require_page(request, perms.ACTIVITY_VIEW)
    f = get_filters(request, ACTIVITY_FILTERS)
    if _is_manager(request):
        def communities() -> Any:
            return selectors.managed_communities(actor=request.user)

        options = picker.answer_partial(request, permission=perms.ACTIVITY_MANAGE, pickers={picker.COMMUNITY: communities})
        if options is not None:
            return options
        # counted and read when the table is drawn: not for a body kept by core.listcache
        page = pages.lazy(lambda: paginate(request, counted(selectors.activity_list(actor=request.user, filters=f))))
        return render(request, "volunteering/activities/activity_list.html", {
            **list_context(request, page, f), "statuses": ActivityStatus.choices,
            "community": pages.lazy(lambda: picker.communities(request, communities(), f)),
        })
    member = me(request.user)
    if member is None or member.community is None:
        return _no_report_in(request, member)
    community = member.community

    def draw() -> tuple[str, Any]:
        rows, until = selectors.member_activity_cards(actor=request.user, filters=f, community=community,
                                                      upto=page_end(request.GET.get("page"), request.GET.get("size")))
        return render_to_string("volunteering/activities/_member_activity_cards.html", list_context(request, paginate(request, rows), f)), until

    cards = mark_safe(common.for_community("activities", community.pk, request, draw))  # drawn by the engine, which escaped it
    return render(request, "volunteering/activities/member_activities.html", {"filters": f, "community": community, "cards": cards})


@login_required
def activity_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.ACTIVITY_MANAGE, keys=ACTIVITY_FILTERS, columns=_activity_columns,
                             rows=lambda f: selectors.activity_list(actor=request.user, filters=f), basename=_("volunteer activities"))


def _activity_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Title"), "title"), ExportColumn(_("Community"), "community.name"), ExportColumn(_("Organising unit"), "unit.name"),
        ExportColumn(_("Service brand"), "brand.name"), ExportColumn(_("Status"), "get_status_display"), ExportColumn(_("Shifts"), "shift_count"),
        ExportColumn(_("Places"), lambda a: a.places or 0), ExportColumn(_("Places taken"), lambda a: a.taken or 0),
        ExportColumn(_("People served"), "people_served"), ExportColumn(_("Published at"), lambda a: _when(a.published_at)),
    ]


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ACTIVITY_VIEW)
    a = selectors.activity_get(actor=request.user, id=pk)
    if services.may_manage(request.user, a):
        return render(request, "volunteering/activities/activity_detail.html", {
            "a": a, "shifts": selectors.shifts_of(a), "can_publish": ACTIVITY_TRANSITIONS.allows(a.status, ActivityStatus.PUBLISHED),
            "can_finish": ACTIVITY_TRANSITIONS.allows(a.status, ActivityStatus.FINISHED),
            "can_cancel": ACTIVITY_TRANSITIONS.allows(a.status, ActivityStatus.CANCELLED),
            "editable": a.status in (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED),
        })
    return render(request, "volunteering/activities/member_activity.html", {"a": a, "rows": selectors.member_shifts(actor=request.user, activity=a)})


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    liaison_units = services.liaison_units(request.user)
    community = None
    if not liaison_units:
        community = _community_of(request, perms.ACTIVITY_MANAGE)
        if community is None:
            return _pick_community(request, perms.ACTIVITY_MANAGE, "volunteering:activity_create")
    choices = {"brands": ServiceBrand.objects.filter(community=community, is_active=True).order_by("name") if community else [],
               "units": ResidentUnit.objects.filter(pk__in=liaison_units).order_by("name")}
    form = forms.ActivityForm(request.POST or None, initial={"community": getattr(community, "pk", None)}, **choices)
    if not liaison_units:
        del form.fields["unit"]  # administrators publish for their community (a unit's liaison for his unit)
    communities = selectors.liaison_communities(liaison_units) if liaison_units else None
    return pages.form_page(
        request, form,
        save=lambda data: services.activity_create(actor=request.user, community=data["community"] or request.POST.get("community_pick"),
                                                   title=data["title"], place=data["place"], description=data["description"],
                                                   brand=data["brand"] or None, unit=data.get("unit") or None),
        success=_activity_url, message=_("Draft saved. Add its shifts, then publish it."),
        template="volunteering/activities/activity_form.html",
        context={"community": community, "liaison": bool(liaison_units), "all_communities": communities})


def _activity_url(a: Activity) -> str:
    return reverse("volunteering:activity_detail", kwargs={"pk": a.pk})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    a = selectors.activity_get(actor=request.user, id=pk)
    if not services.may_manage(request.user, a):
        raise NotFound()
    brands = ServiceBrand.objects.filter(community=a.community, is_active=True).order_by("name")
    form = forms.ActivityForm(request.POST or None, brands=brands, initial={
        "title": a.title, "place": a.place, "description": a.description, "brand": a.brand_id or ""})
    del form.fields["unit"]
    return pages.form_page(
        request, form,
        save=lambda d: services.activity_update(actor=request.user, activity=a, title=d["title"], place=d["place"],
                                                description=d["description"], brand=d["brand"] or None),
        success=_activity_url(a), message=_("Saved."), template="volunteering/activities/activity_form.html",
        context={"a": a, "community": a.community})


@login_required
@require_POST
def activity_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    fns: dict[str, Any] = {
        "publish": lambda a: services.activity_publish(actor=request.user, activity=a),
        "finish": lambda a: services.activity_finish(actor=request.user, activity=a, people_served=request.POST.get("people_served", "")),
        "cancel": lambda a: services.activity_cancel(actor=request.user, activity=a, reason=request.POST.get("reason", "")),
    }
    if action not in fns:
        raise NotFound()
    a = selectors.activity_get(actor=request.user, id=pk)
    return _act(request, lambda: fns[action](a), back=_activity_url(a),
                message=lambda done: _("The activity is now “%(status)s”.") % {"status": done.get_status_display()})


# --- shifts --------------------------------------------------------------------------------------


def _shift_initial(s: Any) -> dict[str, Any]:
    def local(v: Any) -> str:
        return timezone.localtime(v).strftime("%Y-%m-%dT%H:%M")

    return {"starts_at": local(s.starts_at), "ends_at": local(s.ends_at), "capacity": s.capacity, "place": s.place, "skills": s.skills,
            "signup_cutoff": local(s.signup_cutoff)}


@login_required
@require_http_methods(["GET", "POST"])
def shift_form(request: HttpRequest, pk: int | None = None, activity: int | None = None) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    shift = selectors.shift_get(actor=request.user, id=pk) if pk else None
    a = shift.activity if shift else selectors.activity_get(actor=request.user, id=activity)
    if not services.may_manage(request.user, a):
        raise NotFound()
    form = forms.ShiftForm(request.POST or None, initial=_shift_initial(shift) if shift else {})
    def save(d: dict[str, Any]) -> Any:
        if shift:
            return services.shift_update(actor=request.user, shift=shift, **d)
        return services.shift_create(actor=request.user, activity=a, **d)

    return pages.form_page(request, form, save=save, success=_activity_url(a), message=_("Saved."),
                           template="volunteering/activities/shift_form.html", context={"a": a, "shift": shift})


@login_required
def shift_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster: members with a place (check in/out by hand), the waiting list in order, cancellations."""
    require_page(request, perms.ACTIVITY_MANAGE)
    s = selectors.shift_get(actor=request.user, id=pk)
    return render(request, "volunteering/activities/shift_detail.html", {"s": s, "a": s.activity, "roster": selectors.roster(s),
                                                                         "free": max(s.capacity - s.taken, 0)})


@login_required
def shift_export(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    s = selectors.shift_get(actor=request.user, id=pk)
    r = selectors.roster(s)
    columns = [
        ExportColumn(_("Member"), "member.name"), ExportColumn(_("Status"), "get_status_display"),
        ExportColumn(_("Waiting-list position"), lambda x: x.position or ""), ExportColumn(_("Signed up at"), lambda x: _when(x.signed_up_at)),
        ExportColumn(_("Checked in at"), lambda x: _when(x.checked_in_at)), ExportColumn(_("Checked out at"), lambda x: _when(x.checked_out_at)),
        ExportColumn(_("Hours"), lambda x: getattr(getattr(x, "hour_record", None), "hours", "")),
    ]
    return pages.export(request, [*r["confirmed"], *r["waiting"], *r["cancelled"]], columns, basename=_("shift roster"))


@login_required
def shift_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The screen shown at the place: a QR code that changes every minute (the page reloads itself)."""
    require_page(request, perms.ACTIVITY_MANAGE)
    s = selectors.shift_get(actor=request.user, id=pk)
    kind = request.GET.get("kind", CodeKind.CHECK_IN)
    if kind not in CodeKind.values:
        kind = CodeKind.CHECK_IN
    token = codes.make_token(s, kind)
    url = request.build_absolute_uri(reverse("volunteering:checkin", args=[token]))
    opens, closes = codes.window(s)
    return render(request, "volunteering/activities/shift_qr.html", {
        "s": s, "a": s.activity, "kind": kind, "kind_label": CodeKind(kind).label, "qr": codes.qr_svg(url), "url": url,
        "refresh": codes.CODE_ROTATE_SECONDS, "opens": opens, "closes": closes, "checked_in": s.signups.filter(checked_in_at__isnull=False).count(),
    })


@login_required
@require_POST
def shift_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    s = selectors.shift_get(actor=request.user, id=pk)
    try:
        if action == "cancel":
            services.shift_cancel(actor=request.user, shift=s, reason=request.POST.get("reason", ""))
            messages.success(request, _("The shift was cancelled; the members were told."))
        elif action == "rotate":
            services.shift_rotate_key(actor=request.user, shift=s)
            messages.success(request, _("New check-in key: every code shown before no longer works."))
        else:
            raise NotFound()
    except DomainError as exc:
        _fail(request, exc)
    return redirect(_back(request, reverse("volunteering:shift_detail", args=[s.pk])))


@login_required
@require_POST
def staff_check(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    require_page(request, perms.ACTIVITY_MANAGE)
    sign = selectors.signup_get(actor=request.user, id=pk)
    return _act(request, lambda: services.check_by_staff(actor=request.user, signup=sign, kind=kind),
                back=reverse("volunteering:shift_detail", kwargs={"pk": sign.shift_id}),
                message=lambda _done: _("%(name)s: %(what)s recorded.") % {"name": sign.member.name, "what": CodeKind(kind).label})


# --- members: sign-up, cancel, check-in ------------------------------------------------------------


@login_required
@require_POST
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.SIGNUP)
    try:
        sign = services.signup_create(actor=request.user, shift=pk, wait=request.POST.get("wait", "1") != "0")
    except DomainError as exc:
        if exc.code == "no_report_in":
            return _no_report_in(request)
        _fail(request, exc)
        a = Activity.objects.filter(shifts__pk=pk).values_list("pk", flat=True).first()
        return redirect(_back(request, reverse("volunteering:activity_detail", args=[a]) if a else reverse("volunteering:activities")))
    if sign.status == SignupStatus.WAITING:
        messages.warning(request, _("The shift is full (已满): you are number %(n)s on the waiting list and will be told when a place frees up.")
                         % {"n": sign.position})
    else:
        messages.success(request, _("You have a place. Check in with the QR code shown at the place."))
    return redirect(_back(request, reverse("volunteering:my_signups")))


@login_required
@require_POST
def signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.SIGNUP)
    return _act(request, lambda: services.signup_cancel(actor=request.user, signup=pk), back=_back(request, reverse("volunteering:my_signups")),
                message=_("Sign-up cancelled."))


@login_required
def my_signups(request: HttpRequest) -> HttpResponse:
    return pages.list_view(request, "volunteering/activities/my_signups.html", permission=perms.SIGNUP, keys=("when",),
                           rows=lambda f: selectors.my_signups(actor=request.user, filters=f), context=lambda f: {"now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The page the QR code opens on the member's phone: what the code is for, and one button to confirm."""
    require_page(request, perms.SIGNUP)
    error, shift, code, done = "", None, None, None
    try:
        code = codes.read_token(token)
        shift = services.Shift.objects.select_related("activity").filter(pk=code.shift_id).first()
    except DomainError as exc:
        error = str(exc.message)
    if request.method == "POST" and not error:
        try:
            done = services.check_by_code(actor=request.user, token=token, shift=request.POST.get("shift") or None)
        except DomainError as exc:
            if exc.status == 401:
                raise
            error = str(exc.message)
    return render(request, "volunteering/activities/checkin.html", {
        "token": token, "shift": shift, "kind_label": CodeKind(code.kind).label if code else "", "kind": code.kind if code else "",
        "error": error, "done": done, "hours": getattr(done, "hour_record", None) if done and code and code.kind == CodeKind.CHECK_OUT else None,
    }, status=400 if error else 200)


# --- hours ---------------------------------------------------------------------------------------


@login_required
def my_hours(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.HOURS_VIEW)
    member = me(request.user)
    if member is None:
        raise NotFound()
    year = int_param(request.GET.get("year"))
    data = selectors.my_hours(actor=request.user, year=year if year and 2000 <= year <= 2100 else None, member=member,
                              upto=page_end(request.GET.get("page"), request.GET.get("size")))
    page = paginate(request, data["records"])
    return render(request, "volunteering/activities/my_hours.html", {**data, "page": page, "qs": querystring_without(request, "page"),
                                                                      "year": year, "community": member.community})


HOUR_FILTERS = ("q", "status", "kind", "community")


@login_required
@shared_list
def hour_list(request: HttpRequest) -> HttpResponse:
    def communities() -> Any:
        return selectors.managed_communities(actor=request.user, action=perms.HOURS_CONFIRM)

    options = picker.answer_partial(request, permission=perms.HOURS_CONFIRM, pickers={picker.COMMUNITY: communities})
    if options is not None:
        return options
    return pages.list_view(request, "volunteering/activities/hour_list.html", permission=perms.HOURS_CONFIRM, keys=HOUR_FILTERS,
                           rows=lambda f: counted(selectors.hour_list(actor=request.user, filters=f)), context=lambda f: {
                               "statuses": HourStatus.choices, "kinds": HourKind.choices,
                               "community": pages.lazy(lambda: picker.communities(request, communities(), f)),
                               "pending": f.get("status", HourStatus.PENDING) == HourStatus.PENDING, "rule": pages.lazy(point_rule)})


def _hour_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Date"), "date"), ExportColumn(_("Member"), "member.name"), ExportColumn(_("Community"), "community.name"),
        ExportColumn(_("Kind"), "get_kind_display"),
        ExportColumn(_("Activity or post"), lambda r: r.activity.title if r.activity else (r.post.name if r.post else "")),
        ExportColumn(_("Hours"), "hours"), ExportColumn(_("Points"), "points"), ExportColumn(_("Status"), "get_status_display"),
        ExportColumn(_("Note"), "note"),
    ]


@login_required
def hour_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.HOURS_CONFIRM, keys=HOUR_FILTERS, columns=_hour_columns,
                             rows=lambda f: selectors.hour_list(actor=request.user, filters=f), basename=_("service hours"))


@login_required
@require_POST
def hour_decide(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.HOURS_CONFIRM)
    ids = request.POST.getlist("records")
    try:
        if request.POST.get("decision") == "reject":
            n = services.hours_reject(actor=request.user, records=ids, reason=request.POST.get("reason", ""))
            messages.success(request, _("%(n)s hour records not confirmed.") % {"n": n})
        else:
            n = services.hours_confirm(actor=request.user, records=ids)
            messages.success(request, _("%(n)s hour records confirmed; points credited.") % {"n": n})
    except DomainError as exc:
        _fail(request, exc)
    return redirect(_back(request, reverse("volunteering:hour_list")))


@login_required
@require_http_methods(["GET", "POST"])
def hour_credit(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.HOURS_CONFIRM)
    community = _community_of(request, perms.HOURS_CONFIRM)
    if community is None:
        return _pick_community(request, perms.HOURS_CONFIRM, "volunteering:hour_credit")
    members = Member.objects.filter(report_ins__community=community, report_ins__status="confirmed", is_active=True).order_by("name")[:2000]
    posts = ServicePost.objects.filter(community=community).order_by("name")
    form = forms.CreditForm(request.POST or None, members=members, posts=posts,
                            initial={"community": community.pk, "date": timezone.localdate(), "kind": HourKind.TASK})
    return pages.form_page(
        request, form, on_form=(403,),  # e.g. "this member has not reported in to the community"
        save=lambda d: services.hours_credit(actor=request.user, community=community, member=d["member"], kind=d["kind"],
                                             post=d["post"] or None, hours=d["hours"], date=d["date"], note=d["note"]),
        success=reverse("volunteering:hour_list") + "?status=confirmed", message=_("Hours credited."),
        template="volunteering/activities/simple_form.html",
        context={"title": _("Credit post or task hours"), "pretitle": community.name, "back": reverse("volunteering:hour_list")})


@login_required
@require_http_methods(["GET", "POST"])
def point_rule_edit(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.POINT_RULE_MANAGE)
    rule = point_rule()
    form = forms.PointRuleForm(request.POST or None, initial={"per_hour": rule.per_hour, "per_task": rule.per_task, "per_pledge": rule.per_pledge})
    return pages.form_page(request, form, save=lambda d: services.point_rule_update(actor=request.user, **d), success="volunteering:point_rule",
                           message=_("Saved."), template="volunteering/activities/simple_form.html",
                           context={"title": _("Point rule"), "hint": _("Records confirmed earlier keep their points.")})


@login_required
def leaderboard(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.HOURS_VIEW)
    community_id = request.GET.get("community") or getattr(selectors.my_community(request.user), "pk", None)
    if not community_id:
        only = list(selectors.managed_communities(actor=request.user, action=perms.HOURS_CONFIRM)[:2])
        if len(only) != 1:
            return _pick_community(request, perms.HOURS_CONFIRM, "volunteering:leaderboard")
        community_id = only[0].pk
    year = int_param(request.GET.get("year")) or timezone.localdate().year
    year = year if 2000 <= year <= 2100 else timezone.localdate().year
    community = selectors.leaderboard_community(actor=request.user, community=community_id)
    rows = selectors.leaderboard(actor=request.user, community=community, year=year)
    me = actor_member(request.user, required=False)
    return render(request, "volunteering/activities/leaderboard.html", {
        "community": community, "year": year, "rows": rows, "me": me.pk if me else None,
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1))})


# --- posts ---------------------------------------------------------------------------------------

POST_FILTERS = ("q", "kind", "community", "open")
PENDING_SHOWN = 20  # the newest applications shown above the posts (a page of them; the card says how many wait)


@login_required
@shared_list
def post_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, perms.POST_MANAGE):
        return redirect("volunteering:my_posts")

    def communities() -> Any:
        return selectors.managed_communities(actor=request.user, action=perms.POST_MANAGE)

    options = picker.answer_partial(request, permission=perms.POST_MANAGE, pickers={picker.COMMUNITY: communities})
    if options is not None:
        return options
    f = get_filters(request, POST_FILTERS)
    page = pages.lazy(lambda: paginate(request, counted(selectors.post_list(actor=request.user, filters=f))))  # when drawn

    def pending() -> Any:
        return selectors.holding_list(actor=request.user, status=HoldingStatus.APPLIED)

    return render(request, "volunteering/activities/post_list.html", {
        **list_context(request, page, f), "kinds": PostKind.choices, "pending": pages.lazy(lambda: counted(pending())[:PENDING_SHOWN]),
        "pending_count": pages.lazy(lambda: cached_count(pending())),
        "community": pages.lazy(lambda: picker.communities(request, communities(), f))})


@login_required
def post_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.POST_MANAGE, keys=POST_FILTERS, columns=_post_columns,
                             rows=lambda f: selectors.post_list(actor=request.user, filters=f), basename=_("service posts"))


def _post_columns() -> list[ExportColumn]:
    yes, no = _("Yes"), _("No")
    return [
        ExportColumn(_("Community"), "community.name"), ExportColumn(_("Kind"), "get_kind_display"), ExportColumn(_("Name"), "name"),
        ExportColumn(_("People needed"), "needed"), ExportColumn(_("Serving"), "holders"), ExportColumn(_("Applications"), "applications"),
        ExportColumn(_("Skills wanted"), "skills"), ExportColumn(_("Open"), lambda p: yes if p.is_active else no),
    ]


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.POST_MANAGE)
    p = selectors.post_get(actor=request.user, id=pk)
    holdings = list(selectors.holding_list(actor=request.user, post=p))
    return render(request, "volunteering/activities/post_detail.html", {
        "p": p, "holdings": holdings, "serving": sum(1 for h in holdings if h.status == HoldingStatus.APPROVED)})


@login_required
@require_http_methods(["GET", "POST"])
def post_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_page(request, perms.POST_MANAGE)
    p = selectors.post_get(actor=request.user, id=pk) if pk else None
    initial = {"kind": p.kind, "name": p.name, "needed": p.needed, "skills": p.skills, "description": p.description} if p else {"needed": 1}

    def save(community: Any, d: dict[str, Any]) -> Any:
        return services.post_update(actor=request.user, post=p, **d) if p else services.post_create(actor=request.user, community=community, **d)

    return _community_record_form(request, p, forms.PostForm, initial, save, action=perms.POST_MANAGE, create="volunteering:post_create",
                                  detail="volunteering:post_detail", back="volunteering:post_list",
                                  title=_("Edit the post") if p else _("New service post"))


def _community_record_form(request: HttpRequest, record: Any, form_class: Any, initial: dict[str, Any], save: Callable[[Any, dict[str, Any]], Any],
                           *, action: str, create: str, detail: str, back: str, title: str) -> HttpResponse:
    """The form of a record of one community (a post, a brand): a new one asks which community first, if need be."""
    community = record.community if record else _community_of(request, action)
    if community is None:
        return _pick_community(request, action, create)
    form = form_class(request.POST or None, initial={"community": community.pk, **initial})
    return pages.form_page(request, form, save=lambda data: save(community, {k: v for k, v in data.items() if k != "community"}),
                           success=lambda saved: reverse(detail, kwargs={"pk": saved.pk}), message=_("Saved."),
                           template="volunteering/activities/simple_form.html",
                           context={"title": title, "pretitle": community.name, "back": reverse(back)})


@login_required
@require_POST
def post_close(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.POST_MANAGE)
    return _act(request, lambda: services.post_close(actor=request.user, post=pk, reopen=request.POST.get("reopen") == "1"),
                back=reverse("volunteering:post_detail", kwargs={"pk": pk}))


@login_required
@require_POST
def post_apply(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.POST_APPLY)
    try:
        services.holding_apply(actor=request.user, post=pk, note=request.POST.get("note", ""))
    except DomainError as exc:
        if exc.code == "no_report_in":
            return _no_report_in(request)
        _fail(request, exc)
    else:
        messages.success(request, _("Application sent; the community will decide."))
    return redirect("volunteering:my_posts")


@login_required
@require_POST
def holding_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    fns: dict[str, Any] = {
        "approve": lambda: services.holding_approve(actor=request.user, holding=pk),
        "reject": lambda: services.holding_reject(actor=request.user, holding=pk, reason=request.POST.get("reason", "")),
        "end": lambda: services.holding_end(actor=request.user, holding=pk, reason=request.POST.get("reason", "")),
        "withdraw": lambda: services.holding_withdraw(actor=request.user, holding=pk),
    }
    if action not in fns:
        raise NotFound()
    require_page(request, perms.POST_APPLY if action == "withdraw" else perms.POST_MANAGE)
    default = reverse("volunteering:my_posts") if action == "withdraw" else reverse("volunteering:post_list")
    return _act(request, fns[action], back=_back(request, default),
                message=lambda h: _("%(name)s: “%(status)s”.") % {"name": h.member.name, "status": h.get_status_display()})


@login_required
def my_posts(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.POST_APPLY)
    if selectors.my_community(request.user) is None:
        return _no_report_in(request)
    mine = list(selectors.my_holdings(actor=request.user))
    active = {h.post_id for h in mine if h.status in (HoldingStatus.APPLIED, HoldingStatus.APPROVED)}
    return render(request, "volunteering/activities/my_posts.html", {
        "mine": mine, "open_posts": [p for p in selectors.open_posts(actor=request.user) if p.pk not in active],
        "community": selectors.my_community(request.user)})


# --- brands --------------------------------------------------------------------------------------


@login_required
def brand_list(request: HttpRequest) -> HttpResponse:
    return pages.list_view(request, "volunteering/activities/brand_list.html", permission=perms.BRAND_VIEW, keys=("q", "community"),
                           rows=lambda f: selectors.brand_list(actor=request.user, filters=f),
                           context=lambda f: {"can_manage": can(request.user, perms.BRAND_MANAGE)})


@login_required
def brand_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.BRAND_VIEW)
    b = selectors.brand_get(actor=request.user, id=pk)
    acts = Activity.objects.filter(brand=b).exclude(status=ActivityStatus.DRAFT).order_by("-published_at", "-id")[:50]
    return render(request, "volunteering/activities/brand_detail.html", {
        "b": b, "reach": selectors.brand_reach(b), "activities": acts, "can_manage": can(request.user, perms.BRAND_MANAGE)})


@login_required
@require_http_methods(["GET", "POST"])
def brand_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_page(request, perms.BRAND_MANAGE)
    b = selectors.brand_get(actor=request.user, id=pk) if pk else None
    initial: dict[str, Any] = {"is_active": True}
    if b:
        initial.update({"name": b.name, "target_group": b.target_group, "schedule": b.schedule, "description": b.description,
                        "is_active": b.is_active})

    def save(community: Any, d: dict[str, Any]) -> Any:
        if b:
            return services.brand_update(actor=request.user, brand=b, **d)
        d.pop("is_active", None)
        return services.brand_create(actor=request.user, community=community, **d)

    return _community_record_form(request, b, forms.BrandForm, initial, save, action=perms.BRAND_MANAGE, create="volunteering:brand_create",
                                  detail="volunteering:brand_detail", back="volunteering:brand_list",
                                  title=_("Edit the service brand") if b else _("New service brand"))
