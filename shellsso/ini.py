"""The AWS config and credentials files as botocore reads them, byte for byte.

botocore parses them with a strict `configparser.RawConfigParser` and then
`configloader.raw_config_parse` (nested `key =` blocks, `[DEFAULT]` values
inherited by every section). This module follows the same rules without
importing configparser, so that both tools see the same profiles:

- lines end at `\\n`, `\\r\\n` or `\\r` only (form feeds and other separators
  stay inside a line);
- a line indented deeper than the key line above it continues that value,
  blank lines inside a value are kept, trailing ones dropped;
- `#` and `;` start a comment only at the start of a (stripped) line;
- key names are lower-cased, section names are not; `[DEFAULT]` is no section
  but gives its keys to every other one;
- a value that starts on the next line is a nested block of `name = value`
  lines, and a block line without `=` is an error, as in botocore.

Errors are one line naming the file and the line, and never quote the line:
it may hold a secret.
"""

from __future__ import annotations

import os

from shellsso.errors import ConfigError
from shellsso.files import read_capped

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    # Values are strings, or dicts for nested values (`s3 =` + indented lines).
    Section = Dict[str, Any]

# A config larger than this is not a config (and /dev/zero never ends).
MAX_BYTES = 32 * 1024 * 1024
_DEFAULT = "DEFAULT"


def read_text(path: str) -> Optional[str]:
    """The text of a config or credentials file; None when there is no such file.

    Only a regular file is read (a FIFO would hang, /dev/zero never end), at
    most MAX_BYTES of it, and it must be UTF-8, as botocore reads it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o170000 != 0o100000:
            raise ConfigError(f"cannot read {path}: not a regular file")
        data = None if st.st_size > MAX_BYTES else read_capped(fd, MAX_BYTES, st.st_size)
        if data is None:
            raise ConfigError(f"cannot read {path}: larger than {MAX_BYTES >> 20} MB")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + data.count(b"\r", 0, exc.start) - data.count(
            b"\r\n", 0, exc.start) + 1
        raise ConfigError(f"{path}, line {line}: not UTF-8 text (AWS tools read the config "
                          "as UTF-8)") from None


def _lines(text: str) -> List[str]:
    """Lines as a text-mode file yields them: universal newlines, nothing else."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


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
    import re

    section_re = re.compile(r"\[(?P<header>.+)\]")
    option_re = re.compile(r"(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$")
    nonspace_re = re.compile(r"\S")

    sections: Dict[str, Dict[str, _Option]] = {}
    defaults: Dict[str, _Option] = {}
    current: Optional[Dict[str, _Option]] = None
    option: Optional[_Option] = None
    indent = 0
    for number, line in enumerate(_lines(text), 1):
        value = line.strip()
        if value.startswith(("#", ";")):
            continue
        if not value:
            if option is not None:
                option.add("", number)
            continue
        found = nonspace_re.search(line)
        level = found.start() if found else 0
        if option is not None and level > indent:
            option.add(value, number)
            continue
        indent = level
        header = section_re.match(value)
        if header:
            name = header.group("header")
            if name in sections:
                raise ConfigError(f"{path}, line {number}: section [{name}] appears twice")
            if name == _DEFAULT:
                current = defaults
            else:
                current = sections[name] = {}
            option = None
            continue
        match = option_re.match(value)
        key = match.group("option").rstrip().lower() if match else ""
        # The line itself is never quoted back: it may hold a secret key.
        if not key:
            raise ConfigError(
                f"{path}, line {number}: expected 'key = value' or a [section] header"
            )
        assert match is not None
        if current is None:
            raise ConfigError(f"{path}, line {number}: '{key}' comes before any [section]")
        if key in current:
            raise ConfigError(f"{path}, line {number}: key '{key}' appears twice in its section")
        option = current[key] = _Option(match.group("value").strip(), number)
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
