"""The cooperation lifecycle of PP 28/2018 as rules: stages, transitions, roles. No I/O.

One lifecycle per kind of cooperation, built from per-tenant configuration
(:class:`LifecycleConfig`) and the cooperation's own flags (:class:`CooperationFlags`).
Each transition names the roles that may make it and the integration event it emits
(``jalin.<tenant>.<aggregate>.<event>``).

Every kind starts in a draft stage the OPD edits (persiapan, or prakarsa for foreign
cooperation), is submitted for the TKKSD's assessment, and is approved or rejected; a
rejected (or declined) proposal may be revised, which returns it to its draft stage.
The API (``api/actions.py``) applies these rules; nothing else moves a stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    KSDD = "ksdd"  # with another region (wajib or sukarela: same stages)
    KSDPK = "ksdpk"  # with a third party
    KSDPL = "ksdpl"  # with a foreign government
    KSDLL = "ksdll"  # with a foreign institution
    PUSAT = "pusat"  # with the central government: Nota Kesepakatan + Rencana Kerja


class KsddType(StrEnum):
    """A KSDD is mandatory (wajib, PP art. 4) or voluntary (sukarela)."""

    WAJIB = "wajib"
    SUKARELA = "sukarela"


class Initiator(StrEnum):
    """Who initiates a KSDPK (PP art. 17-18)."""

    REGION = "region"
    THIRD_PARTY = "third_party"


class KsdpkKind(StrEnum):
    """KSDPK kinds (PP art. 15)."""

    PUBLIC_SERVICE = "public_service"
    ASSET_USE = "asset_use"
    INVESTMENT = "investment"
    OTHER = "other"


class Stage(StrEnum):
    # Domestic (KSDD, KSDPK)
    PERSIAPAN = "persiapan"
    PENILAIAN = "penilaian"  # submitted: the TKKSD assesses
    STUDI_KELAYAKAN = "studi_kelayakan"
    PENAWARAN = "penawaran"
    PENYUSUNAN_KB = "penyusunan_kb"
    PENANDATANGANAN_KB = "penandatanganan_kb"
    PERSETUJUAN_DPRD = "persetujuan_dprd"
    PENYUSUNAN_PKS = "penyusunan_pks"
    PENANDATANGANAN_PKS = "penandatanganan_pks"
    # Foreign (KSDPL, KSDLL), PP art. 28-43
    PRAKARSA = "prakarsa"
    PENJAJAKAN = "penjajakan"
    KONSULTASI = "konsultasi"
    SURAT_MINAT = "surat_minat"  # letter of intent
    RENCANA_KERJA_SAMA = "rencana_kerja_sama"
    VERIFIKASI_KEMENDAGRI = "verifikasi_kemendagri"
    PERSETUJUAN_NASKAH = "persetujuan_naskah"
    KONFIRMASI_KEMENLU = "konfirmasi_kemenlu"
    PENANDATANGANAN = "penandatanganan"
    # With the central government
    PENYUSUNAN_NK = "penyusunan_nk"
    PENANDATANGANAN_NK = "penandatanganan_nk"
    PENYUSUNAN_RENCANA_KERJA = "penyusunan_rencana_kerja"
    # Every kind
    PELAKSANAAN = "pelaksanaan"
    SELESAI = "selesai"  # the term ran out or the objective was achieved
    DIAKHIRI = "diakhiri"  # ended early, with a reason of PP art. 9 / 22
    DITOLAK = "ditolak"  # rejected or declined before signing; may be revised back to draft


TERMINAL = frozenset({Stage.SELESAI, Stage.DIAKHIRI})
DRAFT_STAGES = frozenset({Stage.PERSIAPAN, Stage.PRAKARSA})


class EndReason(StrEnum):
    """Why a cooperation ends (PP art. 9; art. 22 adds the last two for KSDPK)."""

    TERM_EXPIRED = "term_expired"
    OBJECTIVE_ACHIEVED = "objective_achieved"
    MUTUAL_AGREEMENT = "mutual_agreement"
    POLICY_CHANGE = "policy_change"
    OBJECT_LOST = "object_lost"
    COURT_RULING = "court_ruling"  # KSDPK only
    PARTNER_BANKRUPT = "partner_bankrupt"  # KSDPK only


KSDPK_ONLY_REASONS = frozenset({EndReason.COURT_RULING, EndReason.PARTNER_BANKRUPT})

# Roles (docs/domain.md)
OPD = frozenset({"opd_staff", "opd_head"})
SECTION = frozenset({"kerja_sama"})
REVIEWERS = frozenset({"kerja_sama", "tkksd", "sekda"})
HEAD = frozenset({"kepala_daerah"})
PKS_SIGNERS = frozenset({"kepala_daerah", "opd_head"})  # a PKS may be signed under a power of attorney
DPRD = frozenset({"dprd", "kerja_sama"})  # the section records the parliament's decision
SYSTEM = frozenset({"system"})  # the platform itself (expiry at the end date)


@dataclass(frozen=True)
class LifecycleConfig:
    """Per-tenant configuration, with the defaults of docs/domain.md."""

    max_term_months: int = 60
    reminder_offsets_days: tuple[int, ...] = (90, 60, 30, 7, 0)
    # Optional stages a region may switch off (its own Perda/Perkada).
    offer_stage: bool = True  # surat penawaran before the KB
    kb_before_pks: bool = True  # KSDPK may go straight to the PKS where the region allows


@dataclass(frozen=True)
class CooperationFlags:
    """Facts of one cooperation that decide its stages."""

    burdens_public: bool = False  # membebani masyarakat dan daerah
    unbudgeted: bool = False  # funding not yet in the current APBD
    initiator: Initiator = Initiator.REGION
    ksdpk_kind: KsdpkKind | None = None

    @property
    def dprd_required(self) -> bool:
        """PP art. 6(2): DPRD approval when the cooperation burdens the public and the
        region and/or its funding is not yet budgeted (KSDD, and KSDPK by art. 19; foreign
        cooperation always needs it; the central-government path has no DPRD stage)."""
        return self.burdens_public or self.unbudgeted


FOREIGN = frozenset({Kind.KSDPL, Kind.KSDLL})


def needs_dprd(kind: Kind, flags: CooperationFlags) -> bool:
    """Whether the lifecycle of this cooperation has the DPRD stage: by the flags for a KSDD
    or KSDPK, always for foreign cooperation, never on the central-government path."""
    return kind in FOREIGN or (kind in (Kind.KSDD, Kind.KSDPK) and flags.dprd_required)


@dataclass(frozen=True)
class Transition:
    command: str
    source: Stage
    target: Stage
    roles: frozenset[str]
    aggregate: str  # proposal | agreement
    event: str
    by_partner: bool = False
    """Made by the partner region when it is a Jalin tenant; otherwise the owner's roles
    record it on the partner's behalf (a third party, a region not on Jalin)."""

    @property
    def subject_suffix(self) -> str:
        return f"{self.aggregate}.{self.event}"


class TransitionNotAllowed(Exception):
    """No such transition from this stage."""


class RoleNotAllowed(Exception):
    """The transition exists, but not for the caller's roles."""


@dataclass(frozen=True)
class Lifecycle:
    kind: Kind
    start: Stage
    transitions: tuple[Transition, ...]
    _index: dict[tuple[Stage, str], Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[tuple[Stage, str], Transition] = {}
        for t in self.transitions:
            key = (t.source, t.command)
            if key in index:
                raise ValueError(f"two transitions {t.command} from {t.source}")
            index[key] = t
        object.__setattr__(self, "_index", index)

    @property
    def stages(self) -> frozenset[Stage]:
        return frozenset({self.start} | {t.source for t in self.transitions} | {t.target for t in self.transitions})

    def available(self, stage: Stage, roles: Iterable[str] | None = None) -> list[Transition]:
        """Transitions from ``stage`` (those ``roles`` may make, if given)."""
        out = [t for t in self.transitions if t.source == stage]
        if roles is not None:
            have = frozenset(roles)
            out = [t for t in out if t.roles & have]
        return out

    def apply(self, stage: Stage, command: str, roles: Iterable[str]) -> Transition:
        """The transition ``command`` from ``stage`` by a holder of ``roles``, or why not."""
        t = self._index.get((stage, command))
        if t is None:
            possible = ", ".join(sorted(x.command for x in self.available(stage))) or "none (final stage)"
            raise TransitionNotAllowed(f"cannot {command} at stage {stage.value}; possible: {possible}")
        if not t.roles & frozenset(roles):
            raise RoleNotAllowed(f"{command} needs one of the roles: {', '.join(sorted(t.roles))}")
        return t


PARTNER_COMMANDS = frozenset({"accept_offer", "decline_offer"})


def _chain(steps: list[tuple[Stage, str, Stage, frozenset[str], str, str]]) -> list[Transition]:
    return [
        Transition(cmd, src, dst, roles, agg, ev, by_partner=cmd in PARTNER_COMMANDS)
        for src, cmd, dst, roles, agg, ev in steps
    ]


def _ending(stages: Iterable[Stage], start: Stage) -> list[Transition]:
    """Rejection after submission and before signing, revision of a rejected proposal,
    early termination, completion and expiry during pelaksanaan."""
    out = [
        Transition("reject", s, Stage.DITOLAK, REVIEWERS, "proposal", "rejected")
        for s in stages
        if s not in TERMINAL and s not in (Stage.PELAKSANAAN, Stage.DITOLAK, start)
    ]
    out.append(Transition("revise", Stage.DITOLAK, start, OPD, "proposal", "revised"))
    out.append(Transition("terminate", Stage.PELAKSANAAN, Stage.DIAKHIRI, HEAD | SECTION, "agreement", "terminated"))
    out.append(Transition("expire", Stage.PELAKSANAAN, Stage.SELESAI, SYSTEM, "agreement", "expired"))
    out.append(Transition("complete", Stage.PELAKSANAAN, Stage.SELESAI, SECTION, "agreement", "completed"))
    return out


def lifecycle_for(kind: Kind, config: LifecycleConfig | None = None, flags: CooperationFlags | None = None) -> Lifecycle:
    """The lifecycle of one cooperation of ``kind``, for a tenant's ``config`` and its ``flags``."""
    config = config or LifecycleConfig()
    flags = flags or CooperationFlags()
    S = Stage
    steps: list[tuple[Stage, str, Stage, frozenset[str], str, str]] = []

    if kind in (Kind.KSDD, Kind.KSDPK):
        first = S.PERSIAPAN
        if kind is Kind.KSDPK:
            # Submitted with its feasibility study: the region writes it (art. 17); a third
            # party that initiates supplies it (art. 18) and the section enters it.
            study_roles = OPD if flags.initiator is Initiator.REGION else SECTION
            steps.append((S.PERSIAPAN, "submit", S.STUDI_KELAYAKAN, study_roles, "proposal", "submitted"))
            assessed = S.STUDI_KELAYAKAN
        else:
            steps.append((S.PERSIAPAN, "submit", S.PENILAIAN, OPD, "proposal", "submitted"))
            assessed = S.PENILAIAN
        drafting = S.PENYUSUNAN_KB if (kind is not Kind.KSDPK or config.kb_before_pks) else S.PENYUSUNAN_PKS
        if config.offer_stage:
            steps.append((assessed, "approve", S.PENAWARAN, REVIEWERS, "proposal", "approved"))
            steps.append((S.PENAWARAN, "accept_offer", drafting, SECTION | HEAD, "proposal", "offer-accepted"))
            steps.append((S.PENAWARAN, "decline_offer", S.DITOLAK, SECTION | HEAD, "proposal", "offer-declined"))
        else:
            steps.append((assessed, "approve", drafting, REVIEWERS, "proposal", "approved"))
        dprd = needs_dprd(kind, flags)
        if drafting is S.PENYUSUNAN_KB:
            steps.append((S.PENYUSUNAN_KB, "finalize_kb", S.PENANDATANGANAN_KB, REVIEWERS, "agreement", "kb-finalized"))
            steps.append(
                (S.PENANDATANGANAN_KB, "sign_kb", S.PERSETUJUAN_DPRD if dprd else S.PENYUSUNAN_PKS, HEAD, "agreement", "kb-signed")
            )
            if dprd:
                steps.append((S.PERSETUJUAN_DPRD, "record_dprd_approval", S.PENYUSUNAN_PKS, DPRD, "agreement", "dprd-approved"))
            steps.append((S.PENYUSUNAN_PKS, "finalize_pks", S.PENANDATANGANAN_PKS, REVIEWERS, "agreement", "pks-finalized"))
        elif dprd:  # no KB: the DPRD decides on the PKS draft before it is signed
            steps.append((S.PENYUSUNAN_PKS, "finalize_pks", S.PERSETUJUAN_DPRD, REVIEWERS, "agreement", "pks-finalized"))
            steps.append(
                (S.PERSETUJUAN_DPRD, "record_dprd_approval", S.PENANDATANGANAN_PKS, DPRD, "agreement", "dprd-approved")
            )
        else:
            steps.append((S.PENYUSUNAN_PKS, "finalize_pks", S.PENANDATANGANAN_PKS, REVIEWERS, "agreement", "pks-finalized"))
        steps.append((S.PENANDATANGANAN_PKS, "sign_pks", S.PELAKSANAAN, PKS_SIGNERS, "agreement", "pks-signed"))
    elif kind in FOREIGN:
        first = S.PRAKARSA
        # DPRD approval is always required for foreign cooperation (PP art. 30).
        chain = [
            (S.PRAKARSA, "submit", S.PENILAIAN, OPD, "proposal", "submitted"),
            (S.PENILAIAN, "approve", S.PENJAJAKAN, REVIEWERS, "proposal", "approved"),
            (S.PENJAJAKAN, "request_consultation", S.KONSULTASI, SECTION, "proposal", "consultation-requested"),
            (S.KONSULTASI, "record_consultation", S.SURAT_MINAT, SECTION, "proposal", "consulted"),
            (S.SURAT_MINAT, "sign_letter_of_intent", S.RENCANA_KERJA_SAMA, HEAD, "proposal", "letter-of-intent-signed"),
            (S.RENCANA_KERJA_SAMA, "submit_work_plan", S.PERSETUJUAN_DPRD, REVIEWERS, "proposal", "work-plan-submitted"),
            (S.PERSETUJUAN_DPRD, "record_dprd_approval", S.VERIFIKASI_KEMENDAGRI, DPRD, "agreement", "dprd-approved"),
            (S.VERIFIKASI_KEMENDAGRI, "record_ministry_verification", S.PERSETUJUAN_NASKAH, SECTION, "agreement", "ministry-verified"),
            (S.PERSETUJUAN_NASKAH, "record_text_approval", S.KONFIRMASI_KEMENLU, SECTION, "agreement", "text-approved"),
            (S.KONFIRMASI_KEMENLU, "record_confirmation", S.PENANDATANGANAN, SECTION, "agreement", "confirmed"),
            (S.PENANDATANGANAN, "sign", S.PELAKSANAAN, HEAD, "agreement", "signed"),
        ]
        steps.extend(chain)
    elif kind is Kind.PUSAT:
        first = S.PERSIAPAN
        steps.extend([
            (S.PERSIAPAN, "submit", S.PENILAIAN, OPD, "proposal", "submitted"),
            (S.PENILAIAN, "approve", S.PENYUSUNAN_NK, REVIEWERS, "proposal", "approved"),
            (S.PENYUSUNAN_NK, "finalize_nk", S.PENANDATANGANAN_NK, REVIEWERS, "agreement", "nk-finalized"),
            (S.PENANDATANGANAN_NK, "sign_nk", S.PENYUSUNAN_RENCANA_KERJA, HEAD, "agreement", "nk-signed"),
            (S.PENYUSUNAN_RENCANA_KERJA, "adopt_work_plan", S.PELAKSANAAN, REVIEWERS, "agreement", "work-plan-adopted"),
        ])
    else:  # pragma: no cover - exhaustive over Kind
        raise ValueError(f"unknown kind {kind}")

    transitions = _chain(steps)
    stages = {first} | {t.source for t in transitions} | {t.target for t in transitions}
    transitions += _ending(sorted(stages), first)
    return Lifecycle(kind=kind, start=first, transitions=tuple(transitions))


def start_stage(kind: Kind) -> Stage:
    return Stage.PRAKARSA if kind in FOREIGN else Stage.PERSIAPAN


def check_end_reason(kind: Kind, reason: EndReason) -> None:
    if reason in KSDPK_ONLY_REASONS and kind is not Kind.KSDPK:
        raise ValueError(f"{reason.value} ends only a cooperation with a third party (KSDPK)")


class Status(StrEnum):
    """A coarse status for lists and filters, derived from the stage."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # the TKKSD assesses (or the feasibility study is assessed)
    APPROVED = "approved"  # approved by the region: offer, KB, DPRD, PKS under way
    ACTIVE = "active"  # pelaksanaan
    COMPLETED = "completed"
    TERMINATED = "terminated"
    REJECTED = "rejected"


def status_of(stage: Stage) -> Status:
    if stage in DRAFT_STAGES:
        return Status.DRAFT
    return {
        Stage.PENILAIAN: Status.SUBMITTED,
        Stage.STUDI_KELAYAKAN: Status.SUBMITTED,
        Stage.PELAKSANAAN: Status.ACTIVE,
        Stage.SELESAI: Status.COMPLETED,
        Stage.DIAKHIRI: Status.TERMINATED,
        Stage.DITOLAK: Status.REJECTED,
    }.get(stage, Status.APPROVED)
