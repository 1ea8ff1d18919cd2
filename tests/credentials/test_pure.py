"""The pure pieces: the identity hash, the status bits, the index spread (no database)."""

from credentials import status_bits
from credentials.document import hours_number, identity_hash
from tests.credentials.conftest import status_bit


def test_identity_hash_matches_the_spec_example():
    # OB 3.0 IdentityHash: 'a@example.com' salted with 'Kosher'.
    assert identity_hash("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_encoded_list_sets_exactly_the_given_bits_left_most_first():
    encoded = status_bits.encode([0, 9, 131071], status_bits.MINIMUM_ENTRIES)
    raw = status_bits.decode(encoded)
    assert len(raw) == 16 * 1024
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    assert sum(bin(byte).count("1") for byte in raw) == 3
    # Read again by the independent reader the integration tests use.
    assert [status_bit(encoded, index) for index in (0, 1, 9, 131071)] == [1, 0, 1, 1]


def test_same_bits_give_the_same_encoded_list():
    assert status_bits.encode([5], 131072) == status_bits.encode([5], 131072)


def test_index_spread_gives_every_position_its_own_index():
    size = status_bits.MINIMUM_ENTRIES
    indexes = {status_bits.index_at(n, size=size, stride=40_001, offset=1234) for n in range(size)}
    assert len(indexes) == size
    first = [status_bits.index_at(n, size=size, stride=40_001, offset=1234) for n in range(3)]
    assert first == [1234, 41235, 81236]  # not 0, 1, 2: the order of issue does not show


def test_contact_hours_are_json_numbers_without_trailing_zeros():
    from decimal import Decimal

    assert hours_number(Decimal("1.50")) == 1.5
    assert hours_number(Decimal("2.00")) == 2 and isinstance(hours_number(Decimal("2.00")), int)


def test_a_completion_date_starts_at_midnight_where_the_provider_is():
    from datetime import date
    from zoneinfo import ZoneInfo

    from credentials.document import date_time

    assert date_time(date(2026, 3, 14)) == "2026-03-14T00:00:00Z"
    assert date_time(date(2026, 3, 14), ZoneInfo("America/New_York")) == "2026-03-14T04:00:00Z"
    # East of UTC the day starts the evening before in UTC: never in the future for a verifier.
    assert date_time(date(2026, 3, 14), ZoneInfo("Asia/Tokyo")) == "2026-03-13T15:00:00Z"
