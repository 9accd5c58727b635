"""STS GetCallerIdentity for the credentials the portal issued.

With AWS_ENDPOINT_URL_STS pointed here, `aws sts get-caller-identity` (or
boto3's) works offline: the demo can show the whole chain, SSO token to role
credentials to an AWS API call that knows who you are. The caller is found by
the access key id in the SigV4 Authorization header (the signature itself is
not checked: the emulator keeps no secrets). Answers and errors are STS's
query-protocol XML.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from html import escape

from .errors import Rendered
from .state import State

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
XML_TYPE = "text/xml"
USER = "demo-user"
"""The session name of the demo user's role sessions, as the portal names them."""

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]{16,128})/[0-9]{8}/[^/]*/([a-z0-9-]+)/")


def access_key_id(authorization: str | None) -> str | None:
    """The access key id of a SigV4 `Authorization` header, or None."""
    match = _CREDENTIAL.search(authorization or "")
    return match.group(1) if match else None


def signing_service(authorization: str | None) -> str | None:
    """The service a SigV4 `Authorization` header was signed for (`sts`, `s3`...), or None.

    The portal and sso-oidc calls are not SigV4-signed; any other AWS API call
    that reaches the emulator (AWS_ENDPOINT_URL pointed here) is.
    """
    match = _CREDENTIAL.search(authorization or "")
    return match.group(2) if match else None


def role_arn_parts(account_id: str, role: str) -> tuple[str, str]:
    """(assumed-role ARN, UserId) as IAM Identity Center names a permission set's session."""
    digest = hashlib.sha1(f"{account_id}/{role}".encode()).hexdigest()
    role_name = f"AWSReservedSSO_{role}_{digest[:16]}"
    role_id = "AROA" + digest[16:32].upper()
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{USER}", f"{role_id}:{USER}"


def error(code: str, message: str, status: int) -> Rendered:
    """An STS error: `ErrorResponse` XML, as botocore's query parser reads it."""
    kind = "Receiver" if status >= 500 else "Sender"
    body = (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": XML_TYPE}, body.encode()


def handle(state: State, authorization: str | None, form: dict[str, str]) -> Rendered:
    """POST / with `Action=...`: GetCallerIdentity, or InvalidAction for anything else."""
    action = form.get("Action", "")
    if action != "GetCallerIdentity":
        return error("InvalidAction",
                     f"Could not find operation {action} for version 2011-06-15", 400)
    key = access_key_id(authorization)
    if key is None:
        return error("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    with state.lock:
        issued = state.issued_roles.get(key)
    if issued is None:
        return error("InvalidClientTokenId",
                     "The security token included in the request is invalid.", 403)
    account_id, role, expires_at = issued
    if expires_at <= time.time():
        return error("ExpiredToken", "The security token included in the request is expired",
                     400)
    arn, user_id = role_arn_parts(account_id, role)
    body = (
        f'<GetCallerIdentityResponse xmlns="{NAMESPACE}"><GetCallerIdentityResult>'
        f"<Arn>{escape(arn)}</Arn><UserId>{escape(user_id)}</UserId>"
        f"<Account>{account_id}</Account></GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )
    return 200, {"Content-Type": XML_TYPE}, body.encode()
