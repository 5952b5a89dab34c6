"""Every export a module registers points at a real page and names a registered permission."""

from __future__ import annotations

from django.urls import reverse

from gongjian.core import registry
from gongjian.core.permissions import is_registered


def test_every_registered_export_resolves_and_is_guarded():
    exports = [e for m in registry.modules() for e in m.exports]
    assert {"cobuild.projects", "cobuild.partnerships", "matters.matters", "meetings.meetings"} <= {e.key for e in exports}
    for e in exports:
        assert reverse(e.url_name).startswith("/"), e.key
        assert e.permission and is_registered(e.permission), e.key
    assert len({e.key for e in exports}) == len(exports)
