"""manage.py rebuild_completion_stats: recompute the board's running totals from the certificates."""

import time

from django.core.management.base import BaseCommand

from reports import summary


class Command(BaseCommand):
    help = (
        "Recompute CompletionStats (the board's counts, hours, means and charts) from every certificate. "
        "Not needed in normal running: certificate issue, revoke and re-issue keep them up to date in "
        "their own transaction. Use it after loading certificates by other means."
    )

    def handle(self, *args, **options):
        began = time.perf_counter()
        counted = summary.rebuild()
        self.stdout.write(f"Counted {counted:,} certificates in {time.perf_counter() - began:.1f} s.")
