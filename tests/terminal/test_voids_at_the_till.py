# ruff: noqa: F811 - ``setup`` is the imported pytest fixture, taken as an argument
"""A stamp earned online and pulled is voided offline by its transaction id: exactly
the stamps it added come off, once (the till reads the pulled entry's stamps delta).

Planted bug this test was seen failing on (mutmut's name): ``facts.pulled_entries``
reading no ``stamps_delta`` (the void has nothing to take back)."""

from common.operations import VoidStamps
from common.outcome import Rejected
from desktop.engine.till import Confirmed

# The till engine tests' fixture: a till paired with the server, 3 cards pulled.
from tests.terminal.test_till_engine import API, setup  # noqa: F401

try:
    from tests.support.local_till import pull_into as _pull_into
except ImportError:  # the mutation run's copy of an older commit (docs/mutation.md)
    from tests.terminal.test_till_engine import _pull_into  # type: ignore[no-redef]


def test_a_pulled_stamp_is_voided_offline_by_its_transaction_id_once(setup, client):
    shop, numbers, remote, store, till, _ = setup
    pin = shop.pin_ids[shop.store_ids[0]]
    stamped = client.post(
        f"{API}/stamp", json={"card_number": numbers[1]}, headers=shop.owner_headers
    )
    assert stamped.status_code == 200, stamped.text
    _pull_into(store, remote)
    entry_id = stamped.json()["transaction_id"]
    assert till.card(numbers[1]).stamp_count == 1

    void = till.perform(VoidStamps(card_number=numbers[1], original_transaction_id=entry_id), pin)
    twice = till.perform(VoidStamps(card_number=numbers[1], original_transaction_id=entry_id), pin)

    assert isinstance(void, Confirmed), void
    assert void.card.stamp_count == 0
    assert isinstance(twice, Rejected)
    assert twice.code == "ALREADY_VOIDED"
