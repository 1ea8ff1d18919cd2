"""PAdES signatures on the PDFs we issue, and what an uploaded PDF says about itself. No database.

`sign_pdf` adds an invisible PAdES baseline B signature (pyHanko: a CAdES-detached CMS with the
signing certificate bound in, the signing time in the signature dictionary) as an incremental
update, so the renderer's bytes stay untouched inside the signed file. With a time-stamping
authority (settings.CE_TSA_URL) the signature also carries an RFC 3161 timestamp (baseline T).

`read_claims` is for the upload check: it never trusts the file. It reports which of our keys, if
any, made a signature in the file and which certificate serial the file names, so that a file that
does not hash to anything we issued can be called altered rather than unknown.
"""

import asyncio
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import as_signing_certificate_v2, get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certificates.signing_keys import SigningKey, current_key

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "ProviderSignature"
KEYWORD_PREFIX = "certificate "  # certificates.pdf writes "certificate <serial>" as the PDF's keywords


def _outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous wrappers, which start their own event loop.

    That fails in a thread where a loop is already running (an async caller, or Playwright's in the
    browser tests); there the call runs in a short-lived worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    kid: str


# Room for the CMS signature container beside the certificate it embeds: the RSA-2048 signature
# (256 bytes) and the signed attributes take under 1 KB. Reserving it saves pyHanko's trial
# signature that would otherwise size the container (half the signing time).
CMS_ROOM_BESIDE_CERTIFICATE = 2048


class _LoadedKeySigner(SimpleSigner):
    """pyHanko's SimpleSigner, signing with the key object already loaded.

    SimpleSigner parses the DER private key again for every signature, and parsing an RSA key
    checks it (tens of milliseconds); the key in SigningKey was checked once when it was read.
    """

    def __init__(self, *, loaded_key, **kwargs):
        super().__init__(**kwargs)
        self.loaded_key = loaded_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo == "rsassa_pkcs1v15":
            return self.loaded_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)


class _PreparedAttribute(CMSAttributeProvider):
    """A signed attribute whose value is the same for every signature, built once."""

    def __init__(self, attribute_type: str, value):
        self.attribute_type = attribute_type
        self.attribute = simple_cms_attribute(attribute_type, value)

    async def get_attribute(self, dry_run=False):
        return self.attribute


class _PadesBaselineBAttributes(SignedAttributeProviderSpec):
    """The signed attributes PAdES baseline B asks for beyond content-type and message-digest
    (which pyHanko adds itself): the signing-certificate-v2 reference, and nothing else (PAdES
    forbids a signing-time attribute; the time is in the signature dictionary). pyHanko's default
    (its CAdES spec) rebuilds that reference, a hash of the certificate, for every signature; it
    depends only on the certificate, so it is built once per key here.
    """

    def __init__(self, certificate):
        self.signing_certificate = _PreparedAttribute(
            "signing_certificate_v2", as_signing_certificate_v2(certificate)
        )

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        yield self.signing_certificate


@lru_cache(maxsize=8)
def _signer(kid: str, key: SigningKey) -> SimpleSigner:
    # Converting the key to asn1crypto's form costs more than the RSA signature: once per key.
    certificate = asn1_x509.Certificate.load(key.certificate.public_bytes(serialization.Encoding.DER))
    private_key = asn1_keys.PrivateKeyInfo.load(
        key.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = _LoadedKeySigner(
        loaded_key=key.private_key,
        signing_cert=certificate,
        signing_key=private_key,
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    signer.signed_attr_prov_spec = _PadesBaselineBAttributes(certificate)  # a public attribute of Signer
    return signer


def sign_pdf(
    pdf_bytes: bytes, key: SigningKey, *, reason: str, location: str = "", tsa_url: str = ""
) -> SignedPdf:
    """The PDF with the provider's PAdES signature appended (signing time now; a timestamp from
    `tsa_url` when given)."""
    metadata = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
    )
    signer = _signer(key.kid, key)
    if tsa_url:
        # A timestamp token's size depends on the authority: let pyHanko measure it.
        timestamper, reserved = HTTPTimeStamper(tsa_url), None
    else:
        # pyHanko counts the reserved room in hex digits: two per byte of the container.
        timestamper, reserved = None, 2 * (len(signer.signing_cert.dump()) + CMS_ROOM_BESIDE_CERTIFICATE)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    pdf_signer = PdfSigner(metadata, signer=signer, timestamper=timestamper)
    output = _outside_event_loop(pdf_signer.sign_pdf, writer, bytes_reserved=reserved)
    return SignedPdf(pdf=output.getvalue(), kid=key.kid)


def sign_with_current_key(pdf_bytes: bytes, *, reason: str) -> SignedPdf:
    """What every PDF we issue goes through: the current key, a timestamp when CE_TSA_URL is set."""
    return sign_pdf(
        pdf_bytes, current_key(), reason=reason, location=settings.SITE_URL, tsa_url=settings.CE_TSA_URL
    )


@dataclass(frozen=True)
class PdfClaims:
    """What an uploaded file says about itself. Only `intact_kids` is proof of anything."""

    signed_by_kids: tuple[str, ...]  # our keys whose certificate is on a signature in the file
    intact_kids: tuple[str, ...]  # of those, the signatures that are intact and cover the whole file
    serial: str  # the certificate serial in the file's keywords, "" if none

    @property
    def carries_our_signature(self) -> bool:
        return bool(self.signed_by_kids)


NO_CLAIMS = PdfClaims(signed_by_kids=(), intact_kids=(), serial="")


def _intact(signature, certificate) -> bool:
    # Trusting only the certificate the file claims: the question is whether the bytes are what
    # that key signed, not whether a CA vouches for it. No fetching: the check never goes online.
    context = ValidationContext(trust_roots=[certificate])
    status = _outside_event_loop(validate_pdf_signature, signature, context)
    return status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


# The upload check is public and anonymous, and a 5 MB file can hold hundreds of signature
# dictionaries, each carrying our (public) certificate: looking at every one would be hundreds of
# whole-file hashes and CMS checks per request. What we issue carries one signature, so only the
# latest few are looked at, and of those only the last one that is ours is validated.
SIGNATURES_LOOKED_AT = 4


def read_claims(pdf_bytes: bytes, published: list[SigningKey]) -> PdfClaims:
    """Our signatures and the serial an uploaded file carries; no claims if it cannot be parsed.

    Bounded work: the file's last SIGNATURES_LOOKED_AT signatures are read, and only the last of
    ours among them is validated (`intact_kids` holds at most one kid).
    """
    ours = {key.certificate.public_bytes(serialization.Encoding.DER): key.kid for key in published}
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signed_by, last_ours = [], None
        for signature in reader.embedded_signatures[-SIGNATURES_LOOKED_AT:]:
            kid = ours.get(signature.signer_cert.dump())
            if kid is not None:
                signed_by.append(kid)
                last_ours = (signature, kid)
        intact = []
        if last_ours is not None and _intact(last_ours[0], last_ours[0].signer_cert):
            intact.append(last_ours[1])
        # Subscripting (unlike .get) follows the indirect reference to the info dictionary.
        keywords = str(reader.trailer_view["/Info"].get("/Keywords", ""))
    except Exception:  # an altered or hostile file, or one with no info: any failure means "no claims"
        logger.debug("Uploaded PDF could not be parsed", exc_info=True)
        return NO_CLAIMS
    serial = keywords[len(KEYWORD_PREFIX) :].strip() if keywords.startswith(KEYWORD_PREFIX) else ""
    return PdfClaims(signed_by_kids=tuple(signed_by), intact_kids=tuple(intact), serial=serial[:40])
