"""shellsso's own cache folder, held to the rules of the AWS caches (trust.py).

A folder another user owns or can write is refused, since a symlink planted
there would make a write land in one of the user's files, and a planted
history or index would change what the picker and awsuse show. What needs the
folder (history, caches, stamps) is then skipped with one warning per command.
"""

from __future__ import annotations

import os

from shellsso.core.paths import own_cache_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

OWN_CACHE = "shellsso cache folder"

_trusted: set[str] = set()  # folders of shellsso's cache found to be the user's alone


def check_own_cache(*parts: str, create: bool = False) -> Optional[str]:
    """`own_cache_dir()/parts...` when only the user controls it and each folder on the way.

    With `create`, missing folders are made 0700 (and the user's own are
    tightened to 0700); without it, an absent folder is None. Raises
    trust.UntrustedPath for a folder someone else owns or can write.
    """
    from shellsso.core import trust

    folders = [own_cache_dir()]
    for part in parts:
        folders.append(os.path.join(folders[-1], part))
    for folder in folders:
        if folder in _trusted:
            continue
        if create:
            trust.private_folder(folder, OWN_CACHE)
        elif not trust.check_folder(folder, OWN_CACHE):
            return None
        _trusted.add(folder)
    return folders[-1]


def own_cache(*parts: str, create: bool = False) -> Optional[str]:
    """check_own_cache for what can do without the folder (history, caches, stamps).

    A refusal is a warning, once per command, and None: awsuse still switches.
    """
    from shellsso.core.trust import UntrustedPath

    try:
        return check_own_cache(*parts, create=create)
    except UntrustedPath as exc:
        from shellsso.core.output import warn

        warn(exc.message)  # the same line as a refused lock's: said once
        return None


def read_own_cache(path: str, what: str, limit: Optional[int] = None) -> Optional[bytes]:
    """A file of shellsso's cache, or None: absent, or not a regular file of the user's alone.

    A file or folder someone else controls, or one that cannot be a cache
    file (a FIFO, a device, over `limit` bytes), is only warned about: a
    cache costs nothing to lose.
    """
    from shellsso.core import trust

    if own_cache() is None:
        return None
    try:
        cap = trust.CACHE_FILE_LIMIT if limit is None else limit
        data, why = trust.read_cache_file(path, what, cap)
    except trust.UntrustedPath as exc:
        from shellsso.core.output import warn

        warn(exc.message)
        return None
    if why:
        from shellsso.core.output import warn

        warn(f"ignoring {what} {path}: it {why}")
    return data


def write_own_cache(path: str, data: bytes) -> None:
    """Replace a file of shellsso's cache atomically (temp file and rename, no link followed).

    Best effort: a refused folder (warned), a read-only or full disk only cost speed.
    """
    if own_cache(create=True) is None:
        return
    from shellsso.core.files import write_atomic
    from shellsso.core.trust import UntrustedPath

    try:
        write_atomic(path, data)
    except (OSError, UntrustedPath):
        pass


def lock_file(name: str) -> str:
    """An advisory lock file of shellsso's, kept out of the AWS CLI's folders.

    Raises trust.UntrustedPath when another user controls shellsso's cache
    folder: a `locks` folder swapped for a link would put lock files elsewhere.
    """
    check_own_cache()
    return os.path.join(own_cache_dir(), "locks", name + ".lock")
