"""A stand-in web browser for tests and headless demos.

Use it as ``BROWSER="python3 -m shellsso.emulator.browser %s"``. Python's
``webbrowser`` turns such a command line into a ``GenericBrowser``, which
*waits* for the command to exit. A login tool that opens the browser before it
serves its loopback callback (as the AWS CLI does) would then deadlock with a
browser that follows the /authorize redirect to that very callback. So by
default this command re-launches itself detached (new session, no stdio) and
exits 0 at once; ``--wait`` does the visit in the foreground and reports
failure through the exit status.

The visit is a plain GET that follows redirects (so /authorize -> 302 ->
loopback callback completes a PKCE flow, and /device?user_code=... approves a
device code), bypasses proxies and gives up after 10 seconds. A file:// page
is read and its `<meta http-equiv=refresh>` target visited, as a browser does
with the redirect page `shellsso console` opens.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

TIMEOUT = 10.0
_REFRESH = re.compile(
    r"""<meta\s+http-equiv=['"]?refresh['"]?\s+content=['"]\s*\d+\s*;\s*url=([^'"]+)['"]""",
    re.IGNORECASE)
LOG_ENV = "SHELLSSO_BROWSER_LOG"
"""If set, each visit appends '<status> <url without query>' to this file (for debugging)."""


def _safe(url: str) -> str:
    """Strip the query: it carries authorization codes and user codes."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _log(status: str, url: str) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{time.time():.3f} {status} {_safe(url)}\n")
    except OSError:
        pass


def page_target(url: str) -> str | None:
    """Where the file:// page at `url` redirects to, if it does."""
    try:
        with open(unquote(urlsplit(url).path), encoding="utf-8") as page:
            match = _REFRESH.search(page.read(65536))
    except (OSError, UnicodeDecodeError):
        return None
    return html.unescape(match.group(1)) if match else None


def visit(url: str, timeout: float = TIMEOUT) -> int:
    """GET `url`, following redirects; return the final HTTP status (0 if unreachable)."""
    if urlsplit(url).scheme == "file":
        target = page_target(url)
        if target is None:
            _log("error:page", url)
            return 0
        url = target
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            response.read()
            status, final = int(response.status), str(response.geturl())
    except urllib.error.HTTPError as err:
        status, final = int(err.code), str(err.geturl() or url)
    except (urllib.error.URLError, OSError, ValueError) as err:
        _log(f"error:{type(err).__name__}", url)
        return 0
    _log(str(status), final)
    return status


def _detach(url: str) -> int:
    """Run `--wait URL` in a new session with no stdio and return immediately."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    kwargs: dict[str, object] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:  # pragma: no cover - Windows
        kwargs["creationflags"] = getattr(subprocess, "DETACHED_PROCESS", 0)
    try:
        subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "-m", "shellsso.emulator.browser", "--wait", url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
            **kwargs,  # type: ignore[call-overload]
        )
    except OSError as err:
        print(f"browser stand-in: cannot start: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: detach by default, visit in the foreground with --wait."""
    parser = argparse.ArgumentParser(
        prog="python3 -m shellsso.emulator.browser",
        description="Headless stand-in browser: GET a URL, following redirects.",
    )
    parser.add_argument("url")
    parser.add_argument(
        "--wait", action="store_true",
        help="visit in the foreground; exit 1 unless the final page is 2xx",
    )
    args = parser.parse_args(argv)
    if not args.wait:
        return _detach(args.url)
    status = visit(args.url)
    if 200 <= status < 300:
        return 0
    print(f"browser stand-in: {_safe(args.url)} -> {status or 'unreachable'}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
