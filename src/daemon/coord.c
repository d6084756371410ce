/* SPDX-License-Identifier: MIT */
/*
 * hbeatd's coordination side (election.enabled): the term state file and
 * the core's TERM / ROLE / QUORUM events. daemon.c owns the loop and the
 * daemon object and calls in here (coord.h); the election itself is the
 * core's (src/core), this file only makes its decisions durable and
 * visible. Vote requests and responses leave through the node's output
 * queue like every message (the libuv adapter sends them).
 *
 * A term or vote change (HB_EVENT_TERM) is written to
 * election.state_file and fsync()ed from inside the event callback, that
 * is before the vote it stands for can leave the node's output queue. If
 * that write fails the node must not vote: hbeatd mutes the adapter and
 * stops at once, without a leave message, and exits 1 (fail safe; see
 * hbeatd(8)); the stopping itself is daemon.c's
 * (hbd_daemon_die_unpersisted()). At start the file gives the term back
 * (hb_node_restore_term()); a missing file is term 0, a malformed one an
 * error: a term is never silently reset.
 *
 * Role and quorum changes are logged once here, published on the control
 * socket and handed to the role scripts (notify.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ctl_proto.h"
#include "common/util.h"
#include "daemon/actions.h"
#include "daemon/vip.h"
#include "daemon/coord.h"
#include "daemon/ctl_server.h"

/* ---- term persistence --------------------------------------------- */

/*
 * election.state_file holds three lines, nothing else:
 *
 *     hbeat-state 1
 *     term 7
 *     voted_for 2
 *
 * Text, so an operator can read it; strict, so a damaged file is refused
 * rather than read as term 0.
 */
#define STATE_MAGIC "hbeat-state 1"
#define STATE_MAX 128

/* Parse "KEY DIGITS\n" at *p into *out; advances *p. */
static bool state_field(const char **p, const char *key, uint64_t max,
                        uint64_t *out)
{
        size_t kl = strlen(key);
        const char *q = *p;
        uint64_t v = 0;

        if (strncmp(q, key, kl) != 0 || q[kl] != ' ')
                return false;
        q += kl + 1;
        if (*q < '0' || *q > '9')
                return false;
        for (; *q >= '0' && *q <= '9'; q++) {
                if (v > (max - (uint64_t)(*q - '0')) / 10)
                        return false;
                v = v * 10 + (uint64_t)(*q - '0');
        }
        if (*q != '\n')
                return false;
        *p = q + 1;
        *out = v;
        return true;
}

/*
 * Read the state file. 0 with the term and vote, or 0 with both 0 when
 * the file does not exist (first start); -EINVAL (malformed) or another
 * negative errno, after logging why, naming the file.
 */
static int state_read(hbd_daemon_t *d, const char *path, uint64_t *term,
                      uint32_t *vote)
{
        const char *p;
        uint64_t t, v;
        char *text = NULL;
        size_t len = 0;
        int r;

        r = hbu_read_file(path, &text, &len);
        if (r == -ENOENT) {
                hbd_info(&d->log, "state file %s does not exist: first "
                         "start, term 0", path);
                *term = 0;
                *vote = 0;
                return 0;
        }
        if (r < 0) {
                hbd_error(&d->log, "cannot read the state file %s: %s",
                          path, strerror(-r));
                return r;
        }
        p = text;
        if (len > STATE_MAX || memchr(text, '\0', len) != NULL ||
            strncmp(p, STATE_MAGIC "\n", sizeof(STATE_MAGIC)) != 0 ||
            (p += sizeof(STATE_MAGIC), !state_field(&p, "term", UINT64_MAX,
                                                    &t)) ||
            !state_field(&p, "voted_for", UINT32_MAX, &v) || *p != '\0') {
                hbd_error(&d->log, "state file %s is malformed (expected "
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
        return 0;
}

/* Write the term and vote durably (hbu_write_file_durable()). */
static int state_write(hbd_daemon_t *d, uint64_t term, uint32_t vote)
{
        const char *path = d->cfg->election_state_file;
        char buf[STATE_MAX];
        int n, r;

        n = snprintf(buf, sizeof(buf), STATE_MAGIC "\nterm %" PRIu64
                     "\nvoted_for %" PRIu32 "\n", term, vote);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EOVERFLOW;
        r = hbu_write_file_durable(path, buf, (size_t)n, 0600);
        if (r < 0)
                return r;
        d->counters.term_writes++;
        d->durable_term = term;
        d->durable_vote = vote;
        return 0;
}

/* ---- events ------------------------------------------------------- */

static void on_term(hbd_daemon_t *d, const hb_event_t *ev)
{
        const char *vote = hbd_node_name(d, ev->voted_for);
        int r;

        if (d->fatal)
                return;
        r = state_write(d, ev->term, ev->voted_for);
        if (r < 0) {
                hbd_error(&d->log, "cannot persist term %" PRIu64 " to the "
                          "state file %s: %s; stopping: a node that cannot "
                          "keep its term must not vote",
                          ev->term, d->cfg->election_state_file,
                          strerror(-r));
                hbd_daemon_die_unpersisted(d);
                return;
        }
        hbd_debug(&d->log, "term %" PRIu64 ", voted for %s (persisted)",
                  ev->term, ev->voted_for == 0 ? "nobody" :
                  vote != NULL ? vote : "an unknown id");
}

/* Role and quorum changes: one log line, the control socket, scripts. */
static void on_coord_event(hbd_daemon_t *d, const hb_event_t *ev)
{
        const char *leader = hbd_node_name(d, ev->leader_id);
        const char *why = ev->why != NULL && ev->why[0] != '\0' ? ev->why
                                                                : "-";
        uint64_t wall = hbd_event_wall_ns(ev->at_ns);
        hbd_notify_node_t me;
        char lead[HBD_NAME_MAX + 16] = "";

        if (ev->type == HB_EVENT_ROLE) {
                if (ev->new_role == HB_ROLE_FOLLOWER && ev->leader_id != 0)
                        snprintf(lead, sizeof(lead), ", leader %s",
                                 leader != NULL ? leader : "?");
                hbd_logj(&d->log, ev->new_role == HB_ROLE_NO_QUORUM ?
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
                hbd_logj(&d->log, ev->quorate ? HBD_LOG_INFO :
                         HBD_LOG_WARNING,
                         json_pack("{s:b, s:I, s:s}", "quorate",
                                   (int)ev->quorate, "term",
                                   (json_int_t)ev->term, "reason", why),
                         "quorum %s (term %" PRIu64 ", %s)",
                         ev->quorate ? "gained" : "lost", ev->term, why);
        }
        hbd_ctl_publish(d->ctl, hb_ctl_coord_event_json(
                                        ev, d->cfg->node_name, leader, wall));
        me.name = d->cfg->node_name;
        me.id = d->cfg->node.node_id;
        hbd_notify_coord(d->notify, ev, &me, leader, wall);
}

void hbd_coord_event(hbd_daemon_t *d, const hb_event_t *ev)
{
        switch (ev->type) {
        case HB_EVENT_TERM:
                on_term(d, ev);
                return;
        case HB_EVENT_ROLE:
                on_coord_event(d, ev);
                /* The policy: resource and VIPs (actions.c). */
                hbd_actions_on_role(d, ev);
                return;
        case HB_EVENT_QUORUM:
                on_coord_event(d, ev);
                hbd_vip_on_quorum(d, ev);
                return;
        default:
                return;
        }
}

/* ---- start-up ----------------------------------------------------- */

/* Seed of the election delay's PRNG: distinct per node and run, so two
 * nodes never draw the same delays. */
uint64_t hbd_coord_delay_seed(void)
{
        uint64_t seed = 0;

        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
            (ssize_t)sizeof(seed))
                seed = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^
                       hbd_wall_now_ns();
        return seed;
}

/*
 * Give the node its durable term back, and write the file once now: a
 * state directory that does not exist or cannot be written fails the start
 * here, with its reason, rather than the first election.
 */
int hbd_coord_restore_term(hbd_daemon_t *d)
{
        const char *path = d->cfg->election_state_file;
        const char *slash = strrchr(path, '/');
        uint64_t term = 0;
        uint32_t vote = 0;
        int r;

        r = state_read(d, path, &term, &vote);
        if (r < 0)
                return r;
        r = hb_node_restore_term(d->node, term, vote);
        if (r < 0) {
                hbd_error(&d->log, "cannot restore term %" PRIu64 ": %s",
                          term, hb_strerror(r));
                return r;
        }
        /* The default /var/lib/hbeat may not exist yet: create the last
         * level only, like a package would. */
        if (slash != NULL && slash != path) {
                char *dir = strndup(path, (size_t)(slash - path));

                if (dir == NULL)
                        return -ENOMEM;
                if (mkdir(dir, 0750) == 0)
                        hbd_info(&d->log, "created %s", dir);
                free(dir);
        }
        r = state_write(d, term, vote);
        if (r < 0) {
                hbd_error(&d->log, "cannot write the state file %s: %s",
                          path, strerror(-r));
                return r;
        }
        return 0;
}
