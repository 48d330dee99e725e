"""``article-recs pg {up,down,status}``: the local PostgreSQL (scripts/pg.sh, the same script
``make pg-up`` and the test fixtures run). Settings come from ARTICLE_RECS_PG_PORT / _USER / _PASSWORD /
_DATABASE / _ROOT."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PROG = "article-recs pg"


def script_path() -> Path:
    from article_recs.dbt_runner import PROJECT_DIR

    return PROJECT_DIR / "scripts" / "pg.sh"


def pg_sh(action: str, *, check: bool = False, capture: bool = False) -> subprocess.CompletedProcess:
    """Run ``scripts/pg.sh <action>`` (up, down, status)."""
    return subprocess.run(
        ["bash", str(script_path()), action], check=check, capture_output=capture, text=True
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Start, stop or check the project's local PostgreSQL (data in .pg/, 127.0.0.1 only, port "
        "$ARTICLE_RECS_PG_PORT or 55432). As root the server runs as the postgres OS user."
    )
    parser.add_argument("action", choices=("up", "down", "status"))


def run(args: argparse.Namespace) -> int:
    script = script_path()
    if not script.exists():
        print(f"{PROG}: error: {script} not found (run from a checkout of the project)", file=sys.stderr)
        return 2
    return pg_sh(args.action).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
