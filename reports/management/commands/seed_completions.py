"""manage.py seed_completions: add seeded learners to a course, for benchmarks and demos.

The command-line wrapper around reports.seeding, which builds and inserts the data (and describes
its rules and shortcuts): arguments, the DEBUG/--force guard, loading the course, the date window
and numbering of this run, batches and output.
"""

import io
import random
import re
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

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

SEEDED_COPY = "seeded-course-{}"
COPY_RELEASE, COPY_EXPIRY = "2022-01-03", "2027-12-31"


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
        parser.add_argument(
            "--courses",
            type=int,
            default=1,
            help="spread learners over this many courses: the named one plus seeded copies of the "
            f"shipped course ({SEEDED_COPY.format(2)}, ...), released {COPY_RELEASE} (default 1)",
        )
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            default=None,
            help="date learners start from (YYYY-MM-DD; default 18 months ago), never before a course's release",
        )

    def handle(self, *args, learners, course, seed, batch, password, force, courses, since, **options):
        if learners < 1 or batch < 1 or courses < 1:
            raise CommandError("--learners, --batch and --courses must be at least 1.")
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this may be a production database. Pass --force to seed anyway."
            )
        if not connection.features.can_return_rows_from_bulk_insert:
            raise CommandError(
                "This database cannot return ids from bulk inserts (SQLite 3.35+ or PostgreSQL)."
            )
        began = time.perf_counter()
        chosen = [self._course(course)] + [self._seeded_copy(n) for n in range(2, courses + 1)]
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        first_number = self._last_seed_number()
        # The offset joins the seed so that a second run with the same seed adds different learners.
        rng = random.Random(f"{seed}/{first_number}")
        password_hash = make_password(password)  # one hash for all: hashing is slow on purpose
        codes = set()  # verification codes are unique across the courses
        seeders = []
        for each in chosen:
            printed = course_printed_fields(each)
            seeder = Seeder(
                course=each,
                quiz=Quiz.objects.filter(course=each).first(),
                rng=rng,
                password_hash=password_hash,
                first_number=first_number,
                printed=printed,
                sample_pdf=sample_pdf(printed),
                window=self._window(each, since),
            )
            seeder.codes = codes
            seeders.append(seeder)
            self.stdout.write(
                f"Seeding into {each.slug}, dated {seeder.start:%Y-%m-%d} to {seeder.end:%Y-%m-%d}."
            )
        self.stdout.write(
            f"Seeding {learners:,} learners (seed {seed}), emails from {EMAIL.format(first_number + 1)}."
        )
        # The shipped course gets the most learners, each copy fewer (as a catalogue's courses do).
        weights = [1 / index for index in range(1, len(seeders) + 1)]
        totals = dict.fromkeys([*ROW_ORDER, "replacements"], 0)
        done, number = 0, first_number
        while done < learners:
            size = min(batch, learners - done)
            shares = [0] * len(seeders)
            for index in rng.choices(range(len(seeders)), weights=weights, k=size):
                shares[index] += 1
            for seeder, share in zip(seeders, shares, strict=True):
                if not share:
                    continue
                seeder.number = number
                seeder.reset()  # ids follow what the other courses' seeders just wrote
                for _ in range(share):
                    seeder.learner()
                number = seeder.number
                for name, count in seeder.write().items():  # one transaction: the batch, whole or not at all
                    totals[name] += count
            # With DEBUG on, Django keeps the text of recent queries: unreleased, a large run would
            # hold gigabytes.
            reset_queries()
            done += size
            self._progress(done, learners, began)
        self.stdout.write(f"  {done:>9,} / {learners:,} learners  {time.perf_counter() - began:8.1f} s")
        revoked = Certificate.objects.filter(course__in=chosen, revoked_at__isnull=False).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {learners:,} learners in {time.perf_counter() - began:.1f} s: "
                f"{totals['attempts']:,} attempts ({totals['questions']:,} questions), "
                f"{totals['certificates']:,} certificates "
                f"({totals['replacements']:,} re-issues; {revoked:,} revoked in these courses)."
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

    def _progress(self, done, learners, began):
        """One line on stderr, rewritten in place: done, rate and time left."""
        elapsed = time.perf_counter() - began
        rate = done / elapsed if elapsed else 0
        left = (learners - done) / rate if rate else 0
        end = "\n" if done == learners or not sys.stderr.isatty() else ""
        sys.stderr.write(
            f"\r  [{'#' * (30 * done // learners):<30}] {done:>9,} / {learners:,} learners"
            f"  {elapsed:7.0f} s  {rate:6.0f}/s  {left:6.0f} s left{end}"
        )
        sys.stderr.flush()

    def _seeded_copy(self, number):
        """A copy of the shipped course under another slug and title, released COPY_RELEASE."""
        slug = SEEDED_COPY.format(number)
        existing = Course.objects.filter(slug=slug).first()
        if existing is not None:
            return existing
        source = settings.BASE_DIR / "content" / SHIPPED_COURSE
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch) / slug
            shutil.copytree(source, folder)
            spec = folder / "course.toml"
            text = spec.read_text(encoding="utf-8")
            for key, value in (
                ("slug", f'"{slug}"'),
                ("title", f'"Seeded course {number} (a copy of the shipped course, for benchmarks)"'),
                ("release_date", COPY_RELEASE),
                ("expiry_date", COPY_EXPIRY),
            ):
                text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
            spec.write_text(text, encoding="utf-8")
            call_command("load_course", str(folder), stdout=io.StringIO())
        self.stdout.write(f"Loaded {slug}, a seeded copy of {SHIPPED_COURSE}.")
        return Course.objects.get(slug=slug)

    def _window(self, course, since=None):
        """Seeded activity spans the last 18 months (or from --since), never before release nor after expiry."""
        now = timezone.now()
        zone = timezone.get_current_timezone()
        released = timezone.make_aware(datetime.combine(course.release_date, clock_time.min), zone)
        expires = timezone.make_aware(datetime.combine(course.expiry_date, clock_time.max), zone)
        first = (
            timezone.make_aware(datetime.combine(since, clock_time.min), zone)
            if since
            else now - timedelta(days=HISTORY_DAYS)
        )
        start, end = max(first, released), min(now, expires)
        if start >= end:
            raise CommandError(f"{course.slug} is not open for credit at any time in the seeded window.")
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
