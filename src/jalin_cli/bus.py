"""The locked-down bus of a deployment: its accounts, users and permissions, written as a
nats-server configuration from the services' code and the tenant registry.

- ``SYS``: the system account.
- ``JALIN``: the platform's account. One user per service, which may publish only its own
  aggregates' subjects (``PUBLISHERS`` of the event catalogue) and use only the JetStream
  calls it needs on ``JALIN`` and its own durables; an ``admin`` user for the operator's tools.
- One account per onboarded region, for its external systems: it imports ``jalin.<t>.>``
  from ``JALIN`` (its own events and the copies of cooperations shared with it), a stream
  ``EVENTS`` in the account keeps them (a durable position to catch up after being offline),
  and its user may read that stream but not publish on ``jalin.>`` or change the stream.
  ``JALIN`` and the platform's consumers are out of its reach: another account.

No ``no_auth_user``: a connection without credentials is refused. docs/adr/0004 says why
accounts with imports, and what else was weighed.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jalin_kit.bus import fetcher_of, inbox_of
from jalin_kit.events.catalogue import PUBLISHERS
from jalin_kit.events.stream import DUPLICATE_WINDOW_SECONDS, STREAM_NAME, stream_replicas

if TYPE_CHECKING:
    from jalin_kit.consumers import EventConsumers

SERVICES = ("proposals", "documents", "notifications", "evaluation")
"""The back-end services, each with its own user on the bus."""
TENANT_STREAM = "EVENTS"
TENANT_STREAM_MAX_BYTES = 1024**3
TENANT_STREAM_MAX_AGE_SECONDS = 90 * 24 * 3600.0
TENANT_MAX_CONSUMERS = 16
ADMIN = "admin"
STREAMER = "streamer"
"""Creates and updates JALIN from its definition (``jalin stream apply``, the deployment's
one-shot job). Whoever can change a stream's configuration can make it republish what it
holds, so this credential stays out of the operator's daily tools (``admin``), and the
services report a configuration that differs from the definition (``bus_config``)."""


def account_of(tenant: str) -> str:
    return f"tenant-{tenant}"


def provisioner_of(tenant: str) -> str:
    return f"{tenant}-provisioner"


def _secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class BusCredentials:
    """The bus's passwords, kept in one owner-only file (the embedded default's data folder;
    in production, the operator's secret store holds the same)."""

    path: Path
    admin: str = field(default_factory=_secret)
    system: str = field(default_factory=_secret)
    services: dict[str, str] = field(default_factory=dict)
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)
    """tenant -> {"user": the external systems' password, "provisioner": the platform's,
    "active": whether its systems may log in}."""
    unrestricted: str = field(default_factory=_secret)
    streamer: str = field(default_factory=_secret)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    """The reconciler's thread and the process's others use one object: one writer at a time."""

    @classmethod
    def load_or_create(cls, folder: Path) -> BusCredentials:
        path = folder / "credentials.json"
        if path.exists():
            raw = json.loads(path.read_text())
            creds = cls(path, raw["admin"], raw["system"], raw.get("services", {}), raw.get("tenants", {}),
                        raw.get("unrestricted") or _secret(), raw.get("streamer") or _secret())
            changed = "streamer" not in raw
        else:
            creds = cls(path)
            changed = True
        for service in SERVICES:
            if service not in creds.services:
                creds.services[service] = _secret()
                changed = True
        if changed:
            creds.save()
        return creds

    def save(self) -> None:
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {"admin": self.admin, "system": self.system, "services": self.services, "tenants": self.tenants,
                    "unrestricted": self.unrestricted, "streamer": self.streamer}
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(data, out, indent=2)
            temporary.replace(self.path)

    def tenant(self, tenant: str) -> dict[str, Any]:
        """The region's passwords, made on first need."""
        with self.lock:
            if tenant not in self.tenants:
                self.tenants[tenant] = {"user": _secret(), "provisioner": _secret(), "active": True}
                self.save()
            return self.tenants[tenant]

    def set_active(self, states: dict[str, bool]) -> None:
        """Record which regions' systems may log in; saved only when something changed."""
        with self.lock:
            changed = False
            for tenant, active in states.items():
                entry = self.tenant(tenant)
                if entry.get("active") != active:
                    entry["active"], changed = active, True
            if changed:
                self.save()


def service_consumers() -> dict[str, list[tuple[str, str]]]:
    """Each service's durables and their filter subjects, from its code (the consumers its
    ``build_consumers`` makes for an app, without their run-time dependencies), by durable
    name: the rendered configuration does not change with the order handlers are registered in."""
    out: dict[str, list[tuple[str, str]]] = {}
    for service in SERVICES:
        try:
            handlers = importlib.import_module(f"jalin_{service}.handlers")
        except ModuleNotFoundError:
            out[service] = []  # a service without event handlers (proposals)
            continue
        consumers: EventConsumers = handlers.build_consumers()
        out[service] = sorted((reg.consumer, reg.event_cls.subject_pattern()) for reg in consumers.registrations.values())
    return out


def service_permissions(service: str, durables: Iterable[tuple[str, str]]) -> dict[str, Any]:
    aggregates = sorted(a for a, source in PUBLISHERS.items() if source == f"/jalin/{service}")
    publish = [s for a in aggregates for s in (f"jalin.*.{a}.>", f"jalin.*.shared.*.{a}.>")]
    publish += [f"$JS.API.STREAM.INFO.{STREAM_NAME}", f"$JS.API.STREAM.CREATE.{STREAM_NAME}"]
    subscribe = [f"{inbox_of(service)}.>"]
    durables = list(durables)
    if durables:
        subscribe.append(f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM_NAME}.* jalin-{service}-dead-letters")
    for durable, filter_subject in durables:
        fetcher = fetcher_of(durable)  # reads one message of its own filter again (a dead letter)
        publish += [
            f"$JS.API.CONSUMER.INFO.{STREAM_NAME}.{durable}",
            f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.{durable}.{filter_subject}",
            f"$JS.API.CONSUMER.MSG.NEXT.{STREAM_NAME}.{durable}",
            f"$JS.ACK.{STREAM_NAME}.{durable}.>",
            f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.{fetcher}.{filter_subject}",
            f"$JS.API.CONSUMER.MSG.NEXT.{STREAM_NAME}.{fetcher}",
            f"$JS.API.CONSUMER.DELETE.{STREAM_NAME}.{fetcher}",
        ]
    return {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}


ADMIN_PERMISSIONS: dict[str, Any] = {
    # The operator's tools see the stream's and consumers' state and may delete them (the services
    # recreate them from the definition: docs/operations.md), never an event's content: no
    # consumer of their own, no message read, and no change of the stream's configuration (a
    # republish would hand them every event).
    "publish": {
        "allow": ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", f"$JS.API.STREAM.INFO.{STREAM_NAME}",
                  f"$JS.API.STREAM.DELETE.{STREAM_NAME}",
                  f"$JS.API.CONSUMER.NAMES.{STREAM_NAME}", f"$JS.API.CONSUMER.LIST.{STREAM_NAME}",
                  f"$JS.API.CONSUMER.INFO.{STREAM_NAME}.>", f"$JS.API.CONSUMER.DELETE.{STREAM_NAME}.>"],
        "deny": ["jalin.>"],
    },
    "subscribe": {"allow": [f"{inbox_of(ADMIN)}.>"], "deny": ["jalin.>"]},
}
STREAMER_PERMISSIONS: dict[str, Any] = {
    "publish": {
        "allow": ["$JS.API.INFO", f"$JS.API.STREAM.INFO.{STREAM_NAME}", f"$JS.API.STREAM.CREATE.{STREAM_NAME}",
                  f"$JS.API.STREAM.UPDATE.{STREAM_NAME}"],
        "deny": ["jalin.>"],
    },
    "subscribe": {"allow": [f"{inbox_of(STREAMER)}.>"], "deny": ["jalin.>"]},
}
UNRESTRICTED = "unrestricted"
"""A user with every right in the platform account: only where a test (or the bench) asks for
it, to get past the bus; never on the embedded default or in production."""


def tenant_permissions(tenant: str) -> dict[str, Any]:
    """The region's external systems: read its stream (durables of their own), nothing else."""
    s = TENANT_STREAM
    return {
        "publish": {
            "allow": [
                "$JS.API.INFO", "$JS.API.STREAM.NAMES", f"$JS.API.STREAM.INFO.{s}",
                f"$JS.API.CONSUMER.CREATE.{s}", f"$JS.API.CONSUMER.CREATE.{s}.>", f"$JS.API.CONSUMER.DURABLE.CREATE.{s}.>",
                f"$JS.API.CONSUMER.INFO.{s}.>", f"$JS.API.CONSUMER.NAMES.{s}", f"$JS.API.CONSUMER.LIST.{s}",
                f"$JS.API.CONSUMER.DELETE.{s}.>", f"$JS.API.CONSUMER.MSG.NEXT.{s}.>",
                f"$JS.ACK.{s}.>", f"$JS.FC.{s}.>",
            ],
            "deny": ["jalin.>", "$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.UPDATE.>",
                     "$JS.API.STREAM.MSG.DELETE.>"],
        },
        "subscribe": {"allow": ["_INBOX.>", f"jalin.{tenant}.>"]},
    }


@dataclass(frozen=True)
class TenantBus:
    id: str
    active: bool


def render_config(
    creds: BusCredentials, tenants: Iterable[TenantBus], *, host: str, port: int, store_dir: Path,
    consumers: dict[str, list[tuple[str, str]]] | None = None, unrestricted: bool = False,
) -> str:
    """The whole nats-server configuration (JSON is a valid nats-server configuration)."""
    consumers = consumers if consumers is not None else service_consumers()
    tenants = sorted(tenants, key=lambda t: t.id)
    users = [{"user": ADMIN, "password": creds.admin, "permissions": ADMIN_PERMISSIONS},
             {"user": STREAMER, "password": creds.streamer, "permissions": STREAMER_PERMISSIONS}] + [
        {"user": s, "password": creds.services[s], "permissions": service_permissions(s, consumers.get(s, []))}
        for s in SERVICES
    ]
    if unrestricted:
        users.append({"user": UNRESTRICTED, "password": creds.unrestricted})
    accounts: dict[str, Any] = {
        "SYS": {"users": [{"user": "sys", "password": creds.system}]},
        STREAM_NAME: {
            "jetstream": "enabled",
            "users": users,
            "exports": [{"stream": f"jalin.{t.id}.>", "accounts": [account_of(t.id)]} for t in tenants],
        },
    }
    for t in tenants:
        passwords = creds.tenant(t.id)
        tenant_users = [{"user": provisioner_of(t.id), "password": passwords["provisioner"],
                         "permissions": {"publish": {"allow": ["$JS.API.>"], "deny": ["jalin.>"]},
                                         "subscribe": {"allow": ["_INBOX.>"]}}}]
        if t.active:  # a disabled region's systems can no longer log in; its stream stays
            tenant_users.append({"user": t.id, "password": passwords["user"], "permissions": tenant_permissions(t.id)})
        accounts[account_of(t.id)] = {
            # No storage reservation (it would count against the server's and can break a reload);
            # the size is bounded by the stream's max_bytes.
            "jetstream": {"max_streams": 1, "max_consumers": TENANT_MAX_CONSUMERS},
            "imports": [{"stream": {"account": STREAM_NAME, "subject": f"jalin.{t.id}.>"}}],
            "users": tenant_users,
        }
    config = {
        "host": host,
        "port": port,
        "max_payload": 1024 * 1024,
        "jetstream": {"store_dir": str(store_dir)},
        "system_account": "SYS",
        "accounts": accounts,
    }
    return json.dumps(config, indent=2) + "\n"


async def provision_tenant(url: str, creds: BusCredentials, tenant: str, attempts: int = 30) -> bool:
    """Create the region's ``EVENTS`` stream with its provisioning user; True if created now.
    Retries while a configuration reload has not reached the server yet."""
    import nats
    from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    password = creds.tenant(tenant)["provisioner"]
    last: Exception | None = None
    for _ in range(attempts):
        try:
            nc = await nats.connect(url, user=provisioner_of(tenant), password=password, max_reconnect_attempts=1,
                                    reconnect_time_wait=0.2, connect_timeout=2, error_cb=_quiet)
        except Exception as exc:  # noqa: BLE001 - the reload may still be on its way
            last = exc
            await asyncio.sleep(0.2)
            continue
        try:
            js = nc.jetstream(timeout=3)
            try:
                await js.stream_info(TENANT_STREAM)
                return False
            except NotFoundError:
                await js.add_stream(StreamConfig(
                    name=TENANT_STREAM, subjects=[f"jalin.{tenant}.>"], retention=RetentionPolicy.LIMITS,
                    storage=StorageType.FILE, discard=DiscardPolicy.OLD, duplicate_window=DUPLICATE_WINDOW_SECONDS,
                    max_age=TENANT_STREAM_MAX_AGE_SECONDS, max_bytes=TENANT_STREAM_MAX_BYTES, num_replicas=stream_replicas(),
                ))
                return True
        except Exception as exc:  # noqa: BLE001
            last = exc
            await asyncio.sleep(0.2)
        finally:
            await nc.close()
    raise ConnectionError(f"could not provision the bus of tenant {tenant}: {last!r}")


async def _quiet(_exc: Exception) -> None:
    """nats-py reports every failed attempt; the caller reports the last one."""


@dataclass
class BusReconciler:
    """Keeps the bus's configuration in step with the tenant registry: a region onboarded
    gets its account, users and stream; a disabled one loses its external user. The
    embedded default runs it every second (``Platform``): a configuration reload of
    nats-server, no restart."""

    creds: BusCredentials
    config_path: Path
    host: str
    port: int
    store_dir: Path
    reload: Any
    """Called after the configuration file changed (sends the server its reload signal)."""
    unrestricted: bool = False
    provisioned: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def write(self, tenants: dict[str, bool]) -> bool:
        """Write the configuration for these regions (id -> enabled); True if it changed."""
        text = render_config(self.creds, [TenantBus(t, a) for t, a in tenants.items()], host=self.host, port=self.port,
                             store_dir=self.store_dir, unrestricted=self.unrestricted)
        if self.config_path.exists() and self.config_path.read_text() == text:
            return False
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: a reload never reads half a file.
        temporary = self.config_path.with_name(f".{self.config_path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        temporary.replace(self.config_path)
        return True

    def sync(self, tenants: dict[str, bool]) -> list[str]:
        """One round: configuration, reload if it changed, streams of the new regions.
        Returns the regions whose stream was created now."""
        if self.write(tenants) and self.reload is not None:
            self.reload()
        created = []
        for tenant, active in sorted(tenants.items()):
            if active and tenant not in self.provisioned:
                if asyncio.run(provision_tenant(self.url, self.creds, tenant)):
                    created.append(tenant)
                self.provisioned.add(tenant)
        return created
