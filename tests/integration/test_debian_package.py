"""Issue 8: the Debian package, as an operator meets it. Builds the .deb from the committed tree
(scripts/build-deb.sh: git archive HEAD, a fresh build, nothing reused from build*/), runs
lintian (errors fail), installs it with apt-get, checks the files and `waybill --help`, runs
`waybill postfix-setup -c DIR` against a private Postfix instance, then purges it.

ctest runs this as `package.debian` (label package, timeout 1800, alone: the build compiles
everything again). Run by hand: WAYBILL_PACKAGE_TEST=1 /usr/bin/python3 -m pytest -q THIS_FILE
Changes the machine (installs, then purges the package `waybill`): meant for CI machines.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from waybill_rig import Rig

REPO = Path(__file__).resolve().parents[2]
BINARIES = ["waybill", "waybill-milter", "waybill-policyd", "waybill-pipe", "waybill-piped", "waybill-trackd",
            "waybill-webhookd"]
UNITS = ["waybill-milter.service", "waybill-policyd.service", "waybill-policyd.socket",
         "waybill-trackd.service", "waybill-trackd.socket", "waybill-webhookd.service",
         "waybill-piped.service", "waybill-piped.socket"]

pytestmark = pytest.mark.skipif(os.environ.get("WAYBILL_PACKAGE_TEST") != "1",
                                reason="runs as ctest entry package.debian (WAYBILL_PACKAGE_TEST=1)")


def sh(*argv: str | os.PathLike, cwd: Path | None = None, timeout: float = 600) -> str:
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, timeout=timeout, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    assert proc.returncode == 0, f"{' '.join(map(str, argv))} exited {proc.returncode}:\n{proc.stdout[-6000:]}"
    return proc.stdout


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def deb(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    started = time.monotonic()
    proc = subprocess.run(["bash", str(REPO / "scripts" / "build-deb.sh")], text=True, timeout=1700,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env={**os.environ, "WAYBILL_DEB_OUT": str(out)})
    (out / "build.log").write_text(proc.stdout)
    assert proc.returncode == 0, f"build-deb.sh failed:\n{proc.stdout[-8000:]}"
    print(f"package built in {time.monotonic() - started:.0f} s")
    [package] = out.glob("waybill_*.deb")
    return package


def test_lintian_reports_no_errors(deb: Path) -> None:
    proc = subprocess.run(["lintian", "--tag-display-limit", "0", str(deb)], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    errors = [line for line in proc.stdout.splitlines() if line.startswith("E:")]
    print(proc.stdout)
    assert not errors, "\n".join(errors)


def test_install_setup_and_purge(deb: Path) -> None:
    assert shutil.which("apt-get"), "apt-get missing"
    try:
        sh("apt-get", "install", "-y", f"./{deb.name}", cwd=deb.parent)
        check_installed()
        check_postfix_setup()
    finally:
        sh("apt-get", "purge", "-y", "waybill")
    assert not user_exists("waybill")
    for path in ["/etc/waybill", "/etc/sudoers.d/waybill", "/var/lib/waybill", "/var/spool/waybill", "/usr/sbin/waybill"]:
        assert not os.path.exists(path), f"{path} left after purge"


def check_installed() -> None:
    assert "postfix-setup" in sh("waybill", "--help")
    for name in BINARIES:
        assert os.access(f"/usr/sbin/{name}", os.X_OK), name
        sh(f"/usr/sbin/{name}", "--version")
    # Postfix starts waybill-pipe per message: it must stay a libc-only front end of waybill-piped.
    libraries = sh("ldd", "/usr/sbin/waybill-pipe")
    assert "libpq" not in libraries and "libstdc++" not in libraries, libraries
    assert os.access("/usr/libexec/waybill/waybill-hold-helper", os.X_OK)
    sudoers = Path("/etc/sudoers.d/waybill")  # scheduled sending: policyd -> sudo -> hold helper
    assert sudoers.stat().st_mode & 0o777 == 0o440
    if shutil.which("visudo"):
        sh("visudo", "-cf", str(sudoers))
    conf = Path("/etc/waybill/waybill.conf")
    assert "[database]" in conf.read_text()
    assert (conf.stat().st_mode & 0o777, conf.stat().st_gid) == (0o640, pwd.getpwnam("waybill").pw_gid)
    for unit in UNITS:
        assert Path("/lib/systemd/system", unit).is_file(), unit
    assert sorted(Path("/usr/share/waybill/sql/migrations").glob("*.sql")), "no migrations installed"
    assert user_exists("waybill")
    for directory in ["/var/lib/waybill", "/var/spool/waybill", "/etc/waybill/dkim"]:
        assert Path(directory).is_dir(), directory


def check_postfix_setup() -> None:
    with Rig(postgres=False) as rig:
        config_dir = rig.postfix.config_dir
        out = sh("waybill", "postfix-setup", "-c", config_dir)
        assert "Postfix reloaded" in out, out
        # The shipped waybill.conf: a socket in /var/spool/postfix, named relative to the queue
        # directory when it is that one (this rig's Postfix keeps its queue elsewhere).
        assert rig.postfix.postconf("smtpd_milters") == "unix:/var/spool/postfix/waybill/milter.sock"
        master = sh("postconf", "-c", config_dir, "-M", "waybill-pipe/unix")
        assert "argv=/usr/sbin/waybill-pipe --config /etc/waybill/waybill.conf" in master
        assert "nothing to change" in sh("waybill", "postfix-setup", "-c", config_dir)
