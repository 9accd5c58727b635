"""`shellsso keys retire PROFILE`: a static-key profile becomes an SSO one under the same name.

In this order, each step only after the one before succeeded:

(a) the SSO profile for the key's account (`--to`, or the one profile that
    reaches it; several are asked for on a terminal), logged in if needed, and
    its role credentials fetched: proof that Identity Center serves the account;
(b) PROFILE rewritten in the config with the SSO profile's sso_session (or
    legacy start URL and region), sso_account_id and sso_role_name, so that
    `--profile PROFILE` resolves through SSO in botocore itself, and the key
    lines (aws_access_key_id, aws_secret_access_key) removed from the config
    and the credentials file; a credentials section left empty goes too. The
    config is written first: from then on botocore's SSO provider, which comes
    before the credentials file's keys, serves PROFILE. No backup or temp file
    holding the secret is left (the config's backup is kept without the key);
(c) with --deactivate or --delete, the key set Inactive or deleted in IAM,
    with the key itself, else with the SSO role's credentials (an
    administrator's role may manage users' keys where the key may not).

The plan is shown first. Removing a secret from disk and deleting a key
cannot be undone: on a terminal each step is asked (`--yes` skips the
questions); elsewhere nothing is done without --yes. A failure before (b)
changes nothing; a failure in (c) leaves the files done, files the key id in
shellsso's cache (keys/known.py) and names the one command that finishes.
"""

from __future__ import annotations

import sys

from shellsso.awsconfig.edit import ConfigFile, profile_header
from shellsso.awsconfig.model import AwsConfig, load_config, setting_text
from shellsso.core import paths
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.output import info, terminal_at
from shellsso.core.questions import ask_yes
from shellsso.core.safety import shown
from shellsso.core.trust import quoted
from shellsso.keys import iam, inventory, known

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from shellsso.awsconfig.edit import Document
    from shellsso.awsconfig.model import SsoTarget
    from shellsso.creds.role_credentials import Credentials
    from shellsso.keys.inventory import Key

KEY_LINES = [inventory.KEY_ID, inventory.SECRET]
NOTHING = "nothing was changed"
REFUSED_KEYS = ("role_arn", "credential_process", "web_identity_token_file", "credential_source")


class Options:
    """The command line, as retire reads it."""

    def __init__(self, profile: str, to: Optional[str], deactivate: bool, delete: bool,
                 dry_run: bool, yes: bool) -> None:
        self.profile = profile
        self.to = to
        self.deactivate = deactivate
        self.delete = delete
        self.dry_run = dry_run
        self.yes = yes

    @property
    def iam_action(self) -> Optional[str]:
        return "delete" if self.delete else "deactivate" if self.deactivate else None


def _out(line: str = "") -> None:
    sys.stdout.write(shown(line) + "\n")
    sys.stdout.flush()


def _terminal() -> bool:
    return terminal_at(sys.stdin, sys.stderr)


def _fail(message: str) -> ShellssoError:
    return ShellssoError(f"{message}; {NOTHING}")


# --- (a) the SSO profile ---------------------------------------------------------------------


def _check_profile(config: AwsConfig, name: str) -> None:
    values = config.get(name)  # ProfileNotFound with close matches
    odd = [key for key in REFUSED_KEYS if key in values]
    if odd:
        raise _fail(f"profile '{name}' has {odd[0]}: retire takes a profile whose credentials "
                    "are its static keys alone")


def _choose(config: AwsConfig, account: Optional[str], options: Options,
            why_unknown: Optional[str], masked: str) -> str:
    """The SSO profile to copy: --to, or the one reaching the account (asked among several)."""
    reach = inventory.sso_profiles_by_account(config)
    if options.to is not None:
        target = _direct_target(config, options.to)
        if account is not None and target.account_id != account:
            raise _fail(f"--to {options.to} reaches account {target.account_id}, but key "
                        f"{masked} belongs to account {account}")
        return options.to
    if account is None:
        raise _fail(f"cannot learn the account of key {masked} ({why_unknown}); name the SSO "
                    "profile to use with --to SSO_PROFILE")
    found = [name for name in reach.get(account, []) if name != options.profile]
    if not found:
        how = "shellsso populate" if len(config.sessions) else "shellsso configure"
        raise _fail(f"no SSO profile in {config.source} reaches account {account}: run "
                    f"`{how}` to write one, then run this again")
    if len(found) == 1:
        return found[0]
    if options.yes or not _terminal():
        raise _fail(f"{len(found)} SSO profiles reach account {account} ({', '.join(found)}): "
                    "choose one with --to SSO_PROFILE")
    return _ask_choice(found, account)


def _ask_choice(names: List[str], account: str) -> str:
    sys.stderr.write(shown(f"Several SSO profiles reach account {account}:") + "\n")
    for number, name in enumerate(names, 1):
        sys.stderr.write(shown(f"  {number}) {name}") + "\n")
    sys.stderr.write("Which one should the profile use? [number] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip()
    if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= len(names):
        return names[int(answer) - 1]
    raise _fail("no profile chosen")


def _direct_target(config: AwsConfig, name: str) -> SsoTarget:
    """The profile's own SSO role; anything else is refused as a --to."""
    from shellsso.core.errors import ConfigError

    config.get(name)
    try:
        target = config.sso_target(name)
    except ConfigError as exc:
        raise _fail(exc.message) from None
    if target is None or target.profile != name or not target.account_id \
            or not target.role_name:
        raise _fail(f"profile '{name}' does not log in with SSO to a role of its own "
                    "(sso_account_id and sso_role_name)")
    return target


def _sso_keys(config: AwsConfig, target: SsoTarget, profile: str) -> Dict[str, str]:
    """The keys PROFILE gets: the SSO profile's session (or legacy URL), account, role,
    and its region when PROFILE has none."""
    values: Dict[str, str] = {}
    if target.session_name is not None:
        values["sso_session"] = target.session_name
    else:
        values.update(sso_start_url=target.start_url, sso_region=target.region)
    assert target.account_id is not None and target.role_name is not None
    values.update(sso_account_id=target.account_id, sso_role_name=target.role_name)
    region = setting_text(config.get(target.profile), "region")
    if region and not setting_text(config.get(profile), "region"):
        values["region"] = region
    return values


# --- (b) the files ---------------------------------------------------------------------------


def _held(document: Document, source: str, path: str, profile: str) -> List[str]:
    """The ids of the long-lived keys PROFILE holds in this text, as botocore reads it."""
    return [key.key_id for key in inventory.from_text(source, path, document.text)
            if key.profile == profile]


def _same_keys(document: Document, source: str, path: str, profile: str,
               planned: List[str]) -> None:
    """Refuse to remove a key the user did not see in the plan: the file was edited by hand
    (a key rotated) while the command asked or logged in."""
    for key_id in _held(document, source, path, profile):
        if key_id not in planned:
            raise ShellssoError(f"{path} changed while this command ran: profile '{profile}' "
                                f"now holds key {inventory.mask(key_id)}, which the plan did "
                                "not name; run it again")


def _none_left(document: Document, source: str, path: str, profile: str) -> None:
    """After the edit, PROFILE must hold no key in this file, as botocore reads it: a
    `[DEFAULT]` section gives its key to every section, and is not PROFILE's to edit."""
    left = _held(document, source, path, profile)
    if left:
        raise ShellssoError(f"key {inventory.mask(left[0])} of profile '{profile}' is not in "
                            f"the profile's own section of {path} (a [DEFAULT] section gives "
                            "it to every profile): take it out by hand, then run this again")


def _config_edit(profile: str, values: Dict[str, str], planned: List[str]) -> Any:
    path = paths.config_file()

    def edit(document: Document) -> None:
        _same_keys(document, inventory.CONFIG, path, profile, planned)
        found = document.find_profile(profile)
        header = found[0] if found is not None else profile_header(profile)
        document.set_keys(header, values)
        document.remove_keys(header, KEY_LINES)
        _none_left(document, inventory.CONFIG, path, profile)
    return edit


def _scrub(profile: str) -> Any:
    def scrub(document: Document) -> None:
        found = document.find_profile(profile)
        if found is not None:
            document.remove_keys(found[0], KEY_LINES)
    return scrub


def _credentials_edit(profile: str, planned: List[str]) -> Any:
    path = paths.credentials_file()

    def edit(document: Document) -> None:
        _same_keys(document, inventory.CREDENTIALS, path, profile, planned)
        document.remove_keys(profile, KEY_LINES)
        document.remove_section_if_empty(profile)
        _none_left(document, inventory.CREDENTIALS, path, profile)
    return edit


def _check_writable(files: List[ConfigFile]) -> None:
    """Both files writable before anything is asked, fetched or written."""
    import os

    for file in files:
        try:
            file.check_writable()
        except ShellssoError as exc:
            raise ShellssoError(exc.message.replace("nothing was written", NOTHING)) from None
        for folder in file.folders():
            if os.path.isdir(folder) and not os.access(folder, os.W_OK):
                raise _fail(f"cannot write {file.path}: its folder {folder} is not writable")


def _check_edits(profile: str, planned: List[str], in_config: bool, in_credentials: bool
                 ) -> None:
    """Both files' edits tried in memory, before anything is asked, fetched or written."""
    import os

    for path, holds in ((paths.credentials_file(), in_credentials),
                        (paths.config_file(), in_config)):
        try:
            links = os.stat(path).st_nlink if holds else 1
        except OSError:
            continue
        if links > 1:  # the rewrite is a new inode: the other names would keep the secret
            raise _fail(f"{path} has {links} names (hard links): the others would keep the "
                        f"secret after the rewrite; find them with `find ~ -samefile "
                        f"{quoted(path)}`, remove them, then run this again")
    try:
        if in_credentials:
            document = ConfigFile(paths.credentials_file(), backup=False).read()[0]
            _credentials_edit(profile, planned)(document)
        if in_config:
            document = ConfigFile().read()[0]
            _scrub(profile)(document)
            _none_left(document, inventory.CONFIG, paths.config_file(), profile)
    except ShellssoError as exc:
        raise _unchanged(exc) from None


def _rewrite(profile: str, values: Dict[str, str], planned: List[str], in_config: bool,
             in_credentials: bool) -> None:
    """(b): the config, then the credentials file; a failure of the second undoes the first.

    Each file must still hold the keys the plan named (`planned`), no other:
    the credentials file is checked before the config is written, and both
    again as they are written.
    """
    credentials = ConfigFile(paths.credentials_file(), backup=False)
    config = ConfigFile()
    try:
        if in_credentials:
            _credentials_edit(profile, planned)(credentials.read()[0])
        (_, before) = config.read()
        config.update(_config_edit(profile, values, planned), allow_names=(profile,),
                      scrub_backup=_scrub(profile) if in_config else None)
    except ShellssoError as exc:
        raise _unchanged(exc) from None
    if not in_credentials:
        return
    try:
        credentials.update(_credentials_edit(profile, planned))
    except ShellssoError as exc:
        try:
            config.update(_restore((before or b"").decode("utf-8", "surrogateescape")),
                          allow_names=(profile,))
        except ShellssoError as undo:
            raise ShellssoError(f"{exc.message}; and the config could not be put back "
                                f"({undo.message}): profile '{profile}' uses SSO, and its key "
                                f"is still in {paths.credentials_file()}") from None
        raise _unchanged(exc) from None


def _unchanged(exc: ShellssoError) -> ShellssoError:
    """A writer's refusal, said as retire says it: ending `nothing was changed`."""
    message = exc.message.replace("; nothing was written", "")
    return ShellssoError(message if message.endswith(NOTHING) else f"{message}; {NOTHING}",
                         exc.status)


def _restore(text: str) -> Any:
    """An edit that puts the config's earlier text back, line for line."""
    from shellsso.awsconfig import ini

    def edit(document: Document) -> None:
        document.lines[:] = ini.split_lines(text)
    return edit


# --- (c) IAM ---------------------------------------------------------------------------------


def _iam_step(options: Options, key_id: str, secret: Optional[str], facts: iam.Facts,
              role: Optional[Credentials], via: str) -> int:
    """Deactivate or delete the key; on failure, file it and name the command that finishes."""
    action = options.iam_action
    assert action is not None
    masked = inventory.mask(key_id)
    done = "deleted" if action == "delete" else "set Inactive"
    finish = f"{inventory.retire_command(options.profile)} --{action}"
    question = (f"Delete key {masked} in IAM? This cannot be undone" if action == "delete"
                else f"Set key {masked} Inactive in IAM (reversible)?")
    entry = {"keyId": key_id, "account": facts.account or "", "user": facts.user or "",
             "via": via}
    if not options.yes and not ask_yes(question, default=False):
        known.set_pending(options.profile, entry)
        _out(f"Left to do: key {masked} is still in IAM; to finish: {finish}")
        return ExitStatus.ERROR
    reasons: List[str] = []
    attempts: List[Tuple[str, Tuple[str, str, Optional[str]], Optional[str]]] = []
    if secret:
        attempts.append(("the key itself", (key_id, secret, None), None))
    if role is not None and facts.user and facts.user != "root":
        attempts.append((f"the credentials of '{via}'", (role.access_key_id,
                         role.secret_access_key, role.session_token), facts.user))
    for label, creds, user in attempts:
        try:
            iam.change_key(creds, key_id, user, action == "delete")
        except ShellssoError as exc:
            reasons.append(f"with {label}: {exc.message}")
            continue
        known.set_pending(options.profile, None)
        _out(f"Key {masked} {done} in IAM (with {label}).")
        return ExitStatus.OK
    if not attempts:
        reasons.append("no credentials can act on it (the IAM user is unknown)")
    known.set_pending(options.profile, entry)
    raise ShellssoError(f"the files are done, but key {masked} was not {done} in IAM: "
                        f"{'; '.join(reasons)}. Left to do: {action} key {masked}; to finish: "
                        f"{finish}")


def _finish_pending(config: AwsConfig, options: Options, entry: Dict[str, str]) -> int:
    """A retirement whose files are done: the IAM step alone, with PROFILE's SSO credentials."""
    from shellsso.creds.resolve import get_role_credentials

    masked = inventory.mask(entry["keyId"])
    action = options.iam_action
    _out(f"Profile '{options.profile}' already uses SSO; its key {masked} (account "
         f"{entry['account'] or 'unknown'}) is left to {action} in IAM.")
    if options.dry_run:
        _out("Dry run: nothing was changed.")
        return ExitStatus.OK
    _require_consent(options)
    role = get_role_credentials(config, options.profile)
    facts = iam.Facts()
    facts.account, facts.user = entry["account"] or None, entry.get("user") or None
    return _iam_step(options, entry["keyId"], None, facts, role, options.profile)


def _require_consent(options: Options) -> None:
    if not options.yes and not _terminal():
        raise _fail("not on a terminal: removing a key from disk and changing it in IAM "
                    "cannot be undone, so they are asked first; run again with --yes to do "
                    "them without asking (or --dry-run to see the plan)")


# --- the whole ---------------------------------------------------------------------------------


def _elsewhere(every: List[Key], profile: str, key_ids: List[str]) -> List[Key]:
    """The other places that hold one of these keys: other profiles, the environment."""
    return [key for key in every if key.key_id in key_ids
            and (key.source == inventory.ENVIRONMENT or key.profile != profile)]


def _places(keys: List[Key]) -> str:
    return ", ".join("AWS_ACCESS_KEY_ID in the environment" if key.source == inventory.ENVIRONMENT
                     else f"profile '{key.profile}' of the {key.source} file" for key in keys)


def _refuse_shared(options: Options, key_id: str, others: List[Key]) -> None:
    """No IAM step on a key that stays in use elsewhere: it would break that place silently."""
    if others and options.iam_action is not None:
        verb = "deleting" if options.iam_action == "delete" else "setting it Inactive"
        raise _fail(f"key {inventory.mask(key_id)} is also in {_places(others)}: {verb} would "
                    f"break that too; retire that one as well, or run this without "
                    f"--{options.iam_action}")


def retire(options: Options) -> int:
    config = load_config()
    every = inventory.find_keys()
    keys = [key for key in every
            if key.source != inventory.ENVIRONMENT and key.profile == options.profile]
    if not keys:
        entry = known.pending(options.profile)
        if entry is not None and options.iam_action is not None:
            _refuse_shared(options, entry["keyId"],
                           _elsewhere(every, options.profile, [entry["keyId"]]))
            return _finish_pending(config, options, entry)
        config.get(options.profile)  # a missing profile: said with close matches
        if entry is not None:
            raise ShellssoError(f"profile '{options.profile}' already uses SSO; its former key "
                                f"{inventory.mask(entry['keyId'])} may still be active in IAM: "
                                "add --deactivate or --delete to act on it")
        raise ShellssoError(f"profile '{options.profile}' holds no long-lived access key "
                            "(`shellsso keys` lists those that are left)")
    _check_profile(config, options.profile)
    in_config = any(key.source == inventory.CONFIG for key in keys)
    in_credentials = any(key.source == inventory.CREDENTIALS for key in keys)
    files = [ConfigFile()] + ([ConfigFile(paths.credentials_file(), backup=False)]
                              if in_credentials else [])
    _check_writable(files)
    key = next(k for k in keys if k.source == inventory.CREDENTIALS) if in_credentials \
        else keys[0]  # botocore uses the credentials file's keys first
    planned = [k.key_id for k in keys]
    others = _elsewhere(every, options.profile, planned)
    _refuse_shared(options, key.key_id, _elsewhere(every, options.profile, [key.key_id]))
    _check_edits(options.profile, planned, in_config, in_credentials)
    facts = iam.learn_all([key])[0]
    account = facts.account or key.account_id
    target_name = _choose(config, account, options, facts.why_unknown(iam.ACCOUNT), key.masked)
    target = _direct_target(config, target_name)
    values = _sso_keys(config, target, options.profile)
    _show_plan(options, keys, key, facts, account, target, values, others)
    if options.dry_run:
        _out("Dry run: nothing was changed.")
        return ExitStatus.OK
    _require_consent(options)
    role = _prove(config, target)
    if account is None:
        account = _check_account(key, role, target)
    question = (f"Rewrite profile '{options.profile}' to use '{target.profile}' and remove its "
                "key from the files? The secret key cannot be recovered afterwards")
    if not options.yes and not ask_yes(question, default=False):
        raise _fail("not confirmed")
    pending = {"keyId": key.key_id, "account": account or "", "user": facts.user or "",
               "via": target.profile}
    known.set_pending(options.profile, pending)  # first: a kill after the files keeps it
    try:
        _rewrite(options.profile, values, planned, in_config, in_credentials)
    except ShellssoError:
        known.set_pending(options.profile, None)  # the key is still in the files
        raise
    gone = f"key {key.masked} is still in {_places(others)}" if others \
        else "its key is no longer on disk"
    _out(f"Profile '{options.profile}' now uses SSO ('{target.profile}': account "
         f"{target.account_id}, role {target.role_name}); {gone}.")
    if options.iam_action is None:
        _out(f"Key {key.masked} is still active in IAM: to deactivate it, run "
             f"`{inventory.retire_command(options.profile)} --deactivate` (or do it in the "
             "console).")
        return ExitStatus.OK
    return _iam_step(options, key.key_id, key.secret, facts, role, target.profile)


def _prove(config: AwsConfig, target: SsoTarget) -> Credentials:
    """(a): the SSO profile's role credentials, logging in if needed; else nothing changes."""
    from shellsso.creds.resolve import get_role_credentials

    info(shown(f"Getting credentials for '{target.profile}' (account {target.account_id}, "
               f"role {target.role_name})..."))
    try:
        role = get_role_credentials(config, target.profile)
    except ShellssoError as exc:
        raise ShellssoError(f"{exc.message}; {NOTHING}", exc.status) from None
    if role.account_id not in (None, target.account_id):
        raise _fail(f"the credentials of '{target.profile}' are for account {role.account_id}")
    return role


def _check_account(key: Key, role: Credentials, target: SsoTarget) -> str:
    """The key's account asked with the SSO role's credentials, when the key could not say:
    a --to in another account is refused before any file changes."""
    creds = (role.access_key_id, role.secret_access_key, role.session_token)
    region = iam.region_for(key, iam.regions_of_profiles())
    account, why = iam.account_of_key(creds, key.key_id, region)
    if account is None:  # retire never moves a profile to an account not shown to be its key's
        raise _fail(f"the account of key {key.masked} cannot be learnt ({why}), so nothing "
                    f"shows that '{target.profile}' reaches it: if you know it, add "
                    f"aws_account_id = ACCOUNT beside the key in {key.path}, then run this "
                    "again")
    if account != target.account_id:
        raise _fail(f"key {key.masked} belongs to account {account} (sts:GetAccessKeyInfo), "
                    f"but --to {target.profile} reaches account {target.account_id}")
    return account


def _show_plan(options: Options, keys: List[Key], key: Key, facts: iam.Facts,
               account: Optional[str], target: SsoTarget, values: Dict[str, str],
               others: List[Key]) -> None:
    who = ", ".join(part for part in (f"account {account}" if account else "",
                                      f"IAM user {facts.user}" if facts.user else "") if part)
    _out(f"Retiring key {key.masked} of profile '{options.profile}'"
         + (f" ({who})" if who else "") + ":")
    if account is None:
        _out(f"  (its account is unknown: {facts.why_unknown(iam.ACCOUNT)}; it is asked with "
             "the SSO profile's credentials before any file changes)")
    session = (f"sso-session '{target.session_name}'" if target.session_name is not None
               else f"start URL {target.start_url}")
    _out(f"  1. use SSO profile '{target.profile}' (account {target.account_id}, role "
         f"{target.role_name}, {session}): log in if needed and fetch its credentials")
    where = " and ".join(f"{k.source} file {k.path}" for k in keys)
    _out(f"  2. set {', '.join(values)} in [{profile_header(options.profile)}] of "
         f"{paths.config_file()}, and remove {' and '.join(KEY_LINES)} of profile "
         f"'{options.profile}' from the {where}")
    for other in keys:
        if other.key_id != key.key_id:
            _out(f"  (the {other.source} file's other key {other.masked} leaves the files too, "
                 "but IAM is not asked to change it: botocore used the credentials file's)")
    if others:
        _out(f"  (the key stays in {_places(others)}: only profile '{options.profile}' is "
             "retired)")
    action = options.iam_action
    if action is None:
        _out(f"  (key {key.masked} stays active in IAM: add --deactivate or --delete to act "
             "on it)")
    else:
        what = f"delete key {key.masked}" if action == "delete" else \
            f"set key {key.masked} Inactive"
        _out(f"  3. {what} in IAM, with the key itself (else with the credentials of "
             f"'{target.profile}')")
