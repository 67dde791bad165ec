//! Word lists for synthetic books: surnames, given-name characters, regions, roads, insurers, products.

use custodia_model::ProductLine;

/// Common surnames with their pinyin (for e-mail addresses), roughly in order of frequency.
pub(crate) const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("邓", "deng"),
    ("韩", "han"),
    ("冯", "feng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("潘", "pan"),
    ("袁", "yuan"),
    ("蔡", "cai"),
    ("蒋", "jiang"),
    ("余", "yu"),
    ("于", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("魏", "wei"),
    ("苏", "su"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("卢", "lu"),
    ("姚", "yao"),
    ("沈", "shen"),
    ("钟", "zhong"),
    ("姜", "jiang"),
    ("崔", "cui"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("范", "fan"),
    ("汪", "wang"),
    ("廖", "liao"),
    ("欧阳", "ouyang"),
    ("司马", "sima"),
];

/// Characters common in given names.
pub(crate) const GIVEN_CHARS: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀", "霞", "平", "刚", "桂", "英", "华", "文", "辉", "玲", "建", "国", "志", "红", "梅", "林", "鹏",
    "飞", "斌", "宇", "浩", "晨", "欣", "怡", "佳", "子", "轩", "涵", "梓", "萱", "雨", "博", "思", "嘉",
    "俊", "昊", "然", "瑶", "琳", "婷", "雪", "慧", "颖", "晓", "海", "波", "云", "春", "燕", "兰", "凤",
    "鑫", "丹",
];

/// A mainland region: GB/T 2260 county-level code, province line, city-and-district line, postal code.
pub(crate) struct Region {
    pub code: &'static str,
    pub province: &'static str,
    pub district: &'static str,
    pub postal_code: &'static str,
}

pub(crate) const REGIONS: &[Region] = &[
    Region {
        code: "110105",
        province: "北京市",
        district: "朝阳区",
        postal_code: "100020",
    },
    Region {
        code: "110108",
        province: "北京市",
        district: "海淀区",
        postal_code: "100080",
    },
    Region {
        code: "310104",
        province: "上海市",
        district: "徐汇区",
        postal_code: "200030",
    },
    Region {
        code: "310115",
        province: "上海市",
        district: "浦东新区",
        postal_code: "200120",
    },
    Region {
        code: "440106",
        province: "广东省",
        district: "广州市天河区",
        postal_code: "510630",
    },
    Region {
        code: "440305",
        province: "广东省",
        district: "深圳市南山区",
        postal_code: "518052",
    },
    Region {
        code: "330106",
        province: "浙江省",
        district: "杭州市西湖区",
        postal_code: "310013",
    },
    Region {
        code: "320106",
        province: "江苏省",
        district: "南京市鼓楼区",
        postal_code: "210009",
    },
    Region {
        code: "510107",
        province: "四川省",
        district: "成都市武侯区",
        postal_code: "610041",
    },
    Region {
        code: "420106",
        province: "湖北省",
        district: "武汉市武昌区",
        postal_code: "430061",
    },
    Region {
        code: "610113",
        province: "陕西省",
        district: "西安市雁塔区",
        postal_code: "710061",
    },
    Region {
        code: "500103",
        province: "重庆市",
        district: "渝中区",
        postal_code: "400010",
    },
    Region {
        code: "120101",
        province: "天津市",
        district: "和平区",
        postal_code: "300041",
    },
    Region {
        code: "370202",
        province: "山东省",
        district: "青岛市市南区",
        postal_code: "266001",
    },
    Region {
        code: "350102",
        province: "福建省",
        district: "福州市鼓楼区",
        postal_code: "350001",
    },
    Region {
        code: "430104",
        province: "湖南省",
        district: "长沙市岳麓区",
        postal_code: "410006",
    },
];

/// Road names for street addresses.
pub(crate) const ROADS: &[&str] = &[
    "建国路",
    "人民路",
    "中山路",
    "解放路",
    "南京路",
    "淮海路",
    "和平路",
    "文化路",
    "学院路",
    "新华路",
    "光明路",
    "长江路",
    "黄河路",
    "东风路",
    "胜利路",
    "朝阳路",
    "滨江大道",
    "科技园路",
];

/// Mobile number prefixes of the three mainland carriers.
pub(crate) const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198",
    "199",
];

/// E-mail domains common in mainland China.
pub(crate) const EMAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "foxmail.com",
    "outlook.com",
];

/// UnionPay issuer prefixes (BINs) of large mainland banks, with the bank's name.
pub(crate) const BANKS: &[(&str, &str)] = &[
    ("622202", "中国工商银行"),
    ("621700", "中国建设银行"),
    ("622848", "中国农业银行"),
    ("621661", "中国银行"),
    ("622588", "招商银行"),
    ("622262", "交通银行"),
    ("622908", "兴业银行"),
    ("621483", "招商银行"),
];

/// A country foreign customers come from: code, E.164 country code, family names, given names, cities.
pub(crate) struct Country {
    pub code: &'static str,
    pub dial: &'static str,
    pub family: &'static [&'static str],
    pub given: &'static [&'static str],
    pub city: &'static str,
}

const CHINESE_FAMILY: &[&str] = &["陈", "李", "黄", "张", "林", "王", "吴", "刘"];
const CHINESE_GIVEN: &[&str] = &["嘉欣", "志明", "美玲", "家豪", "淑芬", "俊杰", "雅婷", "建宏"];

pub(crate) const COUNTRIES: &[Country] = &[
    Country {
        code: "HK",
        dial: "852",
        family: CHINESE_FAMILY,
        given: CHINESE_GIVEN,
        city: "Hong Kong",
    },
    Country {
        code: "MO",
        dial: "853",
        family: CHINESE_FAMILY,
        given: CHINESE_GIVEN,
        city: "Macao",
    },
    Country {
        code: "TW",
        dial: "886",
        family: CHINESE_FAMILY,
        given: CHINESE_GIVEN,
        city: "Taipei",
    },
    Country {
        code: "DE",
        dial: "49",
        family: &["Müller", "Schmidt", "Schneider", "Fischer", "Weber"],
        given: &["Anna", "Lukas", "Marie", "Felix", "Sophie"],
        city: "Berlin",
    },
    Country {
        code: "FR",
        dial: "33",
        family: &["Martin", "Bernard", "Dubois", "Laurent", "Moreau"],
        given: &["Camille", "Louis", "Léa", "Hugo", "Chloé"],
        city: "Paris",
    },
    Country {
        code: "NL",
        dial: "31",
        family: &["de Jong", "Jansen", "de Vries", "Bakker", "Visser"],
        given: &["Daan", "Emma", "Sem", "Julia", "Lucas"],
        city: "Amsterdam",
    },
    Country {
        code: "IT",
        dial: "39",
        family: &["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi"],
        given: &["Giulia", "Marco", "Sofia", "Luca", "Chiara"],
        city: "Milano",
    },
    Country {
        code: "US",
        dial: "1",
        family: &["Smith", "Johnson", "Williams", "Brown", "Jones"],
        given: &["James", "Mary", "John", "Linda", "Emily"],
        city: "New York",
    },
    Country {
        code: "GB",
        dial: "44",
        family: &["Smith", "Jones", "Taylor", "Brown", "Wilson"],
        given: &["Oliver", "Amelia", "Harry", "Isla", "Jack"],
        city: "London",
    },
    Country {
        code: "SG",
        dial: "65",
        family: &["Tan", "Lim", "Lee", "Ng", "Wong"],
        given: &["Wei Ling", "Jun Jie", "Hui Min", "Zhi Hao", "Xin Yi"],
        city: "Singapore",
    },
    Country {
        code: "JP",
        dial: "81",
        family: &["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe"],
        given: &["Haruto", "Yui", "Sota", "Hina", "Yuto"],
        city: "Tokyo",
    },
    Country {
        code: "KR",
        dial: "82",
        family: &["Kim", "Lee", "Park", "Choi", "Jung"],
        given: &["Minjun", "Seoyeon", "Jiho", "Hayoon", "Doyun"],
        city: "Seoul",
    },
];

/// Life insurers (for life, critical-illness, annuity, medical and accident lines).
pub(crate) const LIFE_INSURERS: &[&str] = &[
    "中国人寿保险股份有限公司",
    "中国平安人寿保险股份有限公司",
    "中国太平洋人寿保险股份有限公司",
    "新华人寿保险股份有限公司",
    "泰康人寿保险有限责任公司",
    "太平人寿保险有限公司",
];

/// Property and casualty insurers (motor, property, liability, travel, accident).
pub(crate) const PC_INSURERS: &[&str] = &[
    "中国人民财产保险股份有限公司",
    "中国平安财产保险股份有限公司",
    "中国太平洋财产保险股份有限公司",
    "中国人寿财产保险股份有限公司",
    "中华联合财产保险股份有限公司",
];

/// A product name for a line.
pub(crate) fn products(line: ProductLine) -> &'static [&'static str] {
    match line {
        ProductLine::Life => &["终身寿险", "定期寿险"],
        ProductLine::CriticalIllness => &["重大疾病保险", "少儿重大疾病保险"],
        ProductLine::Annuity => &["年金保险", "两全保险"],
        ProductLine::Medical => &["百万医疗保险", "住院医疗保险"],
        ProductLine::Accident => &["意外伤害保险", "综合意外保险"],
        ProductLine::Motor => &["机动车商业保险"],
        ProductLine::Property => &["家庭财产保险", "企业财产保险"],
        ProductLine::Liability => &["公众责任保险", "雇主责任保险"],
        ProductLine::Travel => &["境外旅行保险"],
        // A line added to the model after these tables: a generic name, so the book still generates.
        _ => &["保险"],
    }
}

/// Occupations recorded in due diligence.
pub(crate) const OCCUPATIONS: &[&str] = &[
    "企业职员",
    "教师",
    "医生",
    "工程师",
    "个体经营者",
    "公务员",
    "退休人员",
    "自由职业者",
    "销售人员",
    "学生",
];

/// Trade names and industries for organization names.
pub(crate) const TRADE_NAMES: &[&str] = &[
    "华信", "恒达", "宏远", "鑫源", "博瑞", "嘉禾", "永盛", "天成", "中和", "联创",
];
pub(crate) const INDUSTRIES: &[&str] = &[
    "科技",
    "贸易",
    "建设工程",
    "物流",
    "餐饮管理",
    "医疗器械",
    "电子",
    "文化传媒",
];
