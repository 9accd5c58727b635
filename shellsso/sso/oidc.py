"""The sso-oidc (and sso portal) clients, client registration and error wording.

Clients come from a plain `boto3.session.Session()`, so the endpoint overrides
every AWS tool honours (`AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL`,
`[services]`) apply here too. Registrations are cached and reused with the AWS
CLI v2's key and rule (docs/protocol.md §3), so either tool can reuse the other's.
Every botocore failure becomes one ShellssoError line that names what failed
and never carries a token or a secret: each client remembers the secrets its
requests carry (`watch`), and ShellssoError hides them in any message.

Import this module only where the network is needed: it imports boto3.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config

from shellsso.awsconfig.model import SsoTarget
from shellsso.core import timeouts
from shellsso.core.errors import LoginRequired, NetworkError, ShellssoError
from shellsso.sso import token_cache
from shellsso.sso.token_cache import Registration, Token

DEFAULT_SCOPE = "sso:account:access"
CLIENT_NAME_PREFIX = "botocore-client"
REDIRECT_URI_REGISTERED = "http://127.0.0.1/oauth/callback"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PKCE_GRANT_TYPES = ("authorization_code", "refresh_token")

T = TypeVar("T")


def _config(region: str, attempts: int) -> Config:
    """Unsigned (the APIs are unauthenticated), bounded timeouts and attempts (core.timeouts)."""
    config: Config = timeouts.client_config(region, attempts, unsigned=True)
    return config


def make_client(service: str, target: SsoTarget, attempts: int = timeouts.ATTEMPTS,
                config: Optional[Config] = None) -> Any:
    """An `sso-oidc` or `sso` client in the target's SSO region.

    The session is opened on the target's profile when it has one, so that a
    `services = ...` section of that profile applies, as in the AWS CLI.
    """
    profile = target.profile or None
    config = config or _config(target.region, attempts)
    try:
        try:
            session = boto3.session.Session(profile_name=profile)
            client = session.client(service, region_name=target.region, config=config)
        except botocore.exceptions.ProfileNotFound:
            # AWS_PROFILE names a profile that does not exist (or there is no
            # [default] either): the SSO calls need none.
            client = _client_without_profile(service, target.region, config)
    except botocore.exceptions.BotoCoreError as exc:
        raise ShellssoError(f"cannot create the {service} client: {exc}") from None
    return watch(client)


def watch(client: Any) -> Any:
    """`client`, remembering the secrets each of its requests carries before it is sent.

    An endpoint may quote the request back in an error; every line shellsso
    prints then shows `<hidden>` in their place (secrets.mask).
    """
    from shellsso.core.secrets import remember_parameters

    client.meta.events.register("provide-client-params", remember_parameters)
    return client


def _client_without_profile(service: str, region: str, config: Config) -> Any:
    """A client from a session that selects no profile, whatever the environment says."""
    import os

    saved = {name: os.environ.pop(name) for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
             if name in os.environ}
    try:
        return boto3.session.Session().client(service, region_name=region, config=config)
    finally:
        os.environ.update(saved)


def endpoint_of(client: Any) -> str:
    """The base URL the client talks to (also the base of the /authorize page)."""
    return str(client.meta.endpoint_url).rstrip("/")


# --- errors -----------------------------------------------------------------------------


def error_code(exc: BaseException) -> str:
    """The service error code of a ClientError ('' for anything else)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _service_message(exc: botocore.exceptions.ClientError) -> str:
    error = exc.response.get("Error", {})
    message = str(error.get("Message") or "").strip()
    return message.rstrip(".")


def translate(exc: BaseException, client: Any, operation: str, target: SsoTarget,
              service: str = "SSO OIDC") -> ShellssoError:
    """One clear line for a botocore failure of `operation`."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        detail = _service_message(exc)
        if code == "InvalidGrantException":
            return LoginRequired(
                f"{target.label} is no longer valid (the service rejected the grant); "
                f"log in again: {target.login_command}"
            )
        if code == "InvalidClientException":
            return ShellssoError(
                f"the SSO service does not accept the client registration ({operation}); "
                f"log in again: {target.login_command}"
            )
        if code == "UnauthorizedException":
            return LoginRequired(
                f"the token of {target.label} was rejected by the portal; "
                f"log in again: {target.login_command}"
            )
        if status >= 500:
            return ShellssoError(
                f"the SSO service answered HTTP {status} ({code}) to {operation}; "
                "try again in a moment"
            )
        suffix = f": {detail}" if detail else ""
        return ShellssoError(f"{operation} failed with {code or status}{suffix}")
    if is_network_error(exc):
        return NetworkError(
            f"cannot reach the {service} endpoint {endpoint_of(client)}: {short(exc)}"
        )
    return ShellssoError(f"{operation} failed: {short(exc)}")


def is_network_error(exc: BaseException) -> bool:
    """No answer: refused, unknown host, timed out, connection dropped."""
    return isinstance(exc, (botocore.exceptions.ConnectionError,
                            botocore.exceptions.HTTPClientError))


def short(exc: BaseException) -> str:
    """A failure in a few words (`timed out`, `Connection refused`): botocore's message
    without the repeated URL noise, on one line."""
    text = " ".join(str(exc).split())
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        reason = str(getattr(exc, "kwargs", {}).get("error", ""))
        if "] " in reason:  # "...: [Errno 111] Connection refused"
            return reason.rsplit("] ", 1)[1].strip().rstrip(")") or "connection failed"
        if "Name or service not known" in reason or "nodename nor servname" in reason:
            return "unknown host name"
        return "connection failed"
    if isinstance(exc, (botocore.exceptions.ConnectTimeoutError,
                        botocore.exceptions.ReadTimeoutError)):
        return "timed out"
    return text or type(exc).__name__


def call(client: Any, operation: str, target: SsoTarget, func: Callable[[], T],
         service: str = "SSO OIDC") -> T:
    """Run one API call, turning any botocore failure into a ShellssoError.

    The original exception stays reachable as `__cause__`, so callers can
    still branch on the service error code.
    """
    try:
        return func()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc, client, operation, target, service) from exc


def cause_code(err: ShellssoError) -> str:
    """The service error code behind a translated error ('' when none)."""
    return error_code(err.__cause__) if err.__cause__ is not None else ""


# --- tokens ---------------------------------------------------------------------------


def created_token(target: SsoTarget, answer: Dict[str, Any], client_id: Optional[str],
                  client_secret: Optional[str], registration_expires_at: Optional[float]) -> Token:
    """The Token a CreateToken answer gives, from a login or a refresh.

    Its expiry is whole seconds from now, as the CLI writes it; a refresh token
    is kept only when the answer holds one (the old one is spent).
    """
    return Token(
        start_url=target.start_url,
        region=target.region,
        access_token=answer["accessToken"],
        expires_at=float(int(time.time() + float(answer["expiresIn"]))),
        client_id=client_id,
        client_secret=client_secret,
        registration_expires_at=registration_expires_at,
        refresh_token=answer.get("refreshToken") or None,
    )


# --- registration -----------------------------------------------------------------------


def registration_scopes(target: SsoTarget, auth_code: bool) -> Optional[List[str]]:
    """Scopes to register with.

    PKCE: the configured scopes or `sso:account:access`, as the CLI sends.
    Device code: the configured scopes; an sso-session without configured scopes
    still asks for `sso:account:access` so that its tokens can be refreshed
    (the CLI sends none and gets an unrefreshable token, docs/protocol.md §4.8); legacy
    profiles send none, as the CLI does.
    """
    if target.scopes:
        return list(target.scopes)
    if auth_code or target.session_name is not None:
        return [DEFAULT_SCOPE]
    return None


def client_name(target: SsoTarget, now: Optional[float] = None) -> str:
    """`botocore-client-<session>`, or `botocore-client-<epoch>` for a legacy profile."""
    if target.session_name is not None:
        return f"{CLIENT_NAME_PREFIX}-{target.session_name}"
    return f"{CLIENT_NAME_PREFIX}-{int(time.time() if now is None else now)}"


def register(client: Any, target: SsoTarget, auth_code: bool) -> Registration:
    """RegisterClient as the CLI does, and cache the result under the CLI's key."""
    kwargs: Dict[str, Any] = {"clientName": client_name(target), "clientType": "public"}
    scopes = registration_scopes(target, auth_code)
    if scopes:
        kwargs["scopes"] = scopes
    if auth_code:
        kwargs["grantTypes"] = list(PKCE_GRANT_TYPES)
        kwargs["redirectUris"] = [REDIRECT_URI_REGISTERED]
        kwargs["issuerUrl"] = target.start_url
    response = call(client, "RegisterClient", target, lambda: client.register_client(**kwargs))
    registration = Registration(
        client_id=response["clientId"],
        client_secret=response["clientSecret"],
        expires_at=float(response["clientSecretExpiresAt"]),
        scopes=scopes,
        grant_types=list(PKCE_GRANT_TYPES) if auth_code else None,
    )
    token_cache.save_registration(target, registration)
    return registration


def get_registration(client: Any, target: SsoTarget, auth_code: bool) -> Tuple[Registration, bool]:
    """The cached registration if the CLI's rule allows its reuse, else a new one.

    Returns (registration, from_cache).
    """
    cached = token_cache.load_registration(target)
    if cached is not None and cached.usable(auth_code):
        return cached, True
    return register(client, target, auth_code), False


def drop_registration(target: SsoTarget) -> None:
    """Forget a registration the service no longer knows (InvalidClientException)."""
    from shellsso.core.files import remove

    remove(token_cache.registration_path(target))


def is_invalid_client(err: ShellssoError) -> bool:
    return cause_code(err) == "InvalidClientException"
