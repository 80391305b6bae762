"""The rule files: their models, strict loading, validation, and the compiled rule set.

``load_rules()`` reads ``awards.yaml``, ``exclusions.yaml`` and ``allocation.yaml``,
checks them against the models and against the measures' structure, and returns a
:class:`RuleSet`: immutable, with every condition compiled and every amount in integer
yuan. All problems of all three files are reported together (:class:`RuleFileError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, NoReturn, TypeVar, get_args

from dateutil.relativedelta import relativedelta
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    ValidationError,
    WithJsonSchema,
    WrapSerializer,
    model_validator,
)

from ._arguments import A_LIMITS, check_type
from ._excerpt import echo
from ._validation import did_you_mean, problems_from_validation
from ._yaml import (
    DEFAULT_LIMITS,
    Document,
    Limits,
    read_bounded,
    read_yaml,
    shown_path,
    unusable_path,
)
from .claims import CLAIM_TYPES, Batch, CreditList, OrgType, batch_from_data, load_batch
from .conditions import (
    Condition,
    FactSpec,
    Predicate,
    compile_condition,
    facts_read,
    parse_condition,
    values_allowed,
)
from .errors import Problem, RuleFileError
from .money import MAX_WAN, WAN_DECIMALS, format_wan, wan_to_yuan

__all__ = [
    "ITEM_IDS",
    "RULE_FILES",
    "AwardItem",
    "CompiledItem",
    "RuleSet",
    "default_rules_dir",
    "load_rules",
]

#: The rule files of a rule set, in the order their bytes are hashed.
RULE_FILES = ("awards.yaml", "exclusions.yaml", "allocation.yaml")

#: The 42 award item ids of interchange.md: the public contract, not policy data.
ITEM_IDS: tuple[str, ...] = (
    "a9.1",
    "a9.2",
    "a10.1.national",
    "a10.1.regional",
    "a10.2.national",
    "a10.2.regional",
    "a11.1.winner",
    "a11.1.nominee",
    "a11.2.winner",
    "a11.2.nominee",
    "a11.3.winner",
    "a11.3.nominee",
    "a11.4",
    "a11.5.national",
    "a11.5.regional",
    "a11.6",
    "a12.1",
    "a12.2",
    "a12.3",
    "a12.4",
    *(f"a13.{n}.{lv}" for n in (1, 2, 3) for lv in ("national", "industry", "local", "group")),
    "a14.national",
    "a14.regional",
    "a15.1.tc",
    "a15.1.sc",
    "a15.1.wg",
    "a15.2.tc",
    "a15.2.sc",
    "a16.1",
    "a16.2",
    "a16.3",
)

#: The exclusion check behind each reason code of rulings R8 (the contract's pairing).
EXCLUSION_CHECKS: Mapping[str, str] = MappingProxyType(
    {
        "industrial_policy": "excluded_industrial_policy",
        "unlicensed": "excluded_unlicensed",
        "credit_listing": "excluded_credit",
        "duplicate_claim": "duplicate_claim",
        "other_support": "excluded_other_support",
        "unrelated": "excluded_unrelated",
        "other_violation": "excluded_other_violation",
    }
)

#: Facts derived by the engine rather than declared by the claim (rulings R7).
DERIVED_FACTS: Mapping[str, Mapping[str, FactSpec]] = MappingProxyType(
    {
        "standard": MappingProxyType({"role": ("lead", "participant", "none", "unproven")}),
    }
)


def kind_facts(kind: str) -> dict[str, FactSpec]:
    """The facts a condition on claims of ``kind`` may name: the claim's own and those
    the engine derives. Raises ``KeyError`` for a kind that is not a claim kind."""
    facts: dict[str, FactSpec] = dict(CLAIM_TYPES[kind].FACTS)
    facts.update(DERIVED_FACTS.get(kind, {}))
    return facts


_CITATION = re.compile(r"第[一二三四五六七八九十]+条(第\([一二三四五六七八九十]+\)项)?")


def _citation(value: object) -> object:
    if isinstance(value, str) and not _CITATION.fullmatch(value):
        raise ValueError("a citation reads like 第十三条第(一)项 or 第十四条")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNPADDED_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def _date(value: object) -> object:
    # A YAML date arrives as a date; pydantic's lax mode would also take a datetime, or a
    # number as seconds since 1970 (from: 0 is 1970-01-01), as a claims batch does not. An
    # impossible date arrives as its text: the reader has reported it already, and its
    # error here is skipped.
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):  # quoted, as JSON writes it
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"impossible date: {exc}") from None
    parts: tuple[str, str, str] | None = None
    if type(value) is int and 10_000_000 <= value <= 99_999_999:  # 20260314: no dashes
        text = str(value)
        parts = text[:4], text[4:6], text[6:]
    elif isinstance(value, str) and (unpadded := _UNPADDED_DATE.fullmatch(value.strip())):
        parts = unpadded[1], unpadded[2], unpadded[3]  # 2027-7-1: YAML reads it as text
    if parts is not None:
        try:
            day = dt.date(*(int(part) for part in parts))
        except ValueError:
            pass
        else:
            raise ValueError(f"expected a date (YYYY-MM-DD): write {day.isoformat()}")
    raise ValueError("expected a date (YYYY-MM-DD)")


#: A number of 万元 as a YAML file writes it unquoted (no leading zero: YAML 1.1's octal).
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _wan(value: object) -> object:
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):  # wan: "25"
        raise ValueError(
            f"must be a number of 万元 (e.g. 20 or 2.5); write it without quotes: {value.strip()}"
        )
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a number of 万元 (e.g. 20 or 2.5)")
    if value <= 0:
        raise ValueError("must be a positive number of 万元")
    wan_to_yuan(value)  # refuses more than two decimals
    return value


def _budget_wan(value: object) -> object:
    """A year's budget: as :func:`_wan`, and 0 loads too (rulings R10: a budget below the
    floor loads with a warning; with none, every award of the round is deferred)."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value <= 0:
        if value < 0:
            raise ValueError("must be 0 or a positive number of 万元")
        wan_to_yuan(value)  # refuses more than two decimals, as for any amount
        return abs(value)  # -0.0 is 0.0
    return _wan(value)


def _as_dict(value: Mapping[Any, Any], handler: SerializerFunctionWrapHandler) -> Any:
    return handler(dict(value))


def _frozen(value: object) -> object:
    """Data as written, read-only: its mappings as read-only views, its lists as tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _thawed(value: object) -> object:
    """What :func:`_frozen` made, as the plain dicts and lists the file wrote."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


Citation = Annotated[
    str,
    BeforeValidator(_citation),
    WithJsonSchema({"type": "string", "pattern": f"^{_CITATION.pattern}$"}),
]
#: A date as YAML writes it (2026-03-14): never a number or a date and time.
YamlDate = Annotated[dt.date, BeforeValidator(_date)]
# What the validator takes, for editors too: pydantic would describe a Decimal as a number
# or a string, and an editor would then accept wan: "20", which _wan refuses; and what
# wan_to_yuan refuses, more than two decimals or an amount too large, it refuses too.
Wan = Annotated[
    Decimal,
    BeforeValidator(_wan),
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "exclusiveMaximum": MAX_WAN,
            "multipleOf": 10**-WAN_DECIMALS,
        }
    ),
]
#: A year's budget in 万元: a :data:`Wan`, or 0.
BudgetWan = Annotated[
    Decimal,
    BeforeValidator(_budget_wan),
    WithJsonSchema(
        {
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": MAX_WAN,
            "multipleOf": 10**-WAN_DECIMALS,
        }
    ),
]
Text = Annotated[str, Field(min_length=1)]
K = TypeVar("K")
V = TypeVar("V")
#: A mapping of a rule file, read-only once loaded (a RuleSet is shared by its callers).
FrozenMap = Annotated[Mapping[K, V], AfterValidator(MappingProxyType), WrapSerializer(_as_dict)]
#: A condition as written (``when:``), read-only all the way down: a caller changing it
#: would change what ``qfund diff`` and the durable backend read under the same sha256.
#: It dumps as the plain data it was read from.
FrozenData = Annotated[Any, AfterValidator(_frozen), PlainSerializer(_thawed)]

# What the schema says of the fields every section has (one wording for all of them).
_CITES = "the article, or numbered item, this rests on: 第十四条 or 第十三条第(一)项"
_QUOTES = "quoted verbatim from the measures (ASCII commas and parentheses, Chinese quotes “”)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DatedAmount(_Model):
    """An amount in 万元 in force from a date (a later change is a new dated value)."""

    from_: YamlDate = Field(
        alias="from",
        description="the first day this amount is in force (YYYY-MM-DD); a claim gets the "
        "amount in force on its achieved_on (rulings R2)",
    )
    wan: Wan = Field(description="the amount in 万元, at most two decimals: 20, 2.5 (rulings R1)")


class AwardItem(_Model):
    """One award of 第九条..第十六条 as written in ``awards.yaml``."""

    id: str = Field(
        description="the item's id of interchange.md (a public contract: never renamed); "
        "each of the 42 appears exactly once",
        json_schema_extra={"enum": list(ITEM_IDS)},
    )
    citation: Citation = Field(description=_CITES)
    clause: Text = Field(description=f"the clause that states this item's amount, {_QUOTES}")
    title_zh: Text = Field(description="the item's name in Chinese, as decisions show it")
    title_en: Text = Field(description="the item's name in English, as decisions show it")
    kind: str = Field(
        description="the claim kind this item pays (interchange.md); `when` may name its facts",
        json_schema_extra={"enum": list(CLAIM_TYPES)},
    )
    family: Text = Field(
        description="the qualification family (rulings R5): the tiers or levels of one "
        "qualification, paid once, 就高不就低; its items pay one kind under one article"
    )
    first_time: StrictBool = Field(
        False, description="true for an item worded 首次 or 新承担 (rulings R4)"
    )
    when: FrozenData = Field(
        None,
        description="which claims of the kind this item pays: a condition on the kind's "
        "facts (docs/rule-files.md, Conditions); left out, every claim of the kind",
    )
    amounts: tuple[DatedAmount, ...] = Field(
        min_length=1,
        description="dated values in date order, the first in force from the day the rules "
        "are; a change is a new entry with a later `from`, never an overwrite",
    )


class StandardCodes(_Model):
    """Which two-letter prefixes are industry standards (rulings R7)."""

    citation: Citation = Field(description=_CITES)
    industry: tuple[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], ...] = Field(
        description="the codes (行业标准代号) read as industry standards: JB for JB/T ..."
    )


class AwardsFile(_Model):
    """``awards.yaml``."""

    version: Text = Field(description="the rule set's version, shown on every decision")
    status: Literal["draft", "final"] = Field(
        description="draft or final; every decision made under a draft says so"
    )
    measures: Text = Field(description="the name of the measures these rules implement")
    standard_codes: StandardCodes = Field(description="industry-standard codes (rulings R7)")
    items: tuple[AwardItem, ...] = Field(description="the 42 award items of 第九条..第十六条")


class Validity(_Model):
    """第二十八条: in force from publication + N days, for Y years (rulings R2)."""

    citation: Citation = Field(description=_CITES)
    clause: Text = Field(description=f"the clause on when the measures are in force, {_QUOTES}")
    published_on: YamlDate = Field(description="the day the measures were published")
    starts_after_days: StrictInt = Field(
        ge=0, description="days after publication that the measures come into force"
    )
    years: StrictInt = Field(
        ge=1, description="years in force; the last day is the start + years - 1 day"
    )

    @model_validator(mode="after")
    def _period_fits_the_calendar(self) -> Validity:
        # A slip such as 30000 days or 3000 years is a located error here, not an
        # OverflowError from date arithmetic when the rules are used.
        try:
            start = self.published_on + dt.timedelta(days=self.starts_after_days)
            start + relativedelta(years=self.years)
        except (OverflowError, ValueError):
            raise ValueError("the period in force runs past the year 9999") from None
        return self


class Name(_Model):
    """What an organisation type, a region or a credit list is called, in Chinese and in
    English."""

    zh: Text = Field(description="the name in Chinese, as a trace shows it")
    en: Text = Field(description="the name in English, as a trace shows it")

    @model_validator(mode="before")
    @classmethod
    def _both_languages(cls, data: object) -> object:
        # The form before names had two languages: say what to write instead.
        if isinstance(data, str):
            raise ValueError("expected a name in both languages, zh: and en: on the lines below")
        return data


class Eligibility(_Model):
    """第四条: who may apply (rulings R3)."""

    citation: Citation = Field(description=_CITES)
    clause: Text = Field(description=f"the clause on who may apply, {_QUOTES}")
    org_types: FrozenMap[str, Name] = Field(
        description="the organisation types that may apply, each with its name: among the "
        "five of 第四条 (one left out loads, with a warning)",
        json_schema_extra={"propertyNames": {"enum": list(get_args(OrgType))}},
    )
    regions: FrozenMap[Annotated[str, Field(pattern=r"^\d{6}$")], Name] = Field(
        description="the division codes of Hami (pre-2016 ones included), each with its name"
    )
    hami_unit_prefixes: tuple[Annotated[str, Field(pattern=r"^\d{2,6}$")], ...] = Field(
        description="a drafting unit whose division code starts so is a Hami unit (rulings R7)"
    )


class Exclusion(_Model):
    """One case of 第十七条 (rulings R8)."""

    code: str = Field(
        description="the reason code a decision reports: the one paired with `check`",
        json_schema_extra={"enum": list(EXCLUSION_CHECKS.values())},
    )
    check: Literal[
        "industrial_policy",
        "unlicensed",
        "credit_listing",
        "duplicate_claim",
        "other_support",
        "unrelated",
        "other_violation",
    ] = Field(description="which test of 第十七条 this is; each appears once")
    citation: Citation = Field(description=_CITES)
    clause: Text = Field(description=f"the clause of this case, {_QUOTES}")
    title_zh: Text = Field(description="the case's name in Chinese, as a trace shows it")
    title_en: Text = Field(description="the case's name in English, as a trace shows it")
    lists: tuple[CreditList, ...] | None = Field(
        None, description="credit_listing only: the lists a listing on which excludes"
    )
    list_names: FrozenMap[str, Name] | None = Field(
        None,
        description="credit_listing only: each list's name, as a trace shows it: every list "
        "in `lists` (the others, optional, name a listing the case does not count)",
        json_schema_extra={"propertyNames": {"enum": list(get_args(CreditList))}},
    )


class Ban(_Model):
    """第二十四条: the ban after a fraud finding (rulings R9)."""

    citation: Citation = Field(description=_CITES)
    clause: Text = Field(description=f"the clause of the ban, {_QUOTES}")
    years: StrictInt = Field(
        ge=1, le=100, description="years an applicant found to cheat is banned"
    )


class ExclusionsFile(_Model):
    """``exclusions.yaml``."""

    validity: Validity = Field(description="第二十八条: when the measures are in force")
    eligibility: Eligibility = Field(description="第四条: who may apply")
    exclusions: tuple[Exclusion, ...] = Field(description="第十七条: the cases excluded")
    ban: Ban = Field(description="第二十四条: the ban after a fraud finding")


class Budgets(_Model):
    """第二条: the yearly budget in 万元."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    minimum_wan: Wan = Field(
        description="the floor in 万元 (原则上, as a rule): a budget below it loads, with a warning"
    )
    by_year: FrozenMap[int, BudgetWan] = Field(
        description="each round year's budget in 万元 (2027: 300; 0 defers every award)",
        json_schema_extra={"propertyNames": {"pattern": "^[0-9]+$"}},
    )


class AllocationPolicy(_Model):
    """第二十条第(一)项: 用完即止 and carry-over (rulings R10)."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    on_shortfall: Literal["stop", "skip"] = Field(
        description="an award the budget left cannot pay in full: stop there (用完即止), or "
        "skip it and pay the awards after it that fit"
    )
    carry_over: StrictBool = Field(
        True, description="awards left unpaid move to the next year's budget"
    )


class PublicityCommit(_Model):
    """第二十条第(三)项: whether a round is committed only with its publicity start."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    requires_start: StrictBool = Field(
        description="true: a round is committed only with its publicity start (awards are "
        "paid after publicity); false: a round may be committed without one"
    )


class Publicity(_Model):
    """第二十二条第(四)项: publicity days (rulings R11), and what a commit needs of it."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    days: StrictInt = Field(ge=1, le=366, description="the days of publicity (公示)")
    commit: PublicityCommit = Field(
        description="what committing a round needs of its publicity (第二十条第(三)项)"
    )


class SameQualification(_Model):
    """第二十条第(二)项: 就高不就低 across rounds (rulings R5)."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    policy: Literal["top_up", "reject"] = Field(
        description="a higher tier of a qualification paid earlier at a lower one: top_up "
        "pays the difference, reject pays nothing"
    )


class Participation(_Model):
    """第十三条: which Hami participant is paid (rulings R7)."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    policy: Literal["foremost_after_lead", "foremost_overall"] = Field(
        description="which Hami participant in a standard is paid: the foremost after the "
        "lead, or the foremost of all"
    )


class Lead(_Model):
    """第十三条: the lead is the unit ranked first in the 前言, one per standard."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    policy: Literal["one_per_standard", "each_claim"] = Field(
        description="claims of several applicants to lead one standard number: "
        "one_per_standard lets the earliest name the lead, each_claim judges each claim on "
        "its own 前言 list"
    )
    across_rounds: StrictBool = Field(
        description="under one_per_standard, whether a lead awarded in an earlier round "
        "(the ledger) holds the standard number: true rejects another applicant's claim to "
        "lead it, false looks at the claims of one evaluation only"
    )


class FirstTime(_Model):
    """How far back 首次 looks in the ledger (rulings R4 with R5)."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    scope: Literal["item", "qualification"] = Field(
        description="首次 fails on an earlier award of the same item (item), or of any item "
        "of its family (qualification)"
    )


class RoundYear(_Model):
    """第二十一条: the year of a round (申报年度) and the year its claims are submitted in."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    policy: Literal["submitted_year", "any"] = Field(
        description="submitted_year: a round takes the claims submitted in its year; any: "
        "in any year"
    )


class AchievedBySubmission(_Model):
    """第二十二条第(一)项: whether a claim's honour must be granted by the day it is submitted."""

    citation: Citation = Field(description=_CITES)
    clause: str | None = Field(None, description=f"the clause (optional), {_QUOTES}")
    policy: Literal["required", "any"] = Field(
        description="required: a batch refuses a claim achieved after it was submitted; any: "
        "it takes it"
    )


class AllocationFile(_Model):
    """``allocation.yaml``."""

    budgets: Budgets = Field(description="第二条: the yearly budgets")
    allocation: AllocationPolicy = Field(description="第二十条第(一)项: 用完即止, carry-over")
    publicity: Publicity = Field(description="第二十二条第(四)项: publicity")
    same_qualification: SameQualification = Field(description="第二十条第(二)项: 就高不就低")
    participation: Participation = Field(description="第十三条: which Hami participant is paid")
    lead: Lead = Field(description="第十三条: one lead per standard")
    first_time: FirstTime = Field(description="首次: how far back it looks (rulings R4, R5)")
    round_year: RoundYear = Field(description="第二十一条: the claims a round takes")
    achieved_by_submission: AchievedBySubmission = Field(
        description="第二十二条第(一)项: an honour granted by the day its claim is submitted"
    )


_FILE_MODELS: Mapping[str, type[_Model]] = {
    "awards.yaml": AwardsFile,
    "exclusions.yaml": ExclusionsFile,
    "allocation.yaml": AllocationFile,
}


@dataclass(frozen=True, slots=True)
class CompiledItem:
    """An award item ready for evaluation: its condition compiled, its amounts in yuan."""

    item: AwardItem
    condition: Condition | None
    predicate: Predicate
    reads: tuple[str, ...]  # the facts the condition reads, for traces
    amount_dates: tuple[dt.date, ...]
    amounts_yuan: tuple[int, ...]

    @property
    def id(self) -> str:
        """The item id (``a13.1.national``)."""
        return self.item.id

    @property
    def dated_amounts(self) -> tuple[tuple[dt.date, int], ...]:
        """Each dated value as ``(from, yuan)``, in date order."""
        return tuple(zip(self.amount_dates, self.amounts_yuan, strict=True))

    def amount_on(self, day: dt.date) -> int | None:
        """The amount in yuan in force on ``day``, or ``None`` before the first value."""
        i = bisect_right(self.amount_dates, day)
        return self.amounts_yuan[i - 1] if i else None


def _no_entries() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A loaded, validated and compiled rule set; immutable and safe to share."""

    directory: str
    sha256: str
    awards: AwardsFile
    exclusions: ExclusionsFile
    allocation: AllocationFile
    items: tuple[CompiledItem, ...]
    warnings: tuple[Problem, ...] = ()
    by_kind: Mapping[str, tuple[CompiledItem, ...]] = field(default_factory=_no_entries)
    by_id: Mapping[str, CompiledItem] = field(default_factory=_no_entries)
    #: The ids of the items that pay the lead of a standard: those whose condition requires
    #: the derived fact ``role`` to be ``lead`` (第十三条; read from the conditions once,
    #: conditions.values_allowed), in file order. An earlier award of one of them holds
    #: its standard number (allocation.yaml ``lead.across_rounds``).
    lead_items: tuple[str, ...] = ()

    @property
    def lead_families(self) -> tuple[str, ...]:
        """The families of :attr:`lead_items`, in file order: where a lead is looked up."""
        return tuple(dict.fromkeys(self.by_id[i].item.family for i in self.lead_items))

    @property
    def version(self) -> str:
        """The rule set's version string."""
        return self.awards.version

    @property
    def status(self) -> str:
        """``draft`` or ``final``."""
        return self.awards.status

    @property
    def published_on(self) -> dt.date:
        """The publication date (第二十八条)."""
        return self.exclusions.validity.published_on

    @property
    def effective_from(self) -> dt.date:
        """First day in force: publication + 30 days (rulings R2)."""
        v = self.exclusions.validity
        return v.published_on + dt.timedelta(days=v.starts_after_days)

    @property
    def effective_until(self) -> dt.date:
        """Last day in force, included: start + 3 years - 1 day (rulings R2)."""
        years = self.exclusions.validity.years
        return self.effective_from + relativedelta(years=years) - dt.timedelta(days=1)

    @property
    def families(self) -> tuple[str, ...]:
        """The qualification families of the items (rulings R5), in file order."""
        return tuple(dict.fromkeys(i.item.family for i in self.items))

    @property
    def industry_codes(self) -> frozenset[str]:
        """Two-letter industry-standard codes (rulings R7)."""
        return frozenset(self.awards.standard_codes.industry)

    @property
    def achieved_by_submission(self) -> bool:
        """Whether a batch refuses a claim achieved after its ``submitted_on`` (第二十二条)."""
        return self.allocation.achieved_by_submission.policy == "required"

    def __reduce__(self) -> NoReturn:
        # Its read-only mappings would fail to pickle with "cannot pickle 'mappingproxy'",
        # which does not say what to do. Rebuilding the compiled rules in a worker from
        # their files is the one safe way, and takes about 10 ms.
        raise TypeError("a RuleSet does not pickle: load the rules in each worker (q.load_rules)")

    def __copy__(self) -> RuleSet:
        return self  # immutable: a copy would be the same rules

    def __deepcopy__(self, memo: dict[int, Any]) -> RuleSet:
        return self

    def identity(self) -> dict[str, str]:
        """``{"version", "status", "sha256"}`` as every result carries it."""
        return {"version": self.version, "status": self.status, "sha256": self.sha256}

    def budget_yuan(self, year: int) -> int | None:
        """The budget of a round year in yuan, or ``None`` when the files set none."""
        wan = self.allocation.budgets.by_year.get(year)
        return None if wan is None else wan_to_yuan(wan)

    def load_batch(
        self,
        source: str | Path | bytes,
        *,
        name: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Batch:
        """Read a claims batch file (YAML or JSON) checked against these rules' lists and
        readings (industry codes, ``achieved_by_submission``), within ``limits``. A path or
        ``name`` ending in ``.json`` must be strict JSON. A str is a path, never the text
        (give the text as bytes, ``name`` saying YAML or JSON): one that names no file and
        reads as a batch's text is refused saying so.

        Raises :class:`~qfund_rules.errors.BatchError` listing every problem, and
        ``TypeError`` for a ``source`` that is not a path or bytes (a dict goes to
        :meth:`batch_from_data`) or a ``limits`` that is not a ``Limits``.
        """
        return load_batch(
            source,
            industry_codes=self.industry_codes,
            achieved_by_submission=self.achieved_by_submission,
            name=name,
            limits=limits,
        )

    def batch_from_data(self, data: object, *, name: str = "<data>") -> Batch:
        """Build a claims batch from already-parsed data (a dict as in interchange.md)."""
        return batch_from_data(
            data,
            industry_codes=self.industry_codes,
            achieved_by_submission=self.achieved_by_submission,
            name=name,
        )


@dataclass(frozen=True, slots=True)
class _Member:
    """An item as its family sees it: the kind of claim it pays and the article it cites."""

    index: int
    id: str
    kind: str
    citation: str
    family: str

    @property
    def article(self) -> str:
        """The article of the citation (第十三条 of 第十三条第(一)项)."""
        return self.citation.split("条")[0] + "条"

    @classmethod
    def of(cls, index: int, item: AwardItem | None, raw: object) -> _Member | None:
        """The item at ``index`` (from its data as written, when it did not validate), or
        ``None`` when its kind, citation or family is missing or refused."""
        fields: tuple[str | None, ...] = (
            (item.id, item.kind, item.citation, item.family)
            if item is not None
            else tuple(_text(raw, key) for key in ("id", "kind", "citation", "family"))
        )
        ident, kind, citation, family = fields
        if kind is None or kind not in CLAIM_TYPES or not family:
            return None
        if citation is None or not _CITATION.fullmatch(citation):
            return None
        return cls(index, ident or f"items[{index}]", kind, citation, family)


def _most_common(values: Iterable[str]) -> str:
    """The value most often given; of those tied, the first given."""
    counts = Counter(values)
    return max(counts, key=lambda value: counts[value])


def _family_problem(
    family: str, members: Sequence[_Member], m: _Member, kind: str, article: str
) -> tuple[str, str] | None:
    """The field of ``m`` that breaks its family's kind and article, and what to say there.

    One field astray is a slip in it: the message names the family's value and the text to
    write. Both astray, the item is in the wrong family.
    """
    odd_kind, odd_article = m.kind != kind, m.article != article
    if not (odd_kind or odd_article):
        return None
    others = [o for o in members if o is not m]
    if odd_kind and odd_article:
        head = next(
            (o for o in others if o.kind == kind and o.article == article),
            next(o for o in others if o.kind == kind),
        )
        return "family", (
            f"family {echo(family)} mixes {m.id} ({m.kind}, {m.citation}) with {head.id} "
            f"({head.kind}, {head.citation}); give {m.id} a family of its own (the items of "
            "a family pay one kind of claim under one article)"
        )
    if odd_article:
        head = next(o for o in others if o.article == article)
        rest = _rest(family, others, [o for o in others if o.article == article])
        written = article + m.citation.removeprefix(m.article)
        return "citation", (
            f"{m.citation} is under {m.article}, but {rest} under {article} (as {head.id}: "
            f"{head.citation}); write {written}"
        )
    head = next(o for o in others if o.kind == kind)
    rest = _rest(family, others, [o for o in others if o.kind == kind])
    return "kind", f"kind {m.kind}, but {rest} of kind {kind} (as {head.id}); write {kind}"


def _rest(family: str, others: Sequence[_Member], agreeing: Sequence[_Member]) -> str:
    """Who a message says agrees: the other items of the family, or most of them."""
    if len(agreeing) < len(others):
        return f"most items of family {family!r} are"
    if len(others) == 1:
        return f"the other item of family {family!r} is"
    return f"the other items of family {family!r} are"


def default_rules_dir() -> Path:
    """The rule files shipped with the package (or, in a source checkout, ``rules/``)."""
    packaged = Path(str(resources.files("qfund_rules"))) / "rules"
    if (packaged / "awards.yaml").is_file():
        return packaged
    # An editable install runs from src/; the rules sit at the top of the checkout.
    checkout = Path(__file__).resolve().parents[2] / "rules"
    return checkout if (checkout / "awards.yaml").is_file() else packaged


def rules_digest(contents: Mapping[str, bytes]) -> str:
    """sha256 over each file's name, length and exact bytes, in :data:`RULE_FILES` order."""
    digest = hashlib.sha256()
    for name in RULE_FILES:
        data = contents[name]
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def load_rules(directory: str | Path | None = None, *, limits: Limits = DEFAULT_LIMITS) -> RuleSet:
    """Load, validate and compile the rule files in ``directory`` (default: the shipped ones).

    Raises :class:`RuleFileError` listing every problem of every file, and ``TypeError``
    for a ``directory`` that is not a path or a ``limits`` that is not a ``Limits``.
    """
    what = "a path (a str or a pathlib.Path) to the rule files' directory, or None"
    check_type(TypeError, "load_rules", "directory", directory, (str, PathLike, type(None)), what)
    check_type(TypeError, "load_rules", "limits", limits, Limits, A_LIMITS)
    root = Path(directory) if directory is not None else default_rules_dir()
    unusable = unusable_path(root)
    if unusable is not None:  # said once, of the directory, not of each file in it
        raise RuleFileError([Problem(shown_path(root), None, None, (), f"cannot read: {unusable}")])
    problems: list[Problem] = []
    raw: dict[str, bytes] = {}
    docs: dict[str, Document] = {}
    models: dict[str, Any] = {}
    reported: list[tuple[str, tuple[str | int, ...]]] = []  # values the reader refused
    for name in RULE_FILES:
        path = root / name
        shown = shown_path(path)
        try:
            raw[name] = read_bounded(path, limits)
        except OSError as exc:
            problems.append(Problem(shown, None, None, (), f"cannot read: {exc.strerror}"))
            continue
        doc, found = read_yaml(raw[name], name=shown, limits=limits)
        problems.extend(found)
        reported.extend((shown, p.path) for p in found)
        if doc is None:
            continue
        docs[name] = doc
        if not isinstance(doc.data, dict):
            got = type(doc.data).__name__
            problems.append(doc.problem((), f"expected a mapping at the top, found {got}"))
            continue
        try:
            models[name] = _FILE_MODELS[name].model_validate(doc.data)
        except ValidationError as exc:
            skip = [p.path for p in found]
            model = _FILE_MODELS[name]
            problems.extend(problems_from_validation(exc, doc, model, skip, unquote_hints=True))
    # The checks across entries and files run on whatever did validate, so one wrong
    # value does not hide every other kind of problem until it is fixed.
    checker = _Checker(docs, _parts(docs, models))
    items = checker.run()
    # A value the reader refused keeps its text: a condition reading it is not told again.
    problems.extend(
        p
        for p in checker.problems
        if not any(p.file == file and p.path[: len(r)] == r for file, r in reported)
    )
    if any(p.severity == "error" for p in problems) or len(models) != len(RULE_FILES):
        raise RuleFileError(problems)
    awards: AwardsFile = models["awards.yaml"]
    exclusions: ExclusionsFile = models["exclusions.yaml"]
    allocation: AllocationFile = models["allocation.yaml"]
    by_kind: dict[str, list[CompiledItem]] = {}
    for item in items:
        by_kind.setdefault(item.item.kind, []).append(item)
    return RuleSet(
        directory=str(root),
        sha256=rules_digest(raw),
        awards=awards,
        exclusions=exclusions,
        allocation=allocation,
        items=tuple(items),
        warnings=tuple(problems),
        by_kind=MappingProxyType({k: tuple(v) for k, v in by_kind.items()}),
        by_id=MappingProxyType({i.id: i for i in items}),
        lead_items=_lead_items(items),
    )


def _lead_items(items: Sequence[CompiledItem]) -> tuple[str, ...]:
    """The items whose condition requires ``role == lead`` (RuleSet.lead_items)."""
    found: list[str] = []
    for item in items:
        roles = DERIVED_FACTS.get(item.item.kind, {}).get("role")
        if not isinstance(roles, tuple):
            continue  # a kind without the derived role: never a lead
        allowed = values_allowed(item.condition, "role", roles)
        if allowed and allowed <= {"lead"}:
            found.append(item.id)
    return tuple(found)


M = TypeVar("M", bound=BaseModel)
#: An entry of a list in a rule file: its index, its model (``None``: it did not
#: validate, and its problems are reported already) and the data as written.
_Entry = tuple[int, M | None, object]


@dataclass(frozen=True, slots=True)
class _Parts:
    """The parts of the rule files that validated; ``None`` for a part that did not."""

    items: tuple[_Entry[AwardItem], ...] | None
    validity: Validity | None
    eligibility: Eligibility | None
    exclusions: tuple[_Entry[Exclusion], ...] | None
    budgets: Budgets | None
    standard_codes: StandardCodes | None


def _valid(model: type[M], data: object) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _parts(docs: Mapping[str, Document], models: Mapping[str, Any]) -> _Parts:
    """Every section and list entry that validates, from the file models when they did."""

    def raw(name: str, key: str) -> object:
        doc = docs.get(name)
        return doc.data.get(key) if doc is not None and isinstance(doc.data, dict) else None

    def entries(name: str, key: str, model: type[M]) -> tuple[_Entry[M], ...] | None:
        data = raw(name, key)
        if not isinstance(data, list):
            return None
        return tuple((i, _valid(model, entry), entry) for i, entry in enumerate(data))

    def section(name: str, key: str, model: type[M]) -> M | None:
        file = models.get(name)
        return getattr(file, key) if file is not None else _valid(model, raw(name, key))

    awards: AwardsFile | None = models.get("awards.yaml")
    excl: ExclusionsFile | None = models.get("exclusions.yaml")
    return _Parts(
        items=tuple((i, item, None) for i, item in enumerate(awards.items))
        if awards is not None
        else entries("awards.yaml", "items", AwardItem),
        validity=section("exclusions.yaml", "validity", Validity),
        eligibility=section("exclusions.yaml", "eligibility", Eligibility),
        exclusions=tuple((i, ex, None) for i, ex in enumerate(excl.exclusions))
        if excl is not None
        else entries("exclusions.yaml", "exclusions", Exclusion),
        budgets=section("allocation.yaml", "budgets", Budgets),
        standard_codes=section("awards.yaml", "standard_codes", StandardCodes),
    )


def _text(entry: object, key: str) -> str | None:
    """The text at ``key`` of an entry that did not validate, when it is one."""
    value = entry.get(key) if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


#: The award a clause of the measures gives: 给予60万元奖励, 给予2.5万元奖励, 给予一次性奖励
#: 10万元 (第十六条). Anchored on 给予, with nothing but 一次性 and 奖励 between it and the
#: figure, so that a threshold the clause sets (产值超过5000万元) is never read as the award.
_CLAUSE_WAN = re.compile(r"给予(?:一次性)?(?:奖励)?(\d+(?:\.\d+)?)\s*万元")


class _Checker:
    """The checks a model alone cannot express; collects every problem.

    It checks the parts of the files that validated (:class:`_Parts`): an entry that did
    not has its id, kind and condition checked from its data as written, and a check
    whose answer depends on a part that did not validate is not made.
    """

    def __init__(self, docs: Mapping[str, Document], parts: _Parts) -> None:
        self.awards_doc = docs.get("awards.yaml")
        self.excl_doc = docs.get("exclusions.yaml")
        self.alloc_doc = docs.get("allocation.yaml")
        self.parts = parts
        self.problems: list[Problem] = []
        v = parts.validity
        self.effective_from = (
            v.published_on + dt.timedelta(days=v.starts_after_days) if v is not None else None
        )
        self.effective_until = (
            self.effective_from + relativedelta(years=v.years) - dt.timedelta(days=1)
            if v is not None and self.effective_from is not None
            else None
        )

    def run(self) -> list[CompiledItem]:
        items = self._items()
        self._families()
        self._eligibility()
        self._exclusions()
        self._budgets()
        self._repeated_codes()
        return items

    def _items(self) -> list[CompiledItem]:
        doc, entries = self.awards_doc, self.parts.items
        if doc is None or entries is None:
            return []
        seen: dict[str, int] = {}
        compiled: list[CompiledItem] = []
        unread = False  # an item whose id is not known: "missing" cannot be told
        for i, item, raw in entries:
            path: tuple[str | int, ...] = ("items", i)
            ident = item.id if item is not None else _text(raw, "id")
            kind = item.kind if item is not None else _text(raw, "kind")
            when = (
                item.when
                if item is not None
                else raw.get("when")
                if isinstance(raw, dict)
                else None
            )
            if ident is None:
                unread = True
            elif ident not in ITEM_IDS:
                hint = did_you_mean(ident, ITEM_IDS)
                self.problems.append(
                    doc.problem(
                        (*path, "id"), f"{echo(ident)} is not an item of the measures{hint}"
                    )
                )
            elif ident in seen:
                first = doc.locate(("items", seen[ident], "id"))[0]
                self.problems.append(
                    doc.problem(
                        (*path, "id"), f"item {ident!r} appears twice (first at line {first})"
                    )
                )
            if ident is not None:
                seen.setdefault(ident, i)
            if kind is None:
                continue
            if kind not in CLAIM_TYPES:
                hint = did_you_mean(kind, CLAIM_TYPES)
                self.problems.append(
                    doc.problem(
                        (*path, "kind"),
                        f"unknown claim kind {echo(kind)}{hint}; kinds: {', '.join(CLAIM_TYPES)}",
                    )
                )
                continue
            cond: Condition | None = None
            if when is not None:
                cond, found = parse_condition(when, (*path, "when"), kind_facts(kind))
                self.problems.extend(doc.problem(p, m) for p, m in found)
            if item is not None:
                compiled.append(self._compiled(doc, path, item, cond))
        missing = [i for i in ITEM_IDS if i not in seen]
        if missing and not unread:
            # The file lacks them (an id typed as another's, or an entry left out): each of
            # the measures' items has one entry.
            ids = ", ".join(missing)
            if len(missing) == 1:
                msg = f"item {ids} of the measures has no entry: add one with id: {ids}, or "
                msg += "correct the id written for it"
            else:
                msg = f"items {ids} of the measures have no entry: add one for each, or "
                msg += "correct the ids written for them"
            self.problems.append(doc.problem(("items",), msg))
        return compiled

    def _compiled(
        self, doc: Document, path: tuple[str | int, ...], item: AwardItem, cond: Condition | None
    ) -> CompiledItem:
        """The item compiled, its dated amounts checked."""
        dates = tuple(a.from_ for a in item.amounts)
        for j in range(1, len(dates)):
            if dates[j] <= dates[j - 1]:
                what = "repeats" if dates[j] == dates[j - 1] else "is earlier than"
                self.problems.append(
                    doc.problem(
                        (*path, "amounts", j, "from"),
                        f"dated value {dates[j]} {what} the one before ({dates[j - 1]}); "
                        "add changes in date order",
                    )
                )
        end = self.effective_until
        for j, day in enumerate(dates):
            if j and end is not None and day > end:
                self.problems.append(
                    doc.problem(
                        (*path, "amounts", j, "from"),
                        f"dated value from {day} is after the measures expire ({end}): it "
                        "never applies; this loads, but check the date",
                        severity="warning",
                    )
                )
        self._clause_amount(doc, path, item)
        start = self.effective_from
        if dates and start is not None and dates[0] > start:
            self.problems.append(
                doc.problem(
                    (*path, "amounts", 0, "from"),
                    f"the first amount must be in force when the rules are "
                    f"({start}), not from {dates[0]}",
                )
            )
        return CompiledItem(
            item=item,
            condition=cond,
            predicate=compile_condition(cond),
            reads=facts_read(cond),
            amount_dates=dates,
            amounts_yuan=tuple(wan_to_yuan(a.wan) for a in item.amounts),
        )

    def _clause_amount(self, doc: Document, path: tuple[str | int, ...], item: AwardItem) -> None:
        """The first amount is the one the item's clause states (rulings R1), when it states
        one: a slip in it (6 for 60) would pay every claim of the item wrongly, and the
        measures' text catches it. A later dated amount may differ: it is an amendment."""
        stated = _CLAUSE_WAN.findall(item.clause)
        if len(stated) != 1:
            return  # a clause stating no amount, or several, is read by people
        try:
            said, first = wan_to_yuan(Decimal(stated[0])), wan_to_yuan(item.amounts[0].wan)
        except ValueError:
            return  # an amount that is not whole yuan is refused where it is written
        if said != first:
            self.problems.append(
                doc.problem(
                    (*path, "amounts", 0, "wan"),
                    f"the clause states {format_wan(said)} 万元, the first amount is "
                    f"{format_wan(first)}: the first amount is the clause's; a change of "
                    "amount is a new dated value after it",
                )
            )

    def _families(self) -> None:
        # A family groups tiers or levels of one qualification (rulings R5): its items must
        # pay the same kind of claim under the same article. What most of the family has
        # (ties: its first item's) is taken as meant, so one slip is reported at the item and
        # field it is in, with what to write, not at every other member. An item whose kind
        # or citation was refused is left out: that refusal is its one problem.
        doc, entries = self.awards_doc, self.parts.items
        if doc is None or entries is None:
            return
        families: dict[str, list[_Member]] = {}
        for i, item, raw in entries:
            member = _Member.of(i, item, raw)
            if member is not None:
                families.setdefault(member.family, []).append(member)
        for family, members in families.items():
            kind = _most_common(m.kind for m in members)
            article = _most_common(m.article for m in members)
            for m in members:
                problem = _family_problem(family, members, m, kind, article)
                if problem is not None:
                    at, message = problem
                    self.problems.append(doc.problem(("items", m.index, at), message))

    def _eligibility(self) -> None:
        # 第四条 (R3) names five org types: a key outside them is a slip, and the type it was
        # meant to name would silently be ineligible.
        doc, eligibility = self.excl_doc, self.parts.eligibility
        if doc is None or eligibility is None:
            return
        known = get_args(OrgType)
        listed = eligibility.org_types
        path: tuple[str | int, ...] = ("eligibility", "org_types")
        for key in listed:
            if key not in known:
                self.problems.append(
                    doc.problem(
                        (*path, key),
                        f"unknown org type {echo(key)}{did_you_mean(key, known)} "
                        f"(org types: {', '.join(known)})",
                    )
                )
        unlisted = [t for t in known if t not in listed]
        if unlisted and all(key in known for key in listed):
            # 第四条 names five types; leaving one out is a policy choice, but a costly slip.
            one = len(unlisted) == 1
            names = ", ".join(repr(t) for t in unlisted)
            self.problems.append(
                doc.problem(
                    path,
                    f"org type{'' if one else 's'} {names} {'is' if one else 'are'} not listed, "
                    f"so no claim of {'that type' if one else 'those types'} is eligible; "
                    "this loads, but check that it is meant",
                    severity="warning",
                )
            )

    def _exclusions(self) -> None:
        doc, entries = self.excl_doc, self.parts.exclusions
        if doc is None or entries is None:
            return
        seen: dict[str, int] = {}
        unread = False  # an entry whose check is not known: "missing" cannot be told
        for i, ex, raw in entries:
            path: tuple[str | int, ...] = ("exclusions", i)
            check = ex.check if ex is not None else _text(raw, "check")
            code = ex.code if ex is not None else _text(raw, "code")
            if check is None or check not in EXCLUSION_CHECKS:
                unread = True
                continue
            expected = EXCLUSION_CHECKS[check]
            if code is not None and code != expected:
                self.problems.append(
                    doc.problem(
                        (*path, "code"),
                        f"check {check!r} reports reason {expected!r}, not {echo(code)}",
                    )
                )
            if check in seen:
                first = doc.locate(("exclusions", seen[check], "check"))[0]
                self.problems.append(
                    doc.problem((*path, "check"), f"check {check!r} twice (first at line {first})")
                )
            seen.setdefault(check, i)
            if ex is not None and (ex.lists is None) != (ex.check != "credit_listing"):
                msg = (
                    "credit_listing needs 'lists'"
                    if ex.check == "credit_listing"
                    else "'lists' belongs to credit_listing only"
                )
                self.problems.append(doc.problem(path, msg))
            if ex is not None:
                self._list_names(doc, path, ex)
        for check in EXCLUSION_CHECKS:
            if check not in seen and not unread:
                self.problems.append(
                    doc.problem(("exclusions",), f"第十七条 check {check!r} is missing")
                )

    def _list_names(self, doc: Document, path: tuple[str | int, ...], ex: Exclusion) -> None:
        """第十七条第(二)项: the credit lists' names, which a listing step says instead of the
        lists' codes. Every list the case counts needs one; a list it does not count may go
        without (a listing on it is then shown by its code), with a warning."""
        names = ex.list_names
        if ex.check != "credit_listing":
            if names is not None:
                self.problems.append(
                    doc.problem(
                        (*path, "list_names"), "'list_names' belongs to credit_listing only"
                    )
                )
            return
        if names is None:
            self.problems.append(
                doc.problem(
                    path,
                    "credit_listing needs 'list_names': each list's name in the trace, "
                    "zh: and en:, in the words of 第十七条第(二)项",
                )
            )
            return
        known = get_args(CreditList)
        for key in names:
            if key not in known:
                self.problems.append(
                    doc.problem(
                        (*path, "list_names", key),
                        f"unknown list {echo(key)}{did_you_mean(key, known)} "
                        f"(lists: {', '.join(known)})",
                    )
                )
        for j, name in enumerate(ex.lists or ()):
            if name not in names:
                self.problems.append(
                    doc.problem(
                        (*path, "lists", j),
                        f"list {name!r} has no name: add it under 'list_names', with zh: and en:",
                    )
                )
        counted = set(ex.lists or ())
        unnamed = [k for k in known if k not in names and k not in counted]
        if unnamed and all(key in known for key in names):
            one = len(unnamed) == 1
            listed = ", ".join(repr(k) for k in unnamed)
            self.problems.append(
                doc.problem(
                    (*path, "list_names"),
                    f"list{'' if one else 's'} {listed} {'has' if one else 'have'} no name, so "
                    f"a listing on {'it' if one else 'them'} (which this case does not count) "
                    "is shown in the trace by its code; this loads, but check that it is meant",
                    severity="warning",
                )
            )

    def _repeated_codes(self) -> None:
        """A code listed twice (an industry code, a Hami unit prefix): harmless, but a sign
        that another was meant."""
        lists: list[tuple[Document | None, tuple[str | int, ...], tuple[str, ...] | None]] = [
            (
                self.awards_doc,
                ("standard_codes", "industry"),
                None if self.parts.standard_codes is None else self.parts.standard_codes.industry,
            ),
            (
                self.excl_doc,
                ("eligibility", "hami_unit_prefixes"),
                None
                if self.parts.eligibility is None
                else self.parts.eligibility.hami_unit_prefixes,
            ),
        ]
        for doc, path, codes in lists:
            if doc is None or codes is None:
                continue
            first: dict[str, int] = {}
            for i, code in enumerate(codes):
                if code in first:
                    line = doc.locate((*path, first[code]))[0]
                    self.problems.append(
                        doc.problem(
                            (*path, i),
                            f"{echo(code)} is listed twice (first at line {line}); this loads, "
                            "but check whether another code was meant",
                            severity="warning",
                        )
                    )
                first.setdefault(code, i)

    def _budgets(self) -> None:
        doc, budgets = self.alloc_doc, self.parts.budgets
        if doc is None or budgets is None:
            return
        start, end = self.effective_from, self.effective_until
        for year, wan in sorted(budgets.by_year.items()):
            if start is not None and end is not None and not start.year <= year <= end.year:
                # A round takes the claims submitted in its year: none while not in force.
                self.problems.append(
                    doc.problem(
                        ("budgets", "by_year", str(year)),
                        f"no round of {year} falls in the period in force ({start} .. {end}), "
                        "so this budget is never used; this loads, but check the year",
                        severity="warning",
                    )
                )
            if wan < budgets.minimum_wan:
                # 第二条 says 原则上: a lower budget is allowed, but worth a second look.
                self.problems.append(
                    doc.problem(
                        ("budgets", "by_year", str(year)),
                        f"budget {wan} 万元 for {year} is below {budgets.minimum_wan} 万元; "
                        f"{budgets.citation} sets that floor 原则上 (as a rule), so this loads"
                        + ("; with 0, every award of the round is deferred" if not wan else ""),
                        severity="warning",
                    )
                )
