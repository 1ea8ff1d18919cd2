"""Reads for the learner's path, by what they read (this module names them in one place):

- `modules.progress`: the completion rule (`course_progress`, `lesson_progress`, `dashboard_progress`);
- `modules.course_reads`: course content for learner pages (`course_for_learner`, the catalogue);
- `modules.content_cache`: the per-worker copy of course content and its version (`content_forget`).
"""

from modules.content_cache import content_forget
from modules.course_reads import (
    catalogue_courses,
    course_for_learner,
    course_modules,
    courses_by_id,
    enrolled_course_ids,
)
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
    "lesson_progress",
    "live_certificates",
]
