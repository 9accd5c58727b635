"""An exclusive advisory lock across processes, bounded and saying what it waits for.

Apart from files.py so that the valid-token path, which reads cache files but
takes no lock, does not load it.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class locked:  # noqa: N801 - used like a function: `with locked(path) as lock:`
    """Hold an exclusive advisory lock on `path` (created 0600) for the block.

    Serialises writers across processes: twenty shells refreshing the same
    session take turns, and the later ones find the first one's result. A
    waiter says what it waits for (`Waiting for {what}...`, after `quiet_for`
    seconds) and gives up after `timeout` seconds with one line.

    The lock file also carries the last network failure of a holder: a
    waiter that finds one noted since it began to wait fails at once with the
    same line (`failure_since_wait`), instead of trying the dead network again.
    """

    def __init__(self, path: str, what: Optional[str] = None, *,
                 timeout: Optional[float] = None, quiet_for: float = 0.0) -> None:
        self.path = path
        self.what = what
        self.timeout = timeout
        self.quiet_for = quiet_for
        self.fd = -1
        self.waited_since: Optional[float] = None  # wall clock, when it had to wait
        self.failed = False

    def __enter__(self) -> locked:
        import fcntl

        from shellsso.core.files import ensure_private_dir

        ensure_private_dir(os.path.dirname(self.path) or ".")
        # O_NOFOLLOW: a symlink planted in place of a lock file is never followed.
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                              0o600)
        except OSError as exc:
            from shellsso.core.trust import refuse_link

            raise refuse_link("lock file", self.path, exc) from None
        try:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._wait()
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def _wait(self) -> None:
        import fcntl
        import time

        self.waited_since = time.time()
        start = time.monotonic()
        said = False
        pause = 0.02
        while True:
            waited = time.monotonic() - start
            if not said and self.what and waited >= self.quiet_for:
                from shellsso.core.output import info

                info(f"Waiting for {self.what}...")
                said = True
            if self.timeout is not None and waited >= self.timeout:
                from shellsso.core.errors import ShellssoError

                what = self.what or f"the lock {self.path}"
                raise ShellssoError(f"gave up after {self.timeout:g} s waiting for {what}; "
                                    "try again in a moment")
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                continue

    def note_failure(self, message: str) -> None:
        """Tell the processes waiting behind us that the network failed (`message`)."""
        import json
        import time

        self.failed = True
        data = json.dumps({"failedAt": time.time(), "message": message}).encode("utf-8")
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, data, 0)
        except OSError:
            pass

    def failure_since_wait(self) -> Optional[str]:
        """The network failure a holder noted while we waited, or None."""
        if self.waited_since is None:
            return None
        try:
            raw = os.pread(self.fd, 4096, 0)
        except OSError:
            return None
        if not raw:
            return None
        from shellsso.core.fast_stdlib import json_loads

        try:
            note = json_loads(raw.decode("utf-8"))
            failed_at, message = float(note["failedAt"]), note["message"]
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            return None
        if not isinstance(message, str) or failed_at < self.waited_since:
            return None
        return message

    def raise_failure_since_wait(self) -> None:
        """Fail at once, with the holder's line, when it met a dead network meanwhile."""
        message = self.failure_since_wait()
        if message is not None:
            from shellsso.core.errors import NetworkError

            raise NetworkError(message)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        import fcntl

        from shellsso.core.errors import NetworkError

        try:
            if isinstance(exc, NetworkError):
                self.note_failure(exc.message)
            elif exc is None and not self.failed and os.fstat(self.fd).st_size:
                os.ftruncate(self.fd, 0)  # it worked (or had no need of the network)
        except OSError:
            pass
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        except OSError:
            pass
        os.close(self.fd)
