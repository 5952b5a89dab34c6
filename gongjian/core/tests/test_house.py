"""The rules of the house that a reader would otherwise have to remember (issue #11).

* every app and part that registers permission rules has a permission-matrix test (house rule 7);
* no module reaches into another app's private names (``_x``), by import or by attribute;
* a project module is imported inside a function only where decision 0011 says why (an import cycle).

The layers themselves (core imports no app; who may import whom) are import-linter contracts in
``pyproject.toml``, run by ``bin/test``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gongjian.core import registry

PACKAGE = Path(__file__).resolve().parents[2]  # gongjian/


def _rule_owners() -> list[tuple[str, Path]]:
    """(owner key, the test file its matrix must be in) for each app and part that registers rules."""
    out = []
    for m in registry.modules():
        app_dir = PACKAGE / m.app.removeprefix("gongjian.") if m.app else None
        if app_dir is None:
            continue
        if m.permissions:
            out.append((m.key, app_dir / "tests" / "test_permissions.py"))
        for part in m.parts:
            if part.permissions:
                name = part.key.split(".", 1)[1]
                out.append((part.key, app_dir / "tests" / f"test_{name}_permissions.py"))
    return out


def test_the_registry_names_the_rule_owners() -> None:
    owners = dict(_rule_owners())
    assert "core" in owners  # the figures and audit rules of core's own manifest


@pytest.mark.parametrize(("owner", "path"), _rule_owners(), ids=[o for o, _p in _rule_owners()])
def test_every_app_and_part_with_rules_has_a_permission_matrix_test(owner: str, path: Path) -> None:
    assert path.exists(), f"{owner} registers permission rules but has no permission-matrix test ({path.relative_to(PACKAGE.parent)})"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tests = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    assert tests and asserts, f"{path.name} has no test that asserts anything"


def _app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "gongjian" else ""


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    names = list(rel.parts)
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def _absolute(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = here.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


DJANGO_API = frozenset({"_meta", "_default_manager", "_base_manager", "_state", "_result_cache", "_prefetched_objects_cache"})


def _private(name: str) -> bool:
    """A private name of ours: ``_x``, but not a dunder nor Django's public underscore API (``Model._meta``)."""
    return name.startswith("_") and not name.startswith("__") and name not in DJANGO_API


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        here = _module_name(path)
        app = _app_of(here)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> project module it names
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(node, here, path.name == "__init__.py")
                if not source.startswith("gongjian."):
                    continue
                for a in node.names:
                    target = f"{source}.{a.name}"
                    aliases[a.asname or a.name] = target
                    if _private(a.name) and _app_of(source) != app:
                        found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {source}.{a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("gongjian.") and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
                named = aliases.get(node.value.id)
                if named and _app_of(named) not in ("", app):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} uses {named}.{node.attr}")
    return found


def test_no_module_uses_another_apps_private_names() -> None:
    assert _violations() == []


# Function-local imports of project modules, each for the reason decision 0011 gives (an import cycle).
LOCAL_IMPORTS_ALLOWED = {
    ("gongjian/core/permissions.py", "actor_roles"): "core.scope imports core.permissions",
    ("gongjian/cobuild/api.py", "_mount_parts"): "the parts' routers import the app's schemas from cobuild.api",
}


def test_project_modules_are_imported_inside_functions_only_for_a_recorded_reason() -> None:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                project = (isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("gongjian"))) or (
                    isinstance(node, ast.Import) and any(a.name.startswith("gongjian") for a in node.names))
                if project:
                    found.add((str(path.relative_to(PACKAGE.parent)), fn.name))
    assert found - set(LOCAL_IMPORTS_ALLOWED) == set()
