"""Decisions as one self-contained HTML page, for auditors and policy staff.

:func:`render_report` turns an :class:`~qfund_rules.decision.Evaluation` or a round's
:class:`~qfund_rules.allocation.RoundResult` into a single HTML file: inline CSS and a small
inline script, nothing fetched (a Content-Security-Policy of ``default-src 'none'`` and the
hashes of the page's own script and style enforce it), readable from disk and printable.
It holds a summary, a table of decisions filterable by outcome, kind, item and applicant
and sortable by amount, and per decision its whole trace with the clauses quoted from the
rule files; given a ledger's awards, where each award of a recorded round stands now, and
what was revoked, clawed back and released since, in total.
Every piece of input text goes through :func:`html.escape`; the script only reads
``data-`` attributes and never writes markup. The same input gives the same bytes.

The page reads its filter from the URL fragment, so a link can name a view:
``report.html#outcome=rejected&kind=standard&item=a13.2.national&applicant=A06``
``&sort=amount-desc&open=K21`` (``item=-``: claims that matched no item).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TypeVar
from urllib.parse import quote

from ._arguments import A_BATCH, A_RULESET, check_lang, check_type, given
from ._report_assets import ALLOCATIONS, CSS, JS, KINDS, LABELS, OUTCOME_ORDER, STEPS
from .allocation import CarriedAward, RoundResult, UnseenKey
from .claims import Applicant, Batch, ClaimBase
from .decision import Allocation, Decision, Evaluation, TraceStep
from .errors import QfundError
from .explain import NOW_LABEL, OUTCOMES, RESULTS, ClauseBook, Lang, fact_text, standing
from .ledger import AwardState, SinceRound
from .money import format_wan
from .rules import ITEM_IDS, RuleSet

__all__ = ["render_report"]

T = TypeVar("T")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


# Nothing may be fetched; only this page's own script and style run (defence in depth
# beside escaping: an injected <script> would not match the hash).
_CSP = (
    f"default-src 'none'; script-src {_csp_hash(JS)}; style-src {_csp_hash(CSS)}; "
    "img-src data:; form-action 'none'; base-uri 'none'"
)


def render_report(
    result: Evaluation | RoundResult,
    rules: RuleSet,
    batch: Batch,
    *,
    lang: Lang = "zh",
    now: Iterable[AwardState] = (),
    unseen: Iterable[UnseenKey] = (),
) -> str:
    """The decisions of ``result`` as one self-contained HTML page, in ``lang``.

    ``rules`` must be the rule set that made ``result`` (its clauses are quoted in the
    traces) and ``batch`` the claims it decided (kinds, applicants' names, dates). ``now``
    (a ledger's :meth:`~qfund_rules.ledger.SqliteLedger.awards`) adds where each award of
    the batch's round, and each award carried in, stands today, as ``qfund explain
    --ledger`` shows it: paid, still owed, held, or revoked, with what was paid and
    clawed back, and the summary totals them (:meth:`~qfund_rules.ledger.SinceRound.tally`:
    revoked, clawed back and released since the round). Rows of other rounds are not
    shown. ``unseen`` (:func:`~qfund_rules.allocation.unseen_keys`) lists applicants the
    ledger knows by another key, whose earlier awards and bans were not counted: shown at
    the top of the page and in their claims' traces, as ``qfund round`` notes them.

    Raises:
        QfundError: ``result`` was made by another rule set than ``rules``.
        TypeError: an argument is not of its type (they come as ``result, rules, batch``).
        ValueError: ``lang`` is not ``zh`` or ``en``.
    """
    order = ", in the order (result, rules, batch)"
    what = "an Evaluation (q.evaluate(...)) or a RoundResult (q.run_round(...))" + order
    check_type(TypeError, "render_report", "result", result, (Evaluation, RoundResult), what)
    check_type(TypeError, "render_report", "rules", rules, RuleSet, A_RULESET + order)
    check_type(TypeError, "render_report", "batch", batch, Batch, A_BATCH + order)
    check_lang("render_report", lang)
    states = _states(now)
    notes = _unseen(unseen)
    made_by = result.rules.get("sha256")
    if made_by != rules.sha256:
        raise QfundError(
            f"the decisions were made by rule set sha256 {made_by}, not by the rules given "
            f"({rules.sha256}): the report would quote the wrong clauses"
        )
    return _Page(result, rules, batch, lang, states, notes).render()


def _listed(name: str, value: object, kind: type[T], what: str) -> list[T]:
    """An iterable argument's items; a TypeError unless each is a ``kind``."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(
            f"render_report: {name} must be an iterable of {kind.__name__} ({what}), "
            f"not {given(value)}"
        )
    items: list[T] = []
    for i, item in enumerate(value):
        if not isinstance(item, kind):
            raise TypeError(
                f"render_report: {name}[{i}] must be an {kind.__name__}, not {given(item)}"
            )
        items.append(item)
    return items


def _states(now: object) -> dict[tuple[int, str], AwardState]:
    """``now`` by (round, claim id)."""
    states = _listed("now", now, AwardState, "ledger.awards()")
    return {(s.round, s.claim_id): s for s in states}


def _known(
    states: Mapping[tuple[int, str], AwardState], keys: Iterable[tuple[int, str]]
) -> list[AwardState]:
    """The ledger's rows for ``keys`` (round, claim id), those it holds."""
    return [states[k] for k in keys if k in states]


def _unseen(unseen: object) -> dict[str, UnseenKey]:
    """``unseen`` by applicant id."""
    notes = _listed("unseen", unseen, UnseenKey, "unseen_keys(batch, ledger)")
    return {u.applicant_id: u for u in notes}


class _Page:
    """One report being written; ``parts`` collects the HTML text."""

    def __init__(
        self,
        result: Evaluation | RoundResult,
        rules: RuleSet,
        batch: Batch,
        lang: Lang,
        states: Mapping[tuple[int, str], AwardState],
        notes: Mapping[str, UnseenKey],
    ) -> None:
        self.result = result
        self.rules = rules
        self.batch = batch
        self.lang = lang
        self.zh = lang == "zh"
        self.claims: dict[str, ClaimBase] = {c.id: c for c in batch.claims}
        self.applicants: dict[str, Applicant] = {a.id: a for a in batch.applicants}
        self.clauses = ClauseBook(rules)
        self.round = result if isinstance(result, RoundResult) else None
        self.states = states
        self.notes = notes
        # A table has a "now" column when the ledger knows one of its awards: the decisions
        # of a recorded round, the awards a round carries in (not yet those of a dry run).
        self.with_now = any((batch.round, d.claim_id) in states for d in result.decisions)
        carried = self.round.carried_in if self.round is not None else ()
        self.carried_now = any((c.round, c.claim_id) in states for c in carried)
        # What the ledger recorded since the round, totalled from the rows the table shows.
        self.since = (
            SinceRound.tally(
                _known(states, ((batch.round, d.claim_id) for d in result.decisions)),
                _known(states, ((c.round, c.claim_id) for c in carried)),
            )
            if self.with_now or self.carried_now
            else None
        )
        self.parts: list[str] = []

    # --- text helpers -------------------------------------------------------------------

    def t(self, key: str) -> str:
        zh, en = LABELS[key]
        return zh if self.zh else en

    def pick(self, table: Mapping[str, tuple[str, str]], key: str) -> str:
        pair = table.get(key)
        if pair is None:
            return key
        return pair[0] if self.zh else pair[1]

    def yuan(self, amount: int) -> str:
        return f"{amount:,} 元" if self.zh else f"{amount:,} yuan"

    def money(self, amount: int) -> str:
        return f"{self.yuan(amount)} ({format_wan(amount)} 万元)"

    def item_title(self, item_id: str | None) -> str:
        if item_id is None:
            return ""
        compiled = self.rules.by_id.get(item_id)
        if compiled is None:
            return ""
        return compiled.item.title_zh if self.zh else compiled.item.title_en

    def outcome(self, outcome: str) -> str:
        return OUTCOMES[self.lang].get(outcome, outcome)

    def w(self, *texts: str) -> None:
        self.parts.extend(texts)

    # --- the page -----------------------------------------------------------------------

    def render(self) -> str:
        identity = self.result.rules
        title = self.t("title")
        self.w(
            "<!DOCTYPE html>\n",
            f'<html lang="{"zh-CN" if self.zh else "en"}">\n<head>\n<meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{escape(_CSP)}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="referrer" content="no-referrer">\n',
            f"<title>{escape(title)} {escape(str(self.batch.round))}</title>\n",
            f"<style>{CSS}</style>\n</head>\n<body>\n",
        )
        if identity.get("status") == "draft":
            self.w(
                '<div class="draft" id="draft-banner" role="note"><b>DRAFT · 征求意见稿</b>',
                escape(self.t("draft")),
                "</div>\n",
            )
        self.w(
            f"<header>\n<h1>{escape(title)}</h1>\n",
            f'<p class="sub">{escape(self.t("round_of"))} {escape(str(self.batch.round))}'
            f" · {escape(self.rules.awards.measures)}</p>\n",
        )
        self._ruleset(identity)
        self.w("</header>\n")
        self._notes()
        self._summary()
        self._table()
        self._carried()
        self._traces()
        self.w(f"<script>{JS}</script>\n</body>\n</html>\n")
        return "".join(self.parts)

    def _ruleset(self, identity: Mapping[str, str]) -> None:
        r = self.rules
        status = identity.get("status", "")
        shown_status = status
        if status == "draft":
            shown_status = "draft · 征求意见稿"
        rows = [
            (self.t("version"), escape(identity.get("version", ""))),
            (self.t("status"), f'<span id="rules-status">{escape(shown_status)}</span>'),
            ("sha256", f'<code id="rules-sha256">{escape(identity.get("sha256", ""))}</code>'),
            (self.t("in_force"), f"{r.effective_from} {escape(self.t('to'))} {r.effective_until}"),
        ]
        self.w(f'<dl class="meta" aria-label="{escape(self.t("ruleset"))}">\n')
        for label, value in rows:
            self.w(f"<dt>{escape(label)}</dt><dd>{value}</dd>\n")
        self.w("</dl>\n")

    def _notes(self) -> None:
        """Applicants the ledger knows by another key: their history was not counted."""
        if not self.notes:
            return
        self.w(
            f'<section id="ledger-notes" class="notes" role="note">\n'
            f"<h2>{escape(self.t('unseen'))}</h2>\n<ul>\n"
        )
        for u in self.notes.values():
            self.w(f'<li data-applicant="{escape(u.applicant_id)}">')
            self.w(f"{escape(u.to_text(self.lang))}</li>\n")
        self.w("</ul>\n</section>\n")

    def _summary(self) -> None:
        decisions = self.result.decisions
        counts = {o: sum(1 for d in decisions if d.outcome == o) for o in OUTCOME_ORDER}
        total = sum(d.amount_yuan for d in decisions)
        self.w(
            f'<section id="summary">\n<h2>{escape(self.t("summary"))}</h2>\n',
            '<table class="summary"><tbody>\n',
        )
        rows: list[tuple[str, str, str]] = [("claims", self.t("claims"), str(len(decisions)))]
        rows.extend((o, self.outcome(o), str(counts[o])) for o in OUTCOME_ORDER)
        rows.append(("total", self.t("total"), escape(self.money(total))))
        if self.round is not None:
            s = self.round.summary
            rows.extend(
                [
                    ("year", self.t("year"), str(s.year)),
                    ("budget", self.t("budget"), escape(self.money(s.budget_yuan))),
                    ("carried_in", self.t("carried_in"), escape(self.money(s.carried_in_yuan))),
                    ("paid", self.t("paid"), escape(self.money(s.paid_yuan))),
                    ("deferred", self.t("deferred"), escape(self.money(s.deferred_yuan))),
                    ("held", self.t("held"), escape(self.money(s.held_yuan))),
                ]
            )
            p = s.publicity
            if p is None:
                rows.append(("publicity", self.t("publicity"), escape(self.t("none_set"))))
            else:
                rows.append(
                    (
                        "publicity",
                        self.t("publicity"),
                        f"{p.start} {escape(self.t('to'))} {p.end}; "
                        f"{escape(self.t('disburse_from'))} {p.disburse_from}",
                    )
                )
        for key, label, value in rows:
            self.w(
                f'<tr id="sum-{key}"><th scope="row">{escape(label)}</th>'
                f'<td class="num">{value}</td></tr>\n'
            )
        if self.since is not None:
            since = self.since
            totals = (
                ("since_revoked", since.revoked_yuan),
                ("since_revoked_objection", since.revoked_by_objection_yuan),
                ("since_clawed_back", since.clawed_back_yuan),
                ("since_released", since.released_yuan),
            )
            for key, yuan in totals:
                self.w(
                    f'<tr id="sum-{key}"><th scope="row">'
                    f'{escape(self.t(key))}</th><td class="num" data-yuan="{yuan}">'
                    f"{escape(self.money(yuan))}</td></tr>\n"
                )
        self.w("</tbody></table>\n</section>\n")

    def _options(self, name: str, label: str, values: Iterable[tuple[str, str]]) -> None:
        self.w(f'<label>{escape(label)}<select name="{name}" id="f-{name}">')
        self.w(f'<option value="">{escape(self.t("all"))}</option>')
        for value, text in values:
            self.w(f'<option value="{escape(value)}">{escape(text)}</option>')
        self.w("</select></label>\n")

    def _table(self) -> None:
        decisions = self.result.decisions
        kinds = sorted({c.kind for c in self.claims.values()}, key=_kind_order)
        items = sorted({d.item for d in decisions if d.item}, key=_item_order)
        with_alloc = self.round is not None
        self.w(
            f'<section id="decisions-section">\n<h2>{escape(self.t("decisions"))}</h2>\n',
            f'<form class="filters" id="filters" aria-label="{escape(self.t("filter"))}">\n',
        )
        self._options("outcome", self.t("outcome"), ((o, self.outcome(o)) for o in OUTCOME_ORDER))
        self._options("kind", self.t("kind"), ((k, f"{self.pick(KINDS, k)} ({k})") for k in kinds))
        item_options = [(i, f"{i} {self.item_title(i)}") for i in items]
        if any(d.item is None for d in decisions):
            item_options.append(("-", self.t("no_item")))
        self._options("item", self.t("item"), item_options)
        self.w(
            f"<label>{escape(self.t('applicant'))}"
            '<input type="search" name="applicant" id="f-applicant" autocomplete="off"></label>\n',
            f'<button type="reset">{escape(self.t("clear"))}</button>\n',
            f'<p class="sub">{escape(self.t("shown"))} <output id="shown">{len(decisions)}</output>'
            f' {escape(self.t("of"))} <span id="total-rows">{len(decisions)}</span></p>\n',
            "</form>\n",
            '<table id="decisions">\n<thead><tr>',
            f"<th>{escape(self.t('claim'))}</th><th>{escape(self.t('applicant'))}</th>",
            f"<th>{escape(self.t('kind'))}</th><th>{escape(self.t('item'))}</th>",
            f"<th>{escape(self.t('outcome'))}</th>",
            f'<th class="num" id="amount-head" aria-sort="none"><button type="button" '
            f'id="sort-amount" title="{escape(self.t("sort_hint"))}">'
            f"{escape(self.t('amount'))} ⇅</button></th>",
            f'<th class="num">{escape(self.t("wan"))}</th>',
        )
        if with_alloc:
            self.w(f"<th>{escape(self.t('allocation'))}</th>")
        if self.with_now:
            self.w(f"<th>{escape(NOW_LABEL[self.lang])}</th>")
        self.w(f'<th>{escape(self.t("reasons"))}</th></tr></thead>\n<tbody id="rows">\n')
        for n, d in enumerate(decisions):
            self._row(n, d, with_alloc)
        self.w("</tbody>\n</table>\n</section>\n")

    def _applicant_text(self, applicant_id: str) -> tuple[str, str]:
        """(name, search text) of an applicant."""
        a = self.applicants.get(applicant_id)
        if a is None:
            return "", applicant_id
        return a.name, " ".join(x for x in (a.id, a.name, a.uscc or "") if x)

    def _row(self, n: int, d: Decision, with_alloc: bool) -> None:
        claim = self.claims.get(d.claim_id)
        kind = claim.kind if claim is not None else ""
        name, search = self._applicant_text(d.applicant_id)
        attrs = {
            "id": f"row-{d.claim_id}",
            "data-claim": d.claim_id,
            "data-outcome": d.outcome,
            "data-kind": kind,
            "data-item": d.item or "-",
            "data-applicant": search,
            "data-amount": str(d.amount_yuan),
            "data-order": str(n),
        }
        self.w("<tr", "".join(f' {k}="{escape(v)}"' for k, v in attrs.items()), ">")
        self.w(
            # The script decodes the fragment: a % in an id must stay a %.
            f'<td><a href="#trace-{escape(quote(d.claim_id, safe=""))}" class="mono">'
            f"{escape(d.claim_id)}</a></td>",
            f'<td><span class="mono">{escape(d.applicant_id)}</span> {escape(name)}</td>',
            f"<td>{escape(self.pick(KINDS, kind) if kind else '')}</td>",
            "<td>",
            f'<code>{escape(d.item)}</code> <span class="sub">{escape(self.item_title(d.item))}'
            "</span>"
            if d.item
            else "-",
            "</td>",
            f'<td class="o-{escape(d.outcome)}">{escape(self.outcome(d.outcome))}</td>',
            f'<td class="num">{d.amount_yuan:,}</td>',
            f'<td class="num">{escape(format_wan(d.amount_yuan))}</td>',
        )
        if with_alloc:
            self.w(f"<td>{escape(self._allocation(d))}</td>")
        if self.with_now:
            self.w(self._now_cell(self.batch.round, d.claim_id))
        reasons = ", ".join(d.reasons) or "-"
        self.w(f'<td class="mono">{escape(reasons)}</td></tr>\n')

    def _allocation(self, d: Decision) -> str:
        return "-" if d.allocation is None else self._status(d.allocation)

    def _standing(self, round_year: int, claim_id: str) -> str | None:
        """Where the award stands in the ledger now, or ``None`` when it is not known."""
        state = self.states.get((round_year, claim_id))
        return None if state is None else standing(state, self.lang)

    def _now_cell(self, round_year: int, claim_id: str) -> str:
        """The "now" cell of a row: an award revoked for fraud stands out in red, and so do
        one an upheld objection revoked before fraud was found on it too and a claim never
        awarded that fraud was found on (its ban runs); one revoked because an objection was
        upheld (第二十二条), no finding against the applicant, less."""
        state = self.states.get((round_year, claim_id))
        revoked = ""
        if state is not None:
            if state.fraud_found_on is not None or state.revoked_by in ("fraud", "ban"):
                revoked = " now-revoked"
            elif state.revoked_by == "objection":
                revoked = " now-upheld"
        shown = self._standing(round_year, claim_id) or "-"
        return f'<td class="now{revoked}">{escape(shown)}</td>'

    def _status(self, a: Allocation) -> str:
        if a.status is None:
            return "-"
        return self.pick(ALLOCATIONS, a.status).format(year=a.year, next=a.year + 1)

    def _carried(self) -> None:
        if self.round is None or not self.round.carried_in:
            return
        self.w(
            f'<section id="carried">\n<h2>{escape(self.t("carried"))}</h2>\n',
            f"<table><thead><tr><th>{escape(self.t('claim'))}</th>",
            f"<th>{escape(self.t('applicant'))}</th><th>{escape(self.t('item'))}</th>",
            f"<th>{escape(self.t('from_round'))}</th>",
            f'<th class="num">{escape(self.t("amount"))}</th>',
            f"<th>{escape(self.t('allocation'))}</th>",
            f"<th>{escape(NOW_LABEL[self.lang])}</th>" if self.carried_now else "",
            "</tr></thead>\n<tbody>\n",
        )
        for c in self.round.carried_in:
            self._carried_row(c)
        self.w("</tbody></table>\n</section>\n")

    def _carried_row(self, c: CarriedAward) -> None:
        shown = self._status(c.allocation)
        self.w(
            f'<tr data-carried="{escape(c.claim_id)}"><td class="mono">{escape(c.claim_id)}</td>',
            f'<td class="mono">{escape(c.applicant_id)}</td>',
            f"<td><code>{escape(c.item or '-')}</code> {escape(self.item_title(c.item))}</td>",
            f'<td>{c.round}</td><td class="num">{c.amount_yuan:,}</td>',
            f"<td>{escape(shown)}</td>",
            self._now_cell(c.round, c.claim_id) if self.carried_now else "",
            "</tr>\n",
        )

    # --- traces -------------------------------------------------------------------------

    def _traces(self) -> None:
        self.w(f'<section id="traces">\n<h2>{escape(self.t("traces"))}</h2>\n')
        for d in self.result.decisions:
            self._trace(d)
        self.w("</section>\n")

    def _trace(self, d: Decision) -> None:
        claim = self.claims.get(d.claim_id)
        name, _ = self._applicant_text(d.applicant_id)
        head = [d.claim_id, f"{d.applicant_id} {name}".strip(), self.outcome(d.outcome)]
        if d.item:
            head.append(f"{d.item} {self.item_title(d.item)}")
        if d.amount_yuan:
            head.append(self.money(d.amount_yuan))
        cid = escape(d.claim_id)
        self.w(
            f'<details class="trace" id="trace-{cid}" data-claim="{cid}">',
            f'<summary><span class="o-{escape(d.outcome)}">',
            " · ".join(escape(h) for h in head),
            '</span></summary>\n<div class="tbody">\n<dl class="meta">\n',
        )
        meta: list[tuple[str, str]] = []
        if claim is not None:
            meta.append((self.t("kind"), f"{self.pick(KINDS, claim.kind)} ({claim.kind})"))
            if claim.subject:
                meta.append((self.t("subject"), claim.subject))
            meta.append((self.t("achieved_on"), claim.achieved_on.isoformat()))
            if claim.submitted_on is not None:
                meta.append((self.t("submitted_on"), claim.submitted_on.isoformat()))
        else:
            meta.append((self.t("round_of"), self.t("not_in_batch")))
        meta.append((self.t("reasons"), ", ".join(d.reasons) or "-"))
        meta.append((self.t("citations"), ", ".join(d.citations) or "-"))
        if d.allocation is not None and d.allocation.status is not None:
            meta.append((self.t("allocation"), self._allocation(d)))
        now = self._standing(self.batch.round, d.claim_id)
        if now is not None:
            meta.append((NOW_LABEL[self.lang], now))
        note = self.notes.get(d.applicant_id)
        if note is not None:
            meta.append((self.t("unseen"), note.to_text(self.lang)))
        for label, value in meta:
            self.w(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>\n")
        self.w('</dl>\n<ol class="steps">\n')
        for step in d.trace:
            self._step(step)
        self.w("</ol>\n")
        self._others(d)
        self.w("</div></details>\n")

    def _clause(self, step: TraceStep) -> str | None:
        return self.clauses.quote(step)

    def _step(self, step: TraceStep) -> None:
        result = RESULTS[self.lang].get(step.result, step.result)
        self.w(
            f'<li class="step s-{escape(step.step)}" data-result="{escape(step.result)}">',
            '<div class="stephead">',
            escape(self.pick(STEPS, step.step)),
            f" <code>{escape(step.rule)}</code> {escape(step.citation)}: ",
            f'<span class="r-{escape(step.result)}">{escape(result)}</span></div>\n',
            f'<p class="msg">{escape(step.message_zh if self.zh else step.message_en)}</p>\n',
        )
        if step.facts:
            self.w(f'<table class="facts" aria-label="{escape(self.t("facts"))}"><tbody>')
            for key, value in step.facts.items():
                self.w(f"<tr><th>{escape(key)}</th><td>{escape(fact_text(value))}</td></tr>")
            self.w("</tbody></table>\n")
        clause = self._clause(step)
        if clause:
            note = self.t("clause_zh_only")
            self.w(
                f'<blockquote class="clause" lang="zh-CN">{escape(self.t("clause"))} ',
                f"{escape(step.citation)}:“{escape(clause)}”",
                f' <span class="sub" lang="en">{escape(note)}</span>' if note else "",
                "</blockquote>\n",
            )
        self.w("</li>\n")

    def _others(self, d: Decision) -> None:
        """Why every other candidate item of the claim's kind was not paid."""
        others = [s for s in d.trace if s.step == "match" and s.rule not in (d.item, "item.none")]
        self.w(f'<section class="others"><h4>{escape(self.t("others"))}</h4>\n')
        if not others:
            self.w(f'<p class="sub">{escape(self.t("no_others"))}</p></section>\n')
            return
        self.w('<ul class="others">\n')
        for s in others:
            why = s.message_zh if self.zh else s.message_en
            if s.result == "match":
                why = f"{why}; {self.t('chosen_higher')}"
            clause = self._clause(s)
            self.w(
                f'<li data-item="{escape(s.rule)}"><code>{escape(s.rule)}</code> ',
                f"{escape(s.citation)}: {escape(why)}",
                f' <span class="sub" lang="zh-CN">“{escape(clause)}”</span>' if clause else "",
                "</li>\n",
            )
        self.w("</ul></section>\n")


def _kind_order(kind: str) -> tuple[int, str]:
    keys: Sequence[str] = tuple(KINDS)
    return (keys.index(kind) if kind in keys else len(keys), kind)


def _item_order(item: str) -> tuple[int, str]:
    return (ITEM_IDS.index(item) if item in ITEM_IDS else len(ITEM_IDS), item)
