"""Can a browser on this machine be opened, and opening one without ever failing.

Over SSH the browser would open on the wrong machine (and the PKCE loopback
redirect could not reach us), and a Linux box without a display has none:
both use the device code. Opening goes through `webbrowser`, which honours
`BROWSER`, in a detached helper process (see open_url).

Only an https URL (http on loopback) ever reaches a browser command
(url_problem): a portal's answer that a browser would read as an option,
or a `javascript:` or `file:` URL, is not opened. A URL that is itself a
credential (the console's sign-in URL) never goes into an argv, which
every local user can read in /proc or with `ps`: it goes into a page only
the user can read, which redirects to it (open_private).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Mapping, Optional

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
PAGE_LIFETIME = 60.0  # seconds a redirect page is kept for the browser to read it
_PAGES = "pages"


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


def web_url_problem(url: str) -> Optional[str]:
    """Why `url` is not an https URL with a host (or http on loopback); None when it is."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is not None and host and (
        parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    ):
        return None
    return "is not an https URL (or http on 127.0.0.1)"


def url_problem(url: str) -> Optional[str]:
    """Why `url` must not be handed to a browser command; None when it may.

    The one check for every URL shellsso opens: it comes first in the browser's
    argv, where `-...` is an option (`--remote-debugging-port=9222`), and some
    openers split or re-parse what they get.
    """
    from shellsso.core.safety import printable_ascii

    if url.startswith("-"):
        return "starts with '-', which a browser reads as an option"
    if not printable_ascii(url) or " " in url:
        return "holds spaces, control or non-ASCII characters"
    return web_url_problem(url)


def open_url(url: str) -> Optional[str]:
    """Open `url` in the user's browser in the background; errors are swallowed.

    Returns why the URL was not opened (url_problem), None when it went to
    the browser. `webbrowser` runs in a small detached helper process rather
    than here: a browser command inherits stdout, and some print to it
    ("Opening in existing browser session."), which must never reach a caller
    that evals our stdout; and a `BROWSER` command that blocks until its
    window closes blocks only the helper.
    """
    problem = url_problem(url)
    if problem is None:
        _launch([url])
    return problem


def open_private(url: str) -> Optional[str]:
    """Open a URL that is a credential without putting it in any process's argv.

    It goes into a page in a folder only the user can read, which redirects
    the browser to it; the browser gets the page's file:// URL. The helper
    removes the page after PAGE_LIFETIME; pages a killed helper left behind
    are swept here. Returns why the URL was not opened, as open_url.
    """
    from pathlib import Path

    problem = url_problem(url)
    if problem is None:
        page = write_page(url)
        _launch([Path(page).as_uri(), page, str(PAGE_LIFETIME)])
    return problem


def page_folder() -> str:
    """Where redirect pages go: a folder of shellsso's own cache, 0700."""
    from shellsso.core import paths

    return os.path.join(paths.own_cache_dir(), _PAGES)


def write_page(url: str) -> str:
    """A 0600 page that sends the browser on to `url` at once; its path."""
    import html
    import secrets

    from shellsso.core.cache_folder import check_own_cache
    from shellsso.core.files import write_atomic

    check_own_cache(_PAGES, create=True)  # made 0700, or refused when another user controls it
    folder = page_folder()
    sweep_pages(folder)
    target = html.escape(url, quote=True)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<meta http-equiv='refresh' content='0;url={target}'><title>shellsso</title></head>"
        f"<body><p><a href='{target}'>Continue</a></p></body></html>"
    )
    path = os.path.join(folder, secrets.token_hex(16) + ".html")
    write_atomic(path, page.encode("utf-8"))
    return path


def sweep_pages(folder: str) -> None:
    """Remove pages older than PAGE_LIFETIME (their helper was killed, or the machine stopped)."""
    import time

    from shellsso.core.files import remove

    try:
        names = [name for name in os.listdir(folder) if name.endswith(".html")]
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if time.time() - os.lstat(path).st_mtime > PAGE_LIFETIME:
                remove(path)
        except OSError:
            pass


def _launch(argv: list[str]) -> None:
    """Run helper(argv) in a detached process; in a thread here if none can be started."""
    import subprocess

    import shellsso

    root = os.path.dirname(os.path.dirname(os.path.abspath(shellsso.__file__)))
    code = ("import sys;sys.path[0]=sys.argv.pop(1);import shellsso.sso.browser as b;"
            "b.helper(sys.argv[1:])")
    try:
        subprocess.Popen(  # noqa: S603 - fixed argv, the URL is one argument
            [sys.executable, "-c", code, root, *argv],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=True, start_new_session=True,
        )
    except OSError:
        threading.Thread(target=_open_quietly, args=(argv[0],), name="shellsso-browser",
                         daemon=True).start()


def _open_quietly(url: str) -> None:
    import webbrowser

    try:
        webbrowser.open_new_tab(url)
    except Exception:  # noqa: BLE001 - a browser that fails must never fail the command
        pass


def helper(argv: list[str]) -> None:
    """The detached helper: `URL`, or `URL PAGE SECONDS` to remove PAGE after SECONDS.

    The browser command may not return until its window closes, so the page
    is removed on time whatever the browser does.
    """
    if len(argv) == 1:
        _open_quietly(argv[0])
        return
    import time

    from shellsso.core.files import remove

    url, page, seconds = argv
    threading.Thread(target=_open_quietly, args=(url,), daemon=True).start()
    time.sleep(float(seconds))
    remove(page)
