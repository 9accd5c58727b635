"""`shellsso exec`: a command with the profile's credentials in its environment.

shellsso replaces itself with the command (execvpe), so the command keeps
the terminal, receives signals sent to this process id, and its exit status
is the one the caller sees. The keys travel in the environment only, never
in argv. Everything that would shadow them or point tools elsewhere
(AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_SECURITY_TOKEN, ... docs/protocol.md §8.5)
is removed, and so is awsuse's state, which described the parent shell.

With `--server` the command gets no keys but a local credentials endpoint (as `shellsso
serve`, in a detached process that ends with the command): its SDKs fetch fresh
credentials from it as often as they need, so a command that runs for hours keeps working.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from shellsso.awsconfig.first_run import require_config
from shellsso.awsconfig.model import AwsConfig, active_profile_name, load_config
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.creds.resolve import get_role_credentials
from shellsso.creds.role_credentials import Credentials
from shellsso.shell.exports import env_pairs

PROFILE_VAR = "SHELLSSO_EXEC_PROFILE"
# For the hooks' prompt in a shell started by exec: the key id exec set (the
# mode ends if AWS_ACCESS_KEY_ID changes) and the expiry, epoch seconds.
EXPIRES_VAR = "_SHELLSSO_EXEC_EXPIRES"
KEY_VAR = "_SHELLSSO_EXEC_KEY"
CLEARED = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_CREDENTIAL_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_SDK_LOAD_CONFIG",
)
NOT_FOUND, NOT_EXECUTABLE = 127, 126


def _environment(env: Mapping[str, str], cleared: Sequence[str], profile: str,
                 region: Optional[str]) -> Dict[str, str]:
    """`env` without `cleared` and awsuse's state, plus the profile's name and region."""
    child = {k: v for k, v in env.items()
             if k not in cleared and not k.startswith("_SHELLSSO_")}
    if region:
        child["AWS_REGION"] = child["AWS_DEFAULT_REGION"] = region
    child[PROFILE_VAR] = profile
    return child


def child_environment(
    env: Mapping[str, str], profile: str, creds: Credentials, region: Optional[str]
) -> Dict[str, str]:
    """The command's environment: `env` without what shadows the keys, plus the keys."""
    child = _environment(env, CLEARED, profile, region)
    child.update(env_pairs(creds))
    child[KEY_VAR] = creds.access_key_id
    if creds.expiration is not None:
        child[EXPIRES_VAR] = str(int(creds.expiration))
    return child


def server_environment(env: Mapping[str, str], profile: str,
                       variables: List[Tuple[str, str]], region: Optional[str]
                       ) -> Dict[str, str]:
    """The command's environment with `--server`: the endpoint's two variables, no keys.

    Besides what shadows keys, what a client's chain reads before the container provider
    (web identity variables) and any other container endpoint are removed. The prompt's
    KEY_VAR is the endpoint's URI (the hooks compare it with the URI variable), and there
    is no expiry to show: the endpoint renews the credentials.
    """
    from shellsso.endpoint.shadow import CONTAINER_ENVIRONMENT, SHADOWING_ENVIRONMENT

    cleared = (*CLEARED, *SHADOWING_ENVIRONMENT, *CONTAINER_ENVIRONMENT)
    child = _environment(env, cleared, profile, region)
    child.update(variables)
    child[KEY_VAR] = dict(variables)["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    return child


def command_line(command: List[str], env: Mapping[str, str]) -> List[str]:
    """The command as given (after a leading `--`), else $SHELL, else /bin/sh.

    An empty command name is refused as a shell refuses it (status 127),
    before any credentials are fetched.
    """
    if command and command[0] == "--":
        command = command[1:]
    if command and not command[0]:
        raise ShellssoError("command not found: '' (an empty name)", NOT_FOUND)
    return command or [env.get("SHELL") or "/bin/sh"]


def refuse_nesting(env: Mapping[str, str], force: bool) -> None:
    """Inside an exec (SHELLSSO_EXEC_PROFILE set) only with --force."""
    inside = env.get(PROFILE_VAR)
    if inside and not force:
        raise ShellssoError(
            f"already inside `shellsso exec` for profile '{inside}' ({PROFILE_VAR} is set); "
            "leave that shell first, or add --force"
        )


def replace_process(argv: List[str], env: Dict[str, str]) -> int:
    """execvpe, after giving back the signal dispositions Python changed at start-up.

    Python ignores SIGPIPE (and SIGXFSZ), and ignored signals stay ignored
    across exec: `shellsso exec -- yes | head` would otherwise never end
    quietly. Returns only when exec failed.
    """
    for name in ("SIGPIPE", "SIGXFSZ"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError:
        raise ShellssoError(f"command not found: {argv[0]}", NOT_FOUND) from None
    except PermissionError:
        raise ShellssoError(f"permission denied: {argv[0]}", NOT_EXECUTABLE) from None
    except OSError as exc:
        raise ShellssoError(f"cannot run {argv[0]}: {exc.strerror or exc}",
                            NOT_EXECUTABLE) from None
    return ExitStatus.ERROR  # not reached: execvpe returns only by raising


def run(args: argparse.Namespace) -> int:
    """`shellsso exec [--profile P] [--force] [--] [COMMAND [ARG...]]`."""
    env = os.environ
    refuse_nesting(env, args.force)
    argv = command_line(list(args.command or []), env)
    profile = args.profile or active_profile_name()
    require_config(f"no profile '{profile}'")
    config = load_config()
    region = config.get(profile).get("region")
    region = region if isinstance(region, str) else None
    creds = get_role_credentials(config, profile, interactive=None)
    if args.server:
        from shellsso.endpoint.provider import require_temporary

        require_temporary(creds, profile)
        return run_with_server(argv, env, profile, config, region)
    return replace_process(argv, child_environment(env, profile, creds, region))


def run_with_server(argv: List[str], env: Mapping[str, str], profile: str,
                    config: AwsConfig, region: Optional[str]) -> int:
    """`exec --server`: start the endpoint in a detached process, then become the command.

    The credentials were fetched (or a login offered) before, in the foreground; the
    endpoint listens before the command starts, so its first request is answered.
    """
    from shellsso.endpoint.detach import start_detached
    from shellsso.endpoint.serving import Service
    from shellsso.endpoint.shadow import warn_if_shadowed

    warn_if_shadowed(config, profile)
    service = Service(profile)
    child = server_environment(env, profile, service.variables(), region)
    start_detached(service)
    return replace_process(argv, child)
