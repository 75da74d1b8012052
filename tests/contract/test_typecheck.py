"""The project type-checks: mypy, with the configuration in the root ``pyproject.toml``
(``[tool.mypy]``: its source trees, mypy's strict checks, the pydantic plugin), reports no
error over the kit, the services and the ``jalin`` command. A type error anywhere fails the
suite with mypy's own report.

mypy keeps its cache in the repository's ``.mypy_cache/`` (git-ignored): the first run takes
some 20 seconds, the next ones a few. Both tests run in one worker, one mypy at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("typecheck")  # one worker, one mypy at a time


def typecheck(*paths: str | Path, cache_dir: Path | None = None) -> tuple[int, str]:
    """mypy's exit status and report for ``paths`` (none: the trees the configuration names),
    run as a developer runs it: from the repository root, with its configuration (and its
    cache in ``.mypy_cache/`` unless ``cache_dir`` says otherwise)."""
    cache = ["--cache-dir", str(cache_dir)] if cache_dir is not None else []
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *cache, *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_the_source_trees_type_check() -> None:
    status, report = typecheck()
    assert status == 0, f"mypy reports type errors:\n{report}"
    assert "Success: no issues found" in report, report


def test_a_type_error_is_reported(tmp_path: Path) -> None:
    # Its own cache: the repository's would answer for a file of the same name and content
    # from an earlier run with that run's path. The second error is one only the project's
    # configuration reports (mypy's default checks do not ask for annotations).
    bad = tmp_path / "bad_types.py"
    bad.write_text("def region(code: str | None) -> str:\n"
                   "    return code\n\n\n"
                   "def untyped(value):\n"
                   "    return value\n")
    status, report = typecheck(bad, cache_dir=tmp_path / "mypy-cache")
    assert status == 1, report
    assert f'{bad}:2: error: Incompatible return value type (got "str | None", expected "str")  [return-value]' in report, report
    assert f"{bad}:5: error: Function is missing a type annotation  [no-untyped-def]" in report, report
    assert "Found 2 errors in 1 file" in report, report
