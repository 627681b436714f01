"""Hand-written sentence fragments for the second tune batch (ids u…). Slots as in fragments_tune.py, plus
{p3} (a third person named in full) and {h12345} (the hotline's own number typed in the sentence).
Voice: callers from central, eastern, southwestern and northern provinces, typed on a phone, with
typos (在/再, 的/得, 那/哪), missing or doubled punctuation and run-on sentences."""

OPEN = (
    "喂你好，我叫{me}，", "{me}，", "我是{me_t}啊，", "您好我是{daddr}的住户{me}，", "本人{me}（{district}），",
    "市民{me_t}来电反映：", "投诉人：{me}\n", "你们好！！我{me}", "打扰了，我是{place}旁边开店的{me_t}，",
    "12345吗？我是{me}，", "【{me}】", "{me}在此实名举报：", "姓名:{me} ", "我，{me}，", "{district}居民{me_t}：",
    "我{me}又来反映了，", "哈喽，我是{me_t}~", "您好，{p2_t}让我打这个电话，我是{me}。",
)

COMPLAINT = (
    "{daddr}楼上天天半夜拖椅子，{time}还在剁东西，找物业{p2_t}说了好几次没用",
    "隔壁{p2}家把楼道全堆满了纸箱子，着火了咋办？？",
    "{place}门口的烧烤摊油烟太大了 熏的人头疼，城管来了就跑，走了又摆",
    "我家住{addr}，楼下{p2_t}开了个棋牌室，天天吵到{time}。",
    "小区里一辆{plate}占了消防通道快一个月了，物业说联系不上车主。",
    "{date}在{place}附近的一家店充了{amount}的卡，现在店关门了老板{p2}电话{mobile}也不接。",
    "我们{addr}这栋电梯{date}又坏了，我妈八十多了爬不动楼",
    "装修队的{p2_t}收了{amount}定金就跑路了，他身份证是{id}，我有收据。",
    "找了{p3}帮忙办房产证，钱给了事情没办，现在人找不到",
    "和{p2}吵架是因为他家狗天天在我家门口拉屎，{dept}的人来了也就说说",
    "{road}那边修路修了半年，灰大的不得了，附近{place}的老人孩子都受不了",
    "{district}{road}有个黑车司机天天在那拉客，车牌{plate}，宰客一次{amount}",
    "快递员{p2_t}把我的件放在{place}门口就走了，丢了不认账，{order}",
    "{dept}窗口的工作人员{p2_t}态度太差了，我问两句就不耐烦",
    "物业{p2}强制收停车费{amount}一个月，合同上根本没有",
    "楼下{p2_t}家空调外机对着我家窗户，夏天热风直吹，沟通无果",
)

CONSULT = (
    "问一下{district}办居住证要带啥材料？我租房住在{addr}",
    "想咨询公积金提取，{dept}说要本人去，我在外地咋办",
    "孩子上学的事，户口在{district}，房子是{addr}，能不能上{place}附近的学校",
    "请问退休了医保还要交吗？我身份证{id}，帮我查查",
    "社保卡丢了，卡号{card}，能先冻结不？",
    "新能源车{plate}能不能办{district}的优惠停车？",
    "出国探亲护照{passport}过期了，换证去哪里？",
    "我要申请低保，{dept}让我找社区的{p2_t}，她电话多少？",
    "退休金这个月少了{amount}，{date}到的账，想问下原因",
    "二手房买卖，卖家{p2}不肯配合过户，我们已经付了{amount}，咋办",
    "{place}周末几点开门？要不要预约",
)

REPORT = (
    "举报{addr}有人搞群租，一套房隔了十几间",
    "{place}停车场有辆{plate}停了三个月没动过，车上全是灰",
    "{road}和{road}路口的红绿灯坏了，早高峰乱成一锅粥",
    "{addr}一楼的小超市在卖过期牛奶，我拍了照片",
    "有人在{place}门口发小广告骗老人，那人叫{p2}，手机{mobile}",
    "{district}{road}夜里有渣土车{plate}乱倒垃圾",
    "{date}{time}在{place}看到{p2_t}被人打了，报了{hotline}",
    "反映{addr}的小作坊噪音扰民，从早上六点干到{time}",
    "{road}上一家叫某某餐饮的店把泔水直接倒进下水道",
    "有辆{plate}的货车每天{time}在{road}上鸣笛",
)

HELP = (
    "我爸{p2}七十多了，{date}在{place}走丢了，穿蓝色羽绒服，麻烦大家留意",
    "银行卡{card}突然被冻结，说是涉诈，我从来没干过这种事",
    "老板{p2_t}拖欠工资{amount}，已经三个月了，找{dept}也没结果",
    "停水两天了，{dept}电话打不通，地址{daddr}",
    "在{place}捡到一个钱包，里面身份证叫{p2}，号码{id}，咋联系失主",
    "我妈一个人住在{addr}，燃气好像漏了，我在外地，求帮忙看看",
    "邻居{p2_t}家的狗咬了我孩子，打了疫苗花了{amount}，他不肯赔",
    "快递（{order}）显示签收但我没收到，快递小哥{p2_t}电话{mobile}一直关机",
    "我家孩子{p3}在{place}附近和同学走散了，联系电话{mobile}",
)

THANKS = (
    "表扬一下{dept}的{p2_t}，帮我把医保的事办好了，还加班",
    "上次反映的{road}积水已经修好了，谢谢你们",
    "谢谢{place}的保安{p2}，捡到我的包还给我了",
    "感谢{district}{dept}的{p2_t}和{p3}两位同志",
)

CONTACT = (
    "电话{mobile}", "我手机{mobile}，", "联系电话：{phone}", "有事打{mobile}或者座机{landline}", "手机号是{mobile}",
    "联系人{me}，电话{mobile}", "回电打{landline}", "电话{mobile}（微信同号）", "号码为{mobile}，白天可能不接",
    "座机：{landline}", "固话{landline}，找{me_t}", "联系方式{phone}。", "我的号{mobile}谢谢", "手机 {mobile}",
    "电话是{mobile}～", "(电话{mobile})", "{mobile}", "可以打我电话{mobile}也可以打我家{landline}",
)

EXTRA = (
    "身份证：{id}", "身份证号为{id}。", "证件号码{id}", "我身份证是{id}", "银行卡号{card}（工资卡）",
    "卡号是{card}", "邮箱{email}，回复发这个邮箱", "邮箱：{email}", "E-mail:{email}", "QQ:{qq}", "我扣扣{qq}",
    "QQ号是{qq}", "微信：{wechat}", "微信号{wechat}", "vx {wechat}", "护照号{passport}", "护照：{passport}",
    "车牌{plate}", "我的车牌号是{plate}。", "住址：{daddr}", "家在{daddr}", "身份证{id}\n手机{mobile}",
    "邮箱{email}，QQ{qq}", "（身份证{id}）", "车{plate}，驾驶人{p2}", "收款账户{card}，户名{me}",
)

CLOSE = ("尽快处理！！", "希望尽快解决。", "谢谢了", "麻烦你们了。", "急急急", "等回复", "打了好几次了，请重视",
         "谢谢！", "", "", "就这些。", "请给我回个电话")

SHORT = (
    "{plate}把{place}出口堵了", "{road}井盖没了", "{hotline}一直占线", "{me}，{mobile}，问社保",
    "查一下{order}进度", "{place}厕所没水", "{mobile}，{me_t}，噪音投诉", "{plate}被贴条了不服",
    "{district}哪里办护照", "投诉{dept}", "身份证{id}的补贴啥时候发", "{addr}停电了！",
    "{me_t} {mobile}", "{addr}漏水", "举报{plate}", "{mobile} 回电", "找{me_t}，{landline}",
)

NO_PII = (
    "请问{district}的社区卫生服务中心周六上班吗？", "{place}那边的公交什么时候恢复？",
    "{date}晚上{place}有人放烟花，吵死了", "{road}修到啥时候？天天堵", "{dept}几点下班？{date}想去办事",
    "{district}的垃圾几点收？", "上次反映的（{order}）还没人回复", "网上交电费多扣了{amount}，{date}扣的",
    "{place}停车费涨到{amount}一小时，太离谱了", "{hotline}和{dept}的热线是一个吗",
    "{district}{road}红绿灯太短了，老人过不去", "{dept}啥时候发{date}的补贴", "{place}几点到几点开放",
    "打{h12345}打了半天打不进", "{road}的树倒了压到电线了", "{district}的疫苗接种点在哪",
    "{date}{time}{place}有人吵架，打了{hotline}", "{dept}电话一直没人接，投诉一下",
    "{place}里面卖的水{amount}一瓶，是不是价格欺诈", "{road}路灯不亮，{date}开始的",
)
