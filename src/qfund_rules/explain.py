"""Render decisions for people: one decision's trace as an auditor reads it, or a table.

Rendering only: the decisions and traces are data (:mod:`qfund_rules.decision`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .decision import Decision, Evaluation, JSONValue
from .money import format_wan
from .rules import RuleSet

__all__ = ["Lang", "explain", "table"]

Lang = Literal["zh", "en"]

_OUTCOMES = {
    "zh": {"awarded": "予以奖励", "rejected": "不予奖励", "superseded": "就高不就低,不另奖励"},
    "en": {"awarded": "awarded", "rejected": "rejected", "superseded": "superseded"},
}
_RESULTS = {
    "zh": {
        "pass": "通过",
        "fail": "未通过",
        "match": "相符",
        "no_match": "不符",
        "top_up": "补差",
        "superseded": "被更高奖励取代",
    },
    "en": {
        "pass": "pass",
        "fail": "FAIL",
        "match": "match",
        "no_match": "no match",
        "top_up": "top-up",
        "superseded": "superseded",
    },
}


def _facts(facts: dict[str, JSONValue]) -> str:
    return ", ".join(f"{k}={v}" for k, v in facts.items()) or "-"


def explain(decision: Decision, rules: RuleSet, lang: Lang = "zh") -> str:
    """The whole trace of one decision, with each cited clause quoted from the rule files."""
    zh = lang == "zh"
    clauses = _clauses(rules)
    lines = [
        f"{'申报' if zh else 'Claim'} {decision.claim_id} "
        f"({'申报单位' if zh else 'applicant'} {decision.applicant_id})",
        f"{'结论' if zh else 'Outcome'}: {_OUTCOMES[lang][decision.outcome]}"
        + (f" {decision.item}" if decision.item else "")
        + (
            f", {format_wan(decision.amount_yuan)} 万元 ({decision.amount_yuan} 元)"
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
    lines.append("")
    for n, step in enumerate(decision.trace, 1):
        result = _RESULTS[lang].get(step.result, step.result)
        lines.append(f"{n:>2}. [{step.step}] {step.rule} {step.citation}: {result}")
        lines.append(f"    {step.message_zh if zh else step.message_en}")
        lines.append(f"    {'读取事实' if zh else 'facts'}: {_facts(dict(step.facts))}")
        quoted = clauses.get(step.rule)
        if quoted and step.result in ("match", "fail", "pass", "top_up", "superseded"):
            lines.append(f"    {'条文' if zh else 'clause'}: {step.citation} “{quoted}”")
    return "\n".join(lines) + "\n"


def _clauses(rules: RuleSet) -> dict[str, str]:
    out = {i.id: i.item.clause for i in rules.items}
    for ex in rules.exclusions.exclusions:
        out[ex.code] = ex.clause
    out["applicant.eligible"] = rules.exclusions.eligibility.clause
    out["measures.in_force"] = rules.exclusions.validity.clause
    out["applicant.not_banned"] = rules.exclusions.ban.clause
    return out


def table(evaluation: Evaluation, lang: Lang = "zh") -> str:
    """A readable table of decisions, one line each, with totals."""
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
            _OUTCOMES[lang][d.outcome] if zh else d.outcome,
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
