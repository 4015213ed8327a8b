"""Text every store can hold and every screen can show (common/text.py): no NUL (which
PostgreSQL text cannot hold), no other C0 control character and no DEL, no lone
surrogate; tab and line breaks are ordinary text. The pattern the OpenAPI document
publishes and the check the server runs must say the same."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.text import TEXT_PATTERN, is_plain_text

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]


@pytest.mark.parametrize("text", ["", "Café crème", "line one\nline two\r\n", "a\tb", "日本 🎉"])
def test_ordinary_text_with_tabs_and_line_breaks_is_plain(text: str) -> None:
    assert is_plain_text(text)


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_any_control_character_anywhere_is_refused(char: str) -> None:
    assert not is_plain_text(char)
    assert not is_plain_text(f"before{char}after")


@pytest.mark.parametrize("surrogate", ["\ud800", "x\udfff"])
def test_a_lone_surrogate_is_refused(surrogate: str) -> None:
    assert not is_plain_text(surrogate)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_the_published_pattern_and_the_check_agree(text: str) -> None:
    assert is_plain_text(text) == (re.fullmatch(TEXT_PATTERN, text) is not None)
