from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from modules.selectors import course_for_learner, course_progress, course_urls
from quizzes import selectors, services
from quizzes.forms import answers_from_post
from quizzes.grading import GradingError
from quizzes.presentation import (
    question_inputs_as_entered,
    question_inputs_html,
    question_views,
    review_shows_answers,
    save_outcome,
    with_correct_answers,
)


def _context_or_404(request, slug, *, close_expired=True):
    """(course, quiz); Http404 when the course or its post-test is missing.

    Closes the learner's expired attempts, unless the caller loads its attempt through
    _attempt_or_404, which closes that one (a learner has at most one open attempt per quiz).
    """
    course = course_for_learner(slug)
    if course is None:
        raise Http404("No such course.")
    quiz = services.quiz_for_course(course)
    if quiz is None:
        raise Http404("This course has no post-test.")
    if close_expired:
        services.attempt_close_expired(user=request.user, quiz=quiz)
    return course, quiz


def _attempt_or_404(request, quiz, number, *, with_answers=False):
    """The learner's attempt (404 for anyone else's), graded as it stood if its deadline has passed.

    with_answers: the attempt page's read, with `answers` (selectors.attempt_with_answers).
    """
    find = selectors.attempt_with_answers if with_answers else selectors.attempt_for_learner
    attempt = find(user=request.user, quiz=quiz, number=number)
    if attempt is None:
        raise Http404("No such attempt.")
    if attempt.is_open and attempt.deadline is not None and attempt.deadline < timezone.now():
        attempt = services.attempt_submit(attempt=attempt)
    return attempt


def _not_enrolled(request, course):
    messages.info(request, "Read the disclosures and enrol first.")
    return redirect("course_detail", slug=course.slug)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_test(request, slug):
    course, quiz = _context_or_404(request, slug)
    progress = course_progress(user=request.user, course=course)
    if not progress.is_enrolled:
        return _not_enrolled(request, course)
    if request.method == "POST":
        try:
            attempt = services.attempt_start(
                user=request.user, quiz=quiz, all_modules_complete=progress.all_modules_complete
            )
        except services.PostTestError as error:
            messages.error(request, str(error))
            return redirect("post_test", slug=course.slug)
        return redirect("attempt_detail", slug=course.slug, number=attempt.number)
    return render(
        request,
        "quizzes/post_test.html",
        {
            "course": course,
            "progress": progress,
            "quiz": quiz,
            "status": progress.post_test,
            "question_count": sum(rule.count for rule in quiz.draw_rules.all()) or quiz.questions.count(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def attempt_detail(request, slug, number):
    course, quiz = _context_or_404(request, slug, close_expired=False)
    attempt = _attempt_or_404(request, quiz, number, with_answers=True)
    if not attempt.is_open:
        return redirect("attempt_review", slug=course.slug, number=attempt.number)
    if request.method in ("GET", "HEAD"):
        inputs, rendered = question_inputs_html(attempt.page_rows)
        if rendered:
            services.attempt_inputs_keep(rows=rendered)
        return _attempt_page(request, course, quiz, attempt, inputs)
    wants_json = request.headers.get("X-Requested-With") == "fetch"
    rows = selectors.snapshots_load(attempt.page_rows)  # reading a POST needs each question's kind
    try:
        posted = answers_from_post(rows, request.POST)
        result = services.attempt_save(attempt=attempt, answers=posted.answers)
    except GradingError as error:  # a forged request (a question not in this attempt): refused whole
        if wants_json:
            return JsonResponse({"saved": 0, "errors": [], "error": str(error)}, status=400)
        messages.error(request, f"{error} Nothing was saved.")
        return _attempt_page(request, course, quiz, attempt, question_inputs_html(rows)[0], status=400)
    except services.PostTestError as error:
        if wants_json:
            return JsonResponse({"error": str(error)}, status=409)
        messages.error(request, str(error))
        return redirect("post_test", slug=course.slug)
    posted.errors.update(result.errors)
    outcome = save_outcome(rows, posted, changed=result.changed)
    if wants_json:
        # 400 when any question was refused, though the others were saved: the learner must act.
        return JsonResponse(outcome, status=400 if outcome["errors"] else 200)
    if outcome["errors"]:
        inputs = question_inputs_as_entered(rows, posted)
        return _attempt_page(request, course, quiz, attempt, inputs, problems=outcome["errors"], status=400)
    if request.POST.get("action") == "summary":
        return redirect("attempt_summary", slug=course.slug, number=attempt.number)
    messages.success(request, "Your answers are saved.")
    return redirect("attempt_detail", slug=course.slug, number=attempt.number)


def _attempt_page(request, course, quiz, attempt, question_inputs, *, problems=(), status=200):
    return render(
        request,
        "quizzes/attempt.html",
        {
            "course": course,
            "quiz": quiz,
            "attempt": attempt,
            "question_inputs": question_inputs,
            "problems": problems,
            "course_urls": course_urls(course.slug),
        },
        status=status,
    )


@login_required
@require_safe
def attempt_summary(request, slug, number):
    course, quiz = _context_or_404(request, slug, close_expired=False)
    attempt = _attempt_or_404(request, quiz, number)
    if not attempt.is_open:
        return redirect("attempt_review", slug=course.slug, number=attempt.number)
    questions = question_views(selectors.attempt_rows(attempt))
    return render(
        request,
        "quizzes/attempt_summary.html",
        {
            "course": course,
            "attempt": attempt,
            "questions": questions,
            "unanswered": [q for q in questions if not q.answered and not q.incomplete],
            "incomplete": [q for q in questions if q.incomplete],
        },
    )


@login_required
@require_POST
def attempt_submit(request, slug, number):
    course, quiz = _context_or_404(request, slug, close_expired=False)
    attempt = _attempt_or_404(request, quiz, number)
    services.attempt_submit(attempt=attempt)
    return redirect("attempt_review", slug=course.slug, number=attempt.number)


@login_required
@require_safe
def attempt_review(request, slug, number):
    course, quiz = _context_or_404(request, slug)
    progress = course_progress(user=request.user, course=course)
    attempt = _attempt_or_404(request, quiz, number)
    if attempt.is_open:
        return redirect("attempt_detail", slug=course.slug, number=attempt.number)
    rows = selectors.attempt_rows(attempt)
    show_answers = review_shows_answers(quiz, progress.post_test)
    questions = question_views(rows)
    if show_answers:
        questions = with_correct_answers(questions, rows)
    return render(
        request,
        "quizzes/attempt_review.html",
        {
            "course": course,
            "quiz": quiz,
            "attempt": attempt,
            "progress": progress,
            "status": progress.post_test,
            "questions": questions,
            "show_answers": show_answers,
        },
    )
