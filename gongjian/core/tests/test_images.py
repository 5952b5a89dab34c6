"""The photo cleaner: only real JPEG/PNG/WebP images pass, metadata (GPS!) is gone, limits hold."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, PngImagePlugin

from gongjian.core.errors import ValidationError
from gongjian.core.images import CleanImage, ImageRejected, clean_image, random_name

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def _jpeg_with_gps(size: tuple[int, int] = (64, 32), orientation: int | None = None) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber (ExifIFD in reality; here top level)
    exif[GPS_IFD] = {1: "N", 2: (34.0, 45.0, 12.5), 3: "E", 4: (113.0, 38.0, 1.2)}
    if orientation:
        exif[ORIENTATION] = orientation
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif.tobytes(), quality=90)
    return buf.getvalue()


def _png_with_text() -> bytes:
    im = Image.new("RGBA", (40, 40), (0, 128, 0, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: 淮河路 12 号")
    info.add_text("GPS", "34.75,113.63")
    buf = io.BytesIO()
    im.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def _webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 0, 255)).save(buf, format="WEBP")
    return buf.getvalue()


def _zh(exc: Exception) -> str:
    with translation.override("zh-hans"):
        return str(getattr(exc, "message", exc))


def test_gps_and_every_exif_tag_are_removed_from_a_jpeg():
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS_IFD)  # the fixture really carries a position
    out = clean_image(SimpleUploadedFile("IMG_0001.jpg", raw, content_type="image/jpeg"))
    assert isinstance(out, CleanImage)
    assert (out.format, out.content_type, out.extension, out.width, out.height) == ("JPEG", "image/jpeg", "jpg", 64, 32)
    assert out.size == len(out.content) > 0
    again = Image.open(io.BytesIO(out.content))
    assert len(again.getexif()) == 0 and not again.getexif().get_ifd(GPS_IFD)
    assert "exif" not in again.info and "icc_profile" not in again.info
    assert b"PhoneMaker" not in out.content and b"SERIAL-123456" not in out.content and b"Exif" not in out.content


def test_exif_orientation_is_applied_to_the_pixels_before_it_is_dropped():
    out = clean_image(_jpeg_with_gps(size=(64, 32), orientation=6))  # 6 = rotate 90° clockwise for display
    assert (out.width, out.height) == (32, 64)
    assert Image.open(io.BytesIO(out.content)).getexif().get(ORIENTATION) is None


def test_png_text_chunks_are_removed_and_transparency_kept():
    out = clean_image(io.BytesIO(_png_with_text()))
    assert out.format == "PNG" and out.content_type == "image/png"
    again = Image.open(io.BytesIO(out.content))
    assert again.mode == "RGBA" and not getattr(again, "text", {})
    assert "淮河路".encode() not in out.content and b"home address" not in out.content


def test_webp_is_accepted():
    out = clean_image(_webp())
    assert (out.format, out.extension, out.width, out.height) == ("WEBP", "webp", 30, 20)


@pytest.mark.parametrize("name, payload", [
    ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),  # a Windows .exe renamed
    ("photo.png", b"<html><script>alert(1)</script></html>"),
    ("photo.jpg", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"),
    ("photo.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
                  b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),  # a real GIF: not an accepted format
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 10),
])
def test_anything_that_is_not_a_jpeg_png_or_webp_is_refused_whatever_its_name(name, payload):
    with pytest.raises(ImageRejected) as exc:
        clean_image(SimpleUploadedFile(name, payload, content_type="image/jpeg"), field="photos")
    assert isinstance(exc.value, ValidationError) and exc.value.status == 400
    assert list(exc.value.details) == ["photos"]
    assert "照片" in _zh(exc.value) or "图片" in _zh(exc.value)


def test_a_bmp_and_a_tiff_are_refused():
    for fmt in ("BMP", "TIFF"):
        buf = io.BytesIO()
        Image.new("RGB", (20, 20)).save(buf, format=fmt)
        with pytest.raises(ImageRejected):
            clean_image(buf.getvalue())


def test_a_truncated_image_is_refused():
    raw = io.BytesIO()
    Image.effect_noise((200, 200), 64).convert("RGB").save(raw, format="JPEG", quality=95)
    data = raw.getvalue()
    with pytest.raises(ImageRejected) as exc:
        clean_image(data[: len(data) // 2])
    assert "损坏" in _zh(exc.value) or "不完整" in _zh(exc.value)
    png = io.BytesIO()
    Image.effect_noise((200, 200), 64).save(png, format="PNG")
    with pytest.raises(ImageRejected):
        clean_image(png.getvalue()[:-200])


def test_empty_file_is_refused():
    with pytest.raises(ImageRejected) as exc:
        clean_image(SimpleUploadedFile("a.jpg", b""))
    assert "空" in _zh(exc.value)


def test_too_many_bytes_is_refused_before_decoding():
    raw = _jpeg_with_gps()
    with pytest.raises(ImageRejected) as exc:
        clean_image(raw, max_bytes=len(raw) - 1)
    assert "MB" in _zh(exc.value) or "KB" in _zh(exc.value)
    # a stream without a declared size is read only up to the limit
    with pytest.raises(ImageRejected):
        clean_image(io.BytesIO(b"\xff" * (3 * 1024 * 1024)), max_bytes=1024 * 1024)


def test_the_declared_size_of_an_upload_is_checked_first():
    upload = SimpleUploadedFile("big.jpg", b"x", content_type="image/jpeg")
    upload.size = 9 * 1024 * 1024
    with pytest.raises(ImageRejected) as exc:
        clean_image(upload)
    assert "8 MB" in _zh(exc.value)


def test_a_decompression_bomb_is_refused_by_its_pixel_count():
    # a 10000 × 10000 single-colour PNG compresses to a few KB but would take 100 MP of memory
    buf = io.BytesIO()
    Image.new("L", (10000, 10000)).save(buf, format="PNG", optimize=True)
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(ImageRejected) as exc:
        clean_image(buf.getvalue())
    assert "像素" in _zh(exc.value)
    small = io.BytesIO()
    Image.new("L", (100, 100)).save(small, format="PNG")
    with pytest.raises(ImageRejected):
        clean_image(small.getvalue(), max_pixels=5_000)


def test_large_photos_are_scaled_down_to_the_longest_side():
    buf = io.BytesIO()
    Image.new("RGB", (3000, 1500), (10, 10, 10)).save(buf, format="JPEG")
    out = clean_image(buf.getvalue(), max_side=1000)
    assert (out.width, out.height) == (1000, 500)


def test_a_tiny_image_is_refused():
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, format="PNG")
    with pytest.raises(ImageRejected):
        clean_image(buf.getvalue())


def test_random_names_reveal_nothing_and_do_not_repeat():
    names = {random_name("jpg") for _i in range(50)}
    assert len(names) == 50
    assert all(n.endswith(".jpg") and len(n) == 36 and "/" not in n for n in names)
    assert clean_image(_webp()).random_name().endswith(".webp")


def test_save_image_stores_the_clean_bytes_under_a_random_name(tmp_path):
    from django.core.files.storage import FileSystemStorage

    from gongjian.core.images import save_image

    storage = FileSystemStorage(location=tmp_path)
    img = clean_image(SimpleUploadedFile("我的家门口.jpg", _jpeg_with_gps()))
    name = save_image(img, directory="/patrols/7/", storage=storage)
    assert name.startswith("patrols/7/") and name.endswith(".jpg") and "家门口" not in name
    assert (tmp_path / name).read_bytes() == img.content
    assert save_image(img, directory="patrols/7", storage=storage) != name
