"""How long one certificate PDF takes to render and to issue signed, beside floors measured in the same run.

Run: .venv/bin/python bench/bench_certificate.py [--runs 200] [--sample-png /tmp/certificate-sample.png]

Cases: `floor` (below), `certificate` (the unsigned PDF: the floor for issuing), `signed` (the PDF
plus its PAdES signature, pdf_signing.sign_pdf, with a throwaway RSA-2048 key) and `issued` (signed
plus every step in ISSUE_STEPS: the Open Badges credential adds itself there). Budgets: the unsigned
PDF 10 ms median; PDF + signature + credential 20 ms median (issue 15).

The floor is a bare reportlab canvas page carrying the same strings in the same two embedded fonts,
with no QR code, no wrapping and no frame: what reportlab needs for this text at the least. The
ratio to it, not the raw milliseconds, is what to compare between machines (DESIGN.md, budgets).
Needs no database; Django's settings are configured in-process only for the key's password.
"""

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.conf import settings
from reportlab.pdfgen.canvas import Canvas

from certificates.fonts import register_fonts
from certificates.pdf import (
    CertificateData,
    LicenseLine,
    contact_hours_label,
    format_date,
    license_label,
    name_with_credentials,
    render_certificate,
)

BUDGET_MS = 10.0
ISSUE_BUDGET_MS = 20.0

# Work that issuing a certificate does beyond the signed PDF, each a function of the certificate's
# data, timed inside the `issued` case. The Open Badges 3.0 credential (credentials/) appends its
# build-and-sign step here, e.g. ISSUE_STEPS.append(lambda data, key: build_credential(data, key)).
ISSUE_STEPS: list[Callable[[CertificateData, object], object]] = []


def credential_step(data: CertificateData, key) -> str:
    """The Open Badges credential issuing adds: build the OpenBadgeCredential and sign its VC-JWT
    (credentials.services.credential_issue less its row writes; URLs spelled as the site builds them)."""
    from credentials import document, jose

    site = data.verification_url.split("/verify/")[0]
    status_list = f"{site}/credentials/status/1"
    facts = document.CredentialFacts(
        credential_id="urn:uuid:7f2c1d5e-3b8a-4c6f-9e1d-2a4b6c8d0e1f",
        issuer_id=f"{site}/credentials/issuer",
        provider_name=data.provider_name,
        provider_url=data.provider_web_address,
        achievement_id=f"{site}/courses/proximal-hamstring-tendinopathy/",
        course_title=data.course_title,
        course_summary="How to recognise, examine and treat proximal hamstring tendinopathy.",
        completion_criteria="Study every module, pass the post-test and complete the evaluation.",
        contact_hours=data.contact_hours,
        completion_date=data.completion_date,
        email="zoe@example.com",
        salt="5f0c2b9e8d7a6c4b3a291807f6e5d4c3",
        status_entry_id=f"{status_list}#40123",
        status_list_url=status_list,
        status_index=40123,
    )
    credential = document.open_badge_credential(facts)
    jose.json_bytes(credential)
    return jose.sign(
        credential, signing_key=key, key_url=f"{site}/credentials/keys/{key.kid}", signed_at=key.not_before
    )


ISSUE_STEPS.append(credential_step)


def sample_data() -> CertificateData:
    """The shipped course as a learner with a hard name would receive it."""
    return CertificateData(
        serial="CE-2026-000123",
        verification_code="7KQ9MZ4TXW2P",
        verification_url="https://ce.example.org/verify/7KQ9MZ4TXW2P/",
        learner_name="Zoë Ångström-Nguyễn",
        learner_credentials="RN, BSN",
        licenses=(LicenseLine("RN", "FL", "RN1234567"), LicenseLine("RN", "GA", "RN7654321")),
        course_title="Proximal Hamstring Tendinopathy: Recognizing and Managing Lower Buttock Pain",
        completion_date=date(2026, 3, 14),
        contact_hours=Decimal("1.00"),
        provider_name="Example Nursing CE Provider",
        provider_address="100 Main Street, Tallahassee, FL 32301",
        provider_web_address="https://ce.example.org",
        provider_approval_number="FBN 50-12345",
        accreditation_statement=(
            "Example Nursing CE Provider is approved as a provider of continuing nursing education by "
            "the Florida Board of Nursing, provider number 50-12345. This activity is approved for "
            "1.00 contact hour."
        ),
        issued_at=date(2026, 3, 15),
        nurse_planner_name="Jordan Example",
        nurse_planner_credentials="MSN, RN",
    )


def floor_strings(data: CertificateData) -> list[tuple[str, bool]]:
    """Every string the certificate prints, and whether it is set in bold."""
    licenses = "  ·  ".join(license_label(line) for line in data.licenses)
    return [
        (data.provider_name, False),
        ("Certificate of Completion", True),
        ("This certifies that", False),
        (data.learner_name, True),
        (f", {data.learner_credentials}", False),
        (licenses, False),
        ("has completed the continuing nursing education activity", False),
        (data.course_title, True),
        (
            f"Completed {format_date(data.completion_date)}  ·  Awarded {contact_hours_label(data.contact_hours)}",
            True,
        ),
        (data.accreditation_statement, False),
        (
            f"Provider: {data.provider_name}  ·  {data.provider_address}  ·  {data.provider_web_address}",
            False,
        ),
        (f"Provider approval number: {data.provider_approval_number}", False),
        (name_with_credentials(data.nurse_planner_name, data.nurse_planner_credentials), False),
        ("Nurse planner", False),
        (f"Certificate {data.serial}", True),
        (f"Issued {format_date(data.issued_at)}", False),
        (f"Verification code {data.verification_code}", False),
        (f"Verify at {data.verification_url}", False),
    ]


def render_floor(data: CertificateData) -> bytes:
    fonts = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(792, 612), invariant=1, pageCompression=1, initialFontName=fonts.serif)
    y = 580.0
    for text, bold in floor_strings(data):
        canvas.setFont(fonts.serif_bold if bold else fonts.serif, 10)
        canvas.drawString(40, y, text)
        y -= 30
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def measure(cases: dict[str, Callable[[], bytes]], runs: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds per run; the cases take turns so that load from elsewhere hits both."""
    for render in cases.values():
        render()  # first render registers fonts and warms caches; it is not what a request pays
    times = {name: {"wall": [], "cpu": []} for name in cases}
    for _ in range(runs):
        for name, render in cases.items():
            wall, cpu = time.perf_counter(), time.process_time()
            render()
            times[name]["cpu"].append(time.process_time() - cpu)
            times[name]["wall"].append(time.perf_counter() - wall)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_table(times: dict[str, dict[str, list[float]]], sizes: dict[str, int], runs: int) -> None:
    print(f"{runs} renders each, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'case':<12}{'median ms':>11}{'p90 ms':>9}{'cpu median ms':>15}{'size KB':>9}")
    for name, result in times.items():
        wall, cpu = result["wall"], result["cpu"]
        print(
            f"{name:<12}{statistics.median(wall) * 1000:>11.2f}{percentile(wall, 0.9) * 1000:>9.2f}"
            f"{statistics.median(cpu) * 1000:>15.2f}{sizes[name] / 1024:>9.1f}"
        )
    certificate, floor = (statistics.median(times[name]["wall"]) for name in ("certificate", "floor"))
    cpu_ratio = statistics.median(times["certificate"]["cpu"]) / statistics.median(times["floor"]["cpu"])
    print(f"ratio certificate/floor: {certificate / floor:.2f} (wall), {cpu_ratio:.2f} (cpu)")
    verdict = "within" if certificate * 1000 < BUDGET_MS else "OVER"
    print(f"budget: median {certificate * 1000:.2f} ms is {verdict} the {BUDGET_MS:.0f} ms budget")
    if "signed" in times:
        signed = statistics.median(times["signed"]["wall"])
        print(f"signature alone: {(signed - certificate) * 1000:.2f} ms (signed - certificate medians)")
        issued_name = "issued" if "issued" in times else "signed"
        issued = statistics.median(times[issued_name]["wall"])
        steps = (
            f"{len(ISSUE_STEPS)} step(s) beyond the signed PDF" if ISSUE_STEPS else "no credential step yet"
        )
        verdict = "within" if issued * 1000 < ISSUE_BUDGET_MS else "OVER"
        print(
            f"issue budget ({steps}): median {issued * 1000:.2f} ms is {verdict} "
            f"the {ISSUE_BUDGET_MS:.0f} ms budget"
        )


def throwaway_key(directory: Path):
    """An RSA-2048 key and self-signed certificate made for this run, as signing_keys makes them."""
    if not settings.configured:
        settings.configure(CE_SIGNING_KEY_DIR=str(directory), CE_SIGNING_KEY_PASSWORD="")
    from certificates import signing_keys

    return signing_keys.create_signing_key(common_name="Benchmark key", development=True, directory=directory)


def issue_cases(data: CertificateData, key) -> dict[str, Callable[[], object]]:
    from certificates.pdf_signing import sign_pdf

    def signed() -> bytes:
        return sign_pdf(render_certificate(data), key, reason="Benchmark").pdf

    def issued() -> bytes:
        content = signed()
        for step in ISSUE_STEPS:
            step(data, key)
        return content

    return {"signed": signed, **({"issued": issued} if ISSUE_STEPS else {})}


def write_sample_png(data: CertificateData, path: Path) -> None:
    """The certificate at 100 dpi, to look at (needs pdftoppm from Debian's poppler-utils)."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        sys.exit("pdftoppm is not installed: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "certificate.pdf"
        source.write_bytes(render_certificate(data))
        prefix = path.with_suffix("")
        # Arguments are a fixed command and paths this script chose; no shell is involved.
        subprocess.run([pdftoppm, "-png", "-r", "100", "-singlefile", source, prefix], check=True)  # noqa: S603
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sample-png", type=Path, help="also write the sample certificate as a PNG here")
    args = parser.parse_args()
    data = sample_data()
    cases = {"certificate": lambda: render_certificate(data), "floor": lambda: render_floor(data)}
    with tempfile.TemporaryDirectory() as key_directory:
        cases.update(issue_cases(data, throwaway_key(Path(key_directory))))
        sizes = {name: len(render()) for name, render in cases.items()}
        print_table(measure(cases, args.runs), sizes, args.runs)
    if args.sample_png:
        write_sample_png(data, args.sample_png)


if __name__ == "__main__":
    main()
