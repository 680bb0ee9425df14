from sqlalchemy.orm import Session

from aftersales.analytics.association_analysis import associations
from aftersales.analytics.scope import Scope
from tests.analytics.conftest import at
from tests.builders import make_order, make_order_item, make_shipment, make_shop, make_ticket_row


def _parcels(session: Session) -> None:
    """圆通 parcels to 新疆 arrive late; every other parcel is on time."""
    shop = make_shop(session)
    for n in range(120):
        courier, province = [
            ("yto", "新疆维吾尔自治区"),
            ("zto", "浙江省"),
            ("yto", "浙江省"),
            ("sf", "新疆维吾尔自治区"),
        ][n % 4]
        order = make_order(session, shop=shop, province=province, ordered_at=at(1))
        late = courier == "yto" and province.startswith("新疆")
        make_shipment(
            session,
            order=order,
            courier=courier,
            tracking_no=f"AN{n:06d}",
            shipped_at=at(9),
            estimated_delivery_at=at(9, day=14),
            delivered_at=at(9, day=16 if late else 13),
        )


def _sku_tickets(session: Session) -> None:
    """30 tickets on 电热毯-A, all 商品问题; 18 on 枕头-B, none: 商品问题 overall 30 / 48 = 62.5%."""
    shop = make_shop(session)
    for n in range(48):
        sku = "电热毯-A" if n < 30 else "枕头-B"
        order = make_order(session, shop=shop)
        make_order_item(session, order=order, sku_code=sku)
        category = "商品问题" if sku == "电热毯-A" else ["物流问题", "服务问题"][n % 2]
        make_ticket_row(session, shop=shop, order_id=order.id, created_at=at(10), category=category)


class TestAssociationAnalysis:
    def test_planted_courier_region_link_is_the_top_finding(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _parcels(session)
        result = associations(session, peak_scope)
        assert result.findings[0].startswith("圆通 + 新疆维吾尔自治区 → 物流延误,提升度 4.0")

    def test_crosstab_gives_the_exact_late_rate_of_the_courier(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _parcels(session)
        table = next(t for t in associations(session, peak_scope).tables if t.key == "crosstab")
        row = next(r for r in table.rows if r[:3] == ["快递", "圆通", "物流延误"])
        assert row[3:7] == [60, 30, "50.0%", "25.0%"]

    def test_ticket_categories_are_associated_with_their_orders(
        self, session: Session, peak_scope: Scope
    ) -> None:
        shop = make_shop(session)
        for n in range(60):
            province = "新疆维吾尔自治区" if n % 2 else "浙江省"
            order = make_order(session, shop=shop, province=province)
            category = "物流问题" if province.startswith("新疆") else ["商品问题", "服务问题"][n % 4 // 2]
            make_ticket_row(session, shop=shop, order_id=order.id, created_at=at(10), category=category)
        result = associations(session, peak_scope)
        rules = next(t for t in result.tables if t.key == "ticket_rules")
        assert ["新疆维吾尔自治区", "物流问题"] in [r[:2] for r in rules.rows]

    def test_planted_sku_category_link_is_found(self, session: Session, peak_scope: Scope) -> None:
        """Every ticket on SKU 电热毯-A is a 商品问题; the other SKU's tickets are spread out."""
        _sku_tickets(session)
        rules = next(t for t in associations(session, peak_scope).tables if t.key == "ticket_rules")
        assert ["电热毯-A", "商品问题"] in [r[:2] for r in rules.rows]

    def test_ticket_crosstab_gives_the_exact_category_share_of_the_sku(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _sku_tickets(session)
        table = next(t for t in associations(session, peak_scope).tables if t.key == "ticket_crosstab")
        row = next(r for r in table.rows if r[:3] == ["商品", "电热毯-A", "商品问题"])
        assert row[3:7] == [30, 30, "100.0%", "62.5%"]

    def test_an_unknown_value_is_not_a_crosstab_row(self, session: Session, peak_scope: Scope) -> None:
        """The tickets' orders have no parcel: no courier to compare, not a courier called None."""
        _sku_tickets(session)
        table = next(t for t in associations(session, peak_scope).tables if t.key == "ticket_crosstab")
        assert [r for r in table.rows if r[0] == "快递"] == []

    def test_without_tickets_it_says_what_is_missing(self, session: Session, peak_scope: Scope) -> None:
        assert "范围内没有可关联订单的工单,问题分类关联未计算" in associations(session, peak_scope).missing
