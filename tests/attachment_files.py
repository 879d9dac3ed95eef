"""Images and PDFs the attachment tests make for themselves (Pillow and fpdf2)."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw

# A made-up part (no such product): a 3.3 V-only I2C humidity sensor that the bundled
# catalog does not have, written in the layout the offline simulator reads.
TH42_PAGES = (
    [
        "Example Sensors TH42 humidity sensor",
        "Name: TH42 humidity sensor breakout",
        "Part ID: th42",
        "Manufacturer: Example Sensors",
        "Part number: TH42-BRK",
        "Category: sensor",
        "Description: 3.3 V only; SDA and SCL are not 5 V tolerant.",
    ],
    [
        "Electrical characteristics",
        "Supply voltage: 1.8 to 3.6 V",
        "Logic level: 3.3 V",
        "5V tolerant: no",
        "Current: 0.3 mA typical, 1.5 mA peak",
        "Absolute maximum supply voltage: 4.0 V",
    ],
    [
        "Interface and pinout",
        "I2C address: 0x44",
        "I2C address select: ADDR (GND=0x44, VCC=0x45)",
        "Pin VCC: power-in",
        "Pin GND: ground",
        "Pin SDA: od, i2c-sda, max 3.6 V",
        "Pin SCL: od, i2c-scl, max 3.6 V",
        "Pin ADDR: in, i2c-address, max 3.6 V",
    ],
)


def write_jpeg(path: Path, size: tuple[int, int] = (640, 480)) -> Path:
    img = Image.new("RGB", size, (30, 90, 40))
    draw = ImageDraw.Draw(img)
    draw.rectangle((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(200, 200, 30))
    img.save(path, format="JPEG", quality=90)
    return path


def write_png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGBA", size, (0, 0, 255, 128)).save(path, format="PNG")
    return path


def pdf_bytes(pages: tuple[list[str], ...] | list[list[str]]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_pdf(path: Path, pages: tuple[list[str], ...] | list[list[str]] = TH42_PAGES) -> Path:
    path.write_bytes(pdf_bytes(pages))
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A PDF whose one page is a picture: no text layer, like a scan."""
    buf = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 255, 255)).save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=100)
    path.write_bytes(bytes(pdf.output()))
    return path


def write_encrypted_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 8, "Part number: SECRET-1")
    path.write_bytes(bytes(pdf.output()))
    return path
