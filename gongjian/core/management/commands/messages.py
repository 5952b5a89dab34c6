"""``gongjian messages <app>[/<part>]``: refresh one catalog with exactly the strings its owner uses.

Django's ``makemessages`` run inside an app also walks its parts (decision 0009) and rewrites their
catalogs too. This command extracts one owner's strings into one catalog, keeping existing
translations:

* ``gongjian messages cobuild`` — the app's .py files and ``templates/cobuild/*.html``, without its parts;
* ``gongjian messages cobuild/projects`` — the part's .py files and ``templates/cobuild/projects/**``.

Then fill the new entries and run ``gongjian messages … --compile`` (needs gettext's ``msgfmt``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

PACKAGE = Path(__file__).resolve().parents[3]  # gongjian/
LANG = "zh_Hans"


def parts_of(app_dir: Path) -> set[str]:
    """Sub-packages of an app that own a catalog."""
    return {p.parent.parent.name for p in app_dir.glob(f"*/locale/{LANG}")}


def sources(owner: str) -> tuple[Path, list[Path], list[Path]]:
    """(catalog dir, python files, templates) of ``app`` or ``app/part``."""
    app, _, part = owner.partition("/")
    app_dir = PACKAGE / app
    if not (app_dir / "apps.py").exists() and app_dir != PACKAGE:
        raise CommandError(f"unknown app {app!r}")
    root = app_dir / part if part else app_dir
    if part and not (root / "__init__.py").exists():
        raise CommandError(f"unknown part {owner!r}")
    skip = set() if part else parts_of(app_dir)
    py = [f for f in root.rglob("*.py") if not {"locale", "tests", "migrations"} & set(f.relative_to(root).parts)
          and not (set(f.relative_to(root).parts[:1]) & skip)]
    tdir = app_dir / "templates" / app / part if part else app_dir / "templates" / app
    html = [f for f in tdir.rglob("*.html") if part or not (set(f.relative_to(tdir).parts[:1]) & skip)] if tdir.exists() else []
    return root / "locale", py, html


class Command(BaseCommand):
    help = "Refresh (or compile) the Chinese catalog of one app or one part of an app, and only that catalog."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("owner", help="app or app/part, e.g. cobuild or cobuild/projects")
        parser.add_argument("--compile", action="store_true", help="compile the catalog to .mo instead of extracting")

    def handle(self, *args: Any, owner: str, compile: bool = False, **options: Any) -> None:
        locale_dir, py, html = sources(owner.strip("/"))
        po = locale_dir / LANG / "LC_MESSAGES" / "django.po"
        if compile:
            if not po.exists():
                raise CommandError(f"{po} does not exist")
            subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)  # noqa: S603, S607 - fixed program, our own paths
            self.stdout.write(f"compiled {po.with_suffix('.mo')}")
            return
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            for n, f in enumerate(py + html):
                target = t / f"{n:05d}_{f.name}"
                shutil.copy(f, target)
            (t / "locale" / LANG / "LC_MESSAGES").mkdir(parents=True)
            if po.exists():
                shutil.copy(po, t / "locale" / LANG / "LC_MESSAGES" / "django.po")
            here = Path.cwd()
            try:
                import os

                os.chdir(t)
                call_command("makemessages", locale=[LANG], extensions=["html", "py"], no_location=True, verbosity=0)
            finally:
                os.chdir(here)
            out = t / "locale" / LANG / "LC_MESSAGES" / "django.po"
            if not out.exists():
                self.stdout.write("no strings found")
                return
            po.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(out, po)
        empty = sum(1 for block in po.read_text(encoding="utf-8").split("\n\n")[1:] if block.rstrip().endswith('msgstr ""') or "#, fuzzy" in block)
        self.stdout.write(f"wrote {po} ({empty} entries to translate)")
        if empty:
            sys.stdout.flush()
