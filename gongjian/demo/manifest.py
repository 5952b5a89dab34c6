"""The demo city's manifest: the steps that build the foundation (regions, organisations, members, accounts).

Each module's own steps are in its manifest; ``gongjian demo`` runs them all in order."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import Module

from .city import STEPS

MANIFEST = Module(key="demo", name=_("Demo"), order=1000, demo_steps=STEPS)
