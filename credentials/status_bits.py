"""The Bitstring Status List's bitstring: building and reading its `encodedList` (no database).

W3C Bitstring Status List v1.0: index 0 is the left-most bit of the first byte; the bitstring is
GZIP-compressed and written as a multibase base64url string (prefix "u", no padding). A list holds
at least 16 KB of bits (131,072 entries) so that one credential's bit hides among many ("herd
privacy"); an almost empty list compresses to a few hundred bytes, so the size costs nothing.
"""

import base64
import gzip

MINIMUM_ENTRIES = 16 * 1024 * 8  # 131,072: the spec's 16 KB minimum


def encode(set_indexes, size):
    """The `encodedList` for a list of `size` bits in which exactly `set_indexes` are 1."""
    if size % 8:
        raise ValueError("The list size must be a whole number of bytes.")
    bits = bytearray(size // 8)
    for index in set_indexes:
        if not 0 <= index < size:
            raise ValueError(f"Status index {index} is outside a list of {size} entries.")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always give the same bytes, so the served list and its ETag are stable.
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded_list):
    """The raw bitstring of an `encodedList` (the inverse of `encode`)."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u').")
    data = encoded_list[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(bitstring, index):
    """The status bit at `index` (0 or 1) of a decoded bitstring."""
    return (bitstring[index // 8] >> (7 - index % 8)) & 1


def index_at(position, *, size, stride, offset):
    """The list index handed out to the `position`-th credential of a list.

    Indexes are spread over the list instead of counting 0, 1, 2..., so that an index does not
    tell a verifier how many credentials came before it (the spec asks for indexes that do not
    reveal the order of issue). `stride` is odd and `size` a power of two, so position ->
    index is a bijection: every position below `size` gets its own index.
    """
    return (position * stride + offset) % size
