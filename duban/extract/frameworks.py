"""Step 3: numbered formulations (提法) and their items.

Sources of a framework, all found with regexes over the normalized text:

* quoted formulations with a number word: “六字要求” “三个关系” “两重” “一主两副” “十四五”;
* unquoted counted nouns: 「十个方面工作」「四大流域」「32个核心板块」 — but not quantities and
  durations (「一个」「两个月」「三年」「等10个国家物流枢纽」);
* glossary names wherever they occur (「中央八项规定」「四个意识」);
* quoted parallel layouts without a number word: “东强、南动、西美、北静、中优、外联”.

Items come, in order of preference, from an enumeration right before the name
(「控、保、稳、进、抬、扛“六字要求”」, 「黄河、淮河、海河、长江四大流域」), from an
enumeration elsewhere on the page that repeats the name's key word (「六个统筹」 ↔
「统筹疫情防控、复工复产、……」, possibly in another article → ``items_from="other_article"``),
or from the glossary (``items_from="glossary"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from duban.extract.glossary import load_glossary
from duban.extract.model import Framework, ParsedDocument
from duban.extract.structure import cn_number

_NUM = "一二两三四五六七八九十百"
_QUOTED = re.compile(r"“([^“”\n]{1,24})”")
_HAS_NUMERAL = re.compile(rf"[{_NUM}]|\d")
# A formulation inside quotes: starts with a number word, or pairs numbers with words
# (一主两副, 三去一降一补), or is a five-year plan (十四五).
_QUOTED_FW = re.compile(
    rf"^(?:[{_NUM}]{{1,3}}|\d{{1,2}})(?:个|项|大|条|字|张|种|批|化|类)?[\u4e00-\u9fff]{{1,8}}"
    rf"(?:、(?:[{_NUM}]{{1,3}}|\d{{1,2}})(?:个|项|大|条)?[\u4e00-\u9fff]{{1,8}})*$"
    rf"|^[\u4e00-\u9fff]{{1,3}}[{_NUM}][\u4e00-\u9fff]{{0,4}}[{_NUM}][\u4e00-\u9fff]{{1,4}}$"
)
_PLAN = re.compile(rf"^([{_NUM}]{{1,3}})五(?:规划|时期)?$")
_UNQUOTED_FW = re.compile(
    rf"(?<![\d{_NUM}第等约超近余央])([{_NUM}]{{1,3}}|\d{{1,2}})(个|项|大|条|字|篇|件|方面)"
    rf"([^{_NUM}\d\W]{{2,4}}?)"
    r"(?=[，。、；：“”（）《》\s！？]|内|的|对|为|和|与|中|在|是|要|等|及|规划|建设|协同|共同|落实|$)"
)
# Nouns after a number that make a quantity or a duration, not a formulation.
_JUNK_NOUN = re.compile(
    r"^(?:年|月|日|天|周|小时|分钟|岁|倍|次|批|人|万|亿|多|以上|左右|百分点|阶段|国家$|省|市|县|"
    r"区|镇|村|家|所|企业|项目|城市$|地区$|部门$|地级|制造|经验|单位|胜利|召开|精神|案例|机关)"
)
_JUNK_QUOTED = re.compile(
    rf"(?:月|年|天|日|周|次|倍|岁|件事|个人)$|^一个|^一件|^一张网$|^一流|^[{_NUM}]+[年月天日周]|"
    rf"[{_NUM}\d][月年]|小时|^四川|^\d+[条项]$|^[{_NUM}\d]+大(?:胜利|召开|精神|以来)"
)
_ENUM_ITEM = r"[\u4e00-\u9fff]{1,8}"
_QUOTED_RUN = re.compile(r"((?:“[^“”\n]{1,10}”){2,12})$")
_ENUM_BEFORE = re.compile(rf"((?:{_ENUM_ITEM}、)+{_ENUM_ITEM})”?$")
# A verb that an enumeration's first item may have swallowed (「充分发挥安阳」).
_LEAD_VERB = re.compile(
    r"^.*?(?:发挥|推动|推进|加快|建设|实施|围绕|紧扣|统筹|坚持|包括|聚焦|依托|打造|强化|做好|抓好|深化|做深做透|做深|做实|"
    r"按照|构建|形成|覆盖|涵盖|落实|突出|提升|优化|激活|算好|缩小|抓住|守住|用好|把握|处理好)(.+)$"
)
_LAYOUT = re.compile(r"^[\u4e00-\u9fff]{2,4}(?:、[\u4e00-\u9fff]{2,4}){2,9}$")
# Verbs that may head a spelled-out list: 「统筹A、B、C」 lists what 「六个统筹」 counts.
_LEAD_KEYS = frozenset("统筹 坚持 推进 加强 强化 提升 做好 抓好 聚焦 突出 深化 实施".split())
_INNER_FW = re.compile(rf"[{_NUM}\d](?:个|项|大|条)")
# Items that are really verbs or adverbs of the sentence, not members of a list.
_VERBISH = re.compile(r"^(?:继续|坚定|自觉|做到|共建|全面|积极|以|组|百亿|生态类|深入|推动|加快)")
_STRIP_QUOTES = str.maketrans("", "", '“”"‘’')


def _count(name: str) -> int | None:
    """The number a formulation carries: 「十四五」→14, 「一主两副」→3, 「32个核心板块」→32."""
    m = _PLAN.match(name)
    if m:
        return cn_number(m.group(1))
    m = re.match(rf"^([{_NUM}]{{1,3}}|\d{{1,2}})(?:个|项|大|条|字|篇|件|方面)", name)
    if m and "、" not in name:
        return cn_number(m.group(1))  # 「五个进一步到位」 counts five, not six
    if re.fullmatch(r"\d{3}", name):
        return sum(int(c) for c in name)  # 「132」: one, three, two things
    nums = re.findall(rf"[{_NUM}]+|\d+", name)
    # A doubled numeral names, it does not count: 「八八战略」 holds eight measures.
    values = [v for v in (cn_number(n) or cn_number(n[0]) for n in nums) if v is not None]
    if not values:
        return None
    return sum(values) if len(values) > 1 else values[0]


def _items_before(text: str, start: int, want: int | None) -> list[str]:
    """An enumeration right before ``start`` whose length matches the count."""
    head = text[max(0, start - 80) : start]
    quoted = _QUOTED_RUN.search(head)
    if quoted:
        # 「“强城”“兴村”“融合”三篇文章」: the items are quoted one after another.
        items = _QUOTED.findall(quoted.group(1))
        return items if want is None or len(items) == want else []
    m = _ENUM_BEFORE.search(head)
    if not m:
        return []
    raw = m.group(1).split("、")
    # The regex caps an item at eight characters; give the first item back the rest of
    # its run so that a truncated word (「定性意义」) is seen for what it is.
    run = re.search(r"[\u4e00-\u9fff]*$", head[: m.start(1)])
    if run:
        raw[0] = run.group(0) + raw[0]
    items = [x.translate(_STRIP_QUOTES) for x in raw]
    if want is not None and len(items) != want:
        return []  # a longer list is something else; taking its tail would invent items
    # The first item may have swallowed a leading verb (「推动黄河」「紧紧围绕控」).
    longest = max(len(x) for x in items[1:]) if len(items) > 1 else 8
    if len(items[0]) > longest:
        m2 = _LEAD_VERB.match(items[0])
        items[0] = m2.group(1) if m2 else items[0]
    if len(items[0]) > longest + 2 or any(_VERBISH.match(x) for x in items):
        return []
    return items


_ITEM_AFTER = re.compile(
    r"[一二三四五六七八九十]是|第[一二三四五六七八九十]，|[一二三四五六七八九十]要"
)


def _items_after(text: str, end: int, want: int | None) -> list[str]:
    """「抓好三个方面：一是提升消费品品质，二是……」: the enumerated items that follow."""
    window = text[end : end + 12]
    colon = re.search(r"[：:，。]", window)
    if not colon:
        return []
    pos = end + colon.end()
    stop = text.find("\n", pos)
    stop = len(text) if stop < 0 else stop
    items: list[str] = []
    # Each item may run over several sentences; the list ends with its paragraph.
    for m in _ITEM_AFTER.finditer(text, pos, min(stop, pos + 2000)):
        if not items and m.start() > pos + 2:
            return []  # the list must follow at once
        stop = re.search(r"[，；。：]", text[m.end() : m.end() + 30])
        item = text[m.end() : m.end() + (stop.start() if stop else 0)]
        if not 2 <= len(item) <= 24:
            return []
        items.append(item)
        if want is not None and len(items) == want:
            break
    if want is not None and len(items) != want:
        return []
    return items if len(items) >= 2 else []


def _enumeration_of(text: str, key: str, n: int) -> tuple[list[str], int] | None:
    """Find 「key A、B、…」 (key as a leading verb) or 「A key、B key、…」 with ``n`` items.

    Only the places where ``key`` occurs are examined, with the pattern applied to a small
    window around each: searching the whole page with these patterns backtracks a lot.
    """
    k = re.escape(key)
    use_lead = key in _LEAD_KEYS
    lead = re.compile(
        rf"{k}((?:[^，。；：、\n]{{1,12}}、){{{n - 1}}}[^，。；：、\n]{{1,12}}?)(?=[，。；：\n]|$)"
    )
    tail = re.compile(
        rf"((?:[^，。；：、\n]{{1,12}}?{k}、){{{n - 1}}}[^，。；：、\n]{{1,12}}?{k})$"
    )
    width = 14 * n + 2 * len(key)
    pos = text.find(key)
    while pos >= 0:
        m = lead.match(text[pos : pos + width + 20]) if use_lead else None
        if m and _plausible(items := [x.translate(_STRIP_QUOTES) for x in m.group(1).split("、")]):
            return items, pos
        window_start = max(0, pos - width)
        m = tail.search(text[window_start : pos + len(key)])
        if m:
            raw = m.group(1).split("、")
            items = [x.translate(_STRIP_QUOTES) for x in raw]
            # 「处理好“保”与“稳”的关系」: drop a leading verb before the first quote.
            if "“" in raw[0]:
                items[0] = raw[0][raw[0].index("“") :].translate(_STRIP_QUOTES)
            elif len(items[0]) > max(len(x) for x in items[1:]):
                lv = _LEAD_VERB.match(items[0])  # 「以缩小城乡差距」 → 「城乡差距」
                items[0] = lv.group(1) if lv else items[0]
            if _plausible(items):
                return items, window_start + m.start()
        pos = text.find(key, pos + 1)
    return None


def _plausible(items: list[str]) -> bool:
    """Items are short phrases, not other formulations nor sentence fragments."""
    return all(
        0 < len(x) <= 12 and not x.startswith(("的", "和", "与")) and not _INNER_FW.search(x)
        for x in items
    )


def _article_of(doc: ParsedDocument, pos: int) -> int:
    for i, a in enumerate(doc.articles):
        if a.start <= pos < a.end:
            return i
    return 0


# A quoted list named by the noun after it: 「按照“东强、南动……”的城市发展格局」,
# 「加快形成“两翼驱动、四区支撑、多点布局”的科技创新布局」.
_NAMED_LIST = re.compile(
    r"“((?:[\u4e00-\u9fff]{1,6}、){1,9}[\u4e00-\u9fff]{1,6})”的"
    r"([\u4e00-\u9fff]{0,6}(?:格局|布局|要求|思路|战略|体系|方针|路径|方略|理念|框架|架构|定位))"
)
# Words before a counted formulation that belong to its name: 「为民造福十条意见」.
_COUNTED_HEAD = re.compile(r"(?:意见|措施|举措|行动|工程|任务|要求|承诺|实事|机制|清单)$")
_NAME_STOP = "把将以对的在和与及、，。“”：；（）要了从按"


def _named_lists(text: str) -> dict[int, tuple[str, list[str], int, int]]:
    """Quoted lists with a naming noun, by the start of their quote."""
    out: dict[int, tuple[str, list[str], int, int]] = {}
    for m in _NAMED_LIST.finditer(text):
        out[m.start(1)] = (m.group(2), m.group(1).split("、"), m.start(2), m.end(2))
    return out


def _extend_left(text: str, start: int) -> int:
    """Where a counted formulation's name begins when a qualifier stands before it."""
    i = start
    while (
        i > 0
        and start - i < 6
        and text[i - 1] not in _NAME_STOP
        and "\u4e00" <= text[i - 1] <= "\u9fff"
    ):
        i -= 1
    return i if start - i >= 2 else start


# A compound name of three or more counted parts: 「一圈一网一高地」「一主两副三带」.
_COMPOUND = re.compile(rf"(?:[{_NUM}][^{_NUM}\W\d]{{1,3}}){{3,}}")
# A quoted number code: 「“4+1”重要要求」「“132”总体工作部署」 (not a year).
_DIGIT_CODE = re.compile(r"^\d{1,2}(?:\+\d{1,2})+$|^(?!19|20)\d{3}$")


def _candidates(text: str) -> Iterable[tuple[str, int, int, bool]]:
    """(name, start, end, quoted) for every formulation-looking span."""
    for m in _QUOTED.finditer(text):
        inner = m.group(1)
        if _DIGIT_CODE.match(inner):
            yield inner, m.start(1), m.end(1), True
            continue
        if _LAYOUT.match(inner) and not _HAS_NUMERAL.search(inner):
            yield inner, m.start(1), m.end(1), True
            continue
        if (
            len(inner) > 6
            and "、" not in inner
            and not re.match(rf"^[{_NUM}\d]+(?:个|项|大|条|字)", inner)
            and not _COMPOUND.fullmatch(inner)
        ):
            continue  # a quoted phrase (「一方水土难养一方人」), not a name
        if _QUOTED_FW.match(inner) and not _JUNK_QUOTED.search(inner):
            if inner[0] == "一" and "、" not in inner and not re.search(rf"[{_NUM}]", inner[1:]):
                continue  # 「一件事」「一网通办」 name a single thing
            yield inner, m.start(1), m.end(1), True
    for m in _UNQUOTED_FW.finditer(text):
        num, _cls, noun = m.groups()
        value = cn_number(num)
        if value is None or value < 2 or _JUNK_NOUN.match(noun):
            continue
        if text[m.start() - 1 : m.start()] == "“" or text[m.end() : m.end() + 1] == "”":
            continue  # already seen as a quoted formulation
        if num.isdigit() and (
            (m.start() > 0 and text[m.start() - 1] not in "以，。：；（\n、")
            or _cls not in ("个", "大")
            or value > 40
        ):
            continue  # 「新建3个公园」 counts parks; 「以32个核心板块……为抓手」 names a plan
        start = m.start()
        if _cls in ("条", "项") and _COUNTED_HEAD.search(noun):
            start = _extend_left(text, start)
        yield text[start : m.end()], start, m.end(), False


def find_frameworks(doc: ParsedDocument) -> ParsedDocument:
    """Fill ``doc.frameworks`` (one entry per distinct name, first occurrence)."""
    text = doc.text
    glossary = load_glossary()
    seen: dict[str, Framework] = {}
    named = _named_lists(text)
    for name, start, end, _quoted in _candidates(text):
        if start in named:
            continue  # listed under the noun that names it, below

        count = _count(name) if _HAS_NUMERAL.search(name) else None
        items: list[str] = []
        if count is None and "、" in name:
            items = name.split("、")
            count = len(items)
        elif count is not None and "、" not in name:
            quote_start = start - 1 if text[start - 1 : start] == "“" else start
            items = _items_before(text, quote_start, _first_count(name, count))
            if not items:
                items = _items_after(text, end + (1 if _quoted else 0), count)
        fw = seen.get(name)
        if fw is None:
            seen[name] = Framework(name, count, items, start, end, "text" if items else "none")
        elif items and not fw.items:
            fw.items, fw.items_from = items, "text"
    for noun, items, start, end in named.values():
        if noun not in seen:
            seen[noun] = Framework(noun, len(items), items, start, end, "text")
    # Glossary names written out in full (「中央八项规定」「四个意识」) without quotes.
    for gname, entry in glossary.items():
        if gname != entry.name or gname in seen:
            continue
        # Three characters with a numeral (两步走) are specific enough unquoted.
        numbered = len(gname) == 3 and _HAS_NUMERAL.search(gname) is not None
        if len(gname) >= 4 or numbered or f"“{gname}”" in text:
            i = text.find(gname)
            if i >= 0:
                seen[gname] = Framework(gname, entry.count, [], i, i + len(gname), "none")
    # Items spelled out elsewhere: 「六个统筹」 ↔ 「统筹A、B、C、D、E、F」.
    for fw in seen.values():
        if fw.items or not fw.count or fw.count < 2 or fw.count > 12 or fw.name in glossary:
            continue
        m = re.match(
            rf"^(?:[{_NUM}]{{1,3}}|\d{{1,2}})(?:个|项|大|条)([\u4e00-\u9fff]{{2}})$", fw.name
        )
        if not m:
            continue
        found = _enumeration_of(text, m.group(1), fw.count)
        if found:
            items, pos = found
            fw.items = items
            same = _article_of(doc, pos) == _article_of(doc, fw.start)
            fw.items_from = "text" if same else "other_article"
    # Items as paragraphs: 「五个更加注重」 then five paragraphs opening 「更加注重……，」, or
    # 「十方面民生实事」 then paragraphs numbered 1. to 10. (「1.医疗卫生方面。」).
    for fw in seen.values():
        if fw.items or not fw.count or not 2 <= fw.count <= 12 or fw.name in glossary:
            continue
        found = _items_in_paragraphs(text, fw)
        if found:
            fw.items, fw.items_from = found, "text"
    # What the text leaves out, the glossary may know; for a national formulation the
    # glossary also wins over a list that merely stands next to it in the text.
    for fw in seen.values():
        entry = glossary.get(fw.name)
        if entry and entry.items and (not fw.items or set(fw.items) - set(entry.items)):
            fw.items, fw.items_from = list(entry.items), "glossary"
        if entry:
            fw.count = entry.count
    doc.frameworks = sorted((f for f in seen.values() if f.count or f.items), key=lambda f: f.start)
    return doc


_PARA_NUMBER = re.compile(
    r"(?:(\d{1,2})[.．、]|（([一二三四五六七八九十]{1,3})）|([一二三四五六七八九十]{1,3})、)"
)


def _items_in_paragraphs(text: str, fw: Framework) -> list[str]:
    """A count's items given as the openings of the paragraphs that follow it."""
    m = re.match(rf"^(?:[{_NUM}]{{1,3}}|\d{{1,2}})(?:个|项|大|条|件|篇|方面)?(.{{2,8}})$", fw.name)
    if not m:
        return []
    noun = m.group(1)
    start = text.find("\n", fw.end)
    if start < 0:
        return []
    # Paragraphs may open with a dash (「——更加注重……」).
    paras = [p.lstrip("—-· ") for p in text[start + 1 : start + 1 + 20000].split("\n")]
    head = re.compile(r"^([^，。：；]{2,24})[，。：；]")
    # (a) paragraphs opening with the noun itself: 「更加注重强化战略引领，……」
    if len(noun) >= 3:
        run = [p for p in paras[: fw.count + 2] if p.startswith(noun)]
        if len(run) == fw.count:
            items = [h.group(1) for p in run if (h := head.match(p))]
            if len(items) == fw.count:
                return items
    # (b) paragraphs numbered 1 … n right after it, each opening with a short heading
    items: list[str] = []
    for p in paras[: fw.count + 3]:
        num = _PARA_NUMBER.match(p)
        if not num:
            if items:
                break
            continue
        value = cn_number(next(g for g in num.groups() if g))
        if value != len(items) + 1:
            break
        h = head.match(p[num.end() :])
        if not h or len(h.group(1)) > 12:
            return []
        items.append(re.sub(r"方面$", "", h.group(1)))
        if len(items) == fw.count:
            return items
    return []


def _first_count(name: str, count: int) -> int | None:
    """How many items a compound name's enumeration has: 「三医一张网」 lists three."""
    nums = re.findall(rf"[{_NUM}]+|\d+", name)
    if len(nums) > 1 and not _PLAN.match(name):
        return None  # compound: accept any length
    return count


def pillar_index(doc: ParsedDocument) -> dict[str, str]:
    """Short framework items (「稳」「保」) → framework name, for tagging tasks."""
    out: dict[str, str] = {}
    for fw in doc.frameworks:
        if fw.items_from in ("text", "other_article"):
            for it in fw.items:
                if 1 <= len(it) <= 4:
                    out.setdefault(it, fw.name)
    return out


def tag_by_items(doc: ParsedDocument) -> ParsedDocument:
    """A task that opens with an item of a spelled-out framework serves that item.

    「重点抓好三项工作：一是加快农业转移人口市民化……」: the enumerated commitment that
    begins with 「加快农业转移人口市民化」 is filed under that item of 「三项工作」, and so
    are the commitments after it in the same paragraph, which detail the item. Only
    frameworks whose items the text itself spells out count, and only tasks that begin
    with the item (a mention further in is no filing).
    """
    spelled = [
        f
        for f in doc.frameworks
        if f.items_from in ("text", "other_article") and 2 <= len(f.items) <= 12
    ]
    if not spelled:
        return doc
    text = doc.text
    current: tuple[str, str, int] | None = None  # (item, framework, paragraph end)
    for task in sorted(doc.tasks, key=lambda t: t.start):
        if current and task.start >= current[2]:
            current = None
        head = task.text.lstrip("“")
        for fw in spelled:
            item = next((it for it in fw.items if len(it) >= 2 and head.startswith(it)), None)
            if item:
                end = text.find("\n", task.start)
                current = (item, fw.name, len(text) if end < 0 else end)
                break
        if current and not task.pillar:
            # The rest of the item's paragraph details the same item.
            task.pillar, task.framework = current[0], current[1]
    return doc
