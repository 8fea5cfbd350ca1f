"""Restricted data encrypted at rest (issue 7): the register key, sealed values and their column types.

A register has one key, 32 random bytes kept in a key file outside the
database (chronicle/keys.py). Everything Chronicle encrypts uses keys
derived from it with HKDF-SHA256, one per purpose, so that no two purposes
share a key:

- restricted text (`Encrypted` columns) is sealed with AES-256-GCM under a
  fresh random 96-bit nonce, the table and column as associated data, and
  padded to a multiple of 32 bytes so that the stored length says little;
  stored as text `v1:<key id>:<base64 of nonce, ciphertext and tag>`;
- the content digest of a table that holds restricted text
  (`SealedDigest` columns) is encrypted as one AES block, so that a digest
  in the database cannot be used to test guesses of the restricted text;
- backups derive their own key (chronicle/backup.py).

The key is attached to an engine's dialect when `Database.open` opens the
database, so two registers with different keys in one process never mix.
A value sealed under another key, or altered in the database, is refused
with `KeyProblem`: never returned as garbage.
"""

from __future__ import annotations

import binascii
import os
import re
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String, Text, TypeDecorator

from chronicle.errors import DatabaseError

KEY_BYTES = 32
NONCE_BYTES = 12
PADDING = 32  # sealed texts are padded to a multiple of this many bytes
SEALED = re.compile(r"v1:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})\Z")
_HEX_DIGEST = re.compile(r"[0-9a-f]{32}\Z")


class KeyProblem(DatabaseError):
    """The register key is missing, wrong, or does not open a value."""

    title = "Key refused"


def derive(secret: bytes, purpose: str, length: int = KEY_BYTES, *, salt: bytes | None = None) -> bytes:
    """A key for one purpose, derived from `secret` with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=f"chronicle {purpose}".encode()).derive(secret)


class RegisterKey:
    """A register's key and the keys derived from it. The secret never appears in a repr or a message."""

    def __init__(self, secret: bytes):
        if not isinstance(secret, bytes) or len(secret) != KEY_BYTES:
            raise KeyProblem(f"a register key is {KEY_BYTES} bytes")
        self._secret = secret
        self.key_id = derive(secret, "key id v1", 8).hex()
        self._fields = AESGCM(derive(secret, "fields v1"))
        self._prefix = f"v1:{self.key_id}:"
        self._associated: dict[str, bytes] = {}  # label -> associated data
        digest_key = derive(secret, "digests v1")
        self._digest_lock = threading.Lock()
        self._digest_encryptor = Cipher(algorithms.AES(digest_key), modes.ECB()).encryptor()
        self._digest_decryptor = Cipher(algorithms.AES(digest_key), modes.ECB()).decryptor()

    @classmethod
    def generate(cls) -> RegisterKey:
        return cls(os.urandom(KEY_BYTES))

    @property
    def secret(self) -> bytes:
        """The raw key, for writing the key file."""
        return self._secret

    def derive(self, purpose: str, *, salt: bytes | None = None) -> bytes:
        return derive(self._secret, purpose, salt=salt)

    def __repr__(self) -> str:
        return f"RegisterKey(key id {self.key_id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RegisterKey) and other.key_id == self.key_id and other._secret == self._secret

    __hash__ = None  # type: ignore[assignment]

    # Restricted text

    def seal(self, text: str, label: str) -> str:
        """`text` encrypted and authenticated, bound to `label` (the table and column it is stored in)."""
        data = text.encode("utf-8", "surrogatepass") + b"\x80"
        data += b"\x00" * (-len(data) % PADDING)
        nonce = os.urandom(NONCE_BYTES)  # a fresh random nonce: no state, so no reuse after a fork
        sealed = self._fields.encrypt(nonce, data, self._associated_data(label))
        return self._prefix + binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii")

    def _associated_data(self, label: str) -> bytes:
        associated = self._associated.get(label)
        if associated is None:
            associated = self._associated[label] = f"{self._prefix}{label}".encode()
        return associated

    def unseal(self, stored: str, label: str) -> str:
        """The text of a sealed value; KeyProblem when it is not sealed, sealed under another key, or altered."""
        if not (isinstance(stored, str) and stored.startswith(self._prefix)):
            self._refuse(stored, label)
        try:
            raw = binascii.a2b_base64(stored[len(self._prefix) :], strict_mode=True)
            data = self._fields.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._associated_data(label))
        except (binascii.Error, ValueError, InvalidTag):
            raise KeyProblem(f"{label}: an encrypted value fails its integrity check: it was altered in the database") from None
        data = data.rstrip(b"\x00")
        if not data.endswith(b"\x80"):
            raise KeyProblem(f"{label}: an encrypted value has bad padding")
        return data[:-1].decode("utf-8", "surrogatepass")

    def _refuse(self, stored, label: str):
        match = SEALED.match(stored) if isinstance(stored, str) else None
        if match is None:
            raise KeyProblem(f"{label}: a stored value is not encrypted, though it should be (was it written without Chronicle?)")
        raise KeyProblem(f"{label}: a value is encrypted under key id {match.group(1)}, not under this register's key {self.key_id}")

    # Content digests

    def seal_digest(self, digest: str) -> str:
        if not (isinstance(digest, str) and _HEX_DIGEST.match(digest)):
            raise ValueError(f"a content digest is 32 hexadecimal digits, not {digest!r}")
        with self._digest_lock:
            return self._digest_encryptor.update(bytes.fromhex(digest)).hex()

    def unseal_digest(self, stored: str) -> str:
        if not (isinstance(stored, str) and _HEX_DIGEST.match(stored)):
            raise KeyProblem(f"a stored content digest is not 32 hexadecimal digits: {stored!r}")
        with self._digest_lock:
            return self._digest_decryptor.update(bytes.fromhex(stored)).hex()


# The key of each open database, on its engine's dialect.

_ATTRIBUTE = "_chronicle_register_key"


def attach_key(dialect, key: RegisterKey | None) -> None:
    setattr(dialect, _ATTRIBUTE, key)


def attached_key(dialect) -> RegisterKey | None:
    return getattr(dialect, _ATTRIBUTE, None)


def _writing_key(dialect) -> RegisterKey:
    key = attached_key(dialect)
    if key is None:
        raise KeyProblem("this database was opened without its key: open it with Database.open so that restricted data can be encrypted")
    return key


class Encrypted(TypeDecorator):
    """Restricted text, stored sealed under the register key (see the module's docstring).

    `label` is the table and column (`persons.restricted_notes`): the value is
    bound to it, so a value copied into another column does not open. An
    engine without a key (a script's own `create_engine`) reads the sealed
    text as it is stored and cannot write.

    The column is `text`; on SQLite, which does not enforce lengths, a column
    that was `VARCHAR(sqlite_length)` before it was encrypted keeps that
    declaration (so that its table need not be rebuilt).
    """

    impl = Text
    cache_ok = True

    def __init__(self, label: str, *, sqlite_length: int | None = None):
        super().__init__()
        self.label = label
        self.sqlite_length = sqlite_length

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite" and self.sqlite_length is not None:
            return String(self.sqlite_length)
        return Text()

    def process_bind_param(self, value: str | None, dialect):
        if value is None:
            return None
        key = getattr(dialect, _ATTRIBUTE, None) or _writing_key(dialect)
        return key.seal(value, self.label)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        key = attached_key(dialect)
        return value if key is None else key.unseal(value, self.label)


class SealedDigest(TypeDecorator):
    """A content digest (32 hexadecimal digits) of a table that holds restricted text, stored encrypted.

    The digest covers the restricted columns too; stored in the clear it would
    let anyone with the database file test a guess of them. Encrypted as one
    AES block under a key derived from the register key: still 32 digits, and
    the same digest back on reading.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        if value is None:
            return None
        key = getattr(dialect, _ATTRIBUTE, None) or _writing_key(dialect)
        return key.seal_digest(value)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        key = attached_key(dialect)
        return value if key is None else key.unseal_digest(value)


def sealed_columns(table) -> list:
    """The columns of a table whose values are stored sealed (`Encrypted` or `SealedDigest`)."""
    return [column for column in table.columns if isinstance(column.type, (Encrypted, SealedDigest))]
