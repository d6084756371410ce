/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the node past authentication (src/core/node.c,
 * election.c, the detectors): the input is a script of operations on one
 * node with three configured peers, whose messages are *authentic*:
 * encoded with the cluster key by hb_wire_encode(), so every field after
 * the tag check (type, flags, incarnation, seq, send time, the
 * coordination block, the TLVs) is the fuzzer's to choose. fuzz_wire
 * covers the decoder in front of this; a fuzzer cannot forge a BLAKE2b
 * tag, so without the key the node's logic would never run (review F2).
 *
 * Script, one byte picks the operation (the first two bytes pick the
 * detector kind and whether coordination is on):
 *
 *   0 advance the clock by (next byte) x 7 ms and tick
 *   1 receive a message: next bytes give type, flags, sender, incarnation
 *     and seq steps, send time, a coordination block and TLV bytes
 *   2 an ICMP port-unreachable for a peer
 *   3 send a heartbeat now
 *   4 drain the output queue, checking every message decodes
 *   5 a local pause of (next byte) x 10 ms
 *
 * Properties: no crash or sanitizer report, no deadline in the past
 * after a tick, and every output message decodes with the key. A violated
 * property aborts.
 *
 * Build: meson -Dfuzz=true with clang (make fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hbeat/node.h"
#include "hbeat/wire.h"

#define FUZZ_CLUSTER 7u
#define MS UINT64_C(1000000)

#define CHECK(cond)                                                            \
        do {                                                                   \
                if (!(cond))                                                   \
                        abort();                                               \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hb_key_t fuzz_key;
static hb_keyring_t fuzz_ring;

/* The input as a stream of bytes; 0 once it runs out. */
struct in {
        const uint8_t *p;
        size_t left;
};

static uint8_t next(struct in *in)
{
        if (in->left == 0)
                return 0;
        in->left--;
        return *in->p++;
}

static uint64_t next_u64(struct in *in, int bytes)
{
        uint64_t v = 0;

        for (int i = 0; i < bytes; i++)
                v = v << 8 | next(in);
        return v;
}

static void on_event(void *user, const hb_event_t *ev)
{
        (void)user;
        CHECK(ev != NULL);
}

/* Drain the output queue; every message must decode with our key. */
static void drain(hb_node_t *node)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_output_t out;
        hb_wire_msg_t m;
        int n;

        while ((n = hb_node_poll_output(node, &out, buf, sizeof(buf))) > 0) {
                CHECK(hb_wire_decode(&m, buf, (size_t)n, FUZZ_CLUSTER,
                                     &fuzz_ring, NULL, 0) == 0);
                CHECK(m.sender_id == 1);
        }
        CHECK(n == 0);
}

/* One authentic message from the fuzzer's bytes, into the node. */
static void receive(hb_node_t *node, struct in *in, uint64_t now,
                    uint64_t incarnation[4], uint64_t seq[4])
{
        uint8_t buf[HB_WIRE_MAX_LEN], coord[HB_WIRE_COORD_LEN], tlv[256];
        uint8_t sel = next(in), tlv_len = next(in);
        hb_wire_msg_t m = { 0 };
        hb_recv_info_t info;
        uint32_t from = 2 + sel % 3;    /* a configured peer ... */
        int n;

        if (sel & 0x80)
                from = (uint32_t)next_u64(in, 4);  /* ... or anyone */
        m.type = (uint8_t)(1 + next(in) % 5);
        m.flags = (uint16_t)(next(in) & 0x03);  /* echo request, coord */
        m.cluster_id = FUZZ_CLUSTER;
        m.sender_id = from != 0 ? from : 2;
        /* Mostly the next seq of the current incarnation; sometimes a
         * jump, a replay, or a restart. */
        if (from >= 2 && from <= 4) {
                uint8_t how = next(in);
                uint64_t *inc = &incarnation[from - 1], *s = &seq[from - 1];

                if (how < 200)
                        *s += 1 + how % 3;
                else if (how < 230)
                        *s = next_u64(in, 8);
                else if (how < 250)
                        *inc += 1 + next(in);
                else
                        *inc = next_u64(in, 8);
                m.incarnation = *inc;
                m.seq = *s;
        } else {
                m.incarnation = next_u64(in, 8);
                m.seq = next_u64(in, 8);
        }
        m.send_time_ns = next_u64(in, 8);
        if (m.flags & HB_FLAG_COORD) {
                for (size_t i = 0; i < sizeof(coord); i++)
                        coord[i] = next(in);
                m.coord = coord;
        }
        for (size_t i = 0; i < tlv_len; i++)
                tlv[i] = next(in);
        m.tlv = tlv_len > 0 ? tlv : NULL;
        m.tlv_len = tlv_len;
        n = hb_wire_encode(buf, sizeof(buf), &m, &fuzz_ring, NULL);
        if (n < 0)
                return;         /* not encodable (bad TLV area) */
        (void)hb_node_recv(node, now, buf, (size_t)n, &info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int inited;
        struct in in = { data, size };
        uint64_t incarnation[4] = { 0, 0, 1000, 2000 };
        uint64_t seq[4] = { 0 };
        uint64_t now = 1000 * MS;
        hb_node_config_t cfg;
        hb_node_t *node;
        uint8_t kind, coord;

        if (!inited) {
                CHECK(hb_wire_init() == 0);
                for (int i = 0; i < 32; i++)
                        fuzz_key.bytes[i] = (uint8_t)i;
                /* The node's one-key form: the key as id 0. */
                CHECK(hb_keyring_add(&fuzz_ring, 0, &fuzz_key,
                                     HB_WIRE_MODE_MAC) == 0);
                inited = 1;
        }
        incarnation[3] = 3000;
        kind = next(&in);
        coord = next(&in);
        hb_node_config_default(&cfg,
                               (hb_detector_kind_t)(1 + kind % 6), 100 * MS);
        cfg.cluster_id = FUZZ_CLUSTER;
        cfg.node_id = 1;
        cfg.incarnation = 500;
        cfg.key = fuzz_key;
        cfg.coord.enabled = coord & 1;
        cfg.coord.votes = 1;
        cfg.coord.priority = 100;
        cfg.coord.election_delay_ns = 100 * MS;
        cfg.coord.seed = 1;
        if (hb_node_new(&node, &cfg, on_event, NULL) != 0)
                return 0;
        for (uint32_t p = 2; p <= 4; p++)
                CHECK(hb_node_peer_add(node, p, now) == 0);

        while (in.left > 0) {
                uint64_t d;

                switch (next(&in) % 6) {
                case 0:
                        now += (uint64_t)next(&in) * 7 * MS;
                        hb_node_tick(node, now);
                        d = hb_node_next_deadline(node);
                        CHECK(d >= now);
                        break;
                case 1:
                        receive(node, &in, now, incarnation, seq);
                        break;
                case 2:
                        (void)hb_node_peer_unreachable(node,
                                                       2 + next(&in) % 4,
                                                       now);
                        break;
                case 3:
                        (void)hb_node_heartbeat_now(node, now);
                        break;
                case 4:
                        drain(node);
                        break;
                default:
                        d = (uint64_t)next(&in) * 10 * MS;
                        now += d;
                        hb_node_local_pause(node, now, d);
                        break;
                }
        }
        drain(node);
        hb_node_free(node);
        return 0;
}
