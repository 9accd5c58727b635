"""One endpoint from start to stop: its token, its server, its watchers.

`shellsso serve` runs it in the foreground; `shellsso exec --server` in a detached
process that lives as long as the command. Either way it stops quietly on SIGTERM,
SIGINT (unless told to ignore it) or SIGHUP, and when the watched process ends.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading

from shellsso.core.secrets import remember
from shellsso.endpoint.app import PATH, Endpoint, RefusalLog, tell
from shellsso.endpoint.provider import Provider, fetch_for
from shellsso.endpoint.server import HOST, Server

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

    from shellsso.endpoint.watch import Watched

URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
RENEW_EVERY = 60.0
"""How often the endpoint asks for its credentials unprompted, in seconds: they are
renewed (and the SSO token refreshed) before a client needs them, and the terminal hears
of a session's end, or its return, within a minute even when nobody asks."""


def new_token() -> str:
    """43 URL-safe characters from 32 random bytes; remembered, so no message shows it."""
    token = secrets.token_urlsafe(32)
    remember(token)
    return token


class Service:
    """The endpoint of one profile, listening from construction (so its port is known)."""

    def __init__(self, profile: str, port: int = 0) -> None:
        self.profile = profile
        self.token = new_token()
        self.provider = Provider(fetch_for(profile), on_ended=self._ended,
                                 on_back=self._back)
        log = RefusalLog()
        self.server = Server(Endpoint(self.provider, self.token, log), port,
                             on_oversized=lambda peer: log.refused(
                                 431, "request head over 8 KiB", peer))

    @property
    def uri(self) -> str:
        return f"http://{HOST}:{self.server.port}{PATH}"

    def variables(self) -> List[Tuple[str, str]]:
        """What a client needs, in the order they are printed."""
        return [(URI_VAR, self.uri), (TOKEN_VAR, self.token)]

    def _ended(self, message: str) -> None:
        tell(f"serve: {message} (until then, every request for credentials gets this "
             "error)")

    def _back(self) -> None:
        tell(f"serve: credentials for profile '{self.profile}' are served again")

    def handle_signals(self, interrupt: bool = True) -> None:
        """SIGTERM, SIGHUP and SIGINT (or, unless `interrupt`, SIGINT ignored) stop serving.

        Called before the variables are printed: whoever reads them may signal at once.
        """

        def on_signal(signum: int, frame: object) -> None:
            self.server.stop()

        for name in ("SIGTERM", "SIGHUP") + (("SIGINT",) if interrupt else ()):
            signal.signal(getattr(signal, name), on_signal)
        if not interrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def run(self, watched: Optional[Watched] = None, *, parent: bool = False,
            interrupt: bool = True) -> None:
        """Serve until a signal or the end of `watched` (`parent`: it is our parent).

        Logins are never started from here (SHELLSSO_AUTO_LOGIN=never in this process):
        nobody is at a server's keyboard, and a browser opening by itself would surprise.
        """
        os.environ["SHELLSSO_AUTO_LOGIN"] = "never"
        stop = threading.Event()
        self.handle_signals(interrupt)
        if watched is not None:
            from shellsso.endpoint.watch import watch

            watch(watched, self.server.stop, stop, parent=parent)
        threading.Thread(target=self._renew, args=(stop,), name="shellsso-renew",
                         daemon=True).start()
        try:
            self.server.serve()
        finally:
            stop.set()

    def _renew(self, stop: threading.Event) -> None:
        # SDKs give an endpoint 2 seconds (botocore's ContainerMetadataFetcher): the first
        # fetch must not also pay for importing boto3, so it is imported now, unasked.
        import boto3  # noqa: F401

        from shellsso.core.errors import ShellssoError

        while not stop.wait(RENEW_EVERY):
            try:
                self.provider.get()
            except ShellssoError:
                pass  # said once by the provider's callbacks; requests get the error
