"""A service's side of the bus: it connects with its own credential (nothing on the bus is
anonymous), and it keeps ``JALIN`` and its durable consumers in place.

If the stream or a durable disappears (an operator's mistake, a storage loss), the service
recreates it from the kit's one definition and reports it in its log and, while it lasts, in
its readiness, instead of staying not-ready: a FastStream pull subscriber whose durable is
gone never resumes by itself (it spins on "no responders"), so the watchdog restarts that
subscriber, which creates its durable again from its configuration.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from faststream.nats import NatsBroker
from faststream.security import SASLPlaintext
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError

from jalin_kit.events.stream import STREAM_NAME, stream_config
from jalin_kit.settings import ServiceSettings

log = structlog.get_logger(__name__)


def inbox_of(user: str) -> str:
    """A bus user's own reply subjects (``<inbox_of>.>``): no user of the platform account reads
    another's replies (a pulled message, a stream's answer)."""
    return f"_INBOX_{user}"


def security(settings: ServiceSettings) -> SASLPlaintext | None:
    """The service's bus credential, if it has one (the test suite's bare server has none)."""
    if settings.nats_user and settings.nats_password:
        return SASLPlaintext(username=settings.nats_user, password=settings.nats_password)
    return None


def stream_drift(config: Any) -> list[str]:
    """What of a stream's configuration differs from the definition in ways that move events
    elsewhere or change what it holds: its subjects, a republish, a mirror or sources."""
    want = stream_config()
    drift = []
    if sorted(config.subjects or []) != sorted(want.subjects or []):
        drift.append("subjects")
    if getattr(config, "republish", None) is not None:
        drift.append("republish")
    if getattr(config, "mirror", None) is not None:
        drift.append("mirror")
    if getattr(config, "sources", None):
        drift.append("sources")
    return drift


@dataclass
class BusKeeper:
    """Recreates ``JALIN`` and this service's durables when they are gone."""

    broker: NatsBroker
    durables: list[str]
    problems: dict[str, str] = field(default_factory=dict)
    """What is missing right now (stream or consumer → what is being done): for readiness."""
    drift: list[str] = field(default_factory=list)
    """How JALIN's configuration differs from the kit's definition (reported, not failing)."""
    recreated: int = 0

    async def ensure_stream(self, js: JetStreamContext) -> bool:
        """True if the stream had to be created."""
        try:
            info = await js.stream_info(STREAM_NAME)
            drift = stream_drift(info.config)
            if drift and drift != self.drift:
                # Whoever can change the stream could make it copy every event elsewhere.
                log.error("bus.stream_drift", stream=STREAM_NAME, differs=drift)
            self.drift = drift
            return False
        except NotFoundError:
            self.problems[STREAM_NAME] = "missing: recreating it"
            log.error("bus.stream_missing", stream=STREAM_NAME)
            await js.add_stream(stream_config())
            log.warning("bus.stream_recreated", stream=STREAM_NAME)
            self.recreated += 1
            return True

    async def check(self, js: JetStreamContext) -> None:
        """One round: the stream, then each durable of this service."""
        await self.ensure_stream(js)
        self.problems.pop(STREAM_NAME, None)
        for durable in self.durables:
            try:
                await js.consumer_info(STREAM_NAME, durable)
                self.problems.pop(durable, None)
            except NotFoundError:
                self.problems[durable] = "missing: recreating it"
                log.error("bus.consumer_missing", consumer=durable)
                await self._restart(durable)
                await js.consumer_info(STREAM_NAME, durable)  # raises if it did not come back
                self.problems.pop(durable, None)
                log.warning("bus.consumer_recreated", consumer=durable)
                self.recreated += 1

    async def _restart(self, durable: str) -> None:
        for subscriber in self.broker.subscribers:
            if getattr(getattr(subscriber, "config", None), "durable_name", None) == durable:
                await subscriber.stop()
                await subscriber.start()  # pull_subscribe again: creates the durable from its config
                return
        raise LookupError(f"no subscriber for consumer {durable}")

    async def keep(self, js: JetStreamContext, every_seconds: float) -> None:
        """Check forever (a task of the service)."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.check(js)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - NATS away, or no right to create: try again
                log.warning("bus.check_failed", error=f"{type(exc).__name__}: {exc}")


def fetcher_of(durable: str) -> str:
    """The consumer a service may create, beside its durable, to read one message again."""
    return f"{durable}-dl"


FETCHER_WAIT_SECONDS = 8.0
"""How long a fetcher of the same name (another replica's read, which lasts at most ~5 s) is
waited for before it is taken as a dead process's leftover and deleted."""


async def _add_fetcher(js: JetStreamContext, config: ConsumerConfig) -> None:
    """Create the fetcher; replicas of a service share its name, so one may exist already."""
    deadline = asyncio.get_running_loop().time() + FETCHER_WAIT_SECONDS
    while True:
        try:
            await js.add_consumer(STREAM_NAME, config)
            return
        except APIError as exc:
            if asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.25)  # another replica reading a dead letter of the same durable
                continue
            log.warning("bus.fetcher_taken_over", consumer=config.name, error=f"{type(exc).__name__}: {exc}")
            await js.delete_consumer(STREAM_NAME, config.name or "")
            await js.add_consumer(STREAM_NAME, config)
            return


async def fetch_at(js: JetStreamContext, durable: str, filter_subject: str, seq: int, inbox: str = "_INBOX") -> Any | None:
    """The message at stream sequence ``seq`` among those ``durable`` consumes (``None`` if it
    is gone). Through a short-lived consumer on the durable's own filter, not a direct get of
    any sequence: a service reads again only what it may consume anyway."""
    name = fetcher_of(durable)
    config = ConsumerConfig(
        name=name, filter_subject=filter_subject, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=seq, ack_policy=AckPolicy.NONE, inactive_threshold=60.0, max_deliver=1,
    )
    await _add_fetcher(js, config)
    try:
        sub = await js.pull_subscribe_bind(name, STREAM_NAME, inbox_prefix=f"{inbox}.".encode())
        try:
            msgs = await sub.fetch(1, timeout=5)
        except TimeoutError:
            return None
        finally:
            await sub.unsubscribe()
        msg = msgs[0] if msgs else None
        return msg if msg is not None and msg.metadata.sequence.stream == seq else None
    finally:
        try:
            await js.delete_consumer(STREAM_NAME, name)
        except Exception:  # noqa: BLE001 - it goes by itself after inactive_threshold
            log.warning("bus.fetcher_not_deleted", consumer=name)
