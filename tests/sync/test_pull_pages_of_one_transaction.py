"""Rows written by one transaction share one change stamp; a page boundary may fall
between them, and the next page must carry on after the last row handed out, by id
within the stamp, without skipping or repeating one. The next round starts where the
last one ended, so an incremental pull sends only what changed.

Written against the mutants mutmut left alive in sync_server/sync/pull.py
(docs/mutation.md): a page's key made of the stamp twice, a page's cursor that forgets
where its round began (``lo``)."""

from tests.support.shop import make_shop
from tests.support.till import Till, pair


def _enrollments(till: Till, n: int, first: int = 0) -> list[dict[str, object]]:
    return [
        till.op(
            {
                "type": "card.enroll",
                "card_number": till.new_card_number(),
                "customer": {"email": f"c{first + i}@example.com"},
            },
            offline=True,
        )
        for i in range(n)
    ]


def _one_round(till: Till, limit: int, most: int = 100) -> list[dict]:
    """The pages of one round, at most ``most`` of them: a cursor that does not move
    on fails here instead of paging for ever."""
    pages: list[dict] = []
    while not pages or pages[-1]["has_more"]:
        assert len(pages) < most, "the round never ends: the cursor does not move on"
        params: dict[str, object] = {"limit": limit}
        if till.cursor:
            params["cursor"] = till.cursor
        response = till.client.get("/api/v1/sync/pull", params=params, headers=till.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        till.cursor = pages[-1]["cursor"]
    return pages


def _handed_out(pages: list[dict], entity: str) -> list[object]:
    return [row["id"] for page in pages for row in page["changes"][entity]]


def test_pages_of_one_row_hand_out_each_row_of_one_transaction_exactly_once(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    assert all(r["status"] == "applied" for r in till.push(_enrollments(till, 6)).json()["results"])

    pages = _one_round(till, limit=1)

    cards = _handed_out(pages, "cards")
    assert len(cards) == len(set(cards)) == 6
    assert sorted(cards) == cards


def test_an_incremental_pull_in_small_pages_sends_only_the_new_rows(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    till.push(_enrollments(till, 3))
    first = _handed_out(_one_round(till, limit=1000), "cards")

    till.push(_enrollments(till, 3, first=3))
    pages = _one_round(till, limit=2)

    second = _handed_out(pages, "cards")
    assert len(second) == 3
    assert set(second).isdisjoint(first)
