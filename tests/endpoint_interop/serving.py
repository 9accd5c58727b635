"""`shellsso serve` as a user starts it, and the environment a client of it gets.

The server runs in a subprocess exactly as a terminal would run it; the test reads the two
variables it prints first, then hands them (and nothing else of AWS) to the tool under test.
"""

from __future__ import annotations

import os
import selectors
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Dict, List, Optional, Type

URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}


def parse_env_lines(lines: List[str]) -> Dict[str, str]:
    """`export NAME=value` (or `NAME=value`) lines, shell-quoted, as a shell would read them."""
    found: Dict[str, str] = {}
    for line in lines:
        words = shlex.split(line)
        if words[:1] == ["export"]:
            words = words[1:]
        for word in words:
            name, sep, value = word.partition("=")
            if sep:
                found[name] = value
    return found


@dataclass
class Served:
    """A running `shellsso serve`: its URI, its token and its process."""

    uri: str
    token: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        from urllib.parse import urlsplit

        port = urlsplit(self.uri).port
        assert port is not None, self.uri
        return port

    @property
    def path(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.uri)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def stop(self) -> str:
        """SIGTERM, as a terminal's kill would; returns what the server said on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        assert self.process.stderr is not None
        return self.process.stderr.read().decode("utf-8", "replace")


class serve:  # noqa: N801 - used as `with serve(...) as served:`, like open()
    """Start `shellsso serve --profile PROFILE` and wait for its two variables."""

    def __init__(self, profile: str = "dev", *extra: str,
                 env: Optional[Dict[str, str]] = None, timeout: float = 30) -> None:
        self.argv = [sys.executable, "-m", "shellsso", "serve", "--profile", profile,
                     "--format", "env", *extra]
        self.env = env if env is not None else dict(os.environ)
        self.timeout = timeout
        self.served: Optional[Served] = None

    def __enter__(self) -> Served:
        process = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        fd = process.stdout.fileno()
        seen = b""
        found: Dict[str, str] = {}
        deadline = time.monotonic() + self.timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while not (URI in found and TOKEN in found):
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    process.kill()
                    raise AssertionError(f"serve printed no endpoint in {self.timeout}s: "
                                         f"{seen!r}")
                chunk = os.read(fd, 4096)  # raw reads: a buffered readline would hide lines
                if not chunk:
                    process.wait(timeout=10)
                    raise AssertionError(f"serve ended ({process.returncode}) before its "
                                         f"endpoint: {seen!r} {process.stderr.read()!r}")
                seen += chunk
                complete = seen.decode("utf-8", "replace").split("\n")[:-1]
                found = parse_env_lines(complete)
        self.served = Served(found[URI], found[TOKEN], process)
        return self.served

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        if self.served is not None:
            self.served.stop()


def client_env(served: Served, client_home: Path, sts_url: str, *,
               with_token: bool = True, **extra: str) -> Dict[str, str]:
    """What a child of the endpoint gets: the two variables, STS on the emulator, an empty
    HOME (no config, no credentials, no cache), and nothing else of AWS."""
    client_home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(client_home),
        "LANG": "C.UTF-8",
        URI: served.uri,
        "AWS_ENDPOINT_URL_STS": sts_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if with_token:
        env[TOKEN] = served.token
    env.update(extra)
    return env


BOTOCORE_WHOAMI = """\
import botocore.session
session = botocore.session.get_session()
creds = session.get_credentials()
print("method", creds.method if creds else None)
sts = session.create_client("sts", region_name="us-east-1")
print("account", sts.get_caller_identity()["Account"])
"""
"""A botocore client that prints which provider found credentials and whose they are."""


def files_under(folder: Path) -> List[str]:
    """Every path under `folder`, relative, for 'nothing was written here'."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
