"""`shellsso list [--json]`: every profile with its session, account, role, region and the
state of its token, the active one marked; token files read once per SSO session."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

from shellsso.awsconfig.model import AwsConfig, active_profile_name, load_config, setting_text
from shellsso.commands.status import profile_kind, role_of_arn_setting
from shellsso.core.errors import ConfigError
from shellsso.core.output import columns
from shellsso.core.safety import visible
from shellsso.sso.session import token_state


def list_rows(config: AwsConfig, now: Optional[float] = None) -> List[Dict[str, Any]]:
    """One dict per profile; token files are read once per distinct SSO session."""
    current = time.time() if now is None else now
    active = active_profile_name()
    states: Dict[Tuple[Optional[str], str], str] = {}
    rows = []
    for name, values in config.profiles.items():
        kind = profile_kind(values)
        row: Dict[str, Any] = {
            "name": name, "active": name == active, "kind": kind,
            "ssoSession": setting_text(values, "sso_session"),
            "startUrl": None,
            "accountId": setting_text(values, "sso_account_id"),
            "roleName": setting_text(values, "sso_role_name"),
            "region": setting_text(values, "region"),
            "token": None,
        }
        if kind in ("sso", "sso-legacy"):
            try:
                target = config.sso_target(name)
            except ConfigError:
                target = None
                row["token"] = "config-error"
            if target is not None:
                row["startUrl"] = target.start_url
                # One token file per session: keyed without hashing, as at 10,000 rows it counts.
                session = (target.session_name, target.start_url)
                if session not in states:
                    states[session] = token_state(target, current)[0]
                row["token"] = states[session]
        elif kind in ("assume-role", "web-identity"):
            row["accountId"], row["roleName"] = role_of_arn_setting(values)
            row["sourceProfile"] = setting_text(values, "source_profile")
        rows.append(row)
    return rows


def _session_cell(row: Dict[str, Any]) -> str:
    if row["ssoSession"]:
        return str(row["ssoSession"])
    if row["kind"] == "sso-legacy":
        return row["startUrl"] or "(legacy)"
    if row["kind"] in ("assume-role", "web-identity"):
        return f"via {row['sourceProfile']}" if row.get("sourceProfile") else f"({row['kind']})"
    if row["kind"] == "none":
        return "-"
    return f"({row['kind']})"


def format_list(rows: List[Dict[str, Any]]) -> str:
    """Aligned columns as `awsuse` lists profiles (output.columns), the active one `*`."""
    header = ["PROFILE", "SESSION", "ACCOUNT", "ROLE", "REGION", "TOKEN"]
    table = [header] + [
        [visible(cell or "") for cell in (
            r["name"], _session_cell(r), r["accountId"], r["roleName"], r["region"], r["token"])]
        for r in rows
    ]
    marks = [" "] + ["*" if r["active"] else " " for r in rows]
    return "\n".join(f"{mark} {line}" for mark, line in zip(marks, columns(table, limit=None)))


def run(args: argparse.Namespace) -> int:
    """Every profile as a row, or the rows as JSON with --json."""
    rows = list_rows(load_config())
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    elif rows:
        sys.stdout.write(format_list(rows) + "\n")
    else:
        from shellsso.awsconfig.first_run import missing_config
        from shellsso.core import paths

        sys.stderr.write(f"no profiles: {missing_config() or f'none in {paths.config_file()}'}\n")
    return 0
