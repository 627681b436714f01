"""Hand-written sentence fragments for the fresh held-out part (same slots as fragments_tune.py).

Written after the detector was tuned, by someone who had not read it: callers from Sichuan,
Henan, Guangdong, Heilongjiang, Xinjiang, Shanghai and Beijing, dialect words (啥 咋整 俺 莫得
晓得 唔该), typos as people leave them (再/在, 以经, 帐户), mixed punctuation, labels such as
座机/固话/手机/微信/身份证 written every which way."""

OPEN = (
    "喂喂 听得到不 我是{me}", "俺是{me}，", "你好，这边是{me_t}，", "{h12345}吗？我{me}，", "{me_t}致电：",
    "网友{me}留言：", "我是{district}的一个老百姓，", "诉求人：{me}；", "我是{daddr}的住户，叫{me}，",
    "师傅你好！", "您好，麻烦记一下，我叫{me}，", "{me}（六十多岁）反映：", "市民{me_t}来电称：",
    "我系{me}，", "姓名 {me} ", "本人{me}，{district}人，", "我是送外卖的{me}，", "反映人:{me_t},",
    "领导们好，我是在{place}上班的{me}，", "实名：{me}\n", "老师好，我是{me_t}，替家里老人打的电话，",
    "你们好，", "我想反应个问题，",
)

COMPLAINT = (
    "{daddr}楼下烧烤摊天天搞到{time}，油烟熏得窗户都是黑的，找{dept}好几次莫得用",
    "小区暖气到现在都不热，屋里才十四度，{dept}说管道堵了，这都十一月中了！！",
    "{place}那边的黑车司机拉客，要了我{amount}，车牌{plate}",
    "隔壁{p2_t}家装修天天一大早就开始电钻，{time}才停，周末也不停",
    "我在{place}办的预付卡还剩{amount}，现在店关门了，老板{p2}电话{mobile}关机",
    "{road}上的共享电单车乱停，盲道全被占了",
    "物业{p2_t}说我们楼{addr}漏水是楼上的事，楼上说是物业的事，扯皮两个月了",
    "快递员老是不送上门，直接丢在{place}的驿站，{order}这个件我都没收到",
    "房东{p2}不退押金{amount}，还说我弄坏了热水器，他手机{mobile}",
    "开发商逾期交房快一年了，{district}{road}那个楼盘，合同上写的{date}交房",
    "{addr}的广场舞音响太大了，晚上{time}还在跳，老人小孩都睡不着",
    "驾校收了我{amount}学费，教练{p2_t}让我等了三个月还没排上车",
    "工地渣土车{plate}半夜在{road}上撒了一路的土",
    "在{place}门口被碰瓷了，对方开的{plate}，还找我要{amount}",
    "楼上{p2}家天天往下扔垃圾，我晒的被子都脏了。。。",
    "{dept}的人上门抄表态度很凶，还说我偷电",
    "物业费一年交了{amount}，电梯天天坏，{date}我老娘被关在里面半小时",
    "菜市场的秤有问题，一斤少二两，摊主是个{p2_t}，就在{place}旁边",
    "{road}修地铁的围挡占了一半的路，早高峰堵得死死的",
    "楼道里被{p2_t}家堆满了纸箱子，消防通道都走不了人",
    "网上买的电动车{amount}，电池才用俩月就鼓包了，商家说不保修，{order}",
    "公交车司机不等人，我七十多了刚上车就开，差点摔了，{date} {time}的事",
)

CONSULT = (
    "想问下外地户口在{district}能不能交城乡居民医保",
    "孩子在{place}附近上学，积分入学要准备啥材料",
    "我的身份证{id}快过期了，在外地能不能补办",
    "请问公积金贷款买二手房要去{dept}还是银行办",
    "俺爹是退伍老兵，优待证去哪办，{dept}说要先登记",
    "我的驾照扣了12分，车是{plate}，满分学习去哪报名",
    "护照{passport}过期了，换新的要多久？下个月出国",
    "个税年度汇算退税一直显示审核中，{date}提交的",
    "老人的养老金每个月{amount}，打在{card}这张卡上，银行说卡要换了，咋整",
    "暖气费一平方收二十八块五是不是收多了？",
    "灵活就业社保断缴了半年，还能补吗？我的身份证号是{id}",
    "失业了能领多久失业金，之前单位交了五年",
    "二手房过户要先交契税，大概多少钱，总价一百二十多万",
    "居住证到期了去哪里续，{district}的派出所还是社区",
    "请问{place}的核酸检测点还有没有？要做个报告",
    "新能源车{plate}能不能办{district}的充电桩补贴？",
)

REPORT = (
    "举报{addr}有人在家里开棋牌室赌博，天天有人进进出出",
    "{place}旁边有辆{plate}的车停了一个多月没动，车上都是灰",
    "{road}和{road}路口的红绿灯坏了，车都乱开",
    "有人在{addr}非法收购药品，门口挂着牌子",
    "实名举报{dept}的{p2}上班时间打麻将",
    "{district}{road}桥底下有人倾倒垃圾，开的是{plate}",
    "{date} {time}在{place}看到有人偷电瓶车，往{road}方向跑了",
    "有个号码{mobile}一直发短信说是{dept}的，让我交钱办低保，是骗子吧",
    "举报一家托管班在{addr}无证办学，二十几个孩子挤一间屋",
    "{addr}一楼的餐馆把地沟油倒进下水道",
    "小区地下车库有辆{plate}的电动车在里面充电，很危险",
)

HELP = (
    "家里老人{p2}有老年痴呆，{date}早上从{place}走丢了，穿蓝色棉袄，麻烦帮忙找找",
    "包工头{p2_t}欠了我们班组{amount}工钱，人跑回老家了，我们十几个人过年回不去",
    "家里的燃气有味道，住{daddr}，燃气集团电话打不通，急！！",
    "身份证丢了，号码{id}，怕被人冒用，要咋办",
    "我的银行卡{card}被人盗刷了{amount}，已经报警了，银行让我找{h12345}",
    "我妈一个人住在{addr}，两天没接电话了，我在外地，麻烦社区去看一下",
    "孩子被困在{place}的电梯里了，物业联系不上",
    "网上被人骗了{amount}，对方QQ是{qq}，让我刷单",
    "我是{place}的环卫工，老板{p2_t}三个月没发工资了",
    "楼下有个老人摔倒了，在{addr}门口，有没有人管管",
    "小孩的医保卡{card}被冻结了，说是卡号输错了，去哪里改",
    "网上退款一直没到帐，{order}，客服说是银行的问题，银行说是平台的问题",
    "上个月反映的那个事，{order}，到现在没有人联系过我",
)

THANKS = (
    "表扬{dept}的{p2_t}，大半夜来帮我们修好了水管，谢谢！！",
    "上次反映{road}的坑，已经填平了，给你们点赞",
    "感谢{place}的保安{p2}帮我找回了钱包，里面有好几千块",
    "谢谢{dept}，{order}的事已经处理好了，满意",
)

CONTACT = (
    "我手机{mobile}", "电话：{mobile}（微信同号）", "座机{landline}", "固话{landline}，白天有人",
    "手机号{mobile}，座机{landline}", "联系电话{phone}", "有事打{mobile}找{me_t}", "打我电话{phone}就行",
    "我的联系方式:{mobile}", "回电号码{mobile}。", "单位电话{landline}", "家里电话{landline}，手机{mobile}",
    "电话{mobile}，打不通就发短信", "我的号码是{mobile}", "tel {mobile}", "手机 {mobile}",
    "联系人：{me}，电话：{phone}", "来电号码{mobile}", "电话号码是{landline}", "{me_t} {phone}",
    "电话{mobile}，邮箱{email}", "手机不常开，发邮件到{email}",
)

EXTRA = (
    "身份证号码{id}", "身份证：{id}", "证件号码 {id}", "我身份证是{id}，", "卡号{card}", "银行卡：{card}",
    "工资卡号{card}（单位代发的）", "邮箱{email}", "我的邮箱是{email}，材料可以发过来", "Email：{email}",
    "邮箱：{email}（回复发这个）", "QQ{qq}", "我扣扣{qq}", "qq号：{qq}", "微信{wechat}", "微信号是{wechat}", "vx：{wechat}", "护照号{passport}",
    "车牌号码{plate}", "我开的车{plate}", "住址{daddr}", "家住{daddr}。", "地址在{addr}",
    "身份证{id}\n电话{mobile}", "护照：{passport}，身份证：{id}",
)

CLOSE = ("请尽快处理！", "谢谢了", "麻烦你们了。", "等你们回复", "急急急", "希望能解决", "", "", "就这个事",
         "拜托拜托", "唔该晒", "谢谢领导！！")

SHORT = (
    "{plate}堵在{place}门口半小时了", "{road}的井盖没了", "{hotline}一直占线", "{me}，{mobile}，问下医保",
    "查下{order}", "{place}的厕所锁着门", "{me_t} {mobile} 投诉楼上漏水", "{addr}停水了",
    "{district}哪里能办老年卡", "投诉{dept}不接电话", "身份证{id}的社保卡做好没", "{place}有人吵架打起来了",
    "车{plate}被拖走了，去哪里领", "{mobile} 回个电话",
    "{order} 催一下", "退款{order}还没到",
)

NO_PII = (
    "{district}今年暖气啥时候开始烧？", "{place}到{place}的地铁几点收班", "{road}的路灯全灭了",
    "{date} {time}{place}那边放鞭炮，吵死了", "{dept}周六上不上班", "{order}办到哪一步了",
    "{district}的菜市场是不是要拆了", "{place}门口的公交站啥时候恢复", "交了{amount}的罚款，记录咋还在",
    "{hotline}和{dept}的电话到底打哪个", "{road}修了大半年了还没修好，天天堵",
    "{place}里面的停车场太贵了，停了一下午收我{amount}", "{district}哪里可以打狂犬疫苗？",
    "{date}那天{road}停电了一整天，也没通知", "{place}的免费开放时间是几点到几点",
    "请问{dept}的地址搬到哪里了？", "{district}的垃圾分类到底几点能扔",
)
