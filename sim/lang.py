"""Labels in English or Chinese: the report, the plots and the app (issue 15, "Chinese labels").

Only what people read is translated: metric names and units, target names, chart titles and
axis labels, table headings, verdict words, lever names, policy kinds and park names. File
names, metric names, target ids and scenario names (the output contract) stay as they are in
every language.

English is the key: :func:`t` returns the English text itself for ``en`` and its entry in
:data:`TEXT` for ``zh`` (a template takes its fields with ``str.format``). Metrics, parks,
policy kinds, targets and levers have their own tables keyed by id (:data:`METRICS`,
:data:`PARKS`, :data:`KINDS`, :data:`FIGURES`), so that a label changed in English does not
silently lose its translation: ``tests/test_lang.py`` checks every table against the ids the
model defines. A text with no entry falls back to English and is recorded
(:func:`missing`), which the tests hold at zero for the Chinese report and plots.

The names the city itself uses are those of the project's facts file, section G "Chinese
names" (shared/facts/stated_figures.md, transcribed into :data:`CITY_NAMES` so that the project
runs without it); names it does not give keep the English beside the Chinese.

Money stays in bn yuan (十亿元) in Chinese too, so that the numbers are the same in both
languages (500 十亿元 = 5,000 亿元).
"""

from __future__ import annotations

import functools

from sim.errors import SettingError

LANGS = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "中文"}
# matplotlib's fonts for Chinese labels (Debian: fonts-noto-cjk), with DejaVu Sans after them
# for the few glyphs the CJK font lacks; the park map's key is set in the monospaced one.
CJK_FONT = "Noto Sans CJK SC"
CJK_MONO_FONT = "Noto Sans Mono CJK SC"
CJK_FAMILY = [CJK_FONT, "DejaVu Sans"]
# The HTML pages' font stack in Chinese: the Noto CJK fonts first, then the systems' own.
CJK_CSS_FAMILY = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', "
    "'Microsoft YaHei', 'WenQuanYi Micro Hei', system-ui, sans-serif"
)
HTML_LANG = {"en": "en", "zh": "zh-CN"}

# ---------------------------------------------------------------------------------------------
# the city's own names

# Source: the project's facts file, section G "Chinese names" (shared/facts/stated_figures.md,
# "as commonly written in Chinese reports"), for the places and programmes of the seeds
# 000-004 and the press conference of 30 Dec 2025.
CITY_NAMES: dict[str, str] = {
    "software and information services": "软件和信息服务业",
    "software and information services (short)": "软信产业",
    "main business revenue": "主营业务收入",
    "software business revenue": "软件业务收入",
    "practitioners": "从业人员",
    "firms above designated size": "规模以上企业",
    "the 2022-2025 action plan": "“满天星”行动计划",
    "application scenarios": "应用场景",
    "Western (Chongqing) Science City": "西部(重庆)科学城",
    "Jinfeng Software Park": "金凤软件园",
    "Xiyong microelectronics park": "西永微电园",
    "University Town (Fulicheng area)": "大学城(富力城片区)",
    "Liangjiang Software Park": "两江软件园",
    "Liangjiang New Area Digital Economy Industrial Park": "两江新区数字经济产业园",
    "Chongqing Software Park": "重庆软件园",
    "Yubei Xiantao International Big Data Valley": "渝北仙桃国际大数据谷",
    "Yubei Xiantao International Big Data Valley (short)": "仙桃数据谷",
    "Yongchuan Big Data Industrial Park": "永川大数据产业园",
    "Hechuan Cyber Security Industrial City": "合川网络安全产业城",
    "Mingyue Lake": "明月湖",
    "Zhongguancun Zhiku": "中关村智酷",
    "rent reduction": "租金减免",
    "income-tax relief": "个人所得税奖励",
    "resettlement subsidy": "安家补贴",
    "housing subsidy": "住房补贴",
    "children's school enrolment": "子女入学",
    "leading enterprises": "龙头企业",
    "computing power": "算力",
}
_C = CITY_NAMES

# Each park of scenarios/parameters.toml ([[parks]] id): (full name, short name for maps and
# keys). Parks section G does not name keep their English name beside the Chinese.
PARKS: dict[str, tuple[str, str]] = {
    "liangjiang_software": (_C["Liangjiang Software Park"],) * 2,
    "chongqing_software": (_C["Chongqing Software Park"],) * 2,
    "xiantao_big_data": (
        _C["Yubei Xiantao International Big Data Valley"],
        _C["Yubei Xiantao International Big Data Valley (short)"],
    ),
    "hightech_software": ("重庆高新区软件园 (Chongqing High-tech Software Park)", "高新区软件园"),
    "yuzhong_software": ("渝中软件园 (Yuzhong Software Park)", "渝中软件园"),
    "yongchuan_big_data": (_C["Yongchuan Big Data Industrial Park"],) * 2,
    "hechuan_cyber_security": (_C["Hechuan Cyber Security Industrial City"],) * 2,
    "jinfeng_software": (_C["Jinfeng Software Park"],) * 2,
    "xiyong_microelectronics": (
        _C["Xiyong microelectronics park"] + " (business centre)",
        _C["Xiyong microelectronics park"],
    ),
    "fulicheng_university_town": (_C["University Town (Fulicheng area)"],) * 2,
    "science_city_points": ("科学城其他点位 (Science City points)", "科学城点位"),
    "mingyue_lake": (_C["Mingyue Lake"],) * 2,
    "liangjiang_digital_economy": (_C["Liangjiang New Area Digital Economy Industrial Park"],) * 2,
    "programme_buildings": ("“满天星”楼宇 (programme buildings)", "“满天星”楼宇"),
    "outside": ("园区外", "园区外"),
}

# Policy kinds (sim.policies.KINDS) and the attribution's "total".
KINDS: dict[str, str] = {
    "rent_reduction": _C["rent reduction"],
    "talent": "人才政策",
    "scale_up_awards": "企业升规奖励 (scale-up awards)",
    "leading_enterprises": "引进" + _C["leading enterprises"],
    "application_scenarios": _C["application scenarios"],
    "office_supply": "办公楼宇供给",
    "computing_power": _C["computing power"] + "补贴",
    "total": "合计",
}

# Units as the metrics, targets and observations write them.
UNITS: dict[str, str] = {
    "bn yuan": "十亿元",
    "m yuan": "百万元",
    "yuan": "元",
    "people": "人",
    "firms": "家",
    "m²": "平方米",
    "m2": "平方米",
    "share": "比例",
    "ratio": "倍数",
    "projects": "项",
    "yuan/m²/month": "元/平方米/月",
    "": "",
}

# Every metric of sim.metrics.METRICS: (label, unit), as plots.metric_label gives them in English.
METRICS: dict[str, tuple[str, str]] = {
    "revenue_bn_yuan": (_C["main business revenue"], "十亿元"),
    "sc_revenue_bn_yuan": ("科学城" + _C["main business revenue"], "十亿元"),
    "workforce": (_C["practitioners"], "人"),
    "job_seekers": ("求职人数", "人"),
    "firms": ("企业数", "家"),
    "firm_entries": ("新设企业", "家"),
    "firm_exits": ("退出企业", "家"),
    "firms_rev_10m_plus": ("营收1000万元以上企业", "家"),
    "firms_rev_100m_plus": ("营收1亿元以上企业", "家"),
    "firms_rev_1bn_plus": ("营收10亿元以上企业", "家"),
    "firms_rev_10bn_plus": ("营收100亿元以上企业", "家"),
    "office_area_m2": ("软件园区办公面积", "平方米"),
    "occupied_area_m2": ("已使用办公面积", "平方米"),
    "in_migrants": ("市外流入从业人员", "人"),
    "out_migrants": ("离开本市软件劳动力市场人数", "人"),
    "mean_wage_yuan": ("平均月工资", "元"),
    "policy_cost_bn_yuan": ("政策成本", "十亿元"),
    "application_scenarios_released": ("发布" + _C["application scenarios"] + "项目", "项"),
    "sc_firms": ("科学城企业数", "家"),
    "sc_firms_above_scale": ("科学城" + _C["firms above designated size"], "家"),
    "first_batch_revenue_share": ("首批园区收入占比", "比例"),
    "graduates_entering": ("本地毕业生进入", "人"),
    "trainees": ("政策培训进入", "人"),
    "hires": ("招聘人数", "人"),
    "separations": ("离职人数", "人"),
    "vacancies": ("空缺岗位", "人"),
    "people_in_city": ("本市软件劳动力市场人数", "人"),
    "firm_relocations": ("企业迁移园区", "家"),
    "software_revenue_bn_yuan": (_C["software business revenue"], "十亿元"),
    "sc_software_revenue_bn_yuan": ("科学城" + _C["software business revenue"], "十亿元"),
    "firm_registrations": ("注册企业", "家"),
    "firms_started_operating": ("开始运营企业 (首次招聘)", "家"),
    "operating_firms": ("运营企业", "家"),
    "firms_above_designated_size": (_C["firms above designated size"] + " (≥ 2000万元)", "家"),
    "firms_in_sector_statistics": ("纳入行业统计企业 (≥ 500万元)", "家"),
    "practitioners_outside_hukou": ("市外户籍" + _C["practitioners"], "人"),
    "new_practitioners_from_outside": ("新入行从业人员 (市外户籍)", "人"),
    "new_practitioners_local": ("新入行从业人员 (本市户籍)", "人"),
    "local_switchers": ("本市其他职业转入", "人"),
    "programme_office_area_m2": ("“满天星”楼宇办公面积", "平方米"),
    "programme_office_used_m2": ("“满天星”楼宇已使用面积", "平方米"),
}
# What a park's own metrics (park.<id>.<what>) measure.
PARK_METRICS: dict[str, tuple[str, str]] = {
    "occupancy": ("入驻率", "比例"),
    "rent_yuan_m2": ("租金", "元/平方米/月"),
}

# Every figure of scenarios/observations.csv (targets and observations), by id.
FIGURES: dict[str, str] = {
    "cq_revenue_2021": "2021年主营业务收入",
    "cq_practitioners_2020": "从业人员, 2020年末",
    "cq_firms_statistics_2020": "纳入行业统计企业, 2020年末",
    "cq_doubling_2025": "从业人员 2025年12月 / 2021年12月",
    "cq_first_batch_share": "首批园区占2021年收入比重",
    "sc_firms_2022": "科学城企业数, 2022年",
    "sc_above_scale_2022": "科学城规模以上企业, 2022年",
    "anchor_pull": "中关村智酷带动企业",
    "sc_digital_output_2022": "科学城数字经济产值, 2022年1-7月",
    "scenarios_2022": "应用场景 (截至2022年年中)",
    "scenarios_2023_2025": "应用场景 2023-2025年",
    "cq_added_workforce_2025": "新增从业人员, 2021年12月至2025年12月",
    "cq_new_firms_2025": "注册企业 2022-2025年",
    "cq_new_10bn_2025": "新增百亿级企业",
    "cq_new_1bn_2025": "新增十亿级企业",
    "cq_outside_hukou_2025": "新增从业人员中市外户籍占比",
    "cq_office_2025": "“满天星”楼宇办公面积, 2025年12月 (输入)",
    "cq_forecast_2025": "2025年主营业务收入 (官方预期)",
    "cq_revenue_2022": "2022年主营业务收入",
    "cq_practitioners_2022": "从业人员, 2022年12月",
    "cq_added_workforce_2022": "2022年新增从业人员",
    "cq_practitioners_2023": "从业人员, 2023年4月",
    "cq_new_firms_2022": "2022年注册企业",
    "cq_above_scale_2023": "规模以上企业, 2023年4月",
    "cq_programme_use_2022": "“满天星”楼宇已使用面积, 2022年12月",
    "cq_revenue_2025": "2025年主营业务收入",
    "sc_revenue_2025": "2025年科学城软件业务收入",
    "cq_new_practitioners_2025": "2021-2025年新增从业人员",
    "cq_office_area_2025": "“满天星”楼宇办公面积, 2025年12月",
    "cq_operators_2025": "2022-2025年新增运营企业",
}

# The app's levers (sim.policies: each kind's `levers`), by lever name, and its two years.
LEVERS: dict[str, str] = {
    "package_start": "政策起始年份",
    "package_end": "政策截止年份",
    "rent_share": _C["rent reduction"] + ": 政府承担租金比例",
    "rent_parks": _C["rent reduction"] + ": 园区",
    "rent_firms": _C["rent reduction"] + ": 企业",
    "housing_subsidy_yuan_month": "人才: " + _C["housing subsidy"] + ", 元/月",
    "income_tax_relief": "人才: " + _C["income-tax relief"] + " (返还比例)",
    "resettlement_subsidy_yuan": "人才: " + _C["resettlement subsidy"] + ", 元",
    "school_places_per_year": "人才: " + _C["children's school enrolment"] + "名额/年",
    "training_places_per_year": "人才: 培训名额/年",
    "award_100m_m_yuan": "营收达1亿元奖励, 百万元",
    "award_1bn_m_yuan": "营收达10亿元奖励, 百万元",
    "award_10bn_m_yuan": "营收达100亿元奖励, 百万元",
    "leading_count": _C["leading enterprises"] + "数量",
    "leading_park": _C["leading enterprises"] + ": 园区",
    "scenarios_per_month": _C["application scenarios"] + "/月",
    "office_area_m2": "新增办公面积, 平方米",
    "office_parks": "办公面积: 园区",
    "computing_share": _C["computing power"] + ": 政府承担算力成本比例",
    "computing_parks": _C["computing power"] + ": 园区",
}
# The fields of the policy kinds (sim.policies), as the app's "already enacts" line shows them.
POLICY_FIELDS: dict[str, str] = {
    "area_m2": "面积, 平方米",
    "awards_m_yuan": "奖励, 百万元",
    "cost_yuan_per_m2": "成本, 元/平方米",
    "count": "数量",
    "eligible_months": "适用月数",
    "firms": "企业",
    "followers": "跟随企业",
    "housing_subsidy_yuan_month": _C["housing subsidy"] + ", 元/月",
    "income_tax_relief": _C["income-tax relief"] + " (返还比例)",
    "new_settler_months": "新入驻企业适用月数",
    "park": "园区",
    "parks": "园区",
    "per_month": "每月",
    "resettlement_subsidy_yuan": _C["resettlement subsidy"] + ", 元",
    "school_places_per_year": _C["children's school enrolment"] + "名额/年",
    "sector": "行业",
    "sectors": "行业",
    "settlement_subsidy_m_yuan": "落户补贴, 百万元",
    "share": "政府承担比例",
    "staff": "员工",
    "thresholds_bn_yuan": "营收门槛, 十亿元",
    "training_places_per_year": "培训名额/年",
    "value_m_yuan": "单项价值, 百万元",
}
# The choices of the choice levers that are not parks.
CHOICE_WORDS: dict[str, str] = {
    "all parks": "全部园区",
    "Science City parks": "科学城园区",
    "first-batch parks": "首批园区",
    "second-batch parks": "第二批园区",
    "all tenants": "全部入驻企业",
    "new settlers only": "仅新入驻企业",
}

# Verdicts (sim.targets.verdict), in the words of the IPCC's calibrated language in Chinese.
VERDICTS: dict[str, str] = {
    "met": "达成",
    "likely": "可能达成",
    "as likely as not": "或许达成",
    "unlikely": "不太可能达成",
    "not in run": "不在运行期内",
}

# ---------------------------------------------------------------------------------------------
# sentences, titles and headings, keyed by their English text (templates: str.format fields)

TEXT: dict[str, str] = {
    # analysis/plots.py
    "n/a": "无",
    "Policy cost": "政策成本",
    "{name} without policies": "{name} (无政策)",
    "month end": "月末",
    "per month": "每月",
    "12-month total to each month": "截至各月的12个月合计",
    "cumulative since start": "自起始累计",
    "December": "12月",
    "year total": "全年合计",
    "{year} target: {sign} {value} in the calendar year (= the 12-month total at Dec {year})": (
        "{year}年目标: 全年 {sign} {value} (即{year}年12月的12个月合计)"
    ),
    "{year} target ÷ 12: {value} a month on average": "{year}年目标 ÷ 12: 月均 {value}",
    "{year} target: Dec {base_year} ({base}, median) + {added} = {value}": (
        "{year}年目标: {base_year}年12月 ({base}, 中位数) + {added} = {value}"
    ),
    "{year} target: {sign} {value} in {first}-{year}": (
        "{year}年目标: {first}-{year}年 {sign} {value}"
    ),
    " (on top of {base} by Dec {before}, median)": " (在截至{before}年12月的 {base} 之上, 中位数)",
    "{year} target: {sign} {value} in Dec {year}": "{year}年目标: {year}年12月 {sign} {value}",
    "observed {year}: {value}": "{year}年实际: {value}",
    "no values of {metric} ({how}) in this run": "本次运行没有 {metric} ({how}) 的数值",
    "{name} (median)": "{name} (中位数)",
    "25-75% of replicates": "25-75% 的重复运行",
    "10-90% of replicates": "10-90% 的重复运行",
    "{reps} replicate{plural} per scenario": "每个情景 {reps} 次重复运行",
    "no paired differences for {metric}": "没有 {metric} 的配对差异",
    "5-95% of per-seed differences": "逐种子差异的 5-95%",
    " against {base}": "相对 {base}",
    " against the base scenario": "相对基准情景",
    "Difference{against}, same seeds{sep}(median and 90% interval)": (
        "{against}的差异, 相同种子{sep}(中位数与90%区间)"
    ),
    "no scenario with policies": "没有含政策的情景",
    " {per_job} yuan per job\n ({jobs} extra jobs, {cost} bn yuan)": (
        " 每个岗位 {per_job} 元\n (新增 {jobs} 个岗位, {cost} 十亿元)"
    ),
    " n/a: no extra jobs ({jobs})": " 无: 没有新增岗位 ({jobs})",
    "cost per extra practitioner in Dec {year}, thousand yuan": (
        "{year}年12月每新增一名从业人员的成本, 千元"
    ),
    "Policy cost to {year} per extra job, against no policy": (
        "截至{year}年每个新增岗位的政策成本 (相对无政策)"
    ),
    " {cost} bn yuan": " {cost} 十亿元",
    "cumulative policy cost to Dec {year}, bn yuan": "截至{year}年12月累计政策成本, 十亿元",
    "Where the money goes, to {year}": "资金去向 (截至{year}年)",
    "policy kind": "政策类型",
    "whole\npackage": "政策包\n整体",
    "5-95% over seeds": "各种子的 5-95%",
    "effect on {what} in {year}, {unit}": "对{year}年{what}的影响, {unit}",
    "What does the work: {what} in {year} ({how}) against no policy,\nsplit by policy kind "
    "(Shapley values, mean over seeds)": (
        "哪些政策起作用: {year}年{what} ({how}) 相对无政策,\n按政策类型分解 "
        "(Shapley 值, 各种子均值)"
    ),
    "What does the work: {what} in {year} ({how}) against no policy,\nsplit by policy kind "
    "(Shapley values estimated from {m} sampled orderings, mean over seeds)": (
        "哪些政策起作用: {year}年{what} ({how}) 相对无政策,\n按政策类型分解 "
        "(Shapley 值, 由 {m} 个抽样排序估计, 各种子均值)"
    ),
    "{revenue} bn": "{revenue} 十亿",
    "Outside any park (not on the map):\n{revenue} bn yuan ({share} of revenue), {firms} firms": (
        "园区外 (不在图上):\n{revenue} 十亿元 (占收入 {share}), {firms} 家企业"
    ),
    "{name}: revenue in {year} by park": "{name}: {year}年各园区收入",
    "km east of Yuzhong (schematic)": "渝中以东公里数 (示意)",
    "km north (schematic)": "以北公里数 (示意)",
    "{revenue} bn yuan": "{revenue} 十亿元",
    "other park": "其他园区",
    "Science City park": "科学城园区",
    "revenue in {year}": "{year}年收入",
    "occupancy of office space, Dec {year}": "办公空间入驻率, {year}年12月",
}

_MISSING: set[str] = set()


def check_lang(lang: str) -> str:
    """The language if it is one of :data:`LANGS`, else a SettingError naming them."""
    if lang not in LANGS:
        raise SettingError("lang", f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def t(text: str, lang: str = "en", /, **fields: object) -> str:
    """``text`` in ``lang``; with ``fields``, a template filled with ``str.format``.

    A text with no Chinese entry is given in English and recorded (:func:`missing`).
    """
    if lang != "en":
        check_lang(lang)
        if text in TEXT:
            text = TEXT[text]
        else:
            _MISSING.add(text)
    return text.format(**fields) if fields else text


def missing(clear: bool = False) -> set[str]:
    """The texts asked for in Chinese that have no entry (since the last ``clear``)."""
    found = set(_MISSING)
    if clear:
        _MISSING.clear()
    return found


def record_missing(text: str) -> None:
    """Record a text that has no translation (as :func:`t` does), for :func:`missing`."""
    _MISSING.add(text)


def _lookup(table: dict, key: str, english: str, lang: str):
    if lang == "en":
        return english
    check_lang(lang)
    if key in table:
        return table[key]
    _MISSING.add(f"{key}: {english}")
    return english


def unit(text: str, lang: str = "en") -> str:
    """A unit (``bn yuan``, ``people``, ``m²``...) in ``lang``."""
    return _lookup(UNITS, text, text, lang)


def kind_label(kind: str, english: str, lang: str = "en") -> str:
    """A policy kind's label in ``lang`` (``english`` is its English label)."""
    return _lookup(KINDS, kind, english, lang)


def park_name(park: str, english: str, lang: str = "en", *, short: bool = False) -> str:
    """A park's name in ``lang`` by its id (``english`` is its English name)."""
    if lang == "en":
        return english
    names = _lookup(PARKS, park, (english, english), lang)
    return names[1] if short else names[0]


def figure_label(figure_id: str, english: str, lang: str = "en") -> str:
    """A target's or observed figure's label by its id (scenarios/observations.csv)."""
    return _lookup(FIGURES, figure_id, english, lang)


def lever_label(name: str, english: str, lang: str = "en") -> str:
    """An app lever's label by its name."""
    return _lookup(LEVERS, name, english, lang)


def choice(word: str, lang: str = "en", park_names: dict[str, str] | None = None) -> str:
    """A choice lever's option: a park group, a firm choice, or (by ``park_names``) a park."""
    if lang == "en":
        return word
    if park_names and word in park_names:
        return park_names[word]
    return _lookup(CHOICE_WORDS, word, word, lang)


def policy_field(field: str, lang: str = "en") -> str:
    """A policy field's name (``housing_subsidy_yuan_month``) in words, in ``lang``."""
    return _lookup(POLICY_FIELDS, field, field.replace("_", " "), lang)


def verdict_word(word: str, lang: str = "en") -> str:
    """A verdict of :func:`sim.targets.verdict` in ``lang``."""
    return _lookup(VERDICTS, word, word, lang)


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month(year: int, month_number: int, lang: str = "en") -> str:
    """A month as people read it: 'Dec 2025' or '2025年12月'."""
    if lang == "en":
        return f"{_MONTHS_EN[month_number - 1]} {year}"
    return f"{year}年{month_number}月"


def when(rule, year: int, lang: str = "en") -> str:
    """When a figure is counted (a :class:`sim.targets.Aggregate`), in ``lang``."""
    if lang == "en":
        return rule.when(year)
    check_lang(lang)
    if rule.kind == "level":
        return f"{year}年{rule.month}月"
    if rule.kind == "change":
        base = rule.base_year if rule.base_year is not None else year - 1
        return f"{base}年12月至{year}年12月"
    if rule.kind == "cumulative_to_june":
        return f"截至{year}年6月"
    if rule.first_year is not None:
        return f"{rule.first_year}-{year}年"
    return f"{year}年"


@functools.cache
def cjk_font_path() -> str:
    """The file of :data:`CJK_FONT` as matplotlib finds it.

    Raises:
        SettingError: the font is not installed (one message saying how to install it).

    """
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if entry.name == CJK_FONT:
            return entry.fname
    raise SettingError(
        "lang",
        f"Chinese labels need the font '{CJK_FONT}', which matplotlib does not find: install "
        "it (Debian/Ubuntu: apt-get install fonts-noto-cjk; .ci/run does), then remove "
        "matplotlib's font cache (~/.cache/matplotlib) so that it is found",
    )


def font_rc(lang: str = "en") -> dict[str, object]:
    """Matplotlib settings for ``lang``: none for English, the CJK font first for Chinese.

    The families are named (not 'sans-serif'), so a figure drawn later, outside the settings,
    still finds them. Raises SettingError when the CJK font is missing (:func:`cjk_font_path`).
    """
    if check_lang(lang) == "en":
        return {}
    cjk_font_path()
    return {"font.family": CJK_FAMILY, "axes.unicode_minus": True}


def mono_family(lang: str = "en") -> list[str] | str:
    """The monospaced family for aligned keys in ``lang``."""
    return "DejaVu Sans Mono" if lang == "en" else [CJK_MONO_FONT, CJK_FONT, "DejaVu Sans Mono"]


def trust_statement(lang: str = "en") -> str:
    """:func:`sim.credibility.trust_statement` in ``lang`` ('' when no validation is shipped)."""
    from sim.credibility import by_construction, load_validation, trust_statement

    if check_lang(lang) == "en":
        return trust_statement()
    table = load_validation()
    if table is None or table.empty:
        return ""
    inputs = by_construction(table)
    fitted = table[table["calibrated"] & ~inputs]
    unseen = table[~table["calibrated"] & ~inputs]

    def number(value: float) -> str:
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"

    text = t(
        "How far to trust it: the baseline reproduces {fitted_in} of the {fitted} reported "
        "figures it was calibrated to within its 90% band, and {unseen_in} of {unseen} official "
        "figures it never saw (2022-2023 statistics, the Science City's firm sizes); {inputs} "
        "more are inputs it reproduces by construction.",
        lang,
        fitted_in=int(fitted["in_90"].sum()),
        fitted=len(fitted),
        unseen_in=int(unseen["in_90"].sum()),
        unseen=len(unseen),
        inputs=int(inputs.sum()),
    )
    misses = table[~table["in_90"] & ~inputs]
    if not misses.empty:
        worst = misses.assign(gap=misses["error_pct"].abs()).sort_values("gap", ascending=False)
        shown = [
            t(
                "{label} (model {model}, reported {observed})",
                lang,
                label=figure_label(str(r.id), str(r.label), lang),
                model=number(r.model_median),
                observed=number(r.observed),
            )
            for r in worst.head(3).itertuples()
        ]
        text += t("It misses {misses}.", lang, misses="; ".join(shown))
    return text + t(
        "Differences between scenarios run with the same seeds are more reliable than levels.",
        lang,
    )


TEXT.update(
    {
        # sim/lang.py: the trust statement
        "How far to trust it: the baseline reproduces {fitted_in} of the {fitted} reported "
        "figures it was calibrated to within its 90% band, and {unseen_in} of {unseen} official "
        "figures it never saw (2022-2023 statistics, the Science City's firm sizes); {inputs} "
        "more are inputs it reproduces by construction.": (
            "可信度: 基准情景在其90%区间内再现了校准所用的 {fitted} 个公布数字中的 {fitted_in} "
            "个, 以及从未用于校准的 {unseen} 个官方数字中的 {unseen_in} 个 (2022-2023年统计, "
            "科学城企业规模); 另有 {inputs} 个是按构造再现的输入。"
        ),
        "{label} (model {model}, reported {observed})": "{label} (模型 {model}, 公布 {observed})",
        "It misses {misses}.": "未能再现: {misses}。",
        "Differences between scenarios run with the same seeds are more reliable than levels.": (
            "相同种子下情景之间的差异比绝对水平更可靠。"
        ),
        # analysis/report.py
        "{when} {label} +{value} {unit}": "{when}新增{label} {value} {unit}",
        "{when} {label} {sign} {value} {unit}": "{when}{label} {sign} {value} {unit}",
        "median": "中位数",
        "stated target": "既定目标",
        "no stated targets to check.": "没有可检验的既定目标。",
        "the {year} targets lie beyond this run's end ({end}).": (
            "{year}年目标超出本次运行的结束时间 ({end})。"
        ),
        ", ": "、",
        "{good} of {all} stated targets met in at least two thirds of the replicates{names}.": (
            "{all} 个既定目标中有 {good} 个在至少三分之二的重复运行中达成{names}。"
        ),
        " ({names})": " ({names})",
        " Policy cost to {year}: {cost} bn yuan": " 截至{year}年政策成本: {cost} 十亿元",
        ", {per_job} yuan per extra job against the same seeds without any policy ({jobs} extra "
        "jobs in Dec {year}; {deadweight} of the jobs added would have come anyway).": (
            ", 相对相同种子的无政策运行, 每个新增岗位 {per_job} 元 ({year}年12月新增 {jobs} "
            "个岗位; 新增岗位中有 {deadweight} 即使没有政策也会出现)。"
        ),
        ", and no extra jobs against the same seeds without any policy (median {jobs} in Dec "
        "{year}).": ", 相对相同种子的无政策运行没有新增岗位 ({year}年12月中位数 {jobs})。",
        " Policy cost to {year}: {cost} bn yuan.": " 截至{year}年政策成本: {cost} 十亿元。",
        " Cost per job needs a same-seed run without policies (cqsim compare).": (
            " 每个岗位的成本需要相同种子的无政策运行 (cqsim compare)。"
        ),
        "for {what} in {year}: {items} {unit}": "{year}年{what}: {items} {unit}",
        " What does the work (Shapley values, means over seeds): {works}.": (
            " 哪些政策起作用 (Shapley 值, 各种子均值): {works}。"
        ),
        " What does the work (Shapley values estimated from {m} sampled orderings of the "
        "kinds, ± their 90% sampling margin; means over seeds): {works}.": (
            " 哪些政策起作用 (Shapley 值, 由 {m} 个政策类型抽样排序估计, ± 为 90% 抽样误差; "
            "各种子均值): {works}。"
        ),
        "± 90% sampling margin": "± 90% 抽样误差",
        " (estimated from {m} sampled orderings of the kinds)": " (由 {m} 个政策类型抽样排序估计)",
        "5-95% {low} to {high}": "5-95%: {low} 至 {high}",
        " Against {base} (the same {n} seeds): {cost} bn yuan of policy cost to {year} "
        "({cost_spread}), {jobs} practitioners in Dec {year} ({jobs_spread}) and {revenue} bn "
        "yuan of revenue in {year} ({revenue_spread}; medians of the per-seed differences).": (
            " 相对 {base} (相同的 {n} 个种子): 截至{year}年政策成本 {cost} 十亿元 "
            "({cost_spread}), {year}年12月从业人员 {jobs} 人 ({jobs_spread}), {year}年主营业务"
            "收入 {revenue} 十亿元 ({revenue_spread}; 均为逐种子差异的中位数)。"
        ),
        "The stated 2025 targets cannot be checked: the run ends before 2025.": (
            "无法检验2025年既定目标: 本次运行在2025年之前结束。"
        ),
        "No stated targets to check.": "没有可检验的既定目标。",
        "{who} {verb} likely to meet all {n} stated targets.": (
            "{who} 可能达成全部 {n} 个既定目标。"
        ),
        "{name} is not likely to meet all {n} stated targets: it meets {best} of {n} in at least "
        "two thirds of the replicates.": (
            "{name} 不太可能达成全部 {n} 个既定目标: 在至少三分之二的重复运行中达成 {n} "
            "个中的 {best} 个。"
        ),
        "No scenario is likely to meet any of the {n} stated targets: none is met in at least "
        "two thirds of the replicates.": (
            "没有情景可能达成 {n} 个既定目标中的任何一个: 没有目标在至少三分之二的重复运行中达成。"
        ),
        "No scenario is likely to meet all {n} stated targets. {leaders} {verb} closest, with "
        "{best} of {n}.": (
            "没有情景可能达成全部 {n} 个既定目标。{leaders} 最接近, 达成 {n} 个中的 {best} 个。"
        ),
        ": nothing to show.": ": 无内容。",
        "scenario": "情景",
        "target": "目标",
        "model median": "模型中位数",
        "unit": "单位",
        "P(met)": "P(达成)",
        "": "",
        "expected shortfall, in the unit (mean over replicates; 0 where met)": (
            "预期缺口, 按单位 (重复运行均值; 达成时为 0)"
        ),
        "first year the median meets it": "中位数首次达成的年份",
        "Stated targets: chance of meeting them over {n} replicates": (
            "既定目标: {n} 次重复运行中达成的概率"
        ),
        "to end of": "截至年末",
        "policy cost from the start, bn yuan (cumulative)": "自起始政策成本, 十亿元 (累计)",
        "extra jobs in December of that year": "当年12月新增岗位",
        "yuan per extra job": "每个新增岗位成本, 元",
        "extra revenue from the start, bn yuan (cumulative)": "自起始新增收入, 十亿元 (累计)",
        "cost per bn yuan of extra cumulative revenue": "每十亿元累计新增收入的成本",
        "deadweight, jobs": "无谓损失, 岗位",
        "deadweight, firms": "无谓损失, 企业",
        "Cost ledger against the same seeds without any policy (medians over seeds; deadweight: "
        "share of the jobs or firms added that would have come anyway)": (
            "相对相同种子无政策运行的成本账 (各种子中位数; 无谓损失: 即使没有政策也会新增的"
            "岗位或企业所占比例)"
        ),
        "Policy cost by kind to {year}, bn yuan": "截至{year}年按类型的政策成本, 十亿元",
        "metric": "指标",
        "difference (median)": "差异 (中位数)",
        "5-95% of per-seed differences": "逐种子差异的 5-95%",
        "seeds": "种子数",
        "{low} to {high}": "{low} 至 {high}",
        "Paired differences against {base} in {year} (flows: year total; stocks: December)": (
            "{year}年相对 {base} 的配对差异 (流量: 全年合计; 存量: 12月)"
        ),
        "year": "年份",
        "effect (mean)": "影响 (均值)",
        "effect (median)": "影响 (中位数)",
        "What does the work: Shapley split of each package's effect against no policy": (
            "哪些政策起作用: 各政策包相对无政策效果的 Shapley 分解"
        ),
        "figure": "指标",
        "observed": "实际",
        "model 10-90%": "模型 10-90%",
        "model vs observed": "模型相对实际",
        "source": "来源",
        "Observed figures (2021-2024) against the model": "实际数字 (2021-2024年) 与模型对比",
        "{label} ({unit}): median line, 25-75% and 10-90% bands over replicates. Where there is "
        "one, the stated target is the dashed red line ending in a star, drawn in the measure it "
        "is stated in, and an observed figure a black diamond.": (
            "{label} ({unit}): 中位数曲线, 重复运行的 25-75% 和 10-90% 区间。既定目标 (如有) "
            "为以星号结尾的红色虚线, 按目标的口径绘制; 实际数字为黑色菱形。"
        ),
        "Difference each scenario makes against {base}, seed by seed (common random numbers): "
        "bars at the median, whiskers over 90% of seeds.": (
            "各情景相对 {base} 的逐种子差异 (共同随机数): 柱为中位数, 须线覆盖 90% 的种子。"
        ),
        "Policy cost per extra job against the same seeds without any policy, and where the "
        "money goes by policy kind.": (
            "相对相同种子无政策运行的每个新增岗位政策成本, 以及按政策类型的资金去向。"
        ),
        "What does the work for {what}: each policy kind's Shapley value as a step, the whole "
        "package's effect as the last bar.": (
            "{what}: 哪些政策起作用。每种政策类型的 Shapley 值为一级台阶, 最后一根柱为整个政策包"
            "的效果。"
        ),
        "Parks at their schematic positions (km; no map), sized by revenue and coloured by "
        "occupancy; revenue outside any park is given in the note.": (
            "各园区的示意位置 (公里; 非地图), 大小表示收入, 颜色表示入驻率; 园区外收入见图中注释。"
        ),
        "no policies": "无政策",
        "({n} policies: {kinds})": "({n} 项政策: {kinds})",
        "Months {start} to {end}; {n} replicates (seeds {seeds}); folder {folder}; git revision "
        "{revision}; {versions}.": (
            "月份 {start} 至 {end}; {n} 次重复运行 (种子 {seeds}); 文件夹 {folder}; git 版本 "
            "{revision}; {versions}。"
        ),
        "unknown": "未知",
        ", run made {when}": ", 运行于 {when}",
        "comparison of {n} scenarios with the same seeds": "相同种子下 {n} 个情景的比较",
        "run": "运行",
        "Warning:": "警告:",
        "P = share of the {n} replicates meeting the target; 'met' at P ≥ {met}, 'likely' at P ≥ "
        "{likely}, 'as likely as not' from {even} (IPCC's calibrated language), 'unlikely' "
        "below. With few replicates these shares are coarse.": (
            "P = {n} 次重复运行中达成目标的比例; P ≥ {met} 为“达成”, P ≥ {likely} 为“可能达成”, "
            "{even} 起为“或许达成” (IPCC 的校准用语), 以下为“不太可能达成”。重复运行较少时这些"
            "比例较粗。"
        ),
        "The answer": "结论",
        "Figures": "图表",
        "Tables": "表格",
        "What was run": "运行内容",
        "{kind}, {n} replicates, {start} to {end}{made}; report written {now}.": (
            "{kind}, {n} 次重复运行, {start} 至 {end}{made}; 报告生成于 {now}。"
        ),
    }
)

# What each lever of the app means (sim.app.views.lever_help), by lever name.
LEVER_HELP: dict[str, str] = {
    "rent_share": "政府承担的租金比例, 0-1 (同时符合多项租金减免的企业取最大比例)",
    "rent_parks": "政策适用的园区",
    "rent_firms": "符合条件的企业",
    "housing_subsidy_yuan_month": "住房补贴, 元/人/月 (最多约一个月工资: 国内城市一般为 500-3,000)",
    "income_tax_relief": "返还的个人所得税比例, 0-1",
    "resettlement_subsidy_yuan": "一次性安家补贴, 元/每位来渝人员 (最多为城市博士人才政策的上限)",
    "school_places_per_year": "每年为从业人员子女提供的入学名额 (最多约每十名从业人员一个)",
    "training_places_per_year": "每年培训名额: 本地人员转岗进入软件行业 (最多约为行业规模的五分之一)",
    "award_100m_m_yuan": "一次性奖励, 百万元: 企业12个月营收首次达到该门槛时发放 (文件中的企业升规奖励)",
    "award_1bn_m_yuan": "一次性奖励, 百万元: 企业12个月营收首次达到该门槛时发放 (文件中的企业升规奖励)",
    "award_10bn_m_yuan": "一次性奖励, 百万元: 企业12个月营收首次达到该门槛时发放 (文件中的企业升规奖励)",
    "leading_count": "龙头企业数量, 在政策期内均匀落地 (文件提到一家; 100 相当于全国龙头同时落户)",
    "leading_park": "龙头企业落户的园区",
    "scenarios_per_month": "每月发布的应用场景项目 (小数结转至下月; 2023-2025年全市约每月 136 个)",
    "office_area_m2": "交付的总面积, 平方米, 在政策期内均匀交付并在各园区间平均分配",
    "office_parks": "政策适用的园区",
    "computing_share": "城市为符合条件企业承担的算力成本比例, 0-1 (同时符合多项算力政策的企业取最大比例)",
    "computing_parks": "政策适用的园区",
}


def lever_help(name: str, lang: str = "en") -> str:
    """What a lever means, in ``lang`` (English: see :func:`sim.app.views.lever_help`)."""
    return _lookup(LEVER_HELP, name, name, lang)


TEXT.update(
    {
        # sim/app/views.py and sim/app/charts.py
        "'Levers until' ({end}) is before 'Levers from' ({start}): set it to {start} or later.": (
            "“政策截止年份” ({end}) 早于“政策起始年份” ({start}): 请设为 {start} 或更晚。"
        ),
        " (moved)": " (已调整)",
        "**Against the pinned run** (same seeds):": "**相对固定的运行** (相同种子):",
        "12 months to 2025-12, median of the seeds": "截至2025年12月的12个月, 各种子中位数",
        "2025 target": "2025年目标",
        "2025 targets": "2025年目标",
        "<b>{start} already:</b> {already}. The levers add to it.": (
            "<b>{start} 已有:</b> {already}。调节项在此基础上叠加。"
        ),
        "Back to the start": "恢复初始设置",
        "Levers moved since the last run: press <b>Run</b>.": "调节项在上次运行后已改变: 请点击 <b>运行</b>。",
        "Levers shown (TOML)": "当前调节项 (TOML)",
        "Levers": "政策调节",
        "Monthly runs (Parquet)": "逐月运行结果 (Parquet)",
        "No lever moved: this run is the starting scenario.": "未调整任何调节项: 本次运行即起始情景。",
        "Not run yet": "尚未运行",
        "Parks: revenue (area) and occupancy (colour)": "园区: 收入 (面积) 与入驻率 (颜色)",
        "Pin this run": "固定本次运行",
        "Run": "运行",
        "Running the starting scenario…": "正在运行起始情景…",
        "Running {seeds} seeds of each scenario in worker processes: {done}%": (
            "正在后台进程中运行每个情景的 {seeds} 个种子: {done}%"
        ),
        "Save as scenario": "另存为情景",
        "Saved {name} in {folder}/: cqsim run {path}": "已将 {name} 保存到 {folder}/: cqsim run {path}",
        "Scenario name": "情景名称",
        "Starting scenario": "起始情景",
        "The run failed: {error}": "运行失败: {error}",
        "Unpin": "取消固定",
        "What the levers add to {start}, seed by seed": "调节项相对 {start} 的增量 (逐种子)",
        "Yearly figures (CSV)": "年度数据 (CSV)",
        "cqsim: Chongqing software cluster": "cqsim: 重庆软件和信息服务业",
        "km (schematic)": "公里 (示意)",
        "occupancy of office space": "办公空间入驻率",
        "occupancy": "入驻率",
        "park (◆ Science City)": "园区 (◆ 科学城)",
        "pinned": "已固定",
        "seeds (runs of each scenario)": "种子数 (每个情景的运行次数)",
        "this run ({start})": "本次运行 ({start})",
        "this run": "本次运行",
        "{low}-{high}% of seeds": "{low}-{high}% 的种子",
        "{meaning}; from {low} to {high}, 0 adds nothing": "{meaning}; 范围 {low} 至 {high}, 0 表示不增加",
        "{n} seeds ({first}-{last}) with posterior draws, as <code>cqsim run FILE -n {n}</code> "
        "gives them; median and 10-90% of the seeds.": (
            "{n} 个种子 ({first}-{last}), 使用后验抽样, 与 <code>cqsim run FILE -n {n}</code> "
            "的结果相同; 各种子的中位数与 10-90%。"
        ),
        "{n} seeds each, {seconds} s.": "每个情景 {n} 个种子, {seconds} 秒。",
        "{sign} {value} {unit} in {year}": "{year}年 {sign} {value} {unit}",
        "{years} target": "{years}年目标",
        "policy cost to Dec 2025": "截至2025年12月政策成本",
        "cost per extra practitioner added, Dec 2021 to Dec 2025": (
            "每新增一名从业人员的成本, 2021年12月至2025年12月"
        ),
        "cost per extra bn yuan of revenue in 2025": "2025年每十亿元新增收入的成本",
        # the app's charts (sim.app.charts.CHARTS)
        "Revenue in the last 12 months (bn yuan)": "近12个月主营业务收入 (十亿元)",
        "Science City software revenue, last 12 months (bn yuan)": (
            "科学城软件业务收入, 近12个月 (十亿元)"
        ),
        "Practitioners (people)": "从业人员 (人)",
        "Firms started operating since 2021": "2021年以来开始运营的企业",
        "Office space of the programme's buildings (m²)": "“满天星”楼宇办公面积 (平方米)",
        "Policy cost since 2021 (bn yuan)": "2021年以来政策成本 (十亿元)",
    }
)
