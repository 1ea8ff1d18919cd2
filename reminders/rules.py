"""When each reminder is due, and the renewal-period arithmetic. Pure: dates in, answers out."""

import calendar
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from reminders.models import Reason

IDLE_FIRST_DAYS = 14
IDLE_SECOND_DAYS = 30
COURSE_EXPIRY_DAYS = 30
AUTHOR_EXPIRY_FIRST_DAYS = 90
AUTHOR_EXPIRY_SECOND_DAYS = 30
RENEWAL_DAYS = 60


def idle_reason(*, last_active: date, today: date) -> Reason | None:
    """The idle reminder due for a course last touched on `last_active`.

    Only the later one when both apply: a job that did not run on day 14 does not send the
    14-day reminder on day 31 next to the 30-day one.
    """
    idle_days = (today - last_active).days
    if idle_days >= IDLE_SECOND_DAYS:
        return Reason.IDLE_30
    if idle_days >= IDLE_FIRST_DAYS:
        return Reason.IDLE_14
    return None


def days_until(day: date, *, today: date) -> int:
    return (day - today).days


def course_expiry_due(*, expiry_date: date, today: date) -> bool:
    """Within 30 days of the last day the course gives credit (and not past it)."""
    return 0 <= days_until(expiry_date, today=today) <= COURSE_EXPIRY_DAYS


def author_expiry_reason(*, expiry_date: date, today: date) -> Reason | None:
    left = days_until(expiry_date, today=today)
    if 0 <= left <= AUTHOR_EXPIRY_SECOND_DAYS:
        return Reason.AUTHOR_EXPIRY_30
    if AUTHOR_EXPIRY_SECOND_DAYS < left <= AUTHOR_EXPIRY_FIRST_DAYS:
        return Reason.AUTHOR_EXPIRY_90
    return None


def renewal_due(*, renewal_date: date, today: date) -> bool:
    return 0 <= days_until(renewal_date, today=today) <= RENEWAL_DAYS


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier; the 31st becomes the month's last day when needed."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewal_period(*, renewal_date: date, period_months: int) -> tuple[date, date]:
    """(first day, last day) of the renewal period that ends on `renewal_date`.

    A biennium ending 2027-01-31 runs 2025-02-01 to 2027-01-31: the day after the previous
    renewal through the renewal date itself.
    """
    previous = months_before(renewal_date, period_months)
    return date.fromordinal(previous.toordinal() + 1), renewal_date


def hours_in_period(completions: Iterable[tuple[date, Decimal]], *, start: date, end: date) -> Decimal:
    """Contact hours of the (completion date, hours) pairs completed from `start` to `end` inclusive."""
    return sum((hours for day, hours in completions if start <= day <= end), Decimal("0.00"))
