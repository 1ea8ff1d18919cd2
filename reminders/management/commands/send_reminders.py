"""Claim and enqueue today's reminders. Run it once a day from cron or a systemd timer (README "Reminders").

Safe to run twice, or on two machines at once: each reminder is claimed by inserting its log row,
and a row that exists already is skipped.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reminders.services import reminders_send


class Command(BaseCommand):
    help = "Send the reminder emails due today (idle courses, course expiry, author expiry, license renewal)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this day (YYYY-MM-DD); for catching up.")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must be YYYY-MM-DD: {error}") from error
        counts = reminders_send(today=today)
        by_reason = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.by_reason.items())) or "none"
        self.stdout.write(
            f"Reminders claimed: {counts.claimed} ({by_reason}); already claimed: {counts.already_claimed}; "
            f"unsubscribed: {counts.opted_out}."
        )
