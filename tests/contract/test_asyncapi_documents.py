"""The event contract: each service's AsyncAPI document, as FastStream generates it from
the code, must equal the committed one under docs/events/. Regenerate with
``uv run faststream docs gen --factory jalin_<service>.contract:asyncapi_app --out docs/events/<service>.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("proposals", "documents", "notifications", "evaluation")


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_matches_code(service: str, tmp_path: Path) -> None:
    out = tmp_path / f"{service}.json"
    result = subprocess.run(
        [sys.executable, "-m", "faststream", "docs", "gen", "--factory",
         f"jalin_{service}.contract:asyncapi_app", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    committed = json.loads((ROOT / "docs" / "events" / f"{service}.json").read_text())
    generated = json.loads(out.read_text())
    assert generated == committed, (
        f"docs/events/{service}.json differs from the code; regenerate it (see this module's docstring)"
    )


def test_every_catalogue_event_is_in_some_contract() -> None:
    from jalin_kit.events import CATALOGUE

    documents = " ".join((ROOT / "docs" / "events" / f"{s}.json").read_text() for s in SERVICES)
    for cls in CATALOGUE:
        assert cls.ce_type() in documents, f"{cls.ce_type()} is published by no documented service"
