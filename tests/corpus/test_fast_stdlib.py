"""The hot path's stand-ins for stdlib functions print exactly what the stdlib prints.

`export`, `credential-process` and the role-cache key write JSON without
importing `json`; a key that differed by one byte from the AWS CLI's would
miss the shared cache, and a document that differed would be a lie to SDKs.
"""

from __future__ import annotations

import json
from typing import Dict, Optional, Union

from hypothesis import given, settings
from hypothesis import strategies as st

from shellsso.core.fast_stdlib import json_dumps_flat

VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text())


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(), VALUES, max_size=6), st.sampled_from([None, 0, 2, 4]),
       st.booleans(), st.booleans())
def test_flat_json_is_json_dumps(obj: Dict[str, Union[None, bool, int, str]],
                                 indent: Optional[int], compact: bool, sort_keys: bool) -> None:
    expected = json.dumps(obj, indent=indent, sort_keys=sort_keys,
                          separators=(",", ":") if compact else None)
    assert json_dumps_flat(obj, indent=indent, compact=compact, sort_keys=sort_keys) == expected


def test_anything_else_goes_to_json() -> None:
    assert json_dumps_flat({"a": 1.5, "b": [1]}) == json.dumps({"a": 1.5, "b": [1]})
