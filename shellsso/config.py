"""The AWS shared config and credentials files, read with botocore's rules.

Parsing follows botocore (`configloader.raw_config_parse` on a strict
`RawConfigParser`, then `build_profile_map`): key names lower-cased, section
names case-sensitive, no inline comments, `[profile NAME]` split like shlex,
`[default]` vs `[profile default]` last wins, credentials-file keys merged over
config-file profiles. Errors name the file and the line.

Reading 10,000 profiles on every `awsuse` would cost more than Python's own
start-up, so the parsed result is kept in a marshal index next to shellsso's
cache, valid while both files keep their size, inode and mtime.
"""

from __future__ import annotations

import marshal
import os

from shellsso import paths
from shellsso.errors import ConfigError, ProfileNotFound
from shellsso.fastpath import Record, sha1_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    # Values are strings, or dicts for botocore's nested values (`s3 =` + indented lines).
    Section = Dict[str, Any]

_INDEX_VERSION = 3
# Values from the credentials file that the index must never hold.
_SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})


def _split_header(header: str) -> List[str]:
    """Split `profile NAME` as botocore does (shlex), cheaply when no quoting is used."""
    if any(ch in header for ch in "'\"\\"):
        import shlex

        try:
            return shlex.split(header)
        except ValueError:
            return []
    return header.split()


def parse_ini(text: str, path: str) -> List[Tuple[str, Section]]:
    """Sections of an INI text in file order, with configparser's strict rules.

    Raises ConfigError naming `path` and the line for what configparser rejects:
    a key before any section, a line that is neither, duplicate sections or keys.
    """
    sections: List[Tuple[str, Section]] = []
    nested: List[Tuple[Section, str]] = []
    seen: set[str] = set()
    current: Optional[Section] = None
    key: Optional[str] = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            key = None if current is None else key
            continue
        if stripped[0] in "#;":
            continue
        if key is not None and current is not None and line[0] in " \t":
            if not current[key]:
                nested.append((current, key))
            current[key] = current[key] + "\n" + stripped
            continue
        if stripped[0] == "[" and line[0] == "[":
            end = line.rfind("]")
            if end <= 1:
                raise ConfigError(f"{path}, line {number}: malformed section header: {line!r}")
            name = line[1:end]
            if name in seen:
                raise ConfigError(f"{path}, line {number}: section [{name}] appears twice")
            seen.add(name)
            current = {}
            sections.append((name, current))
            key = None
            continue
        eq, colon = line.find("="), line.find(":")
        cut = min(i for i in (eq, colon) if i >= 0) if eq >= 0 or colon >= 0 else -1
        # The line itself is never quoted back: it may hold a secret key.
        if cut <= 0 or not line[:cut].strip():
            raise ConfigError(
                f"{path}, line {number}: expected 'key = value' or a [section] header"
            )
        key = line[:cut].strip().lower()
        if current is None:
            raise ConfigError(f"{path}, line {number}: '{key}' comes before any [section]")
        if key in current:
            raise ConfigError(f"{path}, line {number}: key '{key}' appears twice in its section")
        current[key] = line[cut + 1 :].strip()
    for section, name in nested:
        section[name] = _parse_nested(section[name])
    return sections


def _parse_nested(value: str) -> Dict[str, str]:
    """botocore's `_parse_nested`: indented `k = v` lines under an empty value."""
    result: Dict[str, str] = {}
    for line in value.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            result[k.strip()] = v.strip()
    return result


def _missing(start_url: Optional[str], region: Optional[str]) -> List[str]:
    """Names of the required SSO keys that are absent or empty."""
    return [k for k, v in (("sso_start_url", start_url), ("sso_region", region)) if not v]


def _text(values: Section, key: str) -> Optional[str]:
    """A plain string setting, or None (absent, or a nested value where text is expected)."""
    value = values.get(key)
    return value if isinstance(value, str) else None


def build_maps(
    config_sections: List[Tuple[str, Section]], credential_sections: List[Tuple[str, Section]]
) -> Tuple[Dict[str, Section], Dict[str, Section]]:
    """Profiles and sso-sessions from parsed sections, as botocore builds them."""
    profiles: Dict[str, Section] = {}
    sessions: Dict[str, Section] = {}
    for header, raw in config_sections:
        values = _without_secrets(raw)
        if header == "default":
            profiles.pop("default", None)
            profiles["default"] = values
            continue
        if header.startswith("profile") or header.startswith("sso-session"):
            parts = _split_header(header)
            if len(parts) != 2:
                continue
            if parts[0] == "profile":
                profiles.pop(parts[1], None)
                profiles[parts[1]] = values
            elif parts[0] == "sso-session":
                sessions[parts[1]] = values
    for name, values in credential_sections:
        profiles.setdefault(name, {}).update(_without_secrets(values))
    return profiles, sessions


def _without_secrets(values: Section) -> Section:
    """A section with secret values replaced: the index on disk must never hold one.

    The credential code that needs the real keys reads the files itself.
    """
    if _SECRET_KEYS.isdisjoint(values):
        return values
    return {k: "(hidden)" if k in _SECRET_KEYS else v for k, v in values.items()}


class SsoTarget(Record):
    """What is needed to find, refresh or obtain the SSO token behind a profile.

    A plain immutable class rather than a dataclass, which would cost more to
    import than the rest of the `awsuse` hot path.
    """

    __slots__ = ("profile", "session_name", "start_url", "region", "scopes", "account_id",
                 "role_name")

    def __init__(
        self,
        profile: str,
        session_name: Optional[str],  # None for a legacy profile (start URL in the profile)
        start_url: str,
        region: str,
        scopes: Optional[Tuple[str, ...]],  # sso_registration_scopes as configured, or None
        account_id: Optional[str],
        role_name: Optional[str],
    ) -> None:
        self.profile = profile
        self.session_name = session_name
        self.start_url = start_url
        self.region = region
        self.scopes = scopes
        self.account_id = account_id
        self.role_name = role_name

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"SsoTarget({fields})"

    @property
    def cache_key(self) -> str:
        """sha1 of the session name, or of the start URL for a legacy profile."""
        source = self.session_name if self.session_name is not None else self.start_url
        return sha1_hex(source.encode("utf-8"))

    @property
    def label(self) -> str:
        """How messages name the session."""
        if self.session_name is not None:
            return f"SSO session '{self.session_name}'"
        return f"SSO start URL {self.start_url}"


def parse_scopes(value: Optional[str]) -> Optional[Tuple[str, ...]]:
    """`sso_registration_scopes` as the CLI reads it: comma-separated, blanks dropped."""
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


class _PackedProfiles(dict):  # type: ignore[type-arg]
    """Profiles as stored in the index: each section packed into one string.

    Unpacking 10,000 dicts costs milliseconds that `awsuse` cannot spare; a
    lookup unpacks only the profile it needs. Names, `in` and len are free.
    """

    def __getitem__(self, name: str) -> Section:
        return _unpack(dict.__getitem__(self, name))

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default  # noqa: SIM401 - get() would recurse

    def values(self) -> Any:
        return [self[name] for name in self]

    def items(self) -> Any:
        return [(name, self[name]) for name in self]


def _pack(section: Section) -> Any:
    """One string `k\0v\0k\0v` for a flat section; nested ones stay dicts."""
    if all(isinstance(v, str) and "\0" not in v for v in section.values()):
        return "\0".join(f"{k}\0{v}" for k, v in section.items())
    return section


def _unpack(packed: Any) -> Section:
    if isinstance(packed, dict):
        return packed
    if not packed:
        return {}
    parts = packed.split("\0")
    return dict(zip(parts[::2], parts[1::2]))


class AwsConfig:
    """The profiles and sso-sessions of one config (plus credentials) file."""

    def __init__(
        self, profiles: Dict[str, Section], sessions: Dict[str, Section], source: str
    ) -> None:
        self.profiles = profiles
        self.sessions = sessions
        self.source = source

    def names(self) -> List[str]:
        """Profile names in file order."""
        return list(self.profiles)

    def get(self, name: str) -> Section:
        """A profile's keys, or ProfileNotFound naming it with close matches."""
        try:
            return self.profiles[name]
        except KeyError:
            raise ProfileNotFound(self.not_found_message(name)) from None

    def not_found_message(self, name: str) -> str:
        """`profile 'prdo' not found in FILE (did you mean: prod?)`."""
        import difflib

        close = difflib.get_close_matches(name, list(self.profiles), n=3, cutoff=0.6)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        return f"profile '{name}' not found in {self.source}{hint}"

    def sso_target(self, name: str) -> Optional[SsoTarget]:
        """The SSO login behind a profile, or None when the profile does not use SSO.

        A profile reached with `source_profile` + `role_arn` uses the SSO login
        of the first SSO profile in its chain.
        """
        seen: List[str] = []
        current = name
        while True:
            values = self.get(current)
            if current in seen:
                chain = " -> ".join([*seen, current])
                raise ConfigError(f"profile chain has a cycle: {chain}")
            seen.append(current)
            target = self._direct_sso_target(current, values)
            if target is not None or "role_arn" not in values:
                return target
            source = _text(values, "source_profile")
            if not source:
                return None
            current = source

    def _direct_sso_target(self, name: str, values: Section) -> Optional[SsoTarget]:
        session_name = _text(values, "sso_session")
        if session_name is not None:
            if session_name not in self.sessions:
                raise ConfigError(
                    f"profile '{name}' names sso_session '{session_name}', but {self.source} "
                    f"has no [sso-session {session_name}] section"
                )
            session = self.sessions[session_name]
            start_url = _text(session, "sso_start_url")
            region = _text(session, "sso_region")
            missing = _missing(start_url, region)
            if missing:
                raise ConfigError(
                    f"[sso-session {session_name}] in {self.source} is missing {', '.join(missing)}"
                )
            assert start_url is not None and region is not None
            return SsoTarget(
                profile=name,
                session_name=session_name,
                start_url=start_url,
                region=region,
                scopes=parse_scopes(_text(session, "sso_registration_scopes")),
                account_id=_text(values, "sso_account_id"),
                role_name=_text(values, "sso_role_name"),
            )
        if "sso_start_url" in values or "sso_account_id" in values or "sso_role_name" in values:
            start_url = _text(values, "sso_start_url")
            region = _text(values, "sso_region")
            missing = _missing(start_url, region)
            if missing:
                raise ConfigError(
                    f"profile '{name}' in {self.source} is missing {', '.join(missing)} "
                    "(or an sso_session)"
                )
            assert start_url is not None and region is not None
            return SsoTarget(
                profile=name,
                session_name=None,
                start_url=start_url,
                region=region,
                scopes=None,
                account_id=_text(values, "sso_account_id"),
                role_name=_text(values, "sso_role_name"),
            )
        return None

    def session_target(self, session_name: str) -> SsoTarget:
        """The SSO login of a named sso-session (for `login --sso-session`)."""
        if session_name not in self.sessions:
            import difflib

            close = difflib.get_close_matches(session_name, list(self.sessions), n=3)
            hint = f" (did you mean: {', '.join(close)}?)" if close else ""
            raise ConfigError(
                f"sso-session '{session_name}' not found in {self.source}{hint}"
            )
        probe = self._direct_sso_target("", {"sso_session": session_name})
        assert probe is not None
        return probe

    def profiles_of_session(self, target: SsoTarget) -> List[str]:
        """Profile names that log in through the same session as `target`."""
        names = []
        for name in self.profiles:
            try:
                other = self.sso_target(name)
            except ConfigError:
                continue
            if other is not None and other.cache_key == target.cache_key:
                names.append(name)
        return names


def _signature(path: str) -> Optional[Tuple[int, int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def _index_path(config_path: str, credentials_path: str) -> str:
    digest = sha1_hex(f"{config_path}\0{credentials_path}".encode())[:16]
    return os.path.join(paths.own_cache_dir(), f"config-{digest}.idx")


def load_config(use_index: bool = True) -> AwsConfig:
    """Read the config and credentials files (a missing file means no profiles)."""
    config_path = paths.config_file()
    credentials_path = paths.credentials_file()
    signature = (_signature(config_path), _signature(credentials_path))
    index = _index_path(config_path, credentials_path)
    if use_index and signature != (None, None):
        try:
            with open(index, "rb") as handle:
                cached = marshal.loads(handle.read())
            if cached[0] == _INDEX_VERSION and cached[1] == signature:
                return AwsConfig(_PackedProfiles(cached[2]), cached[3], config_path)
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            pass
    config_text = _read_text(config_path)
    credentials_text = _read_text(credentials_path)
    profiles, sessions = build_maps(
        parse_ini(config_text, config_path) if config_text else [],
        parse_ini(credentials_text, credentials_path) if credentials_text else [],
    )
    if use_index and signature != (None, None):
        packed = {name: _pack(values) for name, values in profiles.items()}
        _write_index(index, (_INDEX_VERSION, signature, packed, sessions))
    return AwsConfig(profiles, sessions, config_path)


def _write_index(index: str, payload: Any) -> None:
    """Best effort: a read-only or full disk only costs speed."""
    try:
        from shellsso.files import write_atomic

        write_atomic(index, marshal.dumps(payload))
    except OSError:
        pass


def active_profile_name() -> str:
    """The profile the AWS CLI v2 would use: AWS_PROFILE, AWS_DEFAULT_PROFILE, `default`."""
    return os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"
