"""Drive a real interactive bash, zsh or fish under pexpect, with shellsso's hook loaded.

One `ShellSession` per test runs many steps in one shell process. The prompt
ends with a marker no command prints, so each step reads exactly the output
of its command; values are printed as `[value]` lines and exit statuses as
`rc=N` lines, which the echo of the typed command can never look like.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pexpect
import pytest

MARK = "@@P@@ "
SET_PS1 = f"PS1='{MARK[:3]}''{MARK[3:]}'"
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|[\x01\x02]|\r")


@dataclass(frozen=True)
class Dialect:
    """What differs between the shells in the test scenario."""

    name: str
    argv: List[str]
    setup: List[str]  # before the hook is loaded
    load: str  # load the hook printed by `shellsso init`
    status: str  # prints rc=N for the last command
    value: str  # printf template for one variable, {name} substituted
    define_aws: str  # a fake `aws` command that prints AWS_PROFILE


def _py_init(shell: str) -> str:
    return f"{sys.executable} -m shellsso init {shell}"


DIALECTS: Dict[str, Dialect] = {
    "bash": Dialect(
        name="bash",
        argv=["bash", "--norc", "--noprofile", "-i"],
        setup=[SET_PS1, "bind 'set enable-bracketed-paste off' 2>/dev/null",
               "HISTFILE=/dev/null"],
        load=f'eval "$({_py_init("bash")})"',
        status='echo "rc=$?"',
        value="printf '[%s]\\n' \"${{{name}-}}\"",
        define_aws='aws() { printf \'[aws:%s]\\n\' "$AWS_PROFILE"; }',
    ),
    "zsh": Dialect(
        name="zsh",
        argv=["zsh", "-f", "-i"],
        setup=[SET_PS1, "unsetopt prompt_sp prompt_cr", "HISTFILE=/dev/null",
               "autoload -Uz compinit && compinit -u -D"],
        load=f'eval "$({_py_init("zsh")})"',
        status='echo "rc=$?"',
        value="printf '[%s]\\n' \"${{{name}-}}\"",
        define_aws='aws() { printf \'[aws:%s]\\n\' "$AWS_PROFILE"; }',
    ),
    "fish": Dialect(
        name="fish",
        argv=["fish", "--no-config", "-i"],
        setup=[f"function fish_prompt; printf '{MARK[:3]}''{MARK[3:]}'; end",
               "set -g fish_greeting ''", "function fish_right_prompt; end", "set -g fish_autosuggestion_enabled 0"],
        load=f"{_py_init('fish')} | source",
        status='echo "rc=$status"',
        value="printf '[%s]\\n' \"${name}\"",
        define_aws="function aws; printf '[aws:%s]\\n' \"$AWS_PROFILE\"; end",
    ),
}


def require_shell(name: str) -> None:
    """Skip when the shell is missing, except in CI, where every shell must be there."""
    if shutil.which(name) is None:
        from conftest import in_ci

        if in_ci():
            pytest.fail(f"{name} is not installed (required in CI)")
        pytest.skip(f"{name} is not installed")


def clean(text: str) -> str:
    """Terminal output without colour and cursor sequences or carriage returns."""
    return ANSI.sub("", text)


class ShellSession:
    """A running interactive shell with shellsso loaded."""

    def __init__(self, shell: str, home: Path, env: Optional[Dict[str, str]] = None,
                 timeout: float = 8, load: bool = True) -> None:
        require_shell(shell)
        self.dialect = DIALECTS[shell]
        self.timeout = timeout
        environ = dict(os.environ if env is None else env)
        environ.update(HOME=str(home), TERM="xterm", COLUMNS="400", LINES="50")
        environ.setdefault("XDG_CACHE_HOME", str(home / ".cache"))
        # A shell of its own: no user fish config or universal variables.
        environ["XDG_CONFIG_HOME"] = str(home / ".config")
        environ["XDG_DATA_HOME"] = str(home / ".local" / "share")
        self.child = pexpect.spawn(
            self.dialect.argv[0], self.dialect.argv[1:], env=environ, cwd=str(home),
            encoding="utf-8", codec_errors="replace", dimensions=(50, 400), timeout=timeout,
        )
        self.last_prompt = ""
        # The first line sets the marker prompt (spelled in two pieces, so that
        # its echo does not match); from then on every step ends at a prompt.
        self.child.sendline(self.dialect.setup[0])
        self._prompt()
        for line in self.dialect.setup[1:]:
            self.run(line)
        if load:
            self.run(self.dialect.load)

    def close(self) -> None:
        self.child.close(force=True)

    def __enter__(self) -> ShellSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prompt(self, timeout: Optional[float] = None) -> str:
        """Output up to the next prompt; remembers the prompt's own text."""
        self.child.expect_exact(MARK, timeout=timeout or self.timeout)
        before = self.child.before
        # The prompt (our segment included) is the tail after the last newline.
        head, _, tail = before.rpartition("\n")
        self.last_prompt = tail
        return head

    def sync(self) -> None:
        """Wait for the first prompt (before any command)."""
        self._prompt()

    def run(self, command: str, timeout: Optional[float] = None) -> str:
        """Run one command line; its output (echo line dropped), without escapes."""
        self.child.sendline(command)
        out = clean(self._prompt(timeout))
        lines = out.split("\n")
        return "\n".join(lines[1:]) if len(lines) > 1 else ""

    def raw_prompt(self) -> str:
        """The last prompt as the terminal got it (colours included)."""
        return self.last_prompt

    def prompt(self) -> str:
        """The last prompt's text before the marker, escapes removed."""
        return clean(self.last_prompt).strip()

    def status(self) -> int:
        """Exit status of the previous command."""
        out = self.run(self.dialect.status)
        match = re.search(r"^rc=(\d+)", out, re.M)
        assert match, out
        return int(match.group(1))

    def value(self, name: str) -> str:
        """A variable's value ('' when unset)."""
        out = self.run(self.dialect.value.format(name=name))
        found = re.findall(r"^\[(.*)\]$", out, re.M)
        assert found, out
        return found[-1]

    def complete(self, text: str) -> str:
        """Type `text`, press TAB, return the command line as completed, then clear it."""
        self.child.send(text + "\t")
        time.sleep(0.5)
        self.child.sendcontrol("e")
        marker = "#@@END@@"
        self.child.send(marker)
        self.child.expect_exact(marker, timeout=self.timeout)
        screen = clean(self.child.before)
        self.child.sendcontrol("u") if self.dialect.name != "fish" else None
        self.child.sendcontrol("a")
        self.child.sendcontrol("k")
        self.child.sendline("")
        self._prompt()
        return screen

    def processes_per_prompt(self, prompts: int = 20) -> float:
        """Child processes the shell started per prompt (empty command lines)."""
        before = waited_children_faults(self.child.pid)
        for _ in range(prompts):
            self.child.sendline("")
            self._prompt()
        after = waited_children_faults(self.child.pid)
        return (after - before) / prompts


def waited_children_faults(pid: int) -> int:
    """cminflt + cmajflt of a process: page faults of the children it has waited for.

    Every child that runs, even a bare fork that exits, faults at least once,
    so a shell whose counter does not move has started no process; unlike
    sampling the process list, this cannot miss a short-lived child.
    """
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); cminflt is field 11, cmajflt field 13.
    return int(fields[8]) + int(fields[10])
