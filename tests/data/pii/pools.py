"""The vocabulary of each part of the PII corpus: tune (Fuzhou, Putian, Ningde) and held-out
(Xiamen, Quanzhou, Zhangzhou, and callers from other provinces).

The two pools share no given name, road, estate, village, district, public place, ID region,
area code or e-mail user name, and only the commonest single surnames (a detector's surname
list is not tuned on the corpus; given names and places are). Compound surnames differ too:
欧阳/司马 tune, 诸葛/上官/司徒/皇甫 held-out.
"""
from __future__ import annotations

from values import Pool

TUNE = Pool(
    surnames=("陈", "林", "黄", "张", "李", "王", "吴", "刘", "郑", "杨", "何", "许", "高", "朱", "邱", "翁",
              "谢", "罗", "游", "詹", "欧阳", "司马", "卓", "薛", "江", "苏"),
    given_male=("大文", "建华", "志强", "国平", "明辉", "伟", "小龙", "子豪", "宏图", "文彬", "德顺", "一鸣",
                "海峰", "世杰", "振宇", "永福", "俊", "金水", "长青", "少华"),
    given_female=("娜", "丽华", "秀英", "美玲", "晓燕", "雅婷", "佳怡", "春梅", "玉珍", "思琪", "婉清", "丹",
                  "淑芬", "慧敏", "梦瑶", "桂英", "小红", "欣然", "琳", "翠兰"),
    roads=("五四路", "杨桥中路", "古田路", "六一北路", "湖东路", "华林路", "工业路", "福新中路", "温泉公园路",
           "白马中路", "东大路", "连江北路", "鳌峰路", "福飞路", "西二环中路", "八一七北路", "乌山路", "浦上大道"),
    estates=("阳光花园", "金山碧水小区", "温泉公寓", "江南水都", "融侨锦江", "三盛国际", "世欧王庄",
             "正祥香槟小镇", "泰禾红峪", "闽江世纪城", "左海公寓", "金域榕郡", "东方名城", "福晟钱隆广场"),
    villages=("新店镇赤桥村", "南屿镇尧沙村", "城门镇林浦村", "宦溪镇汤洋村", "琯头镇", "上街镇厚美村"),
    districts=("鼓楼区", "台江区", "仓山区", "晋安区", "马尾区", "长乐区", "闽侯县", "连江县", "荔城区",
               "蕉城区", "福清市"),
    places=("五一广场", "东街口", "福州市第一医院", "西湖公园", "三坊七巷", "福州火车站", "省立医院",
            "屏山公园", "万象城", "福州大学", "左海公园", "仓山万达", "福州南站", "鼓山风景区", "宝龙广场"),
    departments=("城管局", "市场监管局", "住建局", "交警支队", "人社局", "医保局", "街道办", "社区居委会",
                 "派出所", "环保局", "自来水公司", "供电公司", "房管局", "教育局", "物业服务中心"),
    id_regions=("350102", "350103", "350104", "350105", "350111", "350121", "350181", "350302",
                "350902", "352201", "350583", "330106", "360102"),
    area_codes=("0591", "0591", "0591", "0594", "0593", "0571"),
    plate_provinces="闽闽闽闽闽浙赣",
    plate_city_letters="AAAAABJK",
    email_domains=("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "139.com"),
    pinyin=("chendawen", "linna", "huangjh", "zhangwei", "lixiu", "wangming", "wuqiang", "liuyan",
            "zheng", "yangfan", "hexin", "xuli", "gaoyang", "ouyang", "simaqian", "fzlaowang", "ming", "xiaoyan"),
)

HELDOUT = Pool(
    surnames=("陈", "林", "黄", "张", "李", "王", "蔡", "魏", "庄", "洪", "施", "曾", "傅", "叶", "柯", "连",
              "诸葛", "上官", "司徒", "皇甫", "姚", "颜", "马", "董"),
    given_male=("志远", "家豪", "文杰", "鹏飞", "天佑", "荣华", "清水", "俊杰", "阿明", "炳坤", "兴旺", "浩然",
                "耀东", "振华", "嘉诚"),
    given_female=("淑贞", "雪梅", "丽娟", "紫涵", "若曦", "巧玲", "燕妮", "宝珠", "碧霞", "静怡", "晓琳",
                  "美珠", "阿花", "诗琪"),
    roads=("湖滨南路", "厦禾路", "嘉禾路", "莲前东路", "仙岳路", "中山路", "思明南路", "泉秀路", "丰泽街",
           "刺桐路", "九一路", "胜利街", "新华北路", "金尚路", "杏林湾路"),
    estates=("瑞景新村", "莲花五村", "建发央著", "禹洲华侨城", "泉州万科城", "海沧一号", "金榜公园小区",
             "龙湖春江郦城", "海景花园", "联发欣悦", "中骏四季阳光", "阳光城翡丽湾"),
    villages=("灌口镇李林村", "马巷镇后村", "安海镇", "石井镇", "角美镇"),
    districts=("思明区", "湖里区", "集美区", "海沧区", "同安区", "翔安区", "鲤城区", "丰泽区", "晋江市",
               "石狮市", "芗城区", "龙海区"),
    places=("中山公园", "厦门大学", "鼓浪屿", "厦门北站", "泉州市第一医院", "万达广场", "SM城市广场",
            "白鹭洲公园", "高崎机场", "中山医院", "清源山", "开元寺", "曾厝垵", "五缘湾湿地公园"),
    departments=("市政园林局", "市场监督管理局", "建设局", "交警大队", "社保中心", "卫健委", "镇政府",
                 "村委会", "公安分局", "生态环境局", "燃气公司", "电信公司", "不动产登记中心", "文旅局"),
    id_regions=("350203", "350206", "350211", "350205", "350212", "350213", "350502", "350503",
                "350582", "350581", "350602", "440305", "310115", "510104"),
    area_codes=("0592", "0592", "0595", "0596", "021", "010", "020"),
    plate_provinces="闽闽闽闽粤沪川",
    plate_city_letters="DDDCCEB",
    email_domains=("qq.com", "163.com", "outlook.com", "gmail.com", "yeah.net", "hotmail.com"),
    pinyin=("caizhiyuan", "weijiahao", "zhuangwj", "hongpf", "shiyan", "zengxm", "fuqing", "yeting",
            "zhuge", "shangguan", "xmlaocai", "jinjiang", "amoy", "yaoyao", "dongdong"),
)
