"""QTI 3.0: the conformance items import (QTI 2.1 ones are reported), what we export validates
against the QTI 3.0 XSDs in ../shared and reads back unchanged, and hostile packages are refused."""

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from quizzes.gift import GiftChoice, GiftQuestion, GiftUnit
from quizzes.qti import export_qti_item, export_qti_package, parse_qti
from tests.conftest import shared_path

SSML_WRONG = b"http://www.w3.org/2010/10/synthesis"
SSML_RIGHT = b"http://www.w3.org/2001/10/synthesis"


class LocalOnly(etree.Resolver):
    """Resolves schema imports to files under xsd/ only; any other address is refused.

    The QTI XSD imports its neighbours by relative path, which lxml has already made absolute
    (file paths inside xsd/); cpext imports xlink by an https URL, mapped to xsd/w3/xlink.xsd.
    The stored ssmlv1p1-core.xsd declares the wrong namespace (SOURCES.md): it is fixed in memory.
    """

    def __init__(self, root):
        super().__init__()
        self.root = root.resolve()

    def resolve(self, url, pubid, context):
        if url.startswith("https://purl.imsglobal.org/spec/w3/1999/schema/xsd/xlink.xsd"):
            return self.resolve_filename(str(self.root / "w3" / "xlink.xsd"), context)
        path = Path(url.removeprefix("file://")).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"schema import outside xsd/: {url}")
        data = path.read_bytes()
        if path.name == "ssmlv1p1-core.xsd":
            data = data.replace(SSML_WRONG, SSML_RIGHT)
        return self.resolve_string(data, context, base_url=str(path))


def schema(*parts):
    root = shared_path("conformance", "qti", "xsd")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalOnly(root))
    document = etree.parse(str(root.joinpath(*parts)), parser)
    return etree.XMLSchema(document)


@pytest.fixture(scope="module")
def item_schema():
    return schema("qtiv3p0", "imsqti_asiv3p0_sbacv1p0_v1p0.xsd")


@pytest.fixture(scope="module")
def manifest_schema():
    return schema("qtiv3p0", "imsqtiv3p0_imscpv1p2_v1p0.xsd")


def sample(name):
    return shared_path("conformance", "qti", name).read_bytes()


def test_the_xsd_set_rejects_a_broken_item(item_schema):
    broken = sample("1edtech_qti3_QTI3-order.xml").replace(b'cardinality="ordered"', b'cardinality="bogus"')
    assert not item_schema.validate(etree.fromstring(broken))


def test_choice_multiple_sample_imports_with_its_correct_answers():
    (q,) = parse_qti(sample("1edtech_qti3_QTI3multiplechoice2.xml")).questions
    assert q.kind == "multiple" and q.id == "QTI3multiplechoice2"
    assert "Which of the following elements are used to form water?" in q.stem
    assert [c.text for c in q.choices if c.is_correct] == ["Hydrogen", "Oxygen"]


def test_order_sample_imports_in_the_correct_order():
    (q,) = parse_qti(sample("1edtech_qti3_QTI3-order.xml")).questions
    assert q.kind == "ordering"
    assert [c.text for c in q.choices] == ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]


def test_match_sample_imports_pairs_and_notes_the_partial_credit_left_out():
    parsed = parse_qti(sample("1edtech_qti3_QTI3-match.xml"))
    (q,) = parsed.questions
    assert q.kind == "matching"
    assert ("Capulet", "Romeo and Juliet") in [(c.text, c.match) for c in q.choices]
    assert "partial credit per pair was not kept" in parsed.notes[0].message


def test_point_per_answer_sample_becomes_weights_over_the_positive_total():
    (q,) = parse_qti(sample("1edtech_qti3_pkg-saxony_Choicemultiple_871212949.xml")).questions
    assert q.kind == "multiple"
    assert [c.weight for c in q.choices] == [
        Decimal("33.3333333"),
        Decimal("33.3333333"),
        Decimal("33.3333333"),
        Decimal("-33.3333333"),
        Decimal("-66.6666667"),
    ]


def test_text_entry_samples_become_typed_missing_words_and_a_numerical_with_relative_tolerance():
    (york,) = parse_qti(sample("1edtech_qti3_pkg-items_text_entry.xml")).questions
    assert (york.kind, york.blank_input) == ("cloze", "text") and "sun of [[blank]];" in " ".join(
        york.stem.split()
    )
    assert "\t" not in york.stem  # an indented line would be a code block in Markdown
    assert [(c.text, c.credit) for c in york.choices] == [("York", 100), ("york", 50)]
    (numeric,) = parse_qti(sample("1edtech_qti3_pkg-saxony_TextEntrynumeric_770468849.xml")).questions
    assert numeric.kind == "numerical"
    (answer,) = numeric.choices
    assert (answer.number, answer.tolerance) == (Decimal("4.136"), Decimal("0.2068"))  # ±5 %


def test_inline_choice_sample_is_a_missing_word_by_choice():
    (q,) = parse_qti(sample("1edtech_qti3_QTI3-inline-choice.xml")).questions
    assert (q.kind, q.blank_input) == ("cloze", "select")
    assert "sun of [[blank]];" in " ".join(q.stem.split())
    assert [c.text for c in q.choices if c.is_correct] == ["York"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("ims_qti21_choice.xml", "this is a QTI 2 item"),
        ("ims_qti21_order.xml", "this is a QTI 2 item"),
        ("1edtech_qti3_pkg-bbqs_SineRule-001.xml", "the item has 2 interactions"),
        ("1edtech_qti3_pkg-saxony_Matchmultiple_1038910213.xml", "images are not imported"),
    ],
)
def test_items_we_cannot_hold_are_reported_clearly(name, message):
    parsed = parse_qti(sample(name))
    assert parsed.questions == ()
    assert message in parsed.problems[0].message


def choice(text, correct, weight=None, **more):
    return GiftChoice(text, correct, weight, None, None, "plain", None, **more)


BANK = [
    GiftQuestion(0, "single", "Origin", "<p>Where is the origin?</p>", "html",
                 (choice("Ischial tuberosity", True), choice("Trochanter", False)), category="c/anatomy", id="origin"),
    GiftQuestion(0, "single", "Partial", "<p>Best?</p>", "html",
                 (choice("Best", True), choice("Half", False, Decimal(50)), choice("No", False)), category="c/t", id="partial"),
    GiftQuestion(0, "true_false", "TF", "<p>Deep buttock pain.</p>", "html",
                 (choice("True", True), choice("False", False)), true_false_answer=True, category="c/t", id="tf"),
    GiftQuestion(0, "multiple", "Multi", "<p>Which apply?</p>", "html",
                 (choice("A", True), choice("B", True), choice("C", False)), category="c/t", id="multi"),
    GiftQuestion(0, "multiple", "Weighted", "<p>Weighted?</p>", "html",
                 (choice("A", False, Decimal(60)), choice("B", False, Decimal(40)), choice("C", False, Decimal(-50))),
                 category="c/t", id="weighted"),
    GiftQuestion(0, "ordering", "Order", "<p>Put in order.</p>", "html",
                 (choice("First", True), choice("Second", True), choice("Third", True)), category="c/t", id="order"),
    GiftQuestion(0, "matching", "Match", "<p>Match them.</p>", "html",
                 (GiftChoice("Semimembranosus", True, None, None, "medial", "plain", None),
                  GiftChoice("Biceps femoris", True, None, None, "lateral", "plain", None),
                  GiftChoice("", True, None, None, "anterior", "plain", None)), category="c/t", id="match"),
    GiftQuestion(0, "short_answer", "Short", "<p>Name the muscle group.</p>", "html",
                 (choice("hamstrings", True), choice("hamstring", True, Decimal(50))), category="c/t", id="short"),
    GiftQuestion(0, "cloze", "Blank", "<p>Pain sits at the [[blank]] tuberosity.</p>", "html",
                 (choice("ischial", True), choice("tibial", False)), category="c/t", id="blank"),
    GiftQuestion(0, "numerical", "Number", "<p>Percent relieved at six months: [[blank]]</p>", "html",
                 (choice("", True, number=Decimal(38), tolerance=Decimal("0.5")),
                  choice("", True, Decimal(50), number=Decimal(40), tolerance=Decimal(1))), category="c/t", id="number"),
    GiftQuestion(0, "cloze", "Typed", "<p>The [[blank]] stretch loads the tendon.</p>", "html",
                 (choice("bent-knee", True),), blank_input="text", category="c/t", id="typed"),
]  # fmt: skip


@pytest.mark.parametrize("question", BANK, ids=lambda q: q.id)
def test_each_kind_exports_a_valid_item_that_reads_back_unchanged(question, item_schema):
    data = export_qti_item(
        question, identifier=question.id, stem_html=question.stem, rationale_html="<p>Why.</p>"
    )
    document = etree.fromstring(data)
    assert item_schema.validate(document), item_schema.error_log
    parsed = parse_qti(data)
    assert parsed.problems == ()
    (back,) = parsed.questions
    expected = question.__class__(**{**question.__dict__, "general_feedback": "<p>Why.</p>",
                                     "general_feedback_format": "html"})  # fmt: skip
    assert back == expected


def test_numerical_with_units_is_refused_not_written_wrong():
    q = GiftQuestion(0, "numerical", None, "<p>Dose?</p>", "html", (choice("", True, number=Decimal(3)),),
                     units=(GiftUnit("mg"),), unit_handling="graded")  # fmt: skip
    with pytest.raises(ValueError, match="units"):
        export_qti_item(q, identifier="dose", stem_html=q.stem)


def test_package_manifest_validates_and_the_package_reads_back(manifest_schema):
    items = [(q.id, export_qti_item(q, identifier=q.id, stem_html=q.stem)) for q in BANK]
    package = export_qti_package(items)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    assert manifest_schema.validate(manifest), manifest_schema.error_log
    parsed = parse_qti(package)
    assert parsed.problems == ()
    assert [q.id for q in parsed.questions] == [q.id for q in BANK]


def test_the_sample_manifest_validates_with_the_same_schema(manifest_schema):
    assert manifest_schema.validate(etree.fromstring(sample("1edtech_qti3_pkg-saxony_imsmanifest.xml")))


def zipped(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "package, message",
    [
        (zipped([("../evil.xml", b"<x/>")]), "points outside the package"),
        (zipped([("/etc/passwd", b"x")]), "points outside the package"),
        (zipped([("bomb.xml", b"\0" * 30_000_000)]), "zip bomb"),
        (zipped([(f"f{n}.xml", b"") for n in range(5_001)], zipfile.ZIP_STORED), "the limit is 5,000"),
        (b"PK\x03\x04 not really a zip", "the ZIP package cannot be read"),
        (zipped([("imsmanifest.xml", b"<!DOCTYPE m [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><m>&e;</m>")]),
         "declares a document type"),
    ],
)  # fmt: skip
def test_hostile_packages_are_refused_whole(package, message):
    parsed = parse_qti(package)
    assert parsed.questions == ()
    assert message in parsed.problems[0].message


def test_a_package_of_as_many_items_as_an_import_takes_reads_whole():
    item = export_qti_item(BANK[0], identifier="origin", stem_html=BANK[0].stem)
    package = export_qti_package([(f"q{n}", item) for n in range(2_000)])  # plus the manifest
    parsed = parse_qti(package)
    assert parsed.problems == () and len(parsed.questions) == 2_000


def _manifest_listing(href, times):
    resource = f'<resource identifier="R" type="imsqti_item_xmlv3p0" href="{href}"/>'
    return f"<manifest><resources>{resource * times}</resources></manifest>".encode()


def test_an_item_listed_again_and_again_in_the_manifest_is_read_and_imported_once(monkeypatch):
    item = export_qti_item(BANK[0], identifier="origin", stem_html=BANK[0].stem)
    package = zipped(
        [("imsmanifest.xml", _manifest_listing("items/origin.xml", 2_000)), ("items/origin.xml", item)]
    )
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k),
    )
    parsed = parse_qti(package)
    assert parsed.problems == () and len(parsed.questions) == 1
    assert opened == ["imsmanifest.xml", "items/origin.xml"]


def test_the_bytes_actually_unpacked_count_against_the_limit_not_the_sizes_headers_declare(monkeypatch):
    items = [
        (f"q{n}", export_qti_item(BANK[0], identifier=f"q{n}", stem_html=BANK[0].stem)) for n in range(3)
    ]
    package = export_qti_package(items)
    monkeypatch.setattr("quizzes.qti.MAX_UNPACKED_BYTES", len(items[0][1]) * 2)

    def lying_infolist(self):  # every header claims an empty entry; reading inflates the real bytes
        return [zipfile.ZipInfo(info.filename) for info in self.filelist]

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying_infolist)
    parsed = parse_qti(package)
    assert parsed.questions == ()
    assert "unpacks to more than" in parsed.problems[0].message
