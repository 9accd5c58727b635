"""The AWS shared config and credentials files: profiles, sso-sessions, SSO targets.

Parsing (shellsso.awsconfig.ini) follows botocore's rules exactly, and the profile map
is built as botocore's `build_profile_map` and `Session.full_config` build
it: `[profile NAME]` split like shlex, `[default]` vs `[profile default]`
last wins, credentials-file keys merged over config-file profiles.

Reading 10,000 profiles on every `awsuse` would cost more than Python's own
start-up, so the parsed result is kept in an index (shellsso.awsconfig.index) in
shellsso's cache; `awsuse PROFILE` reads that one profile (and its session)
from it, the listings read it whole. The index is used only while both files
are the very files it was made from, and never holds a secret.
"""

from __future__ import annotations

import os

from shellsso.core import paths
from shellsso.core.errors import ConfigError, ProfileNotFound
from shellsso.core.fast_stdlib import Record, sha1_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any, Dict, List, Optional, Tuple

    from shellsso.awsconfig.index import Index
    from shellsso.awsconfig.ini import Section as Section

# Values that the index must never hold (the credential code reads them from the files).
_SECRET_KEYS = frozenset({"aws_secret_access_key", "aws_session_token", "aws_security_token"})


def _missing(start_url: Optional[str], region: Optional[str]) -> List[str]:
    """Names of the required SSO keys that are absent or empty."""
    return [k for k, v in (("sso_start_url", start_url), ("sso_region", region)) if not v]


def setting(values: Section, key: str, where: str = "") -> Optional[str]:
    """A plain string setting or None; a nested block where one value belongs is an error."""
    value = values.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"{where or 'a profile'} has '{key}' as a nested block of indented "
                      "lines; it takes one value")


def setting_text(values: Mapping[str, object], key: str) -> Optional[str]:
    """A setting to show or report: its one-line value, None when unset, blank or a nested
    block (`key =` and indented lines), where `setting` refuses the block."""
    value = values.get(key)
    return value if isinstance(value, str) and value else None


def build_maps(
    config_sections: List[Tuple[str, Section]], credential_sections: List[Tuple[str, Section]],
    hide_secrets: bool = True,
) -> Tuple[Dict[str, Section], Dict[str, Section]]:
    """Profiles and sso-sessions from parsed sections, as botocore builds them.

    A name seen again keeps its first place and takes the later values, as a
    dict update does in botocore. With `hide_secrets`, secret values read
    "(hidden)": what is kept in memory is what the index may hold.
    """
    from shellsso.awsconfig.ini import profile_name, session_name

    clean = _without_secrets if hide_secrets else dict
    profiles: Dict[str, Section] = {}
    sessions: Dict[str, Section] = {}
    for header, raw in config_sections:
        name = profile_name(header)
        if name is not None:
            profiles[name] = clean(raw)
            continue
        name = session_name(header)
        if name is not None:
            sessions[name] = clean(raw)
    for name, raw in credential_sections:
        values = clean(raw)
        if name in profiles:
            profiles[name] = {**profiles[name], **values}
        else:
            profiles[name] = values
    return profiles, sessions


def _without_secrets(values: Section) -> Section:
    """A section with secret values replaced: the index on disk must never hold one."""
    if _SECRET_KEYS.isdisjoint(values):
        return dict(values)
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
    def login_command(self) -> str:
        """The command that logs in to this session again (messages name it as the fix)."""
        if self.profile:
            return f"shellsso login --profile {self.profile}"
        if self.session_name is not None:
            return f"shellsso login --sso-session {self.session_name}"
        return "shellsso login"

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


if TYPE_CHECKING:
    _MappingBase = Mapping[str, "Section"]
else:  # an ABC base would cost class-creation time on every awsuse
    _MappingBase = object


class _Indexed(_MappingBase):
    """Profiles or sessions behind the index: a lookup reads one, iteration reads all.

    `name in`, `[name]` and get() ask the index for that name alone (and
    remember the answer); anything that needs every name (iteration, len,
    items) loads the whole table once.
    """

    def __init__(self, index: Index, kind: str) -> None:
        self.index = index
        self._kind = kind
        self._found: Dict[str, Section] = {}
        self._absent: set[str] = set()
        self._complete = False

    def _fetch(self, name: object) -> bool:
        if name in self._found:
            return True
        if self._complete or not isinstance(name, str) or name in self._absent:
            return False
        values = self.index.lookup(self._kind, name)
        if values is None:
            self._absent.add(name)
            return False
        self._found[name] = values
        return True

    def _all(self) -> Dict[str, Section]:
        if not self._complete:
            profiles, sessions = self.index.everything()
            self._found = profiles if self._kind == "p" else sessions
            self._complete = True
        return self._found

    def __contains__(self, name: object) -> bool:
        return self._fetch(name)

    def __getitem__(self, name: str) -> Section:
        if not self._fetch(name):
            raise KeyError(name)
        return self._found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def keys(self) -> Any:
        return self._all().keys()

    def values(self) -> Any:
        return self._all().values()

    def items(self) -> Any:
        return self._all().items()

    def get(self, name: str, default: Any = None) -> Any:
        return self._found[name] if self._fetch(name) else default

    def __eq__(self, other: object) -> bool:
        return self._all() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all())


class AwsConfig:
    """The profiles and sso-sessions of one config (plus credentials) file."""

    def __init__(
        self, profiles: Mapping[str, Section], sessions: Mapping[str, Section], source: str
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

    def text(self, name: str, key: str) -> Optional[str]:
        """A profile's one-line setting, or None; a nested block there is a ConfigError."""
        return setting(self.get(name), key, f"profile '{name}' in {self.source}")

    def not_found_message(self, name: str) -> str:
        """`profile 'prdo' not found in FILE (did you mean: prod?)`."""
        from shellsso.core.output import did_you_mean

        return f"profile '{name}' not found in {self.source}{did_you_mean(name, self.profiles)}"

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
            source = setting(values, "source_profile", f"profile '{current}' in {self.source}")
            if not source:
                return None
            if source not in self.profiles:  # as export says it, not "profile 'gone' not found"
                raise ConfigError(f"source_profile '{source}' of profile '{current}' does not "
                                  f"exist in {self.source}")
            current = source

    def _direct_sso_target(self, name: str, values: Section) -> Optional[SsoTarget]:
        """The profile's own SSO login: through its sso-session, or legacy keys of its own."""
        where = f"profile '{name}' in {self.source}"
        session_name = setting(values, "sso_session", where)
        if session_name is not None:
            if session_name not in self.sessions:
                raise ConfigError(
                    f"profile '{name}' names sso_session '{session_name}', but {self.source} "
                    f"has no [sso-session {session_name}] section"
                )
            keys, at, alternative = (self.sessions[session_name],
                                     f"[sso-session {session_name}] in {self.source}", "")
        elif "sso_start_url" in values or "sso_account_id" in values or "sso_role_name" in values:
            keys, at, alternative = values, where, " (or an sso_session)"
        else:
            return None
        start_url = setting(keys, "sso_start_url", at)
        region = setting(keys, "sso_region", at)
        missing = _missing(start_url, region)
        if missing:
            raise ConfigError(f"{at} is missing {', '.join(missing)}{alternative}")
        assert start_url is not None and region is not None
        self._known_digest(session_name if session_name is not None else start_url)
        return SsoTarget(
            profile=name,
            session_name=session_name,
            start_url=start_url,
            region=region,
            scopes=None if session_name is None else parse_scopes(
                setting(keys, "sso_registration_scopes", at)),
            account_id=setting(values, "sso_account_id", where),
            role_name=setting(values, "sso_role_name", where),
        )

    def _known_digest(self, text: str) -> None:
        """Tell sha1_hex the token file's name if the index has it (no sha1 module load)."""
        profiles = self.profiles
        if isinstance(profiles, _Indexed):
            digest = profiles.index.lookup("h", text)
            if isinstance(digest, str) and len(digest) == 40 and not digest.strip(
                    "0123456789abcdef"):
                from shellsso.core.fast_stdlib import KNOWN_SHA1

                KNOWN_SHA1[text.encode("utf-8", "surrogatepass")] = digest

    def session_target(self, session_name: str) -> SsoTarget:
        """The SSO login of a named sso-session (for `login --sso-session`)."""
        if session_name not in self.sessions:
            from shellsso.core.output import did_you_mean

            raise ConfigError(f"sso-session '{session_name}' not found in {self.source}"
                              f"{did_you_mean(session_name, self.sessions)}")
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


def _parse_files() -> Tuple[List[Tuple[str, Section]], List[Tuple[str, Section]]]:
    """The sections of the config and credentials files, as botocore reads them."""
    # The parser is needed only when the index is stale: not imported on the hot path.
    from shellsso.awsconfig.ini import parse_ini, read_text

    config_path, credentials_path = paths.config_file(), paths.credentials_file()
    config_text = read_text(config_path)
    credentials_text = read_text(credentials_path)
    return (parse_ini(config_text, config_path) if config_text else [],
            parse_ini(credentials_text, credentials_path) if credentials_text else [])


def profile_from_files(name: str) -> Section:
    """One profile read from the files themselves, secrets included ({} when absent).

    For the values that decide what runs or which keys are used
    (`credential_process`, static keys): the index is never trusted with them.
    """
    profiles, _ = build_maps(*_parse_files(), hide_secrets=False)
    return profiles.get(name, {})


def profile_in_each_file(name: str) -> Tuple[Section, Section]:
    """One profile as (the config file has it, the credentials file has it), secrets included.

    botocore reads static keys from the credentials file before it runs a
    `credential_process`, and from the config file after (docs/protocol.md §8).
    """
    config_sections, credential_sections = _parse_files()
    in_config, _ = build_maps(config_sections, [], hide_secrets=False)
    in_credentials, _ = build_maps([], credential_sections, hide_secrets=False)
    return in_config.get(name, {}), in_credentials.get(name, {})


def load_config(use_index: bool = True) -> AwsConfig:
    """Read the config and credentials files (a missing file means no profiles)."""
    from shellsso.awsconfig import index as config_index
    config_path = paths.config_file()
    credentials_path = paths.credentials_file()
    sources = (config_index.source_identity(config_path),
               config_index.source_identity(credentials_path))
    use_index = use_index and sources != (None, None)
    index = config_index.index_path(paths.own_cache_dir(), (config_path, credentials_path))
    if use_index:
        opened = config_index.open_index(index, sources)
        if opened is not None:
            return AwsConfig(_Indexed(opened, "p"), _Indexed(opened, "s"), config_path)
    profiles, sessions = build_maps(*_parse_files())
    if use_index and config_index.source_identity(config_path) == sources[0] \
            and config_index.source_identity(credentials_path) == sources[1]:
        config_index.write_index(index, sources, profiles, sessions)
    return AwsConfig(profiles, sessions, config_path)


def active_profile_name(env: Optional[Mapping[str, str]] = None) -> str:
    """The profile the AWS CLI v2 would use: AWS_PROFILE, AWS_DEFAULT_PROFILE, `default`
    (in `env`, by default this process's environment)."""
    env = os.environ if env is None else env
    return env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
