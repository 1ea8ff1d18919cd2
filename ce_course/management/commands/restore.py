import gzip
import hashlib
import tempfile
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from certificates.models import Certificate
from reports import summary


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup written by `manage.py backup`, then check that "
        "every certificate's stored PDF still matches its SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing the data")

    def handle(self, *args, file, yes=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        if not yes and input(f"Replace ALL data with {path}? Type 'yes': ").strip() != "yes":
            raise CommandError("Restore cancelled.")
        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / "backup.json"
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as source, plain.open("wb") as target:
                target.write(source.read())
            with transaction.atomic():
                call_command("flush", interactive=False, verbosity=0)
                # flush re-creates the role groups (post_migrate); the backup brings its own, with its ids.
                Group.objects.all().delete()
                call_command("loaddata", str(plain), verbosity=0)
                # The board's running totals are counted again from the restored rows: a backup made
                # before they existed has none, and dumpdata reads one table after another, so the
                # totals in a file need not match its certificates.
                summary.rebuild()
                # flush sends no signals: cached sessions and users from before the restore must go
                # (the cache is a table in this database, so this is undone with a failed restore).
                cache.clear()
                mismatched = [
                    c.serial
                    for c in Certificate.objects.only("serial", "pdf", "pdf_sha256").iterator(chunk_size=200)
                    if hashlib.sha256(bytes(c.pdf)).hexdigest() != c.pdf_sha256
                ]
                if mismatched:
                    # Rolled back: a restore that breaks certificates must not replace good data.
                    raise CommandError(
                        f"Certificates whose PDF no longer matches its hash: {', '.join(mismatched[:20])}"
                    )
        count = Certificate.objects.count()
        self.stdout.write(
            self.style.SUCCESS(f"Restored {path}: {count} certificates, every PDF hash checked.")
        )
