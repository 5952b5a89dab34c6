"""``gongjian messages``: each catalog gets exactly its owner's strings (an app without its parts, a part with its templates)."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from gongjian.core.management.commands.messages import PACKAGE, parts_of, sources


def _rel(paths):
    return {str(p.relative_to(PACKAGE)) for p in paths}


def test_an_app_leaves_out_its_parts():
    assert {"projects", "suggestions", "partners"} <= parts_of(PACKAGE / "cobuild")
    locale, py, html = sources("cobuild")
    assert locale == PACKAGE / "cobuild" / "locale"
    py_, html_ = _rel(py), _rel(html)
    assert "cobuild/services.py" in py_ and "cobuild/views.py" in py_
    assert not any(p.startswith(("cobuild/projects/", "cobuild/partners/", "cobuild/suggestions/")) for p in py_)
    assert not any("/tests/" in p or "/migrations/" in p for p in py_)
    assert "cobuild/templates/cobuild/need_detail.html" in html_
    assert not any(p.startswith("cobuild/templates/cobuild/projects/") for p in html_)


def test_a_part_takes_its_code_and_its_templates():
    locale, py, html = sources("cobuild/projects")
    assert locale == PACKAGE / "cobuild" / "projects" / "locale"
    assert "cobuild/projects/views.py" in _rel(py)
    assert _rel(html) and all(p.startswith("cobuild/templates/cobuild/projects/") for p in _rel(html))


@pytest.mark.parametrize("owner", ["nosuchapp", "cobuild/nosuchpart", "../etc"])
def test_unknown_owners_are_refused(owner):
    with pytest.raises(CommandError):
        sources(owner)
