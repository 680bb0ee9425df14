import pytest

from aftersales.orders.couriers import courier_code
from aftersales.orders.models import TrackingStatus
from aftersales.orders.tracking import classify


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("【杭州市】快件已揽收", TrackingStatus.COLLECTED),
        ("快件已从【杭州转运中心】发出,下一站【广州转运中心】", TrackingStatus.IN_TRANSIT),
        ("【广州市天河区】派件员 王师傅 正在派送", TrackingStatus.OUT_FOR_DELIVERY),
        ("【广州市天河区】已签收,签收人:菜鸟驿站代收", TrackingStatus.DELIVERED),
        ("派送失败:收件人电话无人接听", TrackingStatus.FAILED),
        ("签收失败,收件人拒收", TrackingStatus.FAILED),
        ("快件已退回寄件人", TrackingStatus.RETURNED),
        ("因天气原因,快件运输延误", TrackingStatus.EXCEPTION),
    ],
)
def test_tracking_text_is_normalised(text: str, status: TrackingStatus) -> None:
    assert classify(text) == status


@pytest.mark.parametrize(
    ("name", "code"), [("圆通速递", "yto"), ("顺丰速运", "sf"), ("邮政EMS", "ems"), ("JD", "jd")]
)
def test_courier_names_map_to_codes(name: str, code: str) -> None:
    assert courier_code(name) == code
