"""The bench's names, targets and options: what a run measures, and how much of it."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import MappingProxyType
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent
"""bench/: its results/ folder holds the committed runs."""

TENANT = "sumbar"
JALIN = "JALIN"
KIT_TENANT = "benchkit"
# The consumers whose ack marks each side effect as committed.
C_DOCUMENT = "documents-proposal-approved"
C_PLAN = "evaluation-proposal-approved"
C_NOTIFY_DOC = "notifications-document-generated"
C_NOTIFY_APPROVED = "notifications-proposal-approved"
C_NOTIFY_SUBMITTED = "notifications-proposal-submitted"
KIT_START = "benchkit1-bench-ping"  # durable names EventConsumers gives the kit chain's hops
KIT_END = "benchkit2-bench-pong-pong"

TARGETS = MappingProxyType({
    "p99_ms_at_rate": 100.0,
    "sustained_approvals_per_s": 100.0,
    "plumbing_over_raw": 0.40,
    "reads_per_s": 1000.0,
    "rss_mb": 150.0,
})
# Reference figures of raw nats-py on the 2-vCPU bench machine, for the "this run / anchor" column
# (the machine is noisy: ±25 %).
ANCHORS = MappingProxyType({
    "js_publish_one_at_a_time": 4556.0,
    "js_fetch100_ack": 16100.0,
    "raw_2hop_p50_ms_at_200": 0.84,
    "raw_2hop_p99_ms_at_200": 1.52,
    "raw_2hop_max_sustained": 1800.0,
})

PARTNER = MappingProxyType({"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"})
PROPOSAL_BODY = MappingProxyType({
    "kind": "ksdd",
    "objective": "Meningkatkan akses rujukan kesehatan bagi warga kedua daerah.",
    "scope": "Rujukan pasien, pertukaran tenaga medis, dan pelatihan bersama.",
    "term_months": 36,
    "financing": "APBD masing-masing pihak sesuai kewenangan.",
})


def proposal_body(title: str) -> dict[str, Any]:
    """A new proposal's JSON body (a fresh dict: the callers' requests never share one)."""
    return {"title": title, **PROPOSAL_BODY, "partner": dict(PARTNER)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="approval_flow",
                                     description="Jalin approval-flow benchmark (see bench/README.md).")
    parser.add_argument("--quick", action="store_true", help="a small run for smoke-testing and CI (< 60 s)")
    parser.add_argument("--rate", type=float, default=20.0, help="paced approvals per second (default 20)")
    parser.add_argument("--duration", type=float, default=None, help="seconds of paced approvals (default 30; quick 0.5)")
    parser.add_argument("--n", type=int, default=None, help="approvals in the burst (default 300; quick 16)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients in the burst (default 8)")
    parser.add_argument("--read-clients", type=int, default=8, help="concurrent clients for reads (default 8)")
    parser.add_argument("--proposals-workers", type=int, default=2,
                        help="HTTP worker processes of the proposals service (JALIN_PROPOSALS_HTTP_WORKERS; default 2)")
    parser.add_argument("--read-seconds", type=float, default=None, help="seconds of reads (default 10; quick 1)")
    parser.add_argument("--sample-every", type=int, default=None,
                        help="poll every k-th paced approval over HTTP (default 10; quick 5; 0 = none)")
    parser.add_argument("--poll-interval", type=float, default=0.02, help="HTTP sample poll interval, s (0.02)")
    parser.add_argument("--light-rate", type=float, default=5.0,
                        help="rate of a short unsaturated paced run before the main one (5/s)")
    parser.add_argument("--chain-rate", type=float, default=200.0, help="paced rate of the 2-hop chains (200/s)")
    parser.add_argument("--chain-n", type=int, default=None, help="messages in the chains' burst (2000; quick 100)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results",
                        help="where the report is written (default bench/results; CI writes to a temporary folder)")
    parser.add_argument("--previous", type=Path, default=None,
                        help="the report (.json) to compare with (default: the newest committed one in bench/results)")
    parser.add_argument("--profile", action="store_true",
                        help="sample the processes with py-spy in the bursts and the reads (the report says where the time goes)")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    parser.add_argument("--keep-data", action="store_true", help="keep the temporary data folder (logs, dbs)")
    return parser


def settings_for(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    s = {
        "rate": args.rate,
        "duration": args.duration if args.duration is not None else (0.5 if quick else 30.0),
        "n": args.n if args.n is not None else (16 if quick else 300),
        "workers": args.workers,
        "read_clients": args.read_clients,
        "proposals_workers": args.proposals_workers,
        "read_seconds": args.read_seconds if args.read_seconds is not None else (1.0 if quick else 10.0),
        "sample_every": args.sample_every if args.sample_every is not None else (5 if quick else 10),
        "poll_interval": args.poll_interval,
        "chain_rate": args.chain_rate,
        "chain_paced_seconds": 0.25 if quick else 5.0,
        "chain_light_rate": 50.0,
        "chain_n": args.chain_n if args.chain_n is not None else (100 if quick else 2000),
        "raw_publish": 500 if quick else 5000,
        "raw_backlog": 1000 if quick else 10000,
        "warm_up": 3,
        "settle_max": 1.0 if quick else 180.0,
        "light_rate": args.light_rate,
        "light_n": 5 if quick else 50,
        "quick": quick,
        "profile": args.profile,
    }
    s["paced_n"] = max(1, int(round(s["rate"] * s["duration"])))
    return s
