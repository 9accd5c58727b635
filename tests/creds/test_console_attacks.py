"""`shellsso console` against another local user, a crafted destination, a silent endpoint.

The sign-in URL is a credential for 15 minutes: another user who reads it
signs in first. Every argv and (with a relaxed /proc) environment of the
user's processes is readable by other users, so the URL reaches the browser
through a page only the user can read. A destination is read as a browser
reads it: its host must be the console's. A sign-in endpoint that never
answers costs SHELLSSO_HTTP_TIMEOUT, as every other endpoint does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, List, Optional
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import AwsEnv, require_root, run_shellsso
from tests.creds.test_console import console_env  # noqa: F401 - the fixture
from tests.creds.test_rolecreds import emulator_login, one_error_line

OTHER = 65534  # nobody

# Every cmdline and environ under /proc it may read, pass after pass, until stdin closes.
SCANNER = r"""
import json, os, select, sys, time
seen = set()
passes = 0
while not select.select([sys.stdin], [], [], 0)[0]:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for name in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{pid}/{name}", "rb") as handle:
                        seen.add(handle.read())
                except OSError:
                    pass
    passes += 1
    print(passes, flush=True)
    time.sleep(0.01)
print(json.dumps([text.decode("latin-1") for text in seen]), flush=True)
"""


def wait_for_file(path: Path, timeout: float = 30) -> str:
    """The text of `path` once something is written to it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            text = path.read_text()
            if text:
                return text
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


class WaitingBrowser:
    """A BROWSER that records the URL it got, waits for the test's go, then visits it.

    The visit follows redirects as a browser would (shellsso.emulator.browser),
    and its final HTTP status is recorded.
    """

    def __init__(self, folder: Path) -> None:
        self.got, self.go_file, self.done = folder / "got", folder / "go", folder / "done"
        script = folder / "waiting-browser.py"
        script.write_text(
            "import os, sys, time\n"
            f"open({str(self.got)!r}, 'w').write(sys.argv[1])\n"
            f"while not os.path.exists({str(self.go_file)!r}):\n"
            "    time.sleep(0.05)\n"
            "from shellsso.emulator.browser import visit\n"
            f"open({str(self.done)!r}, 'w').write(str(visit(sys.argv[1])))\n")
        self.command = f"{sys.executable} {script} %s"

    def url(self) -> str:
        return wait_for_file(self.got)

    def go(self) -> None:
        self.go_file.touch()

    def status(self) -> int:
        return int(wait_for_file(self.done))




def python_for_other_user() -> str:
    """An interpreter uid 65534 can run (the test's own may sit in root's home)."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        try:
            ran = subprocess.run([candidate or "", "-c", "pass"], user=OTHER, group=OTHER,
                                 extra_groups=[], cwd="/", capture_output=True, timeout=30)
        except OSError:
            continue
        if candidate and ran.returncode == 0:
            return candidate
    raise AssertionError("no Python interpreter that uid 65534 may run")


class Scanner:
    """Another local user reading every process's cmdline and environ, as fast as it can."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [python_for_other_user(), "-c", SCANNER], user=OTHER, group=OTHER, extra_groups=[],
            cwd="/", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={})
        self.passes = 0
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                if line.strip().isdigit():
                    self.passes = int(line)
                else:
                    self.lines.append(line)
                self._cond.notify_all()

    def wait_passes(self, more: int) -> None:
        """Block until `more` whole passes over /proc have been made from now."""
        with self._cond:
            target = self.passes + more + 1  # the pass under way may have begun before now
            assert self._cond.wait_for(lambda: self.passes >= target, timeout=30), self.passes

    def stop(self) -> List[str]:
        """Everything it read."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(30) == 0
        self._reader.join(10)
        seen: List[str] = json.loads("".join(self.lines))
        return seen


def signin_tokens(env: AwsEnv) -> List[Any]:
    state: Any = env.emulator.state
    with state.lock:
        return list(state.signin_tokens.values())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the sign-in URL and other local users ------------------------------------------------


def test_another_user_never_sees_the_signin_token(
    console_env: AwsEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    require_root()
    emulator_login(console_env)
    browser = WaitingBrowser(tmp_path)
    monkeypatch.setenv("BROWSER", browser.command)
    monkeypatch.setenv("DISPLAY", ":0")
    scanner = Scanner()
    try:
        result = run_shellsso("console", "--profile", "prod")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr == "Opening the AWS console as profile 'prod' in your browser.\n"
        got = browser.url()
        [signin] = signin_tokens(console_env)
        # The browser, and whatever launched it, stay alive for two whole passes.
        scanner.wait_passes(2)
        opened = Path(unquote(urlsplit(got).path)) if got.startswith("file:") else None
        browser.go()
        status = browser.status()
    finally:
        seen = scanner.stop()
    # The browser signed in with it: the emulator spent the token.
    assert status == 200 and console_env.counters()["ConsoleLogin"] == 1
    assert signin_tokens(console_env) == []
    assert any(got in text for text in seen)  # the scanner did read the browser's argv
    assert [text for text in seen if signin.token in text] == []
    # What the browser got is a page that only the user can read.
    assert opened is not None, got
    if opened.exists():  # removed after a short while
        assert opened.stat().st_uid == os.geteuid()
        assert mode(opened) == 0o600 and mode(opened.parent) == 0o700


def test_signin_page_is_removed_and_leftovers_swept(
    console_env: AwsEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from shellsso.sso import browser
    # The helper that opens the browser removes the page after its lifetime.
    page = Path(browser.write_page("https://signin.aws.amazon.com/federation?SigninToken=t"))
    assert mode(page) == 0o600 and mode(page.parent) == 0o700
    assert "SigninToken=t" in page.read_text()
    helper = subprocess.run(
        [sys.executable, "-c", "import sys; from shellsso.sso.browser import helper; "
         "helper(sys.argv[1:])", page.as_uri(), str(page), "0.2"],
        env=dict(os.environ, BROWSER="true %s"), timeout=30)
    assert helper.returncode == 0
    assert not page.exists()

    # A page whose helper was killed is swept by the next console, a fresh one is kept.
    stale = Path(browser.write_page("https://signin.aws.amazon.com/federation?SigninToken=old"))
    fresh = Path(browser.write_page("https://signin.aws.amazon.com/federation?SigninToken=new"))
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    emulator_login(console_env)
    monkeypatch.setenv("BROWSER", "true %s")
    monkeypatch.setenv("DISPLAY", ":0")
    result = run_shellsso("console", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and fresh.exists()


def test_page_folder_another_user_controls_is_refused(
    console_env: AwsEnv, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from shellsso.sso import browser
    require_root()
    folder = Path(browser.page_folder())
    folder.mkdir(parents=True)
    os.chown(folder, OTHER, OTHER)
    emulator_login(console_env)
    monkeypatch.setenv("BROWSER", "true %s")
    monkeypatch.setenv("DISPLAY", ":0")
    result = run_shellsso("console", "--profile", "dev")
    assert one_error_line(result).startswith(
        f"shellsso: error: refusing shellsso cache folder {folder}: it is owned by another "
        f"user (uid {OTHER}); ")
    assert list(folder.iterdir()) == []


# --- --destination, read as a browser reads it ----------------------------------------------

LEAD = ("shellsso: error: --destination must be an https URL of the AWS console "
        "(https://console.aws.amazon.com/... or https://REGION.console.aws.amazon.com/...): ")


@pytest.mark.parametrize(
    ("destination", "why"),
    [
        ("https://evil.example\\.console.aws.amazon.com/",
         "it holds a backslash, which a browser reads as '/'"),
        ("https://console.aws.amazon.com\\@evil.example/",
         "it holds a backslash, which a browser reads as '/'"),
        ("https:\\\\evil.example/", "it holds a backslash, which a browser reads as '/'"),
        ("https://console.aws.amazon.com/s3/\\..\\..\\x",
         "it holds a backslash, which a browser reads as '/'"),
        ("https://console.aws.amazon.com@evil.example/",
         "it carries a user name or password (before '@')"),
        ("https://user:pw@console.aws.amazon.com/",
         "it carries a user name or password (before '@')"),
        ("https://evil.example/@console.aws.amazon.com", "its host 'evil.example' is outside "
         "console.aws.amazon.com"),
        ("https://evil.example%2f.console.aws.amazon.com/", "its host is percent-encoded"),
        ("https://console.aws.amazon.com%2eevil.example/", "its host is percent-encoded"),
        ("https://evil.example%23.console.aws.amazon.com/", "its host is percent-encoded"),
        ("https://console.aws.amazon.com./", "its host ends with a dot"),
        ("https://evil.example\u3002console.aws.amazon.com/", "its host is not plain ASCII"),
        ("https://console.aws.amazon.com\uff0eevil.example/", "its host is not plain ASCII"),
        ("https://xn--cnsole-7va.aws.amazon.com/",
         "its host 'xn--cnsole-7va.aws.amazon.com' is outside console.aws.amazon.com"),
        ("https://console.aws.amazon.com\t.evil.example/",
         "it holds a space or a control character"),
        ("https://console.aws.amazon.com\n.evil.example/",
         "it holds a space or a control character"),
        (" https://evil.example/", "it holds a space or a control character"),
        ("https://console.aws.amazon.com.evil.example/",
         "its host 'console.aws.amazon.com.evil.example' is outside console.aws.amazon.com"),
        ("https://evil-console.aws.amazon.com/",
         "its host 'evil-console.aws.amazon.com' is outside console.aws.amazon.com"),
        ("https://a..console.aws.amazon.com/", "its host 'a..console.aws.amazon.com' is not a "
         "host name"),
        ("https://console.aws.amazon.com:8443/", "it names a port"),
        ("https://[::1]/", "its host '[::1]' is not a host name"),
        ("https:console.aws.amazon.com/", "it does not start with https://"),
        ("http://console.aws.amazon.com/s3", "it does not start with https://"),
        ("javascript:alert(1)//console.aws.amazon.com", "it does not start with https://"),
        ("https://console.amazonaws.cn/s3/home",
         "its host 'console.amazonaws.cn' is outside console.aws.amazon.com"),
    ],
)
def test_hostile_destination_is_refused(
    console_env: AwsEnv, destination: str, why: str  # noqa: F811
) -> None:
    result = run_shellsso("console", "--profile", "dev", "--print", "--destination", destination)
    assert result.returncode == 2
    assert one_error_line(result) == LEAD + why
    assert "GetRoleCredentials" not in console_env.counters()


@pytest.mark.parametrize(
    ("destination", "region"),
    [
        ("https://console.aws.amazon.com/s3/home?region=us-west-2", "us-west-2"),
        ("HTTPS://EU-WEST-1.Console.AWS.Amazon.com/ec2/home#Instances:", "eu-west-1"),
        ("https://us-east-1.console.aws.amazon.com/console/home?x=%2F@evil#\u00e9", "us-east-1"),
        ("https://console.amazonaws.cn/s3/home", "cn-north-1"),
        ("https://cn-northwest-1.console.amazonaws.cn/s3/home", "cn-northwest-1"),
        ("https://console.amazonaws-us-gov.com/s3/home", "us-gov-west-1"),
    ],
)
def test_console_destinations_of_each_partition_pass(destination: str, region: str) -> None:
    from shellsso.creds import console_urls
    assert console_urls.check_destination(destination, region) == destination


# --- a sign-in endpoint that never answers ---------------------------------------------------


def test_silent_signin_endpoint_costs_the_shared_timeout(
    console_env: AwsEnv, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    emulator_login(console_env)
    monkeypatch.setenv("SHELLSSO_HTTP_TIMEOUT", "1")

    def timed(endpoint: str) -> tuple[float, Optional[str]]:
        monkeypatch.setenv("SHELLSSO_SIGNIN_URL", endpoint)
        started = time.monotonic()
        result = run_shellsso("console", "--profile", "dev", "--print", timeout=90)
        return time.monotonic() - started, one_error_line(result)

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
    baseline, _ = timed(f"http://127.0.0.1:{refused_port}/federation")  # fails at once
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connects, never answers
        port = silent.getsockname()[1]
        elapsed, line = timed(f"http://127.0.0.1:{port}/federation")
    assert line == (f"shellsso: error: the sign-in endpoint 127.0.0.1:{port} did not answer "
                    "within 1 s")
    assert elapsed - baseline < 1 + 2.5, (elapsed, baseline)
