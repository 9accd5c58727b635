"""The parsed config kept on disk, so that `awsuse PROFILE` reads one profile, not all.

Parsing 10,000 profiles costs more than Python's own start-up, and so does
unmarshalling them all; this index lets a lookup read a header, one bucket
slot and one small bucket, whatever the number of profiles.

Layout (integers little-endian):

    magic (8 bytes) | header length H (4) | bucket count B (4)
    header: marshal of (sources, full offset, full length)
    B slots of (offset, length), 4 bytes each
    buckets: marshal of a tuple of (key, value) pairs; a key is "p", "s" or
             "h" (profile, sso-session, sha1 of a token file's key) and a name
    full: marshal of (profiles, sessions), both in file order, for listings

`sources` is, for the config and the credentials file, (device, inode, size,
mtime_ns, ctime_ns) or None when absent: the index is used only while both
files are exactly the files it was made from. It lives in shellsso's cache
folder and is read only when that folder and the file belong to this user
and nobody else can write them (cache_folder.own_cache, trust.problem), since a
planted index could otherwise name another account, or a `credential_process`
that no config file holds (which the credential code reads again from the
files anyway). Marshal round-trips every string, NUL bytes included.
"""

from __future__ import annotations

import marshal
import os

from shellsso.core.fast_stdlib import fnv1a

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Optional, Tuple

    Source = Optional[Tuple[int, int, int, int, int]]

MAGIC = b"SSOIDX5\n"
_PREFIX = 16
_FIRST_READ = 4096


def _uint(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "little")


def _bucket(key: str, count: int) -> int:
    return fnv1a(key.encode("utf-8", "surrogatepass")) % count


def source_identity(path: str) -> Source:
    """What tells that a file is still the one the index was made from (None: absent).

    A file that is not a regular file has no identity: the index is not used,
    and reading the file reports what it is.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_mode & 0o170000 != 0o100000:
        return (-1, -1, -1, -1, -1)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def build(sources: Tuple[Source, Source], profiles: Dict[str, Any],
          sessions: Dict[str, Any]) -> bytes:
    """The index file's bytes."""
    digests = _token_digests(profiles, sessions)
    count = max(8, 1 << (len(profiles) + len(sessions) + len(digests)).bit_length())
    buckets: list[list[Tuple[str, Any]]] = [[] for _ in range(count)]
    for kind, table in (("p", profiles), ("s", sessions), ("h", digests)):
        for name, values in table.items():
            key = kind + name
            buckets[_bucket(key, count)].append((key, values))
    blobs = [marshal.dumps(tuple(pairs)) if pairs else b"" for pairs in buckets]
    full = marshal.dumps((profiles, sessions))
    # The header's own size depends on the offsets it holds: fix its width first.
    header = marshal.dumps((sources, 1 << 62, 1 << 62))
    body_start = _PREFIX + len(header) + 4 * 2 * count
    slots = bytearray()
    offset = body_start
    for blob in blobs:
        slots += (offset if blob else 0).to_bytes(4, "little")
        slots += len(blob).to_bytes(4, "little")
        offset += len(blob)
    if offset + len(full) >= 1 << 32:
        raise OverflowError("config index too large")
    header = marshal.dumps((sources, offset, len(full))).ljust(len(header), b"\0")
    return b"".join([MAGIC, len(header).to_bytes(4, "little"), count.to_bytes(4, "little"),
                     header, bytes(slots), *blobs, full])


def _token_digests(profiles: Dict[str, Any], sessions: Dict[str, Any]) -> Dict[str, str]:
    """sha1 of every session name and start URL: the names of their token files."""
    from shellsso.core.fast_stdlib import sha1_hex

    texts = set(sessions)
    for values in profiles.values():
        url = values.get("sso_start_url")
        if isinstance(url, str):
            texts.add(url)
    return {text: sha1_hex(text.encode("utf-8", "surrogatepass")) for text in texts}


class Index:
    """An open, checked index file: lookups of one profile or session by name."""

    def __init__(self, fd: int, head: bytes, count: int, header_end: int,
                 full: Tuple[int, int]) -> None:
        self.fd = fd
        self.head = head
        self.count = count
        self.header_end = header_end
        self.full_at = full

    def _read(self, offset: int, length: int) -> bytes:
        if offset + length <= len(self.head):
            return self.head[offset:offset + length]
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise ValueError("config index truncated")
        return data

    def lookup(self, kind: str, name: str) -> Any:
        """The values stored for a profile ("p") or session ("s"), or None."""
        key = kind + name
        slot = self._read(self.header_end + 8 * _bucket(key, self.count), 8)
        offset, length = _uint(slot, 0), _uint(slot, 4)
        if not length:
            return None
        for stored, values in marshal.loads(self._read(offset, length)):
            if stored == key:
                return values
        return None

    def everything(self) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """(profiles, sessions), complete and in file order."""
        data: Tuple[Dict[str, Any], Dict[str, Any]] = marshal.loads(self._read(*self.full_at))
        return data

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()


def open_index(path: str, sources: Tuple[Source, Source]) -> Optional[Index]:
    """The index at `path` if it is private and made from exactly these sources, else None."""
    from shellsso.core.cache_folder import own_cache
    from shellsso.core.trust import problem

    if own_cache() is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o170000 != 0o100000 or problem(st) is not None:
            raise ValueError("not private")
        head = os.pread(fd, _FIRST_READ, 0)
        if head[:8] != MAGIC:
            raise ValueError("not an index")
        length, count = _uint(head, 8), _uint(head, 12)
        if _PREFIX + length > len(head):
            head = os.pread(fd, _PREFIX + length, 0)
        stored, full_offset, full_length = marshal.loads(head[_PREFIX:_PREFIX + length])
        if stored != sources or not count:
            raise ValueError("stale")
        return Index(fd, head, count, _PREFIX + length, (full_offset, full_length))
    except (OSError, ValueError, EOFError, TypeError, IndexError):
        os.close(fd)
        return None


def write_index(path: str, sources: Tuple[Source, Source], profiles: Dict[str, Any],
                sessions: Dict[str, Any]) -> None:
    """Best effort: no private folder, a read-only or full disk only cost speed."""
    from shellsso.core.cache_folder import own_cache, write_own_cache

    if own_cache(create=True) is None:
        return
    try:
        data = build(sources, profiles, sessions)
    except (ValueError, OverflowError):
        return
    write_own_cache(path, data)


def index_path(folder: str, sources: Iterable[str]) -> str:
    """One index per pair of config and credentials paths."""
    digest = fnv1a("\0".join(sources).encode("utf-8", "surrogatepass"), 64)
    return os.path.join(folder, f"config-{digest:016x}.idx")
