from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.gift_import import MAX_UPLOAD_BYTES, gift_import
from quizzes.models import Quiz


def quiz_for_slug(slug):
    quiz = Quiz.objects.select_related("course").filter(course__slug=slug).first()
    if quiz is None:
        raise CommandError(
            f"No post-test for a course with slug {slug!r}; create it first (load_course or the admin)."
        )
    return quiz


class Command(BaseCommand):
    help = (
        "Add the questions of a GIFT file to a course's post-test. All or nothing; --dry-run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a UTF-8 GIFT file")
        parser.add_argument(
            "--quiz", required=True, metavar="COURSE_SLUG", help="the course whose post-test gets them"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and list what it would create"
        )
        parser.add_argument(
            "--skip-unsupported",
            action="store_true",
            help="leave out essays and descriptions (listed with their lines) and import the rest",
        )

    def handle(self, *args, file, quiz, dry_run, skip_unsupported=False, **options):
        quiz = quiz_for_slug(quiz)
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        # The same limit as the admin upload, so a file behaves the same whichever way it arrives.
        if len(data) > MAX_UPLOAD_BYTES:
            raise CommandError(
                f"{path}: {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}. Split the file."
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(f"{path}: not UTF-8 text (byte {error.start + 1} cannot be read).") from error

        report = gift_import(quiz=quiz, text=text, dry_run=dry_run, skip_unsupported=skip_unsupported)
        for planned in report.would_create:
            self.stdout.write(f"  {planned}")
        for skipped in report.skipped:
            self.stdout.write(f"{path}: skipped: {skipped}")
        for note in report.notes:
            self.stdout.write(f"{path}: note: {note}")
        if report.problems:
            for problem in report.problems:
                self.stderr.write(f"{path}: {problem}")
            count = len(report.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''} in {path}; nothing was imported.")
        if dry_run:
            self.stdout.write(
                f"Dry run: {len(report.would_create)} questions would be added to {quiz}; nothing was written."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {report.created} questions into {quiz}."))
