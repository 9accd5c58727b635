"""`shellsso team add|sync|list|remove` from a file, a git repository and an https:// URL.

The CLI runs in a subprocess as a user runs it; botocore, in a process of its
own, reads every result: the fragment's profiles and sessions, and the
hand-written ones unchanged byte for byte.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import require, write_config
from tests.team.helpers import (
    FRAGMENT,
    HAND,
    HttpsServer,
    block_of,
    botocore_config,
    commit,
    https_server,
    make_repository,
    team,
)


@pytest.fixture
def fragment(home: Path) -> Path:
    path = home / "shared" / "platform.config"
    path.parent.mkdir()
    path.write_text(FRAGMENT)
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HttpsServer]:
    yield from https_server(tmp_path)


def assert_team_profiles(config: Path | None = None) -> None:
    """botocore sees the fragment's sessions and profiles with exactly its values."""
    seen = botocore_config(config)
    assert seen["sessions"]["corp"] == {
        "sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1",
        "sso_registration_scopes": "sso:account:access"}
    assert seen["profiles"]["corp-dev"] == {
        "sso_session": "corp", "sso_account_id": "111111111111", "sso_role_name": "Developer",
        "region": "eu-west-1"}
    assert seen["profiles"]["corp-deploy"] == {
        "role_arn": "arn:aws:iam::222222222222:role/Deploy", "source_profile": "corp-dev",
        "role_session_name": "deployer", "duration_seconds": "3600"}


def test_add_from_a_file_keeps_every_hand_written_byte(home: Path, fragment: Path) -> None:
    config = write_config(home, HAND)
    before = config.read_bytes()
    botocore_before = botocore_config()["profiles"]
    out = team("add", str(fragment))
    assert out.returncode == 0, out.stderr
    assert "platform (" in out.stdout
    assert "+ [sso-session corp]  (https://corp.awsapps.com/start)" in out.stdout
    assert "+ corp-dev  (111111111111 Developer)" in out.stdout
    assert "+ corp-deploy  (arn:aws:iam::222222222222:role/Deploy)" in out.stdout
    assert "3 to add, 0 to change, 0 to remove, 0 unchanged" in out.stdout
    after = config.read_bytes()
    assert after.startswith(before)
    text = after.decode()
    assert f"# source: {fragment}" in block_of(text, "platform")
    assert "# The platform team" not in text  # comments are not taken: values are
    assert_team_profiles()
    seen = botocore_config()["profiles"]
    assert {k: v for k, v in seen.items() if k in botocore_before} == botocore_before
    assert set(seen) == set(botocore_before) | {"corp-dev", "corp-deploy"}


def test_a_new_config_is_made_0600(home: Path, fragment: Path) -> None:
    out = team("add", str(fragment), "--name", "platform")
    assert out.returncode == 0, out.stderr
    config = home / ".aws" / "config"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert_team_profiles()


def test_aws_config_file_is_honoured_by_every_action(home: Path, fragment: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """granted's registry writes ~/.aws/config whatever AWS_CONFIG_FILE says (#927)."""
    elsewhere = home / "dotfiles" / "aws-config"
    elsewhere.parent.mkdir()
    elsewhere.write_text(HAND)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(elsewhere))
    assert team("add", str(fragment)).returncode == 0
    assert "# shellsso team begin: platform" in elsewhere.read_text()
    assert_team_profiles(elsewhere)
    listed = team("list")
    assert "platform" in listed.stdout and "corp-dev corp-deploy" in listed.stdout
    fragment.write_text(FRAGMENT.replace("Developer", "Admin"))
    assert team("sync").returncode == 0
    assert "sso_role_name = Admin" in elsewhere.read_text()
    assert team("remove", "platform").returncode == 0
    assert elsewhere.read_bytes() == HAND.encode()
    assert not (home / ".aws").exists()


def test_sync_shows_the_change_and_rewrites_the_block(home: Path, fragment: Path) -> None:
    config = write_config(home, HAND)
    assert team("add", str(fragment)).returncode == 0
    unchanged = team("sync")
    assert unchanged.returncode == 0
    assert f"platform: unchanged ({fragment})" in unchanged.stdout
    fragment.write_text(FRAGMENT.replace("Developer", "Admin").replace(
        "[profile corp-deploy]", "[profile corp-ops]"))
    dry = team("sync", "platform", "--dry-run")
    assert "Dry run: nothing was written." in dry.stdout
    assert "sso_role_name = Developer" in config.read_text()
    out = team("sync", "platform")
    assert out.returncode == 0, out.stderr
    assert "~ corp-dev  (sso_role_name: Developer -> Admin)" in out.stdout
    assert "+ corp-ops  (arn:aws:iam::222222222222:role/Deploy)" in out.stdout
    assert "- corp-deploy  (arn:aws:iam::222222222222:role/Deploy)" in out.stdout
    assert "1 to add, 1 to change, 1 to remove, 1 unchanged" in out.stdout
    seen = botocore_config()["profiles"]
    assert seen["corp-dev"]["sso_role_name"] == "Admin"
    assert "corp-deploy" not in seen and "corp-ops" in seen
    assert config.read_bytes().startswith(HAND.encode())


def test_remove_gives_the_file_back_byte_for_byte(home: Path, fragment: Path) -> None:
    config = write_config(home, HAND)
    assert team("add", str(fragment)).returncode == 0
    # a hand-written profile after the block stays too
    with config.open("a") as handle:
        handle.write("\n[profile later]\nregion = us-west-2\n")
    out = team("remove", "platform")
    assert out.returncode == 0, out.stderr
    assert "- corp-dev  (111111111111 Developer)" in out.stdout
    assert config.read_bytes() == (HAND + "\n[profile later]\nregion = us-west-2\n").encode()
    assert team("add", str(fragment)).returncode == 0
    assert team("remove", "platform").returncode == 0
    assert config.read_bytes() == (HAND + "\n[profile later]\nregion = us-west-2\n").encode()
    missing = team("remove", "platfrom")
    assert missing.returncode == 2
    assert "no team 'platfrom'" in missing.stderr and "did you mean: platform" not in \
        missing.stderr  # nothing left to suggest


def test_add_of_a_name_that_exists_points_to_sync(home: Path, fragment: Path) -> None:
    assert team("add", str(fragment)).returncode == 0
    before = (home / ".aws" / "config").read_bytes()
    again = team("add", str(fragment))
    assert again.returncode == 2
    assert "team 'platform' is already in" in again.stderr
    assert "shellsso team sync platform" in again.stderr
    assert (home / ".aws" / "config").read_bytes() == before


def test_dry_run_writes_nothing(home: Path, fragment: Path) -> None:
    config = write_config(home, HAND)
    out = team("add", str(fragment), "--dry-run")
    assert out.returncode == 0
    assert "+ corp-dev" in out.stdout and "Dry run: nothing was written." in out.stdout
    assert config.read_bytes() == HAND.encode()


def test_list_json(home: Path, fragment: Path) -> None:
    import json

    assert json.loads(team("list", "--json").stdout) == []
    assert team("add", str(fragment), "--name", "plat").returncode == 0
    assert json.loads(team("list", "--json").stdout) == [
        {"name": "plat", "source": str(fragment), "sso_sessions": ["corp"],
         "profiles": ["corp-dev", "corp-deploy"]}]


def test_a_bad_name_is_refused(home: Path, fragment: Path) -> None:
    for name in ("a b", "-x", "../x", "default", "x" * 65, "é"):
        out = team("add", str(fragment), "--name", name)
        assert out.returncode == 2, name
        assert not (home / ".aws" / "config").exists()


# --- git -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["file-url", "path"])
def test_add_and_sync_from_a_git_repository(home: Path, tmp_path: Path, form: str) -> None:
    require("git")
    repo = make_repository(tmp_path / "infra", {"aws/team.config": FRAGMENT, "README": "x\n"})
    url = f"file://{repo}" if form == "file-url" else str(repo)
    config = write_config(home, HAND)
    out = team("add", f"git+{url}#aws/team.config")
    assert out.returncode == 0, out.stderr
    assert "+ corp-dev  (111111111111 Developer)" in out.stdout
    assert f"# source: git+{url}#aws/team.config" in block_of(config.read_text(), "team")
    assert_team_profiles()
    cached = list((home / ".cache" / "shellsso" / "team").iterdir())
    assert len(cached) == 1 and stat.S_IMODE(cached[0].parent.stat().st_mode) == 0o700
    assert team("sync").stdout.startswith("team: unchanged")
    commit(repo, {"aws/team.config": FRAGMENT.replace("eu-west-1\n\n[profile corp-deploy]",
                                                       "us-east-2\n\n[profile corp-deploy]")},
           "move dev")
    synced = team("sync", "team")
    assert synced.returncode == 0, synced.stderr
    assert "~ corp-dev  (region: eu-west-1 -> us-east-2)" in synced.stdout
    assert botocore_config()["profiles"]["corp-dev"]["region"] == "us-east-2"
    assert config.read_bytes().startswith(HAND.encode())


def test_git_errors_are_one_line(home: Path, tmp_path: Path) -> None:
    require("git")
    repo = make_repository(tmp_path / "infra", {"aws/team.config": FRAGMENT})
    missing = team("add", f"git+{repo}#aws/nope.config")
    assert missing.returncode == 1
    assert "the repository has no file aws/nope.config" in missing.stderr
    gone = team("add", f"git+{tmp_path}/nothing-here#x.config")
    assert gone.returncode == 1 and "nothing was written" in gone.stderr
    assert len(gone.stderr.strip().splitlines()) == 1
    assert not (home / ".aws" / "config").exists()


@pytest.mark.parametrize("source", [
    "git+-uupload-pack=touch${IFS}PWNED#x.config",
    "git+--upload-pack=touch PWNED#x.config",
    "git+ext::sh -c touch% PWNED#x.config",
    "git+ext::touch PWNED#x.config",
    "git+fd::17#x.config",
    "git+http://127.0.0.1:1/repo.git#x.config",
    "git+git://127.0.0.1:1/repo.git#x.config",
    "git+https://user:s3cret@example.com/repo.git#x.config",
    "git+https://ghp_s3cret@example.com/repo.git#x.config",
    "https://ghp_s3cret@example.com/team.config",
    "git+https://example.com/repo.git",
    "git+https://example.com/repo.git#../x.config",
])
def test_hostile_git_sources_are_refused_before_git_runs(home: Path, tmp_path: Path,
                                                         source: str) -> None:
    out = team("add", source, "--name", "x")
    assert out.returncode == 2, out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "s3cret" not in out.stderr or "password" in out.stderr
    assert not (home / ".cache" / "shellsso" / "team").exists()  # git never ran
    assert not list(Path(os.getcwd()).glob("PWNED")) and not (tmp_path / "PWNED").exists()


def test_git_never_runs_ext_even_when_the_users_git_config_allows_it(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git config that rewrites a URL to ext:: and allows ext still cannot make team run a
    command: GIT_ALLOW_PROTOCOL allows https, ssh and file only."""
    require("git")
    import subprocess

    marker = tmp_path / "PWNED"
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "ext::sh -c touch% {marker}% #"]\n\tinsteadOf = https://evil/\n'
                         '[protocol "ext"]\n\tallow = always\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    # the trap is armed: plain git runs the command
    subprocess.run(["git", "ls-remote", "https://evil/repo.git"], capture_output=True,
                   timeout=60, check=False)
    assert marker.exists()
    marker.unlink()
    out = team("add", "git+https://evil/repo.git#x.config")
    assert out.returncode == 1
    assert not marker.exists()


# --- https -----------------------------------------------------------------------------------


def test_add_and_sync_from_https(home: Path, server: HttpsServer,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server.files["/aws/platform.config"] = FRAGMENT.encode()
    url = server.url("/aws/platform.config")
    untrusted = team("add", url)
    assert untrusted.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr or "certificate" in untrusted.stderr
    assert not (home / ".aws" / "config").exists()
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    out = team("add", url)
    assert out.returncode == 0, out.stderr
    assert_team_profiles()
    server.files["/aws/platform.config"] = FRAGMENT.replace("3600", "7200").encode()
    synced = team("sync")
    assert "~ corp-deploy  (duration_seconds: 3600 -> 7200)" in synced.stdout
    assert botocore_config()["profiles"]["corp-deploy"]["duration_seconds"] == "7200"
    server.files.pop("/aws/platform.config")
    failed = team("sync")
    assert failed.returncode == 1
    assert "the server answered 404" in failed.stderr and "block is kept" in failed.stderr
    assert botocore_config()["profiles"]["corp-deploy"]["duration_seconds"] == "7200"


def test_http_and_a_redirect_to_http_are_refused(home: Path, server: HttpsServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    plain = team("add", f"http://127.0.0.1:{server.port}/team.config")
    assert plain.returncode == 2 and "http:// is refused" in plain.stderr
    redirected = team("add", server.url("/redirect-http"), "--name", "team")
    assert redirected.returncode == 1
    assert "redirected to a URL that is not https://" in redirected.stderr
    assert server.requests == ["/redirect-http"]
    assert not (home / ".aws" / "config").exists()
