/* SPDX-License-Identifier: MIT */
/*
 * The daemon's bus (module.h): the list of started modules, the one
 * fan-out of daemon events, and the loops that start-up, shutdown, reload
 * and the status document are.
 *
 * Depends on nothing of the daemon but module.h and log.h: modules include
 * module.h to emit and to look names up, and never each other, so no call
 * or include arrow of src/daemon runs back from a module to the daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/module.h"

struct hbd_bus {
        const hbd_module_t *const *mods;
        size_t n;
        size_t started;                /* mods[0 .. started) are up */
        void **state;
        void **plan;                   /* a reload's plans, while prepared */
        bool prepared;
        unsigned wants;                /* union of the modules' events */
        size_t stopping;               /* modules not yet stopped */
        void (*done)(void *arg);
        void *done_arg;
};

int hbd_bus_start(hbd_ctx_t *ctx, const hbd_module_t *const *mods, size_t n)
{
        struct hbd_bus *bus;
        size_t i;
        int r;

        bus = calloc(1, sizeof(*bus));
        if (!bus)
                return -ENOMEM;
        bus->state = calloc(n ? n : 1, sizeof(*bus->state));
        bus->plan = calloc(n ? n : 1, sizeof(*bus->plan));
        if (!bus->state || !bus->plan) {
                free(bus->state);
                free(bus->plan);
                free(bus);
                return -ENOMEM;
        }
        bus->mods = mods;
        bus->n = n;
        ctx->bus = bus;
        for (i = 0; i < n; i++) {
                r = mods[i]->start(ctx, &bus->state[i]);
                if (r < 0)
                        return r; /* the caller stops what was started */
                bus->started = i + 1;
                bus->wants |= mods[i]->events;
        }
        return 0;
}

static void stop_next(void *arg);

static void stopped_one(void *arg)
{
        hbd_ctx_t *ctx = arg;

        stop_next(ctx);
}

/* Stop the last started module; after the first, the others in turn. */
static void stop_next(void *arg)
{
        hbd_ctx_t *ctx = arg;
        struct hbd_bus *bus = ctx->bus;
        void (*done)(void *);
        void *done_arg;
        size_t i;

        if (bus->started > 0) {
                i = --bus->started;
                bus->wants = 0;
                for (size_t k = 0; k < bus->started; k++)
                        bus->wants |= bus->mods[k]->events;
                if (bus->mods[i]->stop) {
                        bus->mods[i]->stop(bus->state[i], stopped_one, ctx);
                        return;
                }
                stop_next(ctx);
                return;
        }
        done = bus->done;
        done_arg = bus->done_arg;
        free(bus->state);
        free(bus->plan);
        free(bus);
        ctx->bus = NULL;
        if (done)
                done(done_arg);
}

void hbd_bus_stop(hbd_ctx_t *ctx, void (*done)(void *arg), void *arg)
{
        struct hbd_bus *bus = ctx->bus;

        if (!bus) {
                if (done)
                        done(arg);
                return;
        }
        if (bus->prepared)
                hbd_bus_abort(ctx);
        bus->done = done;
        bus->done_arg = arg;
        stop_next(ctx);
}

void hbd_emit(hbd_ctx_t *ctx, const hbd_event_t *ev)
{
        struct hbd_bus *bus = ctx->bus;
        size_t i;

        if (!bus || !(bus->wants & ev->kind))
                return;
        for (i = 0; i < bus->started; i++)
                if ((bus->mods[i]->events & ev->kind) &&
                    bus->mods[i]->on_event)
                        bus->mods[i]->on_event(bus->state[i], ev);
}

bool hbd_bus_wants(const hbd_ctx_t *ctx, hbd_event_kind_t kind)
{
        return ctx->bus && (ctx->bus->wants & kind) != 0;
}

void hbd_bus_status(hbd_ctx_t *ctx, json_t *doc)
{
        struct hbd_bus *bus = ctx->bus;
        size_t i;

        for (i = 0; bus && i < bus->started; i++)
                if (bus->mods[i]->status)
                        bus->mods[i]->status(bus->state[i], doc);
}

void hbd_bus_metrics(hbd_ctx_t *ctx, struct hbd_prom *out)
{
        struct hbd_bus *bus = ctx->bus;
        size_t i;

        for (i = 0; bus && i < bus->started; i++)
                if (bus->mods[i]->metrics)
                        bus->mods[i]->metrics(bus->state[i], out);
}

bool hbd_bus_ready(hbd_ctx_t *ctx, const char **why)
{
        struct hbd_bus *bus = ctx->bus;
        size_t i;

        for (i = 0; bus && i < bus->started; i++)
                if (bus->mods[i]->ready &&
                    !bus->mods[i]->ready(bus->state[i], why))
                        return false;
        return true;
}

int hbd_bus_prepare(hbd_ctx_t *ctx, const hbd_config_t *next, char *err,
                    size_t errlen)
{
        struct hbd_bus *bus = ctx->bus;
        size_t i;
        int r;

        if (!bus || bus->prepared)
                return -EBUSY;
        for (i = 0; i < bus->started; i++) {
                bus->plan[i] = NULL;
                if (!bus->mods[i]->prepare)
                        continue;
                r = bus->mods[i]->prepare(bus->state[i], next, &bus->plan[i],
                                          err, errlen);
                if (r < 0) {
                        while (i-- > 0)
                                if (bus->mods[i]->abort)
                                        bus->mods[i]->abort(bus->state[i],
                                                            bus->plan[i]);
                        return r;
                }
        }
        bus->prepared = true;
        return 0;
}

/* Hand every module its plan: commit or abort. */
static void end_plans(hbd_ctx_t *ctx, bool commit)
{
        struct hbd_bus *bus = ctx->bus;
        size_t i;

        if (!bus || !bus->prepared)
                return;
        bus->prepared = false;
        for (i = 0; i < bus->started; i++) {
                void (*fn)(void *, void *) = commit ? bus->mods[i]->commit
                                                    : bus->mods[i]->abort;

                if (fn)
                        fn(bus->state[i], bus->plan[i]);
        }
}

void hbd_bus_commit(hbd_ctx_t *ctx)
{
        end_plans(ctx, true);
}

void hbd_bus_abort(hbd_ctx_t *ctx)
{
        end_plans(ctx, false);
}

const char *hbd_name(const hbd_ctx_t *ctx, uint32_t id)
{
        const hbd_peer_conf_t *pc;

        if (id == 0)
                return NULL;
        if (id == ctx->cfg->node.node_id)
                return ctx->cfg->node_name;
        pc = hbd_config_peer(ctx->cfg, id);
        if (pc != NULL)
                return pc->name;
        if (ctx->cfg->node.topology == HB_TOPOLOGY_GOSSIP)
                return hbd_learned_name(ctx, id);
        return NULL;
}

struct hbd_learned_names {
        struct learned_name {
                uint32_t id;
                char name[HBD_LEARNED_NAME_MAX];
        } **v;                         /* sorted by id; entries never move
                                          (their names are borrowed) */
        size_t n, cap;
};

const char *hbd_learned_name(const hbd_ctx_t *ctx, uint32_t id)
{
        struct hbd_learned_names *t = ctx->learned;
        struct learned_name *e;
        size_t lo = 0, hi;

        if (t == NULL)
                return NULL;
        hi = t->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (t->v[mid]->id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < t->n && t->v[lo]->id == id)
                return t->v[lo]->name;
        if (t->n == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 16;
                struct learned_name **v = realloc(t->v, cap * sizeof(*v));

                if (v == NULL)
                        return NULL;
                t->v = v;
                t->cap = cap;
        }
        e = calloc(1, sizeof(*e));
        if (e == NULL)
                return NULL;
        e->id = id;
        snprintf(e->name, sizeof(e->name), "id:%" PRIu32, id);
        memmove(&t->v[lo + 1], &t->v[lo], (t->n - lo) * sizeof(*t->v));
        t->v[lo] = e;
        t->n++;
        return e->name;
}

int hbd_learned_names_init(hbd_ctx_t *ctx)
{
        ctx->learned = calloc(1, sizeof(*ctx->learned));
        return ctx->learned != NULL ? 0 : -ENOMEM;
}

void hbd_learned_names_free(hbd_ctx_t *ctx)
{
        struct hbd_learned_names *t = ctx->learned;

        if (t == NULL)
                return;
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i]);
        free(t->v);
        free(t);
        ctx->learned = NULL;
}

const char *hbd_link_name(const hbd_config_t *cfg, uint32_t link)
{
        if (cfg == NULL || (cfg->n_links == 0 && link == 0))
                return "default";
        if (link >= cfg->n_links)
                return "?";
        return cfg->links[link].name;
}
