"""The block a team fragment lives in, and the plan that turns a fragment into it.

    # shellsso team begin: NAME
    # source: git+https://example.com/infra.git#aws/team.config
    # Written by `shellsso team`; ...

    [sso-session corp]
    ...
    [profile corp-dev]
    ...

    # shellsso team end: NAME

The block remembers its source in its own comment line, so the config alone
says what `sync` fetches: no other state. botocore ignores the line (a comment
of its own); a source is one line of printable text (source.parse_source),
checked again when the block is rendered and when it is read back.

Names: a profile whose name is in use outside the block (the config's
profiles, the credentials file's sections: awsconfig.edit.names_in_use) is
skipped with a note, and so is a profile whose `source_profile` was skipped
(it would chain through the member's own profile). An sso-session that exists
outside the block is used as it is when its start URL and region are the
fragment's (noted); when they differ the fragment is refused: skipping it would
silently sign the team's profiles in to another portal.
"""

from __future__ import annotations

from shellsso.awsconfig import blocks
from shellsso.awsconfig.edit import names_in_use
from shellsso.awsconfig.ini import profile_name, session_name
from shellsso.core.errors import ShellssoError
from shellsso.team.fragment import Fragment

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Mapping, Optional, Tuple

    from shellsso.awsconfig.edit import Document

    Span = Tuple[int, int]

KIND = "team"
SOURCE_PREFIX = "# source: "
SESSION_LABEL = "[sso-session {}]"


def _team_header(header: str) -> bool:
    return profile_name(header) is not None or session_name(header) is not None


def find(doc: Document, name: str, path: str) -> Optional[Span]:
    """(begin, end) lines of team NAME's block, or None; a broken block is an error."""
    return blocks.find_block(doc, KIND, name, path, _team_header, "team")


def names(doc: Document) -> List[str]:
    return blocks.block_names(doc, KIND)


def source_of(doc: Document, span: Span) -> Optional[str]:
    """The source the block remembers (its `# source:` comment), or None."""
    for number, text in blocks.comment_lines(doc):
        if span[0] < number < span[1] and text.startswith(SOURCE_PREFIX):
            return text[len(SOURCE_PREFIX):].strip()
    return None


def contents(doc: Document, span: Optional[Span]) -> Tuple[Dict[str, Dict[str, str]],
                                                          Dict[str, Dict[str, str]]]:
    """(sessions, profiles) inside the block."""
    return (blocks.block_sections(doc, span, session_name),
            blocks.block_sections(doc, span, profile_name))


def sessions_outside(doc: Document, span: Optional[Span]) -> Dict[str, Dict[str, str]]:
    found: Dict[str, Dict[str, str]] = {}
    for header, start, end in doc.sections():
        name = session_name(header)
        if name is not None and not (span is not None and span[0] < start < span[1]):
            found[name] = doc.keys(start, end)
    return found


class Plan:
    """What `team add` or `sync` writes for one fragment, and how it differs from the block."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.sections: List[Tuple[str, Dict[str, str]]] = []  # (header, keys) to write
        self.old: Dict[str, Dict[str, str]] = {}  # by label: profile name or [sso-session X]
        self.new: Dict[str, Dict[str, str]] = {}
        self.notes: List[str] = []

    @property
    def added(self) -> List[str]:
        return [label for label in self.new if label not in self.old]

    @property
    def changed(self) -> List[str]:
        return [label for label in self.new
                if label in self.old and self.old[label] != self.new[label]]

    @property
    def removed(self) -> List[str]:
        return [label for label in self.old if label not in self.new]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    @property
    def profiles(self) -> List[str]:
        return [label for label in self.new if not label.startswith("[")]

    def comments(self) -> List[str]:
        return [SOURCE_PREFIX[2:] + self.source,
                f"Written by `shellsso team`: `shellsso team sync {self.name}` rewrites this "
                f"block, `shellsso team remove {self.name}` takes it out."]

    def lines(self) -> List[str]:
        return blocks.render_block(KIND, self.name, self.comments(), self.sections)


def _same_session(ours: Mapping[str, str], theirs: Mapping[str, str]) -> bool:
    return all(ours.get(key) == theirs.get(key) for key in ("sso_start_url", "sso_region"))


def plan(doc: Document, path: str, name: str, span: Optional[Span], fragment: Fragment,
         source: str, label: str) -> Plan:
    """The block for `fragment`, given the config as it is (`span`: the block now, if any).

    `label` names the fragment in a refusal.
    """
    result = Plan(name, source)
    old_sessions, old_profiles = contents(doc, span)
    result.old = {SESSION_LABEL.format(n): v for n, v in old_sessions.items()}
    result.old.update(old_profiles)
    outside_sessions = sessions_outside(doc, span)
    for session, values in fragment.sessions.items():
        theirs = outside_sessions.get(session)
        if theirs is None:
            result.sections.append((f"sso-session {session}", values))
            result.new[SESSION_LABEL.format(session)] = values
        elif _same_session(values, theirs):
            result.notes.append(f"note: [sso-session {session}] is already in {path} with the "
                                "same start URL and region: the team's profiles use it")
        else:
            raise ShellssoError(
                f"{label}: [sso-session {session}] is already in {path} with another start "
                "URL or region; the team's profiles would sign in there. Rename one of them "
                "(nothing was written)")
    outside = names_in_use(doc, path, span)
    skipped: Dict[str, str] = {}
    for profile in fragment.profiles:
        if profile in outside:
            where = "outside the team block" if outside[profile] == path else \
                f"in {outside[profile]}"
            skipped[profile] = f"a profile of that name exists {where}"
    grew = True
    while grew:  # a profile that assumes a role from a skipped one would chain through yours
        grew = False
        for profile, values in fragment.profiles.items():
            through = values.get("source_profile")
            if profile not in skipped and through in skipped:
                skipped[profile] = f"its source_profile {through} was skipped"
                grew = True
    for profile, values in fragment.profiles.items():
        if profile in skipped:
            result.notes.append(f"note: profile {profile} skipped: {skipped[profile]}")
        else:
            result.sections.append((f"profile {profile}", values))
            result.new[profile] = values
    return result


def describe(values: Mapping[str, str]) -> str:
    """A section in a few words: its account and role, role ARN, or start URL."""
    if "sso_account_id" in values or "sso_role_name" in values:
        return f"{values.get('sso_account_id', '?')} {values.get('sso_role_name', '?')}"
    for key in ("role_arn", "sso_start_url", "region"):
        if key in values:
            return values[key]
    return "no keys"


def format_plan(p: Plan) -> str:
    from shellsso.core.safety import visible

    lines = blocks.change_lines(p.added, p.changed, p.removed, p.old, p.new, describe)
    lines += p.notes
    lines.append(f"{len(p.added)} to add, {len(p.changed)} to change, {len(p.removed)} to "
                 f"remove, {len(p.new) - len(p.added) - len(p.changed)} unchanged")
    # Old values come from the config file: one terminal-safe line each.
    return "\n".join(visible(line) for line in lines)
