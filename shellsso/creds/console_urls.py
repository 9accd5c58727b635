"""The URLs of a console sign-in: partitions, sign-in and console hosts, destinations.

Pure functions, no I/O: the region decides the partition (`cn-*` is aws-cn,
`us-gov-*` aws-us-gov, anything else aws), the partition the hosts (docs/protocol.md
§9.3). A region goes into a host name, so it is checked before it is used.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional
from urllib.parse import urlencode

from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.safety import is_control


class Partition(NamedTuple):
    """An AWS partition and its sign-in and console hosts."""

    name: str
    signin_host: str
    console_host: str


AWS = Partition("aws", "signin.aws.amazon.com", "console.aws.amazon.com")
AWS_CN = Partition("aws-cn", "signin.amazonaws.cn", "console.amazonaws.cn")
AWS_US_GOV = Partition("aws-us-gov", "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com")

_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")

# Short names people type, to the console's path for them; any other name is its own path.
SERVICE_ALIASES = {
    "cfn": "cloudformation",
    "cw": "cloudwatch",
    "ddb": "dynamodbv2",
    "dynamodb": "dynamodbv2",
    "eb": "elasticbeanstalk",
    "r53": "route53",
    "sfn": "states",
    "stepfunctions": "states",
    "sm": "secretsmanager",
    "secrets": "secretsmanager",
    "ssm": "systems-manager",
}


def _usage(message: str) -> ShellssoError:
    return ShellssoError(message, ExitStatus.USAGE)


def partition(region: str) -> Partition:
    """aws-cn for cn-*, aws-us-gov for us-gov-*, aws otherwise."""
    if region.startswith("cn-"):
        return AWS_CN
    if region.startswith("us-gov-"):
        return AWS_US_GOV
    return AWS


def signin_url(region: str) -> str:
    """The federation endpoint: regional in aws outside us-east-1, global elsewhere."""
    part = partition(region)
    if part is AWS and region != "us-east-1":
        return f"https://{region}.{part.signin_host}/federation"
    return f"https://{part.signin_host}/federation"


def console_home(region: str) -> str:
    """The console home page of the region."""
    part = partition(region)
    host = f"{region}.{part.console_host}" if part is AWS else part.console_host
    return f"https://{host}/console/home?region={region}"


def service_url(service: str, region: str) -> str:
    """A service's console page in the region: `s3`, `ec2`, `cfn`..."""
    name = service.strip().lower()
    if not _SERVICE.fullmatch(name):
        raise _usage(f"'{service}' is not a console service name (such as s3, ec2 or "
                     "cloudformation); give a console URL with --destination instead")
    path = SERVICE_ALIASES.get(name, name)
    return f"https://{partition(region).console_host}/{path}/home?region={region}"


def check_destination(url: str, region: str) -> str:
    """The URL when a browser would open a console page of the region's partition with it.

    A browser reads a URL by the WHATWG URL standard, not as urlsplit does:
    it takes a backslash for `/` in an https URL, drops tabs and newlines,
    splits user info at the last `@`, decodes `%2e` and maps the ideographic
    full stop to `.` in a host. Rather than mimic all that, whatever the two
    readings could differ on is refused, each with its reason; what is left
    reads the same everywhere.
    """
    host = partition(region).console_host
    why = _destination_problem(url, host)
    if why is not None:
        raise _usage(f"--destination must be an https URL of the AWS console "
                     f"(https://{host}/... or https://REGION.{host}/...): {why}")
    return url


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def _destination_problem(url: str, console_host: str) -> Optional[str]:
    """Why a browser might not take `url` to an https page under `console_host`."""
    if any(ch.isspace() or is_control(ch) for ch in url):
        return "it holds a space or a control character"
    if "\\" in url:
        return "it holds a backslash, which a browser reads as '/'"
    if url[:8].lower() != "https://":
        return "it does not start with https://"
    authority = re.split(r"[/?#]", url[8:], maxsplit=1)[0]
    if "@" in authority:
        return "it carries a user name or password (before '@')"
    host = authority.lower()
    if ":" in host and not host.startswith("["):
        return "it names a port"
    if "%" in host:
        return "its host is percent-encoded"
    if not host.isascii():
        return "its host is not plain ASCII"
    if host.endswith("."):
        return "its host ends with a dot"
    if not all(_LABEL.fullmatch(label) for label in host.split(".")):
        return f"its host '{host}' is not a host name"
    if host != console_host and not host.endswith("." + console_host):
        return f"its host '{host}' is outside {console_host}"
    return None


def login_url(endpoint: str, issuer: str, destination: str, signin_token: str) -> str:
    """Step 2 of docs/protocol.md §9.2: a credential for 15 minutes, usable once."""
    query = urlencode([("Action", "login"), ("Issuer", issuer),
                       ("Destination", destination), ("SigninToken", signin_token)])
    return f"{endpoint}?{query}"


def portal_url(
    start_url: str, account_id: str, role_name: str, destination: Optional[str] = None
) -> str:
    """The access portal's console shortcut for an account and role (no federation call)."""
    params = [("account_id", account_id), ("role_name", role_name)]
    if destination:
        params.append(("destination", destination))
    return f"{start_url.rstrip('/')}/#/console?{urlencode(params)}"
