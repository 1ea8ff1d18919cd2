from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from lti.models import UsedNonce

# Longer than any id_token lives (platforms issue them for minutes): a nonce this old is refused
# as expired before it could be replayed, so its row is no longer needed.
KEEP = timedelta(days=2)


class Command(BaseCommand):
    help = "Delete the record of LTI nonces used more than two days ago (run daily)."

    def handle(self, *args, **options):
        deleted, _ = UsedNonce.objects.filter(used_at__lt=timezone.now() - KEEP).delete()
        self.stdout.write(f"Deleted {deleted} used nonce(s).")
