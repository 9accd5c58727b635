"""The HTTP front of the emulator: one loopback port serves sso-oidc, the portal,
STS GetCallerIdentity, the browser pages and the `/_emulator/` control endpoints
(their paths never collide).
"""

from __future__ import annotations

import html
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import federation, oidc, portal, sts
from .errors import Rendered, ServiceError, default_shape, not_emulated
from .org import Organisation
from .state import Failure, Scripted, Settings, State

JSON_TYPE = "application/json"
FORM_SERVICES = ("federation", "sts")  # form-encoded bodies, merged into the query
HTML_TYPE = "text/html; charset=utf-8"


def _json(status: int, body: object) -> Rendered:
    return status, {"Content-Type": JSON_TYPE}, json.dumps(body).encode()


def _page(status: int, title: str, text: str, extra: str = "") -> Rendered:
    doc = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{extra}</body></html>"
    )
    return status, {"Content-Type": HTML_TYPE}, doc.encode()


DEVICE_FORM = (
    "<form method='get' action='/device'><label>Code <input name='user_code' "
    "autofocus placeholder='ABCD-EFGH'></label> <button type='submit'>Approve</button></form>"
)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that can cut open keep-alive connections on stop().

    Without this, pooled botocore connections would keep talking to the handler
    threads of a stopped emulator.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._connections.discard(request)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (Ctrl-C, a killed CLI) is not a bug."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or not self.emulator.verbose:
            return
        super().handle_error(request, client_address)


REST_XML_SERVICES = frozenset({"s3", "s3control", "route53", "cloudfront"})

Route = Callable[["_Handler", dict[str, str], dict[str, Any]], Rendered]


class _Handler(BaseHTTPRequestHandler):
    """Routes one request; never logs query strings, bodies or headers (tokens)."""

    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, a keep-alive
    # client's delayed ACK stalls every response by ~40 ms.
    disable_nagle_algorithm = True
    timeout = 60
    server_version = "shellsso-emulator"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch("POST")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header, off by the emulator's clock skew (to test clock checks)."""
        now = time.time() if timestamp is None else timestamp
        return super().date_time_string(now + self.server.emulator.clock_skew)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence http.server's default logging: request lines carry codes."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        emu = self.server.emulator
        if emu.verbose:
            path = urlsplit(self.path).path
            sys.stderr.write(f"[emulator] {self.command} {path} -> {code}\n")

    @property
    def emu(self) -> Emulator:
        return self.server.emulator

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            raw = self._read_body()
        except ValueError:
            self.close_connection = True  # the stream position is unknown now
            self._send(*_json(400, {"message": "Bad request body"}))
            return
        signed_for = sts.signing_service(self.headers.get("Authorization"))
        if signed_for is not None and signed_for != "sts":
            # XML for the query protocol (a form body) and the REST-XML services.
            json_style = not ("x-www-form-urlencoded" in self.headers.get("Content-Type", "")
                              or signed_for in REST_XML_SERVICES)
            self._send(*not_emulated(signed_for, json_style))
            return
        entry = ROUTES.get((method, split.path))
        if entry is None:
            status = 405 if any(p == split.path for _, p in ROUTES) else 404
            self._send(status, {"Content-Type": JSON_TYPE,
                                "x-amzn-ErrorType": "UnknownOperationException"},
                       json.dumps({"message": "Unknown operation"}).encode())
            return
        operation, service, route = entry
        try:
            if service in FORM_SERVICES:
                query.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            if service == "sts":  # one path for every action, named in the form body
                operation = query.get("Action", "")
            if operation:
                self.emu.state.count(operation)
                failure = self.emu.state.take_failure(operation)
                if failure is not None:
                    self._send(*self._failure(service, failure))
                    return
                scripted = self.emu.state.take_scripted(operation)
                if scripted is not None:
                    self._send(*self._scripted(scripted, raw))
                    return
                if operation in THROTTLED and not self.emu.throttle.admit():
                    self.emu.state.count("Throttled")
                    raise ServiceError("portal", "TooManyRequestsException",
                                       "Rate exceeded", 429)
            body: dict[str, Any] = {}
            if method == "POST" and service not in FORM_SERVICES:
                body = self._parse_json(raw, service)
            self._send(*route(self, query, body))
        except ServiceError as err:
            self._send(*err.render())
        except Exception:  # noqa: BLE001 - a bug in the emulator: answer like the service would
            if self.emu.verbose:
                traceback.print_exc()
            bug = ServiceError("oidc" if service == "oidc" else "portal",
                               "InternalServerException", "Internal server error", 500)
            self._send(*bug.render())

    def _failure(self, service: str, failure: Failure) -> Rendered:
        if service == "html":
            return _page(failure.status, "Error", "Injected failure")
        return ServiceError(service, failure.shape, "Injected failure", failure.status).render()

    def _scripted(self, answer: Scripted, raw: bytes) -> Rendered:
        body = answer.body() if callable(answer.body) else answer.body
        if b"{{request}}" in body:
            said = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
            said += "\n" + self.path + "\n" + raw.decode("utf-8", "replace")
            body = body.replace(b"{{request}}", json.dumps(said)[1:-1].encode())
        return answer.status, dict(answer.headers), body

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise ValueError("chunked bodies are not supported")
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > 1 << 20:
            raise ValueError("bad length")
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _parse_json(raw: bytes, service: str) -> dict[str, Any]:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            svc = "oidc" if service == "oidc" else "portal"
            raise ServiceError(svc, "InvalidRequestException", "Request body must be a JSON object")
        return body

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    # --- sso-oidc -----------------------------------------------------------------

    def register_client(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return _json(200, oidc.register_client(self.emu.state, self.emu.settings, body))

    def start_device_authorization(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        result = oidc.start_device_authorization(
            self.emu.state, self.emu.settings, self.emu.url, body
        )
        return _json(200, result)

    def create_token(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return _json(200, oidc.create_token(self.emu.state, self.emu.settings, body))

    # --- browser pages -----------------------------------------------------------

    def authorize(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        outcome = oidc.authorize(self.emu.state, query)
        if outcome.location is None:
            return _page(outcome.status, "Authorization failed", outcome.message)
        return 302, {"Location": outcome.location, "Content-Type": HTML_TYPE}, b""

    def device(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        user_code = query.get("user_code", "").strip()
        if not user_code:
            return _page(200, "Authorize request", "Enter the code shown by your tool.",
                         DEVICE_FORM)
        result = oidc.verify_device(self.emu.state, user_code)
        if result == "approved":
            return _page(200, "Request approved",
                         "You may close this window and return to your terminal.")
        if result == "denied":
            return _page(200, "Request denied", "The authorization request was denied.")
        if result == "expired":
            return _page(400, "Code expired", "This code has expired.", DEVICE_FORM)
        return _page(404, "Unknown code", "No pending request has this code.", DEVICE_FORM)

    # --- sso portal --------------------------------------------------------------

    def _token(self) -> Any:
        return portal.authenticate(self.emu.state, self.headers.get("x-amz-sso_bearer_token"))

    def list_accounts(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        self._token()
        return _json(200, portal.list_accounts(query, self.emu.org))

    def list_account_roles(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        self._token()
        return _json(200, portal.list_account_roles(query, self.emu.org))

    def get_role_credentials(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        self._token()
        return _json(200, portal.get_role_credentials(self.emu.state, self.emu.settings, query,
                                                      self.emu.org))

    def logout(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        portal.logout(self.emu.state, self._token())
        return 200, {"Content-Type": JSON_TYPE}, b""

    # --- console federation and STS (form-encoded, parameters in `query`) -----------

    def federation_endpoint(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return federation.handle(self.emu.state, query)

    def sts_endpoint(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return sts.handle(self.emu.state, query, self.headers.get("Authorization"),
                          self.headers.get("X-Amz-Security-Token"))

    # --- control ------------------------------------------------------------------

    def stats(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return _json(200, self.emu.counters)

    def expire(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return _json(200, {"expired": self.emu.expire_tokens()})

    def fail(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        operation = body.get("operation")
        status = body.get("status", 500)
        count = body.get("count", 1)
        shape = body.get("error")
        if (
            not isinstance(operation, str)
            or not isinstance(status, int)
            or not isinstance(count, int)
            or not (shape is None or isinstance(shape, str))
        ):
            return _json(400, {"message": "expected {operation: str, status: int, count: int}"})
        try:
            self.emu.inject_failure(operation, status, count, shape)
        except ValueError as err:
            return _json(400, {"message": str(err)})
        return _json(200, {"operation": operation, "status": status, "count": count})

    def deny(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        deny = body.get("deny")
        armed = self.emu.deny_next(None if not isinstance(deny, bool) else deny)
        return _json(200, {"denyNext": armed})

    def approve_all(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        return _json(200, {"approved": self.emu.approve_all()})

    def credentials(self, query: dict[str, str], body: dict[str, Any]) -> Rendered:
        fields = body.get("credentials") or {}
        if not isinstance(fields, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
            return _json(400, {"message": "expected {credentials: {field: str}}"})
        self.emu.serve_credentials(fields)
        return _json(200, {"credentials": sorted(fields)})


# (method, path) -> (operation name counted in stats, error style, handler)
ROUTES: dict[tuple[str, str], tuple[str, str, Route]] = {
    ("POST", "/client/register"): ("RegisterClient", "oidc", _Handler.register_client),
    ("POST", "/device_authorization"): (
        "StartDeviceAuthorization", "oidc", _Handler.start_device_authorization),
    ("POST", "/token"): ("CreateToken", "oidc", _Handler.create_token),
    ("GET", "/authorize"): ("Authorize", "html", _Handler.authorize),
    ("GET", "/device"): ("VerifyDevice", "html", _Handler.device),
    ("GET", "/assignment/accounts"): ("ListAccounts", "portal", _Handler.list_accounts),
    ("GET", "/assignment/roles"): ("ListAccountRoles", "portal", _Handler.list_account_roles),
    ("GET", "/federation/credentials"): (
        "GetRoleCredentials", "portal", _Handler.get_role_credentials),
    ("POST", "/logout"): ("Logout", "portal", _Handler.logout),
    ("GET", "/federation"): ("", "federation", _Handler.federation_endpoint),
    ("POST", "/federation"): ("", "federation", _Handler.federation_endpoint),
    ("POST", "/"): ("", "sts", _Handler.sts_endpoint),
    ("GET", "/_emulator/stats"): ("", "portal", _Handler.stats),
    ("POST", "/_emulator/expire-tokens"): ("", "portal", _Handler.expire),
    ("POST", "/_emulator/fail"): ("", "portal", _Handler.fail),
    ("POST", "/_emulator/deny"): ("", "portal", _Handler.deny),
    ("POST", "/_emulator/approve-all"): ("", "portal", _Handler.approve_all),
    ("POST", "/_emulator/credentials"): ("", "portal", _Handler.credentials),
}


THROTTLED = frozenset({"ListAccounts", "ListAccountRoles"})


class Throttle:
    """At most `rate` portal list calls per second (0: no limit), like the portal's 429s."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._recent: list[float] = []

    def admit(self) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            self._recent = [t for t in self._recent if now - t < 1.0]
            if len(self._recent) >= self.rate:
                return False
            self._recent.append(now)
            return True


class Emulator:
    """A local IAM Identity Center (sso-oidc + portal) on 127.0.0.1.

    Use as a context manager or call start()/stop(); point botocore at `url`
    with AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO (and, for role
    chains, AWS_ENDPOINT_URL_STS); `shellsso console` at `url + "/federation"`
    with SHELLSSO_SIGNIN_URL.
    """

    def __init__(
        self,
        port: int = 0,
        token_ttl: int = 3600,
        credential_ttl: int = 3600,
        registration_ttl: int = 90 * 86400,
        device_code_ttl: int = 600,
        interval: int = 1,
        state_file: str | None = None,
        auto_approve: bool = False,
        *,
        verbose: bool = False,
        clock_skew: float = 0,
        org: Organisation | None = None,
        throttle: float = 0.0,
    ) -> None:
        self.requested_port = port
        # Seconds added to the `Date` header: a server clock ahead (or behind) of ours.
        self.clock_skew = clock_skew
        self.org = org if org is not None else Organisation()
        self.throttle = Throttle(throttle)
        self.settings = Settings(
            token_ttl=token_ttl,
            credential_ttl=credential_ttl,
            registration_ttl=registration_ttl,
            device_code_ttl=device_code_ttl,
            interval=interval,
            auto_approve=auto_approve,
        )
        self.verbose = verbose
        self.state = State(state_file)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind 127.0.0.1 (never all interfaces) and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.requested_port), self)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name="shellsso-emulator", daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut keep-alive connections and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (useful when constructed with port=0)."""
        if self._server is None:
            raise RuntimeError("emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL for both services, e.g. http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def counters(self) -> dict[str, int]:
        """Requests received per operation (including injected failures)."""
        with self.state.lock:
            return dict(self.state.counters)

    @property
    def issued_access_key_ids(self) -> list[str]:
        """Access key ids handed out by GetRoleCredentials, oldest first."""
        with self.state.lock:
            return list(self.state.issued_access_key_ids)

    # --- controls (also reachable over HTTP under /_emulator/) ----------------------

    def expire_tokens(self) -> int:
        """Expire every access token server-side; returns how many were live."""
        return oidc.expire_tokens(self.state)

    def inject_failure(
        self, operation: str, status: int = 500, count: int = 1, shape: str | None = None
    ) -> None:
        """Make the next `count` calls of `operation` fail with `status` (count 0 disarms).

        `operation` is a name from `counters` (CreateToken, GetRoleCredentials, ...);
        `shape` overrides the error type, e.g. SlowDownException with status 400.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {sorted(OPERATIONS)}")
        if not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        service = "oidc" if operation in OIDC_OPERATIONS else "portal"
        with self.state.lock:
            if count <= 0:
                self.state.failures.pop(operation, None)
                return
            self.state.failures[operation] = Failure(
                status=status, count=count, shape=shape or default_shape(service, status)
            )

    def script(
        self,
        operation: str,
        body: bytes | str | dict[str, Any] | list[Any] | Callable[[], bytes],
        status: int = 200,
        headers: dict[str, str] | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next `count` calls of `operation` with exactly this (count < 0: every
        call; 0 disarms), as a rogue or broken endpoint would: any status, any headers
        (default `Content-Type: application/json`), any body. A dict or list body is sent
        as JSON; `{{request}}` in the body repeats the request (headers, path and body); a
        callable body gives the bytes of each answer."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {sorted(OPERATIONS)}")
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        sent = {"Content-Type": JSON_TYPE} if headers is None else dict(headers)
        with self.state.lock:
            if count == 0:
                self.state.scripted.pop(operation, None)
                return
            self.state.scripted[operation] = Scripted(
                status=status, headers=sent, body=data, count=count)

    def deny_next(self, deny: bool | None = True) -> bool:
        """Arm (True), disarm (False) or toggle (None) denial of the next authorization."""
        with self.state.lock:
            self.state.deny_next = (not self.state.deny_next) if deny is None else deny
            return self.state.deny_next

    def serve_credentials(self, fields: dict[str, str] | None) -> None:
        """Answer GetRoleCredentials with these fields (accessKeyId, secretAccessKey,
        sessionToken) in place of fresh ones, as a rogue portal would; None or {} stops."""
        with self.state.lock:
            self.state.credential_overrides = dict(fields or {})

    def approve_all(self) -> int:
        """Approve every pending device code; returns how many."""
        return oidc.approve_all(self.state)

    def approve(self, user_code: str) -> bool:
        """Approve one device code as a browser visit would."""
        return oidc.verify_device(self.state, user_code) == "approved"


OPERATIONS = frozenset(op for op, _, _ in ROUTES.values() if op)
OIDC_OPERATIONS = frozenset(op for op, svc, _ in ROUTES.values() if svc == "oidc")
