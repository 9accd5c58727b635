"""Editing the AWS config file without losing a byte the edit does not own.

Every command that writes `~/.aws/config` goes through `ConfigFile.update`:
the file is read as bytes, edited as the list of lines botocore sees
(shellsso.awsconfig.ini's line model: comments, blank lines, order, line endings and
every other section untouched), checked with the parser botocore uses
(`configparser.RawConfigParser`, strict) and put in place atomically: a temp
file in the same folder, fsync, rename, fsync of the folder. A reader sees the
old file or the new one, never half of one; a crash or Ctrl-C leaves the old
one, and the temp file a kill -9 leaves is swept by the next write. The
previous version is kept next to it as `config.bak`. A new file is created
0600; an existing file keeps its mode.

Refused, with one line and nothing written: a config botocore could not
parse, a read-only config, a config folder that another user owns or can
write (a planted `config.bak` link would be followed, a planted config read),
and a new profile whose name the credentials file already has (botocore would
resolve the user's static keys through the new profile instead), unless the
caller moves that very profile out of the credentials file (`allow_names`).
"""

from __future__ import annotations

import os
import re
import stat

from shellsso.awsconfig import ini
from shellsso.awsconfig.ini import HEADER, KEY, MORE
from shellsso.core import cache_folder, paths
from shellsso.core.errors import ConfigError, ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Mapping, Optional, Tuple, TypeVar

    T = TypeVar("T")

BACKUP_SUFFIX = ".bak"
_SHLEX_SAFE = re.compile(r"[^\s'\"\\#;\[\]]+")


# --- names and headers -----------------------------------------------------------------------


def quote_name(name: str) -> str:
    """A profile or session name as a header word: shlex-quoted when it needs it."""
    if _SHLEX_SAFE.fullmatch(name):
        return name
    import shlex

    return shlex.quote(name)


def profile_header(name: str) -> str:
    """`default` for the default profile, else `profile NAME` (as `aws configure sso`)."""
    return "default" if name == "default" else f"profile {quote_name(name)}"


def session_header(name: str) -> str:
    return f"sso-session {quote_name(name)}"


def credential_names() -> Dict[str, str]:
    """Each section of the credentials file, which botocore reads as a profile: {name: file}.

    Read as botocore reads it; a credentials file botocore cannot parse is an
    error here too (no name could be known to be free).
    """
    path = paths.credentials_file()
    text = ini.read_text(path)
    return {name: path for name, _ in ini.parse_ini(text, path)} if text else {}


def names_in_use(document: Document, config: str,
                 skip: Optional[Tuple[int, int]] = None) -> Dict[str, str]:
    """Every profile name in use, and the file that has it: {name: file}.

    The rule every writer follows before it names a profile: the config's
    profiles as botocore reads the headers (`[default]` too), except those
    whose header lies strictly between the lines `skip` (populate's own
    block), and every section of the credentials file. A new profile of such
    a name would change what the user's own profile resolves to.
    """
    names = credential_names()
    for name in document.profile_names(skip):
        names.setdefault(name, config)
    return names


POPULATE_BEGIN = "# shellsso populate begin: "
POPULATE_END = "# shellsso populate end: "
"""The marker lines of the block `shellsso populate` owns, each followed by the session."""


def populated_names(document: Document) -> Dict[str, str]:
    """{profile name: session} for every profile inside a populate block of the config
    (a block whose markers are broken owns nothing here; populate refuses it)."""
    kinds = [kind for kind, *_ in ini.scan(document.lines)]
    marks = [(number, document.lines[number].strip()) for number, kind in enumerate(kinds)
             if kind == ini.COMMENT]
    owned: Dict[str, str] = {}
    for number, text in marks:
        if not text.startswith(POPULATE_BEGIN):
            continue
        session = text[len(POPULATE_BEGIN):]
        end = next((n for n, t in marks if n > number and t == POPULATE_END + session), None)
        if end is None:
            continue
        for header, start, _ in document.sections():
            name = ini.profile_name(header)
            if name is not None and number < start < end:
                owned.setdefault(name, session)
    return owned


# --- the document ----------------------------------------------------------------------------


def _eol(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _check_line(text: str, kind: str, name: str) -> str:
    """A line the writer adds, refused unless botocore reads it as exactly that kind and name.

    Values come from portals and users: one that held a line break would
    become a line of its own, a key or a header nobody wrote.
    """
    if "\r" in text or "\n" in text or [(k, n) for k, _, n, _ in ini.scan([text])] != [
            (kind, name)]:
        raise ShellssoError(f"refusing to write {kind} '{name}': it would not read back as "
                            "written (a line break, or a character the config reserves); "
                            "nothing was written")
    return text


class Document:
    """The config file as the lines botocore sees, with their own endings.

    Lines, sections and keys are what shellsso.awsconfig.ini's `scan` says they are, as
    botocore's configparser would: an edit touches the lines of its section
    and key and nothing botocore reads as part of another one.
    """

    def __init__(self, text: str) -> None:
        self.lines: List[str] = ini.split_lines(text)
        endings = [_eol(line) for line in self.lines]
        self.newline = max(("\n", "\r\n", "\r"), key=endings.count)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    # sections: (header, first line, end line exclusive)
    def sections(self) -> List[Tuple[str, int, int]]:
        found: List[Tuple[str, int, int]] = []
        for number, (kind, _, header, _) in enumerate(ini.scan(self.lines)):
            if kind != HEADER:
                continue
            if found:
                name, start, _ = found[-1]
                found[-1] = (name, start, number)
            found.append((header, number, len(self.lines)))
        return found

    def find_profile(self, name: str) -> Optional[Tuple[str, int, int]]:
        """The section of a profile (the last one, as botocore lets the last win)."""
        matches = [s for s in self.sections() if ini.profile_name(s[0]) == name]
        return matches[-1] if matches else None

    def find_session(self, name: str) -> Optional[Tuple[str, int, int]]:
        matches = [s for s in self.sections() if ini.session_name(s[0]) == name]
        return matches[-1] if matches else None

    def profile_names(self, skip: Optional[Tuple[int, int]] = None) -> List[str]:
        """The profiles botocore reads from the headers, but those strictly between the
        lines `skip`."""
        names = [ini.profile_name(header) for header, start, _ in self.sections()
                 if skip is None or not skip[0] < start < skip[1]]
        return [name for name in names if name is not None]

    def _keys(self, start: int, end: int) -> List[Tuple[str, str, int, int]]:
        """(key, first value line, first line, end line exclusive) of the section at `start`.

        A key's lines run to its last continuation line; the blank lines and
        comments between them go with it. Scanning from the header gives what
        scanning the whole file gives: a header resets configparser's state.
        """
        found: List[Tuple[str, str, int, int]] = []
        for number, (kind, _, key, value) in enumerate(ini.scan(self.lines[start:end]), start):
            if kind == KEY:
                found.append((key, value, number, number + 1))
            elif kind == MORE and found:
                found[-1] = (*found[-1][:3], number + 1)
        return found

    def keys(self, start: int, end: int) -> Dict[str, str]:
        """The keys of the section at `start`, each with its first value line (stripped)."""
        return {key: value for key, value, _, _ in self._keys(start, end)}

    def _indent(self, number: int) -> str:
        """The indentation of a line, as configparser measures it (up to the first non-space)."""
        line = self.lines[number]
        return line[: len(line) - len(line.lstrip())]

    def _section(self, header: str) -> Optional[Tuple[str, int, int]]:
        return next((s for s in reversed(self.sections()) if s[0] == header), None)

    def set_keys(self, header: str, values: Mapping[str, str]) -> None:
        """Set keys in the last section with this exact header, or append the section.

        A key's lines (with its continuation lines) are rewritten in place, at
        its indentation; new keys go after the section's last key at that
        key's indentation, or after the header at the next header's, so that
        no line that follows changes meaning (an indented header stays a
        header, a line stays out of a value). Nothing else moves.
        """
        lines = {k: _check_line(f"{k} = {v}", KEY, k) for k, v in values.items()}
        section = self._section(header)
        if section is None:
            self.append_lines([_check_line(f"[{header}]", HEADER, header), *lines.values()])
            return
        _, start, end = section
        for key, _, first, stop in reversed(self._keys(start, end)):
            if key in lines:
                ending = _eol(self.lines[stop - 1])
                self.lines[first:stop] = [self._indent(first) + lines.pop(key) + ending]
                end -= stop - first - 1
        if not lines:
            return
        keys = self._keys(start, end)
        if keys:
            at, indent = keys[-1][3], self._indent(keys[-1][2])
        else:
            at, indent = start + 1, self._indent(end) if end < len(self.lines) else ""
        ending = _eol(self.lines[at - 1]) or self.newline
        if not _eol(self.lines[at - 1]):
            self.lines[at - 1] += ending
        self.lines[at:at] = [indent + line + ending for line in lines.values()]

    def remove_keys(self, header: str, keys: List[str]) -> None:
        """Drop keys (with their continuation lines) from the last section with this header."""
        section = self._section(header)
        if section is None:
            return
        for key, _, first, stop in reversed(self._keys(section[1], section[2])):
            if key in keys:
                del self.lines[first:stop]

    def remove_section_if_empty(self, header: str) -> bool:
        """Drop the last section with this header when only blank lines are left in it.

        Its header and those blank lines go; a section that still holds a key
        or a comment (the user's note) stays whole. True when it went.
        """
        section = self._section(header)
        if section is None:
            return False
        _, start, end = section
        kinds = [kind for kind, *_ in ini.scan(self.lines[start:end])][1:]
        if any(kind != ini.BLANK for kind in kinds):
            return False
        del self.lines[start:end]
        return True

    def append_lines(self, lines: List[str]) -> None:
        """Add lines at the end, after a blank line when the file has content."""
        new = self._whole(lines)
        if self.lines and not _eol(self.lines[-1]):
            self.lines[-1] += self.newline
        if self.lines and self.lines[-1].strip():
            self.lines.append(self.newline)
        self.lines.extend(new)

    def replace_lines(self, start: int, end: int, lines: List[str]) -> None:
        self.lines[start:end] = self._whole(lines)

    def _whole(self, lines: List[str]) -> List[str]:
        """Lines with this file's ending; one that holds a line break of its own is refused."""
        if any("\r" in line or "\n" in line for line in lines):
            raise ShellssoError("refusing to write a line that holds a line break (it would "
                                 "become two lines for AWS tools); nothing was written")
        return [line + self.newline for line in lines]


# --- parsing check ---------------------------------------------------------------------------


def check_parses(text: str, path: str) -> None:
    """Refuse what botocore refuses, naming the file and line.

    That is what its strict RawConfigParser refuses, then a nested block
    (`s3 =` and indented lines) with a line that is not `name = value`.
    The parser is given the lines botocore's text-mode file gives it (a bare
    `\\r` ends a line there too). The offending line is not quoted back: it may
    hold a secret.
    """
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_file((line.rstrip("\r\n") + "\n" for line in ini.split_lines(text)),
                         source=path)
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
    try:
        ini.parse_ini(text, path)  # what botocore refuses after configparser: nested blocks
    except ConfigError as exc:
        raise ConfigError(f"{exc.message}; fix the file first (nothing was written)") from None


# --- the file --------------------------------------------------------------------------------


class ConfigFile:
    """The AWS config file (`AWS_CONFIG_FILE` or `~/.aws/config`) for writing.

    A symlinked config (dotfile managers) is edited where the link points, so
    the link stays a link; both the link's folder (where the backup goes) and
    the target's must be the user's alone.
    """

    def __init__(self, path: Optional[str] = None, *, backup: bool = True) -> None:
        self.path = path or paths.config_file()
        self.real = os.path.realpath(self.path)
        self.backup = self.path + BACKUP_SUFFIX
        self.keeps_backup = backup

    def folders(self) -> List[str]:
        """The folders written to: the config's (temp file, rename) and the backup's."""
        found = [os.path.dirname(self.real) or "."]
        if (os.path.dirname(self.backup) or ".") not in found:
            found.append(os.path.dirname(self.backup) or ".")
        return found

    def check_writable(self) -> None:
        """Refuse, before anything is asked or written, a config the writer must not touch.

        A folder another user owns or can write (a sticky one like /tmp
        included) could hold a planted backup link or config; a read-only
        config was made so on purpose. Root writes through any mode: the
        mode bits decide, not access(2).
        """
        from shellsso.core.trust import UntrustedPath, problem, quoted

        for folder in self.folders():
            try:
                info = os.stat(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            why = problem(info)
            if why is not None:
                own = info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX
                fix = (f"chmod go-w {quoted(folder)}" if own
                       else "keep the config in a folder only you can write")
                raise UntrustedPath(f"refusing to write {self.path}: its folder {folder} {why}; "
                                    f"nothing was written; to fix: {fix}")
        try:
            mode = os.stat(self.real).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return
        if not mode & stat.S_IWUSR:
            raise ShellssoError(f"refusing to write {self.path}: it is read-only (mode "
                                f"{mode & 0o7777:04o}); nothing was written; to allow it: "
                                f"chmod u+w {quoted(self.path)}")

    def read_bytes(self) -> Optional[bytes]:
        return ini.read_bytes(self.real, shown=self.path)

    def read(self, check_writable: bool = True) -> Tuple[Document, Optional[bytes]]:
        """The document and the bytes it came from (None: no file yet).

        Refuses a file botocore cannot parse and (`check_writable`) one the
        writer must not touch: callers read first, so that both are said
        before any question or network call.
        """
        if check_writable:
            self.check_writable()
        raw = self.read_bytes()
        text = "" if raw is None else raw.decode("utf-8", "surrogateescape")
        check_parses(text, self.path)
        return Document(text), raw

    def update(self, edit: Callable[[Document], T], expect: Optional[bytes] = None,
               expect_given: bool = False, *, allow_names: Tuple[str, ...] = (),
               scrub_backup: Optional[Callable[[Document], object]] = None) -> Tuple[T, bool]:
        """Read, `edit`, check and replace the file under a lock; (edit's result, written).

        With `expect_given`, the file must still hold `expect` (what the caller
        showed the user); otherwise nothing is written. Nothing is written
        either when the edit changes nothing. `allow_names`: profiles the
        caller takes out of the credentials file itself, which may be added.
        `scrub_backup` edits the backup's copy of the old file: a write that
        takes a secret out must not leave it behind in `config.bak`.
        """
        import contextlib

        from shellsso.core.fast_stdlib import sha1_hex
        from shellsso.core.locks import locked

        lock = cache_folder.lock_file("aws-config-" + sha1_hex(self.real.encode("utf-8"))[:16])
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(locked(lock))
            except OSError:
                pass  # a read-only cache folder: write unlocked rather than not at all
            document, raw = self.read()
            if expect_given and raw != expect:
                raise ShellssoError(f"{self.path} changed while this command ran; nothing was "
                                    "written, run it again")
            before = set(document.profile_names())
            result = edit(document)
            new = document.text.encode("utf-8", "surrogateescape")
            if raw is not None and new == raw:
                return result, False
            check_parses(document.text, self.path + " (as it would be written)")
            self._refuse_credential_names(set(document.profile_names()) - before
                                          - set(allow_names))
            if raw is not None and scrub_backup is not None:
                old = Document(raw.decode("utf-8", "surrogateescape"))
                scrub_backup(old)
                raw = old.text.encode("utf-8", "surrogateescape")
            self._replace(new, raw)
        self._warn_if_permissive()
        return result, True

    def _refuse_credential_names(self, added: set[str]) -> None:
        """No writer adds a profile the credentials file has: botocore would resolve the
        user's static keys through the new profile instead (its SSO keys come first)."""
        if not added:
            return
        taken = credential_names()
        clash = sorted(added & set(taken))
        if clash:
            raise ShellssoError(f"refusing to add profile '{clash[0]}' to {self.path}: "
                                f"{taken[clash[0]]} has a profile of that name; nothing was "
                                "written")

    def _warn_if_permissive(self) -> None:
        """As the AWS CLI does after it updates a config others can read or write."""
        try:
            mode = os.stat(self.real).st_mode & 0o777
        except OSError:
            return
        if mode & 0o077:
            from shellsso.core.output import warn

            warn(f"{self.path} can be read or written by other users (mode {mode:04o}); "
                 f"to fix: chmod 600 {self.path}")

    def _replace(self, data: bytes, old: Optional[bytes]) -> None:
        """The backup, then the config, each through a temp file the sweep knows.

        A kill -9 between a temp file and its rename leaves a full copy of the
        config in the folder: the next write removes it (files.sweep_temp_files).
        """
        from shellsso.core.files import replace_file, sweep_temp_files
        from shellsso.core.trust import private_folder

        folder = os.path.dirname(self.real) or "."
        try:
            if not os.path.isdir(folder):
                private_folder(folder)  # created 0700, parents too
            for swept in self.folders():
                sweep_temp_files(swept)
            mode = os.stat(self.real).st_mode & 0o7777 if old is not None else 0o600
            if old is not None and self.keeps_backup:
                replace_file(self.backup, old, mode)
            replace_file(self.real, data, mode)
        except OSError as exc:
            raise ShellssoError(self._cannot_write(folder, exc)) from None
        _settle(self.real, folder)

    def _cannot_write(self, folder: str, exc: OSError) -> str:
        import errno

        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            why = "is on a read-only file system" if exc.errno == errno.EROFS else \
                "is not writable"
            return f"cannot write {self.path}: the folder {folder} {why}; nothing was written"
        return f"cannot write {self.path}: {exc.strerror or exc}; nothing was written"


def _settle(path: str, folder: str) -> None:
    """Touch the new file and fsync its folder, so that the rename is on disk.

    The mtime is set after the rename, so that completion caches written
    while the temp file was being filled still count as older.
    """
    try:
        os.utime(path)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
