"""Authorship of a standard (第十三条, rulings R7): lead, participant, or neither.

The lead (主导) is the drafting unit ranked first in the standard's 前言, or, when the
前言 names none, the applicant with a proof from the publishing or responsible unit.
Participation (参与) pays only the foremost Hami unit: among the units ranked second and
below (``foremost_after_lead``), or in the whole list (``foremost_overall``). The applicant
is found in the list by USCC when both sides have one, else by name after NFKC
normalisation and whitespace removal; never fuzzily.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ._texts import say
from .claims import Applicant, DraftingUnit, StandardClaim
from .decision import JSONValue, TraceStep, new_step

__all__ = ["Authorship", "settle_authorship"]


@dataclass(frozen=True, slots=True)
class Authorship:
    """The applicant's role for one standard, the reason it fails (if it does), and its step."""

    role: str  # lead | participant | none | unproven: the derived fact items read
    reason: str | None  # not_drafting_unit | lead_proof_missing | not_foremost_hami_participant
    step: TraceStep
    position: int | None = None  # the applicant's place in the 前言 (0: the lead)
    hami_unit: bool = False  # whether the applicant's own unit there is a Hami unit


def _norm_name(name: str) -> str:
    # rulings R7: NFKC folds （ into (, full-width letters into ASCII; whitespace is ignored.
    return "".join(unicodedata.normalize("NFKC", name).split())


def _unit_region(unit: DraftingUnit) -> str | None:
    if unit.region:
        return unit.region
    return unit.uscc[2:8] if unit.uscc else None


def settle_authorship(
    applicant: Applicant,
    claim: StandardClaim,
    prefixes: tuple[str, ...],
    policy: str,
    citation: str,
    lead_policy: str,
) -> Authorship:
    """Who led, who took part, and whether this applicant is the participant paid.

    ``prefixes`` are the division-code prefixes of Hami units, ``policy`` the participation
    reading (``foremost_after_lead`` or ``foremost_overall``), ``citation`` the article,
    ``lead_policy`` the reading of claims of several applicants to lead one standard
    (``one_per_standard`` or ``each_claim``), which a lead's step shows.
    """
    units = claim.drafting_units or ()
    facts: dict[str, JSONValue] = {
        "drafting_units": [u.name for u in units],
        "lead_proof": claim.lead_proof,
        "participation_policy": policy,
    }
    if not units:
        if claim.lead_proof:
            role, ok, reason = "lead", True, None
            zh, en = say("authorship.lead_proof")
            facts["lead_policy"] = lead_policy
        else:
            role, ok, reason = "unproven", False, "lead_proof_missing"
            zh, en = say("authorship.lead_proof_missing")
        facts["role"] = role
        result = "pass" if ok else "fail"
        step = new_step("authorship", "standard.authorship", citation, result, facts, zh, en)
        return Authorship(role, reason, step)
    index = _find_applicant(applicant, units)
    facts["position"] = None if index is None else index + 1
    reason = None
    if index is None:
        role = "none"
        zh, en = say("authorship.not_drafting_unit")
        reason = "not_drafting_unit"
    elif index == 0:
        role = "lead"
        zh, en = say("authorship.lead")
        if policy == "foremost_overall":
            # R7's alternative: a Hami lead takes the participation award's place. Other
            # claims on the standard read that across the batch: this step shows why.
            _hami_facts(facts, applicant, units, index, prefixes)
        facts["lead_policy"] = lead_policy
    else:
        role = "participant"
        hami = _hami_facts(facts, applicant, units, index, prefixes)
        start = 1 if policy == "foremost_after_lead" else 0
        eligible = [i for i in hami if i >= start]
        foremost = eligible[0] if eligible else None
        facts["foremost_hami_position"] = None if foremost is None else foremost + 1
        if foremost == index:
            zh, en = say("authorship.foremost_participant", position=index + 1)
        else:
            reason = "not_foremost_hami_participant"
            if foremost is None:
                zh, en = say("authorship.no_hami_unit", position=index + 1)
            else:
                zh, en = say(
                    "authorship.other_participant", position=index + 1, foremost=foremost + 1
                )
    facts["role"] = role
    result = "fail" if reason else "pass"
    step = new_step("authorship", "standard.authorship", citation, result, facts, zh, en)
    hami_unit = index is not None and _is_hami(units[index], applicant, prefixes)
    return Authorship(role, reason, step, index, hami_unit)


def _hami_facts(
    facts: dict[str, JSONValue],
    applicant: Applicant,
    units: Sequence[DraftingUnit],
    index: int,
    prefixes: tuple[str, ...],
) -> list[int]:
    """The places of the Hami units (rulings R7), noted in ``facts`` with what made them so.

    ``unit_regions``: each unit's division code (its region, or its USCC's digits 3-8), null
    for a unit printed without one; ``hami_units``: each Hami unit's position and what
    made it one (``by``): its code as given (``region``) or read from its USCC (``uscc``),
    ``hami: true`` as printed (``hami``), or, for the applicant's own entry printed without
    a code, the applicant's region (``applicant``, with that ``region``). With the rule
    set's ``hami_unit_prefixes``, an auditor can redo which units count and why. Each
    mapping's keys are in sorted order, as a ledger record writes them.
    """
    regions: list[JSONValue] = []
    shown: list[JSONValue] = []
    hami: list[int] = []
    for i, unit in enumerate(units):
        region = _unit_region(unit)
        regions.append(region)
        entry: dict[str, JSONValue] | None = None
        if unit.hami:
            entry = {"by": "hami", "position": i + 1}
        elif region is not None:
            if region.startswith(prefixes):
                entry = {"by": "uscc" if unit.uscc else "region", "position": i + 1}
        elif i == index and applicant.region and applicant.region.startswith(prefixes):
            # rulings R7: the applicant's own entry without a code is read as the applicant.
            entry = {"by": "applicant", "position": i + 1, "region": applicant.region}
        if entry is not None:
            hami.append(i)
            shown.append(entry)
    facts["unit_regions"] = regions
    facts["hami_units"] = shown
    return hami


def _find_applicant(applicant: Applicant, units: Sequence[DraftingUnit]) -> int | None:
    # By USCC when both sides have one, else by normalised name; never fuzzy (rulings R7).
    name = _norm_name(applicant.name)
    for i, unit in enumerate(units):
        if applicant.uscc and unit.uscc:
            if unit.uscc == applicant.uscc:
                return i
        elif _norm_name(unit.name) == name:
            return i
    return None


def _is_hami(unit: DraftingUnit, applicant: Applicant | None, prefixes: tuple[str, ...]) -> bool:
    if unit.hami:
        return True
    region = _unit_region(unit) or (applicant.region if applicant else None)
    return region is not None and region.startswith(prefixes)
