"""Photos uploaded by people: checked by content, cleaned of metadata, stored under a random name.

One cleaner for every module (project progress photos, patrol photos, matter attachments):

* the file must really be a JPEG, PNG or WebP image — decided by decoding it with Pillow, never by
  its name or the content type the browser sent (a renamed ``.exe``, an HTML page or a truncated
  image is refused);
* the bytes are limited (``max_bytes``) before anything is decoded, and the pixel count
  (``max_pixels``) before the pixels are decompressed, so a small "decompression bomb" cannot
  take the server's memory;
* the EXIF orientation is applied to the pixels, then the image is encoded again from its pixels
  alone: EXIF (incl. GPS position and camera serial numbers), XMP, IPTC, ICC profiles and PNG
  text chunks are all dropped;
* very large photos are scaled down to ``max_side`` pixels on the long side (phones take 12–50 MP
  photos; a progress photo needs far less).

``clean_image`` returns the new bytes with their format, size and dimensions; ``random_name`` gives
the storage name (a random token and the verified format's extension — never the uploader's name).
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .errors import ValidationError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 MP: more than any phone camera's photo, far less than a bomb's
MAX_SIDE = 2560
MIN_SIDE = 8

# Pillow format name → (content type, extension, Pillow save options)
FORMATS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "JPEG": ("image/jpeg", "jpg", {"quality": 85, "optimize": True}),
    "PNG": ("image/png", "png", {"optimize": True}),
    "WEBP": ("image/webp", "webp", {"quality": 85, "method": 4}),
}
_READ_CHUNK = 64 * 1024


class ImageRejected(ValidationError):
    """The upload is not an acceptable photo (not an image, wrong format, too large, damaged)."""

    code = "invalid_image"


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    format: str  # "JPEG" | "PNG" | "WEBP"
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.content)

    def random_name(self) -> str:
        return random_name(self.extension)


def save_image(image: CleanImage, *, directory: str, storage: Any = None) -> str:
    """Store a cleaned image under ``directory`` with a random name; returns the stored name.

    For records without a ``FileField``; a model's ``FileField`` saves with ``field.save(image.random_name(),
    ContentFile(image.content))`` instead. Serve stored photos through a view that checks the scope, never
    from a public media URL.
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    st = storage or default_storage
    return str(st.save(f"{directory.strip('/')}/{image.random_name()}", ContentFile(image.content)))


def random_name(extension: str) -> str:
    """A storage file name that says nothing about the uploader or the photo."""
    return f"{secrets.token_hex(16)}.{extension}"


def _size_text(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def _reject(field: str, message: Any) -> ImageRejected:
    return ImageRejected(message, details={field: [message]})


def read_limited(upload: Any, limit: int, *, field: str = "photo") -> bytes:
    """The upload's bytes, refusing (without reading further) anything beyond ``limit``."""
    if isinstance(upload, bytes | bytearray | memoryview):
        data = bytes(upload)
        if len(data) > limit:
            raise _reject(field, _("The photo is larger than %(limit)s.") % {"limit": _size_text(limit)})
        return data
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _reject(field, _("The photo is larger than %(limit)s.") % {"limit": _size_text(limit)})
    stream: IO[bytes] = upload
    if hasattr(upload, "seek"):
        try:
            upload.seek(0)
        except (OSError, ValueError):
            pass
    buf = io.BytesIO()
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        buf.write(chunk)
        if buf.tell() > limit:
            raise _reject(field, _("The photo is larger than %(limit)s.") % {"limit": _size_text(limit)})
    return buf.getvalue()


def _open(data: bytes, field: str, max_pixels: int) -> Image.Image:
    not_image = _("This file is not a photo. Upload a JPEG, PNG or WebP image.")
    if not data:
        raise _reject(field, _("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError:
        raise _reject(field, not_image) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _reject(field, _("The photo has too many pixels.")) from None
    except Exception:  # noqa: BLE001 - any decoder failure on hostile bytes is a refusal, not a crash
        raise _reject(field, not_image) from None
    if im.format not in FORMATS:
        raise _reject(field, not_image)
    width, height = im.size
    if width * height > max_pixels:
        raise _reject(field, _("The photo has too many pixels (at most %(n)s million).") % {"n": max_pixels // 1_000_000})
    if min(width, height) < MIN_SIDE:
        raise _reject(field, _("The photo is too small (at least %(n)s pixels on each side).") % {"n": MIN_SIDE})
    return im


def clean_image(upload: Any, *, field: str = "photo", max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
                max_side: int | None = MAX_SIDE) -> CleanImage:
    """Check ``upload`` (an uploaded file, a file object or bytes) and return it re-encoded without metadata.

    Raises ``ImageRejected`` (a ``ValidationError`` on ``field``) with a message for the person who
    uploaded it; nothing is stored here.
    """
    data = read_limited(upload, max_bytes, field=field)
    damaged = _("The photo is damaged or incomplete; take it again or choose another file.")
    # 1. a cheap structural check of the whole file (truncated or corrupt data fails here or in load)
    im = _open(data, field, max_pixels)
    try:
        im.verify()
    except Exception:  # noqa: BLE001
        raise _reject(field, damaged) from None
    # 2. decode the pixels for real (verify() leaves the image unusable, so open again)
    im = _open(data, field, max_pixels)
    fmt = str(im.format)
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im.seek(0)  # an animated image keeps its first frame
            im.load()
            im = ImageOps.exif_transpose(im) or im
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _reject(field, _("The photo has too many pixels.")) from None
    except Exception:  # noqa: BLE001
        raise _reject(field, damaged) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    im = _pixels_only(im, fmt)
    if max_side and max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    content_type, extension, options = FORMATS[fmt]
    out = io.BytesIO()
    im.save(out, format=fmt, **options)  # no exif=, icc_profile=, pnginfo=: nothing but pixels is written
    return CleanImage(content=out.getvalue(), format=fmt, content_type=content_type, extension=extension,
                      width=im.size[0], height=im.size[1])


def _pixels_only(im: Image.Image, fmt: str) -> Image.Image:
    """A fresh image holding only the pixels, in a mode the format can store."""
    if fmt == "JPEG":
        mode = "L" if im.mode in ("1", "L", "LA", "I;16") else "RGB"
    elif im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        mode = "RGBA"
    elif fmt == "PNG" and im.mode in ("1", "L"):
        mode = "L"
    else:
        mode = "RGB"
    if im.mode == "P" and mode == "RGB" and "transparency" in im.info:
        im = im.convert("RGBA")
    converted = im.convert(mode)
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean
