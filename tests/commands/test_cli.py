"""The command line as a user meets it: help that helps, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_shellsso, write_config

COMMANDS = ["login", "logout", "status", "list", "export", "credential-process", "init",
            "emulator", "demo"]


def test_top_level_help_lists_every_command(home: Path) -> None:
    result = run_shellsso("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
    assert 'eval "$(shellsso init bash)"' in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(home: Path, command: str) -> None:
    result = run_shellsso(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: shellsso {command}")
    assert result.stderr == ""


def test_no_command_prints_help(home: Path) -> None:
    result = run_shellsso()
    assert result.returncode == 0 and "usage: shellsso" in result.stdout


def test_unknown_command_is_a_usage_error(home: Path) -> None:
    result = run_shellsso("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_version(home: Path) -> None:
    from shellsso import __version__
    assert run_shellsso("--version").stdout.strip() == f"shellsso {__version__}"


def test_malformed_config_is_one_line_naming_file_and_line(home: Path) -> None:
    config = write_config(home, "[profile a]\nregion = x\nregion = y\n")
    result = run_shellsso("status", "--profile", "a")
    assert result.returncode == 1
    assert result.stderr == (
        f"shellsso: error: {config}, line 3: key 'region' appears twice in its section\n"
    )
    assert "Traceback" not in result.stderr


def test_unknown_profile_names_it_and_suggests(home: Path) -> None:
    config = write_config(home)
    result = run_shellsso("status", "--profile", "prdo")
    assert result.returncode == 1
    assert result.stderr == (
        f"shellsso: error: profile 'prdo' not found in {config} (did you mean: prod?)\n"
    )


def test_cli_module_does_not_import_boto3() -> None:
    code = ("import sys, shellsso.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_debug_is_accepted_after_the_subcommand(home: Path) -> None:
    write_config(home, "[profile a]\nregion = x\nregion = y\n")
    quiet = run_shellsso("status", "--profile", "a")
    loud = run_shellsso("status", "--profile", "a", "--debug")
    assert "Traceback" not in quiet.stderr and quiet.returncode == 1
    assert "Traceback" in loud.stderr and "ConfigError" in loud.stderr


def test_misspelled_option_suggests_the_right_one(home: Path) -> None:
    result = run_shellsso("login", "--profle", "dev")
    assert result.returncode == 2
    assert "usage: shellsso login" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "shellsso login: error: unrecognized arguments: --profle dev "
        "(did you mean --profile?)")
    assert "Traceback" not in result.stderr


def test_misspelled_command_suggests_the_right_one(home: Path) -> None:
    result = run_shellsso("statsu")
    assert result.returncode == 2
    assert "invalid choice: 'statsu' (did you mean status?)" in result.stderr


def test_emulator_roles_without_accounts_is_a_usage_error(home: Path) -> None:
    for argv in (["-m", "shellsso", "emulator"], ["-m", "shellsso.emulator"]):
        result = subprocess.run([sys.executable, *argv, "--roles", "3"], capture_output=True,
                                text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.strip().splitlines()[-1].endswith(
            "--roles sets the roles of a generated organisation: add --accounts N")


def test_readme_commands_table_has_every_command_and_option() -> None:
    """The README's Commands table: a row for every command, naming each of its options."""
    import argparse

    from shellsso.commands.arguments import build_parser
    from tests.conftest import REPO

    rows = [line for line in (REPO / "README.md").read_text().splitlines()
            if line.startswith("| `shellsso ")]
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in sub.choices.items():
        row = next((r for r in rows if r.startswith((f"| `shellsso {name} ",
                                                     f"| `shellsso {name}`"))), None)
        if row is None:
            missing.append(name)
            continue
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option not in ("--help", "--debug") \
                        and option not in row:
                    missing.append(f"{name} {option}")
    assert missing == [], missing
