"""Text from outside (a flag, a cache file) is checked as a whole string of ASCII.

`$` in a regular expression also matches before a final newline, and
`str.isdigit` accepts superscript and other Unicode digits that `int` then
refuses: each check here fails on such input in its own way.
"""

from __future__ import annotations

import json
from pathlib import Path

from shellsso.awsconfig.regions import is_region_name
from shellsso.commands.configure import check_session_name
from shellsso.emulator.org import Account, Organisation
from tests.commands.test_populate import start
from tests.conftest import run_shellsso, write_config, write_token


def test_region_shape_is_a_whole_string() -> None:
    # configure and console take a region only of this shape; it becomes part of a host name.
    assert is_region_name("us-gov-west-1")
    for text in ("us-east-1\n", "us-east-\u0661", "\nus-east-1", "us-east-1 "):
        assert not is_region_name(text), repr(text)


def test_token_expiry_with_unicode_digits_is_no_crash(home: Path) -> None:
    write_config(home)
    path = write_token(home, "corp")
    data = json.loads(path.read_text())
    data["expiresAt"] = "2099-01-01T00:00:00+\u00b2\u00b2"
    path.write_text(json.dumps(data))
    result = run_shellsso("status", "--profile", "dev")
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr


def test_populate_plan_shows_old_values_terminal_safe(home: Path) -> None:
    """An old value of the block (the config is anyone's text) is shown with `?` for escapes."""
    for env in start(home, Organisation([Account("111111111111", "ops", "o@example.com",
                                                 ("Admin",))])):
        assert env.populate("--yes").returncode == 0
        text = env.config.read_text()
        env.config.write_text(text.replace("sso_account_name = ops",
                                           "sso_account_name = old\x1b[2Jname"))
        out = env.populate("--dry-run")
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout
        assert "sso_account_name: old?[2Jname -> ops" in out.stdout


def test_session_name_with_a_trailing_newline_is_refused() -> None:
    assert check_session_name("corp") is None
    assert check_session_name("corp\n") is not None


def test_a_stamp_named_with_unicode_digits_is_no_crash(home: Path) -> None:
    """The stamps folder is the user's; a file there named `²` is no shell's stamp."""
    import os
    import subprocess
    import sys

    stamps = home / ".cache" / "shellsso" / "stamps"
    stamps.mkdir(parents=True)
    (stamps / "\u00b2").write_text("")
    code = "from shellsso.shell.awsuse import touch_stamp; print(touch_stamp())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, _SHELLSSO_STAMP=str(stamps / "4242")))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(stamps)
    assert (stamps / "4242").exists()
