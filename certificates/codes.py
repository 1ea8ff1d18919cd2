"""Serials and verification codes. Pure: no database."""

import secrets

# No 0/O, 1/I/L: a nurse reads the code off paper and types it on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12 ≈ 8e17 codes: unguessable by enumeration


def new_verification_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text):
    """What a person typed, as a code: upper case, without spaces, dashes or other punctuation."""
    return "".join(ch for ch in (text or "").upper() if ch.isascii() and ch.isalnum())[:32]


def serial_for(year, number):
    return f"CE-{year}-{number:06d}"
