"""Cheap stand-ins for stdlib helpers on the `awsuse` hot path.

`import json` pulls in `re` and `enum`, `import hashlib` initialises OpenSSL:
together about a fifth of Python's own start-up. The C accelerators behind
them load in well under a millisecond, so the hot path uses those directly
and falls back to the public modules where an interpreter lacks them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, TypeVar, Union

    Flat = Mapping[str, Union[str, int, bool, None]]

    R = TypeVar("R", bound="Record")


class _ScanContext:
    """The attributes `_json.make_scanner` reads from a JSONDecoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict[str, Any] = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


_scanner: Any = None


def json_loads(text: str) -> Any:
    """`json.loads` for a document, without importing `json` (raises ValueError)."""
    global _scanner
    if _scanner is None:
        try:
            from _json import make_scanner
        except ImportError:  # pragma: no cover - every CPython has _json
            import json

            return json.loads(text)
        _scanner = make_scanner(_ScanContext())  # type: ignore[arg-type]
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _scanner(text, start)
    except Exception:  # noqa: BLE001 - a broken document: let json say what is wrong
        end = -1
    if end < 0 or text[end:].strip(" \t\n\r"):
        import json

        return json.loads(text)  # raises json.JSONDecodeError, a ValueError
    return value


def json_dumps_flat(obj: Flat, *, indent: int | None = None, compact: bool = False,
                    sort_keys: bool = False) -> str:
    """`json.dumps` of a flat object (string keys; string, integer, boolean or null values),
    the same text, without importing `json`: what `export` and `credential-process` print
    and the role-cache key are such objects. Anything else goes to `json` itself."""
    try:
        from _json import encode_basestring_ascii as text
    except ImportError:  # pragma: no cover - every CPython has _json
        flat = False
    else:
        flat = all(isinstance(k, str) for k in obj) and all(
            v is None or isinstance(v, (str, int)) for v in obj.values())
    if not flat:
        import json

        separators = (",", ":") if compact else None
        return json.dumps(obj, indent=indent, sort_keys=sort_keys, separators=separators)

    def value(v: str | int | bool | None) -> str:
        if v is None or isinstance(v, bool):
            return {None: "null", True: "true", False: "false"}[v]
        return text(v) if isinstance(v, str) else int.__repr__(v)

    items = sorted(obj.items()) if sort_keys else obj.items()
    colon = ":" if compact else ": "
    pairs = [text(k) + colon + value(v) for k, v in items]
    if indent is None:
        return "{" + ("," if compact else ", ").join(pairs) + "}"
    if not pairs:
        return "{}"
    pad = "\n" + " " * indent
    return "{" + pad + ("," + pad).join(pairs) + "\n}"


# Digests known in advance (the config index keeps those of its sessions and start
# URLs): loading the sha1 extension costs more than the rest of a lookup.
KNOWN_SHA1: dict[bytes, str] = {}


def sha1_hex(data: bytes) -> str:
    """Hex sha1 (cache file names), without initialising OpenSSL through hashlib."""
    known = KNOWN_SHA1.get(data)
    if known is not None:
        return known
    try:
        from _sha1 import sha1
    except ImportError:  # pragma: no cover
        from hashlib import sha1
    digest: str = sha1(data).hexdigest()
    return digest


def fnv1a(data: bytes, bits: int = 32) -> int:
    """FNV-1a: a stable hash (unlike hash()) that needs no extension module."""
    if bits == 64:
        value, prime, mask = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1
    else:
        value, prime, mask = 0x811C9DC5, 0x01000193, (1 << 32) - 1
    for byte in data:
        value = ((value ^ byte) * prime) & mask
    return value


class Record:
    """What the hot path's value classes would take from `dataclasses`, for less.

    Subclasses list their fields in `__slots__` and write `__init__` (and a
    `__repr__` that hides secrets); equality, hashing and `replace` come from here.
    """

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def replace(self: R, **changes: Any) -> R:
        """A copy with some fields changed (records are treated as immutable)."""
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return type(self)(**values)
