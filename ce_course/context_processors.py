from django.utils.functional import SimpleLazyObject

from accounts.roles import is_board_reviewer


def roles(request):
    """`is_board_reviewer` for the menu: one query, and only when a template asks for it."""
    return {"is_board_reviewer": SimpleLazyObject(lambda: is_board_reviewer(request.user))}
