"""Which late card load may still be shown (the window's sequencing, without Qt)."""

from desktop.engine.card_intent import CardIntent


def test_a_load_for_a_card_opened_before_the_last_one_is_dropped() -> None:
    intent = CardIntent()
    ada = intent.open("ada")
    alan = intent.open("alan")

    assert intent.take(alan)
    assert not intent.take(ada)


def test_a_refresh_loads_the_card_last_opened_not_the_one_still_shown() -> None:
    intent = CardIntent()
    intent.take(intent.open("ada"))
    intent.open("grace")

    refresh = intent.refresh()

    assert refresh is not None
    assert refresh.card_number == "grace"


def test_an_older_refresh_never_overwrites_a_newer_one_of_the_same_card() -> None:
    intent = CardIntent()
    intent.open("ada")
    first, second = intent.refresh(), intent.refresh()
    assert first is not None
    assert second is not None

    assert intent.take(second)
    assert not intent.take(first)


def test_after_a_close_or_a_search_nothing_asked_before_is_shown() -> None:
    intent = CardIntent()
    ada = intent.open("ada")
    intent.close()
    assert intent.refresh() is None
    assert not intent.take(ada)

    alan = intent.open("alan")
    intent.search()
    assert not intent.take(alan)
