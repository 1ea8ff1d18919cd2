"""Each reminder reason goes out on its day, once, and again only for a new occasion."""

from datetime import date

from django.core import mail

from modules.models import ModuleProgress
from reminders.models import Reason, ReminderSent
from tests.factories import CourseFactory, LicenseFactory, course_with_modules
from tests.reminders.conftest import START, days, enrol, give_certificate, noon


def sent(reason):
    return list(
        ReminderSent.objects.filter(reason=reason).values_list("recipient__email", "subject_key", "period")
    )


def far_course(**kwargs):
    """A course that gives credit for years yet, so only the reminders under test are due."""
    return course_with_modules(2, release_date=date(2025, 1, 1), expiry_date=date(2029, 1, 1), **kwargs)


def test_idle_course_is_reminded_after_14_days_then_after_30_and_never_again(learner, clock, run_reminders):
    course = far_course(title="Wound care")
    enrol(learner, course, noon(START))

    assert run_reminders(START + days(13), clock) == []
    first = run_reminders(START + days(14), clock)
    assert [e.subject for e in first] == ["Pick up where you left off: Wound care"]
    assert first[0].to == ["alice@example.com"]
    assert run_reminders(START + days(14), clock) == []  # the same job again the same day
    assert run_reminders(START + days(29), clock) == []
    second = run_reminders(START + days(30), clock)
    assert [e.subject for e in second] == ["Still interested in Wound care?"]
    assert run_reminders(START + days(31), clock) == []
    assert run_reminders(START + days(90), clock) == []
    assert sent(Reason.IDLE_14) == [("alice@example.com", f"course:{course.pk}", START.isoformat())]
    assert len(sent(Reason.IDLE_30)) == 1
    row = ReminderSent.objects.get(reason=Reason.IDLE_30)
    assert row.outcome == ReminderSent.Outcome.SENT and row.sent_at == noon(START + days(30))


def test_coming_back_to_a_course_starts_a_new_idle_spell(learner, clock, run_reminders):
    course = far_course()
    enrollment = enrol(learner, course, noon(START))
    assert len(run_reminders(START + days(14), clock)) == 1
    back = noon(START + days(20))
    ModuleProgress.objects.create(
        enrollment=enrollment, module=course.modules.first(), first_viewed_at=back, last_seen_at=back
    )
    assert run_reminders(START + days(30), clock) == []  # only 10 days idle now
    assert len(run_reminders(START + days(34), clock)) == 1  # 14 days after she came back
    assert len(sent(Reason.IDLE_14)) == 2


def test_finished_or_expired_courses_get_no_idle_reminder(learner, other_learner, clock, run_reminders):
    finished = far_course()
    enrol(learner, finished, noon(START))
    finished.enrollments.update(completed_at=noon(START + days(1)))
    expired = course_with_modules(1, release_date=date(2025, 1, 1), expiry_date=START + days(10))
    enrol(other_learner, expired, noon(START))
    assert run_reminders(START + days(14), clock) == []


def test_started_course_reminded_30_days_before_it_expires_once(learner, clock, run_reminders):
    expiry = START + days(100)
    course = course_with_modules(2, title="Sepsis", release_date=date(2025, 1, 1), expiry_date=expiry)
    enrol(learner, course, noon(START))
    # Active the day before, so only the expiry reminder is due.
    ModuleProgress.objects.create(
        enrollment=learner.enrollments.get(),
        module=course.modules.first(),
        first_viewed_at=noon(expiry - days(31)),
        last_seen_at=noon(expiry - days(31)),
    )
    assert run_reminders(expiry - days(31), clock) == []
    emails = run_reminders(expiry - days(30), clock)
    assert [e.subject for e in emails] == [
        f"Sepsis stops giving credit on {expiry:%B} {expiry.day}, {expiry.year}"
    ]
    assert run_reminders(expiry - days(30), clock) == []
    later = run_reminders(expiry - days(10), clock)  # idle by now: that reminder, not the expiry one again
    assert [e.subject for e in later] == ["Pick up where you left off: Sepsis"]
    assert len(sent(Reason.COURSE_EXPIRY_30)) == 1


def test_authors_reminded_90_then_30_days_before_a_course_expires(author, learner, clock, run_reminders):
    expiry = START + days(120)
    course = CourseFactory(title="Falls", release_date=date(2025, 1, 1), expiry_date=expiry)
    assert run_reminders(expiry - days(91), clock) == []
    ninety = run_reminders(expiry - days(90), clock)
    assert [(e.to, e.subject) for e in ninety] == [(["author@example.com"], "Falls expires in 90 days")]
    assert f"/admin/modules/course/{course.pk}/change/" in ninety[0].body
    assert run_reminders(expiry - days(60), clock) == []
    thirty = run_reminders(expiry - days(30), clock)
    assert [(e.to, e.subject) for e in thirty] == [(["author@example.com"], "Falls expires in 30 days")]
    assert run_reminders(expiry - days(1), clock) == []
    assert run_reminders(expiry + days(1), clock) == []


def test_author_reminders_follow_a_new_expiry_date(author, clock, run_reminders):
    expiry = START + days(90)
    course = CourseFactory(release_date=date(2025, 1, 1), expiry_date=expiry)
    assert len(run_reminders(START, clock)) == 1
    course.expiry_date = expiry + days(365)
    course.save()
    assert run_reminders(START + days(1), clock) == []
    assert len(run_reminders(expiry + days(365 - 90), clock)) == 1


def test_renewal_reminder_60_days_before_when_hours_are_short(learner, clock, run_reminders):
    license_ = learner.licenses.get()
    renewal = START + days(70)
    license_.renewal_date = renewal
    license_.save()
    course = far_course()
    give_certificate(learner, course, hours="2.00", completed=START - days(10))
    # Earned before this biennium began: does not count.
    give_certificate(learner, far_course(), hours="30.00", completed=renewal - days(800))
    assert run_reminders(renewal - days(61), clock) == []
    emails = run_reminders(renewal - days(60), clock)
    assert [e.subject for e in emails] == [
        f"Your RN (FL) license renews on {renewal:%B} {renewal.day}, {renewal.year}"
    ]
    assert "24 contact hours" in emails[0].body and "add up to 2." in emails[0].body
    assert run_reminders(renewal - days(30), clock) == []
    assert sent(Reason.RENEWAL_60) == [("alice@example.com", f"license:{license_.pk}", renewal.isoformat())]


def test_no_renewal_reminder_with_enough_hours_or_no_requirement(
    learner, other_learner, clock, run_reminders
):
    renewal = START + days(60)
    license_ = learner.licenses.get()
    license_.renewal_date = renewal
    license_.save()
    give_certificate(learner, far_course(), hours="24.00", completed=START - days(100))
    # Ohio has no requirement on file: the period's length is unknown, so nothing is said.
    LicenseFactory(user=other_learner, state="OH", renewal_date=renewal)
    assert run_reminders(START, clock) == []
    assert not ReminderSent.objects.exists()


def test_each_email_has_plain_text_html_and_one_click_unsubscribe_headers(learner, clock, run_reminders):
    enrol(learner, far_course(title="Burns"), noon(START))
    (email,) = run_reminders(START + days(14), clock)
    link = email.extra_headers["List-Unsubscribe"]
    assert link.startswith("<http") and "/reminders/unsubscribe/" in link
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert 'name="viewport"' in html and "Burns" in html and link[1:-1].replace("&", "&amp;") in html
    assert len(mail.outbox) == 1


def test_a_license_removed_between_claim_and_send_is_logged_and_not_retried(learner, clock, run_reminders):
    from reminders.selectors import Due
    from reminders.services import reminder_claim
    from reminders.tasks import reminder_email_send

    license_ = learner.licenses.get()
    due = Due(learner.pk, Reason.RENEWAL_60, f"license:{license_.pk}", "2026-05-01")
    row = reminder_claim(due)
    license_.delete()
    assert reminder_email_send.call(row.pk) == "subject gone"
    row.refresh_from_db()
    assert (row.outcome, row.sent_at) == ("failed", None) and "license:" in row.last_error
    assert mail.outbox == []
