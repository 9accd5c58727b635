"""The parsers of every `shellsso` command: options, help texts, and the (module,
function) each runs, imported only when it runs (see cli.py).

Kept apart from cli.py so that `shellsso init` can list every command's options
for the hooks' static completion without importing the entry point above it.
"""

from __future__ import annotations

import argparse
import re
from typing import List, NoReturn, Optional, Sequence

from shellsso import __version__
from shellsso.awsconfig.naming import DEFAULT_TEMPLATE
from shellsso.commands.quick import DEFAULT_FORMAT
from shellsso.shell.exports import FORMATS as EXPORT_FORMATS
from shellsso.shell.exports import VARIABLE_FORMATS
from shellsso.shell.syntax import NAMES as SHELLS

DESCRIPTION = """\
AWS IAM Identity Center (AWS SSO) in your shell.

Add one line to your shell's rc file:
  bash:  eval "$(shellsso init bash)"
  zsh:   eval "$(shellsso init zsh)"
  fish:  shellsso init fish | source
then `awsuse PROFILE` switches profiles, the prompt shows the active one, and
an expired session offers a login before AWS commands run.
"""

EPILOG = """\
Try it with no AWS account: `shellsso demo`.
Settings are SHELLSSO_* environment variables; see the README.
"""


def _add_profile_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--profile", "-p", metavar="PROFILE", help=help_text)


def _add_login(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "login",
        help="log in to an SSO session (PKCE in a browser, or device code)",
        description=(
            "Log in to IAM Identity Center and cache the token where the AWS CLI v2 "
            "keeps it. Uses the PKCE authorization-code flow with a loopback redirect "
            "when a browser can reach this machine, the device-code flow over SSH, "
            "without a display, for legacy profiles or with --use-device-code. "
            "Like `aws sso login`, it always starts a new login, even when the cached "
            "token is still valid; only a login that had to wait for another terminal's "
            "login uses the token that one just wrote."
        ),
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--profile", "-p", metavar="PROFILE",
        help="log in for this profile (default: AWS_PROFILE, AWS_DEFAULT_PROFILE, 'default')",
    )
    target.add_argument("--sso-session", metavar="NAME", help="log in to this [sso-session NAME]")
    p.add_argument("--no-browser", action="store_true",
                   help="print the URL (and code) instead of opening a browser")
    p.add_argument("--use-device-code", action="store_true",
                   help="use the device-code flow even where a browser is available")
    p.add_argument("--force", action="store_true",
                   help="start a new login even when another terminal has just logged in")
    p.set_defaults(handler=("shellsso.commands.login", "run"))


def _add_logout(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "logout",
        help="sign out at the portal and remove cached tokens and credentials",
        description=(
            "Sign out at the portal and remove the session's cached token and role "
            "credentials. Other sessions stay unless --all is given."
        ),
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--profile", "-p", metavar="PROFILE",
                        help="log out of the session this profile uses")
    target.add_argument("--sso-session", metavar="NAME", help="log out of this sso-session")
    target.add_argument("--all", action="store_true", help="log out of every cached session")
    p.set_defaults(handler=("shellsso.commands.logout", "run"))


def _add_status(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "status",
        help="show profile, account, role, region, session and expiry",
        description="Show what a profile resolves to and the state of its token and credentials.",
    )
    _add_profile_option(p, "profile to show (default: the active one)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=("shellsso.commands.status", "run"))


def _add_list(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "list",
        help="list profiles with their session, account, role and region",
        description="List the profiles of the AWS config file, the active one marked.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=("shellsso.commands.list", "run"))


def _add_export(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="print temporary credentials (env, fish, powershell, json, process)",
        description=(
            "Print temporary credentials for a profile, in the formats of "
            "`aws configure export-credentials`, quoted for their shell."
        ),
    )
    _add_profile_option(p, "profile (default: the active one)")
    p.add_argument("--format", "-f", choices=EXPORT_FORMATS, default=DEFAULT_FORMAT,
                   help=f"output format (default: {DEFAULT_FORMAT})")
    p.set_defaults(handler=("shellsso.commands.export", "run"))


def _add_credential_process(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "credential-process",
        help="print credential_process JSON (Version 1) for SDKs and tools",
        description=(
            "Print credentials as the `credential_process` JSON (Version 1). In a "
            "profile: credential_process = shellsso credential-process --profile dev"
        ),
    )
    p.add_argument("--profile", "-p", metavar="PROFILE", required=True, help="profile to use")
    p.set_defaults(handler=("shellsso.commands.credential_process", "run"))


def _add_doctor(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "doctor",
        help="diagnose the credential chain of a profile, each finding with its fix",
        description=(
            "Check what stands between a profile and working credentials, in the "
            "order botocore meets it: credentials in the environment, the config and "
            "credentials files, the profile and its source_profile chain, the SSO "
            "token, the clock, the portal (one GetRoleCredentials unless credentials "
            "are cached) and the AWS CLI on PATH. Exit status 0 when there is no "
            "error (warnings allowed), 1 otherwise. Never prints a secret."
        ),
    )
    _add_profile_option(
        p, "profile to check (default: AWS_PROFILE, AWS_DEFAULT_PROFILE, 'default')")
    p.add_argument("--json", action="store_true",
                   help="findings as JSON (id, level, message, fix) for scripts")
    p.set_defaults(handler=("shellsso.commands.doctor", "run"))


def _add_console(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "console",
        help="open (or print) the AWS web console signed in as a profile",
        description=(
            "Sign in to the AWS web console with the profile's temporary credentials "
            "through the federation endpoint, and open it in your browser (BROWSER is "
            "honoured). Over SSH or without a display the sign-in URL is printed "
            "instead: it signs in once, within 15 minutes, so treat it as a secret. "
            "SHELLSSO_SIGNIN_URL replaces the federation endpoint."
        ),
    )
    _add_profile_option(p, "profile (default: the active one)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--service", "-s", metavar="SERVICE",
                       help="open this service's page (s3, ec2, cloudformation, cfn, ...)")
    where.add_argument("--destination", metavar="URL",
                       help="open this console URL (https, on the console's host)")
    p.add_argument("--region", "-r", metavar="REGION",
                   help="console region (default: AWS_REGION, then the profile's region)")
    p.add_argument("--print", action="store_true",
                   help="print the sign-in URL instead of opening a browser")
    p.add_argument("--portal", action="store_true",
                   help="open the access portal's shortcut for the account and role "
                        "(works with the console's multi-session mode; no federation call)")
    p.add_argument("--duration", type=int, metavar="MINUTES",
                   help="console session length, 15-720 minutes (not for role chains)")
    p.set_defaults(handler=("shellsso.commands.console", "run"))


def _add_exec(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "exec",
        help="run a command (default: your shell) with the profile's credentials",
        description=(
            "Run COMMAND (default: $SHELL) with the profile's temporary credentials in "
            "its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
            "AWS_CREDENTIAL_EXPIRATION, the profile's region) and SHELLSSO_EXEC_PROFILE; "
            "AWS_PROFILE and the other variables that would shadow the keys are removed. "
            "shellsso replaces itself with the command, so signals, the terminal and the "
            "exit status are the command's own (127: not found, 126: not executable)."
        ),
    )
    _add_profile_option(p, "profile (default: the active one)")
    p.add_argument("--force", action="store_true",
                   help="run even inside another `shellsso exec` (SHELLSSO_EXEC_PROFILE set)")
    p.add_argument("--server", action="store_true",
                   help="give the command a local credentials endpoint (as `shellsso serve`) "
                        "instead of keys, so that it keeps working past the keys' lifetime")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND [ARG...]",
                   help="the command and its arguments (put -- before a command that "
                        "starts with -)")
    p.set_defaults(handler=("shellsso.commands.exec", "run"))


def _add_configure(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "configure",
        help="set up an SSO session and a profile, interactively",
        description=(
            "Ask for an SSO session (name, start URL, SSO region, scopes), log in, list "
            "the accounts and then the roles of the chosen one (type to filter long "
            "lists), and write the sso-session and the profile exactly as "
            "`aws configure sso` does. Run it again to add a profile: an existing "
            "session is offered and what is known is not asked again. The config is "
            "written once, at the end, atomically (the previous one kept as config.bak); "
            "Ctrl-C at any question leaves it as it was."
        ),
    )
    p.add_argument("--sso-session", metavar="NAME",
                   help="use (or create) this [sso-session NAME]")
    p.add_argument("--no-browser", action="store_true",
                   help="print the login URL (and code) instead of opening a browser")
    p.add_argument("--use-device-code", action="store_true",
                   help="log in with the device code even where a browser is available")
    p.set_defaults(handler=("shellsso.commands.configure", "run"))


def _add_populate(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "populate",
        help="write a profile for every account and role an SSO session reaches",
        description=(
            "List every account and role the SSO session reaches and write a profile for\n"
            "each into a block of the config that populate owns, between\n"
            "  # shellsso populate begin: NAME\n"
            "  # shellsso populate end: NAME\n"
            "Everything outside the block is kept byte for byte; a name that already\n"
            "exists outside it is skipped, and so is an account and role that a profile\n"
            "outside it already reaches through the same session. The changes are shown\n"
            "first; on a terminal you are asked before anything is written. The previous\n"
            "file is kept as config.bak."
        ),
        epilog=(
            "Naming fields: {account_name}, {account_id}, {role_name}, {session}. Names are\n"
            "lower-cased, spaces and odd characters become '-', and a name two profiles "
            "would\nshare gets the account id appended. Example:\n"
            "  shellsso populate --sso-session corp --naming '{account_name}.{role_name}'"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--sso-session", metavar="NAME",
                   help="the [sso-session NAME] whose accounts and roles to write "
                        "(default: the only one in the config)")
    p.add_argument("--naming", metavar="TEMPLATE", default=DEFAULT_TEMPLATE,
                   help=f"profile name template (default: {DEFAULT_TEMPLATE})")
    p.add_argument("--region", metavar="REGION",
                   help="`region` of every profile (default: the session's sso_region)")
    p.add_argument("--prune", action="store_true",
                   help="remove block profiles whose account or role is no longer reachable")
    p.add_argument("--dry-run", action="store_true",
                   help="show the changes and write nothing")
    p.add_argument("--yes", "-y", action="store_true",
                   help="write without asking, even on a terminal")
    p.set_defaults(handler=("shellsso.commands.populate", "run"))


def _add_init(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "init",
        help="print the hook code for bash, zsh or fish",
        description=(
            "Print the shell integration. Add to your rc file:\n"
            '  eval "$(shellsso init bash)"   (~/.bashrc)\n'
            '  eval "$(shellsso init zsh)"    (~/.zshrc)\n'
            "  shellsso init fish | source    (~/.config/fish/config.fish)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("shell", nargs="?", choices=SHELLS,
                   help="shell to print the hook for (default: the one running)")
    p.set_defaults(handler=("shellsso.commands.init", "run"))


def _add_emulator(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "emulator",
        help="run the local IAM Identity Center emulator (for tests and the demo)",
        description=(
            "Serve a local IAM Identity Center (sso-oidc and sso portal APIs, plus STS "
            "AssumeRole/GetCallerIdentity and the console federation endpoint for the keys "
            "it issues) on 127.0.0.1 with a demo organisation, and print how to point AWS "
            "tools at it."
        ),
    )
    from shellsso.emulator.options import add_arguments

    add_arguments(p)
    p.set_defaults(handler=("shellsso.emulator.cli", "run"))


def _add_demo(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="try shellsso with no AWS account: emulator, demo config and a shell",
        description=(
            "Start the bundled emulator, write a demo AWS config into a private "
            "temporary HOME, and start a shell with shellsso loaded and a short tour."
        ),
    )
    p.add_argument("--shell", choices=SHELLS, help="shell to start (default: yours)")
    p.add_argument("--script", action="store_true",
                   help="run the tour without a terminal and print what a user would see")
    p.set_defaults(handler=("shellsso.commands.demo", "run"))


def _add_pick(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "pick",
        help="choose a profile interactively (type to filter) and print its name",
        description=(
            "Choose a profile on the terminal: type to filter (every word must match the "
            "profile name, account id, account name, role or region), Up/Down or "
            "Ctrl-P/Ctrl-N to move, Enter to choose, Esc to leave (exit status 1). "
            "Prints the chosen name, or with --switch the code `awsuse NAME` evaluates: "
            'eval "$(shellsso pick --switch bash)". SHELLSSO_PICKER=fzf draws it with fzf.'
        ),
    )
    p.add_argument("query", nargs="*", metavar="WORD", help="the first query")
    p.add_argument("--switch", metavar="SHELL", choices=SHELLS,
                   help="print the code that switches this shell (bash, zsh, fish) to the choice")
    p.add_argument("--filter", action="store_true",
                   help="no picker: print the names matching the WORDs, best first")
    p.set_defaults(handler=("shellsso.commands.pick", "run"))


def _add_keys(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "keys",
        help="list the long-lived access keys still here, and retire them",
        description=(
            "List every long-lived access key (an access key id without a session token) "
            "in the credentials file, the config file and the environment: where it is, "
            "its id masked (AKIA...WXYZ), and, where STS and IAM answer, the "
            "account, the IAM user, its age and its last use, with the SSO profiles that "
            "reach the same account. Never prints a secret. "
            "`shellsso keys retire PROFILE` replaces one with Identity Center."
        ),
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    # One handler: argparse lets the parent's defaults win over a sub-action's, so
    # `run` reads `keys_command` ("retire" or None).
    p.set_defaults(handler=("shellsso.commands.keys", "run"), keys_command=None)
    actions = p.add_subparsers(dest="keys_command", metavar="ACTION")
    retire = actions.add_parser(
        "retire",
        help="replace a static-key profile with an SSO profile under the same name",
        description=(
            "Replace the long-lived key of PROFILE with Identity Center, in this order: "
            "find (or take with --to) the SSO profile of the key's account, log in if "
            "needed and prove it works; rewrite PROFILE in the config so that "
            "`--profile PROFILE` keeps working, and remove the key from the credentials "
            "file (every other byte kept); then, with --deactivate or --delete, act on "
            "the key in IAM. The plan is shown first; on a terminal each irreversible "
            "step is asked. A failure before the files are written changes nothing; one in "
            "IAM leaves the files done, and `shellsso keys retire PROFILE --deactivate` (or "
            "--delete) finishes later, the key's id being remembered (never its secret)."
        ),
    )
    retire.add_argument("profile", metavar="PROFILE", help="the profile with a long-lived key")
    retire.add_argument("--to", metavar="SSO_PROFILE",
                        help="the SSO profile to use (default: the one reaching the key's account)")
    act = retire.add_mutually_exclusive_group()
    act.add_argument("--deactivate", action="store_true",
                     help="then set the key Inactive in IAM (reversible)")
    act.add_argument("--delete", action="store_true",
                     help="then delete the key in IAM (irreversible)")
    retire.add_argument("--dry-run", action="store_true", help="show the plan and change nothing")
    retire.add_argument("--yes", "-y", action="store_true",
                        help="do not ask, even on a terminal")


def _add_team(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "team",
        help="share one config fragment across a team: add, sync, list, remove",
        description=(
            "Take a team's shared config fragment (an [sso-session] and its profiles) "
            "into a block of the config that `team` owns, between\n"
            "  # shellsso team begin: NAME\n"
            "  # shellsso team end: NAME\n"
            "Only keys that choose sessions, accounts, roles and regions are taken; "
            "commands, endpoints, static keys and unknown keys are refused and nothing "
            "is written. Everything outside the block is kept byte for byte."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="take in a fragment from a file, an https:// URL or git+URL#PATH",
        description=(
            "Take in a shared fragment. SOURCE is a file path, an https:// URL, or "
            "git+URL#PATH: the file PATH inside a git repository (any URL `git clone` "
            "takes), cloned into shellsso's cache. The changes are shown first; on a "
            "terminal you are asked before anything is written."
        ),
    )
    add.add_argument("source", metavar="SOURCE", help="file, https:// URL or git+URL#PATH")
    add.add_argument("--name", metavar="N",
                     help="the block's name (default: the source's file name without extension)")
    add.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    add.add_argument("--yes", "-y", action="store_true", help="write without asking")
    add.set_defaults(handler=("shellsso.commands.team", "run_add"))
    sync = actions.add_parser(
        "sync", help="fetch the fragments again and rewrite their blocks",
        description="Fetch each fragment (or only N) again from its source; show the "
                    "changes first and rewrite the block.",
    )
    sync.add_argument("name", nargs="?", metavar="N", help="only this fragment (default: all)")
    sync.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sync.add_argument("--yes", "-y", action="store_true", help="write without asking")
    sync.set_defaults(handler=("shellsso.commands.team", "run_sync"))
    listing = actions.add_parser(
        "list", help="the fragments taken in, with their sources and profiles",
        description="List the team fragments in the config: name, source, profiles.",
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=("shellsso.commands.team", "run_list"))
    remove = actions.add_parser(
        "remove", help="take a fragment's block out of the config",
        description="Remove the block of fragment N; every other byte stays.",
    )
    remove.add_argument("name", metavar="N", help="the fragment to remove")
    remove.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    remove.add_argument("--yes", "-y", action="store_true", help="write without asking")
    remove.set_defaults(handler=("shellsso.commands.team", "run_remove"))


def _add_serve(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="a local credentials endpoint (container provider) for long-running processes",
        description=(
            "Serve the profile's temporary credentials on 127.0.0.1 in the format of the "
            "container credentials provider, which every AWS SDK and the AWS CLI read "
            "and refresh by themselves. First prints AWS_CONTAINER_CREDENTIALS_FULL_URI "
            "and AWS_CONTAINER_AUTHORIZATION_TOKEN (the token is a secret: a request "
            "without it is refused), then serves until Ctrl-C, SIGTERM, or the exit of "
            "the shell that started it."
        ),
    )
    _add_profile_option(p, "profile (default: the active one)")
    from shellsso.emulator.options import port_number

    p.add_argument("--port", type=port_number, default=0, metavar="N",
                   help="port on 127.0.0.1 (default: 0 = a free one)")
    p.add_argument("--format", "-f", choices=VARIABLE_FORMATS, default=DEFAULT_FORMAT,
                   help=f"how to print the two variables, as for export (default: "
                        f"{DEFAULT_FORMAT})")
    p.set_defaults(handler=("shellsso.commands.serve", "run"))


class Parser(argparse.ArgumentParser):
    """argparse's parser, with "did you mean" for a misspelled command or option."""

    def parse_args(self, args: Optional[Sequence[str]] = None,  # type: ignore[override]
                   namespace: Optional[argparse.Namespace] = None) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # said by the subcommand's parser: its usage, its options
            owner = self._subcommand(getattr(parsed, "command", None)) or self
            owner.error(f"unrecognized arguments: {' '.join(extras)}"
                        f"{_option_hint(extras, owner)}")
        return parsed

    def _subcommand(self, name: Optional[str]) -> Optional[argparse.ArgumentParser]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                found: argparse.ArgumentParser = action.choices[name]
                return found
        return None

    def error(self, message: str) -> NoReturn:
        choice = re.match(r"(.*invalid choice: '([^']*)') \(choose from (.*)\)$", message)
        if choice:
            from shellsso.core.output import close_names

            names = re.findall(r"'([^']*)'", choice.group(3))
            close = close_names(choice.group(2), names)
            if close:
                message = f"{choice.group(1)} (did you mean {' or '.join(close)}?)"
        super().error(message)


def _option_hint(extras: List[str], parser: argparse.ArgumentParser) -> str:
    """` (did you mean --profile?)` for the misspelled options among `extras`."""
    from shellsso.core.output import close_names

    options = [o for action in parser._actions for o in action.option_strings
               if o.startswith("--")]
    close: List[str] = []
    for word in extras:
        if word.startswith("--"):
            close += [o for o in close_names(word.split("=", 1)[0], options)[:1]
                      if o not in close]
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, for argparse and argcomplete."""
    parser = Parser(
        prog="shellsso",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"shellsso {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks on errors (also accepted after the subcommand)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_login, _add_logout, _add_status, _add_list, _add_export,
                _add_credential_process, _add_configure, _add_populate, _add_doctor,
                _add_console, _add_exec, _add_keys, _add_team, _add_serve, _add_pick,
                _add_init, _add_emulator, _add_demo):
        add(sub)
    return parser
