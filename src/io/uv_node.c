/* SPDX-License-Identifier: MIT */
/*
 * DOC: uv_node — a libhbeat node on a libuv loop (include/hbeat/uv.h).
 *
 * The node's whole conversation with the world, and nothing else: one UDP
 * socket per link (udp.c; a multicast or broadcast link has a second one,
 * bound to its group: see open_group()), one timer at the node's next
 * deadline, the deferred tick,
 * the output queue drained to addresses, ICMP port unreachable mapped to a
 * peer. hbeatd is one user of it; docs/embedding.md shows another. What
 * the node decides — schedules, detectors, the local-pause guard, votes —
 * is the core's (src/core): this file only feeds it real time and real
 * packets, as the simulator feeds it virtual ones.
 *
 * Timers. libuv timers have millisecond resolution and run against the
 * loop's cached clock, which on Linux is CLOCK_MONOTONIC in ms (possibly
 * the coarse variant, which lags by at most a tick). The core works in
 * CLOCK_MONOTONIC ns (uv_hrtime()). ms_until() turns an absolute core time
 * into a timer delay by rounding the target UP to the next ms on the
 * loop's own clock, so the timer never fires before its target; it only
 * fires up to a clock tick late, which the core tolerates ("calling tick
 * later delays transitions"). The timer is re-armed after every batch of
 * datagrams, every tick and every flush; it is left alone when the core's
 * next deadline did not change and the timer is still pending.
 *
 * The deferred tick. When the timer fires, datagrams may be waiting in the
 * socket: libuv runs timers before it polls for I/O, and after this process
 * was stopped (SIGSTOP, a VM pause, swapping) every peer would look silent
 * although their heartbeats sit in the receive buffer. So the tick runs in
 * the check phase of the same loop iteration, right after a poll made
 * non-blocking by an idle handle: waiting heartbeats are read first (and
 * the first of them lets the core find its own pause). Cost: one extra
 * zero-timeout poll per deadline.
 *
 * Draining. After every datagram the output queue is drained, so an ACK
 * (HB_DEST_REPLY) goes to the source address of the datagram that caused
 * it. Calls into the core made from inside the node's event callback (a
 * flush asked for there) are not re-entered: the drain happens when the
 * adapter's own call returns.
 *
 * Disk links (disk_link.c, docs/links.md "Disk link"): a link k > 0 may
 * be a shared device instead of a socket. A heartbeat or leave for
 * HB_DEST_ALL is written into this node's slot (one copy for every peer);
 * a slot of another node that changed is fed to the core as a datagram on
 * link k with no source address (the source check does not apply; the
 * key and the replay check do). Peers have no address on a disk link, so
 * unicast messages (acks, votes) always take a network link.
 *
 * Serial links (serial_link.c, docs/links.md "Serial link") work the same
 * way over a point-to-point tty: a message for HB_DEST_ALL is written
 * once as a frame; each frame read is fed as a datagram with no source
 * address.
 *
 * Lifetime: the adapter's three handles (timer, idle, check) are embedded
 * in it and it is freed, with the node, from the last of their close
 * callbacks; the socket frees itself (udp.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include "hbeat/uv.h"
#include "io/disk_link.h"
#include "io/mem.h"
#include "io/serial_link.h"
#include "io/udp.h"

typedef struct peer_addr {
        uint32_t id;
        bool has_addr[HB_LINKS_MAX];   /* per link */
        bool learned;                  /* gossip: a member not added by
                                          hb_uv_node_peer_add(); its
                                          address is the core's (the one
                                          it advertised), re-read at
                                          every send */
        struct sockaddr_storage addr[HB_LINKS_MAX];
        hb_uv_peer_counters_t counters;
} peer_addr_t;

typedef struct hb_uv_node hb_uv_node_t;

/* What a link's socket callbacks are given: the adapter and the link. */
typedef struct link_ctx {
        hb_uv_node_t *un;
        uint32_t link;
} link_ctx_t;

struct hb_uv_node {
        uv_loop_t *loop;
        hb_node_t *node;
        hb__udp_t *udp[HB_LINKS_MAX];  /* one socket per link (NULL for
                                          a disk link) */
        hb__disk_t *disk[HB_LINKS_MAX]; /* a disk link's device */
        hb__serial_t *serial[HB_LINKS_MAX]; /* a serial link's tty */
        /* Multicast and broadcast links: the socket bound to the group
         * (or broadcast) address that receives the group's traffic, the
         * address heartbeats go to, and this node's own address on the
         * link (its looped-back broadcasts are not read). */
        hb__udp_t *gudp[HB_LINKS_MAX];
        struct sockaddr_storage group[HB_LINKS_MAX];
        struct sockaddr_storage self[HB_LINKS_MAX];
        link_ctx_t lctx[HB_LINKS_MAX];
        uint32_t n_links;
        hb_uv_options_t opt;

        peer_addr_t *peers;            /* sorted by id */
        size_t n_peers, cap_peers;

        uv_timer_t timer;              /* the node's deadline; 1 ms leave
                                          resend while leaving */
        uv_idle_t idle;                /* deferred tick: see above */
        uv_check_t check;
        uint64_t armed_ns;             /* what `timer` is set for */
        bool tick_pending;

        const struct sockaddr *from;   /* source of the datagram in
                                          hb_node_recv(), for REPLY */
        uint32_t from_link;            /* ... and the link it came on */
        unsigned in_core;              /* depth of the adapter's calls
                                          into the node */
        bool muted;
        bool leaving;
        bool closing;
        uint8_t leave_buf[HB_OUTPUT_MAX_LEN];
        size_t leave_len;
        void (*leave_done)(void *arg);
        void *leave_arg;
        void (*closed)(void *arg);
        void *closed_arg;
        int handles;                   /* embedded handles still open */

        hb_uv_counters_t counters;
        hb_uv_stream_cb stream;        /* hb_uv_node_set_stream() */
        void *stream_user;
};

void hb_uv_options_init(hb_uv_options_t *opt)
{
        if (!opt)
                return;
        memset(opt, 0, sizeof(*opt));
        opt->size = sizeof(*opt);
        opt->rcvbuf = HB_UV_RCVBUF_DEFAULT;
        opt->port_unreachable = true;
}

/* ---- addresses ------------------------------------------------------ */

static bool addr_ok(const struct sockaddr *a)
{
        return a->sa_family == AF_INET || a->sa_family == AF_INET6;
}

static socklen_t addr_len(const struct sockaddr *a)
{
        return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                        : sizeof(struct sockaddr_in);
}

static bool addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
        if (a->sa_family != b->sa_family)
                return false;
        if (a->sa_family == AF_INET) {
                const struct sockaddr_in *x = (const void *)a;
                const struct sockaddr_in *y = (const void *)b;

                return x->sin_port == y->sin_port &&
                       x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        if (a->sa_family == AF_INET6) {
                const struct sockaddr_in6 *x = (const void *)a;
                const struct sockaddr_in6 *y = (const void *)b;

                return x->sin6_port == y->sin6_port &&
                       x->sin6_scope_id == y->sin6_scope_id &&
                       memcmp(&x->sin6_addr, &y->sin6_addr,
                              sizeof(x->sin6_addr)) == 0;
        }
        return false;
}

/* Index of the first entry with id >= `id`. */
static size_t peer_lower(const hb_uv_node_t *un, uint32_t id)
{
        size_t lo = 0, hi = un->n_peers;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (un->peers[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static peer_addr_t *peer_find(const hb_uv_node_t *un, uint32_t id)
{
        size_t i = peer_lower(un, id);

        return i < un->n_peers && un->peers[i].id == id ? &un->peers[i]
                                                        : NULL;
}

/* Tell the core a configured gossip member's address (no-op in a
 * mesh), so that it passes it on in digests. */
static int member_set_addr_sa(hb_uv_node_t *un, uint32_t id,
                                      const struct sockaddr *addr)
{
        uint8_t a[HB_UV_GOSSIP_ADDR_LEN];

        if (hb_node_config(un->node)->topology != HB_TOPOLOGY_GOSSIP ||
            hb_uv_gossip_addr_encode(addr, a) < 0)
                return 0;
        return hb_node_member_set_addr(un->node, id, a, sizeof(a));
}

static void set_addr(peer_addr_t *p, uint32_t link,
                     const struct sockaddr *addr)
{
        memset(&p->addr[link], 0, sizeof(p->addr[link]));
        p->has_addr[link] = addr != NULL;
        if (addr)
                memcpy(&p->addr[link], addr, addr_len(addr));
}

static const struct sockaddr *addr_of(const peer_addr_t *p, uint32_t link)
{
        return (const struct sockaddr *)&p->addr[link];
}

/* ---- gossip members' addresses --------------------------------------- */

int hb_uv_gossip_addr_encode(const struct sockaddr *sa,
                             uint8_t out[HB_UV_GOSSIP_ADDR_LEN])
{
        const struct sockaddr_in6 *s6 = (const void *)sa;
        const struct sockaddr_in *s4 = (const void *)sa;
        uint16_t port;

        if (!sa || !out)
                return -EINVAL;
        memset(out, 0, HB_UV_GOSSIP_ADDR_LEN);
        if (sa->sa_family == AF_INET6) {
                memcpy(out, &s6->sin6_addr, 16);
                port = ntohs(s6->sin6_port);
        } else if (sa->sa_family == AF_INET) {
                out[10] = out[11] = 0xff;
                memcpy(&out[12], &s4->sin_addr, 4);
                port = ntohs(s4->sin_port);
        } else {
                return -EINVAL;
        }
        out[16] = (uint8_t)(port >> 8);
        out[17] = (uint8_t)port;
        return HB_UV_GOSSIP_ADDR_LEN;
}

int hb_uv_gossip_addr_decode(const uint8_t *in, size_t len,
                             struct sockaddr_storage *out)
{
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0xff, 0xff };
        uint16_t port;

        if (!in || !out || len != HB_UV_GOSSIP_ADDR_LEN)
                return -EINVAL;
        port = (uint16_t)(in[16] << 8 | in[17]);
        if (port == 0)
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        if (memcmp(in, mapped, sizeof(mapped)) == 0) {
                struct sockaddr_in *s4 = (void *)out;

                s4->sin_family = AF_INET;
                memcpy(&s4->sin_addr, &in[12], 4);
                s4->sin_port = htons(port);
        } else {
                struct sockaddr_in6 *s6 = (void *)out;

                s6->sin6_family = AF_INET6;
                memcpy(&s6->sin6_addr, in, 16);
                s6->sin6_port = htons(port);
        }
        return 0;
}

/* The address member `id` advertised, from the core; false if none. */
static bool member_addr(const hb_uv_node_t *un, uint32_t id,
                        struct sockaddr_storage *out)
{
        uint8_t a[HB_GOSSIP_ADDR_MAX];
        int n;

        if (hb_node_config(un->node)->topology != HB_TOPOLOGY_GOSSIP)
                return false;
        n = hb_node_member_addr(un->node, id, a, sizeof(a));
        return n > 0 && hb_uv_gossip_addr_decode(a, (size_t)n, out) == 0;
}

static void set_addr(peer_addr_t *p, uint32_t link,
                     const struct sockaddr *addr);

/*
 * The table entry of gossip member `id` with its latest advertised
 * address: a learned member gets one the first time a message goes to
 * it; its address is re-read from the core every time (a member that
 * restarts elsewhere advertises its new address in its alive update).
 * Configured peers keep their configured address. NULL: no address.
 */
static peer_addr_t *learned_find(hb_uv_node_t *un, uint32_t id)
{
        struct sockaddr_storage ss;
        peer_addr_t *p = peer_find(un, id);
        size_t i;

        if (p != NULL && !p->learned)
                return p;
        if (!member_addr(un, id, &ss))
                return p;
        if (p == NULL) {
                if (un->n_peers == un->cap_peers) {
                        size_t cap = un->cap_peers ? 2 * un->cap_peers : 8;

                        p = hb__io_realloc(un->peers, cap * sizeof(*p));
                        if (!p)
                                return NULL;
                        un->peers = p;
                        un->cap_peers = cap;
                }
                i = peer_lower(un, id);
                memmove(&un->peers[i + 1], &un->peers[i],
                        (un->n_peers - i) * sizeof(*un->peers));
                un->n_peers++;
                p = &un->peers[i];
                memset(p, 0, sizeof(*p));
                p->id = id;
                p->learned = true;
                un->counters.learned_members++;
        }
        set_addr(p, 0, (const struct sockaddr *)&ss);
        return p;
}

int hb_uv_node_member_address(const hb_uv_node_t *un, uint32_t id,
                              struct sockaddr_storage *out)
{
        const peer_addr_t *p;

        if (!un || !out)
                return -EINVAL;
        p = peer_find(un, id);
        if (p != NULL && !p->learned) {
                if (!p->has_addr[0])
                        return -ENOENT;
                memcpy(out, &p->addr[0], sizeof(*out));
                return 0;
        }
        return member_addr(un, id, out) ? 0 : -ENOENT;
}

/* ---- sending ------------------------------------------------------- */

static void io_event(hb_uv_node_t *un, hb_uv_io_type_t type, int err,
                     const hb_recv_info_t *info, const hb_output_t *out,
                     const struct sockaddr *addr, uint64_t now_ns)
{
        hb_uv_io_t io;

        if (!un->opt.io || un->closing)
                return;
        io.type = type;
        io.now_ns = now_ns;
        io.err = err;
        io.info = info;
        io.out = out;
        io.addr = addr;
        un->opt.io(un->opt.user, &io);
}

/* Send to `to` on link `link`, the address of peer `p` (NULL: not
 * known). */
static int send_to(hb_uv_node_t *un, peer_addr_t *p, uint32_t link,
                   const hb_output_t *out, const uint8_t *buf, size_t len,
                   const struct sockaddr *to)
{
        int r = hb__udp_send(un->udp[link], buf, len, to);

        if (r == 0) {
                un->counters.tx_datagrams++;
                un->counters.tx_by_type[out->type & 7]++;
                if (p != NULL) {
                        p->counters.tx_datagrams++;
                        p->counters.tx_bytes += len;
                        if (out->type == HB_MSG_HEARTBEAT)
                                p->counters.tx_heartbeats++;
                }
                return 0;
        }
        if (r == UV_EAGAIN)
                un->counters.tx_eagain++;
        else
                un->counters.tx_errors++;
        un->counters.tx_failed_by_type[out->type & 7]++;
        io_event(un, HB_UV_IO_SEND_FAILED, r, NULL, out, to, uv_hrtime());
        return r;
}

static void send_all(hb_uv_node_t *un, const hb_output_t *out,
                     const uint8_t *buf, size_t len)
{
        size_t i;
        uint32_t k;

        /* The same bytes on every link: the receiver's per-link replay
         * state takes each copy once (docs/links.md). */
        for (k = 0; k < un->n_links; k++) {
                if (un->disk[k] != NULL) {
                        /* Our slot holds our latest heartbeat (or
                         * leave); one copy for every peer. */
                        if (hb__disk_write(un->disk[k], buf, len) == 0) {
                                un->counters.tx_datagrams++;
                                un->counters.tx_by_type[out->type & 7]++;
                        }
                        continue;
                }
                if (un->serial[k] != NULL) {
                        /* One frame for the one peer on the cable. */
                        if (hb__serial_write(un->serial[k], buf, len) == 0) {
                                un->counters.tx_datagrams++;
                                un->counters.tx_by_type[out->type & 7]++;
                        } else {
                                un->counters.tx_failed_by_type[out->type &
                                                               7]++;
                        }
                        continue;
                }
                if (un->gudp[k] != NULL) {
                        /* Multicast or broadcast: once for all peers. */
                        if (send_to(un, NULL, k, out, buf, len,
                                    (const struct sockaddr *)&un->group[k]) ==
                            0)
                                un->counters.tx_group++;
                        continue;
                }
                for (i = 0; i < un->n_peers; i++)
                        if (un->peers[i].has_addr[k] &&
                            !un->peers[i].learned)
                                send_to(un, &un->peers[i], k, out, buf, len,
                                        addr_of(&un->peers[i], k));
        }
}

/* The link for a message to peer `p` alone: the node's choice (the first
 * live link), else any link on which it has an address; -1 if none. */
static int peer_link(const hb_uv_node_t *un, const peer_addr_t *p)
{
        uint32_t k = hb_node_peer_link(un->node, p->id);

        if (k < un->n_links && p->has_addr[k])
                return (int)k;
        for (k = 0; k < un->n_links; k++)
                if (p->has_addr[k])
                        return (int)k;
        return -1;
}

/* Send everything the node queued (dropped when muted). */
static void drain(hb_uv_node_t *un)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;
        bool beat_sent = false;
        int len, k;

        if (un->in_core > 0 || un->node == NULL)
                return;
        while ((len = hb_node_poll_output(un->node, &out, buf,
                                          sizeof(buf))) > 0) {
                peer_addr_t *p;

                if (un->muted || un->closing)
                        continue;
                if (out.dest == HB_DEST_ALL) {
                        send_all(un, &out, buf, (size_t)len);
                        if (out.type == HB_MSG_HEARTBEAT)
                                io_event(un, HB_UV_IO_HEARTBEAT_SENT, 0, NULL,
                                         &out, NULL, uv_hrtime());
                        continue;
                }
                p = peer_find(un, out.peer_id);
                if (out.dest == HB_DEST_BEAT) {
                        /* A class's heartbeat for one peer
                         * (docs/classes.md): every unicast link with an
                         * address for it (hbeatd refuses classes with
                         * shared links). */
                        for (k = 0; p != NULL && k < (int)un->n_links; k++)
                                if (p->has_addr[k] && un->disk[k] == NULL &&
                                    un->serial[k] == NULL &&
                                    un->gudp[k] == NULL)
                                        send_to(un, p, (uint32_t)k, &out, buf,
                                                (size_t)len,
                                                addr_of(p, (uint32_t)k));
                        if (p == NULL)
                                un->counters.tx_unaddressed++;
                        beat_sent = true;
                        continue;
                }
                if (out.dest == HB_DEST_REPLY && un->from != NULL) {
                        send_to(un, p, un->from_link, &out, buf, (size_t)len,
                                un->from);
                        continue;
                }
                if (out.dest == HB_DEST_PEER &&
                    (p == NULL || p->learned))
                        p = learned_find(un, out.peer_id);
                k = p != NULL ? peer_link(un, p) : -1;
                if (k < 0) {
                        un->counters.tx_unaddressed++;
                        continue;
                }
                if ((out.hints & HB_OUTPUT_RELIABLE) && un->stream != NULL &&
                    un->stream(un->stream_user, &out, buf, (size_t)len,
                               addr_of(p, (uint32_t)k))) {
                        un->counters.tx_streamed++;
                        continue;
                }
                send_to(un, p, (uint32_t)k, &out, buf, (size_t)len,
                        addr_of(p, (uint32_t)k));
        }
        if (beat_sent && !un->muted && !un->closing)
                io_event(un, HB_UV_IO_HEARTBEAT_SENT, 0, NULL, NULL, NULL,
                         uv_hrtime());
}

/* ---- the deadline timer ---------------------------------------------- */

/* Delay in ms for a uv timer that must not fire before `target_ns`. */
static uint64_t ms_until(uv_loop_t *loop, uint64_t target_ns)
{
        uint64_t now_ns, now_ms, target_ms;

        uv_update_time(loop);
        now_ms = uv_now(loop);
        now_ns = uv_hrtime();
        /* The loop clock and uv_hrtime() share CLOCK_MONOTONIC's epoch on
         * Linux; should that ever not hold, fall back to a relative
         * delay. */
        if (now_ms * HB_NS_PER_MS > now_ns + HB_NS_PER_S ||
            now_ms * HB_NS_PER_MS + HB_NS_PER_S < now_ns) {
                if (target_ns <= now_ns)
                        return 0;
                return (target_ns - now_ns + HB_NS_PER_MS - 1) / HB_NS_PER_MS;
        }
        target_ms = target_ns / HB_NS_PER_MS +
                    (target_ns % HB_NS_PER_MS != 0 ? 1 : 0);
        return target_ms > now_ms ? target_ms - now_ms : 0;
}

static void on_timer(uv_timer_t *t);

/* Re-arm the timer for the node's next deadline (see the top). */
static void arm(hb_uv_node_t *un)
{
        uint64_t dl;

        if (un->in_core > 0 || un->closing || un->leaving || un->muted ||
            un->tick_pending)
                return;
        dl = hb_node_next_deadline(un->node);
        if (dl == un->armed_ns &&
            (dl == HB_NEVER || uv_is_active((uv_handle_t *)&un->timer)))
                return;
        un->armed_ns = dl;
        if (dl == HB_NEVER) {
                uv_timer_stop(&un->timer);
                return;
        }
        /* uv_timer_start() fails only for a closing handle. */
        (void)uv_timer_start(&un->timer, on_timer, ms_until(un->loop, dl), 0);
}

static void flush(hb_uv_node_t *un)
{
        drain(un);
        arm(un);
}

void hb_uv_node_flush(hb_uv_node_t *un)
{
        if (un)
                flush(un);
}

static void tick(hb_uv_node_t *un)
{
        un->in_core++;
        hb_node_tick(un->node, uv_hrtime());
        un->in_core--;
        flush(un);
}

static void on_idle(uv_idle_t *h)
{
        (void)h;        /* only there to make the next poll non-blocking */
}

static void on_check(uv_check_t *h)
{
        hb_uv_node_t *un = h->data;

        uv_idle_stop(&un->idle);
        uv_check_stop(&un->check);
        un->tick_pending = false;
        if (un->closing || un->leaving || un->muted)
                return;
        tick(un);
}

static void on_timer(uv_timer_t *t)
{
        hb_uv_node_t *un = t->data;

        if (uv_idle_start(&un->idle, on_idle) < 0 ||
            uv_check_start(&un->check, on_check) < 0) {
                uv_idle_stop(&un->idle);
                tick(un);
                return;
        }
        un->tick_pending = true;
}

/* ---- receiving ------------------------------------------------------ */

static bool ip_equal(const struct sockaddr *a, const struct sockaddr *b);

/* The datagram being read, for hb_recv_source_t. */
struct rx_source {
        const hb_uv_node_t *un;
        const struct sockaddr *from;
        uint32_t link;
};

/*
 * Whether the datagram came from peer `id`'s address (review F8: a host
 * on the path must not keep a peer alive by relaying its heartbeats).
 * The same IP address (an IPv4 address and its IPv4-mapped form being
 * the same); the port is not compared: an attacker who can send from the
 * peer's address can choose the port too, and a NAT may change it. A
 * peer without an address cannot be checked.
 */
static bool from_peer(const void *ctx, uint32_t id)
{
        const struct rx_source *rx = ctx;
        const peer_addr_t *pa = peer_find(rx->un, id);

        /* Gossip: a learned member is admitted by the key alone
         * (docs/gossip.md, "Trust"). */
        if (pa == NULL || pa->learned || !pa->has_addr[rx->link] ||
            rx->from == NULL)
                return true;
        return addr_ok(rx->from) &&
               ip_equal(rx->from, addr_of(pa, rx->link));
}

/* This host's wall clock, ns since the epoch (0 if unreadable). */
static uint64_t wall_now_ns(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
                return 0;
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One datagram on link `link`; `from` is NULL on a disk link (no source
 * address: from_peer() then accepts, the key alone vouches for it).
 * `datagram` false: a stream's frame (hb_uv_node_recv_stream()), whose
 * replies go to the sender's address, not to `from`. Returns
 * hb_node_recv_link()'s. */
static int rx_one_ex(hb_uv_node_t *un, uint32_t link, const uint8_t *buf,
                     size_t len, const struct sockaddr *from,
                     bool datagram)
{
        struct rx_source rx = { un, from, link };
        const hb_recv_source_t source = { from_peer, &rx };
        hb_recv_info_t info;
        uint64_t now;
        int r;

        if (datagram)
                un->counters.rx_datagrams++;
        else
                un->counters.rx_streamed++;
        now = uv_hrtime();
        if (hb_node_config(un->node)->incarnation_ahead_max_ns != 0)
                hb_node_set_wall_clock(un->node, wall_now_ns());
        un->in_core++;
        r = hb_node_recv_link(un->node, now, link, buf, len, &source,
                              &info);
        un->in_core--;
        if (r == 0) {
                peer_addr_t *p = peer_find(un, info.sender_id);

                /* Gossip: a member that joins through this node is known
                 * by its first message, not yet where: until its own
                 * gossip says, answer it where it wrote from (so that a
                 * probe of it does not fail for want of an address). */
                if (p == NULL && from != NULL && addr_ok(from) &&
                    hb_node_config(un->node)->topology ==
                            HB_TOPOLOGY_GOSSIP &&
                    hb_node_member_addr(un->node, info.sender_id, NULL,
                                        0) == 0)
                        (void)member_set_addr_sa(un, info.sender_id, from);

                if (p != NULL) {
                        p->counters.rx_datagrams++;
                        p->counters.rx_bytes += len;
                        if (info.type == HB_MSG_HEARTBEAT)
                                p->counters.rx_heartbeats++;
                }
                io_event(un, HB_UV_IO_ACCEPTED, 0, &info, NULL, from, now);
        }
        else
                io_event(un, HB_UV_IO_DROPPED, r, NULL, NULL, from, now);
        un->from = datagram ? from : NULL;
        un->from_link = link;
        drain(un);
        un->from = NULL;
        return r;
}

static void rx_one(hb_uv_node_t *un, uint32_t link, const uint8_t *buf,
                   size_t len, const struct sockaddr *from)
{
        (void)rx_one_ex(un, link, buf, len, from, true);
}

void hb_uv_node_set_stream(hb_uv_node_t *un, hb_uv_stream_cb cb, void *user)
{
        if (!un)
                return;
        un->stream = cb;
        un->stream_user = user;
}

int hb_uv_node_recv_stream(hb_uv_node_t *un, const uint8_t *buf, size_t len,
                           const struct sockaddr *from)
{
        int r;

        if (!un || !buf || !from || un->closing || un->leaving ||
            un->muted || un->in_core > 0)
                return -EINVAL;
        r = rx_one_ex(un, 0, buf, len, from, false);
        flush(un);
        return r;
}

static void on_datagram(void *user, const uint8_t *buf, size_t len,
                        const struct sockaddr *from, int truncated)
{
        const link_ctx_t *lc = user;
        hb_uv_node_t *un = lc->un;

        (void)truncated;        /* too long: the core counts it oversized */
        if (un->closing || un->leaving || un->muted)
                return;
        if (un->gudp[lc->link] != NULL && addr_ok(from) &&
            addr_equal(from, (const struct sockaddr *)&un->self[lc->link])) {
                un->counters.rx_own++;
                return;
        }
        rx_one(un, lc->link, buf, len, from);
}

/* A changed slot of a disk link, or a frame read on a serial link: a
 * datagram from nowhere on that link. */
static void on_slot(void *user, const uint8_t *buf, size_t len)
{
        const link_ctx_t *lc = user;
        hb_uv_node_t *un = lc->un;

        if (un->closing || un->leaving || un->muted)
                return;
        rx_one(un, lc->link, buf, len, NULL);
        flush(un);
}

static void on_batch(void *user)
{
        hb_uv_node_t *un = ((const link_ctx_t *)user)->un;

        if (!un->closing)
                flush(un);
}

static void on_rx_error(void *user, int err)
{
        hb_uv_node_t *un = ((const link_ctx_t *)user)->un;

        un->counters.rx_errors++;
        io_event(un, HB_UV_IO_RECV_FAILED, err, NULL, NULL, NULL,
                 uv_hrtime());
}

/* The address as IPv6 (IPv4 as IPv4-mapped, RFC 4291 §2.5.5.2); false
 * for any other family. */
static bool to_in6(const struct sockaddr *a, struct in6_addr *out)
{
        if (a->sa_family == AF_INET6) {
                *out = ((const struct sockaddr_in6 *)(const void *)a)->sin6_addr;
                return true;
        }
        if (a->sa_family == AF_INET) {
                memset(out, 0, sizeof(*out));
                out->s6_addr[10] = out->s6_addr[11] = 0xff;
                memcpy(&out->s6_addr[12],
                       &((const struct sockaddr_in *)(const void *)a)->sin_addr,
                       4);
                return true;
        }
        return false;
}

/* Same IP address (ports ignored: an ICMP's source has none), an IPv4
 * address and its IPv4-mapped IPv6 form being the same. */
static bool ip_equal(const struct sockaddr *a, const struct sockaddr *b)
{
        struct in6_addr x, y;

        if (!to_in6(a, &x) || !to_in6(b, &y))
                return false;
        return memcmp(&x, &y, sizeof(x)) == 0;
}

/* A datagram we sent came back as port unreachable. It counts only when
 * it went to a peer's address and the ICMP came from that same address;
 * the node then checks the quote is a recent message of ours
 * (hb_node_peer_unreachable_quoted()). Several peers share an address
 * only in a broken config; the first one is used. */
static void on_unreach(void *user, const struct sockaddr *to,
                       const struct sockaddr *offender, const uint8_t *quote,
                       size_t len)
{
        const link_ctx_t *lc = user;
        hb_uv_node_t *un = lc->un;
        uint32_t k = lc->link;
        size_t i;

        if (un->closing || un->leaving || un->muted)
                return;
        for (i = 0; i < un->n_peers; i++) {
                const peer_addr_t *p = &un->peers[i];

                if (!p->has_addr[k] || !addr_equal(addr_of(p, k), to))
                        continue;
                un->counters.unreachable++;
                if (!ip_equal(offender, to)) {
                        un->counters.unreachable_foreign++;
                        return;
                }
                un->in_core++;
                (void)hb_node_peer_link_unreachable_quoted(
                        un->node, p->id, k, quote, len, uv_hrtime());
                un->in_core--;
                flush(un);
                return;
        }
}

/* ---- lifecycle ------------------------------------------------------ */

/* Link k's device: slot node_id - 1, read every interval. */
static int open_disk(hb_uv_node_t *un, uv_loop_t *loop,
                     const hb_node_config_t *cfg, const hb_uv_options_t *opt,
                     uint32_t k)
{
        uint32_t size = opt->link_disk_slot_size[k];
        uint32_t slots = opt->link_disk_slots[k] ? opt->link_disk_slots[k]
                                                 : 16;
        uint64_t ms = cfg->interval_ns / HB_NS_PER_MS;

        if (cfg->node_id == 0 || cfg->node_id > slots)
                return -EINVAL;
        if (size == 0)
                size = 512;
        return hb__disk_open(&un->disk[k], loop, opt->link_disk[k], size,
                             slots, cfg->node_id - 1, ms > 0 ? ms : 1,
                             on_slot, &un->lctx[k]);
}

static bool group_ok(hb_uv_transport_t t, const struct sockaddr *g,
                     const struct sockaddr *bind, uint32_t hops)
{
        if (t == HB_UV_UNICAST)
                return true;
        if (g == NULL || !addr_ok(g) || g->sa_family != bind->sa_family ||
            hops > 255)
                return false;
        if (t == HB_UV_BROADCAST)
                return g->sa_family == AF_INET &&
                       !IN_MULTICAST(ntohl(((const struct sockaddr_in *)
                                            (const void *)g)->sin_addr.s_addr));
        if (t != HB_UV_MULTICAST)
                return false;
        if (g->sa_family == AF_INET)
                return IN_MULTICAST(ntohl(((const struct sockaddr_in *)
                                           (const void *)g)->sin_addr.s_addr));
        return IN6_IS_ADDR_MULTICAST(
                &((const struct sockaddr_in6 *)(const void *)g)->sin6_addr);
}

/*
 * A multicast or broadcast link k: the sending options on the link's own
 * socket, and a second socket bound to the group address itself. Why
 * two: the link's socket keeps its unicast address, so every datagram
 * this node sends (heartbeats to the group, acks and votes to one peer)
 * leaves from the address the peers have configured for it and passes
 * their source check (review F8); a socket bound to the group address
 * is handed by Linux only datagrams sent to that group (or broadcast)
 * address and port, whatever their source, and binding it does not
 * clash with the unicast socket on the same port (another address).
 * A socket bound to the wildcard address would also be handed every
 * unicast datagram to the port.
 */
static int open_group(hb_uv_node_t *un, uint32_t k,
                      const hb_uv_options_t *opt,
                      const hb__udp_callbacks_t *cbs)
{
        const struct sockaddr *g = opt->link_group[k];
        const char *dev = opt->link_device[k];
        hb__udp_callbacks_t gcbs = *cbs;
        unsigned ifindex = 0;
        int r;

        memcpy(&un->group[k], g, addr_len(g));
        if (dev != NULL && dev[0] != '\0') {
                ifindex = if_nametoindex(dev);
                if (ifindex == 0)
                        return -ENODEV;
        } else if (g->sa_family == AF_INET6) {
                ifindex = ((const struct sockaddr_in6 *)(const void *)g)
                                  ->sin6_scope_id;
        }
        /* A link-local group is bound and sent to with its interface as
         * the scope (Linux refuses to bind it without one). */
        if (g->sa_family == AF_INET6 && ifindex != 0) {
                struct sockaddr_in6 *g6 = (void *)&un->group[k];

                if (g6->sin6_scope_id == 0)
                        g6->sin6_scope_id = ifindex;
        }
        r = hb__udp_sockname(un->udp[k], &un->self[k]);
        if (r < 0)
                return r;
        r = hb__udp_group_send(un->udp[k], g, ifindex,
                               opt->link_hops[k] ? opt->link_hops[k] : 1);
        if (r < 0)
                return r;
        gcbs.unreach = NULL;    /* it sends nothing */
        r = hb__udp_open(&un->gudp[k], un->loop,
                         (const struct sockaddr *)&un->group[k], opt->rcvbuf,
                         &gcbs, &un->lctx[k]);
        if (r < 0)
                return r;
        if (dev != NULL && dev[0] != '\0')
                r = hb__udp_bind_device(un->gudp[k], dev);
        if (r == 0)
                r = hb__udp_group_join(un->gudp[k], g, ifindex);
        if (r < 0) {
                hb__udp_close(un->gudp[k]);
                un->gudp[k] = NULL;
        }
        return r;
}

int hb_uv_node_new(hb_uv_node_t **ret, uv_loop_t *loop,
                   const hb_node_config_t *cfg, const hb_uv_options_t *opt)
{
        hb__udp_callbacks_t cbs = {
                .recv = on_datagram, .batch = on_batch, .error = on_rx_error,
        };
        hb_uv_node_t *un;
        uint32_t n_links, k;
        int r;

        if (!ret || !loop || !cfg || !opt || opt->size < sizeof(*opt) ||
            !opt->bind || !addr_ok(opt->bind))
                return -EINVAL;
        n_links = opt->n_links > 1 ? opt->n_links : 1;
        if (n_links > HB_LINKS_MAX ||
            n_links != (cfg->n_links > 1 ? cfg->n_links : 1))
                return -EINVAL;
        if (opt->link_disk[0] != NULL || opt->link_serial[0] != NULL)
                return -EINVAL;
        for (k = 1; k < n_links; k++)
                if (opt->link_disk[k] == NULL &&
                    opt->link_serial[k] == NULL &&
                    (!opt->link_bind[k] || !addr_ok(opt->link_bind[k])))
                        return -EINVAL;
        for (k = 0; k < n_links; k++)
                if (!group_ok(opt->link_transport[k], opt->link_group[k],
                              k == 0 ? opt->bind : opt->link_bind[k],
                              opt->link_hops[k]))
                        return -EINVAL;
        un = hb__io_calloc(1, sizeof(*un));
        if (!un)
                return -ENOMEM;
        un->loop = loop;
        un->opt = *opt;
        un->opt.bind = NULL; /* borrowed: not kept */
        memset(un->opt.link_bind, 0, sizeof(un->opt.link_bind));
        memset(un->opt.link_device, 0, sizeof(un->opt.link_device));
        memset(un->opt.link_disk, 0, sizeof(un->opt.link_disk));
        memset(un->opt.link_serial, 0, sizeof(un->opt.link_serial));
        memset(un->opt.link_group, 0, sizeof(un->opt.link_group));
        un->n_links = n_links;
        un->armed_ns = HB_NEVER;
        r = hb_node_new(&un->node, cfg, opt->event, opt->user);
        if (r < 0) {
                hb__io_free(un);
                return r;
        }
        if (opt->port_unreachable)
                cbs.unreach = on_unreach;
        for (k = 0; k < n_links; k++) {
                un->lctx[k].un = un;
                un->lctx[k].link = k;
                if (opt->link_disk[k] != NULL) {
                        r = open_disk(un, loop, cfg, opt, k);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (opt->link_serial[k] != NULL) {
                        r = hb__serial_open(&un->serial[k], loop,
                                            opt->link_serial[k],
                                            opt->link_serial_baud[k],
                                            on_slot, &un->lctx[k]);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                r = hb__udp_open(&un->udp[k], loop,
                                 k == 0 ? opt->bind : opt->link_bind[k],
                                 opt->rcvbuf, &cbs, &un->lctx[k]);
                if (r == 0 && opt->link_device[k] != NULL &&
                    opt->link_device[k][0] != '\0') {
                        r = hb__udp_bind_device(un->udp[k],
                                                opt->link_device[k]);
                        if (r < 0)
                                hb__udp_close(un->udp[k]);
                }
                if (r == 0 && opt->link_transport[k] != HB_UV_UNICAST) {
                        r = open_group(un, k, opt, &cbs);
                        if (r < 0)
                                hb__udp_close(un->udp[k]);
                }
                if (r < 0)
                        goto fail;
        }
        /* Neither can fail on an initialised loop. */
        (void)uv_timer_init(loop, &un->timer);
        (void)uv_idle_init(loop, &un->idle);
        (void)uv_check_init(loop, &un->check);
        un->timer.data = un->idle.data = un->check.data = un;
        un->handles = 3;
        arm(un);
        *ret = un;
        return 0;
fail:
        /* The sockets and disks free themselves when closed. */
        while (k-- > 0) {
                hb__udp_close(un->udp[k]);
                hb__udp_close(un->gudp[k]);
                hb__disk_close(un->disk[k]);
                hb__serial_close(un->serial[k]);
        }
        hb_node_free(un->node);
        hb__io_free(un);
        return r;
}

static void on_closed(uv_handle_t *h)
{
        hb_uv_node_t *un = h->data;
        void (*closed)(void *) = un->closed;
        void *arg = un->closed_arg;

        if (--un->handles > 0)
                return;
        hb_node_free(un->node);
        hb__io_free(un->peers);
        hb__io_free(un);
        if (closed)
                closed(arg);
}

void hb_uv_node_close(hb_uv_node_t *un, void (*closed)(void *arg), void *arg)
{
        if (!un || un->closing)
                return;
        un->closing = true;
        un->closed = closed;
        un->closed_arg = arg;
        for (uint32_t k = 0; k < un->n_links; k++) {
                hb__udp_close(un->udp[k]);
                hb__udp_close(un->gudp[k]);
                un->udp[k] = NULL;
                un->gudp[k] = NULL;
                hb__disk_close(un->disk[k]);
                un->disk[k] = NULL;
                hb__serial_close(un->serial[k]);
                un->serial[k] = NULL;
        }
        uv_close((uv_handle_t *)&un->timer, on_closed);
        uv_close((uv_handle_t *)&un->idle, on_closed);
        uv_close((uv_handle_t *)&un->check, on_closed);
}

hb_node_t *hb_uv_node_core(const hb_uv_node_t *un)
{
        return un ? un->node : NULL;
}

void hb_uv_node_mute(hb_uv_node_t *un)
{
        if (!un)
                return;
        un->muted = true;
        if (!un->closing)
                uv_timer_stop(&un->timer);
}

/* ---- peers ---------------------------------------------------------- */

int hb_uv_node_peer_add(hb_uv_node_t *un, uint32_t id,
                        const struct sockaddr *addr)
{
        peer_addr_t *p;
        size_t i;
        int r;

        if (!un || (addr && !addr_ok(addr)))
                return -EINVAL;
        if (un->n_peers == un->cap_peers) {
                size_t cap = un->cap_peers ? 2 * un->cap_peers : 8;

                p = hb__io_realloc(un->peers, cap * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                un->peers = p;
                un->cap_peers = cap;
        }
        i = peer_lower(un, id);
        if (i < un->n_peers && un->peers[i].id == id &&
            un->peers[i].learned) {
                /* A member learned by gossip, now configured. */
                memset(&un->peers[i], 0, sizeof(un->peers[i]));
                un->peers[i].id = id;
                set_addr(&un->peers[i], 0, addr);
                if (addr)
                        (void)member_set_addr_sa(un, id, addr);
                flush(un);
                return 0;
        }
        r = hb_node_peer_add(un->node, id, uv_hrtime());
        if (r < 0)
                return r;
        if (addr)
                (void)member_set_addr_sa(un, id, addr);
        i = peer_lower(un, id);
        memmove(&un->peers[i + 1], &un->peers[i],
                (un->n_peers - i) * sizeof(*un->peers));
        un->n_peers++;
        memset(&un->peers[i], 0, sizeof(un->peers[i]));
        un->peers[i].id = id;
        set_addr(&un->peers[i], 0, addr);
        flush(un);
        return 0;
}

int hb_uv_node_peer_remove(hb_uv_node_t *un, uint32_t id)
{
        size_t i;
        int r;

        if (!un)
                return -EINVAL;
        r = hb_node_peer_remove(un->node, id);
        i = peer_lower(un, id);
        if (i < un->n_peers && un->peers[i].id == id) {
                memmove(&un->peers[i], &un->peers[i + 1],
                        (un->n_peers - i - 1) * sizeof(*un->peers));
                un->n_peers--;
        }
        flush(un);
        return r;
}

int hb_uv_node_peer_set_address(hb_uv_node_t *un, uint32_t id,
                                const struct sockaddr *addr)
{
        peer_addr_t *p;

        if (!un || (addr && !addr_ok(addr)))
                return -EINVAL;
        p = peer_find(un, id);
        if (!p)
                return -ENOENT;
        set_addr(p, 0, addr);
        return 0;
}

int hb_uv_node_peer_set_link_address(hb_uv_node_t *un, uint32_t id,
                                     uint32_t link,
                                     const struct sockaddr *addr)
{
        peer_addr_t *p;

        if (un && link < un->n_links &&
            (un->disk[link] != NULL || un->serial[link] != NULL))
                addr = NULL;    /* a disk or serial link: no addresses */
        if (!un || (addr && !addr_ok(addr)))
                return -EINVAL;
        p = peer_find(un, id);
        if (!p || link >= un->n_links)
                return -ENOENT;
        set_addr(p, link, addr);
        return 0;
}

/* ---- leaving -------------------------------------------------------- */

static void on_leave_timer(uv_timer_t *t)
{
        hb_uv_node_t *un = t->data;
        hb_output_t out = { HB_DEST_ALL, 0, HB_MSG_LEAVE, 0 };

        /* The second copy, in case the first was lost. */
        if (un->leave_len > 0)
                send_all(un, &out, un->leave_buf, un->leave_len);
        if (un->leave_done)
                un->leave_done(un->leave_arg);
}

int hb_uv_node_leave(hb_uv_node_t *un, void (*done)(void *arg), void *arg)
{
        hb_output_t out;
        int len;

        if (!un)
                return -EINVAL;
        if (un->leaving || un->muted || un->closing)
                return -EALREADY;
        drain(un);              /* what was queued before goes first */
        un->leaving = true;
        un->leave_done = done;
        un->leave_arg = arg;
        uv_timer_stop(&un->timer);
        (void)hb_node_leave(un->node, uv_hrtime());
        while ((len = hb_node_poll_output(un->node, &out, un->leave_buf,
                                          sizeof(un->leave_buf))) > 0) {
                if (out.type != HB_MSG_LEAVE)
                        continue;
                un->leave_len = (size_t)len;
                send_all(un, &out, un->leave_buf, un->leave_len);
        }
        if (uv_timer_start(&un->timer, on_leave_timer, 1, 0) < 0)
                on_leave_timer(&un->timer);
        return 0;
}

/* ---- introspection -------------------------------------------------- */

void hb_uv_node_counters(const hb_uv_node_t *un, hb_uv_counters_t *out)
{
        if (!un || !out)
                return;
        *out = un->counters;
}

int hb_uv_node_peer_counters(const hb_uv_node_t *un, uint32_t id,
                             hb_uv_peer_counters_t *out)
{
        const peer_addr_t *p;

        if (!un || !out)
                return -EINVAL;
        p = peer_find(un, id);
        if (p == NULL)
                return -ENOENT;
        *out = p->counters;
        return 0;
}

int hb_uv_node_rcvbuf(const hb_uv_node_t *un)
{
        return un ? hb__udp_rcvbuf(un->udp[0]) : 0;
}

bool hb_uv_node_batching(const hb_uv_node_t *un)
{
        return un && hb__udp_batching(un->udp[0]) != 0;
}

int hb_uv_node_sockname(const hb_uv_node_t *un, struct sockaddr_storage *out)
{
        return hb_uv_node_link_sockname(un, 0, out);
}

int hb_uv_node_link_sockname(const hb_uv_node_t *un, uint32_t link,
                             struct sockaddr_storage *out)
{
        if (!un || !out || un->closing || link >= un->n_links)
                return -EINVAL;
        if (un->udp[link] == NULL)
                return -ENOTSUP;        /* a disk or serial link */
        return hb__udp_sockname(un->udp[link], out);
}
