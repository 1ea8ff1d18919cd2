from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from modules.markdown import render_markdown
from modules.models import images_check, render_markdown_with_images
from quizzes.grading import BLANK, BLANK_INPUTS, ORDERING_MODES, UNIT_HANDLINGS


class Kind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple select"
    TRUE_FALSE = "true_false", "True / false"
    ORDERING = "ordering", "Ordering (sequencing)"
    MATCHING = "matching", "Matching"
    NUMERICAL = "numerical", "Numerical"
    SHORT_ANSWER = "short_answer", "Short answer"
    CLOZE = "cloze", "Missing word (blank in the stem)"


class MultipleGrading(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
    PARTIAL = "partial", "Partial credit by choice weights"


class UnitHandling(models.TextChoices):
    """What a numerical question does with the unit typed after the number (as Moodle's numerical question)."""

    NONE = "none", "Units are not used: only the number is graded"
    OPTIONAL = "optional", "Units are optional: a listed unit converts the number, no unit means the first"
    GRADED = "graded", "The unit must be given: a missing or unlisted unit costs the unit penalty"


class BlankInput(models.TextChoices):
    SELECT = "select", "A list of choices inside the sentence"
    TEXT = "text", "A text box inside the sentence (short answer)"


assert set(UnitHandling.values) == UNIT_HANDLINGS and set(BlankInput.values) == BLANK_INPUTS

# Numbers of a numerical question: room for doses in grams written in micrograms and back.
NUMBER_DIGITS = 24
NUMBER_PLACES = 10

ORDERING_MODE_CHOICES = [
    ("all_or_nothing", "All or nothing"),
    ("absolute_position", "Absolute position"),
    ("relative_next_exclude_last", "Relative to the next item (last excluded)"),
    ("relative_next_include_last", "Relative to the next item (last included)"),
    ("relative_one_previous_and_next", "Relative to one previous and one next item"),
    ("relative_all_previous_and_next", "Relative to all previous and next items"),
    ("longest_ordered_subset", "Longest ordered subset"),
    ("longest_contiguous_subset", "Longest contiguous subset"),
    ("relative_to_correct", "Relative to the correct position"),
]
assert {value for value, _ in ORDERING_MODE_CHOICES} == ORDERING_MODES


class ReviewPolicy(models.TextChoices):
    AFTER_PASS_OR_LAST = (
        "after_pass_or_last_attempt",
        "Correct answers after a pass or after the last attempt",
    )
    ALWAYS = "always", "Correct answers after every attempt"
    NEVER = "never", "Never show correct answers (right/wrong and rationale only)"


class Quiz(models.Model):
    """The post-test of a course."""

    course = models.OneToOneField("modules.Course", on_delete=models.PROTECT, related_name="quiz")
    title = models.CharField(max_length=200, default="Post-test")
    pass_mark_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("80"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    attempts_allowed = models.PositiveSmallIntegerField(default=3, help_text="0 means unlimited attempts.")
    time_limit_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Leave empty for no time limit."
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_choices = models.BooleanField(default=True)
    review_policy = models.CharField(
        max_length=40, choices=ReviewPolicy.choices, default=ReviewPolicy.AFTER_PASS_OR_LAST
    )

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark_percent__gte=0) & Q(pass_mark_percent__lte=100),
                name="quiz_pass_mark_range",
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1),
                name="quiz_time_limit_positive",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.course})"


class DrawRule(models.Model):
    """How many questions of one topic an attempt draws from the bank."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="draw_rules")
    position = models.PositiveSmallIntegerField(default=1)
    topic = models.SlugField(max_length=50)
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "topic"], name="drawrule_unique_topic"),
            models.CheckConstraint(condition=Q(count__gte=1), name="drawrule_count_positive"),
        ]

    def __str__(self):
        return f"{self.count} × {self.topic}"


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="questions")
    key = models.SlugField(max_length=60, help_text="Stable identifier used when content is reloaded.")
    position = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    topic = models.SlugField(max_length=50, help_text='For example "anatomy", "physical-exam", "treatment".')
    title = models.CharField(max_length=200, blank=True)
    stem_markdown = models.TextField("stem (Markdown)")
    stem_html = models.TextField(editable=False, default="")
    rationale_markdown = models.TextField(
        "rationale (Markdown)", help_text="Why the key is right, with its source."
    )
    rationale_html = models.TextField(editable=False, default="")
    reference = models.CharField(max_length=300, blank=True)
    points = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    multiple_grading = models.CharField(
        max_length=20, choices=MultipleGrading.choices, default=MultipleGrading.ALL_OR_NOTHING
    )
    ordering_mode = models.CharField(
        max_length=40, choices=ORDERING_MODE_CHOICES, default="absolute_position"
    )
    case_sensitive = models.BooleanField(
        default=False,
        help_text="Short answer and missing word typed in: whether upper and lower case must match.",
    )
    blank_input = models.CharField(
        max_length=10,
        choices=BlankInput.choices,
        default=BlankInput.SELECT,
        help_text=f"Missing word: how the learner fills the blank, written {BLANK} in the stem.",
    )
    unit_handling = models.CharField(
        max_length=10, choices=UnitHandling.choices, default=UnitHandling.NONE, help_text="Numerical only."
    )
    unit_penalty = models.DecimalField(
        "unit penalty (percent)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Numerical with graded units: the share of the answer's credit lost for a missing "
        "or unlisted unit.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Retired questions are never drawn; attempts that used them keep their copy."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["quiz", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "key"], name="question_unique_key"),
            models.CheckConstraint(condition=Q(points__gt=0), name="question_points_positive"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="question_kind_valid"),
            models.CheckConstraint(
                condition=Q(unit_handling__in=UnitHandling.values), name="question_unit_handling_valid"
            ),
            models.CheckConstraint(
                condition=Q(unit_penalty__gte=0) & Q(unit_penalty__lte=100),
                name="question_unit_penalty_range",
            ),
            models.CheckConstraint(
                condition=Q(blank_input__in=BlankInput.values), name="question_blank_input_valid"
            ),
            # A missing-word question without its blank would show no place to answer.
            models.CheckConstraint(
                condition=~Q(kind=Kind.CLOZE) | Q(stem_markdown__contains=BLANK),
                name="question_cloze_has_blank",
                violation_error_message=f"A missing-word question needs the blank {BLANK} in its stem.",
            ),
        ]

    def __str__(self):
        return self.title or self.stem_markdown[:80]

    def save(self, *args, **kwargs):
        # Rendered once on save (never per request), sanitised like module bodies.
        self.stem_html = render_markdown_with_images(self.stem_markdown)  # stems may place [[image:KEY]]
        self.rationale_html = render_markdown(self.rationale_markdown)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "stem_html", "rationale_html"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        images_check(stem_markdown=self.stem_markdown)


class Choice(models.Model):
    """One choice, ordering item or matching pair of a question.

    Single/multiple/true-false/missing word by choice: `text`, `is_correct`, and `weight`
    (percent) for partial credit. Ordering: `text` and `correct_position` (1..n). Matching:
    `text` is the prompt and `match_text` its answer; a row with an empty prompt is a
    distractor answer. Short answer and missing word typed in: `text` is an accepted answer
    (`*` matches any characters, `\\*` a literal star) and `weight` its credit (empty: 100
    if correct). Numerical: an accepted answer is `number` ± `tolerance` (empty tolerance: 0)
    or the range `range_low`..`range_high`, both ends included, with `weight` as its credit.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=1)
    text = models.CharField(max_length=500, blank=True)
    is_correct = models.BooleanField(default=False)
    weight = models.DecimalField(
        max_digits=10,
        decimal_places=7,
        null=True,
        blank=True,
        help_text="Percent of the points for choosing this (negative for a wrong choice); partial credit only.",
    )
    correct_position = models.PositiveSmallIntegerField(null=True, blank=True)
    match_text = models.CharField("matches", max_length=300, blank=True)
    number = models.DecimalField(
        max_digits=NUMBER_DIGITS,
        decimal_places=NUMBER_PLACES,
        null=True,
        blank=True,
        help_text="Numerical: the accepted value (in the first unit).",
    )
    tolerance = models.DecimalField(
        max_digits=NUMBER_DIGITS,
        decimal_places=NUMBER_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Numerical: how far from the value an answer may be and still count (±, ends included).",
    )
    range_low = models.DecimalField(
        max_digits=NUMBER_DIGITS,
        decimal_places=NUMBER_PLACES,
        null=True,
        blank=True,
        help_text="Numerical, instead of value ± tolerance: the lowest accepted value.",
    )
    range_high = models.DecimalField(
        max_digits=NUMBER_DIGITS,
        decimal_places=NUMBER_PLACES,
        null=True,
        blank=True,
        help_text="Numerical, instead of value ± tolerance: the highest accepted value.",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=0), name="choice_tolerance_nonnegative"
            ),
            models.CheckConstraint(
                condition=(Q(range_low__isnull=True) & Q(range_high__isnull=True))
                | (
                    Q(range_low__isnull=False)
                    & Q(range_high__isnull=False)
                    & Q(range_low__lte=F("range_high"))
                ),
                name="choice_range_ordered",
                violation_error_message="A range needs both ends, the low one first.",
            ),
            # One accepted number is either value ± tolerance or a range, never both.
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(range_low__isnull=True),
                name="choice_number_or_range",
                violation_error_message="Give either a value (± tolerance) or a range, not both.",
            ),
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(number__isnull=False),
                name="choice_tolerance_needs_number",
            ),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | (Q(weight__gte=-100) & Q(weight__lte=100)),
                name="choice_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(correct_position__isnull=True) | Q(correct_position__gte=1),
                name="choice_correct_position_positive",
            ),
            models.CheckConstraint(
                condition=~Q(text="")
                | ~Q(match_text="")
                | Q(number__isnull=False)
                | Q(range_low__isnull=False),
                name="choice_not_empty",
                violation_error_message=(
                    "A choice needs its text (or, for a matching distractor, its answer; "
                    "for a numerical answer, its value or range)."
                ),
            ),
        ]

    def __str__(self):
        return self.text or f"(distractor) {self.match_text}"


class Unit(models.Model):
    """A unit a numerical question accepts after the number, as in Moodle.

    The answers are written in the first unit (multiplier 1); a number typed in another unit is
    compared with answer × multiplier (e.g. answers in mg, unit "g" with multiplier 0.001).
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=30)
    multiplier = models.DecimalField(
        max_digits=NUMBER_DIGITS,
        decimal_places=NUMBER_PLACES,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0000000001"))],
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "name"], name="unit_unique_name"),
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="unit_multiplier_positive"),
            models.CheckConstraint(condition=~Q(name=""), name="unit_name_not_empty"),
        ]

    def __str__(self):
        return f"{self.name} (× {self.multiplier.normalize()})"


class Attempt(models.Model):
    """One try at the post-test. The drawn questions and their keys are frozen in AttemptQuestion."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_late = models.BooleanField(
        default=False, help_text="Closed by the server after its deadline, graded as it stood."
    )
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "user", "number"]
        constraints = [
            # The attempts limit and "one open attempt" both hold in the database, so two racing
            # requests cannot create two attempts with the same number or two open ones.
            models.UniqueConstraint(fields=["user", "quiz", "number"], name="attempt_unique_number"),
            models.UniqueConstraint(
                fields=["user", "quiz"], condition=Q(submitted_at__isnull=True), name="attempt_one_open"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | (Q(score__isnull=False) & Q(passed__isnull=False)),
                name="attempt_submitted_is_graded",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=F("max_score"))),
                name="attempt_score_range",
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.quiz} #{self.number}"

    @property
    def is_open(self):
        return self.submitted_at is None


class AttemptQuestion(models.Model):
    """A question as drawn into an attempt, frozen, with the learner's response and its points.

    `snapshot` holds what the learner sees (stem, choices in display order, rationale);
    `key` holds the answer key as `grading.key_to_snapshot` writes it. Later edits to the
    question never touch either, so a graded attempt never changes. The response lives here
    too (one row per question per attempt) rather than in a separate Response table.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="attempt_questions")
    position = models.PositiveSmallIntegerField()
    snapshot = models.JSONField()
    key = models.JSONField()
    response = models.JSONField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    points_awarded = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # The question's inputs as the attempt page shows them for the saved response, rendered when the
    # page is first shown after a change and read with the row, as module bodies are rendered on
    # save: the page then needs no cache read and no template work per view. `inputs_key` names what
    # the HTML was made from (the template version and a digest of the response); any difference
    # means it is rendered again. Emptied when the attempt is submitted (the page is no longer shown).
    inputs_html = models.TextField(blank=True, default="")
    inputs_key = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attemptquestion_unique_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attemptquestion_unique_question"),
            models.CheckConstraint(
                condition=Q(points_awarded__isnull=True) | Q(points_awarded__gte=0),
                name="attemptquestion_points_nonnegative",
            ),
        ]

    def __str__(self):
        return f"{self.attempt} Q{self.position}"
