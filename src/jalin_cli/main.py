"""The ``jalin`` command: run the platform, mint tokens, demo, operate (dead letters, outbox,
tenants), generate docs."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jalin_kit.auth import ROLES
from jalin_kit.tenants import DEMO_TENANTS, DEMO_USERS

from jalin_cli.access_docs import ACCESS_MD, cmd_docs
from jalin_cli.bus import BusCredentials
from jalin_cli.common import data_dir, dev_secret, token_for
from jalin_cli.demo import cmd_demo
from jalin_cli.events import add_events_parser
from jalin_cli.operate import add_tenants_parser, cmd_dead_letters, cmd_outbox
from jalin_cli.platform import (
    DEFAULT_CONSOLE_PORT,
    DEFAULT_NATS_PORT,
    DEFAULT_PORTS,
    DEFAULT_SMTP_PORT,
    SERVICES,
    Platform,
    PlatformConfig,
    parse_replicas,
    postgres_databases,
    redacted,
)

# -- jalin up -----------------------------------------------------------------------

def cmd_up(args: argparse.Namespace) -> int:
    from jalin_cli.mailsink import MailSink

    folder = data_dir(args)
    secret = dev_secret(folder, create=True)
    ports = dict(DEFAULT_PORTS)
    for name in SERVICES:
        value = getattr(args, f"{name}_port")
        if value:
            ports[name] = value
    try:
        database_urls = postgres_databases(args.database) if args.database else {}
        config = PlatformConfig(
            data_dir=folder,
            nats_port=args.nats_port,
            ports=ports,
            smtp_port=args.smtp_port,
            jwt_secret=secret,
            database_urls=database_urls,
            replicas=parse_replicas(args.replicas or ""),
            console_port=args.console_port,
        )
    except Exception as exc:  # noqa: BLE001 - a bad option or an unreachable server: say which, no traceback
        print(f"Jalin could not start: {exc}", file=sys.stderr)
        return 2
    sink = MailSink(folder / "mail", port=args.smtp_port)
    platform = Platform(config)
    print(f"Starting Jalin in {folder} ...", flush=True)
    try:
        sink.start()
        platform.start(timeout=args.timeout)
    except Exception as exc:  # noqa: BLE001 - tell the user, stop what started
        print(f"\nJalin could not start: {exc}", file=sys.stderr)
        platform.stop()
        sink.stop()
        return 1
    print_banner(platform, folder)
    stop = {"now": False}

    def on_signal(_signum: int, _frame: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    restarts: dict[str, float] = {}
    try:
        while not stop["now"]:
            nats = platform.nats
            if nats is not None and nats.proc is not None and nats.proc.poll() is not None:
                print(f"nats-server exited (code {nats.proc.returncode}); restarting. Log: {nats.log_path}")
                nats.start()
            for svc in platform.processes():
                if svc.proc is not None and svc.proc.poll() is not None:
                    # At most one restart per process every 5 s: a crash loop must not spin.
                    key = str(svc.log_path)
                    if time.monotonic() - restarts.get(key, 0.0) < 5.0:
                        continue
                    restarts[key] = time.monotonic()
                    print(f"{svc.name} exited (code {svc.proc.returncode}); restarting. Log: {svc.log_path}")
                    svc.start()
            time.sleep(0.5)
    finally:
        print("\nStopping Jalin ...", flush=True)
        platform.stop()
        sink.stop()
        print("Stopped.")
    return 0


def print_banner(platform: Platform, folder: Path) -> None:
    print("\nJalin is running.\n")
    print(f"  Open the console: {platform.url('console')}")
    print("  Sign in as one of the demo users (development sign-in): "
          + ", ".join(f"{u.name} [{u.tenant}]" for u in DEMO_USERS if u.tenant != "platform") + "\n")
    for name in SERVICES:
        print(f"  {name:<14} {platform.url(name)}   (API docs: {platform.url(name)}/docs)")
        for replica in platform.replicas[name][1:]:
            print(f"  {'':<14} {replica.url}   (replica: the same store and consumers)")
    if platform.config.database_urls:
        print(f"  {'database':<14} PostgreSQL: {', '.join(sorted({redacted(u) for u in platform.config.database_urls.values()}))}")
    print(f"  {'nats':<14} {platform.nats_url}")
    print(f"  {'mail':<14} smtp://127.0.0.1:{platform.config.smtp_port} -> {folder / 'mail'}")
    print(f"  {'logs':<14} {folder / 'logs'}\n")
    print("Demo users and their tokens (valid 7 days):")
    for u in DEMO_USERS:
        token = token_for(folder, u.tenant, list(u.roles), u.user, u.unit, u.name)
        print(f"\n  {u.name} — tenant {u.tenant}, roles {','.join(u.roles)}" + (f", unit {u.unit}" if u.unit else ""))
        print(f"  {token}")
    print("\nWhat a region's external systems see on the bus, with that region's own credential only")
    print("(its events, and those of cooperations shared with it; ./jalin tenants credentials <tenant>):")
    for tenant in DEMO_TENANTS:
        print(f"  ./jalin --data-dir {folder} events {tenant} --nats-port {platform.config.nats_port}")
    print("\nTry: jalin demo        (in another terminal)\nCtrl-C stops everything.\n", flush=True)


# -- jalin token ---------------------------------------------------------------------

def cmd_token(args: argparse.Namespace) -> int:
    roles = [r.strip() for r in args.role.split(",") if r.strip()]
    unknown = set(roles) - ROLES
    if unknown:
        print(f"unknown role(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(ROLES))}", file=sys.stderr)
        return 2
    print(token_for(data_dir(args), args.tenant, roles, args.user or f"{args.tenant}-{roles[0]}", args.unit,
                    create=True))
    return 0


# -- jalin stream / migrate / test -----------------------------------------------------

def cmd_stream(args: argparse.Namespace) -> int:
    from jalin_kit.events import stream_config

    from jalin_cli.bus import STREAMER
    from jalin_cli.platform import apply_stream

    url = args.nats_url
    if "@" not in url:
        if args.password_file:  # the deployment's job: the stream credential as a mounted secret
            password = Path(args.password_file).read_text().strip()
        else:
            creds = data_dir(args) / "bus" / "credentials.json"
            if not creds.exists():
                print(f"no credential: give --password-file (the {STREAMER} user's password), or run where "
                      "jalin up keeps its data folder", file=sys.stderr)
                return 2
            password = BusCredentials.load_or_create(creds.parent).streamer
        url = ",".join(u.strip().replace("nats://", f"nats://{STREAMER}:{password}@", 1) for u in url.split(","))
    try:
        apply_stream(url, within=args.wait)
    except Exception as exc:  # noqa: BLE001 - tell the operator, no traceback, no password
        print(f"could not apply the JALIN stream on {redacted(args.nats_url)}: {redacted(str(exc))}", file=sys.stderr)
        return 1
    config = stream_config()
    print(json.dumps({"stream": config.name, "subjects": config.subjects, "duplicate_window": config.duplicate_window,
                      "replicas": config.num_replicas}))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    """The whole suite in parallel (pytest-xdist: the platform tests in one worker, the
    in-process tests in the others); with arguments, pytest with exactly those."""
    # At least three workers: the platform tests (one worker) mostly wait on events, so a third
    # keeps a 2-core machine busy with the deploy and in-process tests meanwhile.
    workers = max(3, os.cpu_count() or 1)
    parallel = [] if args.pytest_args else ["-n", str(workers), "--dist", "loadgroup", "--no-loadscope-reorder"]
    return subprocess.call([sys.executable, "-m", "pytest", *parallel, *args.pytest_args])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="jalin", description="Jalin: regional cooperation platform.")
    parser.add_argument("--data-dir", help="where the embedded default keeps its files (default .jalin)")
    sub = parser.add_subparsers(dest="command", required=True)

    def add_ports(p: argparse.ArgumentParser) -> None:
        for name in SERVICES:
            p.add_argument(f"--{name}-port", type=int, default=None,
                           help=f"default {DEFAULT_PORTS[name]}")

    up = sub.add_parser("up", help="run the whole platform on the embedded default")
    add_ports(up)
    up.add_argument("--console-port", type=int, default=DEFAULT_CONSOLE_PORT, help=f"default {DEFAULT_CONSOLE_PORT}")
    up.add_argument("--nats-port", type=int, default=DEFAULT_NATS_PORT)
    up.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT)
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness")
    up.add_argument("--database", metavar="URL",
                    help="PostgreSQL server (postgresql://user@host:port/db): one database per service, jalin_<service>, "
                         "created when missing (default: SQLite files in the data folder)")
    up.add_argument("--replicas", metavar="SERVICE=N,...",
                    help="processes per service sharing its store and consumers, e.g. documents=3,notifications=2 "
                         "(needs --database)")
    up.set_defaults(func=cmd_up)

    tok = sub.add_parser("token", help="print a development JWT")
    tok.add_argument("--tenant", required=True)
    tok.add_argument("--role", required=True, help="one role, or several separated by commas")
    tok.add_argument("--user")
    tok.add_argument("--unit", help="the OPD (unit) id, e.g. dinkes")
    tok.set_defaults(func=cmd_token)

    demo = sub.add_parser("demo", help="a proposal from draft to approval and its effects, then the partner's offer, KB and PKS")
    add_ports(demo)
    demo.add_argument("--console-port", type=int, default=DEFAULT_CONSOLE_PORT, help=f"default {DEFAULT_CONSOLE_PORT}")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--wait", type=float, default=15.0)
    demo.set_defaults(func=cmd_demo)

    dl = sub.add_parser("dead-letters", help="list or replay the messages that failed every delivery")
    dl.add_argument("action", choices=["list", "replay"])
    dl.add_argument("--service", choices=[s for s in SERVICES if s != "proposals"])
    dl.add_argument("--id", type=int)
    dl.add_argument("--all", action="store_true", help="include replayed ones")
    dl.add_argument("--host", default="127.0.0.1")
    add_ports(dl)
    dl.set_defaults(func=cmd_dead_letters)

    ob = sub.add_parser("outbox", help="list the events a service could not publish (parked), or replay one")
    ob.add_argument("action", choices=["list", "replay"])
    ob.add_argument("--service", choices=list(SERVICES))
    ob.add_argument("--id", help="the outbox event's id (replay)")
    ob.add_argument("--waiting", action="store_true", help="list the events still waiting to be sent, not the parked")
    ob.add_argument("--host", default="127.0.0.1")
    add_ports(ob)
    ob.set_defaults(func=cmd_outbox)

    add_tenants_parser(sub, add_ports)
    add_events_parser(sub, DEFAULT_NATS_PORT)

    st = sub.add_parser("stream", help="create or update the JALIN stream from its one definition")
    st.add_argument("action", choices=["apply"])
    st.add_argument("--nats-url", default=f"nats://127.0.0.1:{DEFAULT_NATS_PORT}",
                    help="the bus (a cluster: its nodes' URLs separated by commas); the stream user's credential from "
                         "--password-file, else the data folder's")
    st.add_argument("--password-file", help="the streamer user's password, in a file (a mounted secret)")
    st.add_argument("--wait", type=float, default=60.0,
                    help="seconds to keep trying while the bus starts (a cluster electing its leader)")
    st.set_defaults(func=cmd_stream)

    docs = sub.add_parser("docs", help="generate documentation from the code")
    docs.add_argument("what", choices=["access"], help="access: docs/access.md, the role × operation tables")
    docs.add_argument("--check", action="store_true", help="only check that the file is current (exit 1 if not)")
    docs.add_argument("--output", help=f"the file to write or check (default {ACCESS_MD})")
    docs.set_defaults(func=cmd_docs)

    test = sub.add_parser("test", help="run the test suite (pytest)")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)

    args = parser.parse_args(argv)
    raise SystemExit(args.func(args))
