/* SPDX-License-Identifier: MIT */
/*
 * hbeatd's configuration reload (SIGHUP, control `reload`): re-read the
 * config file, diff it against the running one, validate, then apply all
 * or nothing, across the node and every module (module.h). Runs on the
 * loop thread only.
 *
 * Steps, in hbd_reload():
 *   load      hbd_config_load() of ctx->config_path (parse + check)
 *   check     hbd_config_reloadable(): a change to a setting that needs
 *             a restart (identity, sockets, quorum: the knob table's
 *             reload column) refuses the reload, naming the setting
 *   plan      plan_reload(): the node's half of the diff (peers to add
 *             and remove, the next core config) and a one-line summary of
 *             every change for the log; hb_node_config_validate() on the
 *             next core config; every allocation happens here
 *   prepare   hbd_bus_prepare(): every module checks `next` and
 *             allocates what its change needs (health checks, VIPs,
 *             notify settings, the policy's settings), changing nothing
 *   commit    the node: peers added, hb_node_reconfigure() — the only
 *             steps that can fail (-ENOMEM, node unchanged; added peers
 *             are removed again and every module plan aborted); then
 *             what cannot fail: ctx->cfg becomes `next`, every module
 *             commits, peers removed, peer addresses, the PEERS event,
 *             the log's name, hb_uv_node_flush()
 *
 * A failed reload leaves the daemon exactly as it was, logs why once and
 * counts it (ctx->reload_failures); systemd hears RELOADING=1 before and
 * READY=1 after either way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "daemon/reload.h"

/*
 * A reload is planned first (diff, validation, every allocation) and then
 * committed. The commit's only steps that can fail are adding peers
 * (-ENOMEM) and hb_node_reconfigure() (-ENOMEM, node unchanged); peers
 * are added first and removed again if anything after them fails, so a
 * failed reload leaves the daemon exactly as it was.
 */
struct reload_plan {
        hb_node_config_t nc;           /* next core config (incarnation set) */
        bool core_changed;
        uint32_t *add, *remove;
        size_t n_add, n_remove;
        FILE *summary;                 /* what changed, for the log line */
        char *summary_text;
        size_t summary_len;
        unsigned changes;
        unsigned peer_notes;
};

/* ---- the plan: diff and validation ------------------------------- */

static void note(struct reload_plan *p, const char *fmt, ...) HBD_PRINTF(2, 3);

static void note(struct reload_plan *p, const char *fmt, ...)
{
        va_list ap;

        if (p->changes++ > 0)
                fputs("; ", p->summary);
        va_start(ap, fmt);
        vfprintf(p->summary, fmt, ap);
        va_end(ap);
}

static void ms_change(struct reload_plan *p, const char *name, uint64_t a,
                      uint64_t b)
{
        if (a != b)
                note(p, "%s %" PRIu64 " -> %" PRIu64 " ms", name,
                     a / HB_NS_PER_MS, b / HB_NS_PER_MS);
}

/* "keys 0 -> 0,1", "primary key 0 -> 1", "key 1 replaced": ids and
 * modes only, never key material. */
static void ring_ids(char *buf, size_t cap, const hb_keyring_t *r)
{
        size_t o = 0;

        buf[0] = '\0';
        for (uint32_t i = 0; i < r->n && o < cap; i++)
                o += (size_t)snprintf(buf + o, cap - o, "%s%u%s",
                                      i ? "," : "", (unsigned)r->ids[i],
                                      r->modes[i] == HB_WIRE_MODE_AEAD
                                              ? "(aead)" : "");
}

static void ring_change(struct reload_plan *p, const hb_node_config_t *a,
                        const hb_node_config_t *b)
{
        const hb_keyring_t *ra = &a->keyring, *rb = &b->keyring;
        char ia[64], ib[64];

        ring_ids(ia, sizeof ia, ra);
        ring_ids(ib, sizeof ib, rb);
        if (strcmp(ia, ib) != 0)
                note(p, "keys %s -> %s", ia, ib);
        if (ra->primary != rb->primary)
                note(p, "primary key %u -> %u", (unsigned)ra->primary,
                     (unsigned)rb->primary);
        for (uint32_t i = 0; i < rb->n; i++) {
                int j = hb_keyring_find(ra, rb->ids[i]);

                if (j >= 0 && sodium_memcmp(&ra->keys[j], &rb->keys[i],
                                            sizeof(hb_key_t)) != 0)
                        note(p, "key %u replaced", (unsigned)rb->ids[i]);
        }
        if (ra->n == 0 && rb->n == 0 &&
            sodium_memcmp(&a->key, &b->key, sizeof(a->key)) != 0)
                note(p, "cluster key changed");
}

static void plan_core(struct reload_plan *p, const hb_node_config_t *a,
                      const hb_node_config_t *b)
{
        const hb_detector_config_t *da = &a->detector, *db = &b->detector;
        unsigned before = p->changes;

        ms_change(p, "interval", a->interval_ns, b->interval_ns);
        if (da->kind != db->kind)
                note(p, "detector %s -> %s", hb_detector_kind_name(da->kind),
                     hb_detector_kind_name(db->kind));
        if (da->window != db->window)
                note(p, "window %" PRIu32 " -> %" PRIu32, da->window,
                     db->window);
        ms_change(p, "min_std_dev", da->min_std_dev_ns, db->min_std_dev_ns);
        ms_change(p, "acceptable_pause", da->acceptable_pause_ns,
                  db->acceptable_pause_ns);
        ms_change(p, "first_estimate", da->first_estimate_ns,
                  db->first_estimate_ns);
        if (a->suspect_threshold != b->suspect_threshold)
                note(p, "suspect_threshold %g -> %g", a->suspect_threshold,
                     b->suspect_threshold);
        if (a->dead_threshold != b->dead_threshold)
                note(p, "dead_threshold %g -> %g", a->dead_threshold,
                     b->dead_threshold);
        ms_change(p, "dead_after", a->dead_after_ns, b->dead_after_ns);
        ms_change(p, "probation", a->probation_ns, b->probation_ns);
        ms_change(p, "local_pause", a->local_pause_ns, b->local_pause_ns);
        ms_change(p, "max_clock_skew", a->incarnation_ahead_max_ns,
                  b->incarnation_ahead_max_ns);
        /* Only these coordination settings may change (see
         * hbd_config_reloadable()). */
        if (a->coord.priority != b->coord.priority)
                note(p, "election priority %" PRIu32 " -> %" PRIu32,
                     a->coord.priority, b->coord.priority);
        if (a->coord.preempt != b->coord.preempt)
                note(p, "election preempt %s -> %s",
                     a->coord.preempt ? "on" : "off",
                     b->coord.preempt ? "on" : "off");
        ms_change(p, "election delay", a->coord.election_delay_ns,
                  b->coord.election_delay_ns);
        ring_change(p, a, b);
        if (a->n_classes != b->n_classes ||
            memcmp(a->classes, b->classes,
                   b->n_classes * sizeof(b->classes[0])) != 0)
                note(p, "classes changed (%" PRIu32 " -> %" PRIu32 ")",
                     a->n_classes, b->n_classes);
        p->core_changed = p->changes != before;
}

/* The log line names at most this many peer changes, then counts. */
#define MAX_PEER_NOTES 8

static bool peer_note(struct reload_plan *p)
{
        return ++p->peer_notes <= MAX_PEER_NOTES;
}

static bool same_addr(const hbd_peer_conf_t *a, const hbd_peer_conf_t *b)
{
        return hbu_address_equal((const struct sockaddr *)&a->addr,
                                 (const struct sockaddr *)&b->addr);
}

static void path_change(struct reload_plan *p, const char *name,
                        const char *a, const char *b)
{
        if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
                note(p, "%s %s -> %s", name, a != NULL ? a : "(none)",
                     b != NULL ? b : "(none)");
}

static int plan_reload(hbd_ctx_t *ctx, const hbd_config_t *next,
                       struct reload_plan *p)
{
        const hbd_config_t *cur = ctx->cfg;
        const char *script_a = cur->notify_script;
        const char *script_b = next->notify_script;
        size_t i;

        p->summary = open_memstream(&p->summary_text, &p->summary_len);
        p->add = calloc(next->n_peers + 1, sizeof(*p->add));
        p->remove = calloc(cur->n_peers + 1, sizeof(*p->remove));
        if (p->summary == NULL || p->add == NULL || p->remove == NULL)
                return -ENOMEM;

        p->nc = next->node;
        p->nc.incarnation = ctx->incarnation;
        /* The delay's PRNG goes on where it is. */
        p->nc.coord.seed = hb_node_config(ctx->node)->coord.seed;
        if (strcmp(cur->node_name, next->node_name) != 0)
                note(p, "node name %s -> %s", cur->node_name,
                     next->node_name);
        plan_core(p, hb_node_config(ctx->node), &p->nc);
        if (p->core_changed && hb_node_config_validate(&p->nc) < 0)
                return -EINVAL;

        for (i = 0; i < next->n_peers; i++) {
                const hbd_peer_conf_t *b = &next->peers[i];
                const hbd_peer_conf_t *a = hbd_config_peer(cur, b->id);

                if (a == NULL) {
                        p->add[p->n_add++] = b->id;
                        if (peer_note(p))
                                note(p, "+peer %s (id %" PRIu32 ", %s)",
                                     b->name, b->id, b->address);
                        continue;
                }
                if (strcmp(a->name, b->name) != 0 && peer_note(p))
                        note(p, "peer id %" PRIu32 " renamed %s -> %s",
                             b->id, a->name, b->name);
                if ((!same_addr(a, b) || strcmp(a->address, b->address) != 0)
                    && peer_note(p))
                        note(p, "peer %s (id %" PRIu32 ") address %s -> %s",
                             b->name, b->id, a->address, b->address);
                if (a->roaming != b->roaming && peer_note(p))
                        note(p, "peer %s (id %" PRIu32 ") roaming %s",
                             b->name, b->id, b->roaming ? "on" : "off");
                if (strcmp(a->class_name, b->class_name) != 0 &&
                    peer_note(p))
                        note(p, "peer %s (id %" PRIu32 ") class %s -> %s",
                             b->name, b->id,
                             a->class_name[0] ? a->class_name : "default",
                             b->class_name[0] ? b->class_name : "default");
        }
        for (i = 0; i < cur->n_peers; i++) {
                const hbd_peer_conf_t *a = &cur->peers[i];

                if (hbd_config_peer(next, a->id) == NULL) {
                        p->remove[p->n_remove++] = a->id;
                        if (peer_note(p))
                                note(p, "-peer %s (id %" PRIu32 ")", a->name,
                                     a->id);
                }
        }
        if (p->peer_notes > MAX_PEER_NOTES)
                note(p, "%u more peer changes (%zu added, %zu removed in "
                     "all)", p->peer_notes - MAX_PEER_NOTES, p->n_add,
                     p->n_remove);

        if ((script_a == NULL) != (script_b == NULL) ||
            (script_a != NULL && strcmp(script_a, script_b) != 0))
                note(p, "notify script %s -> %s",
                     script_a != NULL ? script_a : "(none)",
                     script_b != NULL ? script_b : "(none)");
        ms_change(p, "notify timeout", cur->notify_timeout_ns,
                  next->notify_timeout_ns);
        path_change(p, "notify on_leader", cur->notify_on_leader,
                    next->notify_on_leader);
        path_change(p, "notify on_follower", cur->notify_on_follower,
                    next->notify_on_follower);
        path_change(p, "notify on_no_quorum", cur->notify_on_no_quorum,
                    next->notify_on_no_quorum);
        if (cur->n_checks != next->n_checks)
                note(p, "%zu -> %zu health checks", cur->n_checks,
                     next->n_checks);
        if (cur->n_vips != next->n_vips)
                note(p, "%zu -> %zu virtual IPs", cur->n_vips, next->n_vips);
        if (fflush(p->summary) != 0)
                return -ENOMEM;
        return 0;
}

static void plan_free(struct reload_plan *p)
{
        if (p->summary != NULL)
                fclose(p->summary);
        free(p->summary_text);
        free(p->add);
        free(p->remove);
        hb_key_wipe(&p->nc.key);
        hb_keyring_wipe(&p->nc.keyring);
}

/* ---- commit ------------------------------------------------------- */

/* The node's half, the part that can fail: peers added, the core
 * reconfigured. On failure the added peers are removed again. */
static int commit_node(hbd_ctx_t *ctx, const hbd_config_t *next,
                       struct reload_plan *p, char *err, size_t errlen)
{
        uint64_t now = uv_hrtime();
        size_t i, added;
        int r = 0;

        for (added = 0; added < p->n_add; added++) {
                const hbd_peer_conf_t *pc = hbd_config_peer(next,
                                                            p->add[added]);

                r = hb_uv_node_peer_add(ctx->un, p->add[added],
                                        pc->external ? NULL :
                                        (const struct sockaddr *)&pc->addr);
                if (r < 0) {
                        snprintf(err, errlen, "cannot add peer id %" PRIu32
                                 ": %s", p->add[added], hb_strerror(r));
                        break;
                }
        }
        if (r == 0 && p->core_changed) {
                r = hb_node_reconfigure(ctx->node, &p->nc, now);
                if (r < 0)
                        snprintf(err, errlen, "the core refused the new "
                                 "settings: %s", hb_strerror(r));
        }
        /* Every peer in its class (docs/classes.md); a no-op for those
         * that stay. */
        for (i = 0; r == 0 && i < next->n_peers; i++) {
                r = hb_node_peer_set_class(ctx->node, next->peers[i].id,
                                           next->peers[i].class_idx, now);
                if (r < 0)
                        snprintf(err, errlen, "cannot put peer %s in its "
                                 "class: %s", next->peers[i].name,
                                 hb_strerror(r));
        }
        /* docs/hierarchy.md: regions are not reloadable, a new peer
         * gets its own; a no-op for those that stay. */
        for (i = 0; r == 0 && next->node.hier.enabled && i < next->n_peers;
             i++) {
                r = hb_node_peer_set_region(ctx->node, next->peers[i].id,
                                            next->peers[i].region,
                                            next->peers[i].elector);
                if (r < 0)
                        snprintf(err, errlen, "cannot put peer %s in its "
                                 "region: %s", next->peers[i].name,
                                 hb_strerror(r));
        }
        if (r < 0)
                for (i = 0; i < added; i++)
                        (void)hb_uv_node_peer_remove(ctx->un, p->add[i]);
        return r;
}

/* Everything after the node's half: cannot fail. */
static void commit_rest(hbd_ctx_t *ctx, const hbd_config_t *next,
                        struct reload_plan *p)
{
        hbd_event_t ev;
        size_t i;

        ctx->cfg = next;
        hbd_bus_commit(ctx);
        for (i = 0; i < p->n_remove; i++)
                (void)hb_uv_node_peer_remove(ctx->un, p->remove[i]);
        for (i = 0; i < next->n_peers; i++) {
                const hbd_peer_conf_t *pc = &next->peers[i];

                (void)hb_uv_node_peer_set_address(
                        ctx->un, pc->id,
                        pc->external ? NULL
                                     : (const struct sockaddr *)&pc->addr);
                /* links[] itself is not reloadable: the same count. */
                for (size_t k = 1; k < next->n_links; k++)
                        (void)hb_uv_node_peer_set_link_address(
                                ctx->un, pc->id, (uint32_t)k,
                                pc->addresses ? (const struct sockaddr *)&pc
                                                        ->link_addr[k]
                                              : NULL);
                (void)hb_node_peer_set_roaming(ctx->node, pc->id,
                                               pc->roaming);
        }
        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_PEERS;
        ev.at_ns = uv_hrtime();
        ev.wall_ns = hbd_wall_now_ns();
        hbd_emit(ctx, &ev);
        hbd_log_set_node(ctx->log, next->node_name);
        hb_uv_node_flush(ctx->un);
}

/* ---- entry point -------------------------------------------------- */

/* See reload.h. */
int hbd_reload(hbd_ctx_t *ctx, hbd_config_t **owned, char *err,
               size_t errlen)
{
        hbd_config_t *next = NULL;
        struct reload_plan plan;
        const char *what = NULL;
        char usec[96];
        int r;

        snprintf(usec, sizeof(usec), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
                 uv_hrtime() / 1000);
        hbd_sd_notify(usec);
        hbd_info(ctx->log, "reloading the configuration from %s",
                 ctx->config_path);
        memset(&plan, 0, sizeof(plan));
        r = hbd_config_load(&next, ctx->config_path, err, errlen);
        if (r == 0 && !hbd_config_reloadable(ctx->cfg, next, &what)) {
                snprintf(err, errlen, "%s cannot change on reload; restart "
                         "hbeatd", what != NULL ? what : "a setting");
                r = -EINVAL;
        }
        if (r == 0) {
                r = plan_reload(ctx, next, &plan);
                if (r == -EINVAL)
                        snprintf(err, errlen, "%s: the new timing and "
                                 "detector settings are inconsistent",
                                 ctx->config_path);
                else if (r < 0)
                        snprintf(err, errlen, "out of memory");
        }
        if (r == 0)
                r = hbd_bus_prepare(ctx, next, err, errlen);
        if (r == 0) {
                r = commit_node(ctx, next, &plan, err, errlen);
                if (r < 0)
                        hbd_bus_abort(ctx);
        }
        if (r == 0) {
                commit_rest(ctx, next, &plan);
                hbd_info(ctx->log, "configuration reloaded: %s",
                         plan.changes > 0 ? plan.summary_text :
                         "no changes");
                hbd_config_free(*owned);
                *owned = next;
                ctx->reloads++;
        } else {
                hbd_config_free(next);
                ctx->reload_failures++;
                hbd_error(ctx->log, "reload failed, keeping the running "
                          "configuration: %s", err);
        }
        plan_free(&plan);
        hbd_sd_notify("READY=1");
        return r;
}
