"""Shared hypothesis strategies: valid claims batches, rule sets and ledgers (issue 6).

Everything drawn here is *valid* input: a batch passes ``batch_from_data``, a rule set
passes ``load_rules``. The property tests state what must hold for every such input;
the fuzz tests mutate these documents into invalid ones.

Batches are drawn as plain data (what ``batch_from_data`` and the CLI read), across all
13 claim kinds, and lean towards the cases where claims meet: tiers of one honour for one
applicant, the same subject twice, several applicants on one standard, drafting units in
every order, reference dates on both sides of the period in force (2026-03-14 ..
2029-03-13). Rule sets are the shipped files with amounts (some of them dated changes)
and policies changed through a YAML round trip; they come from a pool of seeded variants
so that each is written and loaded once per session.

Strategies are module constants and dynamic choices are drawn as indexes: hypothesis
validates a strategy each time one is built, which would otherwise cost more than the
evaluation under test.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import datetime as dt
import functools
import random
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import yaml
from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

import qfund_rules as q
from qfund_rules.history import BanRecord, PriorAward, applicant_key
from qfund_rules.rules import ITEM_IDS, RULE_FILES
from qfund_rules.standards import parse_standard_number

from ..conftest import RULES_DIR

__all__ = [
    "EFFECTIVE_FROM",
    "EFFECTIVE_UNTIL",
    "HAMI_REGIONS",
    "KINDS",
    "SHIPPED",
    "Ledger",
    "RuleParams",
    "Scenario",
    "batch_data",
    "dump_yaml",
    "ledgers",
    "norm_name",
    "outsiders",
    "rule_params",
    "rules_for",
    "scenario_of",
    "scenarios",
    "with_raised_amount",
    "write_rules",
]

#: The shipped rule set, loaded once: it is immutable.
SHIPPED: Final = q.load_rules(RULES_DIR)

# Rulings R2: the 2026 draft is in force 2026-03-14 .. 2029-03-13, both days included.
EFFECTIVE_FROM: Final = dt.date(2026, 3, 14)
EFFECTIVE_UNTIL: Final = dt.date(2029, 3, 13)

# Rulings R3: the Hami codes, the pre-2016 ones included; and some that are not Hami.
HAMI_REGIONS: Final = ("650500", "650502", "650521", "650522", "652200", "652201", "652222",
                       "652223")  # fmt: skip
OTHER_REGIONS: Final = ("110108", "650102", "652301", "310115", "654002")
ORG_TYPES: Final = ("government_agency", "public_institution", "social_organization",
                    "research_institute", "enterprise")  # fmt: skip
# Types 第四条 does not name (R3: not_eligible_applicant), one of them a near miss.
OTHER_ORG_TYPES: Final = ("individual", "enterprize")

# Applicant name stems; no drafting unit outside the batch shares one of them.
_STEMS: Final = ("天山能源装备", "巴里坤草原乳业", "伊吾光伏新材料", "东天山风电(集团)")
_OUTSIDE_UNITS: Final = (  # (name, region, hami flag): units that are never applicants
    ("中国标准化研究院", "110108", None),
    ("中国电力科学研究院有限公司", "110108", None),
    ("新疆维吾尔自治区标准化研究院", "650102", None),
    ("上海某检测技术有限公司", "310115", False),
    ("哈密市质量协会", "650500", None),
    ("伊吾县某农民专业合作社", None, True),
)

# Standard numbers as (prefix, number, year); the printed form varies per claim.
_PREFIXES: Final = ("GB/T", "GB", "GB/Z", "NB/T", "JB/T", "HG/T", "DB/T", "DB65/T",
                    "DB6505/T", "T/XJAS", "T/CAS", "Q/HMTS")  # fmt: skip
_NUMBERS: Final = ("45678", "1234", "10001", "4321.2", "001")

_SUBJECTS: Final[Mapping[str, tuple[str, ...]]] = {
    "quality_chain": ("风电装备质量强链", "哈密瓜产业链典型案例"),
    "qc_group": ("叶片质量攻关QC小组", "焊接工艺QC小组"),
    "cqo_case": ("首席质量官推动质量提升",),
    "testing_platform": ("哈密市新能源检测平台", "煤化工产品检测平台"),
    "standardization_pilot": ("伊吾县农业标准化试点", "哈密瓜种植标准化试点"),
    "technical_committee": ("SAC/TC 123/SC 4", "XJ/TC 07"),
    "xinjiang_brand": ("新疆品质-HM-2026-001", "哈密瓜干"),
}

#: The kinds other than ``standard``, each with its facts (all enums) and their values.
_ENUM_FACTS: Final[Mapping[str, Mapping[str, tuple[object, ...]]]] = {
    "quality_county": {"stage": ("approved", "accepted")},
    "quality_chain": {"recognition": ("key_project", "typical_case"),
                      "level": ("national", "regional")},
    "quality_award": {"award": ("china", "xinjiang", "hami"), "tier": ("winner", "nominee"),
                      "first_time": (True, True, False)},
    "leading_enterprise": {},
    "qc_group": {"level": ("national", "regional")},
    "cqo_case": {},
    "cnas_accreditation": {"first_time": (True, True, False)},
    "ccc_lab": {"first_time": (True, True, False)},
    "testing_platform": {"level": ("national", "regional")},
    "standardization_pilot": {"level": ("national", "regional")},
    "technical_committee": {"level": ("national", "regional"), "body": ("tc", "sc", "wg")},
    "xinjiang_brand": {"event": ("first_certification", "new_product", "recertification")},
}  # fmt: skip
KINDS: Final = (*_ENUM_FACTS, "standard")

# The fact that tells tiers or levels of one qualification apart (rulings R5).
_TIER_FACTS: Final = {"quality_chain": "level", "quality_award": "tier", "qc_group": "level",
                      "testing_platform": "level", "standardization_pilot": "level",
                      "technical_committee": "body", "standard": "action"}  # fmt: skip


def norm_name(name: str) -> str:
    """A unit name as rulings R7 compares it: NFKC, whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def make_uscc(region: str, serial: int) -> str:
    """A valid USCC (GB 32100-2015) registered in ``region``, unique per ``serial``."""
    body = f"91{region}MA{serial:07d}"
    return body + str(stdnum_uscc.calc_check_digit(body))


def _pick(draw: st.DrawFn, options: Sequence[Any]) -> Any:
    """One of ``options``, drawn as an index (cheaper than a fresh ``sampled_from``)."""
    return options[draw(st.integers(0, len(options) - 1))]


def _chance(draw: st.DrawFn, one_in: int) -> bool:
    """True once in ``one_in`` draws (shrinks to False)."""
    return draw(st.integers(0, one_in - 1)) == one_in - 1


# --- dates ------------------------------------------------------------------------------

_IN_FORCE: Final = st.dates(EFFECTIVE_FROM, EFFECTIVE_UNTIL)
_BOUNDARIES: Final = st.sampled_from(
    (
        EFFECTIVE_FROM - dt.timedelta(days=1),
        EFFECTIVE_FROM,
        EFFECTIVE_UNTIL,
        EFFECTIVE_UNTIL + dt.timedelta(days=1),
    )
)
#: ``achieved_on``: mostly in force, often on a boundary, sometimes anywhere (R2).
REFERENCE_DATES: Final = st.one_of(
    _IN_FORCE,
    _IN_FORCE,
    _IN_FORCE,
    _BOUNDARIES,
    st.dates(dt.date(2024, 1, 1), dt.date(2031, 12, 31)),
)
_SUBMITTED: Final = st.dates(dt.date(2026, 6, 1), dt.date(2028, 6, 30))
#: The batch default ``submitted_on``: a claim without its own is submitted on it.
_DEFAULT_SUBMITTED: Final = (dt.date(2027, 3, 20), dt.date(2027, 5, 8))
_LISTED_FROM: Final = st.dates(dt.date(2025, 1, 1), dt.date(2028, 6, 30))
_LISTED_DAYS: Final = st.none() | st.integers(0, 900)
_FOUND_ON: Final = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31))


# --- applicants ---------------------------------------------------------------------------


def _credit_listings(draw: st.DrawFn) -> list[dict[str, Any]]:
    listings: list[dict[str, Any]] = []
    for _ in range(_pick(draw, (0, 0, 0, 1, 2))):
        start = draw(_LISTED_FROM)
        length = draw(_LISTED_DAYS)
        listings.append(
            {
                "list": _pick(draw, ("dishonest", "negative")),
                "from": start,
                "until": None if length is None else start + dt.timedelta(days=length),
            }
        )
    return listings


def _applicant(draw: st.DrawFn, index: int, noisy: bool) -> dict[str, Any]:
    hami = not noisy or not _chance(draw, 4)
    region = _pick(draw, HAMI_REGIONS if hami else OTHER_REGIONS)
    stem = _STEMS[index]
    out: dict[str, Any] = {
        "id": f"A{index + 1}",
        "name": f"哈密{stem}有限公司" if hami else f"乌鲁木齐{stem}有限公司",
        "org_type": _pick(draw, ORG_TYPES + OTHER_ORG_TYPES if noisy else ORG_TYPES),
    }
    # Region alone, the USCC alone (region read from it), or both agreeing (rulings R3).
    form = _pick(draw, ("region", "region", "uscc", "both"))
    if form in ("region", "both"):
        out["region"] = region
    if form in ("uscc", "both"):
        out["uscc"] = make_uscc(region, index + 1)
    if noisy and _chance(draw, 10):
        out["licensed"] = False
    listings = _credit_listings(draw) if noisy else []
    if listings:
        out["credit_listings"] = listings
    return out


def applicant_region(applicant: Mapping[str, Any]) -> str:
    """The division code the loader resolves for an applicant drawn here."""
    if "uscc" in applicant:
        return str(applicant["uscc"])[2:8]
    return str(applicant["region"])


# --- standards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Standard:
    """One standard of the batch: its number parts and its 前言 (or ``None``: none named)."""

    prefix: str
    number: str
    year: int
    units: tuple[dict[str, Any], ...] | None
    members: tuple[str, ...] = ()  # ids of the batch's applicants named in the 前言

    @property
    def plain(self) -> str:
        return f"{self.prefix} {self.number}-{self.year}"


def _name_variant(draw: st.DrawFn, name: str) -> str:
    """The name as a 前言 may print it: the same after NFKC and whitespace removal (R7)."""
    style = _pick(draw, ("same", "same", "fullwidth", "spaced"))
    if style == "fullwidth":
        return name.replace("(", "\uff08").replace(")", "\uff09")
    if style == "spaced":
        return name[:2] + "\u3000" + name[2:] + " "
    return str(name)


def _applicant_unit(draw: st.DrawFn, applicant: Mapping[str, Any]) -> dict[str, Any]:
    unit: dict[str, Any] = {"name": _name_variant(draw, str(applicant["name"]))}
    region = applicant_region(applicant)
    how = _pick(draw, ("name", "name", "region", "uscc", "hami"))
    if how == "region":
        unit["region"] = region
    elif how == "uscc" and "uscc" in applicant:
        unit["uscc"] = applicant["uscc"]
    elif how == "hami" and region in HAMI_REGIONS:
        unit["hami"] = True
    return unit


def _outside_unit(index: int) -> dict[str, Any]:
    name, region, hami = _OUTSIDE_UNITS[index]
    unit: dict[str, Any] = {"name": name}
    if region is not None:
        unit["region"] = region
    if hami is not None:
        unit["hami"] = hami
    return unit


_STANDARD_PARTS: Final = st.lists(
    st.tuples(
        st.integers(0, len(_PREFIXES) - 1),
        st.integers(0, len(_NUMBERS) - 1),
        st.integers(2015, 2029),
    ),
    min_size=1,
    max_size=3,
    unique=True,
)


def _standards(draw: st.DrawFn, applicants: Sequence[Mapping[str, Any]]) -> list[_Standard]:
    out: list[_Standard] = []
    for p, n, year in draw(_STANDARD_PARTS):
        prefix, number = _PREFIXES[p], _NUMBERS[n]
        if _chance(draw, 6):
            out.append(_Standard(prefix, number, year, _pick(draw, (None, ()))))
            continue
        picked = draw(st.lists(st.integers(0, len(applicants) - 1), unique=True, max_size=4))
        outside = draw(st.lists(st.integers(0, len(_OUTSIDE_UNITS) - 1), unique=True, max_size=3))
        listed = [_applicant_unit(draw, applicants[i]) for i in picked]
        listed += [_outside_unit(i) for i in outside]
        order = draw(st.permutations(tuple(range(len(listed)))))
        units = tuple(listed[i] for i in order)
        members = tuple(str(applicants[i]["id"]) for i in picked)
        out.append(_Standard(prefix, number, year, units, members))
    return out


def _printed(draw: st.DrawFn, standard: _Standard) -> str:
    """The number as typed or pasted: dashes, slashes and spaces vary (rulings R7)."""
    dash = _pick(draw, ("-", "—", "－", "–"))
    slash = _pick(draw, ("/", "／", "∕"))
    gap = _pick(draw, (" ", " ", "  "))
    return f"{standard.prefix.replace('/', slash)}{gap}{standard.number}{dash}{standard.year}"


# --- claims ------------------------------------------------------------------------------


def _review(draw: st.DrawFn) -> dict[str, Any] | None:
    if not _chance(draw, 5):
        return None
    review: dict[str, Any] = {}
    if _chance(draw, 2):
        review["industrial_policy"] = _pick(draw, ("ok", "violates"))
    if _chance(draw, 2):
        review["related_to_quality"] = _pick(draw, (True, False))
    if _chance(draw, 2):
        review["other_violation"] = _pick(draw, (None, "虚报材料", "环保处罚"))
    return review


def _common(draw: st.DrawFn, cid: str, applicant: str, kind: str, noisy: bool) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "id": cid,
        "applicant": applicant,
        "kind": kind,
        "achieved_on": draw(REFERENCE_DATES if noisy else _IN_FORCE),
    }
    if _chance(draw, 4):
        claim["submitted_on"] = draw(_SUBMITTED)
    if noisy and _chance(draw, 8):
        claim["other_support"] = ["自治区首台(套)重大技术装备补助"]
    review = _review(draw) if noisy else None
    if review is not None:
        claim["review"] = review
    if _chance(draw, 10):
        claim["objection"] = True
    return claim


def _standard_claim(
    draw: st.DrawFn, cid: str, applicant_id: str, standard: _Standard, noisy: bool
) -> dict[str, Any]:
    claim = _common(draw, cid, applicant_id, "standard", noisy)
    claim["action"] = _pick(draw, ("formulate", "formulate", "formulate", "revise"))
    claim["standard_no"] = _printed(draw, standard)
    if standard.units and _chance(draw, 8):
        # A claim that names no drafting unit and brings a lead proof, for a standard whose
        # 前言 names its units: another claim's list may show a lead already (第十三条).
        claim["lead_proof"] = True
    elif standard.units is not None:
        claim["drafting_units"] = [dict(u) for u in standard.units]
    if not standard.units and _chance(draw, 2):
        claim["lead_proof"] = True
    if _chance(draw, 6):
        claim["level"] = parse_standard_number(standard.plain, SHIPPED.industry_codes).level
    return claim


def _other_claim(draw: st.DrawFn, cid: str, applicant_id: str, noisy: bool) -> dict[str, Any]:
    kind = _pick(draw, tuple(_ENUM_FACTS))
    claim = _common(draw, cid, applicant_id, kind, noisy)
    for fact, values in _ENUM_FACTS[kind].items():
        claim[fact] = _pick(draw, values)
    pool = _SUBJECTS.get(kind)
    if pool is not None and claim.get("event") != "first_certification":
        claim["subject"] = _pick(draw, pool)
    return claim


def _twin(draw: st.DrawFn, cid: str, of: Mapping[str, Any]) -> dict[str, Any]:
    """Another claim on the same qualification: mostly another tier, else the same again."""
    twin = copy.deepcopy(dict(of))
    twin["id"] = cid
    fact = _TIER_FACTS.get(str(of["kind"]))
    if fact is not None and not _chance(draw, 4):
        values = _ENUM_FACTS.get(str(of["kind"]), {}).get(fact, ("formulate", "revise"))
        twin[fact] = _pick(draw, [v for v in values if v != of[fact]])
    if _chance(draw, 2):
        twin["achieved_on"] = draw(_IN_FORCE)
    if _chance(draw, 2):
        twin["submitted_on"] = draw(_SUBMITTED)
    return twin


@st.composite
def batch_data(draw: st.DrawFn, max_claims: int = 6, *, late: bool = False) -> dict[str, Any]:
    """A valid claims batch as plain data (dates as ``date``), across all 13 kinds.

    Each standard is claimed by up to three applicants, mostly those its 前言 names; other
    kinds draw subjects from small pools, and *twins* (another tier of a claim, or the same
    claim again) make one qualification meet several claims. Half the batches are *clean*
    (eligible applicants, no exclusion, dates in force), so that awards, supersession and
    participation are exercised as often as rejections.

    Every claim is submitted on or after the day it was achieved, as the shipped rule files
    require (``achieved_by_submission``), unless ``late``: then, for rule files that accept
    any order, each claim keeps the submission day it was drawn with half the time.
    """
    noisy = _chance(draw, 2)
    applicants = [_applicant(draw, i, noisy) for i in range(draw(st.integers(1, len(_STEMS))))]
    ids = [str(a["id"]) for a in applicants]
    claims: list[dict[str, Any]] = []
    for standard in _standards(draw, applicants):
        pool = list(standard.members) + ids if noisy else list(standard.members or ids)
        for i in draw(st.lists(st.integers(0, len(pool) - 1), unique=True, max_size=3)):
            cid = f"C{len(claims) + 1:02d}"
            claims.append(_standard_claim(draw, cid, pool[i], standard, noisy))
    for _ in range(draw(st.integers(0 if claims else 1, max_claims))):
        cid = f"C{len(claims) + 1:02d}"
        claims.append(_other_claim(draw, cid, _pick(draw, ids), noisy))
    for j in range(_pick(draw, (0, 0, 1, 2, 3))):
        claims.append(_twin(draw, f"T{j + 1:02d}", _pick(draw, claims)))
    default = _pick(draw, _DEFAULT_SUBMITTED)
    for claim in claims:
        if not (late and _chance(draw, 2)):
            _submitted_once_achieved(draw, claim, default)
    return {"round": 2027, "submitted_on": default, "applicants": applicants, "claims": claims}


def _submitted_once_achieved(draw: st.DrawFn, claim: dict[str, Any], default: dt.date) -> None:
    """A claim is submitted on or after the day it was achieved (achieved_by_submission):
    one that would be submitted before is given its own ``submitted_on``, 0-90 days after."""
    achieved: dt.date = claim["achieved_on"]
    if achieved > claim.get("submitted_on", default):
        claim["submitted_on"] = achieved + dt.timedelta(days=draw(st.integers(0, 90)))


@st.composite
def outsiders(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Another applicant and one claim of it whose subject no drawn batch ever uses."""
    hami = _chance(draw, 2)
    region = _pick(draw, HAMI_REGIONS if hami else OTHER_REGIONS)
    applicant: dict[str, Any] = {
        "id": "Z9",
        "name": "哈密外来独立申报有限公司" if hami else "喀什外来独立申报有限公司",
        "org_type": _pick(draw, ORG_TYPES),
        "region": region,
    }
    if _chance(draw, 2):
        applicant["uscc"] = make_uscc(region, 9_999_999)
    noisy = _chance(draw, 2)
    if _chance(draw, 2):
        fresh = _Standard("GB/T", "99999", 2026, ({"name": applicant["name"]},), ("Z9",))
        claim = _standard_claim(draw, "Z9-C1", "Z9", fresh, noisy)
        _submitted_once_achieved(draw, claim, min(_DEFAULT_SUBMITTED))
        return applicant, claim
    claim = _other_claim(draw, "Z9-C1", "Z9", noisy)
    if "subject" in claim:
        claim["subject"] = "独立性检验专用事项"  # not a subject batch_data draws
    # Valid beside any batch default batch_data draws.
    _submitted_once_achieved(draw, claim, min(_DEFAULT_SUBMITTED))
    return applicant, claim


# --- rule sets ----------------------------------------------------------------------------

Dated = tuple[tuple[dt.date, Decimal], ...]


@dataclass(frozen=True)
class RuleParams:
    """How a drawn rule set differs from the shipped one (hashable: it keys the cache)."""

    amounts: tuple[tuple[str, Dated], ...] = ()
    same_qualification: str = "top_up"
    participation: str = "foremost_after_lead"
    lead: str = "one_per_standard"
    lead_across_rounds: bool = True
    first_time_scope: str = "item"
    on_shortfall: str = "stop"
    achieved_by_submission: str = "required"


#: How many rule-set variants the pool holds (variant 0 is the shipped rule set).
RULE_VARIANTS: Final = 24


def _random_wan(rnd: random.Random) -> Decimal:
    if rnd.random() < 0.5:
        return Decimal(rnd.randint(1, 100))
    return Decimal(rnd.randint(1, 10_000)).scaleb(-2)  # to the 0.01 万元 = 100 yuan


@functools.cache
def params_of_variant(seed: int) -> RuleParams:
    """Rule-set variant ``seed``: amounts of some items changed (some with a dated change
    inside the period in force, so tiers swap order), and the policies switched."""
    if seed == 0:
        return RuleParams()  # the shipped rules, as policy staff left them
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    amounts: list[tuple[str, Dated]] = []
    for item in sorted(rnd.sample(ITEM_IDS, rnd.randint(1, 12))):
        first = rnd.choice((EFFECTIVE_FROM, EFFECTIVE_FROM, dt.date(2026, 1, 1)))
        dated = [(first, _random_wan(rnd))]
        if rnd.random() < 0.5:
            days = rnd.randint(1, (EFFECTIVE_UNTIL - EFFECTIVE_FROM).days)
            dated.append((EFFECTIVE_FROM + dt.timedelta(days=days), _random_wan(rnd)))
        amounts.append((item, tuple(dated)))
    return RuleParams(
        amounts=tuple(amounts),
        same_qualification=rnd.choice(("top_up", "top_up", "reject")),
        participation=rnd.choice(("foremost_after_lead", "foremost_overall")),
        first_time_scope=rnd.choice(("item", "qualification")),
        on_shortfall=rnd.choice(("stop", "skip")),
        achieved_by_submission=rnd.choice(("required", "required", "any")),
        # Drawn last: the variants drawn before the lead policy existed stay as they were.
        lead=rnd.choice(("one_per_standard", "each_claim")),
        # Drawn after it, for the same reason.
        lead_across_rounds=rnd.choice((True, False)),
    )


def rule_params() -> st.SearchStrategy[RuleParams]:
    """Parameters of a valid rule set, from the pool of variants (shrinks to the shipped)."""
    return st.integers(0, RULE_VARIANTS - 1).map(params_of_variant)


def with_raised_amount(params: RuleParams, item_id: str, delta: Decimal) -> RuleParams:
    """``params`` with every dated amount of ``item_id`` raised by ``delta`` 万元."""
    current = dict(params.amounts)
    if item_id in current:
        dated = current[item_id]
    else:
        item = SHIPPED.by_id[item_id].item
        dated = tuple((a.from_, a.wan) for a in item.amounts)
    current[item_id] = tuple((day, wan + delta) for day, wan in dated)
    return dataclasses.replace(params, amounts=tuple(sorted(current.items())))


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes amounts in 万元 as YAML decimals, never through a binary float (R1)."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:float", str(value))


_Dumper.add_representer(Decimal, _represent_decimal)


def dump_yaml(data: object) -> str:
    """YAML text of plain data (dates stay dates, decimals stay decimals)."""
    return str(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000))


@functools.cache
def shipped_documents() -> Mapping[str, Any]:
    """The shipped rule files as plain data (read once; copy before changing)."""
    return {
        name: yaml.safe_load((RULES_DIR / name).read_text(encoding="utf-8")) for name in RULE_FILES
    }


def rule_documents(params: RuleParams) -> dict[str, Any]:
    """The three rule files as data, changed as ``params`` says."""
    docs = copy.deepcopy(dict(shipped_documents()))
    changes = dict(params.amounts)
    for item in docs["awards.yaml"]["items"]:
        if item["id"] in changes:
            item["amounts"] = [{"from": d, "wan": w} for d, w in changes[item["id"]]]
            # Measures that state the changed amount: the loader checks the first one
            # against the clause (docs/rule-files.md).
            first = changes[item["id"]][0][1]
            item["clause"] = re.sub(r"\d+(?:\.\d+)?万元", f"{first}万元", item["clause"])
    alloc = docs["allocation.yaml"]
    alloc["same_qualification"]["policy"] = params.same_qualification
    alloc["participation"]["policy"] = params.participation
    alloc["lead"]["policy"] = params.lead
    alloc["lead"]["across_rounds"] = params.lead_across_rounds
    alloc["first_time"]["scope"] = params.first_time_scope
    alloc["allocation"]["on_shortfall"] = params.on_shortfall
    alloc["achieved_by_submission"]["policy"] = params.achieved_by_submission
    return docs


def write_rules(params: RuleParams, directory: Path) -> Path:
    """Write the rule files of ``params`` into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    docs = rule_documents(params) if params != RuleParams() else {}
    for name in RULE_FILES:
        if name in ("awards.yaml", "allocation.yaml") and docs:
            (directory / name).write_text(dump_yaml(docs[name]), encoding="utf-8")
        else:  # nothing drawn changes it: keep its bytes
            shutil.copyfile(RULES_DIR / name, directory / name)
    return directory


_SCRATCH = Path(tempfile.mkdtemp(prefix="qfund-property-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


@functools.lru_cache(maxsize=128)
def rules_for(params: RuleParams) -> q.RuleSet:
    """The loaded rule set of ``params`` (cached: writing and loading is what costs)."""
    if params == RuleParams():
        return SHIPPED
    directory = Path(tempfile.mkdtemp(dir=_SCRATCH))
    try:
        return q.load_rules(write_rules(params, directory))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- ledgers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """Earlier rounds as a :class:`StaticHistory`, kept as data so failures print it."""

    awards: Mapping[tuple[str, str, str], tuple[PriorAward, ...]] = field(default_factory=dict)
    bans: Mapping[str, tuple[BanRecord, ...]] = field(default_factory=dict)

    @property
    def history(self) -> q.StaticHistory:
        """The ledger as the engine reads it."""
        return q.StaticHistory(self.awards, self.bans)

    def paid(self, key: str, family: str, subject: str) -> int:
        """What earlier rounds paid for one qualification."""
        return sum(p.amount_yuan for p in self.awards.get((key, family, subject), ()))


_PRIOR_YUAN: Final = st.integers(1, 10_000).map(lambda x: x * 100)


@st.composite
def ledgers(draw: st.DrawFn, batch: q.Batch, rules: q.RuleSet) -> Ledger:
    """Prior awards on some of the batch's qualifications (any tier of the claim's kind),
    earlier leads of some of its standard numbers awarded to another applicant (of the
    batch or not), and bans after fraud findings on some applicants."""
    if _chance(draw, 3):
        return Ledger()
    applicants = {a.id: a for a in batch.applicants}
    awards: dict[tuple[str, str, str], tuple[PriorAward, ...]] = {}
    for n, claim in enumerate(batch.claims):
        if not _chance(draw, 4):
            continue
        item = _pick(draw, rules.by_kind[claim.kind])
        a = applicants[claim.applicant]
        key = (applicant_key(a.id, a.uscc), item.item.family, claim.subject or "")
        amount = _pick(draw, item.amounts_yuan) if _chance(draw, 2) else draw(_PRIOR_YUAN)
        awards[key] = (*awards.get(key, ()), PriorAward(f"OLD{n}", item.id, amount, 2026))
    keys = list(dict.fromkeys(applicant_key(a.id, a.uscc) for a in batch.applicants))
    for n, claim in enumerate(batch.claims):
        leads = [rules.by_id[i] for i in rules.lead_items if rules.by_id[i].item.kind == claim.kind]
        if not leads or not _chance(draw, 3):
            continue
        a = applicants[claim.applicant]
        own = applicant_key(a.id, a.uscc)
        holder = _pick(draw, [k for k in keys if k != own] + ["id:EARLIER"])
        item = _pick(draw, leads)
        key = (holder, item.item.family, claim.subject or "")
        award = PriorAward(
            f"LEAD{n}", item.id, _pick(draw, item.amounts_yuan), _pick(draw, (2025, 2026))
        )
        awards[key] = (*awards.get(key, ()), award)
    bans: dict[str, tuple[BanRecord, ...]] = {}
    for a in batch.applicants:
        if _chance(draw, 8):
            found = draw(_FOUND_ON)
            until = found + relativedelta(years=rules.exclusions.ban.years)
            bans[applicant_key(a.id, a.uscc)] = (BanRecord("FRAUD1", found, until),)
    return Ledger(awards, bans)


# --- scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Scenario:
    """A rule set, a batch (as data and resolved) and a ledger: one evaluation's input."""

    params: RuleParams
    data: dict[str, Any]
    ledger: Ledger
    rules: q.RuleSet = field(compare=False)
    batch: q.Batch = field(compare=False)

    def __repr__(self) -> str:
        # What reproduces the case; the loaded rule set and batch follow from it.
        return f"Scenario({self.params!r}, {self.data!r}, {self.ledger!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def evaluate(self) -> q.Evaluation:
        """The decisions on this scenario."""
        return q.evaluate(self.rules, self.batch, self.ledger.history)


def scenario_of(params: RuleParams, data: dict[str, Any], ledger: Ledger | None = None) -> Scenario:
    """A scenario written out by hand (for ``@example``), loaded as drawn ones are."""
    rules = rules_for(params)
    return Scenario(params, data, ledger or Ledger(), rules, rules.batch_from_data(data))


@st.composite
def scenarios(draw: st.DrawFn, *, history: bool = True, max_claims: int = 6) -> Scenario:
    """A valid rule set, a valid batch and (unless ``history=False``) a ledger."""
    params = draw(rule_params())
    rules = rules_for(params)
    # A late claim (achieved after its submission) only where the rule files accept one.
    data = draw(batch_data(max_claims=max_claims, late=not rules.achieved_by_submission))
    batch = rules.batch_from_data(data)
    ledger = draw(ledgers(batch, rules)) if history else Ledger()
    return Scenario(params, data, ledger, rules, batch)
