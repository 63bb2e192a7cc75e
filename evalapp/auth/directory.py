"""Checking a password against the organisation's directory (LDAP / Active Directory): search
for the person with a service account, then bind as them with the password they typed
(search-then-bind, as LimeSurvey's AuthLDAP does).

Through ldap3 (pure Python, so no C library or compiler on a Windows or offline install).
Three holes are closed here rather than trusted to the server or the library:
- an empty password is refused before any bind: an LDAP "unauthenticated bind" (a DN and no
  password) succeeds on Active Directory and on OpenLDAP with `allow bind_anon_dn`;
- what the person typed is escaped before it goes into the search filter (RFC 4515), so a
  name such as `*` or `ali*` is looked up literally, never as a pattern: a pattern would let
  a password guesser vary the name and slip past the limits kept per name;
- the search must find exactly one person.
The connection is encrypted (StartTLS on `ldap://` unless switched off, or `ldaps://`) and
every step waits a few seconds at most: a directory that does not answer is
`DirectoryUnavailable`, which the log-in page reports plainly while local accounts still work.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ldap3
from flask import Flask, current_app
from ldap3.core.exceptions import LDAPException, LDAPSASLPrepError
from ldap3.utils.conv import escape_filter_chars

from evalapp.auth.models import ADMINISTRATORS, Role

EXTENSION = "evalapp.directory"
DEFAULT_FILTER = "(uid={username})"
DEFAULT_TIMEOUT = 5  # whole seconds (ldap3 sets them as a socket option), per step
SCHEMES = ("ldap://", "ldaps://")
# The directory's certificate must be signed by a trusted CA and name its host: otherwise
# anyone between the app and the directory could pose as it and collect passwords.
CERTIFICATE_CHECK = ssl.CERT_REQUIRED


class DirectoryMisconfigured(ValueError):
    """The LDAP settings cannot work; raised when the app starts, not at someone's log-in."""


class DirectoryUnavailable(Exception):
    """The directory did not answer, refused the connection's encryption, or refused the
    service account."""


@dataclass(frozen=True)
class GroupRole:
    """A directory group whose members get `role` at the unit named `unit` (its Chinese name)
    when they first log in."""

    group_dn: str
    role: Role
    unit: str


@dataclass(frozen=True)
class DirectorySettings:
    url: str
    bind_dn: str
    bind_password: str
    user_base: str
    user_filter: str = DEFAULT_FILTER
    username_attribute: str = "uid"  # sAMAccountName on Active Directory
    start_tls: bool = True
    ca_file: str | None = None
    timeout: int = DEFAULT_TIMEOUT
    group_roles: tuple[GroupRole, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(mapping.group_dn for mapping in self.group_roles)


@dataclass(frozen=True)
class DirectoryEntry:
    """The person the directory vouched for: their DN, their user name there (the value of
    the username attribute), the name to show, and which of the mapped groups they are in."""

    dn: str
    username: str
    display_name: str
    groups: tuple[str, ...] = ()


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off"}
    return bool(value)


def _group_roles(value: Any) -> tuple[GroupRole, ...]:
    """EVALAPP_LDAP_GROUP_ROLES: JSON {group DN: [role, unit name]}, e.g.
    {"cn=organisers,ou=groups,dc=example,dc=org": ["organiser", "宁波海关"]}. The separated
    administrators are never given by a group: they are appointed in the app, by name."""
    if not value:
        return ()
    try:
        mapping = json.loads(value) if isinstance(value, str) else dict(value)
        result = tuple(GroupRole(str(dn), Role(role), str(unit))
                       for dn, (role, unit) in mapping.items())
    except (ValueError, TypeError) as error:
        raise DirectoryMisconfigured(
            f"EVALAPP_LDAP_GROUP_ROLES must be JSON {{group DN: [role, unit name]}}: {error}"
        ) from None
    if any(mapping.role in ADMINISTRATORS for mapping in result):
        raise DirectoryMisconfigured("EVALAPP_LDAP_GROUP_ROLES cannot give an administrator role")
    return result


def settings_from(config: Mapping[str, Any]) -> DirectorySettings | None:
    """The LDAP settings in an app's configuration (see evalapp.config.ENVIRONMENT), or None
    when no LDAP_URL is set. Raises DirectoryMisconfigured for settings that cannot work."""
    url = (config.get("LDAP_URL") or "").strip()
    if not url:
        return None
    missing = [name for name in ("LDAP_BIND_DN", "LDAP_BIND_PASSWORD", "LDAP_USER_BASE")
               if not config.get(name)]
    if missing:
        raise DirectoryMisconfigured("LDAP_URL is set but not " + ", ".join(missing))
    if not url.lower().startswith(SCHEMES):
        raise DirectoryMisconfigured(f"LDAP_URL must start with ldap:// or ldaps://: {url}")
    user_filter = config.get("LDAP_USER_FILTER") or DEFAULT_FILTER
    if "{username}" not in user_filter:
        raise DirectoryMisconfigured("LDAP_USER_FILTER must contain {username}")
    return DirectorySettings(
        url=url, bind_dn=config["LDAP_BIND_DN"], bind_password=config["LDAP_BIND_PASSWORD"],
        user_base=config["LDAP_USER_BASE"], user_filter=user_filter,
        username_attribute=config.get("LDAP_USERNAME_ATTRIBUTE") or "uid",
        start_tls=_flag(config.get("LDAP_START_TLS", True)),
        ca_file=config.get("LDAP_CA_FILE") or None,
        timeout=max(1, int(config.get("LDAP_TIMEOUT") or DEFAULT_TIMEOUT)),
        group_roles=_group_roles(config.get("LDAP_GROUP_ROLES")),
    )


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = settings_from(app.config)


def current_settings() -> DirectorySettings | None:
    return current_app.extensions.get(EXTENSION)


def search_filter(settings: DirectorySettings, username: str) -> str:
    """The configured filter with the typed name put in as a literal value (RFC 4515)."""
    return settings.user_filter.format(username=escape_filter_chars(username))


def _server(settings: DirectorySettings) -> ldap3.Server:
    tls = ldap3.Tls(validate=CERTIFICATE_CHECK, ca_certs_file=settings.ca_file)
    return ldap3.Server(settings.url, use_ssl=settings.url.lower().startswith("ldaps://"),
                        tls=tls, get_info=ldap3.NONE, connect_timeout=settings.timeout)


def _bound(settings: DirectorySettings, dn: str, password: str) -> ldap3.Connection | None:
    """A connection bound as `dn`, or None when the directory refuses the password. Raises
    ldap3's LDAPException when the directory cannot be reached or encryption fails."""
    # Referrals are not followed: Active Directory returns some for searches near its root,
    # and following them would contact other servers, unencrypted and past the timeout.
    connection = ldap3.Connection(_server(settings), user=dn, password=password,
                                  read_only=True, receive_timeout=settings.timeout,
                                  auto_referrals=False)
    try:
        connection.open()
        if settings.start_tls and not connection.server.ssl and not connection.start_tls():
            raise DirectoryUnavailable(f"StartTLS refused: {connection.result}")
        if connection.bind():
            return connection
    except (LDAPException, DirectoryUnavailable):
        _close(connection)
        raise
    _close(connection)
    return None


def _close(connection: ldap3.Connection) -> None:
    """Close the socket, even of a connection the directory stopped answering."""
    with contextlib.suppress(LDAPException, OSError):
        connection.unbind()
    if connection.socket is not None:
        connection.socket.close()


def _member_of(service: ldap3.Connection, dn: str, groups: Sequence[str]) -> tuple[str, ...]:
    member = f"(member={escape_filter_chars(dn)})"
    return tuple(group for group in groups
                 if service.search(group, member, ldap3.BASE, attributes=[]) and service.entries)


def _find(service: ldap3.Connection, settings: DirectorySettings,
          username: str) -> DirectoryEntry | None:
    service.search(settings.user_base, search_filter(settings, username), ldap3.SUBTREE,
                   attributes=[settings.username_attribute, "displayName", "cn"], size_limit=2)
    if len(service.entries) != 1:
        return None
    entry = service.entries[0]
    attributes = entry.entry_attributes_as_dict
    names = attributes.get(settings.username_attribute) or [username]
    shown = attributes.get("displayName") or attributes.get("cn") or names
    return DirectoryEntry(dn=entry.entry_dn, username=str(names[0]),
                          display_name=str(shown[0])[:100],
                          groups=_member_of(service, entry.entry_dn, settings.groups))


def unauthenticated(password: str) -> bool:
    """Whether a bind with `password` would be an "unauthenticated bind" (RFC 4513 5.1.2: a
    name and an empty password), which directories that allow it answer with success without
    checking anything."""
    return not password


def verify(settings: DirectorySettings, username: str, password: str) -> DirectoryEntry | None:
    """The directory's entry for `username` when `password` is its password; None when it is
    not, when no one or several people match, or when the password is empty. Raises
    DirectoryUnavailable when the directory cannot answer."""
    if unauthenticated(password):
        return None
    try:
        service = _bound(settings, settings.bind_dn, settings.bind_password)
        if service is None:
            raise DirectoryUnavailable("the directory refused the service account")
        try:
            entry = _find(service, settings, username)
        finally:
            _close(service)
        if entry is None:
            return None
        person = _bound(settings, entry.dn, password)
    except LDAPSASLPrepError:  # a password no directory can hold (RFC 4013)
        return None
    except LDAPException as error:
        raise DirectoryUnavailable(str(error)) from error
    if person is None:
        return None
    _close(person)
    return entry
