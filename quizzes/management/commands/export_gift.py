from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.gift_import import gift_export
from quizzes.management.commands.import_gift import quiz_for_slug


class Command(BaseCommand):
    help = "Write a course's post-test as GIFT. Ordering questions (GIFT has none) are listed on stderr."

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiz", required=True, metavar="COURSE_SLUG", help="the course whose post-test to export"
        )
        parser.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args, quiz, output, **options):
        quiz = quiz_for_slug(quiz)
        text, skipped = gift_export(quiz)
        for question in skipped:
            self.stderr.write(f"skipped {question}")
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{output}: {error.strerror}") from error
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
