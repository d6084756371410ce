/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl check-config [--json] FILE`: validate a config offline and show
 * what it means in time.
 *
 * The file is loaded with the daemon's own loader (hbd_config_load()), so
 * "OK" here means hbeatd will accept it (key file included). On error the
 * loader's "FILE:LINE:COL: message" goes to stderr and the exit status is
 * 2, as for hbeatd itself.
 *
 * The timings are not a formula re-derived here: they are measured on the
 * real detector (detector.h) with the config's parameters. It is fed steady
 * heartbeats at exactly the interval — enough to fill the phi window
 * (window + 1 arrivals), one for the fixed detector — and
 * hb_detector_crossing_ns() gives the time after the last heartbeat at
 * which suspicion reaches each threshold. A peer becomes dead at the dead
 * threshold crossing or dead_after after it became suspect, whichever is
 * first (node.h). These are best-case figures for a peer whose heartbeats
 * were perfectly regular; jitter raises phi's standard deviation and so
 * lengthens them.
 *
 * With election enabled it also shows the quorum and the lease reasoning
 * of the core (election.h, docs/election.md "The lease"): on each leader
 * heartbeat a follower promises to vote for nobody else until its
 * detector would declare the leader dead (at most promise_max); the
 * leader counts that promise, shrunk by the clock-drift bound, from when
 * it sent the heartbeat, and steps down when no quorum's promises run any
 * more. After a silent leader a follower may stand once its promise has
 * run out, which is at its dead verdict, plus its rank's delay
 * (0..delay/4 for the first in rank). The figures are for steady
 * heartbeats, like the detector's.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"
#include "common/util.h"
#include "config/config.h"
#include "hbeat/hbeat.h"

typedef struct timings {
        uint64_t suspect_ns;    /* after the last heartbeat, or HB_NEVER */
        uint64_t dead_ns;       /* after the last heartbeat, or HB_NEVER */
        const char *dead_by;    /* "dead_threshold" or "dead_after" */
        double mean_ns;         /* detector's view after the warm-up */
        double std_dev_ns;
        double bytes_per_s;     /* heartbeat payload to one peer */
} timings_t;

/* Bytes of one heartbeat on the wire (UDP payload): the coordination
 * block with election on, the nonce when the primary key encrypts. */
static size_t heartbeat_len(const hbd_config_t *cfg)
{
        uint32_t mode = cfg->encryption;

        for (size_t i = 0; i < cfg->n_keys; i++)
                if (cfg->keys[i].id == cfg->primary_key)
                        mode = cfg->keys[i].encryption;
        return hb_wire_len((uint8_t)mode, cfg->node.coord.enabled
                                                  ? HB_WIRE_COORD_LEN
                                                  : 0);
}

/* The key ring as configured: [{id, file, encryption, primary}], the
 * one-key form as id 0. Paths only, never key material. */
static json_t *keys_json(const hbd_config_t *cfg)
{
        json_t *arr = json_array();

        if (arr != NULL && cfg->key_file)
                json_array_append_new(arr, json_pack(
                        "{sisssssb}", "id", 0, "file", cfg->key_file,
                        "encryption",
                        cfg->encryption == HB_WIRE_MODE_AEAD ? "aead"
                                                             : "none",
                        "primary", 1));
        for (size_t i = 0; arr != NULL && i < cfg->n_keys; i++) {
                const hbd_key_conf_t *k = &cfg->keys[i];

                json_array_append_new(arr, json_pack(
                        "{sIsssssb}", "id", (json_int_t)k->id,
                        "file", k->file, "encryption",
                        k->encryption == HB_WIRE_MODE_AEAD ? "aead" : "none",
                        "primary", k->id == cfg->primary_key));
        }
        return arr;
}

static int compute(const hbd_config_t *cfg, timings_t *t)
{
        const hb_node_config_t *nc = &cfg->node;
        hb_detector_config_t dc = nc->detector;
        hb_detector_t *d = NULL;
        uint64_t n, last, s, x;
        int r;

        dc.interval_ns = nc->interval_ns;
        r = hb_detector_new(&d, &dc);
        if (r < 0)
                return r;
        /* Fill the history of every kind that keeps one. */
        n = dc.kind == HB_DETECTOR_FIXED ? 1 : (uint64_t)dc.window + 1;
        /* Start one interval after 0: any origin works, the clock is
         * relative. */
        for (uint64_t i = 1; i <= n; i++)
                hb_detector_heartbeat(d, i * nc->interval_ns);
        last = hb_detector_last_arrival_ns(d);

        s = hb_detector_crossing_ns(d, nc->suspect_threshold);
        x = hb_detector_crossing_ns(d, nc->dead_threshold);
        t->suspect_ns = s == HB_NEVER ? HB_NEVER : s - last;
        t->dead_ns = x == HB_NEVER ? HB_NEVER : x - last;
        t->dead_by = "dead_threshold";
        if (nc->dead_after_ns > 0 && t->suspect_ns != HB_NEVER &&
            t->suspect_ns + nc->dead_after_ns < t->dead_ns) {
                t->dead_ns = t->suspect_ns + nc->dead_after_ns;
                t->dead_by = "dead_after";
        }
        t->mean_ns = hb_detector_mean_ns(d);
        t->std_dev_ns = hb_detector_std_dev_ns(d);
        t->bytes_per_s = (double)heartbeat_len(cfg) * 1e9 /
                         (double)nc->interval_ns;
        hb_detector_free(d);
        return 0;
}

/* A class's detection times for a silent peer after steady heartbeats
 * (docs/classes.md): as compute() does for the top-level timing. */
static int class_timings_at(const hb_class_config_t *c, uint64_t iv,
                            uint64_t *suspect_ns, uint64_t *dead_ns,
                            const char **dead_by)
{
        hb_detector_t *d = NULL;
        uint64_t n, last, s, x;
        int r = hb_detector_new(&d, &c->detector);

        if (r < 0)
                return r;
        /* As a receiver that follows the announced interval does. */
        (void)hb_detector_set_interval(d, iv, 0);
        n = c->detector.kind == HB_DETECTOR_FIXED
                    ? 1 : (uint64_t)c->detector.window + 1;
        for (uint64_t i = 1; i <= n; i++)
                hb_detector_heartbeat(d, i * iv);
        last = hb_detector_last_arrival_ns(d);
        s = hb_detector_crossing_ns(d, c->suspect_threshold);
        x = hb_detector_crossing_ns(d, c->dead_threshold);
        *suspect_ns = s == HB_NEVER ? HB_NEVER : s - last;
        *dead_ns = x == HB_NEVER ? HB_NEVER : x - last;
        *dead_by = "dead_threshold";
        if (c->dead_after_ns > 0 && *suspect_ns != HB_NEVER &&
            *suspect_ns + c->dead_after_ns < *dead_ns) {
                *dead_ns = *suspect_ns + c->dead_after_ns;
                *dead_by = "dead_after";
        }
        hb_detector_free(d);
        return 0;
}

/*
 * The i-th parameter of the detector's kind that a config file sets (the
 * core's schema, without the tools-only ones), or NULL past the last.
 */
static const hb_detector_param_t *kind_param(hb_detector_kind_t kind,
                                             size_t *i)
{
        const hb_detector_param_t *p;

        while ((p = hb_detector_param_at(kind, (*i)++, NULL)) != NULL)
                if (!(p->flags & HB_DETECTOR_PARAM_EXPERT))
                        return p;
        return NULL;
}

/* A parameter's value in ns (for the _MS types). */
static uint64_t param_ns(const hb_detector_param_t *p,
                         const hb_detector_config_t *dc)
{
        return (uint64_t)llround(hb_detector_param_get(p, dc) *
                                 (double)HB_NS_PER_MS);
}

static bool param_is_ms(const hb_detector_param_t *p)
{
        return p->type == HB_DETECTOR_PARAM_MS ||
               p->type == HB_DETECTOR_PARAM_MS_FRAC;
}

static const char *dur(uint64_t ns, char buf[static HBCTL_DUR_LEN])
{
        if (ns == HB_NEVER)
                return "never";
        return hbctl_dur(ns, buf);
}

/* Bytes per second: whole numbers above 100 B/s, two decimals below. */
static const char *rate(double bytes_per_s, char buf[static 32])
{
        snprintf(buf, 32, "%.*f B/s", bytes_per_s >= 100 ? 0 : 2,
                 bytes_per_s);
        return buf;
}

/* Configured votes: this node's and every peer's. */
static uint64_t votes_sum(const hbd_config_t *cfg)
{
        uint64_t sum = cfg->node.coord.votes;

        for (size_t i = 0; i < cfg->n_peers; i++)
                sum += cfg->peers[i].votes;
        return sum;
}

/* The lease figures (see the top of this file). */
typedef struct lease {
        uint64_t expected;      /* expected votes (the sum when 0) */
        uint64_t needed;        /* to be quorate (the core's rule) */
        uint64_t needed_alone;  /* two_node, the peer not alive: 1 */
        uint64_t lease_ns;      /* the leader's part of the promise */
        uint64_t promise_ns;    /* dead, <= promise_max */
        uint64_t promise_max_ns;
        uint64_t drift_ppm;
        uint64_t stand_ns;      /* earliest stand after a silent leader */
        uint64_t stand_max_ns;  /* latest, first in rank */
        int64_t margin_ns;      /* promise - lease */
} lease_t;

static void compute_lease(const hbd_config_t *cfg, const timings_t *t,
                          lease_t *ls)
{
        const hb_coord_config_t *cc = &cfg->node.coord;
        uint64_t iv = cfg->node.interval_ns;

        ls->expected = hb_coord_expected_votes(cc, votes_sum(cfg));
        ls->needed = hb_coord_votes_needed(cc, (uint32_t)ls->expected, false);
        ls->needed_alone = hb_coord_votes_needed(cc, (uint32_t)ls->expected,
                                                 true);
        if (hb_coord_promise_max(&cfg->node, &ls->promise_max_ns) < 0)
                ls->promise_max_ns = HB_COORD_PROMISE_MAX_INTERVALS * iv;
        ls->drift_ppm = cc->clock_drift_ppm ? cc->clock_drift_ppm
                                            : HB_COORD_DRIFT_PPM_DEFAULT;
        ls->promise_ns = t->dead_ns == HB_NEVER ? ls->promise_max_ns
                                                : t->dead_ns;
        if (ls->promise_ns > ls->promise_max_ns)
                ls->promise_ns = ls->promise_max_ns;
        ls->lease_ns = (uint64_t)((double)ls->promise_ns *
                                  (1e6 - (double)ls->drift_ppm) /
                                  (1e6 + (double)ls->drift_ppm));
        ls->margin_ns = (int64_t)ls->promise_ns - (int64_t)ls->lease_ns;
        /* It stands once its detector said dead and its promise ran out. */
        ls->stand_ns = t->dead_ns != HB_NEVER && t->dead_ns > ls->promise_ns
                               ? t->dead_ns
                               : ls->promise_ns;
        ls->stand_max_ns = ls->stand_ns + cc->election_delay_ns / 4;
}

/* With classes: the interval the election's liveness timings count in,
 * the slowest class that holds a voter (the core's
 * hb__election_interval_ns(), docs/classes.md). */
static void print_election_interval(const hbd_config_t *cfg)
{
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN], c[HBCTL_DUR_LEN];
        const char *by = "default";
        uint64_t iv = 0;

        if (cfg->n_classes == 0)
                return;
        for (size_t i = 0; i < cfg->n_peers; i++) {
                uint32_t ci = cfg->peers[i].class_idx;
                const hb_class_config_t *cc =
                        ci == 0 ? NULL : &cfg->node.classes[ci - 1];
                /* An adaptive class at its slowest. */
                uint64_t v = !cc ? cfg->node.interval_ns
                             : cc->adaptive.max_interval_ns > cc->interval_ns
                                     ? cc->adaptive.max_interval_ns
                                     : cc->interval_ns;

                if (cfg->peers[i].votes > 0 && v > iv) {
                        iv = v;
                        by = ci == 0 ? "default" : cfg->classes[ci - 1].name;
                }
        }
        if (iv == 0)
                iv = cfg->node.interval_ns;
        printf("%-12s interval %s (class %s, the slowest with a voter): "
               "listens %s\n%-12s before standing, a vote binds %s; give "
               "slower peers votes: 0\n%-12s for a faster pace\n",
               "liveness:", dur(iv, a), by,
               dur(HB_COORD_LISTEN_INTERVALS * iv, b), "",
               dur(HB_COORD_VOTE_PROMISE_INTERVALS * iv, c), "");
}

/* Nodes and electors of region r (1-based) in this config. */
static void region_count(const hbd_config_t *cfg, uint32_t r, size_t *nodes,
                         size_t *electors)
{
        const hb_hier_config_t *h = &cfg->node.hier;

        *nodes = h->region == r;
        *electors = h->region == r && h->elector;
        for (size_t i = 0; i < cfg->n_peers; i++) {
                *nodes += cfg->peers[i].region == r;
                *electors += cfg->peers[i].region == r &&
                             cfg->peers[i].elector;
        }
}

static void print_election(const hbd_config_t *cfg, const timings_t *t)
{
        const hb_coord_config_t *cc = &cfg->node.coord;
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN];
        char e[HBCTL_DUR_LEN], g[HBCTL_DUR_LEN];
        lease_t ls;

        if (!cc->enabled) {
                printf("%-12s off\n", "election:");
                return;
        }
        compute_lease(cfg, t, &ls);
        printf("%-12s on, priority %" PRIu32 "%s%s, delay %s, state file "
               "%s\n", "election:", cc->priority,
               cc->preempt ? ", preempt" : "",
               cc->witness ? ", witness (never leads)" : "",
               dur(cc->election_delay_ns, a), cfg->election_state_file);
        if (cfg->node.hier.enabled) {
                size_t nodes, el;

                region_count(cfg, cfg->node.hier.region, &nodes, &el);
                printf("%-12s regional: the %zu electors of region %" PRIu32
                       " vote, %zu needed\n", "quorum:", el,
                       cfg->node.hier.region, el / 2 + 1);
                print_election_interval(cfg);
                return;
        }
        printf("%-12s %" PRIu32 " votes here, %" PRIu64 " expected%s, %"
               PRIu64 " needed", "quorum:", cc->votes, ls.expected,
               cc->expected_votes ? "" : " (the sum)", ls.needed);
        if (ls.needed_alone != ls.needed)
                printf(" (%" PRIu64 " while the peer is not alive: two_node)",
                       ls.needed_alone);
        else if (cc->two_node)
                printf(", two_node");
        printf("%s\n", cc->wait_for_all ? ", wait_for_all" : "");
        print_election_interval(cfg);
        if (cfg->notify_on_leader || cfg->notify_on_follower ||
            cfg->notify_on_no_quorum)
                printf("%-12s on_leader %s, on_follower %s, on_no_quorum "
                       "%s\n", "role hooks:",
                       cfg->notify_on_leader ? cfg->notify_on_leader : "-",
                       cfg->notify_on_follower ? cfg->notify_on_follower
                                               : "-",
                       cfg->notify_on_no_quorum ? cfg->notify_on_no_quorum
                                                : "-");
        puts("lease (a cut-off leader stops before a new one can exist):");
        printf("  on each leader heartbeat a follower promises to vote for "
               "no one else\n    for %s (until it would declare the leader "
               "dead, at most %s)\n", dur(ls.promise_ns, a),
               dur(ls.promise_max_ns, b));
        printf("  the leader counts %s of it from when it sent that "
               "heartbeat (clocks\n    within %" PRIu64 " ppm), and steps "
               "down when no quorum's promise runs\n",
               dur(ls.lease_ns, a), ls.drift_ppm);
        printf("  a silent leader is replaced %s..%s after its last "
               "heartbeat\n    (dead %s, which ends the promise; first in "
               "rank, delay 0..%s);\n    one whose process exited, about "
               "one interval after (port unreachable)\n", dur(ls.stand_ns, a),
               dur(ls.stand_max_ns, b), dur(t->dead_ns, e),
               dur(cc->election_delay_ns / 4, g));
        printf("  a node that starts without its promise record votes "
               "for no one\n    for %s\n", dur(ls.promise_max_ns, a));
}

/* The name of node `id` (this node or a peer). */
static const char *node_name_of(const hbd_config_t *cfg, uint32_t id)
{
        if (id == cfg->node.node_id)
                return cfg->node_name;
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].id == id)
                        return cfg->peers[i].name;
        return "?";
}

/* topology.kind hierarchy (docs/hierarchy.md) in words: the regions, who
 * sends what to whom, and the steady-state message rate of the whole
 * cluster at this config's size. */
static void print_hierarchy(const hbd_config_t *cfg)
{
        const hb_node_config_t *nc = &cfg->node;
        const hb_hier_config_t *h = &nc->hier;
        double local_s = (double)nc->interval_ns / 1e9;
        double global_s = (double)h->global_interval_ns / 1e9;
        double members = 0, mesh = 0, total;
        size_t n_reg = 0, nodes, el;
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN];

        printf("%-12s hierarchy: region %" PRIu32 ", %s; local interval "
               "%s, global %s\n", "topology:", h->region,
               h->elector ? "an elector (may coordinate the region)"
                          : "a member (not an elector)",
               dur(nc->interval_ns, a), dur(h->global_interval_ns, b));
        for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++) {
                region_count(cfg, r, &nodes, &el);
                if (nodes == 0)
                        continue;
                n_reg++;
                printf("%-12s region %" PRIu32 ": %zu node%s, %zu "
                       "elector%s:", "", r, nodes, nodes == 1 ? "" : "s",
                       el, el == 1 ? "" : "s");
                if (h->region == r && h->elector)
                        printf(" %s", cfg->node_name);
                for (size_t i = 0; i < cfg->n_peers; i++)
                        if (cfg->peers[i].region == r &&
                            cfg->peers[i].elector)
                                printf(" %s", cfg->peers[i].name);
                printf("%s\n", el % 2 == 0 ? " (an even count tolerates "
                                             "no more failures than one "
                                             "fewer)"
                                           : "");
                members += (double)(nodes - el);
                mesh += (double)(el * (el - 1));
        }
        printf("%-12s members heartbeat to their region's coordinator "
               "only (to every elector\n%-12s while none is known); "
               "electors heartbeat to each other and elect it;\n"
               "%-12s the coordinator judges its region and sends a "
               "region summary on a change\n%-12s to its region and to "
               "the other coordinators, which relay it to theirs;\n"
               "%-12s coordinators heartbeat to each other every global "
               "interval and elect the\n%-12s global coordinator "
               "(majority of %zu regions: %zu); other regions' nodes\n"
               "%-12s are learned from summaries, never judged here; a "
               "silent coordinator\n%-12s makes its region unreachable "
               "(one event), its members keep their states\n",
               "", "", "", "", "", "", n_reg, n_reg / 2 + 1, "", "");
        total = members / local_s + mesh / local_s +
                (double)(n_reg * (n_reg - 1)) / global_s;
        printf("%-12s steady state, whole cluster: %.1f msg/s (members "
               "%.1f, electors %.1f,\n%-12s global level %.1f; summaries "
               "only on a change); a full mesh: %.1f msg/s\n", "", total,
               members / local_s, mesh / local_s, "",
               (double)(n_reg * (n_reg - 1)) / global_s,
               (double)(cfg->n_peers + 1) * (double)cfg->n_peers / local_s);
        /* Which role holds what (docs/hierarchy.md, "The at-most-one
         * resource"). */
        if (cfg->resource_start != NULL || cfg->n_vips > 0)
                printf("%-12s %s%s%s held by the global coordinator only "
                       "(global leader,\n%-12s established: a majority of "
                       "%zu regions), never by a regional leader as such;\n"
                       "%-12s fencing token HBEAT_TERM = the global term\n",
                       "holder:", cfg->resource_start != NULL ? "the resource"
                                                               : "",
                       cfg->resource_start != NULL && cfg->n_vips > 0
                               ? " and "
                               : "",
                       cfg->n_vips > 0 ? "the VIPs" : "", "", n_reg, "");
        if (nc->coord.enabled &&
            (cfg->notify_on_leader || cfg->notify_on_follower ||
             cfg->notify_on_no_quorum))
                printf("%-12s on_leader, on_follower, on_no_quorum follow "
                       "the global role\n", "role hooks:");
}

/* Topology "subset" (docs/subset.md) as this config makes it: the ring
 * of this node and its peers, this node's monitors (its k successors)
 * and the nodes it judges (those whose monitors include it). */
typedef struct subset_plan {
        uint32_t k, q, n;              /* monitors per node, majority, ring */
        uint32_t mon[HB_SUBSET_K_MAX];
        uint32_t n_mon;
        uint32_t *judged;              /* ids, ring order (malloc'ed) */
        uint32_t n_judged;
} subset_plan_t;

static int subset_plan(const hbd_config_t *cfg, subset_plan_t *sp)
{
        uint32_t *ring;
        int r;

        memset(sp, 0, sizeof(*sp));
        sp->k = cfg->node.subset.k;
        sp->n = (uint32_t)cfg->n_peers + 1;
        ring = calloc(sp->n, sizeof(*ring));
        sp->judged = calloc(sp->n, sizeof(*sp->judged));
        if (!ring || !sp->judged)
                goto fail;
        ring[0] = cfg->node.node_id;
        for (size_t i = 0; i < cfg->n_peers; i++)
                ring[i + 1] = cfg->peers[i].id;
        if (hb_subset_ring_sort(ring, sp->n) < 0)
                goto fail;
        r = hb_subset_monitors(ring, sp->n, cfg->node.node_id, sp->k, NULL,
                               NULL, sp->mon);
        if (r < 0)
                goto fail;
        sp->n_mon = (uint32_t)r;
        /* The majority of a node's monitors (all n - 1 with n <= k). */
        sp->q = (sp->k < sp->n - 1 ? sp->k : sp->n - 1) / 2 + 1;
        for (uint32_t i = 0; i < sp->n; i++) {
                uint32_t m[HB_SUBSET_K_MAX];
                int c;

                if (ring[i] == cfg->node.node_id)
                        continue;
                c = hb_subset_monitors(ring, sp->n, ring[i], sp->k, NULL,
                                       NULL, m);
                for (int j = 0; j < c; j++)
                        if (m[j] == cfg->node.node_id)
                                sp->judged[sp->n_judged++] = ring[i];
        }
        free(ring);
        return 0;
fail:
        free(ring);
        free(sp->judged);
        sp->judged = NULL;
        return -ENOMEM;
}

/* Datagrams per second in the subset topology's steady state: per node
 * k heartbeats per interval plus the acks its echo requests draw (one
 * per rtt_probe_every heartbeats); verdicts only on a change. */
static double subset_dgrams_per_node(const hbd_config_t *cfg, double k)
{
        const hb_node_config_t *nc = &cfg->node;
        double iv = (double)nc->interval_ns / 1e9;
        double acks = nc->rtt_probe_every ? 1.0 / nc->rtt_probe_every : 0;

        return k * (1.0 + acks) / iv;
}

static void print_subset(const hbd_config_t *cfg)
{
        subset_plan_t sp;

        if (subset_plan(cfg, &sp) < 0) {
                printf("%-12s subset: k = %" PRIu32 " (cannot compute the "
                       "ring)\n", "topology:", cfg->node.subset.k);
                return;
        }
        printf("%-12s subset: k = %" PRIu32 " monitors per node, chosen "
               "on a hash ring of\n%-12s %" PRIu32 " nodes (this node and "
               "its peers: every node must list every\n%-12s other node, "
               "with the same k)\n", "topology:", sp.k, "", sp.n, "");
        printf("%-12s heartbeats to (its monitors):", "");
        for (uint32_t i = 0; i < sp.n_mon; i++)
                printf("%s %s (id %" PRIu32 ")", i ? "," : "",
                       node_name_of(cfg, sp.mon[i]), sp.mon[i]);
        printf("\n%-12s judges (a monitor of):", "");
        for (uint32_t i = 0; i < sp.n_judged; i++)
                printf("%s %s", i ? "," : "",
                       node_name_of(cfg, sp.judged[i]));
        printf("%s\n", sp.n_judged ? "" : " none");
        printf("%-12s and sends its verdicts on them to every peer when "
               "one changes\n%-12s (3 copies); the others' states come "
               "from their monitors' verdicts\n", "", "");
        printf("%-12s a member is dead when %" PRIu32 " of its %" PRIu32
               " monitors say dead; with fewer\n%-12s than %" PRIu32
               " of them counting (not seen dead), its state freezes;\n"
               "%-12s a monitor seen dead is replaced by the next live "
               "node on the ring\n", "", sp.q,
               sp.k < sp.n - 1 ? sp.k : sp.n - 1, "", sp.q, "");
        if (sp.k % 2 == 0)
                printf("%-12s note: k = %" PRIu32 " tolerates no more "
                       "failures than %" PRIu32 "; prefer an odd k\n", "",
                       sp.k, sp.k - 1);
        free(sp.judged);
}

/* A subset heartbeat: with its digest TLV (docs/subset.md, "Repair"). */
static size_t subset_beat_len(const hbd_config_t *cfg)
{
        return heartbeat_len(cfg) + HB_WIRE_TLV_HEADER_LEN +
               HB_SUBSET_DIGEST_LEN;
}

/* Traffic of the subset topology (docs/subset.md): heartbeats to k
 * monitors; verdicts only when one changes. */
static void print_subset_traffic(const hbd_config_t *cfg)
{
        double n = (double)cfg->n_peers + 1;
        double k = cfg->node.subset.k < n - 1 ? cfg->node.subset.k : n - 1;
        size_t len = subset_beat_len(cfg);
        double each = (double)len * 1e9 / (double)cfg->node.interval_ns;
        double mesh = (double)heartbeat_len(cfg) * 1e9 /
                      (double)cfg->node.interval_ns;
        char r1[32], r2[32];

        printf("  %s to each monitor, %s from this node (the %zu bytes "
               "carry the\n  repair digest); %.1f datagrams/s with acks "
               "(the full mesh: %.1f)\n",
               rate(each, r1), rate(each * k, r2), len,
               subset_dgrams_per_node(cfg, k),
               subset_dgrams_per_node(cfg, n - 1));
        printf("  %s, %.1f datagrams/s for the whole cluster of %.0f nodes\n"
               "  (the full mesh: %s, %.1f datagrams/s); verdicts only on "
               "a change:\n  3 copies to each of the %.0f other nodes per "
               "monitor whose verdict changed\n",
               rate(each * k * n, r1), subset_dgrams_per_node(cfg, k) * n,
               n, rate(mesh * n * (n - 1), r2),
               subset_dgrams_per_node(cfg, n - 1) * n, n - 1);
}

/* topology.* (docs/topologies.md) in words. */
static void print_topology(const hbd_config_t *cfg)
{
        const hb_node_config_t *nc = &cfg->node;
        uint32_t m = nc->n_monitors, q = m / 2 + 1;
        bool self = false;

        if (nc->topology == HB_TOPOLOGY_GOSSIP)
                return; /* print_gossip() */
        if (nc->topology == HB_TOPOLOGY_SUBSET) {
                print_subset(cfg);
                return;
        }
        if (nc->hier.enabled) {
                print_hierarchy(cfg);
                return;
        }
        if (m == 0) {
                bool group = false;

                for (size_t i = 0; i < cfg->n_links; i++)
                        group = group || cfg->links[i].transport !=
                                                 HBD_TRANSPORT_UNICAST;
                if (cfg->n_classes > 0)
                        printf("%-12s mesh: each class's peers get "
                               "heartbeats at its interval (classes, "
                               "below),\n%-12s each peer judged here by "
                               "its class\n", "topology:", "");
                else if (group)
                        printf("%-12s mesh: each peer judged here; "
                               "heartbeats: one datagram per\n%-12s "
                               "interval on a multicast or broadcast link, "
                               "%zu on a unicast one\n", "topology:", "",
                               cfg->n_peers);
                else
                        printf("%-12s mesh: heartbeats to every peer (%zu "
                               "per interval), each peer judged here\n",
                               "topology:", cfg->n_peers);
                return;
        }
        printf("%-12s monitors:", "topology:");
        for (uint32_t i = 0; i < m; i++) {
                printf("%s %s (id %" PRIu32 ")", i ? "," : "",
                       node_name_of(cfg, nc->monitors[i]), nc->monitors[i]);
                self = self || nc->monitors[i] == nc->node_id;
        }
        printf("\n");
        if (self)
                printf("%-12s this node is a monitor: heartbeats and "
                       "verdicts to every peer (%zu each\n%-12s per "
                       "interval), judges every member itself\n", "",
                       cfg->n_peers, "");
        else
                printf("%-12s this node heartbeats to the %" PRIu32
                       " monitors only\n", "", m);
        printf("%-12s a member is dead when %" PRIu32 " of %" PRIu32
               " monitors say dead; with fewer than %" PRIu32 "\n"
               "%-12s monitors alive, member states freeze (no one is "
               "declared dead)\n", "", q, m, q, "");
        if (m % 2 == 0)
                printf("%-12s note: %" PRIu32 " monitors tolerate no more "
                       "failures than %" PRIu32 "; prefer an odd count\n",
                       "", m, m - 1);
}

/* The gossip topology (docs/gossip.md): seeds, parameters, and the
 * figures that follow at a few cluster sizes (the members are learned,
 * so the configured peers are only the smallest size shown). */
static void print_gossip(const hbd_config_t *cfg)
{
        const hb_node_config_t *nc = &cfg->node;
        const hb_gossip_config_t *g = &nc->gossip;
        double iv = (double)nc->interval_ns / 1e9;
        double sizes[4] = { (double)cfg->n_peers + 1, 100, 1000, 10000 };
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN], c[HBCTL_DUR_LEN];
        char adv[HBU_ADDRESS_MAX];

        printf("%-12s gossip (SWIM with Lifeguard): one probe per %s, "
               "membership spread\n%-12s by gossip; members not in peers "
               "are learned, named id:N\n", "topology:",
               dur(nc->interval_ns, a), "");
        printf("%-12s advertised as %s; push-pull (TCP, same port) "
               "%s%s\n", "", hbu_format_address((const struct sockaddr *)
                                                 &cfg->gossip_advertise_addr,
                                                 adv, sizeof(adv)),
               cfg->push_pull_interval_ns ? "every " : "at join only",
               cfg->push_pull_interval_ns
                       ? dur(cfg->push_pull_interval_ns, b) : "");
        printf("%-12s %zu seed%s%s\n", "seeds:", cfg->n_gossip_seeds,
               cfg->n_gossip_seeds == 1 ? "" : "s",
               cfg->n_gossip_seeds == 0 ? " (this node starts a cluster)"
                                        : (cfg->topology_seeds
                                                   ? "" : " (the peers)"));
        for (size_t i = 0; i < cfg->n_gossip_seeds; i++)
                printf("  %s\n", hbu_format_address(
                                         (const struct sockaddr *)
                                                 &cfg->gossip_seed_addr[i],
                                         adv, sizeof(adv)));
        printf("%-12s probe timeout %s (then as long for %" PRIu32
               " indirect probes),\n%-12s gossip every %s to %" PRIu32
               " members while updates are pending,\n%-12s suspicion x%"
               PRIu32 " (x%" PRIu32 " of it unconfirmed, %" PRIu32
               " confirmations),\n%-12s retransmit x%" PRIu32 ", LHM up "
               "to %" PRIu32 "\n", "gossip:", dur(g->probe_timeout_ns, a),
               g->indirect_probes, "", dur(g->gossip_interval_ns, b),
               g->fanout, "", g->suspicion_mult, g->suspicion_max_mult,
               g->confirmations, "", g->retransmit_mult, g->lhm_max);
        printf("timings and traffic (steady state, no loss; docs/gossip.md):"
               "\n  %8s  %14s  %14s  %14s  %s\n", "members",
               "suspect after", "dead at all", "dead, alone",
               "sent per node");
        for (int i = 0; i < 4; i++) {
                double n = sizes[i], lg = log10(n), tmin, tmax, spread,
                       detect;

                if (i > 0 && n <= sizes[0])
                        continue;
                tmin = (double)g->suspicion_mult * (lg > 1 ? lg : 1) * iv;
                tmax = tmin * (double)g->suspicion_max_mult;
                /* Found by a probe within about an interval, plus the
                 * direct and indirect waits; known by all about
                 * log10(n) + 1 gossip rounds after the verdict. */
                detect = iv + 2 * (double)g->probe_timeout_ns / 1e9;
                spread = ceil(lg + 1) * (double)g->gossip_interval_ns / 1e9;
                printf("  %8.0f  %14s  %14s  %14s  %.1f msg/s\n", n,
                       dur((uint64_t)(detect * 1e9), a),
                       dur((uint64_t)((detect + tmin + spread) * 1e9), b),
                       dur((uint64_t)((detect + tmax + spread) * 1e9), c),
                       2.0 / iv);
        }
        printf("  dead at all: %" PRIu32 " independent confirmations, the "
               "shortest suspicion;\n  alone: a suspicion nobody confirms. "
               "About 2 datagrams per interval (a ping\n  and an ack) "
               "whatever the size, plus gossip rounds while news "
               "spreads\n", g->confirmations);
}

/* Election on the gossip topology (docs/gossip.md, "Quorum and
 * election"): who votes, the promise that stands for the mesh's
 * detector dead time (hb_coord_gossip_promise_ns()), and the pace of a
 * failover at the configured size (the voters and this node). */
static void print_gossip_election(const hbd_config_t *cfg)
{
        const hb_coord_config_t *cc = &cfg->node.coord;
        const hb_gossip_config_t *g = &cfg->node.gossip;
        double n = (double)cfg->n_peers + 1, lg = log10(n);
        double iv = (double)cfg->node.interval_ns;
        double detect, tmin, tmax, spread;
        uint64_t promise, pmax, lease, drift, expected, needed, dead;
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN], c[HBCTL_DUR_LEN];
        char d[HBCTL_DUR_LEN], e[HBCTL_DUR_LEN];

        if (!cc->enabled) {
                printf("%-12s off\n", "election:");
                return;
        }
        promise = hb_coord_gossip_promise_ns(&cfg->node, cfg->n_peers + 1);
        if (hb_coord_promise_max(&cfg->node, &pmax) < 0)
                pmax = HB_COORD_PROMISE_MAX_INTERVALS *
                       cfg->node.interval_ns;
        drift = cc->clock_drift_ppm ? cc->clock_drift_ppm
                                    : HB_COORD_DRIFT_PPM_DEFAULT;
        lease = (uint64_t)((double)promise * (1e6 - (double)drift) /
                           (1e6 + (double)drift));
        expected = hb_coord_expected_votes(cc, votes_sum(cfg));
        needed = hb_coord_votes_needed(cc, (uint32_t)expected, false);
        /* As print_gossip(): found by a probe within about an interval,
         * the direct and indirect waits, the suspicion, the spread. */
        detect = iv + 2 * (double)g->probe_timeout_ns;
        tmin = (double)g->suspicion_mult * (lg > 1 ? lg : 1) * iv;
        tmax = tmin * (double)g->suspicion_max_mult;
        spread = ceil(lg + 1) * (double)g->gossip_interval_ns;
        dead = (uint64_t)(detect + tmin + spread);
        printf("%-12s on, priority %" PRIu32 "%s%s, delay %s, state file "
               "%s\n", "election:", cc->priority,
               cc->preempt ? ", preempt" : "",
               cc->witness ? ", witness (never leads)" : "",
               dur(cc->election_delay_ns, a), cfg->election_state_file);
        printf("%-12s %" PRIu32 " votes here, %" PRIu64 " expected%s, %"
               PRIu64 " needed%s; the voters are the %zu peers\n%-12s "
               "(learned members never vote), counted while gossip holds "
               "them alive\n", "quorum:", cc->votes, expected,
               cc->expected_votes ? "" : " (the sum)", needed,
               cc->wait_for_all ? ", wait_for_all" : "", cfg->n_peers, "");
        puts("lease on gossip (a cut-off leader stops before a new one can "
             "exist):");
        printf("  election heartbeats go to the voters every %s; on each "
               "one from its leader\n  a follower promises to vote for no "
               "one else for %s (gossip's shortest\n  conviction: probe "
               "timeouts 2 x %s + the shortest suspicion %s,\n  at least "
               "%u intervals; at most %s)\n",
               dur(cfg->node.interval_ns, a), dur(promise, b),
               dur(g->probe_timeout_ns, c),
               dur((uint64_t)tmin, d), HB_COORD_GOSSIP_PROMISE_MIN_INTERVALS,
               dur(pmax, e));
        printf("  the leader counts %s of it from when it sent that "
               "heartbeat (clocks\n    within %" PRIu64 " ppm), and steps "
               "down when no quorum's promise runs;\n  a follower stops "
               "following a leader silent that long, whatever gossip "
               "says\n", dur(lease, a), drift);
        printf("  a silent leader is replaced %s after its last heartbeat "
               "(the promise),\n    plus a delay of 0..%s for the first "
               "in rank; gossip declares it dead\n    about %s after (at "
               "%.0f members; %s if nobody confirms the\n    suspicion), "
               "which takes its vote out of the quorum\n",
               dur(promise, a), dur(cc->election_delay_ns / 4, b),
               dur(dead, c), n, dur((uint64_t)(detect + tmax + spread), d));
        printf("  a node that starts without its promise record votes "
               "for no one\n    for %s\n", dur(pmax, a));
}

/* Traffic of the monitors topology: members to the monitors, monitors'
 * heartbeats and verdicts (all alive: 72 bytes, 96 with AEAD) to every
 * peer (docs/topologies.md). */
static void print_monitor_traffic(const hbd_config_t *cfg,
                                  const timings_t *t)
{
        const hb_node_config_t *nc = &cfg->node;
        double n = (double)cfg->n_peers + 1, m = nc->n_monitors;
        double hb = t->bytes_per_s;
        double vd = hb * (cfg->encryption == HB_WIRE_MODE_AEAD ? 96.0 : 72.0) /
                    (double)heartbeat_len(cfg);
        char r1[32], r2[32];
        bool self = false;

        for (uint32_t i = 0; i < nc->n_monitors; i++)
                self = self || nc->monitors[i] == nc->node_id;
        if (self)
                printf("  %s to each peer (heartbeats and verdicts), %s from "
                       "this node,\n", rate(hb + vd, r1),
                       rate((hb + vd) * (n - 1), r2));
        else
                printf("  %s to each monitor, %s from this node,\n",
                       rate(hb, r1), rate(hb * m, r2));
        printf("  %s for the whole cluster of %.0f nodes (the full mesh: "
               "%s)\n", rate((n - m) * m * hb + m * (n - 1) * (hb + vd), r1),
               n, rate(hb * n * (n - 1), r2));
}

static int class_timings(const hb_class_config_t *c, uint64_t *suspect_ns,
                         uint64_t *dead_ns, const char **dead_by)
{
        return class_timings_at(c, c->interval_ns, suspect_ns, dead_ns,
                                dead_by);
}

/* An adaptive class (docs/classes.md): its bounds, its rule, and the
 * detection times at each bound (dead_after and probation follow the
 * interval when they were defaults). */
static void print_adaptive(const hb_class_config_t *cc)
{
        const hb_class_adaptive_t *ad = &cc->adaptive;
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN], d[HBCTL_DUR_LEN];
        char e[HBCTL_DUR_LEN];
        const uint64_t bound[2] = { ad->min_interval_ns, ad->max_interval_ns };

        printf("    adaptive: interval from %s to %s (starts at %s), aiming "
               "at %.15g x RTT p99,\n      evaluated every %s; up x%.15g "
               "at once (announced %u heartbeats ahead),\n      down "
               "x%.15g after %u evaluations agree and not above %.15g%% "
               "loss; hysteresis %.15g%%\n",
               dur(ad->min_interval_ns, a), dur(ad->max_interval_ns, b),
               dur(cc->interval_ns, d), ad->rtt_factor,
               ad->dampening_ns ? dur(ad->dampening_ns, e)
                                : "30 intervals (at least 1 s)",
               ad->raise, (unsigned)HB_CLASS_ANNOUNCE_BEATS, ad->lower,
               (unsigned)ad->hold, ad->loss_high * 100.0,
               ad->hysteresis * 100.0);
        for (int i = 0; i < 2; i++) {
                hb_class_config_t at = *cc;
                uint64_t sus = HB_NEVER, dead = HB_NEVER;
                const char *by = "";

                if (cc->flags & HB_CLASS_DEAD_AFTER_FOLLOWS)
                        at.dead_after_ns = (uint64_t)(
                                (double)cc->dead_after_ns /
                                (double)cc->interval_ns * (double)bound[i]);
                (void)class_timings_at(&at, bound[i], &sus, &dead, &by);
                printf("      at %s: suspect after %s, dead after %s (%s)\n",
                       dur(bound[i], a), dur(sus, b), dur(dead, d), by);
        }
}

/* ", key value" for each parameter kind `dc->kind` reads. */
static void print_params(const hb_detector_config_t *dc)
{
        const hb_detector_param_t *p;
        char a[HBCTL_DUR_LEN];

        for (size_t i = 0; (p = kind_param(dc->kind, &i)) != NULL;) {
                if (param_is_ms(p))
                        printf(", %.*s %s", (int)(strlen(p->key) - 3), p->key,
                               dur(param_ns(p, dc), a));
                else
                        printf(", %s %g", p->key,
                               hb_detector_param_get(p, dc));
        }
}

/* classes[] (docs/classes.md): each class's effective timing and its
 * peers. */
static void print_classes(const hbd_config_t *cfg)
{
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN], c[HBCTL_DUR_LEN];

        if (cfg->n_classes == 0)
                return;
        printf("classes (peers without one are in 'default', above):\n");
        for (size_t i = 0; i < cfg->n_classes; i++) {
                const hb_class_config_t *cc = &cfg->node.classes[i];
                uint64_t sus = HB_NEVER, dead = HB_NEVER;
                const char *by = "";
                size_t n = 0;

                (void)class_timings(cc, &sus, &dead, &by);
                printf("  %s: every %s, %s", cfg->classes[i].name,
                       dur(cc->interval_ns, a),
                       hb_detector_kind_name(cc->detector.kind));
                print_params(&cc->detector);
                printf("\n    suspect %.2f, dead %.2f (%s), "
                       "dead_after %s, probation %s\n",
                       cc->suspect_threshold, cc->dead_threshold,
                       hb_detector_suspicion_unit(cc->detector.kind),
                       cc->dead_after_ns ? dur(cc->dead_after_ns, b) : "off",
                       dur(cc->probation_ns, c));
                printf("    a silent peer becomes suspect after %s, dead "
                       "after %s (%s)\n", dur(sus, a), dur(dead, b), by);
                if (cc->adaptive.max_interval_ns != 0)
                        print_adaptive(cc);
                printf("    peers:");
                for (size_t j = 0; j < cfg->n_peers; j++)
                        if (cfg->peers[j].class_idx == i + 1)
                                printf("%s %s", n++ ? "," : "",
                                       cfg->peers[j].name);
                printf("%s\n", n ? "" : " none");
        }
        printf("  each class's peers get this node's heartbeats at the "
               "class's interval;\n  they must put this node in a class "
               "of the same interval (docs/classes.md)\n");
}

static void print_text(const hbd_config_t *cfg, const timings_t *t)
{
        const hb_node_config_t *nc = &cfg->node;
        const hb_detector_config_t *dc = &nc->detector;
        const char *kind = hb_detector_kind_name(dc->kind);
        char a[HBCTL_DUR_LEN], b[HBCTL_DUR_LEN], c[HBCTL_DUR_LEN];
        char r1[32], r2[32];
        double n = (double)cfg->n_peers;
        int name_w = 0, id_w = 0;

        printf("%s: OK\n", cfg->path);
        printf("%-12s %s (id %" PRIu32 ")\n", "node:", cfg->node_name,
               nc->node_id);
        printf("%-12s %" PRIu32 "\n", "cluster:", nc->cluster_id);
        if (cfg->n_links == 0)
                printf("%-12s %s\n", "listen:", cfg->listen);
        else
                printf("%-12s %zu, heartbeats sent on every one; a peer is "
                       "alive while any link\n%-12s carries its heartbeats, "
                       "a silent link is only a link-down event\n",
                       "links:", cfg->n_links, "");
        for (size_t i = 0; i < cfg->n_links; i++) {
                const hbd_link_conf_t *lk = &cfg->links[i];

                if (lk->device) {
                        printf("  %zu %-10s disk %s, slot %u of %u x %u "
                               "bytes\n", i, lk->name, lk->device,
                               (unsigned)cfg->node.node_id - 1,
                               (unsigned)lk->slots, (unsigned)lk->slot_size);
                        continue;
                }
                if (lk->tty) {
                        printf("  %zu %-10s serial %s, %u baud, "
                               "point-to-point\n", i, lk->name, lk->tty,
                               (unsigned)lk->baud);
                        continue;
                }
                printf("  %zu %-10s listen %s%s%s\n", i, lk->name,
                       lk->listen, lk->interface ? ", interface " : "",
                       lk->interface ? lk->interface : "");
                if (lk->transport == HBD_TRANSPORT_MULTICAST)
                        printf("    multicast: one heartbeat per interval to "
                               "group %s\n    (ttl %" PRIu32 ", loop off), "
                               "joined on %s;\n    acks and votes unicast "
                               "to the peers' addresses; only the peers\n"
                               "    below are members\n", lk->group,
                               lk->ttl ? lk->ttl : 1,
                               lk->interface ? lk->interface
                                             : "the group's scope or the "
                                               "routes' choice");
                else if (lk->transport == HBD_TRANSPORT_BROADCAST)
                        printf("    broadcast: one heartbeat per interval to "
                               "%s on %s;\n    acks and votes unicast to the "
                               "peers' addresses; only the peers\n    below "
                               "are members\n", lk->group, lk->interface);
                else
                        printf("    unicast: one heartbeat per interval to "
                               "each peer\n");
        }
        printf("%-12s %s\n", "control:", cfg->control_socket);
        if (cfg->key_file)
                printf("%-12s %s (key id 0%s)\n", "key file:", cfg->key_file,
                       cfg->encryption == HB_WIRE_MODE_AEAD ? ", aead" : "");
        for (size_t i = 0; i < cfg->n_keys; i++)
                printf("%-12s id %" PRIu32 "%s%s: %s\n", i ? "" : "keys:",
                       cfg->keys[i].id,
                       cfg->keys[i].id == cfg->primary_key ? " (primary)"
                                                            : "",
                       cfg->keys[i].encryption == HB_WIRE_MODE_AEAD
                               ? " aead" : "",
                       cfg->keys[i].file);
        if (cfg->notify_script)
                printf("%-12s %s (timeout %s)\n", "notify:",
                       cfg->notify_script, dur(cfg->notify_timeout_ns, a));
        printf("%-12s %zu\n", "peers:", cfg->n_peers);
        for (size_t i = 0; i < cfg->n_peers; i++) {
                int w = (int)strlen(cfg->peers[i].name);
                int iw = snprintf(NULL, 0, "%" PRIu32, cfg->peers[i].id);

                name_w = w > name_w ? w : name_w;
                id_w = iw > id_w ? iw : id_w;
        }
        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *pc = &cfg->peers[i];
                const hbs_window_t *sw = &pc->pull_check.window;
                char wt[64];

                printf("  %-*s  id %*" PRIu32 "  %s", name_w, pc->name,
                       id_w, pc->id, pc->addresses ? "" : pc->address);
                for (size_t k = 0; pc->addresses && pc->addresses[k]; k++)
                        printf("%s%s %s", k ? ", " : "", cfg->links[k].name,
                               pc->addresses[k]);
                if (pc->class_idx > 0)
                        printf("  (class %s)", pc->class_name);
                if (pc->pull && sw->set)
                        printf("  (probed %s, %s; held outside)",
                               hbs_window_text(sw, wt, sizeof wt),
                               cfg->daemon.timezone ? cfg->daemon.timezone
                                                    : "system time zone");
                printf("\n");
        }
        print_topology(cfg);

        if (cfg->realtime.enabled)
                printf("%-12s SCHED_FIFO priority %" PRIu32 ", memory %s, "
                       "CPUs %s (where permitted)\n", "realtime:",
                       cfg->realtime.priority,
                       cfg->realtime.lock_memory ? "locked" : "not locked",
                       cfg->realtime.cpus ? cfg->realtime.cpus : "any");
        else
                printf("%-12s off\n", "realtime:");
        if (cfg->daemon.user != NULL)
                printf("%-12s %s (uid %u, gid %u) once started\n", "runs as:",
                       cfg->daemon.user, (unsigned)cfg->daemon.uid,
                       (unsigned)cfg->daemon.gid);
        if (nc->topology == HB_TOPOLOGY_GOSSIP) {
                /* Probes, not heartbeats; no detector (docs/gossip.md). */
                print_gossip(cfg);
                print_gossip_election(cfg);
                return;
        }
        printf("%-12s every %s\n", "heartbeat:", dur(nc->interval_ns, a));
        printf("%-12s %s", "detector:", kind);
        print_params(dc);
        putchar('\n');
        printf("%-12s suspect %.2f, dead %.2f (%s), dead_after %s\n",
               "thresholds:", nc->suspect_threshold, nc->dead_threshold,
               hb_detector_suspicion_unit(dc->kind),
               nc->dead_after_ns ? dur(nc->dead_after_ns, a) : "off");

        printf("timings (%s detector, after steady heartbeats every %s",
               kind, dur(nc->interval_ns, a));
        if (dc->kind == HB_DETECTOR_PHI)
                printf("; mean %s, std dev %s",
                       dur((uint64_t)t->mean_ns, b),
                       dur((uint64_t)t->std_dev_ns, c));
        puts("):");
        printf("  a silent peer becomes suspect after %s\n",
               dur(t->suspect_ns, a));
        printf("  a silent peer is declared dead after %s (%s)\n",
               dur(t->dead_ns, a), t->dead_by);
        if (cfg->n_links > 1)
                printf("  a silent link goes down after %s too (the same "
                       "detector per link);\n  the peer is dead only when "
                       "every link is silent that long\n",
                       dur(t->dead_ns, a));
        printf("  probation: %s (a returning peer needs %s of steady "
               "heartbeats)\n", dur(nc->probation_ns, a),
               dur(nc->probation_ns, b));
        if (nc->topology == HB_TOPOLOGY_SUBSET)
                printf("  (at a member's monitors; every node knows one "
                       "network delay later:\n  the majority's verdicts "
                       "go to all at once. With monitors down, until\n"
                       "  they are seen dead: up to about twice that, "
                       "docs/subset.md)\n");

        print_classes(cfg);
        print_election(cfg, t);

        if (nc->hier.enabled)
                return; /* its message rate is under topology: */
        printf("traffic (%zu-byte heartbeats, UDP payload):\n",
               nc->topology == HB_TOPOLOGY_SUBSET ? subset_beat_len(cfg)
                                                  : heartbeat_len(cfg));
        if (nc->n_monitors > 0) {
                print_monitor_traffic(cfg, t);
                return;
        }
        if (nc->topology == HB_TOPOLOGY_SUBSET) {
                print_subset_traffic(cfg);
                return;
        }
        if (cfg->n_classes > 0) {
                /* Per class: its peers at its interval (docs/classes.md);
                 * class heartbeats carry the INTERVAL TLV. */
                size_t len = heartbeat_len(cfg) + HB_WIRE_TLV_HEADER_LEN +
                             HB_INTERVAL_TLV_LEN;
                double total = 0;

                for (uint32_t ci = 0; ci <= cfg->node.n_classes; ci++) {
                        uint64_t iv = ci == 0 ? nc->interval_ns
                                              : nc->classes[ci - 1]
                                                        .interval_ns;
                        double each = (double)len * 1e9 / (double)iv;
                        size_t k = 0;

                        for (size_t j = 0; j < cfg->n_peers; j++)
                                k += cfg->peers[j].class_idx == ci;
                        if (k == 0)
                                continue;
                        printf("  class %s: %s to each of %zu peers\n",
                               ci == 0 ? "default"
                                       : cfg->classes[ci - 1].name,
                               rate(each, r1), k);
                        total += each * (double)k;
                }
                printf("  %s from this node (%zu-byte heartbeats with the "
                       "INTERVAL TLV)\n", rate(total, r1), len);
                return;
        }
        printf("  %s to each peer, %s from this node,\n",
               rate(t->bytes_per_s, r1), rate(t->bytes_per_s * n, r2));
        printf("  %s for the whole mesh of %zu nodes\n",
               rate(t->bytes_per_s * n * (n + 1), r1), cfg->n_peers + 1);
}

/* A duration in ms for JSON: integer when whole, null for "never". */
static json_t *ms_json(uint64_t ns)
{
        if (ns == HB_NEVER)
                return json_null();
        if (ns % HB_NS_PER_MS == 0)
                return json_integer((json_int_t)(ns / HB_NS_PER_MS));
        return json_real((double)ns / 1e6);
}

/* links[] for JSON: name, listen, interface (null), and per peer its
 * address on each link ([] without links). */
static json_t *links_json(const hbd_config_t *cfg)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < cfg->n_links; i++) {
                json_t *addrs = json_object();

                for (size_t j = 0; addrs && j < cfg->n_peers; j++)
                        if (cfg->peers[j].addresses)
                                json_object_set_new(
                                        addrs, cfg->peers[j].name,
                                        json_string(
                                                cfg->peers[j].addresses[i]));
                static const char *const tr[] = { "unicast", "multicast",
                                                  "broadcast" };

                json_array_append_new(
                        a, json_pack("{sIssssss?sossss?sI}", "index",
                                     (json_int_t)i,
                                     "name", cfg->links[i].name, "listen",
                                     cfg->links[i].listen, "interface",
                                     cfg->links[i].interface, "peers",
                                     addrs ? addrs : json_object(),
                                     "transport",
                                     tr[cfg->links[i].transport % 3],
                                     "group", cfg->links[i].group, "ttl",
                                     (json_int_t)(cfg->links[i].ttl
                                                          ? cfg->links[i].ttl
                                                          : 1)));
        }
        return a;
}

/* Each parameter kind `dc->kind` reads into `obj`, by its key
 * (durations in ms). -1 when jansson fails. */
static int add_params(json_t *obj, const hb_detector_config_t *dc)
{
        const hb_detector_param_t *p;

        for (size_t i = 0; (p = kind_param(dc->kind, &i)) != NULL;) {
                double x = hb_detector_param_get(p, dc);
                json_t *v = param_is_ms(p) ? ms_json(param_ns(p, dc))
                            : p->type == HB_DETECTOR_PARAM_COUNT
                                    ? json_integer((json_int_t)x)
                                    : json_real(x);

                if (json_object_set_new(obj, p->key, v) < 0)
                        return -1;
        }
        return 0;
}

/* classes[].adaptive for JSON (dampening_ms null: the default, 30
 * intervals, at least 1 s). */
static json_t *adaptive_json(const hb_class_adaptive_t *ad)
{
        return json_pack("{sosososfsfsfsfsfsisi}",
                         "min_interval_ms", ms_json(ad->min_interval_ns),
                         "max_interval_ms", ms_json(ad->max_interval_ns),
                         "dampening_ms",
                         ad->dampening_ns ? ms_json(ad->dampening_ns)
                                          : json_null(),
                         "rtt_factor", ad->rtt_factor,
                         "hysteresis", ad->hysteresis,
                         "raise", ad->raise, "lower", ad->lower,
                         "loss_high", ad->loss_high,
                         "hold", (int)ad->hold,
                         "announce_beats", (int)HB_CLASS_ANNOUNCE_BEATS);
}

/* classes[] for JSON: name, interval_ms, detector, detector_params,
 * thresholds,
 * dead_after_ms, probation_ms, suspect_after_silence_ms,
 * dead_after_silence_ms (a silent peer's, after steady heartbeats),
 * dead_by, peers (names). */
static json_t *classes_json(const hbd_config_t *cfg)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < cfg->n_classes; i++) {
                const hb_class_config_t *cc = &cfg->node.classes[i];
                uint64_t sus = HB_NEVER, dead = HB_NEVER;
                const char *by = "";
                json_t *peers = json_array(), *params = json_object();

                (void)class_timings(cc, &sus, &dead, &by);
                if (params && add_params(params, &cc->detector) < 0) {
                        json_decref(params);
                        params = NULL;
                }
                for (size_t j = 0; peers && j < cfg->n_peers; j++)
                        if (cfg->peers[j].class_idx == i + 1)
                                json_array_append_new(
                                        peers,
                                        json_string(cfg->peers[j].name));
                json_array_append_new(
                        a, json_pack("{sssosssOsfsfsososososssO}",
                                     "name", cfg->classes[i].name,
                                     "interval_ms", ms_json(cc->interval_ns),
                                     "detector",
                                     hb_detector_kind_name(
                                             cc->detector.kind),
                                     "detector_params",
                                     params ? params : json_object(),
                                     "suspect_threshold",
                                     cc->suspect_threshold,
                                     "dead_threshold", cc->dead_threshold,
                                     "dead_after_ms",
                                     ms_json(cc->dead_after_ns),
                                     "probation_ms",
                                     ms_json(cc->probation_ns),
                                     "suspect_after_silence_ms",
                                     ms_json(sus),
                                     "dead_after_silence_ms", ms_json(dead),
                                     "dead_by", by,
                                     "peers",
                                     peers ? peers : json_array()));
                json_decref(peers);
                json_decref(params);
                if (cc->adaptive.max_interval_ns != 0)
                        json_object_set_new(
                                json_array_get(a, json_array_size(a) - 1),
                                "adaptive", adaptive_json(&cc->adaptive));
        }
        return a;
}

/* Topology "subset" for JSON: k, majority, monitors and judged nodes
 * (names), detection times and the steady-state rates against the full
 * mesh. */
static json_t *subset_json(const hbd_config_t *cfg, const timings_t *t)
{
        subset_plan_t sp;
        json_t *mons, *judged;
        double n = (double)cfg->n_peers + 1, k;

        if (subset_plan(cfg, &sp) < 0)
                return NULL;
        k = sp.k < n - 1 ? sp.k : n - 1;
        mons = json_array();
        judged = json_array();
        for (uint32_t i = 0; mons && i < sp.n_mon; i++)
                json_array_append_new(mons, json_string(
                                              node_name_of(cfg, sp.mon[i])));
        for (uint32_t i = 0; judged && i < sp.n_judged; i++)
                json_array_append_new(judged, json_string(node_name_of(
                                                      cfg, sp.judged[i])));
        free(sp.judged);
        return json_pack("{sIsIsIsosososo" "sfsfsfsf}",
                         "k", (json_int_t)sp.k, "majority",
                         (json_int_t)sp.q, "ring_size", (json_int_t)sp.n,
                         "monitors", mons ? mons : json_array(),
                         "judges", judged ? judged : json_array(),
                         "suspect_after_ms", ms_json(t->suspect_ns),
                         "dead_after_ms", ms_json(t->dead_ns),
                         "datagrams_per_s_node",
                         subset_dgrams_per_node(cfg, k),
                         "datagrams_per_s_cluster",
                         subset_dgrams_per_node(cfg, k) * n,
                         "datagrams_per_s_mesh",
                         subset_dgrams_per_node(cfg, n - 1) * n,
                         "bytes_per_s_node",
                         (double)subset_beat_len(cfg) * 1e9 /
                                 (double)cfg->node.interval_ns * k);
}

static int print_json(const hbd_config_t *cfg, const timings_t *t)
{
        const hb_node_config_t *nc = &cfg->node;
        const hb_detector_config_t *dc = &nc->detector;
        json_t *peers = json_array(), *det, *root = NULL;
        int status = HBCTL_EXIT_FAIL;
        double n = (double)cfg->n_peers;

        for (size_t i = 0; peers && i < cfg->n_peers; i++)
                if (json_array_append_new(peers, json_pack(
                            "{sssIss}", "name", cfg->peers[i].name, "id",
                            (json_int_t)cfg->peers[i].id, "address",
                            cfg->peers[i].address)) < 0)
                        goto out;
        det = json_pack("{sssfsfso}", "kind", hb_detector_kind_name(dc->kind),
                        "suspect_threshold", nc->suspect_threshold,
                        "dead_threshold", nc->dead_threshold,
                        "dead_after_ms", nc->dead_after_ns ?
                                ms_json(nc->dead_after_ns) : json_integer(0));
        if (det && add_params(det, dc) < 0) {
                json_decref(det);
                det = NULL;
        }
        root = json_pack("{sssbs{sssI}sIsssssssosososososssosfsfsf}",
                "file", cfg->path, "ok", 1,
                "node", "name", cfg->node_name, "id",
                (json_int_t)nc->node_id,
                "cluster_id", (json_int_t)nc->cluster_id,
                "listen", cfg->listen,
                "control_socket", cfg->control_socket,
                "key_file", cfg->key_file ? cfg->key_file : "",
                "peers", peers,
                "interval_ms", ms_json(nc->interval_ns),
                "detector", det,
                "suspect_after_ms", ms_json(t->suspect_ns),
                "dead_after_ms", ms_json(t->dead_ns),
                "dead_by", t->dead_by,
                "probation_ms", ms_json(nc->probation_ns),
                "bytes_per_s_per_peer", t->bytes_per_s,
                "bytes_per_s_node", t->bytes_per_s * n,
                "bytes_per_s_mesh", t->bytes_per_s * n * (n + 1));
        peers = NULL; /* "o" stole it, even on failure */
        if (!root) {
                hbctl_err("out of memory");
                goto out;
        }
        if (json_object_set_new(root, "keys", keys_json(cfg)) < 0 ||
            json_object_set_new(root, "links", links_json(cfg)) < 0 ||
            json_object_set_new(root, "classes", classes_json(cfg)) < 0) {
                hbctl_err("out of memory");
                goto out;
        }
        if (json_object_set_new(root, "realtime", json_pack(
                    "{sbsIsbss?}", "enabled", (int)cfg->realtime.enabled,
                    "priority", (json_int_t)cfg->realtime.priority,
                    "lock_memory", (int)cfg->realtime.lock_memory,
                    "cpus", cfg->realtime.cpus)) < 0) {
                hbctl_err("out of memory");
                goto out;
        }
        if (cfg->daemon.user != NULL &&
            json_object_set_new(root, "daemon", json_pack(
                    "{sssIsI}", "user", cfg->daemon.user,
                    "uid", (json_int_t)cfg->daemon.uid,
                    "gid", (json_int_t)cfg->daemon.gid)) < 0) {
                hbctl_err("out of memory");
                goto out;
        }
        if (nc->coord.enabled) {
                const hb_coord_config_t *cc = &nc->coord;
                lease_t ls;

                compute_lease(cfg, t, &ls);
                if (json_object_set_new(root, "election", json_pack(
                            "{sbsIsbsbsosssIsIsIsIsbsbsososIsososI}",
                            "enabled", 1,
                            "priority", (json_int_t)cc->priority,
                            "preempt", (int)cc->preempt,
                            "witness", (int)cc->witness,
                            "delay_ms", ms_json(cc->election_delay_ns),
                            "state_file", cfg->election_state_file,
                            "votes", (json_int_t)cc->votes,
                            "expected_votes", (json_int_t)ls.expected,
                            "quorum_votes", (json_int_t)ls.needed,
                            "quorum_votes_alone",
                            (json_int_t)ls.needed_alone,
                            "two_node", (int)cc->two_node,
                            "wait_for_all", (int)cc->wait_for_all,
                            "step_down_after_ms", ms_json(ls.lease_ns),
                            "stand_after_ms", ms_json(ls.stand_ns),
                            "lease_margin_ms",
                            (json_int_t)(ls.margin_ns / (int64_t)HB_NS_PER_MS),
                            "promise_ms", ms_json(ls.promise_ns),
                            "promise_max_ms", ms_json(ls.promise_max_ns),
                            "clock_drift_ppm", (json_int_t)ls.drift_ppm
                            )) < 0) {
                        hbctl_err("out of memory");
                        goto out;
                }
        } else if (json_object_set_new(root, "election", json_pack(
                           "{sb}", "enabled", 0)) < 0) {
                hbctl_err("out of memory");
                goto out;
        }
        if (nc->topology == HB_TOPOLOGY_SUBSET &&
            json_object_set_new(root, "subset", subset_json(cfg, t)) < 0) {
                hbctl_err("out of memory");
                goto out;
        }
        status = hbctl_json_print(root, true);
out:
        json_decref(peers);
        json_decref(root);
        return status;
}

int hbctl_cmd_check_config(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        hbd_config_t *cfg = NULL;
        char err[1024];
        timings_t t;
        bool json = false;
        int c, r, status;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":jh", opts)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind == argc)
                return hbctl_usage_error(argv[0], "missing FILE");
        if (argc - optind > 1)
                return hbctl_usage_error(argv[0], "too many arguments");

        /* The loader decodes the key file, which needs libsodium. */
        if (hb_wire_init() < 0) {
                hbctl_err("cannot initialise libsodium");
                return HBCTL_EXIT_FAIL;
        }
        r = hbd_config_load(&cfg, argv[optind], err, sizeof(err));
        if (r < 0) {
                hbctl_err("%s", err);
                return r == -ENOMEM ? HBCTL_EXIT_FAIL : HBCTL_EXIT_USAGE;
        }
        r = compute(cfg, &t);
        if (r < 0) {
                /* The loader validated the detector; this is a bug. */
                hbctl_err("%s: cannot build the detector: %s", cfg->path,
                          hb_strerror(r));
                hbd_config_free(cfg);
                return HBCTL_EXIT_FAIL;
        }
        if (json) {
                status = print_json(cfg, &t);
        } else {
                print_text(cfg, &t);
                status = HBCTL_EXIT_OK;
        }
        hbd_config_free(cfg);
        return hbctl_finish_stdout(status);
}
