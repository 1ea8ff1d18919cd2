"""The provider's signing keys: read from a directory of PEM files, no database.

Each key is a pair of files in settings.CE_SIGNING_KEY_DIR named by its kid:
``<kid>.key.pem`` (an RSA private key, PKCS#8, encrypted with CE_SIGNING_KEY_PASSWORD when that is
set) and ``<kid>.cert.pem`` (its X.509 certificate: self-signed in development, CA-issued in
production). The key with the newest ``not_before`` signs; older keys are kept so that what they
signed still verifies, and each is retired at the moment the next one took over.

The kid is ``<creation time>-<first 6 hex digits of the SHA-256 of the public key>``. It is the file
name, not recomputed from the certificate, so replacing a self-signed certificate with a CA-issued
one for the same key keeps the kid that issued certificates already name. Loading checks that the
hash part matches the public key, so a key and a certificate cannot be mixed up silently.

Keys are loaded once per process and loaded again when the directory listing changes (one
``listdir`` per call), so a rotation (``manage.py create_signing_key``) needs no restart.
"""

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_SUFFIX = ".key.pem"
CERT_SUFFIX = ".cert.pem"
# Said in the certificate's subject, where Adobe Reader and pdfsig show it to whoever checks a PDF.
DEVELOPMENT_MARKER = "DEVELOPMENT signing key - not for production"
RSA_KEY_BITS = 2048  # OB 3.0 VC-JWT verifiers must support RS256; 2048 bits is its usual size.
CERTIFICATE_YEARS = 10  # A certificate PDF is checked years later; the key must be valid then.
KID_TIME_FORMAT = "%Y-%m-%dT%H%M%SZ"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: RSAPrivateKey
    certificate: x509.Certificate
    not_before: datetime
    retired_at: datetime | None
    is_development: bool

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def key_directory() -> Path:
    return Path(settings.CE_SIGNING_KEY_DIR)


def public_key_hash(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:6]


def _password() -> bytes | None:
    password = getattr(settings, "CE_SIGNING_KEY_PASSWORD", "")
    return password.encode() if password else None


def _is_development(certificate: x509.Certificate) -> bool:
    return any(DEVELOPMENT_MARKER in str(attribute.value) for attribute in certificate.subject)


def _load_pair(directory: Path, kid: str) -> tuple[RSAPrivateKey, x509.Certificate]:
    key_path, cert_path = directory / f"{kid}{KEY_SUFFIX}", directory / f"{kid}{CERT_SUFFIX}"
    try:
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=_password())
    except (TypeError, ValueError) as error:
        # TypeError: encrypted without a password, or a password for a plain key; ValueError: a wrong
        # password or not a key. Either way the operator must fix the files or CE_SIGNING_KEY_PASSWORD.
        raise ImproperlyConfigured(
            f"Cannot read the signing key {key_path}: {error} (is CE_SIGNING_KEY_PASSWORD right?)"
        ) from error
    if not isinstance(private_key, RSAPrivateKey):
        raise ImproperlyConfigured(f"The signing key {key_path} is not an RSA key.")
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError as error:
        raise ImproperlyConfigured(f"Cannot read the certificate {cert_path}: {error}") from error
    if certificate.public_key() != private_key.public_key():
        raise ImproperlyConfigured(f"The certificate {cert_path} is not for the key {key_path}.")
    if not kid.endswith("-" + public_key_hash(private_key.public_key())):
        raise ImproperlyConfigured(
            f"The signing key {key_path} is named {kid!r}, which does not end with its public key's "
            f"hash {public_key_hash(private_key.public_key())!r}."
        )
    return private_key, certificate


def _load(directory: Path, names: tuple[str, ...]) -> list[SigningKey]:
    # A key counts once both files are there: create_signing_key writes the certificate last.
    kids = sorted(name[: -len(KEY_SUFFIX)] for name in names if name.endswith(KEY_SUFFIX))
    loaded = []
    for kid in kids:
        if f"{kid}{CERT_SUFFIX}" not in names:
            continue
        private_key, certificate = _load_pair(directory, kid)
        loaded.append((certificate.not_valid_before_utc, kid, private_key, certificate))
    loaded.sort(key=lambda item: (item[0], item[1]), reverse=True)
    keys = []
    successor_not_before = None
    for not_before, kid, private_key, certificate in loaded:
        keys.append(
            SigningKey(
                kid=kid,
                private_key=private_key,
                certificate=certificate,
                not_before=not_before,
                retired_at=successor_not_before,
                is_development=_is_development(certificate),
            )
        )
        successor_not_before = not_before
    return keys


_cache_lock = threading.Lock()
_cache: dict = {"listing": None, "keys": []}


def published_keys() -> list[SigningKey]:
    """Every key, the current one first, then the retired ones newest first."""
    directory = key_directory()
    try:
        names = tuple(sorted(os.listdir(directory)))
    except FileNotFoundError:
        names = ()
    listing = (str(directory), names)
    with _cache_lock:
        if _cache["listing"] != listing:
            _cache["keys"] = _load(directory, names) if names else []
            _cache["listing"] = listing
        return list(_cache["keys"])


def current_key() -> SigningKey:
    keys = published_keys()
    if not keys:
        raise ImproperlyConfigured(
            f"No signing key in {key_directory()} (CE_SIGNING_KEY_DIR). Create one with "
            "`manage.py create_signing_key` (add --development on a laptop; `make run` does that)."
        )
    return keys[0]


def key_by_kid(kid: str) -> SigningKey | None:
    return next((key for key in published_keys() if key.kid == kid), None)


def create_signing_key(
    *, common_name: str, development: bool, directory: Path | None = None, now: datetime | None = None
) -> SigningKey:
    """Generate a new RSA key and a self-signed certificate and write both; the new key becomes the
    current one and the previous current key is retired from its not_before. Old keys are kept."""
    directory = directory or key_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    existing = _load(directory, tuple(sorted(os.listdir(directory))))
    if existing and existing[0].not_before >= now:
        # Two rotations within one second (or a clock set back): the new key must still be the
        # newest, or it would never sign.
        now = existing[0].not_before + timedelta(seconds=1)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if development:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEVELOPMENT_MARKER))
    name = x509.Name(attributes)
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    kid = f"{now.strftime(KID_TIME_FORMAT)}-{public_key_hash(public_key)}"
    password = _password()
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    # Temporary names first, renamed into place with the certificate last: a process that lists
    # the directory meanwhile sees either no new key or a whole one.
    key_path, cert_path = directory / f"{kid}{KEY_SUFFIX}", directory / f"{kid}{CERT_SUFFIX}"
    key_tmp, cert_tmp = key_path.with_suffix(".tmp"), cert_path.with_suffix(".tmp")
    descriptor = os.open(key_tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    cert_tmp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(key_tmp, key_path)
    os.replace(cert_tmp, cert_path)
    return SigningKey(
        kid=kid,
        private_key=private_key,
        certificate=certificate,
        not_before=now,
        retired_at=None,
        is_development=development,
    )
