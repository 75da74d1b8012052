"""The deployment files, checked without Docker or a cluster (seconds):

- every YAML file under deploy/ and compose.yaml parses;
- compose.yaml validates against the Compose Specification's schema (the copy check-jsonschema
  vendors), and has what Compose itself and this deployment need beyond the schema: an image or
  a build for each service, the four services without fixed names or host ports (so
  ``--scale documents=3`` works), each after its migration job and the stream job, with a
  healthcheck on /readyz; the console (the fifth deployable) likewise without a fixed name or
  host port, after the four services are healthy, on the default network only, with no database,
  bus or migration job; with deploy/docker/console-port.yaml, the console alone published on the
  host's loopback; three NATS nodes that name each other; every secret defined and written by
  deploy/docker/make-secrets.sh; and each service's and the console's environment, interpolated
  from .env.example, is one its production settings accept;
- the Kubernetes overlay is assembled as kustomize assembles it (``assemble`` below reads the
  simple form the base and overlay keep to: resources, namespace, images, and patches that merge
  maps; anything else is refused, not guessed), compared with ``kubectl kustomize`` when kubectl is
  installed, and every manifest validates against Kubernetes 1.31's schemas (strict); each
  service has its Deployment (readiness /readyz, liveness /healthz, memory and CPU; its
  migrations in an init container with the service's image, settings and secrets; no replica
  count where an autoscaler decides it), Service and PodDisruptionBudget, and so has the console
  (no init container, its secrets from the Secret jalin-console, an autoscaler, an Ingress in
  the overlay to its Service with TLS), no Secret is inlined,
  and the seed is a valid list of regions; the stream Job (deploy/k8s/stream-job.yaml) logs in
  as streamer with its password from a file;
- .env.example names every setting of every service and of the console;
- the Dockerfile's commands are the ones compose.yaml and the manifests run, with the uv that
  ./jalin pins.

Each check is shown refusing what it must (a service without image or build, a Deployment
without its selector, an unknown key, ...). Starting the containers is not done here.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from jalin_console.settings import ConsoleSettings
from jalin_kit.regions import region
from jalin_kit.tenants import TenantInfo

from jalin_cli.deploy_nats import NODE_PASSWORD_VARIABLES
from jalin_cli.migrate import settings_class
from jalin_cli.platform import DEFAULT_PORTS, SERVICES, nats_server_binary

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
MAKE_SECRETS = DEPLOY / "docker" / "make-secrets.sh"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
OVERLAY = DEPLOY / "k8s" / "overlays" / "production"
BASE = DEPLOY / "k8s" / "base"
K8S_VERSION = "1.31.0"
CONSOLE_PORT_OVERRIDE = DEPLOY / "docker" / "console-port.yaml"
# The fifth deployable: the officials' web application (no database, no bus, no migrations).
CONSOLE = "console"
CONSOLE_PORT = ConsoleSettings.default_port
CONSOLE_SECRETS = {"session_secret": "console_session_secret", "oidc_client_secret": "console_oidc_client_secret"}
COMPOSE_SCHEMA = Path(__import__("check_jsonschema").__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"


def load_yaml(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def test_every_yaml_file_parses() -> None:
    files = [COMPOSE, *sorted(DEPLOY.rglob("*.yaml")), *sorted(DEPLOY.rglob("*.yml"))]
    assert len(files) >= 10
    for path in files:
        assert load_yaml(path), f"{path} is empty"


# -- compose.yaml ----------------------------------------------------------------------------------

def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def schema_errors(doc: dict[str, Any]) -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def secret_files_written() -> set[str]:
    """The secret files deploy/docker/make-secrets.sh writes."""
    text = MAKE_SECRETS.read_text()
    services = re.search(r'services="([^"]+)"', text).group(1).split()  # type: ignore[union-attr]
    names = set()
    for name in re.findall(r"^\s*put\s+\"?([A-Za-z0-9_${}]+)\"?", text, flags=re.MULTILINE):
        if "${service}" in name:
            names |= {name.replace("${service}", s) for s in services}
        else:
            names.add(name)
    return names


def stream_job_problems(command: Any, urls: set[str], password_file: str) -> list[str]:
    """The one-shot job that applies JALIN: ``jalin stream apply`` on every node, as the streamer
    user with its password from a secret file, never in a URL or on the command line."""
    if not isinstance(command, list) or command[:3] != ["jalin", "stream", "apply"]:
        return ["stream: its command is not jalin stream apply (as a list)"]
    problems = []
    options = dict(zip(command[3::2], command[4::2], strict=False))
    if set(options.get("--nats-url", "").split(",")) != urls:
        problems.append("stream: --nats-url does not name every node")
    if options.get("--password-file") != password_file:
        problems.append(f"stream: --password-file is not {password_file}")
    if not options.get("--wait", "").isdigit():
        problems.append("stream: no --wait for the cluster to elect its leader")
    if any("@" in str(arg) or "$" in str(arg) for arg in command):
        problems.append("stream: a credential or a variable on its command line")
    return problems


BACKEND = "backend"


def networks_of(svc: dict[str, Any]) -> set[str]:
    networks = svc.get("networks")
    return {"default"} if networks is None else set(networks)


def network_problems(doc: dict[str, Any]) -> list[str]:
    """NATS, PostgreSQL and MinIO on an internal network of their own, which the default network
    (where the reverse proxy reaches the services) does not reach; the services on both."""
    problems = []
    backend = (doc.get("networks") or {}).get(BACKEND)
    if not isinstance(backend, dict) or backend.get("internal") is not True:
        problems.append(f"no internal network {BACKEND}")
    for name, svc in doc.get("services", {}).items():
        joined = networks_of(svc)
        if name.startswith("nats-") or name in ("postgres", "minio", "bucket", "stream") or name.startswith("migrate-"):
            want = {BACKEND}
        elif name in SERVICES:
            want = {"default", BACKEND}
        else:
            want = {"default"}  # the console (it needs no state), and mailpit: the dev profile's, on the front
        if joined != want:
            problems.append(f"{name}: on {sorted(joined)}, not {sorted(want)}")
    return problems


def console_problems(services: dict[str, Any]) -> list[str]:
    """The console: scalable (no fixed name or host port), started once the four services are
    healthy, on the default network only, and nothing of the state's: no database, no bus, no
    migration job; its secrets as files."""
    svc = services.get(CONSOLE)
    if svc is None:
        return [f"{CONSOLE}: missing"]
    problems = []
    if "container_name" in svc or "ports" in svc:
        problems.append(f"{CONSOLE}: a fixed container name or host port (it could not be scaled)")
    if svc.get("command") != ["python", "-m", "jalin_console"]:
        problems.append(f"{CONSOLE}: command is not python -m jalin_console")
    if f"{CONSOLE_PORT}/readyz" not in " ".join(svc.get("healthcheck", {}).get("test", [])):
        problems.append(f"{CONSOLE}: no healthcheck on /readyz")
    if svc.get("restart") not in ("always", "unless-stopped", "on-failure"):
        problems.append(f"{CONSOLE}: no restart policy")
    deps = svc.get("depends_on", {})
    for name in SERVICES:
        if deps.get(name, {}).get("condition") != "service_healthy":
            problems.append(f"{CONSOLE}: does not wait for {name} to be healthy")
    if f"migrate-{CONSOLE}" in services or any(d.startswith("migrate-") or d == "stream" for d in deps):
        problems.append(f"{CONSOLE}: a migration or stream job (it has no database and no bus)")
    env = svc.get("environment", {})
    for name in SERVICES:
        if env.get(f"JALIN_CONSOLE_{name.upper()}_URL") != f"http://{name}:{DEFAULT_PORTS[name]}":
            problems.append(f"{CONSOLE}: does not reach {name} at http://{name}:{DEFAULT_PORTS[name]}")
    if any("NATS" in k or "DATABASE" in k for k in env):
        problems.append(f"{CONSOLE}: a bus or database setting")
    secrets = {s if isinstance(s, str) else s.get("source") for s in svc.get("secrets", [])}
    if secrets != set(CONSOLE_SECRETS.values()):
        problems.append(f"{CONSOLE}: its secrets are not {sorted(CONSOLE_SECRETS.values())}")
    for field, secret in CONSOLE_SECRETS.items():
        if env.get(f"JALIN_CONSOLE_{field.upper()}_FILE") != f"/run/secrets/{secret}":
            problems.append(f"{CONSOLE}: JALIN_CONSOLE_{field.upper()}_FILE is not its secret {secret}")
    if svc.get("read_only") is not True:
        problems.append(f"{CONSOLE}: a writable file system")
    return problems


def compose_problems(doc: dict[str, Any]) -> list[str]:
    """What Compose refuses beyond its schema, and what this deployment needs."""
    problems = []
    services = doc.get("services", {})
    for name, svc in services.items():
        if "image" not in svc and "build" not in svc:
            problems.append(f"{name}: neither image nor build")
        for secret in svc.get("secrets", []):
            secret = secret if isinstance(secret, str) else secret["source"]
            if secret not in doc.get("secrets", {}):
                problems.append(f"{name}: secret {secret} is not defined")
        for config in svc.get("configs", []):
            config = config if isinstance(config, str) else config["source"]
            if config not in doc.get("configs", {}):
                problems.append(f"{name}: config {config} is not defined")
        for dep in svc.get("depends_on", {}):
            if dep not in services:
                problems.append(f"{name}: depends on {dep}, which is not a service")
    for name in SERVICES:
        svc = services.get(name)
        if svc is None:
            problems.append(f"{name}: missing")
            continue
        if "container_name" in svc or "ports" in svc:
            problems.append(f"{name}: a fixed container name or host port (it could not be scaled)")
        if svc.get("command") != ["python", "-m", f"jalin_{name}"]:
            problems.append(f"{name}: command is not python -m jalin_{name}")
        if f"{DEFAULT_PORTS[name]}/readyz" not in " ".join(svc.get("healthcheck", {}).get("test", [])):
            problems.append(f"{name}: no healthcheck on /readyz")
        if svc.get("restart") not in ("always", "unless-stopped", "on-failure"):
            problems.append(f"{name}: no restart policy")
        deps = svc.get("depends_on", {})
        for job in (f"migrate-{name}", "stream"):
            if deps.get(job, {}).get("condition") != "service_completed_successfully":
                problems.append(f"{name}: does not wait for {job} to complete")
        migrate = services.get(f"migrate-{name}", {})
        if migrate.get("command") != ["python", "-m", "jalin_cli.migrate", name]:
            problems.append(f"migrate-{name}: command is not python -m jalin_cli.migrate {name}")
        if migrate.get("environment") != svc.get("environment"):
            problems.append(f"migrate-{name}: not the service's environment")
    problems += console_problems(services)
    nodes = {n: s for n, s in services.items() if n.startswith("nats-")}
    if len(nodes) != 3:
        problems.append(f"{len(nodes)} NATS nodes, not 3")
    names = {s.get("environment", {}).get("JALIN_NATS_SERVER_NAME") for s in nodes.values()}
    if names != set(nodes):
        problems.append("the NATS nodes' server names are not their service names")
    for node, svc in nodes.items():
        env = svc.get("environment", {})
        routes = json.loads(env.get("JALIN_NATS_ROUTES", "[]"))
        if sorted(routes) != sorted(f"nats://{n}:{env.get('JALIN_NATS_CLUSTER_PORT')}" for n in nodes):
            problems.append(f"{node}: its routes are not the three nodes")
        for variable in NODE_PASSWORD_VARIABLES.values():
            if f"{variable}_FILE" not in env:
                problems.append(f"{node}: no {variable}_FILE")
        if "@" in env.get("JALIN_NATS_ROUTES", ""):
            problems.append(f"{node}: a credential in its routes (the entrypoint adds it from the secret file)")
        if not str(env.get("JALIN_NATS_HTTP", "")).startswith("127.0.0.1:"):
            problems.append(f"{node}: monitoring beyond the node's loopback")
        if "nats" not in (svc.get("networks") or {}).get(BACKEND, {}).get("aliases", []):
            problems.append(f"{node}: not reachable as nats")
        health = svc.get("healthcheck", {}).get("test", [])
        if not health or not str(health[-1]).endswith(":8222/healthz"):
            problems.append(f"{node}: healthy before JetStream is usable (plain /healthz: a meta leader, the node current)")
    urls = {f"nats://{n}:{s.get('environment', {}).get('JALIN_NATS_PORT')}" for n, s in nodes.items()}
    for name in SERVICES:
        if set(services.get(name, {}).get("environment", {}).get("JALIN_NATS_URL", "").split(",")) != urls:
            problems.append(f"{name}: JALIN_NATS_URL does not list the three nodes")
    stream = services.get("stream", {})
    if stream.get("environment", {}).get("JALIN_STREAM_REPLICAS") != "3":
        problems.append("stream: JALIN is not created with 3 replicas")
    problems += stream_job_problems(stream.get("command"), urls, "/run/secrets/nats_streamer_password")
    if [s if isinstance(s, str) else s.get("source") for s in stream.get("secrets", [])] != ["nats_streamer_password"]:
        problems.append("stream: reads other secrets than the streamer's password")
    if "dev" not in services.get("mailpit", {}).get("profiles", []):
        problems.append("mailpit: not in the dev profile")
    problems += network_problems(doc)
    pg_health = services.get("postgres", {}).get("healthcheck", {}).get("test", [])
    if "pg_isready" not in pg_health or pg_health[pg_health.index("pg_isready") + 1:][:2] != ["-h", "127.0.0.1"]:
        problems.append("postgres: healthy on the Unix socket, which the first start's init server also answers")
    written = secret_files_written()
    for secret, spec in doc.get("secrets", {}).items():
        if Path(spec.get("file", "")).name not in written:
            problems.append(f"secret {secret}: make-secrets.sh does not write {spec.get('file')}")
    return problems


def test_compose_validates_against_the_compose_specification() -> None:
    doc = compose()
    assert schema_errors(doc) == []
    assert compose_problems(doc) == []


def test_compose_checks_refuse_what_compose_would() -> None:
    doc = compose()
    broken = copy.deepcopy(doc)
    del broken["services"]["documents"]["image"], broken["services"]["documents"]["build"]
    assert "documents: neither image nor build" in compose_problems(broken)

    broken = copy.deepcopy(doc)
    broken["services"]["documents"]["healthchek"] = broken["services"]["documents"].pop("healthcheck")
    assert schema_errors(broken)

    broken = copy.deepcopy(doc)
    broken["services"]["documents"]["depends_on"]["migrate-documents"]["condition"] = "service_finished"
    assert schema_errors(broken)

    broken = copy.deepcopy(doc)
    broken["services"]["documents"]["ports"] = ["8102:8102"]
    broken["services"]["proposals"]["depends_on"].pop("migrate-proposals")
    broken["services"]["nats-3"]["environment"]["JALIN_NATS_SERVER_NAME"] = "nats-1"
    problems = compose_problems(broken)
    assert any(p.startswith("documents: a fixed container name or host port") for p in problems)
    assert "proposals: does not wait for migrate-proposals to complete" in problems
    assert "the NATS nodes' server names are not their service names" in problems

    broken = copy.deepcopy(doc)
    console = broken["services"]["console"]
    console["ports"] = ["8100:8100"]
    console["depends_on"]["documents"]["condition"] = "service_started"
    console["networks"] = ["default", "backend"]
    console["environment"] = {**console["environment"], "JALIN_CONSOLE_PROPOSALS_URL": "http://127.0.0.1:8101"}
    console["secrets"] = ["console_session_secret", "nats_proposals_password"]
    problems = compose_problems(broken)
    assert {"console: a fixed container name or host port (it could not be scaled)",
            "console: does not wait for documents to be healthy", "console: on ['backend', 'default'], not ['default']",
            "console: does not reach proposals at http://proposals:8101",
            "console: its secrets are not ['console_oidc_client_secret', 'console_session_secret']"} <= set(problems)
    del broken["services"]["console"]
    assert "console: missing" in compose_problems(broken)

    broken = copy.deepcopy(doc)
    del broken["services"]["postgres"]["networks"]
    broken["services"]["nats-2"]["networks"] = {"default": {"aliases": ["nats"]}}
    broken["services"]["nats-1"]["environment"]["JALIN_NATS_ROUTES"] = '["nats://route:x@nats-1:6222"]'
    del broken["networks"]["backend"]["internal"]
    problems = compose_problems(broken)
    broken["services"]["postgres"]["healthcheck"]["test"] = ["CMD", "pg_isready", "--username", "postgres"]
    broken["services"]["nats-3"]["healthcheck"] = {"test": ["CMD", "wget", "http://127.0.0.1:8222/healthz?js-enabled-only=true"]}
    problems = compose_problems(broken)
    assert "postgres: healthy on the Unix socket, which the first start's init server also answers" in problems
    assert "nats-3: healthy before JetStream is usable (plain /healthz: a meta leader, the node current)" in problems
    assert {"postgres: on ['default'], not ['backend']", "nats-2: on ['default'], not ['backend']", "nats-2: not reachable as nats",
            "nats-1: a credential in its routes (the entrypoint adds it from the secret file)",
            "no internal network backend"} <= set(problems)

    broken = copy.deepcopy(doc)
    stream = broken["services"]["stream"]
    stream["command"] = ["sh", "-c", 'exec jalin stream apply --nats-url "nats://admin:$$(cat /run/secrets/nats_admin_password)@nats:4222"']
    stream["secrets"] = ["nats_admin_password"]
    problems = compose_problems(broken)
    assert "stream: its command is not jalin stream apply (as a list)" in problems
    assert "stream: reads other secrets than the streamer's password" in problems
    stream["command"] = ["jalin", "stream", "apply", "--nats-url", "nats://streamer:x@nats-1:4222", "--password-file", "/x"]
    problems = compose_problems(broken)
    assert {"stream: --nats-url does not name every node", "stream: --password-file is not /run/secrets/nats_streamer_password",
            "stream: no --wait for the cluster to elect its leader", "stream: a credential or a variable on its command line"} <= set(problems)


# -- compose.yaml's environment, interpolated, is what the services accept in production ----------

def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        m = re.match(r"^(JALIN_[A-Z0-9_]+)=(.*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z0-9_]+)(?::?([-?])((?:[^{}]|\{[^}]*\})*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, kind, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if kind == "?":
            raise KeyError(f"{name}: {arg}")
        return interpolate(arg, env) if arg else ""  # a default may name another variable
    return _INTERPOLATION.sub(one, value)


REQUIRED = {  # what .env.example leaves empty and compose.yaml refuses to start without: an operator's values
    "JALIN_JWT_JWKS_URL": "https://sso.jalin.example.go.id/realms/jalin/protocol/openid-connect/certs",
    "JALIN_JWT_ISSUER": "https://sso.jalin.example.go.id/realms/jalin",
    "JALIN_NOTIFICATIONS_SMTP_HOST": "smtp.jalin.example.go.id",
    "JALIN_CONSOLE_PUBLIC_URL": "https://jalin.example.go.id",
}


def service_env(environment: dict[str, str], secrets: Path, **overrides: str) -> dict[str, str]:
    env = {**env_example(), **overrides}
    out = {k: interpolate(str(v), env) for k, v in environment.items()}
    return {k: v.replace("/run/secrets/", f"{secrets}/") for k, v in out.items()}


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("secrets") / "secrets"
    subprocess.run(["sh", str(MAKE_SECRETS), str(folder)], check=True, capture_output=True)
    return folder


def accepted(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in [k for k in os.environ if k.startswith("JALIN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings_class(service)()


def test_each_service_accepts_its_compose_environment_in_production(secrets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    for name in SERVICES:
        with monkeypatch.context() as m:
            settings = accepted(name, service_env(services[name]["environment"], secrets_dir, **REQUIRED), m)
        assert settings.environment == "production" and settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.nats_user == name and settings.nats_password == (secrets_dir / f"nats_{name}_password").read_text().strip()
        assert settings.jwt_jwks_url and settings.nats_servers() == [f"nats://{n}:4222" for n in ("nats-1", "nats-2", "nats-3")]
        # Each *_FILE of compose.yaml is a secret the service reads from a file.
        prefix = f"JALIN_{name.upper()}_"
        for variable in services[name]["environment"]:
            if variable.endswith("_FILE"):
                assert variable.startswith(prefix) and variable.removeprefix(prefix).removesuffix("_FILE").lower() \
                    in settings_class(name).secret_fields, variable
    documents = services["documents"]["environment"]
    with monkeypatch.context() as m:
        settings = accepted("documents", service_env(documents, secrets_dir, **REQUIRED), m)
    assert settings.blob_store == "s3" and settings.s3_endpoint_url == "http://minio:9000"


def test_the_console_accepts_its_compose_environment_in_production(secrets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = compose()["services"][CONSOLE]["environment"]
    with monkeypatch.context() as m:
        settings = accepted_console(service_env(environment, secrets_dir, **REQUIRED), m)
    assert settings.production and settings.port == CONSOLE_PORT
    assert settings.public_url == REQUIRED["JALIN_CONSOLE_PUBLIC_URL"]
    # The provider the services trust, unless said otherwise; the client registered there.
    assert settings.oidc_issuer == REQUIRED["JALIN_JWT_ISSUER"] and settings.oidc_client_id == "jalin-console"
    for field, secret in CONSOLE_SECRETS.items():
        assert getattr(settings, field) == (secrets_dir / secret).read_text()
    assert settings.jwt_secret is None and len(settings.session_key()) >= 32
    assert {name: settings.service_url(name) for name in SERVICES} == {
        name: f"http://{name}:{DEFAULT_PORTS[name]}" for name in SERVICES}
    assert settings.max_upload_bytes == 20 * 1024 * 1024  # the documents service's limit
    with monkeypatch.context() as m:
        settings = accepted_console(service_env(environment, secrets_dir, **REQUIRED, JALIN_CONSOLE_OIDC_ISSUER="https://idp.example",
                                                JALIN_DOCUMENTS_MAX_UPLOAD_BYTES="1000"), m)
    assert settings.oidc_issuer == "https://idp.example" and settings.max_upload_bytes == 1000
    # Each *_FILE is a secret the console reads from a file.
    for variable in environment:
        if variable.endswith("_FILE"):
            assert variable.removeprefix("JALIN_CONSOLE_").removesuffix("_FILE").lower() in ConsoleSettings.secret_fields
    # And production refuses it over plain HTTP.
    with monkeypatch.context() as m, pytest.raises(ValueError, match="JALIN_CONSOLE_PUBLIC_URL"):
        accepted_console(service_env(environment, secrets_dir, **{**REQUIRED, "JALIN_CONSOLE_PUBLIC_URL": "http://jalin.example"}), m)


def accepted_console(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> ConsoleSettings:
    for name in [k for k in os.environ if k.startswith("JALIN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return ConsoleSettings()


def test_the_console_port_override_publishes_the_console_alone_on_the_loopback() -> None:
    override = yaml.safe_load(CONSOLE_PORT_OVERRIDE.read_text())
    assert set(override) == {"services"} and set(override["services"]) == {CONSOLE}
    merged = compose()
    merged["services"][CONSOLE] = {**merged["services"][CONSOLE], **override["services"][CONSOLE]}
    assert schema_errors(merged) == []
    problems = compose_problems(merged)
    assert problems == ["console: a fixed container name or host port (it could not be scaled)"]  # by design, and only it
    ports = [interpolate(p, env_example()) for p in merged["services"][CONSOLE]["ports"]]
    assert ports == [f"127.0.0.1:{CONSOLE_PORT}:{CONSOLE_PORT}"]
    assert not any("ports" in svc for name, svc in merged["services"].items() if name not in (CONSOLE, "mailpit"))


def test_compose_refuses_to_start_without_the_identity_provider_the_mail_relay_or_the_consoles_address(
        secrets_dir: Path) -> None:
    services = compose()["services"]
    for variable in REQUIRED:
        given = {k: v for k, v in REQUIRED.items() if k != variable}
        users = [name for name, svc in services.items() if variable in json.dumps(svc.get("environment", {}))]
        assert users, variable
        for name in users:
            with pytest.raises(KeyError, match=variable):
                service_env(services[name]["environment"], secrets_dir, **given)
    notifications = service_env(services["notifications"]["environment"], secrets_dir, **REQUIRED)
    assert notifications["JALIN_NOTIFICATIONS_SMTP_HOST"] == REQUIRED["JALIN_NOTIFICATIONS_SMTP_HOST"]
    # No default at all (it was the dev profile's Mailpit, which delivers nothing).
    assert services["notifications"]["environment"]["JALIN_NOTIFICATIONS_SMTP_HOST"].startswith("${JALIN_NOTIFICATIONS_SMTP_HOST:?")


def test_env_example_fills_in_nothing_that_would_pass_and_keeps_the_operators_token_out() -> None:
    values = env_example()
    assert all(values.get(variable) == "" for variable in REQUIRED), {v: values.get(v) for v in REQUIRED}
    # .env reaches every container (env_file): the operator's token belongs in the operator's shell.
    assert not re.search(r"^#?\s*JALIN_OPERATOR_TOKEN=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    assert all(spec == [{"path": ".env", "required": False}] for spec in
               (svc.get("env_file") for svc in compose()["services"].values() if "env_file" in svc))


def test_env_example_names_every_setting() -> None:
    text = ENV_EXAMPLE.read_text()
    named = set(re.findall(r"^#?(JALIN_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    missing = []
    for service in SERVICES:
        cls = settings_class(service)
        for field in cls.model_fields:
            suffix = field.upper() + ("_FILE" if field in cls.secret_fields else "")
            candidates = {f"JALIN_{suffix}", *(f"JALIN_{s.upper()}_{suffix}" for s in SERVICES)}
            if not candidates & named:  # shared, or shown for one service (the others alike)
                missing.append(f"JALIN_{suffix}")
    for field in ConsoleSettings.model_fields:  # shared, or the console's own
        suffix = field.upper() + ("_FILE" if field in ConsoleSettings.secret_fields else "")
        if not {f"JALIN_{suffix}", f"JALIN_CONSOLE_{suffix}"} & named:
            missing.append(f"JALIN_CONSOLE_{suffix}")
    assert missing == []
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text() + CONSOLE_PORT_OVERRIDE.read_text()))
    assert {v for v in used if not re.search(rf"^#?{v}=", text, flags=re.MULTILINE)} == set()


# -- Kubernetes --------------------------------------------------------------------------------------

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}


def _merge(target: Any, patch: Any, where: str) -> Any:
    """A strategic-merge patch of maps only (a list in a patch would need the merge keys of its
    type, which this reader does not know: refused)."""
    if isinstance(patch, dict) and isinstance(target, dict):
        for key, value in patch.items():
            target[key] = _merge(target.get(key), value, f"{where}/{key}") if key in target else value
            if isinstance(value, list):
                raise ValueError(f"{where}/{key}: a list in a patch is beyond this reader")
        return target
    return patch


def assemble(folder: Path) -> list[dict[str, Any]]:
    """``kustomize build`` of the simple form: resources (files, or folders with their own
    kustomization.yaml), then patches (strategic merge of maps), images and namespace."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    known = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
    if set(kustomization) - known:
        raise ValueError(f"{folder}: {sorted(set(kustomization) - known)} are beyond this reader")
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = folder / resource
        docs += assemble(path) if path.is_dir() else load_yaml(path)
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise ValueError(f"{folder}: only patches given by a file are read here")
        body = yaml.safe_load((folder / patch["path"]).read_text())
        targets = [d for d in docs if d["kind"] == body["kind"] and d["metadata"]["name"] == body["metadata"]["name"]]
        if len(targets) != 1:
            raise ValueError(f"{patch['path']}: {len(targets)} resources match")
        _merge(targets[0], {k: v for k, v in body.items() if k not in ("apiVersion", "kind", "metadata")}, patch["path"])
    for image in kustomization.get("images", []):
        for doc in docs:
            pod = doc.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    return docs


def by_key(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in out, f"{key} twice"
        out[key] = doc
    return out


def k8s_problems(docs: list[dict[str, Any]], version: str = K8S_VERSION) -> list[str]:
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except Exception as exc:  # noqa: BLE001 - the validator's error names the place
            problems.append(f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}: {type(exc).__name__}: {exc}"[:400])
    found = by_key(docs)
    for service in SERVICES:
        name = f"jalin-{service}"
        deployment = found.get(("Deployment", name))
        if deployment is None:
            problems.append(f"{name}: no Deployment")
            continue
        for kind in ("Service", "PodDisruptionBudget"):
            if (kind, name) not in found:
                problems.append(f"{name}: no {kind}")
        pod = deployment["spec"]["template"]["spec"]
        init = next((i for i in pod.get("initContainers", []) if i.get("command") == [
            "python", "-m", "jalin_cli.migrate", service]), None)
        if init is None:
            problems.append(f"{name}: no migration init container")
        c = pod["containers"][0]
        if c.get("command") != ["python", "-m", f"jalin_{service}"]:
            problems.append(f"{name}: command is not python -m jalin_{service}")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            problems.append(f"{name}: readiness is not /readyz")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            problems.append(f"{name}: liveness is not /healthz")
        resources = c.get("resources", {})
        if not (resources.get("requests", {}).get("memory") and resources.get("requests", {}).get("cpu")
                and resources.get("limits", {}).get("memory") == "192Mi"):
            problems.append(f"{name}: memory and CPU requests, a 192Mi memory limit")
        if init is not None:
            if (init.get("env"), init.get("envFrom"), init.get("image")) != (c.get("env"), c.get("envFrom"), c.get("image")):
                problems.append(f"{name}: the migration init container has not the service's image and settings")
            mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
            if any(mounts.get(m["name"]) != m["mountPath"] for m in init.get("volumeMounts", [])) \
                    or "secrets" not in {m["name"] for m in init.get("volumeMounts", [])}:
                problems.append(f"{name}: the migration init container has not the service's secrets")
    problems += k8s_console_problems(found)
    for service in ("documents", "notifications", CONSOLE):
        hpa = found.get(("HorizontalPodAutoscaler", f"jalin-{service}"))
        if hpa is None or ("Deployment", hpa["spec"]["scaleTargetRef"]["name"]) not in found:
            problems.append(f"jalin-{service}: no HorizontalPodAutoscaler")
    for doc in docs:  # an apply would set the count back under the autoscaler at every release
        if doc["kind"] == "HorizontalPodAutoscaler":
            target = found.get(("Deployment", doc["spec"]["scaleTargetRef"]["name"]))
            if target is not None and "replicas" in target["spec"]:
                problems.append(f"{target['metadata']['name']}: replicas set, but its HorizontalPodAutoscaler decides them")
    if any(doc["kind"] == "Job" for doc in docs):
        problems.append("a Job in the manifests (migrations run in each pod's init container)")
    if any(doc["kind"] == "Secret" for doc in docs):
        problems.append("a Secret is inlined")
    for doc in docs:
        for ref in re.findall(r"'configMapRef': \{'name': '([^']+)'|'configMap': \{'name': '([^']+)'", str(doc)):
            name = ref[0] or ref[1]
            if ("ConfigMap", name) not in found:
                problems.append(f"{doc['metadata']['name']}: ConfigMap {name} is not in the manifests")
    return problems


def k8s_console_problems(found: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """The console's Deployment, Service and PodDisruptionBudget: no init container (no
    migrations), no bus or database, its secrets from the Secret jalin-console as files, the
    services reached through their Services, and the restricted Pod Security of the others."""
    name = f"jalin-{CONSOLE}"
    deployment = found.get(("Deployment", name))
    if deployment is None:
        return [f"{name}: no Deployment"]
    problems = [f"{name}: no {kind}" for kind in ("Service", "PodDisruptionBudget") if (kind, name) not in found]
    pod = deployment["spec"]["template"]["spec"]
    if pod.get("initContainers"):
        problems.append(f"{name}: an init container (it has no migrations)")
    c = pod["containers"][0]
    if c.get("command") != ["python", "-m", "jalin_console"]:
        problems.append(f"{name}: command is not python -m jalin_console")
    if c.get("ports", [{}])[0].get("containerPort") != CONSOLE_PORT:
        problems.append(f"{name}: not on port {CONSOLE_PORT}")
    if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
        problems.append(f"{name}: readiness is not /readyz")
    if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
        problems.append(f"{name}: liveness is not /healthz")
    resources = c.get("resources", {})
    if not (resources.get("requests", {}).get("memory") and resources.get("requests", {}).get("cpu")
            and resources.get("limits", {}).get("memory")):
        problems.append(f"{name}: memory and CPU requests, a memory limit")
    if c.get("securityContext") != {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}} \
            or not pod.get("securityContext", {}).get("runAsNonRoot") or pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: not the services' security context")
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    if any("NATS" in k or "DATABASE" in k for k in env):
        problems.append(f"{name}: a bus or database setting")
    for service in SERVICES:
        if env.get(f"JALIN_CONSOLE_{service.upper()}_URL") != f"http://jalin-{service}:{DEFAULT_PORTS[service]}":
            problems.append(f"{name}: does not reach {service} through its Service")
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    volume = next((v for v in pod.get("volumes", []) if v["name"] == "secrets"), {})
    items = {i["key"]: i["path"] for source in volume.get("projected", {}).get("sources", [])
             if source.get("secret", {}).get("name") == name for i in source["secret"].get("items", [])}
    for field in CONSOLE_SECRETS:
        key = field.replace("_", "-")
        if env.get(f"JALIN_CONSOLE_{field.upper()}_FILE") != f"{mounts.get('secrets')}/{items.get(key)}":
            problems.append(f"{name}: JALIN_CONSOLE_{field.upper()}_FILE is not the key {key} of the Secret {name}")
    return problems


@pytest.fixture(scope="module")
def overlay() -> list[dict[str, Any]]:
    return assemble(OVERLAY)


def test_the_production_overlay_validates(overlay: list[dict[str, Any]]) -> None:
    assert k8s_problems(overlay) == []
    found = by_key(overlay)
    assert ("Namespace", "jalin") in found and all(
        d["metadata"].get("namespace") == "jalin" for d in overlay if d["kind"] != "Namespace")
    assert found[("Deployment", "jalin-proposals")]["spec"]["replicas"] == 3
    images = {c["image"] for d in overlay for key in ("containers", "initContainers")
              for c in d.get("spec", {}).get("template", {}).get("spec", {}).get(key, [])}
    assert images == {"registry.example.go.id/jalin/jalin:0.1.0"}
    assert k8s_problems(assemble(BASE)) == []
    # Officials reach the console through the overlay's Ingress, over TLS, at its public URL; the
    # services' APIs have none.
    ingresses = [d for d in overlay if d["kind"] == "Ingress"]
    assert [i["metadata"]["name"] for i in ingresses] == ["jalin-console"]
    spec = ingresses[0]["spec"]
    host = found[("ConfigMap", "jalin-settings")]["data"]["JALIN_CONSOLE_PUBLIC_URL"].removeprefix("https://")
    assert [r["host"] for r in spec["rules"]] == [host] and spec["tls"][0]["hosts"] == [host] and spec["tls"][0]["secretName"]
    backend = spec["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "jalin-console" and ("Service", backend["name"]) in found


@pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                    reason="neither kubectl nor kustomize is installed")
def test_the_assembly_is_what_kustomize_builds(overlay: list[dict[str, Any]]) -> None:
    command = ["kubectl", "kustomize"] if shutil.which("kubectl") else ["kustomize", "build"]
    out = subprocess.run([*command, str(OVERLAY)], check=True, capture_output=True, text=True, timeout=60).stdout
    assert by_key(load_yaml_text(out)) == by_key(overlay)


def load_yaml_text(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_the_kubernetes_checks_refuse_a_broken_manifest(overlay: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(overlay)
    deployment = next(d for d in broken if d["kind"] == "Deployment" and d["metadata"]["name"] == "jalin-documents")
    del deployment["spec"]["selector"]
    assert any("Deployment/jalin-documents" in p and "selector" in p for p in k8s_problems(broken))

    broken = copy.deepcopy(overlay)
    deployment = next(d for d in broken if d["kind"] == "Deployment" and d["metadata"]["name"] == "jalin-evaluation")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/healthz"
    deployment["spec"]["template"]["spec"]["containers"][0]["resourcez"] = {}
    problems = k8s_problems(broken)
    assert "jalin-evaluation: readiness is not /readyz" in problems
    assert any("resourcez" in p for p in problems)  # strict: an unknown field

    broken = copy.deepcopy(overlay) + [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {}}]
    assert "a Secret is inlined" in k8s_problems(broken)

    broken = copy.deepcopy(overlay)
    documents = next(d for d in broken if d["kind"] == "Deployment" and d["metadata"]["name"] == "jalin-documents")
    documents["spec"]["replicas"] = 2
    documents["spec"]["template"]["spec"]["initContainers"][0]["env"] = []
    proposals = next(d for d in broken if d["kind"] == "Deployment" and d["metadata"]["name"] == "jalin-proposals")
    del proposals["spec"]["template"]["spec"]["initContainers"]
    problems = k8s_problems(broken)
    assert "jalin-documents: replicas set, but its HorizontalPodAutoscaler decides them" in problems
    assert "jalin-documents: the migration init container has not the service's image and settings" in problems
    assert "jalin-proposals: no migration init container" in problems
    broken = [d for d in copy.deepcopy(overlay) if d["kind"] != "PodDisruptionBudget"]
    assert "jalin-proposals: no PodDisruptionBudget" in k8s_problems(broken)

    broken = copy.deepcopy(overlay)
    console = next(d for d in broken if d["kind"] == "Deployment" and d["metadata"]["name"] == "jalin-console")
    pod = console["spec"]["template"]["spec"]
    pod["initContainers"] = [dict(pod["containers"][0], name="migrate")]
    pod["containers"][0]["env"][0]["value"] = "/run/secrets/jalin/elsewhere"
    pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    console["spec"]["replicas"] = 2
    problems = k8s_problems(broken)
    assert {"jalin-console: an init container (it has no migrations)",
            "jalin-console: JALIN_CONSOLE_SESSION_SECRET_FILE is not the key session-secret of the Secret jalin-console",
            "jalin-console: not the services' security context",
            "jalin-console: replicas set, but its HorizontalPodAutoscaler decides them"} <= set(problems)
    broken = [d for d in copy.deepcopy(overlay) if d["metadata"]["name"] != "jalin-console"]
    assert {"jalin-console: no Deployment", "jalin-console: no HorizontalPodAutoscaler"} <= set(k8s_problems(broken))


def test_the_assembly_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    folder = tmp_path / "overlay"
    shutil.copytree(OVERLAY, folder)
    shutil.copytree(BASE, tmp_path / "base")
    (folder / "kustomization.yaml").write_text((folder / "kustomization.yaml").read_text().replace("../../base", "../base")
                                               + "namePrefix: x-\n")
    with pytest.raises(ValueError, match="namePrefix"):
        assemble(folder)


def seeds() -> dict[str, list[dict[str, Any]]]:
    out = {"deploy/tenants-seed.json": json.loads((DEPLOY / "tenants-seed.json").read_text())}
    for path in (BASE / "tenants-seed.yaml", OVERLAY / "tenants-seed.yaml"):
        out[str(path.relative_to(ROOT))] = json.loads(load_yaml(path)[0]["data"]["tenants-seed.json"])
    return out


def seed_problems(items: Any) -> list[str]:
    if not isinstance(items, list):
        return ["not a list"]
    problems = []
    for item in items:
        try:
            tenant = TenantInfo.model_validate(item)
        except ValueError as exc:
            problems.append(str(exc)[:200])
            continue
        if tenant.region_code is None:
            continue
        try:
            reference = region(tenant.region_code)
        except KeyError:
            reference = None
        if reference is None or reference.kind != tenant.kind or reference.timezone != tenant.timezone \
                or reference.province_code != tenant.province_code:
            problems.append(f"{tenant.id}: not the reference list's region {tenant.region_code}")
    return problems


def test_the_tenant_seeds_are_regions_of_the_reference_list() -> None:
    found = seeds()
    assert any(found.values()), "the production overlay's seed names a region"
    for path, items in found.items():
        assert seed_problems(items) == [], path
    assert seed_problems([{"id": "prov-x", "region_code": "13", "kind": "kabupaten", "name": "Pemerintah X",
                           "head_title": "Bupati X", "seat": "X", "email_domain": "x.go.id"}])
    assert seed_problems([{"id": "Not An Id"}])


def test_each_deployment_accepts_its_environment_in_production(overlay: list[dict[str, Any]], secrets_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    found = by_key(overlay)
    settings_data = found[("ConfigMap", "jalin-settings")]["data"]
    files = {"nats-password": "nats_{s}_password", "database-url": "{s}_database_url",
             "s3-secret-access-key": "s3_documents_secret_access_key"}
    for service in SERVICES:
        c = found[("Deployment", f"jalin-{service}")]["spec"]["template"]["spec"]["containers"][0]
        env = dict(settings_data)
        for item in c["env"]:
            value = item["value"]
            if value.startswith("/run/secrets/jalin/"):
                value = str(secrets_dir / files[Path(value).name].format(s=service))
            env[item["name"]] = value
        with monkeypatch.context() as m:
            settings = accepted(service, env, m)
        assert settings.environment == "production" and settings.port == DEFAULT_PORTS[service]
        port = c["ports"][0]["containerPort"]
        assert port == DEFAULT_PORTS[service]
    # The console: the same ConfigMap, its own secrets.
    c = found[("Deployment", f"jalin-{CONSOLE}")]["spec"]["template"]["spec"]["containers"][0]
    env = dict(settings_data)
    for item in c["env"]:
        value = item["value"]
        if value.startswith("/run/secrets/jalin/"):
            value = str(secrets_dir / CONSOLE_SECRETS[Path(value).name.replace("-", "_")])
        env[item["name"]] = value
    with monkeypatch.context() as m:
        settings = accepted_console(env, m)
    assert settings.production and settings.port == CONSOLE_PORT == c["ports"][0]["containerPort"]
    assert settings.public_url == "https://jalin.example.go.id" and settings.oidc_issuer == settings_data["JALIN_JWT_ISSUER"]
    assert settings.session_secret == (secrets_dir / "console_session_secret").read_text()


def test_the_images_are_pinned_and_nats_is_the_version_the_tests_run() -> None:
    out = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, timeout=30).stdout
    tested = re.search(r"v(\d+)\.(\d+)\.\d+", out)
    assert tested, out
    services = compose()["services"]
    defaults = {name: re.fullmatch(r"\$\{(JALIN_[A-Z_]+_IMAGE):-([^}]+)\}", str(svc.get("image", "")))
                for name, svc in services.items() if "JALIN_IMAGE" not in str(svc.get("image", ""))}
    assert all(defaults.values()), defaults  # each image a setting with a default
    images = {name: m.group(2) for name, m in defaults.items() if m}
    for name, image in images.items():
        repository, _, tag = image.partition(":")
        assert tag and tag != "latest", (name, image)
        if repository == "nats":
            assert re.match(rf"{tested.group(1)}\.{tested.group(2)}\.\d+-", tag), (name, image, out)
    assert re.fullmatch(r"v\d+\.\d+\.\d+", images["mailpit"].partition(":")[2])
    # .env.example shows the same defaults, and the chart runs the same nats-server.
    text = ENV_EXAMPLE.read_text()
    for m in defaults.values():
        assert m and f"#{m.group(1)}={m.group(2)}\n" in text, m
    chart = yaml.safe_load((DEPLOY / "k8s" / "nats-values.yaml").read_text())["container"]["image"]
    assert f"{chart['repository']}:{chart['tag']}" == images["nats-1"]


STREAM_JOB = DEPLOY / "k8s" / "stream-job.yaml"


def test_the_kubernetes_stream_job_applies_jalin_as_streamer_with_its_password_as_a_file() -> None:
    job = load_yaml(STREAM_JOB)[0]
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert stream_job_problems(container["command"], {"nats://nats:4222"}, "/run/secrets/jalin/streamer-password") == []
    assert {e["name"]: e["value"] for e in container["env"]} == {"JALIN_STREAM_REPLICAS": "3"}
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/run/secrets/jalin")
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["secret"]["secretName"] == "jalin-nats-passwords"
    assert volume["secret"]["items"] == [{"key": "streamer", "path": "streamer-password"}]  # that key only
    # The namespace's "restricted" Pod Security admits it.
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert "name" not in job["metadata"] and job["metadata"]["generateName"]  # a new Job per run


def test_no_example_command_carries_a_password() -> None:
    # A password written out or read into a command; a Kubernetes reference, $(VARIABLE), is neither.
    inlined = re.compile(r"nats://[A-Za-z0-9_-]+:(?!\$\()[^@\s/]+@|\$\(cat [^)]*(password|secret)")
    for path in (ROOT / "docs" / "deploy.md", COMPOSE, ENV_EXAMPLE, DOCKERFILE, *sorted(DEPLOY.rglob("*.yaml"))):
        found = [m.group(0) for m in inlined.finditer(path.read_text())]
        assert found == [], (path, found)
    assert inlined.search('jalin stream apply --nats-url "nats://admin:$(cat secrets/nats_admin_password)@nats:4222"')
    assert inlined.search("nats://route:j0123456789abcdef0123@nats-0.nats-headless:6222")


# -- the image ------------------------------------------------------------------------------------

def test_the_dockerfile_uses_the_pinned_uv_and_documents_the_commands_the_deployments_run() -> None:
    text = DOCKERFILE.read_text()
    pinned = re.search(r'UV_VERSION = "([^"]+)"', (ROOT / "jalin").read_text()).group(1)  # type: ignore[union-attr]
    assert re.search(rf"^ARG UV_VERSION={re.escape(pinned)}$", text, flags=re.MULTILINE)
    assert "uv sync --frozen --no-dev" in text and "USER 10001" in text
    for service in (*SERVICES, CONSOLE):
        assert f"python -m jalin_{service} " in text
    assert "python -m jalin_cli.migrate <service>" in text and "jalin stream apply" in text
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), path
            assert path.split("/")[0] not in ignored, f"{path} is in .dockerignore"
