"""Other programs' clients, installed once and kept on disk: the AWS CLI v1 from PyPI in a venv
of its own, and the AWS SDK for JavaScript v3 from npm.

Both land in the checkout's `.cache/` (ignored by git), in a folder named after what was
installed, behind a file lock so that parallel workers install once. Installing needs the
package index: a developer offline skips, CI (which has it) fails instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

from shellsso.emulator import Emulator
from tests.conftest import REPO, AwsEnv, in_ci, require, write_config
from tests.creds.test_rolecreds import emulator_login

AWSCLI_V1 = "awscli==1.46.3"
"""Pinned, so that the cache folder names what is in it; any 1.x that knows
AWS_ENDPOINT_URL_STS (botocore >= 1.31) would do."""

JS_FOLDER = Path(__file__).resolve().parent / "js"
"""package.json and package-lock.json: the SDK's version (3.967, the last whose engines
still admit Node.js 18, Debian 12's) and every package under it, pinned."""

CACHE = REPO / ".cache"


def _unavailable(what: str, detail: str) -> None:
    if in_ci():
        pytest.fail(f"cannot install {what}: {detail[-400:]}")
    pytest.skip(f"{what} could not be installed (offline?): {detail[-200:]}")


def cached_install(name: str, build: Callable[[Path], None]) -> Path:
    """`CACHE/name`, made by `build(folder)` once on this machine: the first worker builds while
    the others wait on the lock; a half-built folder (a killed run) is built again."""
    CACHE.mkdir(exist_ok=True)
    folder = CACHE / name
    ready = folder / ".ready"
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            ready.touch()
    return folder


def _build_awscli(folder: Path) -> None:
    made = subprocess.run([sys.executable, "-m", "venv", str(folder)], capture_output=True,
                          text=True, check=False)
    if made.returncode != 0:
        _unavailable("a venv for the AWS CLI v1", made.stderr)
    pip = subprocess.run([str(folder / "bin" / "pip"), "install", "-q",
                          "--disable-pip-version-check", AWSCLI_V1],
                         capture_output=True, text=True, check=False, timeout=600)
    if pip.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable("the AWS CLI v1 from PyPI", pip.stderr)


@pytest.fixture(scope="session")
def aws_cli_v1() -> Path:
    """The `aws` of the AWS CLI v1 (botocore inside), from PyPI, in a venv of its own."""
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
    key = hashlib.sha1(f"{sys.executable}\n{AWSCLI_V1}".encode()).hexdigest()[:10]
    folder = cached_install(f"awscli-v1-{tag}-{key}", _build_awscli)
    return folder / "bin" / "aws"


def _build_js(folder: Path) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copy(JS_FOLDER / name, folder / name)
    npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                         cwd=folder, capture_output=True, text=True, check=False, timeout=600)
    if npm.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable("the AWS SDK for JavaScript v3 from npm", npm.stdout + npm.stderr)


@pytest.fixture(scope="session")
def js_sdk() -> Iterator[Path]:
    """A folder holding the pinned SDK's node_modules and the test's caller script, which
    Node.js runs from there so that its imports find the SDK."""
    require("node")
    require("npm")
    lock = (JS_FOLDER / "package-lock.json").read_bytes()
    key = hashlib.sha1(lock + (JS_FOLDER / "package.json").read_bytes()).hexdigest()[:10]
    folder = cached_install(f"js-sdk-{key}", _build_js)
    # The script itself is not part of the cache: copied on every session (atomically, as
    # several workers may do it at once), so an edit to it is always what runs.
    script = folder / f"caller.{os.getpid()}.mjs"
    shutil.copy(JS_FOLDER / "caller.mjs", script)
    try:
        yield script
    finally:
        script.unlink(missing_ok=True)


@pytest.fixture
def short_lived(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    """The demo config on an emulator whose role credentials last a few seconds."""
    emu = Emulator(interval=1, credential_ttl=4)
    emu.start()
    try:
        config = write_config(home)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", emu.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", emu.url)
        env = AwsEnv(home=home, config=config, emulator=emu)
        emulator_login(env)
        yield env
    finally:
        emu.stop()
