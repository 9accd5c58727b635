"""`shellsso console`: the AWS web console, signed in as a profile.

The profile's temporary credentials (from the CLI cache when fresh, as
`export` gets them) go to the federation endpoint's getSigninToken; the
sign-in token it answers becomes the login URL that opens the console
(docs/protocol.md §9). That URL signs in once within 15 minutes: it is shown only
when asked for (--print) or when no browser can be opened here, never in an
error or a log, and it reaches the browser through a page only the user can
read, never through a command line, which every local user can see.
`--portal` opens the access portal's own shortcut instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional

from shellsso.awsconfig.first_run import require_config
from shellsso.awsconfig.model import AwsConfig, active_profile_name, load_config
from shellsso.awsconfig.regions import require_region
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.creds import console_urls
from shellsso.creds.resolve import get_role_credentials
from shellsso.creds.role_credentials import Credentials, has_static_keys

SIGNIN_URL_VAR = "SHELLSSO_SIGNIN_URL"
MIN_MINUTES, MAX_MINUTES = 15, 720


def check_duration(minutes: Optional[int]) -> Optional[int]:
    """--duration in minutes to SessionDuration in seconds (None: the service's default)."""
    if minutes is None:
        return None
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ShellssoError(
            f"--duration must be between {MIN_MINUTES} and {MAX_MINUTES} minutes",
            ExitStatus.USAGE,
        )
    return minutes * 60


def profile_region(values: dict[str, object]) -> Optional[str]:
    region = values.get("region")
    return region if isinstance(region, str) and region else None


def console_region(requested: Optional[str], values: dict[str, object]) -> str:
    """--region, else the region botocore would use (environment, profile), else us-east-1."""
    region = (requested or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
              or profile_region(values) or "us-east-1")
    return require_region(region.strip())


def is_role_chain(config: AwsConfig, profile: str) -> bool:
    """True when the profile's credentials come from AssumeRole on temporary credentials.

    The federation endpoint refuses SessionDuration for those (role chaining);
    AssumeRole straight from long-term keys is not chaining.
    """
    if "role_arn" not in config.get(profile):
        return False
    from shellsso.creds.assume import resolve_chain

    chain = resolve_chain(config, profile)
    if len(chain.roles) > 1:
        return True
    if chain.source_kind == "self":
        return "aws_session_token" in config.get(chain.source)
    if chain.source_kind == "credential_source":
        return bool(os.environ.get("AWS_SESSION_TOKEN") or os.environ.get("AWS_SECURITY_TOKEN"))
    source = config.get(chain.source)
    return not has_static_keys(source) or "aws_session_token" in source


def signin_endpoint(region: str) -> str:
    """SHELLSSO_SIGNIN_URL, or the partition's federation endpoint for the region.

    Credentials go to it, so an override must be https, or http on loopback
    (the emulator).
    """
    override = (os.environ.get(SIGNIN_URL_VAR) or "").strip()
    if not override:
        return console_urls.signin_url(region)
    from urllib.parse import urlsplit

    from shellsso.sso.browser import web_url_problem

    try:
        parts = urlsplit(override)
        extra = bool(parts.query or parts.fragment)
    except ValueError:
        extra = True
    if extra or web_url_problem(override) is not None:
        raise ShellssoError(
            f"{SIGNIN_URL_VAR} must be an https URL (or http on 127.0.0.1) without a query, "
            "such as https://signin.aws.amazon.com/federation"
        )
    return override


def _host(endpoint: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(endpoint).netloc


def get_signin_token(
    endpoint: str, creds: Credentials, session_duration: Optional[int], profile: str
) -> str:
    """Step 1 of docs/protocol.md §9.1, POSTed so that the keys stay out of URLs and proxy logs."""
    import socket
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    from shellsso.core.timeouts import http_timeout

    session = json.dumps({"sessionId": creds.access_key_id,
                          "sessionKey": creds.secret_access_key,
                          "sessionToken": creds.session_token})
    form = [("Action", "getSigninToken"), ("Session", session)]
    if session_duration is not None:
        form.append(("SessionDuration", str(session_duration)))
    request = urllib.request.Request(
        endpoint, data=urlencode(form).encode("ascii"), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": "shellsso"},
    )
    host, timeout = _host(endpoint), http_timeout()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = _refusal_detail(exc)
        raise ShellssoError(
            f"the sign-in endpoint {host} refused the credentials of profile '{profile}' "
            f"(HTTP {exc.code}{': ' + detail if detail else ''})"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, socket.timeout):
            raise ShellssoError(
                f"the sign-in endpoint {host} did not answer within {timeout:g} s") from None
        raise ShellssoError(f"cannot reach the sign-in endpoint {host}: {reason}") from None
    try:
        token = json.loads(raw).get("SigninToken")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise ShellssoError(f"the sign-in endpoint {host} answered without a SigninToken")
    return token


def _refusal_detail(exc: object) -> str:
    """A short message from a JSON error body, when there is one (never the request)."""
    try:
        body = json.loads(exc.read(2048))  # type: ignore[attr-defined]
    except (ValueError, OSError, AttributeError):
        return ""
    message = body.get("message") or body.get("Message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return ""
    return " ".join(message.split())[:200]


def deliver(url: str, print_only: bool, what: str, private: bool = False) -> None:
    """Print the URL (--print, SSH, no display), else open it in the browser.

    A `private` URL is a credential: it is opened through a page only the
    user can read, never through an argv (browser.open_private).
    """
    from shellsso.core.output import info
    from shellsso.sso import browser

    if not print_only and browser.is_headless():
        info(f"No browser here (SSH, or no display): open this URL to reach {what}. "
             "It signs in once, within 15 minutes.")
        print_only = True
    if print_only:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        return
    problem = (browser.open_private if private else browser.open_url)(url)
    if problem is not None:
        raise ShellssoError(f"not opening {what} in a browser: its URL {problem}")
    info(f"Opening {what} in your browser.")


def _destination(args: argparse.Namespace, region: str) -> Optional[str]:
    if args.destination:
        return console_urls.check_destination(args.destination, region)
    if args.service:
        return console_urls.service_url(args.service, region)
    return None


def _portal(config: AwsConfig, profile: str, destination: Optional[str], print_only: bool) -> int:
    from shellsso.creds.role_credentials import _sso_target

    if "role_arn" in config.get(profile):
        raise ShellssoError(
            f"--portal opens an SSO account and role, but profile '{profile}' assumes "
            f"{config.get(profile)['role_arn']}; run without --portal to sign in through "
            "the federation endpoint"
        )
    target = _sso_target(config, profile)
    if target is None or target.account_id is None or target.role_name is None:
        raise ShellssoError(
            f"--portal needs an SSO profile (sso_account_id and sso_role_name); "
            f"profile '{profile}' is not one"
        )
    url = console_urls.portal_url(target.start_url, target.account_id, target.role_name,
                                destination)
    deliver(url, print_only, f"the access portal's console link for profile '{profile}'")
    return ExitStatus.OK


def run(args: argparse.Namespace) -> int:
    """`shellsso console [--profile P] [--service S | --destination URL] ...`."""
    duration = check_duration(args.duration)
    profile = args.profile or active_profile_name()
    require_config(f"no profile '{profile}'")
    config = load_config()
    values = config.get(profile)
    region = console_region(args.region, values)
    destination = _destination(args, region)
    if args.portal:
        return _portal(config, profile, destination, args.print)
    endpoint = signin_endpoint(region)
    creds = get_role_credentials(config, profile, interactive=None)
    if not creds.session_token:
        raise ShellssoError(
            f"profile '{profile}' has long-term access keys, and the console's federation "
            "endpoint signs in only with temporary credentials; use an SSO profile, or a "
            f"profile with role_arn and source_profile = {profile}"
        )
    chained = is_role_chain(config, profile)
    if chained and duration is not None:
        from shellsso.core.output import warn

        warn(f"--duration is ignored: profile '{profile}' uses role chaining, for which "
             "the federation endpoint refuses a session duration")
        duration = None
    token = get_signin_token(endpoint, creds, duration, profile)
    target = config.sso_target(profile)
    issuer = target.start_url if target is not None else ""
    url = console_urls.login_url(endpoint, issuer, destination or console_urls.console_home(region),
                               token)
    deliver(url, args.print, f"the AWS console as profile '{profile}'", private=True)
    return ExitStatus.OK
