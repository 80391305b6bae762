"""Tests for standard numbers and their levels (rulings R7)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qfund_rules.errors import QfundError, StandardNumberError
from qfund_rules.standards import Level, StandardNumber, parse_standard_number

INDUSTRY = frozenset({"JB", "HG", "NB", "SL", "YY"})


def parse(text: str) -> StandardNumber:
    """Parse with the test industry codes."""
    return parse_standard_number(text, INDUSTRY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("GB 1234-2020", StandardNumber("GB", "national", "1234", 2020), id="GB"),
        pytest.param(
            "GB/T 45678-2026", StandardNumber("GB/T", "national", "45678", 2026), id="GB/T"
        ),
        pytest.param("GB/Z 4567-2019", StandardNumber("GB/Z", "national", "4567", 2019), id="GB/Z"),
        pytest.param(
            "JB/T 10214-2021", StandardNumber("JB/T", "industry", "10214", 2021), id="JB/T"
        ),
        pytest.param("HG 2345-2018", StandardNumber("HG", "industry", "2345", 2018), id="HG"),
        pytest.param("NB/Z 123-2022", StandardNumber("NB/Z", "industry", "123", 2022), id="NB/Z"),
        pytest.param(
            "DB/T 89-2022", StandardNumber("DB/T", "industry", "89", 2022), id="DB/T-earthquake"
        ),
        pytest.param(
            "DB65/T 4567-2023", StandardNumber("DB65/T", "local", "4567", 2023), id="DB65/T"
        ),
        pytest.param("DB65 4567-2023", StandardNumber("DB65", "local", "4567", 2023), id="DB65"),
        pytest.param(
            "DB6505/T 123-2024", StandardNumber("DB6505/T", "local", "123", 2024), id="DB6505/T"
        ),
        pytest.param(
            "DB6505 123-2024", StandardNumber("DB6505", "local", "123", 2024), id="DB6505"
        ),
        pytest.param("T/CAS 123-2024", StandardNumber("T/CAS", "group", "123", 2024), id="T/CAS"),
        pytest.param(
            "T/CECS 1001-2022", StandardNumber("T/CECS", "group", "1001", 2022), id="T/CECS"
        ),
        pytest.param("T/XJAS 12-2023", StandardNumber("T/XJAS", "group", "12", 2023), id="T/XJAS"),
        pytest.param(
            "T/AB2 123-2023", StandardNumber("T/AB2", "group", "123", 2023), id="T/body-with-digit"
        ),
        pytest.param(
            "Q/ABC 001-2021", StandardNumber("Q/ABC", "enterprise", "001", 2021), id="Q/ABC"
        ),
        pytest.param(
            "GB/T 12345.5-2020", StandardNumber("GB/T", "national", "12345.5", 2020), id="part"
        ),
        pytest.param(
            "JB/T 10214.2-2021",
            StandardNumber("JB/T", "industry", "10214.2", 2021),
            id="industry-part",
        ),
        pytest.param(
            "GB/T 17626.4.1-2018",
            StandardNumber("GB/T", "national", "17626.4.1", 2018),
            id="two-parts",
        ),
    ],
)
def test_parses_each_form(text: str, expected: StandardNumber) -> None:
    """Each R7 form parses into its canonical prefix, level, number and year."""
    assert expected == parse(text)


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        pytest.param("GB/T 39787-2021", "GB/T 39787—2021", id="em-dash"),
        pytest.param("GB/T 39787-2021", "GB/T 39787——2021", id="ime-double-em-dash"),
        pytest.param("GB/T 39787-2021", "GB/T 39787–2021", id="en-dash"),
        pytest.param("GB/T 39787-2021", "GB/T 39787‑2021", id="non-breaking-hyphen"),
        pytest.param("GB/T 39787-2021", "GB/T 39787−2021", id="minus-sign"),
        pytest.param("GB/T 39787-2021", "GB/T 39787－2021", id="full-width-hyphen"),
        pytest.param("GB/T 45678-2026", "GB／T 45678-2026", id="full-width-slash"),
        pytest.param("GB/T 45678-2026", "GB∕T 45678-2026", id="division-slash"),
        pytest.param("GB/T 45678-2026", "ＧＢ／Ｔ　４５６７８－２０２６", id="full-width-all"),
        pytest.param("GB/T 45678-2026", "GB/T45678-2026", id="no-space"),
        pytest.param("GB/T 45678-2026", "GB / T 45678—2026", id="spaces-around-parts"),
        pytest.param("GB/T 45678-2026", "  GB/T   45678 - 2026\t", id="extra-whitespace"),
        pytest.param("GB/T 45678-2026", "gb/t 45678-2026", id="lower-case"),
        pytest.param("DB65/T 4567-2023", "DB 65 / T 4567-2023", id="spaced-local"),
        pytest.param("T/CAS 123-2024", "t／cas123—2024", id="group-lower-no-space"),
        pytest.param("GB/T 12345.5-2020", "GB/T 12345．5-2020", id="full-width-part-dot"),
    ],
)
def test_normalises_before_parsing(expected: str, text: str) -> None:
    """Dash, slash, width, spacing and case variants parse to the canonical number."""
    assert expected == str(parse(text))


@pytest.mark.parametrize(
    ("expected", "number"),
    [
        pytest.param(
            "GB/T 45678-2026", StandardNumber("GB/T", "national", "45678", 2026), id="national"
        ),
        pytest.param("T/CAS 123-2024", StandardNumber("T/CAS", "group", "123", 2024), id="group"),
        pytest.param(
            "DB65/T 4567-2023", StandardNumber("DB65/T", "local", "4567", 2023), id="local"
        ),
    ],
)
def test_str_is_canonical_form(expected: str, number: StandardNumber) -> None:
    """``str()`` renders prefix, a space, the number, a hyphen and the 4-digit year."""
    assert expected == str(number)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("gb/t 45678—2026", id="national"),
        pytest.param("JB／T10214.2－2021", id="industry"),
        pytest.param("DB/T 89-2022", id="earthquake"),
        pytest.param("DB6505 123-2024", id="city"),
        pytest.param("T/AB2 123-2023", id="group-body-with-digit"),
        pytest.param("Q/A1B 7-2021", id="enterprise"),
    ],
)
def test_canonical_string_round_trips(text: str) -> None:
    """Parsing the canonical string of a parsed number gives the same number."""
    number = parse(text)
    assert number == parse(str(number))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param(" \u3000\t", "empty", id="whitespace-only"),
        pytest.param("GB/T 45678", "year is missing", id="no-year"),
        pytest.param("GB/T 45678-", "year is missing", id="dash-no-year"),
        pytest.param("GB 1234-88", "1988 or 2088", id="two-digit-year"),
        pytest.param("GB/T 45678-20261", "must have 4 digits", id="five-digit-year"),
        pytest.param("XX/T 123-2020", "unknown industry code 'XX'", id="unknown-industry"),
        pytest.param("ABC/T 123-2020", "not a standard number", id="three-letter-code"),
        pytest.param("GB/X 123-2020", "not a standard number", id="bad-national-suffix"),
        pytest.param("DB/Z 123-2020", "not a standard number", id="db-z"),
        pytest.param("DB651/T 123-2020", "not a standard number", id="three-digit-division"),
        pytest.param("GB/T", "not a standard number", id="no-number"),
        pytest.param("hello world", "not a standard number", id="garbage"),
    ],
)
def test_rejects_invalid_numbers(text: str, fragment: str) -> None:
    """Empty, yearless, unknown-code and malformed numbers raise StandardNumberError."""
    with pytest.raises(StandardNumberError, match=re.escape(fragment)):
        parse(text)


def test_error_message_quotes_offending_text() -> None:
    """The error message contains the text as it was given, before normalisation."""
    with pytest.raises(StandardNumberError, match=re.escape("'ＧＢ／Ｔ ４５６７８'")):
        parse("ＧＢ／Ｔ ４５６７８")


def test_error_is_a_value_error_and_qfund_error() -> None:
    """StandardNumberError can be caught as ValueError and as QfundError."""
    with pytest.raises(StandardNumberError) as info:
        parse("nonsense")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, QfundError)


def test_industry_codes_are_data() -> None:
    """A two-letter code is an industry code only when the caller lists it."""
    with pytest.raises(StandardNumberError, match="unknown industry code 'NB'"):
        parse_standard_number("NB/T 123-2020", frozenset({"JB"}))


def test_earthquake_code_needs_no_listing() -> None:
    """``DB/T`` is the earthquake industry's code even when no industry codes are given."""
    assert parse_standard_number("DB/T 89-2022", frozenset()).level == "industry"


# -- property tests ---------------------------------------------------------------------

_PREFIXES: st.SearchStrategy[tuple[str, Level]] = st.one_of(
    st.sampled_from(["GB", "GB/T", "GB/Z"]).map(lambda p: (p, "national")),
    st.builds(
        "{}{}".format, st.sampled_from(sorted(INDUSTRY)), st.sampled_from(["", "/T", "/Z"])
    ).map(lambda p: (p, "industry")),
    st.just(("DB/T", "industry")),
    st.from_regex(r"DB([0-9]{2}|[0-9]{4})(/T)?", fullmatch=True).map(lambda p: (p, "local")),
    st.from_regex(r"T/[A-Z][A-Z0-9]{0,5}", fullmatch=True).map(lambda p: (p, "group")),
    st.from_regex(r"Q/[A-Z0-9]{1,6}", fullmatch=True).map(lambda p: (p, "enterprise")),
)


@st.composite
def standard_numbers(draw: st.DrawFn) -> StandardNumber:
    """Valid standard numbers of every level, parts included."""
    prefix, level = draw(_PREFIXES)
    number = draw(st.from_regex(r"[0-9]{1,6}(\.[0-9]{1,2}){0,2}", fullmatch=True))
    return StandardNumber(prefix, level, number, draw(st.integers(1000, 9999)))


_DASH_FORMS = ["-", "—", "——", "–", "‑", "‒", "―", "−", "－", "ー"]
_SLASH_FORMS = ["/", "／", "∕"]
_GAPS = [" ", "  ", "\t", "\u3000", "\u00a0"]


def _full_width(text: str) -> str:
    """Turn printable ASCII into its full-width form, as Chinese IMEs type it."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


@st.composite
def spellings(draw: st.DrawFn, number: StandardNumber) -> str:
    """Ways people write ``number``: other dashes and slashes, spacing, case and width."""

    def around(sep: str) -> str:
        return draw(st.sampled_from(["", " "])) + sep + draw(st.sampled_from(["", " "]))

    prefix = number.prefix.replace("/", around(draw(st.sampled_from(_SLASH_FORMS))))
    if prefix.startswith("DB") and draw(st.booleans()):
        prefix = "DB " + prefix[2:]
    # Without a space, `DB6505 123` would read as `DB65 05123`: the gap is optional only
    # where a letter ends the code.
    gaps = [*_GAPS, ""] if number.prefix[-1].isalpha() else _GAPS
    text = (
        draw(st.sampled_from(["", " "]))
        + prefix
        + draw(st.sampled_from(gaps))
        + number.number
        + around(draw(st.sampled_from(_DASH_FORMS)))
        + f"{number.year:04d}"
        + draw(st.sampled_from(["", " ", "\t"]))
    )
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        text = _full_width(text)
    return text


@given(standard_numbers())
def test_canonical_string_parses_back(number: StandardNumber) -> None:
    """Invariant: for every valid number n, parse(str(n)) == n, so str is canonical."""
    assert number == parse(str(number))


@given(st.data(), standard_numbers())
def test_spellings_parse_equal(data: st.DataObject, number: StandardNumber) -> None:
    """Invariant: every dash, slash, spacing, case and width spelling of n parses to n."""
    assert number == parse(data.draw(spellings(number)))


def test_a_long_standard_number_is_quoted_as_a_marked_excerpt() -> None:
    """A standard number of 100 000 digits is quoted by its start, marked as cut, in the
    message and in the form it suggests (each was quoted whole: a message of 200 KB)."""
    digits = "1" * 100_000
    with pytest.raises(StandardNumberError) as refused:
        parse_standard_number(f"GB/T {digits}", frozenset())
    cut = f"'GB/T {digits[:35]}...'"
    assert str(refused.value) == (
        f"{cut} (100005 characters): the year is missing (write it after a dash: {cut} "
        "(100010 characters))"
    )
