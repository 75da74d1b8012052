"""``python -m jalin_cli.migrate <service>``: a service's Alembic migrations to head, as its
start-up runs them (``ServiceRuntime.start``: ``upgrade(MIGRATIONS, settings.database_url)``),
with the service's own settings from the environment — the same variables, ``*_FILE`` secrets
and production refusals as ``python -m jalin_<service>``, so the job runs with the service's
environment and fails the same way.

The deployments run this before a replica of the new version serves: compose.yaml as a one-shot
job per service (``migrate-<service>``, which the service waits for), deploy/k8s as the init
container of each of the service's pods. A migration that fails stops the rollout with the old
replicas serving. The service migrates again at its start-up; on PostgreSQL runs take turns
under an advisory lock, and the later ones find nothing to do.

It first waits for the database to answer (``--wait``, 60 s by default, trying again with a
growing pause): on a first start PostgreSQL may still be making its roles and databases. If it
never answers, one JSON line says so (``migrations.failed``, the last error, the password
hidden) and the exit status is 1, without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
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


def _hidden(text: str, url: str) -> str:
    """``text`` without the database's password (a driver's message may repeat the URL)."""
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001 - an unreadable URL: the settings refuse it before this
        return text
    return text.replace(str(password), "***") if password else text


async def _answers(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    finally:
        await engine.dispose()


def wait_for_database(url: str, seconds: float, log: dict[str, str]) -> Exception | None:
    """Try to connect until the database answers or ``seconds`` have passed; the last error if
    it never answered. Each failed try is one line on stderr (``migrations.waiting``)."""
    deadline = time.monotonic() + seconds
    pause = 0.5
    while True:
        try:
            asyncio.run(asyncio.wait_for(_answers(url), timeout=10))
            return None
        except Exception as exc:  # noqa: BLE001 - refused, not yet there, starting up: try again
            left = deadline - time.monotonic()
            if left <= 0:
                return exc
            print(json.dumps({"event": "migrations.waiting", **log,
                              "error": _hidden(f"{type(exc).__name__}: {exc}", url)[:500],
                              "seconds_left": round(left, 1)}), file=sys.stderr, flush=True)
            time.sleep(min(pause, left))
            pause = min(pause * 2, 5.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jalin_cli.migrate",
                                     description="Run a service's migrations to head with its settings from the environment.")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                        help="how long to keep trying to reach the database before giving up (default 60)")
    args = parser.parse_args(argv)
    settings = load_settings(settings_class(args.service))  # exits with one line per problem
    folder = migrations_of(args.service)
    database = settings.public()["database_url"]  # the password hidden
    from jalin_kit.migrations import upgrade

    log = {"service": args.service, "database": database}
    started = time.monotonic()
    unreachable = wait_for_database(settings.database_url, max(args.wait, 0.0), log)
    if unreachable is not None:
        print(json.dumps({"event": "migrations.failed", **log,
                          "error": _hidden(f"the database did not answer within {args.wait:g} s: "
                                           f"{type(unreachable).__name__}: {unreachable}", settings.database_url)}),
              file=sys.stderr)
        return 1
    try:
        upgrade(folder, settings.database_url)
    except Exception as exc:  # noqa: BLE001 - one line for the job's log, then a non-zero exit
        print(json.dumps({"event": "migrations.failed", **log,
                          "error": _hidden(f"{type(exc).__name__}: {exc}", settings.database_url)}),
              file=sys.stderr)
        return 1
    print(json.dumps({"event": "migrations.applied", "service": args.service, "database": database,
                      "head": head_of(folder), "seconds": round(time.monotonic() - started, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
