"""An import-linter contract of the house (issue #11, decision 0011): apps reach each other only through
their public surface.

``public_surface``: a module of one app may import from another app only the modules named in ``public``
(e.g. ``services``, ``selectors``, ``models``, ``choices``, ``permissions``), the app's or one of its parts'
(``cobuild.projects.services``), or a module inside such a package (``matters.services.escalation``).
Tests (``<app>.tests``) are left out: a test may set up any app's records. ``bin/test`` runs it with the
other contracts of ``pyproject.toml`` (``lint-imports``).
"""

from __future__ import annotations

from typing import Any

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _app(module: str, apps: set[str]) -> str | None:
    parts = module.split(".")
    name = ".".join(parts[:2])
    return name if name in apps else None


def _is_test(module: str) -> bool:
    return ".tests" in f".{module}." or module.endswith(".tests") or ".tests." in module


class PublicSurfaceContract(Contract):
    type_name = "public_surface"

    apps = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        apps: set[str] = set(self.apps)  # type: ignore[call-overload]
        public: set[str] = set(self.public)  # type: ignore[call-overload]
        broken = []
        for importer in sorted(graph.modules):
            src = _app(importer, apps)
            if src is None or _is_test(importer):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                dst = _app(imported, apps)
                if dst is None or dst == src:
                    continue
                rest = imported[len(dst) + 1:].split(".") if imported != dst else []
                # allowed: <app>.<public>[.*] or <app>.<part>.<public>[.*]
                ok = bool(rest) and (rest[0] in public or (len(rest) > 1 and rest[1] in public))
                if not ok:
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({d["line_number"] for d in details})
                    broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("An app imports another app's module that is not part of its public surface:", bold=False)
        output.new_line()
        for b in check.metadata["broken"]:
            output.print_error(f"- {b['importer']} -> {b['imported']} (l.{', '.join(map(str, b['lines']))})", bold=False)
        output.new_line()
