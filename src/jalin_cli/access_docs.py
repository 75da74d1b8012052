"""``jalin docs access``: docs/access.md, the role × operation tables of every service,
generated from their ``access.py`` (and the proposals lifecycle)."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from jalin_kit.access import table

ACCESS_MD = Path(__file__).resolve().parents[2] / "docs" / "access.md"
"""docs/access.md of the workspace this package lives in."""

HEADER = """\
# Access: roles × operations

Generated from each service's `access.py` (and the proposals service's `lifecycle.py`) by
`jalin docs access` (`jalin docs access --check` only checks). `services/proposals/tests/test_access.py`
checks that this file is current and calls every cell of the proposals tables over HTTP;
`tests/security/test_access_table.py` calls every cell of the other services' tables on the
platform running as processes, and checks that every route of theirs is named by an operation
(✓ allowed, · refused with 403). A role is checked before the object is looked up: a refused
role gets 403 whether or not the object exists.
`platform_admin` runs the deployment and sees no tenant's content: it counts only in the
operators' tenant `platform`, whose tokens reach the operators' routes (registry, outbox, dead
letters) and nothing else; the tenant roles count only in a region's tenant, and only for a
region onboarded and enabled (else 401/403), with a unit that is one of the region's. A
partner region acts through its own tenant's roles; the commands marked *partner* are made by
the partner region when it is a Jalin tenant (otherwise the owner records them on its behalf).

## The unit rule

An OPD's drafts belong to that OPD; the cooperation section sees all. A caller whose roles
are all an OPD's (`opd_staff`, `opd_head`) acts for the unit its token names: it sees and
touches only its own region's proposals of that unit (at every stage), their agreements,
documents, attachments and evaluation plans, and its unit's potentials — another unit's are
404, as another region's are, and a cooperation a partner region shares is the partner's
section's, not its OPDs'. With no unit in its token it sees none of these. Every other role of
the region (`kerja_sama`, `tkksd`, `sekda`, `kepala_daerah`, `dprd`, `auditor`) sees the whole
region, and a holder of an OPD role and one of these counts as the latter. Notices follow the
same rule by their address: a message to a unit reaches that unit's people, one to a role
that role's holders. The rule is one mechanism (`jalin_kit.db`, `jalin_kit.access.unit_scope`),
not a check in each route; the tables below say which roles may do what, the unit rule then
which objects they see."""

NOTES = {
    "documents": "Generated agreement texts and uploaded attachments (`services/documents/src/jalin_documents/access.py`). "
                 "The partner region of a cooperation reads its documents and attachments too; an attachment is "
                 "deleted only by the region that uploaded it.",
    "notifications": "The inbox (`services/notifications/src/jalin_notifications/access.py`): a caller sees the "
                     "messages addressed to its unit or to one of its roles; their read state is shared.",
    "evaluation": "Monitoring and evaluation plans (`services/evaluation/src/jalin_evaluation/access.py`), kept "
                  "by the owner region; the partner region of a cooperation reads its plan too.",
}


def access_markdown() -> str:
    """The whole of docs/access.md."""
    from jalin_documents import access as documents
    from jalin_evaluation import access as evaluation
    from jalin_notifications import access as notifications
    from jalin_proposals import access as proposals

    out = [HEADER, "", "## proposals", "",
           "Cooperations, agreements and potential mapping (`services/proposals/src/jalin_proposals/access.py`, "
           "`lifecycle.py`).", "", *proposals.markdown_section()]
    for name, module in (("documents", documents), ("notifications", notifications), ("evaluation", evaluation)):
        out += ["", f"## {name}", "", NOTES[name], "", *table(module.OPERATIONS)]
    return "\n".join(out) + "\n"


def cmd_docs(args: argparse.Namespace) -> int:
    path = Path(args.output) if args.output else ACCESS_MD
    text = access_markdown()
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if args.check:
        if current == text:
            print(f"{path} is current")
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "generated"))
        print(f"{path} is stale: run `jalin docs access`", file=sys.stderr)
        return 1
    if current == text:
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0

