"""Text from outside (a flag, a cache file) is checked as a whole string of ASCII.

`$` in a regular expression also matches before a final newline, and
`str.isdigit` accepts superscript and other Unicode digits that `int` then
refuses: each check here fails on such input in its own way.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_shellsso, write_config, write_token

from shellsso.regions import is_region_name


def test_region_shape_is_a_whole_string() -> None:
    # configure and console take a region only of this shape; it becomes part of a host name.
    assert is_region_name("us-gov-west-1")
    for text in ("us-east-1\n", "us-east-\u0661", "\nus-east-1", "us-east-1 "):
        assert not is_region_name(text), repr(text)


def test_token_expiry_with_unicode_digits_is_no_crash(home: Path) -> None:
    write_config(home)
    path = write_token(home, "corp")
    data = json.loads(path.read_text())
    data["expiresAt"] = "2099-01-01T00:00:00+\u00b2\u00b2"
    path.write_text(json.dumps(data))
    result = run_shellsso("status", "--profile", "dev")
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
