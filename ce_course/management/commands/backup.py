import gzip
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

# Rebuilt by migrate (content types, permissions) or worthless after a restore (sessions, log-in
# lock-outs); everything else, certificate PDFs included, is in the backup.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes", "admin.logentry"]


class Command(BaseCommand):
    help = "Write the whole database to a gzipped JSON file that `manage.py restore` reads (any database engine)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default backups/backup-<timestamp>.json.gz)")

    def handle(self, *args, output=None, **options):
        path = Path(output or f"backups/backup-{timezone.now():%Y%m%d-%H%M%S}.json.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".partial")
        with gzip.open(partial, "wt", encoding="utf-8") as stream:
            call_command(
                "dumpdata",
                exclude=EXCLUDED,
                natural_foreign=True,
                natural_primary=False,
                indent=None,
                stdout=stream,
            )
        # Renamed only when complete, so a crash never leaves a truncated file that looks like a backup.
        partial.rename(path)
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path} ({path.stat().st_size:,} bytes)."))
