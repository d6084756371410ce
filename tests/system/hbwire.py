# SPDX-License-Identifier: MIT
"""hbeat wire format v1 in Python, for tests that forge datagrams.

Independent re-implementation of include/hbeat/wire.h (docs/wire-format.md):
big-endian header of 40 bytes, optional TLVs, then a 16-byte keyed
BLAKE2b-128 tag (libsodium crypto_generichash with a 32-byte key) over
everything before it. Every field can be overridden so a test can build
exactly the malformed message it wants.
"""

import base64
import hashlib
import struct

MAGIC = 0x4842
VERSION = 1
HEADER_LEN = 40
TAG_LEN = 16
HEARTBEAT_LEN = HEADER_LEN + TAG_LEN
MAX_LEN = 1200
KEY_LEN = 32

MSG_HEARTBEAT = 1
MSG_LEAVE = 2

_HEADER = struct.Struct(">HBBHHIIQQQ")
assert _HEADER.size == HEADER_LEN


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
           magic=MAGIC, version=VERSION, length=None):
    """Encode and authenticate one message. `length` overrides the length
    field (default: the true total length)."""
    total = HEADER_LEN + len(tlv) + TAG_LEN
    if length is None:
        length = total
    head = _HEADER.pack(magic, version, msg_type, flags, length, cluster_id,
                        sender_id, incarnation, seq, send_time_ns)
    body = head + tlv
    return body + tag(key, body)


def decode_header(data):
    """Header fields of a datagram as a dict (no verification)."""
    (magic, version, msg_type, flags, length, cluster_id, sender_id,
     incarnation, seq, send_time_ns) = _HEADER.unpack_from(data)
    return dict(magic=magic, version=version, type=msg_type, flags=flags,
                length=length, cluster_id=cluster_id, sender_id=sender_id,
                incarnation=incarnation, seq=seq, send_time_ns=send_time_ns)


def verify(key, data):
    """True if the datagram's tag verifies under `key`."""
    if len(data) < HEARTBEAT_LEN:
        return False
    return tag(key, data[:-TAG_LEN]) == data[-TAG_LEN:]
