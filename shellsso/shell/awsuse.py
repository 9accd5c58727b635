"""The awsuse back end: parse, look up, decide, and print code for the shell to eval.

The shell function only passes its arguments here and evaluates stdout when
the exit status is 0, so every value the shell sees was quoted by
`shellsso.shell.syntax`. This module is the hot path of `awsuse PROFILE`: the hook
starts Python with `-E -S` (no site, no PYTHON* variables), so it imports
only the standard library's cheapest parts and shellsso's core; boto3 (and
site-packages) come in only when a refresh, a login or `--export` needs them.
No argparse, no dataclasses, no json here.

State kept in the shell's environment (exported, so nested shells inherit it):
  _SHELLSSO_SET      the variables awsuse set (cleared again by the next switch or --unset)
  _SHELLSSO_PROFILE  the profile awsuse set (the prompt trusts the state below only for it)
  _SHELLSSO_PREV     the previous profile, for `awsuse -`
  _SHELLSSO_TOKEN    the SSO token file behind the profile
  _SHELLSSO_EXPIRES  its expiry, epoch seconds (the prompt compares it with the clock)
  _SHELLSSO_SSO_SESSION  1 when the profile uses an sso-session (only those tokens refresh;
                     botocore never refreshes a legacy profile's), else empty
  _SHELLSSO_REFRESH  when the token has what a silent refresh needs (refreshToken, clientId,
                     clientSecret, sso-session profile): the client registration's expiry,
                     epoch seconds (a refresh works until then); else empty
  _SHELLSSO_STAMP    set by the hook: the shell's stamp file, written here before the token
                     file is read (the hooks read it again when it is no longer older)
  _SHELLSSO_STAMPS_OK  the stamps folder, once found here to be the user's alone: the
                     hooks' stamp is then $_SHELLSSO_STAMPS_OK/PID; without it they have none
  _SHELLSSO_CREDS_EXPIRES  with --export: the exported credentials' expiry, epoch seconds
  _SHELLSSO_CREDS_KEY      with --export: their access key id (not a secret), so that the
                           hooks see when AWS_ACCESS_KEY_ID was changed by hand (the mode ends)
"""

from __future__ import annotations

import os
import sys

from shellsso.core.errors import ExitStatus, LoginRequired, ShellssoError
from shellsso.shell import syntax
from shellsso.shell.base import check_printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from shellsso.awsconfig.model import AwsConfig, SsoTarget
    from shellsso.shell.base import Shell
    from shellsso.sso.token_cache import Token

    Entry = Callable[[Shell, list[str], Mapping[str, str]], list[str]]

REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
)
# What awsuse may ever set: `_SHELLSSO_SET` is read back from the environment,
# and only these names may go from it into `unset`.
MANAGED_VARS = ("AWS_PROFILE", *REGION_VARS, *CREDENTIAL_VARS)
TOKEN_STATE_VARS = ("_SHELLSSO_TOKEN", "_SHELLSSO_EXPIRES", "_SHELLSSO_SSO_SESSION",
                    "_SHELLSSO_REFRESH", "_SHELLSSO_STAMPS_OK")
CREDS_STATE_VARS = ("_SHELLSSO_CREDS_EXPIRES", "_SHELLSSO_CREDS_KEY")
# Credentials that the provider chain prefers over AWS_PROFILE.
SHADOWING_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

USAGE = """\
usage: awsuse PROFILE [--region REGION] [--export]
       awsuse -            back to the previous profile
       awsuse              list the profiles, the active one marked
       awsuse -i [WORDS]   pick one: type to filter, Enter switches, Esc leaves (status 1)
       awsuse --unset      clear what awsuse set

Sets AWS_PROFILE in this shell. --region also sets AWS_REGION and
AWS_DEFAULT_REGION; --export also puts temporary credentials in the
environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION) for tools that cannot read SSO profiles; the
prompt then shows their expiry, and the next AWS command renews them.
An expired SSO session is refreshed, or a login offered (SHELLSSO_AUTO_LOGIN=ask|always|never)."""


class Request:
    """What the command line asked for (a plain class: dataclasses cost an import)."""

    def __init__(self) -> None:
        self.profile: str | None = None
        self.previous = False
        self.region: str | None = None
        self.export = False
        self.unset = False
        self.help = False
        self.interactive = False
        self.query = ""


def _usage_error(message: str) -> ShellssoError:
    return ShellssoError(f"{message} (see awsuse --help)", ExitStatus.USAGE)


def parse_args(args: list[str]) -> Request:
    """awsuse's arguments, by hand: argparse alone costs more than the rest of awsuse."""
    request = Request()
    positional: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--":
            positional.extend(items)
            break
        if arg in ("-h", "--help"):
            request.help = True
        elif arg == "--export":
            request.export = True
        elif arg == "--unset":
            request.unset = True
        elif arg in ("-i", "--interactive"):
            request.interactive = True
        elif arg == "--region" or arg.startswith("--region="):
            value = arg[len("--region="):] if "=" in arg else next(items, None)
            if not value:
                raise _usage_error("--region needs a value")
            request.region = value
        elif arg == "-":
            request.previous = True
        elif arg.startswith("-"):
            raise _usage_error(f"unknown option {arg!r}")
        else:
            positional.append(arg)
    if request.help:
        return request
    if request.interactive:
        # The words are the picker's first query; the profile is what it returns.
        if request.previous or request.unset:
            raise _usage_error("-i takes no profile, - or --unset")
        request.query = " ".join(positional)
        positional = []
    if len(positional) > 1 or (positional and request.previous):
        raise _usage_error("one profile at a time")
    request.profile = positional[0] if positional else None
    if request.unset and (request.profile or request.previous or request.region or request.export):
        raise _usage_error("--unset takes no profile or other option")
    if (request.region or request.export) and not (
            request.profile or request.previous or request.interactive):
        raise _usage_error("--region and --export need a profile")
    if request.region is not None:
        check_region(request.region)
    return request


def check_region(region: str) -> None:
    """A region name here is lower-case letters, digits and dashes (us-east-1, us-gov-west-1).

    Not awsconfig.regions.check_region, on purpose: awsuse sets a region AWS does
    not list (a partition newer than botocore, a local emulator's) with a warning
    (warn_unknown_region), where a region that becomes part of a host name is
    refused unless it has a region's shape; and that shape is a regular
    expression, whose `import re` costs about 4 ms under `python -S`, a third of
    `awsuse PROFILE`. This test only keeps the word safe for the prompt.
    """
    if not region or any(not (c.isascii() and (c.islower() or c.isdigit() or c == "-"))
                         for c in region):
        raise _usage_error(f"invalid region {region!r}")


def warn_unknown_region(region: str) -> None:
    """A warning when no AWS partition has `region` (a typo, most often)."""
    from shellsso.awsconfig.regions import REGIONS, unknown_region

    if region in REGIONS:  # the list completion offers: no site-packages needed
        return

    enable_site()  # botocore's endpoints data lives in site-packages
    message = unknown_region(region, REGIONS)
    if message:
        from shellsso.core.output import warn

        warn(message)


def managed(env: Mapping[str, str]) -> list[str]:
    """The variables the last awsuse set, as it recorded them (unknown names ignored)."""
    return [name for name in env.get("_SHELLSSO_SET", "").split() if name in MANAGED_VARS]


def enable_site() -> None:
    """Bring back site-packages (and PYTHONPATH) that `-S -E` left out, before boto3."""
    if sys.flags.no_site and "site" not in sys.modules:
        import site

        site.main()
        extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[1:1] = [p for p in extra if p not in sys.path]


class AskingTerminal:
    """The terminal in line mode, as a command gets it, while a question may be asked.

    fish runs its preexec handlers with the terminal still in its own mode (no
    ICRNL, no ICANON, no ECHO): Enter sends a carriage return that a line read
    never sees, and the answer is not echoed. Line mode is set on stdin when it
    is a terminal and lacks it, and the old mode put back afterwards.
    """

    def __init__(self) -> None:
        self.saved: list[Any] | None = None

    def __enter__(self) -> None:
        try:
            import termios
        except ImportError:
            return
        try:
            if not os.isatty(0):
                return
            mode = termios.tcgetattr(0)
            lflags = termios.ICANON | termios.ECHO | termios.ISIG
            if mode[0] & termios.ICRNL and mode[3] & lflags == lflags:
                return
            self.saved = list(mode)
            mode[0] = (mode[0] | termios.ICRNL) & ~termios.INLCR & ~termios.IGNCR
            mode[1] |= termios.OPOST | termios.ONLCR
            mode[3] |= lflags | termios.ECHOE | termios.ECHOK | termios.IEXTEN
            termios.tcsetattr(0, termios.TCSANOW, mode)
        except (OSError, termios.error):
            self.saved = None

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            import termios

            try:
                termios.tcsetattr(0, termios.TCSANOW, self.saved)
            except (OSError, termios.error):
                pass


def touch_stamp() -> str:
    """Write the calling shell's stamp (`_SHELLSSO_STAMP`) before its token file is read.

    The hooks read the token file again only once it is no longer older than
    the stamp. Only a numbered file in shellsso's own `stamps` folder is
    written, only while that folder is the user's alone, and never through a
    symlink; stamps of shells that have ended are removed when a new one is
    made. Returns the stamps folder as the hook named it when the hooks may
    write and trust stamps there too, else "".
    """
    from shellsso.core.cache_folder import own_cache
    from shellsso.core.paths import own_cache_dir

    path = os.environ.get("_SHELLSSO_STAMP", "")
    folder, name = os.path.split(path)
    if not (name.isascii() and name.isdigit()) or os.path.normpath(folder) != os.path.normpath(
            os.path.join(own_cache_dir(), "stamps")):
        return ""
    if own_cache("stamps", create=True) is None:
        return ""
    try:
        new = not os.path.lexists(path)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                         | os.O_NONBLOCK | os.O_CLOEXEC, 0o600))
        if new:
            for other in os.listdir(folder):
                if other.isascii() and other.isdigit() and other != name and not _alive(int(other)):
                    os.unlink(os.path.join(folder, other))
    except OSError:
        return ""
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass
    return True


def token_code(shell: Shell, target: SsoTarget | None, *, ensure: bool) -> list[str]:
    """Code recording the SSO token state of a profile for the prompt and preexec hooks.

    With `ensure`, a token that is not good for 15 more minutes is refreshed or
    a login offered (session.ensure_token); refusing or failing only warns, the
    switch happens anyway.
    """
    if target is None:
        return [shell.unset(TOKEN_STATE_VARS)]
    from shellsso.sso.session import token_state
    from shellsso.sso.token_cache import token_path

    stamps = touch_stamp()
    state, token = token_state(target)
    if ensure and state in ("refreshable", "expired", "none"):
        enable_site()
        from shellsso.sso.session import ensure_token

        try:
            with AskingTerminal():
                token = ensure_token(target)
        except ShellssoError as exc:  # no login, a dead network, a lock given up on
            from shellsso.core.output import warn

            warn(exc.message)
    sso_session = target.session_name is not None
    expires, refresh = token_times(token, sso_session)
    return [
        shell.export("_SHELLSSO_TOKEN", token_path(target)),
        shell.export("_SHELLSSO_EXPIRES", expires),
        shell.export("_SHELLSSO_SSO_SESSION", "1" if sso_session else ""),
        shell.export("_SHELLSSO_REFRESH", refresh),
        shell.export("_SHELLSSO_STAMPS_OK", stamps) if stamps else shell.unset(
            ["_SHELLSSO_STAMPS_OK"]),
    ]


def token_times(token: Token | None, sso_session: bool) -> tuple[str, str]:
    """_SHELLSSO_EXPIRES and _SHELLSSO_REFRESH for a token, as the hooks' __shellsso_reread
    finds them in its file (a test holds the two to the same answers).

    The expiry in epoch seconds ("0": no token). Token.can_refresh without the
    clock (now=0: every registration is in the future): the registration's
    expiry when an sso-session token can be refreshed, else empty; the hooks
    compare it with the clock on each prompt.
    """
    if token is None:
        return "0", ""
    refresh = ""
    if sso_session and token.can_refresh(now=0):
        refresh = str(int(token.registration_expires_at or 0))
    return str(int(token.expires_at)), refresh


def export_code(shell: Shell, config: AwsConfig, profile: str) -> list[str]:
    """Temporary credentials as environment variables (the slow path: may call AWS).

    Also records their expiry and access key id for the hooks, which show the
    expiry in the prompt and re-export before an AWS command once it is near;
    static keys (no expiry) record nothing.
    """
    enable_site()
    from shellsso.creds.resolve import get_role_credentials
    from shellsso.shell.exports import env_pairs

    with AskingTerminal():
        creds = get_role_credentials(config, profile, interactive=None)
    pairs = env_pairs(creds)
    code = [shell.export(name, value) for name, value in pairs]
    exported = {name for name, _value in pairs}
    absent = [name for name in CREDENTIAL_VARS if name not in exported]
    if creds.expiration is not None:
        code += [
            shell.export("_SHELLSSO_CREDS_EXPIRES", str(int(creds.expiration))),
            shell.export("_SHELLSSO_CREDS_KEY", creds.access_key_id),
        ]
    else:
        absent += CREDS_STATE_VARS
    code.append(shell.unset(absent))
    return code


def warn_shadowing(env: Mapping[str, str], profile: str, own: list[str]) -> None:
    """Credentials someone else put in the environment win over AWS_PROFILE: say so."""
    foreign = [name for name in SHADOWING_VARS if env.get(name) and name not in own]
    if foreign:
        from shellsso.core.output import warn

        warn(
            f"{', '.join(foreign)} {'is' if len(foreign) == 1 else 'are'} set in this shell "
            f"and take{'s' if len(foreign) == 1 else ''} precedence over AWS_PROFILE; "
            f"unset {' '.join(foreign)} to use profile '{profile}'"
        )


def joined(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def warn_replacing(env: Mapping[str, str], own: list[str]) -> None:
    """--export over credentials someone else set: they are gone for good, so say so.

    awsuse keeps no copy (that would be one more place for a secret), and
    --unset or the next switch clears every credential variable it set, these
    included. Names only, never values.
    """
    foreign = [name for name in CREDENTIAL_VARS if env.get(name) and name not in own]
    if foreign:
        from shellsso.core.output import warn

        one = len(foreign) == 1
        them = "it" if one else "them"
        warn(f"{joined(foreign)} {'was' if one else 'were'} set outside awsuse; --export "
             f"replaces {them}, and awsuse --unset or the next switch clears {them}")


def refuse_inside_exec(env: Mapping[str, str], profile: str) -> None:
    """In a shell started by `shellsso exec`, its keys would shadow any AWS_PROFILE set here."""
    inside, key = env.get("SHELLSSO_EXEC_PROFILE"), env.get("AWS_ACCESS_KEY_ID")
    if inside and key and key == env.get("_SHELLSSO_EXEC_KEY"):
        raise ShellssoError(
            f"this shell runs under `shellsso exec` for profile '{display_name(inside)}', whose "
            "credentials take precedence over AWS_PROFILE; exit it to switch (or run "
            f"`shellsso exec --force --profile {display_name(profile)}`)"
        )


def switch(shell: Shell, request: Request, env: Mapping[str, str]) -> list[str]:
    """Code that makes `request.profile` (or the previous one) the active profile."""
    from shellsso.awsconfig.model import load_config

    current = env.get("AWS_PROFILE", "")
    if request.previous:
        profile = env.get("_SHELLSSO_PREV", "")
        if not profile:
            raise ShellssoError("no previous profile (awsuse - goes back after a switch)")
    else:
        assert request.profile is not None
        profile = request.profile
    check_printable(profile, "profile name")
    refuse_inside_exec(env, profile)
    config = load_config()
    if profile not in config.profiles:
        from shellsso.awsconfig.first_run import missing_config

        missing = missing_config()
        if missing:
            raise ShellssoError(f"profile '{display_name(profile)}' not found: {missing}")
    config.get(profile)  # ProfileNotFound, with close matches, before anything changes
    target = config.sso_target(profile)
    own = managed(env)
    setting = ["AWS_PROFILE"]
    code: list[str] = []
    if request.export:
        code += export_code(shell, config, profile)
        warn_replacing(env, own)
        setting += CREDENTIAL_VARS
    else:
        warn_shadowing(env, profile, own)
        code.append(shell.unset(name for name in CREDS_STATE_VARS if name in env))
    code += token_code(shell, target, ensure=not request.export)
    code.append(shell.export("AWS_PROFILE", profile))
    if request.region is not None:
        warn_unknown_region(request.region)
        setting += REGION_VARS
        code += [shell.export(name, request.region) for name in REGION_VARS]
    code.insert(0, shell.unset(name for name in own if name not in setting))
    code += [
        shell.export("_SHELLSSO_SET", " ".join(setting)),
        shell.export("_SHELLSSO_PROFILE", profile),
    ]
    if current and current != profile:
        code.append(shell.export("_SHELLSSO_PREV", current))
    from shellsso.core.history import record

    record(profile)  # for the picker's order
    return code


def unset_code(shell: Shell, env: Mapping[str, str]) -> list[str]:
    """Code that removes what awsuse set, and nothing it did not."""
    code = [shell.unset([*managed(env), "_SHELLSSO_SET", "_SHELLSSO_PROFILE", *TOKEN_STATE_VARS,
                         *CREDS_STATE_VARS])]
    previous = env.get("_SHELLSSO_PROFILE")
    if previous:
        code.append(shell.export("_SHELLSSO_PREV", previous))
    return code


def display_name(name: str) -> str:
    """A profile name fit for one line of a terminal (control characters shown as `?`)."""
    from shellsso.core.safety import visible

    return visible(name)


def list_code(shell: Shell, env: Mapping[str, str]) -> list[str]:
    """The profiles, one a line in aligned columns (account, role, region), the active one `*`."""
    from shellsso.awsconfig.model import active_profile_name, load_config
    from shellsso.core.output import columns

    config = load_config()
    active = active_profile_name(env)
    names = config.names()
    if not names:
        from shellsso.awsconfig.first_run import missing_config
        from shellsso.core.output import warn

        warn(f"no profiles: {missing_config() or f'none in {config.source}'}")
        return []

    def text(values: Mapping[str, object], key: str) -> str:
        value = values.get(key)
        return display_name(value) if isinstance(value, str) else ""

    rows = []
    for name in names:
        values = config.profiles[name]
        rows.append([display_name(name), text(values, "sso_account_id"),
                     text(values, "sso_role_name") or text(values, "role_arn"),
                     text(values, "region")])
    marks = ["*" if name == active else " " for name in names]
    # No width limit, as `shellsso list`: populate's names reach 45 characters.
    lines = columns(rows, limit=None)
    return [shell.print_lines(f"{mark} {line}" for mark, line in zip(marks, lines))]


def run(shell: Shell, args: list[str], env: Mapping[str, str]) -> list[str]:
    """The code for one awsuse call."""
    request = parse_args(args)
    if request.help:
        return [shell.print_lines(USAGE.splitlines())]
    if request.unset:
        return unset_code(shell, env)
    if request.interactive:
        from shellsso.picker.choose import choose

        request.profile = choose(env, request.query)
    if request.profile is None and not request.previous:
        return list_code(shell, env)
    return switch(shell, request, env)


def _emit(code: list[str]) -> None:
    text = "".join(line + "\n" for line in code if line)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()


def _guarded(entry: Entry, argv: list[str]) -> int:
    """Run a back-end entry point as the CLI would: one error line, never a traceback."""
    from shellsso.core.output import guarded

    def run() -> int:
        if not argv:
            raise ShellssoError("the shell hook must name its shell first", ExitStatus.USAGE)
        _emit(entry(syntax.get(argv[0]), argv[1:], os.environ))
        return ExitStatus.OK

    status = guarded(run, bool(os.environ.get("SHELLSSO_DEBUG")),
                     "set SHELLSSO_DEBUG=1 for details")
    if "site" not in sys.modules:
        # Started by the hook (-S) and nothing beyond the standard library's core
        # was needed: the interpreter's teardown would cost a third of the rest
        # of awsuse and release nothing that matters. Not after boto3 (site).
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            status = ExitStatus.ERROR
        os._exit(status)
    return status


def names_code(shell: Shell, args: list[str], env: Mapping[str, str]) -> list[str]:
    """Write the completion cache: a key line (which files it came from), then the names.

    The hooks read it with shell builtins and filter it themselves, so a TAB
    starts no Python; they call this again only when a config file is newer.
    """
    from shellsso.awsconfig.model import load_config
    from shellsso.core.cache_folder import check_own_cache
    from shellsso.core.files import write_atomic

    check_own_cache(create=True)  # a refusal is the answer: the hook then reads nothing
    key = args[0] if args else ""
    names = [shell.completion_word(name) for name in load_config().names()
             if display_name(name) == name]
    # Sorted by bytes: bash finds the matches by binary search in the C locale.
    names.sort(key=lambda word: word.encode("utf-8", "surrogateescape"))
    text = "".join(line + "\n" for line in [key, *names])
    write_atomic(names_path(shell), text.encode("utf-8", "surrogateescape"))
    return []


def names_path(shell: Shell) -> str:
    """`$XDG_CACHE_HOME/shellsso/names.SHELL`, the completion cache."""
    from shellsso.core.paths import own_cache_dir

    return os.path.join(own_cache_dir(), f"names.{shell.name}")


def exported_creds_active(env: Mapping[str, str]) -> bool:
    """True while the credentials `awsuse --export` put in the environment are still there.

    The hooks' __shellsso_creds_mode makes the same test (a test holds them to
    the same answers): the profile is the one awsuse set and AWS_ACCESS_KEY_ID
    is still the key it exported (changed or unset by hand, the mode ends); the
    expiry is digits (it goes into the hooks' arithmetic). Unset is empty.
    """
    expires, key = env.get("_SHELLSSO_CREDS_EXPIRES", ""), env.get("AWS_ACCESS_KEY_ID", "")
    return (expires.isascii() and expires.isdigit() and key != ""
            and key == env.get("_SHELLSSO_CREDS_KEY", "")
            and env.get("AWS_PROFILE", "") == env.get("_SHELLSSO_PROFILE", ""))


def reexport_code(shell: Shell, config: AwsConfig, profile: str) -> list[str]:
    """Fresh credentials for the profile whose exported ones have (nearly) expired.

    get_role_credentials reuses the CLI cache, refreshes the token silently or
    offers the login (SHELLSSO_AUTO_LOGIN); refused or impossible, it only
    warns, and the command runs with what the environment has.
    """
    code: list[str] = []
    try:
        code = export_code(shell, config, profile)
    except LoginRequired as exc:
        from shellsso.core.output import warn

        warn(exc.message)
        warn(f"the credentials awsuse exported for profile '{display_name(profile)}' have "
             f"expired or are about to; run `awsuse {display_name(profile)} --export` "
             "after logging in")
    # The token state is news to the shell either way (a login, or an ended session).
    return code + token_code(shell, config.sso_target(profile), ensure=False)


def preexec_code(shell: Shell, args: list[str], env: Mapping[str, str]) -> list[str]:
    """Before an AWS command: re-export expiring credentials, or offer the login, once."""
    profile = env.get("AWS_PROFILE")
    if not profile or profile != env.get("_SHELLSSO_PROFILE"):
        return []
    from shellsso.awsconfig.model import load_config

    config = load_config()
    if exported_creds_active(env):
        return reexport_code(shell, config, profile)
    return token_code(shell, config.sso_target(profile), ensure=True)


def main(argv: list[str]) -> int:
    """`awsuse`: argv is [SHELL, awsuse's arguments...]. Its messages say `awsuse:`."""
    from shellsso.core import output
    output.PROG = "awsuse"
    return _guarded(run, argv)


def names_main(argv: list[str]) -> int:
    """`shellsso _names SHELL KEY`: refresh the completion cache."""
    return _guarded(names_code, argv)


def preexec_main(argv: list[str]) -> int:
    """`shellsso _preexec SHELL`: the preexec hook's re-export or login offer; prints new state."""
    return _guarded(preexec_code, argv)
