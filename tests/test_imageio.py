"""Image I/O: every mode round-trips, and every bad input gives its documented error."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from latent_studio.app.core.imageio import Picture, load_image, rgb8, save_image
from latent_studio.models.errors import ImageReadError, ImageTooLargeError, ImageWriteError


def gradient(height: int = 12, width: int = 16) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 15, y * 20, (x + y) * 7], axis=2).astype(np.uint8)


@pytest.mark.parametrize(
    ("mode", "expected_channels", "expect_gray"),
    [("L", 3, True), ("LA", 4, True), ("RGB", 3, False), ("RGBA", 4, False), ("1", 3, True)],
)
def test_png_modes_load_as_rgb_or_rgba(tmp_path, mode, expected_channels, expect_gray):
    source = Image.fromarray(gradient()).convert(mode)
    path = tmp_path / f"{mode}.png"
    source.save(path)
    picture = load_image(path)
    assert picture.pixels.shape == (12, 16, expected_channels)
    assert picture.pixels.dtype == np.uint8
    assert picture.is_gray == expect_gray
    assert picture.source_mode == mode
    if mode == "RGB":
        np.testing.assert_array_equal(picture.pixels, gradient())


def test_palette_with_transparency_keeps_alpha(tmp_path):
    image = Image.fromarray(gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image.info["transparency"] = 0
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)
    picture = load_image(path)
    assert picture.has_alpha
    assert picture.pixels[..., 3].min() == 0 and picture.pixels[..., 3].max() == 255


def test_palette_without_transparency_is_rgb(tmp_path):
    path = tmp_path / "palette.gif"
    Image.fromarray(gradient()).convert("P").save(path)
    assert load_image(path).pixels.shape == (12, 16, 3)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (8, 6), (0, 255, 255, 0)).save(path, quality=100)  # pure red in CMYK
    picture = load_image(path)
    assert picture.source_mode == "CMYK"
    red, green, blue = picture.pixels[3, 4].astype(int)
    assert red > 200 and green < 60 and blue < 60


def test_16bit_gray_png_keeps_16_bits(tmp_path):
    values = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    path = tmp_path / "gray16.png"
    Image.fromarray(values).save(path)
    picture = load_image(path)
    assert picture.pixels.dtype == np.uint16 and picture.bit_depth == 16
    np.testing.assert_array_equal(picture.pixels[..., 0], values)
    assert picture.is_gray


def test_16bit_rgba_png_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 65536, size=(5, 7, 4), dtype=np.uint16)
    path = tmp_path / "rgba16.png"
    save_image(Picture(pixels), path)
    picture = load_image(path)
    assert picture.pixels.dtype == np.uint16
    np.testing.assert_array_equal(picture.pixels, pixels)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(gradient(4, 8))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes(), quality=100)
    picture = load_image(path)
    assert picture.pixels.shape[:2] == (8, 4)
    reread = Image.Exif()
    reread.load(picture.exif)
    assert reread.get(0x0112) == 1  # saved files must not be rotated a second time


@pytest.mark.parametrize(("suffix", "tolerance"), [(".png", 0), (".tif", 0), (".webp", 12)])
def test_formats_round_trip_with_alpha(tmp_path, suffix, tolerance):
    pixels = np.dstack([gradient(), np.full((12, 16, 1), 128, np.uint8)])
    loaded = load_image(save_image(Picture(pixels), tmp_path / f"out{suffix}")).pixels
    assert loaded.shape == pixels.shape
    assert np.abs(loaded.astype(int) - pixels).max() <= tolerance
    np.testing.assert_array_equal(loaded[..., 3], pixels[..., 3])


def test_jpeg_composites_alpha_on_white(tmp_path):
    pixels = np.zeros((8, 8, 4), np.uint8)  # fully transparent black
    path = save_image(Picture(pixels), tmp_path / "out.jpg")
    loaded = load_image(path)
    assert loaded.pixels.shape == (8, 8, 3)
    assert loaded.pixels.min() >= 250


def test_icc_profile_is_kept(tmp_path):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save_image(Picture(gradient(), icc_profile=profile), tmp_path / "icc.png")
    assert load_image(path).icc_profile == profile


# --- bad inputs: each with its exact, documented message ---------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match=r"nothere\.png does not exist\.$"):
        load_image(tmp_path / "nothere.png")


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert str(info.value) == "empty.png is empty (0 bytes)."


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n")
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert str(info.value) == (
        "notes.png is not an image Latent Studio can read (supported: PNG, JPEG, WebP, TIFF, BMP, GIF)."
    )


def test_truncated_jpeg(tmp_path):
    rng = np.random.default_rng(1)
    full = tmp_path / "full.jpg"
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(full, quality=95)
    path = tmp_path / "cut.jpg"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert str(info.value) == "cut.jpg is truncated: the file ends before the image does."


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size: opening it must fail before any pixel is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_decompression_bomb(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(50_000, 50_000))
    with pytest.raises(ImageTooLargeError) as info:
        load_image(path)
    assert str(info.value) == ("bomb.png is too large to open safely: 2500 megapixels, the limit is 200 megapixels.")


def test_custom_pixel_limit(tmp_path):
    path = tmp_path / "small.png"
    Image.fromarray(gradient()).save(path)
    with pytest.raises(
        ImageTooLargeError, match=r"small.png is too large to open safely: 0 megapixels, the limit is 0 megapixels"
    ):
        load_image(path, max_pixels=100)


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageReadError, match="is a folder, not an image file"):
        load_image(tmp_path)


def test_unknown_output_extension(tmp_path):
    with pytest.raises(ImageWriteError) as info:
        save_image(Picture(gradient()), tmp_path / "out.xyz")
    assert str(info.value) == "Cannot write out.xyz: unknown extension '.xyz' (use .png, .jpg, .webp or .tif)."


def test_unwritable_output_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "out.png"
    with pytest.raises(ImageWriteError, match="does not exist"):
        save_image(Picture(gradient()), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    """If the final rename fails, the previous file is untouched and no temporary file stays behind."""
    target = tmp_path / "out.png"
    save_image(Picture(gradient()), target)
    before = target.read_bytes()

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("latent_studio.app.core.imageio.os.replace", failing_replace)
    with pytest.raises(ImageWriteError, match="No space left on device"):
        save_image(Picture(255 - gradient()), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_encoder_refusal_is_a_write_error_and_leaves_nothing(tmp_path):
    """The encoder writes straight into the temporary file; when it refuses the picture, that file goes too."""
    with pytest.raises(ImageWriteError) as info:
        save_image(Picture(np.zeros((1, 16384, 3), np.uint8)), tmp_path / "wide.webp")
    assert str(info.value) == (
        "Cannot write wide.webp as WEBP: encoding error 5: Image size exceeds WebP limit of 16383 pixels."
    )
    assert list(tmp_path.iterdir()) == []


def test_rgb8_takes_any_pixels_to_8bit_rgb_on_white():
    gray16 = np.full((2, 3), 65535, np.uint16)
    assert rgb8(gray16).shape == (2, 3, 3) and rgb8(gray16).dtype == np.uint8 and (rgb8(gray16) == 255).all()
    half_red = np.zeros((1, 1, 4), np.uint8)
    half_red[..., 0], half_red[..., 3] = 255, 128  # red at 50 % over white
    assert tuple(rgb8(half_red)[0, 0]) == (255, 127, 127)
    one_channel = np.array([[[7]]], np.uint8)
    assert tuple(rgb8(one_channel)[0, 0]) == (7, 7, 7)
