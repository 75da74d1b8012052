"""The image's one-shot commands, run here as the containers run them:

- deploy/postgres/init-jalin.sh (the postgres container's first start) makes one login role and
  one database per service from the services' database-URL secrets, and can run again;
- ``python -m jalin_cli.migrate <service>`` (each migration job) brings that database to head as
  that role, with the service's production settings, secrets from files; a second run changes
  nothing; without a database it is refused, naming the setting, like the service itself; it
  waits for a database that is not there yet (PostgreSQL's first start) and, when it never
  comes, says so in one line without a traceback or the password;
- ``jalin stream apply`` (the stream job) creates JALIN as the streamer user, its password from a
  file; the operator's admin password cannot, and an error prints no password.

PostgreSQL from JALIN_TEST_DATABASE_URL (skipped without it, failed in CI), psql on PATH.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from jalin_dbs import create_pg_database, drop_pg_database, pg_admin_url, require_pg
from sqlalchemy.engine import make_url

from jalin_cli.bus import BusCredentials
from jalin_cli.migrate import migrations_of
from jalin_cli.platform import SERVICES, free_port

ROOT = Path(__file__).resolve().parents[2]
INIT = ROOT / "deploy" / "postgres" / "init-jalin.sh"


def production_env(service: str, secrets: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    prefix = f"JALIN_{service.upper()}_"
    env.update({
        "JALIN_ENVIRONMENT": "production",
        "JALIN_JWT_JWKS_URL": "https://sso.example.go.id/realms/jalin/protocol/openid-connect/certs",
        "JALIN_JWT_ISSUER": "https://sso.example.go.id/realms/jalin",
        "JALIN_JWT_ALGORITHMS": '["RS256"]',
        f"{prefix}NATS_USER": service,
        f"{prefix}NATS_PASSWORD_FILE": str(secrets / f"nats_{service}_password"),
        f"{prefix}DATABASE_URL_FILE": str(secrets / f"{service}_database_url"),
        "JALIN_DOCUMENTS_BLOB_STORE": "s3",
        "JALIN_DOCUMENTS_S3_BUCKET": "jalin-documents",
        "JALIN_NOTIFICATIONS_SMTP_HOST": "smtp.example.go.id",
    })
    return env


def migrate(service: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "jalin_cli.migrate", service], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_migrate_runs_the_folder_each_service_migrates_at_start() -> None:
    for service in SERVICES:
        assert migrations_of(service) == importlib.import_module(f"jalin_{service}.app").MIGRATIONS


def test_migrate_without_a_database_is_refused_naming_the_setting(tmp_path: Path) -> None:
    env = production_env("evaluation", tmp_path)
    env.pop("JALIN_EVALUATION_DATABASE_URL_FILE")
    (tmp_path / "nats_evaluation_password").write_text("j" + "0" * 30 + "\n")
    proc = migrate("evaluation", env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and err.startswith("jalin-evaluation cannot start:") and "JALIN_DATABASE_URL" in err
    assert "Traceback" not in err


def test_migrate_gives_up_on_a_database_that_never_answers_in_one_line(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    port = free_port()  # nothing listens there
    (secrets / "evaluation_database_url").write_text(f"postgresql+asyncpg://jalin_evaluation:jSecret0123456789@127.0.0.1:{port}/x")
    (secrets / "nats_evaluation_password").write_text("j" + "0" * 30)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "jalin_cli.migrate", "evaluation", "--wait", "2"],
                          env=production_env("evaluation", secrets), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and time.monotonic() - started >= 2
    lines = [json.loads(line) for line in proc.stderr.strip().splitlines()]
    assert [line["event"] for line in lines[:-1]] == ["migrations.waiting"] * (len(lines) - 1) and len(lines) >= 2
    assert lines[-1]["event"] == "migrations.failed" and "did not answer within 2 s" in lines[-1]["error"]
    assert "Traceback" not in proc.stderr and "jSecret0123456789" not in proc.stderr + proc.stdout


class LateListener:
    """A TCP port that starts forwarding to PostgreSQL only once ``opened`` is set: a database
    server still starting, as on a volume's first start."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.port = free_port()
        self.target = target
        self.opened = threading.Event()
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.opened.wait()
        if self.stopped.is_set():
            return
        with socket.create_server(("127.0.0.1", self.port)) as server:
            server.settimeout(0.2)
            while not self.stopped.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_migrate_waits_for_a_database_that_is_still_starting(tmp_path: Path) -> None:
    require_pg()
    url = asyncio.run(create_pg_database("jdwait"))
    real = make_url(url)
    late = LateListener((real.host or "127.0.0.1", real.port or 5432))
    try:
        secrets = tmp_path / "secrets"
        secrets.mkdir()
        (secrets / "evaluation_database_url").write_text(real.set(port=late.port).render_as_string(hide_password=False))
        (secrets / "nats_evaluation_password").write_text("j" + "0" * 30)
        proc = subprocess.Popen([sys.executable, "-m", "jalin_cli.migrate", "evaluation", "--wait", "60"],
                                env=production_env("evaluation", secrets), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        said = []
        for line in proc.stderr:  # the database answers once the job has said it waits for it
            said.append(line)
            if "migrations.waiting" in line:
                late.opened.set()
                break
        out, rest = proc.communicate(timeout=120)
        err = "".join(said) + rest
        assert proc.returncode == 0, err[-2000:]
        assert "migrations.waiting" in err and "Traceback" not in err
        assert json.loads(out.strip().splitlines()[-1])["event"] == "migrations.applied"
    finally:
        late.stopped.set()
        late.opened.set()
        asyncio.run(drop_pg_database(url))


def test_init_script_then_each_migration_job_as_its_own_role(tmp_path: Path) -> None:
    require_pg()
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    admin = make_url(pg_admin_url())
    run = uuid.uuid4().hex[:8]
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    names = {s: f"jd{run}_{s}" for s in SERVICES}
    for service, name in names.items():
        password = "j" + uuid.uuid4().hex
        url = f"postgresql+asyncpg://{name}:{password}@{admin.host}:{admin.port or 5432}/{name}"
        (secrets / f"{service}_database_url").write_text(url + "\n")
        (secrets / f"nats_{service}_password").write_text("j" + uuid.uuid4().hex + "\n")
    psql_env = {**os.environ, "PGHOST": admin.host or "127.0.0.1", "PGPORT": str(admin.port or 5432),
                "POSTGRES_USER": admin.username or "postgres", "POSTGRES_DB": admin.database or "postgres",
                "JALIN_SECRETS_DIR": str(secrets)}
    if admin.password:
        psql_env["PGPASSWORD"] = admin.password

    def psql(sql: str) -> str:
        return subprocess.run(["psql", "-tAX", "-U", psql_env["POSTGRES_USER"], "-d", psql_env["POSTGRES_DB"], "-c", sql],
                              env=psql_env, check=True, capture_output=True, text=True).stdout.strip()

    try:
        for _ in range(2):  # a second run changes nothing and fails on nothing
            done = subprocess.run(["sh", str(INIT)], env=psql_env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        for name in names.values():
            assert psql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'") == name
            assert psql(f"SELECT has_database_privilege('public', '{name}', 'CONNECT')") == "f"

        for again in (False, True):  # the second time (one service): nothing to do, nothing fails
            procs = {s: migrate(s, production_env(s, secrets)) for s in (["evaluation"] if again else SERVICES)}
            for service, proc in procs.items():
                out, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, (service, err[-2000:])
                line = json.loads(out.strip().splitlines()[-1])
                assert line["event"] == "migrations.applied" and line["service"] == service and line["head"]
                assert ":***@" in line["database"] and names[service] in line["database"]
        for service, name in names.items():
            owners = subprocess.run(
                ["psql", "-tAX", "-U", psql_env["POSTGRES_USER"], "-d", name, "-c",
                 "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"],
                env=psql_env, check=True, capture_output=True, text=True).stdout.split()
            assert owners == [name], (service, owners)  # the service's role made its tables
    finally:
        for name in names.values():
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            psql(f'DROP ROLE IF EXISTS "{name}"')


def test_a_database_url_the_init_script_cannot_read_is_refused(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "proposals_database_url").write_text("postgresql+asyncpg://jalin_proposals:p%40ss@postgres/jalin_proposals\n")
    done = subprocess.run(["sh", str(INIT)], env={**os.environ, "JALIN_SECRETS_DIR": str(secrets), "JALIN_SERVICES": "proposals",
                                                  "PGHOST": "127.0.0.1", "PGPORT": "1"},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "proposals_database_url must be" in done.stderr


# -- jalin stream apply: the stream job, as compose.yaml and deploy/k8s/stream-job.yaml run it -----

JALIN = Path(sys.executable).parent / "jalin"




def stream_apply(url: str, password_file: Path, tmp_path: Path, wait: str = "5") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    env.update({"JALIN_STREAM_REPLICAS": "1", "JALIN_DATA_DIR": str(tmp_path / "no-data")})
    return subprocess.run([str(JALIN), "stream", "apply", "--nats-url", url, "--password-file", str(password_file),
                           "--wait", wait], env=env, capture_output=True, text=True, timeout=120)


def test_the_stream_job_applies_jalin_as_streamer_from_a_password_file(locked_bus: tuple[BusCredentials, int],
                                                                       tmp_path: Path) -> None:
    creds, port = locked_bus
    secret = tmp_path / "nats_streamer_password"
    secret.write_text(creds.streamer)  # as make-secrets.sh writes it
    done = stream_apply(f"nats://127.0.0.1:{port}", secret, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["stream"] == "JALIN"
    # The operator's admin password cannot create or update it; the error does not print it.
    admin = tmp_path / "nats_admin_password"
    admin.write_text(creds.admin)
    done = stream_apply(f"nats://127.0.0.1:{port}", admin, tmp_path, wait="1")
    assert done.returncode != 0 and creds.admin not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_the_stream_job_takes_every_node_of_the_cluster(locked_bus: tuple[BusCredentials, int], tmp_path: Path) -> None:
    creds, port = locked_bus
    secret = tmp_path / "nats_streamer_password"
    secret.write_text(creds.streamer)
    done = stream_apply(f"nats://127.0.0.1:{free_port()},nats://127.0.0.1:{port}", secret, tmp_path)  # the first node down
    assert done.returncode == 0, done.stderr
