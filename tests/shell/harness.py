"""Drive a real interactive bash, zsh or fish under pexpect, with shellsso's hook loaded.

One `ShellSession` per test runs many steps in one shell process. The prompt
ends with a marker no command prints, so each step reads exactly the output
of its command; values are printed as `[value]` lines and exit statuses as
`rc=N` lines, which the echo of the typed command can never look like.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

import pexpect

from tests.conftest import require

if TYPE_CHECKING:
    from tests.conftest import AwsEnv

MARK = "@@P@@ "
SET_PS1 = f"PS1='{MARK[:3]}''{MARK[3:]}'"
ANSI = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC (window title)
    r"|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|[\x01\x02]|\r"
)


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
    define_aws_key: str  # a fake `aws` command that prints AWS_ACCESS_KEY_ID
    set_var: str  # export {name}={value}
    unset_var: str  # unset {name}
    prepend_path: str  # put folder {path} first in PATH
    lint: List[str]  # a linter for the hook (file name appended), must print nothing
    # Completing a word that ends in one of these leaves the word open (no
    # space, no closing quote), so that it can go on: fish's rule.
    open_after: str = ""


def _py_init(shell: str) -> str:
    return f"{sys.executable} -m shellsso init {shell}"


_BASH = Dialect(
    name="bash",
    argv=["bash", "--norc", "--noprofile", "-i"],
    setup=[SET_PS1, "bind 'set enable-bracketed-paste off' 2>/dev/null",
           "HISTFILE=/dev/null"],
    load=f'eval "$({_py_init("bash")})"',
    status='echo "rc=$?"',
    value="printf '[%s]\\n' \"${{{name}-}}\"",
    define_aws='aws() { printf \'[aws:%s]\\n\' "$AWS_PROFILE"; }',
    define_aws_key='aws() { printf \'[key:%s]\\n\' "$AWS_ACCESS_KEY_ID"; }',
    set_var="export {name}='{value}'",
    unset_var="unset {name}",
    prepend_path="PATH='{path}':$PATH",
    lint=["shellcheck", "-s", "bash"],
)

DIALECTS: Dict[str, Dialect] = {
    "bash": _BASH,
    # zsh takes bash's syntax for everything the harness types; only start-up and lint differ.
    "zsh": replace(
        _BASH,
        name="zsh",
        argv=["zsh", "-f", "-i"],
        setup=[SET_PS1, "unsetopt prompt_sp prompt_cr", "HISTFILE=/dev/null",
               "autoload -Uz compinit && compinit -u -D"],
        load=f'eval "$({_py_init("zsh")})"',
        lint=["zsh", "-n"],
    ),
    "fish": Dialect(
        name="fish",
        argv=["fish", "--no-config", "-i"],
        setup=[f"function fish_prompt; printf '{MARK[:3]}''{MARK[3:]}'; end",
               "set -g fish_greeting ''", "function fish_right_prompt; end",
               "function fish_title; end", "set -g fish_autosuggestion_enabled 0"],
        load=f"{_py_init('fish')} | source",
        status='echo "rc=$status"',
        value="printf '[%s]\\n' \"${name}\"",
        define_aws="function aws; printf '[aws:%s]\\n' \"$AWS_PROFILE\"; end",
        define_aws_key="function aws; printf '[key:%s]\\n' \"$AWS_ACCESS_KEY_ID\"; end",
        set_var="set -gx {name} '{value}'",
        unset_var="set -e {name}",
        prepend_path="set -gx PATH '{path}' $PATH",
        lint=["fish", "--no-execute"],
        open_after="/=@:.,-",
    ),
}




def clean(text: str) -> str:
    """Terminal output without colour and cursor sequences or carriage returns."""
    return ANSI.sub("", text)


class ShellSession:
    """A running interactive shell with shellsso loaded."""

    def __init__(self, shell: str, home: Path, env: Optional[Dict[str, str]] = None,
                 timeout: float = 8, load: bool = True) -> None:
        require(shell)
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
        # its echo does not match); every step then ends at a prompt.
        for line in self.dialect.setup:
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
        before: str = self.child.before
        # The prompt (our segment included) is the tail after the last newline.
        head, _, tail = before.rpartition("\n")
        self.last_prompt = tail
        return head

    def run(self, command: str, timeout: Optional[float] = None) -> str:
        """Run one command line; its output (without the echo), escapes removed.

        fish repaints its prompt now and then (when fish_prompt is redefined,
        for one), so prompts are read until one follows the echo of `command`.
        """
        self.child.sendline(command)
        echo = command.strip() + "\n"
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            text = clean(self._prompt(max(deadline - time.monotonic(), 0.1)) + "\n")
            at = text.rfind(echo)
            if at >= 0 or not echo.strip():
                out = text[at + len(echo):] if at >= 0 else text
                return "\n".join(
                    line for line in out.split("\n") if line.strip(" \u23ce"))

    def quote(self, value: str) -> str:
        """`value` as one word of this shell (shellsso's quoting, checked in test_use)."""
        from shellsso.shell.syntax import get

        return get(self.dialect.name).quote(value)

    def raw_prompt(self) -> str:
        """The last prompt as the terminal got it (colours included)."""
        # fish draws its "no newline" mark, then returns the cursor with \r.
        return self.last_prompt.rsplit("\r", 1)[-1]

    def prompt(self) -> str:
        """The last prompt's text before the marker, escapes removed."""
        return clean(self.raw_prompt()).strip()

    def status(self) -> int:
        """Exit status of the previous command."""
        out = self.run(self.dialect.status)
        match = re.search(r"^rc=(\d+)", out, re.M)
        assert match, out
        return int(match.group(1))

    def value(self, name: str) -> str:
        """A variable's value ('' when unset)."""
        out = self.run(self.dialect.value.format(name=name))
        found: List[str] = re.findall(r"^\[(.*)\]$", out, re.M)
        assert found, out
        return found[-1]

    def answer(self, text: str) -> None:
        """Answer a question as a person does: the text, then Enter (a terminal sends CR)."""
        self.child.send(text + "\r")

    def complete(self, text: str) -> str:
        """Type `text`, press TAB, return the command line as completed, then clear it."""
        self.child.send(text + "\t")  # the editor reads keys in order: no wait
        marker = "#@@END@@"
        self.child.sendcontrol("e")
        self.child.send(marker)
        self.child.expect_exact(marker, timeout=self.timeout)
        screen = clean(self.child.before).replace("\b", "")
        self.child.sendcontrol("a")
        self.child.sendcontrol("k")
        self.child.sendline("")
        self._prompt()
        return screen

    def complete_and_enter(self, text: str, tabs: int = 1) -> str:
        """Type `text`, press TAB, then Enter; the output up to the next prompt.

        A line that completion left unfinished (an open quote, a trailing
        backslash) gets a continuation prompt instead: no marker, a timeout.
        """
        self.child.send(text)
        for _ in range(tabs):
            self.child.send("\t")
        self.child.send("\r")
        return clean(self._prompt())

    def child_faults_per_prompt(self, prompts: int = 10) -> float:
        """Page faults of the shell's children per prompt: 0 means no process started."""
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


# --- the scenario every shell goes through --------------------------------------------

HOSTILE_CONFIG = """\
[profile "$(touch pwned-subst)"]
region = us-east-1

[profile "`touch pwned-backtick`"]
region = us-east-1

[profile x;touch${IFS}pwned-semicolon]
region = us-east-1

[profile "it's \\"quoted\\" \\\\ back"]
region = us-east-1

[profile prod-ünïcødé-中]
region = us-east-1

[profile staging]
region = us-east-1
"""
HOSTILE_NAMES = [
    "$(touch pwned-subst)", "`touch pwned-backtick`", "x;touch${IFS}pwned-semicolon",
    "it's \"quoted\" \\ back", "prod-ünïcødé-中",
]


# Names that need quoting, for completion: two that share the prefix `evil`
# (their quoted forms share `evil\`), one unique by `sp` holding every
# character the shells treat specially, and names that bash's COMP_WORDBREAKS
# (`:`, `=`, `@`) would cut.
QUOTING_CONFIG = """\
[profile "evil$(touch pwned-a)"]
[profile "evil `touch pwned-b` $(touch pwned-c)"]
[profile "sp ace;x*y\\\\z!w'q\\"r&|<>(#)~{} \u00e9\u4e2d"]
[profile "com mon;1"]
[profile "com mon;2"]
[profile acct:dev@eu=1]
[profile acct:dev@eu=2]
[profile acct:prod]
[profile staging]
"""
UNIQUE_NAME = "sp ace;x*y\\z!w'q\"r&|<>(#)~{} \u00e9\u4e2d"


def check_completion_quoting(sh: ShellSession, home: Path) -> None:
    """Completing names that need quoting never breaks the line, and runs nothing.

    The common prefix is the names' own (`evil`), quoted afterwards; a unique
    name goes in whole and quoted; Enter then runs awsuse with exactly that
    name. Names with `:`, `=` or `@` complete past them, and so does a prefix
    typed after an opening quote.
    """
    out = sh.complete_and_enter("awsuse evi")
    assert "profile 'evil' not found" in out, out
    out = sh.complete_and_enter("awsuse com")
    assert "profile 'com mon;' not found" in out, out
    for typed in ("awsuse sp", "awsuse 'sp", 'awsuse "sp', "awsuse sp\\ ac"):
        out = sh.complete_and_enter(typed)
        assert "error" not in out, (typed, out)
        assert sh.value("AWS_PROFILE") == UNIQUE_NAME, typed
    for typed, name in (("awsuse acct:p", "acct:prod"), ("awsuse acct:dev@eu=2", "acct:dev@eu=2"),
                        ("awsuse 'acct:p", "acct:prod"), ("awsuse acc", "acct:"),
                        ("awsuse acct:dev", "acct:dev@eu="), ("awsuse 'sta", "staging"),
                        ('awsuse "sta', "staging")):
        out = sh.complete_and_enter(typed)
        if name.endswith((":", "=")):
            assert f"profile '{name}' not found" in out, (typed, out)
        else:
            assert "error" not in out, (typed, out)
            assert sh.value("AWS_PROFILE") == name, typed
    assert not list(home.rglob("pwned*")), list(home.rglob("pwned*"))


def hostile_corpus() -> List[str]:
    """Profile names built from every character a shell treats specially, and payloads.

    Each starts with its own `hNN`, so that TAB after it completes that name alone.
    """
    specials = [*" $`'\";*\\!&|<>(){}[]#~?%^:=@,+", "\u00e9", "\u4e2d", "\u00a0"]
    payloads = ["$(touch pwned)", "`touch pwned`", ";touch pwned", "&&touch pwned",
                "|touch pwned", "'$(touch pwned)'", '"$(touch pwned)"', "\\$(touch pwned)",
                "${IFS}touch${IFS}pwned", "!!", "!-1", "$((1))", "$HOME", "~root", "#x", "\\",
                "'", '"', "*", "?"]
    names: List[str] = []
    for char in specials:
        names.append(f"h{len(names):02d}{char}")
        names.append(f"h{len(names):02d}a{char}b{char}")
    names += [f"h{len(names) + n:02d}{payload}" for n, payload in enumerate(payloads)]
    return names


def corpus_config(names: List[str]) -> str:
    """A config with one profile per name (quoted as botocore reads section names)."""
    return "".join('[profile "' + name.replace("\\", "\\\\").replace('"', '\\"') + '"]\n'
                   for name in names)


def check_hostile_corpus(sh: ShellSession, home: Path, names: List[str]) -> None:
    """TAB then Enter after each name's prefix, bare, and after an opening quote for half.

    Every time awsuse gets exactly that name, and nothing runs (no `pwned` file).
    """
    show = "; " + sh.dialect.value.format(name="AWS_PROFILE")
    wrong = []
    for n, name in enumerate(names):
        quoted = n % 2 == 0 and name[-1] not in sh.dialect.open_after
        for quote in ("", "'", '"') if quoted else ("",):
            # The line goes on after the completed word, as a person may type.
            sh.child.send(f"awsuse {quote}{name[:3]}\t{show}\r")
            found = re.findall(r"^\[(.*)\]$", clean(sh._prompt()), re.M)
            if found[-1:] != [name]:
                wrong.append((quote, name, found))
    assert wrong == []
    assert not list(home.rglob("pwned*")), list(home.rglob("pwned*"))


def clean_env() -> Dict[str, str]:
    """The test process's environment (the `home` fixture has already cleaned it)."""
    return dict(os.environ)


def check_switching(sh: ShellSession) -> None:
    """awsuse PROFILE, --region, -, list, --unset, and an unknown profile."""
    assert sh.run("awsuse dev") == ""
    assert sh.value("AWS_PROFILE") == "dev"
    assert sh.prompt() == "aws:dev"
    sh.run("awsuse prod --region eu-west-1")
    assert (sh.value("AWS_PROFILE"), sh.value("AWS_REGION"), sh.value("AWS_DEFAULT_REGION")) == (
        "prod", "eu-west-1", "eu-west-1")
    assert sh.prompt() == "aws:prod@eu-west-1"
    sh.run("awsuse -")
    assert (sh.value("AWS_PROFILE"), sh.value("AWS_REGION")) == ("dev", "")
    sh.run("awsuse -")
    assert sh.value("AWS_PROFILE") == "prod"
    listing = sh.run("awsuse")
    assert "* prod" in listing and "  dev" in listing and "  staging" in listing
    out = sh.run("awsuse prdo")
    assert sh.status() == 1
    assert "awsuse: error: profile 'prdo' not found in" in out
    assert "(did you mean: prod?)" in out
    assert sh.value("AWS_PROFILE") == "prod"
    assert "usage: awsuse PROFILE" in sh.run("awsuse --help")
    sh.run("awsuse --unset")
    assert sh.value("AWS_PROFILE") == "" and sh.value("_SHELLSSO_SET") == ""
    assert sh.prompt() == ""
    sh.run("awsuse -")
    assert sh.value("AWS_PROFILE") == "prod"


def check_statuses(sh: ShellSession) -> None:
    """awsuse returns the back end's status, whatever the code it evaluated ended with."""
    got = []
    for args in ("dev", "unknown", "staging", "-", "", "--unset"):
        sh.run(f"awsuse {args}".strip())
        got.append(sh.status())
    assert got == [0, 1, 0, 0, 0, 0], got
    assert sh.value("AWS_PROFILE") == ""


def check_unset_keeps_foreign(sh: ShellSession) -> None:
    """--unset clears only what awsuse set; foreign credentials are warned about."""
    set_var = sh.dialect.set_var
    sh.run(set_var.format(name="AWS_REGION", value="ap-south-1"))
    sh.run(set_var.format(name="AWS_ACCESS_KEY_ID", value="AKIAFOREIGN"))
    out = sh.run("awsuse dev")
    assert "AWS_ACCESS_KEY_ID is set in this shell and takes precedence over AWS_PROFILE" in out
    sh.run("awsuse --unset")
    assert sh.value("AWS_PROFILE") == ""
    assert sh.value("AWS_REGION") == "ap-south-1"
    assert sh.value("AWS_ACCESS_KEY_ID") == "AKIAFOREIGN"


def check_hostile_names(sh: ShellSession, home: Path) -> None:
    """Names that are shell code switch like any other, and nothing ever runs."""
    for name in HOSTILE_NAMES:
        quoted = sh.quote(name)
        out = sh.run(f"awsuse {quoted}")
        assert "error" not in out, out
        assert sh.value("AWS_PROFILE") == name
        assert sh.prompt().startswith("aws:")
    assert "$(touch pwned-subst)" in sh.run("awsuse")
    sh.complete("awsuse x")
    sh.run("awsuse --unset")
    assert not list(home.rglob("pwned*")), list(home.rglob("pwned*"))


def check_prompt(sh: ShellSession, home: Path) -> None:
    """Valid, expiring, expired, another terminal's login, prod in red, NO_COLOR, off; $? kept."""
    from tests.conftest import write_token

    set_var, unset_var = sh.dialect.set_var, sh.dialect.unset_var
    write_token(home, "corp", 3600)
    sh.run("awsuse dev")
    assert sh.prompt() == "aws:dev"
    assert "\x1b[31m" not in sh.raw_prompt() and "\x1b[33m" not in sh.raw_prompt()
    write_token(home, "corp", 600)
    sh.run("awsuse dev")
    assert sh.prompt() in ("aws:dev(10m)", "aws:dev(9m)")
    assert "\x1b[33m" in sh.raw_prompt()
    write_token(home, "corp", -60)
    sh.run("true")
    assert sh.prompt() == "aws:dev(expired)"
    write_token(home, "corp", 7200)  # another terminal logged in: seen without awsuse
    sh.run("true")
    assert sh.prompt() == "aws:dev"
    sh.run("awsuse prod")
    assert "\x1b[31maws:prod" in sh.raw_prompt()
    sh.run(set_var.format(name="NO_COLOR", value="1"))
    assert sh.prompt() == "aws:prod"
    assert "\x1b[31m" not in sh.raw_prompt()
    sh.run(unset_var.format(name="NO_COLOR"))
    sh.run(set_var.format(name="SHELLSSO_PROD_PATTERN", value="nomatch*"))
    assert "\x1b[31m" not in sh.raw_prompt()
    sh.run(set_var.format(name="SHELLSSO_PROMPT", value="off"))
    assert sh.prompt() == ""
    sh.run(unset_var.format(name="SHELLSSO_PROMPT"))
    assert sh.prompt() == "aws:prod"
    assert sh.run("shellsso_prompt_info") == "aws:prod"
    sh.run("false")
    assert sh.status() == 1  # $? went through our prompt hook untouched
    sh.run(sh.dialect.load)  # loading twice: still one segment
    sh.run("true")
    assert sh.prompt() == "aws:prod"


def check_refresh_rule(sh: ShellSession, home: Path) -> None:
    """A refresh token alone is not enough: the prompt applies Token.can_refresh.

    A refresh needs refreshToken, clientId, clientSecret and a client
    registration that has not expired, and only sso-session profiles refresh
    (botocore never refreshes a legacy profile's token): otherwise an ending
    or ended session is shown, as `shellsso status` reports it.
    """
    from tests.conftest import START_URL, write_token

    # Under 15 minutes left (and nothing to refresh with, so awsuse does not
    # try): from now on every prompt re-reads the token file.
    write_token(home, "corp", 600)
    sh.run("awsuse dev")
    assert sh.prompt() in ("aws:dev(10m)", "aws:dev(9m)")
    write_token(home, "corp", -60, refresh_token="r")  # refreshable: nothing to show
    sh.run("true")
    assert sh.prompt() == "aws:dev"
    write_token(home, "corp", -60, refresh_token="r", registration_expires_in=-60)
    sh.run("true")
    assert sh.prompt() == "aws:dev(expired)"
    write_token(home, "corp", 600, refresh_token="r", registration_expires_in=-60)
    sh.run("true")
    assert sh.prompt() in ("aws:dev(10m)", "aws:dev(9m)")
    write_token(home, "corp", -60, refresh_token="r", client_secret="")
    sh.run("true")
    assert sh.prompt() == "aws:dev(expired)"
    write_token(home, "corp", -60, refresh_token="r")  # refreshable again
    sh.run("true")
    assert sh.prompt() == "aws:dev"
    # A legacy profile (start URL in the profile) never refreshes.
    write_token(home, START_URL, 600, refresh_token="r")
    sh.run("awsuse legacy")
    assert sh.prompt() in ("aws:legacy(10m)", "aws:legacy(9m)")
    write_token(home, START_URL, -60, refresh_token="r")
    sh.run("true")
    assert sh.prompt() == "aws:legacy(expired)"
    sh.run("awsuse --unset")


def check_minutes(sh: ShellSession, home: Path) -> None:
    """The prompt and `shellsso status` round the minutes left the same way (up)."""
    from tests.conftest import write_token

    write_token(home, "corp", 90)
    sh.run("awsuse dev")
    assert sh.prompt() == "aws:dev(2m)"
    out = sh.run(f"{sys.executable} -m shellsso status")
    assert re.search(r"^Token: .*\(2m left, not refreshable", out, re.M), out
    sh.run("awsuse --unset")


def check_completion_after_a_profile(sh: ShellSession) -> None:
    """After a profile (or `-`) only --region and --export are offered; after --unset, nothing."""
    for typed in ("awsuse dev ", "awsuse - ", "awsuse --unset ", "awsuse dev --region eu-west-1 "):
        line = sh.complete(typed + "s")
        assert f"{typed}s" in line and "staging" not in line, (typed, line)
    assert "awsuse dev --" in sh.complete("awsuse dev --un")
    assert "--unset" not in sh.complete("awsuse dev --un")
    assert "awsuse dev --export" in sh.complete("awsuse dev --exp")
    assert "awsuse --region eu-west-1 staging" in sh.complete("awsuse --region eu-west-1 sta")
    assert "awsuse --unset --" in sh.complete("awsuse --unset --re")
    assert "true; awsuse staging" in sh.complete("true; awsuse sta")


def check_completion(sh: ShellSession) -> None:
    """awsuse <TAB> completes profile names, options and regions; shellsso <TAB> too."""
    assert "awsuse staging " in sh.complete("awsuse st")
    assert "awsuse --region ca-west-1 " in sh.complete("awsuse --region ca-w")
    assert "awsuse --unset" in sh.complete("awsuse --un")
    assert "shellsso login " in sh.complete("shellsso logi")
    assert "shellsso login --use-device-code" in sh.complete("shellsso login --use-d")
    assert "shellsso status --profile staging" in sh.complete("shellsso status --profile sta")


def check_login_offer(sh: ShellSession, home: Path) -> None:
    """Expired session: awsuse asks and logs in on y; switches and warns on n."""
    from tests.conftest import write_token

    write_token(home, "corp", -60)
    sh.child.sendline("awsuse staging")
    sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
    sh.answer("n")
    sh._prompt()
    assert sh.value("AWS_PROFILE") == "staging"
    assert sh.prompt() == "aws:staging(expired)"
    sh.child.sendline("awsuse dev")
    sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
    sh.answer("y")
    sh._prompt(timeout=30)
    assert sh.value("AWS_PROFILE") == "dev"
    assert sh.prompt() == "aws:dev"


def check_preexec(sh: ShellSession, home: Path) -> None:
    """Before `aws ...` on an expired session: one offer, then the command runs."""
    from tests.conftest import write_token

    sh.run(sh.dialect.define_aws)
    write_token(home, "corp", 2)
    sh.run("awsuse dev")
    assert "[aws:dev]" in sh.run("aws s3 ls")  # valid: no question, no process
    time.sleep(2.5)  # ... and now it has expired
    sh.child.sendline("aws s3 ls")
    sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
    sh.answer("n")
    sh.child.expect_exact("[aws:dev]")
    sh._prompt()
    assert "Log in" not in sh.run("aws sts get-caller-identity")  # offered once
    assert "Log in" not in sh.run("echo aws")  # not an AWS command
    write_token(home, "corp", -30)  # the state changed: offer again, and log in this time
    sh.child.sendline("aws s3 ls")
    sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
    sh.answer("")  # Enter alone means yes
    sh.child.expect_exact("[aws:dev]", timeout=30)
    sh._prompt()
    assert sh.prompt() == "aws:dev"


def _offer_then_run(sh: ShellSession, answer: str = "y") -> None:
    """`aws s3 ls` (the fake on PATH) offers the login; `answer`; the command then runs."""
    sh.child.sendline("aws s3 ls")
    sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
    sh.answer(answer)
    sh.child.expect_exact("[aws:dev]", timeout=30)
    sh._prompt(timeout=30)


def check_session_ends_elsewhere(sh: ShellSession, home: Path) -> None:
    """A logout, an expired token or a refresh written by another terminal is seen in time.

    Each change happens after the last prompt was drawn, so the check before
    `aws` finds it; then the same changes before a prompt show in it.
    """
    import json

    from tests.conftest import write_token

    sh.run(sh.dialect.prepend_path.format(path=_fake_bin(home)))
    token = write_token(home, "corp", 3600)
    stamps = home / ".cache" / "shellsso" / "stamps"
    stamps.mkdir(parents=True)
    (stamps / "999999999").write_text("")  # a shell that has ended
    sh.run("awsuse dev")
    assert [p.name for p in stamps.iterdir()] == [str(sh.child.pid)]
    assert sh.run("aws s3 ls") == "[aws:dev]"
    token.unlink()  # `aws sso logout` in another terminal
    _offer_then_run(sh)
    assert sh.prompt() == "aws:dev"
    assert sh.run("aws s3 ls") == "[aws:dev]"  # logged in: no second offer
    write_token(home, "corp", -60)  # another tool wrote an expired token, no refresh token
    _offer_then_run(sh)
    assert sh.prompt() == "aws:dev"
    write_token(home, "corp", 3)  # a plain expiry while the shell is open
    sh.run("awsuse dev")
    time.sleep(3.2)
    _offer_then_run(sh)
    assert sh.prompt() == "aws:dev"
    assert sh.run("aws s3 ls") == "[aws:dev]"

    # A refresh elsewhere: the known-expired session is valid again, no offer.
    write_token(home, "corp", -60)
    sh.run("true")
    assert sh.prompt() == "aws:dev(expired)"
    write_token(home, "corp", 3600, access_token="refreshed", refresh_token="r")
    assert sh.run("aws s3 ls") == "[aws:dev]"
    assert sh.prompt() == "aws:dev"
    # A refreshable token (expired, with a refresh token) shows nothing and asks nothing.
    write_token(home, "corp", -60, refresh_token="r")
    sh.run("true")
    assert sh.prompt() == "aws:dev"

    # The prompt: the no-session mark after a logout elsewhere, then (expired).
    # A theme's $(shellsso_prompt_info) reads the change first: the shell still does.
    token.unlink()
    assert sh.run("echo $(shellsso_prompt_info)") == "aws:dev(no session)"
    assert sh.prompt() == "aws:dev(no session)"
    write_token(home, "corp", 3600)
    assert sh.run("echo $(shellsso_prompt_info)") == "aws:dev"
    assert sh.prompt() == "aws:dev"
    token.unlink()
    sh.run("true")
    assert sh.prompt() == "aws:dev(no session)"
    assert "\x1b[33m" in sh.raw_prompt()
    write_token(home, "corp", -60)
    sh.run("true")
    assert sh.prompt() == "aws:dev(expired)"
    # SHELLSSO_AUTO_LOGIN=never: no offer, the command runs.
    token.unlink()
    sh.run(sh.dialect.set_var.format(name="SHELLSSO_AUTO_LOGIN", value="never"))
    assert sh.run("aws s3 ls") == "[aws:dev]"
    sh.run(sh.dialect.unset_var.format(name="SHELLSSO_AUTO_LOGIN"))
    # SHELLSSO_AUTO_LOGIN=always: the login without a question.
    sh.run(sh.dialect.set_var.format(name="SHELLSSO_AUTO_LOGIN", value="always"))
    out = sh.run("aws s3 ls", timeout=30)
    assert "Log in" not in out and "[aws:dev]" in out, out
    assert json.loads(token.read_text())["accessToken"] != "test-access-token"
    sh.run(sh.dialect.unset_var.format(name="SHELLSSO_AUTO_LOGIN"))
    assert sh.prompt() == "aws:dev"


def _fake_bin(home: Path) -> Path:
    """A folder with stand-ins: `aws` prints AWS_PROFILE, `sudo` runs its arguments, `awsx`."""
    bin_dir = home / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    scripts = {"aws": "printf '[aws:%s]\\n' \"$AWS_PROFILE\"", "sudo": 'exec "$@"',
               "awsx": "echo '[awsx]'"}
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    return bin_dir


def check_preexec_command_word(sh: ShellSession, home: Path) -> None:
    """The offer comes before `aws` behind NAME=value, sudo or time, or named by its path.

    Each form gets a new expiry, so each is worth one offer; `echo aws` and
    `awsx`, run while an offer is due, get none.
    """
    from tests.conftest import write_token

    bin_dir = _fake_bin(home)
    sh.run(sh.dialect.prepend_path.format(path=bin_dir))
    sh.run(sh.dialect.define_aws)
    write_token(home, "corp", 600)  # under 15 minutes: the prompt re-reads the file
    sh.run("awsuse dev")
    forms = ["AWS_REGION=x aws s3 ls", "sudo aws s3 ls", "time aws s3 ls", f"{bin_dir}/aws s3 ls"]
    for n, form in enumerate(forms):
        write_token(home, "corp", -60 - 10 * n)
        assert sh.run("echo aws") == "aws"  # an argument, not the command
        assert sh.run("awsx s3 ls") == "[awsx]"  # not an AWS command either
        sh.child.sendline(form)
        sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
        sh.answer("n")
        sh.child.expect_exact("[aws:dev]")
        sh._prompt()
        out = sh.run(form)
        assert "[aws:dev]" in out and "Log in" not in out, (form, out)  # offered once


CREDS_PROMPT = re.compile(r"aws:dev\(creds (\d+)m\)")


def _age_role_cache(home: Path, seconds_left: float) -> None:
    """Make the CLI-cache role credentials expire soon, as they would after a while."""
    import json

    fmt = "%Y-%m-%dT%H:%M:%SZ"
    entries = list((home / ".aws" / "cli" / "cache").glob("*.json"))
    assert entries
    for entry in entries:
        data = json.loads(entry.read_text())
        data["Credentials"]["Expiration"] = time.strftime(
            fmt, time.gmtime(time.time() + seconds_left))
        entry.write_text(json.dumps(data))


def check_export_creds(sh: ShellSession, env: AwsEnv) -> None:
    """awsuse --export: (creds NNm) in the prompt; near expiry the next `aws` gets new keys."""
    from tests.conftest import run_shellsso, write_token

    set_var, unset_var = sh.dialect.set_var, sh.dialect.unset_var
    login = run_shellsso("login", "--profile", "dev")
    assert login.returncode == 0, login.stderr
    sh.run(sh.dialect.define_aws_key)
    sh.run("awsuse dev --export", timeout=30)
    match = CREDS_PROMPT.fullmatch(sh.prompt())
    assert match and 58 <= int(match.group(1)) <= 60, sh.prompt()
    assert "\x1b[33m" not in sh.raw_prompt()
    first = sh.value("AWS_ACCESS_KEY_ID")
    assert first.startswith("ASIA") and sh.value("_SHELLSSO_CREDS_KEY") == first
    assert first in sh.run("aws sts get-caller-identity")  # valid: nothing happens
    assert env.counters().get("GetRoleCredentials") == 1

    # Past their expiry (the variable rewritten): the prompt says so, in yellow.
    sh.run(set_var.format(name="_SHELLSSO_CREDS_EXPIRES", value=int(time.time()) - 60))
    assert sh.prompt() == "aws:dev(creds expired)"
    assert "\x1b[33m" in sh.raw_prompt()
    # Two minutes left, and the cached copy as old: `aws` runs with new keys.
    sh.run(set_var.format(name="_SHELLSSO_CREDS_EXPIRES", value=int(time.time()) + 120))
    assert sh.prompt() == "aws:dev(creds 2m)"
    _age_role_cache(env.home, 120)
    out = sh.run("aws s3 ls", timeout=30)
    second = sh.value("AWS_ACCESS_KEY_ID")
    assert second != first and f"[key:{second}]" in out, out
    assert "Log in" not in out and "warning" not in out
    assert env.counters().get("GetRoleCredentials") == 2
    assert CREDS_PROMPT.fullmatch(sh.prompt()), sh.prompt()
    assert second in sh.run("aws s3 ls")  # fresh again: nothing more happens
    assert env.counters().get("GetRoleCredentials") == 2

    # SSO session over and SHELLSSO_AUTO_LOGIN=never: one warning, the command runs.
    write_token(env.home, "corp", -60)
    sh.run(set_var.format(name="SHELLSSO_AUTO_LOGIN", value="never"))
    sh.run(set_var.format(name="_SHELLSSO_CREDS_EXPIRES", value=int(time.time()) - 10))
    _age_role_cache(env.home, -10)
    out = sh.run("aws s3 ls", timeout=30)
    assert f"[key:{second}]" in out
    assert "shellsso: warning:" in out and "shellsso login --profile dev" in out, out
    assert "awsuse dev --export" in out
    assert sh.value("AWS_SECRET_ACCESS_KEY") not in out
    assert "warning" not in sh.run("aws s3 ls")  # warned once per expiry
    assert sh.prompt() == "aws:dev(creds expired)"
    sh.run(unset_var.format(name="SHELLSSO_AUTO_LOGIN"))
    assert env.counters().get("GetRoleCredentials") == 2

    # SHELLSSO_AUTO_LOGIN=ask (the default): the login is offered; yes, and new keys.
    sh.run(set_var.format(name="_SHELLSSO_CREDS_EXPIRES", value=int(time.time()) - 5))
    sh.child.sendline("aws s3 ls")
    sh.child.expect_exact("Log in to SSO session 'corp' now? [Y/n]")
    sh.answer("y")
    sh.child.expect_exact("[key:", timeout=30)
    sh._prompt(timeout=30)
    third = sh.value("AWS_ACCESS_KEY_ID")
    assert third not in (first, second) and third.startswith("ASIA")
    assert env.counters().get("GetRoleCredentials") == 3
    assert CREDS_PROMPT.fullmatch(sh.prompt()), sh.prompt()

    # Keys changed by hand end the mode: the prompt and `aws` leave them alone.
    sh.run(set_var.format(name="AWS_ACCESS_KEY_ID", value="AKIAHANDMADE"))
    assert sh.prompt() == "aws:dev"  # the SSO session's state again (valid)
    sh.run(set_var.format(name="_SHELLSSO_CREDS_EXPIRES", value=int(time.time()) - 5))
    assert sh.prompt() == "aws:dev"
    assert sh.run("aws s3 ls") == "[key:AKIAHANDMADE]"
    assert env.counters().get("GetRoleCredentials") == 3
    sh.run(set_var.format(name="AWS_ACCESS_KEY_ID", value=third))
    assert sh.prompt() == "aws:dev(creds expired)"
    sh.run(unset_var.format(name="AWS_ACCESS_KEY_ID"))
    assert sh.prompt() == "aws:dev"

    # --unset ends the mode and clears what --export set.
    sh.run("awsuse --unset")
    assert sh.prompt() == ""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_CREDENTIAL_EXPIRATION", "_SHELLSSO_CREDS_EXPIRES", "_SHELLSSO_CREDS_KEY"):
        assert sh.value(name) == "", name
    assert env.counters().get("GetRoleCredentials") == 3
