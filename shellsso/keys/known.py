"""What shellsso learnt of keys, kept for later: ages for the doctor, retirements left to finish.

`shellsso keys` asks IAM when each key was made; `doctor` must stay fast and
offline, so it reads the answer from here (keys.json in shellsso's cache,
0600, under a folder only the user controls). Keys are filed under the sha1
of their id, so the file says nothing of them to whoever reads it. A
`keys retire` whose files were rewritten but whose IAM step failed files the
key id here too (an id, never a secret), so that the one command it names
finishes the job once the key is gone from the files.
"""

from __future__ import annotations

import os

from shellsso.core import cache_folder
from shellsso.core.fast_stdlib import sha1_hex
from shellsso.core.paths import own_cache_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

FILE = "keys.json"


def _path() -> str:
    return os.path.join(own_cache_dir(), FILE)


def _load() -> Dict[str, Any]:
    raw = cache_folder.read_own_cache(_path(), "keys cache file")
    if raw is None:
        return {}
    import json

    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: Dict[str, Any]) -> None:
    import json

    cache_folder.write_own_cache(_path(), json.dumps(data, sort_keys=True).encode("utf-8"))


def _name(key_id: str) -> str:
    return sha1_hex(key_id.encode("utf-8", "surrogatepass"))


def remember_created(ages: Dict[str, float]) -> None:
    """Note when keys were made ({key id: epoch seconds}), for the doctor."""
    if not ages:
        return
    data = _load()
    created = data.get("created") if isinstance(data.get("created"), dict) else {}
    assert isinstance(created, dict)
    created.update({_name(key): when for key, when in ages.items()})
    data["created"] = created
    _save(data)


def created(key_id: str) -> Optional[float]:
    """When the key was made, if `shellsso keys` learnt it; None otherwise."""
    import math
    import time

    table = _load().get("created")
    value = table.get(_name(key_id)) if isinstance(table, dict) else None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    # json reads Infinity and NaN too: only a date that can be a key's is one
    return float(value) if math.isfinite(value) and 0 <= value <= time.time() + 86400 else None


def pending(profile: str) -> Optional[Dict[str, str]]:
    """The IAM step a `keys retire PROFILE` left to do: keyId, user, account."""
    table = _load().get("pending")
    entry = table.get(profile) if isinstance(table, dict) else None
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str)
                                              for k in ("keyId", "account")):
        return None
    return {k: v for k, v in entry.items() if isinstance(v, str)}


def set_pending(profile: str, entry: Optional[Dict[str, str]]) -> None:
    """File (or, with None, clear) the IAM step left to do for PROFILE."""
    data = _load()
    table = data.get("pending") if isinstance(data.get("pending"), dict) else {}
    assert isinstance(table, dict)
    if entry is None:
        if profile not in table:
            return
        table.pop(profile)
    else:
        table[profile] = entry
    data["pending"] = table
    _save(data)
