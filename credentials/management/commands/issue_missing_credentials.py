from django.core.management.base import BaseCommand
from django.utils import timezone

from credentials.services import credentials_issue_missing


class Command(BaseCommand):
    help = "Issue an Open Badges credential for every certificate that has none (issued before credentials existed)."

    def handle(self, *args, **options):
        count = credentials_issue_missing(now=timezone.now())
        self.stdout.write(f"Issued {count} credential{'' if count == 1 else 's'}.")
