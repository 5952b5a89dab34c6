"""One error shape for the whole product.

Domain errors carry a stable ``code``, a Chinese (translatable) ``message`` and optional
``details`` (e.g. per-field messages). The API answers ``{"code", "message", "details"}``;
pages show the message next to the field named in ``details``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message: Any = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None, details: dict[str, Any] | None = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "details": {k: [str(m) for m in v] if isinstance(v, list | tuple) else str(v) for k, v in self.details.items()},
        }


class ValidationError(DomainError):
    """Bad input. ``details`` maps field names to messages."""

    code = "invalid"
    status = 400
    default_message = _("Some fields are not valid.")

    @classmethod
    def for_field(cls, field: str, message: Any) -> ValidationError:
        return cls(message, details={field: [message]})


class NotFound(DomainError):
    """The record does not exist or lies outside the actor's scope (the two are not told apart)."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    """Someone else changed the record first, or a uniqueness rule would be broken."""

    code = "conflict"
    status = 409
    default_message = _("The record was changed by someone else; reload and try again.")


class TransitionError(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = _("This action is not allowed in the current state.")


class Unauthenticated(DomainError):
    """No session and no valid bearer token (the API answers 401)."""

    code = "unauthenticated"
    status = 401
    default_message = _("Sign in or send a valid token.")


class RequestInvalid(ValidationError):
    """The API request's parameters or body do not match the schema (the API answers 422)."""

    status = 422
    default_message = _("The request parameters are not valid.")


class ServerError(DomainError):
    code = "server_error"
    status = 500
    default_message = _("Something went wrong on the server; the error has been logged. Please try again later.")


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    default_message = _("This method is not allowed here.")
