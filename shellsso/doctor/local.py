"""`shellsso doctor` checks that read only the environment and files.

In the order botocore meets things (docs/protocol.md §8): credentials in the
environment, the config and credentials files, the profile and its
`source_profile` chain, then the SSO token cache. Each check is one small
function taking the shared Context and returning findings; a later check
uses what an earlier one stored in the Context and says nothing when an
earlier finding already explains the failure.
"""

from __future__ import annotations

import os
import shlex
import stat
from typing import Any, List, Optional, Tuple

from shellsso.awsconfig.ini import parse_ini, read_text
from shellsso.awsconfig.model import AwsConfig, load_config, setting_text
from shellsso.core import paths
from shellsso.core.clock import describe_remaining, until_text
from shellsso.core.errors import ConfigError, ShellssoError
from shellsso.core.files import read_json_object
from shellsso.core.output import close_names, did_you_mean
from shellsso.creds.assume import CREDENTIAL_SOURCES, BrokenChain, resolve_chain
from shellsso.creds.role_credentials import has_static_keys
from shellsso.doctor.findings import Context, Finding, error, info, ok, warning
from shellsso.sso.token_cache import REFRESH_WINDOW

ENV_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                   "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION")
SSO_KEYS = ("sso_session", "sso_start_url", "sso_account_id", "sso_role_name")
# Settings that take one value: an indented block under one of them is a mistake.
ONE_VALUE_KEYS = ("sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name",
                  "region", "source_profile", "credential_source", "role_arn", "credential_process",
                  "aws_access_key_id", "aws_secret_access_key", "aws_session_token")


def _q(path: str) -> str:
    return shlex.quote(path)


# --- the environment -------------------------------------------------------------------


def check_env_credentials(ctx: Context) -> List[Finding]:
    """Keys in the environment come before every profile, AWS_PROFILE or not."""
    names = [name for name in ENV_CREDENTIALS if os.environ.get(name)]
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and not secret:
        return [error("env.credentials-partial",
                      "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY: botocore stops "
                      "with PartialCredentialsError before it looks at any profile",
                      f"unset {' '.join(names)}")]
    if not key:
        return _env_web_identity(ctx) or [
            ok("env.ok", "no credentials in the environment override the profile")]
    listed = ", ".join(names)
    if (os.environ.get("_SHELLSSO_CREDS_KEY") == key
            and os.environ.get("_SHELLSSO_PROFILE") == ctx.profile):
        return [info("env.credentials-exported",
                     f"{listed} were exported by `awsuse {ctx.profile} --export`; tools use "
                     "them, and awsuse renews them")]
    ctx.env_credentials = bool(secret)
    if ctx.selected_by == "default":
        return [info("env.credentials",
                     f"no profile is selected: AWS tools use {listed} from the environment",
                     f"to use a profile instead: unset {' '.join(names)}; awsuse NAME")]
    if ctx.selected_by == "--profile":
        return [warning("env.credentials",
                        f"{listed} {'is' if len(names) == 1 else 'are'} set in the environment: "
                        f"`--profile {ctx.profile}` skips them, but every command without "
                        "--profile uses them instead of any profile",
                        f"unset {' '.join(names)}")]
    return [error("env.credentials",
                  f"{listed} {'is' if len(names) == 1 else 'are'} set in the environment: every "
                  f"AWS tool uses them instead of profile '{ctx.profile}' (environment "
                  "credentials come first; AWS_PROFILE does not change that)",
                  f"unset {' '.join(names)}   (or `awsuse --unset` if awsuse set them)")]


def _env_web_identity(ctx: Context) -> List[Finding]:
    if ctx.selected_by == "--profile":
        return []
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and os.environ.get("AWS_ROLE_ARN"):
        return [error("env.web-identity",
                      "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set: SDKs assume that "
                      f"role before they look at profile '{ctx.profile}'",
                      "unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE")]
    return []


def check_env_profiles(ctx: Context) -> List[Finding]:
    """The CLI v2 reads AWS_PROFILE first, boto3 AWS_DEFAULT_PROFILE (docs/protocol.md §1.2)."""
    first, second = os.environ.get("AWS_PROFILE"), os.environ.get("AWS_DEFAULT_PROFILE")
    if not first or not second or first == second:
        return []
    message = (f"AWS_PROFILE ({first}) and AWS_DEFAULT_PROFILE ({second}) disagree: the AWS "
               f"CLI v2 and shellsso use '{first}', boto3 and botocore use '{second}'")
    fix = "unset AWS_DEFAULT_PROFILE   (awsuse sets AWS_PROFILE)"
    if ctx.selected_by == "--profile":
        return [warning("env.profile-conflict", message, fix)]
    return [error("env.profile-conflict", message, fix)]


# --- the files -------------------------------------------------------------------------


def check_files(ctx: Context) -> List[Finding]:
    """Both files parse (file and line otherwise) and are not open to other users."""
    findings: List[Finding] = []
    for kind, path in (("config", paths.config_file()),
                       ("credentials", paths.credentials_file())):
        findings += _parse_file(kind, path) + _file_mode(kind, path)
    if any(f.level == "error" and f.id.endswith(".parse") for f in findings):
        return findings
    try:
        ctx.config = load_config()
    except ConfigError as exc:
        return [*findings, error("config.unreadable", exc.message,
                                 "fix the file named above")]
    if not findings:
        findings.append(_files_ok())
    return findings


def _files_ok() -> Finding:
    present = [path for path in (paths.config_file(), paths.credentials_file())
               if os.path.exists(path)]
    if not present:
        return ok("files.ok", f"no config file yet ({paths.config_file()})")
    return ok("files.ok", f"{' and '.join(present)} parse{'s' if len(present) == 1 else ''}, "
              "private to you")


def _parse_file(kind: str, path: str) -> List[Finding]:
    try:
        text = read_text(path)  # a regular file only, capped: a FIFO must not hang the doctor
    except ConfigError as exc:
        return [error(f"{kind}.parse", exc.message,
                      f"check the file's type, owner and mode: ls -l {_q(path)}")]
    if text is None:
        if os.path.islink(path):
            return [warning(f"{kind}.broken-link",
                            f"{path} is a symlink to a file that does not exist: AWS tools "
                            f"see no {kind} file", f"fix or remove the link: ls -l {_q(path)}")]
        return []
    try:
        parse_ini(text, path)
    except ConfigError as exc:
        return [error(f"{kind}.parse",
                      f"{exc.message} (botocore refuses the whole file: every profile fails)",
                      f"edit {path} at that line")]
    return []


def _file_mode(kind: str, path: str) -> List[Finding]:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return []
    if mode & 0o022:
        return [error(f"{kind}.permissions",
                      f"{path} is writable by other users (mode {mode:04o}): they can make your "
                      "AWS tools run their commands (credential_process)",
                      f"chmod 600 {_q(path)}")]
    if mode & 0o044:
        secret = kind == "credentials" or _holds_keys(path)
        what = "it holds access keys" if secret else "it names your accounts and roles"
        message = f"{path} is readable by other users (mode {mode:04o}); {what}"
        fix = f"chmod 600 {_q(path)}"
        return [error(f"{kind}.permissions", message, fix) if secret
                else warning(f"{kind}.permissions", message, fix)]
    return []


def _holds_keys(path: str) -> bool:
    try:
        return "aws_secret_access_key" in (read_text(path) or "").lower()
    except ConfigError:
        return False


# --- the profile -----------------------------------------------------------------------


def check_profile_exists(ctx: Context) -> List[Finding]:
    config = ctx.config
    if config is None:
        return []
    if ctx.profile in config.profiles:
        for key in ONE_VALUE_KEYS:  # as the other commands refuse it, before any check uses it
            try:
                config.text(ctx.profile, key)
            except ConfigError as exc:
                return [error("profile.nested-value", exc.message,
                              f"put the value of {key} on its line under the profile's header")]
        ctx.values = config.get(ctx.profile)
        return []
    names = config.names()
    some = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    listing = f"; profiles: {some}" if names else ""
    if ctx.selected_by == "default" and ctx.env_credentials:
        return []  # the environment's credentials serve, as check_env_credentials said
    if ctx.selected_by == "default":
        return [error("profile.not-found",
                      f"no profile is selected (AWS_PROFILE unset) and {config.source} has no "
                      "[default] profile: AWS tools find no credentials (\"Unable to locate "
                      "credentials\")",
                      "awsuse NAME, or export AWS_PROFILE=NAME" + listing
                      if names else "run `shellsso configure` to write a profile")]
    close = close_names(ctx.profile, names)
    fix = f"use {' or '.join(close)}" if close else ("pick one" + listing if names else
                                                     "run `shellsso configure`")
    if ctx.selected_by != "--profile":
        fix += f", or unset {ctx.selected_by}"
    return [error("profile.not-found", config.not_found_message(ctx.profile)
                  + f" (selected by {ctx.selected_by})", fix)]


def check_profile_chain(ctx: Context) -> List[Finding]:
    """`role_arn` profiles: follow source_profile to the first credentials, as botocore."""
    if ctx.config is None or ctx.values is None:
        return []
    if "role_arn" not in ctx.values:
        ctx.base = ctx.profile
        return []
    base, finding, roles = walk_chain(ctx.config, ctx.profile)
    ctx.base = base
    if finding is not None:
        return [finding]
    chain = " -> ".join(roles + ([base] if base and base not in roles else []))
    return [ok("profile.chain", f"role chain {chain} resolves")]


def walk_chain(config: AwsConfig, name: str) -> Tuple[Optional[str], Optional[Finding], List[str]]:
    """(profile supplying the first credentials, what breaks the chain, roles on the way).

    The chain is the one export follows (assume.resolve_chain); only the words differ.
    """
    try:
        chain = resolve_chain(config, name)
    except BrokenChain as broken:
        if broken.kind == "web-identity":  # a role from the host: no profile supplies it
            return None, None, broken.roles
        return None, _chain_finding(config, broken), broken.roles
    except ConfigError as exc:  # a nested value where the chain needs one
        return None, error("profile.chain-broken", exc.message,
                           "put the value on the line of its key"), [name]
    base = None if chain.source_kind == "credential_source" else chain.source
    return base, None, chain.roles


def _chain_finding(config: AwsConfig, broken: BrokenChain) -> Finding:
    """What the doctor says of a chain botocore cannot follow, and the fix."""
    current, value = broken.profile, broken.value
    if broken.kind == "cycle":
        loop = " -> ".join([*broken.roles, value])
        return error("profile.chain-loop",
                     f"the source_profile chain loops: {loop} (botocore: "
                     "InfiniteLoopConfigError)",
                     f"point source_profile of '{current}' at a profile with SSO or keys")
    if broken.kind == "credential_source":
        return error("profile.chain-broken",
                     f"profile '{current}' has credential_source '{value}', which is not valid",
                     f"use one of {', '.join(CREDENTIAL_SOURCES)}")
    if broken.kind == "missing":
        return error("profile.chain-broken",
                     f"source_profile '{value}' of profile '{current}' does not exist in "
                     f"{config.source}{did_you_mean(value, config.names())}",
                     f"correct source_profile under [profile {current}]")
    fix = "keep one of them" if broken.kind == "both" else (
        f"add source_profile = NAME under [profile {current}]")
    return error("profile.chain-broken", broken.message, fix)


def check_profile_sso(ctx: Context) -> List[Finding]:
    """The SSO keys of the profile that supplies the credentials."""
    config, base = ctx.config, ctx.base
    if config is None or base is None:
        return []
    values = config.get(base)
    problem = _sso_session_problem(config, base, values) or _sso_keys_problem(config, base,
                                                                                values)
    if problem is not None:
        return [problem]
    if not any(key in values for key in SSO_KEYS):
        found = _other_credentials(base, values)
        if found.level == "error" and ctx.env_credentials and ctx.selected_by == "default":
            return [info("profile.no-credentials", f"profile '{base}' has no credentials of "
                         "its own; the environment's serve")]
        return [found]
    try:
        target = config.sso_target(base)
    except ConfigError as exc:
        return [error("profile.sso-incomplete", exc.message, "correct the profile")]
    if target is None or not target.account_id or not target.role_name:
        return [_other_credentials(base, values)]  # SSO keys without a role: keys serve
    ctx.target = target
    where = f"account {target.account_id}, role {target.role_name}"
    if target.session_name is None:
        return [info("profile.sso-legacy",
                     f"profile '{base}' ({where}) keeps its start URL in the profile (legacy): "
                     "its token is never refreshed, a login lasts its 8 hours",
                     "move sso_start_url and sso_region into an [sso-session NAME] section "
                     "with sso_registration_scopes = sso:account:access, and set "
                     "sso_session = NAME in the profile")]
    return [ok("profile.ok", f"profile '{base}': {where} through sso-session "
               f"'{target.session_name}'")]


def _sso_session_problem(config: AwsConfig, base: str, values: Any) -> Optional[Finding]:
    name = setting_text(values, "sso_session")
    if name is None:
        return None
    if name not in config.sessions:
        return error("profile.sso-session-missing",
                     f"profile '{base}' names sso_session '{name}', but {config.source} has no "
                     f"[sso-session {name}] section{did_you_mean(name, config.sessions)}",
                     f"add [sso-session {name}] with sso_start_url and sso_region, or correct "
                     "sso_session")
    session = config.sessions[name]
    missing = [k for k in ("sso_start_url", "sso_region") if not setting_text(session, k)]
    if missing:
        return error("profile.sso-session-incomplete",
                     f"[sso-session {name}] is missing {', '.join(missing)}",
                     f"add {' and '.join(missing)} under [sso-session {name}]")
    for key in ("sso_start_url", "sso_region"):
        mine, theirs = setting_text(values, key), setting_text(session, key)
        if mine is not None and mine != theirs:
            return error("profile.sso-inconsistent",
                         f"{key} of profile '{base}' ({mine}) differs from [sso-session "
                         f"{name}] ({theirs}): botocore refuses the profile",
                         f"remove {key} from [profile {base}]")
    return None


def _sso_keys_problem(config: AwsConfig, base: str, values: Any) -> Optional[Finding]:
    account, role = setting_text(values, "sso_account_id"), setting_text(values, "sso_role_name")
    session = setting_text(values, "sso_session")
    if session is None and (account or role or setting_text(values, "sso_start_url")):
        missing = [k for k in ("sso_start_url", "sso_region") if not setting_text(values, k)]
        if missing:
            return error("profile.sso-incomplete",
                         f"profile '{base}' is configured to use SSO but is missing "
                         f"{', '.join(missing)}",
                         "add sso_session = NAME (an [sso-session NAME] section), or "
                         f"{' and '.join(missing)}")
    if bool(account) != bool(role):
        missing_key = "sso_role_name" if account else "sso_account_id"
        return error("profile.sso-incomplete",
                     f"profile '{base}' is configured to use SSO but is missing {missing_key}",
                     f"add {missing_key} under [profile {base}]")
    if not account and (session or setting_text(values, "sso_start_url")) and not (
            has_static_keys(values) or setting_text(values, "credential_process")):
        return error("profile.no-role",
                     f"profile '{base}' names an SSO session but no sso_account_id and "
                     "sso_role_name: it can log in, but gets no credentials",
                     "add sso_account_id and sso_role_name (`shellsso list` shows the profiles "
                     "that have them)")
    return None


def _other_credentials(base: str, values: Any) -> Finding:
    if has_static_keys(values):
        key_id = setting_text(values, "aws_access_key_id")
        if key_id and not (setting_text(values, "aws_session_token")
                           or setting_text(values, "aws_security_token")):
            return _long_lived_key(base, key_id)
        return ok("profile.ok", f"profile '{base}' uses static access keys")
    if setting_text(values, "credential_process"):
        return ok("profile.ok", f"profile '{base}' uses credential_process")
    if values.get("web_identity_token_file") or setting_text(values, "credential_source"):
        return ok("profile.ok", f"profile '{base}' gets its credentials from the host")
    return error("profile.no-credentials",
                 f"profile '{base}' has no SSO role, keys, role_arn or credential_process: "
                 "AWS tools find no credentials",
                 f"add sso_session, sso_account_id and sso_role_name under [profile {base}]")


def _long_lived_key(base: str, key_id: str) -> Finding:
    """A key with no session token works until someone deactivates it, wherever copies went.

    Its age is what `shellsso keys` last learnt from IAM (keys/known.py): the
    doctor itself asks no one.
    """
    import time

    from shellsso.keys import known
    from shellsso.keys.inventory import mask, retire_command

    created = known.created(key_id)
    age = "" if created is None else \
        f", made {max(0, int((time.time() - created) // 86400))} days ago"
    return warning("profile.long-lived-key",
                   f"profile '{base}' uses a long-lived access key ({mask(key_id)}{age}): it "
                   "works until someone deactivates it, for whoever has a copy",
                   f"{retire_command(base)}   (the same profile name, through "
                   "Identity Center)")


def check_region(ctx: Context) -> List[Finding]:
    """boto3 reads AWS_DEFAULT_REGION or the profile's region; the CLI v2 AWS_REGION too."""
    if ctx.values is None:
        return []
    region = setting_text(ctx.values, "region")
    if region:
        return _unknown_region(ctx.profile, region)
    if os.environ.get("AWS_DEFAULT_REGION"):
        return []
    fix = (f"add `region = REGION` under [profile {ctx.profile}]   (or `awsuse {ctx.profile} "
           "--region REGION`)")
    if os.environ.get("AWS_REGION"):
        return [warning("profile.no-region",
                        f"only AWS_REGION is set and profile '{ctx.profile}' has no region: the "
                        "AWS CLI v2 works, but boto3 and botocore read AWS_DEFAULT_REGION or "
                        "the profile's region and fail with NoRegionError", fix)]
    return [warning("profile.no-region",
                    f"profile '{ctx.profile}' has no region and AWS_DEFAULT_REGION is unset: "
                    "works with `aws --region`, but SDK code fails with NoRegionError (\"You "
                    "must specify a region\")", fix)]


def _unknown_region(profile: str, region: str) -> List[Finding]:
    """A region no partition knows is most often a typo: every call to it fails to connect."""
    from shellsso.awsconfig.regions import known_region

    known, close = known_region(region)
    if known:
        return []
    hint = f"did you mean {close[0]}? " if close else ""
    return [warning("profile.unknown-region",
                    f"profile '{profile}' has region '{region}', which no AWS partition knows: "
                    "calls to it fail to connect",
                    f"{hint}correct `region = ...` under [profile {profile}] (a region newer "
                    "than this shellsso works all the same)")]


# --- the SSO session ---------------------------------------------------------------------


def check_token(ctx: Context) -> List[Finding]:
    """The cached token: present, readable, for this start URL, and how long it lasts."""
    target = ctx.target
    if target is None:
        return []
    from shellsso.sso.token_cache import token_from_json, token_path

    path = token_path(target)
    data, problem = _read_json(path)
    if data is None and problem is None:
        return [error("session.token-missing", f"no SSO token for {target.label}: not logged in",
                      ctx.login_hint)]
    token = token_from_json(data) if data is not None else None
    if token is None:
        return [error("session.token-corrupt",
                      f"the token file {path} {problem or 'has no accessToken or expiresAt'}: "
                      "botocore fails on it with a bare KeyError",
                      f"rm {_q(path)}; then {ctx.login_hint}")]
    ctx.token = token
    if token.start_url and token.start_url != target.start_url:
        return [error("session.start-url-mismatch",
                      f"the cached token of {target.label} was issued for {token.start_url}, "
                      f"but the config says {target.start_url}", ctx.login_hint)]
    return _token_state(ctx, token)


def _token_state(ctx: Context, token: Any) -> List[Finding]:
    target, now = ctx.target, ctx.now
    assert target is not None
    remaining = token.remaining(now)
    until = until_text(token.expires_at, now)
    refreshable = target.session_name is not None and token.can_refresh(now)
    registration = _registration_finding(ctx, token)
    if remaining > REFRESH_WINDOW:
        ctx.token_usable = True
        return [ok("session.ok", f"token of {target.label} valid until {until} "
                   f"({describe_remaining(remaining)} left)"), *registration,
                *_no_refresh_finding(ctx, token)]
    if refreshable:
        when = f"expires at {until}" if remaining > 0 else f"expired at {until}"
        return [info("session.token-refreshable",
                     f"the token of {target.label} {when}; it is renewed silently on next use "
                     "(refresh token and client registration are valid)")]
    if remaining > 0:
        ctx.token_usable = True
        return [warning("session.token-expiring",
                        f"the token of {target.label} expires at {until} "
                        f"({describe_remaining(remaining)} left) and cannot be refreshed",
                        ctx.login_hint), *registration]
    why = " (legacy profiles never refresh)" if target.session_name is None else \
        " and cannot be refreshed"
    return [error("session.token-expired", f"the token of {target.label} expired at {until}{why}",
                  ctx.login_hint), *registration]


def _no_refresh_finding(ctx: Context, token: Any) -> List[Finding]:
    """An sso-session token without a refresh token ends in a login (docs/protocol.md §4.8)."""
    target = ctx.target
    if target is None or target.session_name is None or token.refresh_token:
        return []
    scopes = "" if target.scopes else (
        f"add sso_registration_scopes = sso:account:access under [sso-session "
        f"{target.session_name}], then ")
    return [info("session.no-refresh",
                 f"the token of {target.label} has no refresh token: when it expires, a login "
                 "is needed", f"{scopes}{ctx.login_hint} (a browser login gets one)")]


def _registration_finding(ctx: Context, token: Any) -> List[Finding]:
    expires = token.registration_expires_at
    if not token.refresh_token or expires is None or expires > ctx.now:
        return []
    return [warning("session.registration-expired",
                    f"the client registration behind the token expired at "
                    f"{until_text(expires, ctx.now)}: the token cannot be refreshed silently",
                    f"{ctx.login_hint}   (registers a new client)")]


def _read_json(path: str) -> Tuple[Optional[Any], Optional[str]]:
    """(object, None), (None, None) when absent, (None, why) when unreadable."""
    try:
        return read_json_object(path, "SSO token cache file")
    except ShellssoError:
        return None, "is refused: someone else can write it (see the cache findings)"


def check_cache_permissions(ctx: Context) -> List[Finding]:
    """Tokens and role credentials are secrets: their files must be the user's alone."""
    findings: List[Finding] = []
    for folder in (paths.sso_cache_dir(), paths.cli_cache_dir()):
        try:
            mode = stat.S_IMODE(os.stat(folder).st_mode)
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        if mode & 0o077:
            findings.append(warning("cache.folder-permissions",
                                    f"{folder} is open to other users (mode {mode:04o}): they "
                                    "can list which sessions and roles you use",
                                    f"chmod 700 {_q(folder)}"))
        open_files = [name for name in names if name.endswith(".json")
                      and _mode(os.path.join(folder, name)) & 0o077]
        if open_files:
            shown = ", ".join(open_files[:3]) + (", ..." if len(open_files) > 3 else "")
            findings.append(error("cache.file-permissions",
                                  f"{len(open_files)} file(s) in {folder} holding tokens or "
                                  f"credentials are readable by other users: {shown}",
                                  f"chmod 600 {_q(folder)}/*.json"))
    return findings


def _mode(path: str) -> int:
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
    except OSError:
        return 0


def check_shell(ctx: Context) -> List[Finding]:
    """zsh without a completion system: TAB after awsuse completes nothing.

    Only the shell knows; the zsh hook exports _SHELLSSO_ZSH_COMPSYS at each
    prompt (on once compinit has run, off until then).
    """
    if os.environ.get("_SHELLSSO_ZSH_COMPSYS") != "off":
        return []
    return [warning("shell.zsh-no-completion",
                    "zsh has no completion system: TAB does not complete profile names after "
                    "`awsuse`",
                    "add `autoload -Uz compinit && compinit` to ~/.zshrc (before or after "
                    "shellsso's line); it takes effect at the next prompt")]
