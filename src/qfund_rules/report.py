"""Decisions as one self-contained HTML page, for auditors and policy staff.

:func:`render_report` turns an :class:`~qfund_rules.decision.Evaluation` or a round's
:class:`~qfund_rules.allocation.RoundResult` into a single HTML file: inline CSS and a small
inline script, nothing fetched (a Content-Security-Policy of ``default-src 'none'`` and the
hashes of the page's own script and style enforce it), readable from disk and printable.
It holds a summary, a table of decisions filterable by outcome, kind, item and applicant
and sortable by amount, and per decision its whole trace with the clauses quoted from the
rule files. Every piece of input text goes through :func:`html.escape`; the script only
reads ``data-`` attributes and never writes markup. The same input gives the same bytes.

The page reads its filter from the URL fragment, so a link can name a view:
``report.html#outcome=rejected&kind=standard&item=a13.2.national&applicant=A06``
``&sort=amount-desc&open=K21`` (``item=-``: claims that matched no item).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from .allocation import CarriedAward, RoundResult
from .claims import Applicant, Batch, ClaimBase
from .decision import Allocation, Decision, Evaluation, JSONValue, TraceStep
from .errors import QfundError
from .explain import OUTCOMES, RESULTS, ClauseBook, Lang
from .money import format_wan
from .rules import ITEM_IDS, RuleSet

__all__ = ["render_report"]

#: Every label of the page, Chinese and English side by side.
_LABELS: Mapping[str, tuple[str, str]] = {
    "title": ("质量提升发展专项资金 申报决定报告", "Quality fund: decisions report"),
    "draft": (
        "本报告依据尚未正式发布的规则(status: draft)作出,仅供审核参考",
        "these decisions were made under draft rules (status: draft), for review only",
    ),
    "round_of": ("申报年度", "Round"),
    "ruleset": ("规则集", "Rule set"),
    "version": ("版本", "Version"),
    "status": ("状态", "Status"),
    "measures": ("办法", "Measures"),
    "in_force": ("有效期", "In force"),
    "to": ("至", "to"),
    "summary": ("汇总", "Summary"),
    "claims": ("申报", "Claims"),
    "total": ("奖励合计", "Total awarded"),
    "year": ("预算年度", "Budget year"),
    "budget": ("年度预算", "Budget"),
    "carried_in": ("上年度结转", "Carried in"),
    "paid": ("本年度拨付", "Paid"),
    "deferred": ("列入下一年度", "Deferred"),
    "held": ("公示异议暂缓", "Held (objection)"),
    "publicity": ("公示期", "Publicity"),
    "disburse_from": ("拨付日起", "Disbursed from"),
    "none_set": ("未定", "not set"),
    "decisions": ("决定", "Decisions"),
    "filter": ("筛选", "Filter"),
    "outcome": ("结论", "Outcome"),
    "kind": ("类别", "Kind"),
    "item": ("奖励事项", "Item"),
    "applicant": ("申报单位", "Applicant"),
    "all": ("全部", "all"),
    "no_item": ("无相符事项", "no item"),
    "clear": ("清除", "Clear"),
    "shown": ("显示", "Showing"),
    "of": ("/", "of"),
    "claim": ("申报", "Claim"),
    "amount": ("金额(元)", "Amount (yuan)"),
    "wan": ("万元", "万元"),
    "allocation": ("拨付", "Allocation"),
    "reasons": ("理由", "Reasons"),
    "citations": ("依据", "Articles"),
    "traces": ("决定过程", "Traces"),
    "subject": ("对象", "Subject"),
    "achieved_on": ("取得日期", "Achieved on"),
    "submitted_on": ("申报日期", "Submitted on"),
    "facts": ("读取事实", "Facts read"),
    "clause": ("条文", "Clause"),
    "others": ("其他候选事项为何未获奖励", "Why the other candidate items were not paid"),
    "chosen_higher": (
        "亦相符,按就高不就低适用金额较高的事项",
        "also matches; the higher item applies",
    ),
    "no_others": ("无其他候选事项", "no other candidate items"),
    "carried": ("以前年度结转的奖励", "Awards carried in from earlier rounds"),
    "from_round": ("原申报年度", "Granted in round"),
    "not_in_batch": ("以前年度", "earlier round"),
    "sort_hint": ("点击按金额排序", "click to sort by amount"),
    "clause_zh_only": ("", "(the measures' text, in Chinese)"),
}

_KINDS: Mapping[str, tuple[str, str]] = {
    "quality_county": ("质量强县(区、镇)", "quality county"),
    "quality_chain": ("质量强链", "quality chain"),
    "quality_award": ("质量奖", "quality award"),
    "leading_enterprise": ("质量领军企业", "leading enterprise"),
    "qc_group": ("QC小组", "QC group"),
    "cqo_case": ("首席质量官案例", "CQO case"),
    "cnas_accreditation": ("CNAS认可", "CNAS accreditation"),
    "ccc_lab": ("CCC指定实验室", "CCC lab"),
    "testing_platform": ("检验检测平台", "testing platform"),
    "standard": ("标准制修订", "standard"),
    "standardization_pilot": ("标准化试点", "standardization pilot"),
    "technical_committee": ("标准化技术组织", "technical committee"),
    "xinjiang_brand": ("“新疆品质”", "Xinjiang brand"),
}

_STEPS: Mapping[str, tuple[str, str]] = {
    "validity": ("有效期", "period in force"),
    "eligibility": ("申报主体", "eligibility"),
    "authorship": ("起草单位", "authorship"),
    "match": ("事项匹配", "item match"),
    "amount": ("金额", "amount"),
    "first_time": ("首次", "first time"),
    "exclusion": ("排除情形", "exclusion"),
    "ban": ("取消申报资格", "ban"),
    "same_qualification": ("同一资格", "same qualification"),
}

# {year} is the budget year of the allocation; a deferred award goes to the next one (R10).
_ALLOCATIONS: Mapping[str, tuple[str, str]] = {
    "paid": ("{year}年度拨付", "paid from {year}"),
    "deferred": ("列入{next}年度", "deferred to {next}"),
    "held": ("异议暂缓", "held (objection)"),
}

_OUTCOME_ORDER = ("awarded", "rejected", "superseded")

_CSS = """\
:root{--ink:#1d2430;--muted:#5b6575;--line:#d5dbe3;--bg:#f6f8fa;--ok:#1a7f37;--no:#b42318;
--sup:#8a5a00;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:16px 24px 48px;color:var(--ink);
font:14px/1.55 "Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
system-ui,sans-serif}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;
border-bottom:2px solid var(--line);padding-bottom:4px}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.draft{background:#fff4e5;border:2px solid #d97706;color:#7c2d12;font-weight:700;
padding:10px 14px;margin:0 0 12px;border-radius:6px;letter-spacing:.02em}
.draft b{font-size:18px;margin-right:8px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--bg);position:sticky;top:0;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.summary{width:auto;min-width:420px}table.summary th{font-weight:400;color:var(--muted)}
form.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;background:var(--bg);
border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:8px 0}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
form.filters select,form.filters input{font:inherit;padding:3px 6px;min-width:150px}
button{font:inherit;cursor:pointer}
th button{border:0;background:none;padding:0;font-weight:700;color:var(--accent)}
.o-awarded{color:var(--ok);font-weight:700}.o-rejected{color:var(--no);font-weight:700}
.o-superseded{color:var(--sup);font-weight:700}
td.o-awarded,td.o-rejected,td.o-superseded{white-space:nowrap}
.r-fail,.r-no_match{color:var(--no)}.r-pass,.r-match{color:var(--ok)}
.r-top_up,.r-superseded{color:var(--sup)}
.sub{color:var(--muted);font-size:12px}
details.trace{border:1px solid var(--line);border-radius:6px;margin:8px 0;background:#fff}
details.trace>summary{cursor:pointer;padding:8px 12px;background:var(--bg);border-radius:6px}
details.trace[open]>summary{border-bottom:1px solid var(--line);border-radius:6px 6px 0 0}
.tbody{padding:8px 14px 12px}
ol.steps{padding-left:28px;margin:8px 0}ol.steps>li{margin:0 0 10px}
.stephead{font-weight:600}.stephead code{font-weight:400}
.msg{margin:2px 0}
table.facts{width:auto;margin:2px 0 4px;font-size:12.5px}
table.facts th,table.facts td{padding:1px 8px;border-bottom:1px dotted var(--line)}
table.facts th{font-weight:400;color:var(--muted)}
blockquote.clause{margin:4px 0;padding:4px 10px;border-left:3px solid var(--accent);
background:#f3f7fc}
ul.others{margin:4px 0;padding-left:20px}
[hidden]{display:none!important}
@page{size:A4;margin:14mm}
@media print{
body{max-width:none;padding:0;font-size:11px}
form.filters,.noprint{display:none!important}
thead th{position:static}
details.trace{break-inside:avoid-page;border-color:#999}
.draft{border-color:#000;color:#000;background:none}
a{color:inherit;text-decoration:none}
}
"""

# The page's only script: reads the filter from the fragment and the form, shows or hides
# rows and traces, sorts by amount, opens a trace. It reads data- attributes and sets
# ``hidden``/``open`` only; no input ever reaches markup.
_JS = """\
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var tbody = document.getElementById("rows");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-claim]"));
  var traces = {};
  Array.prototype.forEach.call(document.querySelectorAll("details[data-claim]"),
    function (d) { traces[d.getAttribute("data-claim")] = d; });
  var shown = document.getElementById("shown");
  var sortButton = document.getElementById("sort-amount");
  var sortHead = document.getElementById("amount-head");
  var KEYS = ["outcome", "kind", "item", "applicant"];
  var sort = "";

  function parseHash() {
    var p = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) { return; }
      var i = part.indexOf("=");
      var k = i < 0 ? part : part.slice(0, i);
      var v = i < 0 ? "" : part.slice(i + 1);
      try { p[decodeURIComponent(k)] = decodeURIComponent(v.replace(/\\+/g, " ")); }
      catch (e) { /* a malformed fragment is ignored */ }
    });
    return p;
  }

  function writeHash() {
    var parts = [];
    KEYS.forEach(function (k) {
      var v = form.elements[k].value;
      if (v) { parts.push(k + "=" + encodeURIComponent(v)); }
    });
    if (sort) { parts.push("sort=amount-" + sort); }
    var url = parts.length ? "#" + parts.join("&") : location.pathname + location.search;
    try { history.replaceState(null, "", url); }
    catch (e) { /* some browsers refuse replaceState on file: pages */ }
  }

  function filter() {
    var want = {};
    KEYS.forEach(function (k) { want[k] = form.elements[k].value; });
    var needle = want.applicant.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = (!want.outcome || row.getAttribute("data-outcome") === want.outcome) &&
        (!want.kind || row.getAttribute("data-kind") === want.kind) &&
        (!want.item || row.getAttribute("data-item") === want.item) &&
        (!needle || row.getAttribute("data-applicant").toLowerCase().indexOf(needle) >= 0);
      row.hidden = !ok;
      var t = traces[row.getAttribute("data-claim")];
      if (t) { t.hidden = !ok; }
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }

  function order() {
    var sorted = rows.slice().sort(function (a, b) {
      var d = 0;
      if (sort) {
        d = Number(a.getAttribute("data-amount")) - Number(b.getAttribute("data-amount"));
        if (sort === "desc") { d = -d; }
      }
      return d || Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
    });
    sorted.forEach(function (row) { tbody.appendChild(row); });
    sortHead.setAttribute("aria-sort",
      sort === "asc" ? "ascending" : sort === "desc" ? "descending" : "none");
    sortButton.setAttribute("data-sort", sort || "none");
  }

  function openTrace(id) {
    var t = traces[id];
    if (!t) { return; }
    t.hidden = false;
    t.open = true;
    t.scrollIntoView();
  }

  function applyHash() {
    var raw = location.hash.replace(/^#/, "");
    if (raw.indexOf("trace-") === 0) {  // a claim's link in the table: open its trace
      try { openTrace(decodeURIComponent(raw.slice(6))); } catch (e) { /* ignored */ }
      return;
    }
    var p = parseHash();
    KEYS.forEach(function (k) {
      var el = form.elements[k];
      var v = p[k] || "";
      if (el.tagName === "SELECT" &&
          !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        v = "";
      }
      el.value = v;
    });
    sort = p.sort === "amount-asc" ? "asc" : p.sort === "amount-desc" ? "desc" : "";
    filter();
    order();
    if (p.open) { openTrace(p.open); }
  }

  form.addEventListener("input", function () { filter(); writeHash(); });
  form.addEventListener("change", function () { filter(); writeHash(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () {
    setTimeout(function () { sort = ""; filter(); order(); writeHash(); }, 0);
  });
  sortButton.addEventListener("click", function () {
    sort = sort === "" ? "desc" : sort === "desc" ? "asc" : "";
    order();
    writeHash();
  });
  window.addEventListener("hashchange", applyHash);
  // Printing shows the traces of the rows on screen, opened.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = [];
    Object.keys(traces).forEach(function (id) {
      if (!traces[id].open) { opened.push(id); traces[id].open = true; }
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (id) { traces[id].open = false; });
  });
  document.documentElement.setAttribute("data-ready", "1");
  applyHash();
}());
"""


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


# Nothing may be fetched; only this page's own script and style run (defence in depth
# beside escaping: an injected <script> would not match the hash).
_CSP = (
    f"default-src 'none'; script-src {_csp_hash(_JS)}; style-src {_csp_hash(_CSS)}; "
    "img-src data:; form-action 'none'; base-uri 'none'"
)


def render_report(
    result: Evaluation | RoundResult, rules: RuleSet, batch: Batch, *, lang: Lang = "zh"
) -> str:
    """The decisions of ``result`` as one self-contained HTML page, in ``lang``.

    ``rules`` must be the rule set that made ``result`` (its clauses are quoted in the
    traces) and ``batch`` the claims it decided (kinds, applicants' names, dates).

    Raises:
        QfundError: ``result`` was made by another rule set than ``rules``.
    """
    made_by = result.rules.get("sha256")
    if made_by != rules.sha256:
        raise QfundError(
            f"the decisions were made by rule set sha256 {made_by}, not by the rules given "
            f"({rules.sha256}): the report would quote the wrong clauses"
        )
    return _Page(result, rules, batch, lang).render()


class _Page:
    """One report being written; ``parts`` collects the HTML text."""

    def __init__(
        self, result: Evaluation | RoundResult, rules: RuleSet, batch: Batch, lang: Lang
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
        self.parts: list[str] = []

    # --- text helpers -------------------------------------------------------------------

    def t(self, key: str) -> str:
        zh, en = _LABELS[key]
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
            f"<style>{_CSS}</style>\n</head>\n<body>\n",
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
        self._summary()
        self._table()
        self._carried()
        self._traces()
        self.w(f"<script>{_JS}</script>\n</body>\n</html>\n")
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

    def _summary(self) -> None:
        decisions = self.result.decisions
        counts = {o: sum(1 for d in decisions if d.outcome == o) for o in _OUTCOME_ORDER}
        total = sum(d.amount_yuan for d in decisions)
        self.w(
            f'<section id="summary">\n<h2>{escape(self.t("summary"))}</h2>\n',
            '<table class="summary"><tbody>\n',
        )
        rows: list[tuple[str, str, str]] = [("claims", self.t("claims"), str(len(decisions)))]
        rows.extend((o, self.outcome(o), str(counts[o])) for o in _OUTCOME_ORDER)
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
        self._options("outcome", self.t("outcome"), ((o, self.outcome(o)) for o in _OUTCOME_ORDER))
        self._options("kind", self.t("kind"), ((k, f"{self.pick(_KINDS, k)} ({k})") for k in kinds))
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
            f'<td><a href="#trace-{escape(d.claim_id)}" class="mono">{escape(d.claim_id)}</a></td>',
            f'<td><span class="mono">{escape(d.applicant_id)}</span> {escape(name)}</td>',
            f"<td>{escape(self.pick(_KINDS, kind) if kind else '')}</td>",
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
        reasons = ", ".join(d.reasons) or "-"
        self.w(f'<td class="mono">{escape(reasons)}</td></tr>\n')

    def _allocation(self, d: Decision) -> str:
        return "-" if d.allocation is None else self._status(d.allocation)

    def _status(self, a: Allocation) -> str:
        if a.status is None:
            return "-"
        return self.pick(_ALLOCATIONS, a.status).format(year=a.year, next=a.year + 1)

    def _carried(self) -> None:
        if self.round is None or not self.round.carried_in:
            return
        self.w(
            f'<section id="carried">\n<h2>{escape(self.t("carried"))}</h2>\n',
            f"<table><thead><tr><th>{escape(self.t('claim'))}</th>",
            f"<th>{escape(self.t('applicant'))}</th><th>{escape(self.t('item'))}</th>",
            f"<th>{escape(self.t('from_round'))}</th>",
            f'<th class="num">{escape(self.t("amount"))}</th>',
            f"<th>{escape(self.t('allocation'))}</th></tr></thead>\n<tbody>\n",
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
            f"<td>{escape(shown)}</td></tr>\n",
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
            meta.append((self.t("kind"), f"{self.pick(_KINDS, claim.kind)} ({claim.kind})"))
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
            escape(self.pick(_STEPS, step.step)),
            f" <code>{escape(step.rule)}</code> {escape(step.citation)}: ",
            f'<span class="r-{escape(step.result)}">{escape(result)}</span></div>\n',
            f'<p class="msg">{escape(step.message_zh if self.zh else step.message_en)}</p>\n',
        )
        if step.facts:
            self.w(f'<table class="facts" aria-label="{escape(self.t("facts"))}"><tbody>')
            for key, value in step.facts.items():
                self.w(f"<tr><th>{escape(key)}</th><td>{escape(_fact(value))}</td></tr>")
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


def _fact(value: JSONValue) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _kind_order(kind: str) -> tuple[int, str]:
    keys: Sequence[str] = tuple(_KINDS)
    return (keys.index(kind) if kind in keys else len(keys), kind)


def _item_order(item: str) -> tuple[int, str]:
    return (ITEM_IDS.index(item) if item in ITEM_IDS else len(ITEM_IDS), item)
