from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from modules.content import ContentError, CourseSpec, split_article
from modules.models import Course, Provider
from modules.services import course_load, draft_course_fields


class Command(BaseCommand):
    help = (
        "Start a course from a Markdown article: one module per second-level (##) heading. "
        "The course is created unpublished, with its disclosures marked for the author to complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a Markdown file")
        parser.add_argument("--course", required=True, help="slug of the course to create or update")
        parser.add_argument("--title", help="course title (default: the article's H1)")
        parser.add_argument(
            "--provider", help="legal name of the course's provider (default: the site's only provider)"
        )

    def handle(self, *args, file, course, title=None, provider=None, **options):
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
            providers = Provider.objects.filter(legal_name=provider) if provider else Provider.objects.all()
            if len(providers[:2]) != 1:
                raise CommandError(
                    f"No provider is named {provider!r}."
                    if provider
                    else "Name the provider with --provider."
                )
            fields = draft_course_fields(title=title or h1 or course.replace("-", " ").capitalize())
            fields["provider"] = providers[0]
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
