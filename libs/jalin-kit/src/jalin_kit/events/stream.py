"""The single JALIN stream, declared from this one definition (deploy/ mirrors it).

Subscribers reference it with ``declare=False``: FastStream's auto-declare would
rewrite the stream's configuration from whatever each subscriber believes.
"""

from __future__ import annotations

import os

from faststream.nats import JStream
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

STREAM_NAME = "JALIN"
STREAM_SUBJECTS = ["jalin.>"]
DUPLICATE_WINDOW_SECONDS = 300.0
REPLICAS_ENV = "JALIN_STREAM_REPLICAS"
"""How many servers of a cluster keep a copy of the stream (1 on a single server, 3 on the
production cluster): read by whoever creates it, ``jalin stream apply`` and the services that
recreate a deleted one, so all create the same stream."""

JALIN_STREAM = JStream(STREAM_NAME, subjects=STREAM_SUBJECTS, declare=False)


def stream_replicas() -> int:
    value = os.environ.get(REPLICAS_ENV, "1")
    if not value.isdigit() or not 1 <= int(value) <= 5:
        raise ValueError(f"{REPLICAS_ENV}={value!r}: a number of servers from 1 to 5")
    return int(value)


def stream_config(replicas: int | None = None) -> StreamConfig:
    """The stream; ``replicas`` defaults to ``JALIN_STREAM_REPLICAS`` (else 1)."""
    return StreamConfig(
        name=STREAM_NAME,
        subjects=list(STREAM_SUBJECTS),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=90 * 24 * 3600.0,
        num_replicas=replicas if replicas is not None else stream_replicas(),
    )


async def ensure_stream(js: JetStreamContext) -> None:
    """Create the stream, or bring an existing one to this definition."""
    config = stream_config()
    try:
        await js.stream_info(STREAM_NAME)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
