"""``jalin events T``: what a region's external system sees on the bus, with that region's
own credential only: its events and those of cooperations shared with it, from the durable
position it left off at (one JSON line per event)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import nats

from jalin_cli.bus import TENANT_STREAM, BusCredentials
from jalin_cli.common import data_dir


def tenant_credential(args: argparse.Namespace, tenant: str) -> str | None:
    path = data_dir(args) / "bus" / "credentials.json"
    if not path.exists():
        return None
    creds = BusCredentials.load_or_create(path.parent)
    entry = creds.tenants.get(tenant)
    return entry["user"] if entry else None


async def _follow(url: str, tenant: str, durable: str, count: int | None, idle: float | None) -> int:
    nc = await nats.connect(url, max_reconnect_attempts=3, reconnect_time_wait=0.5, connect_timeout=10)
    printed = 0
    try:
        # A busy server may take seconds to answer a JetStream call: wait rather than give up.
        sub = await nc.jetstream(timeout=20).pull_subscribe(f"jalin.{tenant}.>", durable=durable, stream=TENANT_STREAM)
        waited = 0.0
        while count is None or printed < count:
            try:
                msgs = await sub.fetch(50, timeout=1)
            except TimeoutError:
                # nats-py raises its own TimeoutError or asyncio's bare one (when the wait runs
                # out between its two pull requests); both are the builtin's subclasses.
                waited += 1
                if idle is not None and waited >= idle:
                    break
                continue
            waited = 0.0
            for msg in msgs:
                h = msg.headers or {}
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    data = msg.data.decode(errors="replace")
                line = {"subject": msg.subject, "type": h.get("ce-type"), "id": h.get("ce-id"),
                        "tenant": h.get("ce-tenantid"), "time": h.get("ce-time"), "data": data}
                print(json.dumps(line, ensure_ascii=False), flush=True)
                await msg.ack()
                printed += 1
                if count is not None and printed >= count:
                    break
    finally:
        await nc.close()
    return printed


def cmd_events(args: argparse.Namespace) -> int:
    password = tenant_credential(args, args.tenant)
    if password is None:
        print(f"no bus credential for tenant {args.tenant!r} in {data_dir(args) / 'bus'}: is it onboarded, "
              "and was the platform started here (jalin up)?", file=sys.stderr)
        return 1
    url = f"nats://{args.tenant}:{password}@{args.host}:{args.nats_port}"
    try:
        asyncio.run(_follow(url, args.tenant, args.durable, args.count, args.idle))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - say what went wrong, no traceback
        print(f"cannot follow {args.tenant}'s events on {args.host}:{args.nats_port}: {type(exc).__name__} {exc}",
              file=sys.stderr)
        return 1
    return 0


def add_events_parser(sub: argparse._SubParsersAction, default_nats_port: int) -> None:  # type: ignore[type-arg]
    ev = sub.add_parser("events", help="follow a region's events on the bus, with that region's own credential")
    ev.add_argument("tenant", help="the tenant id, e.g. kukar")
    ev.add_argument("--durable", default="jalin-cli", help="the durable position to resume from (default jalin-cli)")
    ev.add_argument("--count", type=int, help="stop after this many events")
    ev.add_argument("--idle", type=float, help="stop after this many seconds without an event")
    ev.add_argument("--host", default="127.0.0.1")
    ev.add_argument("--nats-port", type=int, default=default_nats_port)
    ev.set_defaults(func=cmd_events)
