"""Path converters that only match integers the database can hold.

Django's `<int:...>` matches any run of digits, so `/attempts/9223372036854775808/` reached the
database with a number no column can hold and the driver raised OverflowError (a 500). These
converters refuse such values while resolving, so the URL simply does not match: a 404 before any
query runs. Each converter names the column it feeds, and its range is that column's range
(Django's `integer_field_ranges`, the same on SQLite and PostgreSQL), starting at 1 because ids
and attempt numbers start there.
"""

from django.urls import register_converter


class _BoundedPositiveInt:
    maximum: int
    # No more digits than the maximum has: a megabyte of digits is refused by the regular
    # expression, never converted to a Python int (int() of a long string is quadratic).
    regex: str

    def to_python(self, value):
        number = int(value)
        if not 1 <= number <= self.maximum:
            # ValueError tells the resolver "no match": the request falls through to a 404.
            raise ValueError(f"{value} is outside 1..{self.maximum}")
        return number

    def to_url(self, value):
        number = int(value)
        if not 1 <= number <= self.maximum:
            raise ValueError(f"{value} is outside 1..{self.maximum}")
        return str(number)


class RowId(_BoundedPositiveInt):
    """A primary key: BigAutoField (DEFAULT_AUTO_FIELD), 1..2**63-1."""

    maximum = 2**63 - 1
    regex = "[0-9]{1,19}"


class AttemptNumber(_BoundedPositiveInt):
    """Attempt.number, a PositiveSmallIntegerField: 1..32767."""

    maximum = 32767
    regex = "[0-9]{1,5}"


register_converter(RowId, "id")
register_converter(AttemptNumber, "attempt_number")
