/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of libhbeat-uv (include/hbeat/uv.h) on a real loop and real
 * UDP sockets on 127.0.0.1 (ports chosen by the kernel): two nodes find
 * each other; an ACK goes back to its datagram's source; a peer without
 * an address gets nothing; a closed peer is dead by port unreachable; a
 * leave makes the peer `left`; mute sends nothing; allocation failures of
 * hb_uv_node_new() leave nothing behind; a disk link on a regular file
 * carries heartbeats alone; gossip: a member learned by gossip is sent
 * to at the address it advertised, a configured one still source-checked.
 * Bounded: every wait has a
 * deadline of a few seconds on the loop's own timer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "failalloc.h"
#include "hbeat/hbeat.h"
#include "hbeat/uv.h"

#define IV (20 * HB_NS_PER_MS)

typedef struct side {
        hb_uv_node_t *un;
        struct sockaddr_storage addr;
        hb_peer_state_t peer_state;    /* of its peer, as it sees it */
        hb_reason_t reason;
        unsigned accepted, sent, dropped;
        unsigned bad_source;           /* drops as HB_EBADSRC */
        unsigned alive_events;         /* peers become alive */
} side_t;

static void on_event(void *user, const hb_event_t *ev)
{
        side_t *s = user;

        if (ev->type == HB_EVENT_PEER_STATE) {
                s->peer_state = ev->new_state;
                s->reason = ev->reason;
                if (ev->new_state == HB_PEER_ALIVE)
                        s->alive_events++;
        }
}

static void on_io(void *user, const hb_uv_io_t *io)
{
        side_t *s = user;

        if (io->type == HB_UV_IO_ACCEPTED)
                s->accepted++;
        else if (io->type == HB_UV_IO_DROPPED) {
                s->dropped++;
                if (io->err == HB_EBADSRC)
                        s->bad_source++;
        }
        else if (io->type == HB_UV_IO_HEARTBEAT_SENT)
                s->sent++;
}

static hb_node_config_t config(uint32_t id)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, IV);
        c.cluster_id = 7;
        c.node_id = id;
        c.incarnation = 1;
        c.rtt_probe_every = 2;
        memset(c.key.bytes, 0x42, sizeof(c.key.bytes));
        return c;
}

static int start(uv_loop_t *loop, side_t *s, uint32_t id)
{
        struct sockaddr_in any = { .sin_family = AF_INET };
        hb_node_config_t c = config(id);
        hb_uv_options_t opt;
        int r;

        any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&any;
        opt.event = on_event;
        opt.io = on_io;
        opt.user = s;
        r = hb_uv_node_new(&s->un, loop, &c, &opt);
        if (r == 0)
                assert_int_equal(hb_uv_node_sockname(s->un, &s->addr), 0);
        return r;
}

/* Run the loop until cond(arg) or `ms` passed; whether cond held. */
static bool run_until(uv_loop_t *loop, bool (*cond)(void *), void *arg,
                      uint64_t ms)
{
        uint64_t end = uv_hrtime() + ms * HB_NS_PER_MS;

        while (!cond(arg) && uv_hrtime() < end)
                uv_run(loop, UV_RUN_ONCE);
        return cond(arg);
}

static bool sees_alive(void *arg)
{
        return ((side_t *)arg)->peer_state == HB_PEER_ALIVE;
}

static bool sees_dead(void *arg)
{
        return ((side_t *)arg)->peer_state == HB_PEER_DEAD;
}

static bool sees_left(void *arg)
{
        return ((side_t *)arg)->peer_state == HB_PEER_LEFT;
}

static bool has_rtt(void *arg)
{
        side_t *s = arg;
        hb_peer_info_t pi;

        return hb_node_peer_info(hb_uv_node_core(s->un), 2, uv_hrtime(),
                                 &pi) == 0 && pi.rtt_samples > 0;
}

static void close_loop(uv_loop_t *loop)
{
        uv_run(loop, UV_RUN_DEFAULT);
        assert_int_equal(uv_loop_close(loop), 0);
}

static void test_pair(void **state)
{
        uv_loop_t loop;
        side_t a = { 0 }, b = { 0 };
        hb_uv_counters_t uc;
        hb_uv_peer_counters_t pa, pb;

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(start(&loop, &a, 1), 0);
        assert_int_equal(start(&loop, &b, 2), 0);
        assert_int_equal(hb_uv_node_peer_add(a.un, 2,
                                             (struct sockaddr *)&b.addr), 0);
        assert_int_equal(hb_uv_node_peer_add(b.un, 1,
                                             (struct sockaddr *)&a.addr), 0);
        assert_int_equal(hb_uv_node_peer_add(a.un, 2, NULL), -EEXIST);
        assert_true(run_until(&loop, sees_alive, &a, 3000));
        assert_true(run_until(&loop, sees_alive, &b, 3000));
        /* Echo requests every 2nd heartbeat: b's ACKs reach a's socket
         * (HB_DEST_REPLY, to the datagram's source) and give RTTs. */
        assert_true(run_until(&loop, has_rtt, &a, 3000));
        assert_true(a.sent > 0 && b.accepted > 0);
        hb_uv_node_counters(a.un, &uc);
        assert_true(uc.tx_by_type[HB_MSG_HEARTBEAT] > 0);
        assert_true(uc.rx_datagrams > 0);
        assert_int_equal(uc.tx_errors, 0);
        /* Per peer: what a sent to b, b accepted from a (b keeps sending
         * meanwhile: compare a's view with a's global counters). Bytes
         * are whole messages; ACKs count as datagrams, not heartbeats. */
        assert_int_equal(hb_uv_node_peer_counters(a.un, 2, &pa), 0);
        assert_int_equal(hb_uv_node_peer_counters(b.un, 1, &pb), 0);
        assert_int_equal(pa.tx_heartbeats, uc.tx_by_type[HB_MSG_HEARTBEAT]);
        assert_true(pa.tx_bytes >= pa.tx_datagrams * 20);
        assert_true(pa.rx_heartbeats > 0);
        assert_true(pa.rx_datagrams > pa.rx_heartbeats);      /* + ACKs */
        assert_true(pa.rx_bytes >= pa.rx_datagrams * 20);
        assert_true(pb.rx_heartbeats > 0 &&
                    pb.rx_heartbeats <= pa.tx_heartbeats);
        assert_int_equal(hb_uv_node_peer_counters(a.un, 9, &pa), -ENOENT);
        assert_int_equal(hb_uv_node_peer_counters(NULL, 2, &pa), -EINVAL);

        /* b's process "exits": its socket closes, a's next heartbeat
         * bounces, a declares it dead at once (port unreachable). */
        hb_uv_node_close(b.un, NULL, NULL);
        assert_true(run_until(&loop, sees_dead, &a, 3000));
        assert_int_equal(a.reason, HB_REASON_PORT_UNREACHABLE);
        hb_uv_node_counters(a.un, &uc);
        assert_true(uc.unreachable >= 1);
        hb_uv_node_close(a.un, NULL, NULL);
        close_loop(&loop);
}

static bool done_flag(void *arg)
{
        return *(bool *)arg;
}

static void set_flag(void *arg)
{
        *(bool *)arg = true;
}

static void test_leave_mute_and_addresses(void **state)
{
        uv_loop_t loop;
        side_t a = { 0 }, b = { 0 }, c = { 0 };
        hb_uv_counters_t uc;
        bool left = false;

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(start(&loop, &a, 1), 0);
        assert_int_equal(start(&loop, &b, 2), 0);
        assert_int_equal(start(&loop, &c, 3), 0);
        /* a knows b only without an address first: nothing goes to it. */
        assert_int_equal(hb_uv_node_peer_add(a.un, 2, NULL), 0);
        assert_int_equal(hb_uv_node_peer_add(b.un, 1,
                                             (struct sockaddr *)&a.addr), 0);
        assert_true(run_until(&loop, sees_alive, &a, 3000));
        assert_int_equal(b.accepted, 0);
        assert_int_equal(hb_uv_node_peer_set_address(
                                 a.un, 2, (struct sockaddr *)&b.addr), 0);
        assert_int_equal(hb_uv_node_peer_set_address(a.un, 9, NULL), -ENOENT);
        assert_true(run_until(&loop, sees_alive, &b, 3000));

        /* b leaves: a sees `left`, and b's done callback runs. */
        assert_int_equal(hb_uv_node_leave(b.un, set_flag, &left), 0);
        assert_int_equal(hb_uv_node_leave(b.un, set_flag, &left), -EALREADY);
        assert_true(run_until(&loop, done_flag, &left, 3000));
        assert_true(run_until(&loop, sees_left, &a, 3000));
        hb_uv_node_close(b.un, NULL, NULL);

        /* A muted node sends nothing more: c never sees a. */
        assert_int_equal(hb_uv_node_peer_add(c.un, 1,
                                             (struct sockaddr *)&a.addr), 0);
        assert_int_equal(hb_uv_node_peer_add(a.un, 3,
                                             (struct sockaddr *)&c.addr), 0);
        hb_uv_node_mute(a.un);
        hb_uv_node_counters(a.un, &uc);
        assert_false(run_until(&loop, sees_alive, &c, 300));
        {
                hb_uv_counters_t after;

                hb_uv_node_counters(a.un, &after);
                assert_int_equal(after.tx_datagrams, uc.tx_datagrams);
        }
        assert_int_equal(hb_uv_node_peer_remove(a.un, 3), 0);
        assert_int_equal(hb_uv_node_peer_remove(a.un, 3), -ENOENT);
        hb_uv_node_close(a.un, NULL, NULL);
        hb_uv_node_close(c.un, NULL, NULL);
        close_loop(&loop);
}

/* Every allocation of hb_uv_node_new() fails in turn, the node's and the
 * adapter's (through the allocator hook): a clean error, nothing left on
 * the loop. */
/* ---- gossip (docs/gossip.md, "Addresses in the driver", "Trust") ---- */

/* A port free on 127.0.0.1 now (the gossip address is configured before
 * the socket is bound). */
static uint16_t free_port(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_DGRAM, 0);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        close(fd);
        return ntohs(a.sin_port);
}

static int start_gossip(uv_loop_t *loop, side_t *s, uint32_t id)
{
        struct sockaddr_in me = { .sin_family = AF_INET };
        hb_node_config_t c = config(id);
        hb_uv_options_t opt;

        me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        me.sin_port = htons(free_port());
        c.topology = HB_TOPOLOGY_GOSSIP;
        c.gossip.addr_len = (uint8_t)hb_uv_gossip_addr_encode(
                (const struct sockaddr *)&me, c.gossip.addr);
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&me;
        opt.event = on_event;
        opt.io = on_io;
        opt.user = s;
        memcpy(&s->addr, &me, sizeof(me));
        return hb_uv_node_new(&s->un, loop, &c, &opt);
}

static bool b_knows_c(void *arg)
{
        side_t *b = arg;
        hb_peer_info_t pi;
        hb_uv_counters_t uc;

        hb_uv_node_counters(b->un, &uc);
        return hb_node_peer_info(hb_uv_node_core(b->un), 3, uv_hrtime(),
                                 &pi) == 0 &&
               pi.state == HB_PEER_ALIVE && uc.learned_members > 0;
}

static bool got_bad_source(void *arg)
{
        return ((side_t *)arg)->bad_source > 0;
}

static void test_gossip_addresses(void **state)
{
        uv_loop_t loop;
        side_t a = { 0 }, b = { 0 }, c = { 0 };
        struct sockaddr_storage ss;
        struct sockaddr_in wrong;
        uint8_t enc[HB_UV_GOSSIP_ADDR_LEN];

        (void)state;
        /* The address encoding round trip, and its refusals. */
        assert_int_equal(hb_uv_gossip_addr_encode(
                                 (const struct sockaddr *)&a.addr, enc),
                         -EINVAL);
        assert_int_equal(hb_uv_gossip_addr_decode(enc, 17, &ss), -EINVAL);

        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(start_gossip(&loop, &a, 1), 0);
        assert_int_equal(start_gossip(&loop, &b, 2), 0);
        assert_int_equal(start_gossip(&loop, &c, 3), 0);
        assert_int_equal(hb_uv_gossip_addr_encode(
                                 (const struct sockaddr *)&c.addr, enc),
                         HB_UV_GOSSIP_ADDR_LEN);
        assert_int_equal(hb_uv_gossip_addr_decode(enc, sizeof(enc), &ss),
                         0);
        assert_memory_equal(&ss, &c.addr, sizeof(struct sockaddr_in));
        /* a and b know each other; c knows only a (its seed). b must
         * learn c by gossip and send to the address c advertised. */
        assert_int_equal(hb_uv_node_peer_add(a.un, 2,
                                             (struct sockaddr *)&b.addr), 0);
        assert_int_equal(hb_uv_node_peer_add(b.un, 1,
                                             (struct sockaddr *)&a.addr), 0);
        assert_int_equal(hb_uv_node_peer_add(c.un, 1,
                                             (struct sockaddr *)&a.addr), 0);
        assert_true(run_until(&loop, b_knows_c, &b, 5000));
        assert_int_equal(hb_uv_node_member_address(b.un, 3, &ss), 0);
        assert_memory_equal(&ss, &c.addr, sizeof(struct sockaddr_in));
        assert_int_equal(hb_uv_node_member_address(b.un, 1, &ss), 0);
        assert_memory_equal(&ss, &a.addr, sizeof(struct sockaddr_in));
        assert_int_equal(hb_uv_node_member_address(b.un, 9, &ss), -ENOENT);
        /* c, learned at b, is admitted from its address: no drop. */
        assert_int_equal(b.bad_source, 0);
        hb_uv_node_close(c.un, NULL, NULL);

        /* The source check still holds for a configured member: a
         * configured at 127.0.0.2 drops what b sends from 127.0.0.1. */
        memcpy(&wrong, &b.addr, sizeof(wrong));
        wrong.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
        assert_int_equal(hb_uv_node_peer_set_address(
                                 a.un, 2, (struct sockaddr *)&wrong), 0);
        assert_true(run_until(&loop, got_bad_source, &a, 5000));
        hb_uv_node_close(a.un, NULL, NULL);
        hb_uv_node_close(b.un, NULL, NULL);
        close_loop(&loop);
}

static void test_alloc_failures(void **state)
{
        uv_loop_t loop;
        long n;

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        for (n = 0;; n++) {
                side_t s = { 0 };
                int r;

                failalloc_after(n);
                r = start(&loop, &s, 1);
                failalloc_after(-1);
                if (r == 0) {
                        hb_uv_node_close(s.un, NULL, NULL);
                        break;
                }
                assert_int_equal(r, -ENOMEM);
                uv_run(&loop, UV_RUN_NOWAIT);
        }
        assert_true(n >= 4); /* adapter, udp, its buffer, the node's */
        close_loop(&loop);
}

static void test_arguments(void **state)
{
        uv_loop_t loop;
        hb_node_config_t c = config(1);
        hb_uv_options_t opt;
        hb_uv_node_t *un = (hb_uv_node_t *)0x1;
        struct sockaddr_in sin = { .sin_family = AF_INET };

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        hb_uv_options_init(&opt);
        assert_int_equal(opt.size, sizeof(opt));
        assert_int_equal(hb_uv_node_new(&un, &loop, &c, &opt), -EINVAL);
        opt.bind = (const struct sockaddr *)&sin;
        opt.size = sizeof(opt) - 1;
        assert_int_equal(hb_uv_node_new(&un, &loop, &c, &opt), -EINVAL);
        opt.size = sizeof(opt);
        c.node_id = 0;
        assert_int_equal(hb_uv_node_new(&un, &loop, &c, &opt), -EINVAL);
        assert_ptr_equal(un, (hb_uv_node_t *)0x1); /* untouched */
        hb_uv_node_close(NULL, NULL, NULL);
        hb_uv_node_flush(NULL);
        assert_null(hb_uv_node_core(NULL));
        close_loop(&loop);
}


/* ---- redundant links (docs/links.md) ---- */

typedef struct lside {
        side_t s;
        hb_link_state_t link_state[2]; /* of its peer's links */
        unsigned link_events;
        struct sockaddr_storage addr[2];
} lside_t;

static void on_link_event(void *user, const hb_event_t *ev)
{
        lside_t *l = user;

        on_event(&l->s, ev);
        if (ev->type == HB_EVENT_LINK && ev->link < 2) {
                l->link_state[ev->link] = ev->new_link_state;
                l->link_events++;
        }
}

/* A node with two links, both on 127.0.0.1 (ports from the kernel). */
static int start_links(uv_loop_t *loop, lside_t *l, uint32_t id)
{
        struct sockaddr_in any = { .sin_family = AF_INET };
        hb_node_config_t c = config(id);
        hb_uv_options_t opt;
        int r;

        c.n_links = 2;
        any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&any;
        opt.n_links = 2;
        opt.link_bind[1] = (const struct sockaddr *)&any;
        opt.event = on_link_event;
        opt.io = on_io;
        opt.user = l;
        r = hb_uv_node_new(&l->s.un, loop, &c, &opt);
        if (r == 0) {
                assert_int_equal(hb_uv_node_link_sockname(l->s.un, 0,
                                                          &l->addr[0]), 0);
                assert_int_equal(hb_uv_node_link_sockname(l->s.un, 1,
                                                          &l->addr[1]), 0);
                assert_int_equal(hb_uv_node_link_sockname(l->s.un, 2,
                                                          &l->addr[1]),
                                 -EINVAL);
        }
        return r;
}

static bool both_links_up(void *arg)
{
        lside_t *l = arg;

        return l->link_state[0] == HB_LINK_UP &&
               l->link_state[1] == HB_LINK_UP;
}

static bool link1_down(void *arg)
{
        return ((lside_t *)arg)->link_state[1] == HB_LINK_DOWN;
}

static bool rtt_on_both(void *arg)
{
        lside_t *l = arg;
        hb_link_info_t l0, l1;
        hb_node_t *n = hb_uv_node_core(l->s.un);

        return hb_node_peer_link_info(n, 2, 0, uv_hrtime(), &l0) == 0 &&
               hb_node_peer_link_info(n, 2, 1, uv_hrtime(), &l1) == 0 &&
               l0.rtt_samples > 0 && l1.rtt_samples > 0;
}

/* Two nodes on two links: both links up, an RTT on each; a's link 1 to
 * b stops (no address): b reports that link down and a alive; b closes:
 * port unreachable on each link, a reports b dead only once both are. */
static void test_links_pair(void **state)
{
        uv_loop_t loop;
        lside_t a = { 0 }, b = { 0 };

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(start_links(&loop, &a, 1), 0);
        assert_int_equal(start_links(&loop, &b, 2), 0);
        assert_int_equal(hb_uv_node_peer_add(a.s.un, 2,
                                             (struct sockaddr *)&b.addr[0]),
                         0);
        assert_int_equal(hb_uv_node_peer_set_link_address(
                                 a.s.un, 2, 1, (struct sockaddr *)&b.addr[1]),
                         0);
        assert_int_equal(hb_uv_node_peer_set_link_address(
                                 a.s.un, 2, 2, (struct sockaddr *)&b.addr[1]),
                         -ENOENT);
        assert_int_equal(hb_uv_node_peer_add(b.s.un, 1,
                                             (struct sockaddr *)&a.addr[0]),
                         0);
        assert_int_equal(hb_uv_node_peer_set_link_address(
                                 b.s.un, 1, 1, (struct sockaddr *)&a.addr[1]),
                         0);
        assert_true(run_until(&loop, both_links_up, &a, 3000));
        assert_true(run_until(&loop, both_links_up, &b, 3000));
        assert_true(run_until(&loop, rtt_on_both, &a, 3000));
        assert_int_equal(a.s.peer_state, HB_PEER_ALIVE);

        /* a stops sending to b on link 1. */
        assert_int_equal(hb_uv_node_peer_set_link_address(a.s.un, 2, 1,
                                                          NULL), 0);
        assert_true(run_until(&loop, link1_down, &b, 3000));
        assert_int_equal(b.s.peer_state, HB_PEER_ALIVE);
        assert_int_equal(b.link_state[0], HB_LINK_UP);
        assert_int_equal(hb_node_peer_link(hb_uv_node_core(b.s.un), 1), 0);

        /* b exits: a's heartbeats bounce on both links. */
        assert_int_equal(hb_uv_node_peer_set_link_address(
                                 a.s.un, 2, 1, (struct sockaddr *)&b.addr[1]),
                         0);
        hb_uv_node_close(b.s.un, NULL, NULL);
        assert_true(run_until(&loop, sees_dead, &a.s, 3000));
        assert_int_equal(a.s.reason, HB_REASON_PORT_UNREACHABLE);
        assert_int_equal(a.link_state[0], HB_LINK_DOWN);
        assert_int_equal(a.link_state[1], HB_LINK_DOWN);
        hb_uv_node_close(a.s.un, NULL, NULL);
        close_loop(&loop);
}

/* ---- the disk link (docs/links.md, "Disk link") ---- */

/* A node whose link 0 is UDP (peers get no address there: it carries
 * nothing) and link 1 the file `dev`, `slots` slots of 512 bytes. */
static int start_disk(uv_loop_t *loop, lside_t *l, uint32_t id,
                      const char *dev, uint32_t slots, bool disk0)
{
        struct sockaddr_in any = { .sin_family = AF_INET };
        hb_node_config_t c = config(id);
        hb_uv_options_t opt;

        c.n_links = 2;
        any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&any;
        opt.n_links = 2;
        opt.link_disk[disk0 ? 0 : 1] = dev;
        opt.link_disk_slots[1] = slots;
        opt.event = on_link_event;
        opt.io = on_io;
        opt.user = l;
        return hb_uv_node_new(&l->s.un, loop, &c, &opt);
}

/* A slot with the magic and 10 bytes that are no message. */
static void forge_slot(const char *dev, long slot)
{
        static const uint8_t junk[18] = { 'H', 'B', 'D', 'K', 0, 10,
                                          0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        FILE *f = fopen(dev, "r+b");

        assert_non_null(f);
        assert_int_equal(fseek(f, slot * 512, SEEK_SET), 0);
        assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
        assert_int_equal(fclose(f), 0);
}

static bool dropped_one(void *arg)
{
        return ((lside_t *)arg)->s.dropped > 0;
}

static bool disk_link_up(void *arg)
{
        lside_t *l = arg;

        return l->link_state[1] == HB_LINK_UP &&
               l->s.peer_state == HB_PEER_ALIVE;
}

/* Two nodes that share only a file: each sees the other alive with link
 * 1 up (link 0 never heard); the slots hold "HBDK" at 0 and 512; a slot
 * forged before the start is never read as a message (the first read
 * only records), one forged later is dropped by the core and changes
 * nothing; b closes: a sees it dead (nothing else tells it). Bad options
 * refused. */
static void test_disk_pair(void **state)
{
        static const uint8_t zero[16 * 512];
        char dir[] = "/tmp/hb-disk-XXXXXX", dev[64], buf[4];
        uv_loop_t loop;
        lside_t a = { 0 }, b = { 0 }, x = { 0 };
        FILE *f;

        (void)state;
        /* /tmp: O_DIRECT where the file system has it, else the
         * O_DSYNC fallback; both are the link's job. */
        assert_non_null(mkdtemp(dir));
        snprintf(dev, sizeof(dev), "%s/dev.img", dir);
        f = fopen(dev, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(zero, 1, sizeof(zero), f), sizeof(zero));
        assert_int_equal(fclose(f), 0);
        forge_slot(dev, 2);
        assert_int_equal(uv_loop_init(&loop), 0);

        /* Link 0 cannot be a disk; an id beyond the slots; no file. */
        assert_int_equal(start_disk(&loop, &x, 1, dev, 16, true), -EINVAL);
        assert_int_equal(start_disk(&loop, &x, 17, dev, 16, false), -EINVAL);
        assert_int_equal(start_disk(&loop, &x, 1, "/nonexistent/dev", 16,
                                    false), UV_ENOENT);

        assert_int_equal(start_disk(&loop, &a, 1, dev, 16, false), 0);
        assert_int_equal(start_disk(&loop, &b, 2, dev, 16, false), 0);
        assert_int_equal(hb_uv_node_peer_add(a.s.un, 2, NULL), 0);
        assert_int_equal(hb_uv_node_peer_add(b.s.un, 1, NULL), 0);
        /* A disk link takes no address (ignored, not an error). */
        assert_int_equal(hb_uv_node_peer_set_link_address(
                                 a.s.un, 2, 1, (struct sockaddr *)&b.addr[0]),
                         0);
        assert_int_equal(hb_uv_node_link_sockname(a.s.un, 1, &a.addr[1]),
                         -ENOTSUP);
        assert_true(run_until(&loop, disk_link_up, &a, 3000));
        assert_true(run_until(&loop, disk_link_up, &b, 3000));
        assert_int_not_equal(a.link_state[0], HB_LINK_UP);
        f = fopen(dev, "rb");
        assert_non_null(f);
        assert_int_equal(fread(buf, 1, 4, f), 4);
        assert_memory_equal(buf, "HBDK", 4);
        assert_int_equal(fseek(f, 512, SEEK_SET), 0);
        assert_int_equal(fread(buf, 1, 4, f), 4);
        assert_memory_equal(buf, "HBDK", 4);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(a.s.dropped, 0);
        assert_int_equal(b.s.dropped, 0);

        forge_slot(dev, 3);
        assert_true(run_until(&loop, dropped_one, &a, 3000));
        assert_true(run_until(&loop, dropped_one, &b, 3000));
        assert_int_equal(a.s.dropped, 1);
        assert_int_equal(a.s.peer_state, HB_PEER_ALIVE);
        assert_int_equal(a.link_state[1], HB_LINK_UP);

        hb_uv_node_close(b.s.un, NULL, NULL);
        assert_true(run_until(&loop, sees_dead, &a.s, 3000));
        assert_int_equal(a.link_state[1], HB_LINK_DOWN);
        hb_uv_node_close(a.s.un, NULL, NULL);
        close_loop(&loop);
        assert_int_equal(unlink(dev), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pair),
                cmocka_unit_test(test_links_pair),
                cmocka_unit_test(test_disk_pair),
                cmocka_unit_test(test_leave_mute_and_addresses),
                cmocka_unit_test(test_gossip_addresses),
                cmocka_unit_test(test_alloc_failures),
                cmocka_unit_test(test_arguments),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
