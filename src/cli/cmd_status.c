/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl status`, `leader`, `quorum` and `reload`.
 *
 * status: one {"cmd":"status"} request; prints the node (identity,
 * incarnation, uptime, interval, detector and thresholds), peer counts by
 * state and the counters, listing each drop reason that is not zero.
 * Fields the daemon does not send are left out rather than guessed, so a
 * newer or older daemon still gives a useful page. Counters are printed in
 * the daemon's order, so new ones appear without a change here.
 *
 * Whom hbeatd runs as (user, capabilities) and systemd's watchdog, when
 * on, follow the peers; then the "realtime" object: the loop thread's
 * scheduling, memory lock and CPUs as in force, and each request that
 * was refused.
 * With election enabled, status also prints the "coordination" object:
 * role, term, leader, quorum; with resource.* or fencing.* set, the
 * "resource" one: state, term, last action, last fence.
 *
 * leader: {"cmd":"leader"}; prints "LEADER (id N), term T" and exits 0,
 * or "no leader (role R, term T)" and exits 1, so scripts can test it.
 * quorum: {"cmd":"quorum"}; quorate or not, votes present / needed /
 * expected, then every member's votes and whether they count now.
 *
 * reload: {"cmd":"reload"}; the daemon answers after the attempt, so its
 * error (FILE:LINE:COL: ...) is printed and the exit status is 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/hbctl.h"

/* Peer states in the order of the state machine, for the counts line. */
static const char *const peer_states[] = {
        "alive", "suspect", "dead", "probation", "unknown", "left",
};

static void print_str(const char *label, const json_t *obj, const char *key)
{
        const char *s = hbctl_json_str(obj, key, NULL);

        if (s)
                printf("  %-14s %s\n", label, s);
}

static void print_int(const char *label, const json_t *obj, const char *key)
{
        const json_t *v = json_object_get(obj, key);

        if (json_is_integer(v))
                printf("  %-14s %" JSON_INTEGER_FORMAT "\n", label,
                       json_integer_value(v));
}

static void print_ms(const char *label, const json_t *obj, const char *key)
{
        char dur[HBCTL_DUR_LEN];
        bool ok;
        double ms = hbctl_json_num(obj, key, &ok);

        if (ok && ms >= 0)
                printf("  %-14s %s\n", label,
                       hbctl_dur((uint64_t)llround(ms * 1e6), dur));
}

static void print_node(const json_t *node)
{
        const json_t *id = json_object_get(node, "id");
        bool has_s, has_d;
        double s = hbctl_json_num(node, "suspect_threshold", &has_s);
        double d = hbctl_json_num(node, "dead_threshold", &has_d);

        printf("node %s", hbctl_json_str(node, "name", "?"));
        if (json_is_integer(id))
                printf(" (id %" JSON_INTEGER_FORMAT ")",
                       json_integer_value(id));
        putchar('\n');
        print_int("cluster:", node, "cluster_id");
        print_str("listen:", node, "listen");
        print_int("incarnation:", node, "incarnation");
        print_int("sequence:", node, "seq");
        print_ms("uptime:", node, "uptime_ms");
        print_ms("interval:", node, "interval_ms");
        if (json_object_get(node, "detector")) {
                printf("  %-14s %s", "detector:",
                       hbctl_json_str(node, "detector", "?"));
                if (has_s)
                        printf(", suspect at %.2f", s);
                if (has_d)
                        printf(", dead at %.2f", d);
                putchar('\n');
        }
        print_str("version:", node, "version");
        print_int("pid:", node, "pid");
        print_str("config:", node, "config");
}

static void print_peers(const json_t *peers)
{
        const json_t *total = json_object_get(peers, "total");
        const char *sep = "";

        if (!json_is_object(peers))
                return;
        printf("peers: %" JSON_INTEGER_FORMAT " (",
               json_is_integer(total) ? json_integer_value(total) : 0);
        for (size_t i = 0; i < sizeof(peer_states) / sizeof(*peer_states);
             i++) {
                const json_t *n = json_object_get(peers, peer_states[i]);

                if (!json_is_integer(n))
                        continue;
                printf("%s%" JSON_INTEGER_FORMAT " %s", sep,
                       json_integer_value(n), peer_states[i]);
                sep = ", ";
        }
        puts(")");
}

static void print_drops(const json_t *drops)
{
        const char *key;
        const json_t *v;

        json_object_foreach((json_t *)drops, key, v) {
                if (json_is_integer(v) && json_integer_value(v) != 0)
                        printf("    %-20s %" JSON_INTEGER_FORMAT "\n", key,
                               json_integer_value(v));
        }
}

static void print_counters(const json_t *counters)
{
        const json_t *drops = json_object_get(counters, "drops");
        bool drops_done = false;
        const char *key;
        const json_t *v;

        if (!json_is_object(counters))
                return;
        puts("counters:");
        json_object_foreach((json_t *)counters, key, v) {
                if (!json_is_integer(v))
                        continue;
                printf("  %-22s %" JSON_INTEGER_FORMAT "\n", key,
                       json_integer_value(v));
                /* The reasons right under their total. */
                if (strcmp(key, "rx_dropped") == 0 && json_is_object(drops)) {
                        print_drops(drops);
                        drops_done = true;
                }
        }
        if (!drops_done && json_is_object(drops))
                print_drops(drops);
}

static void print_coord(const json_t *co)
{
        const char *leader = hbctl_json_str(co, "leader", NULL);
        const json_t *lid = json_object_get(co, "leader_id");

        if (!json_is_object(co) ||
            !json_is_true(json_object_get(co, "enabled")))
                return;
        puts("coordination:");
        print_str("role:", co, "role");
        print_int("term:", co, "term");
        if (json_is_integer(lid) && json_integer_value(lid) != 0)
                printf("  %-14s %s (id %" JSON_INTEGER_FORMAT ")\n",
                       "leader:", leader ? leader : "?",
                       json_integer_value(lid));
        else
                printf("  %-14s none\n", "leader:");
        printf("  %-14s %s, %" JSON_INTEGER_FORMAT " of %"
               JSON_INTEGER_FORMAT " votes present, %" JSON_INTEGER_FORMAT
               " needed%s\n", "quorum:",
               json_is_true(json_object_get(co, "quorate")) ? "quorate"
                                                             : "NOT quorate",
               json_integer_value(json_object_get(co, "votes_present")),
               json_integer_value(json_object_get(co, "expected_votes")),
               json_integer_value(json_object_get(co, "quorum_votes")),
               json_is_true(json_object_get(co, "waiting_for_all"))
                       ? " (waiting for all)" : "");
        print_ms("in role for:", co, "role_age_ms");
        print_int("elections:", co, "elections_started");
}

/* The "resource" object (docs/actions.md); null without resource.* or
 * fencing.* configured. */
static void print_resource(const json_t *r)
{
        const json_t *f = json_object_get(r, "fence");
        const json_t *ex = json_object_get(r, "last_exit");

        if (!json_is_object(r))
                return;
        puts("resource:");
        print_str("state:", r, "state");
        print_int("term:", r, "term");
        printf("  %-14s %s", "last action:",
               hbctl_json_str(r, "last_action", "none"));
        if (json_is_integer(ex))
                printf(", exit %" JSON_INTEGER_FORMAT, json_integer_value(ex));
        printf(" (%s)\n", hbctl_json_str(r, "last_result", "-"));
        if (json_is_object(f)) {
                const json_t *att = json_object_get(f, "attempt");
                const json_t *next = json_object_get(f, "next_attempt_ms");

                printf("  %-14s %s (id %" JSON_INTEGER_FORMAT "), term %"
                       JSON_INTEGER_FORMAT ": %s", "last fence:",
                       hbctl_json_str(f, "target", "?"),
                       json_integer_value(json_object_get(f, "target_id")),
                       json_integer_value(json_object_get(f, "term")),
                       hbctl_json_str(f, "result", "?"));
                /* Older daemons send neither key. */
                if (json_is_integer(att) && json_integer_value(att) > 1)
                        printf(" (attempt %" JSON_INTEGER_FORMAT ")",
                               json_integer_value(att));
                if (json_is_integer(next))
                        printf("; next attempt in %" JSON_INTEGER_FORMAT
                               " ms", json_integer_value(next));
                putchar('\n');
        }
}

/* The "keys" array: the ring's ids (never key material), the primary,
 * and what each key verified, for key rotation. */
static void print_keys(const json_t *keys)
{
        const json_t *k;
        size_t i;

        if (!json_is_array(keys))
                return;
        puts("keys:");
        json_array_foreach((json_t *)keys, i, k) {
                const json_t *ago = json_object_get(k, "last_received_ms_ago");

                printf("  id %-11" JSON_INTEGER_FORMAT " %s%s, %"
                       JSON_INTEGER_FORMAT " received",
                       json_integer_value(json_object_get(k, "id")),
                       json_is_true(json_object_get(k, "primary"))
                               ? "primary" : "accepted",
                       strcmp(hbctl_json_str(k, "encryption", "none"),
                              "aead") == 0 ? " (aead)" : "",
                       json_integer_value(json_object_get(k, "received")));
                if (json_is_integer(ago))
                        printf(", last %" JSON_INTEGER_FORMAT " ms ago",
                               json_integer_value(ago));
                putchar('\n');
        }
}

/* The "realtime" object: what is in force for the loop thread, and why
 * not when a request was refused. */
static void print_realtime(const json_t *rt)
{
        const json_t *problems = json_object_get(rt, "problems");
        const json_t *p;
        const char *cpus, *child;
        size_t i;

        if (!json_is_object(rt))
                return;
        puts("realtime:");
        if (!json_is_true(json_object_get(rt, "enabled")))
                printf("  %-14s off (realtime.enabled: false)\n",
                       "requested:");
        printf("  %-14s %s", "scheduling:",
               hbctl_json_str(rt, "policy", "?"));
        if (json_integer_value(json_object_get(rt, "priority")) > 0)
                printf(", priority %" JSON_INTEGER_FORMAT,
                       json_integer_value(json_object_get(rt, "priority")));
        printf("%s\n", json_is_true(json_object_get(rt, "reset_on_fork"))
                               ? " (children: SCHED_OTHER)" : "");
        printf("  %-14s %s\n", "memory:",
               json_is_true(json_object_get(rt, "memory_locked"))
                       ? "locked" : "not locked");
        cpus = hbctl_json_str(rt, "cpus", "?");
        child = hbctl_json_str(rt, "child_cpus", cpus);
        printf("  %-14s %s", "cpus:", cpus);
        if (strcmp(cpus, child) != 0)
                printf(" (children: %s)", child);
        putchar('\n');
        json_array_foreach((json_t *)problems, i, p)
                if (json_is_string(p))
                        printf("  %-14s %s\n", i == 0 ? "not applied:" : "",
                               json_string_value(p));
}

/* The "privileges" and "systemd_watchdog" objects: whom hbeatd runs as,
 * with which capabilities, and systemd's watchdog when it has one. */
static void print_process(const json_t *pr, const json_t *wd)
{
        const char *user;

        if (json_is_object(pr)) {
                user = hbctl_json_str(pr, "user", NULL);
                printf("%-16s uid %" JSON_INTEGER_FORMAT " gid %"
                       JSON_INTEGER_FORMAT "%s%s%s, capabilities %s\n",
                       "runs as:",
                       json_integer_value(json_object_get(pr, "uid")),
                       json_integer_value(json_object_get(pr, "gid")),
                       user != NULL ? " (daemon.user " : "",
                       user != NULL ? user : "", user != NULL ? ")" : "",
                       hbctl_json_str(pr, "capabilities", "?"));
        }
        if (json_is_object(wd) &&
            json_is_true(json_object_get(wd, "enabled")))
                printf("%-16s every %" JSON_INTEGER_FORMAT " ms of %"
                       JSON_INTEGER_FORMAT " ms, %" JSON_INTEGER_FORMAT
                       " pings\n", "systemd watchdog:",
                       json_integer_value(json_object_get(wd, "period_ms"))
                               / 2,
                       json_integer_value(json_object_get(wd, "period_ms")),
                       json_integer_value(json_object_get(wd,
                                                          "pings_total")));
}

/* The gossip topology's state (docs/gossip.md), when it runs. */
static void print_gossip(const json_t *g)
{
        const json_t *pp = json_object_get(g, "push_pull");
        const json_t *ok = json_object_get(pp, "ok");

        if (!json_is_object(g))
                return;
        puts("gossip:");
        printf("  %-14s %s%s%s\n", "joined:",
               json_is_true(json_object_get(g, "joined")) ? "yes" : "no",
               *hbctl_json_str(g, "joined_via", "") ? " via " : "",
               hbctl_json_str(g, "joined_via", ""));
        print_int("members:", g, "members");
        print_int("live:", g, "live");
        print_int("suspicions:", g, "suspects");
        print_int("local health:", g, "lhm");
        print_int("incarnation:", g, "incarnation");
        print_int("refutations:", g, "refutations");
        print_int("probes:", g, "probes_sent");
        print_int("probes failed:", g, "probes_failed");
        printf("  %-14s every %" JSON_INTEGER_FORMAT " ms, %"
               JSON_INTEGER_FORMAT " ok as client, %" JSON_INTEGER_FORMAT
               " as server\n", "push-pull:",
               json_integer_value(json_object_get(g,
                                                  "push_pull_interval_ms")),
               json_integer_value(json_object_get(ok, "client")),
               json_integer_value(json_object_get(ok, "server")));
}

/* Topology "hierarchy" (docs/hierarchy.md): region, coordinator, role at
 * the global level, unreachable regions. */
static void print_hier(const json_t *h)
{
        const json_t *un = json_object_get(h, "unreachable_regions");
        const json_t *v;
        size_t i;

        if (!json_is_object(h))
                return;
        puts("hierarchy:");
        printf("  %-14s %" JSON_INTEGER_FORMAT "%s\n", "region:",
               json_integer_value(json_object_get(h, "region")),
               json_is_true(json_object_get(h, "elector")) ? " (elector)"
                                                           : "");
        if (json_integer_value(json_object_get(h, "coordinator_id")) != 0)
                printf("  %-14s %s (id %" JSON_INTEGER_FORMAT ", term %"
                       JSON_INTEGER_FORMAT ")%s\n", "coordinator:",
                       hbctl_json_str(h, "coordinator", "?"),
                       json_integer_value(json_object_get(h,
                                                          "coordinator_id")),
                       json_integer_value(json_object_get(h,
                                                          "regional_term")),
                       json_is_true(json_object_get(h, "is_coordinator"))
                               ? " (this node)"
                               : "");
        else
                printf("  %-14s none known\n", "coordinator:");
        if (json_is_true(json_object_get(h, "is_coordinator")))
                printf("  %-14s %s, term %" JSON_INTEGER_FORMAT ", leading "
                       "region %" JSON_INTEGER_FORMAT "%s\n",
                       "global role:", hbctl_json_str(h, "global_role", "?"),
                       json_integer_value(json_object_get(h, "global_term")),
                       json_integer_value(json_object_get(
                               h, "global_leader_region")),
                       json_is_true(json_object_get(h, "holds"))
                               ? " (this region holds the resource)"
                               : "");
        else
                printf("  %-14s none (not a coordinator)\n", "global role:");
        /* Who holds the resource and the VIPs: the global leader's
         * region, established (docs/hierarchy.md). */
        if (json_integer_value(json_object_get(h, "holder_region")) != 0)
                printf("  %-14s region %" JSON_INTEGER_FORMAT ", %s (id %"
                       JSON_INTEGER_FORMAT ")%s\n", "global holder:",
                       json_integer_value(json_object_get(h,
                                                          "holder_region")),
                       hbctl_json_str(h, "holder", "?"),
                       json_integer_value(json_object_get(h, "holder_id")),
                       json_is_true(json_object_get(h, "holds"))
                               ? " (this node)"
                               : "");
        else
                printf("  %-14s none known\n", "global holder:");
        printf("  %-14s", "unreachable:");
        if (json_array_size(un) == 0)
                printf(" none");
        json_array_foreach(un, i, v)
                printf("%s region %" JSON_INTEGER_FORMAT, i ? "," : "",
                       json_integer_value(v));
        printf("\n");
}

/* The hierarchy's reliable transport (docs/hierarchy.md, "Reliable
 * transport"): connections and frames; nothing when it is off. */
static void print_reliable(const json_t *r)
{
        if (!json_is_object(r))
                return;
        printf("  %-14s %s, connections %" JSON_INTEGER_FORMAT " out %"
               JSON_INTEGER_FORMAT " in, frames %" JSON_INTEGER_FORMAT
               " sent %" JSON_INTEGER_FORMAT " received %"
               JSON_INTEGER_FORMAT " dropped, UDP fallbacks %"
               JSON_INTEGER_FORMAT "\n",
               "tcp:",
               json_is_true(json_object_get(r, "listening")) ? "listening"
                                                             : "not listening",
               json_integer_value(json_object_get(r, "connections_out")),
               json_integer_value(json_object_get(r, "connections_in")),
               json_integer_value(json_object_get(r, "frames_sent")),
               json_integer_value(json_object_get(r, "frames_received")),
               json_integer_value(json_object_get(r, "frames_dropped")),
               json_integer_value(json_object_get(r,
                                                  "fallbacks_not_connected")) +
                       json_integer_value(json_object_get(r,
                                                          "fallbacks_full")));
}

/* Names of a JSON array of strings, comma-separated ("none" if empty). */
static void print_names(const json_t *arr)
{
        const json_t *v;
        size_t i;

        if (json_array_size(arr) == 0)
                printf(" none");
        json_array_foreach(arr, i, v)
                printf("%s %s", i ? "," : "",
                       json_is_string(v) ? json_string_value(v) : "?");
        printf("\n");
}

/* Topology "subset" (docs/subset.md): k, this node's monitors (where its
 * heartbeats go), whom it judges, its verdict traffic. */
static void print_subset(const json_t *t)
{
        if (!json_is_object(t) ||
            strcmp(hbctl_json_str(t, "kind", ""), "subset") != 0)
                return;
        puts("subset:");
        printf("  %-14s %" JSON_INTEGER_FORMAT " monitors per node, dead "
               "when %" JSON_INTEGER_FORMAT " say so (ring of %"
               JSON_INTEGER_FORMAT ")\n", "k:",
               json_integer_value(json_object_get(t, "k")),
               json_integer_value(json_object_get(t, "majority")),
               json_integer_value(json_object_get(t, "ring_size")));
        printf("  %-14s", "monitors:");
        print_names(json_object_get(t, "monitors"));
        printf("  %-14s", "judges:");
        print_names(json_object_get(t, "judges"));
        print_int("verdicts sent:", t, "verdicts_sent");
        print_int("verdicts rcvd:", t, "verdicts_received");
        print_int("repairs sent:", t, "repairs_sent");
}

static void print_status(const json_t *resp)
{
        print_node(json_object_get(resp, "node"));
        print_peers(json_object_get(resp, "peers"));
        print_keys(json_object_get(resp, "keys"));
        print_process(json_object_get(resp, "privileges"),
                      json_object_get(resp, "systemd_watchdog"));
        print_realtime(json_object_get(resp, "realtime"));
        print_coord(json_object_get(resp, "coordination"));
        print_hier(json_object_get(resp, "hierarchy"));
        if (json_object_get(resp, "hierarchy"))
                print_reliable(json_object_get(resp, "reliable"));
        print_subset(json_object_get(resp, "topology"));
        print_gossip(json_object_get(resp, "gossip"));
        print_resource(json_object_get(resp, "resource"));
        print_counters(json_object_get(resp, "counters"));
}

int hbctl_cmd_status(hbctl_ctx_t *ctx, int argc, char **argv)
{
        return hbctl_query(ctx, argc, argv, "status", print_status, NULL);
}

int hbctl_cmd_leader(hbctl_ctx_t *ctx, int argc, char **argv)
{
        json_t *resp = NULL;
        const json_t *lid;
        bool json;
        int status;

        status = hbctl_parse_json_only(argc, argv, &json);
        if (status >= 0)
                return status;
        status = hbctl_call(ctx, "leader", NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        lid = json_object_get(resp, "leader_id");
        if (!json_is_integer(lid) || json_integer_value(lid) == 0)
                status = HBCTL_EXIT_FAIL;
        if (json) {
                int r = hbctl_json_print(resp, true);

                if (r != HBCTL_EXIT_OK)
                        status = r;
        } else if (status == HBCTL_EXIT_OK) {
                printf("%s (id %" JSON_INTEGER_FORMAT "), term %"
                       JSON_INTEGER_FORMAT "%s\n",
                       hbctl_json_str(resp, "leader", "?"),
                       json_integer_value(lid),
                       json_integer_value(json_object_get(resp, "term")),
                       json_is_true(json_object_get(resp, "self"))
                               ? " (this node)" : "");
        } else {
                printf("no leader (role %s, term %" JSON_INTEGER_FORMAT
                       ")\n", hbctl_json_str(resp, "role", "?"),
                       json_integer_value(json_object_get(resp, "term")));
        }
        json_decref(resp);
        return hbctl_finish_stdout(status);
}

static void print_quorum(const json_t *resp)
{
        const json_t *members = json_object_get(resp, "members");
        const json_t *m;
        int name_w = 4;
        size_t i;

        printf("%s: %" JSON_INTEGER_FORMAT " votes present, %"
               JSON_INTEGER_FORMAT " needed, %" JSON_INTEGER_FORMAT
               " expected%s%s%s\n",
               json_is_true(json_object_get(resp, "quorate")) ? "quorate"
                                                               : "NOT quorate",
               json_integer_value(json_object_get(resp, "votes_present")),
               json_integer_value(json_object_get(resp, "quorum_votes")),
               json_integer_value(json_object_get(resp, "expected_votes")),
               json_is_true(json_object_get(resp, "two_node"))
                       ? ", two_node" : "",
               json_is_true(json_object_get(resp, "wait_for_all"))
                       ? ", wait_for_all" : "",
               json_is_true(json_object_get(resp, "waiting_for_all"))
                       ? " (waiting for all)" : "");
        json_array_foreach((json_t *)members, i, m) {
                int w = (int)strlen(hbctl_json_str(m, "name", "?"));

                name_w = w > name_w ? w : name_w;
        }
        printf("%-*s  %10s  %5s  %-9s  %s\n", name_w, "NAME", "ID", "VOTES",
               "STATE", "COUNTED");
        json_array_foreach((json_t *)members, i, m) {
                printf("%-*s  %10" JSON_INTEGER_FORMAT "  %5"
                       JSON_INTEGER_FORMAT "  %-9s  %s%s\n", name_w,
                       hbctl_json_str(m, "name", "?"),
                       json_integer_value(json_object_get(m, "id")),
                       json_integer_value(json_object_get(m, "votes")),
                       hbctl_json_str(m, "state", "?"),
                       json_is_true(json_object_get(m, "counted")) ? "yes"
                                                                   : "no",
                       json_is_true(json_object_get(m, "witness"))
                               ? " (witness)" : "");
        }
}

int hbctl_cmd_quorum(hbctl_ctx_t *ctx, int argc, char **argv)
{
        return hbctl_query(ctx, argc, argv, "quorum", print_quorum, NULL);
}

/* NAME KIND TARGET STATE LAST OK/FAIL NEXT RUN EFFECT, one line per
 * check; NEXT RUN is local time in the daemon's zone (daemon.timezone),
 * "-" while none is planned. */
static void print_checks(const json_t *checks)
{
        const json_t *c;
        int name_w = 4, target_w = 6, next_w = 8;
        size_t i;

        if (json_array_size(checks) == 0) {
                printf("no health checks configured\n");
                return;
        }
        json_array_foreach((json_t *)checks, i, c) {
                int w = (int)strlen(hbctl_json_str(c, "name", "?"));
                int t = (int)strlen(hbctl_json_str(c, "target", ""));

                int nx = (int)strlen(hbctl_json_str(c, "next_run", "-"));

                name_w = w > name_w ? w : name_w;
                target_w = t > target_w ? t : target_w;
                next_w = nx > next_w ? nx : next_w;
        }
        if (target_w > 40)
                target_w = 40;
        printf("%-*s  %-4s  %-*s  %-7s  %-4s  %7s  %-*s  %s\n", name_w,
               "NAME", "KIND", target_w, "TARGET", "STATE", "LAST",
               "OK/FAIL", next_w, "NEXT RUN", "EFFECT");
        json_array_foreach((json_t *)checks, i, c) {
                const json_t *last = json_object_get(c, "last");
                char okfail[48];

                snprintf(okfail, sizeof okfail, "%" JSON_INTEGER_FORMAT "/%"
                         JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(c, "successes")),
                         json_integer_value(json_object_get(c, "failures")));
                printf("%-*s  %-4s  %-*.*s  %-7s  %-4s  %7s  %-*s  %s",
                       name_w, hbctl_json_str(c, "name", "?"),
                       hbctl_json_str(c, "kind", "?"), target_w, target_w,
                       hbctl_json_str(c, "target", ""),
                       hbctl_json_str(c, "state", "?"),
                       json_is_string(last) ? json_string_value(last) : "-",
                       okfail, next_w, hbctl_json_str(c, "next_run", "-"),
                       hbctl_json_str(c, "effect", "none"));
                if (json_is_string(json_object_get(c, "schedule")))
                        printf("  [%s%s]",
                               hbctl_json_str(c, "schedule", ""),
                               json_is_true(json_object_get(c, "in_window"))
                                       ? ""
                                       : ", outside its window");
                if (json_is_string(last))
                        printf("  (%s)", hbctl_json_str(c, "message", ""));
                printf("\n");
        }
}

static void print_checks_resp(const json_t *resp)
{
        print_checks(json_object_get(resp, "checks"));
}

/* Exit 1 while any check is not passing (scripts can test it). */
static int checks_passing(const json_t *resp)
{
        return json_is_true(json_object_get(resp, "passing"))
                       ? HBCTL_EXIT_OK
                       : HBCTL_EXIT_FAIL;
}

int hbctl_cmd_checks(hbctl_ctx_t *ctx, int argc, char **argv)
{
        return hbctl_query(ctx, argc, argv, "checks", print_checks_resp,
                           checks_passing);
}

int hbctl_cmd_reload(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        json_t *resp = NULL;
        int c, status;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":h", opts)) != -1) {
                if (c == 'h')
                        return hbctl_cmd_help(argv[0]);
                return HBCTL_EXIT_USAGE;
        }
        if (optind < argc)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind]);

        status = hbctl_call(ctx, "reload", NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        json_decref(resp);
        puts("configuration reloaded");
        return hbctl_finish_stdout(HBCTL_EXIT_OK);
}

int hbctl_cmd_forget(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        json_t *resp = NULL, *req;
        int c, status;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":h", opts)) != -1) {
                if (c == 'h')
                        return hbctl_cmd_help(argv[0]);
                return HBCTL_EXIT_USAGE;
        }
        if (optind >= argc)
                return hbctl_usage_error(argv[0], "missing PEER");
        if (optind + 1 < argc)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind + 1]);
        req = json_pack("{s:s}", "peer", argv[optind]);
        if (req == NULL) {
                fprintf(stderr, "hbeatctl forget: out of memory\n");
                return HBCTL_EXIT_FAIL;
        }
        status = hbctl_call(ctx, "forget", req, &resp);
        json_decref(req);
        if (status != HBCTL_EXIT_OK)
                return status;
        printf("forgot %s's incarnation %.0f: its next authentic message "
               "is accepted\n", hbctl_json_str(resp, "peer", argv[optind]),
               hbctl_json_num(resp, "forgot_incarnation", NULL));
        json_decref(resp);
        return hbctl_finish_stdout(HBCTL_EXIT_OK);
}
