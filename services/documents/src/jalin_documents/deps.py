"""What the handlers and routes of one app need at run time, made by ``app.build`` and
handed to them: to the handlers as ``ctx.deps`` (and ``consumers.deps`` in a prepare step),
to the routes as ``request.app.state.deps`` (the ``AppDeps`` dependency). Never a
module-level object: two apps in one process each have their own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from jalin_kit.tenants import TenantDirectory

from jalin_documents.blobs import BlobStore


@dataclass(frozen=True)
class Deps:
    blobs: BlobStore
    templates: Path
    """The folder of the DOCX templates (``kesepakatan_bersama.docx``)."""
    tenants: TenantDirectory
    """This service's copy of the tenant registry (the runtime's)."""
    renderer: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="render"))
    """The one thread that renders (the blob store writes on its own): a batch of approvals
    is rendered one after another anyway, and every extra thread would get its own malloc
    arena (RSS grew past 300 MB with the default pool)."""

    @staticmethod
    def of(value: Any) -> Deps:
        """``ctx.deps`` or ``consumers.deps`` as Deps; consumers built without them (for the
        AsyncAPI document) cannot handle events."""
        if not isinstance(value, Deps):
            raise RuntimeError("the documents consumers were built without their dependencies")
        return value


async def app_deps(request: Request) -> Deps:
    return Deps.of(request.app.state.deps)


AppDeps = Annotated[Deps, Depends(app_deps)]
