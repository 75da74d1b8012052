"""What the console says, one module per page or group of pages (``TEXTS``: key → (Indonesian,
English); ``FIELDS``: a service's field name → its label), merged here. A key defined twice
is an error at import, not a text silently replaced."""

from __future__ import annotations

import importlib
import pkgutil


def _merged(name: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in getattr(module, name, {}).items():
            if key in out:
                raise RuntimeError(f"console text {key!r} is defined twice ({info.name})")
            out[key] = pair
    return out


TEXTS = _merged("TEXTS")
FIELDS = _merged("FIELDS")
