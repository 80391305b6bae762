"""The HTML report in headless Chromium: every claim shows, filters work, a trace opens.

Chromium loads the page from disk with the filter in the URL fragment, runs the page's
own script, and prints the resulting DOM (``--dump-dom``); the assertions read that DOM.
No Python browser driver is needed: Debian's ``chromium`` package is enough (``.ci/run``
installs it where it is missing).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

import qfund_rules as q
from qfund_rules.allocation import UnseenKey, run_round
from qfund_rules.report import render_report

from ..test_report import BATCH

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium); "
    ".ci/run installs it",
)


class _Dom(HTMLParser):
    """The parts of a dumped page the tests read: rows, traces, the shown count, and the
    rows' cells of where each award stands now."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.traces: dict[str, dict[str, str | None]] = {}
        self.ready = False
        self.shown = ""
        self._in_shown = False
        self.now: dict[str, str] = {}
        self._in_now: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.ready = a.get("data-ready") == "1"
        elif tag == "tr" and a.get("data-claim") is not None:
            self.rows.append(a)
        elif tag == "td" and "now" in str(a.get("class")).split() and self.rows:
            self._in_now = str(self.rows[-1]["data-claim"])
            self.now[self._in_now] = ""
        elif tag == "details" and a.get("data-claim") is not None:
            self.traces[str(a["data-claim"])] = a
        elif tag == "output" and a.get("id") == "shown":
            self._in_shown = True

    def handle_endtag(self, tag: str) -> None:
        self._in_shown = False
        self._in_now = None

    def handle_data(self, data: str) -> None:
        if self._in_shown:
            self.shown += data
        if self._in_now is not None:
            self.now[self._in_now] += data

    def visible(self) -> list[str]:
        """Claim ids of the rows on screen, in screen order."""
        return [str(r["data-claim"]) for r in self.rows if "hidden" not in r]

    def opened(self) -> list[str]:
        """Claim ids of the open traces."""
        return [cid for cid, a in self.traces.items() if "open" in a]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the test batch, written to disk."""
    rules = q.load_rules()
    batch = q.load_batch(BATCH.encode(), industry_codes=rules.industry_codes, name="batch.yaml")
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(q.evaluate(rules, batch), rules, batch), encoding="utf-8")
    return path


def browse(page: Path, fragment: str, profile: Path) -> _Dom:
    """Open ``page#fragment`` in headless Chromium and parse the DOM after its script ran."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri() + (f"#{fragment}" if fragment else ""),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = _Dom()
    dom.feed(done.stdout)
    assert dom.ready, "the page's script did not run"
    return dom


def test_table_renders_every_claim(page: Path, tmp_path: Path) -> None:
    """Unfiltered, every claim has a visible row and the count says so."""
    dom = browse(page, "", tmp_path)
    assert (dom.visible(), dom.shown) == (["C1", "C2", "C3", "C4", "C5"], "5")


def test_filter_by_outcome(page: Path, tmp_path: Path) -> None:
    """outcome=rejected shows only the rejected claim, and hides the other traces."""
    dom = browse(page, "outcome=rejected", tmp_path)
    assert (dom.visible(), dom.shown) == (["C4"], "1")
    assert [c for c, a in dom.traces.items() if "hidden" not in a] == ["C4"]


def test_filter_by_kind_and_applicant(page: Path, tmp_path: Path) -> None:
    """kind and a part of the applicant's name combine."""
    dom = browse(page, f"kind=quality_award&applicant={quote('天山风电')}", tmp_path)
    assert dom.visible() == ["C2", "C3"]


def test_filter_by_item(page: Path, tmp_path: Path) -> None:
    """item=ID shows the claims decided on that item."""
    dom = browse(page, "item=a13.1.national", tmp_path)
    assert dom.visible() == ["C1"]


def test_sort_by_amount(page: Path, tmp_path: Path) -> None:
    """sort=amount-desc orders the rows by amount, highest first, ties in batch order."""
    dom = browse(page, "sort=amount-desc", tmp_path)
    amounts = [int(str(r["data-amount"])) for r in dom.rows]
    assert amounts == sorted(amounts, reverse=True)
    assert [r["data-claim"] for r in dom.rows][:2] == ["C2", "C1"]


def test_trace_opens(page: Path, tmp_path: Path) -> None:
    """open=ID opens that claim's trace and no other."""
    dom = browse(page, "outcome=superseded&open=C3", tmp_path)
    assert dom.opened() == ["C3"]


def test_claim_link_opens_its_trace(page: Path, tmp_path: Path) -> None:
    """The table's link to a trace (#trace-ID) opens it."""
    dom = browse(page, "trace-C4", tmp_path)
    assert dom.opened() == ["C4"]
    assert dom.visible() == ["C1", "C2", "C3", "C4", "C5"]


# Claim ids a page's script must treat as plain keys: an Object's own names, and a % that
# a link's fragment must carry through decoding (C%41 is not CA).
ODD_IDS = ("__proto__", "constructor", "title", "C%41", "CA")


@pytest.fixture(scope="module")
def odd_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report whose claims have the ids above (C1..C5 of the test batch, renamed)."""
    rules = q.load_rules()
    text = BATCH
    for n, new in enumerate(ODD_IDS, 1):
        text = text.replace(f"id: C{n}\n", f'id: "{new}"\n').replace(
            f"{{id: C{n},", f'{{id: "{new}",'
        )
    batch = q.load_batch(text.encode(), industry_codes=rules.industry_codes, name="odd.yaml")
    assert [c.id for c in batch.claims] == list(ODD_IDS)
    path = tmp_path_factory.mktemp("odd") / "report.html"
    path.write_text(render_report(q.evaluate(rules, batch), rules, batch), encoding="utf-8")
    return path


def test_odd_claim_ids_keep_the_script_working(odd_page: Path, tmp_path: Path) -> None:
    """Ids such as __proto__ and title: every row shows, a filter still applies, and
    open=constructor opens that claim's trace (the script's tables have no prototype)."""
    dom = browse(odd_page, "open=constructor", tmp_path)
    assert dom.ready
    assert dom.visible() == list(ODD_IDS)
    assert dom.opened() == ["constructor"]


def test_a_percent_in_an_id_survives_its_link(odd_page: Path, tmp_path: Path) -> None:
    """The table's link for C%41 opens C%41's trace, not CA's."""
    href = "#trace-" + quote("C%41", safe="")
    assert f'href="{href}"' in odd_page.read_text(encoding="utf-8")
    dom = browse(odd_page, href.removeprefix("#"), tmp_path)
    assert dom.opened() == ["C%41"]


@pytest.fixture(scope="module")
def ledger_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the test batch's round 2027 as committed, after a fraud finding on C2
    (revoked), with a note on A2, as `qfund report --round --ledger` writes it."""
    rules = q.load_rules()
    batch = q.load_batch(BATCH.encode(), industry_codes=rules.industry_codes, name="batch.yaml")
    with q.MemoryLedger() as ledger:
        start = dt.date(2027, 6, 1)
        assert run_round(rules, batch, ledger, budget_yuan=3_000_000, publicity_start=start).commit(
            ledger
        )
        ledger.fraud("C2", dt.date(2027, 9, 1), rules.exclusions.ban.years)
        result = run_round(rules, batch, ledger, budget_yuan=3_000_000)
        now = ledger.awards()
    note = UnseenKey("A2", None, ("91650502MA78K2Q582",))
    page = render_report(result, rules, batch, now=now, unseen=[note])
    path = tmp_path_factory.mktemp("ledger") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_the_ledger_column_and_note_keep_the_script_working(
    ledger_page: Path, tmp_path: Path
) -> None:
    """A round's report with where each award stands now and a note on the ledger: the
    filter still applies, and each row keeps its own "now" cell (C2 revoked)."""
    dom = browse(ledger_page, "outcome=awarded&sort=amount-desc", tmp_path)
    assert (dom.visible(), dom.shown) == (["C2", "C1", "C5"], "3")
    assert (dom.now["C2"], dom.now["C3"]) == (
        "已撤销:2027-09-01认定弄虚作假(第二十四条); 拨付 30 万元, 收回 30 万元",
        "-",
    )
