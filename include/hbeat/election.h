/* SPDX-License-Identifier: MIT */
/**
 * @file election.h
 * @brief Quorum and leader election, integrated with heartbeats (sans-I/O).
 *
 * Part of the node core (node.h): enabled by `hb_node_config_t.coord.
 * enabled`; when disabled, heartbeats stay the plain 56-byte messages and
 * nothing below happens (enabled: 64 bytes, wire.h HB_FLAG_COORD).
 *
 * Quorum (Corosync votequorum terms). Each node has `votes` (default 1);
 * `expected_votes` is the total (default: the sum of this node's and every
 * configured peer's votes). The partition is *quorate* while
 *
 *     votes(self) + sum of votes(peers in state alive) > expected_votes / 2
 *
 * Options: `two_node` (two nodes, one vote each: a lone node stays quorate,
 * and the node with the lower id wins a tie: see docs/election.md for why
 * this still needs fencing); `wait_for_all` (after start, no quorum until
 * every configured node has been seen alive at least once); `witness` (a
 * node that votes but never stands for leader). Quorum gained / lost are
 * events.
 *
 * Election (after Raft, Ongaro & Ousterhout, USENIX ATC 2014, §5.2, with
 * heartbeat-driven failure detection instead of election timeouts):
 *
 * - Terms grow monotonically; a node votes at most once per term. The core
 *   raises HB_EVENT_TERM whenever its term or vote changes; the caller must
 *   make it durable (write + fsync) *before the callback returns*, and
 *   gives it back with hb_node_restore_term() at start, so a restart never
 *   reuses or goes back on a term or a vote.
 * - With coordination on, every heartbeat carries a coordination block
 *   (wire.h): the sender's term, role and priority, and a follower's
 *   support of its leader (an echo of its latest heartbeat and a
 *   promise). A heartbeat from a leader with a term >= ours establishes
 *   its authority (we follow it; a higher term also updates ours); a
 *   node with no leader of its term follows a live leader of an earlier
 *   one rather than unseat it.
 * - A follower starts an election only when there is no leader it trusts
 *   — the leader is declared `dead` by the detector or exited (see
 *   hb_node_peer_unreachable()), or none was ever known — and the
 *   partition is quorate, after a randomized delay ordered by rank (the
 *   number of alive, eligible peers with a higher priority, or the same
 *   priority and a lower id): U(0, 1/4) x `election_delay_ns` for rank 0,
 *   (r + U(0, 1)) x `election_delay_ns` for rank r; drawn again when a
 *   promise it is bound by runs out and when a peer outranking it
 *   appears. A candidate increments its term, votes for
 *   itself and sends HB_MSG_VOTE_REQ to every peer; a node grants its vote
 *   (HB_MSG_VOTE_RESP) if the term is current, it has not voted for
 *   another candidate in it, it is not itself following a live leader (no
 *   disruption), and the candidate is not a witness. A candidate with a
 *   quorum of grants whose lease still runs (counting the voters' `votes`)
 *   becomes leader; on a split vote it retries in a later term after a new
 *   random delay. A candidate whose leader exited names it in its
 *   requests (HB_TLV_EXITED); voters following that leader stop.
 * - Lease (docs/election.md, "The lease"): a follower promises, on each
 *   leader heartbeat it accepts, to vote for no other candidate until its
 *   detector would convict the leader from that arrival plus one
 *   interval (at most promise_max); the leader counts the promise, shrunk
 *   by the clock-drift bound, from when it sent the echoed heartbeat, and
 *   steps down when no quorum's promise runs. So an old leader stops
 *   acting before a new one can exist, whatever the message delays, while
 *   every clock runs within clock_drift_ppm of real time; and the lease
 *   never gives way before the followers' detectors do. A promise made to
 *   a leader found exited (port unreachable) or that stepped down is
 *   void. Promises are persisted (HB_EVENT_TERM "promise") and restored
 *   (hb_node_restore_promise()).
 * - `preempt`: a node whose priority is higher than the current leader's,
 *   once its own view of the leader has been alive for probation, may
 *   start an election; voters grant it despite following a live leader
 *   only if the candidate's priority is strictly higher than that
 *   leader's. Off by default.
 *
 * Topology gossip (node.h, docs/gossip.md "Quorum and election"): the
 * peers added with hb_node_peer_add() are the voters, their states are
 * gossip's (unknown until gossip heard of them; suspect does not count
 * for quorum, as above); the promise is hb_coord_gossip_promise_ns(),
 * and a follower follows its leader only while that promise, from the
 * leader's latest heartbeat, runs.
 *
 * The term is the fencing token handed to every action (issue 4, actions).
 *
 * Vote requests and responses leave through the node's output queue
 * (hb_node_poll_output(), HB_DEST_PEER) like every other message.
 */
#ifndef HBEAT_ELECTION_H
#define HBEAT_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A voter's promise, in heartbeat intervals: after granting its vote it
 *  votes for no other candidate this long (at most promise_max); the new
 *  leader's lease until its followers' heartbeats support it. */
#define HB_COORD_VOTE_PROMISE_INTERVALS 2u
/** A node that starts stands for leader no sooner than this many
 *  intervals later: time to hear a leader that is there (votes are
 *  granted meanwhile). */
#define HB_COORD_LISTEN_INTERVALS 4u
/** Floor of the default promise_max, in intervals (see
 *  hb_coord_promise_max()). */
#define HB_COORD_PROMISE_MAX_INTERVALS 30u
/** Default bound on clock-rate error, parts per million (twice NTP's
 *  largest slew, 500 ppm). */
#define HB_COORD_DRIFT_PPM_DEFAULT 1000u
/** Largest clock_drift_ppm accepted (10 %). */
#define HB_COORD_DRIFT_PPM_MAX 100000u

/** Roles. */
typedef enum hb_role {
        HB_ROLE_NO_QUORUM = 0, /**< partition not quorate: nobody acts */
        HB_ROLE_FOLLOWER = 1,  /**< quorate, following a leader (or none
                                    yet, waiting to stand) */
        HB_ROLE_CANDIDATE = 2, /**< asking for votes in `term` */
        HB_ROLE_LEADER = 3,    /**< elected for `term` */
} hb_role_t;

/** "no-quorum", "follower", "candidate", "leader". */
HB_EXPORT const char *hb_role_name(hb_role_t role);

/** Coordination settings (in hb_node_config_t.coord). Defaults: all off,
 *  votes 1, priority 100, election_delay = interval. */
typedef struct hb_coord_config {
        bool enabled;            /**< quorum + election on */
        uint32_t votes;          /**< this node's votes, 0 .. 255 */
        uint32_t expected_votes; /**< 0 = sum of configured votes */
        bool two_node;           /**< two one-vote nodes; see above */
        bool wait_for_all;       /**< no quorum until all seen once */
        bool witness;            /**< votes, never leads */
        uint32_t priority;       /**< 0 .. 255, higher stands first */
        bool preempt;            /**< see above */
        uint64_t election_delay_ns; /**< base of the randomized delay, ns,
                                         1 ms .. 1 h */
        uint64_t seed;           /**< seed of the delay's PRNG (the caller
                                      passes entropy; tests a constant) */
        /** Longest promise a supporter makes, ns: interval .. 1 h; 0
         *  (default) derives it (hb_coord_promise_max()). A node that
         *  starts without a restored promise (hb_node_restore_promise())
         *  votes for nobody this long. */
        uint64_t promise_max_ns;
        /** Bound on how far any member's monotonic clock rate is from
         *  real time, parts per million, 0 .. HB_COORD_DRIFT_PPM_MAX; 0
         *  (default) means HB_COORD_DRIFT_PPM_DEFAULT. The lease counts
         *  a promise p as p x (1 - rho) / (1 + rho). */
        uint32_t clock_drift_ppm;
        uint32_t reserved32;     /**< keep 0 */
        /** Room for settings of later versions (0: their default;
         *  library.h, ABI rules); keep 0. */
        uint64_t reserved[2];
} hb_coord_config_t;

/**
 * The cluster's total votes as the core counts them: `cc->expected_votes`
 * when not 0, else `configured_votes`, the sum of this node's votes and
 * every peer's; capped at 2^32 - 1. 0 for a NULL `cc`.
 */
HB_EXPORT uint32_t hb_coord_expected_votes(const hb_coord_config_t *cc,
                                           uint64_t configured_votes);

/**
 * Votes needed to be quorate, win an election or hold the lease, by the
 * core's rule: more than half of `expected_votes` (hb_coord_expected_votes()),
 * expected_votes / 2 + 1 (Corosync votequorum). With `cc->two_node` and
 * `alone` (the one peer configured is not alive), this node's own votes:
 * a lone node of a two-node cluster stays quorate (the lower id at once,
 * the higher id once its peer is dead: docs/election.md). `alone` is
 * ignored without two_node. 0 for a NULL `cc`.
 */
HB_EXPORT uint32_t hb_coord_votes_needed(const hb_coord_config_t *cc,
                                         uint32_t expected_votes, bool alone);

struct hb_node_config;

/**
 * The longest promise a supporter makes (and the start-up hold of a node
 * with no restored promise), ns: `cfg->coord.promise_max_ns` when set,
 * else the larger of HB_COORD_PROMISE_MAX_INTERVALS intervals and three
 * times the time `cfg`'s detector takes to declare a peer heard once
 * dead (so that a detector adapted to a lossy network still convicts
 * within it), capped at 1 hour.
 *
 * @param cfg     a valid node configuration (borrowed).
 * @param out_ns  output, untouched on failure.
 * @return 0; -EINVAL (NULL); -ENOMEM (a detector could not be made to
 *         measure it).
 */
HB_EXPORT int hb_coord_promise_max(const struct hb_node_config *cfg,
                                   uint64_t *out_ns);

/** Floor of the promise on the gossip topology, in intervals
 *  (hb_coord_gossip_promise_ns()): one lost heartbeat, or one lost
 *  support, does not end the lease. */
#define HB_COORD_GOSSIP_PROMISE_MIN_INTERVALS 3u
/** Members at which the default promise_max of the gossip topology is
 *  reckoned (hb_coord_promise_max()). */
#define HB_COORD_GOSSIP_PROMISE_MAX_MEMBERS 1000u

/**
 * Topology gossip (docs/gossip.md, "Quorum and election"): the promise a
 * follower makes on each heartbeat of its leader, ns. It stands for the
 * mesh's "until my detector would declare the leader dead": the
 * shortest time in which gossip can convict a member that fell silent
 * in a group of `members` (this node included), both probe timeouts
 * (2 x gossip.probe_timeout_ns) plus the shortest suspicion timeout
 * (gossip.suspicion_mult x max(1, log10 members) x interval, log10 only
 * above 10 members, as the suspicion itself), at least
 * HB_COORD_GOSSIP_PROMISE_MIN_INTERVALS intervals, at most promise_max
 * (hb_coord_promise_max()). A follower also stops following a leader
 * whose heartbeats stopped this long, whatever gossip says of it (its
 * lease needs them).
 *
 * @param cfg      a valid node configuration (borrowed).
 * @param members  group size, >= 1 (hbeatd's check-config: the
 *                 configured peers and this node).
 * @return the promise, ns; 0 for a NULL `cfg` or another topology.
 */
HB_EXPORT uint64_t hb_coord_gossip_promise_ns(const struct hb_node_config *cfg,
                                              size_t members);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_ELECTION_H */
