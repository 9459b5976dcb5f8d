"""A real IMAP server for the email channel's tests: Debian's dovecot, with a throw-away
configuration and mail directory under a temp folder, one mailbox per test (any user name
logs in with the one password). Tests skip, saying why, where dovecot is not installed."""

import imaplib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fullstack import free_port

PASSWORD = "imap-test-password"
CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int

    def client(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(user, PASSWORD)
        return client

    def deliver(self, user: str, mails: list[bytes]) -> None:
        """Puts mails in the user's INBOX as a delivery agent would (IMAP APPEND)."""
        client = self.client(user)
        for raw in mails:
            status, answer = client.append("INBOX", None, None, raw)
            assert status == "OK", answer
        client.logout()

    def uidvalidity(self, user: str) -> int:
        client = self.client(user)
        client.select("INBOX")
        _, found = client.response("UIDVALIDITY")
        client.logout()
        return int(found[0])

    def forget_uids(self, user: str) -> None:
        """What a restore from backup or a server move does: the folder's UIDs and its
        UIDVALIDITY start again, the mails stay."""
        folder = self.root / "mail" / user
        for index in [folder / "dovecot-uidlist", *folder.glob("dovecot.index*")]:
            index.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if binary is None:
        pytest.skip("dovecot is not installed (make test installs dovecot-imapd as root)")
    # Not under pytest's temp folder, which is private to us: as root, dovecot reads mail
    # as nobody, who must be able to walk the path.
    root = Path(tempfile.mkdtemp(prefix="relaydesk-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    root_user = os.geteuid() == 0
    # Dovecot never opens mail as root: as root, mail belongs to nobody.
    uid, gid = (65534, 65534) if root_user else (os.getuid(), os.getgid())
    if root_user:
        os.chown(root / "mail", uid, gid)
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root, port=port, uid=uid, gid=gid, password=PASSWORD,
            user=_name(os.getuid()), group=_group(os.getgid()),
            login_user="dovenull" if root_user else _name(os.getuid()),
        )
    )  # fmt: skip
    subprocess.run([binary, "-c", str(config)], check=True)
    server = Dovecot(root, port)
    _wait_for(server)
    yield server
    subprocess.run([binary, "-c", str(config), "stop"], check=False)
    shutil.rmtree(root, ignore_errors=True)


def _wait_for(server: Dovecot) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            server.client("probe").logout()
            return
        except OSError:
            if time.monotonic() > deadline:
                log = server.root / "dovecot.log"
                raise RuntimeError(
                    log.read_text() if log.exists() else "dovecot did not start"
                ) from None
            time.sleep(0.1)


def _name(uid: int) -> str:
    import pwd

    return pwd.getpwuid(uid).pw_name


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
