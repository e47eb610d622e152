"""An HTTP forward proxy on a loopback port, for virtual-hosted S3 requests without DNS.

A client given ``HTTP_PROXY=http://127.0.0.1:PORT`` sends ``GET http://bucket.s3.test:9000/key``
(the absolute form) to the proxy, which needs no name resolved: it connects to
``127.0.0.1:9000`` (the URL's port), sends the request line in origin form (``GET /key``) and
everything else as it came, the ``Host`` header (which the signature covers) untouched, then
relays both ways until either side closes. Each request line's host is noted (``hosts``), so a
test sees the addressing style the client used. Plain HTTP only (no CONNECT); one request per
connection is rewritten, later ones on a kept-alive connection go on in absolute form, which
HTTP/1.1 servers take.

Thread-safe; ``close`` stops accepting and closes every socket it opened (also as a context
manager).
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class ForwardProxy:
    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(32)
        self.port: int = self._server.getsockname()[1]
        self.hosts: list[str] = []
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets, self._sockets = self._sockets, []
        for sock in (self._server, *sockets):
            _close(sock)

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                _close(sock)
                return False
            self._sockets.append(sock)
            return True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self._track(client):
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        buffered = b""
        try:
            while b"\r\n" not in buffered:
                data = client.recv(65536)
                if not data:
                    return
                buffered += data
            line, rest = buffered.split(b"\r\n", 1)
            method, target, version = line.split(b" ", 2)
            parts = urlsplit(target.decode("ascii"))
            with self._lock:
                self.hosts.append(parts.netloc)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            upstream = socket.create_connection(("127.0.0.1", parts.port or 80))
        except (OSError, ValueError, UnicodeDecodeError):
            _close(client)
            return
        if not self._track(upstream):
            _close(client)
            return
        upstream.sendall(b" ".join([method, path.encode("ascii"), version]) + b"\r\n" + rest)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass
