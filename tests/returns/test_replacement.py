import pytest
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop, Sku
from aftersales.returns import reshipments, service
from aftersales.returns.errors import NoReplacementError, WarehouseCheckRequiredError
from aftersales.returns.models import Outcome, RequestKind
from aftersales.returns.specs import at_least, choose_replacement, quantity
from tests.builders import make_order, make_return_policy, make_return_request, make_shop, make_sku, make_user

LAPTOP = {"内存": "16G", "硬盘": "512G", "屏幕": "14英寸 2.8K"}


class TestSpecs:
    def test_storage_units_compare_across_gigabytes_and_terabytes(self) -> None:
        assert quantity("1T") > quantity("512G")  # type: ignore[operator]

    def test_more_memory_and_a_bigger_disk_are_at_least_the_original(self) -> None:
        assert at_least({"内存": "32G", "硬盘": "1T", "屏幕": "14英寸 2.8K"}, LAPTOP)

    def test_less_memory_is_not_at_least_the_original(self) -> None:
        assert not at_least({"内存": "8G", "硬盘": "1T", "屏幕": "14英寸 2.8K"}, LAPTOP)

    def test_a_different_size_or_material_is_not_a_replacement(self) -> None:
        assert not at_least({"尺寸": "2.0m床", "材质": "珊瑚绒"}, {"尺寸": "1.8m床", "材质": "珊瑚绒"})

    def test_a_missing_spec_is_not_a_replacement(self) -> None:
        assert not at_least({"内存": "32G"}, LAPTOP)


class TestChoice:
    def _laptops(self, session: Session) -> tuple[Shop, Sku]:
        shop = make_shop(session)
        original = make_sku(
            session, shop=shop, category="电脑", specs=LAPTOP, price_fen=459_900, is_discontinued=True
        )
        make_sku(session, shop=shop, category="电脑", specs={**LAPTOP, "内存": "8G"}, price_fen=299_900)
        make_sku(
            session,
            shop=shop,
            category="电脑",
            specs={**LAPTOP, "内存": "32G", "硬盘": "1T"},
            price_fen=559_900,
        )
        make_sku(session, shop=shop, category="电脑", specs={**LAPTOP, "内存": "32G"}, price_fen=499_900)
        return shop, original

    def test_cheapest_equal_or_better_model_is_chosen_for_a_discontinued_one(self, session: Session) -> None:
        shop, original = self._laptops(session)
        chosen = reshipments.replacement_for(session, original)
        assert chosen is not None
        assert (chosen.specs["内存"], chosen.price_fen) == ("32G", 499_900)

    def test_an_available_model_is_sent_as_itself(self, session: Session) -> None:
        sku = make_sku(session, category="电脑", specs=LAPTOP)
        assert reshipments.replacement_for(session, sku) is sku

    def test_no_fitting_model_means_no_replacement(self, session: Session) -> None:
        original = make_sku(session, category="电脑", specs=LAPTOP, is_discontinued=True)
        assert choose_replacement(original, [original]) is None


class TestExchangeAfterCheck:
    def _request(self, session: Session, *, discontinued: bool, with_replacement: bool = True):  # type: ignore[no-untyped-def]
        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        make_return_policy(session, shop=shop, erp_url="http://erp.example/push")
        sku = make_sku(session, shop=shop, category="电脑", specs=LAPTOP, is_discontinued=discontinued)
        if with_replacement:
            make_sku(session, shop=shop, code="DG-NEW", category="电脑", specs={**LAPTOP, "内存": "32G"})
        return make_return_request(
            session, order=order, kind=RequestKind.EXCHANGE, reason_code="defective", sku_code=sku.code
        )

    def test_exchange_waits_for_the_warehouse_check(self, session: Session) -> None:
        request = self._request(session, discontinued=True)
        with pytest.raises(WarehouseCheckRequiredError):
            reshipments.exchange_after_check(session, request_id=request.id, actor=make_user(session))

    def test_failed_check_does_not_send_a_replacement(self, session: Session) -> None:
        request = self._request(session, discontinued=True)
        agent = make_user(session)
        service.record_warehouse_check(
            session, request_id=request.id, passed=False, note="人为进水", actor=agent
        )
        with pytest.raises(WarehouseCheckRequiredError):
            reshipments.exchange_after_check(session, request_id=request.id, actor=agent)

    def test_passed_check_sends_the_better_model_for_a_discontinued_one(self, session: Session) -> None:
        request = self._request(session, discontinued=True)
        agent = make_user(session)
        service.record_warehouse_check(session, request_id=request.id, passed=True, note=None, actor=agent)
        reshipment = reshipments.exchange_after_check(session, request_id=request.id, actor=agent)
        assert reshipment.items[0]["sku_code"] == "DG-NEW"
        assert request.outcome == Outcome.EXCHANGED

    def test_discontinued_model_without_an_equal_or_better_one_is_refused(self, session: Session) -> None:
        request = self._request(session, discontinued=True, with_replacement=False)
        agent = make_user(session)
        service.record_warehouse_check(session, request_id=request.id, passed=True, note=None, actor=agent)
        with pytest.raises(NoReplacementError):
            reshipments.exchange_after_check(session, request_id=request.id, actor=agent)
