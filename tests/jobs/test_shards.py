import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.jobs.models import Job
from aftersales.jobs.shards import IdRange, enqueue_shards, shard_clause
from aftersales.orders.models import Order
from tests.builders import make_order, make_shop


class TestShardClause:
    def test_shards_partition_the_rows_each_row_in_exactly_one(self, session: Session) -> None:
        shop = make_shop(session)
        ids = {make_order(session, shop=shop).id for _ in range(23)}
        seen: list[int] = []
        for shard in range(4):
            query = select(Order.id).where(
                Order.shop_id == shop.id, shard_clause(Order.id, shard=shard, shards=4)
            )
            seen += session.scalars(query)
        assert sorted(seen) == sorted(ids)

    def test_one_shard_is_the_whole_table(self, session: Session) -> None:
        shop = make_shop(session)
        ids = {make_order(session, shop=shop).id for _ in range(3)}
        query = select(Order.id).where(Order.shop_id == shop.id, shard_clause(Order.id, shard=0, shards=1))
        assert set(session.scalars(query)) == ids

    @pytest.mark.parametrize(("shard", "shards"), [(-1, 4), (4, 4), (0, 0), (0, 1000)])
    def test_rejects_a_shard_outside_the_range(self, shard: int, shards: int) -> None:
        with pytest.raises(ValueError, match="shard"):
            shard_clause(Order.id, shard=shard, shards=shards)


class TestEnqueueShards:
    def test_enqueues_one_job_per_shard_with_its_number(self, session: Session) -> None:
        enqueue_shards(session, "messaging.deliver_outbox", shards=3, dedupe_key="fanout@1")
        payloads = [j.payload for j in session.scalars(select(Job).order_by(Job.id))]
        assert payloads == [{"shard": n, "shards": 3} for n in range(3)]

    def test_fanning_out_the_same_slot_twice_enqueues_each_shard_once(self, session: Session) -> None:
        enqueue_shards(session, "messaging.deliver_outbox", shards=3, dedupe_key="fanout@1")
        enqueue_shards(session, "messaging.deliver_outbox", shards=3, dedupe_key="fanout@1")
        assert len(session.scalars(select(Job)).all()) == 3


class TestIdRange:
    def test_ranges_partition_the_ids_each_in_exactly_one(self, session: Session) -> None:
        shop = make_shop(session)
        ids = sorted(make_order(session, shop=shop).id for _ in range(23))
        seen: list[int] = []
        for shard in range(4):
            query = select(Order.id).where(
                Order.shop_id == shop.id, IdRange(shard, 4, ids[0], ids[-1]).clause(Order.id)
            )
            seen += session.scalars(query)
        assert sorted(seen) == ids

    def test_ids_outside_the_span_belong_to_the_first_or_the_last_shard(self) -> None:
        ranges = [IdRange(shard, 3, 100, 199).bounds() for shard in range(3)]
        assert ranges == [(None, 134), (134, 168), (168, None)]

    def test_more_shards_than_ids_leaves_the_extra_shards_empty(self) -> None:
        ranges = [IdRange(shard, 3, 5, 5).bounds() for shard in range(3)]
        assert ranges == [(None, 6), (6, 7), (7, None)]

    def test_rejects_a_shard_outside_the_range(self) -> None:
        with pytest.raises(ValueError, match="shard"):
            IdRange(3, 3, 1, 10).bounds()
