"""``python -m jalin_cli.migrate <service>``: a service's Alembic migrations to head, as its
start-up runs them (``ServiceRuntime.start``: ``upgrade(MIGRATIONS, settings.database_url)``),
with the service's own settings from the environment — the same variables, ``*_FILE`` secrets
and production refusals as ``python -m jalin_<service>``, so the job runs with the service's
environment and fails the same way.

The deployment's migration job (compose.yaml, deploy/k8s) runs this before any replica of the
new version starts: a migration that fails stops the rollout with the old replicas serving.
The service migrates again at its start-up; on PostgreSQL under an advisory lock, it then finds
nothing to do.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path

from jalin_kit.serve import load_settings
from jalin_kit.settings import ServiceSettings

from jalin_cli.bus import SERVICES


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"jalin_{service}.settings")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value.service_name == service:
            return value
    raise LookupError(f"no settings class in jalin_{service}.settings")


def migrations_of(service: str) -> Path:
    """``jalin_<service>.app.MIGRATIONS`` (the service's migrations/ beside its src/), found
    without importing the whole service (tests/deploy checks they are the same folder)."""
    spec = importlib.util.find_spec(f"jalin_{service}")
    if spec is None or spec.origin is None:
        raise LookupError(f"jalin_{service} is not installed")
    return Path(spec.origin).resolve().parents[2] / "migrations"


def head_of(folder: Path) -> str:
    from alembic.script import ScriptDirectory
    from jalin_kit.migrations import alembic_config

    return ",".join(ScriptDirectory.from_config(alembic_config(folder, "sqlite://")).get_heads())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jalin_cli.migrate",
                                     description="Run a service's migrations to head with its settings from the environment.")
    parser.add_argument("service", choices=SERVICES)
    args = parser.parse_args(argv)
    settings = load_settings(settings_class(args.service))  # exits with one line per problem
    folder = migrations_of(args.service)
    database = settings.public()["database_url"]  # the password hidden
    from jalin_kit.migrations import upgrade

    started = time.monotonic()
    try:
        upgrade(folder, settings.database_url)
    except Exception as exc:  # noqa: BLE001 - one line for the job's log, then a non-zero exit
        print(json.dumps({"event": "migrations.failed", "service": args.service,
                          "database": database, "error": f"{type(exc).__name__}: {exc}"}),
              file=sys.stderr)
        return 1
    print(json.dumps({"event": "migrations.applied", "service": args.service, "database": database,
                      "head": head_of(folder), "seconds": round(time.monotonic() - started, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
