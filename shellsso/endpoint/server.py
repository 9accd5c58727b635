"""The endpoint's HTTP server: 127.0.0.1 only, one small request per connection, bounded.

SDKs ask a container-credentials endpoint one GET with one header and read a small JSON
answer, so this server speaks only that much HTTP/1.1 and nothing a client could use to
hold it. One thread watches every connection (selectors) until its request head is
complete; only complete heads go to the few worker threads. Hence:

- a connection that sends nothing, or sends slowly, is closed when its head is not
  complete HEAD_TIMEOUT seconds after it connected, and never occupies a worker;
- a head longer than HEAD_LIMIT bytes is answered 431 and closed;
- at most MAX_CONNECTIONS connections are open; one more closes the oldest that has not
  sent its head (or, when every one is being answered, the new one), so that a hundred
  idle connections cannot keep a real client out;
- the answer is a few hundred bytes written with a timeout, then the connection closes.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Optional

HOST = "127.0.0.1"
HEAD_LIMIT = 8 * 1024
HEAD_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
MAX_CONNECTIONS = 64
WORKERS = 8
TICK = 0.2
"""How often the loop looks at the clock and the stop flag, in seconds."""

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 431: "Request Header Fields Too Large",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class Request:
    """A parsed request head: method, path (query removed), headers by lower-case name."""

    __slots__ = ("method", "path", "headers", "peer")

    def __init__(self, method: str, path: str, headers: Dict[str, List[str]], peer: str) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.peer = peer


class Answer:
    """What a handler returns: a status, a JSON body (bytes) and extra headers."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: bytes, headers: Optional[Dict[str, str]] = None
                 ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def parse_head(raw: bytes, peer: str) -> Optional[Request]:
    """The request line and headers, or None when they are not HTTP/1.x as a client sends it."""
    text = raw.decode("latin-1")
    lines = text.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    method, target, _ = parts
    headers: Dict[str, List[str]] = {}
    for line in lines[1:]:
        if not line:
            break
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        headers.setdefault(name.lower(), []).append(value.strip(" \t"))
    return Request(method, target.split("?", 1)[0], headers, peer)


def render(answer: Answer) -> bytes:
    """The whole response: status line, headers, body; the connection closes after it."""
    lines = [f"HTTP/1.1 {answer.status} {REASONS.get(answer.status, 'Error')}",
             "Content-Type: application/json",
             f"Content-Length: {len(answer.body)}",
             "Cache-Control: no-store",
             "Connection: close"]
    lines += [f"{name}: {value}" for name, value in answer.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body


class _Pending:
    """A connection whose head has not arrived yet."""

    __slots__ = ("sock", "peer", "deadline", "buffer")

    def __init__(self, sock: socket.socket, peer: str, deadline: float) -> None:
        self.sock = sock
        self.peer = peer
        self.deadline = deadline
        self.buffer = b""


class Server:
    """Listens on HOST:port from construction; `serve` answers until `stop` is called."""

    def __init__(self, handler: Callable[[Request], Answer], port: int = 0,
                 on_oversized: Optional[Callable[[str], None]] = None) -> None:
        self.handler = handler
        self.on_oversized = on_oversized
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.listener.bind((HOST, port))
        except OSError as exc:
            self.listener.close()
            from shellsso.core.errors import ShellssoError

            raise ShellssoError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}"
                                ) from None
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.port: int = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._pending: Dict[socket.socket, _Pending] = {}  # in the order they connected
        self._answering = 0
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------

    def stop(self) -> None:
        """Make `serve` return soon; safe from a signal handler or any thread."""
        self._stop.set()
        try:
            os.write(self._wake_write, b"x")
        except OSError:
            pass

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def serve(self) -> None:
        """Accept and read heads until stopped; answer them in worker threads."""
        workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="shellsso-serve")
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ, "listen")
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=TICK):
                    if key.data == "listen":
                        self._accept(selector)
                    elif key.data == "wake":
                        self._drain_wake()
                    else:
                        self._read(selector, key.data, workers)
                self._expire(selector, time.monotonic())
        finally:
            self.listener.close()
            for pending in list(self._pending.values()):
                self._drop(selector, pending)
            selector.close()
            workers.shutdown(wait=False, cancel_futures=True)
            for fd in (self._wake_read, self._wake_write):
                os.close(fd)

    # --- the loop's steps ------------------------------------------------------------

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_read, 512):
                pass
        except OSError:
            pass

    def _accept(self, selector: selectors.BaseSelector) -> None:
        while True:
            try:
                sock, address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors, a reset before accept: try later
                return
            with self._lock:
                full = len(self._pending) + self._answering >= MAX_CONNECTIONS
            if full:
                if not self._pending:
                    sock.close()  # every slot is answering a complete request
                    continue
                self._drop(selector, next(iter(self._pending.values())))  # the oldest idle
            sock.setblocking(False)
            pending = _Pending(sock, f"{address[0]}:{address[1]}",
                               time.monotonic() + HEAD_TIMEOUT)
            self._pending[sock] = pending
            selector.register(sock, selectors.EVENT_READ, pending)

    def _drop(self, selector: selectors.BaseSelector, pending: _Pending) -> None:
        self._pending.pop(pending.sock, None)
        try:
            selector.unregister(pending.sock)
        except (KeyError, ValueError):
            pass
        pending.sock.close()

    def _expire(self, selector: selectors.BaseSelector, now: float) -> None:
        for pending in [p for p in self._pending.values() if p.deadline <= now]:
            self._drop(selector, pending)

    def _read(self, selector: selectors.BaseSelector, pending: _Pending,
              workers: ThreadPoolExecutor) -> None:
        try:
            data = pending.sock.recv(HEAD_LIMIT + 1 - len(pending.buffer))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(selector, pending)
            return
        pending.buffer += data
        end = _head_end(pending.buffer)
        if end < 0 and len(pending.buffer) <= HEAD_LIMIT:
            return
        self._pending.pop(pending.sock, None)
        selector.unregister(pending.sock)
        with self._lock:
            self._answering += 1
        head = pending.buffer[:end] if end >= 0 else None
        workers.submit(self._answer, pending.sock, pending.peer, head)

    # --- in a worker -----------------------------------------------------------------

    def _answer(self, sock: socket.socket, peer: str, head: Optional[bytes]) -> None:
        try:
            if head is None:
                if self.on_oversized is not None:
                    self.on_oversized(peer)
                answer = Answer(431, b'{"code": "RequestHeaderFieldsTooLarge", '
                                     b'"message": "the request head is over 8 KiB"}')
            else:
                request = parse_head(head, peer)
                answer = (self.handler(request) if request is not None else
                          Answer(400, b'{"code": "BadRequest", "message": "not HTTP/1.x"}'))
            sock.settimeout(WRITE_TIMEOUT)
            sock.sendall(render(answer))
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client left: nothing to tell anyone
        finally:
            sock.close()
            with self._lock:
                self._answering -= 1


def _head_end(buffer: bytes) -> int:
    """Where the head ends (the blank line), or -1 while it has not arrived."""
    ends = [i for i in (buffer.find(b"\r\n\r\n"), buffer.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else -1


def answer_json(status: int, doc: Dict[str, str], headers: Optional[Dict[str, str]] = None
                ) -> Answer:
    """An Answer whose body is `doc` as JSON."""
    from shellsso.core.fast_stdlib import json_dumps_flat

    return Answer(status, json_dumps_flat(doc).encode("utf-8"), headers)
