"""The tool's own RSA keys: PEM files in settings.LTI_KEY_DIR, never in the database.

Each key is one file ``<created>.key.pem`` (PKCS#8, encrypted with LTI_KEY_PASSWORD when that is
set; mode 0600). The newest key signs (deep-linking responses, AGS token requests). When a new key
is made, the one before stays in the published JWKS for LTI_KEY_OVERLAP_HOURS, so a message the
old key signed just before the rotation, or a platform holding a cached copy of the JWKS, still
verifies; after the overlap `manage.py lti_keys --prune` deletes it.

Reading and decrypting a key costs tens of milliseconds, and the JWKS, the OIDC login and every
launch need the keys, so they are loaded once per process and again only when the directory
listing (or LTI_KEY_PASSWORD) changes: one ``listdir`` per call, and a rotation needs no restart.
"""

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import pairwise
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pylti1p3.registration import Registration

SUFFIX = ".key.pem"
TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
RSA_KEY_BITS = 2048


@dataclass(frozen=True)
class ToolKey:
    created_at: datetime
    private_pem: str
    public_pem: str

    @cached_property
    def jwk(self):
        # The library's own JWK export (kid = RFC 7638 thumbprint), the kid it puts in headers.
        return dict(Registration.get_jwk(self.public_pem))

    @property
    def kid(self):
        return self.jwk["kid"]


def key_directory() -> Path:
    return Path(settings.LTI_KEY_DIR)


def _password():
    password = settings.LTI_KEY_PASSWORD
    return password.encode() if password else None


def create_key(now=None) -> ToolKey:
    """Make a new key; it signs from now on. Returns it."""
    now = now or datetime.now(UTC)
    directory = key_directory()
    directory.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    password = _password()
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    path = directory / f"{now.strftime(TIME_FORMAT)}{SUFFIX}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return _load(path)


def _load(path: Path) -> ToolKey:
    created_at = datetime.strptime(path.name.removesuffix(SUFFIX), TIME_FORMAT).replace(tzinfo=UTC)
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=_password())
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"LTI key {path.name} cannot be read (LTI_KEY_PASSWORD?): {error}"
        ) from error
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return ToolKey(created_at=created_at, private_pem=private_pem, public_pem=public_pem)


_cache_lock = threading.Lock()
_cache: dict = {"listing": None, "keys": [], "jwks": {}}


def all_keys() -> list[ToolKey]:
    """Every key on disk, newest first (loaded again only when the listing changes)."""
    directory = key_directory()
    try:
        names = tuple(sorted((n for n in os.listdir(directory) if n.endswith(SUFFIX)), reverse=True))
    except FileNotFoundError:
        names = ()
    listing = (str(directory), names, _password())
    with _cache_lock:
        if _cache["listing"] != listing:
            _cache["keys"] = [_load(directory / name) for name in names]
            _cache["jwks"] = {}
            _cache["listing"] = listing
        return list(_cache["keys"])


def current_key() -> ToolKey:
    keys = all_keys()
    if not keys:
        raise ImproperlyConfigured("No LTI key: run `manage.py lti_keys --create`.")
    return keys[0]


def published_keys(now=None) -> list[ToolKey]:
    """The current key, and each older one until LTI_KEY_OVERLAP_HOURS after its successor was made."""
    now = now or datetime.now(UTC)
    overlap = timedelta(hours=settings.LTI_KEY_OVERLAP_HOURS)
    keys = all_keys()
    published = keys[:1]
    for successor, key in pairwise(keys):
        if now - successor.created_at < overlap:
            published.append(key)
    return published


def prune(now=None) -> list[str]:
    """Delete keys past their overlap; returns the file names deleted."""
    now = now or datetime.now(UTC)
    keep = {key.created_at for key in published_keys(now)}
    deleted = []
    for key in all_keys():
        if key.created_at not in keep:
            name = f"{key.created_at.strftime(TIME_FORMAT)}{SUFFIX}"
            (key_directory() / name).unlink()
            deleted.append(name)
    return deleted


def jwks(now=None) -> dict:
    """The published keys as a JWKS body, built once per set of published keys (not to be mutated)."""
    published = published_keys(now)
    which = tuple(key.created_at for key in published)
    with _cache_lock:
        body = _cache["jwks"].get(which)
        if body is None:
            body = _cache["jwks"][which] = {"keys": [key.jwk for key in published]}
        return body
