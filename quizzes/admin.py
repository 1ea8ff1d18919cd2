"""Authoring the post-test in the admin: quizzes, questions with their choices, GIFT import and export.

Attempts are records kept for years, so the admin shows them read-only and nobody deletes them.
"""

import json
import secrets
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from ce_course.admin_tools import ReadOnlyAdminMixin
from ce_course.audit import AuditedAdminMixin
from quizzes.authoring import ChoiceData, frozen_question, question_problems, unit_problems
from quizzes.bank_formats import (
    FORMAT_CHOICES,
    FORMAT_NAMES,
    MAX_BANK_UPLOAD_BYTES,
    bank_import,
    detect_format,
    moodle_xml_export,
    qti_export,
    question_previews,
)
from quizzes.gift_import import gift_export
from quizzes.models import Attempt, AttemptQuestion, Choice, DrawRule, Kind, Question, Quiz, Unit
from quizzes.presentation import question_view

IMPORT_PERMISSION = "quizzes.add_question"
UPLOAD_WAIT_SECONDS = 3600  # how long a previewed upload waits for its confirmation
EXPORT_PERMISSION = "quizzes.view_question"


def _signed_in_needs(admin_site, permission, view):
    """admin_view, but a signed-in user without `permission` (a learner, a board reviewer) gets 403.

    admin_view alone would send them to the admin login page, inviting them to sign in as
    someone else; anonymous visitors still go there.
    """
    admin_view = admin_site.admin_view(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(permission):
            raise PermissionDenied
        return admin_view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------
# Quiz, with GIFT import and export
# ---------------------------------------------------------------------------


# Room in a multipart body for the boundaries, part headers and the other fields beside the file.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


def _declared_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class GiftUploadForm(forms.Form):
    """A question-bank upload of any format we read (the name is kept from when GIFT was the only one)."""

    file = forms.FileField(
        label="Question bank file",
        help_text=(
            f"GIFT, Moodle XML, Aiken or QTI 3.0 (an item or a .zip package), at most "
            f"{filesizeformat(MAX_BANK_UPLOAD_BYTES)}."
        ),
    )
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, required=False, initial="detect")
    dry_run = forms.BooleanField(
        label="Preview first",
        required=False,
        initial=True,
        help_text="Check the file and show each question as learners will see it, without saving anything.",
    )
    skip_unsupported = forms.BooleanField(
        label="Skip what cannot be imported",
        required=False,
        help_text=(
            "Questions of kinds we do not have (essays, descriptions, ...) are listed with their line and "
            "left out; everything else must still be right, or nothing is imported."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BANK_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {filesizeformat(MAX_BANK_UPLOAD_BYTES)} "
                f"({MAX_BANK_UPLOAD_BYTES:,} bytes). Split it into smaller files."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        data = upload.read()
        fmt = cleaned.get("format") or "detect"
        if fmt == "detect":
            fmt = detect_format(data, upload.name or "")
        if fmt in ("gift", "aiken"):
            try:
                data.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                self.add_error(
                    "file",
                    f"The file is not UTF-8 text (byte {error.start + 1} cannot be read). "
                    "Save it with UTF-8 encoding and upload it again.",
                )
        cleaned["data"], cleaned["format"] = data, fmt
        return cleaned


class ImportConfirmForm(forms.Form):
    """Confirms a previewed upload, which waits in the cache under `token` for an hour."""

    token = forms.CharField(max_length=64)
    format = forms.ChoiceField(choices=FORMAT_CHOICES)
    skip_unsupported = forms.BooleanField(required=False)


class DrawRuleInline(admin.TabularInline):
    """Draw rules are part of the quiz's settings: whoever may change the quiz may change them.

    (The role groups grant no DrawRule permissions of their own.)
    """

    model = DrawRule
    extra = 0
    fields = ["position", "topic", "count"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("quizzes.view_quiz") or request.user.has_perm("quizzes.change_quiz")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("quizzes.change_quiz")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("quizzes.change_quiz")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("quizzes.change_quiz")


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = [
        "course",
        "pass_mark_percent",
        "attempts_allowed",
        "time_limit_minutes",
        "question_count",
        "gift_links",
    ]
    list_select_related = ["course"]
    search_fields = ["title", "course__title", "course__slug"]
    inlines = [DrawRuleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_questions=Count("questions"))

    @admin.display(description="questions", ordering="num_questions")
    def question_count(self, obj):
        return obj.num_questions

    @admin.display(description="question bank")
    def gift_links(self, obj):
        return format_html(
            '<a href="{}">Import questions</a> · Export <a href="{}">GIFT</a> · <a href="{}">Moodle XML</a> · '
            '<a href="{}">QTI</a>',
            reverse("admin:quizzes_quiz_import_gift", args=[obj.pk]),
            reverse("admin:quizzes_quiz_export_gift", args=[obj.pk]),
            reverse("admin:quizzes_quiz_export_moodle_xml", args=[obj.pk]),
            reverse("admin:quizzes_quiz_export_qti", args=[obj.pk]),
        )

    def get_urls(self):
        urls = [
            path(
                "<id:pk>/import-gift/",
                _signed_in_needs(
                    self.admin_site,
                    IMPORT_PERMISSION,
                    # CSRF is checked in the view, after the declared size: checking it reads the body.
                    csrf_exempt(require_http_methods(["GET", "HEAD", "POST"])(self.import_gift_view)),
                ),
                name="quizzes_quiz_import_gift",
            ),
            path(
                "<id:pk>/export-gift/",
                _signed_in_needs(self.admin_site, EXPORT_PERMISSION, require_safe(self.export_gift_view)),
                name="quizzes_quiz_export_gift",
            ),
            path(
                "<id:pk>/export-moodle-xml/",
                _signed_in_needs(
                    self.admin_site, EXPORT_PERMISSION, require_safe(self.export_moodle_xml_view)
                ),
                name="quizzes_quiz_export_moodle_xml",
            ),
            path(
                "<id:pk>/export-qti/",
                _signed_in_needs(self.admin_site, EXPORT_PERMISSION, require_safe(self.export_qti_view)),
                name="quizzes_quiz_export_qti",
            ),
        ]
        return urls + super().get_urls()

    def import_gift_view(self, request, pk):
        """Upload a question bank (any format), preview it as learners will see it, confirm: all or nothing.

        A request declaring a body bigger than the limit allows is refused before the body is read."""
        if (
            request.method == "POST"
            and _declared_length(request) > MAX_BANK_UPLOAD_BYTES + UPLOAD_ENVELOPE_BYTES
        ):
            quiz = get_object_or_404(Quiz.objects.select_related("course"), pk=pk)
            error = (
                f"The file is too large: the limit is {filesizeformat(MAX_BANK_UPLOAD_BYTES)} "
                f"({MAX_BANK_UPLOAD_BYTES:,} bytes). Nothing was read; split it into smaller files."
            )
            return self._import_page(request, quiz, GiftUploadForm(), None, None, 400, error=error)
        return csrf_protect(self._import_gift)(request, pk)

    def _import_gift(self, request, pk):
        quiz = get_object_or_404(Quiz.objects.select_related("course"), pk=pk)
        report, fmt, status = None, None, 200
        if request.method == "POST" and "token" in request.POST:
            return self._import_confirm(request, quiz)
        if request.method == "POST":
            form = GiftUploadForm(request.POST, request.FILES)
            if form.is_valid():
                data, fmt = form.cleaned_data["data"], form.cleaned_data["format"]
                skip = form.cleaned_data["skip_unsupported"]
                report, fmt = bank_import(
                    quiz=quiz,
                    fmt=fmt,
                    data=data,
                    dry_run=form.cleaned_data["dry_run"],
                    skip_unsupported=skip,
                    user=request.user,
                )
                if report.ok and not report.dry_run:
                    return self._imported(request, quiz, report)
                if report.ok:
                    token = secrets.token_urlsafe(24)
                    cache.set(self._upload_key(request, quiz, token), data, timeout=UPLOAD_WAIT_SECONDS)
                    return self._preview(request, quiz, report, fmt, token, skip)
            if not form.is_valid() or not report.ok:
                status = 400
        else:
            form = GiftUploadForm()
        return self._import_page(request, quiz, form, report, fmt, status)

    def _import_page(self, request, quiz, form, report, fmt, status, *, error=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import questions into {quiz}",
            "quiz": quiz,
            "form": form,
            "report": report,
            "format_name": FORMAT_NAMES.get(fmt, ""),
            "error": error,
        }
        return render(request, "admin/quizzes/gift_import.html", context, status=status)

    @staticmethod
    def _upload_key(request, quiz, token):
        # The user and quiz are part of the key: a token is no use to anyone else or elsewhere.
        return f"bank-import:{request.user.pk}:{quiz.pk}:{token}"

    def _preview(self, request, quiz, report, fmt, token, skip):
        context = {
            "quiz": quiz,
            "report": report,
            "format": fmt,
            "format_name": FORMAT_NAMES[fmt],
            "token": token,
            "skip_unsupported": skip,
            "previews": question_previews(report.would_create, getattr(report, "images", ())),
        }
        return render(request, "admin/quizzes/import_preview.html", context)

    def _imported(self, request, quiz, report):
        skipped = f" {len(report.skipped)} left out (listed below)." if report.skipped else ""
        messages.success(request, f"Imported {report.created} questions into {quiz}.{skipped}")
        for item in report.skipped:
            messages.warning(request, f"Skipped: {item}")
        changelist = reverse("admin:quizzes_question_changelist")
        return redirect(f"{changelist}?quiz__id__exact={quiz.pk}")

    def _import_confirm(self, request, quiz):
        form = ImportConfirmForm(request.POST)
        data = None
        if form.is_valid():
            key = self._upload_key(request, quiz, form.cleaned_data["token"])
            data = cache.get(key)
            # Spent before the import runs: of two clicks (or two tabs) only the one that deleted it goes on.
            if data is not None and not cache.delete(key):
                data = None
        if data is None:
            error = "That preview has expired or is unknown; upload the file again to import it."
            return self._import_page(request, quiz, GiftUploadForm(), None, None, 400, error=error)
        report, fmt = bank_import(
            quiz=quiz,
            fmt=form.cleaned_data["format"],
            data=data,
            dry_run=False,
            skip_unsupported=form.cleaned_data["skip_unsupported"],
            user=request.user,
        )
        if not report.ok:  # the quiz changed since the preview (e.g. a rule now fails): nothing imported
            return self._import_page(request, quiz, GiftUploadForm(), report, fmt, 400)
        return self._imported(request, quiz, report)

    def export_gift_view(self, request, pk):
        quiz = get_object_or_404(Quiz.objects.select_related("course"), pk=pk)
        text, skipped = gift_export(quiz)
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{quiz.course.slug}-post-test.gift"'
        if skipped:
            # A download cannot carry a page message; the file's header comment repeats the list.
            response["X-GIFT-Skipped"] = ", ".join(s.key for s in skipped)
        return response

    def export_moodle_xml_view(self, request, pk):
        return self._export_bank(pk, moodle_xml_export)

    def export_qti_view(self, request, pk):
        return self._export_bank(pk, qti_export)

    def _export_bank(self, pk, exporter):
        """The quiz's active questions as Moodle XML or a QTI 3.0 package; skipped keys in a header."""
        quiz = get_object_or_404(Quiz.objects.select_related("course"), pk=pk)
        export = exporter(quiz)
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        if export.skipped:
            response["X-Export-Skipped"] = ", ".join(s.key for s in export.skipped)
        return response


# ---------------------------------------------------------------------------
# Questions and their choices
# ---------------------------------------------------------------------------


class ChoiceInlineFormSet(BaseInlineFormSet):
    """Checks the choices as a whole, with the same explanations as the content loader and GIFT import.

    A ValidationError here fails the whole change form, so a bad question saves nothing half.
    """

    def clean(self):
        super().clean()
        if any(self.errors):
            return  # the fields' own errors first; the choices cannot be judged as a set yet
        question = self.instance
        if question.kind not in Kind.values:
            return  # the question form reports the missing or unknown kind
        choices = [
            ChoiceData(
                text=form.cleaned_data.get("text", ""),
                is_correct=form.cleaned_data.get("is_correct", False),
                weight=form.cleaned_data.get("weight"),
                correct_position=form.cleaned_data.get("correct_position"),
                match_text=form.cleaned_data.get("match_text", ""),
                number=form.cleaned_data.get("number"),
                tolerance=form.cleaned_data.get("tolerance"),
                range_low=form.cleaned_data.get("range_low"),
                range_high=form.cleaned_data.get("range_high"),
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = question_problems(
            question.kind,
            choices,
            multiple_grading=question.multiple_grading,
            stem=question.stem_markdown,
            blank_input=question.blank_input,
        )
        if problems:
            raise ValidationError(problems)


class UnitInlineFormSet(BaseInlineFormSet):
    """A numerical question's units, checked as a whole (the first is the answers' own, multiplier 1)."""

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.kind != Kind.NUMERICAL:
            return
        units = [
            (form.cleaned_data.get("name", ""), form.cleaned_data.get("multiplier"))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = unit_problems(self.instance.unit_handling, units)
        if problems:
            raise ValidationError(problems)


CHOICE_FIELDS = [
    "position",
    "text",
    "is_correct",
    "weight",
    "correct_position",
    "match_text",
    "number",
    "tolerance",
    "range_low",
    "range_high",
]


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = CHOICE_FIELDS

    def clean(self):
        cleaned = super().clean()
        numeric = cleaned.get("number") is not None or cleaned.get("range_low") is not None
        # Said here in words; otherwise the database constraint's generic message would be shown.
        if not cleaned.get("text", "").strip() and not cleaned.get("match_text", "").strip() and not numeric:
            raise ValidationError(
                "Give the choice a text (or, in a matching question, the answer it matches; "
                "in a numerical question, a value or a range)."
            )
        if cleaned.get("number") is not None and (
            cleaned.get("range_low") is not None or cleaned.get("range_high") is not None
        ):
            raise ValidationError("Give either a value (± tolerance) or a range, not both.")
        if (cleaned.get("range_low") is None) != (cleaned.get("range_high") is None):
            raise ValidationError("A range needs both its low and its high end.")
        low, high = cleaned.get("range_low"), cleaned.get("range_high")
        if low is not None and high is not None and low > high:
            raise ValidationError("The range's low end is above its high end.")
        if cleaned.get("tolerance") is not None and cleaned.get("number") is None:
            raise ValidationError("A tolerance goes with a value; a range needs none.")
        return cleaned


class ChoiceInline(admin.TabularInline):
    model = Choice
    form = ChoiceForm
    formset = ChoiceInlineFormSet
    fields = CHOICE_FIELDS
    ordering = ["position", "id"]

    def get_extra(self, request, obj=None, **kwargs):
        return 4 if obj is None else 1


class UnitInline(admin.TabularInline):
    """Numerical questions: the units a learner may write, the first being the answers' own."""

    model = Unit
    formset = UnitInlineFormSet
    fields = ["position", "name", "multiplier"]
    ordering = ["position", "id"]
    extra = 0

    # Units are part of the question, as its choices are: whoever may change the question may
    # change them (the role groups grant no Unit permissions of their own).
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("quizzes.view_question") or request.user.has_perm(
            "quizzes.change_question"
        )

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("quizzes.add_question") or request.user.has_perm(
            "quizzes.change_question"
        )

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def audited_course(self, obj):
        return obj.quiz.course

    list_display = ["__str__", "key", "kind", "topic", "points", "is_active", "quiz", "preview_link"]
    list_filter = ["kind", "topic", "is_active", "quiz"]
    list_select_related = ["quiz__course"]
    search_fields = ["stem_markdown", "key", "title"]
    ordering = ["quiz", "position", "id"]
    inlines = [ChoiceInline, UnitInline]
    fieldsets = (
        (
            None,
            {
                "fields": ("quiz", "key", "position", "kind", "topic", "title", "points", "is_active"),
                "description": (
                    "A question that learners' attempts have used cannot be deleted (the attempts are kept "
                    "as records); untick “Is active” to retire it instead."
                ),
            },
        ),
        ("Question", {"fields": ("stem_markdown", "rationale_markdown", "reference")}),
        (
            "Grading",
            {
                "fields": (
                    "multiple_grading",
                    "ordering_mode",
                    "case_sensitive",
                    "blank_input",
                    "unit_handling",
                    "unit_penalty",
                ),
                "description": (
                    "Single choice: exactly one correct choice; partial credit gives it weight 100 and "
                    "every other choice its own weight. True/false: two choices, one correct. "
                    "Multiple select: at least one correct; partial credit needs a weight on every choice, "
                    "positive weights adding up to 100. Ordering: at least three items, correct positions "
                    "1 to n. Matching: at least two prompts, each with its answer; a row with only an answer "
                    "is a distractor. Numerical: each choice is an accepted answer, a value ± tolerance or a "
                    "range (ends included), its weight the credit (empty: 100 if correct); units below, the "
                    "first being the answers' own. Short answer: each choice text is an accepted answer "
                    "(* matches anything, \\* a star). Missing word: write [[blank]] once in the stem; "
                    "the blank offers the choices as a list, or takes a typed answer like a short answer."
                ),
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):
        # PROTECT would refuse anyway, with an error page; the missing button explains itself
        # together with the help text above.
        if obj is not None and obj.attempt_questions.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        urls = [
            path(
                "<id:pk>/preview/",
                self.admin_site.admin_view(require_safe(self.preview_view)),
                name="quizzes_question_preview",
            )
        ]
        return urls + super().get_urls()

    @admin.display(description="preview")
    def preview_link(self, obj):
        return format_html(
            '<a href="{}">Preview</a>', reverse("admin:quizzes_question_preview", args=[obj.pk])
        )

    def preview_view(self, request, pk):
        """The question exactly as learners see it in an attempt, without the key; nothing is recorded."""
        question = get_object_or_404(Question.objects.select_related("quiz__course"), pk=pk)
        if not self.has_view_permission(request, question):
            raise PermissionDenied
        choices = list(question.choices.all())
        units = list(question.units.all())
        problems = question_problems(
            question.kind,
            choices,
            multiple_grading=question.multiple_grading,
            stem=question.stem_markdown,
            blank_input=question.blank_input,
            unit_handling=question.unit_handling,
            units=[(u.name, u.multiplier) for u in units],
        )
        q = None
        if not problems:
            # An unsaved AttemptQuestion, built the way attempt_start freezes one, so the page shows
            # the same snapshot a learner would get (shuffled as the quiz says).
            snapshot, key = frozen_question(
                question, choices, shuffle_choices=question.quiz.shuffle_choices, units=units
            )
            # The attempt page reads its snapshot back from the JSON column (plain strings, no
            # SafeString), so the preview does too, or the two could render differently.
            snapshot = json.loads(json.dumps(snapshot))
            q = question_view(AttemptQuestion(pk=0, position=1, snapshot=snapshot, key=key, response=None))
        return render(
            request,
            "admin/quizzes/question_preview.html",
            {"question": question, "q": q, "problems": problems},
        )


# ---------------------------------------------------------------------------
# Attempts: read-only records
# ---------------------------------------------------------------------------


class AttemptQuestionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AttemptQuestion
    fields = ["position", "question", "points_awarded", "responded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the attempt may see its questions (the CE board has view_attempt only).
        return request.user.has_perm("quizzes.view_attempt")


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "quiz", "number", "started_at", "submitted_at", "percent", "passed"]
    list_filter = ["passed", "quiz"]
    list_select_related = ["user", "quiz__course"]
    search_fields = ["user__email", "user__last_name"]
    date_hierarchy = "started_at"
    inlines = [AttemptQuestionInline]
