/* SPDX-License-Identifier: MIT */
/*
 * The coordination module (election.enabled): makes the core's election
 * durable and visible. The election itself is the core's (src/core).
 *
 * A term or vote change (HB_EVENT_TERM) is written to
 * election.state_file and fsync()ed from inside the event, that is before
 * the vote it stands for can leave the node's output queue. If that write
 * fails the node must not vote: the module asks the daemon to die at once
 * (ctx->die(): the adapter is muted, no leave, exit 1; fail safe, see
 * hbeatd(8)). At start the file gives the term back
 * (hb_node_restore_term()); a missing file is term 0, a malformed one an
 * error: a term is never silently reset. A file beside it keeps how long
 * the node's lease promises bind (the core raises HB_EVENT_TERM "promise"
 * about once per promise_max), so that a restarted hbeatd votes again as
 * soon as its old promises have run out rather than a whole promise_max
 * later (hb_node_restore_promise(), docs/election.md).
 *
 * Role and quorum changes are logged once here; the control stream and
 * the role scripts hear them from the bus (ctl.c, notify.c), the policy
 * too (actions.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "daemon/module.h"

/* ---- term persistence --------------------------------------------- */

/*
 * election.state_file holds three lines, nothing else:
 *
 *     hbeat-state 1
 *     term 7
 *     voted_for 2
 *
 * Text, so an operator can read it; strict, so a damaged file is refused
 * rather than read as term 0. Written durably (fsync) on every change.
 *
 * Beside it, election.state_file + ".promise" holds how long this node's
 * lease promises bind:
 *
 *     hbeat-promise 1
 *     promise_until 123456789012
 *     boot_id 6f0c2d9e4b7a4e0f9a1c3d5e7f9b1a2c
 *
 * promise_until is a CLOCK_MONOTONIC time, ns, meaningful only in the boot
 * named (/proc/sys/kernel/random/boot_id without dashes). It is rewritten
 * about once per promise_max while the node supports a leader, so it is
 * written *without* fsync (no disk wait in the heartbeat path): it only
 * matters across process restarts, which keep the page cache; after a
 * machine crash the boot id differs and the boot time answers instead. A
 * missing, unreadable or damaged one means "not known": the node then
 * holds a whole promise_max, which is safe.
 */
/* The module's state. */
typedef struct coord {
        hbd_ctx_t *ctx;
        uint64_t term_writes;          /* state file writes (durable) */
        uint64_t promise_writes;       /* promise file writes */
        uint64_t durable_term;         /* what the file holds */
        uint32_t durable_vote;
        uint64_t written_promise;      /* what the promise file holds */
        char *promise_path;            /* state_file + ".promise" */
        char boot_id[33];              /* this boot's, "" when unknown */
        bool dead;                     /* could not persist: dying */
} coord_t;

#define STATE_MAGIC "hbeat-state 1"
#define PROMISE_MAGIC "hbeat-promise 1"
#define STATE_MAX 128

/* This boot's id, 32 lower-case hex digits, or "" when unknown. */
static void read_boot_id(char out[33])
{
        char *text = NULL;
        size_t len = 0, n = 0;

        out[0] = '\0';
        if (hbu_read_file("/proc/sys/kernel/random/boot_id", &text, &len) < 0)
                return;
        for (size_t i = 0; i < len && n < 32; i++)
                if ((text[i] >= '0' && text[i] <= '9') ||
                    (text[i] >= 'a' && text[i] <= 'f'))
                        out[n++] = text[i];
        out[n == 32 ? n : 0] = '\0';
        free(text);
}

/* Parse "boot_id HEX32\n" at *p. */
static bool boot_field(const char **p, char out[33])
{
        const char *q = *p;
        size_t n = 0;

        if (strncmp(q, "boot_id ", 8) != 0)
                return false;
        q += 8;
        while (n < 32 && ((q[n] >= '0' && q[n] <= '9') ||
                          (q[n] >= 'a' && q[n] <= 'f')))
                n++;
        if (n != 32 || q[n] != '\n')
                return false;
        memcpy(out, q, 32);
        out[32] = '\0';
        *p = q + 33;
        return true;
}

/*
 * Read the state file. 0 with the term and vote (*exists false and both 0
 * when the file does not exist: first start); -EINVAL (malformed) or
 * another negative errno, after logging why, naming the file.
 */
static int state_read(coord_t *d, const char *path, uint64_t *term,
                      uint32_t *vote, bool *exists)
{
        const char *p;
        uint64_t t, v;
        char *text = NULL;
        size_t len = 0;
        int r;

        *term = 0;
        *vote = 0;
        *exists = false;
        r = hbu_read_file(path, &text, &len);
        if (r == -ENOENT) {
                hbd_info(d->ctx->log, "state file %s does not exist: first "
                         "start, term 0", path);
                return 0;
        }
        if (r < 0) {
                hbd_error(d->ctx->log, "cannot read the state file %s: %s",
                          path, strerror(-r));
                return r;
        }
        p = text;
        if (len > STATE_MAX || memchr(text, '\0', len) != NULL ||
            strncmp(p, STATE_MAGIC "\n", sizeof(STATE_MAGIC)) != 0 ||
            (p += sizeof(STATE_MAGIC), !hbu_parse_field(&p, "term", UINT32_MAX,
                                                    &t)) ||
            !hbu_parse_field(&p, "voted_for", UINT32_MAX, &v) || *p != '\0') {
                hbd_error(d->ctx->log, "state file %s is malformed (expected "
                          "'%s', 'term N', 'voted_for N' on three lines); "
                          "refusing to start rather than reset the term: "
                          "repair it, or remove it only if this node's "
                          "term may start over at 0 (docs/operations.md)",
                          path, STATE_MAGIC);
                free(text);
                return -EINVAL;
        }
        free(text);
        *term = t;
        *vote = (uint32_t)v;
        *exists = true;
        return 0;
}

/* Write the term and vote durably (hbu_write_file_durable()). */
static int state_write(coord_t *d, uint64_t term, uint32_t vote)
{
        const char *path = d->ctx->cfg->election_state_file;
        char buf[STATE_MAX];
        int n, r;

        n = snprintf(buf, sizeof(buf), STATE_MAGIC "\nterm %" PRIu64
                     "\nvoted_for %" PRIu32 "\n", term, vote);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EOVERFLOW;
        r = hbu_write_file_durable(path, buf, (size_t)n, 0600);
        if (r < 0)
                return r;
        d->term_writes++;
        d->durable_term = term;
        d->durable_vote = vote;
        return 0;
}

/* The promise file's content: true with it when it is whole and names
 * this boot's id. */
static bool promise_read(const coord_t *d, uint64_t *until, char boot[33])
{
        char *text = NULL;
        const char *p;
        size_t len = 0;
        bool ok;

        if (hbu_read_file(d->promise_path, &text, &len) < 0)
                return false;
        p = text;
        ok = len <= STATE_MAX && memchr(text, '\0', len) == NULL &&
             strncmp(p, PROMISE_MAGIC "\n", sizeof(PROMISE_MAGIC)) == 0 &&
             (p += sizeof(PROMISE_MAGIC),
              hbu_parse_field(&p, "promise_until", UINT64_MAX, until)) &&
             boot_field(&p, boot) && *p == '\0';
        free(text);
        return ok;
}

/* Record `until` (hbu_write_file_replace(): no fsync, see above). */
static int promise_write(coord_t *d, uint64_t until)
{
        char buf[STATE_MAX];
        int n, r;

        if (d->boot_id[0] == '\0')
                return 0; /* useless without a boot id: never read back */
        n = snprintf(buf, sizeof(buf), PROMISE_MAGIC "\npromise_until %"
                     PRIu64 "\nboot_id %s\n", until, d->boot_id);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EOVERFLOW;
        r = hbu_write_file_replace(d->promise_path, buf, (size_t)n, 0600);
        if (r < 0)
                return r;
        d->promise_writes++;
        d->written_promise = until;
        return 0;
}

/*
 * Until when the promises of the previous run bind, on this boot's
 * monotonic clock: as recorded in this boot; if the record is of another
 * boot, at most promise_max after this boot began (the promises were made
 * before it, and the monotonic clock counts from it); 0 for a node that
 * never ran (no state file). False when it is not known (hold a whole
 * promise_max from now).
 */
static bool promise_to_restore(const coord_t *d, bool ran, uint64_t *until)
{
        char boot[33];
        uint64_t max = 0;

        if (!ran) {
                *until = 0;
                return true;
        }
        if (d->boot_id[0] == '\0' || !promise_read(d, until, boot))
                return false;
        if (strcmp(boot, d->boot_id) == 0)
                return true;
        if (hb_coord_promise_max(&d->ctx->cfg->node, &max) < 0)
                return false;
        *until = max;
        return true;
}

/* ---- events ------------------------------------------------------- */

static void on_term(coord_t *d, const hb_event_t *ev)
{
        const char *vote = hbd_name(d->ctx, ev->voted_for);
        int r;

        if (d->dead)
                return;
        if (ev->promise_until_ns > d->written_promise) {
                r = promise_write(d, ev->promise_until_ns);
                if (r < 0)
                        /* Safe to lose: a restart then holds a whole
                         * promise_max. Said once per failure. */
                        hbd_warn(d->ctx->log, "cannot record the lease "
                                 "promise in %s: %s (a restart will wait "
                                 "longer before voting)", d->promise_path,
                                 strerror(-r));
        }
        if (ev->term == d->durable_term && ev->voted_for == d->durable_vote)
                return; /* a promise only */
        r = state_write(d, ev->term, ev->voted_for);
        if (r < 0) {
                hbd_error(d->ctx->log, "cannot persist term %" PRIu64 " to "
                          "the state file %s: %s; stopping: a node that "
                          "cannot keep its term must not vote",
                          ev->term, d->ctx->cfg->election_state_file,
                          strerror(-r));
                d->dead = true;
                d->ctx->die(d->ctx, 1);
                return;
        }
        hbd_debug(d->ctx->log, "term %" PRIu64 ", voted for %s (persisted)",
                  ev->term, ev->voted_for == 0 ? "nobody" :
                  vote != NULL ? vote : "an unknown id");
}

/* Role and quorum changes: one log line. */
static void log_coord_event(coord_t *d, const hbd_event_t *bev)
{
        const hb_event_t *ev = bev->core;
        const char *leader = bev->leader_name;
        const char *why = ev->why != NULL && ev->why[0] != '\0' ? ev->why
                                                                : "-";
        char lead[HBD_NAME_MAX + 16] = "";

        if (ev->type == HB_EVENT_ROLE) {
                if (ev->new_role == HB_ROLE_FOLLOWER && ev->leader_id != 0)
                        snprintf(lead, sizeof(lead), ", leader %s",
                                 leader != NULL ? leader : "?");
                hbd_logj(d->ctx->log, ev->new_role == HB_ROLE_NO_QUORUM ?
                         HBD_LOG_WARNING : HBD_LOG_INFO,
                         json_pack("{s:s, s:s, s:I, s:I, s:s}",
                                   "old_role", hb_role_name(ev->old_role),
                                   "new_role", hb_role_name(ev->new_role),
                                   "term", (json_int_t)ev->term,
                                   "leader_id", (json_int_t)ev->leader_id,
                                   "reason", why),
                         "role %s -> %s (term %" PRIu64 "%s, %s)",
                         hb_role_name(ev->old_role),
                         hb_role_name(ev->new_role), ev->term, lead, why);
        } else {
                hbd_logj(d->ctx->log, ev->quorate ? HBD_LOG_INFO :
                         HBD_LOG_WARNING,
                         json_pack("{s:b, s:I, s:s}", "quorate",
                                   (int)ev->quorate, "term",
                                   (json_int_t)ev->term, "reason", why),
                         "quorum %s (term %" PRIu64 ", %s)",
                         ev->quorate ? "gained" : "lost", ev->term, why);
        }
}

/*
 * Give the node its durable term back, and write the file once now: a
 * state directory that does not exist or cannot be written fails the start
 * here, with its reason, rather than the first election.
 */
static int restore_term(coord_t *d)
{
        const char *path = d->ctx->cfg->election_state_file;
        const char *slash = strrchr(path, '/');
        uint64_t term, until = 0, now = uv_hrtime();
        uint32_t vote;
        bool exists;
        int r;

        read_boot_id(d->boot_id);
        if (asprintf(&d->promise_path, "%s.promise", path) < 0) {
                d->promise_path = NULL;
                return -ENOMEM;
        }
        r = state_read(d, path, &term, &vote, &exists);
        if (r < 0)
                return r;
        r = hb_node_restore_term(d->ctx->node, term, vote);
        if (r < 0) {
                hbd_error(d->ctx->log, "cannot restore term %" PRIu64 ": %s",
                          term, hb_strerror(r));
                return r;
        }
        if (promise_to_restore(d, exists, &until)) {
                r = hb_node_restore_promise(d->ctx->node, until);
                if (r < 0)
                        return r;
                if (until > now)
                        hbd_info(d->ctx->log, "votes for no other candidate "
                                 "for %" PRIu64 " ms: lease promises of the "
                                 "previous run", (until - now) /
                                 HB_NS_PER_MS);
        } else {
                uint64_t max = 0;

                (void)hb_coord_promise_max(&d->ctx->cfg->node, &max);
                hbd_info(d->ctx->log, "votes for no other candidate for "
                         "%" PRIu64 " ms: the promises of the previous run "
                         "are not known (%s)", max / HB_NS_PER_MS,
                         d->promise_path);
                /* The core holds that long from its start: what the
                 * record must say if this run ends before it promises. */
                until = now + max;
        }
        /* The default /var/lib/hbeat may not exist yet: create the last
         * level only, like a package would. */
        if (slash != NULL && slash != path) {
                char *dir = strndup(path, (size_t)(slash - path));

                if (dir == NULL)
                        return -ENOMEM;
                if (mkdir(dir, 0750) == 0)
                        hbd_info(d->ctx->log, "created %s", dir);
                free(dir);
        }
        r = state_write(d, term, vote);
        if (r < 0) {
                hbd_error(d->ctx->log, "cannot write the state file %s: %s",
                          path, strerror(-r));
                return r;
        }
        (void)promise_write(d, until);
        return 0;
}

/* ---- the module ---------------------------------------------------- */

static int start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        coord_t *d;
        int r;

        *state = NULL;
        if (!cfg->node.coord.enabled)
                return 0;
        d = calloc(1, sizeof(*d));
        if (d == NULL)
                return -ENOMEM;
        d->ctx = ctx;
        /* Before any datagram or tick: the loop has not run yet. */
        r = restore_term(d);
        if (r < 0) {
                free(d->promise_path);
                free(d);
                return r;
        }
        hbd_info(ctx->log, "election enabled: term %" PRIu64 " (state file "
                 "%s), votes %" PRIu32 "%s, priority %" PRIu32 "%s, delay "
                 "%" PRIu64 " ms", d->durable_term,
                 cfg->election_state_file, cfg->node.coord.votes,
                 cfg->node.coord.witness ? " (witness)" : "",
                 cfg->node.coord.priority,
                 cfg->node.coord.preempt ? ", preempt" : "",
                 cfg->node.coord.election_delay_ns / HB_NS_PER_MS);
        *state = d;
        return 0;
}

static void on_event(void *state, const hbd_event_t *ev)
{
        coord_t *d = state;

        if (d == NULL)
                return;
        switch (ev->core->type) {
        case HB_EVENT_TERM:
                on_term(d, ev->core);
                return;
        case HB_EVENT_ROLE:
        case HB_EVENT_QUORUM:
                log_coord_event(d, ev);
                return;
        default:
                return;
        }
}

static void status(void *state, json_t *doc)
{
        const coord_t *d = state;
        json_t *counters = json_object_get(doc, "counters");

        if (d != NULL && counters != NULL) {
                json_object_set_new(counters, "term_writes",
                                    json_integer((json_int_t)d->term_writes));
                json_object_set_new(counters, "promise_writes",
                                    json_integer(
                                            (json_int_t)d->promise_writes));
        }
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        coord_t *d = state;

        if (d != NULL)
                free(d->promise_path);
        free(d);
        done(arg);
}

/* election.* cannot change on reload but for priority, preempt and the
 * delay, which are the core's (hbd_config_reloadable(), reload.c). */
const hbd_module_t hbd_coord_module = {
        .name = "coordination",
        .events = HBD_EV_CORE,
        .start = start,
        .on_event = on_event,
        .status = status,
        .stop = stop,
};
