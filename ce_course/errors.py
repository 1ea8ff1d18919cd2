"""Error pages that never show a traceback and never need the database.

A lost database connection surfaces as a DatabaseError anywhere (a view, the session or auth
middleware); Django then calls handler500 while the exception is being handled, so we can tell
"the database is gone" (503: try again shortly) from a bug (500).
"""

import logging
import sys

from django.db import DatabaseError
from django.http import HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)


def _plain(template, status):
    # Rendered without a request: no context processor may touch the database or the session.
    response = HttpResponse(loader.render_to_string(template), status=status)
    if status == 503:
        response["Retry-After"] = "30"
    return response


def server_error(request):
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        logger.error("Database unavailable: %s", error)
        return _plain("503.html", 503)
    return _plain("500.html", 500)
