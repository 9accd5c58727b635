"""What the endpoint answers: the token checked, one path, the credentials or a clear error.

The token is a per-server secret compared in constant time; a request without it gets
401, a wrong one 403 (so does one whose Host is a name: a web page's, by DNS rebinding),
and neither answer holds anything but a line of text. Only GET on PATH returns
credentials. When there are none (the session ended, the portal failed, a fetch that
has not ended) the
answer is an error whose JSON body says why and what to run: botocore quotes that body in
the error the user sees (`Received non 200 response 503 from container metadata: ...`).
"""

from __future__ import annotations

import hmac
import threading
import time

from shellsso.core.errors import LoginRequired, ShellssoError
from shellsso.endpoint.provider import CredentialsPending, document
from shellsso.endpoint.server import Answer, answer_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, List, Optional

    from shellsso.endpoint.provider import Provider
    from shellsso.endpoint.server import Request

PATH = "/credentials"
SESSION_ENDED = 503
"""The session ended: no credentials until a login. 503 says "come back later" to every
SDK, and the body names the command to run."""
UNAVAILABLE = 502
"""The portal (or STS, or a credential_process) failed: the answer it gave is in the body."""
PENDING = 504
"""The fetch has not ended in the time a request waits (a credential_process that hangs):
the client reads so now, rather than after its own timeout."""


def tell(message: str) -> None:
    """One line on the serving process's stderr (the terminal it was started from).

    The terminal may be gone: the server goes on serving the processes that outlive it.
    """
    from shellsso.core.output import PROG, info

    try:
        info(f"{PROG}: {message}")
    except (OSError, ValueError):
        pass


class RefusalLog:
    """Refused requests, one line each at most once every `every` seconds.

    A client retrying in a loop with a wrong token must not fill the terminal: the
    lines between are counted and the next line says how many.
    """

    def __init__(self, say: Callable[[str], None] = tell, every: float = 10.0) -> None:
        self.say = say
        self.every = every
        self._lock = threading.Lock()
        self._last = -every
        self._skipped = 0

    def refused(self, status: int, why: str, peer: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.every:
                self._skipped += 1
                return
            skipped, self._skipped, self._last = self._skipped, 0, now
        more = f" ({skipped} more refused since the last line)" if skipped else ""
        self.say(f"serve: refused a request from {peer}: {why} ({status}){more}")


def host_is_an_address(values: List[str]) -> bool:
    """Whether the Host header (none, or one) names an address or localhost, as SDKs do.

    SDKs reach the endpoint over http only at a loopback address, localhost or the ECS
    addresses; a relay or `ssh -R` keeps the Host the client sent. A web page whose name
    was made to point at 127.0.0.1 (DNS rebinding) sends its own name: refused, token or
    not.
    """
    if not values:
        return True
    if len(values) != 1:
        return False
    host = values[0]
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return False
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name.lower() == "localhost":
        return True
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _error(status: int, code: str, message: str,
           headers: Optional[dict[str, str]] = None) -> Answer:
    return answer_json(status, {"code": code, "message": message}, headers)


class Endpoint:
    """The request handler: authorization, route, then the provider's credentials."""

    def __init__(self, provider: Provider, token: str, log: Optional[RefusalLog] = None
                 ) -> None:
        self.provider = provider
        if provider.on_stuck is None:  # a fetch that hangs is said on the terminal
            provider.on_stuck = lambda message: tell(f"serve: {message}")
        self._token = token.encode("latin-1")
        self.log = log or RefusalLog()

    def _refuse(self, request: Request, status: int, code: str, why: str) -> Answer:
        self.log.refused(status, why, request.peer)
        return _error(status, code, why)

    def __call__(self, request: Request) -> Answer:
        if not host_is_an_address(request.headers.get("host", [])):
            return self._refuse(request, 403, "Forbidden",
                                "the Host header is a name other than localhost: requests "
                                "through a name (a web page's, by DNS rebinding) are refused")
        given = request.headers.get("authorization")
        if not given:
            return self._refuse(request, 401, "Unauthorized",
                                "no Authorization header: send the token shellsso serve "
                                "printed (AWS_CONTAINER_AUTHORIZATION_TOKEN)")
        matches = hmac.compare_digest(given[-1].encode("latin-1"), self._token)
        if len(given) != 1 or not matches:
            return self._refuse(request, 403, "Forbidden",
                                "the Authorization header is not this endpoint's token")
        if request.headers.get("origin"):  # a web page's script, whatever its token
            return self._refuse(request, 403, "Forbidden", "requests from web pages are refused")
        if request.path != PATH:
            return _error(404, "NotFound", f"no such path; credentials are at {PATH}")
        if request.method != "GET":
            return _error(405, "MethodNotAllowed", "only GET", {"Allow": "GET"})
        return self.credentials()

    def credentials(self) -> Answer:
        try:
            creds = self.provider.get()
        except LoginRequired as exc:
            return _error(SESSION_ENDED, "LoginRequired", exc.message)
        except CredentialsPending as exc:
            return _error(PENDING, "CredentialsPending", exc.message)
        except ShellssoError as exc:
            return _error(UNAVAILABLE, "CredentialsUnavailable", exc.message)
        return answer_json(200, document(creds))
