"""The PP 28/2018 lifecycle rules: every legal and illegal transition of each kind, and a
property test that random command sequences never reach a state the rules forbid."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from jalin_kit.auth import ROLES
from jalin_proposals.lifecycle import (
    TERMINAL,
    CooperationFlags,
    EndReason,
    Initiator,
    Kind,
    Lifecycle,
    LifecycleConfig,
    RoleNotAllowed,
    Stage,
    Status,
    TransitionNotAllowed,
    check_end_reason,
    lifecycle_for,
    start_stage,
    status_of,
)

ALL_ROLES = sorted(ROLES | {"system"})
DPRD_FLAGS = CooperationFlags(unbudgeted=True)
CONFIGS = [LifecycleConfig(), LifecycleConfig(offer_stage=False), LifecycleConfig(kb_before_pks=False)]
FLAGS = [
    CooperationFlags(),
    DPRD_FLAGS,
    CooperationFlags(burdens_public=True, initiator=Initiator.THIRD_PARTY),
    CooperationFlags(initiator=Initiator.THIRD_PARTY),
]
CASES = [(k, c, f) for k in Kind for c in CONFIGS for f in FLAGS]


def all_commands(lc: Lifecycle) -> set[str]:
    return {t.command for t in lc.transitions}


def happy_path(lc: Lifecycle) -> list[str]:
    """Commands from the start to pelaksanaan, skipping reject/decline/terminate/expire/complete."""
    stage, path = lc.start, []
    while stage is not Stage.PELAKSANAAN:
        forward = [t for t in lc.available(stage) if t.target not in TERMINAL | {Stage.DITOLAK}]
        assert len(forward) == 1, (lc.kind, stage, forward)
        path.append(forward[0].command)
        stage = forward[0].target
        assert len(path) < 30
    return path


@pytest.mark.parametrize("kind,config,flags", CASES)
def test_every_kind_reaches_pelaksanaan_and_each_step_names_roles_and_event(
    kind: Kind, config: LifecycleConfig, flags: CooperationFlags
) -> None:
    lc = lifecycle_for(kind, config, flags)
    stage = lc.start
    for command in happy_path(lc):
        t = next(t for t in lc.available(stage) if t.command == command)
        assert t.roles and t.aggregate in ("proposal", "agreement") and t.event
        stage = lc.apply(stage, command, t.roles).target
    assert stage is Stage.PELAKSANAAN


@pytest.mark.parametrize("kind,config,flags", CASES)
def test_every_stage_command_and_role_is_legal_exactly_when_the_rules_say(
    kind: Kind, config: LifecycleConfig, flags: CooperationFlags
) -> None:
    lc = lifecycle_for(kind, config, flags)
    commands = all_commands(lc) | {"approve", "sign_pks", "nonsense"}
    for stage, command in itertools.product(Stage, sorted(commands)):
        rule = next((t for t in lc.transitions if t.source == stage and t.command == command), None)
        for role in ALL_ROLES:
            if rule is None:
                with pytest.raises(TransitionNotAllowed):
                    lc.apply(stage, command, {role})
            elif role in rule.roles:
                assert lc.apply(stage, command, {role}) == rule
            else:
                with pytest.raises(RoleNotAllowed):
                    lc.apply(stage, command, {role})


def test_default_ksdd_stages_in_order() -> None:
    lc = lifecycle_for(Kind.KSDD, LifecycleConfig(), DPRD_FLAGS)
    assert happy_path(lc) == [
        "submit", "approve", "accept_offer", "finalize_kb", "sign_kb", "record_dprd_approval", "finalize_pks",
        "sign_pks",
    ]
    assert Stage.PERSETUJUAN_DPRD not in lifecycle_for(Kind.KSDD).stages  # not required: no stage
    assert [t.command for t in lc.transitions if t.by_partner] == ["accept_offer", "decline_offer"]


def test_without_the_offer_stage_approval_leads_to_drafting_the_kb() -> None:
    lc = lifecycle_for(Kind.KSDD, LifecycleConfig(offer_stage=False))
    assert happy_path(lc)[:3] == ["submit", "approve", "finalize_kb"]
    assert Stage.PENAWARAN not in lc.stages


def test_ksdpk_is_submitted_with_the_feasibility_study_supplied_by_its_initiator() -> None:
    region = lifecycle_for(Kind.KSDPK)
    assert happy_path(region)[:2] == ["submit", "approve"]
    assert region.apply(Stage.PERSIAPAN, "submit", {"opd_staff"}).target is Stage.STUDI_KELAYAKAN
    third = lifecycle_for(Kind.KSDPK, flags=CooperationFlags(initiator=Initiator.THIRD_PARTY))
    with pytest.raises(RoleNotAllowed):
        third.apply(Stage.PERSIAPAN, "submit", {"opd_staff"})
    assert third.apply(Stage.PERSIAPAN, "submit", {"kerja_sama"}).target is Stage.STUDI_KELAYAKAN
    direct = lifecycle_for(Kind.KSDPK, LifecycleConfig(kb_before_pks=False))
    assert happy_path(direct) == ["submit", "approve", "accept_offer", "finalize_pks", "sign_pks"]


def test_rejected_proposals_are_revised_back_to_their_draft_stage() -> None:
    for kind in Kind:
        lc = lifecycle_for(kind)
        t = lc.apply(Stage.DITOLAK, "revise", {"opd_staff"})
        assert t.target is lc.start is start_stage(kind)
        assert status_of(lc.start) is Status.DRAFT
        with pytest.raises(TransitionNotAllowed):  # a draft is not rejected: it was never submitted
            lc.apply(lc.start, "reject", {"sekda"})


@pytest.mark.parametrize("kind", [Kind.KSDPL, Kind.KSDLL])
def test_foreign_cooperation_always_needs_dprd_then_the_ministries(kind: Kind) -> None:
    path = happy_path(lifecycle_for(kind, flags=CooperationFlags()))
    assert path == [
        "submit", "approve", "request_consultation", "record_consultation", "sign_letter_of_intent",
        "submit_work_plan", "record_dprd_approval", "record_ministry_verification", "record_text_approval",
        "record_confirmation", "sign",
    ]


def test_central_government_has_nota_kesepakatan_and_rencana_kerja_no_kb_or_pks() -> None:
    lc = lifecycle_for(Kind.PUSAT)
    assert happy_path(lc) == ["submit", "approve", "finalize_nk", "sign_nk", "adopt_work_plan"]
    assert not {Stage.PENYUSUNAN_KB, Stage.PENYUSUNAN_PKS} & lc.stages


def test_a_pks_may_be_signed_under_power_of_attorney_a_kb_only_by_the_head() -> None:
    lc = lifecycle_for(Kind.KSDD)
    assert lc.apply(Stage.PENANDATANGANAN_PKS, "sign_pks", {"opd_head"}).target is Stage.PELAKSANAAN
    with pytest.raises(RoleNotAllowed):
        lc.apply(Stage.PENANDATANGANAN_KB, "sign_kb", {"opd_head"})


def test_terminal_stages_allow_nothing_and_end_reasons_follow_the_kind() -> None:
    for kind in Kind:
        lc = lifecycle_for(kind)
        for stage in TERMINAL:
            assert lc.available(stage) == []
    check_end_reason(Kind.KSDPK, EndReason.PARTNER_BANKRUPT)
    with pytest.raises(ValueError, match="third party"):
        check_end_reason(Kind.KSDD, EndReason.COURT_RULING)


@settings(max_examples=500, deadline=None)
@given(
    case=st.sampled_from(CASES),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["any", "available", "allowed", "allowed", "allowed"]),
            st.integers(min_value=0, max_value=40),
            st.sets(st.sampled_from(ALL_ROLES), max_size=3),
        ),
        max_size=40,
    ),
)
def test_random_command_sequences_never_reach_a_forbidden_state(
    case: tuple[Kind, LifecycleConfig, CooperationFlags], steps: list[tuple[str, int, set[str]]]
) -> None:
    """Commands are random, or drawn from what the stage offers (so that runs get far),
    with random roles or, for "allowed", one role the rule names plus random ones."""
    kind, config, flags = case
    lc = lifecycle_for(kind, config, flags)
    commands = sorted(all_commands(lc))
    stage, history = lc.start, [lc.start]
    # PP art. 6(2) for KSDD (and KSDPK, art. 19), always for foreign cooperation (art. 30);
    # cooperation with the central government has no KB/PKS and no DPRD stage here.
    dprd_needed = (flags.dprd_required and kind is not Kind.PUSAT) or kind in (Kind.KSDPL, Kind.KSDLL)
    for mode, pick, roles in steps:
        offered = lc.available(stage)
        if mode == "any" or not offered:
            command = commands[pick % len(commands)]
        else:
            forward = [t for t in offered if t.target not in TERMINAL]
            pool = forward if forward and pick % 5 else offered  # mostly onward, sometimes out
            rule = pool[pick % len(pool)]
            command = rule.command
            if mode == "allowed":
                roles = roles | {sorted(rule.roles)[pick % len(rule.roles)]}
        try:
            t = lc.apply(stage, command, roles)
        except (TransitionNotAllowed, RoleNotAllowed):
            continue
        assert t.roles & roles, "a transition made without an allowed role"
        assert stage not in TERMINAL, "left a final stage"
        stage = t.target
        if command == "revise":  # back to the draft: the rules apply afresh
            history = []
        history.append(stage)
        assert stage in lc.stages
        if stage is Stage.PELAKSANAAN:
            event("reached pelaksanaan")
            if dprd_needed:
                assert Stage.PERSETUJUAN_DPRD in history, "in force without the DPRD's approval"
            if kind is Kind.KSDPK:
                assert Stage.STUDI_KELAYAKAN in history, "KSDPK without a feasibility study"
        if stage is Stage.DITOLAK:
            assert history[-2] not in (lc.start, Stage.PELAKSANAAN), "rejected a draft or a running cooperation"
        if stage is Stage.SELESAI and history[-2] is Stage.PELAKSANAAN and command == "expire":
            assert "system" in roles
