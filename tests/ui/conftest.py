"""A real sync server (uvicorn on SQLite) for the window tests, and a till paired to a
fresh shop on it. The till's token lives in memory: the keyring itself is covered by
the sync client tests."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.server_process import ServerProcess
from desktop.engine.terminal import Terminal
from desktop.ui.main_window import MainWindow
from sync_server.db import make_engine, make_session_factory
from tests.support.camera import no_camera
from tests.support.shop import Shop, make_shop
from tests.support.terminals import new_terminal, pairing_code

API = "/api/v1/store/loyalty"
_names = itertools.count(1)


@dataclass
class UiServer:
    url: str
    factory: object

    def shop(self, **program: object) -> Shop:
        return make_shop(self.factory, name=f"Ui{next(_names)}", **program)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory, _sqlite_templates) -> Iterator[UiServer]:
    url = _sqlite_templates.fresh(tmp_path_factory.mktemp("ui-server") / "loyalty.db")
    engine = make_engine(url)
    server = ServerProcess(url, workers=1)
    server.start()
    yield UiServer(server.url, make_session_factory(engine))
    server.stop()
    engine.dispose()


@dataclass
class PairedTill:
    terminal: Terminal
    shop: Shop
    http: httpx.Client
    cards: list[str]

    @property
    def pin_id(self) -> int:
        return self.shop.pin_ids[self.shop.store_ids[0]]


@pytest.fixture
def till(ui_server: UiServer, tmp_path: Path) -> Iterator[PairedTill]:
    shop = ui_server.shop(cooldown_minutes=0, max_daily_stamps=20, welcome_bonus_points=30)
    http = httpx.Client(base_url=ui_server.url, headers=shop.owner_headers, timeout=10)
    cards = []
    for name, email in (("Ada Lovelace", "ada@x.example"), ("Alan Turing", "alan@x.example")):
        made = http.post(f"{API}/cards/enroll", json={"email": email, "customer_name": name})
        assert made.status_code in (200, 201), made.text
        cards.append(made.json()["card_number"])
    terminal = new_terminal(tmp_path / "till")
    terminal.client.pair(ui_server.url, pairing_code(http), "Test till")
    assert terminal.client.sync_once().online
    yield PairedTill(terminal, shop, http, cards)
    terminal.close()
    http.close()


@pytest.fixture
def window(qtbot, till: PairedTill) -> Iterator[MainWindow]:
    """The till's main window over a paired till, on a PC without a camera."""
    win = MainWindow(till.terminal, camera_source=no_camera)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
