"""kill -9 at random moments of a login, a refresh or a role-credential fetch.

Shared by tests/test_killsafety.py (tens of trials) and benchmarks/bench_kill.py
(hundreds). Each trial starts the real command against the emulator and kills
it with SIGKILL at a random moment around the end of its usual run time, when
it writes the cache; then every `*.json` in the two AWS cache folders must
still parse, and once the same command has run to the end, no temp file may be
left in either folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import shellsso

START_URL = "https://d-1234567890.awsapps.com/start"
PKGDIR = str(Path(shellsso.__file__).resolve().parent.parent)
# What the bash hook runs for `awsuse ARGS` (shells/shellsso.bash).
USE_CODE = ("import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;"
            "sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))")
KINDS = ("login", "refresh", "role")


def awsuse_argv(*args: str) -> List[str]:
    """The back end of `awsuse ARGS` in bash, started as the hook starts it."""
    return [sys.executable, "-E", "-S", "-c", USE_CODE, PKGDIR, "main", "bash", *args]


def shellsso_argv(*args: str) -> List[str]:
    return [sys.executable, "-m", "shellsso", *args]


def cache_dirs(home: Path) -> List[Path]:
    return [home / ".aws" / "sso" / "cache", home / ".aws" / "cli" / "cache"]


def temp_files(home: Path) -> List[Path]:
    """What a killed write can leave: any file that is not a finished cache entry."""
    found: List[Path] = []
    for folder in cache_dirs(home):
        if folder.is_dir():
            found += [p for p in folder.iterdir() if not p.name.endswith(".json")]
    return found


def corrupt_files(home: Path) -> List[Path]:
    """Cache entries that botocore would fail to read."""
    bad: List[Path] = []
    for folder in cache_dirs(home):
        for path in folder.glob("*.json") if folder.is_dir() else []:
            try:
                ok = isinstance(json.loads(path.read_bytes()), dict)
            except ValueError:
                ok = False
            if not ok:
                bad.append(path)
    return bad


def device_login(url: str, approve: Callable[[str], bool]) -> Dict[str, str]:
    """A login made with boto3 directly, as the AWS CLI makes it: real tokens."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    client = boto3.session.Session().client(
        "sso-oidc", region_name="us-east-1", endpoint_url=url,
        config=Config(signature_version=UNSIGNED))
    reg = client.register_client(clientName="botocore-client-corp", clientType="public",
                                 scopes=["sso:account:access"])
    auth = client.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
    assert approve(auth["userCode"])
    token = client.create_token(
        grantType="urn:ietf:params:oauth:grant-type:device_code", clientId=reg["clientId"],
        clientSecret=reg["clientSecret"], deviceCode=auth["deviceCode"])
    return {"clientId": reg["clientId"], "clientSecret": reg["clientSecret"],
            "accessToken": token["accessToken"], "refreshToken": token["refreshToken"]}


def write_token(home: Path, login: Dict[str, str], expires_in: float) -> None:
    """The session's token file as the AWS CLI writes it, expiring in `expires_in` s."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    data = {"startUrl": START_URL, "region": "us-east-1", "accessToken": login["accessToken"],
            "expiresAt": time.strftime(fmt, time.gmtime(time.time() + expires_in)),
            "clientId": login["clientId"], "clientSecret": login["clientSecret"],
            "registrationExpiresAt": time.strftime(fmt, time.gmtime(time.time() + 86400)),
            "refreshToken": login["refreshToken"]}
    folder = cache_dirs(home)[0]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha1(b"corp").hexdigest() + ".json")
    path.write_text(json.dumps(data))
    path.chmod(0o600)


class Tally:
    """The counts one series of trials reports."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.trials = 0
        self.hit = 0  # trials that left a temp file right after the kill
        self.corrupt = 0  # corrupt cache entries seen after a kill
        self.left = -1  # temp files left once the next command ran to the end

    def __str__(self) -> str:
        return (f"{self.kind}: {self.trials} kills, {self.hit} left a temp file at once, "
                f"{self.corrupt} corrupt files, {self.left} temp files after the next command")


def run_trials(kind: str, home: Path, env: Dict[str, str], url: str,
               approve: Callable[[str], bool], trials: int,
               rng: Optional[random.Random] = None, targeted: bool = False) -> Tally:
    """`trials` kills of one kind of command, then one complete run of it.

    `targeted` kills the moment a temp file appears (polling the folders),
    so that nearly every kill lands inside a write instead of a few.
    """
    rng = rng or random.Random()
    login: Dict[str, str] = {}

    def prepare() -> List[str]:
        if kind == "login":
            return shellsso_argv("login", "--profile", "dev")
        # A fresh login each time: a killed refresh may have used up the refresh token.
        login.update(device_login(url, approve))
        if kind == "refresh":
            write_token(home, login, -60)  # expired, refreshable: awsuse refreshes it
            return awsuse_argv("dev")
        write_token(home, login, 3600)
        for path in cache_dirs(home)[1].glob("*.json") if cache_dirs(home)[1].is_dir() else []:
            path.unlink()
        return shellsso_argv("export", "--profile", "dev")

    def complete() -> float:
        argv = prepare()
        started = time.monotonic()
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return time.monotonic() - started

    tally = Tally(kind)
    usual = complete()
    for _ in range(trials):
        argv = prepare()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if targeted:
            _until_a_temp_file(home, proc)
        else:
            time.sleep(rng.uniform(0.4 * usual, 1.15 * usual))
        proc.kill()
        proc.wait()
        tally.trials += 1
        tally.hit += bool(temp_files(home))
        tally.corrupt += len(corrupt_files(home))
    complete()
    tally.left = len(temp_files(home))
    tally.corrupt += len(corrupt_files(home))
    return tally


def _until_a_temp_file(home: Path, proc: subprocess.Popen[bytes]) -> None:
    folders = [str(p) for p in cache_dirs(home)]
    while proc.poll() is None:
        for folder in folders:
            try:
                if any(n.startswith(".shellsso-") for n in os.listdir(folder)):
                    return
            except OSError:
                pass


def environment(home: Path, url: str) -> Dict[str, str]:
    """A clean environment for the commands: this HOME, the emulator, its browser."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SHELLSSO_", "_SHELLSSO_", "SSH_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               AWS_ENDPOINT_URL_SSO_OIDC=url, AWS_ENDPOINT_URL_SSO=url,
               AWS_EC2_METADATA_DISABLED="true", SHELLSSO_AUTO_LOGIN="never",
               BROWSER=f"{sys.executable} -m shellsso.emulator.browser %s")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return env
