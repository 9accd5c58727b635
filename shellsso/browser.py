"""Can a browser on this machine be opened, and opening one without ever failing.

Over SSH the browser would open on the wrong machine (and the PKCE loopback
redirect could not reach us), and a Linux box without a display has none:
both use the device code. Opening goes through `webbrowser`, which honours
`BROWSER`; it runs in a daemon thread because a `BROWSER` command may not
return until the browser window is closed.
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


def _open(url: str) -> None:
    try:
        import webbrowser

        webbrowser.open_new_tab(url)
    except Exception:  # noqa: BLE001 - a browser that fails must never fail the login
        pass


def open_url(url: str, opener: Optional[Callable[[str], None]] = None) -> None:
    """Open `url` in the user's browser in the background; errors are swallowed."""
    thread = threading.Thread(
        target=opener or _open, args=(url,), name="shellsso-browser", daemon=True
    )
    thread.start()
