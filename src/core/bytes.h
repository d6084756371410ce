/* SPDX-License-Identifier: MIT */
/*
 * Private to the core: explicit big-endian put/get of the wire format's
 * integers (docs/wire-format.md). One copy for the header codec (wire.c)
 * and the TLV payloads (node.c's ECHO, election.c's LEADER/VOTE/EXITED),
 * so no payload is ever read by casting a struct over a buffer: receive
 * buffers have no alignment guarantee and structs have padding.
 */
#ifndef HB_CORE_BYTES_H
#define HB_CORE_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void hb__put_u16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static inline void hb__put_u32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static inline void hb__put_u64(uint8_t *p, uint64_t v)
{
        hb__put_u32(p, (uint32_t)(v >> 32));
        hb__put_u32(p + 4, (uint32_t)v);
}

static inline uint16_t hb__get_u16(const uint8_t *p)
{
        return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t hb__get_u32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t hb__get_u64(const uint8_t *p)
{
        return (uint64_t)hb__get_u32(p) << 32 | hb__get_u32(p + 4);
}

/* Write a TLV header (type, value length) at p; returns its length. */
static inline size_t hb__put_tlv_header(uint8_t *p, uint16_t type,
                                        uint16_t len)
{
        hb__put_u16(p, type);
        hb__put_u16(p + 2, len);
        return 4;
}

#endif /* HB_CORE_BYTES_H */
