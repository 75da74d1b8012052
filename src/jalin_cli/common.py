"""What the ``jalin`` command's parts share: the data folder, development tokens, the services'
addresses and calling them."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import httpx
from jalin_kit.auth import issue_dev_token
from jalin_kit.settings import DEV_SECRET_FILE, development_secret

from jalin_cli.platform import DEFAULT_PORTS


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


def base_url(args: argparse.Namespace, name: str) -> str:
    port = getattr(args, f"{name}_port") or DEFAULT_PORTS[name]
    return f"http://{args.host}:{port}"


class CommandFailed(Exception):
    """A call to a service answered with an error: the message says which and why."""



def ok(r: httpx.Response) -> Any:
    if r.status_code >= 400:
        raise CommandFailed(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text}")
    return r.json()
