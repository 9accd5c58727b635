"""Stop when a process ends: the shell that started `serve`, or the command of `exec --server`.

A server must not outlive the terminal that started it (a forgotten endpoint would hand
out credentials to whoever has its token). psutil watches a process portably on Linux and
macOS; the process is known by its pid and its start time, so a new process that gets the
same pid later is not mistaken for it. A zombie (ended, not yet reaped by its own parent)
counts as ended.
"""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional

INTERVAL = 0.5


class Watched:
    """A process by pid and start time; `alive()` is False once it has ended."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.pid = pid
        self._process: Optional[psutil.Process]
        try:
            self._process = psutil.Process(pid)
            self._process.create_time()  # remembered by psutil: checked by is_running()
        except psutil.Error:
            self._process = None

    def alive(self) -> bool:
        import psutil

        process = self._process
        if process is None:
            return False
        try:
            return bool(process.is_running()) and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:  # AccessDenied and the like: it exists
            return True


def parent_to_watch() -> Optional[int]:
    """The parent's pid, unless it is init (a server started by a service manager or as a
    container's command has no terminal to outlive: it runs until it is stopped)."""
    parent = os.getppid()
    return parent if parent > 1 else None


def watch(watched: Watched, on_exit: Callable[[], None], stop: threading.Event,
          interval: float = INTERVAL, parent: bool = False) -> threading.Thread:
    """Call `on_exit` once when `watched` ends (checked every `interval` s) unless `stop` is
    set first.

    With `parent` (the watched process is this one's parent), a change of this process's
    parent also counts: the parent ended and this process was re-parented.
    """

    def loop() -> None:
        while not stop.wait(interval):
            if (parent and os.getppid() != watched.pid) or not watched.alive():
                on_exit()
                return

    thread = threading.Thread(target=loop, name="shellsso-watch", daemon=True)
    thread.start()
    return thread
