"""The ``gongjian`` console command: every management task (``gongjian demo``, ``gongjian serve`` …)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    production = os.environ.get("GONGJIAN_PRODUCTION", "").lower() in {"1", "true", "yes", "on"}
    if len(argv) > 1 and argv[1] == "serve" and "--production" in argv:
        production = True
        os.environ["GONGJIAN_PRODUCTION"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production" if production else "config.settings.base")
    from django.core.management import execute_from_command_line

    argv[0] = "gongjian"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
