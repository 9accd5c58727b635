"""Editing the AWS config file without losing a byte the edit does not own.

Every command that writes `~/.aws/config` goes through `ConfigFile.update`:
the file is read as bytes, edited as a list of lines (comments, blank lines,
order, line endings and every other section untouched), checked with the
parser botocore uses (`configparser.RawConfigParser`, strict) and put in
place atomically: a temp file in the same folder, fsync, rename, fsync of the
folder. A reader sees the old file or the new one, never half of one; a
crash or Ctrl-C leaves the old one. The previous version is kept next to it
as `config.bak`. A new file is created 0600; an existing file keeps its mode.

The writer is independent of the reader (`shellsso.config`): it only needs
headers, keys and markers, and it refuses a file botocore could not parse.
"""

from __future__ import annotations

import os
import re

from shellsso import paths
from shellsso.errors import ConfigError, ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Mapping, Optional, Tuple, TypeVar

    T = TypeVar("T")

BACKUP_SUFFIX = ".bak"
_SHLEX_SAFE = re.compile(r"^[^\s'\"\\#;\[\]]+$")


# --- names and headers -----------------------------------------------------------------------


def quote_name(name: str) -> str:
    """A profile or session name as a header word: shlex-quoted when it needs it."""
    if _SHLEX_SAFE.match(name):
        return name
    import shlex

    return shlex.quote(name)


def profile_header(name: str) -> str:
    """`default` for the default profile, else `profile NAME` (as `aws configure sso`)."""
    return "default" if name == "default" else f"profile {quote_name(name)}"


def session_header(name: str) -> str:
    return f"sso-session {quote_name(name)}"


def _header_words(header: str) -> List[str]:
    if any(ch in header for ch in "'\"\\"):
        import shlex

        try:
            return shlex.split(header)
        except ValueError:
            return []
    return header.split()


def header_profile(header: str) -> Optional[str]:
    """The profile a header names (`default`, `profile X`), or None."""
    if header == "default":
        return "default"
    words = _header_words(header)
    return words[1] if len(words) == 2 and words[0] == "profile" else None


def header_session(header: str) -> Optional[str]:
    """The sso-session a header names, or None."""
    words = _header_words(header)
    return words[1] if len(words) == 2 and words[0] == "sso-session" else None


# --- the document ----------------------------------------------------------------------------


def _eol(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else ""


def _header_of(line: str) -> Optional[str]:
    """The text between the brackets of a section header line, or None."""
    if not line.startswith("["):
        return None
    end = line.rstrip().rfind("]")
    return line[1:end] if end > 1 else None


def _key_of(line: str) -> Optional[str]:
    """The lower-cased key of a `key = value` line (not indented, not a comment)."""
    if not line or line[0] in " \t#;[\r\n":
        return None
    cuts = [i for i in (line.find("="), line.find(":")) if i > 0]
    if not cuts:
        return None
    key = line[: min(cuts)].strip().lower()
    return key or None


class Document:
    """The config file as lines with their own endings: edits touch only their lines."""

    def __init__(self, text: str) -> None:
        self.lines: List[str] = text.splitlines(keepends=True)
        endings = [_eol(line) for line in self.lines]
        self.newline = "\r\n" if endings.count("\r\n") > endings.count("\n") else "\n"

    @property
    def text(self) -> str:
        return "".join(self.lines)

    # sections: (header, first line, end line exclusive)
    def sections(self) -> List[Tuple[str, int, int]]:
        found: List[Tuple[str, int, int]] = []
        for number, line in enumerate(self.lines):
            header = _header_of(line)
            if header is None:
                continue
            if found:
                name, start, _ = found[-1]
                found[-1] = (name, start, number)
            found.append((header, number, len(self.lines)))
        return found

    def find_profile(self, name: str) -> Optional[Tuple[str, int, int]]:
        """The section of a profile (the last one, as botocore lets the last win)."""
        matches = [s for s in self.sections() if header_profile(s[0]) == name]
        return matches[-1] if matches else None

    def find_session(self, name: str) -> Optional[Tuple[str, int, int]]:
        matches = [s for s in self.sections() if header_session(s[0]) == name]
        return matches[-1] if matches else None

    def profile_names(self) -> List[str]:
        return [n for n in (header_profile(s[0]) for s in self.sections()) if n is not None]

    def keys(self, start: int, end: int) -> Dict[str, str]:
        """The plain `key = value` pairs of the section at `start` (values stripped)."""
        values: Dict[str, str] = {}
        for line in self.lines[start + 1 : end]:
            key = _key_of(line)
            if key is not None:
                cut = min(i for i in (line.find("="), line.find(":")) if i > 0)
                values[key] = line[cut + 1 :].strip()
        return values

    def _line(self, text: str) -> str:
        return text + self.newline

    def set_keys(self, header: str, values: Mapping[str, str]) -> None:
        """Set keys in the last section with this exact header, or append the section.

        Existing key lines are rewritten in place (with their continuation
        lines); new keys go after the section's last key; nothing else moves.
        """
        section = next((s for s in reversed(self.sections()) if s[0] == header), None)
        if section is None:
            self.append_lines([f"[{header}]", *(f"{k} = {v}" for k, v in values.items())])
            return
        _, start, end = section
        pending = dict(values)
        number = start + 1
        last_key_end = start + 1
        while number < end:
            key = _key_of(self.lines[number])
            if key is None:
                number += 1
                continue
            stop = number + 1
            while stop < end and self.lines[stop][:1] in (" ", "\t") and self.lines[stop].strip():
                stop += 1
            if key in pending:
                ending = _eol(self.lines[stop - 1]) or self.newline
                new = [f"{key} = {pending.pop(key)}{ending}"]
                self.lines[number:stop] = new
                end -= (stop - number) - 1
                stop = number + 1
            last_key_end = stop
            number = stop
        if pending:
            ending = _eol(self.lines[last_key_end - 1]) or self.newline
            if not self.lines[last_key_end - 1].endswith("\n"):
                self.lines[last_key_end - 1] += ending
            self.lines[last_key_end:last_key_end] = [
                f"{k} = {v}{ending}" for k, v in pending.items()
            ]

    def remove_keys(self, header: str, keys: List[str]) -> None:
        """Drop keys (with their continuation lines) from the last section with this header."""
        section = next((s for s in reversed(self.sections()) if s[0] == header), None)
        if section is None:
            return
        _, start, end = section
        number = start + 1
        while number < end:
            key = _key_of(self.lines[number])
            stop = number + 1
            while (key is not None and stop < end and self.lines[stop][:1] in (" ", "\t")
                   and self.lines[stop].strip()):
                stop += 1
            if key in keys:
                del self.lines[number:stop]
                end -= stop - number
            else:
                number = stop

    def append_lines(self, lines: List[str]) -> None:
        """Add lines at the end, after a blank line when the file has content."""
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += self.newline
        if self.lines and self.lines[-1].strip():
            self.lines.append(self.newline)
        self.lines.extend(self._line(line) for line in lines)

    def replace_lines(self, start: int, end: int, lines: List[str]) -> None:
        self.lines[start:end] = [self._line(line) for line in lines]


# --- parsing check ---------------------------------------------------------------------------


def check_parses(text: str, path: str) -> None:
    """Refuse what botocore's strict RawConfigParser refuses, naming the file and line.

    The offending line is not quoted back: it may hold a secret.
    """
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.DuplicateSectionError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: section [{exc.section}] appears twice; "
                          "fix the file first (nothing was written)") from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: key '{exc.option}' appears twice in "
                          f"[{exc.section}]; fix the file first (nothing was written)") from None
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: a key comes before any [section]; "
                          "fix the file first (nothing was written)") from None
    except configparser.ParsingError as exc:
        number = exc.errors[0][0] if exc.errors else "?"
        raise ConfigError(f"{path}, line {number}: expected 'key = value' or a [section] header; "
                          "fix the file first (nothing was written)") from None
    except configparser.Error as exc:
        raise ConfigError(f"{path}: cannot be parsed ({type(exc).__name__}); "
                          "fix the file first (nothing was written)") from None


# --- the file --------------------------------------------------------------------------------


class ConfigFile:
    """The AWS config file (`AWS_CONFIG_FILE` or `~/.aws/config`) for writing.

    A symlinked config (dotfile managers) is edited where the link points, so
    the link stays a link.
    """

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path or paths.config_file()
        self.real = os.path.realpath(self.path)
        self.backup = self.path + BACKUP_SUFFIX

    def read_bytes(self) -> Optional[bytes]:
        try:
            with open(self.real, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ShellssoError(f"cannot read {self.path}: {exc.strerror}") from None

    def read(self) -> Tuple[Document, Optional[bytes]]:
        """The document and the bytes it came from (None: no file yet); refuses a bad file."""
        raw = self.read_bytes()
        text = "" if raw is None else raw.decode("utf-8", "surrogateescape")
        check_parses(text, self.path)
        return Document(text), raw

    def update(self, edit: Callable[[Document], T], expect: Optional[bytes] = None,
               expect_given: bool = False) -> Tuple[T, bool]:
        """Read, `edit`, check and replace the file under a lock; (edit's result, written).

        With `expect_given`, the file must still hold `expect` (what the caller
        showed the user); otherwise nothing is written. Nothing is written
        either when the edit changes nothing.
        """
        import contextlib

        from shellsso.fastpath import sha1_hex
        from shellsso.files import locked

        lock = paths.lock_file("aws-config-" + sha1_hex(self.real.encode("utf-8"))[:16])
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(locked(lock))
            except OSError:
                pass  # a read-only cache folder: write unlocked rather than not at all
            document, raw = self.read()
            if expect_given and raw != expect:
                raise ShellssoError(f"{self.path} changed while this command ran; nothing was "
                                    "written, run it again")
            result = edit(document)
            new = document.text.encode("utf-8", "surrogateescape")
            if raw is not None and new == raw:
                return result, False
            check_parses(document.text, self.path + " (as it would be written)")
            self._replace(new, raw)
        self._warn_if_permissive()
        return result, True

    def _warn_if_permissive(self) -> None:
        """As the AWS CLI does after it updates a config others can read or write."""
        try:
            mode = os.stat(self.real).st_mode & 0o777
        except OSError:
            return
        if mode & 0o077:
            from shellsso.output import warn

            warn(f"{self.path} can be read or written by other users (mode {mode:04o}); "
                 f"to fix: chmod 600 {self.path}")

    def _replace(self, data: bytes, old: Optional[bytes]) -> None:
        folder = os.path.dirname(self.real) or "."
        try:
            if not os.path.isdir(folder):
                os.makedirs(folder, mode=0o700)
            mode = os.stat(self.real).st_mode & 0o7777 if old is not None else 0o600
            if old is not None:
                _write_atomic(os.path.realpath(self.backup) if os.path.islink(self.backup)
                              else self.backup, old, mode)
            _write_atomic(self.real, data, mode)
        except OSError as exc:
            raise ShellssoError(self._cannot_write(folder, exc)) from None

    def _cannot_write(self, folder: str, exc: OSError) -> str:
        import errno

        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            why = "is on a read-only file system" if exc.errno == errno.EROFS else \
                "is not writable"
            return f"cannot write {self.path}: the folder {folder} {why}; nothing was written"
        return f"cannot write {self.path}: {exc.strerror or exc}; nothing was written"


def _write_atomic(path: str, data: bytes, mode: int) -> None:
    """Temp file in the same folder, fsync, chmod, rename, fsync the folder.

    The mtime is set after the rename, so that completion caches written
    while the temp file was being filled still count as older.
    """
    import tempfile

    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        os.utime(path)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
