"""The OIDC login, PKCE in a browser or the device code (`shellsso login`, a login offer).

PKCE (authorization code with a loopback redirect, the AWS CLI v2 default) is
used for sso-sessions when a browser on this machine can reach the loopback;
the device code over SSH, without a display, for legacy profiles and with
`--use-device-code`. The whole flow holds the session's login lock, so twenty
terminals make one login: the others wait and then use the token it wrote. The token file
is written once, atomically, at the very end: Ctrl-C leaves the cache as it was.

Like `aws sso login`, an explicit login always starts a new flow, even when the
cached token is still valid (the server may have revoked it); the exception is
a login that had to wait for another terminal's login and finds its fresh
token. `--force` starts a new flow even then.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Dict, Optional, TextIO

from shellsso.awsconfig.model import SsoTarget
from shellsso.core.clock import until_text
from shellsso.core.errors import ShellssoError
from shellsso.core.output import info, terminal_at, warn
from shellsso.core.safety import visible
from shellsso.sso import browser, token_cache
from shellsso.sso.token_cache import Token

FRESH_MARGIN = 60  # a token another terminal just wrote must have at least this left


def describe(target: SsoTarget) -> str:
    """`SSO session 'corp' (https://...)` or the start URL for a legacy profile."""
    if target.session_name is not None:
        return f"SSO session '{target.session_name}' ({target.start_url})"
    return target.start_url


def login(
    target: SsoTarget, *, use_device_code: bool = False, no_browser: bool = False,
    force: bool = False, baseline: Optional[float] = None,
) -> Token:
    """Log in holding the login lock; reuse a token another terminal wrote meanwhile.

    "Meanwhile" means after `baseline`, the token file's mtime when the caller
    last looked at it (default: now), so a caller that found no usable token
    and then asked the user first still notices a login that happened since.
    """
    before = token_cache.token_mtime(target) if baseline is None else baseline
    # The login lock, not the session lock: a refresh or a credential-process
    # of this session never waits for the browser.
    with token_cache.login_lock(target) as lock:
        if not force and token_cache.token_mtime(target) != before:
            fresh = token_cache.load_token(target)
            if fresh is not None and fresh.is_valid(margin=FRESH_MARGIN):
                info(f"Another terminal just logged in to {describe(target)}; "
                     f"token valid until {until_text(fresh.expires_at)}")
                return fresh
        lock.raise_failure_since_wait()
        # Over SSH or without a display a browser would open on the wrong machine,
        # or nowhere: the device code, printed, and no browser attempt.
        headless = browser.is_headless()
        device = use_device_code or target.session_name is None or headless
        token = Flow(target, no_browser=no_browser or headless).run(device)
        with token_cache.session_lock(target):
            token_cache.save_token(target, token)
    info(f"Logged in to {describe(target)}, token valid until {until_text(token.expires_at)}")
    return token


class Countdown:
    """Time left for the user to approve: one updating line on a terminal, plain lines else."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = terminal_at(stream)
        self._last_plain: Optional[int] = None
        self._drawn = False

    def show(self, expires_at: float) -> None:
        left = max(int(expires_at - time.time()), 0)
        text = f"Waiting for approval... the code expires in {left // 60}:{left % 60:02d}"
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self._drawn = True
        else:
            minute = left // 60
            if minute == self._last_plain:
                return
            self._last_plain = minute
            self.stream.write(text + "\n")
        self.stream.flush()

    def sleep(self, seconds: float, expires_at: float) -> None:
        end = time.monotonic() + seconds
        while True:
            self.show(expires_at)
            remaining = end - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(1.0, remaining))

    def clear(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False


class Flow:
    """One login attempt against the sso-oidc endpoint of a target."""

    def __init__(self, target: SsoTarget, no_browser: bool = False) -> None:
        from shellsso.sso import oidc
        self.oidc = oidc
        self.target = target
        self.no_browser = no_browser
        self.client = oidc.make_client("sso-oidc", target)

    def run(self, device: bool) -> Token:
        response, registration = self.device_flow() if device else self.pkce_flow()
        return self.oidc.created_token(self.target, response, registration.client_id,
                                       registration.client_secret, registration.expires_at)

    # --- device code -----------------------------------------------------------------

    def device_flow(self) -> tuple[Dict[str, Any], token_cache.Registration]:
        oidc, client, target = self.oidc, self.client, self.target
        registration, cached = oidc.get_registration(client, target, auth_code=False)
        try:
            auth = self._start(registration)
        except ShellssoError as err:
            if not (cached and oidc.is_invalid_client(err)):
                raise
            oidc.drop_registration(target)
            registration = oidc.register(client, target, auth_code=False)
            auth = self._start(registration)
        self._show_device(auth)
        return self._poll(registration, auth), registration

    def _start(self, registration: token_cache.Registration) -> Dict[str, Any]:
        client = self.client
        result: Dict[str, Any] = self.oidc.call(
            client, "StartDeviceAuthorization", self.target,
            lambda: client.start_device_authorization(
                clientId=registration.client_id, clientSecret=registration.client_secret,
                startUrl=self.target.start_url))
        return result

    def _show_device(self, auth: Dict[str, Any]) -> None:
        uri, code = str(auth["verificationUri"]), str(auth["userCode"])
        complete = str(auth.get("verificationUriComplete") or uri)
        target, note = (None, None) if self.no_browser else self._device_target(uri, complete)
        if target is None:
            lead = ["Open the following URL in any browser (on any device):"]
        else:
            lead = ["Attempting to open your default browser.",
                    "If the browser does not open or you wish to use a different device "
                    "to authorize this request, open the following URL:"]
        shown = [visible(text) for text in (uri, code, complete)]
        info("\n".join([*lead, "", f"  {shown[0]}", "", "Then enter the code:", "",
                        f"  {shown[1]}", "", "Or open this URL, which fills in the code:",
                        f"  {shown[2]}", ""]))
        if note is not None:
            warn(note)
        if target is not None:
            browser.open_url(target)

    @staticmethod
    def _device_target(uri: str, complete: str) -> tuple[Optional[str], Optional[str]]:
        """The verification URL to open, if any, and a warning when one is unfit to open.

        The service chooses these URLs; a browser command gets one only when
        browser.url_problem passes it (`--remote-debugging-port=9222` does not).
        """
        problem = browser.url_problem(complete)
        if problem is None:
            return complete, None
        base = browser.url_problem(uri)
        if base is None:
            return uri, (f"not opening the URL that fills in the code: it {problem}; "
                         "enter the code at the URL above")
        return None, (f"not opening a browser: the SSO service's verification URL {base}; "
                      "open it by hand if you trust it")

    def _poll(self, registration: token_cache.Registration,
              auth: Dict[str, Any]) -> Dict[str, Any]:
        oidc, client, target = self.oidc, self.client, self.target
        interval = float(auth.get("interval") or 5)
        expires_at = time.time() + float(auth.get("expiresIn") or 600)
        countdown = Countdown(sys.stderr)
        expired = ShellssoError(
            f"the code {auth['userCode']} expired before it was approved; "
            f"start again: {self.target.login_command}")
        try:
            while True:
                try:
                    result: Dict[str, Any] = oidc.call(
                        client, "CreateToken", target, lambda: client.create_token(
                            grantType=oidc.DEVICE_GRANT, clientId=registration.client_id,
                            clientSecret=registration.client_secret,
                            deviceCode=auth["deviceCode"]))
                    return result
                except ShellssoError as err:
                    code = oidc.cause_code(err)
                    if code == "SlowDownException":
                        interval += 5
                    elif code == "ExpiredTokenException":
                        raise expired from None
                    elif code == "AccessDeniedException":
                        raise ShellssoError(
                            "the login request was denied in the browser; "
                            f"to try again: {self.target.login_command}") from None
                    elif code != "AuthorizationPendingException":
                        raise
                if time.time() >= expires_at:
                    raise expired
                countdown.sleep(interval, expires_at)
        finally:
            countdown.clear()

    # --- PKCE --------------------------------------------------------------------------

    def pkce_flow(self) -> tuple[Dict[str, Any], token_cache.Registration]:
        from shellsso.sso import pkce
        oidc, client, target = self.oidc, self.client, self.target
        state = pkce.make_state()
        try:
            loopback = pkce.Loopback(state)
        except OSError as exc:
            raise ShellssoError(
                f"cannot listen on 127.0.0.1 for the browser's redirect ({exc.strerror}); "
                f"use the device code: {self.target.login_command} --use-device-code") from None
        with loopback:
            registration, cached = oidc.get_registration(client, target, auth_code=True)
            if cached and not self._client_accepted(registration, loopback.redirect_uri):
                oidc.drop_registration(target)
                registration = oidc.register(client, target, auth_code=True)
            verifier = pkce.make_verifier()
            url = pkce.authorize_url(
                oidc.endpoint_of(client), registration.client_id, loopback.redirect_uri, state,
                oidc.registration_scopes(target, auth_code=True) or [oidc.DEFAULT_SCOPE],
                pkce.make_challenge(verifier))
            self._show_pkce(url)
            result = loopback.wait()
        if result is None:
            raise ShellssoError(
                "no answer from the browser within 10 minutes; start again: "
                f"{self.target.login_command} (or add --use-device-code)")
        if result.error:
            if result.error == "access_denied":
                raise ShellssoError(f"the login was denied in the browser; to try again: "
                                    f"{self.target.login_command}")
            raise ShellssoError(f"the browser login failed ({result.error}); to try again: "
                                f"{self.target.login_command}")
        code, redirect_uri = result.code, loopback.redirect_uri
        try:
            response: Dict[str, Any] = oidc.call(
                client, "CreateToken", target, lambda: client.create_token(
                    grantType="authorization_code", clientId=registration.client_id,
                    clientSecret=registration.client_secret, redirectUri=redirect_uri,
                    codeVerifier=verifier, code=code))
        except ShellssoError as err:
            if oidc.cause_code(err) in ("ExpiredTokenException", "InvalidGrantException"):
                raise ShellssoError("the authorization code was not accepted (expired or "
                                    "already used); start again: "
                                    f"{self.target.login_command}") from None
            raise
        return response, registration

    def _client_accepted(self, registration: token_cache.Registration, redirect_uri: str) -> bool:
        """Does the service still know a cached registration?

        A forgotten client would only show an error page in the browser and the
        login would hang, so a cached one is checked first: a CreateToken with a
        made-up code fails with InvalidGrant for a known client and with
        InvalidClient for an unknown one.
        """
        from shellsso.sso import pkce
        oidc, client = self.oidc, self.client
        try:
            oidc.call(client, "CreateToken", self.target, lambda: client.create_token(
                grantType="authorization_code", clientId=registration.client_id,
                clientSecret=registration.client_secret, redirectUri=redirect_uri,
                codeVerifier=pkce.make_verifier(), code="shellsso-registration-check"))
        except ShellssoError as err:
            code = oidc.cause_code(err)
            if not code or code.startswith("InternalServer"):
                raise  # unreachable or failing service: say so now, not after the browser
            return bool(code != "InvalidClientException")
        return True

    def _show_pkce(self, url: str) -> None:
        problem = None if self.no_browser else browser.url_problem(url)
        if self.no_browser or problem is not None:
            info("\n".join(["Open the following URL in a browser on this machine:", "",
                            f"  {url}", ""]))
            if problem is not None:
                warn(f"not opening a browser: the authorize URL {problem}; "
                     "open it by hand if you trust it")
        else:
            info("\n".join([
                "Attempting to open your default browser. If the browser does not open, "
                "open the following URL:", "", f"  {url}", "",
                "If you cannot open the URL on this machine, use the device code: "
                f"{self.target.login_command} --use-device-code", ""]))
            browser.open_url(url)
        info("Waiting for the browser to complete the login (Ctrl-C to cancel)...")
