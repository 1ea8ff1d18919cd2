from django.core.management.base import BaseCommand

from certificates import signing_keys


class Command(BaseCommand):
    help = (
        "Create a new signing key and certificate in CE_SIGNING_KEY_DIR. It becomes the key that signs "
        "from now on (a rotation); older keys stay so that what they signed still verifies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--development",
            action="store_true",
            help="mark the self-signed certificate as a development key (its subject says so)",
        )
        parser.add_argument(
            "--common-name",
            default="CE Course certificate signing",
            help="the certificate subject's common name, shown by PDF readers as the signer",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when a key exists already (what `make run` uses)",
        )

    def handle(self, *args, development=False, common_name="", if_missing=False, **options):
        if if_missing and signing_keys.published_keys():
            key = signing_keys.current_key()
            self.stdout.write(f"A signing key exists already: {key.kid} ({key.subject}).")
            return
        key = signing_keys.create_signing_key(common_name=common_name, development=development)
        self.stdout.write(
            f"Created signing key {key.kid} in {signing_keys.key_directory()}: {key.subject}, "
            f"valid from {key.not_before:%Y-%m-%d %H:%M:%S} UTC."
        )
