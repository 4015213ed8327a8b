"""A background pool whose card loads finish when the test says, in the order it says:
two loads in flight at once, as on a busy till whose sync thread wakes mid-action."""

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject

from desktop.engine.card_view import CardView
from desktop.ui.background import Background

T = TypeVar("T")


class HeldCardLoads(Background):
    """While ``holding``, a finished job whose answer is a card (a ``CardView``) is kept
    in ``held`` instead of delivered; ``release`` delivers them. Other jobs (a PIN check,
    a search, an enroll) are delivered as usual."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.holding = False
        self.held: list[Callable[[], None]] = []

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        def deliver(result: T) -> None:
            is_card = isinstance(result, CardView)
            if self.holding and is_card:
                self.held.append(lambda: on_done(result))
            else:
                on_done(result)

        super().run(fn, deliver, on_error)

    def release(self, newest_first: bool = False) -> None:
        self.holding = False
        held, self.held = self.held, []
        for deliver in reversed(held) if newest_first else held:
            deliver()
