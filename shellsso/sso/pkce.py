"""PKCE pieces of the authorization-code login: verifier, challenge, URL, loopback.

The authorize URL is built exactly as the AWS CLI v2 builds it (docs/protocol.md §4.5),
against the sso-oidc endpoint the client resolved, so endpoint overrides send
the browser to the same place as the API calls. The loopback server listens on
127.0.0.1 only (a random port) and runs in its own thread: the browser may be
opened by a command that does not return until the page is done. Any local
process can reach that port, so only a callback that carries the login's
`state` ends the wait.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Optional, Sequence
from urllib.parse import parse_qs, urlencode, urlsplit

VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH = 64
CALLBACK_PATH = "/oauth/callback"
TIMEOUT = 10 * 60  # the CLI waits this long for the browser


def _page(text: str) -> bytes:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>shellsso</title></head>"
        "<body style='font-family:sans-serif;margin:3em'><h1>shellsso</h1>"
        f"<p>{text}</p></body></html>"
    ).encode()


PAGE = _page("You can close this tab and return to your terminal.")
NOT_THIS_LOGIN = _page("This answer does not belong to the login under way; it is ignored.")
NOT_HERE = _page("Nothing here.")


def make_verifier() -> str:
    """64 random characters from the RFC 7636 unreserved set, as the CLI uses."""
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))


def make_challenge(verifier: str) -> str:
    """S256: base64url(sha256(verifier)) with the `=` padding removed."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_state() -> str:
    """A UUID4 string, as the CLI sends in `state`."""
    import uuid

    return str(uuid.uuid4())


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Sequence[str],
    challenge: str,
) -> str:
    """`{base}/authorize?...` with the CLI's parameters in the CLI's order."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge_method": "S256",
            "scopes": " ".join(scopes),
        }
    )
    return f"{base_url.rstrip('/')}/authorize?{query}&code_challenge={challenge}"


class CallbackResult:
    """What the browser brought back for this login: a code, or an error."""

    def __init__(self) -> None:
        self.code: Optional[str] = None
        self.error: Optional[str] = None
        self.done = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "shellsso"
    timeout = 10  # one at a time: a connection that sends nothing must not hold the browser up

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        """Only this login's answer ends the wait; anything else is refused and ignored.

        Any local process can reach the port: a forged `?error=access_denied`
        or a code without this login's `state` must not end (or hijack) it.
        """
        split = urlsplit(self.path)
        if split.path != CALLBACK_PATH:
            self._answer(404, NOT_HERE)
            return
        params = parse_qs(split.query)
        state = params.get("state", [""])[0]
        code, error = params.get("code", [None])[0], params.get("error", [None])[0]
        if not (secrets.compare_digest(state.encode(), self.server.state.encode())
                and (code or error)):
            self._answer(400, NOT_THIS_LOGIN)
            return
        result = self.server.result
        if not result.done.is_set():  # the first answer counts
            result.code, result.error = code, error
            result.done.set()
        self._answer(200, PAGE)

    def _answer(self, status: int, page: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silent: the request line carries the authorization code."""


class _Server(HTTPServer):
    def __init__(self, state: str) -> None:
        self.state = state
        self.result = CallbackResult()
        super().__init__(("127.0.0.1", 0), _Handler)


class Loopback:
    """The redirect target of the login whose `state` it is: serves in a daemon thread."""

    def __init__(self, state: str) -> None:
        self._server = _Server(state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name="shellsso-loopback", daemon=True,
        )

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def start(self) -> Loopback:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float = TIMEOUT) -> Optional[CallbackResult]:
        """The callback, or None after `timeout` seconds. Ctrl-C interrupts it."""
        deadline = time.monotonic() + timeout
        result = self._server.result
        while not result.done.wait(min(0.5, max(deadline - time.monotonic(), 0))):
            if time.monotonic() >= deadline:
                return None
        return result

    def __enter__(self) -> Loopback:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
