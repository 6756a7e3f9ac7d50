"""Issue 8: the Debian package, as an operator meets it. Builds the .deb from the committed tree
(scripts/build-deb.sh: git archive HEAD, a fresh build, nothing reused from build*/), runs
lintian (errors fail), installs it with apt-get, checks the files and `waybill --help`, runs
`waybill postfix-setup -c DIR` against a private Postfix instance, then purges it.

ctest runs this as `package.debian` (label package, timeout 1800, alone: the build compiles
everything again). Run by hand: WAYBILL_PACKAGE_TEST=1 /usr/bin/python3 -m pytest -q THIS_FILE
Changes the machine (installs, then purges the package `waybill`): meant for CI machines.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from waybill_rig import Rig

REPO = Path(__file__).resolve().parents[2]
BINARIES = ["waybill", "waybill-milter", "waybill-policyd", "waybill-pipe", "waybill-piped", "waybill-trackd",
            "waybill-webhookd", "waybill-logd", "waybill-apid"]
UNITS = ["waybill-milter.service", "waybill-policyd.service", "waybill-policyd.socket",
         "waybill-trackd.service", "waybill-trackd.socket", "waybill-webhookd.service",
         "waybill-piped.service", "waybill-piped.socket", "waybill-logd.service",
         "waybill-apid.service", "waybill-apid.socket",
         "waybill-hold-helper.socket", "waybill-hold-helper@.service"]
DAEMON_USERS = ["waybill_milter", "waybill_policyd", "waybill_trackd", "waybill_pipe", "waybill_webhookd",
                "waybill_logd", "waybill_apid"]

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


def test_lintian_reports_no_errors_and_no_warnings(deb: Path) -> None:
    proc = subprocess.run(["lintian", "--tag-display-limit", "0", str(deb)], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    findings = [line for line in proc.stdout.splitlines() if line.startswith(("E:", "W:"))]
    print(proc.stdout)
    assert not findings, "\n".join(findings)


def test_install_setup_and_purge(deb: Path) -> None:
    assert shutil.which("apt-get"), "apt-get missing"
    try:
        sh("apt-get", "install", "-y", f"./{deb.name}", cwd=deb.parent)
        check_installed()
        check_postfix_setup()
    finally:
        sh("apt-get", "purge", "-y", "waybill")
    for user in ["waybill", *DAEMON_USERS]:
        assert not user_exists(user), f"user {user} left after purge"
    for path in ["/etc/waybill", "/var/lib/waybill", "/var/spool/waybill", "/usr/sbin/waybill"]:
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
    assert not Path("/etc/sudoers.d/waybill").exists()  # the hold helper is a socket-activated unit
    conf = Path("/etc/waybill/waybill.conf")
    assert "[database]" in conf.read_text()
    assert (conf.stat().st_mode & 0o777, conf.stat().st_gid) == (0o640, pwd.getpwnam("waybill").pw_gid)
    for unit in UNITS:
        assert Path("/lib/systemd/system", unit).is_file(), unit
    for name in BINARIES:  # the units' Documentation=man:NAME(8) resolves
        assert Path(f"/usr/share/man/man8/{name}.8.gz").is_file(), f"no manual page for {name}"
    for doc in ["README.md", "operations.md", "postfix-conf/main.cf.waybill-milter"]:  # .gz past 4 KB (dh_compress)
        path = Path("/usr/share/doc/waybill", doc)
        assert path.exists() or path.with_name(path.name + ".gz").exists(), doc
    assert sorted(Path("/usr/share/waybill/sql/migrations").glob("*.sql")), "no migrations installed"
    assert user_exists("waybill")
    for user in DAEMON_USERS:  # one user per daemon, each may read waybill.conf
        assert user_exists(user), user
        assert "waybill" in [g.gr_name for g in grp.getgrall() if user in g.gr_mem], user
    token_readers = sorted(grp.getgrnam("waybill_tokens").gr_mem)
    assert token_readers == ["waybill_milter", "waybill_pipe", "waybill_trackd"], token_readers
    for directory, owner, mode in [("/var/lib/waybill", "waybill:waybill", 0o750),
                                   ("/var/spool/waybill/trackd", "waybill_trackd:waybill_trackd", 0o750),
                                   ("/etc/waybill/dkim", "root:waybill_milter", 0o2750)]:
        info = Path(directory).stat()
        found = f"{pwd.getpwuid(info.st_uid).pw_name}:{grp.getgrgid(info.st_gid).gr_name}"
        assert (found, info.st_mode & 0o7777) == (owner, mode), directory


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
