"""The signed token in every reminder's unsubscribe link.

It names the user, the address the email went to and the category, signed with SECRET_KEY under
a salt of its own (a token from elsewhere in the site, signed with another salt, is refused). It
does not expire: an unsubscribe link must keep working in an old email. Because it carries the
address, a link stops working for an account whose email has since changed: it was not sent to
the address that now receives the reminders.
"""

from dataclasses import dataclass

from django.core import signing

SALT = "reminders.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeClaim:
    user_id: int
    email: str
    category: str


def unsubscribe_token(*, user_id: int, email: str, category: str) -> str:
    return signing.dumps({"u": user_id, "e": email.lower(), "c": category}, salt=SALT, compress=True)


def unsubscribe_claim(token: str) -> UnsubscribeClaim | None:
    """What a token says, or None when it was not signed by us for this purpose (or is malformed)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, email, category = data.get("u"), data.get("e"), data.get("c")
    if not isinstance(user_id, int) or not isinstance(email, str) or not isinstance(category, str):
        return None
    return UnsubscribeClaim(user_id=user_id, email=email, category=category)
