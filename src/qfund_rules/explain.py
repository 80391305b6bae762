"""Render decisions for people: one decision's trace as an auditor reads it, or a table.

Rendering only: the decisions and traces are data (:mod:`qfund_rules.decision`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from ._arguments import check_lang
from .decision import Decision, Evaluation, JSONValue, TraceStep
from .money import format_wan
from .rules import RuleSet

if TYPE_CHECKING:
    from .ledger import AwardState

__all__ = [
    "NOW_LABEL",
    "OUTCOMES",
    "RESULTS",
    "ClauseBook",
    "Lang",
    "explain",
    "fact_text",
    "revocation",
    "standing",
    "table",
]

Lang = Literal["zh", "en"]

OUTCOMES = {
    "zh": {"awarded": "予以奖励", "rejected": "不予奖励", "superseded": "就高不就低,不另奖励"},
    "en": {"awarded": "awarded", "rejected": "rejected", "superseded": "superseded"},
}
RESULTS = {
    "zh": {
        "pass": "通过",
        "fail": "未通过",
        "match": "相符",
        "no_match": "不符",
        "top_up": "补差",
        "superseded": "被更高奖励取代",
        "paid": "拨付",
        "deferred": "列入下一年度",
        "held": "暂缓拨付",
    },
    "en": {
        "pass": "pass",
        "fail": "FAIL",
        "match": "match",
        "no_match": "no match",
        "top_up": "top-up",
        "superseded": "superseded",
        "paid": "paid",
        "deferred": "deferred",
        "held": "held",
    },
}


def fact_text(value: JSONValue) -> str:
    """A fact's value for people: as JSON (``true``, ``null``, ``["dishonest"]``), but a
    string as it is. Facts are JSON values, and the decision's JSON writes them so."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _facts(facts: dict[str, JSONValue]) -> str:
    return ", ".join(f"{k}={fact_text(v)}" for k, v in facts.items()) or "-"


# How a round allocated an award, and where it stands in the ledger now (rulings R9-R11).
_ALLOCATION = {
    "zh": {"paid": "{year}年度拨付", "deferred": "{year}年度预算不足,列入下一年度",
           "held": "公示异议暂缓"},
    "en": {"paid": "paid from {year}", "deferred": "deferred: {year}'s budget ran out",
           "held": "held (objection)"},
}  # fmt: skip
_NOW = {
    "zh": {"paid": "已拨付", "deferred": "待拨付", "held": "公示异议暂缓",
           "revoked": "已撤销(第二十四条)"},
    "en": {"paid": "paid", "deferred": "owed (deferred)", "held": "held (objection)",
           "revoked": "revoked (第二十四条)"},
}  # fmt: skip
# A fraud finding on a claim, the day it was found (第二十四条): one wording, said alone
# (the award it revoked), after another cause, or on a claim never awarded.
_FOUND = {"zh": "{on}认定弄虚作假(第二十四条)", "en": "fraud found on {on} (第二十四条)"}
# What revoked an award, with the article (AwardState.revoked_by):
# - objection: 第二十二条第(五)项 "公示无异议的,下达奖励通知并拨付资金": an upheld objection
#   revokes the held award; no fraud was found (第二十四条 is for fraud, rulings R9);
# - fraud: 第二十四条 on the award's own claim, the day it was found;
# - ban: 第二十四条 (rulings R9) on another claim of the applicant, whose ban covers the day
#   this claim was submitted: the finding's claim is named (round, claim id).
_REVOKED = {
    "zh": {"objection": "已撤销:公示异议成立(第二十二条第(五)项)",
           "fraud": "已撤销:" + _FOUND["zh"],
           "ban": "已撤销:{round}年度申报{claim}认定弄虚作假,申报于取消申报资格期间(第二十四条)"},
    "en": {"objection": "revoked: objection upheld (第二十二条第(五)项)",
           "fraud": "revoked: " + _FOUND["en"],
           "ban": "revoked: submitted under the ban of the fraud found on claim {claim} of "
                  "round {round} (第二十四条)"},
}  # fmt: skip
# A fraud finding recorded on an award an upheld objection or a ban had revoked: it revoked
# nothing more, but it stands (its ban runs, 第二十四条), so both causes are said.
_FRAUD_TOO = {"zh": ";" + _FOUND["zh"], "en": "; " + _FOUND["en"]}
# A fraud finding on a claim its round granted no award (rejected, superseded, or nothing
# allocated): there was no award to revoke, but the finding stands and its ban runs
# (第二十四条), as `qfund ledger fraud` says; the ban's end is the first day the applicant
# may apply again, as the ban step says it.
_NO_AWARD = {
    "zh": "无奖励可撤销({why});" + _FOUND["zh"],
    "en": "no award to revoke ({why}); " + _FOUND["en"],
}
_BANNED_UNTIL = {"zh": ",取消申报资格至{until}", "en": ", banned until {until} (exclusive)"}
_NOT_ALLOCATED = {"zh": "未分配奖励资金", "en": "nothing allocated"}


#: What :func:`standing` is headed by, in a trace and in the report.
NOW_LABEL: dict[str, str] = {"zh": "账本现状", "en": "In the ledger now"}


def revocation(state: AwardState, lang: Lang = "zh") -> str | None:
    """What revoked a committed award, with its article; ``None`` while it stands.

    For fraud found on its own claim (第二十四条, with the day), under the ban of a finding
    on another claim of the applicant (第二十四条, rulings R9: that claim is named), or
    because an objection was upheld (第二十二条第(五)项); a fraud finding recorded on the
    award after an objection or a ban revoked it is said after that cause. A claim its
    round granted no award (``status`` ``None``) on which fraud was found had none to
    revoke: that is said, with the finding and the end of the ban it started (第二十四条);
    with no finding on it, ``None``. One wording for ``qfund explain``, the report, and
    ``qfund ledger release`` on a claim not held.

    Raises:
        ValueError: ``lang`` is not ``zh`` or ``en``.
    """
    check_lang("revocation", lang)
    found = state.fraud_found_on
    if state.status is None:
        if found is None:
            return None
        why = _NOT_ALLOCATED[lang] if state.outcome == "awarded" else state.outcome
        if lang == "zh":
            why = OUTCOMES[lang].get(why, why)
        said = _NO_AWARD[lang].format(why=why, on=found.isoformat())
        if state.banned_until is not None:  # an AwardState made without it: the finding alone
            said += _BANNED_UNTIL[lang].format(until=state.banned_until.isoformat())
        return said
    cause = state.revoked_by
    if cause is None:
        return None
    if cause == "fraud" and found is not None:
        return _REVOKED[lang]["fraud"].format(on=found.isoformat())
    if cause == "ban" and state.banned_by is not None:
        said = _REVOKED[lang]["ban"].format(round=state.banned_by[0], claim=state.banned_by[1])
    elif cause == "objection":
        said = _REVOKED[lang]["objection"]
    else:  # not recorded how: the article alone
        said = _NOW[lang]["revoked"]
    if found is not None:
        said += _FRAUD_TOO[lang].format(on=found.isoformat())
    return said


def standing(state: AwardState, lang: Lang = "zh") -> str | None:
    """Where a committed award stands in the ledger now (rulings R9-R11): paid, still owed,
    held, or revoked, and by what (:func:`revocation`), with what was paid and what was
    clawed back. For a decision that granted nothing, a fraud finding on its claim and the
    ban it started (:func:`revocation`), else ``None``. One wording for ``qfund explain``
    and the report.

    Raises:
        ValueError: ``lang`` is not ``zh`` or ``en``.
    """
    check_lang("standing", lang)
    if state.status is None:
        return revocation(state, lang)
    status = revocation(state, lang) or _NOW[lang].get(state.status, state.status)
    paid = f"{format_wan(state.paid_yuan)} 万元"
    back = f"{format_wan(state.clawed_back_yuan)} 万元"
    if lang == "zh":
        return f"{status}; 拨付 {paid}, 收回 {back}"
    return f"{status}; paid {paid}, clawed back {back}"


_YUAN: dict[str, str] = {"zh": "元", "en": "yuan"}


def explain(
    decision: Decision, rules: RuleSet, lang: Lang = "zh", *, now: AwardState | None = None
) -> str:
    """The whole trace of one decision, with each cited clause quoted from the rule files.

    A decision of a round has its allocation shown; ``now`` (a ledger's
    :meth:`~qfund_rules.ledger.SqliteLedger.awards` row for it) adds where the award stands
    today: paid later, still owed, or revoked, with what was paid and clawed back.

    Raises:
        ValueError: ``lang`` is not ``zh`` or ``en``.
    """
    check_lang("explain", lang)
    zh = lang == "zh"
    clauses = ClauseBook(rules)
    lines = [
        f"{'申报' if zh else 'Claim'} {decision.claim_id} "
        f"({'申报单位' if zh else 'applicant'} {decision.applicant_id})",
        f"{'结论' if zh else 'Outcome'}: {OUTCOMES[lang][decision.outcome]}"
        + (f" {decision.item}" if decision.item else "")
        + (
            f", {format_wan(decision.amount_yuan)} 万元 ({decision.amount_yuan} {_YUAN[lang]})"
            if decision.amount_yuan
            else ""
        ),
        f"{'理由' if zh else 'Reasons'}: {', '.join(decision.reasons) or '-'}",
        f"{'依据' if zh else 'Articles'}: {', '.join(decision.citations) or '-'}",
        f"{'规则' if zh else 'Rules'}: {rules.version} ({rules.status})"
        f" sha256 {decision.rules_sha256}",
    ]
    if decision.draft:
        lines.append("注意:本决定依据征求意见稿作出" if zh else "Note: made under DRAFT rules")
    allocation = decision.allocation
    if allocation is not None and allocation.status is not None:
        status = _ALLOCATION[lang][allocation.status].format(year=allocation.year)
        lines.append(
            f"{'拨付' if zh else 'Allocation'}: {status}, {format_wan(allocation.amount_yuan)} 万元"
        )
    shown = None if now is None else standing(now, lang)
    if shown is not None:
        lines.append(f"{NOW_LABEL[lang]}: {shown}")
    lines.append("")
    for n, step in enumerate(decision.trace, 1):
        result = RESULTS[lang].get(step.result, step.result)
        lines.append(f"{n:>2}. [{step.step}] {step.rule} {step.citation}: {result}")
        lines.append(f"    {step.message_zh if zh else step.message_en}")
        lines.append(f"    {'读取事实' if zh else 'facts'}: {_facts(dict(step.facts))}")
        quoted = clauses.quote(step)
        if quoted:
            lines.append(f"    {'条文' if zh else 'clause'}: {step.citation} “{quoted}”")
    return "\n".join(lines) + "\n"


class ClauseBook:
    """The clause text a trace step rests on, quoted from the rule files."""

    def __init__(self, rules: RuleSet) -> None:
        self._rules = rules
        by_rule = {i.id: i.item.clause for i in rules.items}
        for ex in rules.exclusions.exclusions:
            by_rule[ex.code] = ex.clause
        e, a = rules.exclusions, rules.allocation
        by_rule["applicant.eligible"] = e.eligibility.clause
        by_rule["measures.in_force"] = e.validity.clause
        by_rule["applicant.not_banned"] = e.ban.clause
        # 第十三条's lead clause, or none: never the participation one that shares its citation.
        self._lead_clause = a.lead.clause
        self._by_rule = by_rule
        by_citation: dict[str, str] = {}
        for part in (a.participation, a.same_qualification, a.allocation, a.publicity, a.budgets):
            if part.clause:
                by_citation.setdefault(part.citation, part.clause)
        for cited in (e.validity, e.eligibility, e.ban):
            by_citation.setdefault(cited.citation, cited.clause)
        self._by_citation = by_citation

    def quote(self, step: TraceStep) -> str | None:
        """The clause of the article ``step`` cites, or ``None`` when there is none to quote.

        A step can name an item while citing another article (a 就高不就低 step names the
        item and cites 第二十条第(二)项): the clause quoted is that of the cited article.
        """
        if step.rule == "item.none":  # no item matched: there is no clause to quote
            return None
        if step.rule == "standard.one_lead" or (
            step.rule == "standard.authorship" and step.facts.get("role") == "lead"
        ):
            return self._lead_clause  # who leads a standard: the lead clause (allocation.yaml)
        by_rule = self._by_rule.get(step.rule)
        item = self._rules.by_id.get(step.rule)
        if by_rule is not None and (item is None or item.item.citation == step.citation):
            return by_rule
        return self._by_citation.get(step.citation)


def table(evaluation: Evaluation, lang: Lang = "zh") -> str:
    """A readable table of decisions, one line each, with totals.

    Raises:
        ValueError: ``lang`` is not ``zh`` or ``en``.
    """
    check_lang("table", lang)
    zh = lang == "zh"
    head = (
        ("申报", "单位", "结论", "事项", "金额(元)", "理由")
        if zh
        else ("claim", "applicant", "outcome", "item", "amount_yuan", "reasons")
    )
    rows: list[Sequence[str]] = [head]
    rows.extend(
        (
            d.claim_id,
            d.applicant_id,
            OUTCOMES[lang][d.outcome] if zh else d.outcome,
            d.item or "-",
            str(d.amount_yuan),
            ",".join(d.reasons) or "-",
        )
        for d in evaluation.decisions
    )
    widths = [max(_width(r[i]) for r in rows) for i in range(len(head))]
    out = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    total = sum(d.amount_yuan for d in evaluation.decisions)
    awarded = sum(1 for d in evaluation.decisions if d.outcome == "awarded")
    rules = evaluation.rules
    out.append("")
    if zh:
        out.append(
            f"共 {len(evaluation.decisions)} 项申报,予以奖励 {awarded} 项,合计 {total} 元"
            f"({format_wan(total)} 万元)"
        )
        out.append(f"规则 {rules['version']} ({rules['status']}) sha256 {rules['sha256']}")
    else:
        out.append(
            f"{len(evaluation.decisions)} claims, {awarded} awarded, "
            f"{total} yuan ({format_wan(total)} 万元) in all"
        )
        out.append(f"rules {rules['version']} ({rules['status']}) sha256 {rules['sha256']}")
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
