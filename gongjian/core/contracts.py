"""The models core reads by contract, named in settings (``GONGJIAN_SCOPE_MODEL``, ``GONGJIAN_REGION_MODEL``),
the way Django names ``AUTH_USER_MODEL``: core imports no app (decision 0011)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings


def scope_model() -> Any:
    """An account's scope rows: ``user_id``, ``role``, ``kind``, ``region`` (with ``path``), ``unit_id``, ``department_id``,
    ``is_active``, and ``user`` (an account with ``is_active``)."""
    return apps.get_model(settings.GONGJIAN_SCOPE_MODEL)


def region_model() -> Any:
    """The region tree: ``code``, ``path``, ``parent``, ``name``."""
    return apps.get_model(settings.GONGJIAN_REGION_MODEL)
