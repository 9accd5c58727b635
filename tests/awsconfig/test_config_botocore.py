"""shellsso reads every config file exactly as botocore does: generated files, 0 disagreements.

Each generated file is written to disk and read by botocore's own
`raw_config_parse` + `build_profile_map` and by shellsso's parser: both must
fail, or both must give the same profiles and sso-sessions, in the same order.
"""

from __future__ import annotations

import locale
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from botocore.configloader import build_profile_map, raw_config_parse
from botocore.exceptions import ConfigParseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shellsso.awsconfig.ini import parse_ini, profile_name, split_lines
from shellsso.awsconfig.model import build_maps
from shellsso.core.errors import ConfigError

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
    # the writer's lines (with their endings) are the reader's lines
    assert [line.rstrip("\r\n") for line in split_lines(text)] == split_lines(text, False)


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


# --- the writer: every edit changes exactly what it targets, as botocore reads it ------------

# Characters str.splitlines breaks a line at and botocore does not; then what botocore
# breaks at. The non-ASCII ones only where botocore reads the file as UTF-8.
SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e"] + (
    ["\x85", "\u2028", "\u2029"] if UTF8 else [])
ENDINGS = ["\n", "\n", "\r\n", "\r"]
BEGIN_CORP = "# shellsso populate begin: corp"
END_CORP = "# shellsso populate end: corp"
# What a value may hide behind a separator: a line of its own for a writer that splits there.
HIDDEN = ["endpoint_url = https://evil.example", "[profile evil]", BEGIN_CORP, END_CORP,
          "region = x"]
EDIT_KEYS = ["region", "output", "sso_start_url", "s3", "credential_process", "a b"]

piece = st.text(alphabet=st.sampled_from(["x", "1", " ", "=", ":", "[", "]", "#", *SEPARATORS]),
                max_size=5)
written_value = st.builds(lambda a, b: f"w{a}{b}w", piece, st.sampled_from(["", *SEPARATORS]))


@st.composite
def raw_value(draw: Any) -> str:
    """A value's first line: now and then empty (a nested block may follow)."""
    text = "" if draw(st.integers(0, 5)) == 0 else "v" + draw(piece)
    if draw(st.integers(0, 2)) == 0:
        text += draw(st.sampled_from(SEPARATORS)) + draw(st.sampled_from(HIDDEN))
    return text


@st.composite
def editable_section(draw: Any, number: int, profiles_only: bool) -> List[str]:
    """A header (indented or not, spelt as botocore allows) and its keys, with continuation
    lines, comments, blank lines, indented headers and markers in between."""
    name = f"p{number}"
    shapes = [f"profile {name}", f"profile  '{name}'", f"profilex {name}",
              f"profile p{number - 1}"]
    if not profiles_only:
        shapes += ["default", "DEFAULT", "sso-session corp", f"services s{number}",
                   f"other{number}"]
    pad = draw(indent)
    lines = [pad + "[" + draw(st.sampled_from(shapes)) + "]"]
    for key in draw(st.lists(st.sampled_from(EDIT_KEYS), unique=True, max_size=3)):
        key_pad = draw(st.sampled_from([pad, "", pad + " "]))
        lines.append(key_pad + key + draw(st.sampled_from([" = ", "=", ": "])) + draw(raw_value()))
        deeper = key_pad + draw(st.sampled_from([" ", "  ", "\t"]))
        for _ in range(draw(st.integers(0, 2))):
            lines.append(draw(st.sampled_from([
                deeper + draw(raw_value()), deeper + f"[profile q{number}]", "",
                draw(indent) + "# note", deeper + "max = 1", draw(indent) + BEGIN_CORP])))
    if draw(st.integers(0, 3)) == 0:
        lines.append(draw(st.sampled_from([" ", "  "])) + f"[profile r{number}]")
    return lines


@st.composite
def editable_files(draw: Any) -> str:
    """Sections, maybe a populate block among them (now and then a broken one)."""
    lines: List[str] = []
    count = iter(range(1, 100))
    for _ in range(draw(st.integers(0, 3))):
        lines += draw(editable_section(next(count), False))
    if draw(st.integers(0, 3)):
        lines.append(draw(st.sampled_from(["", "", " ", "\t"])) + BEGIN_CORP)
        lines += draw(st.sampled_from([[], ["# Written by `shellsso populate`.", ""]]))
        for _ in range(draw(st.integers(0, 2))):
            lines += draw(editable_section(next(count), draw(st.integers(0, 5)) > 0))
        lines.append(END_CORP)
    for _ in range(draw(st.integers(0, 2))):
        lines += draw(editable_section(next(count), False))
    ends = draw(st.lists(st.sampled_from(ENDINGS), min_size=1, max_size=3))
    return "".join(line + ends[i % len(ends)] for i, line in enumerate(lines))


def _botocore_view(text: str, folder: Path) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """(sections, [DEFAULT] keys) as botocore reads the file; None when it cannot."""
    import configparser

    from botocore.configloader import _parse_nested

    path = folder / "config"
    path.write_bytes(text.encode("utf-8"))
    try:
        sections = raw_config_parse(str(path))
    except ConfigParseError:
        return None
    parser = configparser.RawConfigParser()
    parser.read([str(path)])
    defaults: Dict[str, Any] = {}
    for key, value in parser.defaults().items():
        try:
            defaults[key] = _parse_nested(value) if value.startswith("\n") else value
        except ValueError:  # botocore reads it only into a section, and there is none
            defaults[key] = value
    return sections, defaults


class EditOutcome:
    """Counts over the generated files, for the figures the tests and benchmarks report."""

    files = 0
    unreadable = 0  # botocore cannot read the generated file: the writer must refuse it too
    edits = 0
    refused = 0  # the writer refused (a broken block, a file it cannot keep as it is)
    disagreements = 0


def _expect_unchanged(before: Dict[str, Any], after: Dict[str, Any], targets: set[str],
                      text: str) -> None:
    untouched = [name for name in before if name not in targets]
    kept = [name for name in after if name not in targets]
    if kept != untouched or any(after[name] != before[name] for name in untouched):
        EditOutcome.disagreements += 1
        raise AssertionError(f"a section the edit did not target changed: {text!r}")


def _check_edit(text: str, edit: Any, folder: Path) -> Optional[Tuple[Any, Any, Any]]:
    """Apply `edit` to a Document of `text`: (botocore before, after, edit's result), or None
    when the writer refused. An edit the writer accepts must give a file botocore reads."""
    from shellsso.awsconfig.edit import Document, check_parses
    from shellsso.core.errors import ShellssoError

    before = _botocore_view(text, folder)
    assert before is not None
    doc = Document(text)
    EditOutcome.edits += 1
    try:
        result = edit(doc)
        check_parses(doc.text, "config")
    except ShellssoError:
        EditOutcome.refused += 1
        return None
    after = _botocore_view(doc.text, folder)
    if after is None:
        EditOutcome.disagreements += 1
        raise AssertionError(f"the writer accepted an edit botocore cannot read: {doc.text!r}")
    return before, after, result


def check_edits(text: str, data: Any) -> None:
    """Set keys in a profile, add a profile, replace the populate block: each must leave
    botocore's view of every other section as it was, and the targeted one exactly as
    written (with what [DEFAULT] gives every section)."""
    from shellsso.awsconfig.edit import check_parses, names_in_use, profile_header
    from shellsso.commands.populate import block_profiles, find_block, render_block
    from shellsso.core.errors import ShellssoError

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        EditOutcome.files += 1
        seen = _botocore_view(text, folder)
        if seen is None:
            EditOutcome.unreadable += 1
            with pytest.raises(ShellssoError):
                check_parses(text, "config")
                parse_ini(text, "config")  # nested-block errors: the reader's check
            return
        sections, defaults = seen
        profiles = build_profile_map(sections)["profiles"]

        # 1. configure's edit of a profile, existing or new
        target = data.draw(st.sampled_from(sorted(profiles) + ["p0", "new one"]))
        values = {"sso_session": "corp", "region": data.draw(written_value)}

        def set_profile(doc: Any) -> str:
            found = doc.find_profile(target)
            header: str = found[0] if found else profile_header(target)
            doc.remove_keys(header, ["sso_start_url"])
            doc.set_keys(header, values)
            return header

        done = _check_edit(text, set_profile, folder)
        if done is not None:
            (old, _), (new, new_defaults), header = done
            expected = {k: v for k, v in old.get(header, {}).items() if k != "sso_start_url"}
            if "sso_start_url" in defaults:
                expected["sso_start_url"] = defaults["sso_start_url"]
            expected = {**new_defaults, **expected, **values}
            if new.get(header) != expected or \
                    build_profile_map(new)["profiles"].get(target) != expected:
                EditOutcome.disagreements += 1
                raise AssertionError(f"profile {target!r} is not as written: {text!r}")
            _expect_unchanged(old, new, {header}, text)

        # 2. populate's edit: the block replaced (or appended)
        wanted = data.draw(st.lists(st.sampled_from(["gen-a", "gen-b", "p1", "p3", "r2"]),
                                    unique=True, max_size=3))

        def replace_block(doc: Any) -> set[str]:
            block = find_block(doc, "corp", "config")
            outside = names_in_use(doc, "config", block)
            made = {n: {"sso_session": "corp", "sso_account_id": "111111111111",
                        "sso_role_name": values["region"], "region": "us-east-1"}
                    for n in wanted if n not in outside}
            inside = {h for h, start, _ in doc.sections()
                      if block is not None and block[0] < start < block[1]}
            assert set(block_profiles(doc, block)) <= {profile_name(h) for h in inside}
            lines = render_block("corp", made, "shellsso populate --sso-session corp")
            if block is None:
                doc.append_lines(lines)
            else:
                doc.replace_lines(block[0], block[1] + 1, lines)
            made_headers = {f"profile {n}" for n in made}
            for n in made:
                expected_block[f"profile {n}"] = made[n]
            return inside | made_headers

        expected_block: Dict[str, Dict[str, str]] = {}
        done = _check_edit(text, replace_block, folder)
        if done is not None:
            (old, _), (new, new_defaults), targets = done
            for header, written in expected_block.items():
                if new.get(header) != {**new_defaults, **written}:
                    EditOutcome.disagreements += 1
                    raise AssertionError(f"[{header}] is not as written: {text!r}")
            _expect_unchanged(old, new, targets, text)


@pytest.fixture(scope="module", autouse=True)
def no_credentials_file() -> Any:
    """The writer looks names up in the credentials file: here, one that does not exist."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        yield


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(editable_files(), st.data())
def test_every_edit_changes_exactly_what_it_targets_as_botocore_reads_it(
        text: str, data: Any) -> None:
    check_edits(text, data)


# What the writer got wrong before it shared the reader's line model (the first six),
# and two it got right that the shared model must keep right.
KNOWN_EDITS = [
    "[profile p1]\nregion = a\u2028endpoint_url = https://evil.example\n",  # U+2028 is no break
    "[profile p1]\nregion = a\x0cendpoint_url = https://evil.example\n",  # nor is a form feed
    "[profile p1]\n  [profile p2]\nregion = a\n",  # an indented header after a header
    f"[profile p0]\nregion = a\n{BEGIN_CORP}\n{END_CORP}\noutput = b\n",  # a key after the end
    f"[profile p0]\nregion = a\u2028{BEGIN_CORP}\noutput = b\n{END_CORP}\n",  # no marker
    "[profile p0]\n    region = a\n  [profile p1]\n",  # a header less indented than a key
    "[profile p0]\nregion = a\n  [profile p1]\noutput = b\n",  # an indented header in a value
    "[profile p0]\rregion = a\r[profile p1]\r",  # \r ends a line
]


@pytest.mark.parametrize("text", KNOWN_EDITS)
def test_known_edit_disagreements_are_gone(text: str) -> None:
    # every choice of target and value the generator would make
    for target in ["p0", "p1", "new one"]:
        check_edits(text, _Fixed([target, "wvaluew", ["gen-a", "p1"]]))


class _Fixed:
    """A stand-in for hypothesis' `data` that hands out given values in order."""

    def __init__(self, values: List[Any]) -> None:
        self.values = list(values)

    def draw(self, _strategy: Any) -> Any:
        return self.values.pop(0)
