/* SPDX-License-Identifier: MIT */
/*
 * DOC: election — quorum, roles, terms and votes of the node core.
 *
 * What lives here: everything include/hbeat/election.h describes, driven
 * by node.c through the hb__coord_*() hooks of node_impl.h: the quorum
 * count (Corosync votequorum rules: votes, expected_votes, two_node,
 * wait_for_all), the role machine (no-quorum, follower, candidate,
 * leader), terms and votes (Raft §5.2 leader election, with the failure
 * detector's `dead` verdict instead of election timeouts), the leader
 * lease, the HB_TLV_LEADER carried by every heartbeat and the vote
 * messages, which go out through the node's output queue (output.c,
 * hb_node_poll_output()). Operator-level description: docs/election.md.
 *
 * Who calls what: only node.c calls the hooks, and only when
 * cfg.coord.enabled; the public functions at the end are the API of
 * node.h. Pure like the rest of the core: no clock, no I/O; time comes
 * with every call, randomness from a xorshift64* seeded by coord.seed.
 *
 * Rules kept on purpose:
 * - The role changes only in set_role(), which raises HB_EVENT_ROLE. The
 *   term and vote change only in adopt_term(), start_election() and
 *   grant(), each raising HB_EVENT_TERM *before* any message that
 *   depends on it is queued (the caller persists inside the callback).
 * - Leader lease, stronger than "quorate on alive peers": a leader also
 *   needs a quorum of *support*, i.e. peers whose latest heartbeat named
 *   it leader in its term (or granted it the vote) less than LEASE ago,
 *   measured on the leader's clock from when it received the heartbeat
 *   (from when it sent the vote request, for a grant). Each supporter
 *   promises in return not to vote for another candidate until PROMISE
 *   (= LEASE + one interval) after it last sent support (and after its
 *   own start). A new leader needs a vote of some supporter of the old
 *   one, so it cannot exist before the old lease has run out, provided
 *   one-way delays stay below one interval and clock rates differ by
 *   much less than interval / LEASE. Alive-based quorum alone would not
 *   cover one-way cuts (the leader still hears its followers while they
 *   no longer hear it).
 * - Stickiness (Raft §9.6): a node following a live leader refuses vote
 *   requests without adopting their term, so a node that cannot hear the
 *   leader cannot depose it through the followers. A leader does adopt a
 *   higher term it sees on any heartbeat and steps down; that is what
 *   lets such a node rejoin.
 * - Votes share the sender's control sequence space with ACKs (replay
 *   check in node.c); on top, each peer's vote counts at most once per
 *   term (granted_term), so a replayed response never counts twice.
 */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"
#include "core/node_impl.h"

/* Lease length and the promise a supporter makes, in intervals
 * (election.h). */
#define LEASE_INTERVALS HB_LEASE_INTERVALS
#define PROMISE_INTERVALS HB_PROMISE_INTERVALS

static uint64_t lease_ns(const hb_node_t *node)
{
        return LEASE_INTERVALS * node->cfg.interval_ns;
}

static uint64_t promise_ns(const hb_node_t *node)
{
        return PROMISE_INTERVALS * node->cfg.interval_ns;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
        return a > b ? a : b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
        return a > HB_NEVER - b ? HB_NEVER : a + b;
}

const char *hb_role_name(hb_role_t role)
{
        switch (role) {
        case HB_ROLE_NO_QUORUM:
                return "no-quorum";
        case HB_ROLE_FOLLOWER:
                return "follower";
        case HB_ROLE_CANDIDATE:
                return "candidate";
        case HB_ROLE_LEADER:
                return "leader";
        }
        return "invalid";
}

int hb__coord_config_validate(const hb_node_config_t *cfg)
{
        const hb_coord_config_t *c = &cfg->coord;

        for (size_t i = 0; i < HB_ARRAY_SIZE(c->reserved); i++)
                if (c->reserved[i] != 0)
                        return -EINVAL;  /* a later version's setting */
        if (!c->enabled)
                return 0;
        if (c->votes > 255 || c->priority > 255)
                return -EINVAL;
        if (c->election_delay_ns < HB_NS_PER_MS ||
            c->election_delay_ns > 3600 * HB_NS_PER_S)
                return -EINVAL;
        if (c->two_node && c->votes != 1)
                return -EINVAL;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Randomness: xorshift64* (Vigna), seeded through splitmix64.          */

static uint64_t rng_next(hb_coord_t *c)
{
        uint64_t x = c->rng;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c->rng = x;
        return x * UINT64_C(0x2545f4914f6cdd1d);
}

/*
 * How many eligible peers stand before us: alive, coordinating, not
 * witnesses, not faulted (they advertise priority 0), and with a higher
 * priority, or the same priority and a lower id.
 */
static uint32_t rank(const hb_node_t *node)
{
        uint32_t prio = node->cfg.coord.priority, self = node->cfg.node_id;
        uint32_t r = 0;
        size_t i;

        for (i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->state != HB_PEER_ALIVE || !p->has_coord ||
                    (p->c_flags & HB_LEADER_FLAG_WITNESS) ||
                    p->c_priority == 0)
                        continue;
                if (p->c_priority > prio ||
                    (p->c_priority == prio && p->id < self))
                        r++;
        }
        return r;
}

/*
 * Randomized delay before standing: the first in rank order (see rank())
 * waits U(0, 1/4) x election_delay, the r-th after it
 * (r + U(0, 1)) x election_delay. Every node ranks the same peers the
 * same way when views agree, so the first stands alone and wins in one
 * round trip; the others' delays start one election_delay later, enough
 * for its vote requests to reach them. Views that disagree (a node not
 * yet heard) fall back on the random part, as Raft's randomized timeouts.
 */
static uint64_t election_delay(hb_node_t *node)
{
        uint64_t base = node->cfg.coord.election_delay_ns;
        uint64_t u = rng_next(&node->coord) >> 48; /* 0 .. 65535 */
        uint32_t r = rank(node);

        node->coord.deadline_rank = r;
        if (r == 0)
                return base / 4 / 65536 * u;
        return base * r + base / 65536 * u;
}

/* All lease promises in force: start-up, votes, and the one made to the
 * leader named in our heartbeats. */
static uint64_t hold_until(const hb_coord_t *c)
{
        return max_u64(c->hold_until_ns, c->hold_leader_until_ns);
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                            */

void hb__coord_init(hb_node_t *node)
{
        hb_coord_t *c = &node->coord;
        uint64_t z;

        memset(c, 0, sizeof(*c));
        c->role = HB_ROLE_NO_QUORUM;
        c->election_deadline_ns = HB_NEVER;
        c->resend_ns = HB_NEVER;
        c->lease_check_ns = HB_NEVER;
        if (!node->cfg.coord.enabled)
                return;
        c->waiting_for_all = node->cfg.coord.wait_for_all;
        /* splitmix64 of seed and id: nodes given the same seed still draw
         * different delays. */
        z = node->cfg.coord.seed ^
            ((uint64_t)node->cfg.node_id * UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        z ^= z >> 31;
        c->rng = z ? z : 1;
}

/* ------------------------------------------------------------------ */
/* Events and the role machine                                          */

static void emit(hb_node_t *node, hb_event_type_t type, hb_role_t old_role,
                 const char *why, uint64_t now_ns)
{
        const hb_coord_t *c = &node->coord;
        hb_event_t ev;

        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = type;
        ev.peer_id = 0;
        ev.at_ns = now_ns;
        ev.last_arrival_ns = HB_NEVER;
        ev.old_role = old_role;
        ev.new_role = c->role;
        ev.term = c->term;
        ev.leader_id = c->role == HB_ROLE_LEADER ? node->cfg.node_id
                                                 : c->leader_id;
        ev.voted_for = c->voted_for;
        ev.quorate = c->quorate;
        ev.established = c->role == HB_ROLE_LEADER && c->established;
        ev.why = why;
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
}

static bool is_leader_state(hb_peer_state_t s)
{
        return s == HB_PEER_ALIVE || s == HB_PEER_SUSPECT ||
               s == HB_PEER_PROBATION;
}

/*
 * Tell the cluster at once, with a heartbeat out of schedule, when this
 * node starts leading or starts following a leader (of a term) it did not
 * follow before. A leader is *established* when a quorum has named it in
 * heartbeats of its term; waiting for the schedule, that takes the
 * leader's next heartbeat and then the followers' (one to two intervals).
 * Announced, it takes a round trip. Only more heartbeats, never fewer:
 * each one states what is true when it is sent, so the lease and the
 * promise arguments are unchanged.
 */
static void announce(hb_node_t *node)
{
        hb_coord_t *c = &node->coord;

        if (c->leader_id == 0 || (c->leader_id == c->announced_leader &&
                                  c->term == c->announced_term))
                return;
        c->announced_leader = c->leader_id;
        c->announced_term = c->term;
        c->announce = true;
}

bool hb__coord_take_announce(hb_node_t *node)
{
        bool a = node->coord.announce;

        node->coord.announce = false;
        return a;
}

/* The one function that changes the role. */
static void set_role(hb_node_t *node, hb_role_t to, const char *why,
                     uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        hb_role_t from = c->role;

        if (from == to)
                return;
        c->role = to;
        c->role_since_ns = now_ns;
        c->established = false;
        c->resend_ns = HB_NEVER;
        c->lease_check_ns = HB_NEVER;
        c->election_deadline_ns = HB_NEVER;
        if (to == HB_ROLE_LEADER)
                c->leader_id = node->cfg.node_id;
        else if (c->leader_id == node->cfg.node_id)
                c->leader_id = 0;
        c->reported_leader = c->leader_id;
        announce(node);
        emit(node, HB_EVENT_ROLE, from, why, now_ns);
}

/* The followed leader is alive enough to be trusted (not yet dead). */
static bool leader_live(const hb_node_t *node)
{
        const hb_coord_t *c = &node->coord;
        const hb_peer_t *p;

        if (c->leader_id == 0)
                return false;
        if (c->leader_id == node->cfg.node_id)
                return c->role == HB_ROLE_LEADER;
        p = hb__lookup(node, c->leader_id);
        return p && is_leader_state(p->state);
}

/* Following a live leader other than `cand`: refuse (stickiness). */
static bool sticky(const hb_node_t *node, uint32_t cand)
{
        const hb_coord_t *c = &node->coord;

        if (c->role == HB_ROLE_LEADER)
                return true;
        return c->leader_id != 0 && c->leader_id != cand && leader_live(node);
}

/* Compute the vote counts; returns whether the partition is quorate. */
static bool compute(hb_node_t *node)
{
        hb_coord_t *c = &node->coord;
        const hb_coord_config_t *k = &node->cfg.coord;
        uint64_t sum = k->votes, present = k->votes;
        bool all_seen = true, q;
        size_t i;

        for (i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                sum += p->votes;
                if (p->state == HB_PEER_ALIVE)
                        present += p->votes;
                if (!p->ever_alive)
                        all_seen = false;
        }
        c->expected_votes = hb_coord_expected_votes(k, sum);
        c->quorum_votes = hb_coord_votes_needed(k, c->expected_votes, false);
        c->votes_present = (uint32_t)present;
        if (c->waiting_for_all && all_seen)
                c->waiting_for_all = false;
        q = present >= c->quorum_votes;
        if (k->two_node && node->n_peers == 1) {
                /* A lone node keeps quorum; when the two cannot see each
                 * other, the lower id keeps it at once and the higher id
                 * only once its peer is dead: the lower id wins the race
                 * (docs/election.md: still needs fencing). A peer that
                 * comes back (probation) is heard again: no race, and the
                 * higher id keeps what it had rather than hand leadership
                 * to a node that has just restarted. */
                const hb_peer_t *p = node->peers[0];

                q = p->state == HB_PEER_ALIVE ||
                    node->cfg.node_id < p->id || p->state == HB_PEER_DEAD ||
                    p->state == HB_PEER_LEFT ||
                    p->state == HB_PEER_PROBATION;
        }
        return q && !c->waiting_for_all;
}

uint32_t hb_coord_expected_votes(const hb_coord_config_t *cc,
                                 uint64_t configured_votes)
{
        uint64_t sum = configured_votes;

        if (cc == NULL)
                return 0;
        if (cc->expected_votes)
                sum = cc->expected_votes;
        return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

uint32_t hb_coord_votes_needed(const hb_coord_config_t *cc,
                               uint32_t expected_votes, bool alone)
{
        if (cc == NULL)
                return 0;
        if (cc->two_node && alone)
                return cc->votes;
        return expected_votes / 2 + 1;
}

/* Votes needed to win an election or hold the lease. */
static uint32_t needed(const hb_node_t *node)
{
        return hb_coord_votes_needed(&node->cfg.coord,
                                     node->coord.expected_votes,
                                     node->n_peers == 1 &&
                                             node->peers[0]->state !=
                                                     HB_PEER_ALIVE);
}

/* Self plus peers whose support for us in this term is still fresh;
 * *next gets the earliest expiry among them. */
static uint32_t lease_votes(const hb_node_t *node, uint64_t now_ns,
                            uint64_t *next)
{
        const hb_coord_t *c = &node->coord;
        uint32_t v = node->cfg.coord.votes;
        size_t i;

        *next = HB_NEVER;
        for (i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->support_term == c->term &&
                    p->support_until_ns > now_ns) {
                        v += p->votes;
                        if (p->support_until_ns < *next)
                                *next = p->support_until_ns;
                }
        }
        return v;
}

/* A leader named by a quorum in heartbeats of its term (hb_coord_info_t
 * .established): raised once per leadership. */
static void check_established(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        uint32_t v = node->cfg.coord.votes;
        size_t i;

        if (c->established || c->role != HB_ROLE_LEADER)
                return;
        for (i = 0; i < node->n_peers; i++)
                if (node->peers[i]->named_term == c->term)
                        v += node->peers[i]->votes;
        if (v < needed(node))
                return;
        c->established = true;
        emit(node, HB_EVENT_ROLE, HB_ROLE_LEADER, "established", now_ns);
}

/* Preempt: a leader yields to an alive, higher-priority, preempting peer
 * that has been alive for a probation period. */
static bool should_yield(const hb_node_t *node, uint64_t now_ns)
{
        size_t i;

        /* The preempting peer's setting counts (flag in its TLV). */
        for (i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->has_coord && p->state == HB_PEER_ALIVE &&
                    (p->c_flags & HB_LEADER_FLAG_PREEMPT) &&
                    !(p->c_flags & HB_LEADER_FLAG_WITNESS) &&
                    p->c_priority > node->cfg.coord.priority &&
                    now_ns >= add_sat(p->alive_since_ns,
                                      node->cfg.probation_ns))
                        return true;
        }
        return false;
}

/*
 * Re-evaluate quorum and role after anything changed. Emits the quorum
 * event, moves between no-quorum / follower, makes a leader without its
 * lease step down, drops a leader that is no longer live, and schedules
 * (or cancels) this node's candidacy.
 */
static void update(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        bool q = compute(node);
        uint64_t next;

        if (q != c->quorate) {
                c->quorate = q;
                emit(node, HB_EVENT_QUORUM, c->role,
                     q ? "gained quorum" : "lost quorum", now_ns);
        }
        if (!q) {
                set_role(node, HB_ROLE_NO_QUORUM, "lost quorum", now_ns);
        } else {
                if (c->role == HB_ROLE_NO_QUORUM)
                        set_role(node, HB_ROLE_FOLLOWER, "gained quorum",
                                 now_ns);
                if (c->fault && (c->role == HB_ROLE_LEADER ||
                                 c->role == HB_ROLE_CANDIDATE))
                        set_role(node, HB_ROLE_FOLLOWER, "check fault",
                                 now_ns);
                if (c->role == HB_ROLE_LEADER) {
                        if (lease_votes(node, now_ns, &next) < needed(node)) {
                                set_role(node, HB_ROLE_FOLLOWER,
                                         "lease expired", now_ns);
                        } else if (should_yield(node, now_ns)) {
                                c->yield_until_ns = add_sat(
                                        now_ns, 2 * promise_ns(node));
                                set_role(node, HB_ROLE_FOLLOWER, "preempted",
                                         now_ns);
                        } else {
                                c->lease_check_ns = next;
                                check_established(node, now_ns);
                        }
                }
        }
        if (c->role == HB_ROLE_FOLLOWER || c->role == HB_ROLE_NO_QUORUM) {
                if (c->leader_id != 0 && !leader_live(node))
                        c->leader_id = 0;
                if (c->leader_id != c->reported_leader) {
                        c->reported_leader = c->leader_id;
                        emit(node, HB_EVENT_ROLE, c->role,
                             c->leader_id ? "leader changed" : "leader lost",
                             now_ns);
                }
        }
        if (c->role == HB_ROLE_FOLLOWER) {
                if (c->leader_id == 0 && !node->cfg.coord.witness &&
                    !c->fault) {
                        /* Scheduled anew when a peer that outranks us
                         * appeared since (it should stand first). */
                        if (c->election_deadline_ns == HB_NEVER ||
                            rank(node) > c->deadline_rank)
                                c->election_deadline_ns =
                                        now_ns + election_delay(node);
                } else {
                        c->election_deadline_ns = HB_NEVER;
                }
        }
}

/* A higher term seen: adopt it, vote in it not yet cast. */
static void adopt_term(hb_node_t *node, uint64_t term, const char *why,
                       uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        c->term = term;
        c->voted_for = 0;
        if (c->leader_id != node->cfg.node_id)
                c->leader_id = 0;
        emit(node, HB_EVENT_TERM, c->role, why, now_ns);
        if (c->role == HB_ROLE_LEADER || c->role == HB_ROLE_CANDIDATE)
                set_role(node,
                         c->quorate ? HB_ROLE_FOLLOWER : HB_ROLE_NO_QUORUM,
                         why, now_ns);
}

/* ------------------------------------------------------------------ */
/* Messages                                                             */

static void queue(hb_node_t *node, uint32_t peer_id, uint8_t type,
                  const uint8_t *tlv, size_t tlv_len, uint64_t now_ns)
{
        (void)hb__out_push(node, HB_DEST_PEER, peer_id, type, 0, tlv, tlv_len,
                           now_ns);
}

/* The leader we followed, if its process is known to be gone. */
static uint32_t exited_leader(const hb_node_t *node)
{
        const hb_peer_t *x;

        if (node->coord.exited_leader_id == 0)
                return 0;
        x = hb__lookup(node, node->coord.exited_leader_id);
        return x && x->state == HB_PEER_DEAD && x->exited ? x->id : 0;
}

static void send_request(hb_node_t *node, const hb_peer_t *p,
                         uint64_t now_ns)
{
        uint8_t tlv[2 * HB_WIRE_TLV_HEADER_LEN + HB_VOTE_TLV_LEN + 4];
        size_t o = hb__put_tlv_header(tlv, HB_TLV_VOTE, HB_VOTE_TLV_LEN);
        size_t len = sizeof(tlv);
        uint32_t x = exited_leader(node);

        memset(tlv + o, 0, HB_VOTE_TLV_LEN);
        hb__put_u64(tlv + o, node->coord.term);
        tlv[o + 8] = (uint8_t)node->cfg.coord.priority;
        o += HB_VOTE_TLV_LEN;
        if (x != 0 && x != p->id) {
                o += hb__put_tlv_header(tlv + o, HB_TLV_EXITED, 4);
                hb__put_u32(tlv + o, x);
        } else {
                len = o;
        }
        queue(node, p->id, HB_MSG_VOTE_REQ, tlv, len, now_ns);
}

/* Response: VOTE {term, granted} and ECHO {request seq, request send
 * time}, so the candidate can date the lease a grant gives it on its own
 * clock. */
static void send_response(hb_node_t *node, const hb_peer_t *p,
                          const hb_wire_msg_t *req, bool granted,
                          uint64_t now_ns)
{
        uint8_t tlv[2 * HB_WIRE_TLV_HEADER_LEN + HB_VOTE_TLV_LEN + 16];
        size_t o = hb__put_tlv_header(tlv, HB_TLV_VOTE, HB_VOTE_TLV_LEN);

        memset(tlv + o, 0, HB_VOTE_TLV_LEN);
        hb__put_u64(tlv + o, node->coord.term);
        tlv[o + 8] = granted ? 1 : 0;
        o += HB_VOTE_TLV_LEN;
        o += hb__put_tlv_header(tlv + o, HB_TLV_ECHO, 16);
        hb__put_u64(tlv + o, req->seq);
        hb__put_u64(tlv + o + 8, req->send_time_ns);
        queue(node, p->id, HB_MSG_VOTE_RESP, tlv, sizeof(tlv), now_ns);
}

/*
 * Won when the grants whose lease is still running make a quorum: a grant
 * that came early and ran out while the last voters were still bound by
 * their promises would make a leader that steps down at once ("lease
 * expired"); such a voter is asked again (timers()) and its new grant
 * renews the lease.
 */
static void check_won(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        uint64_t next;

        if (c->role != HB_ROLE_CANDIDATE)
                return;
        if (lease_votes(node, now_ns, &next) >= needed(node)) {
                set_role(node, HB_ROLE_LEADER, "elected", now_ns);
                update(node, now_ns); /* arms the lease check */
        }
}

static void start_election(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        size_t i;

        c->term++;
        c->voted_for = node->cfg.node_id;
        c->leader_id = 0;
        c->elections_started++;
        /* Durable before any request leaves. */
        emit(node, HB_EVENT_TERM, c->role, "election", now_ns);
        set_role(node, HB_ROLE_CANDIDATE, "election", now_ns);
        c->elect_start_ns = now_ns;
        c->election_deadline_ns =
                now_ns + promise_ns(node) + election_delay(node);
        c->resend_ns = now_ns + node->cfg.interval_ns;
        for (i = 0; i < node->n_peers; i++)
                send_request(node, node->peers[i], now_ns);
        check_won(node, now_ns);
}

/* Coordination timers due at now_ns. */
static void timers(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        size_t i;

        if (c->role == HB_ROLE_LEADER && now_ns >= c->lease_check_ns)
                update(node, now_ns);
        if (c->role == HB_ROLE_CANDIDATE) {
                if (now_ns >= c->election_deadline_ns) {
                        start_election(node, now_ns); /* split vote */
                } else if (now_ns >= c->resend_ns) {
                        /* Lost requests, or voters still bound by a
                         * promise: ask again in the same term. */
                        c->resend_ns = now_ns + node->cfg.interval_ns;
                        for (i = 0; i < node->n_peers; i++) {
                                const hb_peer_t *p = node->peers[i];

                                if (p->granted_term != c->term ||
                                    p->support_term != c->term ||
                                    p->support_until_ns <= c->resend_ns)
                                        send_request(node, p, now_ns);
                        }
                }
        }
        if (c->role == HB_ROLE_FOLLOWER &&
            now_ns >= c->election_deadline_ns) {
                uint64_t wait = max_u64(hold_until(c), c->yield_until_ns);

                if (c->leader_id != 0 || node->cfg.coord.witness ||
                    c->fault)
                        c->election_deadline_ns = HB_NEVER;
                else if (now_ns < wait)
                        /* Bound by a promise: the delay runs again from
                         * its end, ranked on what we know by then (at a
                         * cold start every node holds until its start-up
                         * promise ends, having heard nobody before). */
                        c->election_deadline_ns = wait +
                                                  election_delay(node);
                else
                        start_election(node, now_ns);
        }
}

/* ------------------------------------------------------------------ */
/* Hooks called by node.c                                               */

void hb__coord_begin(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        if (now_ns > c->now_ns)
                c->now_ns = now_ns;
        if (!c->started) {
                /* A restarted node does not remember the promises it made
                 * before: it makes them all again, for one PROMISE. */
                c->started = true;
                c->hold_until_ns = now_ns + promise_ns(node);
                c->role_since_ns = now_ns;
                update(node, now_ns);
        }
        /* Before the datagram: a lease that ran out while nobody called
         * (a stopped process) ends before anything else happens. */
        timers(node, now_ns);
}

void hb__coord_recount(hb_node_t *node)
{
        if (node->coord.started)
                update(node, node->coord.now_ns);
        else
                (void)compute(node);
}

/*
 * The process of peer `id` is gone (port unreachable, seen by us or by a
 * candidate that followed it): it can no longer act as leader, so stop
 * following it and void the promise made to it. Promises are what keep a
 * *live* old leader's lease safe (see the top of this file); they mean
 * nothing to a process that no longer exists. Whatever it left behind (a
 * VIP still configured, a resource still running) is what fencing is
 * for (docs/election.md).
 */
static void forget_exited_leader(hb_node_t *node, uint32_t id)
{
        hb_coord_t *c = &node->coord;

        if (c->leader_id == id && id != node->cfg.node_id) {
                c->leader_id = 0;
                c->exited_leader_id = id;
        }
        if (c->hold_leader_id == id) {
                c->hold_leader_until_ns = 0;
                c->exited_leader_id = id;
        }
}

void hb__coord_peer_changed(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        if (p->state == HB_PEER_ALIVE) {
                p->ever_alive = true;
                p->alive_since_ns = now_ns;
        } else if (p->state != HB_PEER_SUSPECT) {
                /* Dead, left or restarted: whatever it supported is void. */
                p->support_until_ns = 0;
        }
        if (p->state == HB_PEER_DEAD && p->exited)
                forget_exited_leader(node, p->id);
        if (!node->coord.started)
                return;
        if (now_ns > node->coord.now_ns)
                node->coord.now_ns = now_ns;
        update(node, now_ns);
}

int hb__coord_parse_leader(const hb_wire_msg_t *m, hb_leader_tlv_t *out)
{
        const uint8_t *cur = m->tlv, *v;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &v, &vlen)) > 0) {
                if (type != HB_TLV_LEADER)
                        continue;
                if (vlen != HB_LEADER_TLV_LEN)
                        return HB_EBADTLV;
                out->term = hb__get_u64(v);
                out->leader_id = hb__get_u32(v + 8);
                out->role = v[12];
                out->priority = v[13];
                out->flags = v[14];
                if (out->role > HB_ROLE_LEADER)
                        return HB_EBADTLV;
                return 1;
        }
        return r < 0 ? r : 0;
}

void hb__coord_on_heartbeat(hb_node_t *node, hb_peer_t *p,
                            const hb_leader_tlv_t *t, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        uint32_t self = node->cfg.node_id;
        bool burst;

        if (!t) {
                /* Coordination off over there: it counts for quorum,
                 * never supports nor leads. */
                p->has_coord = false;
                p->support_until_ns = 0;
                if (c->leader_id == p->id)
                        c->leader_id = 0;
                update(node, now_ns);
                return;
        }
        p->has_coord = true;
        p->c_term = t->term;
        p->c_leader = t->leader_id;
        p->c_role = t->role;
        p->c_priority = t->priority;
        p->c_flags = t->flags;

        /* Lease support. Heartbeats that waited in the socket buffer
         * during a local pause are old: they support nothing. A heartbeat
         * that does not name us only fails to extend the support: the
         * promise made with the last one (or with the vote) still binds
         * its sender until the support it gave has run out. */
        burst = node->counters.local_pauses > 0 &&
                now_ns < node->pause_resume_ns + node->cfg.interval_ns / 2;
        if (t->term == c->term && t->leader_id == self &&
            t->role != HB_ROLE_LEADER && !burst) {
                p->support_term = t->term;
                p->support_until_ns = now_ns + lease_ns(node);
                p->named_term = t->term;
        }

        if (t->role == HB_ROLE_LEADER && t->leader_id == p->id) {
                /* Authority of a leader of our term or a later one. */
                if (t->term > c->term)
                        adopt_term(node, t->term, "higher term", now_ns);
                if (t->term == c->term && c->role != HB_ROLE_LEADER) {
                        if (c->role == HB_ROLE_CANDIDATE)
                                set_role(node, HB_ROLE_FOLLOWER,
                                         "leader elected", now_ns);
                        c->leader_id = p->id;
                        c->exited_leader_id = 0;
                        announce(node);
                }
        } else {
                if (c->leader_id == p->id)
                        c->leader_id = 0; /* it no longer leads */
                if (t->term > c->term &&
                    (c->role == HB_ROLE_LEADER ||
                     c->role == HB_ROLE_CANDIDATE || !leader_live(node)))
                        adopt_term(node, t->term, "higher term", now_ns);
        }
        update(node, now_ns);
}

/* Find the VOTE (and ECHO) TLVs; HB_EBADTLV if VOTE is missing or any of
 * them has the wrong length. */
static int parse_vote(const hb_wire_msg_t *m, const uint8_t **vote,
                      const uint8_t **echo, uint32_t *exited)
{
        const uint8_t *cur = m->tlv, *v;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r;

        *vote = NULL;
        *echo = NULL;
        *exited = 0;
        while ((r = hb_wire_tlv_next(&cur, &left, &type, &v, &vlen)) > 0) {
                if (type == HB_TLV_VOTE) {
                        if (vlen != HB_VOTE_TLV_LEN)
                                return HB_EBADTLV;
                        *vote = v;
                } else if (type == HB_TLV_ECHO) {
                        if (vlen != 16)
                                return HB_EBADTLV;
                        *echo = v;
                } else if (type == HB_TLV_EXITED) {
                        if (vlen != 4)
                                return HB_EBADTLV;
                        *exited = hb__get_u32(v);
                }
        }
        if (r < 0)
                return r;
        return *vote ? 0 : HB_EBADTLV;
}

int hb__coord_check_vote(const hb_wire_msg_t *m)
{
        const uint8_t *vote, *echo;
        uint32_t exited;

        return parse_vote(m, &vote, &echo, &exited);
}

/* Grant our vote in the current term to `p` (persisted first). */
static void grant(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        if (c->voted_for != p->id) {
                c->voted_for = p->id;
                emit(node, HB_EVENT_TERM, c->role, "vote granted", now_ns);
        }
        /* A vote is support too: no other vote for a PROMISE. */
        c->hold_until_ns = max_u64(c->hold_until_ns,
                                   now_ns + promise_ns(node));
        /* Give the candidate time to win before standing ourselves. */
        if (c->role == HB_ROLE_FOLLOWER)
                c->election_deadline_ns =
                        now_ns + promise_ns(node) + election_delay(node);
}

void hb__coord_on_vote(hb_node_t *node, hb_peer_t *p, const hb_wire_msg_t *m,
                       uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        const uint8_t *vote, *echo;
        uint64_t term, start;
        uint32_t exited;
        bool ok;

        if (parse_vote(m, &vote, &echo, &exited) < 0)
                return; /* checked by the caller */
        term = hb__get_u64(vote);

        if (m->type == HB_MSG_VOTE_REQ) {
                /* The candidate saw the process of the leader it followed
                 * exit: if we follow (or promised) that leader, we stop. */
                if (exited != 0 && exited != node->cfg.node_id &&
                    exited != p->id && term > c->term)
                        forget_exited_leader(node, exited);
                if (term > c->term) {
                        if (sticky(node, p->id)) {
                                send_response(node, p, m, false, now_ns);
                                return;
                        }
                        adopt_term(node, term, "higher term", now_ns);
                }
                ok = term == c->term &&
                     (c->voted_for == 0 || c->voted_for == p->id) &&
                     !(p->has_coord &&
                       (p->c_flags & HB_LEADER_FLAG_WITNESS)) &&
                     !sticky(node, p->id) &&
                     (c->voted_for == p->id || now_ns >= hold_until(c));
                if (ok)
                        grant(node, p, now_ns);
                send_response(node, p, m, ok, now_ns);
                update(node, now_ns);
                return;
        }

        /* HB_MSG_VOTE_RESP */
        if (term > c->term) {
                adopt_term(node, term, "higher term", now_ns);
                update(node, now_ns);
                return;
        }
        if (c->role != HB_ROLE_CANDIDATE || term != c->term || !vote[8])
                return; /* stale or refused */
        /* A peer's grant counts once per term (granted_term); a later
         * grant in the same term (answer to a request asked again) only
         * renews the lease it gives. */
        p->granted_term = c->term;
        /* The grant answered a request we sent at `start` (our clock):
         * the voter's promise runs from after that. */
        start = c->elect_start_ns;
        if (echo) {
                uint64_t t = hb__get_u64(echo + 8);

                if (t >= start && t <= now_ns)
                        start = t;
        }
        if (p->support_term != c->term)
                p->support_until_ns = 0;
        p->support_term = c->term;
        p->support_until_ns = max_u64(p->support_until_ns,
                                      start + lease_ns(node));
        check_won(node, now_ns);
}

void hb__coord_leader_tlv(hb_node_t *node, uint64_t now_ns, uint8_t *tlv)
{
        hb_coord_t *c = &node->coord;
        uint32_t self = node->cfg.node_id;
        uint32_t leader = c->role == HB_ROLE_LEADER ? self : c->leader_id;
        size_t o = hb__put_tlv_header(tlv, HB_TLV_LEADER, HB_LEADER_TLV_LEN);
        uint8_t flags = 0;

        /* Naming a leader is support: promise not to vote for another
         * candidate for a PROMISE from now. */
        if (leader != 0 && leader != self) {
                if (leader != c->hold_leader_id) {
                        /* A promise to an earlier leader still binds in
                         * full, whatever becomes of that leader. */
                        c->hold_until_ns = max_u64(c->hold_until_ns,
                                                   c->hold_leader_until_ns);
                        c->hold_leader_id = leader;
                }
                c->hold_leader_until_ns = max_u64(c->hold_leader_until_ns,
                                                  now_ns + promise_ns(node));
        }
        if (node->cfg.coord.witness)
                flags |= HB_LEADER_FLAG_WITNESS;
        /* A faulted node advertises no preempt and priority 0, so that a
         * preempting leader never yields to a node that will not stand. */
        if (node->cfg.coord.preempt && !c->fault)
                flags |= HB_LEADER_FLAG_PREEMPT;
        if (c->resource)
                flags |= HB_LEADER_FLAG_RESOURCE;
        hb__put_u64(tlv + o, c->term);
        hb__put_u32(tlv + o + 8, leader);
        tlv[o + 12] = (uint8_t)c->role;
        tlv[o + 13] = c->fault ? 0 : (uint8_t)node->cfg.coord.priority;
        tlv[o + 14] = flags;
        tlv[o + 15] = 0;
}

uint64_t hb__coord_deadline(const hb_node_t *node)
{
        const hb_coord_t *c = &node->coord;

        if (!c->started)
                return HB_NEVER;
        switch (c->role) {
        case HB_ROLE_LEADER:
                return c->lease_check_ns;
        case HB_ROLE_CANDIDATE:
                return c->election_deadline_ns < c->resend_ns
                               ? c->election_deadline_ns
                               : c->resend_ns;
        case HB_ROLE_FOLLOWER:
                return c->election_deadline_ns;
        case HB_ROLE_NO_QUORUM:
                break;
        }
        return HB_NEVER;
}

void hb__coord_tick(hb_node_t *node, uint64_t now_ns)
{
        timers(node, now_ns);
}

void hb__coord_local_pause(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        size_t i;

        if (now_ns > c->now_ns)
                c->now_ns = now_ns;
        /* We were stopped: every lease we held may have run out, and an
         * election we ran may have been overtaken. Start afresh. */
        for (i = 0; i < node->n_peers; i++)
                node->peers[i]->support_until_ns = 0;
        if (c->role == HB_ROLE_LEADER || c->role == HB_ROLE_CANDIDATE)
                set_role(node,
                         c->quorate ? HB_ROLE_FOLLOWER : HB_ROLE_NO_QUORUM,
                         "local pause", now_ns);
        if (c->started)
                update(node, now_ns);
}

/* ------------------------------------------------------------------ */
/* Public API (node.h)                                                  */

int hb_node_peer_set_votes(hb_node_t *node, uint32_t peer_id,
                           uint32_t votes)
{
        hb_peer_t *p;

        if (!node || votes > 255)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        p->votes = votes;
        if (node->cfg.coord.enabled)
                hb__coord_recount(node);
        return 0;
}

int hb_node_restore_term(hb_node_t *node, uint64_t term, uint32_t voted_for)
{
        if (!node || !node->cfg.coord.enabled || node->coord.started)
                return -EINVAL;
        node->coord.term = term;
        node->coord.voted_for = voted_for;
        return 0;
}

int hb_node_set_priority(hb_node_t *node, uint32_t priority,
                         uint64_t now_ns)
{
        hb_coord_t *c;

        if (!node || !node->cfg.coord.enabled || priority > 255)
                return -EINVAL;
        c = &node->coord;
        if (now_ns > c->now_ns)
                c->now_ns = now_ns;
        if (node->cfg.coord.priority == priority)
                return 0;
        node->cfg.coord.priority = priority;
        /* A scheduled candidacy was drawn with the old priority: draw it
         * again (update() schedules a fresh one when still due). */
        if (c->role == HB_ROLE_FOLLOWER && c->election_deadline_ns != HB_NEVER)
                c->election_deadline_ns = HB_NEVER;
        if (c->started)
                update(node, c->now_ns);
        return 0;
}

int hb_node_set_resource(hb_node_t *node, bool up)
{
        if (!node || !node->cfg.coord.enabled)
                return -EINVAL;
        node->coord.resource = up;
        return 0;
}

int hb_node_set_fault(hb_node_t *node, bool fault, uint64_t now_ns)
{
        hb_coord_t *c;

        if (!node || !node->cfg.coord.enabled)
                return -EINVAL;
        c = &node->coord;
        if (now_ns > c->now_ns)
                c->now_ns = now_ns;
        if (c->fault == fault)
                return 0;
        c->fault = fault;
        if (fault)
                c->election_deadline_ns = HB_NEVER;
        if (c->started)
                update(node, c->now_ns);
        return 0;
}

bool hb_node_fault(const hb_node_t *node)
{
        return node && node->coord.fault;
}

void hb_node_coord_info(const hb_node_t *node, hb_coord_info_t *out)
{
        const hb_coord_t *c;

        if (!out)
                return;
        memset(out, 0, sizeof(*out));
        if (!node || !node->cfg.coord.enabled)
                return;
        c = &node->coord;
        out->enabled = true;
        out->role = c->role;
        out->term = c->term;
        out->leader_id = c->role == HB_ROLE_LEADER ? node->cfg.node_id
                                                   : c->leader_id;
        out->voted_for = c->voted_for;
        out->quorate = c->quorate;
        out->votes_present = c->votes_present;
        out->expected_votes = c->expected_votes;
        out->quorum_votes = c->quorum_votes;
        out->waiting_for_all = c->waiting_for_all;
        out->role_since_ns = c->role_since_ns;
        out->elections_started = c->elections_started;
        out->election_deadline_ns = c->election_deadline_ns;
        out->established = c->role == HB_ROLE_LEADER && c->established;
}
