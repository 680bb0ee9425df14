"""Voice of the customer: which product topics customers raise (运行慢, 屏幕, 少件 …).

A small, editable dictionary of topics and the words customers use for them; each customer
message yields (topic, keyword) pairs, counted per SKU and day by the reports. Keywords name a
problem, not a subject: "安装" alone is mostly a customer booking an installation and "太大了"
is as often "波动太大了" as a size, so the topics list "装不上", "偏大", "码数" and the like.
"""

import re

TOPICS: dict[str, tuple[str, ...]] = {
    "性能": ("运行慢", "卡顿", "卡死", "死机", "闪退", "反应慢", "开机慢"),
    "屏幕": ("屏幕", "亮点", "坏点", "花屏", "黑屏", "漏光", "划痕"),
    "电池续航": ("续航", "电池", "掉电", "充不进", "充电慢", "没电"),
    "发热噪音": ("发热", "发烫", "噪音", "异响", "声音大"),
    "少件漏发": ("少件", "少发", "漏发", "少了", "缺件", "没有配件", "赠品没"),
    "质量做工": ("质量", "坏了", "做工", "开胶", "掉色", "褪色", "起球", "线头", "裂"),
    "尺码": ("尺码", "码数", "偏大", "偏小", "大了一码", "小了一码", "买大了", "买小了", "不合身", "不合脚"),
    "描述不符": ("色差", "不符", "跟图片", "和图片", "不一样", "假货"),
    "包装破损": ("包装破", "包装坏", "包装烂", "破损", "压坏", "变形", "漏液"),
    "安装使用": ("装不上", "安装不了", "安装失败", "不会装", "不会安装", "不会用", "连不上", "没有说明书"),
    "气味": ("味道", "异味", "刺鼻", "难闻"),
}

_PATTERN = re.compile(
    "|".join(sorted({re.escape(k) for ks in TOPICS.values() for k in ks}, key=len, reverse=True))
)
_TOPIC_OF = {keyword: topic for topic, keywords in TOPICS.items() for keyword in keywords}


def extract(text: str) -> list[tuple[str, str]]:
    """(topic, keyword) pairs found in the text, each keyword once, in order of appearance."""
    found: dict[str, str] = {}
    for match in _PATTERN.finditer(text):
        found.setdefault(match.group(0), _TOPIC_OF[match.group(0)])
    return [(topic, keyword) for keyword, topic in found.items()]
