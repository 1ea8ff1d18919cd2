from django.core.management.base import BaseCommand

from lti import keys


class Command(BaseCommand):
    help = (
        "List the tool's LTI keys; --create makes a new signing key (rotation); --prune deletes retired ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="make a new key; it signs from now on")
        parser.add_argument("--prune", action="store_true", help="delete keys past LTI_KEY_OVERLAP_HOURS")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="with --create: only when there is no key yet (make run)",
        )

    def handle(self, *args, create, prune, if_missing, **options):
        if create and not (if_missing and keys.all_keys()):
            key = keys.create_key()
            self.stdout.write(f"Created key {key.kid} in {keys.key_directory()}.")
        if prune:
            for name in keys.prune():
                self.stdout.write(f"Deleted {name}.")
        published = {key.kid for key in keys.published_keys()}
        for index, key in enumerate(keys.all_keys()):
            state = (
                "signing" if index == 0 else ("published (overlap)" if key.kid in published else "retired")
            )
            self.stdout.write(f"{key.kid}  created {key.created_at:%Y-%m-%d %H:%M:%S} UTC  {state}")
