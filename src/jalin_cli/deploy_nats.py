"""The production bus's configuration (``deploy/nats/``), written from the same code as the
embedded default's (``jalin_cli.bus.render_config``), so the two cannot drift.

``render_config`` is called with stand-in passwords and no region; what it returns for the
accounts (``SYS``, ``JALIN`` with ``admin`` and a user per service, their permissions),
``system_account`` and ``max_payload`` is written as nats-server configuration, with:

- each password an environment-variable reference of the nats-server process
  (``$JALIN_NATS_PROPOSALS_PASSWORD`` ...): the file holds no secret and is committed;
- ``JALIN``'s exports (one per region) taken from the variable ``$JALIN_TENANT_EXPORTS``,
  which ``tenant-exports.conf`` defines, and the regions' accounts from ``tenants.conf``
  (included inside ``accounts {}``). Those two files change at run time, when a region is
  onboarded or disabled: the operator's tooling writes them (``tenants`` below, from the
  registry and a credentials file kept like the embedded default's) and the servers reload.

The node configuration (listen addresses, cluster routes, the JetStream store) is
``deploy/nats/node.conf``, written by hand; it includes ``accounts.conf`` and admits a route
only with the route user's password (``JALIN_NATS_ROUTE_PASSWORD``).

    python -m jalin_cli.deploy_nats accounts [--check]          # deploy/nats/accounts.conf & co
    python -m jalin_cli.deploy_nats tenants --credentials DIR --registry FILE|URL --output-dir DIR
    python -m jalin_cli.deploy_nats provision --credentials DIR --nats-url URL [--replicas N] TENANT...
    python -m jalin_cli.deploy_nats credentials --credentials DIR TENANT   # to hand to the region
    python -m jalin_cli.deploy_nats passwords-env             # the password variables a node needs

A password given through an environment variable is parsed by nats-server as a configuration
value: it must begin with a letter and hold only letters, digits, ``-`` and ``_`` (a number,
``true`` or a leading ``-`` would not be read as a string). ``PASSWORD_FORMAT`` checks that.

What the tooling reads is checked before it is written into a configuration: each region id of
the registry is a tenant id (``jalin_kit.identifiers.TENANT_ID``, matched whole: it becomes an
account name, a user and a subject token), and the registry is read over HTTPS (plain
``http://`` only from this machine, 127.0.0.1 or localhost): the answer decides which accounts
the bus has, and the request carries the operator's token. A region's ``EVENTS`` stream is
created with ``--replicas`` copies: ``JALIN_STREAM_REPLICAS`` when set, else 3 (the production
cluster; 1 on a single server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jalin_kit.events.stream import REPLICAS_ENV, STREAM_NAME
from jalin_kit.identifiers import TENANT_ID

from jalin_cli.bus import ADMIN, SERVICES, STREAMER, BusCredentials, TenantBus, account_of, provision_tenant, render_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_NATS = ROOT / "deploy" / "nats"
K8S_ACCOUNTS = ROOT / "deploy" / "k8s" / "base" / "nats-accounts.yaml"
K8S_ACCOUNTS_NAME = "jalin-nats-accounts"
"""The ConfigMap holding accounts.conf for the NATS Helm chart's pods (deploy/k8s/nats-values.yaml)."""
ACCOUNTS_CONF = "accounts.conf"
TENANTS_DIR = "tenants"
"""Beside accounts.conf, the folder of the two files that change with the registry (mounted on
its own: compose.yaml from the operator's folder, Kubernetes from a Secret)."""
TENANTS_CONF = "tenants.conf"
TENANT_EXPORTS_CONF = "tenant-exports.conf"
EXPORTS_VARIABLE = "JALIN_TENANT_EXPORTS"
SYSTEM_USER = "sys"
PASSWORD_FORMAT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{15,127}")
"""What a password passed through the environment must look like (see the module's doc)."""
_BOOLEANS = {"true", "false", "yes", "no", "on", "off"}


def password_variable(user: str) -> str:
    """The nats-server environment variable holding a platform user's password."""
    return f"JALIN_NATS_{user.upper()}_PASSWORD"


PASSWORD_VARIABLES: dict[str, str] = {u: password_variable(u) for u in (SYSTEM_USER, ADMIN, STREAMER, *SERVICES)}
"""Every variable ``accounts.conf`` references: the system user, the operator's, the stream
job's, one per service."""
ROUTE_USER = "route"
"""The user a route between two nodes logs in as (``node.conf``'s ``cluster { authorization }``):
only a server with its password joins the cluster."""
ROUTE_PASSWORD_VARIABLE = password_variable(ROUTE_USER)
NODE_PASSWORD_VARIABLES: dict[str, str] = {**PASSWORD_VARIABLES, ROUTE_USER: ROUTE_PASSWORD_VARIABLE}
"""Every password variable a node running ``node.conf`` needs: accounts.conf's and the routes'."""


def valid_password(value: str) -> bool:
    return bool(PASSWORD_FORMAT.fullmatch(value)) and value.lower() not in _BOOLEANS


@dataclass(frozen=True)
class Var:
    """A reference to a variable (``$NAME``): from the configuration or the environment."""

    name: str


_STAND_IN = "\x00var:"


def _stand_in(variable: str) -> str:
    return f"{_STAND_IN}{variable}"


def _with_variables(value: Any) -> Any:
    """The configuration with every stand-in password replaced by its variable."""
    if isinstance(value, dict):
        return {k: _with_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_variables(v) for v in value]
    if isinstance(value, str) and value.startswith(_STAND_IN):
        return Var(value.removeprefix(_STAND_IN))
    return value


def _credentials(tenants: Mapping[str, Mapping[str, Any]] | None = None) -> BusCredentials:
    """Credentials whose platform passwords are stand-ins for their variables; the regions'
    passwords as given (they are written as they are: tenants.conf is a secret)."""
    return BusCredentials(
        Path("/nonexistent/credentials.json"),  # never saved: every region below has its passwords
        admin=_stand_in(PASSWORD_VARIABLES[ADMIN]),
        system=_stand_in(PASSWORD_VARIABLES[SYSTEM_USER]),
        services={s: _stand_in(PASSWORD_VARIABLES[s]) for s in SERVICES},
        tenants={t: dict(v) for t, v in (tenants or {}).items()},
        streamer=_stand_in(PASSWORD_VARIABLES[STREAMER]),
    )


def embedded_config(creds: BusCredentials, tenants: Iterable[TenantBus] = (),
                    consumers: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, Any]:
    """What the embedded default would run with (``render_config``), as a dict."""
    text = render_config(creds, tenants, host="127.0.0.1", port=4222, store_dir=Path("/unused"), consumers=consumers)
    config: dict[str, Any] = json.loads(text)
    return config


# -- nats-server configuration syntax ------------------------------------------------------

def to_conf(value: Any, indent: int = 0) -> str:
    """A value in nats-server's configuration syntax: JSON (which nats-server reads), with
    variables unquoted; without a variable, ``json.loads(to_conf(v)) == v``."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Var):
        return f"${value.name}"
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [f"{inner}{json.dumps(k)}: {to_conf(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, str) for v in value):
            lines = [f"{inner}{json.dumps(v)}" for v in value]
        else:
            lines = [f"{inner}{to_conf(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(lines) + f"\n{pad}]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__} in a nats-server configuration")


GENERATED = "Written by `python -m jalin_cli.deploy_nats {what}`"


def render_accounts(consumers: dict[str, list[tuple[str, str]]] | None = None) -> str:
    """``deploy/nats/accounts.conf``: the platform's accounts as the embedded default has them,
    passwords from the environment, the regions from the two included files."""
    config = _with_variables(embedded_config(_credentials(), consumers=consumers))
    accounts = config["accounts"]
    jalin = accounts[STREAM_NAME]
    assert jalin.get("exports") == [], "no region was given: JALIN exports nothing yet"
    jalin["exports"] = Var(EXPORTS_VARIABLE)
    assert set(accounts) == {"SYS", STREAM_NAME}, sorted(accounts)
    header = [
        f"# {GENERATED.format(what='accounts')} from src/jalin_cli/bus.py",
        "# (the embedded default's accounts, users and permissions) and the services' consumers.",
        "# Do not edit: tests/deploy/test_nats_config.py fails when it differs from what the code renders.",
        "#",
        "# Passwords are environment variables of nats-server: " + ", ".join(PASSWORD_VARIABLES.values()) + ".",
        "# Each must begin with a letter and hold only letters, digits, '-' and '_' (16 to 128 of them).",
        "# The regions (tenant-<id> accounts, and JALIN's export of jalin.<id>.> to each) change at run time:",
        f"# {TENANTS_DIR}/{TENANT_EXPORTS_CONF} defines ${EXPORTS_VARIABLE}, {TENANTS_DIR}/{TENANTS_CONF} the accounts;",
        "# see docs/deploy.md.",
        "",
        f'include "{TENANTS_DIR}/{TENANT_EXPORTS_CONF}"',
        "",
        f"max_payload: {to_conf(config['max_payload'])}",
        f"system_account: {to_conf(config['system_account'])}",
        "",
        "accounts {",
    ]
    body = [f"  {json.dumps(name)}: {to_conf(account, 1)}" for name, account in accounts.items()]
    footer = [f'  include "{TENANTS_DIR}/{TENANTS_CONF}"', "}", ""]
    return "\n".join(header + body + footer)


def render_accounts_configmap(accounts_conf: str) -> str:
    """``accounts.conf`` as the Kubernetes ConfigMap the NATS pods mount (kustomize reads only
    files under its own folder, so the base carries this copy; the test checks both)."""
    body = "".join(f"    {line}\n" if line else "\n" for line in accounts_conf.splitlines())
    return (
        f"# {GENERATED.format(what='accounts')}: deploy/nats/accounts.conf for the NATS pods. Do not edit.\n"
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        f"  name: {K8S_ACCOUNTS_NAME}\n"
        "  labels:\n"
        "    app.kubernetes.io/part-of: jalin\n"
        "    app.kubernetes.io/component: bus\n"
        "data:\n"
        f"  {ACCOUNTS_CONF}: |\n"
        f"{body}"
    )


def render_tenants(regions: Mapping[str, bool], passwords: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """``tenants.conf`` and ``tenant-exports.conf`` for these regions (id -> enabled), with
    their passwords (id -> {"user", "provisioner"}): what the embedded default's reconciler
    writes for the same registry. Secret: the regions' passwords are in it."""
    entries = {t: {**passwords[t], "active": active} for t, active in regions.items()}
    config = embedded_config(_credentials(entries), [TenantBus(t, a) for t, a in regions.items()])
    accounts = config["accounts"]
    exports = accounts[STREAM_NAME]["exports"]
    names = sorted(account_of(t) for t in regions)
    head = f"# {GENERATED.format(what='tenants')} from the tenant registry: do not edit by hand.\n"
    tenants_conf = head + "# The regions' accounts, included inside accounts {} by accounts.conf. Secret: passwords.\n"
    for name in names:
        tenants_conf += f"\n{json.dumps(name)}: {to_conf(accounts[name])}\n"
    exports_conf = head + "# JALIN's export of jalin.<region>.> to each region's account (used in accounts.conf).\n\n"
    exports_conf += f"{EXPORTS_VARIABLE}: {to_conf(exports)}\n"
    return {TENANTS_CONF: tenants_conf, TENANT_EXPORTS_CONF: exports_conf}


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    temporary.replace(path)
    return True


# -- the operator's tooling ----------------------------------------------------------------

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Where the registry may be read over plain HTTP: this machine only."""


def _registry_rows(rows: Any) -> dict[str, bool]:
    if not isinstance(rows, list):
        raise SystemExit("the registry is not a list of tenants (GET /v1/admin/tenants)")
    regions: dict[str, bool] = {}
    for row in rows:
        tenant = row.get("id") if isinstance(row, dict) else None
        if not TENANT_ID.fullmatch(tenant):
            raise SystemExit(f"the registry names a tenant id that is not one ({tenant!r}): lowercase letters, digits "
                             "and '-', beginning with a letter or digit, at most 64; nothing was written")
        regions[tenant] = row.get("status", "active") == "active"
    return regions


def read_registry(source: str) -> dict[str, bool]:
    """The registry (id -> enabled): ``GET /v1/admin/tenants`` of the proposals service (its
    base URL, with the operator's token in ``JALIN_OPERATOR_TOKEN``), or that answer saved in a
    file. Refused: an id that is not a tenant id, and a plain-HTTP URL of another machine."""
    if source.startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        import httpx

        if source.startswith("http://") and urlsplit(source).hostname not in LOOPBACK_HOSTS:
            raise SystemExit(f"{source}: the registry is read over https:// (plain http:// only from 127.0.0.1 or "
                             "localhost): the operator's token goes with the request, and the answer decides the bus's accounts")
        token = os.environ.get("JALIN_OPERATOR_TOKEN")
        if not token:
            raise SystemExit("set JALIN_OPERATOR_TOKEN to a platform_admin token of the identity provider")
        r = httpx.get(f"{source.rstrip('/')}/v1/admin/tenants", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        r.raise_for_status()
        rows = r.json()
    else:
        rows = json.loads(Path(source).read_text(encoding="utf-8"))
    return _registry_rows(rows)


def rendered_files() -> dict[Path, str]:
    """Every committed file written from the code: accounts.conf, its ConfigMap, and the
    tenant files as they are before any region is onboarded."""
    accounts = render_accounts()
    files = {DEPLOY_NATS / ACCOUNTS_CONF: accounts, K8S_ACCOUNTS: render_accounts_configmap(accounts)}
    files.update({DEPLOY_NATS / TENANTS_DIR / name: text for name, text in render_tenants({}, {}).items()})
    return files


def cmd_accounts(args: argparse.Namespace) -> int:
    stale = [path for path, text in rendered_files().items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is not what the code renders: run python -m jalin_cli.deploy_nats accounts", file=sys.stderr)
        return 1 if stale else 0
    for path, text in rendered_files().items():
        print(f"{path}: {'written' if write_if_changed(path, text) else 'unchanged'}")
    return 0


def cmd_tenants(args: argparse.Namespace) -> int:
    regions = read_registry(args.registry)
    creds = BusCredentials.load_or_create(Path(args.credentials))
    creds.set_active(regions)  # makes each new region's passwords, saved owner-only
    files = render_tenants(regions, {t: creds.tenant(t) for t in regions})
    out = Path(args.output_dir)
    for name, text in files.items():
        changed = write_if_changed(out / name, text, mode=0o600)
        print(f"{out / name}: {'written' if changed else 'unchanged'}")
    print(f"{len(regions)} regions ({sum(regions.values())} enabled); reload the servers, then provision the new ones")
    return 0


def default_replicas() -> int:
    """``JALIN_STREAM_REPLICAS`` when set (as the kit reads it), else 3: this tooling serves the
    production cluster (the embedded default provisions its regions itself)."""
    from jalin_kit.events.stream import stream_replicas

    return stream_replicas() if os.environ.get(REPLICAS_ENV) else 3


def replicas_arg(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 5:
        raise argparse.ArgumentTypeError(f"{value!r}: a number of servers from 1 to 5")
    return int(value)


def cmd_provision(args: argparse.Namespace) -> int:
    for tenant in args.tenants:
        if not TENANT_ID.fullmatch(tenant):
            print(f"{tenant!r} is not a tenant id: nothing was provisioned", file=sys.stderr)
            return 2
    creds = BusCredentials.load_or_create(Path(args.credentials))
    failed = 0
    # provision_tenant creates the stream with the kit's replica count (JALIN_STREAM_REPLICAS).
    previous = os.environ.get(REPLICAS_ENV)
    os.environ[REPLICAS_ENV] = str(args.replicas)
    try:
        for tenant in args.tenants:
            try:
                created = asyncio.run(provision_tenant(args.nats_url, creds, tenant, attempts=args.attempts))
            except ConnectionError as exc:
                print(f"{tenant}: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(f"{tenant}: stream {'created with ' + str(args.replicas) + ' replicas' if created else 'already there'}")
    finally:
        if previous is None:
            os.environ.pop(REPLICAS_ENV, None)
        else:
            os.environ[REPLICAS_ENV] = previous
    return 1 if failed else 0


def cmd_credentials(args: argparse.Namespace) -> int:
    """The region's login for its external systems, to hand over (as ``jalin tenants credentials``)."""
    creds = BusCredentials.load_or_create(Path(args.credentials))
    entry = creds.tenants.get(args.tenant)
    if entry is None:
        print(f"no bus credential for {args.tenant!r} in {creds.path}: run the tenants command first", file=sys.stderr)
        return 1
    print(json.dumps({"tenant": args.tenant, "user": args.tenant, "password": entry["user"], "active": entry.get("active", True),
                      "stream": "EVENTS", "subjects": f"jalin.{args.tenant}.>"}))
    return 0


def cmd_passwords_env(_args: argparse.Namespace) -> int:
    for user, variable in NODE_PASSWORD_VARIABLES.items():
        what = "the cluster's routes (node.conf)" if user == ROUTE_USER else f"user {user!r}"
        print(f"{variable}  # the password of {what}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jalin_cli.deploy_nats", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    acc = sub.add_parser("accounts", help="write deploy/nats/accounts.conf (and its ConfigMap) from the code")
    acc.add_argument("--check", action="store_true", help="only check that the files are current (exit 1 if not)")
    acc.set_defaults(func=cmd_accounts)
    ten = sub.add_parser("tenants", help="write tenants.conf and tenant-exports.conf from the registry")
    ten.add_argument("--credentials", required=True, help="folder of the regions' bus passwords (credentials.json)")
    ten.add_argument("--registry", required=True, help="the proposals service's URL, or its /v1/admin/tenants answer in a file")
    ten.add_argument("--output-dir", required=True,
                     help="where to write the two files (they hold the regions' passwords: a folder of the operator's)")
    ten.set_defaults(func=cmd_tenants)
    pro = sub.add_parser("provision", help="create a region's EVENTS stream (after the servers reloaded)")
    pro.add_argument("--credentials", required=True)
    pro.add_argument("--nats-url", required=True, help="nats://host:4222 (the region's provisioning user logs in)")
    pro.add_argument("--attempts", type=int, default=150, help="tries 0.2 s apart while the reload is on its way")
    pro.add_argument("--replicas", type=replicas_arg, default=None,
                     help=f"copies of each new region's stream (default: {REPLICAS_ENV} when set, else 3 for the "
                          "cluster; 1 on a single server)")
    pro.add_argument("tenants", nargs="+")
    pro.set_defaults(func=cmd_provision)
    cre = sub.add_parser("credentials", help="print a region's login for its external systems")
    cre.add_argument("--credentials", required=True)
    cre.add_argument("tenant")
    cre.set_defaults(func=cmd_credentials)
    env = sub.add_parser("passwords-env", help="list the environment variables accounts.conf references")
    env.set_defaults(func=cmd_passwords_env)
    args = parser.parse_args(argv)
    if args.command == "provision" and args.replicas is None:
        try:
            args.replicas = default_replicas()
        except ValueError as exc:
            parser.error(str(exc))
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
