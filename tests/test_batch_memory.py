"""Tests for the memory a resolved batch holds: equal values shared, behaviour unchanged."""

from __future__ import annotations

import copy
import pickle
import textwrap
from typing import Any

import pytest
from hypothesis import given

import qfund_rules as q
from qfund_rules.claims import (
    Applicant,
    Batch,
    ClaimBase,
    DraftingUnit,
    Review,
    StandardClaim,
    _mark_loaded,
    batch_from_data,
    batch_pool,
    batch_to_data,
    load_batch,
)

from .property.strategies import batch_data

INDUSTRY = frozenset({"HG", "JB", "NB"})
BATCH = textwrap.dedent("""\
    round: 2027
    submitted_on: 2027-03-20
    applicants:
      - {id: A1, name: 哈密某新能源有限公司, org_type: enterprise, region: "650502"}
      - {id: A2, name: 巴里坤某检测中心, org_type: public_institution, region: "650521"}
    claims:
      - {id: C1, applicant: A1, kind: leading_enterprise, achieved_on: 2026-05-04}
      - {id: C2, applicant: A2, kind: leading_enterprise, achieved_on: 2026-05-04}
      - id: C3
        applicant: A1
        kind: cnas_accreditation
        achieved_on: 2026-05-07
        first_time: true
        review: {industrial_policy: ok, related_to_quality: true, other_violation: null}
      - id: C4
        applicant: A1
        kind: standard
        achieved_on: 2026-11-02
        action: formulate
        standard_no: GB／T 45678—2026
        drafting_units: [{name: 哈密某新能源有限公司, region: "650502"}]
      - id: C5
        applicant: A2
        kind: standard
        achieved_on: 2026-11-02
        action: formulate
        standard_no: GB/T 45678-2026
        drafting_units: [{name: 哈密某新能源有限公司, region: "650502"}]
""").encode()


@pytest.fixture
def batch() -> Batch:
    """A freshly loaded batch: tests that copy or pickle it must not see each other's."""
    return load_batch(BATCH, industry_codes=INDUSTRY, name="batch.yaml")


def claim(batch: Batch, claim_id: str) -> ClaimBase:
    return next(c for c in batch.claims if c.id == claim_id)


def reference(batch: Batch) -> Batch:
    """The same batch validated field by field with plain pydantic: nothing shared.

    It is marked as loaded under the batch's own readings, as the loader marks what it
    returns: it holds the values the loader resolved, which is what these tests compare.
    """
    mark = batch._checked
    assert mark is not None
    plain = Batch.model_validate(batch_to_data(batch))
    return _mark_loaded(plain, mark.industry_codes, mark.achieved_by_submission)


def test_default_reviews_are_one_object(batch: Batch) -> None:
    """A review left out and one written out with the default values are one object."""
    assert claim(batch, "C1").review is claim(batch, "C2").review
    assert claim(batch, "C3").review is claim(batch, "C1").review
    assert Review() == claim(batch, "C1").review


def test_equal_dates_are_one_object(batch: Batch) -> None:
    """Claims achieved on the same day hold one date, and the batch default is one date."""
    assert claim(batch, "C1").achieved_on is claim(batch, "C2").achieved_on
    assert claim(batch, "C1").submitted_on is claim(batch, "C4").submitted_on


def test_claims_name_their_applicant_by_its_own_id(batch: Batch) -> None:
    """A claim's applicant reference is the applicant's id string, not a copy of it."""
    assert batch.applicants[0].id is claim(batch, "C1").applicant


def test_equal_drafting_units_are_one_tuple(batch: Batch) -> None:
    """Two claims on one standard hold one tuple of drafting units and one number."""
    first, second = claim(batch, "C4"), claim(batch, "C5")
    assert isinstance(first, StandardClaim)
    assert isinstance(second, StandardClaim)
    assert first.drafting_units is second.drafting_units
    assert first.standard_no is second.standard_no
    assert first.subject is first.standard_no


def test_fields_set_is_one_full_set_per_class(batch: Batch) -> None:
    """Every model of a class shares one mutable set naming all of the class's fields."""
    for models in (batch.claims, batch.applicants):
        for model in models:
            same = next(m for m in models if type(m) is type(model))
            assert model.model_fields_set is same.model_fields_set
            assert set(type(model).model_fields) == model.model_fields_set
            assert type(model.model_fields_set) is set


def test_model_copy_leaves_the_shared_values_untouched(batch: Batch) -> None:
    """``model_copy(update=...)`` changes the copy only: not the shared set, not the others."""
    original, other = claim(batch, "C1"), claim(batch, "C2")
    shared = set(original.model_fields_set)
    changed = original.model_copy(update={"objection": True, "review": Review(other_violation="x")})
    assert changed.objection
    assert not original.objection
    assert not other.objection
    assert changed.model_fields_set is not original.model_fields_set
    assert shared == original.model_fields_set == other.model_fields_set
    assert Review() == other.review
    assert original.review is other.review


def test_batches_share_nothing(batch: Batch) -> None:
    """Sharing stays within one batch: a second load of the same file owns its values."""
    again = load_batch(BATCH, industry_codes=INDUSTRY, name="batch.yaml")
    assert again == batch
    assert again.claims[0].review is not batch.claims[0].review
    assert again.claims[0].model_fields_set is not batch.claims[0].model_fields_set


def test_compact_batch_equals_plain_validation(batch: Batch) -> None:
    """The shared batch equals, hashes and dumps like one validated field by field."""
    plain = reference(batch)
    assert plain == batch
    assert hash(plain.claims) == hash(batch.claims)
    assert plain.model_dump() == batch.model_dump()
    assert batch == batch_from_data(batch_to_data(batch), industry_codes=INDUSTRY)


def test_pickle_and_deepcopy_keep_the_batch(batch: Batch) -> None:
    """Pickling and deep copying give an equal batch whose sets are still mutable sets."""
    for twin in (pickle.loads(pickle.dumps(batch)), copy.deepcopy(batch)):  # noqa: S301
        assert batch == twin
        assert type(twin.claims[0].model_fields_set) is set
        assert twin.claims[0].model_copy(update={"objection": True}).objection


def test_decisions_match_plain_validation(rules: q.RuleSet) -> None:
    """The engine decides the shared batch exactly as the one validated field by field."""
    batch = rules.load_batch(BATCH, name="batch.yaml")  # under the readings it is decided by
    expected = q.evaluate(rules, reference(batch)).to_dict()
    assert expected == q.evaluate(rules, batch).to_dict()


@given(data=batch_data())
def test_any_batch_decided_as_plain_validation(data: dict[str, Any], rules: q.RuleSet) -> None:
    """For any valid batch, the loaded batch equals its plain validation and is decided alike."""
    loaded = batch_from_data(data, industry_codes=rules.industry_codes)
    plain = reference(loaded)
    assert plain == loaded
    assert q.evaluate(rules, plain).to_dict() == q.evaluate(rules, loaded).to_dict()


def test_pool_builds_value_models_once() -> None:
    """Equal value models built by one pool are one object, whatever built them first."""
    pool = batch_pool()
    unit = {"name": "中国标准化研究院", "region": "110108", "uscc": None, "hami": None}
    first = pool.build(DraftingUnit, unit)
    assert first is pool.build(DraftingUnit, dict(unit))
    assert first is pool.share(DraftingUnit.model_validate(unit))
    assert pool.build(Review, {}) is pool.share(Review())


def test_pool_keeps_equal_values_of_other_types_apart() -> None:
    """``share`` never returns a value of another type, however equal."""
    pool = batch_pool()
    pool.share(1.0)
    pool.share((1.0, "a"))
    assert type(pool.share(1)) is int
    assert pool.share(True) is True
    assert [int, str] == [type(item) for item in pool.share((1, "a"))]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"id": "A1", "name": "甲", "org_type": "enterprise", "colour": "red"}, "'colour'"),
        ({"id": "A1", "org_type": "enterprise"}, "missing required field 'name'"),
    ],
)
def test_pool_refuses_unknown_and_missing_fields(values: dict[str, object], message: str) -> None:
    """``build`` checks field names, as ``model_construct`` alone would not."""
    with pytest.raises(TypeError, match=message):
        batch_pool().build(Applicant, values)
