"""What changed between two rule sets, and what the change does to a batch of claims.

:func:`diff_rules` compares two loaded rule sets file by file: every item, condition,
citation, clause, amount (dated values, in 万元 and yuan), budget, policy switch and list
that differs, old and new side by side. Items are matched by id and exclusions by reason
code, so reordering the files is not a change; a change of a title or a name is
``wording``, which no decision's outcome, item or amount depends on. The diff also carries
the new rules' warnings, the very ones ``qfund validate`` lists (a budget under its floor,
a dated amount from after the measures expire). :func:`measure_impact` evaluates one batch
under both rule sets and lists every decision whose outcome, item or amount changes, with
the total awarded under each: what an amendment costs before it is made; and every new
dated amount that no claim of the batch reaches, which is why it changes nothing there.

The rule sets are compared as loaded (after validation), not as text: a change of comment
or layout only changes the sha256, and the diff says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from ._arguments import A_BATCH, check_lang, check_type
from .claims import Batch
from .decision import Decision, JSONValue, dumps
from .engine import evaluate
from .errors import Problem
from .explain import Lang
from .money import format_wan, wan_to_yuan
from .rules import RULE_FILES, RuleSet

__all__ = [
    "Change",
    "ChangeKind",
    "DecisionChange",
    "Impact",
    "RuleDiff",
    "UnreachedAmount",
    "diff_rules",
    "measure_impact",
]

#: What a change is about; the classes policy staff read the diff by. ``wording`` is a
#: name shown to people (an item's or an exclusion's title, an org type's or a region's
#: name): it changes what a trace says, never a decision's outcome, item or amount.
ChangeKind = Literal[
    "meta",
    "wording",
    "item",
    "condition",
    "citation",
    "clause",
    "amount",
    "budget",
    "policy",
    "list",
    "exclusion",
]

# Keys whose value is compared whole: a condition is one expression, a schedule of dated
# amounts one list (old and new shown side by side).
_WHOLE = frozenset({"when", "amounts"})
# Lists of records matched by a key rather than by position.
_RECORD_KEYS = {"items": "id", "exclusions": "code"}
_LISTS = frozenset({"industry", "org_types", "regions", "hami_unit_prefixes", "lists"})
_ITEM_FIELDS = frozenset({"kind", "family", "first_time", "id"})
# The names people read: a title of an item or an exclusion, and the zh/en of an org type's
# or a region's Name. Adding or removing the org type or region itself is a list change;
# adding or removing a credit list's name (list_names) is wording: no decision reads it.
_WORDING = frozenset({"title_zh", "title_en", "zh", "en"})


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the old and the new rule files."""

    file: str  # awards.yaml, exclusions.yaml or allocation.yaml
    kind: ChangeKind
    path: str  # items[a13.1.national].amounts, same_qualification.policy ...
    change: Literal["added", "removed", "changed"]
    old: JSONValue  # None when added
    new: JSONValue  # None when removed
    title: str | None = None  # the item's Chinese title, for changes inside an item
    title_en: str | None = None  # and its English one

    def to_dict(self) -> dict[str, JSONValue]:
        """The change as ``qfund diff --format json`` prints it."""
        return {
            "file": self.file,
            "kind": self.kind,
            "path": self.path,
            "title": self.title,
            "title_en": self.title_en,
            "change": self.change,
            "old": self.old,
            "new": self.new,
        }


def _brief(d: Decision) -> dict[str, JSONValue]:
    return {
        "outcome": d.outcome,
        "item": d.item,
        "amount_yuan": d.amount_yuan,
        "reasons": list(d.reasons),
    }


@dataclass(frozen=True, slots=True)
class DecisionChange:
    """A claim decided differently under the new rules."""

    old: Decision
    new: Decision

    @property
    def difference_yuan(self) -> int:
        """New amount minus old amount."""
        return self.new.amount_yuan - self.old.amount_yuan

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"claim_id", "applicant_id", "old", "new", "difference_yuan"}``."""
        return {
            "claim_id": self.old.claim_id,
            "applicant_id": self.old.applicant_id,
            "old": _brief(self.old),
            "new": _brief(self.new),
            "difference_yuan": self.difference_yuan,
        }


@dataclass(frozen=True, slots=True)
class UnreachedAmount:
    """A dated amount the new rules add that no claim of the batch reaches: none of the
    item's kind has its reference date (``achieved_on``, rulings R2) on or after ``from``,
    so no decision of this batch can change by it, whatever the amount."""

    item: str
    title: str
    title_en: str
    kind: str  # the claim kind the item pays
    from_: dt.date
    yuan: int
    #: The latest reference date of the batch's claims of that kind; None: it has none.
    latest_achieved_on: dt.date | None

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"item", "title", "title_en", "kind", "from", "wan", "yuan",
        "latest_achieved_on"}``."""
        latest = self.latest_achieved_on
        return {
            "item": self.item,
            "title": self.title,
            "title_en": self.title_en,
            "kind": self.kind,
            "from": self.from_.isoformat(),
            "wan": format_wan(self.yuan),
            "yuan": self.yuan,
            "latest_achieved_on": None if latest is None else latest.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Impact:
    """One batch evaluated under both rule sets."""

    claims: int
    changed: tuple[DecisionChange, ...]
    old_total_yuan: int
    new_total_yuan: int
    unreached: tuple[UnreachedAmount, ...] = ()

    @property
    def difference_yuan(self) -> int:
        """What the new rules award beyond (or below) the old ones."""
        return self.new_total_yuan - self.old_total_yuan

    def to_dict(self) -> dict[str, JSONValue]:
        """The impact as ``qfund diff --claims`` prints it."""
        return {
            "claims": self.claims,
            "changed": [c.to_dict() for c in self.changed],
            "old_total_yuan": self.old_total_yuan,
            "new_total_yuan": self.new_total_yuan,
            "difference_yuan": self.difference_yuan,
            "old_total_wan": format_wan(self.old_total_yuan),
            "new_total_wan": format_wan(self.new_total_yuan),
            "difference_wan": format_wan(self.difference_yuan),
            "unreached_amounts": [u.to_dict() for u in self.unreached],
        }


@dataclass(frozen=True, slots=True)
class RuleDiff:
    """The differences between two rule sets, and optionally their impact on a batch."""

    old: Mapping[str, str]  # identity(): version, status, sha256
    new: Mapping[str, str]
    changes: tuple[Change, ...]
    impact: Impact | None = None
    #: The new rules' warnings: the same problems ``qfund validate`` lists for them.
    warnings: tuple[Problem, ...] = ()

    @property
    def identical(self) -> bool:
        """Whether the rule files are byte for byte the same (same sha256)."""
        return self.old["sha256"] == self.new["sha256"]

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"old", "new", "identical", "changes", "warnings", "impact"}``; ``warnings`` as
        ``qfund validate --format json`` writes them, ``impact`` null without claims."""
        return {
            "old": dict(self.old),
            "new": dict(self.new),
            "identical": self.identical,
            "changes": [c.to_dict() for c in self.changes],
            "warnings": [str(w) for w in self.warnings],
            "impact": None if self.impact is None else self.impact.to_dict(),
        }

    def to_json(self) -> str:
        """Deterministic JSON text."""
        return dumps(self.to_dict())

    def to_text(self, lang: Lang = "zh") -> str:
        """The diff for people: each change with old and new side by side, then the impact.

        Raises:
            ValueError: ``lang`` is not ``zh`` or ``en``.
        """
        check_lang("RuleDiff.to_text", lang)
        return _Text(lang).render(self)


def diff_rules(old: RuleSet, new: RuleSet) -> RuleDiff:
    """Every difference between ``old`` and ``new``, in file order, and the warnings of
    ``new`` (those it was loaded with, as ``qfund validate`` lists them).

    Raises:
        TypeError: ``old`` or ``new`` is not a RuleSet (a directory: load it first).
    """
    _check_rule_sets("diff_rules", old, new)
    changes: list[Change] = []
    for name in RULE_FILES:
        _walk(name, "", _data(old, name), _data(new, name), changes, None)
    titles = {**_titles(old), **_titles(new)}
    changes = [_titled(c, titles) for c in changes]
    return RuleDiff(
        old=old.identity(), new=new.identity(), changes=tuple(changes), warnings=new.warnings
    )


def measure_impact(
    old: RuleSet, new: RuleSet, batch: Batch, new_batch: Batch | None = None
) -> Impact:
    """Decide ``batch`` under both rule sets; list the decisions whose outcome, item or
    amount differ, the totals awarded, and the dated amounts ``new`` adds that no claim of
    the batch reaches (:class:`UnreachedAmount`).

    ``batch`` is loaded by ``old``; ``new_batch`` is the same batch loaded by ``new``, when
    their readings differ (a standard number's level depends on the industry codes, a late
    honour on ``achieved_by_submission``); by default ``batch`` is used.

    Raises:
        TypeError: ``old`` or ``new`` is not a RuleSet, ``batch`` (or ``new_batch``) not a
            Batch the loader returned.
        ValueError: a batch loaded under other readings than the rules it is decided by
            (as :func:`~qfund_rules.engine.evaluate`).
    """
    _check_rule_sets("measure_impact", old, new)
    check_type(TypeError, "measure_impact", "batch", batch, Batch, A_BATCH)
    what = f"{A_BATCH} or None"
    check_type(TypeError, "measure_impact", "new_batch", new_batch, (Batch, type(None)), what)
    before = evaluate(old, batch).decisions
    after = {d.claim_id: d for d in evaluate(new, new_batch or batch).decisions}
    changed = [
        DecisionChange(d, after[d.claim_id]) for d in before if _key(d) != _key(after[d.claim_id])
    ]
    return Impact(
        claims=len(before),
        changed=tuple(changed),
        old_total_yuan=sum(d.amount_yuan for d in before),
        new_total_yuan=sum(d.amount_yuan for d in after.values()),
        unreached=_unreached(old, new, new_batch or batch),
    )


def _unreached(old: RuleSet, new: RuleSet, batch: Batch) -> tuple[UnreachedAmount, ...]:
    """The dated amounts ``new`` adds (or sets anew) that no claim of ``batch`` reaches.

    A claim takes the amount in force on its reference date (rulings R2), so a value from a
    date after every claim of its item's kind is decided by no claim of this batch. One
    from after the measures expire is left to the new rules' own warning (it never
    applies, whatever the batch).
    """
    latest: dict[str, dt.date] = {}
    for claim in batch.claims:
        if claim.achieved_on > latest.get(claim.kind, dt.date.min):
            latest[claim.kind] = claim.achieved_on
    found: list[UnreachedAmount] = []
    for c in new.items:
        before = old.by_id.get(c.id)
        had = set() if before is None else set(before.dated_amounts)
        reached = latest.get(c.item.kind)
        for day, yuan in c.dated_amounts:
            if (day, yuan) in had or day > new.effective_until:
                continue
            if reached is None or reached < day:
                title, title_en = c.item.title_zh, c.item.title_en
                found.append(
                    UnreachedAmount(c.id, title, title_en, c.item.kind, day, yuan, reached)
                )
    return tuple(found)


def _check_rule_sets(where: str, old: object, new: object) -> None:
    what = "a RuleSet (q.load_rules(directory))"
    check_type(TypeError, where, "old", old, RuleSet, what)
    check_type(TypeError, where, "new", new, RuleSet, what)


def _key(d: Decision) -> tuple[str, str | None, int]:
    return (d.outcome, d.item, d.amount_yuan)


# --- comparing the files ----------------------------------------------------------------


def _data(rules: RuleSet, name: str) -> dict[str, Any]:
    """One file's loaded model as plain data, money normalised to ``{"wan", "yuan"}``."""
    model = {
        "awards.yaml": rules.awards,
        "exclusions.yaml": rules.exclusions,
        "allocation.yaml": rules.allocation,
    }[name]
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    if name == "awards.yaml":
        for item in data["items"]:
            item["amounts"] = [{"from": a["from"], **_money(a["wan"])} for a in item["amounts"]]
    elif name == "allocation.yaml":
        budgets = data["budgets"]
        budgets["minimum_wan"] = _money(budgets["minimum_wan"])
        budgets["by_year"] = {y: _money(w) for y, w in budgets["by_year"].items()}
    return data


def _money(wan: str) -> dict[str, JSONValue]:
    # Compared as yuan: `20` and `20.00` 万元 are the same amount (rulings R1).
    yuan = wan_to_yuan(Decimal(wan))
    return {"wan": format_wan(yuan), "yuan": yuan}


def _walk(file: str, path: str, old: Any, new: Any, out: list[Change], last: str | None) -> None:
    if old == new:
        return
    if last not in _WHOLE and _branch(old) and _branch(new):
        _pairs(file, path, old, new, out, lambda k: f"{path}.{k}" if path else str(k))
        return
    record_key = _RECORD_KEYS.get(last or "")
    if record_key and isinstance(old, list) and isinstance(new, list):
        keyed_old = {r[record_key]: r for r in old}
        keyed_new = {r[record_key]: r for r in new}
        _pairs(file, path, keyed_old, keyed_new, out, lambda k: f"{path}[{k}]")
        return
    out.append(Change(file, _kind(path, last), path, "changed", old, new))


def _branch(value: Any) -> bool:
    """Whether ``value`` is compared key by key (an amount in 万元 and yuan is one value)."""
    return isinstance(value, dict) and set(value) != {"wan", "yuan"}


def _pairs(
    file: str,
    path: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    out: list[Change],
    sub: Callable[[str], str],
) -> None:
    for k in [*old, *(k for k in new if k not in old)]:
        where = sub(k)
        last = str(k)
        if k not in new:
            out.append(Change(file, _kind(where, last), where, "removed", old[k], None))
        elif k not in old:
            out.append(Change(file, _kind(where, last), where, "added", None, new[k]))
        else:
            _walk(file, where, old[k], new[k], out, last)


def _kind(path: str, last: str | None) -> ChangeKind:
    """Which class of change ``path`` is, for policy staff reading the diff."""
    head = path.split(".", 1)[0].split("[", 1)[0]
    if head == "budgets" and last not in ("citation", "clause"):
        return "budget"
    if last == "amounts":
        return "amount"
    if last == "when":
        return "condition"
    if last == "citation":
        return "citation"
    if last == "clause":
        return "clause"
    if last in _WORDING:
        return "wording"
    if head in ("version", "status", "measures"):
        return "meta"
    segments = path.replace("[", ".").split(".")
    if head == "items" and (path.endswith("]") or last in _ITEM_FIELDS):
        return "item"
    if head == "exclusions" and (path.endswith("]") or last in ("code", "check")):
        return "exclusion"
    if "list_names" in segments:
        return "wording"
    if _LISTS.intersection(segments):
        return "list"
    return "policy"


def _titles(rules: RuleSet) -> dict[str, tuple[str, str]]:
    return {i.id: (i.item.title_zh, i.item.title_en) for i in rules.items}


def _titled(change: Change, titles: Mapping[str, tuple[str, str]]) -> Change:
    if not change.path.startswith("items["):
        return change
    item = change.path[len("items[") :].split("]", 1)[0]
    title = titles.get(item)
    if title is None:
        return change
    return replace(change, title=title[0], title_en=title[1])


# --- text -------------------------------------------------------------------------------

_T: Mapping[str, tuple[str, str]] = {
    "head": ("规则集差异", "Rule-set diff"),
    "old": ("旧", "old"),
    "new": ("新", "new"),
    "identical": ("两套规则文件完全相同", "the rule files are identical"),
    "wording_only": (
        "均为措辞变更:任何决定的结果、奖项和金额都不因此改变",
        "wording only: no decision's outcome, item or amount changes by it",
    ),
    "warnings": (
        "新规则的警告(qfund validate 同样列出)",
        "Warnings of the new rules (as qfund validate lists them)",
    ),
    "unreached": ("批次中没有申报用到的新金额", "New amounts no claim of the batch reaches"),
    "layout": (
        "规则内容无变化:文件仅在注释或排版上不同(sha256 不同)",
        "no rule changed: the files differ only in comments or layout (the sha256 differs)",
    ),
    "changes": ("项变更", "changes"),
    "added": ("新增", "added"),
    "removed": ("删除", "removed"),
    "changed": ("修改", "changed"),
    "impact": ("对申报的影响", "Impact on the claims"),
    "claims": ("项申报", "claims"),
    "no_change": ("没有决定改变", "no decision changes"),
    "total": ("奖励合计", "Total awarded"),
    "difference": ("差额", "difference"),
    "from": ("起", "from"),
    "none": ("无", "none"),
}


class _Text:
    def __init__(self, lang: Lang) -> None:
        self.zh = lang == "zh"

    def t(self, key: str) -> str:
        zh, en = _T[key]
        return zh if self.zh else en

    def yuan(self, amount: int, sign: bool = False) -> str:
        n = f"{amount:+,}" if sign else f"{amount:,}"
        wan = format_wan(amount)
        if sign and amount >= 0:
            wan = "+" + wan
        return f"{wan} 万元 ({n} {'元' if self.zh else 'yuan'})"

    def value(self, kind: str, value: JSONValue) -> str:
        if value is None:
            return "—"
        if kind == "amount" and isinstance(value, list):
            return "; ".join(self._dated(v) for v in value if isinstance(v, dict))
        if isinstance(value, dict) and set(value) == {"wan", "yuan"}:
            yuan = value["yuan"]
            return self.yuan(yuan) if isinstance(yuan, int) else str(value)
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def _dated(self, v: Mapping[str, JSONValue]) -> str:
        yuan = v.get("yuan")
        money = self.yuan(yuan) if isinstance(yuan, int) else "?"
        if self.zh:
            return f"{v.get('from')} 起 {money}"
        return f"from {v.get('from')}: {money}"

    def render(self, diff: RuleDiff) -> str:
        lines = [f"{self.t('head')}"]
        for side in ("old", "new"):
            ident: Mapping[str, str] = getattr(diff, side)
            lines.append(
                f"  {self.t(side)}: {ident['version']} ({ident['status']}) sha256 {ident['sha256']}"
            )
        lines.append("")
        if diff.identical:
            lines.append(self.t("identical"))
        elif not diff.changes:
            lines.append(self.t("layout"))
        else:
            n = len(diff.changes)
            lines.append(f"{n} {self.t('changes') if n != 1 or self.zh else 'change'}")
            if all(c.kind == "wording" for c in diff.changes):
                lines.append(self.t("wording_only"))
        file = None
        for c in diff.changes:
            if c.file != file:
                file = c.file
                lines.append("")
                lines.append(file)
            named = c.title if self.zh else c.title_en
            title = f" {named}" if named else ""
            lines.append(f"  [{c.kind}] {c.path}{title} ({self.t(c.change)})")
            lines.append(f"    {self.t('old')}: {self.value(c.kind, c.old)}")
            lines.append(f"    {self.t('new')}: {self.value(c.kind, c.new)}")
        if diff.warnings:
            lines.extend(["", self.t("warnings")])
            lines.extend(f"  {w}" for w in diff.warnings)
        if diff.impact is not None:
            lines.extend(self.impact(diff.impact))
        return "\n".join(lines) + "\n"

    def impact(self, impact: Impact) -> Sequence[str]:
        lines = ["", f"{self.t('impact')} ({impact.claims} {self.t('claims')})"]
        if not impact.changed:
            lines.append(f"  {self.t('no_change')}")
        lines.extend(
            f"  {c.old.claim_id} ({c.old.applicant_id}): {self._decision(c.old)}"
            f" -> {self._decision(c.new)}   {self.yuan(c.difference_yuan, sign=True)}"
            for c in impact.changed
        )
        lines.append(
            f"  {self.t('total')}: {self.t('old')} {self.yuan(impact.old_total_yuan)}"
            f", {self.t('new')} {self.yuan(impact.new_total_yuan)}"
            f", {self.t('difference')} {self.yuan(impact.difference_yuan, sign=True)}"
        )
        if impact.unreached:
            lines.append(f"  {self.t('unreached')}")
            lines.extend(f"    {self._unreached(u)}" for u in impact.unreached)
        return lines

    def _unreached(self, u: UnreachedAmount) -> str:
        title = u.title if self.zh else u.title_en
        amount = self._dated({"from": u.from_.isoformat(), "yuan": u.yuan})
        last = u.latest_achieved_on
        if self.zh:
            why = (
                f"批次中没有 {u.kind} 类申报"
                if last is None
                else f"批次中 {u.kind} 类申报的取得日期最晚为 {last},早于 {u.from_}"
            )
        else:
            why = (
                f"the batch has no {u.kind} claim"
                if last is None
                else f"the batch's latest {u.kind} claim was achieved on {last}, before {u.from_}"
            )
        return f"items[{u.item}] {title}: {amount}; {why}"

    def _decision(self, d: Decision) -> str:
        reasons = f" [{', '.join(d.reasons)}]" if d.reasons else ""
        return f"{d.outcome} {d.item or '-'} {d.amount_yuan:,}{reasons}"
