"""A TCP proxy on 127.0.0.1 that can let its open connections die silently: after
``go_silent()`` they stay open on both sides and nothing more crosses them, in either
direction, and no FIN or RST is sent (a NAT or a proxy that forgot the connection, a
cable pulled between). New connections pass as usual."""

import contextlib
import socket
import threading
from typing import Any


class SilentProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> "SilentProxy":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for client, upstream, _ in self._pairs:
                client.close()
                upstream.close()

    def go_silent(self) -> int:
        """Silence every open connection; returns how many."""
        with self._lock:
            for _, _, silent in self._pairs:
                silent.set()
            return len(self._pairs)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            silent = threading.Event()
            with self._lock:
                self._pairs.append((client, upstream, silent))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(src, dst, silent), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket, silent: threading.Event) -> None:
    """Forward until either side closes; once silent, swallow what comes and never
    close (the peers must find out by themselves)."""
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            return
        if silent.is_set():
            if not data:
                return
            continue
        if not data:  # a closed peer is passed on while the link is alive
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            return
        try:
            dst.sendall(data)
        except OSError:
            return
