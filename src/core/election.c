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
 *   needs a quorum of *support*. A supporter's heartbeat echoes the
 *   latest heartbeat it accepted from the leader (16 bits of its
 *   sequence) and the promise it made with it: no vote for another
 *   candidate until `promise` after that heartbeat arrived, on the
 *   supporter's clock, where promise = the supporter's own detector's
 *   time to convict the leader from that arrival, capped at
 *   promise_max. The leader counts that support until
 *   T + promise x (1 - rho) / (1 + rho) on its own clock, T being when it
 *   sent the echoed heartbeat: T is before the arrival and rho bounds
 *   how far any clock's rate is from real time, so the support ends
 *   before the promise does however late it arrived (docs/election.md,
 *   "The lease"). A vote grant is the same with the request's send time
 *   and the voter's (short) vote promise. A new leader needs a vote of
 *   some supporter of the old one, so it cannot exist before the old
 *   lease has run out. The promise ends when the supporter's detector
 *   would convict the leader, so a silent leader is replaced without a
 *   second wait after the verdict; the leader's count ends a one-way
 *   delay before that.
 *   Alive-based quorum alone would not cover one-way cuts (the leader
 *   still hears its followers while they no longer hear it).
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

/* Terms travel in 32 bits on heartbeats (wire.h): the core never goes
 * beyond, and a node at the last term stands no more. */
#define TERM_MAX UINT32_MAX

/* A voter's promise: votes for no other candidate this long after a
 * grant (HB_COORD_VOTE_PROMISE_INTERVALS); it is the new leader's lease
 * until its followers' support comes in, one round trip later. */
static uint64_t vote_promise_ns(const hb_node_t *node)
{
        return min_u64(HB_COORD_VOTE_PROMISE_INTERVALS *
                               hb__election_interval_ns(node),
                       node->coord.promise_max_ns);
}

/* Time a leader must not start standing again after yielding (preempt). */
static uint64_t yield_ns(const hb_node_t *node)
{
        return 8 * hb__election_interval_ns(node);
}

static uint64_t drift_ppm(const hb_node_t *node)
{
        uint64_t ppm = node->cfg.coord.clock_drift_ppm;

        return ppm != 0 ? ppm : HB_COORD_DRIFT_PPM_DEFAULT;
}

/*
 * The part of a promise of `d` (on the supporter's clock) that a leader
 * may count on its own: d x (1 - rho) / (1 + rho). The supporter's clock
 * runs at most (1 + rho) x real time, so the promise lasts at least
 * d / (1 + rho) real time; the leader's runs at least (1 - rho) x, so
 * this much on it is at most d / (1 + rho) real time.
 */
static uint64_t lease_part(const hb_node_t *node, uint64_t d)
{
        uint64_t ppm = drift_ppm(node);

        return (uint64_t)((unsigned __int128)d * (1000000u - ppm) /
                          (1000000u + ppm));
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
        if (c->reserved32 != 0)
                return -EINVAL;
        if (!c->enabled)
                return 0;
        if (c->votes > 255 || c->priority > 255)
                return -EINVAL;
        if (c->election_delay_ns < HB_NS_PER_MS ||
            c->election_delay_ns > 3600 * HB_NS_PER_S)
                return -EINVAL;
        if (c->two_node && c->votes != 1)
                return -EINVAL;
        if (c->promise_max_ns != 0 &&
            (c->promise_max_ns < cfg->interval_ns ||
             c->promise_max_ns > 3600 * HB_NS_PER_S))
                return -EINVAL;
        if (c->clock_drift_ppm > HB_COORD_DRIFT_PPM_MAX)
                return -EINVAL;
        return 0;
}

/* The default promise_max of one class: three times a never-heard
 * peer's dead time (one arrival at 0), at least
 * HB_COORD_PROMISE_MAX_INTERVALS intervals; for an adaptive class, at
 * its max_interval. */
static int class_promise_max(const hb_class_config_t *c, uint64_t *out_ns)
{
        hb_detector_t *d;
        uint64_t dead, suspect, floor;
        int r;

        r = hb_detector_new(&d, &c->detector);
        if (r < 0)
                return r;
        hb_detector_heartbeat(d, 0);
        dead = hb_detector_crossing_ns(d, c->dead_threshold);
        if (c->dead_after_ns > 0) {
                suspect = hb_detector_crossing_ns(d, c->suspect_threshold);
                dead = min_u64(dead, add_sat(suspect, c->dead_after_ns));
        }
        hb_detector_free(d);
        /* An adaptive class may slow down to its max_interval: detectors
         * scale with the interval (hb_detector_set_interval()). */
        if (hb__class_slowest_ns(c) > c->interval_ns && dead != HB_NEVER)
                dead = (uint64_t)min_u64(
                        (unsigned __int128)dead * hb__class_slowest_ns(c) /
                                c->interval_ns,
                        HB_NEVER - 1);
        floor = HB_COORD_PROMISE_MAX_INTERVALS * hb__class_slowest_ns(c);
        dead = dead > HB_NEVER / 3 ? HB_NEVER : 3 * dead;
        *out_ns = min_u64(max_u64(floor, dead), 3600 * HB_NS_PER_S);
        return 0;
}

uint64_t hb_coord_gossip_promise_ns(const hb_node_config_t *cfg,
                                    size_t members)
{
        uint64_t pmax;

        if (!cfg || cfg->topology != HB_TOPOLOGY_GOSSIP)
                return 0;
        if (hb_coord_promise_max(cfg, &pmax) < 0)
                pmax = HB_NEVER;
        return min_u64(hb__swim_dead_cfg_ns(cfg, members ? members : 1),
                       pmax);
}

int hb_coord_promise_max(const hb_node_config_t *cfg, uint64_t *out_ns)
{
        hb_class_config_t c;
        uint64_t v;
        int r;

        if (!cfg || !out_ns)
                return -EINVAL;
        if (cfg->coord.promise_max_ns != 0) {
                *out_ns = cfg->coord.promise_max_ns;
                return 0;
        }
        if (cfg->topology == HB_TOPOLOGY_GOSSIP) {
                /* No detector judges the voters: gossip does. Three
                 * times its conviction time at a thousand members, at
                 * least HB_COORD_PROMISE_MAX_INTERVALS intervals. */
                v = hb__swim_dead_cfg_ns(
                        cfg, HB_COORD_GOSSIP_PROMISE_MAX_MEMBERS);
                v = v > HB_NEVER / 3 ? HB_NEVER : 3 * v;
                v = max_u64(v, HB_COORD_PROMISE_MAX_INTERVALS *
                                       cfg->interval_ns);
                *out_ns = min_u64(v, 3600 * HB_NS_PER_S);
                return 0;
        }
        /* The slowest class's: a promise to a leader in any class must
         * fit (docs/classes.md, "Election and per-class timing"). */
        *out_ns = 0;
        for (uint32_t i = 0; i <= cfg->n_classes && i <= HB_CLASSES_MAX;
             i++) {
                hb__class_at(cfg, i, &c);
                r = class_promise_max(&c, &v);
                if (r < 0)
                        return r;
                *out_ns = max_u64(*out_ns, v);
        }
        return 0;
}

uint64_t hb__election_interval_ns(const hb_node_t *node)
{
        uint64_t iv = 0;

        if (node->cfg.n_classes == 0)
                return node->cfg.interval_ns;
        for (uint32_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->votes > 0)
                        iv = max_u64(iv, hb__class_slowest_ns(
                                                 hb__class_of(node, p)));
        }
        return iv > 0 ? iv : node->cfg.interval_ns;
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

/* The same for a vote for `cand`: a promise binds against *other*
 * candidates, so the one made to `cand` as leader does not count. */
static uint64_t hold_against(const hb_coord_t *c, uint32_t cand)
{
        return cand != 0 && cand == c->hold_leader_id ? c->hold_until_ns
                                                      : hold_until(c);
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                            */

int hb__coord_init(hb_node_t *node)
{
        hb_coord_t *c = &node->coord;
        uint64_t z;
        int r;

        memset(c, 0, sizeof(*c));
        c->role = HB_ROLE_NO_QUORUM;
        c->election_deadline_ns = HB_NEVER;
        c->resend_ns = HB_NEVER;
        c->lease_check_ns = HB_NEVER;
        if (!node->cfg.coord.enabled)
                return 0;
        r = hb_coord_promise_max(&node->cfg, &c->promise_max_ns);
        if (r < 0)
                return r;
        c->waiting_for_all = node->cfg.coord.wait_for_all;
        /* splitmix64 of seed and id: nodes given the same seed still draw
         * different delays. */
        z = node->cfg.coord.seed ^
            ((uint64_t)node->cfg.node_id * UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        z ^= z >> 31;
        c->rng = z ? z : 1;
        return 0;
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
        ev.promise_until_ns = c->persisted_hold_ns;
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

/*
 * Make a promise durable before it is made: when `until` outlasts what
 * the caller persisted, raise HB_EVENT_TERM ("promise") with
 * promise_until_ns one promise_max further, so a node that keeps
 * promising writes about once per promise_max.
 */
static void persist_hold(hb_node_t *node, uint64_t until, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        if (until <= c->persisted_hold_ns)
                return;
        c->persisted_hold_ns = add_sat(until, c->promise_max_ns);
        emit(node, HB_EVENT_TERM, c->role, "promise", now_ns);
}

/* Bind ourselves by a promise to `leader` (0: a vote's) until `until`;
 * made durable first when it outlasts what was persisted. */
static void bind_promise(hb_node_t *node, uint32_t leader, uint64_t until,
                         uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        persist_hold(node, until, now_ns);
        if (leader == 0) {
                c->hold_until_ns = max_u64(c->hold_until_ns, until);
                return;
        }
        if (leader != c->hold_leader_id) {
                /* A promise to an earlier leader still binds in full,
                 * whatever becomes of that leader. */
                c->hold_until_ns = max_u64(c->hold_until_ns,
                                           c->hold_leader_until_ns);
                c->hold_leader_id = leader;
                c->hold_leader_until_ns = 0;
        }
        c->hold_leader_until_ns = max_u64(c->hold_leader_until_ns, until);
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
        if (to == HB_ROLE_LEADER) {
                c->leader_id = node->cfg.node_id;
                /* Echoes date from our heartbeats as leader only. */
                c->lead_first_seq = node->seq + 1;
                c->lead_since_ns = now_ns;
        } else if (c->leader_id == node->cfg.node_id) {
                c->leader_id = 0;
        }
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
        /* Gossip may keep a leader alive through other members' probes
         * while its own heartbeats no longer reach us: followed only
         * while they come (docs/gossip.md, "Quorum and election"). */
        if (p && hb__swim_voters(node) && c->now_ns >= p->g_trust_until_ns)
                return false;
        return p && is_leader_state(p->state);
}

/* Topology gossip: when the leader we follow stops being trusted for
 * want of its heartbeats (leader_live()); HB_NEVER otherwise. */
static uint64_t trust_deadline(const hb_node_t *node)
{
        const hb_coord_t *c = &node->coord;
        const hb_peer_t *p;

        if (!hb__swim_voters(node) || c->leader_id == 0 ||
            c->leader_id == node->cfg.node_id)
                return HB_NEVER;
        p = hb__lookup(node, c->leader_id);
        return p ? p->g_trust_until_ns : HB_NEVER;
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
                                c->yield_until_ns =
                                        add_sat(now_ns, yield_ns(node));
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
        uint8_t tlv[2 * HB_WIRE_TLV_HEADER_LEN + HB_VOTE_TLV_LEN +
                    HB_EXITED_TLV_LEN];
        size_t o = hb__put_tlv_header(tlv, HB_TLV_VOTE, HB_VOTE_TLV_LEN);
        size_t len = sizeof(tlv);
        uint32_t x = exited_leader(node);

        /* Topology "hierarchy": only the region's electors vote. */
        if (hb__hier_on(node) && p->votes == 0)
                return;
        memset(tlv + o, 0, HB_VOTE_TLV_LEN);
        hb__put_u64(tlv + o, node->coord.term);
        tlv[o + 8] = (uint8_t)node->cfg.coord.priority;
        o += HB_VOTE_TLV_LEN;
        if (x != 0 && x != p->id) {
                /* Which process exited: its incarnation as we knew it. */
                o += hb__put_tlv_header(tlv + o, HB_TLV_EXITED,
                                        HB_EXITED_TLV_LEN);
                hb__put_u32(tlv + o, x);
                hb__put_u64(tlv + o + 4, hb__lookup(node, x)->incarnation);
        } else {
                len = o;
        }
        queue(node, p->id, HB_MSG_VOTE_REQ, tlv, len, now_ns);
}

/* Response: VOTE {term, granted, promise} and ECHO {request seq, request
 * send time}, so the candidate can date the lease a grant gives it on its
 * own clock: from the request's send time, for the promise (which the
 * voter keeps from the grant, later than the request's arrival). */
static void send_response(hb_node_t *node, const hb_peer_t *p,
                          uint64_t req_seq, uint64_t req_sent_ns,
                          bool granted, uint64_t now_ns)
{
        uint8_t tlv[2 * HB_WIRE_TLV_HEADER_LEN + HB_VOTE_TLV_LEN + 16];
        size_t o = hb__put_tlv_header(tlv, HB_TLV_VOTE, HB_VOTE_TLV_LEN);

        memset(tlv + o, 0, HB_VOTE_TLV_LEN);
        hb__put_u64(tlv + o, node->coord.term);
        tlv[o + 8] = granted ? 1 : 0;
        if (granted)
                hb__put_u16(tlv + o + 9,
                            hb_wire_duration_pack(vote_promise_ns(node)));
        o += HB_VOTE_TLV_LEN;
        o += hb__put_tlv_header(tlv + o, HB_TLV_ECHO, 16);
        hb__put_u64(tlv + o, req_seq);
        hb__put_u64(tlv + o + 8, req_sent_ns);
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

        if (c->term >= TERM_MAX) {
                /* Four billion elections: stand no more. */
                c->election_deadline_ns = HB_NEVER;
                return;
        }
        c->term++;
        c->voted_for = node->cfg.node_id;
        c->leader_id = 0;
        c->elections_started++;
        /* Durable before any request leaves. */
        emit(node, HB_EVENT_TERM, c->role, "election", now_ns);
        set_role(node, HB_ROLE_CANDIDATE, "election", now_ns);
        c->elect_start_ns = now_ns;
        /* Split vote: stand again once this term's grants have freed
         * their voters. */
        c->election_deadline_ns =
                now_ns + vote_promise_ns(node) + election_delay(node);
        c->resend_ns = now_ns + hb__election_interval_ns(node);
        for (i = 0; i < node->n_peers; i++)
                send_request(node, node->peers[i], now_ns);
        check_won(node, now_ns);
}

/* Whether we may vote for `p` in `term`, promises aside: the term is
 * ours, we have not voted for another candidate in it, `p` is not a
 * witness, and we do not follow a live leader other than `p`. */
static bool may_grant(const hb_node_t *node, const hb_peer_t *p,
                      uint64_t term)
{
        const hb_coord_t *c = &node->coord;

        return term == c->term &&
               (c->voted_for == 0 || c->voted_for == p->id) &&
               !(p->has_coord && (p->c_flags & HB_LEADER_FLAG_WITNESS)) &&
               !sticky(node, p->id);
}

/* Grant our vote in the current term to `p` (persisted first). */
static void grant(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        if (c->voted_for != p->id) {
                c->voted_for = p->id;
                emit(node, HB_EVENT_TERM, c->role, "vote granted", now_ns);
        }
        /* A vote is support too: no other vote for the vote promise. */
        bind_promise(node, 0, add_sat(now_ns, vote_promise_ns(node)), now_ns);
        /* Give the candidate time to win before standing ourselves. */
        if (c->role == HB_ROLE_FOLLOWER)
                c->election_deadline_ns = add_sat(
                        now_ns, vote_promise_ns(node) + election_delay(node));
}

/* A request that came while a promise bound us is answered when the
 * promise ends, if we still may grant it: the candidate need not wait
 * for its next retransmission (an interval) to be elected. */
static void answer_deferred(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        hb_peer_t *p;

        if (c->deferred_id == 0 ||
            now_ns < hold_against(c, c->deferred_id))
                return;
        p = hb__lookup(node, c->deferred_id);
        c->deferred_id = 0;
        if (!p || !may_grant(node, p, c->deferred_term))
                return;
        grant(node, p, now_ns);
        send_response(node, p, c->deferred_seq, c->deferred_sent_ns, true,
                      now_ns);
        update(node, now_ns);
}

/* When the promises of the alive peers whose latest heartbeat supports a
 * leader (of our term or a later one; an earlier one cannot be the
 * leader we would replace) end, the latest of them; 0 if none runs at
 * now_ns. Once a peer's promise ran out it convicts that leader too (the
 * promise is its detector's dead time): no need to wait for its next
 * heartbeat to say so. Not asked when the leader we followed exited: our
 * vote requests tell its supporters so (HB_TLV_EXITED), and they drop it
 * at once. */
static uint64_t peers_support_until(const hb_node_t *node, uint64_t now_ns)
{
        uint64_t end = 0;
        size_t i;

        if (exited_leader(node) != 0)
                return 0;
        for (i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->state == HB_PEER_ALIVE && p->has_coord &&
                    (p->c_flags & HB_FLAG_SUPPORT) &&
                    p->c_term >= node->coord.term &&
                    p->c_support_end_ns > now_ns)
                        end = max_u64(end, p->c_support_end_ns);
        }
        return end;
}

/* Coordination timers due at now_ns. */
static void timers(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        size_t i;

        answer_deferred(node, now_ns);
        if (c->role == HB_ROLE_LEADER && now_ns >= c->lease_check_ns)
                update(node, now_ns);
        if (now_ns >= trust_deadline(node))
                update(node, now_ns); /* the leader fell silent */
        if (c->role == HB_ROLE_CANDIDATE) {
                if (now_ns >= c->election_deadline_ns) {
                        start_election(node, now_ns); /* split vote */
                } else if (now_ns >= c->resend_ns) {
                        /* Lost requests, or voters still bound by a
                         * promise: ask again in the same term. */
                        c->resend_ns = now_ns + hb__election_interval_ns(node);
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
                uint64_t sup;

                if (c->leader_id != 0 || node->cfg.coord.witness ||
                    c->fault)
                        c->election_deadline_ns = HB_NEVER;
                else if (now_ns < wait)
                        /* Bound by a promise: the delay runs again from
                         * its end, ranked on what we know by then. */
                        c->election_deadline_ns = wait +
                                                  election_delay(node);
                else if ((sup = peers_support_until(node, now_ns)) != 0)
                        /* Someone still follows a leader: it is either
                         * alive (we would lose and disrupt it) or about
                         * to be declared dead over there too (standing
                         * now would split the vote). Look again when its
                         * promise has run out (a live leader renews it),
                         * ranked on what we know by then. */
                        c->election_deadline_ns = sup + election_delay(node);
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
                 * before unless the caller restored them
                 * (hb_node_restore_promise()): without, it makes them all
                 * again, for the longest promise. */
                c->started = true;
                if (!c->restored_hold)
                        c->hold_until_ns = add_sat(now_ns, c->promise_max_ns);
                /* Listen before standing: a leader may be there, whose
                 * next heartbeats we have not heard yet (a lone two_node
                 * node is quorate at once). Votes are not held back. */
                c->yield_until_ns = add_sat(
                        now_ns, HB_COORD_LISTEN_INTERVALS *
                                        hb__election_interval_ns(node));
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
 * candidate that followed it), or it told us it no longer leads: it can
 * no longer act as the leader we followed, so stop following it and void
 * the promise made to it. Promises are what keep a *live* old leader's
 * lease safe (see the top of this file); they mean nothing to a process
 * that no longer exists, nor to one that stepped down (it never leads
 * that term again). Whatever an exited one left behind (a VIP still
 * configured, a resource still running) is what fencing is for
 * (docs/election.md).
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
        if (c->sup_leader == id)
                c->sup_leader = 0;
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
        const uint8_t *b = m->coord;

        if (!(m->flags & HB_FLAG_COORD) || b == NULL)
                return 0;
        out->term = hb__get_u32(b);
        out->seq = m->seq;
        out->flags = m->flags & (HB_FLAG_WITNESS | HB_FLAG_PREEMPT |
                                 HB_FLAG_RESOURCE | HB_FLAG_SUPPORT);
        out->role = (uint8_t)((m->flags & HB_FLAG_ROLE_MASK) >>
                              HB_FLAG_ROLE_SHIFT);
        out->priority = (uint8_t)(m->flags >> HB_FLAG_PRIORITY_SHIFT);
        out->echo = hb__get_u16(b + 4);
        out->promise_ns = hb_wire_duration_unpack(hb__get_u16(b + 6));
        if ((out->flags & HB_FLAG_SUPPORT) && out->role == HB_ROLE_LEADER)
                return HB_EBADTLV; /* a leader supports nobody */
        return 1;
}

/*
 * How long after a heartbeat of leader `p` arrived (at now_ns, just fed
 * to its detector) we promise to vote for no other candidate: until our
 * detector would declare it dead if nothing more came, at most
 * promise_max. No margin on top: the leader counts it from its send
 * time, which ends its lease before this whatever the delays, and a
 * leader whose followers' heartbeats stop coming loses their support a
 * dead time, less about an interval and a round trip, after the last one
 * came: about when it suspects them (phi's defaults suspect about 1.5
 * intervals before the dead verdict, fixed 2/3 one), and a suspect peer
 * counts as lost for quorum anyway (docs/election.md, "The lease").
 */
static uint64_t promise_for(const hb_node_t *node, const hb_peer_t *p,
                            uint64_t now_ns)
{
        const hb_class_config_t *cfg = hb__class_of(node, p);
        uint64_t dead;

        if (hb__swim_on(node))
                /* No detector judges the leader: gossip's shortest
                 * conviction time (hb_coord_gossip_promise_ns()). */
                return min_u64(hb__swim_dead_ns(node),
                               node->coord.promise_max_ns);
        if (p->state == HB_PEER_PROBATION) {
                dead = hb_detector_crossing_ns(p->detector,
                                               cfg->suspect_threshold);
        } else {
                dead = hb_detector_crossing_ns(p->detector,
                                               cfg->dead_threshold);
                if (cfg->dead_after_ns > 0)
                        dead = min_u64(dead,
                                       add_sat(hb_detector_crossing_ns(
                                                       p->detector,
                                                       cfg->suspect_threshold),
                                               cfg->dead_after_ns));
        }
        dead = dead > now_ns ? dead - now_ns : 0;
        return min_u64(dead, node->coord.promise_max_ns);
}

/* Resolve a supporter's 16-bit echo to one of our heartbeats as leader
 * of this term: the first sequence >= the last one it echoed (or our
 * first as leader) with those low bits; 0 if that is not one we sent.
 * Never later than the one echoed: echoes from one peer only grow. */
static uint64_t resolve_echo(const hb_node_t *node, const hb_peer_t *p,
                             uint16_t echo)
{
        const hb_coord_t *c = &node->coord;
        uint64_t base = c->lead_first_seq, s;

        if (p->echo_term == c->term && p->echo_seq > base)
                base = p->echo_seq;
        s = base + (uint16_t)(echo - (uint16_t)base);
        return s > node->seq ? 0 : s;
}

/* When heartbeat `seq` (ours, as leader) was sent, or a time before it. */
static uint64_t sent_before(const hb_node_t *node, uint64_t seq)
{
        const hb_coord_t *c = &node->coord;
        size_t i = (size_t)(seq % HB_SENT_RING);

        return c->sent_seq[i] == seq ? c->sent_ns[i] : c->lead_since_ns;
}

void hb__coord_on_heartbeat(hb_node_t *node, hb_peer_t *p,
                            const hb_leader_tlv_t *t, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

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
        /* Its promise runs from its arrival of the leader heartbeat it
         * echoes: about when that heartbeat reached us too, if we
         * followed the same leader; else before the first of its own
         * heartbeats that echoes it. It ends by then + promise (give or
         * take the clocks' drift and the paths' delays; only a hint, for
         * peers_support_until()). Later heartbeats with the same echo
         * repeat the same promise. */
        if (!(t->flags & HB_FLAG_SUPPORT)) {
                p->c_support_end_ns = 0;
        } else if (!p->has_coord || !(p->c_flags & HB_FLAG_SUPPORT) ||
                   p->c_term != t->term || p->c_echo != t->echo) {
                uint64_t from = now_ns;

                if (c->sup_term == t->term &&
                    (uint16_t)c->sup_seq == t->echo &&
                    c->sup_arrival_ns <= now_ns)
                        from = c->sup_arrival_ns;
                p->c_support_end_ns = add_sat(from, t->promise_ns);
        }
        if (hb__swim_on(node))
                p->g_trust_until_ns = add_sat(now_ns,
                                              promise_for(node, p, now_ns));
        p->c_echo = t->echo;
        p->has_coord = true;
        p->c_term = t->term;
        p->c_role = t->role;
        p->c_priority = t->priority;
        p->c_flags = t->flags;

        /* Lease support: it echoes one of our heartbeats as leader of
         * this term and the promise it made on that heartbeat's arrival.
         * The support lasts from when we sent that heartbeat, however
         * late the echo comes (a heartbeat that waited in a buffer
         * extends nothing it should not). A heartbeat that does not
         * support us only fails to extend the support: the promise made
         * with the last one still binds its sender. */
        if ((t->flags & HB_FLAG_SUPPORT) && t->term == c->term &&
            c->role == HB_ROLE_LEADER) {
                uint64_t s = resolve_echo(node, p, t->echo);

                if (s != 0) {
                        uint64_t until = add_sat(sent_before(node, s),
                                                 lease_part(node,
                                                            t->promise_ns));

                        if (p->support_term != c->term)
                                p->support_until_ns = 0;
                        p->support_term = c->term;
                        p->support_until_ns =
                                max_u64(p->support_until_ns, until);
                        p->named_term = c->term;
                        p->echo_term = c->term;
                        p->echo_seq = s;
                }
        }

        if (t->role == HB_ROLE_LEADER) {
                /* Authority of a leader of our term or a later one. */
                if (t->term > c->term)
                        adopt_term(node, t->term, "higher term", now_ns);
                /* Follow it if it leads our term, or an earlier one
                 * while we know no leader of ours: typically we come back
                 * with a term we reached while cut off, or stood in one.
                 * It held its lease when it sent this, so we cannot win,
                 * and unseating it would be a needless failover: follow
                 * and support it (in its term: coord block, below). Our
                 * term and vote stay. */
                if (c->role != HB_ROLE_LEADER &&
                    (t->term == c->term ||
                     (t->term < c->term && c->leader_id == 0))) {
                        if (c->role == HB_ROLE_CANDIDATE)
                                set_role(node, HB_ROLE_FOLLOWER,
                                         t->term == c->term
                                                 ? "leader elected"
                                                 : "leader alive",
                                         now_ns);
                        c->leader_id = p->id;
                        c->exited_leader_id = 0;
                        announce(node);
                }
                if (t->term <= c->term && c->leader_id == p->id &&
                    c->role != HB_ROLE_LEADER &&
                    c->role != HB_ROLE_CANDIDATE) {
                        /* What our next heartbeats echo and promise. */
                        c->sup_leader = p->id;
                        c->sup_term = t->term;
                        c->sup_seq = t->seq;
                        c->sup_arrival_ns = now_ns;
                        c->sup_promise_ns = promise_for(node, p, now_ns);
                }
        } else {
                /* It no longer leads (stepped down, or restarted): it
                 * never leads that term again, so what we promised it is
                 * void. Replay checks made this heartbeat later than any
                 * we supported it on. */
                if (c->leader_id == p->id || c->hold_leader_id == p->id) {
                        forget_exited_leader(node, p->id);
                        c->exited_leader_id = 0;
                }
                /* A higher term in a follower's heartbeat: a candidate
                 * gives up, a follower with no live leader adopts it. A
                 * leader does not: while it holds its lease nobody else
                 * can win (a node coming back with a term it reached
                 * while cut off must not unseat it), and once it lost
                 * the lease it steps down and adopts the term then. */
                if (t->term > c->term &&
                    (c->role == HB_ROLE_CANDIDATE ||
                     (c->role != HB_ROLE_LEADER && !leader_live(node))))
                        adopt_term(node, t->term, "higher term", now_ns);
        }
        update(node, now_ns);
}

/* Find the VOTE (and ECHO) TLVs; HB_EBADTLV if VOTE is missing or any of
 * them has the wrong length, or the term does not fit 32 bits. */
static int parse_vote(const hb_wire_msg_t *m, const uint8_t **vote,
                      const uint8_t **echo, uint32_t *exited,
                      uint64_t *exited_inc)
{
        const uint8_t *cur = m->tlv, *v;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r;

        *vote = NULL;
        *echo = NULL;
        *exited = 0;
        *exited_inc = 0;
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
                        if (vlen != HB_EXITED_TLV_LEN)
                                return HB_EBADTLV;
                        *exited = hb__get_u32(v);
                        *exited_inc = hb__get_u64(v + 4);
                }
        }
        if (r < 0)
                return r;
        if (!*vote || hb__get_u64(*vote) > TERM_MAX)
                return HB_EBADTLV;
        return 0;
}

int hb__coord_check_vote(const hb_wire_msg_t *m)
{
        const uint8_t *vote, *echo;
        uint64_t exited_inc;
        uint32_t exited;

        return parse_vote(m, &vote, &echo, &exited, &exited_inc);
}

void hb__coord_on_vote(hb_node_t *node, hb_peer_t *p, const hb_wire_msg_t *m,
                       uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;
        const uint8_t *vote, *echo;
        uint64_t term, start, promise;
        uint64_t exited_inc;
        uint32_t exited;
        bool ok;

        if (parse_vote(m, &vote, &echo, &exited, &exited_inc) < 0)
                return; /* checked by the caller */
        term = hb__get_u64(vote);

        if (m->type == HB_MSG_VOTE_REQ) {
                /* The candidate saw the process of the leader it followed
                 * exit: if we follow (or promised) that leader, we stop. */
                if (exited != 0 && exited != node->cfg.node_id &&
                    exited != p->id && term > c->term) {
                        /* Only that process: one that came back since (a
                         * later incarnation we heard) is not gone. */
                        const hb_peer_t *x = hb__lookup(node, exited);

                        if (x && x->incarnation <= exited_inc)
                                forget_exited_leader(node, exited);
                }
                if (term > c->term) {
                        if (sticky(node, p->id)) {
                                send_response(node, p, m->seq,
                                              m->send_time_ns, false,
                                              now_ns);
                                return;
                        }
                        adopt_term(node, term, "higher term", now_ns);
                }
                ok = may_grant(node, p, term);
                if (ok && c->voted_for != p->id &&
                    now_ns < hold_against(c, p->id)) {
                        /* Bound by a promise: answered when it ends. */
                        if (c->deferred_id == 0 || c->deferred_id == p->id ||
                            c->deferred_term < term) {
                                c->deferred_id = p->id;
                                c->deferred_term = term;
                                c->deferred_seq = m->seq;
                                c->deferred_sent_ns = m->send_time_ns;
                        }
                        update(node, now_ns);
                        return;
                }
                if (ok)
                        grant(node, p, now_ns);
                send_response(node, p, m->seq, m->send_time_ns, ok, now_ns);
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
         * the voter's promise runs from its grant, after that. */
        start = c->elect_start_ns;
        if (echo) {
                uint64_t t = hb__get_u64(echo + 8);

                if (t >= start && t <= now_ns)
                        start = t;
        }
        promise = hb_wire_duration_unpack(hb__get_u16(vote + 9));
        if (p->support_term != c->term)
                p->support_until_ns = 0;
        p->support_term = c->term;
        p->support_until_ns = max_u64(p->support_until_ns,
                                      add_sat(start,
                                              lease_part(node, promise)));
        check_won(node, now_ns);
}

uint16_t hb__coord_block(hb_node_t *node, uint64_t seq, uint64_t now_ns,
                         uint8_t *block)
{
        hb_coord_t *c = &node->coord;
        uint16_t flags = HB_FLAG_COORD, echo = 0, promise = 0;
        uint64_t term = c->term;
        size_t i = (size_t)(seq % HB_SENT_RING);

        /* Support: echo the leader's latest heartbeat and promise what
         * we promised on its arrival, while that promise runs. */
        if (c->role != HB_ROLE_LEADER && c->role != HB_ROLE_CANDIDATE &&
            c->leader_id != 0 && c->sup_leader == c->leader_id &&
            c->sup_term <= c->term) {
                uint64_t until = add_sat(c->sup_arrival_ns,
                                         c->sup_promise_ns);

                if (until > now_ns) {
                        bind_promise(node, c->leader_id, until, now_ns);
                        flags |= HB_FLAG_SUPPORT;
                        /* The supported leader's term (ours may be later:
                         * on_heartbeat()); it tells the others too. */
                        term = c->sup_term;
                        echo = (uint16_t)c->sup_seq;
                        /* Rounded down: the leader counts on no more. */
                        promise = hb_wire_duration_pack(c->sup_promise_ns);
                }
        }
        if (node->cfg.coord.witness)
                flags |= HB_FLAG_WITNESS;
        /* A faulted node advertises no preempt and priority 0, so that a
         * preempting leader never yields to a node that will not stand. */
        if (node->cfg.coord.preempt && !c->fault)
                flags |= HB_FLAG_PREEMPT;
        if (c->resource)
                flags |= HB_FLAG_RESOURCE;
        flags |= (uint16_t)((unsigned)c->role << HB_FLAG_ROLE_SHIFT);
        if (!c->fault)
                flags |= (uint16_t)(node->cfg.coord.priority
                                    << HB_FLAG_PRIORITY_SHIFT);
        hb__put_u32(block, (uint32_t)min_u64(term, TERM_MAX));
        hb__put_u16(block + 4, echo);
        hb__put_u16(block + 6, promise);
        /* Dated for the echoes of our supporters. */
        c->sent_seq[i] = seq;
        c->sent_ns[i] = now_ns;
        return flags;
}

uint64_t hb__coord_deadline(const hb_node_t *node)
{
        const hb_coord_t *c = &node->coord;
        uint64_t d = HB_NEVER;

        if (!c->started)
                return HB_NEVER;
        switch (c->role) {
        case HB_ROLE_LEADER:
                d = c->lease_check_ns;
                break;
        case HB_ROLE_CANDIDATE:
                d = min_u64(c->election_deadline_ns, c->resend_ns);
                break;
        case HB_ROLE_FOLLOWER:
                d = c->election_deadline_ns;
                break;
        case HB_ROLE_NO_QUORUM:
                break;
        }
        if (c->deferred_id != 0)
                d = min_u64(d, hold_against(c, c->deferred_id));
        d = min_u64(d, trust_deadline(node));
        return d;
}

void hb__coord_tick(hb_node_t *node, uint64_t now_ns)
{
        timers(node, now_ns);
}

/*
 * This process was stopped (hb_node_local_pause()). Nothing to undo:
 * the lease is timed on our clock from when our echoed heartbeats were
 * sent, so a leader whose lease ran out while it was stopped finds so
 * now (update()) and steps down before anything else, and one whose
 * lease still runs keeps it (its supporters still hold their promises);
 * heartbeats that waited in the socket buffer extend the lease only from
 * when we sent what they echo.
 */
void hb__coord_local_pause(hb_node_t *node, uint64_t now_ns)
{
        hb_coord_t *c = &node->coord;

        if (now_ns > c->now_ns)
                c->now_ns = now_ns;
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

int hb_node_restore_promise(hb_node_t *node, uint64_t until_ns)
{
        if (!node || !node->cfg.coord.enabled || node->coord.started)
                return -EINVAL;
        node->coord.restored_hold = true;
        node->coord.hold_until_ns = until_ns;
        node->coord.persisted_hold_ns = until_ns;
        return 0;
}

int hb_node_restore_term(hb_node_t *node, uint64_t term, uint32_t voted_for)
{
        if (!node || !node->cfg.coord.enabled || node->coord.started ||
            term > TERM_MAX)
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
