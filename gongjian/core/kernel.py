"""The service kernel: what every app's services do the same way, written once.

* ``Actor`` — the type of every ``actor=`` argument: the signed-in account (or an anonymous one,
  which the permission checks refuse), or a system actor with no key.
* ``audited_save`` — snapshot, change, validate, save (a database uniqueness error becomes a field
  error), audit the diff, refresh the module's figures on commit.
* ``Transitions`` — one table of allowed status changes, read by the services (``move``, ``check``)
  and by the pages' action buttons (``allows``).
* ``key_of`` / ``text_q`` / ``clean_reason`` / ``text_field`` — the small helpers every app had a copy of.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import audit, registry
from .errors import NotFound, TransitionError, ValidationError
from .params import int_param
from .validation import Errors, clean_text


class Account(Protocol):
    """An account as services see it: ``request.user`` of a page or API call (signed in or anonymous)."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...


# Who acts: an account, or None for the system (the demo build, imports and tasks run by the platform itself).
# Services read only these; what an actor may do is asked of ``core.permissions`` and ``core.scope``.
Actor: TypeAlias = Account | None


def actor_key(actor: Actor) -> Any:
    """The acting account's key (None for the system or an anonymous visitor)."""
    return getattr(actor, "pk", None)


def account_of(actor: Any) -> Any:
    """The actor as a value for an ``…_by`` foreign key: the account, or None for a system actor."""
    return actor if getattr(actor, "pk", None) else None


# --- keys and text --------------------------------------------------------------------------------


def key_of(value: Any, model: type[models.Model] | None = None) -> int:
    """The primary key of an instance or of any input that can be one (``"12"``, ``12``); anything else is not found.

    With ``model``, an instance of another model is refused too (a need where a resource was expected)."""
    if isinstance(value, models.Model):
        if model is not None and not isinstance(value, model):
            raise NotFound()
        pk = value.pk
    elif isinstance(value, bool | float | list | dict | tuple):
        pk = None
    else:
        pk = int_param(value)
    if pk is None:
        raise NotFound()
    return int(pk)


def text_q(query: str, *fields: str, max_words: int = 8, max_word: int = 64) -> Q:
    """Every word of ``query`` in one of ``fields`` (case-insensitive contains); at most 8 words of 64 characters."""
    q = Q()
    for word in str(query or "").replace("\x00", "").split()[:max_words]:
        part = Q()
        for f in fields:
            part |= Q(**{f"{f}__icontains": word[:max_word]})
        q &= part
    return q


def text_field(value: Any, *, field: str, errors: Errors, required: Any = None, max_length: int = 255, multiline: bool = False) -> str:
    """``clean_text`` that also refuses values that are not text (lists, dicts from a hostile JSON body)."""
    if value is not None and not isinstance(value, str | int | float):
        errors.add(field, _("Enter text."))
        return ""
    return clean_text(value, field=field, errors=errors, required=required, max_length=max_length, multiline=multiline)


def clean_reason(value: Any, *, required: bool = True, field: str = "reason", message: Any = None, max_length: int = 500,
                 multiline: bool = True) -> str:
    """The reason of an action (reject, send back, cancel, end): text of at most 500 characters; required unless told."""
    errors = Errors()
    text = text_field(value, field=field, errors=errors, required=(message or _("Give a reason.")) if required else None,
                      max_length=max_length, multiline=multiline)
    errors.raise_if_any()
    return text


# --- transitions ----------------------------------------------------------------------------------


class Transitions:
    """The allowed status changes of one model: ``{from: {to, …}}``.

    Services ``move`` an instance (or ``check`` first); pages ask ``allows(status, to)`` to show only the buttons
    the table allows. A refused change raises ``TransitionError`` with ``message`` (formatted with ``from``,
    ``to`` and ``what``: the status labels and the model's name)."""

    default_message: Any = _("A %(what)s in status “%(from)s” cannot be changed to “%(to)s”.")

    def __init__(self, table: Mapping[str, Iterable[str]], *, message: Any = None) -> None:
        self.table: dict[str, frozenset[str]] = {str(k): frozenset(str(v) for v in vs) for k, vs in table.items()}
        self.message = message

    def __getitem__(self, status: str) -> frozenset[str]:
        return self.table.get(str(status), frozenset())

    def get(self, status: str, default: frozenset[str] = frozenset()) -> frozenset[str]:
        return self.table.get(str(status), default)

    def allows(self, status: str, to: str) -> bool:
        return str(to) in self[status]

    def check(self, obj: Any, to: str, *, message: Any = None) -> None:
        if self.allows(obj.status, to):
            return
        labels = dict(type(obj)._meta.get_field("status").choices or [])
        text = message if message is not None else (self.message if self.message is not None else self.default_message)
        raise TransitionError(text % {"what": type(obj)._meta.verbose_name, "from": obj.get_status_display(),
                                      "to": labels.get(str(to), to), "status": obj.get_status_display()})

    def move(self, obj: Any, to: str, *, message: Any = None) -> str:
        """Check, then set ``obj.status`` (not saved); returns the status before."""
        self.check(obj, to, message=message)
        before = str(obj.status)
        obj.status = to
        return before


# --- the audited save -----------------------------------------------------------------------------


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` (a foreign key by its ``_id``), for an audit diff."""
    out: dict[str, Any] = {}
    for name in fields:
        f = obj._meta.get_field(name)
        out[name] = getattr(obj, f.attname) if isinstance(f, models.ForeignKey) else getattr(obj, name)
    return out


def audited_save(
    obj: models.Model,
    *,
    actor: Any,
    verb: str,
    changes: Mapping[str, Any] | None = None,
    fields: Sequence[str] | None = None,
    snap: Callable[[Any], dict[str, Any]] | None = None,
    before: Mapping[str, Any] | None = None,
    apply: Callable[[Any, Any], None] | None = None,
    validate: Callable[[models.Model], None] | None = None,
    unique: Mapping[str, tuple[str, Any]] | None = None,
    conflict: Callable[[], Exception] | None = None,
    sensitive: frozenset[str] | set[str] = frozenset(),
    module: str | None = None,
    target: Any = None,
    extra: Mapping[str, Any] | None = None,
    region_path: str | None = None,
    created: bool | None = None,
    always: bool = False,
    update_fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Save one record and audit what changed, in the caller's transaction: the one audited save of every service.

    What is watched is ``snap(obj)`` (the service's own snapshot, for values that are not plain fields) or the
    ``fields`` (a foreign key by its ``_id``; default: the keys of ``changes``). ``before`` is the snapshot taken
    earlier by the caller (default: taken here, before anything is set). ``changes`` (already cleaned by the
    service) are set on ``obj`` by ``apply(obj, changes)`` or one attribute each. ``validate(obj)`` may raise a
    ``ValidationError`` before anything is written. ``unique`` maps a database constraint's name (a word of the
    database's message) to ``(field, message)``: a uniqueness error becomes that field's error (with a single
    entry, any integrity error does: SQLite names columns, not constraints); the save then runs in a savepoint, so
    the caller's transaction goes on. ``conflict()`` is raised instead for any other integrity error (a record another
    request created at the same moment: a 409, not a field error). ``update_fields`` is passed to ``save``.

    The audit event records the diff from ``before`` (a new record's diff from nothing: every value it has), with
    ``extra`` beside it; sensitive fields are noted as changed, never in clear. Nothing is recorded when nothing
    changed (on an update) unless ``always``. ``module``'s figures refresh on commit. Returns the diff.
    """
    creating = obj._state.adding if created is None else created
    if snap is None:
        watched = list(fields if fields is not None else (changes or {}).keys())

        def snap(o: Any) -> dict[str, Any]:
            return snapshot(o, watched)
    old: Mapping[str, Any] = {} if creating else (before if before is not None else snap(obj))
    if changes:
        if apply is not None:
            apply(obj, changes)
        else:
            for name, value in changes.items():
                setattr(obj, name, value)
    if validate is not None:
        validate(obj)
    if unique or conflict is not None:
        try:
            with transaction.atomic():
                obj.save(update_fields=update_fields)
        except IntegrityError as exc:
            text = str(exc)
            for key, (field, message) in (unique or {}).items():
                if len(unique or {}) == 1 or key in text:
                    raise ValidationError.for_field(field, message) from None
            if conflict is not None:
                raise conflict() from None
            raise
    else:
        obj.save(update_fields=update_fields)
    diff = audit.diff(dict(old), snap(obj), sensitive=sensitive)
    if diff or always or creating:
        audit.record(actor=actor, verb=verb, target=target if target is not None else obj, changes={**diff, **(extra or {})},
                     sensitive=sensitive, region_path=region_path)
        if module:
            registry.bump(module)
    return diff
