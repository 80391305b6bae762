"""The claims batch: applicants, their award claims, and the loader that checks them.

A batch (interchange.md, "A claims batch") arrives as YAML or JSON. :func:`load_batch`
refuses it with every problem located (``FILE:LINE:COL: claims[2].standard_no: ...``) or
returns it *resolved*: every applicant has its ``region`` (read from the USCC when left
out, rulings R3), every claim its ``submitted_on`` (the batch default) and its ``subject``
(the applicant, or the canonical standard number), and every standard claim its canonical
``standard_no`` and the ``level`` that number implies (rulings R7).

A resolved batch is built through one pool (:func:`batch_pool`), which shares equal values
among its models: a batch of a million claims must fit in memory with its evaluation.

The loader marks the batch it returns with the readings it was checked under (the
industry codes, ``achieved_by_submission``). :func:`check_loaded` is how ``evaluate``,
``run_round`` and the durable backend refuse a batch built or changed by hand, which
skipped every check and resolution above, or one checked under other rules' readings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import typing
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as stdnum_uscc

from ._arguments import A_BATCH, A_LIMITS, check_type
from ._excerpt import echo
from ._pool import ModelPool
from ._validation import (
    allowed_keys,
    did_you_mean,
    model_at,
    plain_message,
    shown,
    whole_hint,
)
from ._yaml import DEFAULT_LIMITS, Document, Limits, read_yaml
from .errors import BatchError, Problem, StandardNumberError
from .history import canonical_subject, itself_subject, names_itself
from .standards import Level, parse_standard_number

__all__ = [
    "CLAIM_TYPES", "Applicant", "Batch", "CccLabClaim", "Claim", "ClaimBase",
    "CnasAccreditationClaim", "CqoCaseClaim", "CreditListing", "DraftingUnit",
    "LeadingEnterpriseClaim", "QcGroupClaim", "QualityAwardClaim",
    "QualityChainClaim", "QualityCountyClaim", "Review", "StandardClaim",
    "StandardizationPilotClaim", "TechnicalCommitteeClaim", "TestingPlatformClaim",
    "XinjiangBrandClaim", "batch_from_data", "batch_pool", "batch_sha256", "batch_to_data",
    "check_loaded", "load_batch",
]  # fmt: skip

_Path = tuple[str | int, ...]
FactSpec = tuple[object, ...] | type
M = TypeVar("M", bound=BaseModel)

#: The organisation types 第四条 names (rulings R3): the keys exclusions.yaml may list.
OrgType = Literal[
    "government_agency", "public_institution", "social_organization", "research_institute",
    "enterprise",
]  # fmt: skip
#: The credit lists a listing can be on (第十七条第(二)项): the keys exclusions.yaml names.
CreditList = Literal["dishonest", "negative"]
Scope = Literal["national", "regional"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIVISION = re.compile(r"[0-9]{6}")


def _invalid(message: str) -> PydanticCustomError:
    # No context: the message is final text, never a template (values may hold braces).
    return PydanticCustomError("qfund", message)


def _date(value: object) -> object:
    """YAML dates pass; JSON's ISO strings are parsed; datetimes and numbers are refused."""
    if isinstance(value, dt.datetime):
        raise _invalid(f"expected a date (YYYY-MM-DD), not a date and time: {value}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise _invalid(f"impossible date {echo(value)}: {exc}") from None
    raise _invalid(f"expected a date (YYYY-MM-DD), got {shown(value)}")


def _division(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        raise _invalid(f'write the division code as a quoted string: "{echo(value)}"')
    if isinstance(value, str) and not _DIVISION.fullmatch(value):
        raise _invalid(f"{echo(value)} is not a 6-digit division code (e.g. '650502')")
    return value


def _uscc(value: object) -> object:
    """A valid USCC (GB 32100-2015, rulings R3), compacted to its 18 characters."""
    if not isinstance(value, str):
        raise _invalid(f"expected the USCC as a string, got {shown(value)}")
    try:
        return str(stdnum_uscc.validate(value))
    except stdnum_errors.InvalidLength:
        size = len(stdnum_uscc.compact(value))
        why = f"it has {size} characters, not 18"
    except stdnum_errors.InvalidFormat:
        why = "characters 1-8 must be digits, 9-18 digits or capital letters other than I O S V Z"
    except stdnum_errors.InvalidChecksum:
        # Deliberately no "expected X": the typo is more often elsewhere than in the check.
        why = "bad check character: the 18th character does not match the other 17"
    except stdnum_errors.ValidationError as exc:  # pragma: no cover - future stdnum checks
        why = str(exc)
    raise _invalid(f"invalid USCC {echo(value)}: {why}")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise _invalid("must not be empty")
    return value


# Characters that move a terminal's cursor or reorder what it shows: an id or a name with
# ESC, CR or a bidirectional override could print one decision over another; a reviewer's
# finding may still run over lines (tab, line feed, and the line and paragraph
# separators U+2028 and U+2029, which end a line for Python's splitlines, JavaScript and
# most editors, and so are refused where one line is wanted).
_MOVES = r"\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
# The noncharacters, U+FDD0-U+FDEF and the last two code points of every plane: Unicode
# keeps them for a program's own use, never for text, and they print as a box or nothing.
# A YAML file may not hold U+FFFE or U+FFFF; JSON may (raw, or escaped as "\uffff").
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000)
)
_CONTROL = re.compile(rf"[\x00-\x0a{_MOVES}\u2028\u2029{_NONCHARACTERS}]")
_CONTROL_IN_PROSE = re.compile(rf"[\x00-\x08{_MOVES}]")
_SEPARATORS = {"\u2028": "line separator", "\u2029": "paragraph separator"}


def _one_line(value: str) -> str:
    """A name, a subject or a standard number: printable text on one line."""
    return _printable(_not_blank(value), _CONTROL, "one line of printable text")


def _identifier(value: str) -> str:
    """An id: printable text on one line, with no invisible format character (category Cf:
    a zero-width space, a soft hyphen, a BOM, a direction mark) and no space but U+0020
    (a no-break, thin or ideographic space), with which two ids that print alike differ;
    a name may hold either (a joiner some scripts write with, a no-break space)."""
    _one_line(value)
    if not value.isascii():  # ASCII has none: most ids cost one scan in C
        for char in value:
            category = unicodedata.category(char)
            if category == "Cf":
                raise _invalid(
                    f"contains the invisible format character {_named(char)}; write the id "
                    "in visible characters"
                )
            if category == "Zs":  # U+0020 is ASCII
                raise _invalid(
                    f"contains the space {_named(char)}, which looks like a plain space; "
                    "write the id with plain spaces (U+0020)"
                )
    return value


def _named(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


def _prose(value: str) -> str:
    """A finding's text: line breaks and tabs allowed, other control characters not."""
    return _printable(_not_blank(value), _CONTROL_IN_PROSE, "printable text")


def _printable(value: str, control: re.Pattern[str], what: str) -> str:
    found = control.search(value)
    if found is not None:
        char = found.group()
        kind = _SEPARATORS.get(char) or (
            "noncharacter" if unicodedata.category(char) == "Cn" else "control character"
        )
        raise _invalid(f"contains the {kind} U+{ord(char):04X}; write {what}")
    return value


def _year(value: int) -> int:
    # The round is a year (申报年度): dates are built in it, the ledger stores it as a
    # 64-bit integer and commits rounds in year order; one a date cannot hold is a typo.
    if not dt.MINYEAR <= value <= dt.MAXYEAR:
        raise _invalid(
            f"must be an application year (申报年度) from {dt.MINYEAR} to {dt.MAXYEAR}, "
            f"got {shown(value)}"
        )
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_date)]
Year = Annotated[
    StrictInt,
    AfterValidator(_year),
    WithJsonSchema({"type": "integer", "minimum": dt.MINYEAR, "maximum": dt.MAXYEAR}),
]
Division = Annotated[StrictStr, BeforeValidator(_division)]
Uscc = Annotated[StrictStr, BeforeValidator(_uscc)]
Text = Annotated[StrictStr, AfterValidator(_one_line)]
Id = Annotated[StrictStr, AfterValidator(_identifier)]
Prose = Annotated[StrictStr, AfterValidator(_prose)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CreditListing(_Model):
    """A listing on the dishonest-entity list or a negative list (第十七条(二))."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    list: CreditList = Field(
        description="dishonest: the list of dishonest entities (失信名单); negative: a negative "
        "list (负面清单)"
    )
    from_: IsoDate = Field(alias="from", description="the first day listed")
    until: IsoDate | None = Field(None, description="the last day listed; null: still listed")

    @field_validator("until")
    @classmethod
    def _not_before_from(cls, until: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # A listing that ends before it starts covers no day: read as given, it would clear
        # an applicant that is listed (第十七条(二)). One day (until == from) is a listing.
        start = info.data.get("from_")  # absent when 'from' itself was refused
        if until is not None and isinstance(start, dt.date) and until < start:
            raise _invalid(
                f"until {until} is before from {start}: a listing cannot end before it starts"
            )
        return until


class Applicant(_Model):
    """An organisation applying for awards; ``region`` is set once the batch is resolved."""

    id: Id = Field(description="the applicant's id in this batch; claims name it")
    name: Text = Field(description="the organisation's registered name")
    # 第四条 (R3) names five types (OrgType); any other is decided not_eligible_applicant.
    org_type: Text = Field(
        description="one of the five types of 第四条 (rulings R3); any other type is decided "
        "not_eligible_applicant",
        examples=list(typing.get_args(OrgType)),
    )
    region: Division | None = Field(
        None,
        description='the 6-digit division code of registration ("650502"); may be left out '
        "when uscc is given, which holds it (rulings R3)",
    )
    uscc: Uscc | None = Field(
        None, description="the unified social credit code (统一社会信用代码), 18 characters"
    )
    licensed: StrictBool = Field(
        True, description="false: operating without the licence it needs (第十七条第(二)项)"
    )
    credit_listings: tuple[CreditListing, ...] = Field(
        (), description="its listings on credit lists (第十七条第(二)项)"
    )


class Review(_Model):
    """Reviewer findings on a claim; each defaults to "no problem" (第十七条)."""

    industrial_policy: Literal["ok", "violates"] = Field(
        "ok", description="violates: against industrial policy or plans (第十七条第(一)项)"
    )
    related_to_quality: StrictBool = Field(
        True, description="false: unrelated to quality or standardization (第十七条第(四)项)"
    )
    other_violation: Prose | None = Field(
        None, description="another violation found, in words (第十七条第(五)项); null: none"
    )


class DraftingUnit(_Model):
    """A unit named in a standard's 前言, in the order printed there (rulings R7)."""

    name: Text = Field(description="the unit's name as the 前言 prints it")
    region: Division | None = Field(None, description="its 6-digit division code, if known")
    uscc: Uscc | None = Field(None, description="its unified social credit code, if known")
    hami: StrictBool | None = Field(
        None, description="whether it is a Hami unit, when neither code tells (rulings R7)"
    )


def _values(literal: Any) -> tuple[object, ...]:
    return typing.get_args(literal)


def _facts(**specific: FactSpec) -> Mapping[str, FactSpec]:
    return MappingProxyType({**specific, "achieved_on": dt.date, "submitted_on": dt.date})


class ClaimBase(_Model):
    """What every claim holds; one subclass per kind adds the kind's facts."""

    #: The facts rule conditions may name, each with its allowed values or its type.
    FACTS: ClassVar[Mapping[str, FactSpec]] = _facts()
    #: What ``subject`` names: "applicant" when it defaults to the applicant itself.
    SUBJECT: ClassVar[str] = "applicant"

    id: Id = Field(description="the claim's id, unique in the batch")
    applicant: Id = Field(description="the id of the applicant claiming")
    kind: str = Field(description="the claim kind (interchange.md): what was achieved")
    achieved_on: IsoDate = Field(
        description="the reference date (rulings R2): the day the honour, approval, "
        "acceptance, certification or standard publication was granted"
    )
    submitted_on: IsoDate | None = Field(
        None, description="the day the claim was submitted; left out, the batch's"
    )
    subject: Text | None = Field(
        None,
        description="what was recognised (interchange.md, table of kinds); left out for a "
        "kind whose subject is the applicant itself",
    )
    other_support: tuple[Text, ...] = Field(
        (), description="other policy support for this achievement (第十七条第(三)项)"
    )
    review: Review = Field(Review(), description="the reviewers' findings (第十七条)")
    objection: StrictBool = Field(
        False, description="an objection raised during publicity (第二十二条)"
    )

    def facts(self) -> dict[str, object]:
        """The kind's facts by name, as rule conditions read them."""
        return {name: getattr(self, name) for name in self.FACTS}

    def subject_is_applicant(self) -> bool:
        """Whether ``subject`` may be left out, meaning the applicant itself."""
        return self.SUBJECT == "applicant"


class QualityCountyClaim(ClaimBase):
    """第九条: a quality county pilot approved, or passing its acceptance."""

    FACTS = _facts(stage=("approved", "accepted"))
    kind: Literal["quality_county"] = Field("quality_county", description="the claim kind")
    stage: Literal["approved", "accepted"] = Field(
        description="approved: the pilot approved; accepted: it passed acceptance"
    )


class QualityChainClaim(ClaimBase):
    """第十条: a quality chain key project or typical case."""

    FACTS = _facts(recognition=("key_project", "typical_case"), level=_values(Scope))
    SUBJECT = "the project or case"
    kind: Literal["quality_chain"] = Field("quality_chain", description="the claim kind")
    recognition: Literal["key_project", "typical_case"] = Field(
        description="a key project (重点项目) or a typical case (典型案例)"
    )
    level: Scope = Field(description="national or regional (自治区)")


class QualityAwardClaim(ClaimBase):
    """第十一条(一)(二)(三): a government quality award, won or nominated."""

    FACTS = _facts(award=("china", "xinjiang", "hami"), tier=("winner", "nominee"), first_time=bool)
    kind: Literal["quality_award"] = Field("quality_award", description="the claim kind")
    award: Literal["china", "xinjiang", "hami"] = Field(
        description="中国质量奖 (china), 自治区政府质量奖 (xinjiang) or 哈密市政府质量奖 (hami)"
    )
    tier: Literal["winner", "nominee"] = Field(description="the award (winner) or 提名奖 (nominee)")
    first_time: StrictBool = Field(
        description="首次 (rulings R4): whether the applicant gets it for the first time; "
        "required, never assumed"
    )


class LeadingEnterpriseClaim(ClaimBase):
    """第十一条(四): recognised as a quality leading enterprise."""

    kind: Literal["leading_enterprise"] = Field("leading_enterprise", description="the claim kind")


class QcGroupClaim(ClaimBase):
    """第十一条(五): an excellent QC group."""

    FACTS = _facts(level=_values(Scope))
    SUBJECT = "the group name"
    kind: Literal["qc_group"] = Field("qc_group", description="the claim kind")
    level: Scope = Field(description="national or regional (自治区)")


class CqoCaseClaim(ClaimBase):
    """第十一条(六): a chief quality officer case."""

    SUBJECT = "the case title"
    kind: Literal["cqo_case"] = Field("cqo_case", description="the claim kind")


class CnasAccreditationClaim(ClaimBase):
    """第十二条(一): CNAS accreditation."""

    FACTS = _facts(first_time=bool)
    kind: Literal["cnas_accreditation"] = Field("cnas_accreditation", description="the claim kind")
    first_time: StrictBool = Field(description="首次 (rulings R4): the first accreditation")


class CccLabClaim(ClaimBase):
    """第十二条(二): designated as a CCC testing laboratory."""

    FACTS = _facts(first_time=bool)
    kind: Literal["ccc_lab"] = Field("ccc_lab", description="the claim kind")
    first_time: StrictBool = Field(description="首次 (rulings R4): the first designation")


class TestingPlatformClaim(ClaimBase):
    """第十二条(三)(四): a national or regional testing platform."""

    __test__ = False  # not a pytest test class, whatever its name says

    FACTS = _facts(level=_values(Scope))
    SUBJECT = "the platform name"
    kind: Literal["testing_platform"] = Field("testing_platform", description="the claim kind")
    level: Scope = Field(description="national or regional (自治区)")


class StandardClaim(ClaimBase):
    """第十三条: formulating or revising a standard; ``level`` is read from the number."""

    FACTS = _facts(
        action=("formulate", "revise"), level=_values(Level), standard_no=str, lead_proof=bool
    )
    SUBJECT = "the standard number"
    kind: Literal["standard"] = Field("standard", description="the claim kind")
    action: Literal["formulate", "revise"] = Field(
        description="formulated (制定) or revised (修订)"
    )
    standard_no: Text = Field(description="the standard's number: GB/T 45678-2026")
    level: Level | None = Field(
        None, description="read from the number; given, it must agree with it (rulings R7)"
    )
    drafting_units: tuple[DraftingUnit, ...] | None = Field(
        None, description="the drafting units in the order the 前言 prints them"
    )  # None or (): 前言 names none
    lead_proof: StrictBool = Field(
        False, description="proof that the applicant led, when the 前言 names no unit"
    )


class StandardizationPilotClaim(ClaimBase):
    """第十四条: a national or regional standardization pilot."""

    FACTS = _facts(level=_values(Scope))
    SUBJECT = "the pilot name"
    kind: Literal["standardization_pilot"] = Field(
        "standardization_pilot", description="the claim kind"
    )
    level: Scope = Field(description="national or regional (自治区)")


class TechnicalCommitteeClaim(ClaimBase):
    """第十五条: newly undertaking a technical committee's secretariat."""

    FACTS = _facts(level=_values(Scope), body=("tc", "sc", "wg"))
    SUBJECT = "the committee code, e.g. SAC/TC 123/SC 4"
    kind: Literal["technical_committee"] = Field(
        "technical_committee", description="the claim kind"
    )
    level: Scope = Field(description="national or regional (自治区)")
    body: Literal["tc", "sc", "wg"] = Field(
        description="a technical committee (tc), subcommittee (sc) or working group (wg)"
    )


class XinjiangBrandClaim(ClaimBase):
    """第十六条: the 新疆品质 brand, first certified, for a new product or recertified."""

    FACTS = _facts(event=("first_certification", "new_product", "recertification"))
    SUBJECT = "the product or certificate number"
    kind: Literal["xinjiang_brand"] = Field("xinjiang_brand", description="the claim kind")
    event: Literal["first_certification", "new_product", "recertification"] = Field(
        description="first certified, a new product certified, or recertified"
    )

    def subject_is_applicant(self) -> bool:
        """16(一) is once per enterprise; (二)(三) name a product or certificate."""
        return self.event == "first_certification"


Claim = Annotated[
    QualityCountyClaim | QualityChainClaim | QualityAwardClaim | LeadingEnterpriseClaim
    | QcGroupClaim | CqoCaseClaim | CnasAccreditationClaim | CccLabClaim | TestingPlatformClaim
    | StandardClaim | StandardizationPilotClaim | TechnicalCommitteeClaim | XinjiangBrandClaim,
    Field(discriminator="kind"),
]  # fmt: skip

#: Claim kind -> claim class, in the order of interchange.md's table of kinds.
CLAIM_TYPES: Mapping[str, type[ClaimBase]] = MappingProxyType(
    {cls.model_fields["kind"].default: cls for cls in typing.get_args(typing.get_args(Claim)[0])}
)


@dataclass(frozen=True, slots=True)
class _Checked:
    """The readings a batch was checked under, bound to the values the loader checked.

    ``model_copy`` copies a model's private attributes, with ``update`` too: a copy with
    other claims, applicants, round or default day would carry a mark it never earned. So
    the mark holds the batch's own ``applicants`` and ``claims`` tuples and is honoured only
    on a batch holding those very tuples (``is``: O(1) whatever the batch's size), with its
    ``round`` and ``submitted_on``. Pickle and ``copy.deepcopy`` copy the batch and its mark
    through one memo, so a copy's tuples are still its mark's: a pickled batch (a process
    pool's) stays marked. The tuples are left out of equality, which the batch's own
    fields already make.
    """

    industry_codes: frozenset[str]
    achieved_by_submission: bool
    round: int
    submitted_on: dt.date
    applicants: tuple[Applicant, ...] = field(compare=False, repr=False)
    claims: tuple[ClaimBase, ...] = field(compare=False, repr=False)

    def holds(self, batch: Batch) -> bool:
        """Whether ``batch`` holds the values this mark was made for."""
        return (
            batch.applicants is self.applicants
            and batch.claims is self.claims
            and batch.round == self.round
            and batch.submitted_on == self.submitted_on
        )


class Batch(_Model):
    """One application round's applicants and claims; resolved when the loader returns it."""

    # (The docstring is the batch schema's description, for editors: this note is not.)
    # Only a batch the loader returned can be evaluated: it carries the readings it was
    # checked under. One built with this constructor, model_construct or
    # model_copy(update=...) was never checked, and is refused (check_loaded). pydantic
    # compares private attributes: two batches are equal when their fields are and they
    # were checked under the same readings (a batch built by hand equals no loaded one).

    round: Year = Field(description="the application round (申报年度)")
    submitted_on: IsoDate = Field(description="the default for every claim's submitted_on")
    applicants: tuple[Applicant, ...] = Field(description="the organisations applying")
    claims: tuple[Claim, ...] = Field(description="their claims, each of one kind")

    # Set by the loader alone (_mark_loaded); None on a batch built any other way.
    _checked: _Checked | None = PrivateAttr(default=None)


def _mark_loaded(
    batch: Batch, industry_codes: frozenset[str], achieved_by_submission: bool
) -> Batch:
    """Mark ``batch`` as checked and resolved under these readings; returns it.

    The loader marks what it returns. Anything else marked this way is vouched for by its
    caller, and that is sound only for a batch made of exactly the values the loader would
    make of its data: bench/run.py builds its synthetic batches of up to a million claims
    through the loader's pool (:func:`batch_pool`) for speed, and checks a sample against
    the loader's own result on every run (tests/test_bench.py too). A mark on a batch that
    was not so built would let ``evaluate`` decide what no check has seen.
    """
    batch._checked = _Checked(
        frozenset(industry_codes),
        achieved_by_submission,
        batch.round,
        batch.submitted_on,
        batch.applicants,
        batch.claims,
    )
    return batch


def check_loaded(
    batch: object,
    industry_codes: frozenset[str],
    achieved_by_submission: bool,
    where: str,
    *,
    unchecked: type[Exception] = TypeError,
    other_rules: type[Exception] = ValueError,
) -> None:
    """Refuse a batch that the loader did not check under these readings; O(1).

    ``where`` names the caller in the messages (``evaluate()``, ``run_round``). The
    readings are a rule set's: its industry codes and ``achieved_by_submission``.

    Raises:
        TypeError: (``unchecked``) ``batch`` is not a Batch the loader returned: built by
            hand or with ``model_construct``, or changed with ``model_copy(update=...)``.
        ValueError: (``other_rules``) the loader checked it under other readings.
    """
    load = "load it with rules.load_batch(path) or rules.batch_from_data(data)"
    if not isinstance(batch, Batch):
        raise unchecked(f"{where}: batch must be a Batch ({load}), not a {type(batch).__name__}")
    # Read as pydantic stores it: a batch unpickled from an older release has no private
    # attributes at all, and would fail on ``batch._checked`` with a TypeError of its own.
    mark: _Checked | None = (batch.__pydantic_private__ or {}).get("_checked")
    if mark is None or not mark.holds(batch):
        raise unchecked(
            f"{where}: the batch was not made by the loader (built with Batch(...) or "
            "model_construct, or changed with model_copy(update=...)): none of its checks "
            f"ran, nothing in it was resolved; {load}"
        )
    if (mark.industry_codes, mark.achieved_by_submission) == (
        industry_codes,
        achieved_by_submission,
    ):
        return
    differences = []
    if mark.achieved_by_submission != achieved_by_submission:
        differences.append(
            f"achieved_by_submission: the batch's {_policy(mark.achieved_by_submission)}, "
            f"these rules' {_policy(achieved_by_submission)}"
        )
    if mark.industry_codes != industry_codes:
        only = (
            (mark.industry_codes - industry_codes, "only in the batch's"),
            (industry_codes - mark.industry_codes, "only in these rules'"),
        )
        said = ", ".join(f"{_codes(codes)} {whose}" for codes, whose in only if codes)
        differences.append(f"industry codes: {said}")
    raise other_rules(
        f"{where}: the batch was checked under other readings than these rules "
        f"({'; '.join(differences)}); load it again with these rules: "
        "rules.load_batch(path) or rules.batch_from_data(data)"
    )


def _policy(achieved_by_submission: bool) -> str:
    return "required" if achieved_by_submission else "any"


def _codes(codes: frozenset[str]) -> str:
    listed = sorted(codes)
    more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
    return ", ".join(listed[:10]) + more


def batch_pool() -> ModelPool:
    """A pool for one resolved batch: reviews, drafting units and credit listings are plain
    values (equal ones are interchangeable); a claim's own id is never repeated."""
    return ModelPool(values=(CreditListing, Review, DraftingUnit), unique=((ClaimBase, "id"),))


def _items(raw: object) -> list[Any]:
    """A list's or a tuple's items; nothing else is a list of claims or applicants."""
    return list(raw) if isinstance(raw, list | tuple) else []


class _Head(_Model):
    """The batch's top level, checked before its items are checked one by one."""

    round: Year
    submitted_on: IsoDate
    applicants: list[Any]
    claims: list[Any]


def load_batch(
    source: str | Path | bytes,
    *,
    industry_codes: frozenset[str],
    achieved_by_submission: bool = True,
    name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Batch:
    """Read, check and resolve a YAML or JSON batch file (or its bytes, shown as ``name``).

    A path or ``name`` ending in ``.json`` must be strict JSON, its first syntax error the
    one problem reported; any other name is read as YAML (JSON being YAML too).

    ``industry_codes`` and ``achieved_by_submission`` come from the rule files
    (:meth:`RuleSet.load_batch <qfund_rules.RuleSet.load_batch>` passes both): the
    two-letter industry-standard codes, and whether a claim achieved after its
    ``submitted_on`` is an input error (``allocation.yaml`` ``achieved_by_submission``).

    A str is always a path: one that names no file and reads as a batch's text (it starts
    with ``{`` or ``[``, or runs over lines) is refused saying to give the text as bytes.

    Raises:
        BatchError: listing every problem found; no partial batch is ever returned.
        TypeError: ``source`` is not a path or bytes (data already parsed, a dict, goes to
            :func:`batch_from_data`), ``name`` not a str, ``limits`` not a ``Limits``.
    """
    _check_source("load_batch", source)
    check_type(TypeError, "load_batch", "name", name, (str, type(None)), "a str or None")
    check_type(TypeError, "load_batch", "limits", limits, Limits, A_LIMITS)
    if isinstance(source, str) and _text_not_path(source):
        raise BatchError([_text_given(source, name)])
    doc, read_problems = read_yaml(source, name=name, limits=limits)
    if doc is None:
        raise BatchError(read_problems)
    return _Checker(doc, industry_codes, achieved_by_submission).run(read_problems)


def batch_from_data(
    data: object,
    *,
    industry_codes: frozenset[str],
    achieved_by_submission: bool = True,
    name: str = "<data>",
) -> Batch:
    """Check and resolve a batch given as plain data (dates as ``date`` or ISO strings).

    The keywords are those of :func:`load_batch`.

    Raises:
        BatchError: listing every problem found, located by field path only.
    """
    return _Checker(Document(name, data), industry_codes, achieved_by_submission).run(())


def _check_source(where: str, source: object) -> None:
    """A batch file's path or bytes; parsed data has its own loader, which the hint names."""
    what = "a path (a str or a pathlib.Path) or the file's bytes"
    if isinstance(source, Mapping | list | tuple):
        what += " (for data already parsed, use rules.batch_from_data(data))"
    check_type(TypeError, where, "source", source, (str, bytes, PathLike), what)


def _text_not_path(source: str) -> bool:
    """Whether a str given as a path is no file's, and reads as a batch's text instead: it
    starts with ``{`` or ``[`` (JSON, or YAML's flow style), or runs over lines."""
    looks = source.lstrip().startswith(("{", "[")) or "\n" in source or "\r" in source
    # os.path.exists, not Path.exists: the latter raises for a name too long.
    return looks and not os.path.exists(source)  # noqa: PTH110


def _text_given(source: str, name: str | None) -> Problem:
    """What to do with a batch's text given where its path belongs."""
    json_like = source.lstrip().startswith(("{", "["))
    shown_as = name or ("claims.json" if json_like else "claims.yaml")
    why = "starts with " + repr(source.lstrip()[0]) if json_like else "runs over lines"
    return Problem(
        name or shown(source),
        None,
        None,
        (),
        f"no such file: a str is read as a batch file's path, and this one {why}, as a "
        f"batch's text does; give the text as bytes, "
        f'rules.load_batch(text.encode(), name="{shown_as}"), or data already parsed to '
        "rules.batch_from_data(data)",
    )


def batch_to_data(batch: Batch) -> dict[str, Any]:
    """The batch as JSON-able data in the interchange format, dates as ISO strings.

    Raises:
        TypeError: ``batch`` is not a :class:`Batch`.
    """
    check_type(TypeError, "batch_to_data", "batch", batch, Batch, A_BATCH)
    return batch.model_dump(mode="json", by_alias=True)


def batch_sha256(batch: Batch) -> str:
    """sha256 of the resolved batch as canonical JSON (:func:`batch_to_data`, keys sorted).

    It names the batch a round was computed from: the same claims and facts give the same
    digest whatever the file's layout, comments or format (YAML or JSON).

    Raises:
        TypeError: ``batch`` is not a :class:`Batch`.
    """
    check_type(TypeError, "batch_sha256", "batch", batch, Batch, A_BATCH)
    text = json.dumps(
        batch_to_data(batch), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Checker:
    """Checks one document item by item, so that every problem in it is found."""

    def __init__(
        self, doc: Document, industry_codes: frozenset[str], achieved_by_submission: bool
    ) -> None:
        self.doc = doc
        self.industry_codes = industry_codes
        self.achieved_by_submission = achieved_by_submission
        self.problems: list[Problem] = []
        self.pool = batch_pool()
        # Applicant id -> its USCC (None without one): how it is known across batches.
        self.usccs: dict[str, str | None] = {}

    def run(self, earlier: Sequence[Problem]) -> Batch:
        batch = self._check()
        # The reader already reported an impossible date, keeping its text: say it once.
        reported = [p.path for p in earlier]
        fresh = [p for p in self.problems if not any(p.path[: len(r)] == r for r in reported)]
        if earlier or fresh or batch is None:
            raise BatchError([*earlier, *fresh])
        return batch

    def _report(self, path: _Path, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def _check(self) -> Batch | None:
        data = self.doc.data
        if not isinstance(data, dict):
            keys = ", ".join(_Head.model_fields)
            self._report((), f"a claims batch must be a mapping with the keys {keys}")
            return None
        head = self._validate(_Head, data, ())
        # The head's lists, as it took them (a tuple or any iterable of data, read once);
        # when the head is refused, what is a list or tuple is still checked item by item.
        raw_applicants = _items(head.applicants if head else data.get("applicants"))
        raw_claims = _items(head.claims if head else data.get("claims"))
        self._duplicates("applicants", raw_applicants, "applicant")
        self._duplicates("claims", raw_claims, "claim")
        applicant_ids = {
            a["id"] for a in raw_applicants if isinstance(a, dict) and isinstance(a.get("id"), str)
        }
        applicants = [self._applicant(("applicants", i), a) for i, a in enumerate(raw_applicants)]
        self.usccs = {a.id: a.uscc for a in applicants if a is not None}
        # An applicant refused for a problem of its own is still the one its claims name:
        # their subjects are compared with its USCC as written (a text, checked or not),
        # compacted as a valid one is (no spaces or hyphens).
        for raw, a in zip(raw_applicants, applicants, strict=True):
            if a is None and isinstance(raw, dict) and isinstance(raw.get("id"), str):
                written = raw.get("uscc")
                usable = stdnum_uscc.compact(written) if isinstance(written, str) else None
                self.usccs.setdefault(raw["id"], usable)
        default = head.submitted_on if head is not None else None
        claims = [
            self._claim(("claims", i), c, applicant_ids, default) for i, c in enumerate(raw_claims)
        ]
        if head is None or self.problems:
            return None
        batch = Batch(
            round=head.round,
            submitted_on=head.submitted_on,
            applicants=tuple(a for a in applicants if a is not None),
            claims=tuple(c for c in claims if c is not None),
        )
        return _mark_loaded(batch, self.industry_codes, self.achieved_by_submission)

    def _validate(self, model: type[M], data: object, path: _Path) -> M | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self._refused(exc, model, path)
            return None

    def _refused(self, exc: ValidationError, model: type[BaseModel], path: _Path) -> set[str]:
        """Report every error of a refused model; returns the fields they name."""
        fields: set[str] = set()
        for err in exc.errors(include_url=False):
            self._report((*path, *err["loc"]), _message(err, model))
            fields.add(str(err["loc"][0]) if err["loc"] else "")
        return fields

    def _duplicates(self, section: str, items: list[Any], what: str) -> None:
        first: dict[object, int] = {}
        for i, raw in enumerate(items):
            ident = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(ident, str):
                continue
            if ident in first:
                line = self.doc.locate((section, first[ident], "id"))[0]
                where = f"{section}[{first[ident]}]" + (f", line {line}" if line else "")
                self._report(
                    (section, i, "id"), f"duplicate {what} id {echo(ident)} (first at {where})"
                )
            else:
                first[ident] = i

    def _region(self, path: _Path, region: str | None, uscc: str | None) -> str | None:
        """The division code, read from the USCC's digits 3-8 when one is given (R3)."""
        if uscc is None:
            return region
        code = uscc[2:8]
        if region is not None and region != code:
            self._report(
                (*path, "region"),
                f"region {echo(region)} disagrees with the USCC's division code {code!r}",
            )
        return code

    def _applicant(self, path: _Path, raw: object) -> Applicant | None:
        applicant = self._validate(Applicant, raw, path)
        if applicant is None:
            return None
        region = self._region(path, applicant.region, applicant.uscc)
        if region is None:
            self._report((*path, "region"), "region is required when no uscc is given (第四条)")
            return None
        return self.pool.build(Applicant, {**dict(applicant), "region": region})

    def _claim(
        self, path: _Path, raw: object, applicant_ids: set[str], default: dt.date | None
    ) -> ClaimBase | None:
        if not isinstance(raw, dict):
            self._report(path, f"a claim must be a mapping, got {shown(raw)}")
            return None
        ref = raw.get("applicant")
        if isinstance(ref, str) and ref not in applicant_ids:
            hint = did_you_mean(ref, sorted(applicant_ids))
            self._report((*path, "applicant"), f"no applicant has the id {echo(ref)}{hint}")
        kind = raw.get("kind")
        model = CLAIM_TYPES.get(kind) if isinstance(kind, str) else None
        if model is None:
            kinds = ", ".join(CLAIM_TYPES)
            if "kind" not in raw:
                self._report((*path, "kind"), f"missing required field 'kind'; kinds: {kinds}")
            else:
                hint = did_you_mean(str(kind), CLAIM_TYPES) if isinstance(kind, str) else ""
                self._report(
                    (*path, "kind"), f"unknown kind {echo(kind)}{hint or ';'} kinds: {kinds}"
                )
            return None
        try:
            claim = model.model_validate(raw)
        except ValidationError as exc:
            self._check_rest(path, model, raw, self._refused(exc, model, path), default)
            return None
        return self.pool.build(type(claim), {**dict(claim), **self._resolve(path, claim, default)})

    def _check_rest(
        self,
        path: _Path,
        model: type[ClaimBase],
        raw: dict[Any, Any],
        refused: set[str],
        default: dt.date | None,
    ) -> None:
        """Check a refused claim's other fields too, so that one slip (a misspelt field, a
        bad value) does not hide the next problem until the file is run again.

        Without the refused fields the claim may validate (an optional field takes its
        default); the checks then run, and report only what concerns other fields.
        """
        if "" in refused:  # an error of the whole claim, not of one field
            return
        try:
            rest = model.model_validate({k: v for k, v in raw.items() if k not in refused})
        except ValidationError:  # a required field was refused: nothing more to check
            return
        before = len(self.problems)
        # A refused submitted_on is not the batch's default: no date to compare with.
        self._resolve(path, rest, None if "submitted_on" in refused else default)
        said = {(*path, field) for field in refused}
        self.problems[before:] = [
            p for p in self.problems[before:] if p.path[: len(path) + 1] not in said
        ]

    def _resolve(self, path: _Path, claim: ClaimBase, default: dt.date | None) -> dict[str, object]:
        """Check a valid claim against the batch, and what resolving it changes."""
        submitted = claim.submitted_on or default
        if self.achieved_by_submission and submitted is not None and claim.achieved_on > submitted:
            whose = "its" if claim.submitted_on else "the batch's default"
            self._report(
                (*path, "achieved_on"),
                f"achieved_on {claim.achieved_on} is after {whose} submitted_on {submitted}: "
                "an honour is claimed once granted (allocation.yaml achieved_by_submission)",
            )
        update: dict[str, object] = {"submitted_on": submitted}
        if isinstance(claim, StandardClaim):
            update.update(self._standard(path, claim))
        elif claim.subject_is_applicant():
            # The applicant itself, known across ids and rounds as the ledger knows it: by
            # its USCC when given, so that one organisation under two ids (in one batch, or
            # in two years' batches) holds one qualification, not two (第二十条).
            uscc = self.usccs.get(claim.applicant)
            update["subject"] = itself_subject(claim.applicant, uscc)
            # A claim naming no applicant of the batch is refused for that: what its subject
            # should be is not known.
            known = claim.applicant in self.usccs
            if (
                known
                and claim.subject is not None
                and not names_itself(claim.subject, claim.applicant, uscc)
            ):
                self._report(
                    (*path, "subject"),
                    f"the subject of a {claim.kind!r} claim is the applicant itself; leave it "
                    f"out, or write the applicant's id or USCC (got {echo(claim.subject)}: any "
                    "other would make one organisation a second qualification)",
                )
        elif claim.subject is None:
            self._report(
                (*path, "subject"), f"subject is required for kind {claim.kind!r}: {claim.SUBJECT}"
            )
        else:
            update["subject"] = subject = canonical_subject(claim.subject)
            if not subject:
                self._report((*path, "subject"), "must not be empty (only invisible characters)")
        return update

    def _standard(self, path: _Path, claim: StandardClaim) -> dict[str, object]:
        """The canonical number, its level, and drafting units with their regions (R7)."""
        units = []
        for j, unit in enumerate(claim.drafting_units or ()):
            region = self._region((*path, "drafting_units", j), unit.region, unit.uscc)
            units.append(self.pool.build(DraftingUnit, {**dict(unit), "region": region}))
        update: dict[str, object] = {}
        if claim.drafting_units is not None:
            update["drafting_units"] = tuple(units)
        try:
            number = parse_standard_number(claim.standard_no, self.industry_codes)
        except StandardNumberError as exc:
            self._report((*path, "standard_no"), str(exc))
            return update
        canonical = str(number)
        if claim.level is not None and claim.level != number.level:
            self._report(
                (*path, "level"),
                f"level {claim.level!r} disagrees with the standard number {canonical!r}, "
                f"which is a {number.level} standard",
            )
        if claim.subject is not None and not self._same_standard(claim.subject, canonical):
            self._report(
                (*path, "subject"),
                f"subject {echo(claim.subject)} is not the standard number {canonical!r}",
            )
        return update | {"standard_no": canonical, "level": number.level, "subject": canonical}

    def _same_standard(self, text: str, canonical: str) -> bool:
        try:
            return str(parse_standard_number(text, self.industry_codes)) == canonical
        except StandardNumberError:
            return False


def _message(err: ErrorDetails, root: type[BaseModel]) -> str:
    """A pydantic error in the words of this project, naming what is allowed there."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = sorted(allowed_keys(model_at(root, loc[:-1]) or root))
        hint = did_you_mean(key, allowed)
        return f"unknown field {echo(key)}{hint or ';'} allowed: {', '.join(allowed)}"
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind in ("qfund", "literal_error") or isinstance(err["input"], dict | list):
        return plain_message(err)
    return f"{plain_message(err)}, got {shown(err['input'])}{whole_hint(err)}"
