"""`shellsso logout`: sign out at the portal, then forget the session locally.

One session (by profile or sso-session name) loses its token file and the
role credentials its profiles cached in ~/.aws/cli/cache. `--all` does what
`aws sso logout` does (docs/protocol.md §5.5): every token file of any tool, every
`ProviderType: sso` credential file. Client registrations always stay: they
are not secrets of a sign-in and the next login reuses them.
"""

from __future__ import annotations

import argparse
import os
from typing import List, Optional

from shellsso.awsconfig.model import SsoTarget, load_config
from shellsso.core import paths
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.files import read_json, remove, sweep_temp_files
from shellsso.core.output import counted, info, warn
from shellsso.sso import token_cache


def portal_logout(target: SsoTarget, access_token: str) -> Optional[str]:
    """Call the portal's Logout; the failure as text (None when it worked)."""
    from shellsso.sso import oidc
    client = oidc.make_client("sso", target)
    try:
        oidc.call(client, "Logout", target, lambda: client.logout(accessToken=access_token),
                  service="SSO portal")
    except ShellssoError as err:
        return err.message
    return None


def logout_target(target: SsoTarget) -> None:
    """Sign out one session and remove its token and its profiles' role credentials."""
    from shellsso.creds.role_credentials import role_cache_path

    config = load_config()
    with token_cache.session_lock(target):
        token = token_cache.load_token(target)
        signed_out = False
        if token is not None and token.is_valid():
            failure = portal_logout(target, token.access_token)
            if failure:
                warn(f"could not sign out at the portal ({failure}); removing the local token")
            signed_out = failure is None
        had_token = token_cache.delete_token(target)
        removed = 0
        seen = set()
        for name in config.profiles_of_session(target):
            other = config.sso_target(name)
            if other is None or not other.account_id or not other.role_name:
                continue
            path = role_cache_path(other)
            if path not in seen:
                seen.add(path)
                removed += remove(path)
        _sweep()
    creds = counted(removed, "cached role credential")
    if had_token:
        done = "signed out at the portal, " if signed_out else ""
        what = f"its token and {creds}" if removed else "its token (no cached role credentials)"
        info(f"Logged out of {target.label}: {done}removed {what}")
    elif removed:
        info(f"No cached token for {target.label}; removed {creds}")
    else:
        info(f"No cached token or role credentials for {target.label}: nothing to remove")


def _sweep() -> None:
    """Temp files a killed write left behind hold tokens and keys too: remove them."""
    sweep_temp_files(paths.sso_cache_dir())
    sweep_temp_files(paths.cli_cache_dir())


def _json_files(folder: str) -> List[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if n.endswith(".json")]


def logout_all() -> None:
    """`aws sso logout`: every token file with accessToken, every sso credential file."""
    sessions = 0
    for path in _json_files(paths.sso_cache_dir()):
        data = read_json(path, "SSO cache file")
        if not data or not isinstance(data.get("accessToken"), str):
            continue
        region = data.get("region")
        token = token_cache.token_from_json(data)
        if isinstance(region, str) and region and token is not None and token.is_valid():
            failure = _logout_region(region, token.access_token)
            if failure:
                warn(f"could not sign out at the portal for {data.get('startUrl') or path} "
                     f"({failure}); removing the local token")
        sessions += remove(path)
    credentials = 0
    for path in _json_files(paths.cli_cache_dir()):
        data = read_json(path, "credential cache file")
        if data and data.get("ProviderType") == "sso":
            credentials += remove(path)
    _sweep()
    tokens, creds = counted(sessions, "SSO token"), counted(credentials, "cached role credential")
    if sessions and credentials:
        info(f"Logged out: removed {tokens} and {creds}")
    elif sessions or credentials:
        none = "no cached role credentials" if sessions else "no SSO tokens"
        info(f"Logged out: removed {tokens if sessions else creds} ({none})")
    else:
        info("Nothing to log out of: no SSO tokens or cached role credentials")


def _logout_region(region: str, access_token: str) -> Optional[str]:
    target = SsoTarget(profile="", session_name=None, start_url="", region=region,
                       scopes=None, account_id=None, role_name=None)
    return portal_logout(target, access_token)


def run(args: argparse.Namespace) -> int:
    """`shellsso logout [--profile P | --sso-session S | --all]`."""
    if getattr(args, "all", False):
        logout_all()
        return ExitStatus.OK
    from shellsso.commands.login import resolve_target

    logout_target(resolve_target(getattr(args, "profile", None),
                                 getattr(args, "sso_session", None)))
    return ExitStatus.OK
