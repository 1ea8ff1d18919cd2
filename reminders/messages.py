"""The words of each reminder. Pure: plain values in, (subject, paragraphs, action) out.

Short on purpose: one or two sentences and one link, readable on a phone.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reminders.models import Reason


@dataclass(frozen=True)
class ReminderText:
    subject: str
    paragraphs: tuple[str, ...]
    action_label: str
    action_url: str


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _hours(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def course_text(*, reason: Reason, course_title: str, expiry_date: date, course_url: str) -> ReminderText:
    if reason == Reason.IDLE_14:
        return ReminderText(
            f"Pick up where you left off: {course_title}",
            (
                f"You started “{course_title}” two weeks ago and have not been back since.",
                "Your progress is saved, so the next lesson is one tap away.",
            ),
            "Continue the course",
            course_url,
        )
    if reason == Reason.IDLE_30:
        return ReminderText(
            f"Still interested in {course_title}?",
            (
                f"It has been a month since you last opened “{course_title}”.",
                f"Everything you have done is kept. The course gives credit until {_day(expiry_date)}.",
            ),
            "Continue the course",
            course_url,
        )
    if reason == Reason.COURSE_EXPIRY_30:
        return ReminderText(
            f"{course_title} stops giving credit on {_day(expiry_date)}",
            (
                f"You started “{course_title}”. After {_day(expiry_date)} it awards no certificate,",
                "so finish it before then to get your contact hours.",
            ),
            "Finish the course",
            course_url,
        )
    raise ValueError(f"not a learner course reminder: {reason}")


def author_text(*, reason: Reason, course_title: str, expiry_date: date, admin_url: str) -> ReminderText:
    days = "90" if reason == Reason.AUTHOR_EXPIRY_90 else "30"
    return ReminderText(
        f"{course_title} expires in {days} days",
        (
            f"“{course_title}” gives credit until {_day(expiry_date)}.",
            "Review it and set a new expiry date if it is still current, or let it lapse.",
        ),
        "Open the course in the admin",
        admin_url,
    )


def renewal_text(
    *, license_label: str, renewal_date: date, hours: Decimal, required: Decimal, dashboard_url: str
) -> ReminderText:
    return ReminderText(
        f"Your {license_label} license renews on {_day(renewal_date)}",
        (
            f"Your state asks for {_hours(required)} contact hours this renewal period. "
            f"Certificates from us so far add up to {_hours(hours)}.",
            "Hours earned elsewhere count too; this only counts ours.",
        ),
        "See your transcript",
        dashboard_url,
    )


def plain_text(text: ReminderText, *, name: str, unsubscribe_url: str, category_label: str) -> str:
    lines = [f"Hello {name},", "", *text.paragraphs, "", f"{text.action_label}: {text.action_url}", ""]
    lines += [
        "--",
        f"You get this because of your reminder setting “{category_label}”.",
        f"Unsubscribe: {unsubscribe_url}",
    ]
    return "\n".join(lines) + "\n"
