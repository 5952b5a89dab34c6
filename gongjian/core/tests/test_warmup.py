"""A server process builds, before its first request, what that request would otherwise build."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from gongjian.cobuild.matching import text
from gongjian.cobuild.suggestions import index
from gongjian.core import registry, warmup
from gongjian.core.registry import Warmup


@pytest.mark.django_db
def test_warm_builds_every_step_and_closes_the_connections(monkeypatch):
    monkeypatch.setattr(text, "_tokenizer", None)
    index.forget()
    builds = index.stats()["builds"]
    closed: list[bool] = []
    monkeypatch.setattr(warmup.connections, "close_all", lambda: closed.append(True))
    took = warmup.warm()
    assert {"urls", "templates", "translations", "cobuild.tokenizer", "cobuild.suggestions_index", "orgs.policy_search"} <= set(took)
    assert text._tokenizer is not None  # built, not left to the first suggestion
    assert index.stats()["builds"] == builds + 1
    assert closed == [True]  # no worker forked from this process inherits a database socket
    assert connection.vendor  # the test's own connection is untouched (close_all was replaced)


def test_every_module_warmup_is_reachable_from_the_registry():
    keys = [w.key for w in registry.warmups()]
    assert len(keys) == len(set(keys)) and all(callable(w.build) for w in registry.warmups())


def test_a_failing_step_is_logged_and_the_rest_still_run(monkeypatch, caplog):
    ran: list[str] = []

    def boom() -> None:
        raise RuntimeError("database not reachable")

    monkeypatch.setattr(registry, "warmups", lambda: [Warmup("x.boom", boom), Warmup("x.ok", lambda: ran.append("ok"))])
    monkeypatch.setattr(warmup, "steps", lambda: [(w.key, w.build) for w in registry.warmups()])
    monkeypatch.setattr(warmup.connections, "close_all", lambda: None)
    with caplog.at_level(logging.ERROR, logger="gongjian.core.warmup"):
        took = warmup.warm()
    assert set(took) == {"x.boom", "x.ok"} and ran == ["ok"]
    assert "x.boom" in caplog.text


def test_templates_are_compiled_for_every_template_file():
    names = warmup._template_names()
    assert "base.html" in names and "layouts/list.html" in names and any(n.startswith("cobuild/") for n in names)
