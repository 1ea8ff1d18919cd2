from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ce_course.audit import audit_record
from modules.content import ContentError, read_course_folder
from modules.markdown import UnknownImage
from modules.services import course_load
from quizzes.content import read_quiz_file
from quizzes.services import quiz_load

QUIZ_FILE = "post-test.toml"


class Command(BaseCommand):
    help = "Create or update a course from a content folder (course.toml + Markdown modules). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="for example content/proximal-hamstring-tendinopathy")

    def handle(self, *args, folder, **options):
        try:
            spec = read_course_folder(folder)
            quiz_path = Path(folder) / QUIZ_FILE
            quiz_spec = read_quiz_file(quiz_path) if quiz_path.is_file() else None
            # One transaction: a bad post-test leaves the course as it was, not half-updated.
            with transaction.atomic():
                course, report = course_load(spec=spec)
                if quiz_spec is not None:
                    quiz_load(course=course, spec=quiz_spec, report=report)
                if course.is_published and (report.created or report.updated):
                    audit_record(
                        actor=None,
                        action="course.loaded",
                        obj=course,
                        summary=f"Published course {course.slug} loaded from {folder}",
                        data={"created": report.created, "updated": report.updated},
                    )
        except ContentError as error:
            raise CommandError(str(error)) from error
        except UnknownImage as error:
            # Module bodies are checked by course_load; this is a question stem of the post-test.
            raise CommandError(f"{quiz_path}: {error}") from error
        except ValidationError as error:
            raise CommandError(f"{folder}: {'; '.join(error.messages)}") from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Loaded {course.title} ({course.modules.count()} modules)."))
