"""Hand-written sentence fragments for the held-out part: none of these sentences appears in
fragments_tune.py (same slots, see there). Written after the tune fragments, in a different
voice: more callers from other provinces, more elderly and migrant-worker phrasing, more
run-on text without punctuation."""

OPEN = (
    "喂 我是{me}", "老乡{me}反映个事情：", "我们是{district}的租户，我叫{me}，", "{me_t}（{district}）来电反映：",
    "诉求人{me}：", "打扰一下，", "我是外地来打工的，叫{me}，", "{me}代表全体业主反映：",
    "姓名：{me}  ", "本人{me_t}，家住{daddr}，", "领导好，", "咨询人：{me_t}\n",
)

COMPLAINT = (
    "{daddr}对面的KTV每天放歌放到{time}，投诉了{dept}也没用",
    "{place}的出租车司机绕路多收了我{amount}，车牌{plate}，{date}晚上的事。",
    "我们楼{addr}的化粪池堵了好几天，臭得不行，物业经理{p2_t}说没钱修",
    "{road}上那家海鲜排档把桌子摆到人行道上了",
    "网约车司机{p2}态度恶劣，把我丢在{place}半路，订单{order}。",
    "房东{p2_t}不退押金{amount}，合同都到期了，他电话是{mobile}",
    "{district}{road}的广场舞音响太大声，天天放到{time}。",
    "{date}在{place}停车被收了{amount}停车费，没有发票。",
    "楼上住户{p2}在阳台养鸽子，满地都是鸽子屎",
    "燃气公司上门安检的{p2_t}强行推销报警器，要{amount}。",
    "物业在{addr}楼顶私自建了个彩钢房。",
)

CONSULT = (
    "我想问问外地户口在{district}能不能办灵活就业社保",
    "老家的新农合怎么转到这边来，{dept}说要开证明",
    "请教一下，小孩在{place}附近的学校入学要什么手续",
    "退休人员的体检在哪里做？我是{date}退休的。",
    "想办个港澳通行证，以前的护照{passport}还有用吗？",
    "请问被狗咬了去{place}打疫苗医保能报吗",
    "我的车{plate}年审过期了，罚不罚款？",
    "失业金领完了还能领什么补助吗，之前一个月{amount}",
    "公租房申请到哪一步了，受理号是{order}。",
    "我爸的养老金是打到{card}这张卡上的，他不在了，怎么停发？",
)

REPORT = (
    "实名举报{p2}利用职务之便收钱，他在{dept}上班。",
    "{place}东门那边有辆{plate}的面包车，车里好像有人在卖假烟",
    "{addr}有个黑诊所，给人打针，很不卫生",
    "发现{road}边上有条排污管往河里排黑水，{date}拍了视频。",
    "{road}有辆{plate}渣土车掉了一路的泥",
    "{addr}的房东把一套房隔成十几间出租，消防通道都堵了",
    "有人冒充{dept}打电话给老人要转账，对方号码{mobile}",
)

HELP = (
    "我妈{p2}今天早上出门到现在没回来，七十多岁，最后在{place}附近被人看到，求助",
    "工地上包工头{p2_t}欠我们十几个人工资共{amount}，人跑了",
    "我的身份证{id}被人冒用注册了公司，怎么办",
    "我在{place}被偷了钱包，里面有银行卡{card}，已经挂失了，想问能不能调监控",
    "家里老人独居在{daddr}，已经两天联系不上了，麻烦社区去看看",
    "帮忙问一下我的退税什么时候到账，{order}",
    "女儿在{place}走丢了，穿红衣服，五岁，我电话{mobile}",
)

THANKS = (
    "表扬{dept}的{p2}同志，耐心细致，一下午就把我的事办好了。",
    "谢谢你们，{road}那个坑已经补好了",
)

CONTACT = (
    "我电话 {mobile}", "手机号码{mobile}，打不通发短信", "座机{landline}", "回电{phone}",
    "联系方式：{me_t} {mobile}", "我的号{mobile}。", "有啥事联系我{phone}",
    "电话{mobile}/{landline}", "可以打{landline}找我", "手机{mobile}（{me}）",
)

EXTRA = (
    "身份证：{id}", "我身份证号码{id}", "sfz {id}", "工资卡{card}", "银行账号：{card}",
    "邮箱地址：{email}", "mail {email}", "扣扣{qq}", "QQ号码：{qq}，", "微信：{wechat}", "vx号 {wechat}",
    "护照：{passport}", "车牌：{plate}", "地址：{daddr}", "住在{daddr}", "身份证号 {id} 电话 {mobile}",
)

CLOSE = ("麻烦尽快", "谢谢领导", "拜托了！", "等回复", "希望给个说法。", "", "", "就这些。")

SHORT = (
    "{road}路灯不亮", "{plate}占道", "{me_t} {mobile} 要求回电", "{place}门口有人摆摊",
    "咨询{order}进度", "{dept}电话打不通", "{addr}漏水", "身份证{id}的社保卡办好了吗", "{hotline}转人工太慢",
)

NO_PII = (
    "{place}到{place}的公交能不能加密班次", "{road}的树倒了压到电线",
    "{district}什么时候开始发消费券？", "{date}下午{place}那边停电了，什么时候来电？",
    "投诉{dept}窗口中午不办事", "{order}这个单子怎么还没有办结",
    "{place}的厕所太脏了", "{district}的菜市场{date}起要搬迁吗",
    "我交了{amount}的罚款，什么时候能撤销记录", "{road}修了一年还没修完",
)
