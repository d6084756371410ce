/* SPDX-License-Identifier: MIT */
/*
 * The "hierarchy" topology (docs/hierarchy.md) on the simulator, over
 * many seeds: 50 nodes in 5 regions of 10, 3 electors each, local
 * interval 100 ms, global 250 ms. Invariants are checked after every
 * simulated event (hbsim_set_observer()):
 *
 *   - at most one region holds the at-most-one resource (a running
 *     coordinator that is global leader and established), always;
 *   - at most one running node is global leader (holds the global
 *     lease) at any instant, established or not;
 *   - the fencing token grows: every new holder (another node, or the
 *     same one in another term) holds in a global term strictly above
 *     every earlier holder's, across coordinator changes and cuts;
 *   - per scenario: nobody outside the watched region declares one of
 *     its members dead, and/or nobody finds it unreachable.
 *
 * Scenarios:
 *   - a member crashes: its coordinator declares it dead within the
 *     local dead time; every node of its region knows at once (a
 *     summary), every node everywhere within one global interval more;
 *   - a coordinator crashes: another elector of its region takes over,
 *     the members follow it, no node outside the region declares any of
 *     the region's nodes dead or the region unreachable, and every node
 *     learns the crashed coordinator's death from the successor;
 *   - a region is cut off: one region event per observer outside (and
 *     inside, one per other region), no per-node dead verdict across
 *     the cut; healed, one "reachable" event each;
 *   - the holder's region is cut off: the holder stops holding (no
 *     quorum of regions) before a region of the majority side holds,
 *     in a higher term; healed, one holder;
 *   - the same, and every coordinator of the majority side crashes
 *     too: their successors, which never ran the global level, still
 *     elect in a higher term (the GLOBAL_TERM their predecessors told);
 *   - a campaign of random faults (coordinator crashes and restarts,
 *     pauses, region cuts, the holder's region among them, heals) over
 *     many seeds for the invariants above, and a holder again once all
 *     is healed;
 *   - the message rate at 500 nodes (10 x 50, 2 s / 5 s), printed
 *     (docs/hierarchy.md's figure) and bounded by 2 x 153 msg/s.
 *
 * A failure prints the seed; HBEAT_HIER_SEEDS sets the number of seeds
 * of the campaign (default 40).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S
#define N 50u
#define R 5u
#define PER (N / R)
#define INTERVAL (100 * MS)
#define GLOBAL (250 * MS)
#define WARM (10 * S)
#define SEEDS 10u
/* The local dead time bound: phi's default thresholds at 100 ms convict
 * a silent peer in about 1 s; the bound leaves room, the figure is
 * printed. */
#define LOCAL_DEAD_MAX (2 * S)
/* A summary's way to the region (one hop) and everywhere (two). */
#define HOP (5 * MS)

typedef struct chk {
        hbsim_t *s;
        uint64_t seed;
        size_t next_ev;
        uint32_t watch;         /* region watched, 0: none */
        size_t exempt;          /* a node of it that may be dead */
        bool no_dead_outside;
        bool no_unreachable;
        size_t holders_max;
        size_t last_holder;     /* node that held last, (size_t)-1 */
        uint64_t last_token;    /* its global term */
        size_t tokens;          /* holdings seen (node, term) */
        bool failed;
        char why[200];
} chk_t;

static uint32_t region(size_t i)
{
        return hbsim_region_of(N, R, i);
}

static void fail_at(chk_t *c, const char *what, size_t a, size_t b)
{
        if (c->failed)
                return;
        c->failed = true;
        snprintf(c->why, sizeof(c->why),
                 "seed %llu at %.3f s: %s (n%zu, n%zu)",
                 (unsigned long long)c->seed,
                 (double)hbsim_now(c->s) / (double)S, what, a + 1, b + 1);
}

/* Running nodes that hold the resource now; `who` gets the last one,
 * `other` the first. */
static size_t holders2(hbsim_t *s, size_t *who, size_t *other)
{
        size_t k = 0;

        for (size_t i = 0; i < hbsim_n_nodes(s); i++) {
                hb_node_t *n = hbsim_node(s, i);
                hb_hier_info_t h;

                if (!n || hbsim_paused(s, i))
                        continue;
                hb_node_hier_info(n, &h);
                if (h.holds) {
                        if (who)
                                *who = i;
                        if (other && k == 0)
                                *other = i;
                        k++;
                }
        }
        return k;
}

static size_t holders(hbsim_t *s, size_t *who)
{
        return holders2(s, who, NULL);
}

/* Running nodes that are global leader (with or without establishment:
 * the lease is held from the election on). */
static size_t global_leaders(hbsim_t *s, size_t *who, size_t *other)
{
        size_t k = 0;

        for (size_t i = 0; i < hbsim_n_nodes(s); i++) {
                hb_node_t *n = hbsim_node(s, i);
                hb_hier_info_t h;

                if (!n || hbsim_paused(s, i))
                        continue;
                hb_node_hier_info(n, &h);
                if (h.global_role == HB_ROLE_LEADER) {
                        if (k == 0)
                                *other = i;
                        *who = i;
                        k++;
                }
        }
        return k;
}

static void observe(hbsim_t *s, void *user)
{
        chk_t *c = user;
        size_t n_ev, k, who = 0, other = 0;
        const hbsim_event_t *ev = hbsim_events(s, &n_ev);

        k = holders2(s, &who, &other);
        if (k > c->holders_max)
                c->holders_max = k;
        if (k > 1)
                fail_at(c, "two regions hold the resource", other, who);
        if (k == 1) {
                hb_hier_info_t h;

                hb_node_hier_info(hbsim_node(s, who), &h);
                if (who != c->last_holder || h.global_term != c->last_token) {
                        if (c->tokens > 0 && h.global_term <= c->last_token)
                                fail_at(c, "the fencing token (global "
                                           "term) did not grow",
                                        c->last_holder, who);
                        c->last_holder = who;
                        c->last_token = h.global_term;
                        c->tokens++;
                }
        }
        if (global_leaders(s, &who, &other) > 1)
                fail_at(c, "two global leaders at once", other, who);
        for (; c->next_ev < n_ev; c->next_ev++) {
                const hbsim_event_t *e = &ev[c->next_ev];

                if (c->watch == 0 || region(e->observer) == c->watch)
                        continue;
                if (c->no_dead_outside &&
                    e->ev.type == HB_EVENT_PEER_STATE &&
                    e->ev.new_state == HB_PEER_DEAD &&
                    region(e->peer) == c->watch && e->peer != c->exempt)
                        fail_at(c, "a node of the watched region declared "
                                   "dead from outside",
                                e->observer, e->peer);
                if (c->no_unreachable && e->ev.type == HB_EVENT_REGION &&
                    e->ev.region == c->watch &&
                    e->ev.new_region_state == HB_REGION_UNREACHABLE)
                        fail_at(c, "the watched region found unreachable",
                                e->observer, e->observer);
        }
}

static hbsim_t *make_loss(uint64_t seed, chk_t *c, double loss)
{
        hbsim_config_t cfg;
        hbsim_t *s;

        hbsim_config_default(&cfg);
        cfg.n_nodes = N;
        cfg.seed = seed;
        cfg.loss = loss;
        cfg.hier_regions = R;
        cfg.hier_global_interval_ns = GLOBAL;
        cfg.node.rtt_probe_every = 0;
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        memset(c, 0, sizeof(*c));
        c->s = s;
        c->seed = seed;
        c->exempt = (size_t)-1;
        c->last_holder = (size_t)-1;
        hbsim_set_observer(s, observe, c);
        return s;
}

static hbsim_t *make(uint64_t seed, chk_t *c)
{
        return make_loss(seed, c, 0.0);
}

static void check(const chk_t *c)
{
        if (c->failed)
                fprintf(stderr, "%s\n", c->why);
        assert_false(c->failed);
}

/* The coordinator of region r (0-based node index); fails if none or
 * not unique. */
static size_t coordinator(hbsim_t *s, uint32_t r)
{
        size_t found = (size_t)-1, k = 0;

        for (size_t i = 0; i < N; i++) {
                hb_node_t *n = hbsim_node(s, i);
                hb_hier_info_t h;

                if (!n || region(i) != r)
                        continue;
                hb_node_hier_info(n, &h);
                if (h.coordinator) {
                        found = i;
                        k++;
                }
        }
        assert_int_equal(k, 1);
        return found;
}

/* First time `o` saw `peer` enter `st` at or after `after`; HB_NEVER. */
static uint64_t first(hbsim_t *s, size_t o, size_t peer, hb_peer_state_t st,
                      uint64_t after)
{
        size_t n;
        const hbsim_event_t *ev = hbsim_events(s, &n);

        for (size_t i = 0; i < n; i++)
                if (ev[i].ev.type == HB_EVENT_PEER_STATE &&
                    ev[i].observer == o && ev[i].peer == peer &&
                    ev[i].ev.new_state == st && ev[i].at_ns >= after)
                        return ev[i].at_ns;
        return HB_NEVER;
}

static void assert_settled(hbsim_t *s, uint64_t seed)
{
        for (size_t o = 0; o < N; o++)
                for (size_t p = 0; p < N; p++)
                        if (o != p &&
                            hbsim_state(s, o, p) != HB_PEER_ALIVE) {
                                fprintf(stderr, "seed %llu: n%zu sees n%zu "
                                        "%s\n", (unsigned long long)seed,
                                        o + 1, p + 1,
                                        hb_peer_state_name(
                                                hbsim_state(s, o, p)));
                                fail();
                        }
        for (uint32_t r = 1; r <= R; r++)
                (void)coordinator(s, r);
        assert_int_equal(holders(s, NULL), 1);
}

/* A member (not an elector) of region 2 crashes. */
static void test_member_crash(void **state)
{
        uint64_t worst_local = 0, worst_all = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                chk_t c;
                hbsim_t *s = make(seed, &c);
                size_t victim = 2 * PER - 1, co;
                uint64_t t0, tc;

                hbsim_run_until(s, WARM);
                assert_settled(s, seed);
                co = coordinator(s, 2);
                c.watch = 2;
                c.exempt = victim;
                c.no_dead_outside = false; /* the victim may be, below */
                c.no_unreachable = true;
                t0 = hbsim_now(s);
                hbsim_crash(s, victim);
                hbsim_run_until(s, t0 + 5 * S);
                tc = first(s, co, victim, HB_PEER_DEAD, t0);
                assert_true(tc != HB_NEVER);
                assert_true(tc - t0 <= LOCAL_DEAD_MAX);
                if (tc - t0 > worst_local)
                        worst_local = tc - t0;
                for (size_t o = 0; o < N; o++) {
                        uint64_t t;

                        if (o == victim)
                                continue;
                        t = first(s, o, victim, HB_PEER_DEAD, t0);
                        if (t == HB_NEVER ||
                            t > tc + (region(o) == 2 ? HOP : GLOBAL)) {
                                fprintf(stderr, "seed %llu: n%zu learnt "
                                        "late or never\n",
                                        (unsigned long long)seed, o + 1);
                                fail();
                        }
                        if (t - tc > worst_all)
                                worst_all = t - tc;
                        /* nobody else died anywhere */
                        for (size_t p = 0; p < N; p++)
                                if (p != o && p != victim)
                                        assert_int_equal(
                                                hbsim_state(s, o, p),
                                                HB_PEER_ALIVE);
                }
                check(&c);
                hbsim_free(s);
        }
        printf("member crash: coordinator convicts within %.0f ms, every "
               "node knows %.1f ms later (worst of %u seeds)\n",
               (double)worst_local / MS, (double)worst_all / MS, SEEDS);
}

/* Five members of region 2 crash at once: the summary takes several
 * messages (two entries each in AEAD-sized slots); every chunk reaches
 * every node, relayed ones included. */
static void test_members_crash_many(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                chk_t c;
                hbsim_t *s = make(seed, &c);
                size_t co;
                uint64_t t0, tc = 0;

                hbsim_run_until(s, WARM);
                co = coordinator(s, 2);
                t0 = hbsim_now(s);
                for (size_t v = PER + 3; v < PER + 8; v++)
                        hbsim_crash(s, v);
                hbsim_run_until(s, t0 + 5 * S);
                for (size_t v = PER + 3; v < PER + 8; v++) {
                        uint64_t t = first(s, co, v, HB_PEER_DEAD, t0);

                        assert_true(t != HB_NEVER);
                        if (t > tc)
                                tc = t;
                }
                for (size_t o = 0; o < N; o++) {
                        if (o >= PER + 3 && o < PER + 8)
                                continue;
                        for (size_t v = PER + 3; v < PER + 8; v++) {
                                uint64_t t = first(s, o, v, HB_PEER_DEAD,
                                                   t0);

                                if (o == co)
                                        continue;
                                if (t == HB_NEVER || t > tc + GLOBAL) {
                                        fprintf(stderr, "seed %llu: n%zu "
                                                "learnt n%zu late or "
                                                "never\n",
                                                (unsigned long long)seed,
                                                o + 1, v + 1);
                                        fail();
                                }
                        }
                }
                check(&c);
                hbsim_free(s);
        }
}

/* 5 % loss: a member crash still reaches every node (a member that lost
 * the summary is repaired from its next heartbeat's view digest), within
 * a few global intervals; nobody outside declares anyone else of the
 * region dead, nor the region unreachable. */
static void test_member_crash_loss(void **state)
{
        uint64_t worst = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                chk_t c;
                hbsim_t *s = make_loss(seed, &c, 0.05);
                size_t victim = 2 * PER - 1;
                uint64_t t0;

                hbsim_run_until(s, WARM);
                c.watch = 2;
                c.exempt = victim;
                c.no_dead_outside = true;
                c.no_unreachable = true;
                t0 = hbsim_now(s);
                hbsim_crash(s, victim);
                hbsim_run_until(s, t0 + 10 * S);
                for (size_t o = 0; o < N; o++) {
                        uint64_t t;

                        if (o == victim)
                                continue;
                        t = first(s, o, victim, HB_PEER_DEAD, t0);
                        if (t == HB_NEVER ||
                            t > t0 + LOCAL_DEAD_MAX + 4 * GLOBAL) {
                                fprintf(stderr, "seed %llu: n%zu learnt "
                                        "late or never\n",
                                        (unsigned long long)seed, o + 1);
                                fail();
                        }
                        if (t - t0 > worst)
                                worst = t - t0;
                }
                check(&c);
                hbsim_free(s);
        }
        printf("member crash at 5 %% loss: every node knows within %.0f ms "
               "(worst of %u seeds)\n", (double)worst / MS, SEEDS);
}

/* The coordinator of region 2 crashes. */
static void test_coordinator_crash(void **state)
{
        uint64_t worst = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                chk_t c;
                hbsim_t *s = make(seed, &c);
                size_t co, next;
                uint64_t t0;
                hb_hier_info_t h;

                hbsim_run_until(s, WARM);
                assert_settled(s, seed);
                co = coordinator(s, 2);
                c.watch = 2;
                c.exempt = co;
                c.no_dead_outside = true;
                c.no_unreachable = true;
                t0 = hbsim_now(s);
                hbsim_crash(s, co);
                hbsim_run_until(s, t0 + 10 * S);
                next = coordinator(s, 2);
                assert_true(next != co);
                assert_true(hbsim_is_elector(N, R, 3, next));
                for (size_t o = 0; o < N; o++) {
                        uint64_t t;

                        if (o == co)
                                continue;
                        hb_node_hier_info(hbsim_node(s, o), &h);
                        if (region(o) == 2)
                                assert_int_equal(h.coordinator_id, next + 1);
                        /* the crash is known everywhere, from the
                         * successor's summary */
                        t = first(s, o, co, HB_PEER_DEAD, t0);
                        assert_true(t != HB_NEVER);
                        if (t - t0 > worst)
                                worst = t - t0;
                        for (size_t p = 0; p < N; p++)
                                if (p != o && p != co &&
                                    hbsim_state(s, o, p) != HB_PEER_ALIVE) {
                                        fprintf(stderr, "seed %llu: n%zu "
                                                "sees n%zu %s\n",
                                                (unsigned long long)seed,
                                                o + 1, p + 1,
                                                hb_peer_state_name(
                                                        hbsim_state(s, o,
                                                                    p)));
                                        fail();
                                }
                }
                check(&c);
                hbsim_free(s);
        }
        printf("coordinator crash: replaced inside its region, known "
               "everywhere within %.0f ms (worst of %u seeds)\n",
               (double)worst / MS, SEEDS);
}

/* Region 3 cut off from the others, then healed. */
static void test_region_cut(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                chk_t c;
                hbsim_t *s = make(seed, &c);
                size_t side[PER], n_ev, unreach[N], back[N];
                const hbsim_event_t *ev;
                uint64_t t0, t1;

                hbsim_run_until(s, WARM);
                assert_settled(s, seed);
                for (size_t i = 0; i < PER; i++)
                        side[i] = 2 * PER + i;
                c.watch = 3;
                c.no_dead_outside = true;
                t0 = hbsim_now(s);
                hbsim_partition(s, side, PER);
                hbsim_run_until(s, t0 + 20 * S);
                t1 = hbsim_now(s);
                hbsim_heal(s);
                hbsim_run_until(s, t1 + 20 * S);
                memset(unreach, 0, sizeof(unreach));
                memset(back, 0, sizeof(back));
                ev = hbsim_events(s, &n_ev);
                for (size_t i = 0; i < n_ev; i++) {
                        const hbsim_event_t *e = &ev[i];
                        bool inside = region(e->observer) == 3;

                        if (e->at_ns < t0)
                                continue;
                        if (e->ev.type == HB_EVENT_REGION) {
                                /* outside: only region 3 is cut; inside:
                                 * every other region */
                                assert_true(inside ? e->ev.region != 3
                                                   : e->ev.region == 3);
                                if (e->ev.new_region_state ==
                                    HB_REGION_UNREACHABLE)
                                        unreach[e->observer]++;
                                else
                                        back[e->observer]++;
                        }
                        /* no per-node verdict across the cut */
                        if (e->ev.type == HB_EVENT_PEER_STATE &&
                            (region(e->peer) == 3) != inside) {
                                fprintf(stderr, "seed %llu: n%zu saw n%zu "
                                        "%s across the cut\n",
                                        (unsigned long long)seed,
                                        e->observer + 1, e->peer + 1,
                                        hb_peer_state_name(
                                                e->ev.new_state));
                                fail();
                        }
                }
                for (size_t o = 0; o < N; o++) {
                        size_t want = region(o) == 3 ? R - 1 : 1;

                        if (unreach[o] != want || back[o] != want) {
                                fprintf(stderr, "seed %llu: n%zu: %zu "
                                        "unreachable, %zu reachable events, "
                                        "want %zu\n",
                                        (unsigned long long)seed, o + 1,
                                        unreach[o], back[o], want);
                                fail();
                        }
                }
                assert_settled(s, seed);
                check(&c);
                hbsim_free(s);
        }
}

/* The holder (0-based node) and its global term; fails unless one. */
static size_t the_holder(hbsim_t *s, uint64_t *term)
{
        size_t who = 0;
        hb_hier_info_t h;

        assert_int_equal(holders(s, &who), 1);
        hb_node_hier_info(hbsim_node(s, who), &h);
        *term = h.global_term;
        return who;
}

/* Every coordinator's view of the global level, for a failure. */
static void dump_coordinators(hbsim_t *s)
{
        for (size_t i = 0; i < N; i++) {
                hb_node_t *n = hbsim_node(s, i);
                hb_hier_info_t h;

                if (!n)
                        continue;
                hb_node_hier_info(n, &h);
                if (h.coordinator)
                        fprintf(stderr, "  n%zu (region %u): global %s, "
                                "term %llu, leader region %u%s\n", i + 1,
                                (unsigned)h.region,
                                hb_role_name(h.global_role),
                                (unsigned long long)h.global_term,
                                (unsigned)h.global_leader,
                                h.holds ? ", holds" : "");
        }
}

/* Cut the holder's region off; with `crash_rest`, crash every other
 * region's coordinator too (their successors never ran the global
 * level). The holder stops before another holds, in a higher term. */
static void holder_cut(bool crash_rest, uint64_t *least_gap_ns,
                       uint64_t *worst_new_ns)
{
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                chk_t c;
                hbsim_t *s = make(seed, &c);
                size_t side[PER], old, now_who = 0;
                uint32_t rh;
                uint64_t term0, term1, t0, stop_ns = HB_NEVER,
                        new_ns = HB_NEVER;
                hb_hier_info_t h;

                hbsim_run_until(s, WARM);
                assert_settled(s, seed);
                old = the_holder(s, &term0);
                rh = region(old);
                for (size_t i = 0; i < PER; i++)
                        side[i] = (rh - 1) * PER + i;
                t0 = hbsim_now(s);
                hbsim_partition(s, side, PER);
                if (crash_rest)
                        for (uint32_t r = 1; r <= R; r++)
                                if (r != rh)
                                        hbsim_crash(s, coordinator(s, r));
                /* 10 ms steps: when the old one stopped, the new began */
                while (hbsim_now(s) < t0 + 30 * S &&
                       new_ns == HB_NEVER) {
                        hbsim_run_until(s, hbsim_now(s) + 10 * MS);
                        hb_node_hier_info(hbsim_node(s, old), &h);
                        if (stop_ns == HB_NEVER && !h.holds)
                                stop_ns = hbsim_now(s);
                        if (holders(s, &now_who) == 1 && now_who != old)
                                new_ns = hbsim_now(s);
                }
                if (new_ns == HB_NEVER || stop_ns == HB_NEVER) {
                        fprintf(stderr, "seed %llu: no new holder after "
                                "the holder's region was cut (n%zu, term "
                                "%llu)\n", (unsigned long long)seed,
                                old + 1, (unsigned long long)term0);
                        dump_coordinators(s);
                        fail();
                }
                assert_true(region(now_who) != rh);
                /* (the same 10 ms step at worst: the order within it
                 * is the observer's "two holders" check) */
                assert_true(stop_ns <= new_ns);
                hb_node_hier_info(hbsim_node(s, now_who), &h);
                term1 = h.global_term;
                assert_true(term1 > term0);
                if (new_ns - stop_ns < *least_gap_ns)
                        *least_gap_ns = new_ns - stop_ns;
                if (new_ns - t0 > *worst_new_ns)
                        *worst_new_ns = new_ns - t0;
                /* healed (crashed nodes back): still one holder */
                hbsim_heal(s);
                for (size_t i = 0; i < N; i++)
                        if (!hbsim_node(s, i))
                                assert_int_equal(hbsim_restart(s, i), 0);
                hbsim_run_until(s, hbsim_now(s) + 20 * S);
                assert_int_equal(holders(s, NULL), 1);
                check(&c);
                hbsim_free(s);
        }
}

static void test_holder_region_cut(void **state)
{
        uint64_t gap = HB_NEVER, took = 0;

        (void)state;
        holder_cut(false, &gap, &took);
        printf("holder's region cut: a new holder within %.0f ms of the "
               "cut, at least %.0f ms after the old one stopped (%u "
               "seeds)\n", (double)took / MS, (double)gap / MS, SEEDS);
}

static void test_holder_cut_successors(void **state)
{
        uint64_t gap = HB_NEVER, took = 0;

        (void)state;
        holder_cut(true, &gap, &took);
        printf("holder's region cut, every other coordinator crashed: a "
               "new holder in a higher term within %.0f ms (worst of %u "
               "seeds)\n", (double)took / MS, SEEDS);
}

static size_t env_size(const char *name, size_t dflt)
{
        const char *v = getenv(name);

        return v && *v ? (size_t)strtoull(v, NULL, 10) : dflt;
}

static uint64_t rnd(uint64_t *x)
{
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

/* Random faults, the resource invariant after every event. */
static void test_at_most_one(void **state)
{
        size_t seeds = env_size("HBEAT_HIER_SEEDS", 40), handovers = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= seeds; seed++) {
                chk_t c;
                hbsim_t *s = make(seed, &c);
                uint64_t x = seed * UINT64_C(0x9e3779b97f4a7c15) | 1;
                size_t last = (size_t)-1, who;
                bool cut = false;

                hbsim_run_until(s, WARM);
                for (int step = 0; step < 30; step++) {
                        uint64_t at = hbsim_now(s) + 500 * MS +
                                      rnd(&x) % (3 * S);
                        uint32_t r = (uint32_t)(rnd(&x) % R) + 1;
                        size_t side[PER];

                        switch (rnd(&x) % 7) {
                        case 0: /* crash a coordinator */
                        case 1:
                                for (size_t i = 0; i < N; i++) {
                                        hb_node_t *n = hbsim_node(s, i);
                                        hb_hier_info_t h;

                                        if (!n || region(i) != r)
                                                continue;
                                        hb_node_hier_info(n, &h);
                                        if (h.coordinator)
                                                hbsim_crash(s, i);
                                }
                                break;
                        case 2: /* pause the holder for a while */
                                if (holders(s, &who) == 1) {
                                        hbsim_pause(s, who);
                                        hbsim_run_until(s, hbsim_now(s) +
                                                                   rnd(&x) %
                                                                   (2 * S));
                                        hbsim_resume(s, who);
                                }
                                break;
                        case 6: /* cut the holder's region off */
                                if (!cut && holders(s, &who) == 1)
                                        r = region(who);
                                /* fall through */
                        case 3: /* cut a region off */
                                if (!cut) {
                                        for (size_t i = 0; i < PER; i++)
                                                side[i] = (r - 1) * PER + i;
                                        hbsim_partition(s, side, PER);
                                        cut = true;
                                }
                                break;
                        default: /* heal and restart everyone */
                                hbsim_heal(s);
                                cut = false;
                                for (size_t i = 0; i < N; i++)
                                        if (!hbsim_node(s, i))
                                                assert_int_equal(
                                                        hbsim_restart(s, i),
                                                        0);
                                break;
                        }
                        hbsim_run_until(s, at);
                        if (holders(s, &who) == 1 && who != last) {
                                handovers++;
                                last = who;
                        }
                }
                /* all healed: a holder again */
                hbsim_heal(s);
                for (size_t i = 0; i < N; i++)
                        if (!hbsim_node(s, i))
                                assert_int_equal(hbsim_restart(s, i), 0);
                hbsim_run_until(s, hbsim_now(s) + 20 * S);
                if (holders(s, NULL) != 1)
                        fprintf(stderr, "seed %llu: %zu holders after "
                                "healing\n", (unsigned long long)seed,
                                holders(s, NULL));
                assert_int_equal(holders(s, NULL), 1);
                check(&c);
                hbsim_free(s);
        }
        printf("at most one holder: %zu seeds, %zu handovers seen\n", seeds,
               handovers);
}

/* docs/hierarchy.md's figure: 500 nodes, 10 regions, 2 s / 5 s. */
static void test_rate_500(void **state)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        uint64_t t0, all, hb, sum;
        double secs = 300.0, rate;

        (void)state;
        hbsim_config_default(&cfg);
        hb_node_config_default(&cfg.node, HB_DETECTOR_PHI, 2 * S);
        cfg.node.cluster_id = 1;
        memset(cfg.node.key.bytes, 0x5a, sizeof(cfg.node.key.bytes));
        cfg.node.rtt_probe_every = 0;
        cfg.n_nodes = 500;
        cfg.hier_regions = 10;
        cfg.hier_global_interval_ns = 5 * S;
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        hbsim_run_until(s, 120 * S);
        assert_int_equal(holders(s, NULL), 1);
        t0 = hbsim_now(s);
        all = hbsim_sent(s, 0);
        hb = hbsim_sent(s, HB_MSG_HEARTBEAT);
        sum = hbsim_sent(s, HB_MSG_REGION_SUMMARY);
        hbsim_run_until(s, t0 + (uint64_t)secs * S);
        rate = (double)(hbsim_sent(s, 0) - all) / secs;
        printf("500 nodes, 10 regions, 2 s / 5 s: %.1f msg/s (heartbeats "
               "%.1f, summaries %.1f); full mesh 124,750; seed 004: 153\n",
               rate, (double)(hbsim_sent(s, HB_MSG_HEARTBEAT) - hb) / secs,
               (double)(hbsim_sent(s, HB_MSG_REGION_SUMMARY) - sum) / secs);
        assert_true(rate <= 2 * 153.0);
        hbsim_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_member_crash),
                cmocka_unit_test(test_member_crash_loss),
                cmocka_unit_test(test_members_crash_many),
                cmocka_unit_test(test_coordinator_crash),
                cmocka_unit_test(test_region_cut),
                cmocka_unit_test(test_holder_region_cut),
                cmocka_unit_test(test_holder_cut_successors),
                cmocka_unit_test(test_at_most_one),
                cmocka_unit_test(test_rate_500),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
