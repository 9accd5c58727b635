"""shellsso reads every config file exactly as botocore does: generated files, 0 disagreements.

Each generated file is written to disk and read by botocore's own
`raw_config_parse` + `build_profile_map` and by shellsso's parser: both must
fail, or both must give the same profiles and sso-sessions, in the same order.
"""

from __future__ import annotations

import locale
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from botocore.configloader import build_profile_map, raw_config_parse
from botocore.exceptions import ConfigParseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shellsso.config import build_maps
from shellsso.errors import ConfigError
from shellsso.ini import parse_ini

UTF8 = locale.getpreferredencoding(False).lower().replace("-", "") == "utf8"
# Spaces that Python counts as whitespace, and characters str.splitlines splits on.
ODD = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\xa0", "\0"] if UTF8 else [
    "\x0c", "\x0b", "\x1c", "\x1e", "\0"]
NAMES = ["a", "dev", "default", "Default", '"my name"', "two words", "x'y", "p\\q"]
HEADERS = ["profile", "sso-session", "services", "profilex", "default", "DEFAULT", "other"]
KEYS = ["region", "sso_session", "Region", "s3", "credential_process", "a b", "k"]

indent = st.sampled_from(["", "", "", " ", "  ", "\t", "    ", "\x0c"])
text = st.text(alphabet=st.sampled_from(["x", "1", " ", "=", ":", "#", ";", "[", "]", *ODD]),
               max_size=6)


@st.composite
def header(draw: Any) -> str:
    head = draw(st.sampled_from(HEADERS))
    name = draw(st.sampled_from(NAMES))
    body = head if head in ("default", "DEFAULT") else f"{head} {name}"
    return draw(indent) + "[" + body + "]" + draw(st.sampled_from(["", "", "", " ", "x]"]))


@st.composite
def entry(draw: Any, key: str) -> List[str]:
    """One key with what may follow it: continuations, a nested block, blanks, comments."""
    pad = draw(indent)
    delim = draw(st.sampled_from([" = ", "=", ": ", " =", " : "]))
    lines = [pad + key + delim + draw(st.sampled_from(["", draw(text)]))]
    deeper = pad + draw(st.sampled_from([" ", "  ", "\t", "\x0c"]))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["more", "pair", "pair", "pair", "blank", "comment",
                                     "shallow"]))
        if kind == "more":
            lines.append(deeper + draw(text))
        elif kind == "pair":
            lines.append(deeper + draw(st.sampled_from(KEYS)) + " = " + draw(text))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t", *ODD[:2]])))
        elif kind == "comment":
            lines.append(draw(indent) + draw(st.sampled_from(["#", ";"])) + draw(text))
        else:
            lines.append(pad + draw(text))
    return lines


@st.composite
def config_lines(draw: Any) -> List[str]:
    lines: List[str] = []
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(text))  # something before any section
    for head in draw(st.lists(header(), max_size=5, unique_by=lambda h: h.strip()[:12])):
        lines.append(head)
        for key in draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=4)):
            lines += draw(entry(key))
    return lines


config_files = st.builds(
    lambda lines, ends: "".join(li + ends[i % len(ends)] for i, li in enumerate(lines)),
    config_lines(),
    st.lists(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]), min_size=1, max_size=3),
)


def _botocore(path: Path) -> Tuple[Any, ...]:
    try:
        raw = raw_config_parse(str(path))
    except ConfigParseError:
        return ("error",)
    built = build_profile_map(raw)
    return (list(raw.items()), list(built["profiles"].items()),
            list(built["sso_sessions"].items()))


def _shellsso(text: str, path: Path) -> Tuple[Any, ...]:
    try:
        sections = parse_ini(text, str(path))
    except ConfigError:
        return ("error",)
    profiles, sessions = build_maps(sections, [], hide_secrets=False)
    return (sections, list(profiles.items()), list(sessions.items()))


def _agree(text: str, folder: Path) -> None:
    path = folder / "config"
    path.write_bytes(text.encode("utf-8"))
    assert _shellsso(text, path) == _botocore(path), repr(text)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(config_files)
def test_generated_configs_read_as_botocore_reads_them(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _agree(text, Path(folder))


# What the generator found before the parser followed configparser, one case each.
KNOWN = [
    "[default]\n  a = 1\n  b = 2\n",  # indented keys are keys, not a continuation
    "[default]\na = x\x0cy\nb = 1\x1c2\n",  # form feed and \x1c stay inside a line
    "[DEFAULT]\nregion = r\n[profile a]\nb = 1\n[profile c]\nregion = own\n",  # inherited
    "[default]\na = 1\n\n  2\n\n  3\n",  # blank lines inside a value are kept
    "[default]\ns3 =\n  max = 1\n  oops\n",  # a block line without = is an error
    "[default]\na = 1\n[profile x]\n  [profile y]\nb = 2\n",  # an indented header is a header
    "[profile a]\nregion = 1\n[profile  a]\nregion = 2\n[profile b]\n",  # first place kept
    "[profile\x0ca]\nregion = 1\n",  # shlex splits on four whitespace characters only
    "[default]\r\na = 1\rb = 2\n",  # \r and \r\n end lines
]


@pytest.mark.parametrize("text", KNOWN)
def test_known_disagreements_are_gone(text: str, tmp_path: Path) -> None:
    _agree(text, tmp_path)


def test_credentials_file_sections_are_profiles_as_botocore_reads_them(tmp_path: Path) -> None:
    text = "[DEFAULT]\nregion = r\n[dev]\naws_access_key_id = A\n[profile x]\nk = v\n"
    path = tmp_path / "credentials"
    path.write_text(text)
    expected: Dict[str, Any] = raw_config_parse(str(path))
    sections: List[Tuple[str, Dict[str, Any]]] = parse_ini(text, str(path))
    profiles, _ = build_maps([], sections, hide_secrets=False)
    assert list(profiles.items()) == list(expected.items())


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(config_files, config_files)
def test_config_and_credentials_merge_as_botocore_merges_them(config: str,
                                                              credentials: str) -> None:
    from botocore.session import Session

    with tempfile.TemporaryDirectory() as folder:
        config_path, credentials_path = Path(folder) / "config", Path(folder) / "credentials"
        config_path.write_bytes(config.encode("utf-8"))
        credentials_path.write_bytes(credentials.encode("utf-8"))
        session = Session()
        session.set_config_variable("config_file", str(config_path))
        session.set_config_variable("credentials_file", str(credentials_path))
        try:
            expected: Any = list(session.full_config["profiles"].items())
        except ConfigParseError:
            expected = "error"
        try:
            profiles, _ = build_maps(parse_ini(config, str(config_path)),
                                     parse_ini(credentials, str(credentials_path)),
                                     hide_secrets=False)
            got: Any = list(profiles.items())
        except ConfigError:
            got = "error"
        assert got == expected, (config, credentials)
