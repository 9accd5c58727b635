"""Service errors rendered exactly like the real endpoints render them.

botocore picks the exception class from the `x-amzn-ErrorType` header; an OAuth
body alone becomes a generic ClientError and breaks CLI polling (docs/protocol.md §4.2).
"""

from __future__ import annotations

import html
import json

OIDC_ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"
PORTAL_TYPE_PREFIX = "com.amazonaws.switchboard.portal#"

# shape -> (HTTP status, OAuth `error` string), from the sso-oidc model and RFC 6749/8628.
OIDC_ERRORS: dict[str, tuple[int, str]] = {
    "AccessDeniedException": (400, "access_denied"),
    "AuthorizationPendingException": (400, "authorization_pending"),
    "ExpiredTokenException": (400, "expired_token"),
    "InternalServerException": (500, "server_error"),
    "InvalidClientException": (401, "invalid_client"),
    "InvalidClientMetadataException": (400, "invalid_client_metadata"),
    "InvalidGrantException": (400, "invalid_grant"),
    "InvalidRedirectUriException": (400, "invalid_redirect_uri"),
    "InvalidRequestException": (400, "invalid_request"),
    "InvalidScopeException": (400, "invalid_scope"),
    "SlowDownException": (400, "slow_down"),
    "UnauthorizedClientException": (400, "unauthorized_client"),
    "UnsupportedGrantTypeException": (400, "unsupported_grant_type"),
}

# shape -> HTTP status, from the sso (portal) model.
PORTAL_ERRORS: dict[str, int] = {
    "InvalidRequestException": 400,
    "UnauthorizedException": 401,
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
    "InternalServerException": 500,
}

Rendered = tuple[int, dict[str, str], bytes]


class ServiceError(Exception):
    """An API error; `service` is "oidc" or "portal" and decides the wire format."""

    def __init__(
        self, service: str, shape: str, message: str, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.service = service
        self.shape = shape
        self.message = message
        if status is None:
            status = (
                OIDC_ERRORS.get(shape, (400, ""))[0]
                if service == "oidc"
                else PORTAL_ERRORS.get(shape, 400)
            )
        self.status = status

    def render(self) -> Rendered:
        """Return (status, headers, body) as the real service would send them."""
        if self.service == "oidc":
            oauth = OIDC_ERRORS.get(self.shape, (0, "server_error"))[1]
            header = self.shape + OIDC_ERROR_SUFFIX
            body: dict[str, str] = {"error": oauth, "error_description": self.message}
        else:
            header = self.shape
            body = {"message": self.message, "__type": PORTAL_TYPE_PREFIX + self.shape}
        headers = {"x-amzn-ErrorType": header, "Content-Type": "application/json"}
        return self.status, headers, json.dumps(body).encode()


def oidc_error(shape: str, message: str) -> ServiceError:
    """Build an sso-oidc error (OAuth body, coral-style error type header)."""
    return ServiceError("oidc", shape, message)


def portal_error(shape: str, message: str) -> ServiceError:
    """Build a portal error (`message` + `__type` body)."""
    return ServiceError("portal", shape, message)


def default_shape(service: str, status: int) -> str:
    """Pick the modelled shape an injected failure with this status should use."""
    if status >= 500:
        return "InternalServerException"
    if service == "oidc":
        return {401: "InvalidClientException"}.get(status, "InvalidRequestException")
    return {401: "UnauthorizedException", 404: "ResourceNotFoundException",
            429: "TooManyRequestsException"}.get(status, "InvalidRequestException")


def not_emulated(service: str, json_style: bool) -> Rendered:
    """The answer to an AWS API the emulator does not serve: a fast, clear client error
    (400: not retried) in the shape the caller's protocol parses, JSON or XML."""
    code = "NotEmulated"
    message = (f"the shellsso emulator serves IAM Identity Center, the console federation "
               f"endpoint and STS (GetCallerIdentity, AssumeRole) only, not {service}")
    if json_style:
        body = json.dumps({"__type": code, "message": message}).encode()
        return 400, {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, body
    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
           f"<Message>{html.escape(message)}</Message></Error></ErrorResponse>")
    return 400, {"Content-Type": "text/xml"}, xml.encode()
