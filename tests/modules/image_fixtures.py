"""Small images and a fixture course folder for the image tests, made in the test run (no binary files)."""

import io
import re
import shutil
from pathlib import Path

from PIL import Image as PillowImage

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"

LABELLED_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300">'
    b"<title>Posterior thigh</title>"
    b'<rect x="10" y="10" width="100" height="50" fill="#fff" stroke="#000"/>'
    b'<text x="20" y="40" font-size="14">Ischial tuberosity</text>'
    b"</svg>"
)


def png_bytes(size=(32, 24), color=(200, 30, 30), **save):
    out = io.BytesIO()
    PillowImage.new("RGB", size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg_bytes(size=(32, 24), color=(30, 30, 200), **save):
    out = io.BytesIO()
    PillowImage.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def course_folder(tmp_path, *, images_toml, files=None, module_text=None):
    """A copy of the shipped course.toml with its modules, plus images.toml and image files."""
    folder = tmp_path / "course"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("images.toml", "images"))
    # The shipped modules place the shipped diagrams; without their images.toml those keys are
    # unknown, so the copies drop the placements (the diagrams have their own tests).
    for module in folder.glob("*.md"):
        text = module.read_text(encoding="utf-8")
        module.write_text(re.sub(r"(?m)^\[\[image:[^\]]+\]\]\n", "", text), encoding="utf-8")
    (folder / "images.toml").write_text(images_toml, encoding="utf-8")
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if module_text is not None:
        (folder / "01-overview.md").write_text(module_text, encoding="utf-8")
    return folder
