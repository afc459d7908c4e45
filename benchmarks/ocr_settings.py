"""Which recognition settings save CPU without costing characters: variants side by side.

Prints figures; it is not a test and asserts nothing. Run from the repository root:

    .venv/bin/python benchmarks/ocr_settings.py [--fonts 3] [--conditions clean,rotated,phone]

The pages are ``ocr_bench.py``'s (our own reports in the GB/T 9704 layout, 300 dpi, the
same degradations). Each variant is a RapidOCR engine with its own parameters and
``duban.extract.ocr``'s own sizes; every page goes through every variant in turn, in one
process, the order rotating from page to page, so that whatever else the machine is doing
falls on all variants alike (the machine is shared: separate runs differ by 15 %). Per
variant and condition: CER (all pages, and the worst page), CPU seconds per page (median,
mean, worst) and wall seconds (median, worst).
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("OMP_NUM_THREADS", "2")

import ocr_bench as bench  # noqa: E402

ARENA = {"EngineConfig.onnxruntime.enable_cpu_mem_arena": True}
# name: (RapidOCR parameters over the shipped ones, duban.extract.ocr sizes over its own).
VARIANTS: dict[str, tuple[dict, dict]] = {
    "as shipped": ({}, {}),
    "memory arena": (ARENA, {}),
    "arena, orientation on 800 px": (ARENA, {"_ORIENT_SIDE": 800}),
    "arena, detection on 1024 px": (ARENA, {"_DET_SIDE": 1024}),
}
SIZES = ("OCR_MAX_SIDE", "_DET_SIDE", "_ORIENT_SIDE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fonts", type=int, default=3, help="how many of the body faces")
    parser.add_argument("--conditions", default="clean,rotated,phone")
    args = parser.parse_args(argv)

    from rapidocr import RapidOCR

    from duban.extract import ocr
    from duban.extract.readers import read_bytes

    pages: list[tuple] = []  # (image, reference text)
    for font in list(bench.FONT_SETS)[: args.fonts]:
        faces = bench.FONT_SETS[font]
        if not all(path.is_file() for path in faces.values()):
            print(f"{font}: font missing, skipped ({bench.FONTS_HINT})")
            continue
        for report in bench.REPORTS:
            pdf, images = bench.render(report, faces)
            src = read_bytes(pdf, suffix=".pdf")
            starts = [p.start for p in src.pages] + [len(src.text)]
            for (a, b), image in zip(itertools.pairwise(starts), images, strict=True):
                pages.append((image, bench.canon(src.text[a:b])))
    rng = random.Random(2027)
    inputs = []
    for condition in args.conditions.split(","):
        degrade, fmt, options = {
            "clean": (None, "PNG", {}),
            "rotated": (bench.rotate, "PNG", {}),
            "phone": (bench.phone, "JPEG", {"quality": 85}),
        }[condition]
        for image, ref in pages:
            buffer = io.BytesIO()
            (degrade(image, rng) if degrade else image).save(buffer, format=fmt, **options)
            inputs.append((condition, buffer.getvalue(), "." + fmt.lower(), ref))

    defaults = {name: getattr(ocr, name) for name in SIZES}
    engines = {}
    for name, (params, sizes) in VARIANTS.items():
        sizes = {**defaults, **sizes}
        merged = {
            "Global.log_level": "error",
            "Global.max_side_len": sizes["OCR_MAX_SIDE"],
            "Det.limit_type": "max",
            "Det.limit_side_len": sizes["_DET_SIDE"],
            "Det.box_thresh": 0.35,
            **{f"{role}.model_path": str(path) for role, path in ocr._model_paths().items()},
            **params,
        }
        engines[name] = (RapidOCR(params=merged), sizes)

    def use(name: str) -> None:
        engine, sizes = engines[name]
        ocr._engine = engine
        for key, value in sizes.items():
            setattr(ocr, key, value)

    for name in engines:  # load each engine's models, untimed
        use(name)
        read_bytes(inputs[0][1], suffix=inputs[0][2])
    print(f"{len(pages)} A4 pages; load average before: {os.getloadavg()[0]:.2f}")
    results: dict[tuple[str, str], dict] = {}
    names = list(engines)
    for i, (condition, data, suffix, ref) in enumerate(inputs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            use(name)
            cpu, wall = time.process_time(), time.perf_counter()
            got = read_bytes(data, suffix=suffix)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            row = results.setdefault(
                (name, condition), {"err": 0, "chars": 0, "worst": 0.0, "cpu": [], "wall": []}
            )
            distance = bench.edit_distance(ref, bench.canon(got.text))
            row["err"] += distance
            row["chars"] += len(ref)
            row["worst"] = max(row["worst"], distance / max(1, len(ref)))
            row["cpu"].append(cpu)
            row["wall"].append(wall)
    print(
        "| settings | condition | CER | worst page | CPU s/page median (mean, worst) "
        "| wall s/page median (worst) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (name, condition), row in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu, wall = row["cpu"], row["wall"]
        print(
            f"| {name} | {condition} | {row['err'] / row['chars']:.2%} | {row['worst']:.2%} "
            f"| {statistics.median(cpu):.2f} ({statistics.mean(cpu):.2f}, {max(cpu):.2f}) "
            f"| {statistics.median(wall):.2f} ({max(wall):.2f}) |"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
