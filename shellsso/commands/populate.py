"""`shellsso populate`: a profile for every account and role an SSO session reaches.

The profiles live in a block that populate owns, between
`# shellsso populate begin: S` and `# shellsso populate end: S`; the block is
rewritten as a whole, everything outside it is kept byte for byte, and a name
that is in use outside it (a profile of the config, a section of the
credentials file) is skipped with a note, never overwritten, and so is an
account and role that a profile outside it already reaches through the same
session (the user's `dev` gets no twin `dev-administratoraccess`). Names come from
a template, cleaned into one safe word (a shell word and an INI header) and
made unique. The diff is shown before anything is written.

The block is found in the lines botocore sees, and must be one for botocore
too: the markers are comment lines of their own, the block holds profiles
only and no line of a section above it, and the first line after it that is
no comment or blank line is a header at the start of its line (a header
whatever came before). Otherwise rewriting it would change what botocore
reads outside it: it is refused, with one line naming the line to fix.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

from shellsso.awsconfig import blocks
from shellsso.awsconfig.edit import ConfigFile, Document, names_in_use
from shellsso.awsconfig.ini import profile_name, session_name
from shellsso.awsconfig.naming import DEFAULT_TEMPLATE, check_template, free_name, make_name
from shellsso.awsconfig.regions import known_region, require_region
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.output import terminal_at
from shellsso.core.questions import ask_yes
from shellsso.core.safety import visible

KIND = "populate"  # the markers: `# shellsso populate begin: SESSION` ... `end: SESSION`

Profile = Dict[str, str]


# --- the block -------------------------------------------------------------------------------


def _populate_header(header: str) -> bool:
    return profile_name(header) is not None


def find_block(doc: Document, session: str, path: str) -> Optional[Tuple[int, int]]:
    """(begin line, end line) of the session's block, or None; a broken block is an error
    (awsconfig.blocks: markers, and a block botocore reads as one)."""
    return blocks.find_block(doc, KIND, session, path, _populate_header, "populate")


def block_profiles(doc: Document, block: Optional[Tuple[int, int]]) -> Dict[str, Profile]:
    """The profiles inside the block, in file order."""
    return blocks.block_sections(doc, block, profile_name)


def reached_outside(doc: Document, block: Optional[Tuple[int, int]],
                    session: str) -> Dict[Tuple[str, str], str]:
    """{(account id, role): profile} for the config's profiles outside the block that
    reach an account and role through `session`: by `sso_session`, or a legacy profile
    that names the session's start URL. The first such profile in the file wins."""
    found: Dict[Tuple[str, str], str] = {}
    where = doc.find_session(session)
    start_url = doc.keys(where[1], where[2]).get("sso_start_url") if where else None
    for header, start, end in doc.sections():
        name = profile_name(header)
        if name is None or (block is not None and block[0] < start < block[1]):
            continue
        keys = doc.keys(start, end)
        through = keys.get("sso_session")
        if through != session and not (through is None and start_url is not None
                                        and keys.get("sso_start_url") == start_url):
            continue
        pair = (keys.get("sso_account_id", ""), keys.get("sso_role_name", ""))
        if all(pair):
            found.setdefault(pair, name)
    return found


def render_block(session: str, profiles: Dict[str, Profile], command: str) -> List[str]:
    return blocks.render_block(
        KIND, session, [f"Written by `{command}`; this block is rewritten on every run."],
        [(f"profile {name}", values) for name, values in profiles.items()])


# --- the plan --------------------------------------------------------------------------------


class Plan:
    """What populate will write, and how it differs from the block as it is."""

    def __init__(self) -> None:
        self.profiles: Dict[str, Profile] = {}
        self.added: List[str] = []
        self.changed: List[str] = []
        self.removed: List[str] = []
        self.stale_kept: List[str] = []
        self.skipped: List[Tuple[str, str, str]] = []  # (name, account and role, where)
        self.reached: List[Tuple[str, str, str]] = []  # (name, account and role, profile)
        self.unchanged = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def plan(session: str, reached: Sequence[Tuple[str, str, str]], old: Dict[str, Profile],
         outside: Dict[str, str], template: str, region: str, prune: bool,
         covered: Optional[Dict[Tuple[str, str], str]] = None) -> Plan:
    """The new block from (account id, account name, role) triples and the old block.

    `outside`: the names in use outside the block, and where (awsconfig.edit.names_in_use);
    `covered`: the accounts and roles a profile outside the block reaches (reached_outside).
    """
    result = Plan()
    wanted = {(acc, role) for acc, _, role in reached}
    covered = covered or {}
    for acc, acc_name, role in reached:
        if (acc, role) in covered:
            result.reached.append((make_name(template, session, acc, acc_name, role),
                                   f"{acc} {role}", covered[(acc, role)]))
    reached = [(acc, name, role) for acc, name, role in reached if (acc, role) not in covered]
    stale = {name: values for name, values in old.items()
             if (values.get("sso_account_id", ""), values.get("sso_role_name", "")) not in wanted
             and name not in outside}
    kept_stale = {} if prune else stale
    taken = set(outside) | set(kept_stale)
    first: Dict[str, int] = {}
    names: List[str] = []
    for acc, acc_name, role in reached:
        name = make_name(template, session, acc, acc_name, role)
        names.append(name)
        first[name] = first.get(name, 0) + 1
    generated: Dict[str, Profile] = {}
    for (acc, acc_name, role), name in zip(reached, names):
        if name in outside:
            result.skipped.append((name, f"{acc} {role}", outside[name]))
            continue
        name = free_name(name, acc, taken, shared=first[name] > 1)
        taken.add(name)
        generated[name] = {"sso_session": session, "sso_account_id": acc,
                           "sso_role_name": role,
                           # one line, whatever the portal sent: it becomes an INI value
                           "sso_account_name": " ".join(acc_name.split()) or acc,
                           "region": region}
    result.profiles = {**generated, **kept_stale}
    for name, values in generated.items():
        if name not in old:
            result.added.append(name)
        elif old[name] != values:
            result.changed.append(name)
        else:
            result.unchanged += 1
    result.removed = [n for n in old if n not in result.profiles]
    result.stale_kept = [n for n in kept_stale if n not in generated]
    return result


def format_plan(p: Plan, old: Dict[str, Profile], config: str) -> str:
    lines = blocks.change_lines(
        p.added, p.changed, p.removed, old, p.profiles,
        lambda v: f"{v.get('sso_account_id', '?')} {v.get('sso_role_name', '?')}")
    for name in p.stale_kept:
        lines.append(f"! {name}: its account or role is no longer reachable; kept "
                     "(--prune removes it)")
    for name, what, where in p.skipped:
        place = "outside the populate block" if where == config else f"in {where}"
        lines.append(f"note: {name} ({what}) skipped: a profile of that name exists {place}")
    for name, what, profile in p.reached:
        lines.append(f"note: {name} ({what}) skipped: profile '{profile}' outside the populate "
                     "block reaches it")
    skipped = len(p.skipped) + len(p.reached)
    lines.append(f"{len(p.added)} to add, {len(p.changed)} to change, {len(p.removed)} to "
                 f"remove, {p.unchanged} unchanged"
                 + (f", {skipped} skipped" if skipped else ""))
    # Old values come from the config file, names from the portal: one terminal-safe line each.
    return "\n".join(visible(line) for line in lines)


# --- the command -----------------------------------------------------------------------------


def command_line(args: argparse.Namespace) -> str:
    words = ["shellsso populate", "--sso-session", args.sso_session]
    if args.naming != DEFAULT_TEMPLATE:
        words += ["--naming", args.naming]
    if args.region:
        words += ["--region", args.region]
    import shlex

    return " ".join(words[:1] + [shlex.quote(w) for w in words[1:]])


def reach(session_name: str, progress: bool) -> Tuple[List[Tuple[str, str, str]], str, int]:
    """(account id, account name, role) for everything the session reaches, the SSO
    region, and how many throttled calls were retried."""
    from shellsso.awsconfig.model import load_config
    from shellsso.sso.session import ensure_token

    config = load_config()
    target = config.session_target(session_name)
    token = ensure_token(target)
    from shellsso.sso.portal import Portal

    portal = Portal(target, token.access_token)
    accounts = portal.accounts()
    if not accounts:
        raise ShellssoError(f"{target.label} reaches no accounts: nothing to populate "
                            "(nothing was written)")
    show = progress and sys.stderr.isatty()

    def tick(done: int, total: int) -> None:
        if show and (done == total or done % 10 == 0):
            sys.stderr.write(f"\rListing roles: {done}/{total} accounts")
            sys.stderr.flush()

    pairs = portal.all_roles(accounts, tick)
    if show:
        sys.stderr.write("\r\033[K")
    reached = [(a.account_id, a.name, role) for a, roles in pairs for role in roles]
    return reached, target.region, portal.throttled


def only_session(doc: Document) -> str:
    """The config's one SSO session, when --sso-session is not given; else a usage error."""
    names = list(dict.fromkeys(n for n in (session_name(h) for h, _, _ in doc.sections())
                               if n is not None))
    if len(names) == 1:
        return names[0]
    if not names:
        from shellsso.awsconfig.first_run import require_config

        require_config("no sso-session")  # no config at all: said as every command says it
        raise ShellssoError("the config has no [sso-session]; make one with: shellsso configure",
                            ExitStatus.USAGE)
    raise ShellssoError(f"the config has {len(names)} SSO sessions ({', '.join(names)}); "
                        "choose one: shellsso populate --sso-session NAME", ExitStatus.USAGE)


def run(args: argparse.Namespace) -> int:
    """`shellsso populate [--sso-session S] [--naming T] [--region R] [--prune] [--dry-run]
    [--yes]`."""
    check_template(args.naming)
    if args.region:
        require_region(args.region, "--region")
    file = ConfigFile()
    # Refused before any network call: a broken config or block, and (unless nothing is
    # to be written) a config or folder the writer must not touch.
    doc, raw = file.read(check_writable=not args.dry_run)
    if not args.sso_session:
        args.sso_session = only_session(doc)
    if doc.find_session(args.sso_session) is None:
        from shellsso.awsconfig.model import load_config

        load_config().session_target(args.sso_session)  # the reader's message, close matches
    block = find_block(doc, args.sso_session, file.path)
    old = block_profiles(doc, block)
    outside = names_in_use(doc, file.path, block)
    started = time.monotonic()
    reached, sso_region, throttled = reach(args.sso_session, progress=True)
    elapsed = time.monotonic() - started
    region = args.region or sso_region
    result = plan(args.sso_session, reached, old, outside, args.naming, region, args.prune,
                  reached_outside(doc, block, args.sso_session))
    accounts = len({acc for acc, _, _ in reached})
    retried = f"; {throttled} throttled calls retried" if throttled else ""
    print(f"{args.sso_session}: {accounts} accounts, {len(reached)} roles "
          f"(listed in {elapsed:.1f} s{retried})")
    print(format_plan(result, old, file.path))
    if args.region:
        known, close = known_region(args.region)
        if not known:
            guess = f"; did you mean {close[0]}?" if close else ""
            print(f"note: --region {args.region} is not a known region{guess} (used as given)")
    if result.empty:
        print(f"Nothing to change in {file.path}.")
        return ExitStatus.OK
    if args.dry_run:
        print("Dry run: nothing was written.")
        return ExitStatus.OK
    # Someone types at stdin (stdout may be piped into a pager: still ask).
    if not args.yes and terminal_at(sys.stdin) and not ask_yes(
            f"Write these changes to {file.path}?", default=False):
        print(f"Nothing was written to {file.path}.")
        return ExitStatus.OK
    lines = render_block(args.sso_session, result.profiles, command_line(args))

    def edit(document: Document) -> None:
        where = find_block(document, args.sso_session, file.path)
        if where is None:
            document.append_lines(lines)
        else:
            document.replace_lines(where[0], where[1] + 1, lines)

    _, written = file.update(edit, expect=raw, expect_given=True)
    if written:
        print(f"Wrote {len(result.profiles)} profiles to {file.path} "
              f"(previous version: {file.backup}).")
    return ExitStatus.OK
