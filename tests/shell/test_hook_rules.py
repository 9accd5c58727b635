"""Rules that Python and each hook write in their own language give the same answers.

The prompt and the preexec hooks decide without starting Python, so three rules
exist in Python and again in every hook: whether a token file's token can be
refreshed silently (Token.can_refresh, as awsuse.token_times applies it, and
each hook's __shellsso_reread), whether the credentials `awsuse --export` put
in the environment are still its own (awsuse.exported_creds_active and each
hook's __shellsso_creds_mode), and which commands are AWS commands by default
(init.AWS_COMMANDS, rendered into every hook, and the README). Each hook gets
the same inputs as Python here, in one shell process per hook, and any
difference fails.

Not fed: a token file without an accessToken, which Python takes for no token
while the hooks read its expiry (no tool writes one), and timestamps with a
zone offset (the AWS CLI and botocore write UTC).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from shellsso.commands import init
from shellsso.shell import awsuse, syntax
from shellsso.sso.token_cache import token_from_json
from tests.conftest import REPO, require

TOKEN = {
    "startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1",
    "accessToken": "access", "expiresAt": "2031-02-03T04:05:06Z", "clientId": "client",
    "clientSecret": "secret", "registrationExpiresAt": "2031-05-06T07:08:09Z",
    "refreshToken": "refresh",
}
REFRESH_FIELDS = ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")
TIMES = ("2031-02-03T04:05:06.789Z", "2031-02-03 04:05:06Z", "2028-02-29T23:59:59Z",
         "2030-12-31T23:59:59Z", "2001-01-01T00:00:00Z", "1999-03-01T00:00:00Z")


def token_texts() -> List[str]:
    """Token files as the AWS CLI, botocore and shellsso write them, and with each field
    that a refresh needs missing, empty or null, in three JSON layouts."""
    tokens: List[Dict[str, object]] = [TOKEN]
    for field in (*REFRESH_FIELDS, "expiresAt"):
        tokens += [{k: v for k, v in TOKEN.items() if k != field},
                   {**TOKEN, field: ""}, {**TOKEN, field: None}]
    for when in TIMES:
        tokens += [{**TOKEN, "expiresAt": when}, {**TOKEN, "registrationExpiresAt": when}]
    texts = []
    for token in tokens:
        texts += [json.dumps(token), json.dumps(token, indent=2),
                  json.dumps(token, separators=(",", ":"))]
    return texts


def python_times(text: Optional[str], sso_session: bool) -> str:
    """What the back end exports for this file: `EXPIRES REFRESH`."""
    token = None if text is None else token_from_json(json.loads(text))
    return " ".join(awsuse.token_times(token, sso_session))


def run_in_hook(name: str, lines: List[str], tmp_path: Path) -> List[str]:
    """Run `lines` in shell `name` after its hook (as `shellsso init` prints it); stdout lines."""
    require(name)
    shell = syntax.get(name)
    hook = tmp_path / f"hook.{name}"
    hook.write_text(init.render(name))
    script = tmp_path / f"rules.{name}"
    script.write_text("\n".join([f"source {shell.quote(str(hook))}", *lines]) + "\n")
    executable = shutil.which(name)
    assert executable is not None
    env = {**os.environ, "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    result = subprocess.run(shell.script_argv(executable, script), capture_output=True,
                            text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("name", syntax.NAMES)
def test_can_refresh_the_same_in_python_and_the_hook(name: str, tmp_path: Path) -> None:
    shell = syntax.get(name)
    cases: List[Tuple[Optional[str], bool]] = [
        (text, sso) for text in [None, *token_texts()] for sso in (True, False)]
    lines = []
    for number, (text, sso) in enumerate(cases):
        path = tmp_path / f"token-{number}.json"
        if text is not None:
            path.write_text(text)
        lines += [shell.export("_SHELLSSO_TOKEN", str(path)),
                  shell.export("_SHELLSSO_SSO_SESSION", "1" if sso else ""),
                  shell.unset(["_SHELLSSO_STAMPS_OK"]),
                  "__shellsso_reread",
                  "printf '%s %s\\n' \"$_SHELLSSO_EXPIRES\" \"$_SHELLSSO_REFRESH\""]
    found = run_in_hook(name, lines, tmp_path)
    expected = [python_times(text, sso) for text, sso in cases]
    differ = [(text, sso, python, hook)
              for (text, sso), python, hook in zip(cases, expected, found) if python != hook]
    assert len(found) == len(cases)
    assert differ == [], differ[:5]


CREDS_VARS = ("_SHELLSSO_CREDS_EXPIRES", "AWS_ACCESS_KEY_ID", "_SHELLSSO_CREDS_KEY",
              "AWS_PROFILE", "_SHELLSSO_PROFILE")


def creds_envs() -> List[Dict[str, Optional[str]]]:
    """Every mix of an expiry (digits or not), the key (awsuse's or another) and the
    profile (awsuse's or another); None is unset."""
    expiries = [None, "", "1700000000", "0", "17x", "123\n", " 12", "\u0661\u0662"]
    keys = [(None, None), ("AKIAOURS", "AKIAOURS"), ("AKIAOTHER", "AKIAOURS"), ("", ""),
            ("AKIAOURS", None)]
    profiles = [("dev", "dev"), ("dev", "prod"), (None, None), ("", None), (None, "dev")]
    return [dict(zip(CREDS_VARS, (expires, *key, *profile)))
            for expires, key, profile in itertools.product(expiries, keys, profiles)]


@pytest.mark.parametrize("name", syntax.NAMES)
def test_exported_creds_are_ours_the_same_in_python_and_the_hook(
        name: str, tmp_path: Path) -> None:
    shell = syntax.get(name)
    envs = creds_envs()
    lines = []
    for env in envs:
        for var, value in env.items():
            lines.append(shell.unset([var]) if value is None else shell.export(var, value))
        lines.append("__shellsso_creds_mode && echo yes || echo no")
    found = run_in_hook(name, lines, tmp_path)
    expected = ["yes" if awsuse.exported_creds_active(
        {k: v for k, v in env.items() if v is not None}) else "no" for env in envs]
    differ = [(env, python, hook) for env, python, hook in zip(envs, expected, found)
              if python != hook]
    assert len(found) == len(envs)
    assert differ == [], differ[:5]


def test_default_aws_commands_are_the_ones_the_readme_lists() -> None:
    listed = " ".join(init.AWS_COMMANDS)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"| `SHELLSSO_AWS_COMMANDS` | `{listed}` |" in readme
    for name in syntax.NAMES:
        assert syntax.get(name).quote(listed) in init.render(name)
