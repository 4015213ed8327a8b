"""Which protocol version a request declares, and whether this server serves it
(docs/sync-protocol.md, "Versions"). The verdict comes before any other check, so an
old till learns it needs an update instead of reading a 401 as a revocation."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.protocol import (
    CURRENT,
    HEADER,
    NEWEST,
    OLDEST,
    UNDECLARED,
    Verdict,
    judge,
    till_headers,
)


def test_a_till_declares_the_version_it_speaks_in_one_header() -> None:
    assert till_headers() == {"Loyalty-Protocol": str(CURRENT)}
    assert HEADER == "Loyalty-Protocol"


def test_this_release_s_server_serves_this_release_s_till_and_nothing_newer() -> None:
    # No till speaks a version newer than this release's: serving it would be a guess.
    assert OLDEST <= CURRENT == NEWEST
    assert judge(till_headers()[HEADER], sync_path=True) == Verdict(CURRENT, True)
    assert judge(till_headers()[HEADER], sync_path=False) == Verdict(CURRENT, True)


def test_a_sync_call_without_the_header_is_a_till_from_before_it_existed() -> None:
    assert UNDECLARED == 1
    assert judge(None, sync_path=True) == Verdict(1, OLDEST <= 1 <= NEWEST)


def test_a_browser_or_script_need_not_declare_anything() -> None:
    assert judge(None, sync_path=False) is None


@pytest.mark.parametrize("header", [str(OLDEST), str(NEWEST), f" {CURRENT} ", f"00000{CURRENT}"])
def test_a_served_version_is_accepted(header: str) -> None:
    assert judge(header, sync_path=True) == Verdict(int(header), True)


@pytest.mark.parametrize("version", [OLDEST - 1, NEWEST + 1, 999_999])
def test_a_version_outside_the_served_range_is_read_and_refused(version: int) -> None:
    assert judge(str(version), sync_path=True) == Verdict(version, False)
    assert judge(str(version), sync_path=False) == Verdict(version, False)


@pytest.mark.parametrize(
    "header",
    ["", " ", "1.0", "-1", "+1", "v1", "1,1", "١", "²", "1234567", "0000001", "9" * 100],
)
def test_anything_but_one_to_six_ascii_digits_is_refused_unread(header: str) -> None:
    assert judge(header, sync_path=True) == Verdict(None, False)
    assert judge(header, sync_path=False) == Verdict(None, False)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=12), st.booleans())
def test_any_header_gets_a_verdict_that_never_serves_what_is_outside_the_range(
    header: str, sync_path: bool
) -> None:
    verdict = judge(header, sync_path=sync_path)
    assert verdict is not None
    if verdict.supported:
        assert verdict.version is not None
        assert OLDEST <= verdict.version <= NEWEST
    if verdict.version is None:
        assert not verdict.supported
