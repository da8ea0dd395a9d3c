"""A page cursor is a position written out, so every string of its documented shape is one a list takes.

The OpenAPI document gives each `cursor` its pattern (`CURSOR_PATTERN`, the inbox's `SCOPED_CURSOR_PATTERN`, the
access log's `ACCESS_LOG_CURSOR_PATTERN`); a client that sends what matches it never meets a 422 for it, except
the inbox's cursor of another view or other filters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.access_log.records import ACCESS_LOG_CURSOR_PATTERN
from activities.platform.keyset_pages import (
    CURSOR_PATTERN,
    SCOPED_CURSOR_PATTERN,
    InvalidCursor,
    decode_cursor,
    decode_scoped_cursor,
    encode_cursor,
    encode_scoped_cursor,
)

SCOPE = "inbox:mine:0123456789abcdef"
END_OF_TIME = datetime.max.replace(tzinfo=UTC)  # the inbox's "no deadline running", and the latest position


@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_of_the_documented_shape_is_a_position(cursor: str) -> None:
    instant, row_id = decode_cursor(cursor)
    assert instant.tzinfo is not None and cursor.endswith(f".{row_id}")


@given(st.from_regex(ACCESS_LOG_CURSOR_PATTERN, fullmatch=True))
def test_every_access_log_cursor_of_its_shape_is_a_position(cursor: str) -> None:
    assert re.fullmatch(CURSOR_PATTERN, cursor) and decode_cursor(cursor)[1].isdigit()


@given(st.from_regex(SCOPED_CURSOR_PATTERN, fullmatch=True))
def test_an_inbox_cursor_of_its_shape_is_refused_only_for_another_scope(cursor: str) -> None:
    with pytest.raises(InvalidCursor, match="another list"):
        decode_scoped_cursor(cursor, "a scope no cursor names")
    decode_scoped_cursor(cursor, cursor.split(".")[2])


@pytest.mark.parametrize(
    "instant",
    [datetime(2026, 12, 7, 17, 9, 39, 754_000, tzinfo=UTC), datetime(2018, 1, 1, tzinfo=UTC), END_OF_TIME],
)
def test_a_page_gives_out_cursors_of_the_shape_it_documents(instant: datetime) -> None:
    row_id = "3f2b8c1e-6a4d-4e2f-9b7a-1c5d8e9f0a12"
    cursor, scoped = encode_cursor(instant, row_id), encode_scoped_cursor(instant, row_id, SCOPE)
    assert re.fullmatch(CURSOR_PATTERN, cursor) and re.fullmatch(SCOPED_CURSOR_PATTERN, scoped)
    assert decode_cursor(cursor) == (instant, row_id) == decode_scoped_cursor(scoped, SCOPE)


def test_a_position_past_the_year_9999_is_the_end_of_time() -> None:
    assert decode_cursor("999999999999999999.x") == (END_OF_TIME, "x")


@pytest.mark.parametrize(
    "cursor", ["", "not-a-cursor", "WyIyMDI2LTA0LTAyIiwgImEiXQ", "1.a b", "-1.a", "1.a.b", "1.a\n"]
)
def test_anything_else_is_no_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)
