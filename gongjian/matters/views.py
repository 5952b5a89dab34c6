"""Pages of matters (民生事项): the work queue, the list (filters, export), the matter page with its timeline, map
and action forms, reporting (staff and the residents' phone form), the department handler's queue and the
assignment page. Views parse input, read through ``selectors`` and write through ``services``.

Stable hooks for tests and browser journeys: the queue tabs ``[data-queue=<key>]`` with ``[data-count]``; the
list table ``#matter-table``; the status badge ``#matter-status[data-status]``; action forms
``#action-<key>`` (accept, reject, escalate, assign, resolve, callback, follow_up, attach) with their buttons
``[data-action=<key>]``; the timeline ``#timeline``; the map ``#matter-map``; the assignment forms
``#assignment-<key>`` (accept, progress, result, return).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongjian.core import listcache, pages, picker, registry
from gongjian.core.counts import CountedRows
from gongjian.core.errors import Conflict, DomainError, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.images import clean_image
from gongjian.core.kernel import Actor
from gongjian.core.listcache import shared_list
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.params import get_filters, int_param, require_page
from gongjian.core.permissions import can
from gongjian.core.scope import actor_scopes
from gongjian.core.tabular import ExportColumn
from gongjian.regions.models import Region
from gongjian.regions.selectors import communities_in_area

from . import forms, selectors, services
from . import permissions as perms
from .choices import ASSIGNMENT_ACTIVE, MATTER_OPEN, AssignmentStatus, MatterSource, MatterStatus, Satisfaction, Urgency
from .models import Assignment, FollowUp, Matter

LIST_FILTERS = ("q", "status", "urgency", "category", "source", "region", "owner", "overdue", "from", "to", "department")

# The work queue's tabs for administrators, in the order a day's work goes.
QUEUE_TABS = ("to_accept", "to_decide", "to_resolve", "assigned", "to_callback", "overdue", "assigned_to_me", "mine")
DEPT_TABS = ("to_accept", "in_progress", "overdue", "followed_up", "done", "returned")


def conflict_message() -> str:
    return str(services.CONFLICT_MESSAGE)


def _queue_label(key: str) -> str:
    return {
        "to_accept": _("To accept"), "to_decide": _("To decide"), "to_resolve": _("Results to resolve"),
        "assigned": _("With departments"), "to_callback": _("Callbacks to record"), "overdue": _("Overdue"),
        "assigned_to_me": _("Assigned to my department"), "mine": _("My reports"), "in_progress": _("Being handled"),
        "followed_up": _("Followed up"), "done": _("Result reported"), "returned": _("Sent back"), "new": _("New"),
    }.get(key, key)


def _dept_label(key: str) -> str:
    return _("New") if key == "to_accept" else _queue_label(key)


# --- who may do what on this matter (the services decide again; this only chooses the forms to show) ---


def matter_actions(actor: Actor, m: Matter) -> set[str]:
    """The action forms to show this viewer on this matter now (``selectors.available_actions``; the services check
    the same rules again on the locked row)."""
    allowed = selectors.available_actions(actor=actor, matter=m)
    return {k for k in MATTER_ACTIONS if allowed.get(k)}


def may_read_phone(actor: Actor, m: Matter) -> bool:
    """The reporter's full phone: administrators on the matter's path (they call the reporter back); not
    departments, not the reporter's own account (he knows it)."""
    if not (m.reporter_phone_enc and can(actor, perms.READ_PHONE)):
        return False
    paths = selectors.acting_paths(actor, perms.READ_PHONE)
    return "" in paths or any(m.region_path.startswith(p) and selectors.path_depth(p) >= m.top_depth for p in paths)


def _masked_phone(m: Matter) -> str:
    return services.reporter_phone_masked(m) if m.reporter_phone_enc else ""


def _version(request: HttpRequest, prefix: str = "") -> str | None:
    """The version the page was rendered with (``<prefix>-version``); None when the form sent none. A value that is not
    a version goes to the service as it is, which refuses it ("reload the page")."""
    raw = str(request.POST.get(f"{prefix}-version" if prefix else "version", "") or request.POST.get("version", "")).strip()
    return raw[:20] or None


def _check_version(m: Matter, version: str | None) -> None:
    """For services without ``version=``: a page older than the matter's last change is refused the same way."""
    if version is not None and int_param(version) != m.version:
        raise Conflict(conflict_message(), code="stale")


# --- the work queue ----------------------------------------------------------------------------


def _tab(request: HttpRequest, keys: list[str], busy: list[str]) -> str:
    """The tab asked for, else the first one with something in it, else the first."""
    tab = request.GET.get("tab", "")
    if tab in keys:
        return tab
    return busy[0] if busy else (keys[0] if keys else "")


@login_required
@require_GET
@shared_list
def queue(request: HttpRequest) -> HttpResponse:
    """我的待办: what waits for me at my levels, with counts; pure handlers go to their department's queue and
    residents to their reports."""
    require_page(request, perms.VIEW)
    user = request.user
    if not selectors.acting_paths(user, perms.ASSIGN):
        if selectors.actor_departments(user):
            return redirect("matters:dept_queue")
        if can(user, perms.REPORT):
            return redirect("matters:report")
    if selectors.own_report_count(actor=user):
        listcache.own(request)  # the "mine" tab is this account's: its page is its own, not its scope's
    state = pages.lazy(lambda: _queue_state(request, user))  # drawn inside {% shared_list %}: nothing read when kept
    return render(request, "matters/queue.html", {
        "q": state, "can_report": can(user, perms.REPORT), "is_handler": bool(selectors.actor_departments(user)),
    })


def _queue_state(request: HttpRequest, user: Any) -> dict[str, Any]:
    """The work queue's tabs with their counts, the current tab and its page."""
    queues = selectors.work_queue(actor=user, page=True)
    counts = selectors.work_queue_counts(actor=user)
    keys = [k for k in QUEUE_TABS if k in queues]
    if not selectors.acting_paths(user, perms.ACCEPT) and "to_accept" in keys:
        keys.remove("to_accept")  # only the community accepts: the tab would always be empty above it
    tabs = [{"key": k, "label": _queue_label(k), "count": counts[k], "warn": k == "overdue"} for k in keys]
    tabs = [t for t in tabs if t["count"] or t["key"] != "mine"]  # an administrator's own reports only when there are some
    keys = [str(t["key"]) for t in tabs]
    current = _tab(request, keys, [str(t["key"]) for t in tabs if t["count"]])
    page = paginate(request, queues[current]) if current else None
    now = timezone.now()
    if page is not None:
        _annotate(page.object_list, now)
    return {"tabs": tabs, "current": current, "current_label": _queue_label(current), "page": page, "now": now,
            "qs": querystring_without(request, "page")}


@login_required
@require_GET
@shared_list
def dept_queue(request: HttpRequest) -> HttpResponse:
    """The department handler's queue (phone first): new assignments, in progress, overdue, followed up, done, sent back.
    The same for every handler of the same departments (the scope rows): kept for them (``shared_list``)."""
    require_page(request, perms.HANDLE)
    state = pages.lazy(lambda: _dept_state(request, request.user))  # drawn inside {% shared_list %}: nothing read when kept
    return render(request, "matters/dept_queue.html", {"q": state})


def _dept_state(request: HttpRequest, user: Any) -> dict[str, Any]:
    """The department queue's tabs with their counts (one query), the current tab and its page (one more)."""
    counts = selectors.department_queue_counts(actor=user)
    tabs = [{"key": k, "label": _dept_label(k), "count": counts[k], "warn": k in ("overdue", "followed_up")} for k in DEPT_TABS]
    current = _tab(request, list(DEPT_TABS), [str(t["key"]) for t in tabs if t["count"]])
    now = timezone.now()

    def finish(rows: list[Any]) -> None:
        for a in rows:
            a.countdown = _countdown(a.deadline, now) if a.status in ASSIGNMENT_ACTIVE else None

    rows = CountedRows(selectors.department_queue(actor=user, rows=True)[current], module="matters", count=counts[current], finish=finish)
    return {"tabs": tabs, "current": current, "current_label": _dept_label(current), "page": paginate(request, rows),
            "qs": querystring_without(request, "page")}


# --- list and export ---------------------------------------------------------------------------


# The dispatch catalogue as choices (with the report forms' selects drawn from them), and the list filter's category
# select as HTML, per catalogue version (in this process): building them from the catalogue's 150 categories took
# ~10 ms of every list page and report form.
_catalogue: dict[str, forms.KeptChoices] = {}
_category_filters: dict[tuple[str, str, str], str] = {}
_resident_forms: dict[tuple[str, str], str] = {}  # the residents' empty report form, per catalogue version and language


def kept_catalogue() -> forms.KeptChoices:
    """The active dispatch catalogue's choices (``forms.category_choices``) as the report forms take them, rebuilt when
    it changed."""
    version = selectors.catalogue_version()
    kept = _catalogue.get(version)
    if kept is None:
        kept = forms.KeptChoices(forms.category_choices(selectors.category_tree()), version)
        _catalogue.clear()
        _category_filters.clear()
        _resident_forms.clear()
        _catalogue[version] = kept
    return kept


def _category_filter(value: Any) -> str:
    """The list's category filter (a select over the catalogue, ``value`` chosen): rendered once per catalogue version,
    language and chosen category. A value that is no category is rendered as the blank choice (both show "any category")."""
    kept = kept_catalogue()
    version, choices = kept.version, kept.choices
    chosen = str(value) if value and str(value) in kept.values else ""
    key = (version, translation.get_language() or "", chosen)
    html = _category_filters.get(key)
    if html is None:
        html = _category_filters[key] = forms.CategorySelect(
            choices=[("", _("Any category")), *choices[1:]], attrs={"class": "form-select", "aria-label": _("Category")},
        ).render("category", chosen)
    return html


REGION_OPTIONS_TTL = 300  # seconds, as list counts: a region written outside the services shows within it


def _region_options(actor: Actor) -> list[tuple[str, str]]:
    """Regions of the actor's area for the filter: his scope regions and two levels below (indented), as (key, label).
    Kept in the shared cache per area until a region is written (the regions' version) or for ``REGION_OPTIONS_TTL``:
    a city's 224 regions were read on every visit of the list."""
    paths = selectors.acting_paths(actor, perms.VIEW)
    if not paths:
        return []
    key = "matters:region-options:" + hashlib.sha1(repr((registry.version("regions"), sorted(paths))).encode(), usedforsecurity=False).hexdigest()
    found: list[tuple[str, str]] | None = cache.get(key)
    if found is not None:
        return found
    qs = Region.objects.all()
    if "" not in paths:
        cond = Q(pk__in=[])
        for p in paths:
            cond |= Q(path__startswith=p, depth__lte=selectors.path_depth(p) + 2)
        qs = qs.filter(cond)
    else:
        qs = qs.filter(depth__lte=2)
    rows = list(qs.filter(level__in=("city", "district", "subdistrict", "community")).order_by("path").values_list("pk", "name", "depth")[:500])
    base = min((d for _pk, _n, d in rows), default=0)
    found = [(str(pk), "\u3000" * (d - base) + name) for pk, name, d in rows]
    cache.set(key, found, REGION_OPTIONS_TTL)
    return found


def _list_context(request: HttpRequest, f: dict[str, str]) -> dict[str, Any]:
    """The filter row's options, lazily (``pages.lazy``): a page whose table is kept (``shared_list``) computes none."""
    regions = pages.lazy(lambda: _region_options(request.user))
    return {
        "statuses": [("open", _("Open (all)")), *MatterStatus.choices], "urgencies": Urgency.choices, "sources": MatterSource.choices,
        "category_select": pages.lazy(lambda: _category_filter(f.get("category"))),
        "regions": regions, "region_options": pages.lazy(lambda: picker.options(regions(), f.get("region"))),
        "owner_options": pages.lazy(lambda: picker.options(regions(), f.get("owner"))),
        "can_report": can(request.user, perms.REPORT), "can_import": can(request.user, perms.IMPORT),
    }


@login_required
@require_GET
@shared_list
def matter_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.VIEW)
    f = get_filters(request, LIST_FILTERS)

    def page() -> Any:  # counted, read and annotated only when the table is drawn: not for a body kept by core.listcache
        p = paginate(request, selectors.matter_list(actor=request.user, filters=f, page=True))
        _annotate(p.object_list, timezone.now())
        return p

    return render(request, "matters/list.html", {
        **pages.list_context(request, pages.lazy(page), f), **_list_context(request, f), "now": timezone.now(),
        "more_filters": len([k for k in f if k != "q"]),
    })


def _annotate(rows: Any, now: dt.datetime) -> Any:
    """Each open matter's running deadline (to accept while reported, else to resolve) as a countdown badge; and, for
    the rows drawn twice on the list (cards for phones, the table), its page's URL and its local time reported, worked
    out once here rather than by ``{% url %}`` and ``|date`` at every place a row shows them."""
    for m in rows:
        due = m.accept_due if m.status == MatterStatus.REPORTED else m.resolve_due
        m.countdown = _countdown(due, now) if m.status in MATTER_OPEN else None
        m.url = reverse("matters:matter_detail", args=[m.pk])
        m.reported_text = timezone.localtime(m.reported_at).strftime("%Y-%m-%d %H:%M") if m.reported_at else ""
    return rows


def _local(value: Any) -> Any:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _at(attr: str) -> Any:
    return lambda m: _local(getattr(m, attr))


# The export's columns; the reporter's phone is masked in every export.
EXPORT_COLUMNS = [
    ExportColumn(gettext_lazy("Matter number"), "number"), ExportColumn(gettext_lazy("Title"), "title"),
    ExportColumn(gettext_lazy("Category"), lambda m: m.category.full_name if m.category else ""),
    ExportColumn(gettext_lazy("Urgency"), "get_urgency_display"), ExportColumn(gettext_lazy("Source"), "get_source_display"),
    ExportColumn(gettext_lazy("Status"), "get_status_display"), ExportColumn(gettext_lazy("Community code"), "community.code"),
    ExportColumn(gettext_lazy("Community"), "community.name"), ExportColumn(gettext_lazy("Owning level"), "owner.name"),
    ExportColumn(gettext_lazy("Address"), "address"), ExportColumn(gettext_lazy("Latitude"), "lat"),
    ExportColumn(gettext_lazy("Longitude"), "lng"), ExportColumn(gettext_lazy("Reporter"), "reporter_name"),
    ExportColumn(gettext_lazy("Reporter phone"), lambda m: _masked_phone(m)),
    ExportColumn(gettext_lazy("Work-order number"), lambda m: m.external_ref or ""),
    ExportColumn(gettext_lazy("Time reported"), _at("reported_at")), ExportColumn(gettext_lazy("Accept by"), _at("accept_due")),
    ExportColumn(gettext_lazy("Resolve by"), _at("resolve_due")), ExportColumn(gettext_lazy("Accepted at"), _at("accepted_at")),
    ExportColumn(gettext_lazy("Resolved at"), _at("resolved_at")), ExportColumn(gettext_lazy("Closed at"), _at("closed_at")),
    ExportColumn(gettext_lazy("Overdue"), lambda m: _("Yes") if m.is_overdue else _("No")),
    ExportColumn(gettext_lazy("Times escalated"), "escalation_count"),
    ExportColumn(gettext_lazy("Satisfaction"), lambda m: m.get_satisfaction_display() if m.satisfaction else ""),
    ExportColumn(gettext_lazy("Resolution"), "resolution"), ExportColumn(gettext_lazy("Reason"), "reject_reason"),
]


@login_required
@require_GET
def matter_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as .xlsx or CSV; the reporter's phone is masked in every export."""
    return pages.export_view(request, permission=perms.VIEW, keys=LIST_FILTERS,
                             rows=lambda f: selectors.matter_list(actor=request.user, filters=f), columns=EXPORT_COLUMNS, basename=_("matters"))


# --- the matter page ---------------------------------------------------------------------------


def _countdown(due: Any, now: dt.datetime) -> dict[str, Any] | None:
    if not due:
        return None
    seconds = int((due - now).total_seconds())
    hours = abs(seconds) // 3600
    days, rest = divmod(hours, 24)
    text = (_("%(d)d d %(h)d h") % {"d": days, "h": rest}) if days else (_("%(h)d h %(m)d min") % {"h": hours, "m": abs(seconds) % 3600 // 60})
    return {"due": due, "overdue": seconds < 0, "soon": 0 <= seconds < 24 * 3600, "text": text}


def _deadlines(m: Matter, now: dt.datetime) -> list[dict[str, Any]]:
    out = []
    accept = _countdown(m.accept_due, now)
    if accept:
        accept.update(label=_("Accept by"), done=m.status != MatterStatus.REPORTED, done_at=m.accepted_at or m.rejected_at)
        out.append(accept)
    resolve = _countdown(m.resolve_due, now)
    if resolve:
        resolve.update(label=_("Resolve by"), done=m.status not in MATTER_OPEN, done_at=m.resolved_at)
        out.append(resolve)
    return out


def category_path(m: Matter) -> list[str]:
    names: list[str] = []
    c = m.category
    while c is not None:
        names.insert(0, c.name)
        c = c.parent
    return names


def _forms(m: Matter, actions: set[str], assignments: list[Assignment], departments: Any, **bound: Any) -> dict[str, Any]:
    v = {"version": m.version}
    active = [a for a in assignments if a.status in ASSIGNMENT_ACTIVE]
    built: dict[str, Any] = {
        "reject": forms.ReasonForm(initial=v, prefix="reject"),
        "escalate": forms.ReasonForm(initial=v, prefix="escalate"),
        "assign": forms.AssignForm(initial=v, departments=departments, prefix="assign") if "assign" in actions else None,
        "resolve": forms.ResolveForm(initial=v, prefix="resolve"),
        "callback": forms.CallbackForm(initial=v, prefix="callback"),
        "follow_up": forms.FollowUpForm(initial=v, assignments=active, prefix="follow_up"),
        "attach": forms.AttachForm(initial=v, prefix="attach"),
        "accept": forms.VersionForm(initial=v, prefix="accept"),
    }
    built.update(bound)
    return built


def _detail(request: HttpRequest, pk: Any, *, status: int = 200, open_action: str = "", error: str = "", **bound: Any) -> HttpResponse:
    user = request.user
    m = selectors.matter_get(actor=user, id=pk)
    now = timezone.now()
    actions = matter_actions(user, m)
    assignments = list(selectors.matter_assignments(actor=user, matter=m))
    mine = selectors.actor_departments(user)
    for a in assignments:
        a.countdown = _countdown(a.deadline, now) if a.status in ASSIGNMENT_ACTIVE else None  # type: ignore[attr-defined]
        a.mine = a.department_id in mine  # type: ignore[attr-defined]
    departments = selectors.department_choices(matter=m) if "assign" in actions else []
    events = _labelled(selectors.matter_events(actor=user, matter=m).select_related("department__region"))
    follow = list(_follow_ups(assignments))
    ctx = {
        "m": m, "actions": actions, "forms": _forms(m, actions, assignments, departments, **bound), "open_action": open_action,
        "assignments": assignments, "events": events, "follow_ups": follow,
        "attachments": list(selectors.matter_attachments(actor=user, matter=m)), "deadlines": _deadlines(m, now),
        "category_path": category_path(m), "phone_masked": _masked_phone(m), "can_reveal": may_read_phone(user, m),
        "error": error, "lat": float(m.lat) if m.lat is not None else None, "lng": float(m.lng) if m.lng is not None else None,
        "satisfaction_choices": Satisfaction.choices,
    }
    ctx.update(bound.pop("extra", {}) if "extra" in bound else {})
    return render(request, "matters/detail.html", ctx, status=status)


def _labelled(events: Any) -> list[Any]:
    labels = dict(MatterStatus.choices)
    out = list(events)
    for e in out:
        e.from_label = labels.get(e.from_status, "")
        e.to_label = labels.get(e.to_status, "")
    return out


def _follow_ups(assignments: list[Assignment]) -> Any:
    ids = [a.pk for a in assignments]
    if not ids:
        return []
    return (FollowUp.objects.filter(assignment_id__in=ids).select_related("assignment__department__region", "by", "by_region")
            .order_by("-created_at", "-id"))


@login_required
@require_GET
def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.VIEW)
    return _detail(request, pk)


@login_required
@require_POST
def matter_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter's full phone number, for the roles that call back; every reveal is audited."""
    require_page(request, perms.READ_PHONE)
    m = selectors.matter_get(actor=request.user, id=pk)
    if not may_read_phone(request.user, m):
        raise PermissionDenied()
    with transaction.atomic():
        phone = services.reporter_phone(actor=request.user, matter=m)
    resp = _detail(request, m.pk, extra={"revealed_phone": phone})
    resp["Cache-Control"] = "no-store"
    return resp


ACTION_FORMS: dict[str, Any] = {
    "accept": forms.VersionForm, "reject": forms.ReasonForm, "escalate": forms.ReasonForm, "resolve": forms.ResolveForm,
    "callback": forms.CallbackForm, "attach": forms.AttachForm,
}
# service field name → form field name, to put a service's error next to the field
FIELD_MAP = {"version": "__top__", "lead": "lead", "assist": "assist", "deadline": "deadline", "upload": "file", "filename": "file", "photo": "file",
             "assignment": "assignment", "new_deadline": "new_deadline"}


def _end_of_day(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)), timezone.get_current_timezone())


def _run_action(request: HttpRequest, m: Matter, action: str) -> tuple[Any, Any]:
    """Parse the action's form and call its service; returns (form, result). Raises DomainErrors."""
    user = request.user
    version = _version(request, action)
    if action == "assign":
        form: Any = forms.AssignForm(request.POST, departments=selectors.department_choices(matter=m), prefix="assign")
    elif action == "follow_up":
        active = [a for a in selectors.matter_assignments(actor=user, matter=m) if a.status in ASSIGNMENT_ACTIVE]
        form = forms.FollowUpForm(request.POST, assignments=active, prefix="follow_up")
    else:
        form = ACTION_FORMS[action](request.POST, request.FILES, prefix=action)
    form.is_valid()
    cd = form.cleaned_data
    if form.errors and action not in ("follow_up",):  # type errors (a date that is not one): shown next to the field
        raise ValidationError(details={k: list(v) for k, v in form.errors.items()})
    if action == "accept":
        return form, services.matter_accept(actor=user, matter=m, version=version)
    if action == "reject":
        return form, services.matter_reject(actor=user, matter=m, reason=cd.get("reason", ""), version=version)
    if action == "escalate":
        return form, services.matter_escalate(actor=user, matter=m, reason=cd.get("reason", ""), version=version)
    if action == "assign":
        lead = int_param(cd.get("lead")) if cd.get("lead") else None
        assist = [x for x in (int_param(v) for v in cd.get("assist") or []) if x]
        return form, services.matter_assign(actor=user, matter=m, lead=lead, assist=assist, deadline=_end_of_day(cd.get("deadline")),
                                            note=cd.get("note", ""), version=version)
    if action == "resolve":
        return form, services.matter_resolve(actor=user, matter=m, resolution=cd.get("resolution", ""), version=version)
    if action == "callback":
        return form, services.matter_callback(actor=user, matter=m, satisfaction=cd.get("satisfaction", ""), note=cd.get("note", ""),
                                              version=version)
    if action == "follow_up":
        if form.errors and "new_deadline" in form.errors:
            raise ValidationError(details={"new_deadline": list(form.errors["new_deadline"])})
        _check_version(m, version)
        asg = selectors.assignment_get(actor=user, id=cd.get("assignment") or request.POST.get("follow_up-assignment", ""))
        if asg.matter_id != m.pk:
            raise NotFound()
        return form, services.assignment_follow_up(actor=user, assignment=asg, note=cd.get("note", ""),
                                                   new_deadline=_end_of_day(cd.get("new_deadline")))
    if action == "attach":
        # no version check: an attachment never changes the matter's state, so a page opened earlier may still add one
        # (the service refuses it on a closed or rejected matter)
        upload = request.FILES.get("attach-file")
        if upload is None:
            raise ValidationError.for_field("file", _("Choose a file to upload."))
        return form, services.matter_attach(actor=user, matter=m, upload=upload, filename=upload.name or "")
    raise NotFound()


def _success(action: str) -> str:
    return {
        "accept": _("The matter was accepted."), "reject": _("The matter was rejected."),
        "escalate": _("The matter was escalated to the level above."), "assign": _("The departments were assigned."),
        "resolve": _("The matter is marked as resolved."), "callback": _("The callback was recorded."),
        "follow_up": _("The follow-up was sent to the department."), "attach": _("The file was attached."),
    }[action]


MATTER_ACTIONS = ("accept", "reject", "escalate", "assign", "resolve", "callback", "follow_up", "attach")
ACTION_PERMS = {"accept": perms.ACCEPT, "reject": perms.REJECT, "escalate": perms.ESCALATE, "assign": perms.ASSIGN,
                "resolve": perms.RESOLVE, "callback": perms.CALLBACK, "follow_up": perms.FOLLOW_UP, "attach": perms.ATTACH}


@login_required
@require_POST
def matter_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action form of the matter page. Outside the sight: 404; a role that may not: 403; a stale page or a
    forbidden transition: the page again (409) with the clear message; bad input: the form with errors (400)."""
    if action not in MATTER_ACTIONS:
        raise NotFound()
    require_page(request, perms.VIEW)
    m = selectors.matter_get(actor=request.user, id=pk)
    if not can(request.user, ACTION_PERMS[action]):
        raise PermissionDenied()
    try:
        _run_action(request, m, action)
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as exc:
        bound = _bound_form(request, m, action)
        visible = {f.name for f in bound.visible_fields()}
        placed = {k: v for k, v in exc.details.items() if FIELD_MAP.get(k, k) in visible}
        if placed:
            bound.add_domain_error(ValidationError(exc.message, details=placed), FIELD_MAP)
        rest = [str(msg) for k, msgs in exc.details.items() if k not in placed for msg in (msgs if isinstance(msgs, list | tuple) else [msgs])]
        error = "；".join(rest) if rest or placed else str(exc.message)
        return _detail(request, m.pk, status=400, open_action=action, error=error, **{action: bound})
    except (Conflict, TransitionError) as exc:
        return _detail(request, m.pk, status=409, error=str(exc.message))
    except DomainError as exc:
        return _detail(request, m.pk, status=exc.status if 400 <= exc.status < 500 else 400, error=str(exc.message))
    messages.success(request, _success(action))
    return redirect(reverse("matters:matter_detail", args=[m.pk]) + ("#attachments" if action == "attach" else ""))


def _bound_form(request: HttpRequest, m: Matter, action: str) -> Any:
    """The posted form again (bound, with the fresh version) to show the errors next to its fields."""
    data = request.POST.copy()
    data[f"{action}-version"] = str(Matter.objects.filter(pk=m.pk).values_list("version", flat=True).first() or m.version)
    if action == "assign":
        return forms.AssignForm(data, departments=selectors.department_choices(matter=m), prefix="assign")
    if action == "follow_up":
        active = [a for a in selectors.matter_assignments(actor=request.user, matter=m) if a.status in ASSIGNMENT_ACTIVE]
        form = forms.FollowUpForm(data, assignments=active, prefix="follow_up")
    else:
        form = ACTION_FORMS[action](data, prefix=action)
    form.is_valid()
    for name in list(form.errors):  # only the service's verdict is shown, not the form's own "required"
        del form.errors[name]
    return form


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    """An attachment, only to those who see the matter (otherwise 404); photos inline, PDFs as downloads, sandboxed."""
    require_page(request, perms.VIEW)
    m = selectors.matter_get(actor=request.user, id=pk)
    return attachment_response(selectors.attachment_get(actor=request.user, id=aid, matter=m))


def attachment_response(a: Any) -> FileResponse:
    """The file of an attachment the caller may see (found through ``selectors.attachment_get``)."""
    try:
        handle = a.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise NotFound() from None
    ctype = a.content_type if a.content_type in ("image/jpeg", "image/png", "image/webp", "application/pdf") else "application/octet-stream"
    resp = FileResponse(handle, content_type=ctype)
    resp["Cache-Control"] = "private, max-age=3600"
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    disposition = "inline" if ctype.startswith("image/") else "attachment"
    resp["Content-Disposition"] = f'{disposition}; filename="{str(a.file.name).rsplit("/", 1)[-1]}"'
    return resp


# --- reporting ---------------------------------------------------------------------------------


def _report_communities(actor: Actor) -> list[Region]:
    return list(communities_in_area(actor=actor, action=perms.REPORT).only("pk", "name", "full_name", "path"))


class Place(NamedTuple):
    """A community as the residents' phone form offers it."""

    pk: int
    name: str


def resident_communities(actor: Any) -> list[Place]:
    """The communities of a resident's or road chief's own scopes (a grid scope reports into its community). Kept in the
    shared cache per scope paths until a region is written (the regions' version, read in the same round trip) or for
    ``REGION_OPTIONS_TTL``: the region rows were read on every visit of the phone form."""
    allowed = {"resident", "member"}
    paths = sorted({s.region_path for s in actor_scopes(actor) if s.role in allowed and s.kind == "region" and s.region_path})
    if not paths:
        return []
    key = "matters:resident-communities:" + hashlib.sha1(repr(paths).encode(), usedforsecurity=False).hexdigest()
    vkey = registry.version_key("regions")
    found = cache.get_many([vkey, key])
    version = found.get(vkey) or 0
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == version:
        return [Place(*row) for row in stored[1]]
    out: list[Place] = []
    regions = (Region.objects.filter(path__in=paths).select_related("parent")
               .only("id", "name", "level", "path", "parent__id", "parent__name", "parent__level", "parent__path"))
    for r in regions.order_by("path"):
        c = r if r.level == "community" else (r.parent if r.parent and r.parent.level == "community" else None)
        if c is not None and all(p.pk != c.pk for p in out):
            out.append(Place(c.pk, c.name))
    cache.set(key, (version, [tuple(p) for p in out]), REGION_OPTIONS_TTL)
    return out


def _check_photo(upload: Any) -> None:
    """Refuse a bad photo before anything is written (the service cleans it again when it stores it)."""
    if upload is None:
        return
    clean_image(upload, field="photo")
    upload.seek(0)


def _report(actor: Any, data: dict[str, Any], photo: Any) -> Matter:
    _check_photo(photo)
    with transaction.atomic():
        m = services.matter_report(actor=actor, **data)
        if photo is not None:
            services.matter_attach(actor=actor, matter=m, upload=photo, filename=photo.name or "photo")
    return m


def _staff(actor: Any) -> bool:
    return bool(selectors.acting_paths(actor, perms.REPORT))


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Report a matter: the full form for staff, the phone form (community from the scope) for residents and road chiefs."""
    require_page(request, perms.REPORT)
    if _staff(request.user):
        return _staff_report(request)
    return _resident_report(request)


def _staff_report(request: HttpRequest) -> HttpResponse:
    communities = _report_communities(request.user)
    initial = {"community": str(communities[0].pk)} if len(communities) == 1 else None
    form = forms.ReportForm(request.POST or None, request.FILES or None, initial=initial, categories=kept_catalogue(),
                            community_qs=communities)

    def save(cd: dict[str, Any]) -> Matter:
        data = {k: cd.get(k) for k in ("title", "description", "address", "reporter_name", "reporter_phone")}
        data.update(category=int_param(cd.get("category")) if cd.get("category") else None, urgency=cd.get("urgency") or None,
                    community=int_param(cd.get("community")), source=cd.get("source") or MatterSource.STAFF,
                    lat=cd.get("lat") or None, lng=cd.get("lng") or None)
        return _report(request.user, data, cd.get("photo"))

    return pages.form_page(
        request, form, save=save, success=lambda m: reverse("matters:matter_detail", args=[m.pk]),
        message=lambda m: _("Matter %(number)s was reported. The community accepts it first.") % {"number": m.number},
        template="matters/report.html", context={"cancel_url": reverse("matters:list")},
        field_map={"upload": "photo", "filename": "photo"},
    )


def _resident_report(request: HttpRequest) -> HttpResponse:
    communities = resident_communities(request.user)
    categories = kept_catalogue()
    form = forms.ResidentReportForm(request.POST or None, request.FILES or None, categories=categories)
    chosen = None
    if communities:
        chosen = next((c for c in communities if str(c.pk) == request.POST.get("community")), communities[0])

    def save(cd: dict[str, Any]) -> Matter:
        # the service sets the source (resident / road chief) and the reporter's name from the account
        data = {k: cd.get(k) for k in ("title", "description", "address", "reporter_phone")}
        data.update(category=int_param(cd.get("category")) if cd.get("category") else None, community=chosen.pk if chosen else None,
                    lat=cd.get("lat") or None, lng=cd.get("lng") or None)
        if chosen is None:
            raise ValidationError(_("Your account is not attached to a community; ask your community to set it up."))
        return _report(request.user, data, cd.get("photo"))

    return pages.form_page(
        request, form, save=save, success=reverse("matters:report"),
        message=lambda m: _("Thank you. Your report %(number)s was sent to %(community)s.") % {"number": m.number,
                                                                                              "community": m.community.name},
        template="matters/report_resident.html", context=lambda: {
            "communities": communities, "chosen": chosen, "mine": selectors.own_reports(actor=request.user, limit=30),
            "form_html": _kept_form(form, categories),
        },
        field_map={"upload": "photo", "filename": "photo", "community": "address"},
    )


def _kept_form(form: forms.ResidentReportForm, categories: forms.KeptChoices) -> str | None:
    """The residents' empty form as drawn by ``includes/form.html``: the same for every account (no field of his, no
    choice but the catalogue's), so drawn once per catalogue version and language in this process. None for a form
    sent back with its values and errors (drawn as usual)."""
    if form.is_bound:
        return None
    key = (categories.version, translation.get_language() or "")
    html = _resident_forms.get(key)
    if html is None:
        html = _resident_forms[key] = render_to_string("includes/form.html", {"form": form})
    return mark_safe(html)  # drawn by the template engine, which escaped it


# --- the department's assignment page ------------------------------------------------------------


ASSIGNMENT_ACTIONS = ("accept", "progress", "result", "return")


def assignment_actions(actor: Any, a: Assignment) -> set[str]:
    if a.department_id not in selectors.actor_departments(actor) or not can(actor, perms.HANDLE):
        return set()
    out: set[str] = set()
    if a.status == AssignmentStatus.ASSIGNED:
        out |= {"accept", "return"}
    if a.status in ASSIGNMENT_ACTIVE:
        out |= {"progress", "result"}
    return out


def _assignment_page(request: HttpRequest, pk: Any, *, status: int = 200, error: str = "", open_action: str = "", **bound: Any
                     ) -> HttpResponse:
    user = request.user
    a = selectors.assignment_get(actor=user, id=pk)
    m = a.matter
    v = {"version": m.version}
    forms_ = {
        "accept": forms.VersionForm(initial=v, prefix="accept"), "progress": forms.NoteForm(initial=v, prefix="progress"),
        "result": forms.ResultForm(initial=v, prefix="result"), "return": forms.ReasonForm(initial=v, prefix="return"),
    }
    forms_.update(bound)
    now = timezone.now()
    timeline = selectors.matter_events(actor=user, matter=m).select_related("department__region")
    events = _labelled(e for e in timeline if e.department_id in (None, a.department_id))
    return render(request, "matters/assignment.html", {
        "a": a, "m": m, "actions": assignment_actions(user, a), "forms": forms_, "error": error, "open_action": open_action,
        "countdown": _countdown(a.deadline, now) if a.status in ASSIGNMENT_ACTIVE else None,
        "follow_ups": list(selectors.follow_ups(actor=user, assignment=a)), "events": events,
        "category_path": category_path(m) if m.category_id else [],
        "others": [x for x in selectors.matter_assignments(actor=user, matter=m) if x.pk != a.pk],
    }, status=status)


@login_required
@require_GET
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.VIEW)
    return _assignment_page(request, pk)


ASSIGNMENT_FORMS: dict[str, Any] = {"accept": forms.VersionForm, "progress": forms.NoteForm, "result": forms.ResultForm,
                                    "return": forms.ReasonForm}


@login_required
@require_POST
def assignment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """A department's action on its assignment: take it up, report progress, report the result, send it back."""
    if action not in ASSIGNMENT_ACTIONS:
        raise NotFound()
    require_page(request, perms.VIEW)
    a = selectors.assignment_get(actor=request.user, id=pk)
    if not can(request.user, perms.HANDLE) or a.department_id not in selectors.actor_departments(request.user):
        raise PermissionDenied()
    form = ASSIGNMENT_FORMS[action](request.POST, prefix=action)
    form.is_valid()
    cd = form.cleaned_data
    seen = request.POST.get(f"{action}-seen", "")
    if seen in AssignmentStatus.values:
        a.status = seen  # the status the page showed: the service answers "already changed" when the locked row differs
    try:
        _check_version(a.matter, _version(request, action))
        if action == "accept":
            services.assignment_accept(actor=request.user, assignment=a)
        elif action == "progress":
            services.assignment_progress(actor=request.user, assignment=a, note=cd.get("note", ""))
        elif action == "result":
            services.assignment_result(actor=request.user, assignment=a, result=cd.get("result", ""))
        else:
            services.assignment_return(actor=request.user, assignment=a, reason=cd.get("reason", ""))
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as exc:
        data = request.POST.copy()
        data[f"{action}-version"] = str(a.matter.version)
        bound = ASSIGNMENT_FORMS[action](data, prefix=action)
        bound.is_valid()
        for name in list(bound.errors):
            del bound.errors[name]
        if exc.details:
            bound.add_domain_error(exc)
        else:
            bound.add_error(None, str(exc.message))
        return _assignment_page(request, a.pk, status=400, open_action=action, **{action: bound})
    except (Conflict, TransitionError) as exc:
        return _assignment_page(request, a.pk, status=409, error=str(exc.message))
    except DomainError as exc:
        return _assignment_page(request, a.pk, status=exc.status if 400 <= exc.status < 500 else 400, error=str(exc.message))
    messages.success(request, {
        "accept": _("You took up the assignment."), "progress": _("The progress was recorded."),
        "result": _("The result was reported to the owning level."), "return": _("The assignment was sent back."),
    }[action])
    if action == "return":
        return redirect("matters:dept_queue")
    return redirect("matters:assignment", pk=a.pk)
