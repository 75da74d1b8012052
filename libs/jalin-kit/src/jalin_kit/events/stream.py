"""The single JALIN stream, declared from this one definition (deploy/ mirrors it).

Subscribers reference it with ``declare=False``: FastStream's auto-declare would
rewrite the stream's configuration from whatever each subscriber believes.
"""

from __future__ import annotations

from faststream.nats import JStream
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

STREAM_NAME = "JALIN"
STREAM_SUBJECTS = ["jalin.>"]
DUPLICATE_WINDOW_SECONDS = 300.0

JALIN_STREAM = JStream(STREAM_NAME, subjects=STREAM_SUBJECTS, declare=False)


def stream_config() -> StreamConfig:
    return StreamConfig(
        name=STREAM_NAME,
        subjects=list(STREAM_SUBJECTS),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=90 * 24 * 3600.0,
        num_replicas=1,
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
