"""Start warm: build in a server process, before it takes requests, what its first requests would otherwise build.

``warm()`` resolves every URL pattern (importing every view and the API with its schemas), compiles every
template the cached loader would compile, loads both languages' catalogs, and runs each module's
``Module.warm`` (e.g. co-building's tokenizer and suggestions index, the policy library's dictionary). Under
``gongjian serve --production`` gunicorn loads the application before it forks (``--preload``) and
``config/wsgi.py`` calls ``warm()`` there once: every worker, including one that replaces a recycled worker,
starts with all of it in memory shared copy-on-write. The database connections the master opened are
closed before it forks, so no worker inherits a socket.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

from . import registry

log = logging.getLogger(__name__)


def _urls() -> None:
    resolver = get_resolver()
    resolver.reverse_dict  # noqa: B018 - populates the resolver: imports every URLconf, view and API router


def _template_names() -> list[str]:
    names: set[str] = set()
    for engine in engines.all():
        dirs = list(getattr(engine, "template_dirs", ()))
        for d in dirs:
            root = Path(d)
            names.update(str(p.relative_to(root)) for p in root.rglob("*.html"))
    return sorted(names)


def _templates() -> None:
    for engine in engines.all():
        for name in _template_names():
            try:
                engine.get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError):  # another engine's template, or a partial of a partial
                continue


def _translations() -> None:
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Gongjian")


def steps() -> list[tuple[str, Callable[[], Any]]]:
    return [("urls", _urls), ("templates", _templates), ("translations", _translations),
            *((w.key, w.build) for w in registry.warmups())]


def warm() -> dict[str, float]:
    """Run every warm-up step; returns the seconds each took. A step that fails is logged, not fatal:
    the process then builds that piece on first use, as it would without warming."""
    took: dict[str, float] = {}
    for key, build in steps():
        started = time.perf_counter()
        try:
            build()
        except Exception:  # warming is an optimisation; the request path builds it again
            log.exception("warm-up step %s failed", key)
        took[key] = round(time.perf_counter() - started, 3)
    connections.close_all()
    # What is built now lives as long as the process: out of the collector's way (its full collections no longer walk
    # the dictionaries and indexes, a pause of tens of milliseconds in a request otherwise), and pages shared with the
    # forked workers stay shared (a collection writes to every object it visits).
    gc.collect()
    gc.freeze()
    log.info("warm: %s", ", ".join(f"{k} {v:.2f}s" for k, v in took.items()))
    return took
