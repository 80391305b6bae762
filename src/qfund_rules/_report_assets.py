"""The fixed parts of the HTML report: its labels in Chinese and English, style and script.

Kept apart from :mod:`qfund_rules.report`, which renders decisions into the page.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Every label of the page, Chinese and English side by side.
LABELS: Mapping[str, tuple[str, str]] = {
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
    # What the ledger recorded since the round (report --round --ledger).
    "since_revoked": ("本轮后撤销", "Revoked since the round"),
    "since_revoked_objection": (
        "其中公示异议成立(第二十二条第(五)项)",
        "of which objection upheld (第二十二条第(五)项)",
    ),
    "since_clawed_back": ("本轮后收回(第二十四条)", "Clawed back since the round (第二十四条)"),
    "since_released": (
        "本轮后异议不成立,解除暂缓(第二十二条)",
        "Released since the round: objection dismissed (第二十二条)",
    ),
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
    "unseen": ("账本提示", "Notes on the ledger"),
}

KINDS: Mapping[str, tuple[str, str]] = {
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

STEPS: Mapping[str, tuple[str, str]] = {
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
ALLOCATIONS: Mapping[str, tuple[str, str]] = {
    "paid": ("{year}年度拨付", "paid from {year}"),
    "deferred": ("列入{next}年度", "deferred to {next}"),
    "held": ("异议暂缓", "held (objection)"),
}

OUTCOME_ORDER = ("awarded", "rejected", "superseded")

CSS = """\
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
.notes{background:#fff4e5;border:1px solid #d97706;border-radius:6px;padding:4px 14px;
margin:12px 0}.notes h2{border:0;margin:8px 0 0;font-size:16px;color:#7c2d12}
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
.o-superseded{color:var(--sup);font-weight:700}.now-revoked{color:var(--no);font-weight:700}
.now-upheld{color:var(--sup);font-weight:700}
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
JS = """\
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var tbody = document.getElementById("rows");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-claim]"));
  // Keyed by claim id: no prototype, so an id such as __proto__ or constructor is a key.
  var traces = Object.create(null);
  Array.prototype.forEach.call(document.querySelectorAll("details[data-claim]"),
    function (d) { traces[d.getAttribute("data-claim")] = d; });
  var shown = document.getElementById("shown");
  var sortButton = document.getElementById("sort-amount");
  var sortHead = document.getElementById("amount-head");
  var KEYS = ["outcome", "kind", "item", "applicant"];
  var sort = "";

  function parseHash() {
    var p = Object.create(null);
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
