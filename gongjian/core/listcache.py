"""A list's page, computed once for everyone who sees the same, and kept until a write changes any record.

A city's staff open the same lists with the same default filters many times an hour: the district's 20 administrators
its needs, its matters, its members. What such a page shows depends on what the account may see — its roles and scope
rows (``sight``) — on the path and its query string, on the language, and on the records. So a list marked shared
(``shared_list`` on an API list endpoint or a list page's view) is kept in the shared cache under those, beside the
versions of every module's records; a request that finds the same versions serves what was kept: the API's JSON as it
was answered, a list page's table (``{% shared_list %}`` in ``layouts/list.html``) — the page around it (the account's
name, the bell, the filter form with its CSRF token) is drawn for each request.

What moves the versions: every audited write (``audit.record`` bumps its record's module, now and on commit; every
write is audited, house rule) and the services' own ``registry.bump``. Any write of any module outdates every kept
page, so a page is never staler than the last write — at the price that a busy city's pages are recomputed often.
What no write moves is bounded by ``TTL``: the clock (overdue marks, "3 小时前") and writes outside the services (a
migration, the demo build). The date is part of the key.

Who shares: accounts whose roles reach only by scope (``Reach.SCOPE``) and hold the same scope rows see the same list
(every list selector filters through ``core.scope.scoped``); an account holding a role that reaches its own records
(``Reach.SELF``: members, residents) or holding no scope keeps its own. A superuser shares with superusers.
``core/tests/test_listcache.py`` checks every shared list of the demo against a second account of the same sight.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import permissions, versions
from .scope import actor_scopes

TTL = 60  # seconds a kept page is served at most
_SHARED_ATTR = "_gongjian_shared_list"
_REQUEST_KEY = "_gongjian_list_key"
_ACCOUNT_PARAMS_ATTR = "_gongjian_account_params"
_OWN_ATTR = "_gongjian_list_own"
_OWN_WHEN_ATTR = "_gongjian_own_when"


def enabled() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "GONGJIAN_LIST_CACHE", True))


def _self_roles() -> frozenset[str]:
    """Roles that reach records tied to the account itself in some rule: their lists are the account's own."""
    key = permissions.generation()
    if _SELF_MEMO.get("gen") != key:
        found = set()
        for action in permissions.actions():
            found |= {role for role, reach in permissions.rules_for(action).items() if reach == permissions.Reach.SELF}
        _SELF_MEMO.update(gen=key, roles=frozenset(found))
    return _SELF_MEMO["roles"]


_SELF_MEMO: dict[str, Any] = {}


def sight(actor: Any) -> tuple[Any, ...]:
    """What a list shown to ``actor`` may depend on besides the request: the scope rows, or the account itself."""
    if getattr(actor, "is_superuser", False):
        return ("superuser",)
    rows = actor_scopes(actor)
    shared = tuple(sorted((s.role, s.kind, s.region_path, s.unit_id or 0, s.department_id or 0) for s in rows))
    if not rows or any(s.role in _self_roles() for s in rows):
        return ("account", getattr(actor, "pk", None), shared)
    return ("scope", shared)


def key_for(request: HttpRequest, actor: Any, kind: str, account_params: tuple[str, ...] = ()) -> str:
    params = sorted((k, tuple(request.GET.getlist(k))) for k in request.GET)
    own = any(request.GET.get(p) for p in account_params) or getattr(request, _OWN_ATTR, False) is True
    who = ("account", getattr(actor, "pk", None)) if own else sight(actor)
    raw = repr((kind, request.path, params, translation.get_language(), timezone.localdate().isoformat(), who))
    return "list:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def get(key: str) -> tuple[Any, tuple[int, ...]]:
    """What is kept under ``key`` if it was kept at the current versions (else None), and those versions."""
    vkeys = [versions.version_key(m) for m in versions.record_modules()]
    found = cache.get_many([key, *vkeys])
    now = tuple(int(found.get(k) or 0) for k in vkeys)
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == now:
        return stored[1], now
    return None, now


def put(key: str, at: tuple[int, ...], value: Any) -> None:
    """Keep ``value`` under ``key`` with the versions read *before* it was computed (``at``): a write that committed
    meanwhile moved them, so the next request computes again."""
    cache.set(key, (at, value), TTL)


def shared_list(view: Callable[..., Any] | None = None, *, account_params: tuple[str, ...] = (),
                own_when: Callable[[HttpRequest, Any], bool] | None = None) -> Any:
    """Mark a list page's view or an API list endpoint (under ``@router.get``) as the same for every account of the
    same ``sight``. A page: ``{% shared_list %}`` in ``layouts/list.html`` keeps its table. An endpoint: its JSON
    answer is kept (``install(api)`` wires the endpoints so marked once the API is built). The view itself is
    returned, marked (a wrapper would hide the endpoint's annotations from django-ninja); decorators above it that
    use ``functools.wraps`` (``login_required``) carry the mark.

    ``account_params``: query parameters that make the list the account's own when given (``?mine=1``, "what I
    entered"): with one of them, the key is the account's.
    ``own_when(request, actor)``: true when the list is the account's own for this request (an API endpoint cannot call
    ``own`` itself: its answer is looked up before it runs); asked before the key is made."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, _SHARED_ATTR, True)
        setattr(fn, _ACCOUNT_PARAMS_ATTR, tuple(account_params))
        setattr(fn, _OWN_WHEN_ATTR, own_when)
        return fn

    return mark(view) if view is not None else mark


def own(request: HttpRequest) -> None:
    """This request's list depends on the account itself (say, a tab of its own reports that it has): kept for the
    account, not shared with its sight. A view calls it before the list is drawn."""
    setattr(request, _OWN_ATTR, True)


def is_shared(request: HttpRequest) -> bool:
    """Whether ``request`` is for a list marked ``shared_list`` (a page's view, or an API endpoint once it ran)."""
    match = getattr(request, "resolver_match", None)
    marked = getattr(getattr(match, "func", None), _SHARED_ATTR, False) is True or getattr(request, _SHARED_ATTR, False) is True
    return request.method == "GET" and marked and enabled()


# --- the API -------------------------------------------------------------------------------------------------------


def install(api: Any) -> int:
    """Wire every operation whose view is marked ``shared_list``: a request finding its answer kept is answered
    with it (after the operation's authentication and the validation of its query); an answer of 200 is kept.
    Call it once every router is added: it wires the operations the API serves (django-ninja's bound copies)."""
    n = 0
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for op in path_view.operations:
                if getattr(op.view_func, _SHARED_ATTR, False) and "GET" in op.methods and not getattr(op, "_gongjian_cached", False):
                    _wire(op)
                    n += 1
    return n


def _wire(op: Any) -> None:
    view, to_response = op.view_func, op._result_to_response

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        setattr(request, _SHARED_ATTR, True)  # what a test asks of the request: was this a shared list?
        if not enabled():
            return view(request, *args, **kwargs)
        actor = getattr(request, "auth", None) or request.user
        own_when = getattr(view, _OWN_WHEN_ATTR, None)
        if own_when is not None and own_when(request, actor):
            own(request)
        key = key_for(request, actor, "api", getattr(view, _ACCOUNT_PARAMS_ATTR, ()))
        kept, at = get(key)
        if kept is not None:
            body, content_type = kept
            return HttpResponse(body, content_type=content_type)
        setattr(request, _REQUEST_KEY, (key, at))
        return view(request, *args, **kwargs)

    def keeping_to_response(request: HttpRequest, result: Any, temporal_response: Any) -> Any:
        response = to_response(request, result, temporal_response)
        pending = getattr(request, _REQUEST_KEY, None)
        if pending is not None and getattr(response, "status_code", None) == 200 and not getattr(response, "streaming", False):
            put(pending[0], pending[1], (response.content, response["Content-Type"]))
        return response

    op.view_func = cached_view
    op._result_to_response = keeping_to_response
    op._gongjian_cached = True


_CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_SLOT = "\x00csrf\x00"  # never in a page: NUL is refused in every input


def page_fragment(request: HttpRequest, render: Callable[[], str]) -> str:
    """A list page's body: kept for the request's path, query, language and sight (see the module's docstring).
    The forms' CSRF tokens are the request's own: kept as a slot, filled for each request."""
    func = getattr(getattr(request, "resolver_match", None), "func", None)
    own_when = getattr(func, _OWN_WHEN_ATTR, None)
    if own_when is not None and own_when(request, request.user):
        own(request)
    key = key_for(request, request.user, "page", getattr(func, _ACCOUNT_PARAMS_ATTR, ()))
    kept, at = get(key)
    if not isinstance(kept, str):
        html = render()
        kept = _CSRF_INPUT.sub(lambda m: m.group(1) + _CSRF_SLOT + m.group(2), html)
        put(key, at, kept)
    if _CSRF_SLOT in kept:
        token = escape(get_token(request))
        kept = kept.replace(_CSRF_SLOT, token)
    return mark_safe(kept)  # drawn by the template engine, which escaped it
