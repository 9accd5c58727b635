"""Is a region one AWS has? `awsuse --region` warns on a typo instead of setting
AWS_REGION to something every AWS command will then fail on.

A region is known when the list that completion offers has it, or else
botocore's own endpoints data, read as a file (no botocore import), so that a
region newer than the list is not called unknown. `awsuse --region` warns;
configure asks again, with close matches, and takes a region typed twice.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# What `awsuse --region <TAB>` offers: the commercial, China and GovCloud regions.
REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2",
    "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
    "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
)
"""Kept here, free of imports, so that `awsuse --region` checks it at no cost."""


REGION_NAME = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
"""The shape of a region name: us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1
(matched as a whole string: `$` would let a trailing newline through)."""


def is_region_name(text: str) -> bool:
    """Shaped like an AWS region name (it may become part of a host name)."""
    import re  # not at import time: `awsuse --region` with a listed region needs none

    return re.fullmatch(REGION_NAME, text) is not None


def botocore_regions() -> list[str]:
    """The regions of every partition in botocore's endpoints.json (none if unreadable)."""
    import importlib.util
    import json

    try:
        spec = importlib.util.find_spec("botocore")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "endpoints.json")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return [name for part in data["partitions"] for name in part["regions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def unknown_region(region: str, listed: Iterable[str]) -> str | None:
    """A warning for a region neither `listed` nor botocore knows, else None."""
    names = list(listed)
    if region in names:
        return None
    more = botocore_regions()
    if region in more:
        return None
    from shellsso.core.output import did_you_mean

    hint = did_you_mean(region, sorted({*names, *more}))
    return f"region '{region}' is not an AWS region botocore knows{hint}; set anyway"


def known_region(region: str) -> tuple[bool, list[str]]:
    """(known, close matches): known when the list above or botocore's endpoints data has
    `region`; else up to three known regions it may be a typo of, closest first. The one
    test of a region against the known ones (configure's answers, doctor's findings)."""
    if region in REGIONS:
        return True, []
    more = botocore_regions()
    if region in more:
        return True, []
    from shellsso.core.output import close_names

    return False, close_names(region, sorted({*REGIONS, *more}))


def check_region(text: str) -> str | None:
    """Why `text` is no region name (None when it is one): the one rule for every region
    a command is given (configure's answers, populate's and console's --region)."""
    if is_region_name(text):
        return None
    return f"{text!r} is not an AWS region name (e.g. us-east-1, eu-west-1)"


def require_region(text: str, option: str = "") -> str:
    """`text` when it is a region name, else a usage error (`--region: ...` with `option`)."""
    problem = check_region(text)
    if problem is None:
        return text
    from shellsso.core.errors import ExitStatus, ShellssoError

    raise ShellssoError(f"{option}: {problem}" if option else problem, ExitStatus.USAGE)
