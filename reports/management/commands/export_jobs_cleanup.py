from django.core.management.base import BaseCommand

from reports.jobs import export_jobs_expire


class Command(BaseCommand):
    help = (
        "Delete the files of background exports older than EXPORT_JOB_KEEP_DAYS (the job rows stay), "
        "and mark exports whose worker died as failed. Every export also does this when it finishes; "
        "run it daily so a quiet site deletes its files on time too."
    )

    def handle(self, *args, **options):
        deleted = export_jobs_expire()
        self.stdout.write(f"Deleted {deleted} expired export file(s).")
