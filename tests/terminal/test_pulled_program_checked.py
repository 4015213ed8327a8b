"""A pulled program whose fields are of the wrong kind is refused with words before a
row of the page is written (pull_page.problem), whatever the kind.

Found by the hostile-page property test (``test_hostile_input``) on one run of the
mutation sample and not the next: ``loyalty_type`` as a list or an object raised
``TypeError: unhashable type`` out of the check (``v in set(LoyaltyType)``), which a
sync round reports as a failure in the till. Planted: that check restored (this test
fails with the TypeError)."""

from typing import Any

import pytest

from desktop.engine import pull_page
from tests.support.hostile_server import valid_page


@pytest.mark.parametrize("value", [[], {}, ["stamps"], None, 1, "coffee"])
def test_a_loyalty_type_of_the_wrong_kind_is_refused_in_words(value: Any):
    page: Any = valid_page(cursor="c2")
    page["program"]["loyalty_type"] = value

    found = pull_page.problem(page)

    assert isinstance(found, str)
    assert "program" in found


def test_a_known_loyalty_type_is_accepted():
    page: Any = valid_page(cursor="c2")
    page["program"]["loyalty_type"] = "hybrid"

    assert pull_page.problem(page) is None
