"""The configuration ticket creation reads, kept in memory per process and per database.

Opening a ticket looks at the shop's platform, the routing rules, the groups, the SLA policies,
the shifts and roster, the taxonomy and the VIP rule: seven statements returning the same rows
all day, most of a create's cost at a Double-11 peak. Every flush that touches one of those
tables gives ``ticket_config_version`` a new random token in the same transaction
(``models.bump_config_version``); a create reads the token (one row by primary key) and loads
the configuration again only when it differs. A change is therefore seen by every process from
its commit on, never later, and a transaction sees its own uncommitted changes.

The cached rows are detached ORM instances that nobody writes to; they are shared by threads.

This is a speed trick: ``current`` (cached per process, checked by token) must always equal
``read_fresh`` (the plain reference: read every table now, in the caller's transaction);
``tests/tickets/test_config_snapshot.py`` compares the two after each kind of change.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.tickets.models import (
    CONFIG_SESSION_KEY,
    RosterEntry,
    RoutingRule,
    Shift,
    SlaPolicy,
    TaxonomyNode,
    TicketConfigVersion,
    TicketGroup,
    TicketType,
)

KEEP_DATABASES = 8


@dataclass(frozen=True)
class TicketConfig:
    platforms: dict[int, str]
    rules: list[RoutingRule]
    group_ids: dict[str, int]
    policies: list[SlaPolicy]
    shifts: list[Shift]
    roster: dict[int, int]
    taxonomy: frozenset[str]

    def values(self) -> dict[str, Any]:
        """The configuration as plain values (ids and settings), to compare two snapshots."""
        return {
            "platforms": self.platforms,
            "rules": [(r.id, r.conditions, r.set_group_code, r.cc_group_code) for r in self.rules],
            "group_ids": self.group_ids,
            "policies": sorted((p.id, p.first_response_minutes, p.resolution_minutes) for p in self.policies),
            "shifts": [(s.id, s.start_minute, s.end_minute) for s in self.shifts],
            "roster": self.roster,
            "taxonomy": self.taxonomy,
        }

    def policy_for(self, shop_id: int, ticket_type: TicketType) -> SlaPolicy | None:
        """Most specific policy: shop+type, shop, type, then the global default."""
        fitting = [
            p for p in self.policies if p.shop_id in (shop_id, None) and p.ticket_type in (ticket_type, None)
        ]
        return min(fitting, key=lambda p: (p.shop_id is None, p.ticket_type is None, p.id), default=None)


_cache: dict[str, tuple[str, TicketConfig]] = {}


def current(session: Session) -> TicketConfig:
    """This database's configuration as the session's transaction sees it (the token is read
    once per transaction, and again after the transaction changes the configuration); equal to
    ``read_fresh(session)``, without reading the tables again while nothing changed."""
    config: TicketConfig | None = session.info.get(CONFIG_SESSION_KEY)
    if config is None:
        config = session.info[CONFIG_SESSION_KEY] = _current(session)
    return config


@event.listens_for(Session, "after_transaction_end")
def _forget_on_transaction_end(session: Session, _transaction: Any) -> None:
    session.info.pop(CONFIG_SESSION_KEY, None)


def _current(session: Session) -> TicketConfig:
    token = session.scalar(select(TicketConfigVersion.token).where(TicketConfigVersion.id == 1))
    database = str(session.get_bind().engine.url)
    cached = _cache.get(database)
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    config = read_fresh(session)
    if token is not None:
        _cache.pop(database, None)
        _cache[database] = (token, config)
        while len(_cache) > KEEP_DATABASES:
            _cache.pop(next(iter(_cache)))
    return config


def read_fresh(session: Session) -> TicketConfig:
    """The reference: every configuration table read now. On the caller's connection (its
    transaction) by a session of its own, so the cached instances never join the caller's
    identity map."""
    with Session(bind=session.connection()) as reader:

        def rows(query: Any) -> list[Any]:
            return list(reader.scalars(query))

        config = TicketConfig(
            platforms={shop.id: str(shop.platform) for shop in rows(select(Shop))},
            rules=rows(
                select(RoutingRule)
                .where(RoutingRule.is_active.is_(True))
                .order_by(RoutingRule.position, RoutingRule.id)
            ),
            group_ids={group.code: group.id for group in rows(select(TicketGroup))},
            policies=rows(select(SlaPolicy)),
            shifts=rows(select(Shift).order_by(Shift.start_minute, Shift.id)),
            roster={entry.user_id: entry.shift_id for entry in rows(select(RosterEntry))},
            taxonomy=frozenset(rows(select(TaxonomyNode.path).where(TaxonomyNode.is_active.is_(True)))),
        )
    return config
