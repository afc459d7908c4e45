"""Step 4: sentences → directives → atomic tasks (verb, pillar, actors, section).

Which text may hold tasks is decided by :mod:`structure` (``doc.extras["blocks"]``): this
year's work parts and forward-looking parts of a report, and the body of newspaper
articles or plain texts. The review of past work never does, even though it uses the
same verbs.

Inside those blocks, a sentence (split at 。！？；) is a directive when it asks for action:

* in a report's work part, any sentence led by an action verb (the whole part is a list
  of things to do);
* elsewhere (articles, plain text), only with an explicit cue (要、坚持、着力、加快、确保 …),
  because articles mix directives with praise, poems and narration.

A directive is cut at commas into clauses; a clause that starts with a verb opens a new
task and the clauses without one (「以……为抓手」「让群众……」) stay with their neighbour.
A clause whose verb governs a list of verb phrases (「着力抓项目强投资、促消费增活力、
稳外资稳外贸」) becomes one task per phrase, all sharing the verb.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass

from duban.extract.frameworks import pillar_index
from duban.extract.model import Item, ParsedDocument, Task
from duban.extract.structure import _REVIEW_OPENER

# Sentence ends; closing quotes and brackets after them stay with the sentence.
_SENT_END = re.compile(r"[。！？!?；;]+[”’」』）)]*|\n")
_CLAUSE_SEP = "，,；;：:"
_OPEN, _CLOSE = "“‘（《【「『(", "”’）》】」』)"
_CLAUSE_MARKS = re.compile("[" + re.escape(_OPEN + _CLOSE + _CLAUSE_SEP) + "]")
_ITEM_MARKS = re.compile("[" + re.escape(_OPEN + _CLOSE) + "、]")

# Two-character action verbs and cues that open a directive clause.
_VERBS = (
    "着力 加快 加强 加大 加力 确保 抓好 抓实 抓紧 推动 推进 深化 实施 强化 健全 完善 扩大 落实 全力 持续 "
    "积极 大力 统筹 坚持 坚定 坚决 推行 建立 建设 建成 构建 打造 培育 发展 提升 提高 优化 促进 支持 鼓励 "
    "引导 保障 保持 稳定 稳住 守住 守牢 兜牢 兜住 筑牢 树牢 树立 开展 启动 制定 出台 编制 修订 研究 探索 "
    "创建 创新 新建 改造 改善 开工 布局 谋划 规范 严格 严厉 严控 防范 防止 化解 治理 整治 管控 做好 做强 "
    "做优 做大 办好 用好 发挥 激发 释放 增强 增加 扩容 拓展 拓宽 壮大 夯实 巩固 落细 压紧 压实 压降 降低 "
    "减轻 缩减 取消 放宽 简化 清理 抓住 聚焦 围绕 紧扣 瞄准 依托 深入 全面 扎实 切实 主动 有序 稳步 加紧 "
    "实行 执行 贯彻 组织 举办 召开 推广 普及 设立 组建 成立 引进 吸引 招引 培养 提供 实现 完成 形成 "
    "畅通 打通 提速 扩围 扩展 延长 延续 下调 降至 提至 提前 力争 争取 努力 不断 继续 进一步 更好 更加 "
    "重点 着重 注重 突出 强调 落地 保护 修复 防治 恢复 监测 开发 利用 接种 研制 帮扶 救助 关爱 "
    "打好 打赢 唱响 打开 做实 实化 细化 加速 倒排 挂图 对标 补齐 补上 补强 破除 打破 消除 遏制 "
    "严防 严守 严把 健康 推广 发放 落实好 抓牢 把握 处理好 谋 增 促 抓 保 稳 强 扩 提 优 建 推 降 "
    "防 治 育 引 守 办 兜 控 进 抬 扛 惠 补 兴 减 拓 畅 护 聚 夯 筑 树"
).split()
_VERB_SET = frozenset(v for v in _VERBS if len(v) == 2)
_THREE_CHAR_VERBS = frozenset("进一步 处理好 落实好 新开工 新改建 新建成 新增加".split())
_LEADER = re.compile(r"(?:[—\-·•\s]+|[一二三四五六七八九十]是|首先|其次|再次|最后|同时|此外|另外)+")
# A subject or a time before the modal: 「今年要基本实现」「企业和群众要」.
_SUBJECT_MODAL = re.compile(r"[^，。；“”]{1,16}?(?:要(?![素求点害])|将|必须|须|应)")
_ONE_CHAR_VERBS = frozenset(v for v in _VERBS if len(v) == 1)
_ANY_VERB = re.compile("|".join(sorted(_VERB_SET, key=len, reverse=True)))
# Adverbs and modal words that may stand before the verb of a clause.
_ADVERB_WORDS = (
    "要 必须 需要 须 将 还要 更要 也要 都要 就要 我们要 同时 并 并且 还 也 再 更 坚定不移 毫不动摇 千方百计 "
    "不折不扣 锲而不舍 持之以恒 久久为功 全力以赴 一以贯之 切实 深入 扎实 全面 积极 大力 持续 着力 加快 不断 "
    "进一步 继续 努力 稳步 有序 稳妥 稳妥有序 认真 严格 始终 有效 精准 加紧 抓紧 主动 更好 更好地 更加 "
    "更大力度 更高水平 高水平 高标准 因地制宜 分类 统筹 重点 优先 率先 同步 适度 务实 坚决 全力 尽快 及早 "
    "牢牢 牢固 合理 适时 依法 依规 从严 逐步 分步 广泛 联合 共同 紧紧 高质量 全方位 一体 协同 深度 加力 聚力 合力 用心用情用力 用心用情 基本 带头 今年 明年 年内 "
    "年底前 下半年 上半年"
).split()
# Adverbs and modal words that may stand before the verb of a clause; longest first so
# that 「更加」 is not read as 「更」 + a verb 「加…」.
_ADVERB = re.compile(
    "(?:"
    + "|".join(sorted(map(re.escape, _ADVERB_WORDS), key=len, reverse=True))
    + r"|到\d{4}年|\d{4}年底前"
    # A time between the modal and the verb: 「要在9月底前完成」「于年底前建成」.
    + r"|(?:在|于)?(?:\d{4}年)?\d{1,2}月(?:底|末|中旬|上旬|下旬)?前|(?:在|于)(?:年底前|年内))+"
)
# Modals and times in the adverb run say nothing about what follows being a verb
# (「今年赤字率……」); manner adverbs (进一步, 积极, 持续) do.
_NOT_MANNER = re.compile(
    r"要|将|并且|并|同时|还|也|再|今年|明年|年内|年底前|下半年|上半年|基本|到\d{4}年|\d{4}年底前|"
    r"(?:在|于)?(?:\d{4}年)?\d{1,2}月(?:底|末|中旬|上旬|下旬)?前|在|于"
)
# 「保障粮食安全的要害是种子和耕地」 explains; it asks for nothing.
_COPULA = re.compile(r"的[^，。；]{0,8}是")
# A paragraph that opens by calling the past period extraordinary reviews it.
_PERIOD_REVIEW = re.compile(
    r"^[^。！]{0,30}(?:极不平凡|很不平凡|极不寻常|很不寻常|殊为不易)[^。！]{0,12}[。！]"
)
# Achievements told with figures, and the words that make such a sentence a plan instead.
_PAST_FIGURES = re.compile(
    r"从[^，。；]{1,24}(?:增加|提高|提升|增长|下降|减少|扩大|跃升)到|累计(?:超过|下降|达到|完成)|"
    r"成为全国首个|跻身|位居|居全国"
)
_FUTURE = re.compile(r"要|将|力争|确保|争取|目标|预期|计划|今年|明年|到20\d\d年")
# Who is asked to act; recorded as the task's actors.
_ACTORS = re.compile(
    r"各级党组织|各级领导干部|各级党委(?:和|、)?政府|各级政府|各级干部|广大党员干部|党员干部|"
    r"领导干部|政府工作人员|各地区各部门|各地各部门|各地|各部门|各级各部门|各市县|各区县|"
    r"全省各级政府|全市各级政府|各级财政|各类市场主体"
)
_ACTOR_LEAD = re.compile(
    rf"^(?:{_ACTORS.pattern}|我们|大家|全省|全市|全区|政府)(?:都|也|还)?(?=要|将|必须|须)"
)
# 「我们坚决维护……」「我们坚持……」: a first-person subject before a resolute adverb or the
# verb itself commits as much as 「我们要」 does (review parts never reach this).
_WE_COMMIT = re.compile(r"我们(?:党)?(?=坚决|坚定|始终|一定|决不|绝不|坚持|继续|全面|深入|大力)")
# Cues required outside a report's work part.
_CUE = re.compile(
    r"要(?!看|是|素|求|害|点|闻)|必须|坚持|着力|加快|确保|抓好|抓实|推动|推进|深化|实施|强化|健全|"
    r"完善|扩大|落实|全力|持续|积极|大力|统筹|进一步|将(?=[\u4e00-\u9fff]{0,3}(?:推进|加快|实施|"
    r"持续|深化|加强|提升|推动|强化|聚焦|围绕|紧扣))"
)
# Sentences that are not directives whatever their verbs: praise, narration, observation.
_NOT_DIRECTIVE = re.compile(
    r"体现了|彰显了|阐明了|明晰了|凝聚起了|好报告|充分说明|坚定了|指明了|要看到|要看|一致认为，全会报告|"
    r"报告(?:提到|指出)，|具有很强的|是一个[^，。]*报告|取得了|实现了|完成了|打好了|稳住了|"
    r"来之不易的成绩|殊为不易|成绩的取得|分析了|提出了|作出了|部署了|召开了|举行了|审议了|编制了|"
    r"进行了|制定了|出台了|印发了|了《|必将|必然会|只要我们|考虑了|提供了|营造了|积累了|兼顾了|设置了|"
    r"明确了|具备了|胜利召开|隆重召开|隆重举行|胜利闭幕|"
    # Party history (「以……同志为核心的党的第二代中央领导集体带领……作出……」) narrates.
    r"第[一二三]代中央领导集体"
)
# A clause that opens with 「守住“保”的底线」 tags itself and the rest of its sentence.
_PILLAR = re.compile(r"^[\u4e00-\u9fff]{0,4}“([^“”]{1,4})”的(?!关系)")
# Verbs that frame what follows rather than ask for work themselves.
_FRAME_VERBS = frozenset("围绕 紧扣 聚焦 按照 依托 瞄准 对标 立足 锚定".split())
# Lead-in clauses kept with the task they introduce (「以……为抓手」「把……作为……」).
_PREP = re.compile(
    r"^(?:以|按照|围绕|通过|依托|在|对|把|将|借助|结合|针对|面向|着眼|立足|根据|坚持以)"
)
_STRONG_CUE = frozenset(
    "坚持 着力 加快 确保 抓好 抓实 推动 推进 深化 实施 强化 健全 完善 扩大 落实 全力 持续 积极 大力 统筹 "
    "加强 提升 提高 优化 建设 打造 构建 培育".split()
)
_TARGETS_PARA = re.compile(r"预期目标\s*[是为]")
# A task book is at most tens of thousands of rows; past this the input is not a report
# (or is many reports pasted together) and memory, not insight, would grow.
MAX_TASKS = 50_000


@dataclass
class Sentence:
    start: int
    end: int
    kind: str
    area: str | None


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans in ``text[start:end]``; trailing closers stay with their sentence.

    A "sentence" longer than :data:`MAX_SENTENCE` characters is not one (a list pasted
    without full stops, a broken file); it is cut at commas so that work per sentence
    stays bounded.
    """
    out: list[tuple[int, int]] = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        _add_sentence(text, pos, m.end(), out)
        pos = m.end()
    if end - pos > 1:
        _add_sentence(text, pos, end, out)
    return out


MAX_SENTENCE = 600


def _add_sentence(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s] in " \n\u3000":
        s += 1
    while e - s > MAX_SENTENCE:
        cut = max(text.rfind("，", s, s + MAX_SENTENCE), text.rfind("、", s, s + MAX_SENTENCE))
        cut = cut + 1 if cut > s else s + MAX_SENTENCE
        out.append((s, cut))
        s = cut
    if e - s > 1:
        out.append((s, e))


def split_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Comma-separated clauses, not cutting inside quotes or brackets."""
    out: list[tuple[int, int]] = []
    depth = 0
    s = start
    # Visit only brackets and separators: a regex finds them far faster than a loop
    # over every character.
    for m in _CLAUSE_MARKS.finditer(text, start, end):
        c = m.group(0)
        i = m.start()
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            if i > s:
                out.append((s, i))
            s = i + 1
    # Drop the sentence-final marks from the last clause.
    e = end
    while e > s and text[e - 1] in "。！？!?；;…":
        e -= 1
    if e > s:
        out.append((s, e))
    return out


def leading_verb(clause: str) -> tuple[str, int] | None:
    """The clause's verb and where the verb's object starts, or None when not verb-led.

    「要着力抓项目」 → ("着力", 3): adverbs and modals before the verb are skipped, and the
    verb is the first cue or action verb after them.
    """
    i = 0
    m = _LEADER.match(clause)
    if m:
        i = m.end()
    m = _ACTOR_LEAD.match(clause, i) or _WE_COMMIT.match(clause, i)
    if m:
        i = m.end()
    elif not _ADVERB.match(clause, i) and clause[i : i + 2] not in _VERB_SET:
        m = _SUBJECT_MODAL.match(clause, i)
        if m:
            i = m.end()
    m = _ADVERB.match(clause, i)
    adverb_end = m.end() if m else i
    # The adverb run may have swallowed the verb itself (着力, 加快, 统筹 are both).
    for j in (i, adverb_end):
        for n in (3, 2):
            w = clause[j : j + n]
            if (n == 2 and w in _VERB_SET) or (n == 3 and w in _THREE_CHAR_VERBS):
                if j == i and adverb_end > i and w not in ("着力", "加快", "统筹", "坚持"):
                    continue
                return w, j + n
    if adverb_end > i:
        w = clause[i:adverb_end]
        # Only adverbs: 「全面加强」 was matched as adverbs; the last word is the verb.
        for n in (3, 2):
            if len(w) >= n and w[-n:] in _VERB_SET:
                return w[-n:], adverb_end
    rest = clause[adverb_end:]
    if (
        adverb_end > i
        and len(rest) >= 4
        and re.match(r"[\u4e00-\u9fff]{2}", rest)
        and rest[0] not in "的地得"
    ):
        # After an adverb (进一步, 积极, 持续) comes a verb even when our list lacks it
        # (「进一步缩减」).
        if _NOT_MANNER.sub("", clause[i:adverb_end]):
            return rest[:2], adverb_end + 2
    c = clause[adverb_end : adverb_end + 1]
    # A one-character verb (稳, 抓, 促) only counts after an adverb: 「着力稳…」, while a
    # clause that merely begins with 「进出口」 is no directive.
    if c in _ONE_CHAR_VERBS and adverb_end > i and len(clause) - adverb_end >= 3:
        return c, adverb_end + 1
    return None


def _verb_items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split 「抓项目强投资、促消费增活力、稳外资稳外贸」 into its verb phrases, or []."""
    parts: list[tuple[int, int]] = []
    s = start
    depth = 0
    for m in _ITEM_MARKS.finditer(text, start, end):
        c = m.group(0)
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append((s, m.start()))
            s = m.end()
        if len(parts) > 12:
            return []  # a long list is an inventory, not verb phrases sharing a verb
    parts.append((s, end))
    if len(parts) < 2:
        return []
    for a, b in parts:
        item = text[a:b]
        if not 3 <= len(item) <= 14 or "的" in item:
            return []  # 「引平台、引高校、引科研机构的支持体系」 is one object
        head2 = item[:2]
        if head2 not in _VERB_SET and item[0] not in _ONE_CHAR_VERBS:
            return []
    return parts


def _sentences(doc: ParsedDocument) -> list[Sentence]:
    text = doc.text
    out: list[Sentence] = []
    for start, end, kind, area in doc.extras.get("blocks", []):
        if kind not in ("work", "mixed", "article"):
            continue
        para = text[start:end]
        if (kind == "mixed" and _REVIEW_OPENER.match(para)) or _PERIOD_REVIEW.match(para):
            continue
        for s, e in split_sentences(text, start, end):
            out.append(Sentence(s, e, kind, area))
    return out


def _is_directive(sent: str, kind: str) -> bool:
    if _REVIEW_OPENER.match(sent) or _NOT_DIRECTIVE.search(sent):
        return False
    if _PAST_FIGURES.search(sent) and not _FUTURE.search(sent):
        return False  # 「从4.16万亿元增加到5.67万亿元」 reports what was done
    if _TARGETS_PARA.search(sent):
        return False  # the targets paragraph becomes indicator tasks (targets.py)
    if _statement(sent):
        return False  # 「……道路，就是……」 defines; it asks for nothing
    if sent.startswith("“") and not _CUE.search(sent):
        return False  # a quoted poem or saying
    return True


# A sentence that says what something is or proves (「……道路，就是……」「实践充分证明，……」)
# states; without a leading verb or a modal it asks for nothing.
_STATEMENT = re.compile(
    r"^[^。；！，]{1,30}?(?:，(?:就|都|总依据|总任务)?是|(?<![特别尤其凡但还或都总也正于只而便若一二三四五六七八九十])是(?!否)|在于|意味着)"
)
_MODAL = re.compile(r"要(?![求素点害是])|将(?!近|来)|必须|务必|拟|力争|确保")


# What makes a verbless sentence of a work part a commitment, and what makes it an
# observation (「……事件随时可能发生」「……深刻认识到」).
_PLANS = re.compile(r"要|将|拟|力争|确保|必须|计划|安排|今年|年内|全年|继续|\d|^(?:对|在|把|以|按)")
_OBSERVES = re.compile(r"认识到|看到|表明|证明|可能|发生|面临|存在|处于|没有|正在|已经")


def _plan_without_verb(sentence: str) -> bool:
    return bool(_PLANS.search(sentence)) and not _OBSERVES.search(sentence)


def _statement(sentence: str) -> bool:
    return bool(_STATEMENT.match(sentence)) and not _MODAL.search(sentence)


def _strong(clauses: list[tuple[str, str | None]]) -> bool:
    """Outside a report's work part a directive needs 要/必须 or a strong leading verb."""
    for clause, verb in clauses:
        if verb in _STRONG_CUE or re.search(r"要(?!看|是|素|求|害|点|闻)|必须|务必", clause):
            return True
    return False


def _article_index(starts: list[int], pos: int) -> int:
    """Index of the article holding ``pos`` (articles are in text order)."""
    return max(0, bisect_right(starts, pos) - 1)


def find_tasks(doc: ParsedDocument) -> ParsedDocument:
    """Append one :class:`Task` per commitment to ``doc.tasks``, its clauses as items."""
    atoms = find_clauses(doc)
    doc.tasks.extend(group_commitments(doc, atoms))
    return doc


def find_clauses(doc: ParsedDocument) -> list[Task]:
    """One :class:`Task` per verb-led directive clause, in text order (the old grain).

    These become the ``items`` of the commitments :func:`group_commitments` builds.
    """
    text = doc.text
    pillars = pillar_index(doc)
    starts = [a.start for a in doc.articles]
    tasks: list[Task] = []
    for sent in _sentences(doc):
        if len(tasks) >= MAX_TASKS:
            doc.warnings.append(f"任务超过 {MAX_TASKS} 条，其余部分未分解。")
            break
        s_text = text[sent.start : sent.end]
        if not _is_directive(s_text, sent.kind):
            continue
        actors = list(dict.fromkeys(_ACTORS.findall(s_text)))
        c_start, c_end = sent.start, sent.end
        if s_text.startswith("“") and s_text.rstrip("。！？；").endswith("”"):
            # A quoted directive (「“……关键要加强党的建设。”」): split inside the quotes.
            c_start, c_end = c_start + 1, c_start + len(s_text.rstrip("。！？；")) - 1
        clauses = [(a, b, leading_verb(text[a:b])) for a, b in split_clauses(text, c_start, c_end)]
        if sent.kind == "article" and not _strong(
            [(text[a:b], lv[0] if lv else None) for a, b, lv in clauses]
        ):
            continue
        # Group clauses: a verb-led clause opens a task; lead-ins (「以……为抓手」, framing
        # verbs such as 围绕) go with the next task, other verbless clauses with the previous.
        groups: list[list[tuple[int, int, str | None, int]]] = []
        group_pillars: list[str | None] = []
        pending: list[tuple[int, int, str | None, int]] = []
        pillar: str | None = None
        last = len(clauses) - 1
        for n, (a, b, lv) in enumerate(clauses):
            clause = text[a:b]
            pm = _PILLAR.match(clause)
            if pm and pm.group(1) in pillars:
                pillar = pm.group(1)
            if lv and lv[0] in _FRAME_VERBS and n < last:
                pending.append((a, b, None, a))
                continue
            if lv and (_NOT_DIRECTIVE.search(clause) or _COPULA.search(clause)):
                lv = None
            if lv:
                groups.append([*pending, (a, b, lv[0], a + lv[1])])
                group_pillars.append(pillar)
                pending = []
            elif _PREP.match(clause) and n < last:
                pending.append((a, b, None, a))
            elif groups and not pending:
                groups[-1].append((a, b, None, a))
            else:
                pending = []  # narration before the directive (「大家纷纷表示」)
        if not groups and sent.kind in ("work", "mixed") and _plan_without_verb(s_text):
            # In a work part a sentence without a leading verb still commits when it
            # plans or quantifies (「将小规模纳税人增值税起征点……提高到15万元」,
            # 「中央财政……专项资金安排106亿元」): keep it whole.
            verb_m = _ANY_VERB.search(s_text)
            if verb_m:
                groups = [
                    [(c_start, clauses[-1][1] if clauses else c_end, verb_m.group(0), c_start)]
                ]
                group_pillars = [pillar]
        for group, gp in zip(groups, group_pillars, strict=True):
            verb = next(v for _, _, v, _ in group if v)
            g_start, g_end = group[0][0], group[-1][1]
            spans: list[tuple[int, int]] = [(g_start, g_end)]
            vi = next(i for i, (_, _, v, _) in enumerate(group) if v)
            _, vb, _, obj = group[vi]
            items = _verb_items(text, obj, vb)
            if items:
                # Lead-ins stay with the first phrase, trailing clauses with the last.
                spans = list(items)
                spans[0] = (g_start if vi else spans[0][0], spans[0][1])
                spans[-1] = (spans[-1][0], g_end)
            for a, b in spans:
                if len(tasks) >= MAX_TASKS:
                    break
                # Leading dashes and enumerators (「——」「一是」) are layout, not task.
                lead = _LEADER.match(text, a, b)
                if lead:
                    a = lead.end()
                t = text[a:b].strip()
                if not t or (len(t) < 4 and not items):
                    continue
                tasks.append(
                    Task(
                        id="",
                        text=t,
                        verb=verb,
                        start=a,
                        end=b,
                        article=_article_index(starts, a),
                        framework=pillars.get(gp) if gp else None,
                        pillar=gp,
                        section=sent.area,
                        actors=list(actors),
                    )
                )
    return tasks


# A commitment ends where a sentence ends; 「；」 only separates its clauses.
_COMMIT_END = re.compile(r"[。！？!?]+[”’」』）)]*|\n")
# Enumerators inside one sentence: 「一是……；二是……」「第一，……」「（1）……」「①……」.
_ENUMERATOR = re.compile(
    r"[一二三四五六七八九十]是|第[一二三四五六七八九十]，|其[一二三四五六七八九十]，|（\d{1,2}）|[①-⑳]"
)
# A list number in front of a paragraph: 「1.」「（一）」「一、」.
_NUMBERING = re.compile(
    r"\d{1,2}[.．、](?!\d)|\d{1,2}[.．](?=\d{1,2}月)|（[一二三四五六七八九十\d]{1,3}）|[一二三四五六七八九十]{1,3}、"
)
_ENUM_BEFORE = frozenset("，,；;。：: \u3000")
# An enumerated item at a sentence start that may run over several sentences: 「一要……」.
_ENUM_ITEM = re.compile(
    r"[一二三四五六七八九十]要|[一二三四五六七八九十]是|第[一二三四五六七八九十]，"
)
# A topic sentence: short and without commas; its paragraph is one commitment up to
# this many characters.
MAX_TOPIC = 20
MAX_TOPIC_PARAGRAPH = 220
# A runaway "sentence" (a list pasted without full stops) is cut at 「；」 past this size.
MAX_COMMITMENT = 400


def commitment_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The commitments in the paragraph ``text[start:end]``.

    * A paragraph enumerated at its sentence starts (「一要……。二要……。」, 「一是……；
      二是……」) holds one commitment per enumerated item, however many sentences each
      item has; what stands before the first item follows the rules below.
    * A paragraph that opens with a short topic sentence (「加快发展服务业。」) and goes
      on to detail it is one commitment, when it is not longer than
      :data:`MAX_TOPIC_PARAGRAPH`: the topic is what an office tracks, the detail its items.
    * Otherwise each sentence is one commitment.
    """
    sentences: list[tuple[int, int]] = []
    pos = start
    for m in _COMMIT_END.finditer(text, start, end):
        _add_commitment(text, pos, m.end(), sentences)
        pos = m.end()
    if end > pos:
        _add_commitment(text, pos, end, sentences)
    if not sentences:
        return []
    items = [
        a for a, _ in sentences if _ENUM_ITEM.match(text, a) and not _ENUMERATOR.match(text, a)
    ]
    if len(items) >= 2:
        out = [span for span in sentences if span[0] < items[0]]
        bounds = [*items, sentences[-1][1]]
        out.extend(itertools.pairwise(bounds))
        return out
    first_a, first_b = sentences[0]
    topic = text[first_a:first_b].rstrip("。！？!?")
    if (
        len(sentences) >= 3
        and len(topic) <= MAX_TOPIC
        and not _CLAUSE_MARKS.search(topic)
        and sentences[-1][1] - first_a <= MAX_TOPIC_PARAGRAPH
        and leading_verb(topic) is not None
        and not _statement(topic)
    ):
        return [(first_a, sentences[-1][1])]
    return sentences


def _add_commitment(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s] in " \n\u3000":
        s += 1
    if e - s < 1:
        return
    cuts = [
        m.start()
        for m in _ENUMERATOR.finditer(text, s, e)
        if m.start() > s and text[m.start() - 1] in _ENUM_BEFORE
    ]
    if len(cuts) + (1 if _ENUMERATOR.match(text, s) else 0) < 2:
        cuts = []
    bounds = [s, *cuts, e]
    for a, b in itertools.pairwise(bounds):
        while b - a > MAX_COMMITMENT:
            cut = text.rfind("；", a, a + MAX_COMMITMENT)
            if cut <= a:
                cut = text.rfind("，", a, a + MAX_COMMITMENT)
            cut = cut + 1 if cut > a else a + MAX_COMMITMENT
            out.append((a, cut))
            a = cut
        if b > a:
            out.append((a, b))


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """Drop layout around a commitment: leading dashes and enumerators, final marks."""
    while a < b and text[a] in " \n\u3000，,；;：:、":
        a += 1
    lead = _LEADER.match(text, a, b)
    if lead and lead.end() < b:
        a = lead.end()
    m = _ENUMERATOR.match(text, a, b) or _NUMBERING.match(text, a, b)
    if m and m.end() < b:
        a = m.end()
    while a < b and text[a] in "，,：: ；;、":
        a += 1  # 「同时，」 leaves its comma
    while b > a and text[b - 1] in "。！？!?；;，,\n ":
        b -= 1
    return a, b


# Who said it, before what was said: 「大家纷纷表示，」「大家一致认为，」.
_REPORTING = re.compile(r"[^。，；]{0,16}(?:表示|认为|指出|谈到|说)[，：:]$")


def group_commitments(doc: ParsedDocument, atoms: list[Task]) -> list[Task]:
    """Fold clause-level tasks into one task per commitment, the clauses as its items.

    A commitment's text is the whole sentence (or enumerated item) as printed, so that
    the task book row reads as the report reads; its verb, pillar and section are those
    of its first clause, its actors those of all clauses.
    """
    if not atoms:
        return []
    text = doc.text
    spans: list[tuple[int, int]] = []
    item_blocks = doc.extras.get("item_blocks", ())
    for start, end, kind, _area in doc.extras.get("blocks", []):
        if kind not in ("work", "mixed", "article"):
            continue
        if start in item_blocks:
            spans.append((start, end))  # a numbered appendix item with its detail
        else:
            spans.extend(commitment_spans(text, start, end))
    spans.sort()
    starts = [a for a, _ in spans]
    groups: list[tuple[tuple[int, int], list[Task]]] = []
    for atom in atoms:
        i = bisect_right(starts, atom.start) - 1
        span = spans[i] if i >= 0 and spans[i][0] <= atom.start < spans[i][1] else None
        if span is None:
            span = (atom.start, atom.end)
        if groups and groups[-1][0] == span:
            groups[-1][1].append(atom)
        else:
            groups.append((span, [atom]))
    out: list[Task] = []
    for (a, b), members in groups:
        a, b = _trim(text, min(a, members[0].start), max(b, members[-1].end))
        first = members[0]
        if _REPORTING.match(text, a, first.start) or (
            first.start > a and _NOT_DIRECTIVE.search(text, a, first.start)
        ):
            # 「大家纷纷表示，要……」「……是总书记寄予我们的殷切希望，我们要……」: who said it,
            # or the praise before the demand, is not part of the task.
            a = first.start
        pillared = next((m for m in members if m.pillar), None)
        actors = list(dict.fromkeys(x for m in members for x in m.actors))
        items = (
            [Item(text=m.text, verb=m.verb, start=m.start, end=m.end) for m in members]
            if len(members) > 1
            else []
        )
        out.append(
            Task(
                id="",
                text=text[a:b],
                verb=first.verb,
                start=a,
                end=b,
                article=first.article,
                framework=pillared.framework if pillared else None,
                pillar=pillared.pillar if pillared else None,
                section=first.section,
                actors=actors,
                items=items,
            )
        )
    return out
