"""Why a launch was refused, in words a learner or an LMS admin can act on. No database.

pylti1p3 raises one exception type with a message; `classify` turns that message into one of
REASONS so the page and the audit log name what failed.
"""

REASONS = {
    "bad_signature": "The launch token's signature does not match the platform's published keys.",
    "wrong_audience": "The launch token was issued for another tool (its audience is not this tool's client id).",
    "unknown_issuer": "The launch came from a platform that is not registered here.",
    "unknown_deployment": "The launch names a deployment that is not registered for this platform.",
    "expired": "The launch token has expired. Start the activity again from your LMS.",
    "replayed_nonce": "This launch token was used already (a replayed nonce). Start the activity again from your LMS.",
    "unknown_nonce": "The launch token's nonce was not issued by this site. Start the activity again from your LMS.",
    "missing_claim": "The launch token lacks a claim LTI 1.3 requires (or holds a wrong LTI version).",
    "state_not_found": (
        "This site's cookie did not come back from your browser (it may block cookies inside the LMS frame). "
        "Open the activity in a new window."
    ),
    "unknown_course": "The link does not name a course of this site.",
    "tool_keys_missing": (
        "This site is not ready for LTI launches yet: its administrator must create its key "
        "(manage.py lti_keys --create)."
    ),
    "privileged_account": (
        "Staff, administrator and CE board accounts cannot be signed in from an LMS. "
        "Log in to this site directly with your password."
    ),
    "no_launch": "No LMS launch is in progress, or the LMS was disconnected from this site. Start the activity again from your LMS.",
    "invalid": "The launch request is not a valid LTI 1.3 launch.",
}


def classify(message: str) -> str:
    """The REASONS key for a pylti1p3 error message."""
    text = message.lower()
    if "signature has expired" in text:
        return "expired"
    if "signature verification failed" in text or "unable to find public key" in text:
        return "bad_signature"
    if "missing state param" in text:
        return "state_not_found"
    if "not set in jwt body" in text or "incorrect version" in text or "invalid message type" in text:
        return "missing_claim"
    if (
        "token is missing the" in text
        or "missing" in text
        or "must have a user" in text
        or "is empty" in text
    ):
        return "missing_claim"
    if "not yet valid" in text or "issued in the future" in text:
        return "expired"
    if "invalid nonce" in text:
        return "unknown_nonce"
    if "state not found" in text:
        return "state_not_found"
    if "registration not found" in text or "could not find registration" in text:
        return "unknown_issuer"
    if "client id not registered" in text:
        return "wrong_audience"
    if "unable to find deployment" in text:
        return "unknown_deployment"
    return "invalid"
