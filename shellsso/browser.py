"""Can a browser on this machine be opened, and opening one without ever failing.

Over SSH the browser would open on the wrong machine (and the PKCE loopback
redirect could not reach us), and a Linux box without a display has none:
both use the device code. Opening goes through `webbrowser`, which honours
`BROWSER`, in a detached helper process (see open_url).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Callable, Mapping, Optional


def is_headless(env: Optional[Mapping[str, str]] = None, platform: Optional[str] = None) -> bool:
    """True over SSH, or on Linux/BSD with no display and no BROWSER."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return True
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        has_display = env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
        return not (has_display or env.get("BROWSER"))
    return False


_HELPER = "import sys, webbrowser; webbrowser.open_new_tab(sys.argv[1])"


def _open_in_thread(url: str, opener: Callable[[str], object]) -> None:
    def run() -> None:
        try:
            opener(url)
        except Exception:  # noqa: BLE001 - a browser that fails must never fail the login
            pass

    threading.Thread(target=run, name="shellsso-browser", daemon=True).start()


def open_url(url: str, opener: Optional[Callable[[str], object]] = None) -> None:
    """Open `url` in the user's browser in the background; errors are swallowed.

    `webbrowser` runs in a small detached helper process rather than here: a
    browser command inherits stdout, and some print to it ("Opening in existing
    browser session."), which must never reach a caller that evals our stdout;
    and a `BROWSER` command that blocks until its window closes blocks only
    the helper.
    """
    if opener is not None:
        _open_in_thread(url, opener)
        return
    import subprocess

    try:
        subprocess.Popen(  # noqa: S603 - fixed argv, the URL is one argument
            [sys.executable, "-c", _HELPER, url],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=True, start_new_session=True,
        )
    except OSError:
        import webbrowser

        _open_in_thread(url, webbrowser.open_new_tab)
