"""Cache folders and files that only the user controls, and reading them safely.

As ssh refuses a `~/.ssh` another user could write to, shellsso refuses an
SSO token cache, a role-credential cache or a cache file that is owned by
another user or writable by group or others (a group of which the user is
the only member excepted, as in ssh): a token planted there would be used,
and the tokens written there would be read. A folder reached through a
symlink is the user's own choice and is never chmodded; one shellsso finds
as a real folder of its own is tightened to 0700. Cache files are read only
when they are regular files under a size cap, so a FIFO or `/dev/zero` in
their place neither hangs a command nor fills its memory.
"""

from __future__ import annotations

import os
import stat

from shellsso.core.errors import ShellssoError

CACHE_FILE_LIMIT = 1 << 20  # tokens and credentials take about 2 KB

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple


class UntrustedPath(ShellssoError):
    """A cache folder or file that someone other than the user controls."""


def folder_label(path: str) -> str:
    """What a folder is to the user: `SSO token cache folder`, `role-credential ...`."""
    from shellsso.core import paths
    known = {paths.sso_cache_dir(): "SSO token cache folder",
             paths.cli_cache_dir(): "role-credential cache folder"}
    return known.get(os.path.normpath(path), "cache folder")


def _only_member(gid: int) -> bool:
    """True when the group is the user's own with no other member (a user private group)."""
    if gid != os.getegid():
        return False
    try:
        import grp
        import pwd

        members = grp.getgrgid(gid).gr_mem
        name = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return False
    return all(member == name for member in members)


def problem(info: os.stat_result) -> Optional[str]:
    """Why a folder or file with this stat is not the user's alone; None when it is."""
    if info.st_uid != os.geteuid():
        return f"is owned by another user (uid {info.st_uid})"
    if info.st_mode & stat.S_IWOTH:
        return "is writable by other users"
    if info.st_mode & stat.S_IWGRP and not _only_member(info.st_gid):
        return "is writable by its group"
    return None


def quoted(path: str) -> str:
    """A path as one shell word, always in single quotes (for the fixes messages print)."""
    return "'" + path.replace("'", "'\\''") + "'"


def refusal(what: str, path: str, why: str, folder: bool) -> UntrustedPath:
    """One line naming the folder or file, what is wrong and the fix."""
    if why.startswith("is owned"):
        fix = (f"move it aside (mv {quoted(path)} {quoted(path + '.untrusted')}) "
               f"and let shellsso create its own")
    else:
        fix = f"run: chmod {'700' if folder else '600'} {quoted(path)}"
    return UntrustedPath(f"refusing {what} {path}: it {why}; {fix}")


def check_folder(path: str, what: Optional[str] = None) -> bool:
    """True when the folder exists and only the user controls it; False when it is absent.

    A symlink is followed: what matters is the folder the files end up in.
    Raises UntrustedPath otherwise.
    """
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not stat.S_ISDIR(info.st_mode):
        raise UntrustedPath(f"refusing {what or folder_label(path)} {path}: it is not a folder; "
                            f"move it aside")
    why = problem(info)
    if why is not None:
        raise refusal(what or folder_label(path), path, why, folder=True)
    return True


def private_folder(path: str, what: Optional[str] = None) -> None:
    """Make `path` a folder that only the user controls: created 0700 (parents too), or checked.

    Folders shellsso creates are 0700 whatever the umask. An existing real
    folder of the user's that others may read is tightened to 0700; one
    reached through a symlink is left as it is (the user chose it), and one
    owned by another user or writable by others is refused.
    """
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        _make_folders(path)
        return
    check_folder(path, what)
    if not link:
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o700)
        except OSError:
            pass


def _make_folders(path: str) -> None:
    """mkdir -p with every folder it creates 0700 (chmod after: the umask may take bits away)."""
    parent = os.path.dirname(path)
    if parent and parent != path and not os.path.lexists(parent):
        _make_folders(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:  # another process was first: check what it made
        check_folder(path)
        return
    os.chmod(path, 0o700)


def read_capped(fd: int, limit: int, hint: int = 0) -> Optional[bytes]:
    """All of an open file, or None when it holds more than `limit` bytes.

    Reads to the end rather than trusting the size (`hint`, from fstat), which
    a file still growing misstates; never more than limit + 1 bytes, in
    chunks sized by the hint so that a small file costs one small read.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(limit + 1 - size, max(hint + 1 - size, 65536)))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def read_cache_file(
    path: str, what: str, limit: int = CACHE_FILE_LIMIT
) -> Tuple[Optional[bytes], Optional[str]]:
    """(bytes, None); (None, None) when absent; (None, why) when it cannot be a cache file.

    Raises UntrustedPath for a folder or file someone else controls. Only a
    regular file of at most `limit` bytes is read (a FIFO or a device is never
    opened for reading, so nothing hangs).
    """

    folder = os.path.dirname(path)
    if not check_folder(folder):
        return None, None
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return None, "is not a regular file"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    try:
        info = os.fstat(fd)  # the file opened, which may have been swapped since the stat
        if not stat.S_ISREG(info.st_mode):
            return None, "is not a regular file"
        why = problem(info)
        if why is not None:
            raise refusal(what, path, why, folder=False)
        data = None if info.st_size > limit else read_capped(fd, limit, info.st_size)
        if data is None:
            return None, f"is larger than {limit // 1024} KB"
        return data, None
    finally:
        os.close(fd)


def refuse_link(what: str, path: str, exc: OSError) -> Exception:
    """The error for a file opened with O_NOFOLLOW: one line if it was a symlink, else `exc`."""
    import errno

    if exc.errno == errno.ELOOP:
        return UntrustedPath(f"refusing {what} {path}: it is a symlink, which shellsso never "
                             f"follows to write; remove it: rm {quoted(path)}")
    return exc
