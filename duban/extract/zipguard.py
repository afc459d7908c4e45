"""The zip-bomb guard: one reading of a zip's central directory for every zip we open.

Word (.docx), OFD and Excel (.xlsx) files are zip containers. Before any parser inflates
them, their directory is checked against limits: too many members, a password, a member
that inflates past a ratio, or members together past a total. The sizes are the
directory's; zipfile never inflates a member past its declared size, so a lying directory
cannot get around them. Each format keeps its own limits and its own messages (the
engine's error codes, the task book's sentences): this module says only what is wrong.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class ZipLimits:
    max_members: int
    # A member over ``ratio_min_size`` bytes inflated may not exceed ``max_ratio`` times
    # its compressed size (small members may compress very well, harmlessly).
    max_ratio: int
    ratio_min_size: int
    max_total: int  # all members together, inflated


@dataclass(frozen=True)
class ZipProblem:
    """The first thing wrong, in the order checked: ``members`` (``count``), then member
    by member ``encrypted`` or ``ratio`` (``member``), then ``total`` (``total`` bytes)."""

    kind: str
    count: int = 0
    member: str = ""
    total: int = 0


def zip_problem(zf: zipfile.ZipFile, limits: ZipLimits) -> ZipProblem | None:
    """What makes ``zf`` unsafe to inflate under ``limits``, or ``None``."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        return ZipProblem("members", count=len(infos))
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            return ZipProblem("encrypted", member=info.filename)
        total += info.file_size
        if info.file_size > limits.ratio_min_size and info.file_size > limits.max_ratio * max(
            1, info.compress_size
        ):
            return ZipProblem("ratio", member=info.filename)
    if total > limits.max_total:
        return ZipProblem("total", total=total)
    return None
