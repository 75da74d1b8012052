"""The README's way: `jalin up` brings the platform up, `jalin demo` shows the effects
of an approval (document, inbox messages, email, plan), Ctrl-C stops everything."""

from __future__ import annotations

import io
import json
import mailbox
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from docx import Document as Docx
from jalin_kit.testing import eventually_sync

from jalin_cli.platform import SERVICES, free_port


def test_up_demo_and_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "jalin-data"
    ports = {name: free_port() for name in SERVICES}
    console_port = free_port()
    port_args = [arg for name in SERVICES for arg in (f"--{name}-port", str(ports[name]))] + ["--console-port",
                                                                                            str(console_port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    up = subprocess.Popen(
        [sys.executable, "-m", "jalin_cli", "--data-dir", str(data), "up", *port_args,
         "--nats-port", str(free_port()), "--smtp-port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    output: list[str] = []
    try:
        assert up.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("Try: jalin demo"):
                break
        banner = "".join(output)
        assert "Jalin is running." in banner, banner
        # The console comes first, with the demo users to sign in as.
        assert banner.index(f"Open the console: http://127.0.0.1:{console_port}") < banner.index("proposals ")
        assert "Ani (Dinas Kesehatan) [sumbar]" in banner
        for name in SERVICES:
            assert f"http://127.0.0.1:{ports[name]}" in banner
        assert banner.count("eyJ") >= 5  # tokens for the demo users
        follow = {t: next(line.split("./jalin ", 1)[1].split() for line in output if f" events {t} " in line)
                  for t in ("sumbar", "kukar", "kaltim")}  # a ready-to-run subscriber command per demo region

        demo = subprocess.run(
            [sys.executable, "-m", "jalin_cli", "--data-dir", str(data), "demo", *port_args],
            capture_output=True, text=True, env=env, timeout=120,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        # the demo says how long the effects took; how long they may take is bench/'s to measure, not a test's
        assert re.search(r"Within [0-9.]+s of approval", demo.stdout), demo.stdout
        assert "Plan      : " in demo.stdout and "90d" in demo.stdout
        assert "has the offer in GET /v1/offers and in its inbox: “Penawaran kerja sama" in demo.stdout, demo.stdout
        assert "The PKS is signed: stage pelaksanaan" in demo.stdout, demo.stdout
        page = re.search(rf"http://127\.0\.0\.1:{console_port}/usulan/[0-9a-f-]+", demo.stdout)
        assert page is not None, demo.stdout  # the demo ends with the cooperation's page in the console
        assert httpx.get(page.group(0), follow_redirects=False, timeout=10).headers["location"].startswith("/masuk")

        docx_files = list((data / "blobs" / "documents" / "sumbar").rglob("*.docx"))
        assert len(docx_files) == 1
        doc = Docx(io.BytesIO(docx_files[0].read_bytes()))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "Pemerintah Provinsi Sumatera Barat" in text and "Pemerintah Kabupaten Kutai Kartanegara" in text
        assert "36 (tiga puluh enam) bulan" in text

        box = mailbox.Maildir(str(data / "mail"), create=False)
        eventually_sync(lambda: any("disetujui" in str(m["Subject"]) for m in box),
                        within=30, what="the approval's email in the mail folder")

        # The printed subscriber, with kukar's credential only: kukar's share of the demo cooperation.
        events = subprocess.run([sys.executable, "-m", "jalin_cli", *follow["kukar"], "--idle", "3"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert events.returncode == 0, events.stderr
        seen = [json.loads(line)["subject"] for line in events.stdout.splitlines()]
        assert "jalin.kukar.shared.sumbar.proposal.approved" in seen
        assert "jalin.kukar.shared.sumbar.agreement.pks-signed" in seen
        assert all(subject.startswith("jalin.kukar.") for subject in seen), seen
        credential = subprocess.run([sys.executable, "-m", "jalin_cli", "--data-dir", str(data), "tenants",
                                     "credentials", "kukar"], capture_output=True, text=True, env=env, timeout=60)
        assert credential.returncode == 0 and "user:     kukar" in credential.stdout, credential.stderr
    finally:
        up.send_signal(signal.SIGINT)
        try:
            rest, _ = up.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
            rest, _ = up.communicate()
    assert up.returncode == 0, rest
    assert "Stopped." in rest
