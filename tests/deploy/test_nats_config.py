"""deploy/nats/: the production bus's configuration.

- The files written from the code (accounts.conf, its ConfigMap, the tenant files before any
  region) are exactly what ``jalin_cli.deploy_nats`` renders now: a permission changed in
  bus.py, or a durable added to a service, fails here until they are written again.
- Read back (a small reader of nats-server's syntax below, includes and variables resolved as
  nats-server resolves them), a node's configuration has the embedded default's accounts,
  users and permissions exactly (``render_config`` with the same passwords and regions), a
  cluster block with the three routes and JetStream on file storage with ``sync_interval:
  always``.
- nats-server itself accepts each configuration in its test mode (``-t``): node.conf as
  compose.yaml's nodes start it, with regions onboarded, and the configuration the Helm chart
  writes (deploy/k8s/nats-values.yaml) including the same accounts.conf.
- compose.yaml's nodes: their entrypoint turns the secret files into the passwords nats-server
  reads and gives the routes the route user's credential, and refuses one nats-server would
  misread.
- The cluster's routes are authenticated: two nodes from node.conf show a route without the
  password refused and one with it admitted; the Helm values do the same with the chart.
- Each check refuses what it must: a node without its cluster block or its route
  authorization, an accounts file whose permissions differ, a variable nobody set.
- The operator's tooling (``deploy_nats``) refuses a registry id that is not a tenant id, a
  plain-HTTP registry of another machine, ``tenants`` without an output folder, and creates a
  region's stream with the replicas asked (``--replicas``, default JALIN_STREAM_REPLICAS or 3).

Starting a real three-node cluster from these files is another test's (heavier) job.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from jalin_kit.testing import NatsServer, eventually_sync, free_port, nats_server_binary

from jalin_cli.bus import BusCredentials, TenantBus, account_of, render_config
from jalin_cli.deploy_nats import (
    ACCOUNTS_CONF,
    DEPLOY_NATS,
    EXPORTS_VARIABLE,
    K8S_ACCOUNTS_NAME,
    NODE_PASSWORD_VARIABLES,
    PASSWORD_VARIABLES,
    ROUTE_PASSWORD_VARIABLE,
    ROUTE_USER,
    TENANT_EXPORTS_CONF,
    TENANTS_CONF,
    TENANTS_DIR,
    Var,
    default_replicas,
    read_registry,
    render_accounts,
    render_tenants,
    rendered_files,
    to_conf,
    valid_password,
)
from jalin_cli.deploy_nats import main as deploy_nats_main
from jalin_cli.platform import SERVICES

ROOT = Path(__file__).resolve().parents[2]
NODE_CONF = DEPLOY_NATS / "node.conf"
NATS_VALUES = ROOT / "deploy" / "k8s" / "nats-values.yaml"


# -- a reader of nats-server's configuration syntax (the part these files use) ------------------

_TOKEN = re.compile(r"""
    (?P<space>[\s,;]+) | (?P<comment>(\#|//)[^\n]*) | (?P<punct>[{}\[\]]) | (?P<sep>[:=])
  | (?P<string>"(?:[^"\\]|\\.)*") | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*) | (?P<word>[^\s,;{}\[\]:="\#]+)
""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup not in ("space", "comment"):
            out.append((m.lastgroup or "", m.group()))
    return out


class Reader:
    """nats-server's rules: a variable is a key of an enclosing map, else an environment
    variable whose value is read as a configuration value; ``include`` reads a file (relative to
    the including one) on its own and sets its keys in the current map."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def file(self, path: Path) -> dict[str, Any]:
        return self._map(_tokens(path.read_text()), 0, [], path.parent, top=True)[0]

    def _map(self, toks: list[tuple[str, str]], i: int, scopes: list[dict[str, Any]], folder: Path,
             top: bool = False) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        scopes = [*scopes, out]
        while i < len(toks):
            kind, text = toks[i]
            if kind == "punct" and text == "}" and not top:
                return out, i + 1
            key = json.loads(text) if kind == "string" else text
            if key == "include":
                name = toks[i + 1][1]
                out.update(self.file(folder / (json.loads(name) if name.startswith('"') else name)))
                i += 2
                continue
            i += 1
            if toks[i][0] == "sep":
                i += 1
            out[key], i = self._value(toks, i, scopes, folder)
        if not top:
            raise ValueError("a map is not closed")
        return out, i

    def _value(self, toks: list[tuple[str, str]], i: int, scopes: list[dict[str, Any]], folder: Path) -> tuple[Any, int]:
        kind, text = toks[i]
        if kind == "punct" and text == "{":
            return self._map(toks, i + 1, scopes, folder)
        if kind == "punct" and text == "[":
            items, i = [], i + 1
            while toks[i] != ("punct", "]"):
                item, i = self._value(toks, i, scopes, folder)
                items.append(item)
            return items, i + 1
        if kind == "string":
            return json.loads(text), i + 1
        if kind == "var":
            name = text[1:]
            for scope in reversed(scopes):
                if name in scope:
                    return scope[name], i + 1
            if name not in self.env:
                raise KeyError(f"variable {name} is not set")
            return self._value(_tokens(self.env[name]), 0, [], folder)[0], i + 1
        if re.fullmatch(r"-?\d+", text):
            return int(text), i + 1
        if text in ("true", "false"):
            return text == "true", i + 1
        return text, i + 1


# -- a node as compose.yaml starts it --------------------------------------------------------

PASSWORDS = {variable: f"p{i}{'x' * 20}{user}" for i, (user, variable) in enumerate(NODE_PASSWORD_VARIABLES.items())}
ROUTE_PASSWORD = PASSWORDS[ROUTE_PASSWORD_VARIABLE]
ROUTES = [f"nats://{ROUTE_USER}:{ROUTE_PASSWORD}@nats-{i}:6222" for i in (1, 2, 3)]


def node_env(**change: str | None) -> dict[str, str]:
    env = {
        "JALIN_NATS_SERVER_NAME": "nats-1", "JALIN_NATS_HOST": "0.0.0.0", "JALIN_NATS_PORT": "4222",
        "JALIN_NATS_CLUSTER_PORT": "6222", "JALIN_NATS_HTTP": "127.0.0.1:8222", "JALIN_NATS_ROUTES": json.dumps(ROUTES),
        "JALIN_NATS_STORE_DIR": "/data/jetstream", **PASSWORDS,
    }
    for name, value in change.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    return env


def node_problems(config: dict[str, Any]) -> list[str]:
    """What a node of the production cluster must have."""
    problems = []
    cluster = config.get("cluster")
    if not isinstance(cluster, dict):
        problems.append("no cluster block")
    else:
        if not cluster.get("name"):
            problems.append("cluster: no name")
        if not isinstance(cluster.get("routes"), list) or len(cluster["routes"]) < 3:
            problems.append("cluster: fewer than three routes")
        auth = cluster.get("authorization")
        if not (isinstance(auth, dict) and auth.get("user") == ROUTE_USER and auth.get("password")):
            problems.append("cluster: a route needs no password")
        elif any(not str(r).startswith(f"nats://{ROUTE_USER}:{auth['password']}@") for r in cluster.get("routes") or []):
            problems.append("cluster: a route without the route user's credential")
    if not config.get("server_name"):
        problems.append("no server_name (JetStream in a cluster needs one per node)")
    js = config.get("jetstream")
    if not isinstance(js, dict) or not js.get("store_dir"):
        problems.append("jetstream: no file store")
    elif js.get("sync_interval") != "always":
        problems.append("jetstream: sync_interval is not always")
    if "no_auth_user" in config or "authorization" in config:
        problems.append("users outside the accounts")
    return problems


def embedded(tenants: dict[str, bool] | None = None, passwords: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The embedded default's configuration with the same passwords (and regions)."""
    creds = BusCredentials(Path("/nonexistent"), admin=PASSWORDS["JALIN_NATS_ADMIN_PASSWORD"],
                           system=PASSWORDS["JALIN_NATS_SYS_PASSWORD"],
                           services={s: PASSWORDS[PASSWORD_VARIABLES[s]] for s in SERVICES},
                           tenants={t: {**(passwords or {})[t], "active": a} for t, a in (tenants or {}).items()},
                           streamer=PASSWORDS["JALIN_NATS_STREAMER_PASSWORD"])
    return json.loads(render_config(creds, [TenantBus(t, a) for t, a in (tenants or {}).items()], host="0.0.0.0",
                                    port=4222, store_dir=Path("/data/jetstream")))


def same_bus(config: dict[str, Any], expected: dict[str, Any]) -> bool:
    keys = ("accounts", "system_account", "max_payload")
    return {k: config.get(k) for k in keys} == {k: expected[k] for k in keys}


def nats_test(conf: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``nats-server -t``: the server reads the configuration (and its includes) and exits."""
    return subprocess.run([nats_server_binary(), "-t", "-c", str(conf)], env={"PATH": os.environ.get("PATH", ""), **env},
                          capture_output=True, text=True, timeout=30)


REGIONS = {"sumbar": True, "kukar": True, "kaltim": False}
REGION_PASSWORDS = {t: {"user": f"u{'y' * 20}{t}", "provisioner": f"v{'z' * 20}{t}"} for t in REGIONS}


@pytest.fixture
def onboarded(tmp_path: Path) -> Path:
    """deploy/nats/ with three regions written by the operator's tooling (one disabled)."""
    folder = tmp_path / "nats"
    shutil.copytree(DEPLOY_NATS, folder)
    for name, text in render_tenants(REGIONS, REGION_PASSWORDS).items():
        (folder / TENANTS_DIR / name).write_text(text)
    return folder


# -- the files written from the code ----------------------------------------------------------

def test_the_committed_files_are_what_the_code_renders() -> None:
    for path, text in rendered_files().items():
        assert path.exists() and path.read_text() == text, f"{path} is stale: run python -m jalin_cli.deploy_nats accounts"


def test_the_writer_keeps_values_and_leaves_variables_unquoted() -> None:
    value = {"a": [1, "x.>", {"b": True, "c": None if False else "y"}], "d": {}, "e": []}
    assert json.loads(to_conf(value)) == value
    assert to_conf({"password": Var("JALIN_NATS_ADMIN_PASSWORD")}) == '{\n  "password": $JALIN_NATS_ADMIN_PASSWORD\n}'
    accounts = render_accounts()
    assert all(f"$ {v}" not in accounts and f'"${v}"' not in accounts for v in PASSWORD_VARIABLES.values())
    assert f"${EXPORTS_VARIABLE}" in accounts and "no_auth_user" not in accounts


# -- read back: the same bus as the embedded default -------------------------------------------

def test_a_node_has_the_embedded_defaults_accounts_and_a_cluster() -> None:
    config = Reader(node_env()).file(NODE_CONF)
    assert node_problems(config) == []
    assert config["cluster"]["routes"] == ROUTES and config["jetstream"]["store_dir"] == "/data/jetstream"
    assert same_bus(config, embedded())
    assert config["accounts"]["JALIN"]["exports"] == []
    assert set(config["accounts"]) == {"SYS", "JALIN"}


def test_with_regions_onboarded_a_node_has_their_accounts_as_the_embedded_default(onboarded: Path) -> None:
    config = Reader(node_env()).file(onboarded / "node.conf")
    expected = embedded(REGIONS, REGION_PASSWORDS)
    assert same_bus(config, expected)
    assert set(config["accounts"]) == {"SYS", "JALIN", *(account_of(t) for t in REGIONS)}
    users = {t: [u["user"] for u in config["accounts"][account_of(t)]["users"]] for t in REGIONS}
    assert users["kaltim"] == ["kaltim-provisioner"] and "kukar" in users["kukar"]  # a disabled region's systems cannot log in


def test_the_checks_refuse_a_node_without_its_cluster_block_or_with_other_permissions(tmp_path: Path) -> None:
    folder = tmp_path / "nats"
    shutil.copytree(DEPLOY_NATS, folder)
    node = folder / "node.conf"
    text = node.read_text()
    without_cluster = re.sub(r"\ncluster \{.*?\n\}\n", "\n", text, flags=re.DOTALL)
    assert without_cluster != text
    node.write_text(without_cluster)
    assert "no cluster block" in node_problems(Reader(node_env()).file(node))

    without_auth = re.sub(r"\n  authorization \{.*?\n  \}\n", "\n", text, flags=re.DOTALL)
    assert without_auth != text
    node.write_text(without_auth)
    assert "cluster: a route needs no password" in node_problems(Reader(node_env()).file(node))
    bare = node_env(JALIN_NATS_ROUTES=json.dumps([r.replace(f"{ROUTE_USER}:{ROUTE_PASSWORD}@", "") for r in ROUTES]))
    node.write_text(text)
    assert "cluster: a route without the route user's credential" in node_problems(Reader(bare).file(node))

    node.write_text(text.replace("sync_interval: always", "sync_interval: 2m"))
    assert "jetstream: sync_interval is not always" in node_problems(Reader(node_env()).file(node))

    node.write_text(text)
    accounts = folder / ACCOUNTS_CONF
    accounts.write_text(accounts.read_text().replace('"jalin.*.document.>",', '"jalin.*.document.>", "jalin.*.proposal.>",', 1))
    assert not same_bus(Reader(node_env()).file(node), embedded())


def test_a_password_the_environment_cannot_carry_is_refused() -> None:
    assert all(valid_password(p) for p in PASSWORDS.values())
    for bad in ("12345678901234567890", "-abcdefghijklmnopqrs", "short", "has space in it 12345", "a$b" * 8):
        assert not valid_password(bad), bad


# -- nats-server's own test mode -----------------------------------------------------------------

def test_nats_server_accepts_each_node_configuration(onboarded: Path) -> None:
    for folder in (DEPLOY_NATS, onboarded):
        for name in ("nats-1", "nats-2", "nats-3"):
            result = nats_test(folder / "node.conf", node_env(JALIN_NATS_SERVER_NAME=name))
            assert result.returncode == 0, (folder, result.stdout, result.stderr)


def test_nats_server_refuses_a_node_whose_variable_is_not_set_or_whose_include_is_missing(tmp_path: Path) -> None:
    result = nats_test(NODE_CONF, node_env(JALIN_NATS_ROUTES=None))
    assert result.returncode != 0 and "JALIN_NATS_ROUTES" in result.stderr + result.stdout
    result = nats_test(NODE_CONF, node_env(JALIN_NATS_ROUTE_PASSWORD=None))
    assert result.returncode != 0 and "JALIN_NATS_ROUTE_PASSWORD" in result.stderr + result.stdout
    result = nats_test(NODE_CONF, node_env(JALIN_NATS_DOCUMENTS_PASSWORD=None))
    assert result.returncode != 0 and "JALIN_NATS_DOCUMENTS_PASSWORD" in result.stderr + result.stdout
    result = nats_test(NODE_CONF, node_env(JALIN_NATS_ADMIN_PASSWORD="12345678901234567890"))  # read as a number
    assert result.returncode != 0
    folder = tmp_path / "nats"
    shutil.copytree(DEPLOY_NATS, folder)
    (folder / TENANTS_DIR / TENANTS_CONF).unlink()
    assert nats_test(folder / "node.conf", node_env()).returncode != 0


# -- Kubernetes: the Helm chart's configuration includes the same accounts --------------------

def _chart_json(value: Any) -> str:
    """The chart's ``nats.formatConfig``: JSON, with a string ``"<< X >>"`` written as ``X``
    (a variable or a unit, unquoted)."""
    return re.sub(r'"<<\s+(.*?)\s+>>"', r"\1", json.dumps(value))


def _merge_overwrite(doc: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """sprig's ``mergeOverwrite`` as the chart applies a section's ``merge``: maps merged, any
    other value (a list, a string) replacing what was there."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            _merge_overwrite(doc[key], value)
        else:
            doc[key] = value
    return doc


def helm_node_conf(values: dict[str, Any]) -> str:
    """The part of the chart's nats.conf (files/config/*.yaml of nats-io/k8s, chart 1.x/2.x) that
    these values decide: server name and ports, the cluster block (the chart's routes to each
    server of the StatefulSet ``nats`` behind ``nats-headless``, then ``cluster.merge``),
    JetStream, and the includes of ``config.merge`` (relative to /etc/nats-config/nats.conf)."""
    config = values["config"]
    replicas = config["cluster"]["replicas"]
    cluster = {"name": "nats", "port": 6222, "no_advertise": True,
               "routes": [f"nats://nats-{i}.nats-headless:6222" for i in range(replicas)]}
    _merge_overwrite(cluster, config["cluster"].get("merge", {}))
    lines = ["server_name: $SERVER_NAME", f"port: {config['nats']['port']}", "http_port: 8222",
             f"cluster: {_chart_json(cluster)}"]
    js = config["jetstream"]
    jetstream = _merge_overwrite({"store_dir": js["fileStore"]["dir"]}, js.get("merge", {}))
    lines.append(f"jetstream: {_chart_json(jetstream)}")
    for key, value in sorted(config.get("merge", {}).items()):
        if key.endswith("$include"):
            lines.append(f"include {value};")
    return "\n".join(lines) + "\n"


def pod_environment(env: dict[str, Any], secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The environment the kubelet gives the container: the chart writes ``container.env`` in the
    order of the names (Go's map order); a value's ``$(NAME)`` is replaced by a variable defined
    before it, and left as it is otherwise (as Kubernetes does)."""
    out: dict[str, str] = {}
    for name in sorted(env):
        spec = env[name]
        if isinstance(spec, str):
            out[name] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: out.get(m.group(1), m.group(0)), spec)
        else:
            ref = spec["valueFrom"]["secretKeyRef"]
            out[name] = secrets[ref["name"]][ref["key"]]
    return out


def test_the_helm_values_run_three_nodes_with_the_same_accounts(onboarded: Path, tmp_path: Path) -> None:
    values = yaml.safe_load(NATS_VALUES.read_text())
    config = values["config"]
    assert config["cluster"]["enabled"] and config["cluster"]["replicas"] == 3
    assert config["jetstream"]["enabled"] and config["jetstream"]["fileStore"]["enabled"]
    assert config["jetstream"]["merge"]["sync_interval"] == "always"
    env = values["container"]["env"]
    assert set(PASSWORD_VARIABLES.values()) <= set(env), "every password accounts.conf references"
    keys = {user: variable.removeprefix("JALIN_NATS_").removesuffix("_PASSWORD").lower()
            for user, variable in NODE_PASSWORD_VARIABLES.items()}
    secret = {"jalin-nats-passwords": {keys[user]: PASSWORDS[variable] for user, variable in NODE_PASSWORD_VARIABLES.items()}}
    # The pods' file system: the chart's /etc/nats-config/nats.conf, ours in /etc/jalin-nats.
    etc = tmp_path / "etc"
    (etc / "nats-config").mkdir(parents=True)
    shutil.copytree(onboarded, etc / "jalin-nats")
    conf = etc / "nats-config" / "nats.conf"
    conf.write_text(helm_node_conf(values))
    pod_env = {**pod_environment(env, secret), "SERVER_NAME": "nats-0"}
    assert set(NODE_PASSWORD_VARIABLES.values()) <= set(pod_env)
    result = nats_test(conf, pod_env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    read = Reader(pod_env).file(conf)
    assert same_bus(read, embedded(REGIONS, REGION_PASSWORDS))
    # The routes are authenticated as node.conf's: the route user's password, and each of the
    # chart's three routes carrying it (the variable expanded: defined before the URLs).
    assert read["cluster"]["authorization"] == {"user": ROUTE_USER, "password": ROUTE_PASSWORD}
    assert read["cluster"]["routes"] == [f"nats://{ROUTE_USER}:{ROUTE_PASSWORD}@nats-{i}.nats-headless:6222" for i in range(3)]
    assert "$(" not in json.dumps(read["cluster"]) and ROUTE_PASSWORD not in NATS_VALUES.read_text()
    # ... which the pods have: the projected volume at the folder the include names.
    include = Path("/etc/nats-config") / config["merge"]["$include"]
    mount = next(p["value"] for p in values["container"]["patch"] if p["path"] == "/volumeMounts/-")
    assert os.path.normpath(include.parent) == mount["mountPath"]
    volume = next(p["value"] for p in values["podTemplate"]["patch"] if p["path"] == "/spec/volumes/-")
    assert volume["name"] == mount["name"]
    files = {item["path"]: (kind, source[kind]["name"]) for source in volume["projected"]["sources"]
             for kind in source for item in source[kind]["items"]}
    assert files == {ACCOUNTS_CONF: ("configMap", K8S_ACCOUNTS_NAME),
                     f"{TENANTS_DIR}/{TENANTS_CONF}": ("secret", "jalin-nats-tenants"),
                     f"{TENANTS_DIR}/{TENANT_EXPORTS_CONF}": ("secret", "jalin-nats-tenants")}
    # The chart's reloader watches each $include of config.merge; the values add the regions' files.
    watched = [os.path.normpath(include)] + [a["value"] for a in values["reloader"]["patch"] if a["value"].startswith("/")]
    assert sorted(str(Path(w).relative_to(mount["mountPath"])) for w in watched) == sorted(files)  # any change reloads


# -- compose.yaml's nodes: the entrypoint reads the secret files --------------------------------------

def test_the_compose_entrypoint_gives_nats_server_the_passwords_from_the_secret_files(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    subprocess.run(["sh", str(ROOT / "deploy" / "docker" / "make-secrets.sh"), str(secrets)], check=True, capture_output=True)
    node = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["nats-1"]
    env = {k: str(v).replace("/run/secrets/", f"{secrets}/") for k, v in node["environment"].items()}
    env["JALIN_NATS_CONFIG"] = str(NODE_CONF)
    env["PATH"] = f"{Path(nats_server_binary()).parent}:{os.environ.get('PATH', '')}"
    entrypoint = DEPLOY_NATS / "entrypoint.sh"
    done = subprocess.run(["sh", str(entrypoint), "-t"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    (secrets / "nats_documents_password").write_text("12345678901234567890\n")  # nats-server would read a number
    done = subprocess.run(["sh", str(entrypoint), "-t"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "nats_documents_password" in done.stderr


def test_the_compose_entrypoint_gives_the_routes_the_route_password(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    subprocess.run(["sh", str(ROOT / "deploy" / "docker" / "make-secrets.sh"), str(secrets)], check=True, capture_output=True)
    node = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["nats-1"]
    assert "@" not in node["environment"]["JALIN_NATS_ROUTES"], "compose.yaml names the nodes, no credential"
    env = {k: str(v).replace("/run/secrets/", f"{secrets}/") for k, v in node["environment"].items()}
    # A stand-in nats-server that shows what it was given.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nats-server").write_text('#!/bin/sh\nprintf \'%s\\n\' "$JALIN_NATS_ROUTES"\n')
    (bin_dir / "nats-server").chmod(0o755)
    env["PATH"] = f"{bin_dir}:{os.environ.get('PATH', '')}"
    entrypoint = DEPLOY_NATS / "entrypoint.sh"
    done = subprocess.run(["sh", str(entrypoint)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    password = (secrets / "nats_route_password").read_text().strip()
    assert json.loads(done.stdout) == [f"nats://{ROUTE_USER}:{password}@nats-{i}:6222" for i in (1, 2, 3)]
    # Refused: no route password, or routes that already carry a credential.
    done = subprocess.run(["sh", str(entrypoint)], env={k: v for k, v in env.items() if "ROUTE_PASSWORD" not in k},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "JALIN_NATS_ROUTE_PASSWORD_FILE" in done.stderr
    done = subprocess.run(["sh", str(entrypoint)], env={**env, "JALIN_NATS_ROUTES": '["nats://a:b@nats-1:6222"]'},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "without a credential" in done.stderr


# -- the cluster's routes are authenticated: two real nodes from node.conf --------------------------

def _start_node(tmp_path: Path, name: str, cluster_port: int, routes: list[str]) -> tuple[subprocess.Popen[bytes], int, Path]:
    http = free_port()
    env = node_env(JALIN_NATS_SERVER_NAME=name, JALIN_NATS_HOST="127.0.0.1", JALIN_NATS_PORT=str(free_port()),
                   JALIN_NATS_CLUSTER_PORT=str(cluster_port), JALIN_NATS_HTTP=f"127.0.0.1:{http}",
                   JALIN_NATS_ROUTES=json.dumps(routes), JALIN_NATS_STORE_DIR=str(tmp_path / name))
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([nats_server_binary(), "-c", str(NODE_CONF)], env={"PATH": os.environ.get("PATH", ""), **env},
                                stdout=out, stderr=subprocess.STDOUT)
    return proc, http, log


def _routes(http: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/routez", timeout=2) as r:
            return int(json.load(r)["num_routes"])
    except OSError:
        return -1


def test_a_route_without_the_route_password_is_refused(tmp_path: Path) -> None:
    port = free_port()
    with_password = f"nats://{ROUTE_USER}:{ROUTE_PASSWORD}@127.0.0.1:{port}"
    procs = []
    try:
        a, a_http, _ = _start_node(tmp_path, "a", port, [with_password])  # its own route: a cluster of one so far
        procs.append(a)
        eventually_sync(lambda: _routes(a_http) == 0, within=20, what="node a monitoring")
        # A server that knows the cluster's address but not its password: refused, again and again.
        b, _, b_log = _start_node(tmp_path, "b", free_port(), [f"nats://127.0.0.1:{port}"])
        procs.append(b)
        eventually_sync(lambda: b_log.read_text().count("Authorization Violation") >= 2, within=20,
                        what="node b refused twice")
        assert _routes(a_http) == 0
        b.terminate()
        b.wait(10)
        # With the password, a route is made.
        c, _, c_log = _start_node(tmp_path, "c", free_port(), [with_password])
        procs.append(c)
        eventually_sync(lambda: _routes(a_http) > 0, within=20, what="node c routed to node a")
        assert ROUTE_PASSWORD not in c_log.read_text()  # nats-server does not log the credential
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)


# -- the operator's tooling refuses what it must not write into the bus's configuration -------------

def test_the_registry_is_refused_with_an_id_that_is_not_a_tenant_id(tmp_path: Path) -> None:
    registry = tmp_path / "tenants.json"
    registry.write_text(json.dumps([{"id": "sumbar", "status": "active"}, {"id": "kukar", "status": "disabled"}]))
    assert read_registry(str(registry)) == {"sumbar": True, "kukar": False}
    out = tmp_path / "out"
    for bad in ("Sumbar", "sumbar\n", "-sumbar", "sum.bar", "sum bar", "a" * 65, "", 7, None, '"} include "x'):
        registry.write_text(json.dumps([{"id": "sumbar"}, {"id": bad}]))
        with pytest.raises(SystemExit, match="not one"):
            read_registry(str(registry))
        with pytest.raises(SystemExit):
            deploy_nats_main(["tenants", "--credentials", str(tmp_path / "bus"), "--registry", str(registry),
                              "--output-dir", str(out)])
        assert not out.exists(), bad  # nothing written
    registry.write_text(json.dumps({"id": "sumbar"}))
    with pytest.raises(SystemExit, match="not a list"):
        read_registry(str(registry))


def test_the_registry_is_read_over_plain_http_only_from_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JALIN_OPERATOR_TOKEN", raising=False)
    for url in ("http://proposals:8101", "http://10.0.0.5:8101/", "http://proposals.jalin.example.go.id",
                "http://127.0.0.1.example.com:8101"):
        with pytest.raises(SystemExit, match="https://"):
            read_registry(url)
    # Loopback and HTTPS pass that check (and then want the operator's token).
    for url in ("http://127.0.0.1:8101", "http://localhost:8101", "https://proposals.jalin.example.go.id"):
        with pytest.raises(SystemExit, match="JALIN_OPERATOR_TOKEN"):
            read_registry(url)


def test_tenants_needs_an_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = tmp_path / "tenants.json"
    registry.write_text(json.dumps([{"id": "sumbar"}]))
    with pytest.raises(SystemExit) as refused:
        deploy_nats_main(["tenants", "--credentials", str(tmp_path / "bus"), "--registry", str(registry)])
    assert refused.value.code == 2 and "--output-dir" in capsys.readouterr().err
    assert not (tmp_path / "bus").exists()


def test_provision_creates_each_regions_stream_with_the_replicas_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("JALIN_STREAM_REPLICAS", raising=False)
    assert default_replicas() == 3  # the cluster's
    monkeypatch.setenv("JALIN_STREAM_REPLICAS", "1")
    assert default_replicas() == 1
    monkeypatch.setenv("JALIN_STREAM_REPLICAS", "seven")
    with pytest.raises(SystemExit):
        deploy_nats_main(["provision", "--credentials", str(tmp_path / "bus"), "--nats-url", "nats://127.0.0.1:1", "sumbar"])
    monkeypatch.delenv("JALIN_STREAM_REPLICAS")
    for bad in ("0", "6", "three"):
        with pytest.raises(SystemExit):
            deploy_nats_main(["provision", "--credentials", str(tmp_path / "bus"), "--nats-url", "nats://127.0.0.1:1",
                              "--replicas", bad, "sumbar"])
    assert deploy_nats_main(["provision", "--credentials", str(tmp_path / "bus"), "--nats-url", "nats://127.0.0.1:1",
                             "Sumbar"]) == 2
    # A single server (no cluster): 1 replica is created; 3, passed on to the server, are refused.
    creds = BusCredentials.load_or_create(tmp_path / "bus")
    creds.set_active({"sumbar": True, "kukar": True})
    port = free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(render_config(creds, [TenantBus("sumbar", True), TenantBus("kukar", True)], host="127.0.0.1",
                                  port=port, store_dir=tmp_path / "jetstream"))
    server = NatsServer(tmp_path / "jetstream", port, config=conf)
    server.start()
    try:
        base = ["provision", "--credentials", str(tmp_path / "bus"), "--nats-url", f"nats://127.0.0.1:{port}", "--attempts", "3"]
        assert deploy_nats_main([*base, "--replicas", "1", "sumbar"]) == 0
        assert "sumbar: stream created with 1 replicas" in capsys.readouterr().out
        assert deploy_nats_main([*base, "kukar"]) == 1  # the default, 3: this server alone cannot keep them
        assert "kukar" in capsys.readouterr().err
    finally:
        server.stop()
    assert "JALIN_STREAM_REPLICAS" not in os.environ  # the command put back what it found
