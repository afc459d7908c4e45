"""The one zip-bomb guard (duban/extract/zipguard.py) that .docx, .ofd and .xlsx share."""

from __future__ import annotations

import io
import zipfile

import pytest

from duban.extract.zipguard import ZipLimits, ZipProblem, zip_problem

LIMITS = ZipLimits(max_members=5, max_ratio=100, ratio_min_size=1000, max_total=50_000)


def archive(members: dict[str, bytes]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def encrypted_flag(zf: zipfile.ZipFile, name: str) -> zipfile.ZipFile:
    """The same archive, with one member marked as password-protected in its directory."""
    zf.getinfo(name).flag_bits |= 0x1
    return zf


@pytest.mark.parametrize(
    "members, expected",
    [
        ({"a.xml": b"<a/>", "b.xml": b"x" * 900}, None),
        # Small members may compress very well: 900 zeros are not a bomb.
        ({"a.xml": b"\0" * 900}, None),
        ({f"p{i}.xml": b"x" for i in range(6)}, ZipProblem("members", count=6)),
        ({"ok.xml": b"x", "bomb.xml": b"\0" * 40_000}, ZipProblem("ratio", member="bomb.xml")),
        (
            {f"p{i}.xml": bytes(range(256)) * 60 for i in range(4)},
            ZipProblem("total", total=4 * 256 * 60),
        ),
    ],
)
def test_the_directory_tells_what_is_wrong(members, expected):
    assert zip_problem(archive(members), LIMITS) == expected


def test_a_password_is_named_before_the_ratio_of_a_later_member():
    zf = encrypted_flag(archive({"a.xml": b"x", "bomb.xml": b"\0" * 40_000}), "a.xml")
    assert zip_problem(zf, LIMITS) == ZipProblem("encrypted", member="a.xml")
