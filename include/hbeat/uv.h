/* SPDX-License-Identifier: MIT */
/**
 * @file uv.h
 * @brief Run a libhbeat node on a libuv loop: the I/O shell hbeatd uses.
 *
 * libhbeat's node (node.h) is sans-I/O: it takes datagrams and times and
 * gives back messages to send and the time it wants to be called again.
 * This adapter, in its own library (libhbeat-uv, pkg-config `hbeat-uv`),
 * drives a node on a libuv loop exactly as hbeatd does:
 *
 * - one UDP socket per link (one link unless opt.n_links says more,
 *   docs/links.md), bound to the given address, read in batches
 *   (recvmmsg) and written without ever blocking (a heartbeat that cannot
 *   leave now is stale by the next interval: UV_EAGAIN drops it);
 * - every datagram goes to hb_node_recv(); after each one the node's
 *   output queue is drained, so an ACK (HB_DEST_REPLY) goes back to the
 *   datagram's source address; HB_DEST_ALL goes to every peer that has an
 *   address, HB_DEST_PEER to the peer named;
 * - one timer at hb_node_next_deadline(), covering the node's own
 *   heartbeat schedule, its peers' deadlines and the election's timers.
 *   The timer rounds the target up to the loop's millisecond clock, so it
 *   never fires early. When it fires, the tick is deferred behind one
 *   non-blocking poll of the loop (an idle and a check handle): libuv runs
 *   timers before it polls for I/O, and after this process was stopped
 *   (SIGSTOP, a VM pause) every peer's heartbeats sit in the socket buffer
 *   — they are read first, and the node's own local-pause guard (node.h)
 *   sees the pause before it judges anyone;
 * - ICMP port unreachable (IP_RECVERR, see ip(7)) for a datagram sent to a
 *   peer's address becomes hb_node_peer_unreachable() for that peer.
 *
 * An embed in about twenty lines (docs/embedding.md, examples/embed/):
 *
 *     hb_node_config_t cfg;
 *     hb_uv_options_t opt;
 *     hb_uv_node_t *un;
 *
 *     hb_node_config_default(&cfg, HB_DETECTOR_PHI, 100 * HB_NS_PER_MS);
 *     cfg.cluster_id = 7; cfg.node_id = 1; cfg.incarnation = now_us;
 *     cfg.key = key;
 *     hb_uv_options_init(&opt);
 *     opt.bind = (struct sockaddr *)&me;
 *     opt.event = on_event;               // peer and role changes
 *     hb_uv_node_new(&un, uv_default_loop(), &cfg, &opt);
 *     hb_uv_node_peer_add(un, 2, (struct sockaddr *)&peer2);
 *     uv_run(uv_default_loop(), UV_RUN_DEFAULT);
 *
 * Calls into the node: hb_uv_node_core() gives the node for the read-only
 * calls of node.h (hb_node_peer_info(), hb_node_coord_info(), ...); after
 * any other call made on it directly (hb_node_set_priority(),
 * hb_node_peer_heard(), hb_node_reconfigure(), ...) call
 * hb_uv_node_flush() so what it queued is sent and the timer re-armed.
 *
 * Time: uv_hrtime() (CLOCK_MONOTONIC, ns) is the node's `now`.
 *
 * Ownership: hb_uv_node_new() returns an object owned by the caller, which
 * holds the node; hb_uv_node_close() closes the handles and frees both
 * from the last close callback (libuv's rule: memory holding a handle is
 * freed only there). The loop must run until then.
 *
 * Not thread-safe: the loop's thread only.
 */
#ifndef HBEAT_UV_H
#define HBEAT_UV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "hbeat/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default kernel receive buffer asked for (SO_RCVBUF), bytes: 4 MiB, a
 *  pause of seconds' worth of heartbeats from a few hundred peers. */
#define HB_UV_RCVBUF_DEFAULT (4 * 1024 * 1024)

/** Transport events (hb_uv_options_t.io). */
typedef enum hb_uv_io_type {
        /** A datagram was accepted by the node: `info`, `addr` (its
         *  source). */
        HB_UV_IO_ACCEPTED = 1,
        /** A datagram was dropped by the node (already counted there):
         *  `err` (the HB_E* reason of hb_node_recv()), `addr`. */
        HB_UV_IO_DROPPED = 2,
        /** A message could not be sent: `err` (a negative libuv error;
         *  UV_EAGAIN: socket buffer full), `out`, `addr` (where it was
         *  going). */
        HB_UV_IO_SEND_FAILED = 3,
        /** The socket failed to receive (rare: ENOMEM, ...): `err`. */
        HB_UV_IO_RECV_FAILED = 4,
        /** A heartbeat (HB_DEST_ALL: on the node's schedule, or
         *  announcing a new leadership) has gone out to every addressed
         *  peer: proof that the loop runs (hbeatd feeds its kernel
         *  watchdog here). */
        HB_UV_IO_HEARTBEAT_SENT = 5,
} hb_uv_io_type_t;

/** A transport event. Passed by pointer; valid only during the call. */
typedef struct hb_uv_io {
        hb_uv_io_type_t type;
        uint64_t now_ns;               /**< uv_hrtime() of the event */
        int err;                       /**< see hb_uv_io_type_t */
        const hb_recv_info_t *info;    /**< HB_UV_IO_ACCEPTED */
        const hb_output_t *out;        /**< HB_UV_IO_SEND_FAILED */
        const struct sockaddr *addr;   /**< see hb_uv_io_type_t */
} hb_uv_io_t;

/** Transport event callback. */
typedef void (*hb_uv_io_cb)(void *user, const hb_uv_io_t *io);

/** How a link sends messages meant for every peer (hb_uv_options_t). */
typedef enum hb_uv_transport {
        HB_UV_UNICAST = 0,     /**< one datagram per peer (the default) */
        HB_UV_MULTICAST = 1,   /**< one datagram to an IPv4/IPv6 group */
        HB_UV_BROADCAST = 2,   /**< one datagram to an IPv4 broadcast
                                    address */
} hb_uv_transport_t;

/**
 * Options of hb_uv_node_new(). Start from hb_uv_options_init(); fields
 * may be added at the end in later versions (`size` tells which exist).
 */
typedef struct hb_uv_options {
        size_t size;                   /**< sizeof(hb_uv_options_t), set by
                                            hb_uv_options_init() */
        const struct sockaddr *bind;   /**< address to bind (IPv4 or IPv6;
                                            copied); required */
        int rcvbuf;                    /**< SO_RCVBUF to ask for, bytes;
                                            0 keeps the system's. Default
                                            HB_UV_RCVBUF_DEFAULT (the kernel
                                            caps it at net.core.rmem_max:
                                            see hb_uv_node_rcvbuf()) */
        bool port_unreachable;         /**< ask the kernel for ICMP errors
                                            and report port unreachable to
                                            the node (default true; the
                                            node still ignores them unless
                                            cfg.trust_port_unreachable) */
        hb_event_cb event;             /**< the node's events (node.h's
                                            contract); may be NULL */
        hb_uv_io_cb io;                /**< transport events; may be NULL */
        void *user;                    /**< passed to both callbacks */
        /** Redundant links (docs/links.md; since 0.2): one socket per
         *  link, 1 .. HB_LINKS_MAX, equal to the node's cfg.n_links; 0
         *  counts as 1. Link 0's socket is bound to `bind`; link k > 0
         *  to `link_bind[k]` (required). Heartbeats and leaves go out on
         *  every link to each peer's address on that link; an ACK back
         *  on the link its echo request came on; votes on the link
         *  hb_node_peer_link() names (another addressed link if the peer
         *  has no address there). */
        uint32_t n_links;
        const struct sockaddr *link_bind[HB_LINKS_MAX]; /**< [0] unused
                                            (`bind`); copied */
        /** Interface to bind link k's socket to (SO_BINDTODEVICE), or
         *  NULL. Copied. */
        const char *link_device[HB_LINKS_MAX];
        /** Disk links (docs/links.md, "Disk link"; since 0.3): link k > 0
         *  with `link_disk[k]` set carries heartbeats through that block
         *  device or file instead of a socket (`link_bind[k]` and
         *  `link_device[k]` unused). This node writes its slot (number
         *  cfg.node_id - 1) every heartbeat and reads all slots every
         *  interval, with O_DIRECT in libuv's threadpool. The node id
         *  must be <= `link_disk_slots[k]`. Copied. Link 0 cannot be a
         *  disk link. */
        const char *link_disk[HB_LINKS_MAX];
        /** Slot size of disk link k, bytes: 512 or 4096 (the device's
         *  logical block size or a multiple); 0 means 512. */
        uint32_t link_disk_slot_size[HB_LINKS_MAX];
        /** Number of slots of disk link k (node ids 1 .. n), 1 .. 256;
         *  0 means 16. */
        uint32_t link_disk_slots[HB_LINKS_MAX];
        /** Serial links (docs/links.md, "Serial link"; since 0.3): link
         *  k > 0 with `link_serial[k]` set carries heartbeats and leaves
         *  over that tty (a point-to-point cable to the one peer on it)
         *  instead of a socket, each message in a frame (magic "HBSL",
         *  u16 big-endian length, the message). The tty is set raw, no
         *  flow control; writes never block (a heartbeat the tty cannot
         *  take is dropped). Copied. Link 0 cannot be a serial link. */
        const char *link_serial[HB_LINKS_MAX];
        /** Baud rate of serial link k: 9600 .. 4000000, a standard
         *  termios rate; 0 means 115200. */
        uint32_t link_serial_baud[HB_LINKS_MAX];
        /** Transport of link k (docs/links.md, "Multicast and broadcast";
         *  since 0.3). HB_UV_UNICAST (0, the default): a message to all
         *  goes to every peer's address on the link. HB_UV_MULTICAST and
         *  HB_UV_BROADCAST: a message to all (heartbeats, leaves) goes
         *  ONCE to `link_group[k]`; messages to one peer (acks, votes)
         *  stay unicast to its address on the link. A second socket,
         *  bound to `link_group[k]` itself (Linux then hands it only
         *  datagrams sent to that group or broadcast address), receives
         *  the group's traffic for link k; multicast joins the group
         *  on `link_device[k]` (else, IPv6, the group's scope id; else
         *  the kernel's choice), which is also the outgoing interface,
         *  with loopback off. Datagrams from this node's own link
         *  address (a broadcast comes back to its sender) are dropped
         *  (counted in rx_own). Membership is unchanged: a sender that
         *  is not a configured peer is dropped by the node. */
        hb_uv_transport_t link_transport[HB_LINKS_MAX];
        /** Group (multicast, IPv4 or IPv6, of the family of the link's
         *  bind address) or IPv4 broadcast address and port of link k;
         *  required unless unicast. Copied. */
        const struct sockaddr *link_group[HB_LINKS_MAX];
        /** Multicast TTL / hop limit of link k, 1..255; 0 means 1 (the
         *  local segment). */
        uint32_t link_hops[HB_LINKS_MAX];
} hb_uv_options_t;

/** Fill `opt` with the defaults above (bind NULL, no callbacks). */
HB_EXPORT void hb_uv_options_init(hb_uv_options_t *opt);

/** Opaque adapter: a node, its socket and its timer. */
typedef struct hb_uv_node hb_uv_node_t;

/**
 * Create a node (hb_node_new() with `cfg`, copied), bind its socket and
 * start it: the timer is armed for the node's first deadline, which is
 * "now" (its first heartbeat goes out on the first loop iteration).
 * Restore a durable term (hb_node_restore_term()) and add peers before
 * running the loop.
 *
 * @param ret   output, untouched on failure.
 * @return 0; -EINVAL (NULL argument, no bind address, opt->size too
 *         small, hb_node_new() refused cfg, or a link's transport without
 *         a group of its kind: not multicast, not IPv4 for broadcast, a
 *         family other than the link's, hops above 255); -ENODEV (a
 *         multicast link's interface does not exist); -ENOMEM; -EIO
 *         (libsodium); a negative errno from joining the group;
 *         a negative libuv error binding the socket (UV_EADDRINUSE,
 *         UV_EACCES, UV_EADDRNOTAVAIL, UV_EAFNOSUPPORT...). On failure
 *         nothing is left open on the loop.
 */
HB_EXPORT int hb_uv_node_new(hb_uv_node_t **ret, uv_loop_t *loop,
                             const hb_node_config_t *cfg,
                             const hb_uv_options_t *opt);

/**
 * Close the socket and the timers, free the node and the adapter from the
 * last close callback, then call `closed(arg)` (may be NULL). No callback
 * of the options runs after this call. NULL is a no-op.
 */
HB_EXPORT void hb_uv_node_close(hb_uv_node_t *un, void (*closed)(void *arg),
                                void *arg);

/** The node (borrowed; valid until hb_uv_node_close()). */
HB_EXPORT hb_node_t *hb_uv_node_core(const hb_uv_node_t *un);

/**
 * Send what the node queued and re-arm the timer: call after any call made
 * directly on hb_uv_node_core() other than the read-only ones. Safe from
 * inside the node's event callback (the drain then happens when the
 * callback's caller returns).
 */
HB_EXPORT void hb_uv_node_flush(hb_uv_node_t *un);

/**
 * Monitor peer `id` (hb_node_peer_add() at uv_hrtime()) at `addr` (copied;
 * NULL: a peer that gets no datagrams from this node, such as one polled
 * by other means and fed with hb_node_peer_heard()).
 * @return 0; -EINVAL (NULL adapter, id 0 or this node's, an address that
 *         is not IPv4/IPv6); -EEXIST; -ENOMEM (nothing added).
 */
HB_EXPORT int hb_uv_node_peer_add(hb_uv_node_t *un, uint32_t id,
                                  const struct sockaddr *addr);

/**
 * Change (or clear, with NULL) the address of peer `id` on link `link`
 * (hb_uv_node_peer_add() and hb_uv_node_peer_set_address() set link 0's).
 * Since 0.2.
 * @return 0; -ENOENT (no such peer, or link >= n_links); -EINVAL.
 */
HB_EXPORT int hb_uv_node_peer_set_link_address(hb_uv_node_t *un, uint32_t id,
                                               uint32_t link,
                                               const struct sockaddr *addr);

/** Stop monitoring peer `id` (hb_node_peer_remove()). 0 or -ENOENT. */
HB_EXPORT int hb_uv_node_peer_remove(hb_uv_node_t *un, uint32_t id);

/**
 * Change (or clear, with NULL) the address of peer `id`.
 * @return 0; -ENOENT; -EINVAL (not IPv4/IPv6).
 */
HB_EXPORT int hb_uv_node_peer_set_address(hb_uv_node_t *un, uint32_t id,
                                          const struct sockaddr *addr);

/**
 * Send nothing any more: every message the node queues from now on is
 * dropped. For a process that must stop at once without a word (a term
 * that could not be made durable must not be voted on); callable from
 * inside the node's event callback. Irreversible.
 */
HB_EXPORT void hb_uv_node_mute(hb_uv_node_t *un);

/**
 * Leave the cluster gracefully: stop the timer, queue and send the leave
 * (hb_node_leave()), send the same bytes again 1 ms later (the receiver
 * drops the copy as a replay if the first arrived), then call
 * `done(arg)`. The node then sends nothing more; close it.
 * @return 0, or -EALREADY if a leave is under way or the node is muted.
 */
HB_EXPORT int hb_uv_node_leave(hb_uv_node_t *un, void (*done)(void *arg),
                               void *arg);

/**
 * A reliable stream's offer (hb_uv_node_set_stream()): the adapter is
 * about to send `buf` (`len` bytes, a message the node queued with
 * HB_OUTPUT_RELIABLE in out->hints) as a datagram to `to` (the peer's
 * address on the link it would use). Return true to take it (the caller
 * delivers it by other means, such as a TCP connection to the same
 * address: the datagram is not sent), false to let it go as a datagram.
 * `buf` and `to` are borrowed for the call. Must not call into the
 * adapter or the node.
 */
typedef bool (*hb_uv_stream_cb)(void *user, const hb_output_t *out,
                                const uint8_t *buf, size_t len,
                                const struct sockaddr *to);

/**
 * Offer every message the node hints HB_OUTPUT_RELIABLE (node.h) to
 * `cb` before it goes out as a datagram (a unicast one: messages for
 * all peers and replies are never offered). NULL turns the offers off.
 * Since 0.4.
 */
HB_EXPORT void hb_uv_node_set_stream(hb_uv_node_t *un, hb_uv_stream_cb cb,
                                     void *user);

/**
 * Feed the node a message received by other means than its sockets (a
 * reliable stream's frame, sent by a peer's hb_uv_stream_cb) exactly as
 * a datagram received on link 0 from `from`: the same source check (the
 * IP address of a configured peer; the port is not compared),
 * authentication and replay checks (hb_node_recv_from()), the same
 * transport events; then what the node queued is sent and the timer
 * re-armed. A reply it causes goes to the sender's address, not to
 * `from`. Since 0.4.
 * @return 0 (accepted), a negative HB_E* reason (dropped, counted by
 *         the node as for a datagram), or -EINVAL (NULL argument, a
 *         closing, leaving or muted adapter).
 */
HB_EXPORT int hb_uv_node_recv_stream(hb_uv_node_t *un, const uint8_t *buf,
                                     size_t len,
                                     const struct sockaddr *from);

/** Length of a gossip member address in the adapter's encoding
 *  (docs/gossip.md, "Addresses"): 16 bytes of IPv6 address (an IPv4
 *  address IPv4-mapped, RFC 4291 2.5.5.2) and the port, big-endian. */
#define HB_UV_GOSSIP_ADDR_LEN 18

/**
 * Encode a UDP address as a gossip member address (the bytes a node
 * advertises in its alive updates: hb_node_config.gossip.addr). The IPv6
 * scope id is not carried. Since 0.3.
 * @return HB_UV_GOSSIP_ADDR_LEN; -EINVAL (NULL, not IPv4/IPv6).
 */
HB_EXPORT int hb_uv_gossip_addr_encode(const struct sockaddr *sa,
                                       uint8_t out[HB_UV_GOSSIP_ADDR_LEN]);

/**
 * Decode a gossip member address (hb_uv_gossip_addr_encode()) into
 * `out`: AF_INET for an IPv4-mapped address, else AF_INET6. Since 0.3.
 * @return 0; -EINVAL (NULL, a length other than HB_UV_GOSSIP_ADDR_LEN,
 *         port 0).
 */
HB_EXPORT int hb_uv_gossip_addr_decode(const uint8_t *in, size_t len,
                                       struct sockaddr_storage *out);

/**
 * Gossip topology (docs/gossip.md): the UDP address the adapter sends to
 * member `id` at: a configured peer's (hb_uv_node_peer_add()), else the
 * address the member advertised in gossip (hb_node_member_addr()).
 * In the gossip topology a message to a member the adapter has no entry
 * for (HB_DEST_PEER) goes to the address it advertised; such learned
 * members are not source-checked (hb_recv_source_t): the cluster key
 * alone admits them, while configured peers must send from their
 * configured IP address as in the mesh. A member the core knows without
 * an address (by its first message: a join) is given that datagram's
 * source address until its own gossip says otherwise. Since 0.3.
 * @return 0; -ENOENT (no address known); -EINVAL.
 */
HB_EXPORT int hb_uv_node_member_address(const hb_uv_node_t *un, uint32_t id,
                                        struct sockaddr_storage *out);

/** Transport counters. Public, read-only. */
typedef struct hb_uv_counters {
        uint64_t tx_datagrams;         /**< datagrams sent */
        uint64_t tx_by_type[8];        /**< datagrams sent per message
                                            type (index: enum
                                            hb_msg_type) */
        uint64_t tx_eagain;            /**< not sent: socket buffer full */
        uint64_t tx_errors;            /**< not sent: any other error */
        uint64_t tx_failed_by_type[8]; /**< not sent (either reason) per
                                            message type */
        uint64_t tx_unaddressed;       /**< HB_DEST_PEER messages for a
                                            peer without an address */
        uint64_t rx_datagrams;         /**< datagrams read */
        uint64_t rx_errors;            /**< receive errors */
        uint64_t unreachable;          /**< port unreachable reports for a
                                            peer's address */
        uint64_t unreachable_foreign;  /**< of `unreachable`: the ICMP did
                                            not come from the peer's own
                                            address, ignored (the node's
                                            port_unreachable_rejected counts
                                            the rest it refused) */
        uint64_t tx_group;             /**< of tx_datagrams: sent to a
                                            link's multicast group or
                                            broadcast address (once per
                                            message for all peers) */
        uint64_t rx_own;               /**< datagrams from this node's own
                                            link address (a broadcast
                                            looped back), not read */
        uint64_t learned_members;      /**< gossip: members learned by
                                            gossip that messages were sent
                                            to (address table entries;
                                            since 0.3) */
        uint64_t tx_streamed;          /**< messages the stream callback
                                            took (hb_uv_node_set_stream(),
                                            not in tx_datagrams; since
                                            0.4) */
        uint64_t rx_streamed;          /**< messages fed by
                                            hb_uv_node_recv_stream() (not
                                            in rx_datagrams; since 0.4) */
        uint64_t reserved[2];          /**< room for later counters (0) */
} hb_uv_counters_t;

/** Copy the transport counters. */
HB_EXPORT void hb_uv_node_counters(const hb_uv_node_t *un,
                                   hb_uv_counters_t *out);

/**
 * One peer's traffic on this adapter (hb_uv_node_peer_counters()), from
 * when the peer was added; a peer removed and added again starts from 0.
 * Bytes are UDP payload bytes (the hbeat message, wire.h), without IP and
 * UDP headers. Public, read-only; grows only at the end (since 0.2).
 */
typedef struct hb_uv_peer_counters {
        uint64_t tx_datagrams;         /**< sent to it: heartbeats and
                                            leaves to its address, ACKs
                                            and votes for it */
        uint64_t tx_bytes;             /**< their bytes */
        uint64_t tx_heartbeats;        /**< of tx_datagrams: heartbeats */
        uint64_t rx_datagrams;         /**< from it, accepted by the node
                                            (drops have no trusted
                                            sender) */
        uint64_t rx_bytes;             /**< their bytes */
        uint64_t rx_heartbeats;        /**< of rx_datagrams: heartbeats */
        uint64_t reserved[4];          /**< room for later counters (0) */
} hb_uv_peer_counters_t;

/**
 * Copy peer `id`'s traffic counters (since 0.2).
 * @return 0; -ENOENT (no such peer; `out` untouched); -EINVAL (NULL).
 */
HB_EXPORT int hb_uv_node_peer_counters(const hb_uv_node_t *un, uint32_t id,
                                       hb_uv_peer_counters_t *out);

/** Kernel receive buffer actually granted, bytes (0 if unknown; Linux
 *  reports twice what was asked, its bookkeeping included). */
HB_EXPORT int hb_uv_node_rcvbuf(const hb_uv_node_t *un);

/** Whether batch receiving (recvmmsg) is in use. */
HB_EXPORT bool hb_uv_node_batching(const hb_uv_node_t *un);

/**
 * The address the socket is bound to (the port the kernel chose when the
 * bind address had port 0).
 * @return 0, -EINVAL (NULL argument), or a negative libuv error.
 */
HB_EXPORT int hb_uv_node_sockname(const hb_uv_node_t *un,
                                  struct sockaddr_storage *out);

/** hb_uv_node_sockname() for link `link`'s socket (since 0.2).
 *  @return as hb_uv_node_sockname(); -EINVAL also for link >= n_links. */
HB_EXPORT int hb_uv_node_link_sockname(const hb_uv_node_t *un, uint32_t link,
                                       struct sockaddr_storage *out);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_UV_H */
