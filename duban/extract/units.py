"""Unit catalogs and lead-unit (牵头单位) suggestions for extracted tasks.

A *catalog* lists the departments of one level of government (``city``, ``province`` or
``national``): their full name, customary short name, other spellings, their statutory
functions (``duties``: a few short phrases per unit, our own summary of the unit's 三定
remit, e.g. 财政: 「财政预算编制与执行」「政府债务管理」) and function keywords (预算, 专项债,
贴息 …). It may also list the leaders in charge (分管领导) and their portfolios. The packaged
catalogs live in ``duban/extract/data/units_<level>.json``; an office can export one with
:meth:`Catalog.to_json`, edit it and load its own file by path, as JSON, CSV or XLSX
(:mod:`duban.extract.catalog_tables`). The JSON file::

    {"version": "2026.2", "level": "city", "name": "…",
     "ignore": ["健康发展", …],              # stock phrases worth nothing (optional)
     "leaders": [{"name": "副市长（分管发展改革、财政）",
                  "portfolio": ["市发展改革委", "市财政局"]}],   # optional
     "units": [{"name": "市财政局", "short": "市财政局", "aliases": ["财政局"],
                "kind": "government",       # party | government | agency | district | other
                "duties": ["财政预算编制与执行", "政府债务管理", …],
                "keywords": ["预算", "专项债", "贴息", …],
                "weights": {"贴息": 2.0}}]}  # optional multipliers, default 1

How a sentence is scored (:func:`suggest`):

* every catalog *term* found in the sentence (a keyword, or a term derived from a duty
  phrase by :func:`duty_terms`) adds ``len(term) ** 1.5 / n`` to each of the ``n`` units
  that list it: a word many units share (增值税: 财政 and 税务) says less about each;
* the sentence's character bigrams that occur in a unit's duties add a small amount each,
  weighted by how few units share them (``FUZZY_WEIGHT × idf``), so a sentence worded
  differently from every keyword still reaches the unit whose functions it describes;
* a unit named in the sentence (「由市财政局牵头」) outweighs any sum of words;
* a site's learned weights (:class:`~duban.extract.site_weights.SiteWeights`, applied with
  :meth:`Catalog.with_overlay`) add what the office taught by correcting leads.

The packaged catalogs carry no ``weights``. Version 2026.1 had about a hundred multipliers
(贴息 ×2 for 财政, 注册制 ×3 for 证监会 …) and none was kept: those on a word only one unit
lists change no ranking (that unit already gets the whole term), and those on shared words
(增值税, 延期还本付息, 疫苗) ordered the units as the two gold files do, not as any general
rule of remit would. Removing them left lead@3 on those files unchanged (lead@1 on the
河南 file went from 0.93 to 0.89). Specificity now comes from how many units share a word
and from the duties. The field stays for an office whose own catalog needs a multiplier.

Bundles of many units (各地各部门, 各区县, 各级政府) are not one unit: when such a bundle is
the actor of a sentence it is suggested as itself (a :class:`BundleSuggestion`, kind
``bundle``), first.

Three things use a catalog:

* :func:`suggest_leads` / :func:`suggest` rank the units whose functions a task sentence
  talks about. They are called once per task, so all terms and unit names are compiled at
  load time into one regular expression built from a character trie (the regex engine then
  scans the sentence in C, like an Aho–Corasick automaton);
* :func:`resolve_unit_name` maps the many ways a unit is written in Excel task books
  (「市发改委」, 「发展和改革委员会」, 「人力资源和社会保障部」) to one catalog unit;
* the pipeline's ``units`` step stores the suggestions on each :class:`~duban.extract.model.Task`.

This module is plain Python (no Django) so the engine runs from the command line.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ErrorCode, ExtractError
from .model import LeadSuggestion

__all__ = [
    "GENERIC_BIGRAMS",
    "KINDS",
    "LEVELS",
    "BundleSuggestion",
    "Catalog",
    "Leader",
    "LeaderSuggestion",
    "Suggestion",
    "Unit",
    "duty_terms",
    "is_bundle",
    "load_catalog",
    "loose_name",
    "resolve_unit_name",
    "suggest",
    "suggest_leads",
]

LEVELS = ("city", "province", "national")
KINDS = ("party", "government", "agency", "district", "other")

# Scoring constants. A keyword match is worth its length to the power LENGTH_EXPONENT
# (longer phrases such as 「城中村改造」 are far more specific than 「城市」), divided by
# the number of units that share the keyword (an IDF-like split). A unit named in the
# sentence itself (「由市财政局牵头」) outweighs any plausible sum of keywords.
LENGTH_EXPONENT = 1.5
NAME_MENTION_SCORE = 40.0
# A name next to 牵头/负责 is what a supervision office reads as the lead.
LEAD_MARK_BONUS = 40.0
# A term derived from a duty phrase counts like a keyword. (Counting a keyword that the
# unit's duties also name more than once was tried and lowered lead@1 on reports the
# catalogs were not written against, so it is not done.)
DUTY_TERM_FACTOR = 1.0
# Each distinct bigram of the sentence found in a unit's duties adds FUZZY_WEIGHT × idf,
# idf = log(units / units whose duties hold the bigram). Small: it ranks units that no
# term reached and breaks ties, it does not outvote a term.
FUZZY_WEIGHT = 0.35
# A unit reached by bigrams alone needs this many distinct ones.
MIN_FUZZY_BIGRAMS = 2
# Co-units: the next units with at least this share of the lead's score, at most MAX_CO.
CO_UNIT_SHARE = 0.25
MAX_CO_UNITS = 3

# Bundles of many units. Longest first, so 各地各部门 wins over 各地.
_BUNDLES = (
    "各地区各部门",
    "各地各部门",
    "各级各部门",
    "各级党委和政府",
    "各级党委政府",
    "各级政府",
    "各区县（市）",
    "各县（市、区）",
    "各区（县、市）",
    "各县（市）区",
    "各县市区",
    "各区县",
    "各市县",
    "各市（州）",
    "各市州",
    "各省（区、市）",
    "各省区市",
    "各乡镇（街道）",
    "各乡镇",
    "各部门各单位",
    "各有关部门",
    "各部门",
    "各地",
)
_BUNDLE = re.compile("|".join(re.escape(b) for b in _BUNDLES))
# A bundle is the actor when it opens the sentence (after a connective) or is followed
# by a modal (要/必须/务必/负责); 「支持各地……」 is the government acting on them instead.
_BUNDLE_OPEN = re.compile(r"^[\s“”（）()、，,：:]*(?:同时|此外|其中|今年|全年)?[，,]?$")
_BUNDLE_MODAL = re.compile(r"[^，。；]{0,3}?(?:要|必须|务必|应当|应|负责|牵头|分别|都要|切实)")

# Duty phrases are split into terms at these; the verbs and generic heads around a
# function's object are dropped (「负责全市耕地保护工作」 → 「耕地保护」).
# 和 inside a word (碳中和, 和美乡村, 和平) is not a conjunction.
_DUTY_SPLIT = re.compile(r"[、，,；;：:/（）()\s的]|以及|(?<!中)和(?![美平谐])|与|及|并|或")
_DUTY_VERBS = re.compile(
    r"^(?:负责|承担|牵头|拟订|拟定|制定|起草|组织|实施|统筹|协调|指导|监督|管理|推进|推动|"
    r"开展|参与|编制|审核|审批|监测|落实|研究|提出|执行|促进|完善|健全|加强|做好|贯彻|支持|"
    r"全市|全省|全国|本级|有关|相关|综合|依法)+"
)
_DUTY_TAIL = re.compile(r"(?:工作|事务|事项|相关|有关|等)+$")
_GENERIC_TERMS = frozenset(
    "管理 建设 发展 服务 工作 监督 政策 规划 改革 制度 体系 机制 保障 实施 推进 促进 "
    "组织 协调 指导 综合 标准 项目 资金 安全 质量 能力 水平 建议 方案 监管 统筹 执行 "
    "拟订 审核 工程 行动 重大 重点 有关 相关 全市 全省 全国 事业 产业 经济 使用 保护 "
    "处理 治理 调度 调运 转化 运用 核准 审批 线路 网络 传播 预警 内地 监测 统筹 "
    "开发利用".split()
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Bigrams of the words every directive and every duty uses (推进, 建设, 改革 …): no evidence
# for any unit, neither from duties nor when the office teaches. Domain words (教育,
# 交通) are not here: they are what the duties are about.
GENERIC_BIGRAMS = frozenset(
    "推进 加快 加强 实施 建设 发展 提升 完善 健全 全面 深入 持续 推动 开展 工作 体系 "
    "机制 能力 水平 服务 管理 强化 落实 深化 优化 支持 促进 提高 扎实 积极 稳步 着力 "
    "坚持 我们 今年 全年 年底 力争 确保 一批 重点 重大 行动 改革 新增 完成 以上 打造 "
    "高质 质量 量发 全市 全省 全国 有效 进一 一步 不断 创新 进行 做好 抓好 围绕 更加 "
    "大力 健康 有序 规范 计划 方案 工程 项目 三年 五年 建立 构建 形成 实现 保障 示范 "
    "试点 目标 任务 要求 政策 制度 统筹 组织 协调 指导 监督 综合 有关 相关 资源 治理 "
    "运用 利用 规划 编制 拟订 与实 的统 和管 与管 设与 理与".split()
)
# Used with .match(text, pos), which anchors at pos; a "^" would not match there.
_LEAD_MARK = re.compile(r".{0,3}?(?:牵头|负责|为主|主责)")

# Characters removed or rewritten by loose_name(); see its docstring.
_SPACE = re.compile(r"[\s\u200b\u3000“”\"'‘’《》〈〉·•]+")
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")
_LEVEL_PREFIX = re.compile(r"^(?:中华人民共和国|中共|中国共产党)?(?:国务院(?=[^办]))?")
# Whatever stands before the first 省/市/自治区: a place (河南省, 青澜市), or a vertically
# managed system and its place (国家税务总局河南省税务局). Two to ten characters:
# 「城市管理局」 has only one before its 市.
_PLACE_PREFIX = re.compile(r"^(?![市省])[\u4e00-\u9fff]{2,10}?(?=省|市|自治区)")
_SUFFIX_REWRITES = (
    ("委员会办公室", "委办"),
    ("委员会", "委"),
    ("监督管理", "监管"),
    ("人力资源社会保障", "人社"),
    ("发展改革", "发改"),
    ("工业信息化", "工信"),
    ("住房城乡建设", "住建"),
    ("卫生健康", "卫健"),
    ("科学技术", "科技"),
    ("管理局", "局"),
    ("总局", "局"),
    ("管理办公室", "办"),
    ("办公厅", "办"),
    ("办公室", "办"),
)


@dataclass
class Unit:
    """One department of a catalog.

    ``kind`` is one of :data:`KINDS`; ``district`` units (区县) implement tasks but are
    never suggested as leads. ``weights`` optionally multiplies single keywords (default 1).
    """

    name: str
    short: str
    aliases: list[str] = field(default_factory=list)
    kind: str = "government"
    keywords: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    duties: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Every way of writing the unit that the catalog knows: full, short, aliases."""
        out = [self.name]
        for n in [self.short, *self.aliases]:
            if n and n not in out:
                out.append(n)
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "short": self.short,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "duties": list(self.duties),
            "keywords": list(self.keywords),
        }
        if self.weights:
            d["weights"] = dict(self.weights)
        return d


@dataclass
class Leader:
    """A leader in charge (分管领导) and the units of their portfolio (any spelling)."""

    name: str
    portfolio: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "portfolio": list(self.portfolio)}


@dataclass
class BundleSuggestion(LeadSuggestion):
    """A bundle of many units (各地各部门, 各区县) suggested as itself, not as one unit.

    ``kind`` is a property, not a field, so the task JSON keeps the schema's three keys
    (unit, score, matched); a reader tells a bundle from a unit with :func:`is_bundle`.
    """

    @property
    def kind(self) -> str:
        return "bundle"


def is_bundle(name: str) -> bool:
    """Whether ``name`` is a bundle of many units (各地各部门, 各区县 …), not one unit."""
    return _BUNDLE.fullmatch(name or "") is not None


@dataclass
class LeaderSuggestion:
    """The leader whose portfolio holds the suggested lead (``units``: the units it holds)."""

    name: str
    units: list[str] = field(default_factory=list)


@dataclass
class Suggestion:
    """Everything :func:`suggest` proposes for one sentence.

    ``leads``: the best units, best first (a bundle, when it is the actor, comes first);
    ``co_units``: the next units whose functions the sentence also touches (配合单位),
    never the first lead; ``leader``: the 分管领导 of the first unit lead, when the catalog
    lists portfolios; ``bundle``: the bundle named as actor, or ``None``.
    """

    leads: list[LeadSuggestion] = field(default_factory=list)
    co_units: list[LeadSuggestion] = field(default_factory=list)
    leader: LeaderSuggestion | None = None
    bundle: BundleSuggestion | None = None


def duty_terms(phrase: str) -> list[str]:
    """The matchable terms of one duty phrase, in order, without duplicates.

    The phrase is cut at 、，和与及并 and similar, and each piece loses the verbs and
    generic heads around its object (「负责全市耕地保护和土地利用管理」 → 「耕地保护」,
    「土地利用管理」 → 「土地利用」). Pieces shorter than two characters or that are a generic
    word on their own (管理, 建设, 服务 …) are dropped.
    """
    out: list[str] = []
    for piece in _DUTY_SPLIT.split(phrase):
        piece = piece.strip()
        for _ in range(3):
            before = piece
            piece = _DUTY_VERBS.sub("", piece)
            piece = _DUTY_TAIL.sub("", piece)
            if piece.endswith("管理") and len(piece) > 4:
                piece = piece[:-2]
            if piece == before:
                break
        if len(piece) >= 2 and piece not in _GENERIC_TERMS and piece not in out:
            out.append(piece)
    return out


def _bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def loose_name(name: str) -> str:
    """A comparison key under which the usual spellings of one unit coincide.

    Removes spaces, quotes and a bracketed note, the party/state prefix (中共, 中华人民共和国)
    and a place or level prefix (市, 省, 青澜市, 河南省), drops 「和」 and contracts the
    standard long forms (委员会→委, 管理局→局, 发展改革→发改, 人力资源社会保障→人社 …), so
    that 「市发展和改革委员会」, 「发展改革委」 and 「市发改委」 all become 「发改委」.
    """
    s = _SPACE.sub("", name)
    s = _BRACKETED.sub("", s) or s
    s = _LEVEL_PREFIX.sub("", s)
    m = _PLACE_PREFIX.match(s)
    if m and len(s) - m.end() >= 3:
        # 青澜市财政局 → 市财政局, 河南省委宣传部 → 省委宣传部; the level goes next
        s = s[m.end() :].removeprefix("自治区")
    if s.startswith(("市委", "省委")) and len(s) > 3 and s[2] != "办":
        s = s[2:]  # 市委宣传部 = 宣传部; 市委办公室 keeps the alias 市委办
    elif len(s) > 2 and s[0] in "市省" and not s.startswith(("市场", "省级")):
        s = s[1:]
    elif s.startswith("国家") and len(s) > 4:
        s = s[2:]  # 国家统计局 = 统计局
    s = s.replace("和", "")
    for old, new in _SUFFIX_REWRITES:
        s = s.replace(old, new)
    return s


def _stem(key: str) -> str:
    """A looser key still: the loose name without its institution suffix (局/厅/委/部/办)."""
    if len(key) > 2 and key[-1] in "局厅委部办署":
        return key[:-1]
    return key


class Catalog:
    """The units of one level, with the matcher :func:`suggest_leads` uses.

    Build with :func:`load_catalog`; the constructor validates nothing beyond what the
    loader already did, and compiles the matcher once.
    """

    def __init__(
        self,
        units: Iterable[Unit],
        *,
        level: str = "",
        name: str = "",
        version: str = "",
        ignore: Iterable[str] = (),
        leaders: Iterable[Leader] = (),
    ):
        self.units: list[Unit] = list(units)
        self.leaders: list[Leader] = list(leaders)
        self._leader_by_unit: dict[int, Leader] | None = None  # built on first use
        # A site's learned weights: bigram → [(unit index, weight)]; see with_overlay().
        self._overlay: dict[str, list[tuple[int, float]]] = {}
        # Stock phrases that hold a keyword but are about no department (「健康发展」,
        # 「深入学习」): matched like keywords so that they hide the word inside them,
        # and then worth nothing.
        self.ignore: list[str] = list(dict.fromkeys(ignore))
        self.level = level
        self.name = name
        self.version = version
        self._compile()

    def __repr__(self) -> str:
        return f"Catalog(level={self.level!r}, units={len(self.units)}, version={self.version!r})"

    def __len__(self) -> int:
        return len(self.units)

    # -- building -------------------------------------------------------------------
    def _compile(self) -> None:
        # term → list of (unit index, weight); a term is a keyword or a unit name form.
        keyword_units: dict[str, list[tuple[int, float]]] = {}
        name_units: dict[str, set[int]] = {}
        self._by_exact: dict[str, int] = {}
        self._by_loose: dict[str, list[int]] = {}
        self._by_stem: dict[str, list[int]] = {}
        for i, u in enumerate(self.units):
            for n in u.names:
                self._by_exact.setdefault(n, i)
                key = loose_name(n)
                if i not in self._by_loose.setdefault(key, []):
                    self._by_loose[key].append(i)
                stem = _stem(key)
                if i not in self._by_stem.setdefault(stem, []):
                    self._by_stem[stem].append(i)
            if u.kind == "district":
                continue  # implementers, never lead candidates: keep them out of the scan
            for n in u.names:
                # Bare two-character aliases (「财政」) would fire on ordinary words.
                if len(n) >= 3:
                    name_units.setdefault(n, set()).add(i)
            derived = [t for d in u.duties for t in duty_terms(d)]
            for kw in dict.fromkeys([*u.keywords, *derived]):
                factor = 1.0 if kw in u.keywords else DUTY_TERM_FACTOR
                keyword_units.setdefault(kw, []).append((i, factor * float(u.weights.get(kw, 1.0))))

        # The fuzzy evidence: every bigram of each candidate's duties, with its idf.
        grams: dict[str, list[int]] = {}
        candidates = [i for i, u in enumerate(self.units) if u.kind != "district"]
        for i in candidates:
            for g in _bigrams("".join(self.units[i].duties)) - GENERIC_BIGRAMS:
                grams.setdefault(g, []).append(i)
        n = max(len(candidates), 1)
        self._grams: dict[str, tuple[float, list[int]]] = {
            g: (math.log(n / len(idx)), idx)
            for g, idx in grams.items()
            if len(idx) < n / 4  # a bigram in a quarter of all duties says nothing
        }
        self._gram_keys = frozenset(self._grams)

        # Precompute each term's contribution per unit so scoring is a dict walk.
        self._terms: dict[str, list[tuple[int, float, bool]]] = {}
        for kw, lst in keyword_units.items():
            base = len(kw) ** LENGTH_EXPONENT / len(lst)
            self._terms[kw] = [(i, base * w, False) for i, w in lst]
        for n, idx in name_units.items():
            # A name wins over a keyword spelled the same way.
            self._terms[n] = [(i, NAME_MENTION_SCORE, True) for i in sorted(idx)]
        for phrase in self.ignore:
            self._terms.setdefault(phrase, [])
        self._regex = _trie_regex(self._terms) if self._terms else None

    # -- saving ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "version": self.version,
            "level": self.level,
            "name": self.name,
            "ignore": list(self.ignore),
        }
        if self.leaders:
            d["leaders"] = [ld.to_dict() for ld in self.leaders]
        d["units"] = [u.to_dict() for u in self.units]
        return d

    def with_overlay(self, weights: Any) -> Catalog:
        """A copy of this catalog that also scores a site's learned weights.

        ``weights`` is a :class:`~duban.extract.site_weights.SiteWeights` or its
        ``to_dict()`` form (``{"units": {unit name: {bigram: weight}}}``). Units are found
        by :func:`resolve_unit_name`, so a weight learned under 「市发改委」 applies to
        「市发展和改革委员会」; weights for units this catalog lacks are ignored. The
        packaged catalog is shared and stays untouched.
        """
        data = weights.to_dict() if hasattr(weights, "to_dict") else dict(weights or {})
        clone = copy.copy(self)
        overlay: dict[str, list[tuple[int, float]]] = {}
        index = {id(u): i for i, u in enumerate(self.units)}
        for unit_name, terms in (data.get("units") or {}).items():
            unit = resolve_unit_name(str(unit_name), self)
            if unit is None or unit.kind == "district" or not isinstance(terms, dict):
                continue
            i = index[id(unit)]
            for term, w in terms.items():
                if isinstance(w, int | float) and not isinstance(w, bool) and w:
                    overlay.setdefault(str(term), []).append((i, float(w)))
        clone._overlay = overlay
        return clone

    def to_json(self, path: str | Path | None = None) -> str:
        """The catalog as the JSON an office edits; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # -- lookups --------------------------------------------------------------------
    def get(self, name: str) -> Unit | None:
        """The unit with exactly this name, short name or alias."""
        i = self._by_exact.get(name)
        return self.units[i] if i is not None else None

    def lead_candidates(self) -> list[Unit]:
        return [u for u in self.units if u.kind != "district"]

    def leader_of(self, unit: Unit | None) -> Leader | None:
        """The first leader whose portfolio holds ``unit`` (by any spelling), else ``None``."""
        if unit is None or not self.leaders:
            return None
        if self._leader_by_unit is None:
            found: dict[int, Leader] = {}
            for leader in self.leaders:
                for written in leader.portfolio:
                    u = resolve_unit_name(written, self)
                    if u is not None:
                        found.setdefault(id(u), leader)
            self._leader_by_unit = found
        return self._leader_by_unit.get(id(unit))


def _trie_regex(terms: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of ``terms``, longest alternative first at each position.

    The pattern is a character trie (「财政(?:贴息|资金)?」), which the regex engine walks
    without backtracking over hundreds of alternatives, and whose first characters form
    one set the engine uses to skip positions where nothing can start.
    """
    trie: dict[str, Any] = {}
    for t in terms:
        node = trie
        for ch in t:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if len(branches) == 1:
            body = branches[0]
            return f"(?:{body})?" if end else body
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if end else body

    return re.compile(build(trie))


# -- loading ----------------------------------------------------------------------------


def _bad(message: str) -> ExtractError:
    return ExtractError(ErrorCode.E012_BAD_CATALOG, message)


def _str_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise _bad(f"单位目录格式错误：{where}的 {key} 应为非空字符串的列表")
    return [x.strip() for x in value]


def catalog_from_dict(data: Any, *, source: str = "单位目录") -> Catalog:
    """Validate a parsed catalog JSON object and build the :class:`Catalog`.

    Raises :class:`ExtractError` ``E012`` naming the first problem and the unit's index.
    """
    if not isinstance(data, dict):
        raise _bad(f"{source}格式错误：顶层应为 JSON 对象")
    units_raw = data.get("units")
    if not isinstance(units_raw, list) or not units_raw:
        raise _bad(f"{source}格式错误：缺少非空的 units 列表")
    level = data.get("level", "")
    if not isinstance(level, str):
        raise _bad(f"{source}格式错误：level 应为字符串")
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for idx, raw in enumerate(units_raw):
        where = f"第 {idx} 个单位"
        if not isinstance(raw, dict):
            raise _bad(f"{source}格式错误：{where}不是 JSON 对象")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad(f"{source}格式错误：{where}缺少 name")
        name = name.strip()
        where = f"第 {idx} 个单位（{name}）"
        short = raw.get("short") or name
        if not isinstance(short, str):
            raise _bad(f"{source}格式错误：{where}的 short 应为字符串")
        kind = raw.get("kind", "government")
        if kind not in KINDS:
            raise _bad(f"{source}格式错误：{where}的 kind「{kind}」不是 {'/'.join(KINDS)} 之一")
        aliases = _str_list(raw.get("aliases"), where, "aliases")
        keywords = _str_list(raw.get("keywords"), where, "keywords")
        duties = _str_list(raw.get("duties"), where, "duties")
        weights = raw.get("weights") or {}
        if not isinstance(weights, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
            for k, v in weights.items()
        ):
            raise _bad(f"{source}格式错误：{where}的 weights 应为「关键词: 非负数」")
        unit = Unit(name, short.strip(), aliases, kind, keywords, dict(weights), duties)
        for n in (unit.name, unit.short):
            if n in seen and seen[n] != idx:
                raise _bad(f"{source}格式错误：{where}的名称「{n}」与第 {seen[n]} 个单位重复")
            seen[n] = idx
        units.append(unit)
    leaders_raw = data.get("leaders") or []
    if not isinstance(leaders_raw, list):
        raise _bad(f"{source}格式错误：leaders 应为列表")
    leaders: list[Leader] = []
    for idx, raw in enumerate(leaders_raw):
        where = f"第 {idx} 位分管领导"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise _bad(f"{source}格式错误：{where}应为含 name 的 JSON 对象")
        portfolio = _str_list(raw.get("portfolio"), where, "portfolio")
        leaders.append(Leader(raw["name"].strip(), portfolio))
    catalog = Catalog(
        units,
        level=level,
        name=str(data.get("name", "")),
        version=str(data.get("version", "")),
        ignore=_str_list(data.get("ignore"), "顶层", "ignore"),
        leaders=leaders,
    )
    for leader in leaders:
        for written in leader.portfolio:
            if resolve_unit_name(written, catalog) is None:
                raise _bad(
                    f"{source}格式错误：分管领导「{leader.name}」分管的「{written}」不在目录中"
                )
    return catalog


@lru_cache(maxsize=8)
def _packaged(level: str) -> Catalog:
    ref = resources.files("duban.extract").joinpath("data", f"units_{level}.json")
    try:
        data = json.loads(ref.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(f"内置单位目录 units_{level}.json 无法读取：{exc}") from exc
    return catalog_from_dict(data, source=f"内置单位目录 units_{level}.json ")


def load_catalog(level_or_path: str | Path = "city") -> Catalog:
    """Load the packaged catalog of a level (``city``/``province``/``national``) or a file.

    Packaged catalogs are parsed and compiled once per process and shared; treat them as
    read-only. A path is read every time: ``.json`` in the format above, ``.csv`` or
    ``.xlsx`` in the table format of :mod:`duban.extract.catalog_tables`. Any problem raises :class:`ExtractError` with
    code ``E012_BAD_CATALOG``.
    """
    if isinstance(level_or_path, str) and level_or_path in LEVELS:
        return _packaged(level_or_path)
    path = Path(level_or_path)
    if path.suffix.lower() in (".csv", ".xlsx"):
        from .catalog_tables import read_catalog_table

        return catalog_from_dict(read_catalog_table(path), source=f"单位目录 {path.name} ")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _bad(f"单位目录文件不存在：{path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(f"单位目录文件无法读取：{path}（{exc.__class__.__name__}）") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _bad(
            f"单位目录不是有效的 JSON：{path.name} 第 {getattr(exc, 'lineno', '?')} 行"
        ) from exc
    return catalog_from_dict(data, source=f"单位目录 {path.name} ")


# -- suggesting -------------------------------------------------------------------------


def _matches(text: str, catalog: Catalog) -> list[tuple[int, int, str]]:
    """Terms found in ``text`` as (start, end, term), dropping those inside a longer match.

    「财政贴息」 hides the 「财政」 and 「贴息」 inside it; two matches that only overlap
    (「农村公路」/「公路建设」) are both kept, unless one of them has two characters.
    """
    regex = catalog._regex
    if regex is None:
        return []
    kept: list[tuple[int, int, str]] = []
    reach = -1  # furthest end of the matches kept so far
    pos = 0
    search = regex.search
    # Restarting one character after each match start finds overlapping matches while
    # the regex engine still skips, in C, the stretches where no term can start; a
    # look-ahead pattern that reports every position is about half as fast.
    while (m := search(text, pos)) is not None:
        s, e = m.span()
        # Matches arrive in start order, each the longest at its start, so a match is
        # contained in an earlier one exactly when it ends no later than that one's end.
        if e > reach:
            if kept and s < reach and min(e - s, reach - kept[-1][0]) <= 2:
                # Two crossing matches where one is a two-character word: 「医学生物」
                # holds 「医学」 and 「学生」, and only one of them is a word. Keep the
                # longer, or the earlier when they are as long.
                if e - s <= reach - kept[-1][0]:
                    pos = s + 1
                    continue
                kept.pop()
            kept.append((s, e, m.group()))
            reach = e
        pos = s + 1
    return kept


def _score(text: str, catalog: Catalog) -> tuple[dict[int, float], dict[int, list[str]]]:
    """Evidence per unit index, and the words that counted for it, in text order."""
    scores: dict[int, float] = {}
    words: dict[int, list[str]] = {}
    seen: set[str] = set()
    for _s, e, term in _matches(text, catalog):
        entries = catalog._terms[term]
        if not entries:
            continue  # an ignored phrase
        lead_mark = entries[0][2] and _LEAD_MARK.match(text, e) is not None
        if term in seen and not lead_mark:
            continue  # repeating a word is not more evidence
        seen.add(term)
        for i, value, is_name in entries:
            bonus = LEAD_MARK_BONUS if is_name and lead_mark else 0.0
            scores[i] = scores.get(i, 0.0) + value + bonus
            w = words.setdefault(i, [])
            if term not in w:
                w.append(term)
    fuzzy: dict[int, list[float]] = {}
    grams = _bigrams(text)
    # Intersections run in C over the sentence's few dozen bigrams.
    for g in grams.intersection(catalog._gram_keys):
        idf, idx = catalog._grams[g]
        for i in idx:
            fuzzy.setdefault(i, []).append(FUZZY_WEIGHT * idf)
    if catalog._overlay:
        for g in grams.intersection(catalog._overlay):
            for i, w in catalog._overlay[g]:
                scores[i] = scores.get(i, 0.0) + w
                words.setdefault(i, [])
    for i, values in fuzzy.items():
        # One shared bigram (「精神」 in 精神文明) is chance; two are a topic.
        if i in words or len(values) >= MIN_FUZZY_BIGRAMS:
            scores[i] = scores.get(i, 0.0) + math.fsum(values)
    return scores, words


def _bundle(text: str) -> BundleSuggestion | None:
    """The bundle (各地各部门 …) that is the actor of ``text``, if any."""
    for m in _BUNDLE.finditer(text):
        if _BUNDLE_OPEN.match(text[: m.start()]) or _BUNDLE_MODAL.match(text, m.end()):
            return BundleSuggestion(unit=m.group(), score=1.0, matched=[m.group()])
    return None


def suggest(text: str, catalog: Catalog, k: int = 3) -> Suggestion:
    """Leads, co-units, leader in charge and bundle for one task sentence.

    ``leads`` holds at most ``k`` entries: the bundle first when the sentence names one
    as its actor (「各地各部门要……」), then the units by score. ``co_units`` are the units
    after the first unit lead whose evidence is at least ``CO_UNIT_SHARE`` of its own
    (at most ``MAX_CO_UNITS``); ``leader`` is the catalog leader whose portfolio holds the
    first unit lead. Scores are shares of all evidence (0–1), as in :func:`suggest_leads`.
    """
    out = Suggestion()
    if not text:
        return out
    out.bundle = _bundle(text)
    scores, words = _score(text, catalog)
    positive = {i: v for i, v in scores.items() if v > 0}
    total = math.fsum(positive.values())
    ranked = sorted(positive, key=lambda i: (-positive[i], i))
    units = [
        LeadSuggestion(
            unit=catalog.units[i].name,
            score=round(positive[i] / total, 3),
            matched=words.get(i, []),
        )
        for i in ranked[: max(k, MAX_CO_UNITS + 1)]
    ]
    if k > 0:
        out.leads = ([out.bundle] if out.bundle else []) + units
        out.leads = out.leads[:k]
    if ranked:
        top = positive[ranked[0]]
        out.co_units = [
            s
            for i, s in zip(ranked[1:], units[1:], strict=False)
            if positive[i] >= CO_UNIT_SHARE * top and words.get(i)
        ][:MAX_CO_UNITS]
        leader = catalog.leader_of(catalog.units[ranked[0]])
        if leader is not None:
            held = [
                s.unit
                for s in [units[0], *out.co_units]
                if catalog.leader_of(catalog.get(s.unit)) is leader
            ]
            out.leader = LeaderSuggestion(name=leader.name, units=held)
    return out


def suggest_leads(text: str, catalog: Catalog, k: int = 3) -> list[LeadSuggestion]:
    """The ``k`` units most likely to lead the task described by ``text``, best first.

    Every distinct term (keyword or duty term) found in the text adds
    ``len(term) ** 1.5 × weight / n`` to each of the ``n`` units that list it; bigrams shared with a
    unit's duties add a little (``FUZZY_WEIGHT × idf``); a unit named in the text (three
    characters or more, e.g. 「市财政局」) adds a large fixed amount, more when 「牵头/负责」
    follows it; a site overlay adds its learned weights. ``LeadSuggestion.score`` is the
    unit's share of all evidence found in the text (0–1), rounded to three decimals;
    ``matched`` lists the words that counted, in text order; ``unit`` is the unit's full
    ``name`` (its key in the catalog and in the ``org`` app; show
    ``Catalog.get(name).short`` to users). When a bundle (各地各部门 …) is the sentence's
    actor, the first entry is a :class:`BundleSuggestion` (``kind="bundle"``, score 1)
    naming it (:func:`is_bundle` tells it from a unit). Units of kind ``district`` are
    never suggested. Ties keep catalog order.
    No evidence → ``[]``.
    """
    if k <= 0 or not text:
        return []
    return suggest(text, catalog, k=k).leads


# -- resolving names --------------------------------------------------------------------


def resolve_unit_name(name: str, catalog: Catalog) -> Unit | None:
    """The catalog unit a written unit name means, or ``None`` when unknown or ambiguous.

    Tries, in order: the exact full/short/alias; the :func:`loose_name` key (市/省 and
    place prefixes, 和, 委员会→委, 管理局→局 …); the key without its institution suffix
    (「财政」 for 财政局/财政厅); finally the text before a bracket or a separator, since
    Excel cells often hold 「市财政局（市国资委）」 or 「市发改委、市财政局」 (the first is
    the lead). A key shared by several units resolves to none rather than to a guess.
    """
    if not name or not name.strip():
        return None
    s = name.strip()
    u = catalog.get(s)
    if u is not None:
        return u
    key = loose_name(s)
    for index, k in ((catalog._by_loose, key), (catalog._by_stem, _stem(key))):
        hits = index.get(k)
        if hits and len(hits) == 1:
            return catalog.units[hits[0]]
    first = re.split(r"[、，,；;/（(\s]", s, maxsplit=1)[0]
    if first and first != s:
        return resolve_unit_name(first, catalog)
    return None
