"""The answers' JSON: the same bytes as the per-value encoder it replaced, for every value an
answer holds (money and hours as exact numbers, UTC timestamps, any text)."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from billtrack.entrypoints.wire.json_encoding import encode, encode_bytes
from tests.unit.entrypoints import per_value_json


class Status(enum.Enum):
    PENDING = "pending"
    GENERATED = "generated"


decimals = st.builds(
    lambda digits, places, negative: Decimal(digits).scaleb(-places) * (-1 if negative else 1),
    st.integers(min_value=0, max_value=10**16),
    st.integers(min_value=0, max_value=4),
    st.booleans(),
)
timestamps = st.datetimes(
    # Hypothesis takes naive bounds and attaches the zone itself.
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(),
    decimals,
    timestamps,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.uuids(),
    st.sampled_from(Status),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(values)
def test_the_bytes_are_those_of_the_per_value_encoder(value: Any) -> None:
    assert encode(value) == per_value_json.encode(value)
    assert encode_bytes(value) == per_value_json.encode(value).encode()


@given(values)
def test_indented_output_is_laid_out_as_before(value: Any) -> None:
    assert encode(value, indent=2) == per_value_json.encode(value, indent=2)


def test_money_keeps_its_places_and_reads_back_exactly() -> None:
    text = encode({"salary": Decimal("4000.00"), "rate": Decimal("21.7391")})
    assert text == '{"salary":4000.00,"rate":21.7391}'
    assert json.loads(text, parse_float=Decimal) == {
        "salary": Decimal("4000.00"),
        "rate": Decimal("21.7391"),
    }


def test_timestamps_are_utc_with_a_z() -> None:
    at = datetime(2024, 11, 4, 9, 30, 0, 123, tzinfo=UTC)
    assert encode([at, at.replace(microsecond=0)]) == (
        '["2024-11-04T09:30:00.000123Z","2024-11-04T09:30:00Z"]'
    )
