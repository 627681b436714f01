"""Table-driven tests for the free-text detector (stream_processors.route.pii): what each kind
finds, how each kind masks, and ordinary details left readable."""
from __future__ import annotations

import pytest

from govbus.core.agreements import FieldOp
from stream_processors.route.pii import (
    IDENTIFIER_KINDS,
    KINDS,
    PiiSpan,
    find_identifiers,
    find_pii,
    mask_pii,
)
from stream_processors.route.plan import make_operator
from stream_processors.route.pii_policy import scrub_strict
from stream_processors.route.textscrub import scrub_identifiers_v1


def found(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start:s.end]) for s in find_pii(text)]


@pytest.mark.parametrize(("text", "expected"), [
    # names: cue words, titles, compound surnames, no cue at all
    ("我是陈大文，家住附近", [("name", "陈大文")]),
    ("联系人李娜，反映停水", [("name", "李娜")]),
    ("户主：林建国称邻居扰民", [("name", "林建国")]),
    ("反映人黄志明不满意处理结果", [("name", "黄志明")]),
    ("王先生来电反映漏水", [("name", "王先生")]),
    ("李女士说快递丢了", [("name", "李女士")]),
    ("欧阳老师反映学校门口拥堵", [("name", "欧阳老师")]),
    ("张三反映路灯不亮", [("name", "张三")]),
    ("欧阳娜娜投诉物业乱收费", [("name", "欧阳娜娜")]),
    ("诸葛明和司马光辉因车位纠纷", [("name", "诸葛明"), ("name", "司马光辉")]),
    # addresses below street level
    ("家住鼓楼区五四路88号", [("address", "五四路88号")]),
    ("地址金山小区5号楼2单元301室", [("address", "金山小区5号楼2单元301室")]),
    ("住在温泉花园3栋1单元502，漏水", [("address", "温泉花园3栋1单元502")]),
    ("杨桥中路89号之2门口", [("address", "杨桥中路89号之2")]),
    # landlines: area code, brackets, spaces; without area code only after a phone word
    ("座机0591-87654321", [("landline", "0591-87654321")]),
    ("电话（0591）8765 4321", [("landline", "（0591）8765 4321")]),
    ("电话010 6512 3456", [("landline", "010 6512 3456")]),
    ("打87654321一直没人接", [("landline", "87654321")]),
    # mobiles: every grouping, +86, glued between letters, full-width digits
    ("手机13905912345", [("mobile", "13905912345")]),
    ("手机151 6338 3683", [("mobile", "151 6338 3683")]),
    ("手机151-6338-3683", [("mobile", "151-6338-3683")]),
    ("手机1516 338 3683", [("mobile", "1516 338 3683")]),
    ("手机+86 138-0013-8000", [("mobile", "+86 138-0013-8000")]),
    ("用户名A15163383683B被盗", [("mobile", "15163383683")]),
    ("手机１３９０５９１２３４５", [("mobile", "１３９０５９１２３４５")]),
    # resident IDs: 18 digits, X, spaced, 15 digits
    ("身份证350104195811237380", [("id_card", "350104195811237380")]),
    ("身份证35010419900307004X", [("id_card", "35010419900307004X")]),
    ("身份证350104 19581123 7380", [("id_card", "350104 19581123 7380")]),
    ("身份证3501 0419 5811 2373 80", [("id_card", "3501 0419 5811 2373 80")]),
    ("老身份证350104581123738", [("id_card", "350104581123738")]),
    # passports, plates, e-mail, cards, QQ, WeChat
    ("护照E12345678到期", [("passport", "E12345678")]),
    ("护照号EA1234567", [("passport", "EA1234567")]),
    ("车牌闽A12345", [("plate", "闽A12345")]),
    ("车牌闽A·12345", [("plate", "闽A·12345")]),
    ("车牌闽AD12345", [("plate", "闽AD12345")]),
    ("车牌粤B12345D", [("plate", "粤B12345D")]),
    ("邮箱zhangwei1988@163.com", [("email", "zhangwei1988@163.com")]),
    ("卡号6222 0202 0000 0000 006", [("bank_card", "6222 0202 0000 0000 006")]),
    ("卡号6217001234567890122", [("bank_card", "6217001234567890122")]),
    ("QQ号：30512348", [("qq", "30512348")]),
    ("扣扣30512348", [("qq", "30512348")]),
    ("微信：chen_dw88", [("wechat", "chen_dw88")]),
    ("微信号hejianhua_fz", [("wechat", "hejianhua_fz")]),
    # full name before a title (the title stays readable), more cue words, a floor after a door number
    ("表扬社保中心的司徒耀东同志", [("name", "司徒耀东")]),
    ("房东詹女士不退押金", [("name", "詹女士")]),
    ("诉求人曾清水：燃气公司", [("name", "曾清水")]),
    ("楼上住户黄兴旺养鸽子", [("name", "黄兴旺")]),
    ("举报丰泽街288号2楼的足浴店", [("address", "丰泽街288号2楼")]),
    # a bare local number after a phone word in the same clause; one glued to letters after 座机
    ("回电3210816等回复", [("landline", "3210816")]),
    ("电话135 1545 5661/26727988", [("mobile", "135 1545 5661"), ("landline", "26727988")]),
    ("座机01037654618mail", [("landline", "01037654618")]),
    # a plate with letters glued after it, after the word 车牌
    ("车牌：闽C03344mail", [("plate", "闽C03344")]),
    ("护照号码G73764763", [("passport", "G73764763")]),  # its digits are no landline after 号码
    # more groupings: dots before 3+ digits, long dashes, double spaces
    ("手机139.1234.5678", [("mobile", "139.1234.5678")]),
    ("手机139—1234—5678", [("mobile", "139—1234—5678")]),
    ("手机139  1234  5678", [("mobile", "139  1234  5678")]),
    ("电话0371—68488664", [("landline", "0371—68488664")]),
    ("车牌川AD 12345", [("plate", "川AD 12345")]),
    ("粤Z1234港牌照", [("plate", "粤Z1234港")]),
    ("粤 B12345违停", [("plate", "粤 B12345")]),
    ("粤A.12345违停", [("plate", "粤A.12345")]),
    ("粤A1234应急", [("plate", "粤A1234应急")]),
    ("川A12345mail我", [("plate", "川A12345")]),   # a label glued after it
    # 小/老 + surname as a word of its own; dotted names of minorities; 弄 and 社 addresses
    ("找小陈帮忙", [("name", "小陈")]),
    ("老李家漏水", [("name", "老李")]),
    ("艾尔肯·吐尔逊来电", [("name", "艾尔肯·吐尔逊")]),
    ("家住漕溪北路595弄8号1102室", [("address", "漕溪北路595弄8号1102室")]),
    ("太和镇新华村5社32号", [("address", "太和镇新华村5社32号")]),
    ("住在东湖庭院2栋3梯801", [("address", "东湖庭院2栋3梯801")]),
    ("地址是碧桂园天玺A座2301", [("address", "碧桂园天玺A座2301")]),
    ("我家住万科金色城市3期12栋306", [("address", "万科金色城市3期12栋306")]),
    ("我，揭致远，反映", [("name", "揭致远")]),
    ("【揭昊天】大召寺停车场", [("name", "揭昊天")]),
    ("驾驶人程启航逃逸", [("name", "程启航")]),
    ("和钟月娥吵架是因为", [("name", "钟月娥")]),
    ("市民小蒋来电反映", [("name", "小蒋")]),
    ("我叫迪丽娜尔·阿不都，新疆的", [("name", "迪丽娜尔·阿不都")]),
    ("TEL19832194293", [("mobile", "19832194293")]),
    ("林阿姨强行推销", [("name", "林阿姨")]),  # 阿姨 is a title here, not a cue for what follows
    ("dh0871-65123478", [("landline", "0871-65123478")]),
])
def test_find_pii(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("我是陈大文", "我是陈**"),
    ("联系人欧阳娜娜", "联系人欧阳**"),
    ("王先生来电", "*先生来电"),
    ("欧阳老师反映", "**老师反映"),
    ("家住五四路88号", "家住五四路**号"),
    ("地址金山小区5号楼2单元301室", "地址金山小区*号楼*单元***室"),
    ("座机0591-87654321", "座机0591-********"),
    ("手机151 6338 3683", "手机151 **** 3683"),
    ("手机+8613905912345", "手机+86139****2345"),
    ("身份证350104195811237380", "身份证350104********7380"),
    ("身份证350104 19581123 7380", "身份证350104 ******** 7380"),
    ("老身份证350104581123738", "老身份证350104******738"),
    ("卡号6222 0202 0000 0000 006", "卡号6222 02** **** ***0 006"),
    ("护照E12345678", "护照E********"),
    ("车牌闽A·12345", "车牌闽A·*****"),
    ("邮箱zhangwei1988@163.com", "邮箱z***@163.com"),
    ("QQ号：30512348", "QQ号：********"),
    ("微信：chen_dw88", "微信：*********"),
])
def test_mask_pii(text, expected):
    assert mask_pii(text) == expected
    assert scrub_strict(text) == expected
    assert mask_pii(text) == mask_pii(text)  # deterministic


@pytest.mark.parametrize("text", [
    "",
    "请市场监管局处理，谢谢",
    "2024年5月1日在鼓楼区缴费1200元",
    "工单号GD202405010001，金额1380.50元",
    "这张卡在机场被吞了",            # 张 as a measure word
    "小米手机坏了，我爸的养老金是多少",  # 小米, 养老金: no 小/老 + surname name
    "2024.05.01电话回访",             # a dotted date after a phone word is no landline
    "金额13800138000.50元",
    "宽带账号059287654321一直断网",     # an account number after its label, not a landline
    "我是武汉站旁边开店的",             # a cue before a landmark
    "滕王阁门口的烧烤摊",
    "表扬卫健委的工作",                # a department abbreviation starting with a surname character
    "发票号码04070211座位",          # a long number before 座 is no door number
    "订单GD13800138000已受理",                      # an order number, not a glued mobile
    "订单号202405200012345678退款299.00元",
    "西湖公园门口有人摆摊，五一广场的公厕坏了",
    "左海公园的路灯坏了",
    "晚上十点后施工噪音很大，影响休息",
    "288路公交车晚点",
    "台江区八一七中路路口红绿灯坏了",
    "身份证号110105194912310021",                   # check character fails
    "4111111111111112",                             # Luhn fails
    "回访电话010-12345678",                          # no local number starts with 1
    "编号87654321",                                  # 8 digits, no phone word: not a landline
    "12345热线转办市住建局",
    "社保中心、交通局和派出所联合处理",
])
def test_ordinary_text_left_alone(text):
    assert find_pii(text) == []
    assert mask_pii(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("我是陈大文，手机13905912345，住五四路88号", [PiiSpan(8, 19, "mobile")]),
    ("邮箱13905912345@qq.com", [PiiSpan(2, 20, "email")]),   # the containing e-mail wins
    ("车牌闽A12345，身份证350104195811237380",
     [PiiSpan(2, 9, "plate"), PiiSpan(13, 31, "id_card")]),
    ("QQ号30512348", []),                                      # labelled ids are not identifiers
])
def test_find_identifiers(text, expected):
    assert find_identifiers(text) == expected
    assert {s.kind for s in expected} <= set(IDENTIFIER_KINDS)


def test_spans_sorted_non_overlapping_and_kinds_known():
    text = ("我是陈大文，家住五四路88号，手机151 6338 3683，邮箱a1@b.cn，身份证350104195811237380，"
            "车牌闽A12345，王先生，QQ号30512348，卡号6217001234567890122")
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["name", "address", "mobile", "email", "id_card", "plate", "name", "qq",
                                       "bank_card"]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert {s.kind for s in spans} <= set(KINDS)


def test_mask_pii_takes_given_spans():
    text = "联系人李娜，手机13905912345"
    assert mask_pii(text, [PiiSpan(8, 19, "mobile")]) == "联系人李娜，手机139****2345"
    assert mask_pii(text, []) == text


def test_scrub_text_operators_use_the_detector():
    strict = make_operator(FieldOp(op="scrub_text_strict"), "free_text", b"key")
    assert strict("我是陈大文，家住五四路88号，车牌闽A12345") == "我是陈**，家住五四路**号，车牌闽A*****"
    assert strict(None) is None
    # scrub_text (a recipient whose purpose names the wording, not upward): identifiers only
    identifiers = make_operator(FieldOp(op="scrub_text"), "free_text", b"key")
    assert identifiers("我是陈大文，家住五四路88号，车牌闽A12345") == "我是陈大文，家住五四路88号，车牌闽A*****"
    # the first scrubber, kept for the benchmark, leaves names, addresses and plates alone
    assert scrub_identifiers_v1("我是陈大文，家住五四路88号") == "我是陈大文，家住五四路88号"
