"""The files of an image folder, for the in-memory and the streamed path alike: what to skip and
why, in the words skipped_files.txt uses (`<class>/<file>\t<reason>`). A FIFO named like an image
would block a read for ever, a link that loops cannot be opened, and a decompression bomb (tiny on
disk, billions of pixels) would exhaust memory: each is skipped and listed, never fatal."""
from __future__ import annotations

import errno
import os
import stat
import warnings
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def list_folder(root) -> tuple[list[str], list[tuple[str, int]], dict]:
    """(classes, [(class/file, class index)], {class/file: why it is skipped}) of an image folder,
    sorted, without opening an image."""
    root = Path(os.path.expanduser(str(root)))
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    files, skipped = [], {}
    for k, c in enumerate(classes):
        for e in sorted(os.scandir(root / c), key=lambda e: e.name):
            if os.path.splitext(e.name)[1].lower() not in IMAGE_SUFFIXES:
                continue
            why = not_a_file(Path(e.path))
            if why:
                skipped[f"{c}/{e.name}"] = why
            else:
                files.append((f"{c}/{e.name}", k))
    return classes, files, skipped


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as an image file, or None when it is a regular file."""
    try:
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symbolic link loop"
        if isinstance(e, FileNotFoundError):
            return "a link to a file that does not exist"
        return f"cannot be read ({e.strerror or e})"
    if stat.S_ISDIR(st.st_mode):
        return "a folder"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a FIFO, socket or device)"
    return None


def open_image(path, max_pixels):
    """PIL's Image.open with decompression bombs refused (past `max_pixels`, PIL's own limit read
    in the main process, so worker processes refuse the same files). Raises ValueError with the reason."""
    from PIL import Image
    why = not_a_file(Path(path))
    if why:
        raise ValueError(why)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ValueError(f"a decompression bomb ({e})") from None
    if max_pixels and im.size[0] * im.size[1] > max_pixels:
        im.close()
        raise ValueError(f"a decompression bomb ({im.size[0]}×{im.size[1]} pixels, over the limit of {max_pixels:,})")
    return im


def reason(e: BaseException) -> str:
    """A skipped file's reason in a few words (PIL's own, first line)."""
    text = str(e).strip().splitlines()
    return (f"{type(e).__name__}: {text[0][:120]}" if text and not isinstance(e, ValueError) else
            text[0][:160] if text else type(e).__name__)
