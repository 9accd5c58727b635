"""zsh (5.x) under pexpect: what is particular to it.

The scenario all three shells share is in test_shells.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_config, write_token
from tests.shell.harness import (
    ShellSession,
)

SHELL = "zsh"


def test_keeps_precmd_and_preexec_functions(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    with ShellSession(SHELL, home, load=False) as sh:
        sh.run("mine() { (( count++ )); }; precmd_functions+=(mine); preexec_functions+=(mine)")
        sh.run("setopt prompt_subst; PROMPT='[$count] '$PROMPT")
        sh.run(sh.dialect.load)
        sh.run(sh.dialect.load)
        sh.run("awsuse dev")
        assert sh.prompt().startswith("aws:dev [")
        before = int(sh.value("count"))
        sh.run("true")
        assert int(sh.value("count")) >= before + 2
        assert sh.run("print -r -- $precmd_functions") == "mine __shellsso_prompt"
        assert sh.run("print -r -- $preexec_functions") == "mine __shellsso_preexec"
