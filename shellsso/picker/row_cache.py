"""The picker's rows, kept between runs so that 10,000 profiles open at once.

Reading the config index and unpacking every profile costs tens of
milliseconds at 10,000 profiles; the rows alone (five short fields and the
lower-cased text the matcher searches) load from a marshal file in a few. The
file is valid while the config and credentials files keep the identity the
config index checks (awsconfig.index.source_identity); it holds no secret (the fields are
what `awsuse` lists). Losing it costs one slower opening. It is read and
written only while shellsso's cache folder and the file are the user's alone
(cache_folder.own_cache): rows planted by someone else could show `prod` as a sandbox.
"""

from __future__ import annotations

import marshal
import os

from shellsso.awsconfig.index import source_identity
from shellsso.core import cache_folder, paths
from shellsso.core.fast_stdlib import sha1_hex
from shellsso.picker.rows import Entry, config_rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VERSION = 1
WHAT = "picker row cache"
LIMIT = 256 << 20  # some 200 bytes a profile: well over a million profiles


def cache_path(config_path: str, credentials_path: str) -> str:
    """`$XDG_CACHE_HOME/shellsso/picker-<digest>.idx`, one per pair of files."""
    digest = sha1_hex(f"{config_path}\0{credentials_path}".encode())[:16]
    return os.path.join(paths.own_cache_dir(), f"picker-{digest}.idx")


def load_rows() -> tuple[list[Entry], str]:
    """(every profile's row in file order, the config file's path)."""
    config_path = paths.config_file()
    credentials_path = paths.credentials_file()
    signature = (source_identity(config_path), source_identity(credentials_path))
    path = cache_path(config_path, credentials_path)
    data = cache_folder.read_own_cache(path, WHAT, LIMIT)
    try:
        cached: Any = marshal.loads(data) if data else None
        if cached and cached[0] == VERSION and cached[1] == signature:
            rows = [Entry(f[0], f[1], f[2], f[3], f[4], False, f[5]) for f in cached[2]]
            return rows, config_path
    except (ValueError, EOFError, TypeError, IndexError, KeyError):
        pass
    from shellsso.awsconfig.model import load_config

    config = load_config()
    rows = config_rows(config)
    if signature != (None, None):
        cache_folder.write_own_cache(path, marshal.dumps((VERSION, signature,
                                                   [row.fields() for row in rows])))
    return rows, config.source
