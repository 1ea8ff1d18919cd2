from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import License, User
from accounts.roles import AUTHORS, CE_BOARD

# Known passwords, so they may exist only on a developer's machine (the command refuses with DEBUG off).
DEMO_ACCOUNTS = [
    {
        "email": "learner@example.com",
        "password": "learner-demo-pass",
        "first_name": "Alice",
        "last_name": "Nguyen",
        "credentials": "RN, BSN",
        "role": "learner",
    },
    {
        "email": "author@example.com",
        "password": "author-demo-pass",
        "first_name": "Andrea",
        "last_name": "Author",
        "credentials": "MSN, RN",
        "role": AUTHORS,
    },
    {
        "email": "board@example.com",
        "password": "board-demo-pass",
        "first_name": "Bernard",
        "last_name": "Board",
        "credentials": "RN",
        "role": CE_BOARD,
    },
    {
        "email": "admin@example.com",
        "password": "admin-demo-pass",
        "first_name": "Ada",
        "last_name": "Admin",
        "credentials": "",
        "role": "admin",
    },
]


class Command(BaseCommand):
    help = (
        "Create the demo learner, author, CE board reviewer and admin (development only; DEBUG must be on)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo accounts with DEBUG off: their passwords are public.")
        created = []
        with transaction.atomic():
            for account in DEMO_ACCOUNTS:
                if User.objects.filter(email__iexact=account["email"]).exists():
                    continue
                user = User.objects.create_user(
                    email=account["email"],
                    password=account["password"],
                    first_name=account["first_name"],
                    last_name=account["last_name"],
                    credentials=account["credentials"],
                )
                role = account["role"]
                if role == "admin":
                    user.is_staff = user.is_superuser = True
                elif role in (AUTHORS, CE_BOARD):
                    user.is_staff = role == AUTHORS  # authors work in the admin
                    user.groups.add(Group.objects.get(name=role))
                else:
                    License.objects.create(
                        user=user, state="FL", number="RN9999999", profession="RN", is_primary=True
                    )
                user.save()
                created.append(account)
        if not created:
            self.stdout.write("Demo accounts already exist (logins are in the README).")
            return
        self.stdout.write("Demo accounts (development only):")
        for account in created:
            self.stdout.write(
                f"  {account['role']:<9} {account['email']:<22} password: {account['password']}"
            )
