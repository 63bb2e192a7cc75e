"""A real OpenLDAP server (Debian's `slapd`) for the directory log-in tests: its own
configuration, mdb database and tree in a temporary folder, listening on a loopback port.

The tree (base dc=example,dc=org):
- cn=evalapp-service: the service account the app searches with;
- ou=people: alice, bob and zhangsan (staff), mallory (a contractor, whom the filter the tests
  configure keeps out), each with the password in PASSWORDS;
- ou=groups: cn=ningbo-organisers (alice), a group the role mapping gives a role.

It offers StartTLS with a certificate for 127.0.0.1 signed by a CA made for the run (trustme):
`Slapd.ca_file` is that CA, as EVALAPP_LDAP_CA_FILE would name the organisation's.

It allows unauthenticated binds (`allow bind_anon_dn`), as Active Directory does: a bind
with a user's DN and an empty password then "succeeds", the hole the app must close itself.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from bench.harness import free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
SERVICE_DN = f"cn=evalapp-service,{BASE}"
SERVICE_PASSWORD = "service secret 1"
ORGANISERS_GROUP = f"cn=ningbo-organisers,ou=groups,{BASE}"
PASSWORDS = {"alice": "alice directory pw", "bob": "bob directory pw",
             "mallory": "mallory directory pw", "zhangsan": "zhangsan directory pw"}
STAFF_FILTER = "(&(objectClass=inetOrgPerson)(uid={username})(employeeType=staff))"
START_DEADLINE = 30.0  # seconds: generous, for a busy machine


def available() -> bool:
    return Path(SLAPD).exists() and Path(SLAPADD).exists()


CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
allow bind_anon_dn
TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server.key
database mdb
maxsize 10485760
suffix "{base}"
rootdn "cn=admin,{base}"
rootpw admin-only-for-tests
directory {folder}/db
"""


def _person(uid: str, kind: str) -> str:
    return (f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {uid.title()}\nsn: {uid.title()}\ndisplayName: {uid.title()} 同志\n"
            f"employeeType: {kind}\nuserPassword: {PASSWORDS[uid]}\n")


def tree() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
        "o: Example\n",
        f"dn: {SERVICE_DN}\nobjectClass: person\ncn: evalapp-service\nsn: service\n"
        f"userPassword: {SERVICE_PASSWORD}\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups\n",
        _person("alice", "staff"),
        _person("bob", "staff"),
        _person("mallory", "contractor"),
        _person("zhangsan", "staff"),  # the person of docs/directory.md's examples
        f"dn: {ORGANISERS_GROUP}\nobjectClass: groupOfNames\ncn: ningbo-organisers\n"
        f"member: uid=alice,{PEOPLE}\n",
    ]
    return "\n".join(entries)


@dataclass
class Slapd:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    def _certificates(self) -> None:
        authority = trustme.CA()
        authority.cert_pem.write_to_path(str(self.ca_file))
        issued = authority.issue_cert("127.0.0.1")
        issued.private_key_pem.write_to_path(str(self.folder / "server.key"))
        for blob in issued.cert_chain_pems:
            blob.write_to_path(str(self.folder / "server.pem"), append=True)

    def start(self) -> Slapd:
        """Write the configuration, load the tree offline (slapadd) and start the server; back
        once it accepts connections (polled, with a deadline), else RuntimeError with its log."""
        (self.folder / "db").mkdir(parents=True, exist_ok=True)
        self._certificates()
        config = self.folder / "slapd.conf"
        config.write_text(CONFIG.format(folder=self.folder, base=BASE))
        (self.folder / "tree.ldif").write_text(tree())
        subprocess.run([SLAPADD, "-f", str(config), "-l", str(self.folder / "tree.ldif")],
                       check=True, capture_output=True)
        with open(self.folder / "slapd.log", "ab") as log:
            # -d keeps slapd in the foreground, so this process is the server itself.
            self.process = subprocess.Popen(
                [SLAPD, "-f", str(config), "-h", f"{self.url}/", "-d", "0"],
                stdout=log, stderr=log, start_new_session=True)
        self._wait_for_port()
        return self

    def _wait_for_port(self) -> None:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start: " + self.stop())

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections (the kernel queues them) but nothing
        answers, as a hung directory server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> str:
        """Stop the server; its log's tail, to explain a failure."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        log = self.folder / "slapd.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""
