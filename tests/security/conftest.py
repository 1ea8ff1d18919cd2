"""Fixtures shared by the security tests: a world where alice holds a certificate, and the personas."""

import pytest

from certificates import signing_keys
from modules.images import SVG, clean_image
from modules.models import Enrollment, Image
from modules.selectors import SIGNATURE_FOLDER
from modules.services import image_file_store, image_save
from quizzes.models import Attempt
from reports.filters import CompletionFilter
from reports.jobs import export_job_create
from reports.models import ExportJob, RosterBatch
from reports.services import roster_mark_reported

# Shared with the certificate tests: a learner who completed a course, and its post-test.
from tests.certificates.conftest import certificate, passed_learner, post_test  # noqa: F401


@pytest.fixture
def world(certificate, passed_learner, other_learner, course, board, settings, tmp_path):  # noqa: F811 (fixtures by name)
    """alice holds a certificate, attempt 1 and a license; bob is enrolled in the same course;
    one image is stored; the board reviewer has a finished background export."""
    settings.MEDIA_ROOT = tmp_path / "media"
    job = export_job_create(user=board, kind=ExportJob.Kind.CSV, f=CompletionFilter())
    Enrollment.objects.create(
        user=other_learner, course=course, disclosures_acknowledged_at=certificate.issued_at
    )
    roster_mark_reported(f=CompletionFilter(), by=board)
    attempt = Attempt.objects.get(user=passed_learner)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text>x</text></svg>'
    image = image_save(image=Image(key="world-figure", alt_text="A figure."), clean=clean_image(svg, SVG))
    image_file_store(clean_image(svg, SVG), "world-figure", SIGNATURE_FOLDER)  # the same name, as a signature
    return {
        "slug": course.slug,
        "course_slug": course.slug,
        "module_slug": course.modules.order_by("position").first().slug,
        "number": attempt.number,
        "serial": certificate.serial,
        "code": certificate.verification_code,
        "pk": passed_learner.licenses.get().pk,
        "batch_id": RosterBatch.objects.get().pk,
        "job_id": job.pk,
        "uidb64": "MQ",
        "token": "invalid-token",
        "kid": signing_keys.current_key().kid,
        "list_id": certificate.credential.status_list_id,
        "name": image.file.name.rsplit("/", 1)[-1],
    }


@pytest.fixture
def personas(passed_learner, other_learner, author, board, admin_user):  # noqa: F811 (fixtures by name)
    return {
        "anonymous": None,
        "learner": passed_learner,
        "other_learner": other_learner,
        "author": author,
        "board": board,
        "admin": admin_user,
    }
