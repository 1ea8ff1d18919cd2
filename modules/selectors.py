"""Reads for the learner's path, by what they read (this module names them in one place):

- `modules.progress`: the completion rule (`course_progress`, `lesson_progress`, `dashboard_progress`);
- `modules.course_reads`: course content for learner pages (`course_for_learner`, the catalogue);
- `modules.content_cache`: the per-worker copy of course content and its version (`content_forget`);
- `image_file_read`: an image's stored bytes, for the image view (and the staff-only signature view).
"""

from django.core.files.storage import storages

from modules.content_cache import content_forget
from modules.course_reads import (
    catalogue_courses,
    course_for_learner,
    course_modules,
    courses_by_id,
    enrolled_course_ids,
)
from modules.images import TYPES_BY_EXTENSION
from modules.progress import (
    COMPLETE,
    LOCKED,
    OPEN,
    CourseProgress,
    ModuleState,
    Step,
    build_course_progress,
    course_progress,
    course_urls,
    dashboard_progress,
    lesson_progress,
    live_certificates,
)

__all__ = [
    "COMPLETE",
    "LOCKED",
    "OPEN",
    "CourseProgress",
    "ModuleState",
    "Step",
    "build_course_progress",
    "catalogue_courses",
    "content_forget",
    "course_for_learner",
    "course_modules",
    "course_progress",
    "course_urls",
    "courses_by_id",
    "dashboard_progress",
    "enrolled_course_ids",
    "image_file_read",
    "lesson_progress",
    "live_certificates",
]


IMAGE_FOLDER = "images"
# The nurse planner's handwritten signature: kept out of IMAGE_FOLDER, whose files anyone may
# fetch, and served only to staff; the certificate renderer reads it from the storage.
SIGNATURE_FOLDER = "signatures"


def image_file_read(name, folder=IMAGE_FOLDER):
    """(bytes, content type) of the stored image file `name` in `folder`, or None.

    Read from the storage, not through an Image row: a replaced image's earlier file is no
    longer any row's file, yet HTML frozen in snapshots still points at it.
    """
    storage = storages["default"]
    path = f"{folder}/{name}"
    content_type = TYPES_BY_EXTENSION.get(name.rsplit(".", 1)[-1])
    if content_type is None or not storage.exists(path):
        return None
    with storage.open(path, "rb") as stored:
        return stored.read(), content_type
