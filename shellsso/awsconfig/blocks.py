"""Blocks of the config that a shellsso command owns: `# shellsso KIND begin: NAME` ... `end`.

`populate` owns one block per SSO session, `team` one per shared fragment.
A block is rewritten or removed as a whole and everything outside it is kept
byte for byte, so it must be one for botocore too: the markers are comment
lines of their own (as `ini.scan` sees them), the block holds only the
sections its owner writes and no line of a section above it, and the first
line after it that is no comment or blank line is a header at the start of its
line (a header whatever came before). Otherwise rewriting it would change what
botocore reads outside it, and it is refused with one line naming the line to fix.
"""

from __future__ import annotations

from shellsso.awsconfig.ini import BLANK, COMMENT, HEADER, KEY, scan
from shellsso.core.errors import ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

    from shellsso.awsconfig.edit import Document

    Span = Tuple[int, int]  # (begin marker line, end marker line)
    Values = Mapping[str, str]


def begin_marker(kind: str, name: str) -> str:
    return f"# shellsso {kind} begin: {name}"


def end_marker(kind: str, name: str) -> str:
    return f"# shellsso {kind} end: {name}"


def comment_lines(doc: Document) -> List[Tuple[int, str]]:
    """(line number, stripped text) of each line botocore reads as a comment."""
    return [(number, doc.lines[number].strip())
            for number, (kind, *_) in enumerate(scan(doc.lines)) if kind == COMMENT]


def block_names(doc: Document, kind: str) -> List[str]:
    """The names of the blocks of `kind`, in file order (from their begin markers)."""
    prefix = begin_marker(kind, "")
    return list(dict.fromkeys(text[len(prefix):] for _, text in comment_lines(doc)
                              if text.startswith(prefix)))


def find_block(doc: Document, kind: str, name: str, path: str,
               allowed: Callable[[str], bool], what: str) -> Optional[Span]:
    """(begin line, end line) of the block, or None; a broken block is an error.

    Broken: markers missing, repeated or out of order, or a block whose
    rewriting would change what botocore reads outside it. `allowed` says
    which section headers the block may hold; `what` names them in the error.
    """
    begin_text, end_text = begin_marker(kind, name), end_marker(kind, name)
    comments = comment_lines(doc)
    begins = [i for i, text in comments if text == begin_text]
    ends = [i for i, text in comments if text == end_text]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = begins[0] + 1 if begins else ends[0] + 1
        raise ShellssoError(
            f"{path}, line {where}: the markers '{begin_text}' and '{end_text}' must appear "
            "once each, in that order; fix them by hand (nothing was written)")
    begin, end = begins[0], ends[0]
    check_block(list(scan(doc.lines)), begin, end, path, allowed, what)
    return begin, end


def check_block(kinds: Sequence[Tuple[str, int, str, str]], begin: int, end: int, path: str,
                allowed: Callable[[str], bool], what: str) -> None:
    """Refuse a block that is not one for botocore (see the module's docstring)."""
    def refuse(number: int, why: str) -> ShellssoError:
        return ShellssoError(f"{path}, line {number + 1}: {why}; move it or fix it by hand "
                             "(nothing was written)")

    in_section = False
    for number in range(begin + 1, end):
        kind, _, name, _ = kinds[number]
        if kind == HEADER:
            in_section = True
            if not allowed(name):
                raise refuse(number, f"the block holds [{name}], which {what} does not write")
        elif kind not in (BLANK, COMMENT) and not in_section:
            raise refuse(number, "the block holds a line of the section above it for AWS tools")
    after = next((n for n in range(end + 1, len(kinds)) if kinds[n][0] not in (BLANK, COMMENT)),
                 None)
    if after is not None and (kinds[after][0] != HEADER or kinds[after][1] != 0):
        raise refuse(after, "the line after the end marker belongs to the section above it for "
                            "AWS tools")


def block_sections(doc: Document, block: Optional[Span],
                   name_of: Callable[[str], Optional[str]]) -> Dict[str, Dict[str, str]]:
    """{name: keys} of the sections inside the block that `name_of` names, in file order."""
    found: Dict[str, Dict[str, str]] = {}
    if block is None:
        return found
    for header, start, end in doc.sections():
        if block[0] < start < block[1]:
            name = name_of(header)
            if name is not None:
                found[name] = doc.keys(start, min(end, block[1]))
    return found


def render_block(kind: str, name: str, comments: Sequence[str],
                 sections: Sequence[Tuple[str, Values]]) -> List[str]:
    """The lines of a block: markers, comment lines, then each `[header]` and its keys.

    The result is checked as botocore reads it: exactly these comments,
    headers and keys, one line each. A value or name that would read back
    as something else (a line break, a `[`-line, a reserved character) is
    refused before anything is written.
    """
    lines = [begin_marker(kind, name), *(f"# {text}" for text in comments), ""]
    expected: List[Tuple[str, str]] = [(COMMENT, "")] * (1 + len(comments)) + [(BLANK, "")]
    for header, values in sections:
        lines.append(f"[{header}]")
        expected.append((HEADER, header))
        for key, value in values.items():
            lines.append(f"{key} = {value}")
            expected.append((KEY, key))
        lines.append("")
        expected.append((BLANK, ""))
    lines.append(end_marker(kind, name))
    expected.append((COMMENT, ""))
    seen = [(k, n) for k, _, n, _ in scan(line + "\n" for line in lines)]
    bad = next((i for i, (a, b) in enumerate(zip(seen, expected)) if a != b), None)
    if bad is not None or len(seen) != len(expected) or any(
            "\r" in line or "\n" in line for line in lines):
        where = f" (line {bad + 1} of the block)" if bad is not None else ""
        raise ShellssoError(f"refusing to write the {kind} block '{name}': a line would not "
                            f"read back as written{where}; nothing was written")
    return lines


def change_lines(added: Sequence[str], changed: Sequence[str], removed: Sequence[str],
                 old: Mapping[str, Values], new: Mapping[str, Values],
                 describe: Callable[[Values], str]) -> List[str]:
    """The lines of a plan every block owner shows: `+ name (what)`, `~ name (key: a -> b)`,
    `- name (what)`; the caller makes them terminal-safe."""
    lines: List[str] = []
    for name in added:
        lines.append(f"+ {name}  ({describe(new[name])})")
    for name in changed:
        before, after = old[name], new[name]
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        what = ", ".join(f"{k}: {before.get(k, '-')} -> {after.get(k, '-')}" for k in keys)
        lines.append(f"~ {name}  ({what})")
    for name in removed:
        lines.append(f"- {name}  ({describe(old[name])})")
    return lines
