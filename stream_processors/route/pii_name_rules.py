"""The rule half of the person-name finder (pii_names): cue words, titles, 小/老 and a surname,
dotted names, a name alone at a line's start, a name after 我. Python's regexes here are the
reference; native/src/names_rules.rs runs the same rules (``rule_words`` hands it these lists),
and pii_names.name_findings prefers it. Operates on folded text (see pii_rules.fold).
"""
from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Sequence

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
_TITLE_ORDER = sorted(TITLES, key=len, reverse=True)  # re takes the first that matches: the longest
_TITLE_ALT = "|".join(_TITLE_ORDER)
# 总 (洪总, 吴总: how a boss is addressed) only where it ends the word: not 高总价, 汇总, 总体.
# One-character forms of address (洪总, 李叔, 王姐) only where they end the word: not 高总价, 汇总.
_BOSS_CHARS = "总叔伯姐哥婶嫂"
_BOSS_NEXT = "说称让要也家那这的和在开办叫去来不"
_BOSS = rf"[{_BOSS_CHARS}](?![\u4e00-\u9fff])|[{_BOSS_CHARS}](?=[{_BOSS_NEXT}])"
# Regex speed: Python's re skips ahead to a candidate position by itself only when the pattern
# starts with a character class, or with alternatives that each start with a literal character;
# otherwise it tries the whole alternation at every position of the text. So the one-character
# titles are literals here, not a class.
_ANY_TITLE = re.compile("|".join([*TITLES, *_BOSS_CHARS]))
# _SURNAME_ALT starting with a class: the first character, then each compound surname (its second
# character, then a look-behind for the whole of it) in _SURNAME_ALT's order, else a single
# surname; the same matches, tried in the same order.
_SURNAME_AT = ("[" + "".join(sorted(_SURNAME_FIRST)) + "](?:"
               + "".join(f"{c[1]}(?<={c})|" for c in sorted(COMPOUND_SURNAMES))
               + "(?<=[" + "".join(sorted(SURNAMES)) + "]))")
_TITLED = re.compile(rf"(?P<s>{_SURNAME_AT})(?P<t>{_TITLE_ALT}|{_BOSS})")
# In the order re tries them, the first that matches taken (叫做 before 叫): the order counts.
_CUE_WORDS = tuple((
    "我是|我叫|本人|联系人|姓名|户主|反映人|来电人|投诉人|举报人|求助人|咨询人|申请人|当事人|"
    "市民|业主|租户|房东|患者|老人|邻居|丈夫|妻子|儿子|女儿|父亲|母亲|名叫|叫做|名字叫|签收人|收件人|"
    "经办人|负责人|工作人员|网格员|民警|商户|保安|老板叫|车主|我爸|我妈|其子|其女|其夫|其妻|隔壁|店主|司机|"
    "同事|朋友|快递员|外卖员|老公|老婆|爱人|孩子|学生|员工|名字是|诉求人|来访人|住户|外公|外婆|孙子|孙女|"
    "舅舅|姑姑|弟弟|妹妹|侄子|侄女|家属|客户|病人|代理人|法定代表人|法人|承租人|室友|儿媳|女婿|驾驶人|驾驶员|"
    "卖家|买家|户名|居民|我叔叔|我阿姨|我伯伯|舅妈|姨妈|表哥|表姐|表弟|表妹|堂哥|堂姐|那人叫|叫").split("|"))
_CUE_GAP = " :：是为叫"
_CUE_WORD = f"(?:{'|'.join(_CUE_WORDS)})[{_CUE_GAP}]{{0,2}}"
# Cues may follow each other: 我是车主谢梦瑶. One cue, then any more (not "(?:cue)+"): a pattern
# that starts with alternatives each starting with a literal lets re skip ahead to a cue's first
# character by itself (see _ANY_TITLE).
_CUE = re.compile(f"{_CUE_WORD}(?:{_CUE_WORD})*")
# A name alone at the start of a line, before a bracket or colon: "詹德顺（马尾区）：…".
_LINE_NEXT = "（(：:，,"
_LINE_NAME = re.compile(rf"(?m)^[ \t]*(?P<n>[{_HAN}]{{2,4}})(?=[{_LINE_NEXT}])|【(?P<b>[{_HAN}]{{2,4}})】")
# A cue followed by a place, not a person: 我是晋安区的, 我是江西的.
_PLACE_ENDS = "区县市省镇乡村人"
_STATION_ENDS = "站路街"  # but not before 长: 站长 is a title
_PROVINCES = ("江西", "江苏", "湖南", "湖北", "广东", "广西", "安徽", "福建", "山东")
_PLACE_AFTER_CUE = re.compile(
    rf"[{_HAN}]{{1,3}}?(?:{'|'.join(_PLACE_ENDS)})|[{_HAN}]{{1,4}}?(?:{'|'.join(_STATION_ENDS)})(?!长)"
    rf"|{'|'.join(_PROVINCES)}")
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
_FULL_AFTER = "的了和与及跟向给找叫让被对把为是"
_FULL_TITLED = re.compile(
    rf"(?<![{_HAN}])(?P<n>(?:{_SURNAME_ALT})[{_HAN}]{{1,2}})(?:{'|'.join(_FULL_TITLES)})"
    rf"|(?<=[{_FULL_AFTER}])(?P<m>(?:{_SURNAME_ALT})[{_HAN}]{{1,2}})(?:{'|'.join(_FULL_TITLES)})")
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
_FAMILIAR_HEADS = ("小", "老")
_FAMILIAR_NEXT = _FUNCTION + "开收拖电打啊呀呢吧态"
_FAMILIAR = re.compile(
    rf"(?:{'|'.join(_FAMILIAR_HEADS)})[{''.join(sorted(SURNAMES))}](?:(?![{_HAN}])|(?=[{_FAMILIAR_NEXT}]))")
_FAMILIAR_NOT = frozenset("老公 老婆 老师 老板 老乡 老家 老人 小时 小区 小学 小孩 小吃 小米 "
                          "小马 老马 老实 小心 老是 老年 小姐 小伙 老虎 小姑 老总 老汉 老大 "
                          "小样 老黄 小龙 老龙 老白 小白 小黑 老鼠 老金 小于 老于 小时 老家 小常 老常 "
                          "小万 老万 小平 老平 小冷 小高 小雷 小牛 老牛 老毛 小毛病".split())
# A name of a minority written with a middle dot: 阿依古丽·买买提, 巴特尔·朝鲁; neither part holds
# a particle or a common verb, which is where the name ends in running text.
_NAME_HAN = rf"[^\W\d_A-Za-z{_FUNCTION}]"
# (the second part may hold 都: 阿不都)
_AFTER_NOT = "的了在是和与及我你他她说把被给让到来去要又也就"
_NAME_HAN_AFTER = rf"[^\W\d_A-Za-z{_AFTER_NOT}]"
_DOTS = "·•・"
_DOTTED = re.compile(rf"(?<![{_DOTS}]){_NAME_HAN}{{2,7}}[{_DOTS}]{_NAME_HAN_AFTER}{{2,5}}")
_DOTTED_NOT_ENDS = ("路", "街", "区", "县", "市", "站", "镇", "村")  # a road or a place, not a name


def familiar_findings(folded: str) -> list[tuple[int, int, str]]:
    """小 or 老 and a surname (小陈, 老李), and dotted names of minorities."""
    found = [(m.start(), m.end(), "name_title") for m in _FAMILIAR.finditer(folded)
             if m.group() not in _FAMILIAR_NOT]
    if "·" in folded or "•" in folded or "・" in folded:
        found += [(m.start(), m.end(), "name_full") for m in _DOTTED.finditer(folded)
                  if not m.group().endswith(_DOTTED_NOT_ENDS)]
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
_SELF_GAP = " ，,"
_SELF_NEXT = " ，,。！!：:我和"
_SELF = re.compile(rf"我[{_SELF_GAP}]?(?P<n>(?:{_SURNAME_ALT})[{_HAN}]{{1,2}}?)(?=[{_SELF_NEXT}]|$)")
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


# The last ones: landmarks (滕王阁, 洪崖洞, 黄鹤楼, 杨家坪, 武汉站), not given names.
_LANDMARK_ENDS = "区县市省镇乡村路街阁洞楼湖坪站寺塔庙宫"


def _name_like(word: str) -> bool:
    return (2 <= len(word) <= 4 and word[-1] not in _LANDMARK_ENDS and word not in _NOT_NAMES
            and word[:2] not in _NOT_NAMES and not _NOT_IN_NAMES.intersection(word)
            and all("\u4e00" <= ch <= "\u9fff" for ch in word))


def _letter_ranges() -> list[tuple[int, int]]:
    r"""[^\W\d_] (a letter, or a numeral but a decimal digit, of any script, as Python's re reads
    \w) as code point ranges [start, end): what _DOTTED's classes start from. Rust's own tables
    are of another Unicode version and count combining vowel signs as letters, so the compiled
    twin asks for these, once, when the first dotted text comes."""
    # every code point in one string: from their UTF-32 bytes a third of the time of chr() each
    codes = array("I", range(sys.maxunicode + 1)).tobytes()
    every = codes.decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be", "surrogatepass")
    return [m.span() for m in re.finditer(r"[^\W\d_]+", every)]


def rule_words() -> dict[str, str | list[str] | Callable[[], list[tuple[int, int]]]]:
    """The lists and character classes of the rules above for native/src/names_rules.rs, which
    is given them once: the words stay here alone. Alternations in the order the regexes try
    them (re takes the first that matches, not the longest)."""
    return {
        "surnames": "".join(sorted(SURNAMES)), "compound_surnames": sorted(COMPOUND_SURNAMES),
        "titles": _TITLE_ORDER, "boss": _BOSS_CHARS, "boss_next": _BOSS_NEXT,
        "full_titles": list(_FULL_TITLES), "full_after": _FULL_AFTER,
        "cue_words": list(_CUE_WORDS), "cue_gap": _CUE_GAP,
        "place_ends": _PLACE_ENDS, "station_ends": _STATION_ENDS, "provinces": list(_PROVINCES),
        "given_stops": "".join(sorted(_GIVEN_STOPS)), "not_in_names": "".join(sorted(_NOT_IN_NAMES)),
        "not_names": sorted(_NOT_NAMES), "landmark_ends": _LANDMARK_ENDS, "line_next": _LINE_NEXT,
        "familiar_heads": list(_FAMILIAR_HEADS), "familiar_next": _FAMILIAR_NEXT,
        "familiar_not": sorted(_FAMILIAR_NOT),
        "dots": _DOTS, "name_not": _FUNCTION, "name_after_not": _AFTER_NOT,
        "dotted_not_ends": list(_DOTTED_NOT_ENDS), "letter_ranges": _letter_ranges,
        "self_gap": _SELF_GAP, "self_next": _SELF_NEXT, "not_self": sorted(_NOT_SELF),
    }
