"""How long shellsso waits for the network, and for another process holding a lock.

botocore's defaults (60 s to connect, 60 s to read, up to 5 attempts) make a
black-holed endpoint hang a command for minutes. Every client shellsso makes
gets a connect and a read timeout of SHELLSSO_HTTP_TIMEOUT seconds (default 5)
and at most two attempts (one for a silent refresh), so a dead network costs
at most about 2 x timeout + 1 s. Lock waits are bounded from the same figure.
"""

from __future__ import annotations

import os

from shellsso.core.errors import ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

DEFAULT_TIMEOUT = 5.0
ATTEMPTS = 2  # one retry: a transient 5xx or a dropped connection is tried once more
LOGIN_WAIT = 660.0  # a login holding its lock waits for the browser up to 10 minutes


def http_timeout() -> float:
    """SHELLSSO_HTTP_TIMEOUT in seconds (connect and read, each), default 5."""
    text = (os.environ.get("SHELLSSO_HTTP_TIMEOUT") or "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ShellssoError(
            f"SHELLSSO_HTTP_TIMEOUT must be a number of seconds between 0 and 3600, not {text!r}")
    return value


def answer_deadline() -> float:
    """The longest one call may take with every try it has: a connect and a read timeout
    per try (ATTEMPTS x 2 x SHELLSSO_HTTP_TIMEOUT).

    The timeouts bound each read, not an answer: a server that sends a byte every few
    seconds never trips them. Code that must not hang on such a server waits for the
    whole answer at most this long (in a thread it can leave behind).
    """
    return ATTEMPTS * 2 * http_timeout()


def lock_wait() -> float:
    """How long to wait for a process refreshing, fetching or logging out.

    Such a holder makes at most two network calls of at most a timeout each.
    """
    return 4 * http_timeout() + 2


def client_config(region: Optional[str], attempts: int = ATTEMPTS, unsigned: bool = False) -> Any:
    """The botocore Config of every client: explicit timeouts and attempts."""
    from botocore.config import Config

    timeout = http_timeout()
    extra: dict[str, Any] = {}
    if unsigned:
        from botocore import UNSIGNED

        extra["signature_version"] = UNSIGNED
    return Config(
        region_name=region,
        # total_max_attempts counts the first try; botocore's max_attempts counts retries.
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=timeout,
        read_timeout=timeout,
        **extra,
    )
