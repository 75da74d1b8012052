"""``jalin demo``: a proposal from draft to approval and where its effects are, then the
partner region's offer, KB and PKS (docs/lifecycle.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from jalin_cli.common import CommandFailed, base_url, data_dir, ok, token_for


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
            p = ok(http.post(f"{base_url(args, 'proposals')}/v1/proposals", json=body, headers=h_staff))
            print(f"1. Draft created by Ani (Dinas Kesehatan, sumbar): {p['id']}")
            ok(http.post(f"{base_url(args, 'proposals')}/v1/proposals/{p['id']}/submit", headers=h_staff))
            print("2. Submitted.")
            approved = ok(http.post(f"{base_url(args, 'proposals')}/v1/proposals/{p['id']}/approve", headers=h_section))
            t0 = time.monotonic()
            print(f"3. Approved by Budi (Biro Kerja Sama): term {approved['term_start']} .. {approved['term_end']}")
            docs, inbox, plans = _wait_for_effects(http, args, p["id"], h_staff, args.wait)
            elapsed = time.monotonic() - t0
    except httpx.HTTPError as exc:
        print(f"Cannot reach Jalin ({exc}). Is it running? Start it with: jalin up", file=sys.stderr)
        return 1
    except CommandFailed as exc:
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
    print(f"              {base_url(args, 'documents')}/v1/documents/{d['id']}/content  (files under {path})")
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
    except CommandFailed as exc:
        print(f"Demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo_cooperation(http: httpx.Client, args: argparse.Namespace, folder: Path, pid: str,
                      h_section: dict[str, str]) -> None:
    """The rest of the lifecycle with the partner region: offer, KB, PKS (docs/lifecycle.md)."""
    kukar = {"Authorization": f"Bearer {token_for(folder, 'kukar', ['kerja_sama'], 'dedi.ks', None, 'Dedi')}"}
    head = {"Authorization": f"Bearer {token_for(folder, 'sumbar', ['kepala_daerah'], 'gubernur', None, 'Gubernur')}"}
    base = base_url(args, "proposals")

    def step(command: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        return ok(http.post(f"{base}/v1/proposals/{pid}/actions/{command}", json=body, headers=headers))

    offers = ok(http.get(f"{base}/v1/offers", headers=kukar))
    if pid not in {o["id"] for o in offers}:
        raise CommandFailed("the offer did not reach kukar's GET /v1/offers")
    deadline, notice = time.monotonic() + args.wait, None
    while notice is None and time.monotonic() < deadline:
        inbox = ok(http.get(f"{base_url(args, 'notifications')}/v1/inbox", params={"proposal_id": pid}, headers=kukar))
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
    history = ok(http.get(f"{base}/v1/proposals/{pid}/history", headers=kukar))
    print(f"  Both regions see it; kukar's view of the history has {len(history)} entries "
          f"({', '.join(h['action'] for h in history)}); CSV: {base}/v1/proposals/{pid}/history?format=csv")
    print(f"\nOpen it in the console (sign in as Budi for sumbar, or Dedi for kukar):\n  "
          f"http://{args.host}:{args.console_port}/usulan/{pid}")


def _wait_for_effects(http: httpx.Client, args: argparse.Namespace, pid: str, headers: dict[str, str],
                      wait: float) -> tuple[list[Any], list[Any], list[Any]]:
    deadline = time.monotonic() + wait
    docs: list[Any] = []
    inbox: list[Any] = []
    plans: list[Any] = []
    while time.monotonic() < deadline:
        docs = docs or ok(http.get(f"{base_url(args, 'documents')}/v1/documents", params={"proposal_id": pid}, headers=headers))
        inbox = [m for m in ok(http.get(f"{base_url(args, 'notifications')}/v1/inbox", params={"proposal_id": pid}, headers=headers))]
        plans = plans or ok(http.get(f"{base_url(args, 'evaluation')}/v1/plans", params={"proposal_id": pid}, headers=headers))
        if docs and plans and any(m["kind"] == "document.generated" for m in inbox):
            break
        time.sleep(0.2)
    return docs, inbox, plans
