"""How well and how fast scans and photos are read: character error rate and task recall.

Prints figures; it is not a test and asserts nothing. Run from the repository root:

    .venv/bin/python benchmarks/ocr_bench.py [--out DIR]

Three short reports that we wrote for this benchmark (a fictional city, 青禾市; nothing
from the corpus) are set as formal documents in the GB/T 9704 layout by the bulletin code
(``duban.officialdoc``: its HTML and CSS, drawn by WeasyPrint) and drawn as
300 dpi page images with pypdfium2, three times: with the body in the PDFs' own fallback
font (a sans), in a 宋 face and in a 楷 face (Debian's ``fonts-arphic-uming`` and
``fonts-arphic-ukai``; a set whose font is missing is skipped with a note). Each page is then degraded the ways scans and phone photos
are: a rotation of 1–3°, a Gaussian blur, JPEG at quality 60, sensor noise, and a phone
photo (perspective, uneven light, a little blur, JPEG). Every variant goes through the
reader an upload goes through (``read_bytes``, as a PNG or JPEG file), and the script
prints, per condition:

* ``CER``: character error rate, the edit distance between the recognised text and the
  PDF's own text layer (the same characters the page shows), divided by the latter's
  length; whitespace is ignored, both sides' punctuation is normalised as the engine does;
* ``s/page``: wall-clock seconds per A4 page (median and worst, and on the page with the
  most text: a full page of body text, 22 lines), orientation and deskew included, and
  the process's CPU seconds per page (ONNX Runtime uses both cores, so on
  an idle two-core machine the wall time is about half of it); the load average is
  printed because the machine may be shared;
* ``recall``: share of the key tasks (phrases listed below, one per task we wrote) that
  the engine's task book holds, for the recognised text against the PDF's text, and the
  share of the text's proposed tasks that reappear in the OCR's task book.

``--out DIR`` keeps the page images for a look.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "2")

from PIL import Image, ImageFilter  # noqa: E402

DATE = dt.date(2027, 1, 20)

# Our own text. Each report: title, then (kind, text) blocks: "h" a level-1 heading,
# "p" a paragraph; KEYS: one phrase per task, as an office would list them.
REPORTS: list[dict] = [
    {
        "title": "青禾市二〇二七年重点工作任务",
        "blocks": [
            ("h", "稳住经济增长"),
            (
                "p",
                "全年地区生产总值增长百分之六左右，一般公共预算收入增长百分之五。"
                "实施市级重点项目二百一十个，完成投资四百五十亿元以上。"
                "六月底前开工建设滨河新区综合管廊二期工程，年底前建成青禾港三号泊位。",
            ),
            (
                "p",
                "支持民营企业发展壮大，全年新增市场主体一万二千户。"
                "九月底前出台促进中小企业专精特新发展的若干措施，由市工业和信息化局牵头负责。",
            ),
            ("h", "办好民生实事"),
            (
                "p",
                "新增城镇就业二万二千人，城镇调查失业率控制在百分之五点五以内。"
                "年底前建成社区养老服务站四十五个，新增托育服务机构十二家。"
                "完成城镇老旧小区改造一百二十六个，惠及居民三点八万户。",
            ),
            (
                "p",
                "推进义务教育优质均衡发展，秋季学期前新建改扩建中小学校八所，"
                "新增学位六千个，市教育局牵头，各区县人民政府负责落实。",
            ),
            (
                "p",
                "深化营商环境改革，全面推行惠企政策免申即享，企业开办时间压缩至一个工作日以内。"
                "年底前建成市级数据共享交换平台二期，政务服务事项网上可办率达到百分之九十八，"
                "市政务服务和大数据管理局牵头，市直各部门配合。"
                "扩大对外开放，全年实际使用外资增长百分之八，"
                "六月底前举办青禾国际茶产业博览会，市商务局负责。",
            ),
            ("h", "守住生态底线"),
            (
                "p",
                "完成营造林五万亩，空气质量优良天数比例达到百分之八十五以上。"
                "十月底前消除城区黑臭水体，市生态环境局、市水务局按职责分工负责。"
                "推进垃圾分类全覆盖，年底前城区生活垃圾回收利用率达到百分之三十八。",
            ),
        ],
        "keys": [
            "滨河新区综合管廊二期工程",
            "青禾港三号泊位",
            "专精特新",
            "数据共享交换平台二期",
            "青禾国际茶产业博览会",
            "社区养老服务站",
            "托育服务机构",
            "老旧小区改造",
            "新建改扩建中小学校",
            "黑臭水体",
            "垃圾分类",
        ],
    },
    {
        "title": "关于加快推进城乡融合发展的实施意见",
        "blocks": [
            ("h", "总体要求"),
            (
                "p",
                "坚持以人为本、城乡统筹，到二〇二八年底，全市常住人口城镇化率达到百分之六十五，"
                "城乡居民收入比缩小到一点八以内。",
            ),
            ("h", "重点任务"),
            (
                "p",
                "加快农业转移人口市民化。三月底前全面放开中心城区落户限制，"
                "保障随迁子女平等接受义务教育，由市公安局、市教育局负责。",
            ),
            (
                "p",
                "提升县城综合承载能力。年内完成三个县城的污水处理厂提标改造，"
                "新建改造城市道路八十公里，市住房和城乡建设局牵头实施。",
            ),
            (
                "p",
                "推动公共服务向乡村延伸。年底前实现行政村五G网络全覆盖，"
                "建成乡镇卫生院标准化科室一百个，市卫生健康委员会负责。",
            ),
            (
                "p",
                "深化农村集体产权制度改革，六月底前完成农村集体经营性建设用地入市试点方案，"
                "市自然资源和规划局、市农业农村局按职责分工负责。",
            ),
        ],
        "keys": [
            "落户限制",
            "污水处理厂提标改造",
            "新建改造城市道路",
            "五G网络全覆盖",
            "乡镇卫生院标准化科室",
            "集体经营性建设用地入市",
        ],
    },
    {
        "title": "市政府常务会议议定事项督办通知",
        "blocks": [
            (
                "p",
                "经市政府第十八次常务会议研究，现将议定事项分解如下，请各责任单位抓紧落实，"
                "每月五日前向市政府督查室报送进展情况。",
            ),
            (
                "p",
                "一是做好春节期间市场保供稳价工作，一月二十五日前完成储备猪肉投放准备，"
                "市商务局、市发展和改革委员会负责。",
            ),
            (
                "p",
                "二是开展安全生产大排查大整治，二月底前完成全市燃气管网隐患排查，"
                "市应急管理局牵头，市城市管理局配合。",
            ),
            (
                "p",
                "三是加快地铁二号线建设，确保四月底前实现全线轨通，年底前开通试运营，"
                "市交通运输局、青禾地铁集团负责。",
            ),
            (
                "p",
                "四是抓好春耕备耕，三月十日前完成高标准农田建设任务分解，"
                "全年新建高标准农田十二万亩，市农业农村局负责。",
            ),
        ],
        "keys": [
            "储备猪肉投放",
            "燃气管网隐患排查",
            "地铁二号线",
            "高标准农田",
        ],
    },
]


def official_document(report: dict):  # type: ignore[no-untyped-def]
    from duban.officialdoc.content import Heading, OfficialDocument, Paragraph

    blocks = [Heading(t) if kind == "h" else Paragraph(t) for kind, t in report["blocks"]]
    return OfficialDocument(
        organ="青禾市人民政府办公室",
        number="青政办发〔2027〕3号",
        title=report["title"],
        recipients=["各区县人民政府，市政府各部门"],
        blocks=blocks,
        signature="青禾市人民政府办公室",
        date=DATE,
    )


MICROHEI = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
UMING = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
UKAI = Path("/usr/share/fonts/truetype/arphic/ukai.ttc")
# The type the body is set in. Offices print 仿宋_GB2312, which no free package has: the
# PDFs' own fallback (a sans) is the easy case, a 宋 and a 楷 face bracket 仿宋's strokes.
FONT_SETS = {
    "黑 (WenQuanYi Micro Hei)": {"body": MICROHEI, "kai": MICROHEI, "song": MICROHEI},
    "宋 (AR PL UMing)": {"body": UMING, "kai": UKAI, "song": UMING},
    "楷 (AR PL UKai)": {"body": UKAI, "kai": UKAI, "song": UMING},
}
FONTS_HINT = "apt-get install fonts-arphic-uming fonts-arphic-ukai (scripts/system-deps.sh bench)"


def render(report: dict, faces: dict[str, Path]) -> tuple[bytes, list[Image.Image]]:
    """The report as a PDF and as 300 dpi greyscale page images, body set in ``faces``."""
    import pypdfium2 as pdfium
    from weasyprint import HTML

    from duban.officialdoc.pdf import render_html

    fonts = {"title": UMING if UMING.is_file() else MICROHEI, "hei": MICROHEI, **faces}
    pdf_bytes = HTML(string=render_html(official_document(report), fonts)).write_pdf()
    pdf = pdfium.PdfDocument(pdf_bytes)
    pages = [pdf[i].render(scale=300 / 72).to_pil().convert("L") for i in range(len(pdf))]
    pdf.close()
    return pdf_bytes, pages


# --------------------------------------------------------------------------- degradations


def rotate(img: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice([-1, 1]) * rng.uniform(1.0, 3.0)
    return img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def blur(img: Image.Image, rng: random.Random) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(radius=1.5))


def noise(img: Image.Image, rng: random.Random) -> Image.Image:
    import numpy as np

    arr = np.asarray(img, dtype=np.float32)
    gen = np.random.default_rng(rng.randrange(1 << 30))
    arr = arr + gen.normal(0, 25, arr.shape)
    speckle = gen.random(arr.shape)
    arr[speckle < 0.002] = 0
    arr[speckle > 0.998] = 255
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def phone(img: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the page on a desk: perspective, shading, softness, JPEG."""
    import numpy as np

    w, h = img.size
    desk = Image.new("L", (int(w * 1.1), int(h * 1.1)), 90)
    desk.paste(img, (int(w * 0.05), int(h * 0.05)))
    dw, dh = desk.size

    def jitter(x: float, y: float) -> tuple[float, float]:
        return x + rng.uniform(-0.04, 0.04) * dw, y + rng.uniform(-0.03, 0.03) * dh

    corners = [jitter(0, 0), jitter(dw, 0), jitter(dw, dh), jitter(0, dh)]
    coeffs = _perspective(corners, [(0, 0), (dw, 0), (dw, dh), (0, dh)])
    warped = desk.transform(
        desk.size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=90
    )
    # Light falling off towards one corner, as from a desk lamp.
    yy, xx = np.mgrid[0:dh, 0:dw].astype(np.float32)
    shade = 1.0 - 0.25 * ((xx / dw) * 0.6 + (yy / dh) * 0.4)
    arr = np.asarray(warped, dtype=np.float32) * shade
    photo = Image.fromarray(arr.clip(0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(radius=0.8)
    )
    photo = photo.resize((int(dw * 0.8), int(dh * 0.8)), Image.Resampling.LANCZOS)
    return photo  # saved as JPEG quality 75 below


def _perspective(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """PIL's eight coefficients mapping output points ``dst`` to input points ``src``."""
    import numpy as np

    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return list(np.linalg.solve(np.array(rows), np.array(rhs)))


CONDITIONS = {
    "clean 300 dpi": (None, "PNG", {}),
    "rotated 1–3°": (rotate, "PNG", {}),
    "Gaussian blur σ 1.5": (blur, "PNG", {}),
    "JPEG quality 60": (None, "JPEG", {"quality": 60}),
    "noise σ 25 + speckle": (noise, "PNG", {}),
    "phone photo": (phone, "JPEG", {"quality": 75}),
}


# --------------------------------------------------------------------------- measures

_WS = re.compile(r"\s+")


def canon(text: str) -> str:
    """Whitespace removed and punctuation as the engine normalises it, on both sides."""
    from duban.extract.normalize import _convert_punct

    return _WS.sub("", "".join(_convert_punct(line) for line in text.split("\n")))


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def task_book(text: str) -> list[str]:
    from duban.extract.pipeline import extract_text

    doc = extract_text(text, date=DATE)
    return [canon(t.text) for t in doc.tasks]


def key_recall(tasks: list[str], keys: list[str]) -> float:
    return sum(any(canon(k) in t for t in tasks) for k in keys) / len(keys)


def reappear(reference: list[str], tasks: list[str]) -> float:
    """Share of ``reference`` tasks with a task in ``tasks`` sharing 90% of its characters."""
    if not reference:
        return 1.0
    found = 0
    for ref in reference:
        found += any(
            edit_distance(ref, t) <= 0.1 * len(ref) for t in tasks if abs(len(t) - len(ref)) < 20
        )
    return found / len(reference)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="keep the degraded page images here")
    args = parser.parse_args(argv)

    from duban.extract import ocr
    from duban.extract.readers import read_bytes

    rng = random.Random(2027)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| body type | condition | CER | worst page CER | s/page (median) | s/page (worst) "
        "| CPU s/page (median) | s on the fullest page | key-task recall OCR / text "
        "| text tasks found in OCR book |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    notes = []
    for font_name, faces in FONT_SETS.items():
        if not all(path.is_file() for path in faces.values()):
            notes.append(f"{font_name}: font missing, skipped ({FONTS_HINT})")
            continue
        rendered = [render(r, faces) for r in REPORTS]
        # The same PDF's text layer: what the pages show, and the engine's input "as text".
        sources = [read_bytes(pdf, suffix=".pdf") for pdf, _ in rendered]
        books = [task_book(src.text) for src in sources]
        page_refs = []
        for src in sources:
            starts = [p.start for p in src.pages] + [len(src.text)]
            page_refs.append([canon(src.text[a:b]) for a, b in itertools.pairwise(starts)])
        n_pages = sum(len(pages) for _, pages in rendered)
        ocr.recognize_page(rendered[0][1][0].convert("RGB"))  # load the models, untimed
        notes.append(
            f"{font_name}: {len(REPORTS)} reports, {n_pages} A4 pages at 300 dpi, "
            f"{sum(len(b) for b in books)} tasks proposed from the PDF's text"
        )
        key_text = statistics.mean(
            key_recall(b, r["keys"]) for b, r in zip(books, REPORTS, strict=True)
        )
        for name, (degrade, fmt, options) in CONDITIONS.items():
            errors = chars = 0
            page_cers, seconds, cpu_seconds, recalls, agree = [], [], [], [], []
            fullest = (0, 0.0)  # (characters, seconds) of the page with the most text
            for ri, ((_, pages), report) in enumerate(zip(rendered, REPORTS, strict=True)):
                texts = []
                for pi, page in enumerate(pages):
                    img = degrade(page, rng) if degrade else page
                    if args.out:
                        args.out.mkdir(parents=True, exist_ok=True)
                        stem = f"{font_name[0]}-r{ri + 1}p{pi + 1}-{name.split()[0]}"
                        img.save(args.out / f"{stem}.{fmt.lower()}")
                    buffer = io.BytesIO()
                    img.save(buffer, format=fmt, **options)
                    start, cpu = time.perf_counter(), time.process_time()
                    got = read_bytes(buffer.getvalue(), suffix="." + fmt.lower())
                    seconds.append(time.perf_counter() - start)
                    cpu_seconds.append(time.process_time() - cpu)
                    texts.append(got.text)
                    ref = page_refs[ri][pi]
                    dist = edit_distance(ref, canon(got.text))
                    errors += dist
                    chars += len(ref)
                    page_cers.append(dist / max(1, len(ref)))
                    fullest = max(fullest, (len(ref), seconds[-1]))
                tasks = task_book("\n".join(texts))
                recalls.append(key_recall(tasks, report["keys"]))
                agree.append(reappear(books[ri], tasks))
            print(
                f"| {font_name} | {name} | {errors / chars:.2%} | {max(page_cers):.2%} "
                f"| {statistics.median(seconds):.2f} | {max(seconds):.2f} "
                f"| {statistics.median(cpu_seconds):.2f} "
                f"| {fullest[1]:.2f} ({fullest[0]} chars) "
                f"| {statistics.mean(recalls):.3f} / {key_text:.3f} "
                f"| {statistics.mean(agree):.3f} |"
            )
    for note in notes:
        print(note)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
