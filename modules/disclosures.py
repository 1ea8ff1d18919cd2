"""Disclosure and accreditation wording generated from records. Pure: no database.

The ANCC statement templates follow the wording ANCC's Primary Accreditation manuals give for an
accredited provider and for an approved provider (a unit approved by an accredited approver).
"""

from decimal import Decimal

ACCREDITED_PROVIDER = "accredited_provider"
APPROVED_PROVIDER_UNIT = "approved_provider_unit"
ACCREDITATION_KINDS = [
    (ACCREDITED_PROVIDER, "Accredited provider (ANCC Commission on Accreditation)"),
    (APPROVED_PROVIDER_UNIT, "Approved provider unit (approved by an ANCC-accredited approver)"),
]
NO_COMMERCIAL_SUPPORT = "This activity received no commercial support."


def standard_accreditation_statement(kind, provider_name, accreditation_body):
    """ANCC's statement for the provider's kind of accreditation, for an admin to start from."""
    if kind == APPROVED_PROVIDER_UNIT:
        return (
            f"{provider_name} is approved as a provider of nursing continuing professional development by "
            f"{accreditation_body}, an accredited approver by the American Nurses Credentialing Center's "
            "Commission on Accreditation."
        )
    return (
        f"{provider_name} is accredited as a provider of nursing continuing professional development by "
        "the American Nurses Credentialing Center's Commission on Accreditation."
    )


def money(amount):
    """$1,250.00: two places, thousands separated, as a disclosure prints an amount."""
    return f"${Decimal(amount):,.2f}"


def support_line(supporter_name, amount, in_kind_description):
    """One supporter's sentence: what they gave, in money and/or in kind."""
    parts = []
    if amount is not None:
        parts.append(f"an educational grant of {money(amount)}")
    if in_kind_description.strip():
        parts.append(f"in-kind support ({in_kind_description.strip()})")
    return f"{supporter_name} provided {' and '.join(parts)}."


def commercial_support_text(records):
    """The disclosure learners read before the course, from the CommercialSupport records.

    `records` need .supporter.name, .amount and .in_kind_description. None: the standard sentence.
    """
    if not records:
        return NO_COMMERCIAL_SUPPORT
    lines = [support_line(r.supporter.name, r.amount, r.in_kind_description) for r in records]
    return "This activity received commercial support. " + " ".join(lines)
