"""The page toolkit: form pages, action buttons, list pages and exports, each written once.

* ``form_page`` — GET shows the form; a valid POST calls one service with the cleaned data; a
  ``DomainError`` lands next to its field or at the top of the form (status 400); success shows a
  message and redirects.
* ``action`` — a POST button (publish, confirm, reject with a reason): calls the service, shows its
  success or its error as a page message, redirects back.
* ``list_page`` / ``list_context`` — a filtered, paginated list and the query strings its template needs.
* ``export`` — the filtered list as .xlsx or CSV, declared by ``core.tabular.ExportColumn``s.

Errors that are pages of their own (401, 403, 404: not allowed, out of scope) are re-raised, never
shown on the form: a record outside the scope stays "not found".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import DomainError
from .forms import apply_domain_error, first_error
from .pagination import paginate, querystring_without
from .params import export_format, get_filters, require_page
from .tabular import ExportColumn, export_response

FORM_TEMPLATE = "core/form.html"
EXPORT_LIMIT = 100_000  # rows in one export; a larger list is narrowed with the filters first
_OWN_PAGES = (401, 403, 404)

Target = str | Callable[[Any], str | HttpResponse]


def reraise_page_errors(exc: DomainError) -> None:
    """Not signed in, not allowed, out of scope: each has a page of its own (and a record outside the scope stays unseen)."""
    if exc.status in _OWN_PAGES:
        raise exc


def _resolve(target: Any, result: Any) -> Any:
    return target(result) if callable(target) else target


def _go(target: Target, result: Any) -> HttpResponse:
    """Where a page goes after the service: a path, a URL name without arguments, or a response of its own
    (a page shown once, such as a new password)."""
    where = _resolve(target, result)
    return where if isinstance(where, HttpResponse) else redirect(where)


def form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    save: Callable[[dict[str, Any]], Any],
    success: Target,
    message: Any = None,
    template: str = FORM_TEMPLATE,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    field_map: Mapping[str, str] | None = None,
    forms_valid: Sequence[forms.Form] = (),
    on_form: Sequence[int] = (),
    form_name: str = "form",
) -> HttpResponse:
    """A service-backed form page.

    ``save(cleaned_data)`` calls one service and returns what it made; ``success`` is the URL (or URL name)
    to go to, or a callable of that result (which may also answer a response of its own); ``message`` the success
    message (or a callable of the result). A service's 401, 403 and 404 show their own pages, unless ``on_form``
    names the status (a rule the form's user can act on, e.g. 403 "this member has not reported in here").
    ``forms_valid``: further forms on the same page that must be valid too (their errors show, the service
    is not called). ``context`` (or a callable that builds it only when the page is drawn: a detail page that
    shows the form again with its errors) goes to the template with ``form``; the generic template reads ``title``,
    ``intro``, ``cancel_url``, ``form_id``, ``submit_label``, ``narrow``, ``crumbs``, ``extra_forms``.
    ``form_name``: the form's name in the template, on a page that holds several forms.
    """
    if request.method == "POST" and all([form.is_valid(), *(f.is_valid() for f in forms_valid)]):
        try:
            result = save(form.cleaned_data)
        except DomainError as exc:
            if exc.status not in on_form:
                reraise_page_errors(exc)
            apply_domain_error(form, exc, field_map)
        else:
            if message is not None:
                messages.success(request, _resolve(message, result))
            return _go(success, result)
    invalid = bool(form.errors) or any(f.errors for f in forms_valid)
    extra = context() if callable(context) else context
    return render(request, template, {**(extra or {}), form_name: form}, status=400 if invalid else 200)


def action(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    back: Target,
    message: Any = None,
    error_back: str | None = None,
    error_fields: Sequence[str] = (),
) -> HttpResponse:
    """A POST button: ``call()`` runs one service. Success shows ``message`` (or a callable of the result) and
    goes to ``back``; a domain error shows its message (the first of ``error_fields`` that it names, if any)
    and goes to ``error_back``, or to ``back`` when that is a plain URL."""
    assert error_back is not None or not callable(back), "an action whose success URL depends on the result names its error_back"
    try:
        result = call()
    except DomainError as exc:
        reraise_page_errors(exc)
        messages.error(request, first_error(exc, *error_fields))
        return redirect(error_back if error_back is not None else _resolve(back, None))
    if message is not None:
        messages.success(request, _resolve(message, result) if callable(message) else message)
    return _go(back, result)


def safe_next(request: HttpRequest, default: str, *, prefix: str = "/") -> str:
    """The ``next`` of a POST (or GET) when it is a local path under ``prefix``; else ``default``."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    local = url_has_allowed_host_and_scheme(nxt, allowed_hosts=None) and not nxt.startswith("//") and "\\" not in nxt
    if local and nxt.startswith(prefix):
        return nxt
    return default


# --- lists and exports ----------------------------------------------------------------------------


class lazy:
    """A value of a template's context computed when the template first uses it, once: the filter row's options of
    a list page kept by ``core.listcache`` are then not computed for a page served from the cache. The template engine
    calls a callable it meets in a variable, so ``{{ x }}`` and ``{{ x.attr }}`` work as with the value itself."""

    def __init__(self, compute: Callable[[], Any]):
        self._compute, self._done, self._value = compute, False, None

    def __call__(self) -> Any:
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value

    # Python code reading a response's context (tests) sees the value's attributes, items and length.
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self(), name)

    def __getitem__(self, key: Any) -> Any:
        return self()[key]

    def __iter__(self) -> Any:
        return iter(self())

    def __len__(self) -> int:
        return len(self())



def list_context(request: HttpRequest, page: Any, filters: Mapping[str, str]) -> dict[str, Any]:
    """What a list template needs: the page, the filters, the query string for the pager and for the export link."""
    return {"page": page, "filters": filters, "qs": querystring_without(request, "page"),
            "export_qs": querystring_without(request, "page", "size")}


def list_page(request: HttpRequest, template: str, qs: Any, *, filters: Mapping[str, str], context: Mapping[str, Any] | None = None,
              default_size: int = 20) -> HttpResponse:
    """A filtered list, paginated (a fixed number of queries whatever the page size). The page is counted and read
    when the template first uses it: a body kept by ``core.listcache`` needs neither. ``qs`` may be a callable that
    builds the rows: it is then called only then too (building a queryset with annotations costs ~1 ms of ORM)."""
    page = lazy(lambda: paginate(request, qs() if callable(qs) else qs, default_size=default_size))
    return render(request, template, {**list_context(request, page, filters), **(context or {})})


def list_view(request: HttpRequest, template: str, *, permission: str, keys: Sequence[str], rows: Callable[[dict[str, str]], Any],
              context: Mapping[str, Any] | Callable[[dict[str, str]], Mapping[str, Any]] | None = None,
              default_size: int = 20) -> HttpResponse:
    """A whole list page: the role may open it (else "not found"), the query string's ``keys`` are its filters,
    ``rows(filters)`` the selector, ``context`` what else the template shows (or a callable of the filters)."""
    require_page(request, permission)
    f = get_filters(request, tuple(keys))
    extra = context(f) if callable(context) else context
    return list_page(request, template, lambda: rows(f), filters=f, context=extra, default_size=default_size)


def export_view(request: HttpRequest, *, permission: str, keys: Sequence[str], rows: Callable[[dict[str, str]], Any],
                columns: Sequence[ExportColumn] | Callable[[], Sequence[ExportColumn]], basename: Any) -> HttpResponse:
    """The export of a list page: the same permission and filters, the same selector, ``columns`` (or a callable
    that builds them in the request's language)."""
    require_page(request, permission)
    cols = columns() if callable(columns) else columns
    return export(request, rows(get_filters(request, tuple(keys))), cols, basename=basename)


def export(request: HttpRequest, rows: Iterable[Any], columns: Sequence[ExportColumn], *, basename: Any,
           limit: int | None = EXPORT_LIMIT) -> HttpResponse:
    """The rows as .xlsx (default) or CSV (``?format=csv``), one column per ``ExportColumn``; cells are formula-safe."""
    if limit is not None and hasattr(rows, "__getitem__") and not isinstance(rows, list | tuple):
        rows = rows[:limit]  # a queryset: LIMIT in SQL
    return export_response([c.label for c in columns], (tuple(c.value_of(r) for c in columns) for r in rows),
                           basename=str(basename), fmt=export_format(request))


# --- URLs -----------------------------------------------------------------------------------------

# The standard routes of a record's pages: (suffix, view and URL name suffix). The action route comes last so that
# "edit" is not taken for an action.
ENTITY_ROUTES = (
    ("", "list"), ("export/", "export"), ("new/", "create"), ("<int:pk>/", "detail"), ("<int:pk>/edit/", "edit"),
    ("<int:pk>/<slug:action>/", "action"),
)


def entity_urls(prefix: str, entity: str, views: Any, *, name: str | None = None) -> list[URLPattern]:
    """The standard pages of a record under ``prefix``: ``<entity>_list``, ``_export``, ``_create``, ``_detail``, ``_edit``
    and ``_action`` — each route whose view ``views`` defines, named ``<name or entity>_<kind>``."""
    out = []
    for suffix, kind in ENTITY_ROUTES:
        view = getattr(views, f"{entity}_{kind}", None)
        if view is not None:
            out.append(path(f"{prefix}{suffix}", view, name=f"{name or entity}_{kind}"))
    return out
