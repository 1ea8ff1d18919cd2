"""The authoring page's pure part: a split article adjusted by the author. No database.

`split_article` (modules.content) finds the modules at the ## headings; the author may then
retitle them and change their order. Split points are changed by editing the article's headings.
"""

from dataclasses import replace

from modules.content import ContentError

ARTICLE_MAX_BYTES = 1024 * 1024


def article_text(upload_bytes):
    """The uploaded file as text, or ContentError saying why it cannot be used."""
    if len(upload_bytes) > ARTICLE_MAX_BYTES:
        raise ContentError(f"The article is larger than {ARTICLE_MAX_BYTES // 1024} KB.")
    try:
        return upload_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError("The article is not UTF-8 text; save it as UTF-8 Markdown.") from error


def arrange_modules(modules, titles, order):
    """`modules` retitled (a blank title keeps the heading) and sorted by the author's order numbers.

    An author moves a module by giving it the place it should take: on a tie, the module whose
    number was changed goes first, then the article's order.
    """
    if len(titles) != len(modules) or len(order) != len(modules):
        raise ContentError("The article changed since the preview: preview it again.")
    arranged = [
        (position, position == index + 1, index, replace(module, title=(title.strip() or module.title)[:200]))
        for index, (module, title, position) in enumerate(zip(modules, titles, order, strict=True))
    ]
    arranged.sort(key=lambda item: item[:3])
    return [item[3] for item in arranged]
