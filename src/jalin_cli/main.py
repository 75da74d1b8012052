"""The ``jalin`` command: run the platform, mint tokens, demo, operate dead letters, generate docs."""

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

import httpx
from jalin_kit.auth import ROLES, issue_dev_token
from jalin_kit.settings import DEV_SECRET_FILE, development_secret

from jalin_cli.access_docs import ACCESS_MD, cmd_docs
from jalin_cli.platform import (
    DEFAULT_NATS_PORT,
    DEFAULT_PORTS,
    DEFAULT_SMTP_PORT,
    SERVICES,
    Platform,
    PlatformConfig,
)

DEMO_USERS = [
    # tenant, user, roles, unit, name
    ("sumbar", "ani.opd", ["opd_staff"], "dinkes", "Ani (Dinas Kesehatan)"),
    ("sumbar", "budi.ks", ["kerja_sama"], None, "Budi (Biro Kerja Sama)"),
    ("sumbar", "sekda", ["sekda"], None, "Sekretaris Daerah"),
    ("kukar", "citra.opd", ["opd_staff"], "dishub", "Citra (Dinas Perhubungan)"),
    ("kukar", "dedi.ks", ["kerja_sama"], None, "Dedi (Bagian Kerja Sama)"),
    ("platform", "operator", ["platform_admin"], None, "Platform operator"),
]


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir or os.environ.get("JALIN_DATA_DIR", ".jalin")).resolve()


def dev_secret(folder: Path, create: bool) -> str:
    """The development issuer's secret, kept in the data folder (never a fixed string)."""
    if os.environ.get("JALIN_JWT_SECRET"):
        return os.environ["JALIN_JWT_SECRET"]
    if not create and not (folder / DEV_SECRET_FILE).exists():
        raise SystemExit(f"no development secret in {folder / DEV_SECRET_FILE}: start the platform with `jalin up` first")
    return development_secret(folder)


def token_for(folder: Path, tenant: str, roles: list[str], user: str, unit: str | None = None,
              name: str | None = None, create: bool = False) -> str:
    return issue_dev_token(dev_secret(folder, create), tenant=tenant, roles=roles, user=user, unit=unit, name=name)


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
    config = PlatformConfig(
        data_dir=folder,
        nats_port=args.nats_port,
        ports=ports,
        smtp_port=args.smtp_port,
        jwt_secret=secret,
    )
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
            for svc in platform.services.values():
                if svc.proc is not None and svc.proc.poll() is not None:
                    # At most one restart per service every 5 s: a crash loop must not spin.
                    if time.monotonic() - restarts.get(svc.name, 0.0) < 5.0:
                        continue
                    restarts[svc.name] = time.monotonic()
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
    for name in SERVICES:
        print(f"  {name:<14} {platform.url(name)}   (API docs: {platform.url(name)}/docs)")
    print(f"  {'nats':<14} {platform.nats_url}")
    print(f"  {'mail':<14} smtp://127.0.0.1:{platform.config.smtp_port} -> {folder / 'mail'}")
    print(f"  {'logs':<14} {folder / 'logs'}\n")
    print("Demo users and their tokens (valid 7 days):")
    for tenant, user, roles, unit, name in DEMO_USERS:
        token = token_for(folder, tenant, roles, user, unit, name)
        print(f"\n  {name} — tenant {tenant}, roles {','.join(roles)}" + (f", unit {unit}" if unit else ""))
        print(f"  {token}")
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


# -- jalin demo ----------------------------------------------------------------------

def _base(args: argparse.Namespace, name: str) -> str:
    port = getattr(args, f"{name}_port") or DEFAULT_PORTS[name]
    return f"http://{args.host}:{port}"


def cmd_demo(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    staff = token_for(folder, "sumbar", ["opd_staff"], "ani.opd", "dinkes", "Ani")
    section = token_for(folder, "sumbar", ["kerja_sama"], "budi.ks", None, "Budi")
    h_staff = {"Authorization": f"Bearer {staff}"}
    h_section = {"Authorization": f"Bearer {section}"}
    body = {
        "title": "Peningkatan Layanan Kesehatan Rujukan & Ambulans <Tahap 1>",
        "kind": "ksdd",
        "partner": {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"},
        "objective": "Meningkatkan akses rujukan kesehatan bagi warga kedua daerah.",
        "scope": "Rujukan pasien, pertukaran tenaga medis, dan pelatihan bersama.",
        "term_months": 36,
        "financing": "APBD masing-masing pihak sesuai kewenangan.",
    }
    try:
        with httpx.Client(timeout=10) as http:
            p = _ok(http.post(f"{_base(args, 'proposals')}/v1/proposals", json=body, headers=h_staff))
            print(f"1. Draft created by Ani (Dinas Kesehatan, sumbar): {p['id']}")
            _ok(http.post(f"{_base(args, 'proposals')}/v1/proposals/{p['id']}/submit", headers=h_staff))
            print("2. Submitted.")
            approved = _ok(http.post(f"{_base(args, 'proposals')}/v1/proposals/{p['id']}/approve", headers=h_section))
            t0 = time.monotonic()
            print(f"3. Approved by Budi (Biro Kerja Sama): term {approved['term_start']} .. {approved['term_end']}")
            docs, inbox, plans = _wait_for_effects(http, args, p["id"], h_staff, args.wait)
            elapsed = time.monotonic() - t0
    except httpx.HTTPError as exc:
        print(f"Cannot reach Jalin ({exc}). Is it running? Start it with: jalin up", file=sys.stderr)
        return 1
    except DemoError as exc:
        print(f"Demo failed: {exc}", file=sys.stderr)
        return 1
    if not (docs and inbox and plans):
        missing = [n for n, v in (("document", docs), ("inbox messages", inbox), ("plan", plans)) if not v]
        print(f"After {args.wait}s still missing: {', '.join(missing)}. See the logs in {folder / 'logs'}.")
        return 1
    print(f"\nWithin {elapsed:.1f}s of approval:")
    d = docs[0]
    path = folder / "blobs" / "documents" / "sumbar"
    print(f"  Document  : {d['filename']} (v{d['version']}, sha256 {d['sha256'][:12]}…)")
    print(f"              {_base(args, 'documents')}/v1/documents/{d['id']}/content  (files under {path})")
    print(f"  Inbox     : {len(inbox)} message(s) for unit dinkes, e.g. “{inbox[0]['title']}”")
    plan = plans[0]
    print(f"  Plan      : {len(plan['rounds'])} monev rounds, reminders "
          + ", ".join(f"{r['days_before_end']}d ({r['due_on']})" for r in plan["reminders"]))
    print(f"  Email     : {folder / 'mail' / 'new'} (a Maildir; the local SMTP sink of `jalin up`)")
    try:
        with httpx.Client(timeout=10) as http:
            _demo_cooperation(http, args, folder, p["id"], h_section)
    except httpx.HTTPError as exc:
        print(f"Cannot reach Jalin ({exc}).", file=sys.stderr)
        return 1
    except DemoError as exc:
        print(f"Demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo_cooperation(http: httpx.Client, args: argparse.Namespace, folder: Path, pid: str,
                      h_section: dict[str, str]) -> None:
    """The rest of the lifecycle with the partner region: offer, KB, PKS (docs/lifecycle.md)."""
    kukar = {"Authorization": f"Bearer {token_for(folder, 'kukar', ['kerja_sama'], 'dedi.ks', None, 'Dedi')}"}
    head = {"Authorization": f"Bearer {token_for(folder, 'sumbar', ['kepala_daerah'], 'gubernur', None, 'Gubernur')}"}
    base = _base(args, "proposals")

    def step(command: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        return _ok(http.post(f"{base}/v1/proposals/{pid}/actions/{command}", json=body, headers=headers))

    offers = _ok(http.get(f"{base}/v1/offers", headers=kukar))
    if pid not in {o["id"] for o in offers}:
        raise DemoError("the offer did not reach kukar's GET /v1/offers")
    deadline, notice = time.monotonic() + args.wait, None
    while notice is None and time.monotonic() < deadline:
        inbox = _ok(http.get(f"{_base(args, 'notifications')}/v1/inbox", params={"proposal_id": pid}, headers=kukar))
        notice = next((m for m in inbox if m["kind"] == "proposal.offer"), None)
        time.sleep(0.2)
    print("\nThe partner region on Jalin (docs/lifecycle.md):")
    print("4. kukar's Bagian Kerja Sama (Dedi) has the offer in GET /v1/offers"
          + (f" and in its inbox: “{notice['title']}”" if notice else ""))
    step("accept_offer", kukar, {"note": "Kabupaten Kutai Kartanegara menerima penawaran."})
    print("5. Dedi accepts it (actions/accept_offer): stage penyusunan_kb")
    today = time.strftime("%Y-%m-%d")
    signing = {"signed_on": today, "signed_place": "Padang", "signatory_name": "Mahyeldi",
               "signatory_title": "Gubernur Sumatera Barat"}
    step("finalize_kb", h_section)
    step("sign_kb", head, {**signing, "number_first": "120/KB/2026", "number_second": "415/KB/KUKAR/2026"})
    print("6. The KB is finalised and signed by the Gubernur (numbers of both parties); no DPRD approval "
          "needed: budgeted, no burden on the public")
    step("finalize_pks", h_section)
    running = step("sign_pks", head, {**signing, "number_first": "121/PKS/2026", "number_second": "416/PKS/KUKAR/2026"})
    print(f"7. The PKS is signed: stage {running['stage']}, term {running['term_start']} .. {running['term_end']}")
    history = _ok(http.get(f"{base}/v1/proposals/{pid}/history", headers=kukar))
    print(f"  Both regions see it; kukar's view of the history has {len(history)} entries "
          f"({', '.join(h['action'] for h in history)}); CSV: {base}/v1/proposals/{pid}/history?format=csv")


class DemoError(Exception):
    pass


def _ok(r: httpx.Response) -> Any:
    if r.status_code >= 400:
        raise DemoError(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text}")
    return r.json()


def _wait_for_effects(http: httpx.Client, args: argparse.Namespace, pid: str, headers: dict[str, str],
                      wait: float) -> tuple[list[Any], list[Any], list[Any]]:
    deadline = time.monotonic() + wait
    docs: list[Any] = []
    inbox: list[Any] = []
    plans: list[Any] = []
    while time.monotonic() < deadline:
        docs = docs or _ok(http.get(f"{_base(args, 'documents')}/v1/documents", params={"proposal_id": pid}, headers=headers))
        inbox = [m for m in _ok(http.get(f"{_base(args, 'notifications')}/v1/inbox", params={"proposal_id": pid}, headers=headers))]
        plans = plans or _ok(http.get(f"{_base(args, 'evaluation')}/v1/plans", params={"proposal_id": pid}, headers=headers))
        if docs and plans and any(m["kind"] == "document.generated" for m in inbox):
            break
        time.sleep(0.2)
    return docs, inbox, plans


# -- jalin dead-letters ----------------------------------------------------------------

def cmd_dead_letters(args: argparse.Namespace) -> int:
    token = token_for(data_dir(args), "platform", ["platform_admin"], "operator")
    headers = {"Authorization": f"Bearer {token}"}
    if args.action == "replay" and (args.service is None or args.id is None):
        print("replay needs --service and --id (dead-letter ids are per service; see `jalin dead-letters list`)",
              file=sys.stderr)
        return 2
    services = [args.service] if args.service else [s for s in SERVICES if s != "proposals"]
    status = 0
    with httpx.Client(timeout=120) as http:
        for name in services:
            base = f"{_base(args, name)}/v1/admin/dead-letters"
            try:
                if args.action == "list":
                    rows = _ok(http.get(base, params={"all": args.all}, headers=headers))
                    for row in rows:
                        print(json.dumps({"service": name, **row}, ensure_ascii=False))
                    if not rows:
                        print(f"{name}: no dead letters")
                else:
                    row = _ok(http.post(f"{base}/{args.id}/replay", headers=headers))
                    ok = row["replayed_at"] is not None
                    print(f"{name}: dead letter {args.id} " + ("replayed" if ok else f"failed again: {row['replay_error']}"))
                    if not ok:
                        status = 1
            except (httpx.HTTPError, DemoError) as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                status = 1
    return status


# -- jalin outbox ----------------------------------------------------------------------

def cmd_outbox(args: argparse.Namespace) -> int:
    """Events a service could not publish: list them (parked, or still waiting) and replay one."""
    token = token_for(data_dir(args), "platform", ["platform_admin"], "operator")
    headers = {"Authorization": f"Bearer {token}"}
    if args.action == "replay" and (args.service is None or args.id is None):
        print("replay needs --service and --id (see `jalin outbox list`)", file=sys.stderr)
        return 2
    status = 0
    with httpx.Client(timeout=30) as http:
        for name in [args.service] if args.service else list(SERVICES):
            base = f"{_base(args, name)}/v1/admin/outbox"
            try:
                if args.action == "list":
                    rows = _ok(http.get(base, params={"parked": not args.waiting}, headers=headers))
                    for row in rows:
                        print(json.dumps({"service": name, **row}, ensure_ascii=False))
                    if not rows:
                        print(f"{name}: no {'waiting' if args.waiting else 'parked'} events")
                else:
                    row = _ok(http.post(f"{base}/{args.id}/replay", headers=headers))
                    print(f"{name}: outbox event {args.id} " + ("already sent" if row["sent_at"] else "will be sent again"))
            except (httpx.HTTPError, DemoError) as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                status = 1
    return status


# -- jalin stream / migrate / test -----------------------------------------------------

def cmd_stream(args: argparse.Namespace) -> int:
    from jalin_kit.events import stream_config

    from jalin_cli.platform import apply_stream

    try:
        apply_stream(args.nats_url, attempts=3)
    except Exception as exc:  # noqa: BLE001 - tell the operator, no traceback
        print(f"could not apply the JALIN stream on {args.nats_url}: {exc}", file=sys.stderr)
        return 1
    config = stream_config()
    print(json.dumps({"stream": config.name, "subjects": config.subjects, "duplicate_window": config.duplicate_window}))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", *args.pytest_args])


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
    up.add_argument("--nats-port", type=int, default=DEFAULT_NATS_PORT)
    up.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT)
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness")
    up.set_defaults(func=cmd_up)

    tok = sub.add_parser("token", help="print a development JWT")
    tok.add_argument("--tenant", required=True)
    tok.add_argument("--role", required=True, help="one role, or several separated by commas")
    tok.add_argument("--user")
    tok.add_argument("--unit", help="the OPD (unit) id, e.g. dinkes")
    tok.set_defaults(func=cmd_token)

    demo = sub.add_parser("demo", help="a proposal from draft to approval and its effects, then the partner's offer, KB and PKS")
    add_ports(demo)
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

    st = sub.add_parser("stream", help="create or update the JALIN stream from its one definition")
    st.add_argument("action", choices=["apply"])
    st.add_argument("--nats-url", default=f"nats://127.0.0.1:{DEFAULT_NATS_PORT}")
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
