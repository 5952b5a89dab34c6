"""Pages of the regions module: tree browser, region detail, departments, committee, subdistrict
structure, and the forms for each. Views parse input, call services and selectors, and render; every
form page is ``core.pages.form_page`` on ``core/form.html`` (with the region's breadcrumbs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongjian.core import pages
from gongjian.core.errors import DomainError, NotFound, ValidationError
from gongjian.core.listcache import shared_list
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.permissions import can, require
from gongjian.core.tabular import ExportColumn

from . import permissions as P
from . import selectors, services
from .choices import DepartmentKind, Level
from .forms import (
    CommitteeForm,
    DepartmentForm,
    OfficeForm,
    OfficeTemplateForm,
    PowerForm,
    QuotaForm,
    RegionForm,
    RegionMoveForm,
)
from .models import Region

M = TypeVar("M")

CRUMBS = "regions/_crumbs.html"


def _region(request: HttpRequest, code: str) -> Region:
    require(request.user, P.VIEW)
    return selectors.region_get(actor=request.user, code=code)


def _page(request: HttpRequest, *, title: str, region: Region | None, cancel: str, **extra: Any) -> dict[str, Any]:
    """The context of a regions form page: its title, the region's breadcrumbs, the cancel link, a narrow card."""
    trail = selectors.breadcrumbs(actor=request.user, region=region) if region is not None else []
    return {"title": title, "region": region, "crumbs": CRUMBS, "trail": trail, "cancel_url": cancel, "narrow": True, **extra}


def _form(request: HttpRequest, form: Any, *, back: str, region: Region | None, title: str, save: Any, message: Any,
          success: Any = None, forms_valid: Any = (), **extra: Any) -> HttpResponse:
    """A regions form page: ``back`` is where cancel goes, and success too unless ``success`` says otherwise."""
    return pages.form_page(request, form, save=save, success=success if success is not None else back, message=message,
                           forms_valid=forms_valid, context=_page(request, region=region, cancel=back, title=title, **extra))


def _edit(request: HttpRequest, form: Any, record: Any, region: Region, *, save: Any, back: str | None = None, **extra: Any) -> HttpResponse:
    """The edit page of a record of ``region``: "Edit <name>", back to the region's page (or ``back``), the saved name in the message."""
    return _form(request, form, back=back if back is not None else _to_detail(region.code), region=region,
                 title=_("Edit %(name)s") % {"name": record.name}, save=save, message=lambda saved: _saved(saved.name), **extra)


def _to_manage(request: HttpRequest, get: Callable[..., M], pk: int, action: str) -> M:
    """A record the user's role may ``action`` on, in the user's scope for it (else "not found")."""
    require(request.user, action)
    return get(actor=request.user, pk=pk, action=action)


def _to_detail(code: str) -> str:
    return reverse("regions:detail", args=[code])


def _to_structure(code: str) -> str:
    return reverse("regions:structure", args=[code])


def _added(name: str) -> str:
    return _("%(name)s was added.") % {"name": name}


def _saved(name: str) -> str:
    return _("%(name)s was saved.") % {"name": name}


# --- tree ------------------------------------------------------------------------------------


@login_required
@shared_list
def tree(request: HttpRequest) -> HttpResponse:
    require(request.user, P.VIEW)
    q = request.GET.get("q", "").strip()
    level = request.GET.get("level", "")
    if q:
        return pages.list_page(request, "regions/search.html", selectors.region_search(actor=request.user, q=q, level=level),
                               filters={"q": q, "level": level}, context={"q": q, "level": level, "levels": Level.choices})
    roots = selectors.region_roots(actor=request.user)
    if len(roots) == 1:
        return redirect("regions:detail", code=roots[0].code)
    return render(request, "regions/tree.html", {"roots": roots, "levels": Level.choices, "can_import": can(request.user, P.IMPORT)})


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    user = request.user
    q = request.GET.get("q", "").strip()
    show_inactive = request.GET.get("inactive") == "1"
    page = paginate(request, selectors.region_children(actor=user, region=region, q=q, include_inactive=show_inactive))
    rows = selectors.child_rows(region=region, children=list(page.object_list))
    ctx: dict[str, Any] = {
        "region": region,
        "crumbs": selectors.breadcrumbs(actor=user, region=region),
        "page": page,
        "rows": rows,
        "q": q,
        "show_inactive": show_inactive,
        "qs": querystring_without(request, "page"),
        "child_level": selectors.LEVEL_ORDER[selectors.level_index(region.level) + 1] if region.level != Level.GRID else None,
        "can_manage_children": region.is_active and selectors.may(user, P.MANAGE, region.path),
        "can_manage_self": selectors.may(user, P.MANAGE, region.path, strictly_below=True),
        "can_import": selectors.may(user, P.IMPORT, region.path),
        "is_top": region.level in (Level.CITY, Level.DISTRICT),
    }
    if ctx["is_top"]:
        ctx.update(
            {
                "departments": selectors.region_departments(actor=user, region=region),
                "committee": selectors.committee_for(actor=user, region=region),
                "powers": selectors.powers_granted(actor=user, region=region),
                "can_departments": selectors.may(user, P.DEPARTMENTS_MANAGE, region.path),
                "can_committee": selectors.may(user, P.COMMITTEE_MANAGE, region.path),
                "can_powers": selectors.may(user, P.POWERS_MANAGE, region.path),
            }
        )
    if region.level == Level.SUBDISTRICT:
        ctx["structure"] = selectors.structure_get(actor=user, subdistrict=region)
    ctx["quota_totals"] = selectors.quota_totals(actor=user, region=region)
    return render(request, "regions/detail.html", ctx)


@login_required
def region_create(request: HttpRequest, code: str) -> HttpResponse:
    parent = _region(request, code)
    require(request.user, P.MANAGE)
    if parent.level == Level.GRID:
        raise NotFound()
    child_level = selectors.LEVEL_ORDER[selectors.level_index(parent.level) + 1]
    form = RegionForm(request.POST or None, fixed_level=child_level, initial={"code": services.significant_prefix(parent.code, parent.level)})
    title = _("Add a %(level)s under %(parent)s") % {"level": Level(child_level).label, "parent": parent.name}
    return _form(request, form, back=_to_detail(parent.code), region=parent, title=title, message=lambda region: _added(region.name),
                 save=lambda d: services.region_create(actor=request.user, code=d["code"], name=d["name"], level=child_level, parent=parent,
                                                       kind=d["kind"]))


@login_required
def region_edit(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    require(request.user, P.MANAGE)
    initial = {"code": region.code, "name": region.name, "level": region.level, "kind": region.kind}
    form = RegionForm(request.POST or None, initial=initial, editing=True)
    move = RegionMoveForm(request.POST or None, prefix="move")
    parent = None
    if request.method == "POST" and form.is_valid() and move.is_valid():
        parent_code = move.cleaned_data["parent_code"].strip()
        if parent_code and parent_code != getattr(region.parent, "code", None):
            try:
                parent = selectors.region_get(actor=request.user, code=parent_code, action=P.MANAGE)
            except NotFound:
                move.add_error("parent_code", _("No region with this code in your scope."))

    def save(d: dict[str, Any]) -> Region:
        try:
            return services.region_update(
                actor=request.user, region=region, name=d["name"], kind=d["kind"] or None, code=d["code"], parent=parent
            )
        except DomainError as exc:
            if "parent" in exc.details:  # shown on the form (at the top) and next to the new parent's code
                move.add_error("parent_code", str(exc.details["parent"][0]))
            raise

    return _edit(request, form, region, region, extra_forms=[{"legend": _("Move"), "form": move}],
                 save=save, forms_valid=[move], success=lambda r: _to_detail(r.code))


@login_required
@require_POST
def region_toggle(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    if request.POST.get("active") == "1":
        return pages.action(
            request,
            lambda: services.region_activate(actor=request.user, region=region),
            back=_to_detail(region.code),
            message=_("%(name)s was activated.") % {"name": region.name},
        )
    return pages.action(
        request,
        lambda: services.region_deactivate(actor=request.user, region=region),
        back=_to_detail(region.code),
        message=_("%(name)s was deactivated.") % {"name": region.name},
    )


REGION_COLUMNS = [
    ExportColumn(_("Statistical code"), "code"),
    ExportColumn(_("Name"), "name"),
    ExportColumn(_("Level"), "level"),
    ExportColumn(_("Parent code"), "parent.code"),
    ExportColumn(_("Kind"), "kind"),
    ExportColumn(_("Full name"), "full_name"),
    ExportColumn(_("Active"), "is_active"),
]


@login_required
def export(request: HttpRequest) -> HttpResponse:
    require(request.user, P.VIEW)
    root = selectors.region_get(actor=request.user, code=request.GET["root"]) if request.GET.get("root") else None
    rows = selectors.export_rows(actor=request.user, root=root)
    return pages.export(request, rows, REGION_COLUMNS, basename=f"regions-{root.code if root else 'all'}")


# --- departments -------------------------------------------------------------------------------


@login_required
@shared_list
def department_list(request: HttpRequest) -> HttpResponse:
    require(request.user, P.VIEW)
    f = request.GET
    within = selectors.region_get(actor=request.user, code=f["region"]) if f.get("region") else None

    def page() -> Any:  # counted and read only when the table is drawn: not for a body kept by core.listcache
        qs = selectors.department_list(actor=request.user, region=within, q=f.get("q", ""), kind=f.get("kind", ""), active=f.get("active", "1"))
        p = paginate(request, qs)
        # each kind translated once per page (get_kind_display translates all twelve kinds on every call)
        kinds = {value: str(label) for value, label in DepartmentKind.choices}
        p.object_list = list(p.object_list)
        for d in p.object_list:
            d.kind_label = kinds.get(d.kind, d.kind)
        return p

    return render(request, "regions/department_list.html", {
        **pages.list_context(request, pages.lazy(page), f), "kinds": DepartmentKind.choices, "within": within,
        "can_manage": can(request.user, P.DEPARTMENTS_MANAGE),
    })


def _department_regions(request: HttpRequest) -> list[Region]:
    qs = selectors.regions_visible(actor=request.user, action=P.DEPARTMENTS_MANAGE).filter(level__in=[Level.CITY, Level.DISTRICT], is_active=True)
    return list(qs.order_by("code"))


@login_required
def department_create(request: HttpRequest) -> HttpResponse:
    require(request.user, P.DEPARTMENTS_MANAGE)
    regions = _department_regions(request)
    region = None
    if request.GET.get("region"):
        region = selectors.region_get(actor=request.user, code=request.GET["region"], action=P.DEPARTMENTS_MANAGE)
    form = DepartmentForm(request.POST or None, regions=regions, initial={"region": region.pk if region else None})

    def save(d: dict[str, Any]) -> Any:
        try:
            return services.department_create(actor=request.user, region=int(d["region"]), name=d["name"], kind=d["kind"], phone=d["phone"])
        except NotFound:
            raise ValidationError.for_field("region", _("Choose a city or district in your scope.")) from None

    return _form(request, form, back=reverse("regions:department_list"), region=region, title=_("Add a department"),
                 save=save, success=lambda dept: _to_detail(dept.region.code), message=lambda dept: _added(dept.name))


@login_required
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dept = _to_manage(request, selectors.department_get, pk, P.DEPARTMENTS_MANAGE)
    form = DepartmentForm(
        request.POST or None,
        regions=[dept.region],
        editing=True,
        initial={"region": dept.region_id, "name": dept.name, "kind": dept.kind, "phone": dept.phone},
    )
    return _edit(request, form, dept, dept.region, success=lambda saved: _to_detail(saved.region.code),
                 save=lambda d: services.department_update(actor=request.user, department=dept, name=d["name"], kind=d["kind"], phone=d["phone"]))


@login_required
@require_POST
def department_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, P.DEPARTMENTS_MANAGE)
    if request.POST.get("active") == "1":
        dept = services.department_activate(actor=request.user, department=pk)
    else:
        dept = services.department_deactivate(actor=request.user, department=pk)
    messages.success(request, _saved(dept.name))
    return redirect("regions:detail", code=dept.region.code)


# --- governance committee -----------------------------------------------------------------------


@login_required
def committee_edit(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    require(request.user, P.COMMITTEE_MANAGE)
    if region.level not in (Level.CITY, Level.DISTRICT):
        raise NotFound()
    committee = selectors.committee_for(actor=request.user, region=region)
    departments = [d for d in selectors.region_departments(actor=request.user, region=region) if d.is_active]
    initial: dict[str, Any] = {}
    if committee:
        initial = {
            "name": committee.name,
            "director": committee.director,
            "established_on": committee.established_on,
            "remit": committee.remit,
            "department_ids": [str(d.pk) for d in committee.departments.all()],
        }
    form = CommitteeForm(request.POST or None, departments=departments, initial=initial)
    return _form(request, form, back=_to_detail(region.code), region=region, title=_("Governance committee of %(name)s") % {"name": region.name},
                 save=lambda d: services.committee_save(actor=request.user, region=region, name=d["name"], director=d["director"],
                                                        established_on=d["established_on"], remit=d["remit"],
                                                        department_ids=[int(i) for i in d["department_ids"]]),
                 message=_("The governance committee was saved."))


# --- delegated powers ------------------------------------------------------------------------------


@login_required
def power_create(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    require(request.user, P.POWERS_MANAGE)
    form = PowerForm(request.POST or None)
    return _form(request, form, back=_to_detail(region.code), region=region,
                 title=_("Delegate a power to the subdistricts of %(name)s") % {"name": region.name},
                 save=lambda d: services.power_create(actor=request.user, region=region, **d), message=lambda power: _added(power.name))


@login_required
def power_edit(request: HttpRequest, pk: int) -> HttpResponse:
    power = _to_manage(request, selectors.power_get, pk, P.POWERS_MANAGE)
    form = PowerForm(
        request.POST or None,
        initial={"name": power.name, "description": power.description, "legal_basis": power.legal_basis, "effective_on": power.effective_on},
    )
    return _edit(request, form, power, power.region, save=lambda d: services.power_update(actor=request.user, power=power, **d))


@login_required
@require_POST
def power_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, P.POWERS_MANAGE)
    power = services.power_deactivate(actor=request.user, power=pk)
    messages.success(request, _("%(name)s was deactivated.") % {"name": power.name})
    return redirect("regions:detail", code=power.region.code)


# --- subdistrict structure -------------------------------------------------------------------------


@login_required
@shared_list
def structure_list(request: HttpRequest) -> HttpResponse:
    require(request.user, P.VIEW)
    q = request.GET.get("q", "")
    # the query (scope, per-row subqueries) is built only when the table is drawn: a body kept by core.listcache needs none of it
    page = pages.lazy(lambda: paginate(request, selectors.subdistrict_list(actor=request.user, q=q)))
    return render(request, "regions/structure_list.html", {
        **pages.list_context(request, page, {"q": q}), "q": q, "can_configure": can(request.user, P.STRUCTURE_CONFIGURE),
    })


@login_required
def structure(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    if region.level != Level.SUBDISTRICT:
        raise NotFound()
    if request.method == "POST":
        return pages.action(
            request,
            lambda: services.structure_instantiate(actor=request.user, subdistrict=region),
            back=_to_structure(region.code),
            message=lambda created: _("%(n)s standard offices were created.") % {"n": len(created)},
        )
    data = selectors.structure_get(actor=request.user, subdistrict=region)
    return render(
        request,
        "regions/structure.html",
        {
            "region": region,
            "s": data,
            "crumbs": selectors.breadcrumbs(actor=request.user, region=region),
            "can_manage": selectors.may(request.user, P.STRUCTURE_MANAGE, region.path),
        },
    )


@login_required
def office_create(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    require(request.user, P.STRUCTURE_MANAGE)
    form = OfficeForm(request.POST or None)
    return _form(request, form, back=_to_structure(region.code), region=region, title=_("Add an office to %(name)s") % {"name": region.name},
                 save=lambda d: services.office_create(actor=request.user, subdistrict=region, **d), message=lambda office: _added(office.name))


@login_required
def office_edit(request: HttpRequest, pk: int) -> HttpResponse:
    office = _to_manage(request, selectors.office_get, pk, P.STRUCTURE_MANAGE)
    form = OfficeForm(request.POST or None, initial={"name": office.name, "kind": office.kind, "head": office.head, "order": office.order})
    return _edit(request, form, office, office.subdistrict, back=_to_structure(office.subdistrict.code),
                 save=lambda d: services.office_update(actor=request.user, office=office, **d))


@login_required
@require_POST
def office_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, P.STRUCTURE_MANAGE)
    office = services.office_set_active(actor=request.user, office=pk, active=request.POST.get("active") == "1")
    messages.success(request, _saved(office.name))
    return redirect("regions:structure", code=office.subdistrict.code)


def _save_quota(request: HttpRequest, **target: Any) -> Any:
    """The save of the quota form: a new quota of ``subdistrict=``, or a change to ``quota=``."""

    def save(d: dict[str, Any]) -> Any:
        values = {"count": d["count"], "year": d["year"], "office": d["office"] or None, "moved_down": d["moved_down"], "note": d["note"]}
        if "quota" in target:
            return services.quota_update(actor=request.user, quota=target["quota"], **values)
        return services.quota_create(actor=request.user, subdistrict=target["subdistrict"], **values)

    return save


@login_required
def quota_create(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    require(request.user, P.STRUCTURE_MANAGE)
    offices = [o for o in selectors.structure_get(actor=request.user, subdistrict=region).offices if o.is_active]
    form = QuotaForm(request.POST or None, offices=offices, initial={"year": timezone.localdate().year, "moved_down": True})
    return _form(request, form, back=_to_structure(region.code), region=region, title=_("Add staff quota to %(name)s") % {"name": region.name},
                 save=_save_quota(request, subdistrict=region), message=_("The staff quota was saved."))


@login_required
def quota_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quota = _to_manage(request, selectors.quota_get, pk, P.STRUCTURE_MANAGE)
    region = quota.subdistrict
    offices = [o for o in selectors.structure_get(actor=request.user, subdistrict=region).offices if o.is_active or o.pk == quota.office_id]
    form = QuotaForm(
        request.POST or None,
        offices=offices,
        initial={"count": quota.count, "year": quota.year, "office": quota.office_id or "", "moved_down": quota.moved_down, "note": quota.note},
    )
    return _form(request, form, back=_to_structure(region.code), region=region, title=_("Edit staff quota of %(name)s") % {"name": region.name},
                 save=_save_quota(request, quota=quota), message=_("The staff quota was saved."))


@login_required
@require_POST
def quota_delete(request: HttpRequest, pk: int) -> HttpResponse:
    quota = _to_manage(request, selectors.quota_get, pk, P.STRUCTURE_MANAGE)
    code = quota.subdistrict.code
    services.quota_delete(actor=request.user, quota=quota)
    messages.success(request, _("The staff quota was removed."))
    return redirect("regions:structure", code=code)


@login_required
def office_templates(request: HttpRequest) -> HttpResponse:
    require(request.user, P.STRUCTURE_CONFIGURE)
    form = OfficeTemplateForm(request.POST or None)
    return pages.form_page(
        request,
        form,
        save=lambda d: services.office_template_save(actor=request.user, **d),
        success=reverse("regions:office_templates"),
        message=lambda tpl: _added(tpl.name),
        template="regions/office_templates.html",
        context={"templates": selectors.office_templates()},
    )


@login_required
def office_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, P.STRUCTURE_CONFIGURE)
    tpl = next((t for t in selectors.office_templates() if t.pk == pk), None)
    if tpl is None:
        raise NotFound()
    form = OfficeTemplateForm(request.POST or None, initial={"name": tpl.name, "kind": tpl.kind, "order": tpl.order, "is_active": tpl.is_active})
    return pages.form_page(
        request,
        form,
        save=lambda d: services.office_template_save(actor=request.user, template=tpl, **d),
        success=reverse("regions:office_templates"),
        message=lambda saved: _saved(saved.name),
        context=_page(request, region=None, cancel=reverse("regions:office_templates"), title=_("Edit %(name)s") % {"name": tpl.name}),
    )
