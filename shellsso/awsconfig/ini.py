"""The AWS config and credentials files as botocore reads them, byte for byte.

botocore parses them with a strict `configparser.RawConfigParser` and then
`configloader.raw_config_parse` (nested `key =` blocks, `[DEFAULT]` values
inherited by every section). This module follows the same rules without
importing configparser, so that both tools see the same profiles:

- lines end at `\\n`, `\\r\\n` or `\\r` only (form feeds and other separators
  stay inside a line);
- a line indented deeper than the key line above it continues that value
  (even one that looks like a `[section]` header), blank lines inside a value
  are kept, trailing ones dropped;
- `#` and `;` start a comment only at the start of a (stripped) line;
- key names are lower-cased, section names are not; `[DEFAULT]` is no section
  but gives its keys to every other one;
- a value that starts on the next line is a nested block of `name = value`
  lines, and a block line without `=` is an error, as in botocore.

The config writer (shellsso.awsconfig.edit) edits the lines `split_lines` and
`scan` give, so that it changes exactly the sections botocore would see
changed. Errors are one line naming the file and the line, and never quote
the line: it may hold a secret.
"""

from __future__ import annotations

import os

from shellsso.core.errors import ConfigError
from shellsso.core.trust import read_capped

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

    # Values are strings, or dicts for nested values (`s3 =` + indented lines).
    Section = Dict[str, Any]

# A config larger than this is not a config (and /dev/zero never ends).
MAX_BYTES = 32 * 1024 * 1024
_DEFAULT = "DEFAULT"


def read_bytes(path: str, shown: Optional[str] = None) -> Optional[bytes]:
    """The bytes of a config or credentials file; None when there is no such file.

    Only a regular file is read (a FIFO would hang, /dev/zero never end), at most
    MAX_BYTES of it. Errors name `shown` (default: `path`).
    """
    shown = shown or path
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o170000 != 0o100000:
            raise ConfigError(f"cannot read {shown}: not a regular file")
        data = None if st.st_size > MAX_BYTES else read_capped(fd, MAX_BYTES, st.st_size)
        if data is None:
            raise ConfigError(f"cannot read {shown}: larger than {MAX_BYTES >> 20} MB")
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}") from None
    finally:
        os.close(fd)
    return data


def read_text(path: str) -> Optional[str]:
    """The text of a config or credentials file (read_bytes); None when there is no such
    file. It must be UTF-8, as botocore reads it.
    """
    data = read_bytes(path)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + data.count(b"\r", 0, exc.start) - data.count(
            b"\r\n", 0, exc.start) + 1
        raise ConfigError(f"{path}, line {line}: not UTF-8 text (AWS tools read the config "
                          "as UTF-8)") from None


# What botocore's configparser makes of each line (the kinds `scan` yields).
HEADER, KEY, MORE, BLANK, COMMENT, BAD = "header", "key", "more", "blank", "comment", "bad"


def split_lines(text: str, keepends: bool = True) -> List[str]:
    """The lines of a file as botocore reads them, each with its own ending (`keepends`).

    botocore reads in text mode with universal newlines: a line ends at
    `\\n`, `\\r\\n` or `\\r`, and nowhere else. What `str.splitlines` also
    breaks on (form feed, vertical tab, `\\x1c`-`\\x1e`, U+0085, U+2028,
    U+2029) stays inside its line: the reader and the writer both use this,
    so that neither sees a line botocore does not.
    """
    if not keepends:  # the reader's case: a third of the time of the regex
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and not lines[-1]:
            lines.pop()
        return lines
    import re

    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


def scan(lines: Iterable[str]) -> Iterator[Tuple[str, int, str, str]]:
    """(kind, indent, name, value) of each line, as botocore's configparser reads it.

    HEADER: `name` is the section name. KEY: `name` is the lower-cased key
    ('' when there is none: an error), `value` its stripped first line. MORE:
    the line continues the last key's value (`value`, stripped). BAD: neither
    header nor key (an error). `indent` is where the text begins.

    Whether an indented line continues a value depends on what came before,
    as in configparser: it does when a key is open and the line is indented
    deeper than the last header or key line; otherwise even `  [x]` is a
    header. Comments and blank lines change nothing.
    """
    import re

    section_match = re.compile(r"\[(?P<header>.+)\]").match
    option_match = re.compile(r"(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$").match
    nonspace = re.compile(r"\S").search
    in_section = open_key = False
    level = 0
    blank, comment = (BLANK, 0, "", ""), (COMMENT, 0, "", "")
    for line in lines:
        value = line.strip()
        if not value:
            yield blank
            continue
        if value[0] in "#;":
            yield comment
            continue
        found = nonspace(line)
        indent = found.start() if found else 0
        if open_key and indent > level:
            yield MORE, indent, "", value
            continue
        level = indent
        header = section_match(value)
        if header:
            in_section, open_key = True, False
            yield HEADER, indent, header.group("header"), ""
            continue
        option = option_match(value)
        if option is None:
            yield BAD, indent, "", ""  # configparser keeps the open key (an error anyway)
            continue
        key = option.group("option").rstrip().lower()
        open_key = in_section and bool(key)
        yield KEY, indent, key, option.group("value").strip()


class _Option:
    """A value being read: its lines, and the line number of each (for errors)."""

    __slots__ = ("parts", "numbers")

    def __init__(self, first: str, number: int) -> None:
        self.parts = [first]
        self.numbers = [number]

    def add(self, part: str, number: int) -> None:
        self.parts.append(part)
        self.numbers.append(number)

    def text(self) -> str:
        return "\n".join(self.parts).rstrip()


def parse_ini(text: str, path: str) -> List[Tuple[str, Section]]:
    """Sections in file order, each with `[DEFAULT]`'s keys and nested blocks parsed.

    What botocore's `raw_config_parse` returns, as a list. Raises ConfigError
    naming `path` and the line for everything that makes botocore fail.
    """
    sections: Dict[str, Dict[str, _Option]] = {}
    defaults: Dict[str, _Option] = {}
    current: Optional[Dict[str, _Option]] = None
    option: Optional[_Option] = None
    for number, (kind, _, name, value) in enumerate(scan(split_lines(text, False)), 1):
        if kind in (MORE, BLANK):
            if option is not None:
                option.add(value, number)
        elif kind == HEADER:
            if name in sections:
                raise ConfigError(f"{path}, line {number}: section [{name}] appears twice")
            current = defaults if name == _DEFAULT else sections.setdefault(name, {})
            option = None
        elif kind != COMMENT:
            # The line itself is never quoted back: it may hold a secret key.
            if not name:
                raise ConfigError(
                    f"{path}, line {number}: expected 'key = value' or a [section] header"
                )
            if current is None:
                raise ConfigError(f"{path}, line {number}: '{name}' comes before any [section]")
            if name in current:
                raise ConfigError(f"{path}, line {number}: key '{name}' appears twice in its "
                                  "section")
            option = current[name] = _Option(value, number)
    result: List[Tuple[str, Section]] = []
    for name, options in sections.items():
        values: Section = {}
        for key, item in (*options.items(), *defaults.items()):
            if key not in values:
                values[key] = _value(item, key, path)
        result.append((name, values))
    return result


def _value(option: _Option, key: str, path: str) -> Any:
    """The value as botocore has it: text, or the dict of a nested block."""
    text = option.text()
    if not text.startswith("\n"):
        return text
    nested: Dict[str, str] = {}
    # botocore splits the joined value with str.splitlines: so does this.
    for part, number in zip(option.parts, option.numbers):
        for line in part.splitlines():
            line = line.strip()
            if not line:
                continue
            if "=" not in line:
                raise ConfigError(f"{path}, line {number}: a line of the nested block "
                                  f"'{key}' is not 'name = value'")
            name, value = line.split("=", 1)
            nested[name.strip()] = value.strip()
    return nested


def split_header(header: str) -> List[str]:
    """A section name split as botocore splits it (shlex); [] when shlex cannot."""
    if any(ch in header for ch in "'\"\\"):
        import shlex

        try:
            return shlex.split(header)
        except ValueError:
            return []
    # shlex's whitespace is these four only (not form feed, not Unicode spaces).
    for ch in "\t\r\n":
        header = header.replace(ch, " ")
    return [part for part in header.split(" ") if part]


def profile_name(header: str) -> Optional[str]:
    """The profile a section header names for botocore, or None.

    `[default]`, and any header that starts with `profile` and splits into two
    words: `[profile x]`, `[profile  'x']`, even `[profilex x]` all name x.
    """
    if header.startswith("profile"):
        parts = split_header(header)
        return parts[1] if len(parts) == 2 else None
    return "default" if header == "default" else None


def session_name(header: str) -> Optional[str]:
    """The sso-session a section header names for botocore, or None."""
    if header.startswith("sso-session"):
        parts = split_header(header)
        return parts[1] if len(parts) == 2 else None
    return None
