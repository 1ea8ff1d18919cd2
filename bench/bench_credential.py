"""How long one Open Badges credential takes to create and sign, and its badge to bake.

Run: .venv/bin/python bench/bench_credential.py [--runs 500]

"create + sign" is what credentials.services.credential_issue does besides its two row writes:
build the OpenBadgeCredential, serialise it, and sign the VC-JWT (RS256, 2048-bit key) with
jwcrypto. The key is a fresh one in a temporary directory. Needs no database.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ce_course.settings")
os.environ["CE_SIGNING_KEY_DIR"] = tempfile.mkdtemp(prefix="bench-keys-")

import django

django.setup()

from certificates import signing_keys  # noqa: E402
from credentials import addresses, badge, document, jose  # noqa: E402


def facts():
    list_url = addresses.status_list_url(1)
    return document.CredentialFacts(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer_id=addresses.issuer_url(),
        provider_name="Example Nursing CE Provider",
        provider_url="https://ce.example.org",
        achievement_id=addresses.achievement_url("proximal-hamstring-tendinopathy"),
        course_title="Proximal Hamstring Tendinopathy: Recognizing and Managing Lower Buttock Pain",
        course_summary="How to recognise, examine and treat proximal hamstring tendinopathy.",
        completion_criteria="Study every module, pass the post-test with 80% and complete the evaluation.",
        contact_hours=Decimal("1.50"),
        completion_date=date(2026, 3, 14),
        email="zoe@example.com",
        salt=uuid.uuid4().hex,
        status_entry_id=f"{list_url}#40123",
        status_list_url=list_url,
        status_index=40123,
    )


def create_and_sign():
    key = signing_keys.current_key()
    credential = document.open_badge_credential(facts())
    jose.json_bytes(credential)
    return jose.sign(
        credential, signing_key=key, key_url=addresses.key_url(key.kid), signed_at=key.not_before
    )


def median_ms(function, runs):
    function()  # warm: key conversion, imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), sorted(times)[int(runs * 0.99) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    runs = parser.parse_args().runs
    signing_keys.create_signing_key(common_name="Bench key", development=True)
    token = create_and_sign()
    for label, function in (
        ("create + sign one credential", create_and_sign),
        ("bake one badge PNG", lambda: badge.baked_png(contact_hours=Decimal("1.50"), credential_jws=token)),
    ):
        median, p99 = median_ms(function, runs)
        print(f"{label}: median {median:.2f} ms, p99 {p99:.2f} ms ({runs} runs)")


if __name__ == "__main__":
    main()
