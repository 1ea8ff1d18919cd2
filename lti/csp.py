"""The site's Content-Security-Policy with LTI's exceptions. No database.

A page shown inside an LMS frame names that LMS in `frame-ancestors` (the site's policy says
'none'); the deep-linking response form posts to the LMS, so its origin joins `form-action`.
"""

import re

ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")


def policy_with(policy, *, frame_ancestors=(), form_action=()):
    frame = [origin for origin in frame_ancestors if ORIGIN.match(origin)]
    forms = [origin for origin in form_action if ORIGIN.match(origin)]
    directives = []
    for directive in (part.strip() for part in policy.split(";")):
        if not directive:
            continue
        name = directive.split()[0]
        if name == "frame-ancestors" and frame:
            directive = "frame-ancestors " + " ".join(frame)
        elif name == "form-action" and forms:
            directive = directive + " " + " ".join(forms)
        directives.append(directive)
    return "; ".join(directives)
