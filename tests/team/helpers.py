"""What the team tests share: fragments, botocore's reading in a process of its own, a local git
repository and an HTTPS server on 127.0.0.1 with a certificate made for the test."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from tests.conftest import run_shellsso

FRAGMENT = """\
# The platform team's AWS profiles
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile corp-dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
region = eu-west-1

[profile corp-deploy]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = corp-dev
role_session_name = deployer
duration_seconds = 3600
"""

HAND = """\
# hand-written; team must not touch a byte of this
[profile mine]
region = ap-south-1 ; not a comment to botocore

[profile other]\r
sso_start_url = https://other.awsapps.com/start\r
sso_region = us-east-1\r
sso_account_id = 333333333333\r
sso_role_name = ReadOnly\r
"""

BOTOCORE = """
import json, botocore.session
full = botocore.session.Session().full_config
print(json.dumps({"profiles": full["profiles"], "sessions": full.get("sso_sessions", {})}))
"""


def team(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    out = run_shellsso("team", *args, env=env)
    assert "Traceback" not in out.stdout + out.stderr, out.stderr
    return out


def botocore_config(config: Optional[Path] = None) -> Dict[str, Any]:
    """botocore's full_config (profiles and sso_sessions), read in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if config is not None:
        env["AWS_CONFIG_FILE"] = str(config)
    elif "AWS_CONFIG_FILE" in os.environ:
        env["AWS_CONFIG_FILE"] = os.environ["AWS_CONFIG_FILE"]
    if "AWS_SHARED_CREDENTIALS_FILE" in os.environ:
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"]
    out = subprocess.run([sys.executable, "-c", BOTOCORE], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    data: Dict[str, Any] = json.loads(out.stdout)
    return data


def block_of(text: str, name: str) -> str:
    begin = text.index(f"# shellsso team begin: {name}")
    end = text.index(f"# shellsso team end: {name}")
    return text[begin:end]


def git(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_CONFIG_NOSYSTEM="1")
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def make_repository(folder: Path, files: Dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=folder)
    commit(folder, files, "first")
    return folder


def commit(folder: Path, files: Dict[str, str], message: str) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git("add", name, cwd=folder)
    git("commit", "--quiet", "-m", message, cwd=folder)


# --- HTTPS -----------------------------------------------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class HttpsServer:
    """Serves `files` ({path: bytes}) over TLS on 127.0.0.1; `/redirect-http` answers 302 to
    an http:// URL. `requests` lists the paths asked for."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.cert = cert
        self.files: Dict[str, bytes] = {}
        self.requests: List[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                outer.requests.append(self.path)
                if self.path == "/redirect-http":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{outer.port}/team.config")
                    self.end_headers()
                    return
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> HttpsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def https_server(folder: Path) -> Iterator[HttpsServer]:
    cert, key = make_certificate(folder)
    with HttpsServer(cert, key) as server:
        yield server
