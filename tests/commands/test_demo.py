"""`shellsso demo`: the scripted tour in each shell, the interactive demo under a
terminal, and the promise that nothing outlives it (temporary HOME, processes)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import require

SHELLS = ("bash", "zsh", "fish")




@pytest.fixture
def demo_env(home: Path, tmp_path: Path) -> Dict[str, str]:
    """The user's environment: an isolated HOME and a TMPDIR we can check is left empty."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ)
    env["TMPDIR"] = str(tmp)
    run = tmp_path / "run"  # fish keeps its runtime files here, not in TMPDIR
    run.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(run)
    return env


def leftovers(env: Dict[str, str]) -> List[str]:
    return sorted(os.listdir(env["TMPDIR"]))


def run_demo(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [sys.executable, "-m", "shellsso", "demo", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env, timeout=120,
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_script_tour(shell: str, demo_env: Dict[str, str], home: Path) -> None:
    require(shell)
    args = ["--script"] if shell == "bash" else ["--script", "--shell", shell]
    # The user's own AWS setup, an SSH login and their settings must not leak into the demo.
    demo_env.update({
        "AWS_PROFILE": "ghost", "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_ACCESS_KEY_ID": "AKIAUSERKEY", "SHELLSSO_AUTO_LOGIN": "never",
        "SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22",
    })
    result = run_demo(demo_env, *args)
    out = result.stdout
    assert result.returncode == 0, out
    assert f"the tour in {shell}" in out
    assert "$ shellsso login --profile dev" in out
    assert "Logged in to SSO session 'demo'" in out
    # The prompt text after each switch, as the transcript shows it.
    assert "aws:dev $ awsuse prod" in out
    assert "aws:prod $ awsuse -" in out
    assert "aws:dev $ shellsso status" in out
    # TAB completion, as a user sees it: the line typed, then what the shell offers.
    every = out.split("aws:dev $ awsuse <TAB>\n", 1)[1].splitlines()[0].split()
    assert {"dev", "staging", "prod", "sandbox"} <= set(every), out
    assert "aws:dev $ awsuse st<TAB>\nstaging\n" in out
    if shell == "zsh":  # no line editor without a terminal: the transcript says how
        assert "# (zsh's TAB needs a terminal: this runs the hook's completion" in out
    else:
        assert "needs a terminal" not in out
    # `shellsso status` of dev and `shellsso list` of the whole demo organisation.
    status = out.split("$ shellsso status", 1)[1].split("$ shellsso list", 1)[0]
    assert "111111111111" in status
    assert "AdministratorAccess" in status
    listing = out.split("$ shellsso list", 1)[1]
    for name in ("dev", "staging", "prod", "sandbox"):
        assert name in listing
    # Said as a person would say it, and what works offline.
    assert "stand-in browser" not in out and "PKCE" not in out
    assert "# Sign in once: the emulator's sign-in page opens and approves at once" in out
    assert ("Offline, the emulator stands in for IAM Identity Center and for STS's\n"
            "get-caller-identity; any other AWS command (aws s3 ls, terraform...) fails at\n"
            "once") in out
    if shutil.which("aws"):  # the AWS CLI asks the emulator's STS who the role is
        assert "aws:dev $ aws sts get-caller-identity\n" in out
        assert '"Account": "111111111111"' in out
        assert "assumed-role/AWSReservedSSO_AdministratorAccess_" in out
    assert "Traceback" not in out
    assert "step failed" not in out
    assert "\x1b[" not in out  # no colour codes when the output is not a terminal
    assert leftovers(demo_env) == []
    assert list(home.iterdir()) == []  # the user's own HOME is never touched


def test_demo_points_aws_at_the_emulator_and_other_apis_fail_at_once(tmp_path: Path) -> None:
    """In the demo, STS is the emulator's, and `aws s3 ls` (here: boto3's list_buckets,
    with the demo's environment) is one clear error at once, not a long wait."""
    from shellsso.commands.demo import CALLER_STEP, SCRIPT_STEPS, demo_env, tour_steps
    from shellsso.emulator import Emulator

    with Emulator() as emu:
        env = demo_env({"PATH": str(tmp_path)}, tmp_path, emu.url)
        assert env["AWS_ENDPOINT_URL_STS"] == env["AWS_ENDPOINT_URL"] == emu.url
        code = ("import boto3, botocore.exceptions as e\n"
                "try: boto3.client('s3', region_name='us-east-1').list_buckets()\n"
                "except e.ClientError as x: print(x)\n")
        env.update(AWS_ACCESS_KEY_ID="ASIAANYKEY0000000000", AWS_SECRET_ACCESS_KEY="x",
                   PYTHONPATH=os.pathsep.join(sys.path))
        started = time.monotonic()
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=60)
        assert time.monotonic() - started < 10
    assert "(NotEmulated) when calling the ListBuckets operation" in out.stdout, out.stderr
    # Without the AWS CLI on PATH the scripted tour has no `aws` step.
    assert tour_steps({"PATH": str(tmp_path)}) == SCRIPT_STEPS
    fake = tmp_path / "aws"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert tour_steps({"PATH": str(tmp_path)})[-1] == CALLER_STEP


def test_script_step_failure_is_one_clear_line(tmp_path: Path) -> None:
    """The step runner stops at the first failing step and names it."""
    from shellsso.commands.demo import script_argv, script_text

    for shell in SHELLS:
        executable = shutil.which(shell)
        if executable is None:
            continue
        script = tmp_path / f"fail.{shell}"
        script.write_text(script_text(shell, (("first", "true"), (None, "false"),
                                              ("never", "echo unreachable"))))
        result = subprocess.run(
            script_argv(shell, executable, script), capture_output=True, text=True,
            env={**os.environ, "HOME": str(tmp_path)}, timeout=60, stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 1, (shell, result.stdout, result.stderr)
        assert "$ true" in result.stdout
        assert "unreachable" not in result.stdout
        assert "shellsso demo: step failed (exit 1): false" in result.stderr


def test_script_completion_step_without_candidates_stops_the_tour(tmp_path: Path) -> None:
    """A TAB step that completes nothing (here: no completion for the command at all)
    fails like any other step, instead of printing an empty line."""
    from shellsso.commands.demo import script_argv, script_text

    for shell in SHELLS:
        executable = shutil.which(shell)
        if executable is None:
            continue
        script = tmp_path / f"tab.{shell}"  # run in tmp_path: fish offers no file "zq..."
        script.write_text(script_text(shell, (("first", "true"),
                                              (None, "nosuchcommand zq<TAB>"),
                                              ("never", "echo unreachable"))))
        result = subprocess.run(
            script_argv(shell, executable, script), capture_output=True, text=True,
            env={**os.environ, "HOME": str(tmp_path)}, timeout=60, stdin=subprocess.DEVNULL,
            cwd=str(tmp_path),
        )
        assert result.returncode == 1, (shell, result.stdout, result.stderr)
        assert "$ nosuchcommand zq<TAB>" in result.stdout
        assert "unreachable" not in result.stdout
        assert "shellsso demo: step failed (no completion" in result.stderr, result.stderr


def test_missing_shell_is_a_clear_error(demo_env: Dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    demo_env["PATH"] = str(empty)
    result = run_demo(demo_env, "--script", "--shell", "zsh")
    assert result.returncode != 0
    assert "shellsso: error: zsh is not installed" in result.stdout
    assert "Traceback" not in result.stdout
    assert leftovers(demo_env) == []


def test_interactive_demo_needs_a_terminal(demo_env: Dict[str, str]) -> None:
    result = run_demo(demo_env, "--shell", "bash")
    assert result.returncode == 2
    assert "demo --script" in result.stdout
    assert leftovers(demo_env) == []


def test_ctrl_c_during_the_tour_cleans_up(demo_env: Dict[str, str]) -> None:
    require("bash")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shellsso", "demo", "--script"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=demo_env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "the tour in bash" in first
    time.sleep(0.3)  # the shell is running the first steps now
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, rest
    assert "interrupted" in rest
    assert "Traceback" not in rest, rest
    assert leftovers(demo_env) == []


@pytest.mark.parametrize("shell", SHELLS)
def test_interactive_demo(shell: str, demo_env: Dict[str, str]) -> None:
    """The real thing under a terminal: tour, first awsuse logs in, prompt, exit."""
    pexpect = pytest.importorskip("pexpect")
    require(shell)
    child = pexpect.spawn(
        sys.executable, ["-m", "shellsso", "demo", "--shell", shell],
        env=demo_env, encoding="utf-8", timeout=30, dimensions=(40, 200),
    )
    try:
        child.expect_exact("awsuse <TAB>")
        child.expect_exact("exit                leave the demo")
        child.expect(r"demo\S* \S+ [$#>] ")  # the demo prompt (bold "demo", cwd, $)
        child.sendline("awsuse dev")
        child.expect_exact("[Y/n]")
        child.sendline("y")
        child.expect_exact("aws:dev")
        child.sendline("awsuse prod")
        child.expect_exact("aws:prod")
        child.sendintr()  # Ctrl-C belongs to the shell, not to the demo
        # A shell may drop what is typed while it handles ^C (zsh does): give it a
        # moment, and type the line once more if it was lost.
        time.sleep(0.5)
        for _attempt in range(3):
            child.sendline("printf 'still-%s\\n' alive")
            if child.expect_exact(["still-alive", pexpect.TIMEOUT], timeout=5) == 0:
                break
        else:
            pytest.fail("the shell did not survive Ctrl-C")
        child.sendline("exit")
        child.expect_exact("temporary HOME is removed")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert leftovers(demo_env) == []


def test_demo_files_are_private_and_its_doctor_does_not_warn_about_them() -> None:
    """The demo writes its config as shellsso would (0600): the demo's own `shellsso
    doctor` has nothing to say about who can read it."""
    from shellsso.commands import demo
    from shellsso.emulator import Emulator
    from shellsso.shell import syntax

    emulator = Emulator(port=0, interval=1)
    emulator.start()
    try:
        home = demo.make_home(emulator.url, os.environ)
        try:
            rc = demo.write_rc(home, syntax.get("bash"))
            result = subprocess.run(
                [*demo.python_command(), "doctor"], env=home.env, cwd=str(home.root),
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
            out = result.stdout + result.stderr
            assert "readable by other users" not in out, out
            assert "writable by other users" not in out, out
            for path in (home.root / ".aws" / "config", rc):
                assert path.stat().st_mode & 0o077 == 0, path
        finally:
            demo.remove_home(home)
    finally:
        emulator.stop()


@pytest.mark.parametrize("shell", SHELLS)
def test_interactive_demo_exec_opens_the_demos_shell(shell: str,
                                                     demo_env: Dict[str, str]) -> None:
    """`shellsso exec` in the demo starts the demo's shell, with shellsso loaded: its
    prompt shows the exec's credentials, as the README promises."""
    pexpect = pytest.importorskip("pexpect")
    require(shell)
    demo_env["SHELL"] = "/bin/sh"  # the login shell is not the demo's
    child = pexpect.spawn(
        sys.executable, ["-m", "shellsso", "demo", "--shell", shell],
        env=demo_env, encoding="utf-8", timeout=30, dimensions=(40, 200),
    )
    try:
        child.expect_exact("shellsso exec       this shell again")
        child.expect(r"demo\S* \S+ [$#>] ")
        child.sendline("shellsso login --profile dev")
        child.expect_exact("Logged in")
        child.sendline("shellsso exec --profile dev")
        child.expect(r"aws:dev\(creds \d+m\)")
        child.sendline("echo \"shell=$SHELLSSO_EXEC_PROFILE\"")
        child.expect_exact("shell=dev")
        child.sendline("exit")
        child.sendline("exit")
        child.expect_exact("temporary HOME is removed")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert leftovers(demo_env) == []
