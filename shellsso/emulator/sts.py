"""STS AssumeRole and GetCallerIdentity over the query protocol, as botocore calls them.

Enough STS for role chains on top of the emulator's SSO credentials: the
caller is recognised by the access key id in the SigV4 `Authorization`
header and its `X-Amz-Security-Token` (the signature itself is not
checked), and every AssumeRole result counts as role chaining, since its
source credentials are temporary. Errors are the XML `ErrorResponse`
botocore parses into ClientError codes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from xml.sax.saxutils import escape

from . import creds
from .errors import Rendered
from .state import IssuedCredentials, State

XML_TYPE = "text/xml"
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
CHAINED_MAX = 3600


class StsError(Exception):
    """An STS error: code, message and HTTP status, rendered as an ErrorResponse."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def render(self) -> Rendered:
        kind = "Receiver" if self.status >= 500 else "Sender"
        body = (
            f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type>'
            f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
            f"</Error><RequestId>{_request_id()}</RequestId></ErrorResponse>"
        )
        return self.status, {"Content-Type": XML_TYPE}, body.encode()


def _request_id() -> str:
    return secrets.token_hex(16)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]{16,128})/[0-9]{8}/[^/]*/([a-z0-9-]+)/")
USER = "demo-user"
"""The session name of the demo user's role sessions, as the portal names them."""


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


def caller(state: State, authorization: str | None, token: str | None) -> IssuedCredentials:
    """The issued credentials that signed the request, or the error STS gives."""
    key = access_key_id(authorization)
    if key is None:
        raise StsError("MissingAuthenticationToken", "Request is missing Authentication Token",
                       403)
    with state.lock:
        known = state.credentials.get(key)
    if known is not None and known.expires_at <= time.time():
        raise StsError("ExpiredToken", "The security token included in the request is expired")
    found = creds.check(state, key, None, token)
    if found is None:
        raise StsError("InvalidClientTokenId",
                       "The security token included in the request is invalid.", 403)
    return found


def _response(action: str, inner: str) -> Rendered:
    body = (
        f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{_request_id()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return 200, {"Content-Type": XML_TYPE}, body.encode()


def assume_role(state: State, source: IssuedCredentials, params: dict[str, str]) -> Rendered:
    """AssumeRole: new keys for the role in the ARN, at most an hour (role chaining)."""
    arn = params.get("RoleArn", "")
    match = ROLE_ARN.match(arn)
    if match is None:
        raise StsError("ValidationError", "1 validation error detected: roleArn is invalid")
    session = params.get("RoleSessionName", "")
    if not SESSION_NAME.match(session):
        raise StsError("ValidationError",
                       "1 validation error detected: roleSessionName is invalid")
    try:
        duration = int(params.get("DurationSeconds") or 3600)
    except ValueError:
        raise StsError("ValidationError", "DurationSeconds must be a number") from None
    if not 900 <= duration <= 43200:
        raise StsError("ValidationError", "DurationSeconds must be between 900 and 43200")
    if duration > CHAINED_MAX:
        raise StsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour "
                       "session limit for roles assumed by role chaining.")
    account, role = match.group(1), match.group(2)
    issued = creds.issue(state, account, role, duration, chained=True)
    partition = arn.split(":")[1]
    inner = (
        "<Credentials>"
        f"<AccessKeyId>{issued.access_key_id}</AccessKeyId>"
        f"<SecretAccessKey>{escape(issued.secret_access_key)}</SecretAccessKey>"
        f"<SessionToken>{escape(issued.session_token)}</SessionToken>"
        f"<Expiration>{_iso(issued.expires_at)}</Expiration>"
        "</Credentials><AssumedRoleUser>"
        f"<AssumedRoleId>AROA{secrets.token_hex(8).upper()}:{escape(session)}</AssumedRoleId>"
        f"<Arn>arn:{partition}:sts::{account}:assumed-role/{escape(role)}/{escape(session)}</Arn>"
        "</AssumedRoleUser>"
    )
    return _response("AssumeRole", inner)


def get_caller_identity(source: IssuedCredentials) -> Rendered:
    """GetCallerIdentity: the account and role of the key that signed the request."""
    if source.chained:
        arn = f"arn:aws:sts::{source.account_id}:assumed-role/{source.role_name}/shellsso"
        user_id = f"AROA{source.access_key_id[4:]}:shellsso"
    else:
        arn, user_id = role_arn_parts(source.account_id, source.role_name)
    inner = (
        f"<Arn>{escape(arn)}</Arn><UserId>{escape(user_id)}</UserId>"
        f"<Account>{source.account_id}</Account>"
    )
    return _response("GetCallerIdentity", inner)


def handle(
    state: State, params: dict[str, str], authorization: str | None, token: str | None
) -> Rendered:
    """One STS request (form parameters already parsed); errors rendered as STS does."""
    action = params.get("Action", "")
    try:
        if action not in ("AssumeRole", "GetCallerIdentity"):
            raise StsError("InvalidAction",
                           f"Could not find operation {action} for version 2011-06-15")
        source = caller(state, authorization, token)
        if action == "AssumeRole":
            return assume_role(state, source, params)
        return get_caller_identity(source)
    except StsError as err:
        return err.render()
