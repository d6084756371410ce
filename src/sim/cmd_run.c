/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim run: run a simulated cluster from the command line.
 *
 *   hbeat-sim run --nodes 5 --seed 42 --duration-s 30 --loss 0.1 \
 *                 --fault crash:3:10000 --fault restart:3:15000
 *   hbeat-sim run --nodes 1000 --interval-ms 1000 --duration-s 60 \
 *                 --crash-random 5 --region-count 4 --quiet --json
 *
 * Prints every transition (unless --quiet), then a summary (text, or
 * JSON with --json), measured as the events come (the node hook of
 * sim.h), so a 1,000-node run keeps no event log:
 *
 *   - every crash: the time until every member that was up at the crash
 *     has the crashed node dead ("all know"; median, p99, max over the
 *     crashes), and the per-observer delays (every observer's dead
 *     verdict; median, p90, p99, max);
 *   - every pause: how many observers suspected it, how many declared it
 *     dead;
 *   - false positives: suspect and dead verdicts on a node that is up,
 *     not paused, reachable both ways from its observer and had no fault
 *     of its own for the grace time (--fp-grace-ms; the observer had no
 *     network fault for it either), per node-hour;
 *   - messages and bytes each node sends per second, by message type;
 *   - the trace hash (same seed and options, same hash);
 *   - the resources: wall time of the boot and of the run, CPU time and
 *     peak RSS (getrusage). This last line is the only one that changes
 *     from one run to the next.
 *
 * Topologies are a table (topologies[] below): a name, a help text and
 * a function that sets the node template up; add a row for a new one.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "sim/arena.h"
#include "sim/cmd.h"
#include "sim/sim.h"

/* Nodes up to which the summary lists every observer of every fault
 * (and the run keeps the event log for it). */
#define LIST_MAX_NODES 16u

enum fault_kind {
        F_CRASH,
        F_RESTART,
        F_PAUSE,
        F_RESUME,
        F_ISOLATE,
        F_HEAL,
        F_CUT_REGION,
        F_HEAL_REGION,
};

static const char *const fault_names[] = {
        "crash", "restart", "pause", "resume",
        "isolate", "heal", "cut-region", "heal-region",
};

#define N_FAULT_KINDS (sizeof(fault_names) / sizeof(fault_names[0]))

typedef struct fault {
        enum fault_kind kind;
        size_t node;                  /* region for the region kinds */
        uint64_t at_ns;
} fault_t;

/* What the command line asked for, beyond hbsim_config_t. */
typedef struct run_opts {
        uint32_t n_monitors;          /* topology monitors */
        uint32_t electors;            /* topology hierarchy: per region */
        uint64_t global_interval_ms;  /* topology hierarchy; 0: default */
} run_opts_t;

/* ---- topologies ------------------------------------------------------ */

typedef struct topology {
        const char *name;
        const char *help;
        /* Set cfg->node (the template every node boots from) up; 0, or
         * -EINVAL with a message on stderr. */
        int (*setup)(hbsim_config_t *cfg, const run_opts_t *o);
} topology_t;

static int topo_mesh(hbsim_config_t *cfg, const run_opts_t *o)
{
        (void)cfg;
        (void)o;
        return 0;
}

static int topo_monitors(hbsim_config_t *cfg, const run_opts_t *o)
{
        if (o->n_monitors < 1 || o->n_monitors > HB_MONITORS_MAX ||
            o->n_monitors > cfg->n_nodes) {
                fprintf(stderr, "hbeat-sim: --monitors: 1 .. %u and at most "
                                "--nodes\n",
                        HB_MONITORS_MAX);
                return -EINVAL;
        }
        if (cfg->node.coord.enabled) {
                fprintf(stderr, "hbeat-sim: topology monitors: no "
                                "--election (docs/topologies.md)\n");
                return -EINVAL;
        }
        cfg->node.n_monitors = o->n_monitors;
        for (uint32_t i = 0; i < o->n_monitors; i++)
                cfg->node.monitors[i] = i + 1;
        return 0;
}

static int topo_gossip(hbsim_config_t *cfg, const run_opts_t *o)
{
        (void)o;
        if (cfg->node.coord.enabled) {
                fprintf(stderr, "hbeat-sim: topology gossip: no "
                                "--election (docs/gossip.md)\n");
                return -EINVAL;
        }
        cfg->node.topology = HB_TOPOLOGY_GOSSIP;
        return 0;
}

static int topo_subset(hbsim_config_t *cfg, const run_opts_t *o)
{
        if (o->n_monitors < 1 || o->n_monitors > HB_SUBSET_K_MAX) {
                fprintf(stderr, "hbeat-sim: topology subset: --monitors "
                                "(k): 1 .. %u\n",
                        HB_SUBSET_K_MAX);
                return -EINVAL;
        }
        if (cfg->node.coord.enabled) {
                fprintf(stderr, "hbeat-sim: topology subset: no "
                                "--election (docs/subset.md)\n");
                return -EINVAL;
        }
        cfg->node.topology = HB_TOPOLOGY_SUBSET;
        cfg->node.subset.k = o->n_monitors;
        return 0;
}

/* The hierarchy's regions are the latency model's (--region-count,
 * default 2): the same contiguous blocks. */
static int topo_hierarchy(hbsim_config_t *cfg, const run_opts_t *o)
{
        size_t r = cfg->n_regions > 1 ? cfg->n_regions : 2;

        if (r > HB_HIER_REGIONS_MAX || r > cfg->n_nodes ||
            o->electors < 1 || o->electors > 7 ||
            o->electors > cfg->n_nodes / r) {
                fprintf(stderr, "hbeat-sim: topology hierarchy: "
                                "--region-count 1..%u (at most --nodes), "
                                "--electors 1..7 (at most a region's "
                                "nodes)\n",
                        HB_HIER_REGIONS_MAX);
                return -EINVAL;
        }
        cfg->hier_regions = (uint32_t)r;
        cfg->hier_electors = o->electors;
        cfg->hier_global_interval_ns = o->global_interval_ms * HB_NS_PER_MS;
        cfg->node.rtt_probe_every = 0; /* docs/hierarchy.md */
        return 0;
}

static const topology_t topologies[] = {
        { "mesh", "every node heartbeats to every other (default)",
          topo_mesh },
        { "monitors", "members heartbeat to the --monitors K monitors "
                      "(nodes 1..K); a majority of them declares dead",
          topo_monitors },
        { "gossip", "SWIM with Lifeguard (docs/gossip.md)", topo_gossip },
        { "subset", "each node heartbeats to its --monitors K successors "
                    "on a hash ring (docs/subset.md)",
          topo_subset },
        { "hierarchy", "regional coordinators under a global one "
                       "(docs/hierarchy.md; --region-count, --electors, "
                       "--global-interval-ms)",
          topo_hierarchy },
};

#define N_TOPOLOGIES (sizeof(topologies) / sizeof(topologies[0]))

static const topology_t *topology_find(const char *name)
{
        for (size_t i = 0; i < N_TOPOLOGIES; i++)
                if (strcmp(topologies[i].name, name) == 0)
                        return &topologies[i];
        return NULL;
}

static void usage(FILE *f)
{
        fprintf(f,
"usage: hbeat-sim run [options]\n"
"\n"
"Simulate an hbeat cluster on a virtual clock (deterministic).\n"
"\n"
"options:\n"
"  --nodes N          nodes, 2..%u (default 3)\n"
"  --seed S           random seed (default 1)\n"
"  --duration-s D     simulated seconds (default 20)\n"
"  --interval-ms I    heartbeat interval (default 100)\n"
"  --detector K       phi | fixed (default phi)\n"
"  --topology T       topology (default mesh):\n",
                HBSIM_NODES_MAX);
        for (size_t i = 0; i < N_TOPOLOGIES; i++)
                fprintf(f, "                       %-9s %s\n",
                        topologies[i].name, topologies[i].help);
        fprintf(f,
"  --monitors K       monitors of topology monitors, or k of subset\n"
"                     (default 3)\n"
"  --electors K       hierarchy: electors per region, 1..7 (default 3)\n"
"  --global-interval-ms G  hierarchy: global interval (default 2.5 x\n"
"                     --interval-ms)\n"
"  --loss P           independent packet loss, 0..1 (default 0)\n"
"  --delay-us D       one-way delay base (default 200)\n"
"  --jitter-us J      one-way delay jitter, uniform (default 200)\n"
"  --region-count R   R regions of N / R nodes (contiguous: n1.. in\n"
"                     region 1); --delay-us and --jitter-us inside a\n"
"                     region, these between two:\n"
"  --region-delay-us D   inter-region delay base (default 20000)\n"
"  --region-jitter-us J  inter-region jitter (default 5000)\n"
"  --fault K:N:T      at T ms, apply K to node N (1-based): crash,\n"
"                     restart, pause, resume, isolate, heal (N ignored);\n"
"                     cut-region, heal-region (N: region, 1-based)\n"
"  --pause N:T:D      pause node N at T ms for D ms (SIGSTOP-like)\n"
"  --crash-random K   crash K distinct random nodes (not monitors) at\n"
"                     times spread over 20 %%..70 %% of the run\n"
"  --warmup-s W       traffic is counted after W s (default: 3\n"
"                     intervals, at most half the run): the boot's\n"
"                     first contacts are not the steady state\n"
"  --fp-grace-ms G    a verdict on a node within G ms after its fault\n"
"                     ended is not a false positive (default 5 x\n"
"                     interval)\n"
"  --acceptable-pause-ms P  phi acceptable pause (default 4 x interval)\n"
"  --election         quorum and leader election on (prints role and term\n"
"                     events, the leader at the end)\n"
"  --allocator A      arena (default: the cores on huge pages) | libc\n"
"  --json             summary as JSON on stdout (implies --quiet)\n"
"  --quiet            print only the summary\n"
"  -h, --help         this text\n");
}

/* ---- faults -------------------------------------------------------- */

typedef struct faults {
        fault_t *v;
        size_t n, cap;
} faults_t;

static int faults_add(faults_t *fs, enum fault_kind kind, size_t node,
                      uint64_t at_ns)
{
        if (fs->n == fs->cap) {
                size_t cap = fs->cap ? 2 * fs->cap : 16;
                fault_t *v = realloc(fs->v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                fs->v = v;
                fs->cap = cap;
        }
        fs->v[fs->n].kind = kind;
        fs->v[fs->n].node = node;
        fs->v[fs->n].at_ns = at_ns;
        fs->n++;
        return 0;
}

static int parse_fault(const char *s, faults_t *fs)
{
        char kind[16];
        unsigned long node;
        unsigned long long at;
        int end = 0;
        size_t k;

        if (sscanf(s, "%15[a-z-]:%lu:%llu%n", kind, &node, &at, &end) != 3 ||
            s[end] != '\0')
                return -EINVAL;
        for (k = 0; k < N_FAULT_KINDS; k++)
                if (strcmp(kind, fault_names[k]) == 0)
                        break;
        if (k == N_FAULT_KINDS || node == 0 || at > UINT64_MAX / HB_NS_PER_MS)
                return -EINVAL;
        return faults_add(fs, (enum fault_kind)k, node - 1,
                          at * HB_NS_PER_MS);
}

static int parse_pause(const char *s, faults_t *fs)
{
        unsigned long node;
        unsigned long long at, dur;
        int end = 0;

        if (sscanf(s, "%lu:%llu:%llu%n", &node, &at, &dur, &end) != 3 ||
            s[end] != '\0' || node == 0 ||
            at > UINT64_MAX / HB_NS_PER_MS / 2 ||
            dur > UINT64_MAX / HB_NS_PER_MS / 2)
                return -EINVAL;
        if (faults_add(fs, F_PAUSE, node - 1, at * HB_NS_PER_MS) < 0 ||
            faults_add(fs, F_RESUME, node - 1, (at + dur) * HB_NS_PER_MS) < 0)
                return -ENOMEM;
        return 0;
}

/* Stable: faults at the same time apply in command-line order. */
static int cmp_fault(const void *a, const void *b)
{
        const fault_t *x = a, *y = b;

        if (x->at_ns != y->at_ns)
                return x->at_ns < y->at_ns ? -1 : 1;
        return x < y ? -1 : x > y;
}

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* K distinct nodes outside the monitors, crashed at times spread evenly
 * (one in each K-th of 20 %..70 % of the run, at a random point of
 * it), from a generator of their own: the simulation's draws stay those
 * of the same run without them. */
static int crash_random(faults_t *fs, size_t k, size_t n, size_t first,
                        uint64_t duration_ns, uint64_t seed)
{
        uint64_t x = seed ^ UINT64_C(0x5ca1ab1ec0ffee);
        uint64_t lo = duration_ns / 5, span = duration_ns / 2;
        size_t *pool, m = n - first, i;

        if (k > m)
                return -EINVAL;
        pool = malloc(m * sizeof(*pool));
        if (!pool)
                return -ENOMEM;
        for (i = 0; i < m; i++)
                pool[i] = first + i;
        for (i = 0; i < k; i++) {
                size_t j = i + splitmix64(&x) % (m - i), t = pool[i];
                uint64_t slot = span / k;
                uint64_t at = lo + i * slot +
                              (slot ? splitmix64(&x) % slot : 0);

                pool[i] = pool[j];
                pool[j] = t;
                if (faults_add(fs, F_CRASH, pool[i], at) < 0) {
                        free(pool);
                        return -ENOMEM;
                }
        }
        free(pool);
        return 0;
}

/* ---- measurements --------------------------------------------------- */

typedef struct crash_rec {
        size_t node;
        uint64_t at_ns;
        bool over;                    /* restarted: later verdicts do not
                                         count */
        uint64_t *seen_ns;            /* per observer: delay to its dead
                                         verdict; UINT64_MAX: none yet */
        uint8_t *expected;            /* per observer: up at the crash and
                                         not crashed before its verdict */
} crash_rec_t;

typedef struct pause_rec {
        size_t node;
        uint64_t at_ns, end_ns;       /* end: UINT64_MAX while paused */
        size_t suspected, dead;       /* observers, distinct */
        uint8_t *seen;                /* per observer: bit 0 suspect,
                                         bit 1 dead */
} pause_rec_t;

typedef struct stats {
        hbsim_t *sim;
        size_t n;
        bool print;
        uint64_t grace_ns;
        uint8_t *up, *paused, *isolated, *region_cut;
        uint64_t *fault_until;        /* per node as peer: faulted until */
        uint64_t *net_until;          /* per node as observer: cut off
                                         until */
        long *crash_of, *pause_of;    /* current record, -1: none */
        crash_rec_t *crashes;
        size_t n_crashes, cap_crashes;
        pause_rec_t *pauses;
        size_t n_pauses, cap_pauses;
        uint64_t events, suspects, deads, fp_suspect, fp_dead;
        int oom;
} stats_t;

static int stats_init(stats_t *st, hbsim_t *sim, bool print,
                      uint64_t grace_ns)
{
        size_t n = hbsim_n_nodes(sim);

        memset(st, 0, sizeof(*st));
        st->sim = sim;
        st->n = n;
        st->print = print;
        st->grace_ns = grace_ns;
        st->up = malloc(n);
        st->paused = calloc(n, 1);
        st->isolated = calloc(n, 1);
        st->region_cut = calloc(hbsim_n_regions(sim), 1);
        st->fault_until = calloc(n, sizeof(uint64_t));
        st->net_until = calloc(n, sizeof(uint64_t));
        st->crash_of = malloc(n * sizeof(long));
        st->pause_of = malloc(n * sizeof(long));
        if (!st->up || !st->paused || !st->isolated || !st->region_cut ||
            !st->fault_until || !st->net_until || !st->crash_of ||
            !st->pause_of)
                return -ENOMEM;
        memset(st->up, 1, n);
        for (size_t i = 0; i < n; i++)
                st->crash_of[i] = st->pause_of[i] = -1;
        return 0;
}

static void stats_free(stats_t *st)
{
        for (size_t c = 0; c < st->n_crashes; c++) {
                free(st->crashes[c].seen_ns);
                free(st->crashes[c].expected);
        }
        for (size_t c = 0; c < st->n_pauses; c++)
                free(st->pauses[c].seen);
        free(st->crashes);
        free(st->pauses);
        free(st->up);
        free(st->paused);
        free(st->isolated);
        free(st->region_cut);
        free(st->fault_until);
        free(st->net_until);
        free(st->crash_of);
        free(st->pause_of);
}

static bool net_faulted(const stats_t *st, size_t i)
{
        return st->isolated[i] ||
               st->region_cut[hbsim_region(st->sim, i)];
}

/* After a fault of node i ended: faulted on until the grace is over, or
 * for good while another of its faults goes on. */
static void settle(stats_t *st, size_t i)
{
        uint64_t until = hbsim_now(st->sim) + st->grace_ns;

        st->fault_until[i] = !st->up[i] || st->paused[i] ||
                                             net_faulted(st, i)
                                     ? UINT64_MAX
                                     : until;
        st->net_until[i] = net_faulted(st, i) ? UINT64_MAX
                           : st->net_until[i] == UINT64_MAX
                                   ? until
                                   : st->net_until[i];
}

static int crash_open(stats_t *st, size_t node)
{
        crash_rec_t *c;
        size_t n = st->n;

        if (st->n_crashes == st->cap_crashes) {
                size_t cap = st->cap_crashes ? 2 * st->cap_crashes : 16;
                crash_rec_t *v = realloc(st->crashes, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                st->crashes = v;
                st->cap_crashes = cap;
        }
        c = &st->crashes[st->n_crashes];
        memset(c, 0, sizeof(*c));
        c->node = node;
        c->at_ns = hbsim_now(st->sim);
        c->seen_ns = malloc(n * sizeof(*c->seen_ns));
        c->expected = malloc(n);
        if (!c->seen_ns || !c->expected) {
                free(c->seen_ns);
                free(c->expected);
                return -ENOMEM;
        }
        for (size_t o = 0; o < n; o++) {
                c->seen_ns[o] = UINT64_MAX;
                c->expected[o] = o != node && st->up[o];
        }
        st->crash_of[node] = (long)st->n_crashes++;
        return 0;
}

static int pause_open(stats_t *st, size_t node)
{
        pause_rec_t *p;

        if (st->n_pauses == st->cap_pauses) {
                size_t cap = st->cap_pauses ? 2 * st->cap_pauses : 16;
                pause_rec_t *v = realloc(st->pauses, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                st->pauses = v;
                st->cap_pauses = cap;
        }
        p = &st->pauses[st->n_pauses];
        memset(p, 0, sizeof(*p));
        p->node = node;
        p->at_ns = hbsim_now(st->sim);
        p->end_ns = UINT64_MAX;
        p->seen = calloc(st->n, 1);
        if (!p->seen)
                return -ENOMEM;
        st->pause_of[node] = (long)st->n_pauses++;
        return 0;
}

static void apply(stats_t *st, const fault_t *f)
{
        hbsim_t *sim = st->sim;
        size_t i = f->node, n = st->n;

        switch (f->kind) {
        case F_CRASH:
                if (!st->up[i])
                        break;
                hbsim_crash(sim, i);
                st->up[i] = 0;
                st->paused[i] = 0;
                /* It will not tell of the crashes it has not seen. */
                for (size_t c = 0; c < st->n_crashes; c++)
                        if (!st->crashes[c].over &&
                            st->crashes[c].seen_ns[i] == UINT64_MAX)
                                st->crashes[c].expected[i] = 0;
                if (crash_open(st, i) < 0)
                        st->oom = 1;
                settle(st, i);
                break;
        case F_RESTART:
                if (hbsim_restart(sim, i) < 0) {
                        st->oom = 1;
                        break;
                }
                if (st->crash_of[i] >= 0)
                        st->crashes[st->crash_of[i]].over = true;
                st->crash_of[i] = -1;
                st->up[i] = 1;
                st->paused[i] = 0;
                settle(st, i);
                break;
        case F_PAUSE:
                if (!st->up[i] || st->paused[i])
                        break;
                hbsim_pause(sim, i);
                st->paused[i] = 1;
                if (pause_open(st, i) < 0)
                        st->oom = 1;
                settle(st, i);
                break;
        case F_RESUME:
                if (!st->paused[i])
                        break;
                hbsim_resume(sim, i);
                st->paused[i] = 0;
                if (st->pause_of[i] >= 0)
                        st->pauses[st->pause_of[i]].end_ns = hbsim_now(sim);
                settle(st, i);
                break;
        case F_ISOLATE:
                hbsim_partition(sim, &f->node, 1);
                st->isolated[i] = 1;
                settle(st, i);
                break;
        case F_HEAL:
                hbsim_heal(sim);
                for (size_t j = 0; j < n; j++) {
                        if (!st->isolated[j])
                                continue;
                        st->isolated[j] = 0;
                        settle(st, j);
                }
                break;
        case F_CUT_REGION:
        case F_HEAL_REGION:
                hbsim_cut_region(sim, i, f->kind == F_CUT_REGION);
                st->region_cut[i] = f->kind == F_CUT_REGION;
                for (size_t j = 0; j < n; j++)
                        if (hbsim_region(sim, j) == i)
                                settle(st, j);
                break;
        }
}

static void print_coord(uint64_t at_ns, size_t observer, const hb_event_t *e)
{
        switch (e->type) {
        case HB_EVENT_QUORUM:
                printf("%10.3f ms n%zu: quorum %s (%s)\n",
                       (double)at_ns / 1e6, observer + 1,
                       e->quorate ? "gained" : "lost", e->why);
                break;
        case HB_EVENT_ROLE:
                printf("%10.3f ms n%zu: %s -> %s term %" PRIu64
                       " leader n%u (%s)\n",
                       (double)at_ns / 1e6, observer + 1,
                       hb_role_name(e->old_role), hb_role_name(e->new_role),
                       e->term, e->leader_id, e->why);
                break;
        case HB_EVENT_TERM:
                printf("%10.3f ms n%zu: term %" PRIu64 " voted n%u (%s)\n",
                       (double)at_ns / 1e6, observer + 1, e->term,
                       e->voted_for, e->why);
                break;
        case HB_EVENT_REGION:
                printf("%10.3f ms n%zu: region %u %s -> %s\n",
                       (double)at_ns / 1e6, observer + 1, e->region,
                       hb_region_state_name(e->old_region_state),
                       hb_region_state_name(e->new_region_state));
                break;
        case HB_EVENT_GLOBAL_ROLE:
                printf("%10.3f ms n%zu: global %s -> %s term %" PRIu64
                       " leader region %u%s (%s)\n",
                       (double)at_ns / 1e6, observer + 1,
                       hb_role_name(e->old_role), hb_role_name(e->new_role),
                       e->term, e->leader_id,
                       e->established ? " established" : "", e->why);
                break;
        default:
                break;
        }
}

/* The node hook (sim.h): every event, as it is raised. */
static void on_node_event(hbsim_t *sim, size_t o, const hb_event_t *ev,
                          void *user)
{
        stats_t *st = user;
        uint64_t now = hbsim_now(sim);
        size_t p;
        bool bad;

        if (!ev)
                return;
        if (ev->type != HB_EVENT_PEER_STATE) {
                if (st->print)
                        print_coord(ev->at_ns, o, ev);
                return;
        }
        p = ev->peer_id - 1;
        if (st->print)
                printf("%10.3f ms n%zu: n%zu %s -> %s (%s, %.2f)\n",
                       (double)ev->at_ns / 1e6, o + 1, p + 1,
                       hb_peer_state_name(ev->old_state),
                       hb_peer_state_name(ev->new_state),
                       hb_reason_name(ev->reason), ev->suspicion);
        st->events++;
        if (ev->new_state != HB_PEER_SUSPECT && ev->new_state != HB_PEER_DEAD)
                return;
        if (ev->new_state == HB_PEER_SUSPECT)
                st->suspects++;
        else
                st->deads++;
        if (p >= st->n)
                return;
        if (ev->new_state == HB_PEER_DEAD && st->crash_of[p] >= 0) {
                crash_rec_t *c = &st->crashes[st->crash_of[p]];

                if (c->seen_ns[o] == UINT64_MAX)
                        c->seen_ns[o] = now - c->at_ns;
        }
        if (st->pause_of[p] >= 0) {
                pause_rec_t *r = &st->pauses[st->pause_of[p]];
                uint8_t bit = ev->new_state == HB_PEER_DEAD ? 2 : 1;

                if ((r->end_ns == UINT64_MAX ||
                     now < r->end_ns + st->grace_ns) &&
                    !(r->seen[o] & bit)) {
                        r->seen[o] |= bit;
                        if (bit == 2)
                                r->dead++;
                        else
                                r->suspected++;
                }
        }
        bad = st->up[p] && !st->paused[p] && now >= st->fault_until[p] &&
              now >= st->net_until[o] && hbsim_reachable(sim, o, p) &&
              hbsim_reachable(sim, p, o);
        if (!bad)
                return;
        if (ev->new_state == HB_PEER_DEAD)
                st->fp_dead++;
        else
                st->fp_suspect++;
}

/* ---- summary -------------------------------------------------------- */

typedef struct dist {
        size_t n;
        double median, p90, p99, max;  /* ms; NAN when n == 0 */
} dist_t;

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of them at or below
 * it. */
static double rank_ms(const uint64_t *v, size_t n, double q)
{
        size_t k = (size_t)(q * (double)n + 0.999999);

        if (k < 1)
                k = 1;
        if (k > n)
                k = n;
        return (double)v[k - 1] / 1e6;
}

static dist_t dist_of(uint64_t *v, size_t n)
{
        dist_t d = { .n = n };

        if (n == 0) {
                d.median = d.p90 = d.p99 = d.max = -1;
                return d;
        }
        qsort(v, n, sizeof(*v), cmp_u64);
        d.median = rank_ms(v, n, 0.5);
        d.p90 = rank_ms(v, n, 0.9);
        d.p99 = rank_ms(v, n, 0.99);
        d.max = (double)v[n - 1] / 1e6;
        return d;
}

typedef struct crash_sum {
        size_t expected, seen;
        uint64_t all_ns, first_ns;    /* UINT64_MAX: not all / none */
} crash_sum_t;

static crash_sum_t crash_sum(const stats_t *st, const crash_rec_t *c)
{
        crash_sum_t s = { 0, 0, 0, UINT64_MAX };

        for (size_t o = 0; o < st->n; o++) {
                if (!c->expected[o])
                        continue;
                s.expected++;
                if (c->seen_ns[o] == UINT64_MAX)
                        continue;
                s.seen++;
                if (c->seen_ns[o] > s.all_ns)
                        s.all_ns = c->seen_ns[o];
                if (c->seen_ns[o] < s.first_ns)
                        s.first_ns = c->seen_ns[o];
        }
        if (s.seen < s.expected || s.expected == 0)
                s.all_ns = UINT64_MAX;
        return s;
}

typedef struct summary {
        size_t n_crashes, all_known;
        dist_t all_know, per_observer, first;
        double node_hours;
        double duration_s;
        double warmup_s;              /* traffic counted after it */
        uint64_t base_msgs[HBSIM_MSG_TYPES], base_bytes[HBSIM_MSG_TYPES];
} summary_t;

/* Datagrams and bytes of type t (0: all) sent after the warm-up, per
 * node and second. */
static double rate_msgs(hbsim_t *sim, const summary_t *sm, size_t n,
                        unsigned t)
{
        double secs = sm->duration_s - sm->warmup_s;

        return (double)(hbsim_sent(sim, (uint8_t)t) - sm->base_msgs[t]) /
               (double)n / (secs > 0 ? secs : 1);
}

static double rate_bytes(hbsim_t *sim, const summary_t *sm, size_t n,
                         unsigned t)
{
        double secs = sm->duration_s - sm->warmup_s;

        return (double)(hbsim_sent_bytes(sim, (uint8_t)t) -
                        sm->base_bytes[t]) /
               (double)n / (secs > 0 ? secs : 1);
}

static int summarize(const stats_t *st, double duration_s, summary_t *out)
{
        size_t n_obs = 0, k = 0, f = 0;
        uint64_t *obs, *all, *first;

        for (size_t c = 0; c < st->n_crashes; c++)
                for (size_t o = 0; o < st->n; o++)
                        n_obs += st->crashes[c].expected[o] &&
                                 st->crashes[c].seen_ns[o] != UINT64_MAX;
        obs = malloc((n_obs + 1) * sizeof(*obs));
        all = malloc((st->n_crashes + 1) * sizeof(*all));
        first = malloc((st->n_crashes + 1) * sizeof(*first));
        if (!obs || !all || !first) {
                free(obs);
                free(all);
                free(first);
                return -ENOMEM;
        }
        n_obs = 0;
        for (size_t c = 0; c < st->n_crashes; c++) {
                const crash_rec_t *r = &st->crashes[c];
                crash_sum_t s = crash_sum(st, r);

                for (size_t o = 0; o < st->n; o++)
                        if (r->expected[o] && r->seen_ns[o] != UINT64_MAX)
                                obs[n_obs++] = r->seen_ns[o];
                if (s.all_ns != UINT64_MAX)
                        all[k++] = s.all_ns;
                if (s.first_ns != UINT64_MAX)
                        first[f++] = s.first_ns;
        }
        out->n_crashes = st->n_crashes;
        out->all_known = k;
        out->all_know = dist_of(all, k);
        out->per_observer = dist_of(obs, n_obs);
        out->first = dist_of(first, f);
        out->duration_s = duration_s;
        out->node_hours = (double)st->n * duration_s / 3600.0;
        free(obs);
        free(all);
        free(first);
        return 0;
}

static double per_hour(uint64_t count, double node_hours)
{
        return node_hours > 0 ? (double)count / node_hours : 0;
}

/* The old per-observer listing of small runs (needs the event log). */
static void list_faults(hbsim_t *sim, const faults_t *fs)
{
        size_t n_ev, i, n = hbsim_n_nodes(sim);
        const hbsim_event_t *ev = hbsim_events(sim, &n_ev);

        for (size_t k = 0; k < fs->n; k++) {
                const fault_t *f = &fs->v[k];

                if (f->kind != F_CRASH && f->kind != F_PAUSE &&
                    f->kind != F_ISOLATE)
                        continue;
                printf("%s of n%zu at %.3f s:\n", fault_names[f->kind],
                       f->node + 1, (double)f->at_ns / 1e9);
                for (size_t o = 0; o < n; o++) {
                        uint64_t sus = 0, dead = 0;

                        if (o == f->node)
                                continue;
                        for (i = 0; i < n_ev; i++) {
                                if (ev[i].observer != o ||
                                    ev[i].peer != f->node ||
                                    ev[i].ev.type != HB_EVENT_PEER_STATE ||
                                    ev[i].ev.at_ns < f->at_ns)
                                        continue;
                                if (!sus &&
                                    ev[i].ev.new_state == HB_PEER_SUSPECT)
                                        sus = ev[i].ev.at_ns;
                                if (!dead &&
                                    ev[i].ev.new_state == HB_PEER_DEAD)
                                        dead = ev[i].ev.at_ns;
                        }
                        printf("  n%zu: suspect after %.1f ms, dead after "
                               "%.1f ms\n",
                               o + 1,
                               sus ? (double)(sus - f->at_ns) / 1e6 : -1.0,
                               dead ? (double)(dead - f->at_ns) / 1e6 : -1.0);
                }
        }
}

static void print_dist(const char *what, const dist_t *d)
{
        if (d->n == 0) {
                printf("  %s: none\n", what);
                return;
        }
        printf("  %s (%zu): median %.1f ms, p90 %.1f ms, p99 %.1f ms, "
               "max %.1f ms\n",
               what, d->n, d->median, d->p90, d->p99, d->max);
}

typedef struct resources {
        double boot_s, run_s, cpu_s;
        long peak_rss_kb;
        size_t arena_bytes;
} resources_t;

typedef struct run_desc {
        const char *topology;
        const char *detector;
        size_t n, regions;
        uint64_t interval_ms, seed;
        double loss;
} run_desc_t;

static void text_summary(const stats_t *st, const summary_t *sm,
                         const run_desc_t *d, const resources_t *rs)
{
        hbsim_t *sim = st->sim;

        printf("run: %zu nodes, topology %s, %zu region%s, interval %" PRIu64
               " ms, detector %s, loss %.3f, %.1f s simulated, seed %" PRIu64
               "\n",
               d->n, d->topology, d->regions, d->regions == 1 ? "" : "s",
               d->interval_ms, d->detector, d->loss, sm->duration_s,
               d->seed);
        printf("crashes: %zu, known dead to every member that was up: "
               "%zu\n",
               sm->n_crashes, sm->all_known);
        if (sm->n_crashes > 0) {
                print_dist("all know", &sm->all_know);
                print_dist("first knows", &sm->first);
                print_dist("per observer", &sm->per_observer);
        }
        for (size_t c = 0; c < st->n_crashes; c++) {
                crash_sum_t s = crash_sum(st, &st->crashes[c]);

                if (s.all_ns != UINT64_MAX)
                        continue;
                printf("  crash of n%zu at %.3f s: %zu of %zu observers "
                       "saw it dead\n",
                       st->crashes[c].node + 1,
                       (double)st->crashes[c].at_ns / 1e9, s.seen,
                       s.expected);
        }
        for (size_t c = 0; c < st->n_pauses; c++) {
                const pause_rec_t *r = &st->pauses[c];

                printf("pause of n%zu at %.3f s for %.0f ms: suspected by "
                       "%zu, dead for %zu\n",
                       r->node + 1, (double)r->at_ns / 1e9,
                       r->end_ns == UINT64_MAX
                               ? -1.0
                               : (double)(r->end_ns - r->at_ns) / 1e6,
                       r->suspected, r->dead);
        }
        printf("false positives: %" PRIu64 " suspect, %" PRIu64
               " dead over %.2f node-hours (%.3f and %.3f per node-hour)\n",
               st->fp_suspect, st->fp_dead, sm->node_hours,
               per_hour(st->fp_suspect, sm->node_hours),
               per_hour(st->fp_dead, sm->node_hours));
        printf("sent per node per second after %.1f s:", sm->warmup_s);
        for (unsigned t = 1; t < HBSIM_MSG_TYPES; t++)
                if (hbsim_sent(sim, (uint8_t)t) > sm->base_msgs[t])
                        printf(" %s %.2f (%.0f B)",
                               hb_msg_type_name((uint8_t)t),
                               rate_msgs(sim, sm, st->n, t),
                               rate_bytes(sim, sm, st->n, t));
        printf("; all %.2f (%.0f B)\n", rate_msgs(sim, sm, st->n, 0),
               rate_bytes(sim, sm, st->n, 0));
        printf("events: %" PRIu64 ", suspect verdicts: %" PRIu64
               ", dead verdicts: %" PRIu64 ", messages delivered: %" PRIu64
               "\n",
               st->events, st->suspects, st->deads, hbsim_delivered(sim));
        printf("trace hash: %016" PRIx64 "\n", hbsim_trace_hash(sim));
        printf("resources: boot %.2f s, run %.2f s wall, %.2f s CPU, peak "
               "RSS %.1f MB\n",
               rs->boot_s, rs->run_s, rs->cpu_s,
               (double)rs->peak_rss_kb / 1024.0);
}

static json_t *jdist(const dist_t *d)
{
        if (d->n == 0)
                return json_pack("{s:i,s:n,s:n,s:n,s:n}", "count", 0,
                                 "median", "p90", "p99", "max");
        return json_pack("{s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)d->n,
                         "median", d->median, "p90", d->p90, "p99", d->p99,
                         "max", d->max);
}

static int json_summary(const stats_t *st, const summary_t *sm,
                        const run_desc_t *d, const resources_t *rs)
{
        hbsim_t *sim = st->sim;
        json_t *root, *crashes, *pauses, *traffic;
        char hash[17];
        int r;

        crashes = json_array();
        pauses = json_array();
        traffic = json_object();
        if (!crashes || !pauses || !traffic)
                goto oom;
        for (size_t c = 0; c < st->n_crashes; c++) {
                const crash_rec_t *cr = &st->crashes[c];
                crash_sum_t s = crash_sum(st, cr);

                if (json_array_append_new(
                            crashes,
                            json_pack("{s:I,s:f,s:I,s:I,s:o}", "node",
                                      (json_int_t)cr->node + 1, "at_ms",
                                      (double)cr->at_ns / 1e6, "observers",
                                      (json_int_t)s.expected, "saw_dead",
                                      (json_int_t)s.seen, "all_know_ms",
                                      s.all_ns == UINT64_MAX
                                              ? json_null()
                                              : json_real((double)s.all_ns /
                                                          1e6))) < 0)
                        goto oom;
        }
        for (size_t c = 0; c < st->n_pauses; c++) {
                const pause_rec_t *pr = &st->pauses[c];

                if (json_array_append_new(
                            pauses,
                            json_pack("{s:I,s:f,s:o,s:I,s:I}", "node",
                                      (json_int_t)pr->node + 1, "at_ms",
                                      (double)pr->at_ns / 1e6, "duration_ms",
                                      pr->end_ns == UINT64_MAX
                                              ? json_null()
                                              : json_real(
                                                        (double)(pr->end_ns -
                                                                 pr->at_ns) /
                                                        1e6),
                                      "suspected_by",
                                      (json_int_t)pr->suspected, "dead_for",
                                      (json_int_t)pr->dead)) < 0)
                        goto oom;
        }
        for (unsigned t = 0; t < HBSIM_MSG_TYPES; t++) {
                if (hbsim_sent(sim, (uint8_t)t) <= sm->base_msgs[t] &&
                    t != 0)
                        continue;
                if (json_object_set_new(
                            traffic,
                            t == 0 ? "all" : hb_msg_type_name((uint8_t)t),
                            json_pack("{s:f,s:f}", "msgs",
                                      rate_msgs(sim, sm, st->n, t), "bytes",
                                      rate_bytes(sim, sm, st->n, t))) < 0)
                        goto oom;
        }
        snprintf(hash, sizeof(hash), "%016" PRIx64, hbsim_trace_hash(sim));
        root = json_pack(
                "{s:I,s:s,s:I,s:I,s:s,s:f,s:f,s:I,"
                "s:{s:I,s:I,s:o,s:o,s:o,s:o},s:o,"
                "s:{s:I,s:I,s:f,s:f,s:f},"
                "s:{s:o,s:f},s:I,s:I,s:I,s:I,s:s,"
                "s:{s:f,s:f,s:f,s:I,s:I}}",
                "nodes", (json_int_t)d->n, "topology", d->topology,
                "regions", (json_int_t)d->regions, "interval_ms",
                (json_int_t)d->interval_ms, "detector", d->detector, "loss",
                d->loss, "duration_s", sm->duration_s, "seed",
                (json_int_t)d->seed,
                "crashes", "count", (json_int_t)sm->n_crashes, "all_known",
                (json_int_t)sm->all_known, "all_know_ms",
                jdist(&sm->all_know), "first_ms", jdist(&sm->first),
                "per_observer_ms", jdist(&sm->per_observer), "list", crashes,
                "pauses", pauses,
                "false_positives", "suspect", (json_int_t)st->fp_suspect,
                "dead", (json_int_t)st->fp_dead, "node_hours",
                sm->node_hours, "suspect_per_node_hour",
                per_hour(st->fp_suspect, sm->node_hours),
                "dead_per_node_hour", per_hour(st->fp_dead, sm->node_hours),
                "traffic", "per_node_per_s", traffic, "after_s",
                sm->warmup_s,
                "events", (json_int_t)st->events, "suspect_verdicts",
                (json_int_t)st->suspects, "dead_verdicts",
                (json_int_t)st->deads, "delivered",
                (json_int_t)hbsim_delivered(sim), "trace_hash", hash,
                "resources", "boot_wall_s", rs->boot_s, "run_wall_s",
                rs->run_s, "cpu_s", rs->cpu_s, "peak_rss_kb",
                (json_int_t)rs->peak_rss_kb, "arena_bytes",
                (json_int_t)rs->arena_bytes);
        if (!root)
                return -ENOMEM; /* "o" values were stolen */
        r = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS |
                                        JSON_REAL_PRECISION(9));
        json_decref(root);
        if (r < 0)
                return -EIO;
        putchar('\n');
        return 0;
oom:
        json_decref(crashes);
        json_decref(pauses);
        json_decref(traffic);
        return -ENOMEM;
}

/* The end state of the hierarchy: each region's coordinator and the
 * holder of the at-most-one resource (traffic: the summary). */
static void hierarchy(hbsim_t *sim)
{
        size_t n = hbsim_n_nodes(sim), i;

        for (i = 0; i < n; i++) {
                hb_node_t *node = hbsim_node(sim, i);
                hb_hier_info_t h;

                if (!node)
                        continue;
                hb_node_hier_info(node, &h);
                if (h.coordinator)
                        printf("region %u: coordinator n%zu term %" PRIu64
                               ", global %s, leader region %u%s\n",
                               h.region, i + 1, h.regional_term,
                               hb_role_name(h.global_role), h.global_leader,
                               h.holds ? ", holds the resource" : "");
        }
}

/* The end state of the election: each node's role, term and leader. */
static void leaders(hbsim_t *sim)
{
        size_t n = hbsim_n_nodes(sim), i;

        for (i = 0; i < n; i++) {
                hb_coord_info_t ci;

                if (!hbsim_coord(sim, i, &ci)) {
                        printf("n%zu: down\n", i + 1);
                        continue;
                }
                printf("n%zu: %s term %" PRIu64 " leader n%u, %" PRIu64
                       " elections started\n",
                       i + 1, hb_role_name(ci.role), ci.term, ci.leader_id,
                       ci.elections_started);
        }
}

static double since_s(const struct timespec *t0)
{
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) +
               (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void resources_get(resources_t *rs)
{
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return;
        rs->cpu_s = (double)ru.ru_utime.tv_sec +
                    (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec +
                    (double)ru.ru_stime.tv_usec / 1e6;
        rs->peak_rss_kb = ru.ru_maxrss;
        rs->arena_bytes = hbsim_arena_bytes();
}

/* A number option: all of `s`, within [lo, hi]. */
static int num(const char *opt, const char *s, double lo, double hi,
               double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
                fprintf(stderr, "hbeat-sim: --%s '%s': a number in "
                                "%g .. %g\n",
                        opt, s, lo, hi);
                return -EINVAL;
        }
        *out = v;
        return 0;
}

int hbsim_cmd_run(int argc, char **argv)
{
        static const struct option opts[] = {
                { "nodes", required_argument, NULL, 'n' },
                { "seed", required_argument, NULL, 's' },
                { "duration-s", required_argument, NULL, 'd' },
                { "interval-ms", required_argument, NULL, 'i' },
                { "detector", required_argument, NULL, 'k' },
                { "topology", required_argument, NULL, 'T' },
                { "monitors", required_argument, NULL, 'M' },
                { "electors", required_argument, NULL, 'K' },
                { "global-interval-ms", required_argument, NULL, 'G' },
                { "loss", required_argument, NULL, 'l' },
                { "delay-us", required_argument, NULL, 'D' },
                { "jitter-us", required_argument, NULL, 'J' },
                { "region-count", required_argument, NULL, 'R' },
                { "region-delay-us", required_argument, NULL, 'y' },
                { "region-jitter-us", required_argument, NULL, 'j' },
                { "fault", required_argument, NULL, 'f' },
                { "pause", required_argument, NULL, 'p' },
                { "crash-random", required_argument, NULL, 'c' },
                { "fp-grace-ms", required_argument, NULL, 'g' },
                { "warmup-s", required_argument, NULL, 'w' },
                { "acceptable-pause-ms", required_argument, NULL, 'P' },
                { "allocator", required_argument, NULL, 'A' },
                { "json", no_argument, NULL, 'j' + 256 },
                { "quiet", no_argument, NULL, 'q' },
                { "election", no_argument, NULL, 'E' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        hbsim_config_t cfg;
        faults_t fs = { 0 };
        run_opts_t ro = { .n_monitors = 3, .electors = 3 };
        const topology_t *topo = &topologies[0];
        double duration_s = 20, v, grace_ms = -1, warmup_s = -1;
        hb_detector_kind_t kind = HB_DETECTOR_PHI;
        uint64_t interval_ms = 100, duration_ns;
        size_t n_random = 0, k;
        int quiet = 0, election = 0, json = 0, arena = 1, c, rc = 2;
        int warm = 0;
        long pause_ms = -1;
        hbsim_t *sim = NULL;
        stats_t st;
        summary_t sm;
        resources_t rs = { 0 };
        run_desc_t desc;
        struct timespec t0;

        memset(&st, 0, sizeof(st));
        hbsim_config_default(&cfg);
        cfg.region_delay_ns = 20 * HB_NS_PER_MS;
        cfg.region_jitter_ns = 5 * HB_NS_PER_MS;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        if (num("nodes", optarg, 2, HBSIM_NODES_MAX, &v) < 0)
                                goto out;
                        cfg.n_nodes = (size_t)v;
                        break;
                case 's':
                        cfg.seed = strtoull(optarg, NULL, 10);
                        break;
                case 'd':
                        if (num("duration-s", optarg, 0, 1e7, &v) < 0)
                                goto out;
                        duration_s = v;
                        break;
                case 'i':
                        if (num("interval-ms", optarg, 1, 3600000, &v) < 0)
                                goto out;
                        interval_ms = (uint64_t)v;
                        break;
                case 'k':
                        if (hb_detector_kind_parse(optarg, &kind) < 0) {
                                fprintf(stderr, "hbeat-sim: unknown detector "
                                                "'%s' (phi, fixed)\n",
                                        optarg);
                                goto out;
                        }
                        break;
                case 'T':
                        topo = topology_find(optarg);
                        if (!topo) {
                                fprintf(stderr, "hbeat-sim: unknown "
                                                "topology '%s':",
                                        optarg);
                                for (k = 0; k < N_TOPOLOGIES; k++)
                                        fprintf(stderr, " %s",
                                                topologies[k].name);
                                fputc('\n', stderr);
                                goto out;
                        }
                        break;
                case 'M':
                        if (num("monitors", optarg, 1, HB_MONITORS_MAX,
                                &v) < 0)
                                goto out;
                        ro.n_monitors = (uint32_t)v;
                        break;
                case 'l':
                        if (num("loss", optarg, 0, 1, &v) < 0)
                                goto out;
                        cfg.loss = v;
                        break;
                case 'D':
                        cfg.delay_ns = strtoull(optarg, NULL, 10) * 1000;
                        break;
                case 'J':
                        cfg.jitter_ns = strtoull(optarg, NULL, 10) * 1000;
                        break;
                case 'K':
                        if (num("electors", optarg, 1, 7, &v) < 0)
                                goto out;
                        ro.electors = (uint32_t)v;
                        break;
                case 'G':
                        if (num("global-interval-ms", optarg, 1, 3600000,
                                &v) < 0)
                                goto out;
                        ro.global_interval_ms = (uint64_t)v;
                        break;
                case 'R':
                        if (num("region-count", optarg, 1, HBSIM_NODES_MAX,
                                &v) < 0)
                                goto out;
                        cfg.n_regions = (size_t)v;
                        break;
                case 'y':
                        if (num("region-delay-us", optarg, 0, 1e9, &v) < 0)
                                goto out;
                        cfg.region_delay_ns = (uint64_t)v * 1000;
                        break;
                case 'j':
                        if (num("region-jitter-us", optarg, 0, 1e9, &v) < 0)
                                goto out;
                        cfg.region_jitter_ns = (uint64_t)v * 1000;
                        break;
                case 'f':
                        if (parse_fault(optarg, &fs) < 0) {
                                fprintf(stderr, "hbeat-sim: bad --fault "
                                                "'%s' (KIND:NODE:MS)\n",
                                        optarg);
                                goto out;
                        }
                        break;
                case 'p':
                        if (parse_pause(optarg, &fs) < 0) {
                                fprintf(stderr, "hbeat-sim: bad --pause "
                                                "'%s' (NODE:MS:DURATION_MS)\n",
                                        optarg);
                                goto out;
                        }
                        break;
                case 'c':
                        if (num("crash-random", optarg, 0, HBSIM_NODES_MAX,
                                &v) < 0)
                                goto out;
                        n_random = (size_t)v;
                        break;
                case 'w':
                        if (num("warmup-s", optarg, 0, 1e7, &v) < 0)
                                goto out;
                        warmup_s = v;
                        break;
                case 'g':
                        if (num("fp-grace-ms", optarg, 0, 1e9, &v) < 0)
                                goto out;
                        grace_ms = v;
                        break;
                case 'P':
                        pause_ms = strtol(optarg, NULL, 10);
                        break;
                case 'A':
                        if (strcmp(optarg, "arena") != 0 &&
                            strcmp(optarg, "libc") != 0) {
                                fprintf(stderr, "hbeat-sim: --allocator: "
                                                "arena or libc\n");
                                goto out;
                        }
                        arena = strcmp(optarg, "arena") == 0;
                        break;
                case 'j' + 256:
                        json = 1;
                        quiet = 1;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'E':
                        election = 1;
                        break;
                case 'h':
                        usage(stdout);
                        rc = 0;
                        goto out;
                default:
                        usage(stderr);
                        goto out;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "hbeat-sim: unexpected argument '%s'\n",
                        argv[optind]);
                goto out;
        }
        {
                hb_node_config_t tmpl = cfg.node;

                hb_node_config_default(&cfg.node, kind,
                                       interval_ms * HB_NS_PER_MS);
                cfg.node.cluster_id = tmpl.cluster_id;
                cfg.node.key = tmpl.key;
                if (pause_ms >= 0)
                        cfg.node.detector.acceptable_pause_ns =
                                (uint64_t)pause_ms * HB_NS_PER_MS;
                if (election)
                        cfg.node.coord.enabled = true;
        }
        if (topo->setup(&cfg, &ro) < 0)
                goto out;
        if (cfg.n_regions > cfg.n_nodes) {
                fprintf(stderr, "hbeat-sim: --region-count above --nodes\n");
                goto out;
        }
        duration_ns = (uint64_t)(duration_s * 1e9);
        if (n_random > 0 &&
            crash_random(&fs, n_random, cfg.n_nodes,
                         topo->setup == topo_monitors ? ro.n_monitors : 0,
                         duration_ns, cfg.seed) < 0) {
                fprintf(stderr, "hbeat-sim: --crash-random %zu: more than "
                                "the nodes that may crash\n",
                        n_random);
                goto out;
        }
        for (k = 0; k < fs.n; k++) {
                bool region = fs.v[k].kind == F_CUT_REGION ||
                              fs.v[k].kind == F_HEAL_REGION;
                size_t lim = region ? (cfg.n_regions > 1 ? cfg.n_regions : 1)
                                    : cfg.n_nodes;

                if (fs.v[k].node >= lim) {
                        fprintf(stderr, "hbeat-sim: fault names %s %zu of "
                                        "%zu\n",
                                region ? "region" : "node", fs.v[k].node + 1,
                                lim);
                        goto out;
                }
        }
        qsort(fs.v, fs.n, sizeof(fs.v[0]), cmp_fault);
        cfg.no_event_log = cfg.n_nodes > LIST_MAX_NODES;
        if (arena && hbsim_arena_install() < 0)
                arena = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (hbsim_new(&sim, &cfg) < 0) {
                fprintf(stderr, "hbeat-sim: invalid parameters (or out of "
                                "memory)\n");
                goto out;
        }
        rs.boot_s = since_s(&t0);
        if (stats_init(&st, sim, !quiet,
                       grace_ms >= 0 ? (uint64_t)(grace_ms * HB_NS_PER_MS)
                                     : 5 * interval_ms * HB_NS_PER_MS) < 0) {
                fprintf(stderr, "hbeat-sim: out of memory\n");
                rc = 1;
                goto out;
        }
        hbsim_set_node_hook(sim, on_node_event, &st);
        memset(&sm, 0, sizeof(sm));
        if (warmup_s < 0)
                warmup_s = 3 * (double)interval_ms / 1e3;
        if (warmup_s > duration_s / 2)
                warmup_s = duration_s / 2;
        sm.warmup_s = warmup_s;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (k = 0; k <= fs.n; k++) {
                uint64_t warm_ns = (uint64_t)(warmup_s * 1e9);

                if (!warm && (k == fs.n || warm_ns <= fs.v[k].at_ns)) {
                        /* Splitting the run changes nothing of it. */
                        hbsim_run_until(sim, warm_ns);
                        for (unsigned t = 0; t < HBSIM_MSG_TYPES; t++) {
                                sm.base_msgs[t] = hbsim_sent(sim, (uint8_t)t);
                                sm.base_bytes[t] =
                                        hbsim_sent_bytes(sim, (uint8_t)t);
                        }
                        warm = 1;
                }
                hbsim_run_until(sim, k < fs.n && fs.v[k].at_ns < duration_ns
                                             ? fs.v[k].at_ns
                                             : duration_ns);
                if (k < fs.n && fs.v[k].at_ns <= duration_ns)
                        apply(&st, &fs.v[k]);
        }
        rs.run_s = since_s(&t0);
        resources_get(&rs);
        if (st.oom) {
                fprintf(stderr, "hbeat-sim: out of memory\n");
                rc = 1;
                goto out;
        }
        if (summarize(&st, duration_s, &sm) < 0) {
                rc = 1;
                goto out;
        }
        desc.topology = topo->name;
        desc.detector = hb_detector_kind_name(kind);
        desc.n = cfg.n_nodes;
        desc.regions = hbsim_n_regions(sim);
        desc.interval_ms = interval_ms;
        desc.seed = cfg.seed;
        desc.loss = cfg.loss;
        if (json) {
                rc = json_summary(&st, &sm, &desc, &rs) < 0 ? 1 : 0;
                goto out;
        }
        if (!cfg.no_event_log)
                list_faults(sim, &fs);
        text_summary(&st, &sm, &desc, &rs);
        if (election)
                leaders(sim);
        if (topo->setup == topo_hierarchy)
                hierarchy(sim);
        rc = 0;
out:
        stats_free(&st);
        hbsim_free(sim);
        if (arena)
                hbsim_arena_uninstall();
        free(fs.v);
        return rc;
}
