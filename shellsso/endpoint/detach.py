"""The endpoint of `exec --server`: a detached process that lives as long as the command.

shellsso exec replaces itself with the command (same pid, terminal, signals, exit
status), so the server must be another process. It is forked twice, so that it is no
child of the command (which would otherwise have to reap it, and a program that never
waits for unknown children would keep a zombie), and put in a session of its own, so that
the Ctrl-C typed for the command does not stop the credentials under it. It holds neither
the terminal's stdin nor its stdout (`exec --server cmd | head` ends when cmd ends); its
stderr stays the terminal's, for the one line that says to log in. It watches the
command by pid and start time and stops within a second of its end.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from shellsso.endpoint.serving import Service


def _into_background() -> None:
    """stdin and stdout on /dev/null; stderr kept; nothing else of the caller's."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    _close_inherited()


def _close_inherited() -> None:
    """Close the descriptors above 2 that this process inherited, which were meant for the
    command: a pipe whose reader waits for its end (a readiness pipe, make's jobserver, a
    `3>file`) would otherwise stay open until the endpoint stops, not when the command
    closes it. They are the inheritable ones: whatever Python opened itself (the listening
    socket, the wake-up pipe, a pooled connection) is close-on-exec, and stays open."""
    for name in _descriptor_names():
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                os.close(fd)
        except OSError:  # the directory's own descriptor, already closed
            pass


def _descriptor_names() -> list[str]:
    for folder in ("/proc/self/fd", "/dev/fd"):  # Linux; macOS
        try:
            return [name for name in os.listdir(folder) if name.isdigit()]
        except OSError:
            continue
    return []


def start_detached(service: Service) -> None:
    """Serve `service` in a detached grandchild watching this process; return at once here.

    Call it right before this process execs the command: the pid it watches is this one.
    """
    import sys

    from shellsso.endpoint.watch import Watched

    watched = Watched(os.getpid())  # its start time is taken now, before any fork
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            os.setsid()
            if os.fork() != 0:
                status = 0
            else:
                _into_background()
                service.run(watched, interrupt=False)
                status = 0
        except BaseException as exc:  # noqa: BLE001 - a forked child never returns to the caller
            from shellsso.endpoint.app import tell

            tell(f"exec --server: the credentials endpoint stopped: {exc or type(exc).__name__}")
        finally:
            os._exit(status)
    os.waitpid(child, 0)
    service.server.listener.close()  # the grandchild has it; the command must not
