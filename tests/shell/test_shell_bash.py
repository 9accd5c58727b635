"""bash (4.4+) under pexpect: what is particular to it.

The scenario all three shells share is in test_shells.py.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import AwsEnv, require, run_shellsso, write_config, write_token
from tests.shell.harness import (
    CREDS_PROMPT,
    ShellSession,
)

SHELL = "bash"


def test_export_over_foreign_credentials_warns(aws_env: AwsEnv) -> None:
    """awsuse --export over keys set by hand: a warning naming them; --unset clears them."""
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    with ShellSession(SHELL, aws_env.home, timeout=15) as sh:
        sh.run("export AWS_ACCESS_KEY_ID=AKIAFOREIGN AWS_SECRET_ACCESS_KEY=foreign-secret")
        out = sh.run("awsuse dev --export", timeout=30)
        assert out == ("awsuse: warning: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY were set "
                       "outside awsuse; --export replaces them, and awsuse --unset or the next "
                       "switch clears them")
        assert sh.value("AWS_ACCESS_KEY_ID").startswith("ASIA")
        assert CREDS_PROMPT.fullmatch(sh.prompt()), sh.prompt()
        sh.run("awsuse --unset")
        assert sh.value("AWS_ACCESS_KEY_ID") == sh.value("AWS_SECRET_ACCESS_KEY") == ""


def test_keeps_prompt_command_and_debug_trap(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    with ShellSession(SHELL, home, load=False) as sh:
        sh.run("PROMPT_COMMAND='mine=$((mine+1))'")
        sh.run("trap 'debugged=yes' DEBUG")
        sh.run(sh.dialect.load)
        sh.run(sh.dialect.load)
        sh.run("awsuse dev")
        assert sh.prompt() == "aws:dev"
        before = int(sh.value("mine"))
        sh.run("true")
        assert int(sh.value("mine")) > before
        sh.run("debugged=no")
        assert sh.value("debugged") == "yes"
        assert sh.run("trap -p DEBUG").count("__shellsso_debug") == 1


def test_completion_search_matches_a_plain_prefix_filter(home: Path) -> None:
    """The binary search over the sorted cache finds exactly the names with the prefix.

    The word is read from COMP_LINE as bash gives it, typed with quotes and
    backslashes; a single match comes back quoted, several as they are.
    """
    require(SHELL)
    names = ["dev", "dev2", "devops", "d", "prod", "prod-eu", "p1", "p10", "p2", "x y", "é-prod",
             "x;rm", "Zeta", "zeta", "a:b", "a:c", *[f"n{i:03d}" for i in range(300)]]
    write_config(home, "".join(f'[profile "{name}"]\nregion = a\n' for name in names))
    typed = ["", "d", "dev", "devo", "p", "p1", "prod-", "x", "x\\;", "'x;", "\"x ", "é", "Z",
             "z", "n0", "n29", "n299", "n3", "q", "~", "a:", "'a:"]
    hook = subprocess.run([sys.executable, "-m", "shellsso", "init", SHELL],
                          capture_output=True, text=True, check=True).stdout
    script = hook + "\n" + "".join(
        f"COMP_LINE={shlex.quote('awsuse ' + word)} COMP_POINT={len(('awsuse ' + word).encode())}; "
        "COMPREPLY=(); __shellsso_reply_profiles 2>/dev/null; "
        "printf '%s\\n' \"${#COMPREPLY[@]}\" \"${COMPREPLY[@]}\"\n"
        for word in typed
    )
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    for word in typed:
        count = int(out.pop(0))
        got, out = out[:count], out[count:]
        prefix = shlex.split(word + ("'" if word.count("'") % 2 else "")
                             + ('"' if word.count('"') % 2 else ""))[0] if word else ""
        expected = sorted(name for name in names if name.startswith(prefix))
        cut = prefix.rfind(":") + 1 if word[:1] not in "'\"" else 0
        if len(expected) == 1:
            if word[:1] in "'\"":  # inside an open quote: readline closes it
                got = shlex.split(word[0] + got[0] + word[0]) if got else got
            else:
                got = [prefix[:cut] + shlex.split(got[0])[0]] if got else got
        else:
            got = sorted(prefix[:cut] + name for name in got)
        assert got == expected, word
    assert out == []


def test_a_cache_of_quoted_names_is_made_again(home: Path) -> None:
    """0.1.0 cached the names quoted: such a cache, newer than the config, is replaced."""
    config = write_config(home, '[profile "x;y z"]\n[profile other]\n')
    cache = home / ".cache" / "shellsso"
    cache.mkdir(parents=True)
    (cache / "names.bash").write_text(
        f"{config}:{home / '.aws' / 'credentials'}\nother\nx\\;y\\ z\n")
    with ShellSession(SHELL, home) as sh:
        assert "error" not in sh.complete_and_enter("awsuse x")
        assert sh.value("AWS_PROFILE") == "x;y z"
