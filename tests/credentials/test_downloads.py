"""The nurse's downloads: JSON, VC-JWT and the baked badge; nobody else gets them."""

import io
import struct
import zlib
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from PIL import Image

from tests.conftest import login

pytestmark = pytest.mark.django_db

DOWNLOADS = ["credential_json", "credential_jwt", "credential_badge", "credential_badge_svg"]


def png_itxt_chunks(content):
    """{keyword: text} of every iTXt chunk, read from the PNG byte layout (RFC 2083 / PNG spec 11.3.4.5)."""
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(content):
        (length,) = struct.unpack(">I", content[position : position + 4])
        kind = content[position + 4 : position + 8]
        data = content[position + 8 : position + 8 + length]
        assert struct.unpack(">I", content[position + 8 + length : position + 12 + length])[0] == zlib.crc32(
            kind + data
        )
        if kind == b"iTXt":
            keyword, rest = data.split(b"\0", 1)
            compressed, _method, rest = rest[0], rest[1], rest[2:]
            _language, rest = rest.split(b"\0", 1)
            _translated, text = rest.split(b"\0", 1)
            chunks[keyword.decode("latin-1")] = (zlib.decompress(text) if compressed else text).decode(
                "utf-8"
            )
        position += 12 + length
    return chunks


def test_owner_downloads_json_jwt_and_a_badge_carrying_the_signed_credential(client, issued_credential):
    serial = issued_credential.certificate.serial
    login(client, issued_credential.certificate.user)
    as_json = client.get(reverse("credential_json", args=[serial]))
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert as_json.content.decode() == issued_credential.document
    assert f'filename="credential-{serial}.json"' in as_json["Content-Disposition"]
    as_jwt = client.get(reverse("credential_jwt", args=[serial]))
    assert as_jwt.content.decode() == issued_credential.jws
    badge = client.get(reverse("credential_badge", args=[serial]))
    assert badge["Content-Type"] == "image/png"
    assert png_itxt_chunks(badge.content) == {"openbadgecredential": issued_credential.jws}
    assert Image.open(io.BytesIO(badge.content)).size == (400, 400)
    svg = client.get(reverse("credential_badge_svg", args=[serial]))
    assert svg["Content-Type"] == "image/svg+xml"
    root = ElementTree.fromstring(svg.content)  # noqa: S314 (our own output, in a test)
    # OB 3.0 SVG baking: the credential element comes first, its `verify` attribute the JWS.
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root[0].tag == "{https://purl.imsglobal.org/ob/v3p0}credential"
    assert root[0].attrib == {"verify": issued_credential.jws}
    assert len(root.findall("{https://purl.imsglobal.org/ob/v3p0}credential")) == 1


def test_certificate_page_links_the_downloads(client, issued_credential, course):
    login(client, issued_credential.certificate.user)
    page = client.get(reverse("certificate", args=[course.slug])).content.decode()
    for name in DOWNLOADS:
        assert reverse(name, args=[issued_credential.certificate.serial]) in page


@pytest.mark.parametrize("name", DOWNLOADS)
def test_another_learner_gets_404_and_anonymous_is_sent_to_log_in(
    client, issued_credential, other_learner, name
):
    path = reverse(name, args=[issued_credential.certificate.serial])
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    login(client, other_learner)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", DOWNLOADS)
def test_board_reviewer_may_download_and_post_is_refused(client, issued_credential, board, name):
    path = reverse(name, args=[issued_credential.certificate.serial])
    login(client, board)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 405


def test_unknown_serial_is_404(client, learner):
    login(client, learner)
    assert client.get(reverse("credential_json", args=["CE-2026-NOPE"])).status_code == 404
