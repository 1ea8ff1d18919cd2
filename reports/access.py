"""Who may see the board's reports: the "CE board" group and superusers. Everyone else gets 404."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.roles import is_author, is_board_reviewer


def board_required(view):
    """404 (not 403) for signed-in users outside the CE board, so the reports' existence does not leak."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_board_reviewer(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def board_or_author_required(view):
    """Item statistics serve authors improving their questions as well as the board."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (is_board_reviewer(request.user) or is_author(request.user)):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper
