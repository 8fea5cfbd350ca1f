"""Person keys: a small, stable integer for every person id.

The figures index their arrays by person; reading a million events with an
integer for the person instead of its text id is what keeps them fast. Each
person id gets the next free key the first time the register sees it, in the
same transaction as the record that names it, and keeps it for ever (also
after a merge or a retraction). Keys are internal: they are never exported.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from chronicle.schema import person_keys


class PersonKeys:
    """The keys a register has, and the ones a write adds."""

    def __init__(self, known: dict[str, int]):
        self.known = known
        self.added: list[dict[str, object]] = []
        self._next = max(known.values(), default=-1) + 1

    @classmethod
    def load(cls, connection: Connection) -> PersonKeys:
        return cls(dict(connection.execute(select(person_keys.c.person_id, person_keys.c.person_key)).all()))

    def key(self, person_id: str) -> int:
        """The key of a person id, giving it the next free one if it has none."""
        key = self.known.get(person_id)
        if key is None:
            key = self.known[person_id] = self._next
            self._next += 1
            self.added.append({"person_id": person_id, "person_key": key})
        return key

    def write(self, connection: Connection) -> None:
        """Store the keys given since loading, inside the caller's transaction."""
        if self.added:
            connection.execute(person_keys.insert(), self.added)
            self.added = []


def key_of(connection: Connection, person_id: str) -> int:
    """The key of one person id, created if needed, inside the caller's transaction."""
    key = connection.execute(select(person_keys.c.person_key).where(person_keys.c.person_id == person_id)).scalar()
    if key is None:
        largest = connection.execute(select(func.max(person_keys.c.person_key))).scalar()
        key = 0 if largest is None else largest + 1  # not `largest or -1`: the largest key may be 0
        connection.execute(person_keys.insert().values(person_id=person_id, person_key=key))
    return key


class PersonIds:
    """Person key -> person id (and back), read from the database the first time it is needed."""

    def __init__(self, database):
        self.database = database
        self._ids: dict[int, str] | None = None
        self._keys: dict[str, int] | None = None

    def _load(self) -> None:
        with self.database.reading() as connection:
            self._keys = dict(connection.execute(select(person_keys.c.person_id, person_keys.c.person_key)).all())
        self._ids = {key: person_id for person_id, key in self._keys.items()}

    def __getitem__(self, key: int) -> str:
        if self._ids is None:
            self._load()
        return self._ids[key]

    def key(self, person_id: str) -> int | None:
        if self._keys is None:
            self._load()
        return self._keys.get(person_id)
