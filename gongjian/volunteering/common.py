"""What every part of volunteering shares: the acting member, his active report-in, the point rule, path checks.

Parts (decision 0009): ``members/`` (report-in, receipts, pledges, the member's and the unit's pages),
``activities/`` (posts, brands, activities and shifts, sign-ups, check-in codes, hours, points, leaderboard),
``roads/`` (road segments, road chiefs, patrols, patrol reports → matters), ``reports/`` (figures, demo).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Aggregate, Count, Field, IntegerField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gongjian.core import counts, listcache, pages, permissions, versions
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.filtering import Filter
from gongjian.core.kernel import Actor
from gongjian.core.pagination import PAGE_SIZES
from gongjian.core.params import int_param, require_page
from gongjian.core.scope import region_paths, scoped
from gongjian.orgs.models import Member
from gongjian.regions.choices import Level
from gongjian.regions.models import Region
from gongjian.regions.selectors import communities_in_area

from .choices import REPORT_IN_ACTIVE, ReportInStatus
from .models import MemberReportIn, PointRule

MODULE = "volunteering"
NO_MEMBER_MESSAGE = _("Your account is not linked to a party member record yet; ask your branch to link it.")


def actor_member(actor: Actor, *, required: bool = True) -> Member | None:
    """The active member record linked to the account (``Member.user``). ``required``: refuse without one."""
    member = None
    if actor is not None and getattr(actor, "pk", None):
        member = Member.objects.filter(user_id=actor.pk, is_active=True).select_related("employer_unit", "home_community").first()
    if member is None and required:
        raise PermissionDenied(NO_MEMBER_MESSAGE, code="no_member")
    return member


def active_report_in(member: Member | None, *, confirmed_only: bool = False) -> MemberReportIn | None:
    """The member's one active report-in (pending or confirmed), or None."""
    if member is None:
        return None
    statuses = [ReportInStatus.CONFIRMED] if confirmed_only else list(REPORT_IN_ACTIVE)
    return (MemberReportIn.objects.filter(member=member, status__in=statuses).select_related("community", "community__parent").first())


@dataclass(frozen=True)
class Me:
    """The acting member as his own pages need him: the key of his (active) member record and the community of his
    confirmed report-in (None before the community confirms one). ``community`` carries its key, name and path only."""

    pk: int
    community: Region | None


# --- the member's own record, read in one plain statement -------------------------------------------------------
#
# Each of a member's pages starts with his own record — his member row, report-in, pledge, whether he is a road chief —
# found by his account (``Member.user``, one-to-one): no scope applies, the key is the account's. Written with the
# ORM, building and compiling these joins took 8 to 15 times longer than the database took to answer them (1–2.5 ms
# of a page's 5–7); written out, as the capacity rule's statements are, the values read are converted as the ORM
# converts them (``own_row``). The tables' names are checked here; every column is read by the app's tests.

assert (Member._meta.db_table, MemberReportIn._meta.db_table, Region._meta.db_table) == (
    "orgs_member", "volunteering_memberreportin", "regions_region")

ME_SQL = (
    "SELECT m.id, r.community_id, c.name, c.path FROM orgs_member m"
    " LEFT JOIN volunteering_memberreportin r ON r.member_id = m.id AND r.status = %s"
    " LEFT JOIN regions_region c ON c.id = r.community_id"
    " WHERE m.user_id = %s AND m.is_active"
)


def own_row(actor: Actor, sql: str, params: list[Any], fields: tuple[Field[Any, Any] | None, ...] = ()) -> list[Any] | None:
    """The row of ``sql`` — a statement on the account's own member record whose last parameter is the account's key
    — with each value converted as the ORM converts what it reads of ``fields[i]`` (None, or past the end: as read).
    None for an anonymous caller, or without a row."""
    if actor is None or not getattr(actor, "pk", None):
        return None
    with connection.cursor() as cur:
        cur.execute(sql, [*params, actor.pk])
        row = cur.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, field in enumerate(fields):
        if field is not None and values[i] is not None:
            col = field.get_col(field.model._meta.db_table)
            for convert in [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]:
                values[i] = convert(values[i], col, connection)
    return values


def me(actor: Actor) -> Me | None:
    """The active member record linked to the account with the community of his confirmed report-in (one of each at
    most: ``Member.user`` is one-to-one, ``vol_reportin_one_active``): every page and API call of a member starts here."""
    row = own_row(actor, ME_SQL, [ReportInStatus.CONFIRMED.value])
    if row is None:
        return None
    pk, community_id, name, path = row
    community = Region.from_db(Region.objects.db, ["id", "name", "path"], [community_id, name, path]) if community_id else None
    return Me(pk=int(pk), community=community)


def own_records(qs: QuerySet[Any], actor: Actor, action: str, member: Me | Member) -> QuerySet[Any]:
    """The records of the account's own member record (``member``: from ``me``, or its instance) among those of ``qs``
    the actor may see for ``action``: when one of his roles reaches its own records (``Reach.SELF``: the scope's
    ``member__user_id``), all of them — the scope's condition would add nothing but a join —, else those of his scope
    (an administrator's area)."""
    mine = qs.filter(member_id=member.pk)
    if any(permissions.rules_for(action).get(role) is permissions.Reach.SELF for role in permissions.actor_roles(actor)):
        return mine
    return scoped(mine, actor, action)


def point_rule() -> PointRule:
    """The one point rule (created with the defaults on first use)."""
    rule = PointRule.objects.order_by("id").first()
    return rule if rule is not None else PointRule.objects.create()


def points_for_hours(hours: Decimal | float | int, rule: PointRule | None = None) -> int:
    """Points for confirmed hours under the rule, rounded half up to whole points."""
    r = rule or point_rule()
    return int((Decimal(str(hours)) * r.per_hour).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def in_paths(path: str, paths: list[str]) -> bool:
    """Does ``path`` lie under one of the scope paths ([""] = everywhere)?"""
    return any(p == "" or path.startswith(p) for p in paths)


def acting_community(actor: Actor, action: str, community: Region | int | None) -> Region:
    """The community an administrator acts for with ``action``: it must be a community of his area (outside it: not
    found, as for any record out of scope)."""
    region = community if isinstance(community, Region) else Region.objects.filter(pk=int_param(community) or 0).first()
    if region is None or region.level != Level.COMMUNITY:
        raise ValidationError.for_field("community", _("Choose a community."))
    if not in_paths(region.path, region_paths(actor, action)):
        raise NotFound()
    return region


def user_or_none(actor: Actor) -> Any:
    """The actor when it is a saved account (for ``*_by`` columns), else None."""
    return actor if getattr(actor, "pk", None) else None


def pk_of(value: Any) -> int:
    """A record's key from a model instance or a form/JSON value; 0 for anything that is not a whole number (a bool, a
    float, a list or a dict from a hostile JSON body)."""
    if isinstance(value, Model):
        return int(value.pk)
    if isinstance(value, bool | float | list | dict | tuple):
        return 0
    return int_param(value) or 0



def communities_of(actor: Actor, action: str) -> QuerySet[Region]:
    """The active communities of the actor's area for ``action`` (for pickers), by path."""
    return communities_in_area(actor=actor, action=action)


# --- what every member of a community is shown alike ----------------------------------------------------------

COMMUNITY_TTL = 300  # seconds at most, for a write that bypasses the services (the demo build)


def for_community(part: str, community_id: int, request: HttpRequest, draw: Callable[[], tuple[str, dt.datetime | None]]) -> str:
    """A part of a member's page that is the same for every member of one community — its published activities, say
    — drawn once for all of them: ``draw()`` gives its HTML and the moment the clock alone changes it (None: never).

    Kept in the shared cache under the part, the community, the request's path and query string and the language —
    nothing of the account: the caller draws only the community's records — beside the version of this module's
    records, which every audited write of volunteering moves (``audit.record``), until that moment, for at most
    ``COMMUNITY_TTL``. The city demo's 118,000 confirmed members live in 3,300 communities: one member's visit draws
    the part for some 35 neighbours. ``GONGJIAN_LIST_CACHE`` turns it off, as it does the shared lists (off in tests
    that do not ask)."""
    if not listcache.enabled():
        return draw()[0]
    params = sorted((k, tuple(request.GET.getlist(k))) for k in request.GET)
    raw = repr((part, community_id, request.path, params, translation.get_language()))
    key = "vol:community:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    vkey = versions.version_key(MODULE)
    found = cache.get_many([key, vkey])
    version = int(found.get(vkey) or 0)
    stored = found.get(key)
    now = timezone.now()
    if isinstance(stored, tuple) and len(stored) == 3 and stored[0] == version and (stored[1] is None or now < stored[1]):
        return str(stored[2])
    html, until = draw()  # stored with the version read before it was drawn: a write committed meanwhile outdates it
    ttl = COMMUNITY_TTL if until is None else min(COMMUNITY_TTL, int((until - now).total_seconds()))
    if ttl > 0:
        cache.set(key, (version, until, html), ttl)
    return html


# --- counts of large lists -------------------------------------------------------------------------


def cached_count(qs: QuerySet[Any]) -> int:
    """The exact number of rows of ``qs``, counted once per version of the module (``core.counts``)."""
    return counts.cached_count(qs, module=MODULE)


def counted(qs: QuerySet[Any]) -> counts.CountedRows:
    """``qs`` for a paginator (list pages, the API's lists): counted through the cache, and a page read keys first —
    the keys of the page in the list's order (an index-only scan of the ordering index, which carries the region path:
    no row of another place is read), then those rows by key with their joins and annotations."""
    return counts.CountedRows(qs, module=MODULE, keys_first=True)


class FewRows:
    """A list that is short as a rule (a member's own records, one community's brands) for a Paginator: the rows up to
    the end of the page asked for (``upto``), and one more, are read at once; when that is the whole list it is also the
    list's number — one query in all, no count (a count kept per account would serve no one: each of a city's members
    opens his own list). A longer list is counted (``cached_count``) and its page read as usual."""

    ordered = True
    LIMIT = 100  # pages ending further are not read ahead

    def __init__(self, qs: QuerySet[Any], upto: int) -> None:
        self.qs, self.upto = qs, upto if 0 < upto <= self.LIMIT else 0
        self._head: list[Any] | None = None
        self._count: int | None = None

    def _read_head(self) -> list[Any]:
        if self._head is None:
            self._head = list(self.qs[: self.upto + 1]) if self.upto else []
        return self._head

    def whole(self) -> list[Any] | None:
        """The whole list when it ends within the page asked for (read at once), else None."""
        head = self._read_head()
        return head if self.upto and len(head) <= self.upto else None

    def count(self) -> int:
        if self._count is None:
            rows = self.whole()
            self._count = len(rows) if rows is not None else cached_count(self.qs)
        return self._count

    def counted_as(self, n: int) -> FewRows:
        """The list's number when the caller knows it (counted with its totals, say)."""
        self._count = n
        return self

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice) and index.step is None:
            head = self._read_head()
            whole = bool(self.upto) and len(head) <= self.upto
            if whole or (index.stop is not None and 0 <= index.stop <= len(head)):
                return head[index]
        return self.qs[index]

    def __iter__(self) -> Any:
        return iter(self.qs)


def page_end(page: Any, size: Any, *, sizes: tuple[int, ...] = PAGE_SIZES, default_size: int = 20) -> int:
    """Where the page asked for ends (``?page=``, ``?size=``, one of ``sizes`` — else the default size, as
    ``core.pagination.paginate`` reads them): what ``FewRows`` reads ahead; 0 for a page it cannot tell."""
    try:
        number, per = int(page or 1), int(size or default_size)
    except (TypeError, ValueError):
        return 0
    per = per if not sizes or per in sizes else default_size
    return number * per if number >= 1 and per >= 1 else 0


def per_row(model: type[Model], link: str, total: Aggregate | None = None, **conditions: Any) -> Coalesce:
    """An annotation of one total over the ``model`` rows whose ``link`` is the annotated row (``total``: a ``Sum``,
    by default their number), 0 when there is none: a subquery evaluated for the rows a query returns — with
    ``counted``, a page's rows — instead of a join of the whole area grouped before the LIMIT."""
    rows = model._default_manager.filter(**{link: OuterRef("pk")}, **conditions).order_by().values(link)
    return Coalesce(Subquery(rows.annotate(total=total or Count("pk")).values("total")[:1], output_field=IntegerField()), Value(0))


def by_yes_no(field: str) -> Filter:
    """A list filter: ``"1"`` → ``field`` true, ``"0"`` → false, anything else no condition."""
    return lambda qs, value: qs.filter(**{field: value == "1"}) if value in ("1", "0") else qs


def next_or(post: Any, default: str, prefix: str = "/volunteering/") -> str:
    """Where a page's button goes back to: the form's ``next`` when it is a local path under ``prefix``, else ``default``."""
    nxt = post.get("next", "")
    if nxt.startswith(prefix) and "//" not in nxt and "\\" not in nxt:
        return str(nxt)
    return default


def save_unique(obj: Model, error: Callable[[], Exception]) -> None:
    """Save ``obj`` in a savepoint; a unique constraint it breaks raises ``error()`` (the transaction goes on)."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise error() from None


def record_action(request: Any, actions: dict[str, Any], action: str, *, permission: str, load: Callable[[], Any], arg: str,
                  fields: dict[str, str], back: Callable[[Any], str], message: Callable[[Any, Any], str]) -> Any:
    """A record's POST button ``<pk>/<action>/``: an unknown action is 404, then the page permission, the record in scope,
    the service ``actions[action]`` called with the record as ``arg`` and the form's ``fields`` this action takes
    (``{action: field}``), its domain errors told on the field's name, a success message of the record and the result."""
    fn = actions.get(action)
    if fn is None:
        raise NotFound()
    require_page(request, permission)
    record = load()
    kwargs = {fields[action]: request.POST.get(fields[action], "")} if action in fields else {}
    return pages.action(request, lambda: fn(actor=request.user, **{arg: record}, **kwargs), back=back(record),
                        message=lambda done: message(record, done), error_fields=tuple(dict.fromkeys(fields.values())))
