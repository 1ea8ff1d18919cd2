from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from modules.content import ContentError, CourseSpec, split_article
from modules.models import Course
from modules.services import course_load

TO_COMPLETE = "To be completed by the author before publishing."


class Command(BaseCommand):
    help = (
        "Start a course from a Markdown article: one module per second-level (##) heading. "
        "The course is created unpublished, with its disclosures marked for the author to complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a Markdown file")
        parser.add_argument("--course", required=True, help="slug of the course to create or update")
        parser.add_argument("--title", help="course title (default: the article's H1)")

    def handle(self, *args, file, course, title=None, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot read it as UTF-8 text ({error}).") from error
        try:
            h1, modules = split_article(text)
        except ContentError as error:
            raise CommandError(f"{file}: {error}") from error

        existing = Course.objects.filter(slug=course).first()
        if existing is not None:
            # Re-importing replaces the modules' text and keeps what the author filled in since.
            fields = {"title": title or existing.title}
        else:
            today = timezone.localdate()
            fields = {
                "title": title or h1 or course.replace("-", " ").capitalize(),
                "summary": TO_COMPLETE,
                "provider_name": TO_COMPLETE,
                "accreditation_statement": TO_COMPLETE,
                "learning_outcome": TO_COMPLETE,
                "completion_criteria": TO_COMPLETE,
                "disclosure_relationships": TO_COMPLETE,
                "contact_hours": Decimal("1.00"),
                "contact_hours_calculation": TO_COMPLETE,
                "release_date": today,
                "expiry_date": today + timedelta(days=3 * 365),
                "is_published": False,
            }
        try:
            saved, report = course_load(spec=CourseSpec(slug=course, fields=fields, modules=tuple(modules)))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"{saved.title}: {len(modules)} modules. The course is unpublished until you publish it."
            )
        )
