"""The prompt in a shell started by `shellsso exec --server`, in real bash, zsh and fish.

exec --server gives the child AWS_CONTAINER_CREDENTIALS_FULL_URI and a token
instead of keys, names that URI in _SHELLSSO_EXEC_KEY and sets no expiry (the
endpoint refreshes the credentials). The shell is started here with that
environment as exec leaves it; no endpoint is needed to draw the prompt.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import write_config
from tests.shell.harness import ShellSession

URI = "http://127.0.0.1:49152/shellsso/creds"


def exec_env(**values: str) -> Dict[str, str]:
    """This process's environment (the `home` fixture cleared AWS_* and SHELLSSO_*), plus
    what exec set."""
    return {**os.environ, "SHELLSSO_EXEC_PROFILE": "dev", **values}


def server_env() -> Dict[str, str]:
    return exec_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=URI, _SHELLSSO_EXEC_KEY=URI,
                    AWS_CONTAINER_AUTHORIZATION_TOKEN="not-shown-token")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_exec_server_prompt_shows_the_profile_while_the_endpoint_is_there(
        shell: str, home: Path) -> None:
    write_config(home)
    with ShellSession(shell, home, env=server_env()) as sh:
        assert sh.prompt() == "aws:dev"
        assert "not-shown-token" not in sh.raw_prompt()
        if shell != "fish":
            assert sh.child_faults_per_prompt() == 0
        set_var, unset_var = sh.dialect.set_var, sh.dialect.unset_var
        # Another endpoint, or none: the mode ends.
        sh.run(set_var.format(name="AWS_CONTAINER_CREDENTIALS_FULL_URI",
                              value="http://127.0.0.1:1/other"))
        assert sh.prompt() == ""
        sh.run(set_var.format(name="AWS_CONTAINER_CREDENTIALS_FULL_URI", value=URI))
        assert sh.prompt() == "aws:dev"
        sh.run(unset_var.format(name="AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        assert sh.prompt() == ""
        sh.run(set_var.format(name="AWS_CONTAINER_CREDENTIALS_FULL_URI", value=URI))
        # Keys set by hand win over the endpoint (botocore reads them first): the mode ends.
        sh.run(set_var.format(name="AWS_ACCESS_KEY_ID", value="AKIAHANDMADE"))
        assert sh.prompt() == ""
        sh.run(unset_var.format(name="AWS_ACCESS_KEY_ID"))
        assert sh.prompt() == "aws:dev"
        # A profile set in the shell is shown instead, as in a shell without exec.
        sh.run(set_var.format(name="AWS_PROFILE", value="staging"))
        assert sh.prompt() == "aws:staging"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_exec_with_keys_prompt_unchanged_by_a_container_uri(shell: str, home: Path) -> None:
    """exec without --server: its keys and expiry, and a container URI from elsewhere
    changes nothing (the keys win)."""
    write_config(home)
    env = exec_env(AWS_ACCESS_KEY_ID="AKIAEXECKEY", _SHELLSSO_EXEC_KEY="AKIAEXECKEY",
                   AWS_SECRET_ACCESS_KEY="secret", AWS_SESSION_TOKEN="token",
                   _SHELLSSO_EXEC_EXPIRES=str(int(time.time()) + 600))
    with ShellSession(shell, home, env=env) as sh:
        assert sh.prompt() == "aws:dev(creds 10m)"
        sh.run(sh.dialect.set_var.format(name="AWS_CONTAINER_CREDENTIALS_FULL_URI", value=URI))
        assert sh.prompt() == "aws:dev(creds 10m)"
        sh.run(sh.dialect.set_var.format(name="AWS_ACCESS_KEY_ID", value="AKIAHANDMADE"))
        assert sh.prompt() == ""
