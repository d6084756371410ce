/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim run: run a simulated cluster from the command line.
 *
 *   hbeat-sim run --nodes 5 --seed 42 --duration-s 30 --loss 0.1 \
 *                 --fault crash:3:10000 --fault restart:3:15000
 *
 * Prints every transition (unless --quiet), then a summary: for each crash
 * or pause, how long each observer took to call the node suspect and dead;
 * the number of dead verdicts against nodes that were never faulted (false
 * positives); the trace hash (same seed, same hash) and the simulation
 * speed. The same seed and options always print the same output except
 * the speed line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/arena.h"
#include "sim/cmd.h"
#include "sim/sim.h"

#define MAX_FAULTS 64

enum fault_kind { F_CRASH, F_RESTART, F_PAUSE, F_RESUME, F_ISOLATE, F_HEAL };

typedef struct fault {
        enum fault_kind kind;
        size_t node;
        uint64_t at_ns;
} fault_t;

static const char *const fault_names[] = {
        "crash", "restart", "pause", "resume", "isolate", "heal",
};

static void usage(FILE *f)
{
        fprintf(f,
"usage: hbeat-sim run [options]\n"
"\n"
"Simulate a full-mesh hbeat cluster on a virtual clock (deterministic).\n"
"\n"
"options:\n"
"  --nodes N          nodes, 2..4096 (default 3)\n"
"  --seed S           random seed (default 1)\n"
"  --duration-s D     simulated seconds (default 20)\n"
"  --interval-ms I    heartbeat interval (default 100)\n"
"  --detector K       phi | fixed (default phi)\n"
"  --loss P           independent packet loss, 0..1 (default 0)\n"
"  --delay-us D       one-way delay base (default 200)\n"
"  --jitter-us J      one-way delay jitter, uniform (default 200)\n"
"  --fault K:N:T      at T ms, apply K to node N (1-based): crash,\n"
"                     restart, pause, resume, isolate, heal (N ignored)\n"
"  --acceptable-pause-ms P  phi acceptable pause (default 4 x interval)\n"
"  --election         quorum and leader election on (prints role and term\n"
"                     events, the leader at the end)\n"
"  --quiet            print only the summary\n"
"  -h, --help         this text\n");
}

static int parse_fault(const char *s, fault_t *f)
{
        char kind[16];
        unsigned long node;
        unsigned long long at;
        size_t k;

        if (sscanf(s, "%15[a-z]:%lu:%llu", kind, &node, &at) != 3)
                return -EINVAL;
        for (k = 0; k < sizeof(fault_names) / sizeof(fault_names[0]); k++)
                if (strcmp(kind, fault_names[k]) == 0)
                        break;
        if (k == sizeof(fault_names) / sizeof(fault_names[0]) || node == 0)
                return -EINVAL;
        f->kind = (enum fault_kind)k;
        f->node = node - 1;
        f->at_ns = at * HB_NS_PER_MS;
        return 0;
}

static int cmp_fault(const void *a, const void *b)
{
        const fault_t *x = a, *y = b;

        return x->at_ns < y->at_ns ? -1 : x->at_ns > y->at_ns;
}

static void apply(hbsim_t *sim, const fault_t *f)
{
        switch (f->kind) {
        case F_CRASH:
                hbsim_crash(sim, f->node);
                break;
        case F_RESTART:
                hbsim_restart(sim, f->node);
                break;
        case F_PAUSE:
                hbsim_pause(sim, f->node);
                break;
        case F_RESUME:
                hbsim_resume(sim, f->node);
                break;
        case F_ISOLATE:
                hbsim_partition(sim, &f->node, 1);
                break;
        case F_HEAL:
                hbsim_heal(sim);
                break;
        }
}

static void summary(hbsim_t *sim, const fault_t *faults, size_t n_faults)
{
        size_t n_ev, i, k, false_dead = 0;
        const hbsim_event_t *ev = hbsim_events(sim, &n_ev);
        size_t n = hbsim_n_nodes(sim);

        for (k = 0; k < n_faults; k++) {
                const fault_t *f = &faults[k];

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
        for (i = 0; i < n_ev; i++) {
                int faulted = 0;

                if (ev[i].ev.new_state != HB_PEER_DEAD)
                        continue;
                for (k = 0; k < n_faults; k++)
                        if (faults[k].kind != F_RESTART &&
                            faults[k].kind != F_RESUME &&
                            faults[k].kind != F_HEAL &&
                            (faults[k].node == ev[i].peer ||
                             faults[k].node == ev[i].observer))
                                faulted = 1;
                if (!faulted)
                        false_dead++;
        }
        {
                size_t sus = 0;

                for (i = 0; i < n_ev; i++)
                        sus += ev[i].ev.new_state == HB_PEER_SUSPECT;
                printf("events: %zu, suspect verdicts: %zu, false dead "
                       "verdicts: %zu, messages delivered: %" PRIu64 "\n",
                       n_ev, sus, false_dead, hbsim_delivered(sim));
        }
        printf("trace hash: %016" PRIx64 "\n", hbsim_trace_hash(sim));
}

static void print_coord(const hbsim_event_t *x)
{
        const hb_event_t *e = &x->ev;

        switch (e->type) {
        case HB_EVENT_QUORUM:
                printf("%10.3f ms n%zu: quorum %s (%s)\n",
                       (double)e->at_ns / 1e6, x->observer + 1,
                       e->quorate ? "gained" : "lost", e->why);
                break;
        case HB_EVENT_ROLE:
                printf("%10.3f ms n%zu: %s -> %s term %" PRIu64
                       " leader n%u (%s)\n",
                       (double)e->at_ns / 1e6, x->observer + 1,
                       hb_role_name(e->old_role), hb_role_name(e->new_role),
                       e->term, e->leader_id, e->why);
                break;
        case HB_EVENT_TERM:
                printf("%10.3f ms n%zu: term %" PRIu64 " voted n%u (%s)\n",
                       (double)e->at_ns / 1e6, x->observer + 1, e->term,
                       e->voted_for, e->why);
                break;
        default:
                break;
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

int hbsim_cmd_run(int argc, char **argv)
{
        static const struct option opts[] = {
                { "nodes", required_argument, NULL, 'n' },
                { "seed", required_argument, NULL, 's' },
                { "duration-s", required_argument, NULL, 'd' },
                { "interval-ms", required_argument, NULL, 'i' },
                { "detector", required_argument, NULL, 'k' },
                { "loss", required_argument, NULL, 'l' },
                { "delay-us", required_argument, NULL, 'D' },
                { "jitter-us", required_argument, NULL, 'J' },
                { "fault", required_argument, NULL, 'f' },
                { "acceptable-pause-ms", required_argument, NULL, 'P' },
                { "quiet", no_argument, NULL, 'q' },
                { "election", no_argument, NULL, 'E' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        hbsim_config_t cfg;
        fault_t faults[MAX_FAULTS];
        size_t n_faults = 0, k, printed = 0;
        double duration_s = 20;
        hb_detector_kind_t kind = HB_DETECTOR_PHI;
        uint64_t interval_ms = 100;
        int quiet = 0, election = 0, c;
        long pause_ms = -1;
        hbsim_t *sim;
        struct timespec t0, t1;

        hbsim_config_default(&cfg);
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        cfg.n_nodes = strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        cfg.seed = strtoull(optarg, NULL, 10);
                        break;
                case 'd':
                        duration_s = strtod(optarg, NULL);
                        break;
                case 'i':
                        interval_ms = strtoull(optarg, NULL, 10);
                        break;
                case 'k':
                        if (hb_detector_kind_parse(optarg, &kind) < 0) {
                                fprintf(stderr, "hbeat-sim: unknown detector "
                                                "'%s' (phi, fixed)\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 'l':
                        cfg.loss = strtod(optarg, NULL);
                        break;
                case 'D':
                        cfg.delay_ns = strtoull(optarg, NULL, 10) * 1000;
                        break;
                case 'J':
                        cfg.jitter_ns = strtoull(optarg, NULL, 10) * 1000;
                        break;
                case 'f':
                        if (n_faults == MAX_FAULTS ||
                            parse_fault(optarg, &faults[n_faults]) < 0) {
                                fprintf(stderr, "hbeat-sim: bad --fault "
                                                "'%s' (KIND:NODE:MS)\n",
                                        optarg);
                                return 2;
                        }
                        n_faults++;
                        break;
                case 'P':
                        pause_ms = strtol(optarg, NULL, 10);
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'E':
                        election = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
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
        for (k = 0; k < n_faults; k++) {
                if (faults[k].node >= cfg.n_nodes) {
                        fprintf(stderr, "hbeat-sim: fault names node %zu of "
                                        "%zu\n",
                                faults[k].node + 1, cfg.n_nodes);
                        return 2;
                }
        }
        qsort(faults, n_faults, sizeof(faults[0]), cmp_fault);
        if (!getenv("HBSIM_LIBC"))
                hbsim_arena_install();
        if (hbsim_new(&sim, &cfg) < 0) {
                fprintf(stderr, "hbeat-sim: invalid parameters\n");
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (k = 0; k <= n_faults; k++) {
                uint64_t until = k < n_faults ? faults[k].at_ns
                                              : (uint64_t)(duration_s * 1e9);
                size_t n_ev;
                const hbsim_event_t *ev;

                hbsim_run_until(sim, until);
                ev = hbsim_events(sim, &n_ev);
                for (; !quiet && printed < n_ev; printed++) {
                        const hb_event_t *e = &ev[printed].ev;

                        if (e->type != HB_EVENT_PEER_STATE) {
                                print_coord(&ev[printed]);
                                continue;
                        }
                        printf("%10.3f ms n%zu: n%zu %s -> %s (%s, %.2f)\n",
                               (double)ev[printed].ev.at_ns / 1e6,
                               ev[printed].observer + 1,
                               ev[printed].peer + 1,
                               hb_peer_state_name(ev[printed].ev.old_state),
                               hb_peer_state_name(ev[printed].ev.new_state),
                               hb_reason_name(ev[printed].ev.reason),
                               ev[printed].ev.suspicion);
                }
                if (k < n_faults)
                        apply(sim, &faults[k]);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        summary(sim, faults, n_faults);
        if (election)
                leaders(sim);
        {
                double wall = (double)(t1.tv_sec - t0.tv_sec) +
                              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

                fprintf(stderr, "simulated %.1f s in %.3f s (%.0f messages/s)\n",
                        duration_s, wall,
                        wall > 0 ? (double)hbsim_delivered(sim) / wall : 0);
        }
        hbsim_free(sim);
        hbsim_arena_uninstall();
        return 0;
}
