"""The role groups and the permissions each needs. Synced after every migrate (idempotent)."""

from django.contrib.auth.models import Group, Permission

from accounts.selectors import group_names

AUTHORS = "Authors"
CE_BOARD = "CE board"

# (app_label, model) -> actions. Authors write content; the CE board reads records.
ROLE_PERMISSIONS = {
    AUTHORS: {
        ("modules", "course"): ("add", "change", "view"),
        ("modules", "module"): ("add", "change", "view", "delete"),
        ("modules", "planner"): ("add", "change", "view", "delete"),
        ("modules", "image"): ("add", "change", "view"),
        ("quizzes", "quiz"): ("add", "change", "view"),
        ("quizzes", "drawrule"): ("add", "change", "view", "delete"),
        ("quizzes", "question"): ("add", "change", "view", "delete"),
        ("quizzes", "choice"): ("add", "change", "view", "delete"),
    },
    CE_BOARD: {
        ("modules", "course"): ("view",),
        ("modules", "module"): ("view",),
        ("modules", "enrollment"): ("view",),
        ("modules", "moduleprogress"): ("view",),
        ("quizzes", "quiz"): ("view",),
        ("quizzes", "question"): ("view",),
        ("quizzes", "attempt"): ("view",),
        ("certificates", "certificate"): ("view",),
        ("certificates", "evaluation"): ("view",),
        ("reports", "reportdownload"): ("view",),
        ("reports", "rosterbatch"): ("view",),
    },
}


def ensure_role_groups(**kwargs):
    for group_name, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = []
        for (app_label, model), actions in grants.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
        group.permissions.add(*wanted)


def is_author(user):
    return user.is_authenticated and (user.is_superuser or AUTHORS in group_names(user))


def is_board_reviewer(user):
    return user.is_authenticated and (user.is_superuser or CE_BOARD in group_names(user))
