"""Shared fixtures: an isolated HOME, the bundled emulator, and a CLI runner.

Everything runs for real: the CLI in a subprocess, boto3 over HTTP to the
emulator on 127.0.0.1, the shells under pexpect. Nothing of the developer's
own AWS setup can leak in or be touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

from shellsso.emulator import Emulator

START_URL = "https://d-1234567890.awsapps.com/start"
SSO_REGION = "us-east-1"

DEMO_CONFIG = f"""\
[default]
region = us-east-1

[sso-session corp]
sso_start_url = {START_URL}
sso_region = {SSO_REGION}
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
region = us-west-2

[profile staging]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnlyAccess
region = eu-west-1

[profile prod]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = ReadOnlyAccess
region = us-east-1

[profile legacy]
sso_start_url = {START_URL}
sso_region = {SSO_REGION}
sso_account_id = 444444444444
sso_role_name = AdministratorAccess
"""

_CLEARED_PREFIXES = ("AWS_", "SHELLSSO_", "_SHELLSSO_", "SSH_")
_CLEARED = ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "NO_COLOR", "XDG_CACHE_HOME",
            "PROMPT_COMMAND", "_AWS_CLI_PROFILE_CHAIN")


REPO = Path(__file__).resolve().parent.parent
"""The checkout: hooks in shells/, scripts/, install.sh."""


def in_ci() -> bool:
    """CI installs every tool the tests use: a missing one fails there instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(tool: str) -> None:
    """A missing program (a shell, shellcheck, fzf...) skips the test on a developer's machine
    and fails it in CI, which installs every one."""
    import shutil

    if shutil.which(tool) is None:
        if in_ci():
            pytest.fail(f"{tool} is not installed (required in CI)")
        pytest.skip(f"{tool} is not installed")


def require_root() -> None:
    """Playing a second local user (chown, setuid to 65534) needs root: a skip on a
    developer's machine, a failure in CI, which runs as root."""
    if os.geteuid() != 0:
        if in_ci():
            pytest.fail("playing another local user needs root (CI runs as root)")
        pytest.skip("playing another local user needs root")


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME with no AWS state and no AWS_*/SHELLSSO_* variables."""
    home_dir = tmp_path / "home"
    home_dir.mkdir()
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home_dir / ".cache"))
    # No real browser and no real AWS endpoint can ever be reached from a test.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return home_dir


def write_config(home: Path, text: str = DEMO_CONFIG) -> Path:
    aws = home / ".aws"
    aws.mkdir(exist_ok=True)
    path = aws / "config"
    path.write_text(text)
    return path


def write_token(
    home: Path,
    key_source: str = "corp",
    expires_in: float = 3600,
    *,
    access_token: str = "test-access-token",
    refresh_token: Optional[str] = None,
    client_id: str = "test-client",
    client_secret: str = "test-secret",
    registration_expires_in: float = 86400,
) -> Path:
    """A token file as the AWS CLI v2 writes it (docs/protocol.md §2.3)."""
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    data = {
        "startUrl": START_URL,
        "region": SSO_REGION,
        "accessToken": access_token,
        "expiresAt": time.strftime(fmt, time.gmtime(time.time() + expires_in)),
        "clientId": client_id,
        "clientSecret": client_secret,
        "registrationExpiresAt": time.strftime(
            fmt, time.gmtime(time.time() + registration_expires_in)
        ),
    }
    if refresh_token:
        data["refreshToken"] = refresh_token
    path = cache / f"{sha1(key_source)}.json"
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return path


def run_shellsso(
    *args: str,
    input: Optional[str] = None,
    timeout: float = 60,
    env: Optional[Dict[str, str]] = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in a fresh process, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "shellsso", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def browser_command() -> str:
    """A BROWSER value that 'visits' URLs like a user clicking Approve."""
    return f"{sys.executable} -m shellsso.emulator.browser %s"


@dataclass
class AwsEnv:
    """An isolated HOME with the demo config, pointed at a running emulator."""

    home: Path
    config: Path
    emulator: Emulator

    @property
    def url(self) -> str:
        return self.emulator.url

    def counters(self) -> Dict[str, int]:
        return dict(self.emulator.counters)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(interval=1)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def aws_env(home: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> AwsEnv:
    config = write_config(home)
    url = emulator.url
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", url)
    monkeypatch.setenv("BROWSER", browser_command())
    return AwsEnv(home=home, config=config, emulator=emulator)
