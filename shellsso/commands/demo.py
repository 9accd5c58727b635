"""`shellsso demo`: the whole product against the bundled emulator, with no AWS account.

Everything happens in a private temporary HOME (a demo ~/.aws/config, the
token and credential caches, the shell's rc file and history) that is removed
on the way out, however the demo ends. The login is the real PKCE flow: BROWSER
is the emulator's stand-in browser, which approves like a user clicking through.
`--script` runs the same tour without a terminal and prints a transcript.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.shell import syntax
from shellsso.shell.base import Shell

SCRIPT_TIMEOUT = 300.0
"""Upper bound for the whole --script tour: a hung step must not hang CI."""

_DROPPED_PREFIXES = ("AWS_", "SHELLSSO_", "_SHELLSSO_")
_DROPPED = (
    "BROWSER", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "ZDOTDIR", "BASH_ENV", "ENV",
    "PROMPT_COMMAND", "HISTFILE", "_AWS_CLI_PROFILE_CHAIN",
)
"""The user's AWS and shellsso state, and what would make the shell read the user's files.
The XDG_*_HOME folders are moved into the temp HOME; XDG_RUNTIME_DIR and the system
search paths (XDG_DATA_DIRS...) stay."""

OFFLINE = """\
Offline, the emulator stands in for IAM Identity Center and for STS's
get-caller-identity; any other AWS command (aws s3 ls, terraform...) fails at
once with "NotEmulated": the demo's credentials exist only in the emulator."""

TOUR = """\
shellsso demo: a local IAM Identity Center emulator runs at {url}
with a demo organisation (profiles dev, staging, prod, sandbox). Everything lives
in a temporary HOME that is removed when you leave; your real ~/.aws is untouched.
The sign-in page the login opens is the emulator's: it approves at once.

Try:
  awsuse dev          sign in through the emulator (the first time), then switch
  awsuse prod         a production profile: the prompt turns red
  awsuse -            back to the previous profile
  awsuse <TAB>        complete profile names
  shellsso status     account, role, region and expiry of the active profile
  shellsso export     temporary credentials for tools that cannot read SSO profiles
  shellsso exec       this shell again, with the profile's credentials in its
                      environment: the prompt shows aws:dev(creds 58m); exit leaves it
  aws sts get-caller-identity
                      who AWS says you are (with the AWS CLI installed)
  exit                leave the demo

""" + OFFLINE + "\n"

# (narration, command) pairs of the scripted tour; None narration = no comment line.
SCRIPT_STEPS: Tuple[Tuple[Optional[str], str], ...] = (
    ("Sign in once: the emulator's sign-in page opens and approves at once, as if you "
     "had clicked Allow.", "shellsso login --profile dev"),
    ("Switch profiles: awsuse sets AWS_PROFILE in this shell, with no network call.",
     "awsuse dev"),
    ("The prompt segment (themes can call this function themselves):",
     "shellsso_prompt_info"),
    ("A production profile (drawn in red on a terminal):", "awsuse prod"),
    ("Back to the previous profile, as with cd -:", "awsuse -"),
    ("TAB completes profile names:", "awsuse <TAB>"),
    (None, "awsuse st<TAB>"),
    ("What the active profile resolves to:", "shellsso status"),
    ("Every profile of the config:", "shellsso list"),
)

CALLER_STEP = ("Who AWS says you are: the AWS CLI asks STS, and the emulator answers for "
               "the credentials it issued.", "aws sts get-caller-identity")
"""Added to the scripted tour where the AWS CLI is installed."""


def tour_steps(env: Mapping[str, str]) -> Tuple[Tuple[Optional[str], str], ...]:
    """The scripted tour's steps: with the AWS CLI on PATH, one real `aws` call too."""
    if shutil.which("aws", path=env.get("PATH")):
        return (*SCRIPT_STEPS, CALLER_STEP)
    return SCRIPT_STEPS


TAB = "<TAB>"
"""A step command ending in this is typed and completed, not run: the transcript shows
`awsuse st<TAB>` and then the candidates the shell's completion offers."""

@dataclass
class DemoHome:
    """The temporary HOME and the environment every demo process gets."""

    root: Path
    env: Dict[str, str]

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"


def python_command() -> List[str]:
    """`shellsso` as this very interpreter runs it (works before any PATH is set up)."""
    return [sys.executable, "-m", "shellsso"]


def _source_root() -> Optional[str]:
    """The checkout holding this package, when it runs from one (not from site-packages)."""
    root = Path(__file__).resolve().parent.parent
    if root.name in ("site-packages", "dist-packages"):
        return None
    return str(root)


def demo_env(base: Mapping[str, str], home: Path, emulator_url: str) -> Dict[str, str]:
    """`base` without the user's AWS/shellsso/XDG state, pointed at the temp HOME and emulator."""
    env = {
        name: value for name, value in base.items()
        if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED
    }
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "AWS_ENDPOINT_URL_SSO_OIDC": emulator_url,
        "AWS_ENDPOINT_URL_SSO": emulator_url,
        # STS's get-caller-identity is emulated; every other AWS API gets a clear error
        # from the emulator at once instead of a long wait for the real AWS.
        "AWS_ENDPOINT_URL_STS": emulator_url,
        "AWS_ENDPOINT_URL": emulator_url,
        "SHELLSSO_SIGNIN_URL": emulator_url + "/federation",
        "AWS_EC2_METADATA_DISABLED": "true",
        "BROWSER": " ".join(
            [shlex.quote(sys.executable), "-m", "shellsso.emulator.browser", "%s"]
        ),
        "PATH": os.pathsep.join(p for p in (str(home / "bin"), base.get("PATH", "")) if p),
    })
    source = _source_root()
    if source is not None:  # `python -m shellsso` from a checkout that is not installed
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, base.get("PYTHONPATH")) if p)
    return env


def demo_config() -> str:
    """The demo organisation as an ~/.aws/config (sso-session `demo`, one profile per account)."""
    from shellsso.emulator.cli import sample_config

    return sample_config() + "\n"


def make_home(emulator_url: str, base_env: Mapping[str, str]) -> DemoHome:
    """Create the private HOME (0700) with the config and a `shellsso` wrapper on PATH."""
    root = Path(tempfile.mkdtemp(prefix="shellsso-demo-"))  # 0700 already
    home = DemoHome(root=root, env=demo_env(base_env, root, emulator_url))
    try:
        _populate(home)
    except BaseException:
        remove_home(home)
        raise
    return home


def _populate(home: DemoHome) -> None:
    root = home.root
    aws = root / ".aws"
    aws.mkdir(mode=0o700)
    _write_private(aws / "config", demo_config())
    home.bin_dir.mkdir(mode=0o700)
    wrapper = home.bin_dir / "shellsso"
    wrapper.write_text(
        "#!/bin/sh\n# shellsso demo: the interpreter that runs the demo.\n"
        f"exec {shlex.join(python_command())} \"$@\"\n",
        encoding="utf-8",
    )
    wrapper.chmod(stat.S_IRWXU)


def _write_private(path: Path, text: str) -> None:
    """Write `path` readable by its owner only (0600), as shellsso writes the files it
    owns: the demo's own `shellsso doctor` has nothing to say about their mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def remove_home(home: DemoHome) -> None:
    """Remove the temporary HOME; say so (without failing) if something is left."""
    for attempt in range(3):  # a process started in the demo shell may still write
        shutil.rmtree(home.root, ignore_errors=True)
        if not home.root.exists():
            return
        time.sleep(0.2 * (attempt + 1))
    if home.root.exists():
        sys.stderr.write(f"shellsso demo: could not remove {home.root}\n")


# --- the shells (each shell's module in shellsso.shell knows its syntax) ------------


def _init_command(shell: Shell) -> str:
    """`shellsso init SHELL` run by this interpreter, quoted for `shell`."""
    return shell.command_line(python_command() + ["init", shell.name])


def rc_text(shell: Shell) -> str:
    """The rc file of the interactive demo shell: a plain prompt, then the hook."""
    return shell.demo_rc(shell.init_line(_init_command(shell)))


def write_rc(home: DemoHome, shell: Shell) -> Path:
    """Write the rc file where the shell will read it and return its path."""
    path = shell.demo_rc_path(home.root)
    _write_private(path, rc_text(shell))
    return path


def write_shell_wrapper(home: DemoHome, shell: Shell, argv: List[str]) -> Path:
    """An executable named like the shell that starts it as the demo does (its rc file,
    nothing of the user's): the demo's $SHELL. Outside PATH, so `bash` stays bash."""
    folder = home.root / "shell"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / shell.name
    path.write_text(
        "#!/bin/sh\n# shellsso demo: the demo's shell, with the demo's rc file.\n"
        f"exec {shlex.join(argv)} \"$@\"\n",
        encoding="utf-8",
    )
    path.chmod(stat.S_IRWXU)
    return path


def script_text(shell_name: str,
                steps: Tuple[Tuple[Optional[str], str], ...] = SCRIPT_STEPS) -> str:
    """The non-interactive tour: each step is printed after the current prompt text, run
    with its stderr merged into the transcript, and stops the tour if it fails."""
    shell = syntax.get(shell_name)
    lines = shell.tour_lines(_init_command(shell))
    lines += [_step_line(narration, command, shell.quote) for narration, command in steps]
    return "\n".join(lines) + "\n"


def _step_line(narration: Optional[str], command: str, quote: Callable[[str], str]) -> str:
    """One call of the tour: run `command`, or complete it when it ends in <TAB>."""
    if command.endswith(TAB):
        return f"__demo_complete {quote(narration or '')} {quote(command[:-len(TAB)])}"
    return f"__demo_step {quote(narration or '')} {quote(command)}"


def script_argv(shell_name: str, executable: str, script: Path) -> List[str]:
    """Run `script` in the shell without reading any startup file."""
    return syntax.get(shell_name).script_argv(executable, script)


def default_shell() -> str:
    """The user's shell (the one running us, else $SHELL), if shellsso supports it; else bash."""
    name = ""
    try:
        import shellingham

        name = str(shellingham.detect_shell()[0])
    except Exception:  # noqa: BLE001 - ShellDetectionFailure, or no /proc: fall back
        name = os.path.basename(os.environ.get("SHELL", ""))
    return name if name in syntax.NAMES else syntax.DEFAULT


def find_shell(shell: str) -> str:
    """The executable of `shell`, or a clear error naming the alternatives."""
    path = shutil.which(shell)
    if path is None:
        others = [s for s in syntax.NAMES if s != shell and shutil.which(s)]
        hint = f"; try --shell {others[0]}" if others else ""
        raise ShellssoError(f"{shell} is not installed (not found on PATH){hint}")
    return path


# --- running ------------------------------------------------------------------------


class _Stop(Exception):
    """SIGTERM or SIGHUP: leave through the same cleanup as Ctrl-C."""


def _raise_stop(signum: int, frame: Optional[FrameType]) -> None:
    raise _Stop(signum)


def _ignore(signum: int, frame: Optional[FrameType]) -> None:
    """A Python-level no-op handler: unlike SIG_IGN, exec resets it, so children get Ctrl-C."""


class _Signals:
    """Install handlers for the demo's lifetime; restore the previous ones after."""

    def __init__(self) -> None:
        self._saved: Dict[int, object] = {}

    def set(self, signum: int, handler: object) -> None:
        if signum not in self._saved:
            self._saved[signum] = signal.getsignal(signum)
        signal.signal(signum, handler)  # type: ignore[arg-type]

    def restore(self) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _run_interactive(home: DemoHome, name: str, url: str, signals: _Signals) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ShellssoError(
            "the interactive demo needs a terminal; `shellsso demo --script` runs the tour "
            "without one", ExitStatus.USAGE,
        )
    executable = find_shell(name)
    shell = syntax.get(name)
    rc = write_rc(home, shell)
    env = {**home.env, **shell.demo_env(home.root)}
    # `shellsso exec` (and anything else that starts $SHELL) opens the demo's shell with
    # shellsso loaded, not the user's login shell without it.
    env["SHELL"] = str(write_shell_wrapper(home, shell, shell.interactive_argv(executable, rc)))
    sys.stdout.write(TOUR.format(url=url) + "\n")
    sys.stdout.flush()
    # Ctrl-C belongs to the shell now; the demo only waits (a Python handler, not
    # SIG_IGN, so that the shell and its commands start with the default action).
    signals.set(signal.SIGINT, _ignore)
    child = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        shell.interactive_argv(executable, rc), env=env)
    try:
        child.wait()
    except _Stop:
        child.terminate()
        child.wait()
        raise
    sys.stdout.write("shellsso demo: finished; the temporary HOME is removed.\n")
    return ExitStatus.OK


def _stream(lines: Iterator[str]) -> None:
    for line in lines:
        sys.stdout.write(line)
        sys.stdout.flush()


def _run_script(home: DemoHome, shell: str) -> int:
    executable = find_shell(shell)
    script = home.root / f"tour.{shell}"
    _write_private(script, script_text(shell, tour_steps(home.env)))
    env = dict(home.env)
    if not sys.stdout.isatty():
        env["NO_COLOR"] = "1"
    sys.stdout.write(f"shellsso demo --script: the tour in {shell}, against the emulator\n")
    sys.stdout.flush()
    # Its own session: no terminal to ask questions on, and one group to stop.
    child = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        script_argv(shell, executable, script), env=env, cwd=str(home.root),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=None,
        text=True, encoding="utf-8", errors="replace", start_new_session=True,
    )
    assert child.stdout is not None
    reader = threading.Thread(target=_stream, args=(iter(child.stdout),), daemon=True)
    reader.start()
    try:
        status = child.wait(timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ShellssoError(
            f"demo: the tour did not finish within {SCRIPT_TIMEOUT:.0f} s"
        ) from None
    finally:
        # Whatever happened: nothing of the tour outlives it, and the reader is done
        # writing before anything else is (a daemon thread busy on stdout at exit aborts).
        _kill_group(child)
        reader.join(timeout=5)
    if status != 0:
        sys.stderr.write(f"shellsso demo: the tour failed in {shell} (exit {status})\n")
        return ExitStatus.ERROR
    sys.stdout.write(f"\n{OFFLINE}\n")
    sys.stdout.write("\nshellsso demo: the tour finished; the temporary HOME is removed.\n")
    return ExitStatus.OK


def _kill_group(child: subprocess.Popen[str]) -> None:
    """Stop the tour's process group (the shell and whatever step it is running)."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except OSError:
        pass  # the group is gone already
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def run(args: argparse.Namespace) -> int:
    """Entry point of `shellsso demo`: emulator, temporary HOME, tour, cleanup."""
    from shellsso.emulator import Emulator

    shell = args.shell or (syntax.DEFAULT if args.script else default_shell())
    signals = _Signals()
    emulator = Emulator(port=0, interval=1)
    home: Optional[DemoHome] = None
    try:
        signals.set(signal.SIGTERM, _raise_stop)
        signals.set(signal.SIGHUP, _raise_stop)
        emulator.start()
        home = make_home(emulator.url, os.environ)
        if args.script:
            return _run_script(home, shell)
        return _run_interactive(home, shell, emulator.url, signals)
    except (KeyboardInterrupt, _Stop):
        sys.stderr.write("\nshellsso demo: interrupted; the temporary HOME is removed.\n")
        return ExitStatus.INTERRUPTED
    finally:
        # No second Ctrl-C may leave the temporary HOME behind.
        signals.set(signal.SIGINT, signal.SIG_IGN)
        try:
            emulator.stop()
            if home is not None:
                remove_home(home)
        finally:
            signals.restore()
