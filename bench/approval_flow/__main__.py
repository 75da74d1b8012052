"""``python -m bench.approval_flow`` (from the clone's root) or ``python bench/approval_flow`` (from anywhere).

The bench starts its helper processes by running this folder again with a first argument of
``_kit-hop``, ``_raw-hop`` or ``_mailsink`` (``procs.helper_argv``).
"""

import sys
from pathlib import Path

if not __package__:
    # Run as a folder: Python put the package's own folder first on sys.path, where its modules
    # (settings, machine, ...) would shadow others of the same name. Import it as a package instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    from approval_flow.cli import entry
else:
    from .cli import entry

entry(sys.argv[1:])
