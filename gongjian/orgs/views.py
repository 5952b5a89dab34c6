"""Pages of the organisations module. Views parse input, call selectors and services, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongjian.core import audit, pages, pii
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.pages import EXPORT_LIMIT, action, export, export_view, form_page, list_context
from gongjian.core.pagination import paginate
from gongjian.core.params import get_filters, require_page
from gongjian.core.permissions import can, require
from gongjian.core.scope import in_scope
from gongjian.core.tabular import ExportColumn

from . import forms, selectors, services
from . import permissions as perms
from .choices import Basis, Formation, Gender, MemberStatus, OrgRank, PolicyLevel, PolicyRole, Sector, UnitKind
from .models import Member, PolicyAttachment, ResidentUnit

M = TypeVar("M")


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _labels(**fields: Any) -> Callable[[list[Any]], list[Any]]:
    """What sets ``row.<field>_label`` on a page's rows from each field's choices (``field=ChoicesClass``), translated
    once per page: ``get_<field>_display`` translates every choice of the field on each call, and a page of 50
    organisations spent ~1,000 catalogue lookups on its rank, sector and formation columns."""

    def finish(rows: list[Any]) -> list[Any]:
        for field, choices in fields.items():
            names = {value: str(label) for value, label in choices.choices}
            for r in rows:
                value = getattr(r, field)
                setattr(r, f"{field}_label", names.get(value, value))
        return rows

    return finish


CONFIRM_TEMPLATE = "orgs/confirm.html"  # a form page whose button confirms a deactivation


def _confirm(request: HttpRequest, *, save: Callable[[dict[str, Any]], Any], back: str, done: Any, title: str, message: str, button: str,
             form: Any = None) -> HttpResponse:
    """A form page whose button confirms a deactivation (with a reason, unless another ``form``); cancel and success go ``back``."""
    return form_page(request, form if form is not None else forms.ReasonForm(request.POST or None), save=save, success=back, message=done,
                     template=CONFIRM_TEMPLATE, context={"title": title, "message": message, "cancel_url": back, "button": button})


def _form(request: HttpRequest, form: Any, *, save: Callable[[dict[str, Any]], Any], success: Any, message: Any, title: str, cancel: str,
          form_id: str, **context: Any) -> HttpResponse:
    """A form page on the generic template: its title, cancel link and form id."""
    field_map = context.pop("field_map", None)
    return form_page(request, form, save=save, success=success, message=message, field_map=field_map,
                     context={"title": title, "cancel_url": cancel, "form_id": form_id, **context})


def _for(request: HttpRequest, get: Callable[..., M], pk: int, action: str) -> M:
    """The record a page works on: the role may ``action`` (else the page is "not found"), and the record is in the scope for it."""
    require_page(request, action)
    return get(actor=request.user, id=pk, action=action)


def _detail(name: str) -> Any:
    """The success target of a form page: the detail page of what the service returned."""
    return lambda obj: reverse(name, args=[obj.pk])


def _edit(request: HttpRequest, form: Any, record: Any, detail: str, *, name: str, save: Callable[[dict[str, Any]], Any], message: str,
          form_id: str) -> HttpResponse:
    """The edit page of a record: "Edit <name>", back to its detail page."""
    back = reverse(detail, args=[record.pk])
    return _form(request, form, save=save, success=back, message=message, title=_("Edit %(name)s") % {"name": name}, cancel=back,
                 form_id=form_id)


def _deactivate(request: HttpRequest, record: Any, detail: str, **confirm: Any) -> HttpResponse:
    """The deactivation page of a record: a confirmation whose cancel and success go back to its detail page."""
    return _confirm(request, back=reverse(detail, args=[record.pk]), **confirm)


# --- members ---------------------------------------------------------------------------------

MEMBER_FILTERS = ("q", "org", "org_name", "subtree", "status", "in_service", "home", "employer", "active", "order")
# Above this many organisations in the actor's area the member list filters by organisation name
# instead of a drop-down (a district lists ~1,400: rendering them cost more than the whole query).
ORG_SELECT_LIMIT = 200


@login_required
@shared_list
def member_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.MEMBER_LIST)
    f = get_filters(request, MEMBER_FILTERS)

    def page() -> Any:  # counted and read only when the table is drawn: not for a body kept by core.listcache
        p = paginate(request, selectors.member_page(actor=request.user, filters=f))
        p.object_list = _labels(gender=Gender, status=MemberStatus)(list(selectors.member_rows(p.object_list)))
        return p

    # the drop-down shows names only: plain values, not ~200 records with their regions; only the filter row (kept by
    # core.listcache with the table) uses them, so a page served from the cache does not read them
    orgs = pages.lazy(lambda: list(selectors.org_choices(actor=request.user, action=perms.MEMBER_LIST).values("pk", "name")[: ORG_SELECT_LIMIT + 1]))
    many_orgs = pages.lazy(lambda: len(orgs()) > ORG_SELECT_LIMIT)

    def chosen_org() -> Any:
        if many_orgs() and f.get("org"):
            return selectors.org_choice(actor=request.user, id=f["org"], action=perms.MEMBER_LIST)
        return None

    return render(request, "orgs/member_list.html", {
        **list_context(request, pages.lazy(page), f),
        "orgs": pages.lazy(lambda: [] if many_orgs() else orgs()), "many_orgs": many_orgs, "chosen_org": pages.lazy(chosen_org),
        "statuses": MemberStatus.choices,
        "can_manage": can(request.user, perms.MEMBER_MANAGE), "can_full_export": can(request.user, perms.MEMBER_PII),
    })


def _member_columns(*, full: bool) -> list[ExportColumn]:
    """The member export's columns: ID and phone numbers masked unless ``full``."""

    def id_number(m: Member) -> str:
        idn = pii.decrypt(m.id_number_enc)
        return idn if full else pii.mask_id_number(idn)

    def phone(m: Member) -> str:
        value = pii.decrypt(m.phone_enc)
        return value if full else pii.mask_phone(value)

    return [
        ExportColumn(pgettext_lazy("person", "Full name"), "name"), ExportColumn(gettext_lazy("Gender"), "get_gender_display"),
        ExportColumn(gettext_lazy("Birth date"), "birth_date"), ExportColumn(gettext_lazy("ID number"), id_number),
        ExportColumn(gettext_lazy("Phone"), phone), ExportColumn(gettext_lazy("Party organisation"), "org.name"),
        ExportColumn(gettext_lazy("Employer unit"), "employer_unit.name"), ExportColumn(gettext_lazy("Home community"), "home_community.name"),
        ExportColumn(gettext_lazy("In-service member"), lambda m: _yes_no(m.in_service)), ExportColumn(gettext_lazy("Join date"), "join_date"),
        ExportColumn(gettext_lazy("Status"), "get_status_display"), ExportColumn(gettext_lazy("Active"), lambda m: _yes_no(m.is_active)),
    ]


@login_required
def member_export(request: HttpRequest) -> HttpResponse:
    """Masked by default; ``full=1`` for roles that need full values, only over members in that scope, audited."""
    require_page(request, perms.MEMBER_LIST)
    f = get_filters(request, MEMBER_FILTERS)
    full = request.GET.get("full") == "1"
    if full:
        require(request.user, perms.MEMBER_PII)
        qs = selectors.member_list(actor=request.user, filters=f, action=perms.MEMBER_PII)
    else:
        qs = selectors.member_list(actor=request.user, filters=f)
    members = list(qs[:EXPORT_LIMIT])
    if full:
        audit.record(actor=request.user, verb="pii.export", target=("orgs.member", ""),
                     changes={"fields": ["id_number", "phone"], "count": len(members), "filters": f})
    return export(request, members, _member_columns(full=full), basename=_("members"))


def _member_detail_context(request: HttpRequest, m: Member) -> dict[str, Any]:
    mp = selectors.masked(m)
    return {
        "m": m, "id_masked": mp.id_number, "phone_masked": mp.phone,
        "can_reveal": selectors.may_reveal(request.user, m),
        "can_manage": can(request.user, perms.MEMBER_MANAGE) and in_scope(m, request.user, perms.MEMBER_MANAGE),
    }


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m = selectors.member_get(actor=request.user, id=pk)
    return render(request, "orgs/member_detail.html", _member_detail_context(request, m))


@login_required
@require_POST
def member_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    m = selectors.member_get(actor=request.user, id=pk)
    if not selectors.may_reveal(request.user, m):
        raise NotFound()
    ctx = _member_detail_context(request, m)
    ctx["revealed"] = services.member_reveal(actor=request.user, member=m)
    resp = render(request, "orgs/member_detail.html", ctx)
    resp["Cache-Control"] = "no-store"
    return resp


def _member_form(request: HttpRequest, *, data: Any = None, initial: Any = None, editing: bool = False) -> forms.MemberForm:
    return forms.MemberForm(
        data, initial=initial, editing=editing,
        org_qs=selectors.org_choices(actor=request.user), community_qs=selectors.community_choices(),
    )


def _member_payload(form: forms.MemberForm, cd: dict[str, Any]) -> dict[str, Any]:
    payload = {k: cd.get(k) for k in ("name", "id_number", "gender", "birth_date", "phone", "home_community", "in_service", "join_date", "status")}
    if "org" in form.fields:
        payload["org"] = cd.get("org")
    uscc = (cd.get("employer_uscc") or "").strip()
    payload["employer_unit"] = None
    if uscc:
        unit = selectors.unit_by_uscc(uscc)
        # an unknown code goes to the service as an id that cannot exist, so every error shows at once
        payload["employer_unit"] = unit if unit is not None else -1
    return payload


MEMBER_FIELD_MAP = {"employer_unit": "employer_uscc"}


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.MEMBER_MANAGE)
    form = _member_form(request, data=request.POST or None, initial={"org": request.GET.get("org")})
    return _form(
        request, form, save=lambda cd: services.member_create(actor=request.user, **_member_payload(form, cd)),
        success=_detail("orgs:member_detail"), message=lambda m: _("Member %(name)s was added.") % {"name": m.name},
        field_map=MEMBER_FIELD_MAP, title=_("Add a member"), cancel=reverse("orgs:member_list"), form_id="member-form",
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    m = _for(request, selectors.member_get, pk, perms.MEMBER_MANAGE)
    show_full = selectors.may_reveal(request.user, m)
    mp = selectors.masked(m)
    initial = {
        "name": m.name, "id_number": pii.decrypt(m.id_number_enc) if show_full else "", "gender": m.gender, "birth_date": m.birth_date,
        "phone": pii.decrypt(m.phone_enc) if show_full else "", "employer_uscc": m.employer_unit.uscc if m.employer_unit else "",
        "home_community": m.home_community_id, "in_service": m.in_service, "join_date": m.join_date, "status": m.status,
    }
    form = _member_form(request, data=request.POST or None, initial=initial, editing=True)
    if not show_full:
        # roles without access to full values keep them unless they type new ones
        keep = _("Leave blank to keep the current value (%(masked)s).")
        form.fields["id_number"].help_text = keep % {"masked": mp.id_number}
        form.fields["id_number"].required = False
        form.fields["phone"].help_text = keep % {"masked": mp.phone or "—"}
    elif request.method == "GET":
        audit.record_pii_read(actor=request.user, target=m, fields=["id_number", "phone"])

    def save(cd: dict[str, Any]) -> Member:
        payload = _member_payload(form, cd)
        if not show_full:
            for key in ("id_number", "phone"):
                if not payload.get(key):
                    payload.pop(key)
        return services.member_update(actor=request.user, member=m, **payload)

    resp = _form(
        request, form, save=save, success=reverse("orgs:member_detail", args=[m.pk]), message=_("The member's information was saved."),
        field_map=MEMBER_FIELD_MAP,
        title=_("Edit member %(name)s") % {"name": m.name}, cancel=reverse("orgs:member_detail", args=[m.pk]), form_id="member-form",
    )
    if resp.status_code != 302:
        resp["Cache-Control"] = "no-store"
    return resp


@login_required
@require_http_methods(["GET", "POST"])
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    m = _for(request, selectors.member_get, pk, perms.MEMBER_MANAGE)
    form = forms.TransferForm(request.POST or None, org_qs=selectors.org_choices(actor=request.user).exclude(pk=m.org_id))
    return _form(
        request, form, save=lambda cd: services.member_transfer(actor=request.user, member=m, to_org=cd["to_org"], note=cd["note"]),
        success=reverse("orgs:member_detail", args=[m.pk]), message=_("The member was transferred."),
        title=_("Transfer %(name)s to another organisation") % {"name": m.name}, cancel=reverse("orgs:member_detail", args=[m.pk]),
        form_id="transfer-form", intro=_("Current organisation: %(org)s") % {"org": m.org.name},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    m = _for(request, selectors.member_get, pk, perms.MEMBER_MANAGE)
    return _deactivate(
        request, m, "orgs:member_detail", form=forms.MemberDeactivateForm(request.POST or None),
        save=lambda cd: services.member_deactivate(actor=request.user, member=m, status=cd["status"], reason=cd["reason"]),
        done=_("The member was deactivated; the record is kept."),
        title=_("Deactivate member %(name)s") % {"name": m.name}, button=_("Mark as left"),
        message=_("The member will no longer count in lists and figures. The record is kept and stays in the audit log."),
    )


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """我的党员信息: the signed-in member's own record, for a phone screen."""
    m = selectors.member_of_user(actor=request.user)
    mp = selectors.masked(m)
    return render(request, "orgs/me.html", {"m": m, "id_masked": mp.id_number, "phone_masked": mp.phone})


# --- party organisations ---------------------------------------------------------------------

ORG_FILTERS = ("q", "rank", "sector", "formation", "basis", "region", "active")


@login_required
@shared_list
def org_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ORG_VIEW)
    f = get_filters(request, ORG_FILTERS)

    def page() -> Any:  # read and indented when the table is drawn: not for a body kept by core.listcache
        p = paginate(request, selectors.org_page(actor=request.user, filters=f, finish=_labels(rank=OrgRank, sector=Sector, formation=Formation)),
                     default_size=50)
        rows = p.object_list
        if rows:
            top = min(r.org_path.count("/") for r in rows)
            for r in rows:
                r.indent = 0 if f.get("q") else (r.org_path.count("/") - top) * 1.25
        return p

    kept = pages.lazy(page)
    return render(request, "orgs/org_list.html", {
        **list_context(request, kept, f), "rows": pages.lazy(lambda: kept().object_list),
        "ranks": OrgRank.choices, "sectors": Sector.choices, "formations": Formation.choices, "bases": Basis.choices,
        "can_manage": can(request.user, perms.ORG_MANAGE),
    })


ORG_COLUMNS = [
    ExportColumn(gettext_lazy("Name"), "name"), ExportColumn(gettext_lazy("Rank"), "get_rank_display"),
    ExportColumn(gettext_lazy("Parent organisation"), "parent.name"), ExportColumn(gettext_lazy("Region code"), "region.code"),
    ExportColumn(gettext_lazy("Region"), "region.name"), ExportColumn(gettext_lazy("Sector"), "get_sector_display"),
    ExportColumn(gettext_lazy("Formation"), "get_formation_display"), ExportColumn(gettext_lazy("Basis"), "get_basis_display"),
    ExportColumn(gettext_lazy("Resident unit"), "unit.name"), ExportColumn(gettext_lazy("Secretary"), "secretary.name"),
    ExportColumn(gettext_lazy("Founded on"), "founded_on"), ExportColumn(gettext_lazy("Members"), lambda o: getattr(o, "member_count", 0)),
    ExportColumn(gettext_lazy("Active"), lambda o: _yes_no(o.is_active)),
]


@login_required
def org_export(request: HttpRequest) -> HttpResponse:
    return export_view(request, permission=perms.ORG_VIEW, keys=ORG_FILTERS, rows=lambda f: selectors.org_list(actor=request.user, filters=f),
                       columns=ORG_COLUMNS, basename=_("party-organisations"))


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.ORG_VIEW)
    org = selectors.org_get(actor=request.user, id=pk)
    return render(request, "orgs/org_detail.html", {
        "org": org, "children": selectors.org_children(actor=request.user, org=org),
        "member_count": org.members.filter(is_active=True).count(),
        "can_manage": can(request.user, perms.ORG_MANAGE) and in_scope(org, request.user, perms.ORG_MANAGE),
        "can_members": can(request.user, perms.MEMBER_LIST),
    })


def _org_form(request: HttpRequest, *, data: Any = None, initial: Any = None, org: Any = None) -> forms.OrgForm:
    return forms.OrgForm(
        data, initial=initial,
        parent_qs=selectors.parent_choices(actor=request.user).exclude(pk=getattr(org, "pk", 0)),
        region_qs=selectors.region_choices(actor=request.user, action=perms.ORG_MANAGE),
        unit_qs=selectors.unit_list(actor=request.user, filters={}),
        secretary_qs=org.members.filter(is_active=True).order_by("name") if org is not None else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.ORG_MANAGE)
    form = _org_form(request, data=request.POST or None, initial={"parent": request.GET.get("parent")})
    return _form(
        request, form, save=lambda cd: services.party_org_create(actor=request.user, **cd),
        success=_detail("orgs:org_detail"), message=lambda org: _("Organisation %(name)s was created.") % {"name": org.name},
        title=_("Add a party organisation"), cancel=reverse("orgs:org_list"), form_id="org-form",
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = _for(request, selectors.org_get, pk, perms.ORG_MANAGE)
    initial = {k: getattr(org, k) for k in ("name", "rank", "sector", "formation", "basis", "founded_on")}
    initial.update({"parent": org.parent_id, "region": org.region_id, "unit": org.unit_id, "secretary": org.secretary_id})
    form = _org_form(request, data=request.POST or None, initial=initial, org=org)
    return _edit(request, form, org, "orgs:org_detail", name=org.name, message=_("The organisation was saved."), form_id="org-form",
                 save=lambda cd: services.party_org_update(actor=request.user, org=org, **cd))


@login_required
@require_http_methods(["GET", "POST"])
def org_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    org = _for(request, selectors.org_get, pk, perms.ORG_MANAGE)
    return _deactivate(
        request, org, "orgs:org_detail", save=lambda cd: services.party_org_deactivate(actor=request.user, org=org, reason=cd["reason"]),
        done=_("The organisation was deactivated; the record is kept."),
        title=_("Deactivate %(name)s") % {"name": org.name}, button=pgettext("party organisation", "Deactivate"),
        message=_("An organisation can be deactivated only when it has no active sub-organisations and no active members."),
    )


# --- resident units --------------------------------------------------------------------------

UNIT_FILTERS = ("q", "kind", "region", "active")


@login_required
@shared_list
def unit_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.UNIT_VIEW)
    f = get_filters(request, UNIT_FILTERS)
    # the query itself is built only when the table is drawn (its scope, filters and per-row counts cost ~1 ms of ORM
    # work): a body kept by core.listcache needs none of it
    page = pages.lazy(lambda: paginate(request, selectors.unit_page(actor=request.user, filters=f, finish=_labels(kind=UnitKind))))
    return render(request, "orgs/unit_list.html", {
        **list_context(request, page, f), "kinds": UnitKind.choices, "can_manage": can(request.user, perms.UNIT_MANAGE),
    })


def _liaison_phone_masked(u: ResidentUnit) -> str:
    return pii.mask_phone(pii.decrypt(u.liaison_phone_enc)) if u.liaison_phone_enc else ""


UNIT_COLUMNS = [
    ExportColumn(gettext_lazy("Name"), "name"), ExportColumn(gettext_lazy("Unified social credit code"), "uscc"),
    ExportColumn(gettext_lazy("Kind"), "get_kind_display"), ExportColumn(gettext_lazy("Region code"), "region.code"),
    ExportColumn(gettext_lazy("Region"), "region.name"), ExportColumn(gettext_lazy("Address"), "address"),
    ExportColumn(gettext_lazy("Liaison"), "liaison_name"), ExportColumn(gettext_lazy("Liaison phone"), _liaison_phone_masked),
    ExportColumn(gettext_lazy("Latitude"), "lat"), ExportColumn(gettext_lazy("Longitude"), "lng"),
    ExportColumn(gettext_lazy("Members employed"), lambda u: getattr(u, "member_count", 0)),
    ExportColumn(gettext_lazy("Active"), lambda u: _yes_no(u.is_active)),
]


@login_required
def unit_export(request: HttpRequest) -> HttpResponse:
    return export_view(request, permission=perms.UNIT_VIEW, keys=UNIT_FILTERS, rows=lambda f: selectors.unit_list(actor=request.user, filters=f),
                       columns=UNIT_COLUMNS, basename=_("resident-units"))


def _unit_context(request: HttpRequest, u: Any) -> dict[str, Any]:
    phone = pii.decrypt(u.liaison_phone_enc) if u.liaison_phone_enc else ""
    return {
        "u": u, "phone_masked": pii.mask_phone(phone),
        "can_manage": can(request.user, perms.UNIT_MANAGE) and in_scope(u, request.user, perms.UNIT_MANAGE),
        "can_reveal": bool(phone) and can(request.user, perms.UNIT_LIAISON_PII) and in_scope(u, request.user, perms.UNIT_LIAISON_PII),
        "orgs": u.party_orgs.filter(is_active=True).order_by("org_path"),
        "employee_count": u.employees.filter(is_active=True).count(),
        "can_members": can(request.user, perms.MEMBER_LIST),
    }


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.UNIT_VIEW)
    u = selectors.unit_get(actor=request.user, id=pk)
    return render(request, "orgs/unit_detail.html", _unit_context(request, u))


@login_required
@require_POST
def unit_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    u = _for(request, selectors.unit_get, pk, perms.UNIT_LIAISON_PII)
    ctx = _unit_context(request, u)
    ctx["revealed_phone"] = services.unit_liaison_phone(actor=request.user, unit=u)
    resp = render(request, "orgs/unit_detail.html", ctx)
    resp["Cache-Control"] = "no-store"
    return resp


def _unit_form(request: HttpRequest, *, data: Any = None, initial: Any = None) -> forms.UnitForm:
    return forms.UnitForm(data, initial=initial, region_qs=selectors.region_choices(actor=request.user, action=perms.UNIT_MANAGE))


@login_required
@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.UNIT_MANAGE)
    return _form(
        request, _unit_form(request, data=request.POST or None), save=lambda cd: services.resident_unit_create(actor=request.user, **cd),
        success=_detail("orgs:unit_detail"), message=lambda u: _("Unit %(name)s was added.") % {"name": u.name},
        title=_("Add a resident unit"), cancel=reverse("orgs:unit_list"), form_id="unit-form",
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    u = _for(request, selectors.unit_get, pk, perms.UNIT_MANAGE)
    initial = {k: getattr(u, k) for k in ("name", "uscc", "kind", "address", "liaison_name", "lat", "lng")}
    initial["region"] = u.region_id
    initial["liaison_phone"] = pii.decrypt(u.liaison_phone_enc) if u.liaison_phone_enc else ""
    form = _unit_form(request, data=request.POST or None, initial=initial)
    if request.method == "GET" and u.liaison_phone_enc:
        audit.record_pii_read(actor=request.user, target=u, fields=["liaison_phone"])
    return _edit(request, form, u, "orgs:unit_detail", name=u.name, message=_("The unit was saved."), form_id="unit-form",
                 save=lambda cd: services.resident_unit_update(actor=request.user, unit=u, **cd))


@login_required
@require_http_methods(["GET", "POST"])
def unit_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    u = _for(request, selectors.unit_get, pk, perms.UNIT_MANAGE)
    return _deactivate(
        request, u, "orgs:unit_detail", save=lambda cd: services.resident_unit_deactivate(actor=request.user, unit=u, reason=cd["reason"]),
        done=_("The unit was deactivated; the record is kept."),
        title=_("Deregister %(name)s") % {"name": u.name}, button=_("Deregister"),
        message=_("The unit will no longer appear in lists and figures. The record is kept."),
    )


# --- policies --------------------------------------------------------------------------------

POLICY_FILTERS = ("q", "level", "role", "year", "active")


@login_required
@shared_list
def policy_list(request: HttpRequest) -> HttpResponse:
    """The library is the same for every account (every role reads every policy): its body — filters, results, pager —
    is kept by core.listcache, and the page and the years of the filter row are read only when it is drawn."""
    require_page(request, perms.POLICY_VIEW)
    f = get_filters(request, POLICY_FILTERS)

    def page() -> Any:
        p = paginate(request, selectors.policy_search(actor=request.user, filters=f))
        for row in p.object_list:
            row.snip = selectors.snippet(row.body, f.get("q", ""))
        return p

    return render(request, "orgs/policy_list.html", {
        **list_context(request, pages.lazy(page), f), "levels": PolicyLevel.choices, "roles": PolicyRole.choices,
        "years": pages.lazy(selectors.policy_years), "can_manage": can(request.user, perms.POLICY_MANAGE),
    })


@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = selectors.policy_get(actor=request.user, id=pk)
    manage = services.policy_manageable(request.user, p)
    return render(request, "orgs/policy_detail.html", {"p": p, "can_manage": manage, "attach_form": forms.AttachmentForm() if manage else None})


def _policy_form(request: HttpRequest, *, data: Any = None, initial: Any = None) -> forms.PolicyForm:
    return forms.PolicyForm(data, initial=initial, region_qs=selectors.region_choices(actor=request.user, action=perms.POLICY_MANAGE))


@login_required
@require_http_methods(["GET", "POST"])
def policy_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.POLICY_MANAGE)
    return _form(
        request, _policy_form(request, data=request.POST or None), save=lambda cd: services.policy_create(actor=request.user, **cd),
        success=_detail("orgs:policy_detail"), message=_("The policy was added."),
        title=_("Add a policy"), cancel=reverse("orgs:policy_list"), form_id="policy-form",
    )


def _policy_to_manage(request: HttpRequest, pk: int) -> Any:
    p = selectors.policy_get(actor=request.user, id=pk)
    if not services.policy_manageable(request.user, p):
        raise NotFound()
    return p


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    p = _policy_to_manage(request, pk)
    initial = {k: getattr(p, k) for k in ("title", "doc_number", "level", "role", "issuer", "issued_on", "body")}
    initial["region"] = p.region_id
    return _edit(request, _policy_form(request, data=request.POST or None, initial=initial), p, "orgs:policy_detail", name=p.title,
                 message=_("The policy was saved."), form_id="policy-form",
                 save=lambda cd: services.policy_update(actor=request.user, policy=p, **cd))


@login_required
@require_http_methods(["GET", "POST"])
def policy_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    p = _policy_to_manage(request, pk)
    return _deactivate(
        request, p, "orgs:policy_detail", save=lambda cd: services.policy_deactivate(actor=request.user, policy=p, reason=cd["reason"]),
        done=_("The policy is marked as no longer in force."),
        title=_("Mark %(name)s as no longer in force") % {"name": p.title}, button=_("Confirm"),
        message=_("The policy stays in the library, marked as no longer in force, and is left out of searches by default."),
    )


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    p = _policy_to_manage(request, pk)
    back = reverse("orgs:policy_detail", args=[p.pk])
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect(back)
    return action(request, lambda: services.policy_attachment_add(actor=request.user, policy=p, upload=upload, filename=upload.name or ""),
                  back=back, message=_("The attachment was added."))


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int, att: int) -> HttpResponse:
    p = _policy_to_manage(request, pk)
    if not p.attachments.filter(pk=att).exists():
        raise NotFound()
    return action(request, lambda: services.policy_attachment_remove(actor=request.user, attachment=att),
                  back=reverse("orgs:policy_detail", args=[p.pk]), message=_("The attachment was removed."))


@login_required
def attachment_download(request: HttpRequest, pk: int, att: int) -> FileResponse:
    p = selectors.policy_get(actor=request.user, id=pk)
    a = PolicyAttachment.objects.filter(policy=p, pk=att).first()
    if a is None:
        raise NotFound()
    try:
        fh = a.file.open("rb")
    except FileNotFoundError:
        raise NotFound() from None
    return FileResponse(fh, as_attachment=True, filename=a.name)
