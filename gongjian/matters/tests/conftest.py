"""Fixtures of the matters tests."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps


@pytest.fixture
def seeded_catalogue(db: Any) -> None:
    """The seeded deadline rules and dispatch catalogue (migration 0002). A transactional test that ran before
    empties every table, data-migration rows included, so tests that need them seed them again (idempotent)."""
    migration = importlib.import_module("gongjian.matters.migrations.0002_seed_rules_catalogue")
    migration.seed(django_apps, None)
