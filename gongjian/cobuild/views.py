"""Pages of the co-building module. Views parse input, call selectors and services, render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gongjian.core import pages, picker
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.params import get_filters, require_page
from gongjian.core.permissions import can
from gongjian.core.scope import in_scope
from gongjian.core.tabular import ExportColumn

from . import choices, forms, selectors, services
from . import permissions as perms
from .choices import NEED_EDITABLE, NEED_TRANSITIONS, RESOURCE_EDITABLE, RESOURCE_TRANSITIONS, CategoryUse, NeedSource, NeedStatus, ResourceStatus
from .models import Need, Resource

FORM = "core/form.html"


# --- needs -----------------------------------------------------------------------------------

NEED_FILTERS = ("q", "status", "category", "community", "urgency", "source", "review")


def _category_options(use: str, f: dict[str, str]) -> SafeString:
    """The category filter's options (the list's "none" choice stays in the template)."""
    return picker.options(((c.pk, c.name) for c in selectors.category_choices(use=use)), f.get("category", ""))


@login_required
@shared_list
def need_list(request: HttpRequest) -> HttpResponse:
    def communities() -> QuerySet[Any]:
        return selectors.community_choices(actor=request.user, action=perms.NEED_LIST)

    options = picker.answer_partial(request, permission=perms.NEED_LIST, pickers={picker.COMMUNITY: communities})
    if options is not None:
        return options
    return pages.list_view(request, "cobuild/need_list.html", permission=perms.NEED_LIST, keys=NEED_FILTERS,
                           rows=lambda f: selectors.need_list(actor=request.user, filters=f), context=lambda f: {
                               "statuses": NeedStatus.choices, "urgencies": choices.Urgency.choices, "sources": NeedSource.choices,
                               "category_options": pages.lazy(lambda: _category_options(CategoryUse.NEEDS, f)),
                               "community": pages.lazy(lambda: picker.communities(request, communities(), f)),
                               "can_manage": can(request.user, perms.NEED_MANAGE)})


NEED_COLUMNS = (
    ExportColumn(gettext_lazy("Title"), "title"), ExportColumn(gettext_lazy("Description"), "description"),
    ExportColumn(gettext_lazy("Category"), "category.name"), ExportColumn(gettext_lazy("Community code"), "community.code"),
    ExportColumn(gettext_lazy("Community"), "community.name"), ExportColumn(gettext_lazy("Address"), "address"),
    ExportColumn(gettext_lazy("Latitude"), "lat"), ExportColumn(gettext_lazy("Longitude"), "lng"),
    ExportColumn(gettext_lazy("Quantity"), "quantity"), ExportColumn(gettext_lazy("Unit of measure"), "quantity_unit"),
    ExportColumn(gettext_lazy("Wanted from"), "wanted_from"), ExportColumn(gettext_lazy("Wanted until"), "wanted_to"),
    ExportColumn(gettext_lazy("Urgency"), "get_urgency_display"), ExportColumn(gettext_lazy("Source"), "get_source_display"),
    ExportColumn(gettext_lazy("Status"), "get_status_display"),
)


@login_required
def need_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.NEED_LIST, keys=NEED_FILTERS,
                             rows=lambda f: selectors.need_list(actor=request.user, filters=f), columns=NEED_COLUMNS, basename=_("needs"))


def _need_actions(request: HttpRequest, n: Need) -> list[dict[str, Any]]:
    """The status buttons this actor may press on this need (only transitions the table allows)."""
    if not (can(request.user, perms.NEED_MANAGE) and in_scope(n, request.user, perms.NEED_MANAGE)):
        return []
    allows = NEED_TRANSITIONS.allows
    out = []
    if allows(n.status, NeedStatus.PUBLISHED) and n.status == NeedStatus.DRAFT:
        out.append({"key": "publish", "label": _("Publish"), "style": "btn-primary", "reason": False})
    if n.status == NeedStatus.DRAFT and n.source == NeedSource.WISH:
        out.append({"key": "reject", "label": _("Reject the wish"), "style": "btn-outline-danger", "reason": True})
    if allows(n.status, NeedStatus.MATCHED):
        out.append({"key": "match", "label": _("Mark as matched"), "style": "btn-outline-primary", "reason": False})
    if allows(n.status, NeedStatus.PUBLISHED) and n.status == NeedStatus.MATCHED:
        out.append({"key": "unmatch", "label": _("Back to published"), "style": "btn-outline-secondary", "reason": True})
    if allows(n.status, NeedStatus.IN_PROJECT):
        out.append({"key": "start_project", "label": _("Start a project"), "style": "btn-outline-primary", "reason": False})
    if allows(n.status, NeedStatus.MET):
        out.append({"key": "met", "label": _("Mark as met"), "style": "btn-success", "reason": False})
    if allows(n.status, NeedStatus.WITHDRAWN) and not (n.status == NeedStatus.DRAFT and n.source == NeedSource.WISH):
        out.append({"key": "withdraw", "label": _("Withdraw"), "style": "btn-outline-danger", "reason": True})
    return out


@login_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.NEED_VIEW)
    n = selectors.need_get(actor=request.user, id=pk)
    staff = can(request.user, perms.NEED_MANAGE) and in_scope(n, request.user, perms.NEED_MANAGE)
    return render(request, "cobuild/need_detail.html", {
        "n": n, "actions": _need_actions(request, n), "can_edit": staff and n.status in NEED_EDITABLE,
        "reason_form": forms.ReasonForm(), "staff": staff,
    })


def _status_action(request: HttpRequest, pk: int, action: str, *, manage: str, table: Mapping[str, Any], get: Any, param: str,
                   reasons: tuple[str, ...], detail: str, message: str, error_fields: tuple[str, ...] = ()) -> HttpResponse:
    """A status button of a need or a resource: the service named by ``action`` (unknown: not found), a reason where it takes one."""
    require_page(request, manage)
    fn: Any = table.get(action)
    if fn is None:
        raise NotFound()
    obj = get(actor=request.user, id=pk, action=manage)
    kwargs: dict[str, Any] = {"reason": request.POST.get("reason", "")} if action in reasons else {}
    return pages.action(
        request, lambda: fn(actor=request.user, **{param: obj}, **kwargs), back=reverse(detail, args=[obj.pk]),
        message=lambda _r: message % {"status": type(obj).objects.get(pk=obj.pk).get_status_display()}, error_fields=error_fields)


@login_required
@require_POST
def need_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _status_action(request, pk, action, manage=perms.NEED_MANAGE, table=services.NEED_ACTIONS, get=selectors.need_get, param="need",
                          reasons=("withdraw", "reject", "unmatch"), detail="cobuild:need_detail",
                          message=_("The need is now “%(status)s”."), error_fields=("reason",))


def _need_form(request: HttpRequest, *, data: Any = None, initial: Any = None) -> forms.NeedForm:
    return forms.NeedForm(data, initial=initial, category_qs=selectors.category_choices(use=CategoryUse.NEEDS),
                          community_qs=selectors.community_choices(actor=request.user), grid_qs=selectors.grid_choices(actor=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.NEED_MANAGE)
    return _create_page(request, "need", _need_form(request, data=request.POST or None), save=services.need_create,
                        message=_("The need was saved as a draft."), title=_("Add a need"))


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.NEED_MANAGE)
    n = selectors.need_get(actor=request.user, id=pk, action=perms.NEED_MANAGE)

    def form() -> forms.NeedForm:
        initial = {k: getattr(n, k) for k in ("title", "description", "address", "lat", "lng", "quantity", "quantity_unit", "wanted_from",
                                              "wanted_to", "urgency", "source")}
        initial.update(category=n.category_id, community=n.community_id, grid=n.grid_id)
        f = _need_form(request, data=request.POST or None, initial=initial)
        if n.source == NeedSource.WISH:
            del f.fields["source"]
        return f

    return _edit_page(request, n, editable=NEED_EDITABLE, refused=_("A need in status “%(status)s” can no longer be edited."),
                      detail="cobuild:need_detail", form=form, save=lambda d: services.need_update(actor=request.user, need=n, **d),
                      message=_("The need was saved."), form_id="need-form")


def _edit_page(request: HttpRequest, obj: Any, *, editable: Any, refused: str, detail: str, form: Callable[[], Any],
               save: Callable[[dict[str, Any]], Any], message: str, form_id: str) -> HttpResponse:
    """The edit page of a need or a resource: one no longer editable goes back to its page with ``refused``."""
    if obj.status not in editable:
        messages.error(request, refused % {"status": obj.get_status_display()})
        return redirect(detail, pk=obj.pk)
    back = reverse(detail, args=[obj.pk])
    return _form_page(request, form(), save=save, success=back, message=message, title=_("Edit %(title)s") % {"title": obj.title},
                      cancel=back, form_id=form_id)


def _create_page(request: HttpRequest, entity: str, form: Any, *, save: Callable[..., Any], message: str, title: str) -> HttpResponse:
    """The page adding a need or a resource: ``save(actor=…, **data)``, then its page; cancel goes back to the list."""
    return _form_page(request, form, save=lambda d: save(actor=request.user, **d),
                      success=lambda obj: reverse(f"cobuild:{entity}_detail", args=[obj.pk]), message=message, title=title,
                      cancel=reverse(f"cobuild:{entity}_list"), form_id=f"{entity}-form")


def _form_page(request: HttpRequest, form: Any, *, save: Callable[[dict[str, Any]], Any], success: Any, message: str, title: str,
               cancel: str, form_id: str) -> HttpResponse:
    """A form of a need, a resource or a category on the shared form page."""
    return pages.form_page(request, form, save=save, success=success, message=message, template=FORM,
                           context={"title": title, "cancel_url": cancel, "form_id": form_id})


@login_required
@require_http_methods(["GET", "POST"])
def wish_create(request: HttpRequest) -> HttpResponse:
    """A resident's micro-wish from a phone; below the form, his earlier wishes and what became of them."""
    require_page(request, perms.WISH_SUBMIT)
    form = forms.WishForm(request.POST or None, category_qs=selectors.category_choices(use=CategoryUse.NEEDS))
    return pages.form_page(request, form, save=lambda d: services.need_submit_wish(actor=request.user, **d), success="cobuild:wish_create",
                           message=_("Thank you. Your wish was sent to the community, which will review it."), template="cobuild/wish.html",
                           context={"wishes": selectors.my_wishes(actor=request.user)[:50]})


# --- resources -------------------------------------------------------------------------------

RESOURCE_FILTERS = ("q", "status", "category", "kind", "unit", "community")


@login_required
@shared_list
def resource_list(request: HttpRequest) -> HttpResponse:
    return pages.list_view(request, "cobuild/resource_list.html", permission=perms.RESOURCE_VIEW, keys=RESOURCE_FILTERS,
                           rows=lambda f: selectors.resource_list(actor=request.user, filters=f), context=lambda f: {
                               "statuses": ResourceStatus.choices, "kinds": choices.ResourceKind.choices,
                               "category_options": pages.lazy(lambda: _category_options(CategoryUse.RESOURCES, f)),
                               "can_manage": can(request.user, perms.RESOURCE_MANAGE)})


RESOURCE_COLUMNS = (
    ExportColumn(gettext_lazy("Unit's unified social credit code"), "unit.uscc"), ExportColumn(gettext_lazy("Unit"), "unit.name"),
    ExportColumn(gettext_lazy("Title"), "title"), ExportColumn(gettext_lazy("Kind"), "get_kind_display"),
    ExportColumn(gettext_lazy("Description"), "description"), ExportColumn(gettext_lazy("Category"), "category.name"),
    ExportColumn(gettext_lazy("Capacity"), "capacity"),
    ExportColumn(gettext_lazy("Capacity unit"), lambda r: r.get_capacity_unit_display() if r.capacity_unit else ""),
    ExportColumn(gettext_lazy("Remaining capacity"), "remaining"), ExportColumn(gettext_lazy("Service radius (km)"), "radius_km"),
    ExportColumn(gettext_lazy("Service region codes"), lambda r: ";".join(x.code for x in r.service_regions.all())),
    ExportColumn(gettext_lazy("Available from"), "available_from"), ExportColumn(gettext_lazy("Available until"), "available_to"),
    ExportColumn(gettext_lazy("Status"), "get_status_display"),
)


@login_required
def resource_export(request: HttpRequest) -> HttpResponse:
    return pages.export_view(request, permission=perms.RESOURCE_VIEW, keys=RESOURCE_FILTERS,
                             rows=lambda f: selectors.resource_list(actor=request.user, filters=f).prefetch_related("service_regions"),
                             columns=RESOURCE_COLUMNS, basename=_("resources"))


def _resource_actions(request: HttpRequest, r: Resource) -> list[dict[str, Any]]:
    if not (can(request.user, perms.RESOURCE_MANAGE) and selectors.resource_base(request.user, perms.RESOURCE_MANAGE).filter(pk=r.pk).exists()):
        return []
    labels = {ResourceStatus.OFFERED: ("offer", _("Offer"), "btn-primary", False),
              ResourceStatus.PAUSED: ("pause", _("Pause"), "btn-outline-secondary", True),
              ResourceStatus.WITHDRAWN: ("withdraw", _("Withdraw"), "btn-outline-danger", True)}
    return [{"key": k, "label": label, "style": style, "reason": reason}
            for status, (k, label, style, reason) in labels.items() if RESOURCE_TRANSITIONS.allows(r.status, status)]


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.RESOURCE_VIEW)
    r = selectors.resource_get(actor=request.user, id=pk)
    actions = _resource_actions(request, r)
    return render(request, "cobuild/resource_detail.html", {
        "r": r, "actions": actions, "can_edit": bool(actions) and r.status in RESOURCE_EDITABLE,
        "regions": r.service_regions.order_by("path"), "reason_form": forms.ReasonForm(),
    })


@login_required
@require_POST
def resource_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _status_action(request, pk, action, manage=perms.RESOURCE_MANAGE, table=services.RESOURCE_ACTIONS, get=selectors.resource_get,
                          param="resource", reasons=("pause", "withdraw"), detail="cobuild:resource_detail",
                          message=_("The resource is now “%(status)s”."))


def _resource_form(request: HttpRequest, *, data: Any = None, initial: Any = None, editing: bool = False) -> forms.ResourceForm:
    return forms.ResourceForm(data, initial=initial, unit_qs=selectors.unit_choices(actor=request.user),
                              category_qs=selectors.category_choices(use=CategoryUse.RESOURCES),
                              region_qs=selectors.service_region_choices(), editing=editing)


@login_required
@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.RESOURCE_MANAGE)
    units = selectors.unit_choices(actor=request.user)
    initial = {"unit": units[0].pk} if units.count() == 1 else None
    return _create_page(request, "resource", _resource_form(request, data=request.POST or None, initial=initial), save=services.resource_create,
                        message=_("The resource was saved as a draft."), title=_("Add a resource"))


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.RESOURCE_MANAGE)
    r = selectors.resource_get(actor=request.user, id=pk, action=perms.RESOURCE_MANAGE)

    def form() -> forms.ResourceForm:
        initial = {k: getattr(r, k) for k in ("title", "description", "kind", "capacity", "capacity_unit", "radius_km", "available_from",
                                              "available_to")}
        initial.update(category=r.category_id, service_regions=list(r.service_regions.values_list("pk", flat=True)))
        return _resource_form(request, data=request.POST or None, initial=initial, editing=True)

    return _edit_page(request, r, editable=RESOURCE_EDITABLE, refused=_("A resource in status “%(status)s” can no longer be edited."),
                      detail="cobuild:resource_detail", form=form,
                      save=lambda d: services.resource_update(actor=request.user, resource=r, **d), message=_("The resource was saved."),
                      form_id="resource-form")


# --- categories ------------------------------------------------------------------------------


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.CATEGORY_MANAGE)
    f = get_filters(request, ("q", "active"))
    return render(request, "cobuild/category_list.html", {"categories": selectors.category_list(actor=request.user, filters=f),
                                                          "filters": f})


@login_required
@require_http_methods(["GET", "POST"])
def category_create(request: HttpRequest) -> HttpResponse:
    require_page(request, perms.CATEGORY_MANAGE)
    form = forms.CategoryForm(request.POST or None)
    return _form_page(request, form, save=lambda d: services.category_create(actor=request.user, **d), success="cobuild:category_list",
                      message=_("The category was added."), title=_("Add a category"), cancel=reverse("cobuild:category_list"),
                      form_id="category-form")


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.CATEGORY_MANAGE)
    c = selectors.category_get(actor=request.user, id=pk)
    form = forms.CategoryForm(request.POST or None, initial={"name": c.name, "sort_order": c.sort_order, "applies_to": c.applies_to})
    return _form_page(request, form, save=lambda d: services.category_update(actor=request.user, category=c, **d),
                      success="cobuild:category_list", message=_("The category was saved."), title=_("Edit %(title)s") % {"title": c.name},
                      cancel=reverse("cobuild:category_list"), form_id="category-form")


@login_required
@require_POST
def category_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request, perms.CATEGORY_MANAGE)
    c = selectors.category_get(actor=request.user, id=pk)
    message = _("The category was deactivated.") if c.is_active else _("The category was activated again.")
    return pages.action(request, lambda: services.category_set_active(actor=request.user, category=c, active=not c.is_active),
                        back="cobuild:category_list", message=message)
