"""Role credentials shared with the AWS CLI v2 cache (`~/.aws/cli/cache`).

The key and JSON are the CLI's own (PROTOCOL §3), so credentials fetched by
either tool serve the other, and `aws sso logout` sweeps ours too.
"""

from __future__ import annotations

import hashlib
import json
import os

from shellsso import paths
from shellsso.config import SsoTarget


def role_cache_key(target: SsoTarget) -> str:
    """sha1 of the compact, sorted JSON the CLI hashes for an SSO role."""
    args = {"roleName": target.role_name, "accountId": target.account_id}
    if target.session_name is not None:
        args["sessionName"] = target.session_name
    else:
        args["startUrl"] = target.start_url
    digest = hashlib.sha1(json.dumps(args, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def role_cache_path(target: SsoTarget) -> str:
    """`~/.aws/cli/cache/<key>.json` for the target's account and role."""
    return os.path.join(paths.cli_cache_dir(), role_cache_key(target) + ".json")
