"""The operator's commands: dead letters, the outbox's parked events, the tenant registry."""

from __future__ import annotations

import argparse
import json
import sys

import httpx

from jalin_cli.bus import TENANT_STREAM, BusCredentials, account_of
from jalin_cli.common import CommandFailed, base_url, data_dir, ok, token_for
from jalin_cli.platform import DEFAULT_NATS_PORT, SERVICES


def operator_headers(args: argparse.Namespace) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(data_dir(args), 'platform', ['platform_admin'], 'operator')}"}


# -- jalin dead-letters ----------------------------------------------------------------

def cmd_dead_letters(args: argparse.Namespace) -> int:
    headers = operator_headers(args)
    if args.action == "replay" and (args.service is None or args.id is None):
        print("replay needs --service and --id (dead-letter ids are per service; see `jalin dead-letters list`)",
              file=sys.stderr)
        return 2
    services = [args.service] if args.service else [s for s in SERVICES if s != "proposals"]
    status = 0
    with httpx.Client(timeout=120) as http:
        for name in services:
            base = f"{base_url(args, name)}/v1/admin/dead-letters"
            try:
                if args.action == "list":
                    rows = ok(http.get(base, params={"all": args.all}, headers=headers))
                    for row in rows:
                        print(json.dumps({"service": name, **row}, ensure_ascii=False))
                    if not rows:
                        print(f"{name}: no dead letters")
                else:
                    row = ok(http.post(f"{base}/{args.id}/replay", headers=headers))
                    replayed = row["replayed_at"] is not None
                    print(f"{name}: dead letter {args.id} " + ("replayed" if replayed else f"failed again: {row['replay_error']}"))
                    if not replayed:
                        status = 1
            except (httpx.HTTPError, CommandFailed) as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                status = 1
    return status


# -- jalin outbox ----------------------------------------------------------------------

def cmd_outbox(args: argparse.Namespace) -> int:
    """Events a service could not publish: list them (parked, or still waiting) and replay one."""
    headers = operator_headers(args)
    if args.action == "replay" and (args.service is None or args.id is None):
        print("replay needs --service and --id (see `jalin outbox list`)", file=sys.stderr)
        return 2
    status = 0
    with httpx.Client(timeout=30) as http:
        for name in [args.service] if args.service else list(SERVICES):
            base = f"{base_url(args, name)}/v1/admin/outbox"
            try:
                if args.action == "list":
                    rows = ok(http.get(base, params={"parked": not args.waiting}, headers=headers))
                    for row in rows:
                        print(json.dumps({"service": name, **row}, ensure_ascii=False))
                    if not rows:
                        print(f"{name}: no {'waiting' if args.waiting else 'parked'} events")
                else:
                    row = ok(http.post(f"{base}/{args.id}/replay", headers=headers))
                    print(f"{name}: outbox event {args.id} " + ("already sent" if row["sent_at"] else "will be sent again"))
            except (httpx.HTTPError, CommandFailed) as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                status = 1
    return status


# -- jalin tenants ---------------------------------------------------------------------

def _settings_from(args: argparse.Namespace) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in ("max_term_months", "monev_rounds_per_year"):
        if getattr(args, name, None) is not None:
            out[name] = getattr(args, name)
    for name in ("reminder_offsets_days", "mapping_reminder_offsets_days"):
        if getattr(args, name, None):
            out[name] = [int(x) for x in getattr(args, name).split(",")]
    return out


def _units_from(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    units = {}
    for item in values:
        unit, _, name = item.partition("=")
        if not name:
            raise CommandFailed(f"--unit {item!r}: write id=Name, e.g. dinkes='Dinas Kesehatan'")
        units[unit.strip()] = name.strip()
    return units


def _show(info: dict[str, object]) -> str:
    units = info.get("units")
    listed = ", ".join(f"{k} ({v})" for k, v in units.items()) if isinstance(units, dict) else ""
    lines = [
        f"{info['id']}: {info['name']} ({info['kind']}, kode {info['region_code']}, {info['timezone']}) — {info['status']}, "
        f"version {info['version']}",
        f"  kepala daerah: {info.get('head_name') or '-'} ({info['head_title']}), seat {info['seat']}",
        f"  section: {info['cooperation_section']}; mail @{info['email_domain']}",
        f"  units: {listed or '-'}",
        f"  settings: max term {info['max_term_months']} months, {info['monev_rounds_per_year']} monev rounds a year, "
        f"reminders {info['reminder_offsets_days']} days before the end",
    ]
    return "\n".join(lines)


def cmd_tenants(args: argparse.Namespace) -> int:
    """The tenant registry (owned by the proposals service), and what each service's copy has."""
    if args.action == "credentials":
        return _credentials(args)
    headers = operator_headers(args)
    base = f"{base_url(args, 'proposals')}/v1/admin/tenants"
    try:
        with httpx.Client(timeout=30) as http:
            if args.action == "list":
                for t in ok(http.get(base, params={"status": args.status} if args.status else None, headers=headers)):
                    print(f"{t['id']:<28} {t['region_code'] or '-':<6} {t['status']:<9} {t['name']}")
                return 0
            if args.tenant is None:
                raise CommandFailed(f"`jalin tenants {args.action}` needs the tenant id (or, to add, the region code)")
            if args.action == "add":
                body: dict[str, object] = {"region_code": args.tenant, "head_name": args.head_name, "seat": args.seat,
                                           "email_domain": args.email_domain}
                for name in ("id", "head_title", "cooperation_section"):
                    if getattr(args, name):
                        body[name] = getattr(args, name)
                body["units"] = _units_from(args.unit) or {}
                body["settings"] = _settings_from(args)
                print(_show(ok(http.post(base, json=body, headers=headers))))
            elif args.action == "show":
                print(_show(ok(http.get(f"{base}/{args.tenant}", headers=headers))))
                for name in SERVICES:
                    if name == "proposals":
                        continue
                    r = http.get(f"{base_url(args, name)}/v1/admin/tenants/{args.tenant}", headers=headers)
                    copy = f"version {r.json()['version']}, {r.json()['status']}" if r.status_code == 200 else "not yet"
                    print(f"  {name}'s copy: {copy}")
            elif args.action == "change":
                change: dict[str, object] = {k: getattr(args, k) for k in ("head_name", "head_title", "seat", "email_domain",
                                                                            "cooperation_section") if getattr(args, k)}
                if args.unit:
                    change["units"] = _units_from(args.unit)
                if _settings_from(args):
                    current = ok(http.get(f"{base}/{args.tenant}", headers=headers))
                    keys = ("monev_rounds_per_year", "reminder_offsets_days", "max_term_months",
                            "mapping_reminder_offsets_days", "offer_stage", "kb_before_pks")
                    change["settings"] = {**{k: current[k] for k in keys}, **_settings_from(args)}
                print(_show(ok(http.patch(f"{base}/{args.tenant}", json=change, headers=headers))))
            else:  # disable / enable
                print(_show(ok(http.post(f"{base}/{args.tenant}/{args.action}", headers=headers))))
    except httpx.HTTPError as exc:
        print(f"Cannot reach the proposals service ({exc}). Is Jalin running?", file=sys.stderr)
        return 1
    except CommandFailed as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def _credentials(args: argparse.Namespace) -> int:
    """The region's credential for its external systems on the bus (the embedded default
    keeps it in its data folder; in production, the operator's secret store does)."""
    path = data_dir(args) / "bus" / "credentials.json"
    entry = BusCredentials.load_or_create(path.parent).tenants.get(args.tenant or "") if path.exists() else None
    if not args.tenant or entry is None or not entry.get("active", True):
        print(f"no bus credential for {args.tenant!r} in {path.parent}: the region must be onboarded and enabled, "
              "and the platform running here (jalin up), which provisions its account within a second",
              file=sys.stderr)
        return 1
    host, port = args.host, args.nats_port
    print(f"tenant {args.tenant}: account {account_of(args.tenant)} on nats://{host}:{port}")
    print(f"  user:     {args.tenant}")
    print(f"  password: {entry['user']}")
    print(f"  stream:   {TENANT_STREAM} (subjects jalin.{args.tenant}.>: its events, and jalin.{args.tenant}.shared.<owner>.… "
          "for cooperations other regions share with it)")
    print(f"  follow:   ./jalin --data-dir {data_dir(args)} events {args.tenant} --nats-port {port}")
    return 0


def add_tenants_parser(sub: argparse._SubParsersAction, add_ports: object) -> None:  # type: ignore[type-arg]
    tn = sub.add_parser("tenants", help="the regions onboarded on this Jalin: list, show, add, change, disable, enable; "
                        "credentials (a region's credential on the bus)")
    tn.add_argument("action", choices=["list", "show", "add", "change", "disable", "enable", "credentials"])
    tn.add_argument("tenant", nargs="?", help="the tenant id; for add, the region's Kemendagri code (e.g. 13.71)")
    tn.add_argument("--id", help="add: the tenant id (default from the region's name, e.g. kota-padang)")
    tn.add_argument("--head-name", help="the kepala daerah's name")
    tn.add_argument("--head-title", help="default: Gubernur / Bupati / Wali Kota of the region")
    tn.add_argument("--seat", help="the seat of government")
    tn.add_argument("--email-domain", help="the region's mail domain, e.g. padang.go.id")
    tn.add_argument("--cooperation-section", help="default: Biro/Bagian Kerja Sama Setda of the region")
    tn.add_argument("--unit", action="append", metavar="ID=NAME", help="a unit (OPD); repeat for each (replaces the list)")
    tn.add_argument("--max-term-months", type=int)
    tn.add_argument("--monev-rounds-per-year", type=int, choices=[1, 2, 3, 4, 6, 12])
    tn.add_argument("--reminder-offsets-days", help="e.g. 90,60,30,7,0")
    tn.add_argument("--mapping-reminder-offsets-days", help="e.g. 14,7,3,1")
    tn.add_argument("--status", choices=["active", "disabled"], help="list: only these")
    tn.add_argument("--host", default="127.0.0.1")
    tn.add_argument("--nats-port", type=int, default=DEFAULT_NATS_PORT, help="credentials: the bus's port")
    add_ports(tn)  # type: ignore[operator]
    tn.set_defaults(func=cmd_tenants)
