from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from modules.content import ContentError, read_course_folder
from modules.services import course_load


class Command(BaseCommand):
    help = "Create or update a course from a content folder (course.toml + Markdown modules). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="for example content/proximal-hamstring-tendinopathy")

    def handle(self, *args, folder, **options):
        try:
            spec = read_course_folder(folder)
            course, report = course_load(spec=spec)
        except ContentError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(f"{folder}: {'; '.join(error.messages)}") from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Loaded {course.title} ({course.modules.count()} modules)."))
