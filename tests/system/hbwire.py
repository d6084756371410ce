# SPDX-License-Identifier: MIT
"""hbeat wire format v2 in Python, for tests that forge datagrams.

Independent re-implementation of include/hbeat/wire.h (docs/wire-format.md),
authenticated (MAC) mode only: a 12-byte outer header (magic, version,
mode, key id, reserved, length, cluster id), the 32-byte inner header
(type, reserved, flags, sender, incarnation, sequence, send time),
optional TLVs, then a 16-byte keyed BLAKE2b-128 tag (libsodium
crypto_generichash with a 32-byte key) over everything before it. Every
field can be overridden so a test can build exactly the malformed message
it wants.
"""

import base64
import hashlib
import struct

MAGIC = 0x4842
VERSION = 2
MODE_MAC = 0
MODE_AEAD = 1
HEADER_LEN = 44
TAG_LEN = 16
HEARTBEAT_LEN = HEADER_LEN + TAG_LEN
MAX_LEN = 1200
KEY_LEN = 32

MSG_HEARTBEAT = 1
MSG_LEAVE = 2

_OUTER = struct.Struct(">HBBBBHI")
_INNER = struct.Struct(">BBHIQQQ")
assert _OUTER.size + _INNER.size == HEADER_LEN


def read_key(path):
    """The 32-byte key from a base64 key file."""
    with open(path, "rb") as f:
        key = base64.b64decode(f.read().strip(), validate=True)
    if len(key) != KEY_LEN:
        raise ValueError(f"{path}: key is {len(key)} bytes, want {KEY_LEN}")
    return key


def tag(key, data):
    return hashlib.blake2b(data, key=key, digest_size=TAG_LEN).digest()


def encode(key, *, sender_id, cluster_id, incarnation=1, seq=1,
           send_time_ns=0, msg_type=MSG_HEARTBEAT, tlv=b"", flags=0,
           magic=MAGIC, version=VERSION, length=None, key_id=0,
           mode=MODE_MAC):
    """Encode and authenticate one message under `key` named `key_id`.
    `length` overrides the length field (default: the true total length);
    `mode` only sets the byte (the message is always MAC-authenticated)."""
    total = HEADER_LEN + len(tlv) + TAG_LEN
    if length is None:
        length = total
    head = (_OUTER.pack(magic, version, mode, key_id, 0, length, cluster_id)
            + _INNER.pack(msg_type, 0, flags, sender_id, incarnation, seq,
                          send_time_ns))
    body = head + tlv
    return body + tag(key, body)


def decode_header(data):
    """Header fields of a datagram as a dict (no verification)."""
    (magic, version, mode, key_id, _, length,
     cluster_id) = _OUTER.unpack_from(data)
    (msg_type, _, flags, sender_id, incarnation, seq,
     send_time_ns) = _INNER.unpack_from(data, _OUTER.size)
    return dict(magic=magic, version=version, mode=mode, key_id=key_id,
                type=msg_type, flags=flags, length=length,
                cluster_id=cluster_id, sender_id=sender_id,
                incarnation=incarnation, seq=seq, send_time_ns=send_time_ns)


def verify(key, data):
    """True if the datagram's tag verifies under `key`."""
    if len(data) < HEARTBEAT_LEN:
        return False
    return tag(key, data[:-TAG_LEN]) == data[-TAG_LEN:]
