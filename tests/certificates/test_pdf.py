"""The certificate and transcript PDFs: what they print, embedded fonts, determinism, QR, layout.

Pure rendering, so no database: these tests use no fixtures from tests/conftest.py.
"""

import hashlib
import io
import os
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.bench_certificate import sample_data
from certificates.fonts import (
    DEBIAN_PACKAGE,
    SANS,
    SERIF,
    SERIF_BOLD,
    FontsUnavailableError,
    font_files,
    missing_glyphs,
    register_fonts,
)
from certificates.pdf import (
    BODY_FLOOR,
    CertificateData,
    CertificateLayoutError,
    CertificateRenderer,
    LicenseLine,
    certificate_filename,
    contact_hours_label,
    render_certificate,
)
from certificates.transcript import TranscriptData, TranscriptRow, render_transcript

ROOT = Path(__file__).resolve().parents[2]
HARD_NAMES = ["Zoë Ångström-Nguyễn", "Łukasz Żółć", "Seán O'Brien"]
STANDARD_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-BoldOblique",
    "Courier-Oblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-BoldOblique",
    "Helvetica-Oblique",
    "Symbol",
    "Times-Bold",
    "Times-BoldItalic",
    "Times-Italic",
    "Times-Roman",
    "ZapfDingbats",
}


def certificate_data(**changes) -> CertificateData:
    """The benchmark's sample (the shipped course, a learner with a hard name), with `changes` applied."""
    return replace(sample_data(), **changes)


def transcript_data(row_count: int = 60) -> TranscriptData:
    rows = tuple(
        TranscriptRow(
            course_title=f"Course {index}: wound care & <pressure> injury prevention",
            completion_date=date(2025, 1, 1) + timedelta(days=5 * index),
            contact_hours=Decimal("1.50"),
            serial=f"CE-2025-{index:06d}",
            verification_code=f"CODE{index:08d}",
            status="Revoked" if index == 7 else "Valid",
        )
        for index in range(row_count)
    )
    return TranscriptData(
        learner_name="Łukasz Żółć",
        learner_credentials="RN",
        licenses=(LicenseLine("RN", "FL", "RN1234567"),),
        generated_at=date(2026, 3, 20),
        rows=rows,
        total_hours=Decimal("88.50"),
        site_url="https://ce.example.org",
    )


def reader_for(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def flat(text: str) -> str:
    """Whitespace collapsed, so wrapped lines compare equal to the one-line source text."""
    return " ".join(text.split())


def page_text(pdf: bytes, index: int = 0) -> str:
    return flat(reader_for(pdf).pages[index].extract_text())


def embedded_fonts(pdf: bytes):
    """(BaseFont, FontDescriptor) of every font any page uses, descendant fonts included."""
    for page in reader_for(pdf).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for reference in fonts.get_object().values():
            font = reference.get_object()
            for part in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                if "/FontDescriptor" in part or part.get("/Subtype") != "/Type0":
                    yield str(part["/BaseFont"]), part.get("/FontDescriptor")


def require_tool(command: str, package: str) -> str:
    path = shutil.which(command)
    if path is None:
        message = f"{command} is not installed (Debian package {package}; scripts/install-system-deps.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def decode_qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    """Rasterise page 1 as a printer would and read every QR code on it."""
    pdftoppm = require_tool("pdftoppm", "poppler-utils")
    zbarimg = require_tool("zbarimg", "zbar-tools")
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", source, tmp_path / "page"],
        check=True,
        timeout=60,
    )
    result = subprocess.run(
        [zbarimg, "--raw", "-q", tmp_path / "page.png"], capture_output=True, text=True, timeout=60
    )
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return render_certificate(certificate_data())


# --- contact hours and file name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "label"),
    [
        (Decimal("1"), "1.00 contact hour"),
        (Decimal("1.000"), "1.00 contact hour"),
        (Decimal("0.5"), "0.50 contact hours"),
        (Decimal("1.5"), "1.50 contact hours"),
        (Decimal("2"), "2.00 contact hours"),
        (Decimal("0.255"), "0.26 contact hours"),
    ],
)
def test_contact_hours_label_has_two_decimals_and_is_singular_only_for_one(hours, label):
    assert contact_hours_label(hours) == label


def test_contact_hours_label_rejects_negative_hours():
    with pytest.raises(ValueError, match="negative"):
        contact_hours_label(Decimal("-1"))


def test_certificate_filename_uses_the_serial():
    assert certificate_filename(certificate_data()) == "certificate-CE-2026-000123.pdf"
    assert certificate_filename(certificate_data(serial="CE/../2026 7")) == "certificate-CE-..-2026-7.pdf"


def test_renderer_returns_filename_mimetype_and_bytes():
    filename, mimetype, pdf = CertificateRenderer().generate(certificate_data())
    assert (filename, mimetype) == ("certificate-CE-2026-000123.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF-")


# --- what the certificate prints ---------------------------------------------------------------


def test_certificate_is_one_landscape_us_letter_page(certificate_pdf):
    reader = reader_for(certificate_pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792, 612)


@pytest.mark.parametrize(
    "expected",
    [
        "Certificate of Completion",
        "Zoë Ångström-Nguyễn",
        "RN, BSN",
        "RN license FL RN1234567",
        "RN license GA RN7654321",
        "Proximal Hamstring Tendinopathy: Recognizing and Managing Lower Buttock Pain",
        "Completed March 14, 2026",
        "Awarded 1.00 contact hour",
        "Example Nursing CE Provider",
        "100 Main Street, Tallahassee, FL 32301",
        "https://ce.example.org",
        "Provider approval number: FBN 50-12345",
        "is approved as a provider of continuing nursing education by the Florida Board of Nursing, "
        "provider number 50-12345. This activity is approved for 1.00 contact hour.",
        "Certificate CE-2026-000123",
        "Issued March 15, 2026",
        "Verification code 7KQ9MZ4TXW2P",
        "Verify at https://ce.example.org/verify/7KQ9MZ4TXW2P/",
        "Jordan Example, MSN, RN",
        "Nurse planner",
    ],
)
def test_certificate_prints_every_required_element(certificate_pdf, expected):
    assert expected in page_text(certificate_pdf)


def test_planner_name_sits_on_the_nurse_planner_signature_line(certificate_pdf):
    text = page_text(certificate_pdf)
    assert text.index("Jordan Example, MSN, RN") < text.index("Nurse planner")


def test_optional_title_note_is_printed_only_when_given(certificate_pdf):
    note = "Replaces certificate CE-2026-000100"
    assert note not in page_text(certificate_pdf)
    assert note in page_text(render_certificate(certificate_data(title_note=note)))


def test_empty_credentials_addresses_and_licenses_leave_no_stray_punctuation():
    data = certificate_data(learner_credentials="", licenses=(), provider_address="", provider_web_address="")
    text = page_text(render_certificate(data))
    assert "Zoë Ångström-Nguyễn" in text
    assert "Zoë Ångström-Nguyễn," not in text
    assert "license" not in text
    assert "Provider: Example Nursing CE Provider Provider approval number: FBN 50-12345" in text


def test_markup_characters_print_literally():
    title = "Wound care & <pressure> injuries: R&D <b>not bold</b>"
    text = page_text(render_certificate(certificate_data(course_title=title, provider_name="A & B <CE>")))
    assert title in text
    assert "Provider: A & B <CE>" in text


# --- fonts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["certificate", "transcript"])
def test_every_font_is_embedded_truetype(kind, certificate_pdf):
    pdf = certificate_pdf if kind == "certificate" else render_transcript(transcript_data(5))
    fonts = list(embedded_fonts(pdf))
    assert fonts
    for base_font, descriptor in fonts:
        name = base_font.lstrip("/").split("+")[-1]
        assert name not in STANDARD_14, f"{base_font} is an unembedded standard-14 font"
        assert descriptor is not None, f"{base_font} has no font descriptor"
        assert "/FontFile2" in descriptor.get_object(), f"{base_font} is not embedded"
        assert name.startswith("DejaVu")


@pytest.mark.parametrize("name", HARD_NAMES)
def test_fonts_have_a_glyph_for_every_character_of_hard_names(name):
    register_fonts()
    for font in (SERIF, SERIF_BOLD, SANS):
        assert missing_glyphs(name, font) == set()


@pytest.mark.parametrize("name", HARD_NAMES)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_hard_names_come_out_intact_in_extracted_text(name, form):
    # NFD is what a name typed on a Mac may look like; it must still print as the composed name.
    data = certificate_data(learner_name=unicodedata.normalize(form, name), nurse_planner_name=name)
    text = page_text(render_certificate(data))
    assert text.count(name) == 2


def test_missing_fonts_raise_an_error_naming_the_debian_package(tmp_path):
    with pytest.raises(FontsUnavailableError, match=DEBIAN_PACKAGE):
        register_fonts(tmp_path)


def test_serif_falls_back_to_sans_when_only_sans_is_installed(tmp_path):
    for stem in ("DejaVuSans", "DejaVuSans-Bold"):
        (tmp_path / f"{stem}.ttf").write_bytes(b"")
    files = font_files(tmp_path)
    assert files[SERIF].name == "DejaVuSans.ttf"
    assert files[SERIF_BOLD].name == "DejaVuSans-Bold.ttf"


# --- metadata and determinism ------------------------------------------------------------------


def test_metadata_names_course_provider_and_creator(certificate_pdf):
    metadata = reader_for(certificate_pdf).metadata
    assert metadata.title == (
        "Certificate of completion — Proximal Hamstring Tendinopathy: Recognizing and Managing "
        "Lower Buttock Pain"
    )
    assert metadata.author == "Example Nursing CE Provider"
    assert metadata.creator == "CE Course"
    assert "1.00 contact hour" in metadata.subject


def test_same_data_renders_identical_bytes(certificate_pdf):
    assert render_certificate(certificate_data()) == certificate_pdf
    assert render_certificate(certificate_data(serial="CE-2026-000124")) != certificate_pdf


def test_rendering_in_another_process_gives_the_same_sha256(certificate_pdf):
    # The stored SHA-256 must be reproducible later, by another worker with another hash seed.
    script = (
        "import hashlib, sys; sys.path.insert(0, 'tests/certificates'); "
        "from test_pdf import certificate_data; from certificates.pdf import render_certificate; "
        "print(hashlib.sha256(render_certificate(certificate_data())).hexdigest())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == hashlib.sha256(certificate_pdf).hexdigest()


def test_transcript_renders_identical_bytes():
    assert render_transcript(transcript_data(10)) == render_transcript(transcript_data(10))


# --- QR code -----------------------------------------------------------------------------------


def test_qr_code_decodes_to_exactly_the_verification_url(certificate_pdf, tmp_path):
    assert decode_qr_codes(certificate_pdf, tmp_path) == ["https://ce.example.org/verify/7KQ9MZ4TXW2P/"]


def test_qr_code_of_a_long_verification_url_still_decodes(tmp_path):
    url = "https://continuing-education.example-hospital-network.org/certificates/verify/7KQ9MZ4TXW2P/"
    pdf = render_certificate(certificate_data(verification_url=url))
    assert decode_qr_codes(pdf, tmp_path) == [url]


# --- layout limits -----------------------------------------------------------------------------

LONG_TITLE = (
    "Evidence-Based Assessment, Differential Diagnosis and Conservative Management of Proximal "
    "Hamstring Tendinopathy, Ischial Bursitis and Deep Gluteal Syndrome in Adult Runners, Dancers "
    "and Office Workers: A Comprehensive Interprofessional Review for Registered Nurses"
)
LONG_STATEMENT = (
    " ".join(
        [
            "Example Nursing CE Provider is approved as a provider of continuing nursing education by the "
            "Florida Board of Nursing, provider number 50-12345, and by the Georgia Board of Nursing."
        ]
        * 5
    )
    + " END-OF-STATEMENT"
)


def text_positions(pdf: bytes) -> list[tuple[str, float]]:
    """(text, baseline y in points) for each run of text on page 1."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text, tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

    reader_for(pdf).pages[0].extract_text(visitor_text=visit)
    return runs


def test_long_title_and_statement_fit_on_one_page_above_the_signature_block():
    data = certificate_data(
        course_title=LONG_TITLE,
        accreditation_statement=LONG_STATEMENT,
        licenses=tuple(
            LicenseLine("RN", state, f"RN{n:07d}")
            for n, state in enumerate(("FL", "GA", "AL", "TX", "NY", "CA"))
        ),
    )
    pdf = render_certificate(data)
    assert len(reader_for(pdf).pages) == 1
    text = page_text(pdf)
    assert LONG_TITLE in text
    assert flat(LONG_STATEMENT) in text
    assert "RN license CA RN0000005" in text
    positions = text_positions(pdf)
    statement_end = min(y for run, y in positions if "END-OF-STATEMENT" in run)
    approval = min(y for run, y in positions if "Provider approval number" in run)
    serial = max(y for run, y in positions if "CE-2026-000123" in run)
    assert statement_end > approval > BODY_FLOOR > serial


def test_text_too_long_for_any_legible_size_is_refused_rather_than_overprinted():
    with pytest.raises(CertificateLayoutError):
        render_certificate(certificate_data(accreditation_statement=LONG_STATEMENT * 8))


# --- transcript --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transcript_pdf() -> bytes:
    return render_transcript(transcript_data(60))


def test_transcript_of_sixty_rows_spans_pages_and_repeats_its_header(transcript_pdf):
    reader = reader_for(transcript_pdf)
    assert len(reader.pages) >= 2
    # Compared without spaces: pypdf sometimes splits a word of a wrapped table cell ("Contac t").
    header = "Completed Course Contact hours Certificate Verification code Status".replace(" ", "")
    for index in range(len(reader.pages)):
        text = page_text(transcript_pdf, index).replace(" ", "")
        assert header in text, f"page {index + 1} lacks the header row"
    assert "Łukasz Żółć, RN" in page_text(transcript_pdf, 0)
    assert "RN license FL RN1234567" in page_text(transcript_pdf, 0)


def test_transcript_lists_every_row_once_and_ends_with_the_total(transcript_pdf):
    reader = reader_for(transcript_pdf)
    pages = [page_text(transcript_pdf, index) for index in range(len(reader.pages))]
    everything = " ".join(pages)
    for index in range(60):
        assert everything.count(f"CE-2025-{index:06d}") == 1
    assert "Course 0: wound care & <pressure> injury prevention" in everything
    assert "Revoked" in everything
    assert "Total: 88.50 contact hours" in pages[-1]
    assert all("Total:" not in page for page in pages[:-1])


def test_transcript_metadata_and_portrait_page(transcript_pdf):
    reader = reader_for(transcript_pdf)
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612, 792)
    assert reader.metadata.title == "Continuing education transcript — Łukasz Żółć, RN"
    assert reader.metadata.creator == "CE Course"
