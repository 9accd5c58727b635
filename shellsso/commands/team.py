"""`shellsso team add|sync|list|remove`: a team's shared config fragment, taken in as a block.

A team keeps one fragment (its `[sso-session]` and profiles) in a file, on an
https:// server or in a git repository; each member takes it in with `team
add SOURCE` and refreshes it with `team sync`. The fragment is checked
(shellsso.team.fragment: only keys that choose sessions, accounts, roles and
regions), written between `# shellsso team begin: N` and `end: N` markers
(shellsso.team.block, the rules of awsconfig.blocks) through the one config
writer (awsconfig.edit.ConfigFile: atomic, 0600, AWS_CONFIG_FILE honoured),
and everything outside the block is kept byte for byte. The changes are shown
first; on a terminal the user is asked (`--yes` skips); otherwise they are written.
"""

from __future__ import annotations

import argparse
import sys

from shellsso.awsconfig.edit import ConfigFile, Document
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.output import terminal_at
from shellsso.team import block
from shellsso.team.fragment import check_name, parse
from shellsso.team.source import Source, fetch, parse_source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

    from shellsso.team.block import Plan


def _name(args: argparse.Namespace, source: Source) -> str:
    name: str = args.name or source.default_name()
    problem = check_name(name, "team") if name else "the source has no file name"
    if problem is not None:
        hint = "" if args.name else "; choose one with --name"
        raise ShellssoError(f"{problem}{hint}", ExitStatus.USAGE)
    return name


def _existing(doc: Document, name: str, path: str) -> Tuple[int, int]:
    span = block.find(doc, name, path)
    if span is None:
        from shellsso.core.output import did_you_mean

        raise ShellssoError(f"no team '{name}' in {path}{did_you_mean(name, block.names(doc))}"
                            "; `shellsso team list` shows them", ExitStatus.USAGE)
    return span


def _plan(doc: Document, path: str, name: str, span: Optional[Tuple[int, int]],
          source: Source) -> Plan:
    fragment = parse(fetch(source), source.text)
    return block.plan(doc, path, name, span, fragment, source.text, source.text)


def _confirm(args: argparse.Namespace, path: str) -> bool:
    """Whether to write: not on --dry-run; asked when someone types at stdin, unless --yes."""
    if args.dry_run:
        print("Dry run: nothing was written.")
        return False
    if args.yes or not terminal_at(sys.stdin):
        return True
    from shellsso.core.questions import ask_yes

    if ask_yes(f"Write these changes to {path}?", default=False):
        return True
    print(f"Nothing was written to {path}.")
    return False


def _write(file: ConfigFile, raw: Optional[bytes], plans: List[Plan]) -> None:
    def edit(document: Document) -> None:
        for p in plans:
            span = block.find(document, p.name, file.path)
            if span is None:
                document.append_lines(p.lines())
            else:
                document.replace_lines(span[0], span[1] + 1, p.lines())

    _, written = file.update(edit, expect=raw, expect_given=True)
    if written:
        profiles = sum(len(p.profiles) for p in plans)
        print(f"Wrote {profiles} team profiles to {file.path} (previous version: {file.backup}).")


def run_add(args: argparse.Namespace) -> int:
    """`team add SOURCE [--name N] [--dry-run] [--yes]`."""
    source = parse_source(args.source)
    name = _name(args, source)
    file = ConfigFile()
    doc, raw = file.read(check_writable=not args.dry_run)
    if block.find(doc, name, file.path) is not None:
        raise ShellssoError(f"team '{name}' is already in {file.path}; to fetch it again: "
                            f"shellsso team sync {name} (or add this one with --name)",
                            ExitStatus.USAGE)
    p = _plan(doc, file.path, name, None, source)
    print(f"{name} ({source.text}):")
    print(block.format_plan(p))
    if _confirm(args, file.path):
        _write(file, raw, [p])
    return ExitStatus.OK


def run_sync(args: argparse.Namespace) -> int:
    """`team sync [N] [--dry-run] [--yes]`: fetch again; one that fails keeps its block."""
    from shellsso.core.output import error
    from shellsso.core.safety import visible  # names come from the config's marker lines

    file = ConfigFile()
    doc, raw = file.read(check_writable=not args.dry_run)
    wanted = [args.name] if args.name else block.names(doc)
    if not wanted:
        print(f"No team fragment in {file.path}; take one in with: shellsso team add SOURCE")
        return ExitStatus.OK
    plans: List[Plan] = []
    failed = 0
    for name in wanted:
        span = _existing(doc, name, file.path)
        remembered = block.source_of(doc, span)
        try:
            if remembered is None:
                raise ShellssoError(f"the block has no '{block.SOURCE_PREFIX.strip()}' line; "
                                    f"remove it and add it again")
            p = _plan(doc, file.path, name, span, parse_source(remembered))
        except ShellssoError as exc:
            error(f"team {name}: {exc.message} (its block is kept as it is)")
            failed += 1
            continue
        if p.empty:
            print(visible(f"{name}: unchanged ({p.source})"))
            for note in p.notes:
                print(note)
            continue
        print(visible(f"{name} ({p.source}):"))
        print(block.format_plan(p))
        plans.append(p)
    if plans and _confirm(args, file.path):
        _write(file, raw, plans)
    return ExitStatus.ERROR if failed else ExitStatus.OK


def run_list(args: argparse.Namespace) -> int:
    """`team list [--json]`: name, source and profiles of each block."""
    file = ConfigFile()
    doc, _ = file.read(check_writable=False)
    rows = []
    for name in block.names(doc):
        span = _existing(doc, name, file.path)
        sessions, profiles = block.contents(doc, span)
        rows.append({"name": name, "source": block.source_of(doc, span) or "",
                     "sso_sessions": list(sessions), "profiles": list(profiles)})
    if args.json:
        import json

        print(json.dumps(rows, indent=2))
        return ExitStatus.OK
    if not rows:
        print(f"No team fragment in {file.path}; take one in with: shellsso team add SOURCE")
        return ExitStatus.OK
    from shellsso.core.output import columns
    from shellsso.core.safety import visible

    table = [["NAME", "SOURCE", "PROFILES"]]
    table += [[str(r["name"]), str(r["source"]), " ".join(r["profiles"]) or "(none)"]
              for r in rows]
    for line in columns(table, limit=None):
        print(visible(line))
    return ExitStatus.OK


def run_remove(args: argparse.Namespace) -> int:
    """`team remove N [--dry-run] [--yes]`: the block out, every other byte kept."""
    file = ConfigFile()
    doc, raw = file.read(check_writable=not args.dry_run)
    span = _existing(doc, args.name, file.path)
    p = block.Plan(args.name, block.source_of(doc, span) or "")
    sessions, profiles = block.contents(doc, span)
    p.old = {block.SESSION_LABEL.format(n): v for n, v in sessions.items()}
    p.old.update(profiles)
    from shellsso.core.safety import visible

    # The source line is read back from the config, which anyone's editor or dotfiles
    # repository may have filled: one terminal-safe line.
    print(visible(f"{args.name} ({p.source or 'no source'}):"))
    print(block.format_plan(p))
    if not _confirm(args, file.path):
        return ExitStatus.OK

    def edit(document: Document) -> None:
        begin, end = _existing(document, args.name, file.path)
        lines = document.lines
        # The blank line `add` put before the block goes with it, when nothing follows it
        # or a blank line does: remove after add gives the file back as it was.
        if begin > 0 and not lines[begin - 1].strip() and (
                end + 1 == len(lines) or not lines[end + 1].strip()):
            begin -= 1
        document.replace_lines(begin, end + 1, [])

    _, written = file.update(edit, expect=raw, expect_given=True)
    if written:
        print(f"Removed team {args.name} ({len(profiles)} "
              f"profiles) from {file.path} (previous version: {file.backup}).")
    return ExitStatus.OK
