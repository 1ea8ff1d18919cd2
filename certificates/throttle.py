"""How many "check a PDF" uploads one address may make: a fixed window counted in the cache.

The check is public and anonymous and each one reads up to CE_VERIFY_UPLOAD_MAX_BYTES and may
validate a signature, so one address gets CE_VERIFY_PDF_CHECKS_PER_WINDOW checks per
CE_VERIFY_PDF_WINDOW_SECONDS. A fixed window (a counter per address and window number) is enough:
it bounds the work, and a person checking a few certificates never meets it. The count is
approximate on the database cache (its incr is a read then a write), exact on Redis.
"""

import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache


def _window():
    seconds = settings.CE_VERIFY_PDF_WINDOW_SECONDS
    number = int(time.time() // seconds)
    return number, seconds - int(time.time() % seconds)


def verify_pdf_allowed(request):
    """Count this upload against its address; (allowed, seconds until the window ends)."""
    address = get_client_ip_address(request) or "unknown"
    number, seconds_left = _window()
    key = f"verify-pdf:{address}:{number}"
    cache.add(key, 0, timeout=settings.CE_VERIFY_PDF_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=settings.CE_VERIFY_PDF_WINDOW_SECONDS)
        count = 1
    return count <= settings.CE_VERIFY_PDF_CHECKS_PER_WINDOW, seconds_left
