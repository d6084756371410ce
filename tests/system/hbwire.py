# SPDX-License-Identifier: MIT
"""hbeat wire format v2 in Python, for tests that forge datagrams.

Independent re-implementation of include/hbeat/wire.h (docs/wire-format.md):
a 12-byte outer header (magic, version, mode, key id, reserved, length,
cluster id), the 32-byte inner header (type, reserved, flags, sender,
incarnation, sequence, send time), optional TLVs, then a 16-byte tag.
MAC mode: keyed BLAKE2b-128 (libsodium crypto_generichash with a 32-byte
key) over everything before it. AEAD mode: a 24-byte nonce after the
outer header, then the inner part encrypted with XChaCha20-Poly1305-IETF
(built here from python3-cryptography's ChaCha20-Poly1305 and HChaCha20,
draft-irtf-cfrg-xchacha, written out below), key BLAKE2b-256 keyed with
the cluster key over "hbeat wire v2 aead", the outer header as additional
data. Every field can be overridden so a test can build exactly the
malformed message it wants.
"""

import base64
import hashlib
import os
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


NONCE_LEN = 24
AEAD_LABEL = b"hbeat wire v2 aead"


def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def _quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff
    s[b] = _rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    """HChaCha20 (draft-irtf-cfrg-xchacha-03, 2.2): the subkey of
    XChaCha20 for the first 16 bytes of its nonce."""
    s = ([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
         + list(struct.unpack("<8I", key))
         + list(struct.unpack("<4I", nonce16)))
    for _ in range(10):
        _quarter(s, 0, 4, 8, 12)
        _quarter(s, 1, 5, 9, 13)
        _quarter(s, 2, 6, 10, 14)
        _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15)
        _quarter(s, 1, 6, 11, 12)
        _quarter(s, 2, 7, 8, 13)
        _quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def aead_seal(key, nonce, plain, ad):
    """XChaCha20-Poly1305-IETF under the AEAD key derived from `key`:
    ciphertext followed by the 16-byte tag."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    k = hashlib.blake2b(AEAD_LABEL, key=key, digest_size=32).digest()
    sub = hchacha20(k, nonce[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\0" * 4 + nonce[16:], plain, ad)


def encode(key, *, sender_id, cluster_id, incarnation=1, seq=1,
           send_time_ns=0, msg_type=MSG_HEARTBEAT, tlv=b"", flags=0,
           magic=MAGIC, version=VERSION, length=None, key_id=0,
           mode=MODE_MAC, encrypt=None, nonce=None):
    """Encode and protect one message under `key` named `key_id`.
    `length` overrides the length field (default: the true total length).
    `encrypt` (default: mode is MODE_AEAD) encrypts it; otherwise `mode`
    only sets the byte and the message is MAC-authenticated."""
    if encrypt is None:
        encrypt = mode == MODE_AEAD
    total = HEADER_LEN + len(tlv) + TAG_LEN + (NONCE_LEN if encrypt else 0)
    if length is None:
        length = total
    outer = _OUTER.pack(magic, version, mode, key_id, 0, length, cluster_id)
    inner = _INNER.pack(msg_type, 0, flags, sender_id, incarnation, seq,
                        send_time_ns) + tlv
    if encrypt:
        nonce = os.urandom(NONCE_LEN) if nonce is None else nonce
        return outer + nonce + aead_seal(key, nonce, inner, outer)
    body = outer + inner
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
