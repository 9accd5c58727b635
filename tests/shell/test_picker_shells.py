"""`awsuse -i` in real bash, zsh and fish, and `shellsso pick`, through a pty.

The picker draws on /dev/tty while the hook captures the back end's stdout
for eval: these tests type into that terminal as a user would (Enter is
`\\r`, Esc `\\x1b`) and check what the shell ends up with.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import DEMO_CONFIG, require, write_config, write_token
from tests.shell.harness import HOSTILE_CONFIG, HOSTILE_NAMES, ShellSession, clean

SHELLS = ["bash", "zsh", "fish"]
FRAME_END = "\x1b[?25h"  # each frame of the picker ends by showing the cursor again

CONFIG = DEMO_CONFIG.replace(
    "sso_account_id = 333333333333\n",
    "sso_account_id = 333333333333\nsso_account_name = Production Payments\n",
)


def open_picker(sh: ShellSession, command: str = "awsuse -i") -> str:
    """Run `command` and wait for the picker's first frame; its text, escapes removed."""
    sh.child.sendline(command)
    sh.child.expect(r"\x1b\[J> ")
    sh.child.expect_exact(FRAME_END)
    return clean(sh.child.before)


def type_query(sh: ShellSession, text: str, shown: int, total: int) -> str:
    """Type `text` and wait for the frame that shows it with `shown` of `total` rows."""
    sh.child.send(text)
    sh.child.expect(re.escape(f"> {text}") + r"\r\r?\n(?:\x1b\[2m)?" + re.escape(
        f"  {shown}/{total}"))
    sh.child.expect_exact(FRAME_END)
    return clean(sh.child.before)


def leave(sh: ShellSession, key: str) -> str:
    """Press `key` and read what comes up to the next prompt."""
    sh.child.send(key)
    return clean(sh._prompt())


@pytest.mark.parametrize("shell", SHELLS)
def test_picker_filters_switches_and_esc_changes_nothing(shell: str, home: Path) -> None:
    write_config(home, CONFIG)
    write_token(home, "corp", 3600)
    write_token(home, "https://d-1234567890.awsapps.com/start", 3600)
    with ShellSession(shell, home) as sh:
        first = open_picker(sh)
        assert "5/5" in first and "Production Payments" in first
        # By account id.
        frame = type_query(sh, "3333", 1, 5)
        assert re.search(r"> +prod +333333333333 +Production Payments +ReadOnlyAccess +us-east-1",
                         frame), frame
        leave(sh, "\r")
        assert sh.value("AWS_PROFILE") == "prod"
        assert sh.prompt() == "aws:prod"
        # By two words (role and region), and the most recent profile first.
        first = open_picker(sh)
        assert re.search(r"^> \* prod ", first, re.M), first
        type_query(sh, "readonly eu", 1, 5)
        leave(sh, "\r")
        assert sh.value("AWS_PROFILE") == "staging"
        # By role, moving down with the arrow and with Ctrl-N/Ctrl-P.
        open_picker(sh)
        frame = type_query(sh, "admin", 2, 5)
        assert frame.index(" dev ") < frame.index(" legacy ")  # never used: by name
        sh.child.send("\x1b[B")  # Down
        sh.child.send("\x0e")  # Ctrl-N, already at the last row
        sh.child.send("\x10")  # Ctrl-P
        sh.child.send("\x1b[B")
        sh.child.expect_exact(FRAME_END)
        leave(sh, "\r")
        assert sh.value("AWS_PROFILE") == "legacy"
        # Esc leaves the shell untouched, with status 1 and no output.
        open_picker(sh)
        type_query(sh, "dev", 1, 5)
        out = leave(sh, "\x1b")
        assert "error" not in out
        assert sh.status() == 1
        assert sh.value("AWS_PROFILE") == "legacy"
        # Ctrl-C too (130); a first query from the command line.
        open_picker(sh, "awsuse -i prod")
        leave(sh, "\x03")
        assert sh.status() == 130
        assert sh.value("AWS_PROFILE") == "legacy"
        # The order follows the switches, the latest first, whoever made them.
        sh.run("awsuse dev")
        first = open_picker(sh)
        order = [m.group(1) for m in re.finditer(r"^[> ] [* ] (\S+) ", first, re.M)]
        assert order == ["dev", "legacy", "staging", "prod", "default"], first
        leave(sh, "\x1b")
        # awsuse without arguments still lists; the option and the command complete.
        assert "* dev" in sh.run("awsuse")
        assert "awsuse --interactive" in sh.complete("awsuse --inter")
        assert "shellsso pick --switch" in sh.complete("shellsso pick --sw")
    history = home / ".cache" / "shellsso" / "history"
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


HOSTILE = HOSTILE_CONFIG + '\n[profile "evil\x1b[31mred"]\nregion = us-east-1\n'


@pytest.mark.parametrize("shell", SHELLS)
def test_picker_hostile_names_stay_inert(shell: str, home: Path) -> None:
    write_config(home, HOSTILE)
    total = len(HOSTILE_NAMES) + 2
    with ShellSession(shell, home) as sh:
        for name, word in zip(HOSTILE_NAMES, ["pwned-subst", "backtick", "semicolon",
                                              '"quoted"', "中"]):
            open_picker(sh)
            frame = type_query(sh, word, 1, total)
            assert name in frame, frame
            leave(sh, "\r")
            assert sh.value("AWS_PROFILE") == name
        # Control characters are drawn as `?` and never reach the terminal.
        sh.child.sendline("awsuse -i")
        sh.child.expect_exact(FRAME_END)
        first = sh.child.before
        assert "evil?[31mred" in first and "evil\x1b[31m" not in first
        type_query(sh, "evil", 1, total)
        out = leave(sh, "\r")
        assert "contains control characters" in out  # refused as `awsuse NAME` refuses it
        assert sh.value("AWS_PROFILE") == HOSTILE_NAMES[-1]
    assert not list(home.rglob("pwned*")), list(home.rglob("pwned*"))


def fzf_wait(sh: ShellSession, pattern: str) -> str:
    """fzf's drawing up to `pattern`, its cursor position queries answered as a terminal does."""
    while sh.child.expect([re.escape("\x1b[6n"), pattern]) == 0:
        sh.child.send("\x1b[10;1R")
    return clean(sh.child.before)


def open_fzf(sh: ShellSession, command: str, shown: int, total: int) -> str:
    """Run `command` and wait for fzf's count `shown/total`; the text drawn so far."""
    sh.child.sendline(command)
    return fzf_wait(sh, re.escape(f"{shown}/{total}"))


@pytest.mark.parametrize("shell", SHELLS)
def test_real_fzf_choice_goes_through_the_same_switch(shell: str, home: Path) -> None:
    require("fzf")
    write_config(home, HOSTILE)
    total = len(HOSTILE_NAMES) + 2
    with ShellSession(shell, home) as sh:
        open_picker(sh)  # SHELLSSO_PICKER unset: shellsso's own picker, not fzf
        leave(sh, "\x1b")
        sh.run(sh.dialect.set_var.format(name="SHELLSSO_PICKER", value="fzf"))
        # Each odd name, found by a word of it, comes back exactly and stays inert.
        for name, word in zip(HOSTILE_NAMES, ["pwned-subst", "backtick", "semicolon",
                                              '"quoted"', "中"]):
            open_fzf(sh, "awsuse -i", total, total)
            sh.child.send(word)
            fzf_wait(sh, re.escape(f"1/{total}"))
            assert leave(sh, "\r") == ""
            assert sh.value("AWS_PROFILE") == name
        # The first query comes from the command line; Enter takes the first match, the
        # most recently used of the three.
        frame = open_fzf(sh, "awsuse -i 'touch pwned'", 3, total)
        assert "touch pwned" in frame
        leave(sh, "\r")
        assert sh.value("AWS_PROFILE") == HOSTILE_NAMES[2]
        # Control characters are drawn as `?` and a name holding them is refused.
        open_fzf(sh, "awsuse -i evil", 1, total)
        fzf_wait(sh, re.escape("?[31mred"))
        assert "\x1b[31mred" not in sh.child.before
        out = leave(sh, "\r")
        assert "contains control characters" in out
        assert sh.value("AWS_PROFILE") == HOSTILE_NAMES[2]
        # fzf's own statuses (README): Esc and Ctrl-C 130, Enter on no match 1.
        open_fzf(sh, "awsuse -i", total, total)
        assert leave(sh, "\x1b") == ""
        assert sh.status() == 130
        open_fzf(sh, "awsuse -i", total, total)
        leave(sh, "\x03")
        assert sh.status() == 130
        open_fzf(sh, "awsuse -i zzzz", 0, total)
        leave(sh, "\r")
        assert sh.status() == 1
        assert sh.value("AWS_PROFILE") == HOSTILE_NAMES[2]
    assert not list(home.rglob("pwned*")), list(home.rglob("pwned*"))


def test_shellsso_pick_prints_the_name_or_the_switch(home: Path) -> None:
    write_config(home, CONFIG)
    env = dict(os.environ, TERM="xterm")
    # stdout a file, as in NAME=$(shellsso pick): the picker draws on the terminal only.
    out = home / "chosen"
    child = pexpect.spawn("sh", ["-c", f'"$0" -m shellsso pick pay >"{out}"', sys.executable],
                          env=env, encoding="utf-8", timeout=8, dimensions=(30, 120))
    child.expect_exact(FRAME_END)
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert (child.exitstatus, out.read_text()) == (0, "prod\n")
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "pick", "--switch", "fish",
                                           "stag"], env=dict(env, SHELLSSO_AUTO_LOGIN="never"),
                          encoding="utf-8", timeout=8, dimensions=(30, 120))
    child.expect_exact(FRAME_END)
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "set -gx AWS_PROFILE 'staging'" in clean(child.before)
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "pick"], env=env,
                          encoding="utf-8", timeout=8, dimensions=(30, 120))
    child.expect_exact(FRAME_END)
    child.send("\x1b")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
