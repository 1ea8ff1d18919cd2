"""Seed a course with realistic learners, progress, attempts and certificates: benchmark and demo data.

Fast on purpose (100,000 learners in minutes): rows are built in memory and bulk-inserted, one
transaction per batch of learners, with no per-row service call. What the services would check is
kept true by construction: every timestamp follows the completion rule's order, attempts are drawn
by the quiz's draw rules from the real question bank, frozen with `frozen_question` and graded
with `grading.grade`, and certificates go only to learners who passed, evaluated and attested.

Shortcuts and limits, all named in the seed_completions help: every seeded certificate stores the
same sample PDF (one render; 100,000 renders would dwarf the rest), seeded learners share one
password hash, and dates stay between the course's release and today, within the last 18 months.
"""

import hashlib
import io
import itertools
import json
import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen import canvas

from accounts.models import License, User
from accounts.states import STATE_CODES
from certificates.codes import CODE_ALPHABET, CODE_LENGTH, serial_for
from certificates.models import Attestation, Certificate, CertificateLicense, Evaluation
from certificates.pdf import clean
from certificates.selectors import course_objectives
from modules.models import Enrollment, ModuleProgress
from quizzes.authoring import frozen_question
from quizzes.grading import correct_response, grade, key_from_snapshot, wrong_response
from quizzes.models import Attempt, AttemptQuestion
from reports import summary

SHIPPED_COURSE = "proximal-hamstring-tendinopathy"
EMAIL = "seed-{}@example.test"  # example.test can never reach a real mailbox (RFC 2606)
ROWS_PER_INSERT = 2000
HISTORY_DAYS = 548  # about 18 months
PERCENT = Decimal("0.01")
MAX_SEEDED_ATTEMPTS = 3  # when the quiz allows unlimited attempts
ATTEMPT_AT_MOST = timedelta(minutes=32)  # the longest a seeded attempt takes, submitting included
VARIANTS_PER_QUESTION = 8  # shuffled snapshots frozen per question, reused across attempts

# How learners behave. Abilities and item parameters follow a two-parameter logistic model, so the
# item statistics look like a real bank's: mostly easy items, a few hard, one that misfires.
P_STOPS_EARLY = 0.12
P_SKIPS_TEST = 0.04
P_RETAKES = 0.80
P_LEAVES_OPEN = 0.02
P_UNANSWERED = 0.01
P_EVALUATES = 0.93
P_ATTESTS = 0.97
P_OVERSTATES_TIME = 0.03
P_CLAIMS = 0.98
P_REVOKED = 0.02
P_SECOND_LICENSE = 0.15

# Word lists read better as text; the diacritics and apostrophes test CSV, PDF and search.
FIRST_NAMES = (  # noqa: SIM905
    "Aaliyah Adaeze Aisha Alejandro Amanda Ana Andrea Angela Ashley Beatriz Brandon Brittany Carlos "
    "Chloé Christopher Daniela Deborah Destiny Elena Emily Fatima Gabriela Grace Hannah Imani Isabel "
    "James Jasmine Jennifer Jessica José Joshua Kayla Keisha Latoya Linh Lucía Maria Marisol Mei "
    "Michael Monique Nicole Nkechi Olivia Patricia Priya Rachel Renée Samantha Sarah Siobhán Sophia "
    "Tamika Thanh Tiffany Valentina Xiomara Yesenia Zoë"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Abernathy Adeyemi Ali Anderson Ángeles Baptiste Brown Castillo Chen Clark Davis Díaz Dubois "
    "Evans García Gonzalez Hall Harris Hernández Jackson Johnson Jones Kim Kowalski Lee Lewis López "
    "Martin Martínez Miller Moore Nguyen Nguyễn O'Brien Okafor Okonkwo Patel Pérez Ramírez Robinson "
    "Rodríguez Sánchez Schmidt Scott Singh Smith Taylor Thomas Thompson Torres Tran Walker White "
    "Williams Wilson Wright Young Zhang Ångström-Nguyễn"
).split()
PROFESSIONS = {"RN": 70, "LPN": 9, "LVN": 4, "APRN": 11, "CNS": 2, "CRNA": 2, "CNM": 2}
CREDENTIALS = {
    "RN": ("RN", "RN, BSN", "BSN, RN", "RN, MSN", "RN, BSN, CCRN", "ADN, RN"),
    "LPN": ("LPN",),
    "LVN": ("LVN",),
    "APRN": ("APRN, FNP-BC", "DNP, APRN", "MSN, APRN, AGACNP-BC", "APRN, PMHNP-BC"),
    "CNS": ("MSN, RN, CNS",),
    "CRNA": ("DNAP, CRNA", "MSN, CRNA"),
    "CNM": ("MSN, CNM",),
}
LVN_STATES = ("CA", "TX")  # the only states that license vocational nurses
STATE_WEIGHTS = {"CA": 10, "TX": 9, "FL": 8, "NY": 7, "PA": 5, "OH": 4, "IL": 4, "NC": 4, "GA": 4, "MI": 3}
STATE_WEIGHTS |= {"NJ": 3, "VA": 3, "WA": 3, "AZ": 3, "MA": 3, "TN": 3}
INTENDED_CHANGES = (
    "Ask about sitting pain and palpate the ischial tuberosity in patients with buttock pain.",
    "Add proximal hamstring tendinopathy to my differential for chronic lower buttock pain.",
    "Use the bent-knee stretch and single-leg bridge tests before ordering imaging.",
    "Teach patients to avoid deep hip flexion and prolonged sitting during rehabilitation.",
    "Refer earlier to physical therapy for progressive eccentric loading.",
)
COMMENTS = ("", "", "", "Clear and practical.", "More images of the exam tests, please.", "Good pacing.")
BIAS_COMMENTS = ("The treatment module leans towards one injection product.", "Felt one-sided on surgery.")
REVOKE_REASONS = (  # (reason, the revoked copy misspelled the name, a corrected one was re-issued)
    ("Legal name misspelled; re-issued with the corrected name.", True, True),
    ("License number entered wrongly; re-issued.", False, True),
    ("Issued in error; revoked at the learner's request.", False, False),
)
SAMPLE_NOTE = "Sample PDF stored with every seeded certificate (benchmark and demo data)"


def weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Item:
    """A bank question, frozen a few ways, with its graded responses precomputed (grade once per response)."""

    question_id: int
    topic: str
    points: Decimal
    frozen: list  # (snapshot, key snapshot) pairs from frozen_question, as JSON text
    right: tuple  # (stored response, points)
    wrong: list  # [(stored response, points), ...]
    difficulty: float
    slope: float

    def answer(self, rng, ability):
        if rng.random() < P_UNANSWERED:
            return None, Decimal(0)
        if rng.random() < 1 / (1 + math.exp(-self.slope * (ability - self.difficulty))):
            return self.right
        return rng.choice(self.wrong)


def _responses(key, rng):
    """The right response and a pool of wrong ones, in the form attempt_save stores them."""
    if key.kind in ("numerical", "short_answer") or (key.kind == "cloze" and key.blank_input == "text"):
        return correct_response(key), [wrong_response(key)]
    if key.kind in ("single", "true_false", "cloze"):
        return sorted(key.correct_ids)[0], [c for c in key.choice_ids if c not in key.correct_ids]
    if key.kind == "multiple":
        subsets = (
            sorted(subset)
            for size in range(1, len(key.choice_ids) + 1)
            for subset in itertools.combinations(key.choice_ids, size)
        )
        return sorted(key.correct_ids), [s for s in subsets if set(s) != key.correct_ids]
    if key.kind == "ordering":
        right = list(key.correct_order)
        wrong = [rng.sample(right, len(right)) for _ in range(VARIANTS_PER_QUESTION)]
        return right, [w for w in wrong if w != right] or [right[1:] + right[:1]]
    right = dict(key.matches)
    prompts = list(right)
    wrong = [
        dict(zip(prompts, rng.sample(key.answer_ids, len(prompts)), strict=True))
        for _ in range(VARIANTS_PER_QUESTION)
    ]
    answers = [right[prompt] for prompt in prompts]
    rotated = dict(zip(prompts, answers[1:] + answers[:1], strict=True))
    return right, [w for w in wrong if w != right] or [rotated]


def build_bank(quiz, rng):
    questions = list(
        quiz.questions.filter(is_active=True).prefetch_related("choices").order_by("position", "pk")
    )
    # One item behaves as if mis-keyed: the stronger the learner, the likelier the "wrong" answer,
    # so the item statistics have a negative discrimination to flag.
    misfiring = rng.randrange(len(questions)) if questions else None
    items = []
    for index, question in enumerate(questions):
        choices = list(question.choices.all())
        frozen = [
            frozen_question(question, choices, shuffle_choices=quiz.shuffle_choices, rng=rng)
            for _ in range(VARIANTS_PER_QUESTION)
        ]
        key = key_from_snapshot(frozen[0][1])
        right, wrong = _responses(key, rng)
        if index == misfiring:
            difficulty, slope = rng.uniform(0.3, 0.9), rng.uniform(-3.5, -2.5)
        else:
            difficulty, slope = rng.uniform(-2.2, 0.8), rng.uniform(0.5, 2.0)
        items.append(
            Item(
                question_id=question.pk,
                topic=question.topic,
                points=question.points,
                frozen=[(json.dumps(snapshot), json.dumps(key)) for snapshot, key in frozen],
                right=(right, grade(key, right)),
                wrong=[(response, grade(key, response)) for response in wrong],
                difficulty=difficulty,
                slope=slope,
            )
        )
    return items


class Clock:
    """A learner's time line. Nothing happens at or after `end`: whoever would finish later is still going."""

    def __init__(self, start, end):
        self.now, self.end = start, end

    def after(self, rng, low, high):
        self.now += timedelta(seconds=rng.uniform(low, high))
        return self.now

    @property
    def running(self):
        return self.now < self.end

    def pause(self, rng):
        """The gap between two sittings: usually minutes, sometimes hours or days."""
        roll = rng.random()
        span = (60, 1200) if roll < 0.7 else (7200, 108000) if roll < 0.95 else (172800, 864000)
        return self.after(rng, *span)


class Seeder:
    def __init__(self, *, course, quiz, rng, password_hash, first_number, printed, sample_pdf, window):
        self.course, self.quiz, self.rng = course, quiz, rng
        self.password_hash, self.number, self.printed = password_hash, first_number, printed
        self.pdf_bytes, self.pdf_sha256 = sample_pdf, hashlib.sha256(sample_pdf).hexdigest()
        self.start, self.end = window
        self.modules = list(course.modules.order_by("position"))
        self.objectives = course_objectives(course)
        self.items = build_bank(quiz, rng) if quiz else []
        self.rules = [(rule.topic, rule.count) for rule in quiz.draw_rules.all()] if quiz else []
        for topic, count in self.rules:
            if sum(item.topic == topic for item in self.items) < count:
                raise CommandError(f"The post-test draws {count} {topic} questions; the bank has fewer.")
        if quiz and not self.items:
            raise CommandError("The post-test has no active questions.")
        self.codes = set()
        self.reset()

    def reset(self):
        self.rows = {name: [] for name in ROW_ORDER}
        self.next_id = next_ids()

    # --- one learner, in memory -------------------------------------------------------------------

    def learner(self):
        rng = self.rng
        self.number += 1
        profession = weighted(rng, PROFESSIONS)
        # More learners recently than long ago, as a course finds its audience.
        span = (self.end - self.start).total_seconds()
        clock = Clock(self.end - timedelta(seconds=rng.triangular(0, span, 0)), self.end)
        joined = clock.now - timedelta(seconds=rng.uniform(60, 86400))
        user = self.row(
            "users",
            email=EMAIL.format(self.number),
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            credentials=rng.choice(CREDENTIALS[profession]),
            password=self.password_hash,
            date_joined=joined,
        )
        licenses = self.licenses(user, profession, joined)
        # created_at: an enrolment dates from its acknowledgement.
        enrollment = self.row(
            "enrollments",
            user_id=user["id"],
            course_id=self.course.pk,
            disclosures_acknowledged_at=clock.now,
            created_at=clock.now,
        )
        seconds = self.study(enrollment, clock)
        if seconds is None or not clock.running:
            return
        if self.quiz is not None and (rng.random() < P_SKIPS_TEST or not self.post_test(user, clock)):
            return
        self.finish(user, enrollment, licenses, seconds, clock)

    def licenses(self, user, profession, joined):
        rng = self.rng
        states = list(LVN_STATES) if profession == "LVN" else list(STATE_CODES)
        weights = [STATE_WEIGHTS.get(state, 1) for state in states]
        first = rng.choices(states, weights=weights)[0]
        held = [first]
        if rng.random() < P_SECOND_LICENSE and len(states) > 1:
            held.append(rng.choice([state for state in states if state != first]))
        licenses = [
            self.row(
                "licenses",
                user_id=user["id"],
                state=state,
                number=f"{profession}{rng.randrange(1000000, 9999999)}",
                profession=profession,
                is_primary=index == 0,
                created_at=joined,
            )
            for index, state in enumerate(held)
        ]
        # The order certificates.services._create prints them in.
        return sorted(licenses, key=lambda lic: (not lic["is_primary"], lic["state"], lic["number"]))

    def study(self, enrollment, clock):
        """Module progress in course order; the tracked seconds, or None if the learner stopped early."""
        rng = self.rng
        stop_after = rng.randrange(len(self.modules)) if rng.random() < P_STOPS_EARLY else None
        total = 0
        for index, module in enumerate(self.modules):
            first_viewed = clock.pause(rng) if index else clock.after(rng, 5, 120)
            if not clock.running:
                return None
            seconds = max(30, int(module.estimated_minutes * 60 * rng.lognormvariate(0, 0.35)))
            finished = stop_after is None or index < stop_after
            if not finished:
                seconds = int(seconds * rng.uniform(0.1, 0.6))
            if first_viewed + timedelta(seconds=seconds) >= self.end:  # still reading it now
                finished, seconds = False, int((self.end - first_viewed).total_seconds())
            last_seen = clock.now = first_viewed + timedelta(seconds=seconds)
            self.row(
                "progress",
                enrollment_id=enrollment["id"],
                module_id=module.pk,
                first_viewed_at=first_viewed,
                last_seen_at=last_seen,
                completed_at=last_seen if finished else None,
                seconds_spent=seconds,
            )
            total += seconds
            if not finished:
                return None
        return total

    def post_test(self, user, clock):
        """Attempts until a pass, the attempts allowed, or the learner gives up. True when passed."""
        rng = self.rng
        ability = rng.gauss(1.0, 0.9)
        allowed = self.quiz.attempts_allowed or MAX_SEEDED_ATTEMPTS
        seen = {}
        for number in range(1, allowed + 1):
            clock.after(rng, *((300, 259200) if number == 1 else (3600, 432000)))  # 5 min-3 days, 1 h-5 days
            if clock.now + ATTEMPT_AT_MOST >= clock.end:  # not reached yet, or would still be under way
                return False
            drawn = self.draw(seen)
            leave_open = rng.random() < P_LEAVES_OPEN
            self.attempt(user, number, drawn, ability, clock, leave_open=leave_open)
            attempt = self.rows["attempts"][-1]
            if leave_open or attempt.get("passed"):
                return bool(attempt.get("passed"))
            if rng.random() >= P_RETAKES:
                return False
            ability += 0.4  # the review taught something
        return False

    def draw(self, seen):
        """Questions per topic as the draw rules say, favouring unseen ones (like quizzes.services._draw)."""
        rng = self.rng

        def least_seen_first(items):
            return sorted(rng.sample(items, len(items)), key=lambda item: seen.get(item.question_id, 0))

        if self.rules:
            drawn = []
            for topic, count in self.rules:
                drawn += least_seen_first([item for item in self.items if item.topic == topic])[:count]
        else:
            drawn = least_seen_first(self.items)
        if self.quiz.shuffle_questions:
            rng.shuffle(drawn)
        for item in drawn:
            seen[item.question_id] = seen.get(item.question_id, 0) + 1
        return drawn

    def attempt(self, user, number, drawn, ability, clock, *, leave_open):
        rng = self.rng
        started = clock.now
        limit = self.quiz.time_limit_minutes
        attempt = self.row(
            "attempts",
            user_id=user["id"],
            quiz_id=self.quiz.pk,
            number=number,
            started_at=started,
            deadline=started + timedelta(minutes=limit) if limit else None,
            max_score=sum((item.points for item in drawn), Decimal(0)),
        )
        longest = (limit * 60 - 30) if limit else 1800
        responded = started
        score = Decimal(0)
        # Snapshots and keys are JSON text already (Item.frozen): written as they are, not dumped again.
        for position, item in enumerate(drawn, start=1):
            snapshot, key = rng.choice(item.frozen)
            response, points = item.answer(rng, ability)
            responded += timedelta(seconds=rng.uniform(10, longest / len(drawn)))
            self.row(
                "questions",
                attempt_id=attempt["id"],
                question_id=item.question_id,
                position=position,
                snapshot=snapshot,
                key=key,
                response=None if response is None else json.dumps(response),
                responded_at=responded if response is not None else None,
                points_awarded=None if leave_open else points,
            )
            score += points
        clock.now = responded + timedelta(seconds=rng.uniform(5, 60))
        if leave_open:
            return
        attempt["submitted_at"] = clock.now
        attempt["score"] = score
        # As quizzes.services._grade: percent rounded half up; pass/fail on the exact ratio.
        attempt["percent"] = (score * 100 / attempt["max_score"]).quantize(PERCENT, rounding=ROUND_HALF_UP)
        attempt["passed"] = score * 100 >= self.quiz.pass_mark_percent * attempt["max_score"]

    def finish(self, user, enrollment, licenses, seconds, clock):
        """Evaluation, attestation and certificate, each step taken by most of those who reached it."""
        rng = self.rng
        evaluated_at = clock.pause(rng)
        if rng.random() >= P_EVALUATES or not clock.running:
            return
        self.evaluation(enrollment, evaluated_at)
        attested_at = clock.after(rng, 30, 600)
        minutes = seconds // 60
        # Short of the course's minimum study time, attestation_submit would refuse: the learner waits.
        if rng.random() >= P_ATTESTS or not clock.running or minutes < self.course.minimum_minutes:
            return
        # Most attest about what was tracked plus the post-test and evaluation, which tracking does not
        # see; a few claim far more, which the board report flags (reports.selectors).
        extra = rng.randint(0, 10) if rng.random() >= P_OVERSTATES_TIME else rng.randint(20, 60)
        self.row(
            "attestations",
            enrollment_id=enrollment["id"],
            minutes_attested=max(1, min(24 * 60, minutes + extra)),
            minutes_tracked=minutes,
            attested_at=attested_at,
        )
        issued_at = clock.after(rng, 5, 120)
        if rng.random() >= P_CLAIMS or not clock.running:
            return
        completion_date = timezone.localdate(attested_at)
        certificate = self.certificate(
            user=user,
            enrollment=enrollment,
            licenses=licenses,
            issued_at=issued_at,
            completion_date=completion_date,
        )
        enrollment["completed_at"] = issued_at
        if rng.random() < P_REVOKED:
            reason, misspelled, reissued = rng.choice(REVOKE_REASONS)
            certificate["revoked_at"] = issued_at + (self.end - issued_at) * rng.uniform(0.1, 0.9)
            certificate["revoked_reason"] = reason
            if misspelled and len(user["last_name"]) > 2:
                last = user["last_name"]
                certificate["learner_name"] = f"{user['first_name']} {last[1]}{last[0]}{last[2:]}"
            if reissued:
                self.certificate(
                    user=user,
                    enrollment=enrollment,
                    licenses=licenses,
                    issued_at=certificate["revoked_at"],
                    completion_date=completion_date,  # a re-issue keeps the original completion date
                    replaces=certificate,
                )

    def evaluation(self, enrollment, submitted_at):
        rng = self.rng
        evidence_based, free_of_bias = rng.random() < 0.98, rng.random() < 0.97
        return self.row(
            "evaluations",
            enrollment_id=enrollment["id"],
            objective_ratings=json.dumps(
                [
                    {"objective": o, "rating": rng.choices((5, 4, 3, 2, 1), weights=(55, 33, 9, 2, 1))[0]}
                    for o in self.objectives
                ]
            ),
            evidence_based=evidence_based,
            free_of_bias=free_of_bias,
            bias_comment="" if evidence_based and free_of_bias else rng.choice(BIAS_COMMENTS),
            intended_change=rng.choice(INTENDED_CHANGES),
            comments=rng.choice(COMMENTS),
            submitted_at=submitted_at,
        )

    def certificate(self, *, user, enrollment, licenses, issued_at, completion_date, replaces=None):
        certificate = self.row(
            "certificates",
            verification_code=self.code(),
            user_id=user["id"],
            course_id=self.course.pk,
            enrollment_id=enrollment["id"],
            learner_name=f"{user['first_name']} {user['last_name']}".strip(),  # User.legal_name
            learner_credentials=user["credentials"],
            completion_date=completion_date,
            pdf=self.pdf_bytes,
            pdf_sha256=self.pdf_sha256,
            signing_kid="",  # the shared sample PDF is not signed: it marks the certificate as seeded
            issued_at=issued_at,
            replaces_id=replaces["id"] if replaces else None,
            revoked_at=None,
            revoked_reason="",
            **self.printed,
        )
        certificate["serial"] = serial_for(timezone.localdate(issued_at).year, certificate["id"])
        for position, lic in enumerate(licenses, start=1):
            self.row(
                "certificate_licenses",
                certificate_id=certificate["id"],
                position=position,
                profession=lic["profession"],
                state=lic["state"],
                number=lic["number"],
            )
        return certificate

    def code(self):
        # From the seeded generator, not secrets, so a seed reproduces the data set; still unique.
        while True:
            code = "".join(self.rng.choices(CODE_ALPHABET, k=CODE_LENGTH))
            if code not in self.codes:
                self.codes.add(code)
                return code

    # --- one batch, to the database ---------------------------------------------------------------

    def row(self, table, **values):
        """A row of `table` with its id taken now (children point to it before anything is written)."""
        values["id"] = self.next_id[table]
        self.next_id[table] += 1
        self.rows[table].append(values)
        return values

    def write(self):
        """Insert the batch in dependency order, in one transaction: a crash leaves no half batch.

        PostgreSQL gets COPY (psycopg's cursor.copy), several times faster than INSERT for wide rows
        such as frozen questions; other databases an executemany INSERT. Ids were chosen above the
        highest in each table when the batch began (`reset`), and each sequence is moved past them
        after. Seeding while something else inserts into the same tables is not supported.
        """
        with transaction.atomic():
            for name, model in ROW_ORDER.items():
                write_rows(model, self.rows[name])
            # The board's running totals, in the batch's transaction as certificate_issue does.
            ids = [c["id"] for c in self.rows["certificates"]]
            summary.certificates_added(
                Certificate.objects.filter(pk__in=ids).only(*summary.CERTIFICATE_COLUMNS).order_by("pk")
            )
            attempts = self.rows["attempts"]
            summary.learners_counted(
                self.course.pk,
                enrolled=len(
                    self.rows["enrollments"]
                ),  # new learners only: each enrolment and attempt is new
                attempted=len({a["user_id"] for a in attempts if a.get("submitted_at")}),
                passed=len({a["user_id"] for a in attempts if a.get("passed")}),
            )
        counts = {name: len(self.rows[name]) for name in ROW_ORDER}
        counts["replacements"] = sum(1 for c in self.rows["certificates"] if c["replaces_id"])
        self.reset()
        return counts


# Insert order: every row after the rows it points to (a replacement after the certificate it
# replaces: ids ascend within the one list, and PostgreSQL checks a self-reference per row).
ROW_ORDER = {
    "users": User,
    "licenses": License,
    "enrollments": Enrollment,
    "progress": ModuleProgress,
    "attempts": Attempt,
    "questions": AttemptQuestion,
    "evaluations": Evaluation,
    "attestations": Attestation,
    "certificates": Certificate,
    "certificate_licenses": CertificateLicense,
}


def next_ids():
    """{table: the first free id}, read when a batch begins."""
    return {
        name: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for name, model in ROW_ORDER.items()
    }


def _defaults(model):
    """Each column's Python default, so a row need only name what differs (None for NOT NULL ones)."""
    return {
        field.column: (field.get_default() if field.has_default() else None)
        for field in model._meta.concrete_fields
    }


def write_rows(model, rows):
    if not rows:
        return
    defaults = _defaults(model)
    columns = list(defaults)
    fields = {field.column: field for field in model._meta.concrete_fields}
    missing = [
        f.column for f in fields.values() if not f.null and not f.has_default() and f.column not in rows[0]
    ]
    if missing:
        raise CommandError(
            f"Seeding {model.__name__} leaves {', '.join(missing)} empty: update reports.seeding."
        )
    table = model._meta.db_table
    json_columns = {c for c, f in fields.items() if f.get_internal_type() == "JSONField"}
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_copy_value(row.get(c, defaults[c]), c in json_columns) for c in columns])
            # The sequence continues after the ids just written (setval is not rolled back).
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, rows[-1]["id"]])
        return
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608
    prepared = [
        [
            fields[c].get_db_prep_save(
                _json_value(row.get(c, defaults[c])) if c in json_columns else row.get(c, defaults[c]),
                connection,
            )
            for c in columns
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), ROWS_PER_INSERT):
            cursor.executemany(sql, prepared[start : start + ROWS_PER_INSERT])


def _copy_value(value, is_json):
    if is_json and value is not None and not isinstance(value, str):
        return json.dumps(value)
    return value


def _json_value(value):
    # JSON columns hold JSON text here (built once); the field wants the Python value.
    return json.loads(value) if isinstance(value, str) else value


def sample_pdf(printed):
    """One small PDF stored with every seeded certificate, marked as seeded sample data.

    A page of text in a standard (unembedded) font, about 2 KB: stored once per certificate row, a
    full certificate with its embedded fonts would be hundreds of kilobytes a row at a million.
    """
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=landscape(letter), invariant=True)
    page.setTitle(SAMPLE_NOTE)
    page.setFont("Helvetica-Bold", 20)
    page.drawString(72, 480, "SEEDED SAMPLE - NOT A CERTIFICATE")
    page.setFont("Helvetica", 12)
    lines = (SAMPLE_NOTE + ".", f"Course: {printed['course_title']}", f"Provider: {printed['provider_name']}")
    for index, line in enumerate(lines):
        page.drawString(72, 440 - 20 * index, clean(line))
    page.showPage()
    page.save()
    return buffer.getvalue()
