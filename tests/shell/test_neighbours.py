"""shellsso next to the tools people already load, in real bash, zsh and fish.

Each shell loads its neighbours for real (the Debian packages: fzf's key
bindings and completion, direnv's hook, zsh-autosuggestions and
zsh-syntax-highlighting, which wrap every widget, a PROMPT_COMMAND and a
DEBUG trap of the user's own in bash), once before shellsso's line and once
after it. Both sides must keep working: shellsso's prompt segment, TAB
completion of profiles, the login offer before `aws` and `$?`; and each
neighbour's own job (direnv loads an .envrc, fzf's Ctrl-T opens fzf...).

liquidprompt draws the whole prompt itself: what happens with it is said in
its own test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from tests.conftest import DEMO_CONFIG, in_ci, require, write_config, write_token
from tests.shell.harness import ShellSession, clean

FZF = "/usr/share/doc/fzf/examples"
OFFER = "Log in to SSO session 'corp' now? [Y/n]"

USER_TRAP = "trap 'mine_commands=$((mine_commands+1))' DEBUG"

# What each shell loads besides shellsso, one command line each.
NEIGHBOURS: Dict[str, List[str]] = {
    "bash": [
        f"source {FZF}/key-bindings.bash",
        "source /usr/share/bash-completion/completions/fzf",
        'eval "$(direnv hook bash)"',
        # The user's own: a PROMPT_COMMAND that counts prompts, a DEBUG trap that counts commands.
        "PROMPT_COMMAND=\"${PROMPT_COMMAND:+$PROMPT_COMMAND;}mine_prompts=\\$((mine_prompts+1))\"",
        USER_TRAP,
    ],
    "zsh": [
        "source /usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh",
        f"source {FZF}/key-bindings.zsh",
        f"source {FZF}/completion.zsh",
        'eval "$(direnv hook zsh)"',
        "source /usr/share/zsh-syntax-highlighting/zsh-syntax-highlighting.zsh",
    ],
    "fish": [
        f"source {FZF}/key-bindings.fish",
        "fzf_key_bindings",
        "direnv hook fish | source",
    ],
}


def require_files(lines: List[str]) -> None:
    """The files `lines` source: skipped on a developer's machine without them, failed in CI."""
    for path in re.findall(r"source (\S+)", " ".join(lines)):
        if not Path(path).is_file():
            if in_ci():
                pytest.fail(f"{path} is missing (its package is required in CI)")
            pytest.skip(f"{path} is missing")


class Session(ShellSession):
    """A session whose zsh line editor may redraw the typed line (syntax highlighting,
    suggestions): a command's output is what follows the first newline after the prompt."""

    def run(self, command: str, timeout: Optional[float] = None) -> str:
        if self.dialect.name != "zsh":
            return super().run(command, timeout)
        self.child.sendline(command)
        text = clean(self._prompt(timeout) + "\n")
        out = text.split("\n", 1)[1] if "\n" in text else ""
        return "\n".join(line for line in out.split("\n") if line.strip())


def fzf_wait(sh: ShellSession, pattern: str) -> str:
    """fzf's drawing up to `pattern`, its cursor position queries answered as a terminal does."""
    while sh.child.expect([re.escape("\x1b[6n"), pattern]) == 0:
        sh.child.send("\x1b[10;1R")
    return clean(sh.child.before)


def check_shellsso(sh: ShellSession, home: Path, segment: bool = True) -> None:
    """Switching and the prompt segment (when `segment`), TAB, `$?`, the offer before `aws`."""
    assert sh.run("awsuse dev") == ""
    assert not segment or sh.prompt() == "aws:dev"
    sh.complete_and_enter("awsuse st")  # TAB, then Enter: the switch shows what TAB wrote
    assert sh.value("AWS_PROFILE") == "staging"
    sh.run("awsuse dev")
    sh.run("(exit 3)" if sh.dialect.name != "fish" else "false")
    assert sh.status() == (3 if sh.dialect.name != "fish" else 1)
    assert not segment or sh.prompt() == "aws:dev"
    sh.run(sh.dialect.define_aws)
    write_token(home, "corp", -30)
    sh.child.sendline("aws s3 ls")
    sh.child.expect_exact(OFFER)
    sh.answer("n")
    sh.child.expect_exact("[aws:dev]")
    sh._prompt()
    assert sh.status() == 0
    assert not segment or sh.prompt() == "aws:dev(expired)"
    write_token(home, "corp", 3600)


def check_direnv(sh: ShellSession, home: Path) -> None:
    """direnv still loads an allowed .envrc on cd, and unloads it on the way out."""
    project = home / "project"
    project.mkdir()
    (project / ".envrc").write_text("export NEIGHBOUR=loaded\n")
    sh.run(f"direnv allow {project}")
    sh.run(f"cd {project}")
    assert sh.value("NEIGHBOUR") == "loaded"
    assert sh.prompt() == "aws:dev"
    sh.run("cd ..")
    assert sh.value("NEIGHBOUR") == ""


def check_fzf(sh: ShellSession) -> None:
    """fzf's Ctrl-T still opens fzf on the files here; Ctrl-G gives the command line back."""
    sh.child.send("\x14")
    fzf_wait(sh, r"\d+/\d+")
    sh.child.send("\x07")  # Ctrl-G: fzf's abort, not to be read with the next key as Esc is
    if sh.dialect.name == "zsh":
        sh._prompt()  # the widget ends with zle's reset-prompt: the prompt is drawn again
    assert sh.run("echo fzf-closed") == "fzf-closed"


def check_zsh_widgets(sh: ShellSession) -> None:
    """zsh-autosuggestions still suggests from history; zsh-syntax-highlighting still colours."""
    sh.run("echo neighbour-w16")
    sh.child.send("echo neighbour-w")
    sh.child.send("\x06\r")  # Ctrl-F (forward-char) takes the suggestion
    assert re.search(r"^neighbour-w16$", clean(sh._prompt()), re.M)
    sh.child.send("awsuse")
    sh.child.expect(r"\x1b\[32m")  # a function: green
    sh.child.sendcontrol("a")
    sh.child.sendcontrol("k")
    sh.child.sendline("")
    sh._prompt()


def check_bash_own_hooks(sh: ShellSession, trap: bool) -> None:
    """The user's PROMPT_COMMAND (and DEBUG trap) still run, at each prompt (and command)."""
    names = ["mine_prompts", "mine_commands"] if trap else ["mine_prompts"]
    before = [int(sh.value(name) or 0) for name in names]
    sh.run("true")
    after = [int(sh.value(name) or 0) for name in names]
    assert all(b < a for b, a in zip(before, after)), (before, after)


@pytest.mark.parametrize("order", ["before", "after"])
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_neighbours_loaded_before_or_after(shell: str, order: str, home: Path) -> None:
    for tool in ("fzf", "direnv"):
        require(tool)
    require_files(NEIGHBOURS[shell])
    write_config(home, DEMO_CONFIG)
    write_token(home, "corp", 3600)
    # A DEBUG trap set after shellsso's line replaces its trap: test_debug_trap_set_after.
    lines = [line for line in NEIGHBOURS[shell] if order == "before" or line != USER_TRAP]
    with Session(shell, home, load=False) as sh:
        if order == "after":
            sh.run(sh.dialect.load)
        for line in lines:
            sh.run(line)
        if order == "before":
            sh.run(sh.dialect.load)
        check_shellsso(sh, home)
        check_direnv(sh, home)
        check_fzf(sh)
        if shell == "zsh":
            check_zsh_widgets(sh)
        if shell == "bash":
            check_bash_own_hooks(sh, trap=USER_TRAP in lines)
        assert sh.prompt() == "aws:dev"


def test_debug_trap_set_after(home: Path) -> None:
    """bash keeps one DEBUG trap: one set after shellsso's line replaces shellsso's. The next
    prompt sees that shellsso's did not fire and puts it back in front of the new one, which
    keeps running; the user's PROMPT_COMMAND, added after shellsso's entry, too."""
    write_config(home, DEMO_CONFIG)
    write_token(home, "corp", 3600)
    with Session("bash", home) as sh:
        sh.run(NEIGHBOURS["bash"][-2])  # the user's PROMPT_COMMAND
        sh.run(USER_TRAP)
        check_shellsso(sh, home)
        check_bash_own_hooks(sh, trap=True)
        assert sh.child_faults_per_prompt() == 0


def test_debug_trap_set_after_keeps_its_quotes_status_and_underscore(home: Path) -> None:
    """The replaced trap's text (quotes, a newline) is put back as it was, behind shellsso's,
    and still sees `$?` and `$_` of the command before."""
    write_config(home, DEMO_CONFIG)
    write_token(home, "corp", 3600)
    with Session("bash", home) as sh:
        sh.run("trap $'mine_seen=\"it\\'s $? $_\"\\nmine_n=$((mine_n+1))' DEBUG")
        assert sh.run('false a b; echo "[$mine_seen]"') == "[it's 1 b]"
        check_shellsso(sh, home)
        assert sh.run('true c d; echo "[$mine_seen]"') == "[it's 0 d]"


def test_debug_trap_removed_after(home: Path) -> None:
    """`trap - DEBUG` (liquidprompt_off does it) takes shellsso's trap too: it comes back."""
    write_config(home, DEMO_CONFIG)
    write_token(home, "corp", 3600)
    with Session("bash", home) as sh:
        sh.run("trap - DEBUG")
        check_shellsso(sh, home)


def test_debug_trap_set_at_every_prompt_costs_no_process(home: Path) -> None:
    """A PROMPT_COMMAND that sets its DEBUG trap at every prompt: putting shellsso's back each
    time would fork at each prompt, so it is put back once, then left off. The other trap,
    the prompt segment and $? keep working, and no prompt starts a process."""
    write_config(home, DEMO_CONFIG)
    write_token(home, "corp", 3600)
    with Session("bash", home) as sh:
        sh.run("PROMPT_COMMAND+=$'\\ntrap \\'mine_commands=$((mine_commands+1))\\' DEBUG'")
        sh.run("awsuse dev")
        assert sh.child_faults_per_prompt() == 0
        assert sh.prompt() == "aws:dev"
        before = int(sh.value("mine_commands"))
        sh.run("(exit 3)")
        assert sh.status() == 3
        assert int(sh.value("mine_commands")) > before


@pytest.mark.parametrize(("shell", "order"), [
    ("bash", "before"), ("bash", "after"), ("zsh", "before"),
    ("zsh", "after")])
def test_liquidprompt(shell: str, order: str, home: Path) -> None:
    """liquidprompt rebuilds the whole prompt before each one. Loaded before shellsso's line,
    shellsso's segment goes in front of it; loaded after, its prompt replaces the segment (it
    shows the profile alone, `[dev]`, from AWS_PROFILE). Either way shellsso_prompt_info still
    gives the text, `LP_PS1_PREFIX` can show it (zsh: with prompt_subst), and the rest works
    but for the bash DEBUG trap (LP_TRAP)."""
    liquidprompt = "/usr/share/liquidprompt/liquidprompt"
    require_files([f"source {liquidprompt}"])
    write_config(home, DEMO_CONFIG)
    write_token(home, "corp", 3600)
    with Session(shell, home, load=False) as sh:
        if order == "after":
            sh.run(sh.dialect.load)
        # Its prompt ends with the harness's marker, so that each prompt is still seen.
        sh.run("LP_PS1_POSTFIX='@@P''@@ '")
        sh.run(f"source {liquidprompt}")
        if order == "before":
            sh.run(sh.dialect.load)
        sh.run("awsuse staging")
        assert sh.run("shellsso_prompt_info") == "aws:staging"
        prompt = sh.prompt()
        assert re.search(r"\[[^]:]+:~\]", prompt), prompt  # liquidprompt's [user:~]
        assert "[staging]" in prompt, prompt
        if order == "before":
            assert prompt.startswith("aws:staging "), prompt
        else:
            assert "aws:" not in prompt, prompt
        # The way that works in either order: shellsso's text in liquidprompt's prefix.
        if shell == "zsh":
            sh.run("setopt prompt_subst")
        sh.run("SHELLSSO_PROMPT=off; LP_PS1_PREFIX='${_SHELLSSO_INFO:+$_SHELLSSO_INFO }'")
        assert sh.run("awsuse dev") == ""
        assert sh.prompt().startswith("aws:dev "), sh.prompt()
        assert sh.prompt().count("aws:") == 1, sh.prompt()
        check_shellsso(sh, home, segment=False)
        assert sh.run("shellsso_prompt_info") == "aws:dev"
