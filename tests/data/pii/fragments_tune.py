"""Hand-written sentence fragments for the tune part. Slots: personal data {me} {me_t} {p2} {p2_t}
{addr} {daddr} {mobile} {landline} {phone} {id} {card} {passport} {plate} {email} {qq} {wechat};
ordinary details {district} {place} {dept} {date} {time} {amount} {order} {hotline} {road}."""

OPEN = (
    "您好，我是{me}，", "你好我叫{me}。", "本人{me}，", "我是住在{daddr}的业主{me}，", "{me_t}来电：",
    "市民{me}反映：", "我是{district}的居民，", "您好！", "12345您好，我是{me_t}。", "反映人：{me}\n",
    "我姓名{me}，", "你好，", "{me}（{district}）：", "我是{place}附近的商户{me}，", "来电人{me_t}称，",
)

COMPLAINT = (
    "{daddr}楼下的烧烤店每天开到{time}，油烟直接往楼上窜，窗户都不敢开。",
    "{place}旁边的工地{time}还在打桩，吵得小孩睡不着，之前打过{hotline}也没人管。",
    "我家住{addr}，楼上{p2_t}家天天漏水，物业说不归他们管。",
    "{road}这段路灯坏了半个月了，晚上很黑很不安全。",
    "小区门口车位被一辆{plate}长期占用，打电话给{dept}说不归他们管。",
    "{date}在{place}的店里买了一部手机花了{amount}，第二天就开不了机，商家不给退。",
    "我们{addr}这栋楼电梯经常困人，{date}我妈被困了半个多小时。",
    "隔壁{p2}家养了三条狗，整夜叫，沟通好几次了没用。",
    "{district}{road}上的共享单车堆得人都走不过去。",
    "物业费一年涨了{amount}，也没开业主大会，我们不认可。",
    "装修公司收了我{amount}定金（{order}），现在人找不到了，老板叫{p2}，电话{mobile}。",
    "{dept}的工作人员态度很差，办个证跑了五趟。",
    "楼下{p2_t}开的麻将馆天天吵到半夜。",
    "外卖电动车把{place}门口的盲道全占了。",
)

CONSULT = (
    "想咨询一下，异地医保备案要去{dept}办还是网上就可以办？",
    "请问孩子上小学的户口要满几年？我们是{district}的，房子在{addr}。",
    "我{date}离职了，公积金怎么提取？",
    "咨询一下退休金为什么这个月少了{amount}。",
    "老人的高龄补贴要带什么材料去{dept}申请？",
    "请问{place}周末开放吗？需不需要预约？",
    "想问一下租房提取公积金每个月最多能提多少。",
    "我的社保卡丢了，卡号是{card}，怎么挂失补办？",
    "二手房过户需要交哪些税，大概多少？总价{amount}左右。",
    "请问新能源车{plate}能不能申请{district}的免费充电车位？",
    "灵活就业人员的社保在哪里缴，{dept}说要去税务局。",
    "护照{passport}快过期了，换发要多久？",
)

REPORT = (
    "举报{addr}有人违规群租，住了二十多个人。",
    "{place}门口有辆{plate}的车违停好几天了，挡住消防通道。",
    "{road}和{road}交叉口的井盖丢了，很危险。",
    "发现{addr}一楼的店铺在卖过期食品，小票在我这里，金额{amount}。",
    "有人在{place}发传单骗老人买保健品，联系人是{p2}，手机{mobile}。",
    "{district}{road}附近有人倾倒建筑垃圾，车牌{plate}。",
    "举报一家培训机构在{addr}无证办学。",
    "{date}{time}左右在{place}看到有人偷电动车电瓶。",
    "有辆{plate}每天早上在{road}上逆行送货。",
)

HELP = (
    "我父亲{p2}有老年痴呆，{date}在{place}走失了，穿灰色外套，请大家帮忙留意。",
    "我的银行卡{card}被冻结了，说是涉嫌诈骗，但我没做过，请帮忙问下怎么解冻。",
    "公司拖欠我三个月工资一共{amount}，老板{p2_t}一直拖着不给。",
    "家里停水两天了，{dept}电话一直打不通，住址是{daddr}。",
    "我在{place}捡到一个钱包，里面有身份证，名字是{p2}，身份证号{id}，请帮忙联系失主。",
    "孩子学校要交{amount}资料费，合理吗？想请{dept}帮忙核实一下。",
    "老人独居在{addr}，家里燃气好像漏了，我在外地，请帮忙去看一下。",
    "我的快递（{order}）显示签收了但是我没收到，快递员{p2_t}电话{mobile}打不通。",
    "请帮忙协调一下，{dept}说材料齐了但一直不给办结，{order}。",
)

THANKS = (
    "感谢{dept}的{p2_t}，上次帮我们解决了路灯问题，特此表扬！",
    "上周反映的{road}积水问题已经处理好了，谢谢。",
    "非常感谢{place}的保安{p2}，帮我找回了手机。",
)

CONTACT = (
    "我的电话{mobile}。", "联系电话：{mobile}", "电话{phone}，", "有事打我手机{mobile}或者家里{landline}。",
    "联系人{me}，{mobile}。", "回电请打{landline}。", "手机：{mobile}（微信同号）", "请回复我{mobile}",
    "联系方式 {phone}", "联系我{mobile}谢谢", "办公室电话{landline}，找{me_t}。",
    "我号码{mobile}，白天上班不方便接，晚上打。", "tel：{mobile}", "电话打{landline}转8012。",
)

EXTRA = (
    "身份证号：{id}", "我的身份证{id}。", "身份证号码是{id}，", "证件号{id}", "银行卡号{card}（{dept}发的社保卡）",
    "卡号：{card}", "邮箱{email}，材料可以发这里。", "E-mail: {email}", "QQ：{qq}", "我QQ号{qq}", "微信号：{wechat}",
    "加我微信{wechat}", "护照号码{passport}", "车牌号{plate}", "我的车是{plate}。", "住址：{daddr}",
    "家住{daddr}。", "身份证 {id}\n手机 {mobile}", "邮箱：{email}；QQ：{qq}",
)

CLOSE = ("请尽快处理，谢谢！", "希望有关部门重视。", "谢谢。", "麻烦了", "盼复。", "急！！！", "请给个答复",
         "已经反映过好几次了。", "", "")

SHORT = (
    "{plate}堵在{place}出口了", "{road}有个井盖翻了", "{hotline}打了半天打不进", "{me}，{mobile}，咨询社保",
    "查询{order}办理进度", "{place}厕所没水", "电话{mobile}，{me_t}，投诉噪音", "我的车{plate}被贴条了，有异议",
    "{district}哪里可以办居住证", "投诉{dept}不作为", "身份证{id}办的证什么时候能拿", "{addr}停电了",
)

NO_PII = (
    "请问{district}的社区医院周末有没有门诊？", "{place}附近的公交站什么时候恢复？",
    "{date}{place}有人在放烟花，很吵。", "{road}施工什么时候结束？每天堵车。",
    "我想问下{dept}的上班时间，{date}去办事。", "{district}的垃圾分类投放时间是几点？",
    "上次反映的问题（{order}）到现在没人回复。", "网上缴费多扣了{amount}，{date}扣的。",
    "{place}的停车费涨到{amount}一小时了，太贵。", "请问{hotline}和{dept}的热线是一个吗？",
    "{district}{road}的红绿灯时间太短，老人过不去。", "{dept}什么时候发放{date}的补贴？",
    "{place}开放时间几点到几点？", "孩子疫苗在{district}哪里能打？",
)
