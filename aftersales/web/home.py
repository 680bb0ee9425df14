"""The home page's numbers: what needs doing now, registered by the domains that know it.

Like the detail-page panels, a domain above ``web`` registers a ``Tile`` in its ``console`` module:
a label, the filtered list the number opens, the roles it is for, and a function counting it for
the signed-in user. The home page shows the tiles of the user's role, each number a link, so an
agent sees their queue and a supervisor the breaches and approvals, without ``web`` importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User

AGENT_HOME = frozenset({Role.AGENT})
LEAD_HOME = frozenset({Role.SUPERVISOR, Role.ADMIN})
EVERYONE = AGENT_HOME | LEAD_HOME


@dataclass(frozen=True)
class Tile:
    label: str
    href: str
    count: Callable[[Session, User], int]
    roles: frozenset[Role] = EVERYONE
    tone: str = ""  # "warn" or "bad" when a non-zero number needs attention
    position: int = 100


@dataclass(frozen=True)
class Card:
    """A card below the tiles (a table a lead reads at a glance): its template and the function
    that fills it for the signed-in user."""

    template: str
    context: Callable[[Session, User], dict[str, Any]]
    roles: frozenset[Role] = LEAD_HOME
    position: int = 100


_tiles: list[Tile] = []
_cards: list[Card] = []


def register_tile(tile: Tile) -> None:
    _tiles.append(tile)


def register_card(card: Card) -> None:
    _cards.append(card)


def cards_for(session: Session, user: User) -> list[tuple[Card, dict[str, Any]]]:
    """The user's cards in their order, each with its template's context now."""
    mine = sorted((c for c in _cards if user.role in c.roles), key=lambda c: (c.position, c.template))
    return [(card, card.context(session, user)) for card in mine]


def tiles_for(session: Session, user: User) -> list[tuple[Tile, int]]:
    """The user's tiles in their order, each with its number now."""
    mine = sorted((t for t in _tiles if user.role in t.roles), key=lambda t: (t.position, t.label))
    return [(tile, tile.count(session, user)) for tile in mine]
