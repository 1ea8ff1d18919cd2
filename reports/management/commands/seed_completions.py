"""manage.py seed_completions: add seeded learners to a course, for benchmarks and demos.

The command-line wrapper around reports.seeding, which builds and inserts the data (and describes
its rules and shortcuts): arguments, the DEBUG/--force guard, loading the course, the date window
and numbering of this run, batches and output.
"""

import io
import random
import time
from datetime import datetime, timedelta
from datetime import time as clock_time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.db.models.functions import Length
from django.utils import timezone

from accounts.models import User
from certificates.models import Certificate
from certificates.services import course_printed_fields
from modules.models import Course
from quizzes.models import Quiz
from reports.seeding import (
    EMAIL,
    HISTORY_DAYS,
    ROW_ORDER,
    SHIPPED_COURSE,
    Seeder,
    sample_pdf,
)


class Command(BaseCommand):
    help = (
        "Add N seeded learners to a course, for benchmarks and demos: licenses, enrolments, module "
        "progress, post-test attempts graded from the real question bank, evaluations, attestations "
        "and certificates (a few revoked, some re-issued), dated over the last 18 months but never "
        "before the course's release. Emails are seed-<n>@example.test; every seeded learner shares "
        "one password hash (unusable unless --password is given). Every seeded certificate stores "
        "the same sample PDF and its SHA-256, not its own: real certificates are issued only by "
        "certificate_issue. Never run it on a database with real learners."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True, help="how many learners to add")
        parser.add_argument(
            "--course", default=SHIPPED_COURSE, help=f"course slug (default {SHIPPED_COURSE})"
        )
        parser.add_argument("--seed", type=int, default=None, help="random seed, to reproduce a data set")
        parser.add_argument("--batch", type=int, default=1000, help="learners per transaction (default 1000)")
        parser.add_argument("--password", default=None, help="let seeded learners log in with this password")
        parser.add_argument("--force", action="store_true", help="seed even with DEBUG off")

    def handle(self, *args, learners, course, seed, batch, password, force, **options):
        if learners < 1 or batch < 1:
            raise CommandError("--learners and --batch must be at least 1.")
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this may be a production database. Pass --force to seed anyway."
            )
        if not connection.features.can_return_rows_from_bulk_insert:
            raise CommandError(
                "This database cannot return ids from bulk inserts (SQLite 3.35+ or PostgreSQL)."
            )
        began = time.perf_counter()
        course = self._course(course)
        quiz = Quiz.objects.filter(course=course).first()
        window = self._window(course)
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        first_number = self._last_seed_number()
        # The offset joins the seed so that a second run with the same seed adds different learners.
        rng = random.Random(f"{seed}/{first_number}")
        printed = course_printed_fields(course)
        seeder = Seeder(
            course=course,
            quiz=quiz,
            rng=rng,
            password_hash=make_password(password),  # one hash for all: hashing is slow on purpose
            first_number=first_number,
            printed=printed,
            sample_pdf=sample_pdf(printed),
            window=window,
        )
        self.stdout.write(
            f"Seeding {learners:,} learners into {course.slug} (seed {seed}), "
            f"emails from {EMAIL.format(first_number + 1)}, dated {window[0]:%Y-%m-%d} to {window[1]:%Y-%m-%d}."
        )
        totals = dict.fromkeys(ROW_ORDER, 0)
        done = 0
        while done < learners:
            size = min(batch, learners - done)
            for _ in range(size):
                seeder.learner()
            for name, count in seeder.write().items():
                totals[name] += count
            # With DEBUG on, Django keeps the text of recent queries, here megabytes each (PDF bytes
            # and snapshots inlined): unreleased, a large run would hold gigabytes.
            reset_queries()
            done += size
            self.stdout.write(f"  {done:>9,} / {learners:,} learners  {time.perf_counter() - began:8.1f} s")
        revoked = Certificate.objects.filter(course=course, revoked_at__isnull=False).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {learners:,} learners in {time.perf_counter() - began:.1f} s: "
                f"{totals['attempts']:,} attempts ({totals['questions']:,} questions), "
                f"{totals['certificates'] + totals['replacements']:,} certificates "
                f"({totals['replacements']:,} re-issues; {revoked:,} revoked in this course)."
            )
        )

    def _course(self, slug):
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            folder = settings.BASE_DIR / "content" / slug
            if not folder.is_dir():
                raise CommandError(f"No course {slug!r}, and no content folder {folder} to load it from.")
            call_command("load_course", str(folder), stdout=io.StringIO())
            course = Course.objects.get(slug=slug)
            self.stdout.write(f"Loaded {course.title} from {folder}.")
        return course

    def _window(self, course):
        """Seeded activity spans the last 18 months, but never before release nor after expiry."""
        now = timezone.now()
        zone = timezone.get_current_timezone()
        released = timezone.make_aware(datetime.combine(course.release_date, clock_time.min), zone)
        expires = timezone.make_aware(datetime.combine(course.expiry_date, clock_time.max), zone)
        start, end = max(now - timedelta(days=HISTORY_DAYS), released), min(now, expires)
        if start >= end:
            raise CommandError(f"{course.slug} is not open for credit at any time in the last 18 months.")
        return start, end

    def _last_seed_number(self):
        last = (
            User.objects.filter(email__startswith="seed-", email__endswith="@example.test")
            .order_by(Length("email").desc(), "-email")
            .values_list("email", flat=True)
            .first()
        )
        number = last.removeprefix("seed-").removesuffix("@example.test") if last else "0"
        return int(number) if number.isdigit() else 0
