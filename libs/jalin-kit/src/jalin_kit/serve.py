"""Run a service's FastAPI app on uvicorn."""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.process
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import uvicorn
from pydantic import ValidationError

from jalin_kit.settings import ServiceSettings, SettingsProblem


def load_settings(settings_cls: type[Any]) -> Any:
    """The service's settings from the environment, or a clear refusal naming what is wrong
    (a start without a JWT secret or bus credential outside the embedded default, a
    placeholder secret, ...) instead of a traceback."""
    try:
        return settings_cls()
    except ValidationError as exc:
        problems = "\n".join(f"  - {_located(e)}{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        sys.exit(f"jalin-{settings_cls.service_name} cannot start:\n{problems}")
    except SettingsProblem as exc:
        sys.exit(f"jalin-{settings_cls.service_name} cannot start:\n  - {exc}")


def _located(error: Any) -> str:
    """A field's own error (a number that is not one) names the field; the checks across
    fields name their settings themselves."""
    loc = [str(part) for part in error.get("loc", ())]
    return f"JALIN_{'_'.join(loc).upper()}: " if loc else ""


def main(settings_cls: type[Any], app_module: str) -> None:
    """A service's ``python -m`` entry: its settings first (from the environment, or a clear
    refusal), the app's module (``app_module``, with its ``build``) imported after, so that a
    refused start costs a fraction of a second, not the seconds the app's modules take."""
    settings = load_settings(settings_cls)
    serve(importlib.import_module(app_module).build, settings)


def serve(build: Callable[[Any], Any], settings: Any) -> None:
    """Serve the app built from ``settings`` (a service's, or the console's: an instance, or
    the class to read from the environment); with ``http_workers`` > 1, as that many
    processes on one port."""
    if isinstance(settings, type):
        settings = load_settings(settings)
    app = build(settings)
    # (the console's settings are not a service's: one process, always)
    if getattr(settings, "http_workers", 1) <= 1 or getattr(settings, "role", "all") != "all":
        uvicorn.run(app, host=settings.host, port=settings.port, **dict(UVICORN))
        return
    sock = reuse_port_socket(settings.host, settings.port)
    port = sock.getsockname()[1]  # the one chosen when the setting is 0
    workers = ApiWorkers(build, settings.model_copy(update={"role": "api", "http_workers": 1, "port": port}),
                         settings.http_workers - 1)
    # Once this process has migrated and seeded the store, the others may start.
    app.state.runtime.on_started.append(workers.start)
    # On the way down, from the lifespan: uvicorn re-raises a SIGTERM after its shutdown, so
    # nothing after run() would run.
    app.state.runtime.on_stopping.append(workers.stop)
    uvicorn.Server(uvicorn.Config(app, **dict(UVICORN))).run(sockets=[sock])


UVICORN: Mapping[str, Any] = MappingProxyType({"log_config": None, "access_log": False, "timeout_graceful_shutdown": 10})


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket others may bind too (SO_REUSEPORT): the kernel spreads the
    connections over the processes that listen."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ApiWorkers:
    """The extra HTTP processes of a service (role api), started by its first process."""

    def __init__(self, build: Callable[[Any], Any], settings: ServiceSettings, count: int) -> None:
        self.build, self.settings, self.count = build, settings, count
        self.processes: list[multiprocessing.process.BaseProcess] = []

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        for n in range(self.count):
            process = context.Process(target=_api_worker, args=(self.build, self.settings, os.getpid()),
                                      name=f"jalin-{self.settings.service_name}-api-{n + 1}", daemon=True)
            process.start()
            self.processes.append(process)

    def stop(self, within: float = 8.0) -> None:
        """SIGTERM to each (uvicorn shuts down gracefully), then SIGKILL to any still there once
        ``within`` seconds have passed for all of them together."""
        for process in self.processes:
            process.terminate()
        deadline = time.monotonic() + within
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()


def _api_worker(build: Callable[[Any], Any], settings: ServiceSettings, parent: int) -> None:
    """One extra worker: the same app in role api, on the same port; it ends with its parent."""
    sock = reuse_port_socket(settings.host, settings.port)
    server = uvicorn.Server(uvicorn.Config(build(settings), **dict(UVICORN)))

    def orphaned() -> None:  # the first process was killed (kill -9): do not serve on alone
        while os.getppid() == parent:
            time.sleep(1.0)
        server.should_exit = True

    threading.Thread(target=orphaned, daemon=True).start()
    server.run(sockets=[sock])
