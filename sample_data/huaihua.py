"""The sample's places: real names from Huaihua (怀化市), Hunan; codes follow GB/T 2260 where known.

People and figures are invented. Township and village codes are sample codes.
"""

from __future__ import annotations

PROVINCE = ("430000000000", "湖南省", "Hunan")
CITY = ("431200000000", "怀化市", "Huaihua")
CITY_UNITS = [
    ("431200900001", "怀化市财政局", "Huaihua Finance Bureau"),
    ("431200900002", "怀化市交通运输局", "Huaihua Transport Bureau"),
]

# The 13 county-level units of Huaihua.
COUNTIES = [
    ("431202000000", "鹤城区", "Hecheng"),
    ("431221000000", "中方县", "Zhongfang"),
    ("431222000000", "沅陵县", "Yuanling"),
    ("431223000000", "辰溪县", "Chenxi"),
    ("431224000000", "溆浦县", "Xupu"),
    ("431225000000", "会同县", "Huitong"),
    ("431226000000", "麻阳苗族自治县", "Mayang"),
    ("431227000000", "新晃侗族自治县", "Xinhuang"),
    ("431228000000", "芷江侗族自治县", "Zhijiang"),
    ("431229000000", "靖州苗族侗族自治县", "Jingzhou"),
    ("431230000000", "通道侗族自治县", "Tongdao"),
    ("431271000000", "洪江区", "Hongjiang District"),
    ("431281000000", "洪江市", "Hongjiang"),
]
POOR_COUNTIES = {"431222000000", "431224000000", "431226000000", "431227000000", "431230000000"}

# county code → [(township code, name, [(village code, name, rural population)])]
TOWNSHIPS = {
    "431224000000": [
        ("431224100000", "北斗溪镇", [("431224100201", "坪溪村", 1260), ("431224100202", "金中村", 980)]),
        ("431224110000", "龙潭镇", [("431224110201", "龙潭村", 1530), ("431224110202", "石板村", 870)]),
    ],
    "431221000000": [
        ("431221104000", "桐木镇", [("431221104201", "半界村", 1120), ("431221104202", "大松坡村", 760)]),
    ],
    "431226000000": [
        ("431226105000", "郭公坪镇", [("431226105201", "楠木桥村", 1340), ("431226105202", "塘冲村", 690)]),
    ],
}
# Townships with a concentrated poor population (贫困人口集中的乡镇).
CONCENTRATED_TOWNSHIPS = {"431224100000", "431224110000", "431226105000"}
# city-direct unit → villages it is linked to (联系的贫困村)
UNIT_LINKS = {
    "431200900001": ["431224100201", "431221104201"],
    "431200900002": ["431226105201"],
}

# Syllables of made-up township, village and bureau names.
SYLLABLES = "龙潭北斗桐木江口黄茅双井大江低庄观音岩门石门水东板桥溪口青山白沙竹园杨柳梅花花桥枫木长田"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐舒向瞿邓谭"
GIVEN = ["建国", "志强", "秀英", "桂兰", "海燕", "国华", "红梅", "德明", "晓东", "春生", "丽华", "永红", "文斌", "玉梅", "光辉", "爱民", "小平", "金秀", "新民", "翠兰"]
