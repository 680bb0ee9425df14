"""The simulated courier's return pickup booking: realistic refusals, deterministic answers."""

from datetime import UTC, datetime, timedelta

from aftersales.logistics.couriers import SimulatedCourier

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
ADDRESS = "浙江省 杭州市 西湖区 文三路 100号 3幢"


def _book(address: str = ADDRESS, start: datetime = NOW + timedelta(days=1), seed: int = 0):  # type: ignore[no-untyped-def]
    return SimulatedCourier(seed).book_pickup(
        courier="sf", address=address, slot_start=start, slot_end=start + timedelta(hours=3), now=NOW
    )


def test_a_slot_with_enough_notice_is_booked_with_a_code_and_a_return_waybill() -> None:
    reply = _book()
    assert reply.outcome == "booked"
    assert reply.pickup_code is not None
    assert len(reply.pickup_code) == 6
    assert reply.tracking_no is not None
    assert reply.tracking_no.startswith("SF")


def test_a_slot_starting_within_two_hours_is_refused() -> None:
    reply = _book(start=NOW + timedelta(minutes=90))
    assert reply.outcome == "refused"
    assert "过近" in reply.detail


def test_an_address_in_a_region_without_pickup_is_refused() -> None:
    reply = _book(address="新疆维吾尔自治区 喀什地区 疏附县 某路 1 号")
    assert reply.outcome == "refused"
    assert "不支持上门取件" in reply.detail


def test_the_same_booking_gets_the_same_answer() -> None:
    assert _book() == _book()


def test_some_slots_are_full() -> None:
    replies = [_book(start=NOW + timedelta(days=1, hours=hour)) for hour in range(0, 24 * 14, 3)]
    outcomes = {reply.outcome for reply in replies}
    assert outcomes == {"booked", "refused"}
