"""A small hand-written tune set for the free-text detector, used while tests/data/pii/tune.jsonl
(the labelled corpus) is not there, and as a second opinion beside it.

Markup: ``{kind|text}`` is a labelled span, ``<what|text>`` an ordinary detail that must stay
readable. ``records()`` turns the lines into the corpus's JSON shape (Python str offsets).
"""
from __future__ import annotations

import re
from typing import Any

LINES = """\
我是{name|陈大文}，家住<district|鼓楼区>{address|五四路88号}，晚上施工噪音很大。
联系人{name|李娜}，电话{mobile|151 6338 3683}，<date|5月3日>反映小区停水。
{name|张三}反映{name|王先生}家里漏水，影响楼下住户，地址{address|金山小区5号楼2单元301室}。
{name|欧阳娜娜}投诉物业乱收费，每月多收<amount|200元>。
车牌{plate|闽A·12345}和{plate|闽AD12345}长期占用消防通道，请<dept|城管局>处理。
来电人称账号A{mobile|15163383683}B被盗，<date|2024年6月1日>发现。
身份证号{id_card|350104 19581123 7380}，要求查询社保缴费记录。
我叫{name|林建国}，手机{mobile|13905912345}，<place|西湖公园>门口有人摆摊。
户主{name|郑秀英}称邻居养狗扰民，住{address|工业路523号}。
反映人{name|黄志明}，座机{landline|0591-87654321}，投诉<dept|市场监管局>不作为。
{name|李女士}来电：快递员把包裹放在{address|温泉花园3栋1单元502}门口丢失。
{name|刘师傅}说<place|五一广场>的公厕坏了，联系电话{landline|(0591)8765 4321}。
邮箱{email|zhangwei1988@163.com}收不到<dept|社保中心>的通知，工单号<order|GD202406010000123>。
QQ号：{qq|30512348}，微信：{wechat|chen_dw88}，要求回电。
卡号{bank_card|6222 0202 0000 0000 006}被冻结，<amount|3500元>无法取出。
护照号{passport|E12345678}到期，咨询<dept|出入境管理局>办理流程。
市民{name|吴丽华}反映<district|台江区>{address|八一七中路218号}门店噪音扰民。
{name|诸葛明}和{name|司马光辉}两家因为停车位发生纠纷。
<date|上周三>，{name|陈先生}在<place|东街口>被电动车撞伤，对方车牌{plate|闽A5D321}。
业主{name|杨帆}，手机号{mobile|+86 138-0013-8000}，物业费<amount|1580元>被重复收取。
投诉人{name|徐海涛}身份证{id_card|350102198503150014}，在<place|三坊七巷>购物被骗。
请联系{name|赵敏}，电话{mobile|18650012345}，地址<district|仓山区>{address|金山大道1号}{address|6号楼}。
我是{name|马晓东}，打{landline|87654321}一直没人接。
网格员{name|周婷}反映{address|建设路12号}楼道堆放杂物。
{name|孙女士}的孩子在<place|鼓山>走失，体貌特征已告知<dept|派出所>。
<dept|12345热线>转办：{name|何建华}，微信号{wechat|hejianhua_fz}，咨询公积金提取。
{name|胡大爷}独居在{address|南门兜7号}，行动不便，请社区关注。
姓名：{name|罗小兰}；电话：{mobile|159-0591-2345}；事由：<date|6月>起工资被拖欠。
来电人{name|梁伟}称其身份证{id_card|35010419900307004X}被他人冒用开户。
<district|晋安区>{address|福飞路38号}{address|A座1203室}空调外机滴水。
对方的车是{plate|粤B·D12345}，<date|昨天下午>在<place|火车站>附近剐蹭。
老人{name|宋桂英}走失，家属电话{mobile|13600000000}。
投诉{name|郭经理}拖欠装修款<amount|4万元>，公司在<district|马尾区>。
反映人：{name|曾庆龙}，邮箱{email|zql@qq.com}，<dept|住建局>未答复。
本人{name|叶青}，银行卡{bank_card|6217001234567890122}扣费异常。
{name|谢谢}你们的帮助，<dept|交通局>已处理。
<place|左海公园>的路灯坏了，<date|5月20日>至今未修。
订单号<order|202405200012345678>退款<amount|299.00元>未到账，请<dept|市场监管局>核实。
<district|鼓楼区>{address|杨桥中路89号}{address|2号楼3单元}住户{name|王建平}装修噪音。
热心市民{name|蒋丽}反映<place|福州站>出租车拒载，车牌{plate|闽AT1234}。
""".splitlines()

_MARK = re.compile(r"\{(?P<kind>[a-z_]+)\|(?P<text>[^}]*)\}|<(?P<what>[a-z_]+)\|(?P<keep>[^>]*)>")


def parse(line: str, n: int) -> dict[str, Any]:
    text, spans, keep = "", [], []
    cursor = 0
    for m in _MARK.finditer(line):
        text += line[cursor:m.start()]
        inner = m.group("text") if m.group("kind") else m.group("keep")
        start = len(text)
        text += inner
        if m.group("kind"):
            if m.group("kind") != "name" or inner != "谢谢":  # 谢谢 is the trap, not a name
                spans.append({"start": start, "end": len(text), "kind": m.group("kind")})
            else:
                keep.append({"start": start, "end": len(text), "what": "word"})
        else:
            keep.append({"start": start, "end": len(text), "what": m.group("what")})
        cursor = m.end()
    text += line[cursor:]
    return {"id": f"seed{n:03d}", "text": text, "spans": spans, "keep": keep}


def records() -> list[dict[str, Any]]:
    return [parse(line, n) for n, line in enumerate(LINES) if line]
