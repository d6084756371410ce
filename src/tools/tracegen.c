/* SPDX-License-Identifier: MIT */
/*
 * tracegen.c - synthetic arrival traces (model and contract: tracegen.h;
 * user documentation: docs/trace-format.md, "Generating traces").
 *
 * What lives here: the PRNG (xoshiro256** seeded by splitmix64, written
 * from the published algorithm descriptions), the samplers, the presets,
 * parameter checks, the generator loop with its in-flight heap, the
 * metadata description. The PlanetLab sender-times reader (libcsv) is in
 * sendertimes.c.
 *
 * Ordering. Heartbeats are produced in send order with non-decreasing
 * send times t. A heartbeat sent at t arrives at t + delay >= t, so once
 * the sender reaches t every in-flight heartbeat with arrival <= t can be
 * emitted: nothing sent later can arrive before it. The heap therefore
 * holds only the heartbeats in flight (about delay / interval of them)
 * and the output is exactly sorted, not "sorted within a window". Ties on
 * arrival time go in send order (a generation counter), and the crash
 * record sorts after heartbeats arriving at the same instant.
 *
 *
 * Speed: per heartbeat a handful of PRNG draws, at most one exp/log/pow
 * per random part and O(log in-flight) heap work; 1 M heartbeats take
 * ~0.15 s including writing the CSV.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "tools/tracegen.h"

#define MAX_DELAY_NS (3600 * HB_NS_PER_S)

/* ---- PRNG --------------------------------------------------------------- */

enum { S_JITTER, S_STALL, S_LOSS, S_GE, S_DELAY, S_TAIL, N_STREAMS };

struct rng {
        uint64_t s[4];
        bool has_spare;               /* second normal of the polar pair */
        double spare;
};

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, unsigned stream)
{
        /* Distinct splitmix64 starting points per stream. */
        uint64_t x = seed ^ (UINT64_C(0xd1b54a32d192ed03) * (stream + 1));

        for (int i = 0; i < 4; i++)
                r->s[i] = splitmix64(&x);
        r->has_spare = false;
}

static inline uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
        uint64_t *s = r->s;
        uint64_t out = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return out;
}

/* Uniform in [0, 1). */
static double unif(struct rng *r)
{
        return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1): safe for log() and negative powers. */
static double unif_open(struct rng *r)
{
        return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Standard normal, Marsaglia's polar method. */
static double normal(struct rng *r)
{
        double u, v, s, m;

        if (r->has_spare) {
                r->has_spare = false;
                return r->spare;
        }
        do {
                u = 2 * unif(r) - 1;
                v = 2 * unif(r) - 1;
                s = u * u + v * v;
        } while (s >= 1 || s == 0);
        m = sqrt(-2 * log(s) / s);
        r->spare = v * m;
        r->has_spare = true;
        return u * m;
}

/* Pareto(scale, shape) by inversion: scale * U^(-1/shape), U in (0, 1). */
static double pareto(struct rng *r, double scale, double shape)
{
        return scale * pow(unif_open(r), -1.0 / shape);
}

static uint64_t to_ns(double d, uint64_t max)
{
        if (!(d < (double)max))        /* also NaN and inf */
                return max;
        return d <= 0 ? 0 : (uint64_t)(d + 0.5);
}

/* ---- parameters --------------------------------------------------------- */

const char *const hbtg_preset_names[] = { "lan", "wan", "stall", NULL };

void hbtg_config_default(hbtg_config_t *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->seed = 1;
        cfg->interval_ns = 100 * HB_NS_PER_MS;
        cfg->jitter = HBTG_JITTER_UNIFORM;
        cfg->stall_min_ns = 200 * HB_NS_PER_MS;
        cfg->stall_max_ns = 1300 * HB_NS_PER_MS;
        cfg->duration_ns = 600 * HB_NS_PER_S;
        cfg->crash_ns = HB_NEVER;
        cfg->delay = HBTG_DELAY_CONSTANT;
        cfg->delay_ns = HB_NS_PER_MS;
        cfg->delay_mean_ns = HB_NS_PER_MS;
        cfg->delay_sd_ns = 100 * 1000;
        cfg->delay_median_ns = HB_NS_PER_MS;
        cfg->delay_sigma = 0.5;
        cfg->delay_scale_ns = HB_NS_PER_MS;
        cfg->delay_shape = 2.0;
        cfg->delay_tail_scale_ns = 10 * HB_NS_PER_MS;
        cfg->delay_tail_shape = 1.5;
        cfg->delay_max_ns = 60 * HB_NS_PER_S;
        cfg->ge_p_bad_good = 0.25;
        cfg->ge_loss_bad = 1.0;
}

/* Keep in sync with docs/trace-format.md, "Presets". */
static void preset_lan(hbtg_config_t *c)
{
        c->interval_ns = 100 * HB_NS_PER_MS;
        c->jitter = HBTG_JITTER_NORMAL;
        c->jitter_ns = 100 * 1000;                   /* 0.1 ms sd */
        c->delay = HBTG_DELAY_NORMAL;
        c->delay_mean_ns = 200 * 1000;               /* 0.2 ms */
        c->delay_sd_ns = 50 * 1000;                  /* 0.05 ms */
        c->loss_prob = 0.001;
}

static void preset_wan(hbtg_config_t *c)
{
        c->interval_ns = 100 * HB_NS_PER_MS;
        c->jitter = HBTG_JITTER_NORMAL;
        c->jitter_ns = 500 * 1000;                   /* 0.5 ms sd */
        c->delay = HBTG_DELAY_LOGNORMAL;
        c->delay_median_ns = 40 * HB_NS_PER_MS;
        c->delay_sigma = 0.1;                        /* p99 ~50 ms */
        c->delay_tail_prob = 0.01;
        c->delay_tail_scale_ns = 20 * HB_NS_PER_MS;
        c->delay_tail_shape = 2.0;                   /* 1e-4: > 200 ms */
        c->delay_max_ns = 10 * HB_NS_PER_S;
        /* Stationary loss 0.0025 / (0.0025 + 0.2475) = 1%, in bursts of
         * 1 / 0.2475 ~ 4 heartbeats. */
        c->ge_p_good_bad = 0.0025;
        c->ge_p_bad_good = 0.2475;
        c->ge_loss_good = 0;
        c->ge_loss_bad = 1;
}

static void preset_stall(hbtg_config_t *c)
{
        preset_lan(c);
        c->stall_rate_per_s = 0.001;
        c->stall_min_ns = 200 * HB_NS_PER_MS;
        c->stall_max_ns = 1300 * HB_NS_PER_MS;
}

int hbtg_config_preset(hbtg_config_t *cfg, const char *name)
{
        static const struct {
                const char *name;
                void (*apply)(hbtg_config_t *c);
        } presets[] = {
                { "lan", preset_lan },
                { "wan", preset_wan },
                { "stall", preset_stall },
        };
        hbtg_config_t keep;

        if (!cfg || !name)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
                if (strcmp(name, presets[i].name) != 0)
                        continue;
                keep = *cfg;
                hbtg_config_default(cfg);
                cfg->seed = keep.seed;
                cfg->peer = keep.peer;
                cfg->count = keep.count;
                cfg->duration_ns = keep.duration_ns;
                cfg->crash_ns = keep.crash_ns;
                cfg->sender_times = keep.sender_times;
                presets[i].apply(cfg);
                return 0;
        }
        return -EINVAL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (errlen) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static bool is_prob(double p)
{
        return p >= 0 && p <= 1;        /* false for NaN */
}

static bool in_range(uint64_t v, uint64_t lo, uint64_t hi)
{
        return v >= lo && v <= hi;
}

#define CHECK_NS(field, lo, hi)                                                \
        do {                                                                   \
                if (!in_range(cfg->field, (lo), (hi)))                         \
                        return bad(err, errlen,                                \
                                   #field " = %" PRIu64                        \
                                   ": out of range %" PRIu64 "..%" PRIu64,     \
                                   cfg->field, (uint64_t)(lo),                 \
                                   (uint64_t)(hi));                            \
        } while (0)

#define CHECK_REAL(field, cond, range)                                         \
        do {                                                                   \
                if (!(cond))                                                   \
                        return bad(err, errlen,                                \
                                   #field " = %g: out of range %s",            \
                                   cfg->field, range);                         \
        } while (0)

#define CHECK_PROB(field) CHECK_REAL(field, is_prob(cfg->field), "0..1")

int hbtg_config_check(const hbtg_config_t *cfg, char *err, size_t errlen)
{
        if (errlen)
                err[0] = '\0';
        if (!cfg)
                return -EINVAL;
        CHECK_NS(interval_ns, 1000, 3600 * HB_NS_PER_S);
        if (cfg->jitter != HBTG_JITTER_UNIFORM &&
            cfg->jitter != HBTG_JITTER_NORMAL)
                return bad(err, errlen, "jitter = %d: unknown distribution",
                           (int)cfg->jitter);
        CHECK_NS(jitter_ns, 0, cfg->interval_ns - 1);
        CHECK_REAL(stall_rate_per_s,
                   cfg->stall_rate_per_s >= 0 && cfg->stall_rate_per_s <= 1000,
                   "0..1000");
        CHECK_NS(stall_max_ns, 0, 3600 * HB_NS_PER_S);
        CHECK_NS(stall_min_ns, 0, cfg->stall_max_ns);
        if (cfg->sender_times && cfg->sender_times->n == 0)
                return bad(err, errlen, "sender_times: no send times");
        if (!cfg->sender_times && !cfg->count && !cfg->duration_ns)
                return bad(err, errlen,
                           "count = 0 and duration_ns = 0: need a limit");
        CHECK_NS(duration_ns, 0, HBTG_MAX_TIME_NS / 2);
        if (cfg->crash_ns != HB_NEVER) {
                if (!cfg->duration_ns)
                        return bad(err, errlen,
                                   "crash_ns = %" PRIu64 ": needs "
                                   "duration_ns (observation after the "
                                   "crash)",
                                   cfg->crash_ns);
                CHECK_NS(crash_ns, 0, cfg->duration_ns - 1);
        }
        CHECK_NS(delay_max_ns, 1, MAX_DELAY_NS);
        switch (cfg->delay) {
        case HBTG_DELAY_CONSTANT:
                CHECK_NS(delay_ns, 0, cfg->delay_max_ns);
                break;
        case HBTG_DELAY_NORMAL:
                CHECK_NS(delay_mean_ns, 0, cfg->delay_max_ns);
                /* mean >= 0: half the mass is >= 0, so redrawing the
                 * negative values ends quickly. */
                CHECK_NS(delay_sd_ns, 0, cfg->delay_max_ns);
                break;
        case HBTG_DELAY_LOGNORMAL:
                CHECK_NS(delay_median_ns, 1, cfg->delay_max_ns);
                CHECK_REAL(delay_sigma,
                           cfg->delay_sigma >= 0 && cfg->delay_sigma <= 10,
                           "0..10");
                break;
        case HBTG_DELAY_PARETO:
                CHECK_NS(delay_scale_ns, 1, cfg->delay_max_ns);
                CHECK_REAL(delay_shape,
                           cfg->delay_shape >= 0.1 && cfg->delay_shape <= 100,
                           "0.1..100");
                break;
        default:
                return bad(err, errlen, "delay = %d: unknown distribution",
                           (int)cfg->delay);
        }
        CHECK_PROB(delay_tail_prob);
        if (cfg->delay_tail_prob > 0) {
                CHECK_NS(delay_tail_scale_ns, 1, cfg->delay_max_ns);
                CHECK_REAL(delay_tail_shape,
                           cfg->delay_tail_shape >= 0.1 &&
                                   cfg->delay_tail_shape <= 100,
                           "0.1..100");
        }
        CHECK_PROB(loss_prob);
        CHECK_PROB(ge_p_good_bad);
        CHECK_PROB(ge_p_bad_good);
        CHECK_PROB(ge_loss_good);
        CHECK_PROB(ge_loss_bad);
        if (cfg->ge_p_good_bad > 0 && cfg->ge_p_bad_good == 0)
                return bad(err, errlen,
                           "ge_p_bad_good = 0: the bad state would never end "
                           "(range 0 < p <= 1 when ge_p_good_bad > 0)");
        return 0;
}

int hbtg_lognormal_from_mean_sd(double mean_ns, double sd_ns,
                                double *median_ns, double *sigma)
{
        double r;

        if (!(mean_ns > 0) || !(sd_ns >= 0) || !isfinite(mean_ns) ||
            !isfinite(sd_ns) || !median_ns || !sigma)
                return -EINVAL;
        r = 1 + (sd_ns * sd_ns) / (mean_ns * mean_ns);
        *median_ns = mean_ns / sqrt(r);
        *sigma = sqrt(log(r));
        return 0;
}

static double ge_bad_fraction(const hbtg_config_t *cfg)
{
        if (cfg->ge_p_good_bad <= 0)
                return 0;
        return cfg->ge_p_good_bad / (cfg->ge_p_good_bad + cfg->ge_p_bad_good);
}

double hbtg_loss_rate(const hbtg_config_t *cfg)
{
        double pb = ge_bad_fraction(cfg), ge;

        ge = cfg->ge_p_good_bad > 0
                     ? (1 - pb) * cfg->ge_loss_good + pb * cfg->ge_loss_bad
                     : 0;
        /* Independent coins: lost if either says so. */
        return 1 - (1 - cfg->loss_prob) * (1 - ge);
}

/* ---- the in-flight heap ------------------------------------------------ */

struct pkt {
        uint64_t at;                  /* arrival (observer clock) */
        uint64_t order;               /* tie-break: send order */
        uint64_t seq;
        uint64_t send;
        hbtg_kind_t kind;
};

struct heap {
        struct pkt *v;
        size_t n, cap;
};

static bool pkt_less(const struct pkt *a, const struct pkt *b)
{
        return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static int heap_push(struct heap *h, const struct pkt *p)
{
        size_t i;

        if (h->n == h->cap) {
                size_t ncap = h->cap ? 2 * h->cap : 256;
                struct pkt *v = realloc(h->v, ncap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                h->v = v;
                h->cap = ncap;
        }
        i = h->n++;
        while (i > 0) {
                size_t up = (i - 1) / 2;

                if (!pkt_less(p, &h->v[up]))
                        break;
                h->v[i] = h->v[up];
                i = up;
        }
        h->v[i] = *p;
        return 0;
}

static struct pkt heap_pop(struct heap *h)
{
        struct pkt top = h->v[0], last = h->v[--h->n];
        size_t i = 0;

        for (;;) {
                size_t c = 2 * i + 1;

                if (c >= h->n)
                        break;
                if (c + 1 < h->n && pkt_less(&h->v[c + 1], &h->v[c]))
                        c++;
                if (!pkt_less(&h->v[c], &last))
                        break;
                h->v[i] = h->v[c];
                i = c;
        }
        if (h->n)
                h->v[i] = last;
        return top;
}

/* ---- the generator ----------------------------------------------------- */

struct gen {
        const hbtg_config_t *cfg;
        struct rng rng[N_STREAMS];
        struct heap heap;
        hbtg_record_cb cb;
        void *ctx;
        hbtg_stats_t st;
        uint64_t end_limit;           /* duration_ns or HB_NEVER */
        uint64_t last_at;             /* last record emitted */
        uint64_t max_seq;
        bool any_seq;
};

static uint64_t draw_delay(struct gen *g)
{
        const hbtg_config_t *c = g->cfg;
        struct rng *r = &g->rng[S_DELAY];
        double d = 0, u, extra;
        int tries = 0;

        switch (c->delay) {
        case HBTG_DELAY_CONSTANT:
                d = (double)c->delay_ns;
                break;
        case HBTG_DELAY_NORMAL:
                /* Truncated at 0: redraw negative values (bounded). */
                do {
                        d = (double)c->delay_mean_ns +
                            (double)c->delay_sd_ns * normal(r);
                } while (d < 0 && ++tries < 100);
                break;
        case HBTG_DELAY_LOGNORMAL:
                d = (double)c->delay_median_ns * exp(c->delay_sigma * normal(r));
                break;
        case HBTG_DELAY_PARETO:
                d = pareto(r, (double)c->delay_scale_ns, c->delay_shape);
                break;
        }
        /* Both tail draws always happen: the same seed gives the same body
         * delays whatever the tail parameters. */
        u = unif(&g->rng[S_TAIL]);
        extra = pareto(&g->rng[S_TAIL], (double)c->delay_tail_scale_ns,
                       c->delay_tail_shape > 0 ? c->delay_tail_shape : 1);
        if (u < c->delay_tail_prob)
                d += extra;
        return to_ns(d, c->delay_max_ns);
}

static int emit(struct gen *g, const struct pkt *p)
{
        hbtg_record_t rec = {
                .kind = p->kind,
                .seq = p->seq,
                .send_ns = p->send,
                .arrival_ns = p->at,
        };
        int rc;

        if (p->kind == HBTG_HB) {
                if (p->at > g->end_limit) {
                        g->st.unobserved++;
                        return 0;
                }
                g->st.delivered++;
                if (p->at - p->send > g->st.max_delay_ns)
                        g->st.max_delay_ns = p->at - p->send;
                if (g->any_seq && p->seq < g->max_seq)
                        g->st.reordered++;
                if (!g->any_seq || p->seq > g->max_seq)
                        g->max_seq = p->seq;
                g->any_seq = true;
        }
        rc = g->cb(g->ctx, &rec);
        g->last_at = p->at;
        return rc;
}

/* Emit every in-flight heartbeat that arrives at or before t. */
static int flush_until(struct gen *g, uint64_t t)
{
        while (g->heap.n && g->heap.v[0].at <= t) {
                struct pkt p = heap_pop(&g->heap);
                int rc = emit(g, &p);

                if (rc)
                        return rc;
        }
        return 0;
}

/*
 * Next synthetic send time: the k-th grid slot plus jitter, kept
 * non-decreasing, pushed to the end of any stall that began before it.
 * Advances *k past the stall.
 */
static uint64_t next_send(struct gen *g, uint64_t *k, uint64_t prev,
                          uint64_t *next_stall)
{
        const hbtg_config_t *c = g->cfg;
        struct rng *rj = &g->rng[S_JITTER], *rs = &g->rng[S_STALL];
        double off = 0, t;
        uint64_t ts;

        if (c->jitter == HBTG_JITTER_UNIFORM)
                off = (2 * unif(rj) - 1) * (double)c->jitter_ns;
        else
                off = normal(rj) * (double)c->jitter_ns;
        t = (double)*k * (double)c->interval_ns + off;
        if (t > (double)HBTG_MAX_TIME_NS)
                return HBTG_MAX_TIME_NS;
        t = t < (double)prev ? (double)prev : t;
        ts = (uint64_t)(t + 0.5);

        while (ts >= *next_stall) {
                uint64_t len = c->stall_min_ns +
                               to_ns(unif(rs) * (double)(c->stall_max_ns -
                                                         c->stall_min_ns),
                                     HBTG_MAX_TIME_NS);
                uint64_t end = *next_stall + len;

                g->st.stalls++;
                g->st.stall_ns += len;
                if (ts < end) {
                        /* Overdue timer fires at the stall's end; the next
                         * heartbeat is the first grid slot after it. */
                        ts = end;
                        *k = end / c->interval_ns;
                }
                *next_stall = end + to_ns(-log(unif_open(rs)) /
                                                  c->stall_rate_per_s * 1e9,
                                          HBTG_MAX_TIME_NS);
        }
        return ts;
}

static int run(struct gen *g)
{
        const hbtg_config_t *c = g->cfg;
        const hbtg_sender_times_t *st = c->sender_times;
        uint64_t k = 0, i, seq = 0, prev = 0, next_stall = HB_NEVER, end;
        bool ge_bad;
        int rc;

        if (!st && c->stall_rate_per_s > 0)
                next_stall = to_ns(-log(unif_open(&g->rng[S_STALL])) /
                                           c->stall_rate_per_s * 1e9,
                                   HBTG_MAX_TIME_NS);
        /* The chain starts in its stationary distribution. */
        ge_bad = unif(&g->rng[S_GE]) < ge_bad_fraction(c);
        for (i = 0;; i++) {
                uint64_t t, s, delay;
                bool lost_i, lost_ge;
                double u_ge;

                if (c->count && i == c->count)
                        break;
                if (st) {
                        if (i == st->n)
                                break;
                        t = st->send_ns[i];
                        s = st->seq[i];
                } else {
                        t = next_send(g, &k, prev, &next_stall);
                        s = ++seq;
                        k++;
                }
                if ((c->duration_ns && t >= c->duration_ns) ||
                    t >= c->crash_ns || t >= HBTG_MAX_TIME_NS)
                        break;
                prev = t;
                g->st.sent++;
                /* Every part draws for every heartbeat (see tracegen.h). */
                lost_i = unif(&g->rng[S_LOSS]) < c->loss_prob;
                u_ge = unif(&g->rng[S_GE]);
                lost_ge = c->ge_p_good_bad > 0 &&
                          u_ge < (ge_bad ? c->ge_loss_bad : c->ge_loss_good);
                if (c->ge_p_good_bad > 0) {
                        double u = unif(&g->rng[S_GE]);

                        ge_bad = ge_bad ? !(u < c->ge_p_bad_good)
                                        : u < c->ge_p_good_bad;
                }
                delay = draw_delay(g);
                rc = flush_until(g, t);
                if (rc)
                        return rc;
                if (lost_i) {
                        g->st.lost_independent++;
                        continue;
                }
                if (lost_ge) {
                        g->st.lost_burst++;
                        continue;
                }
                rc = heap_push(&g->heap, &(struct pkt){ .at = t + delay,
                                              .order = i,
                                              .seq = s,
                                              .send = t,
                                              .kind = HBTG_HB });
                if (rc)
                        return rc;
        }
        if (c->crash_ns != HB_NEVER) {
                rc = heap_push(&g->heap, &(struct pkt){ .at = c->crash_ns,
                                                        .order = UINT64_MAX,
                                                        .kind = HBTG_CRASH });
                if (rc)
                        return rc;
        }
        rc = flush_until(g, HB_NEVER);
        if (rc)
                return rc;
        if (c->duration_ns) {
                end = c->duration_ns;
        } else {
                end = prev + c->interval_ns;
                if (g->last_at > end)
                        end = g->last_at;
        }
        g->st.end_ns = end;
        return emit(g, &(struct pkt){ .at = end, .kind = HBTG_END });
}

int hbtg_run(const hbtg_config_t *cfg, hbtg_record_cb cb, void *ctx,
             hbtg_stats_t *stats)
{
        struct gen g = { 0 };
        int rc;

        if (!cfg || !cb || hbtg_config_check(cfg, NULL, 0) < 0)
                return -EINVAL;
        g.cfg = cfg;
        g.cb = cb;
        g.ctx = ctx;
        g.end_limit = cfg->duration_ns ? cfg->duration_ns : HB_NEVER;
        for (unsigned s = 0; s < N_STREAMS; s++)
                rng_seed(&g.rng[s], cfg->seed, s);
        rc = run(&g);
        free(g.heap.v);
        if (rc == 0 && stats)
                *stats = g.st;
        return rc;
}

static int write_record(void *ctx, const hbtg_record_t *rec)
{
        hbt_writer_t *w = ctx;

        switch (rec->kind) {
        case HBTG_HB:
                return hbt_write_hb(w, rec->seq, rec->send_ns,
                                    rec->arrival_ns);
        case HBTG_CRASH:
                return hbt_write_crash(w, rec->arrival_ns);
        case HBTG_END:
                return hbt_write_end(w, rec->arrival_ns);
        }
        return -EINVAL;
}

int hbtg_write(const hbtg_config_t *cfg, hbt_writer_t *w, hbtg_stats_t *stats)
{
        if (!w)
                return -EINVAL;
        return hbtg_run(cfg, write_record, w, stats);
}

/* ---- metadata ---------------------------------------------------------- */

struct meta_list {
        hbt_meta_t *v;
        size_t n, cap;
        int rc;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void meta_add(struct meta_list *m, const char *key, const char *fmt,
                     ...)
{
        va_list ap;
        int len;
        char *k, *v;

        if (m->rc)
                return;
        if (m->n == m->cap) {
                size_t ncap = m->cap ? 2 * m->cap : 16;
                hbt_meta_t *p = realloc(m->v, ncap * sizeof(*p));

                if (!p) {
                        m->rc = -ENOMEM;
                        return;
                }
                m->v = p;
                m->cap = ncap;
        }
        va_start(ap, fmt);
        len = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        k = malloc(strlen(key) + 1);
        v = len >= 0 ? malloc((size_t)len + 1) : NULL;
        if (!k || !v) {
                free(k);
                free(v);
                m->rc = -ENOMEM;
                return;
        }
        strcpy(k, key);
        va_start(ap, fmt);
        vsnprintf(v, (size_t)len + 1, fmt, ap);
        va_end(ap);
        m->v[m->n].key = k;
        m->v[m->n].value = v;
        m->n++;
}

static const char *const delay_names[] = {
        "constant", "normal", "lognormal", "pareto",
};

int hbtg_meta(const hbtg_config_t *cfg, hbt_meta_t **ret, size_t *n)
{
        struct meta_list m = { 0 };

        if (!cfg || !ret || !n || (unsigned)cfg->delay > HBTG_DELAY_PARETO)
                return -EINVAL;
        meta_add(&m, "generator", "hbeat-sim trace");
        meta_add(&m, "seed", "%" PRIu64, cfg->seed);
        if (!cfg->sender_times) {
                meta_add(&m, "jitter", "%s",
                         cfg->jitter == HBTG_JITTER_NORMAL ? "normal"
                                                           : "uniform");
                meta_add(&m, "jitter_ns", "%" PRIu64, cfg->jitter_ns);
                meta_add(&m, "stall_rate_per_s", "%.9g",
                         cfg->stall_rate_per_s);
                if (cfg->stall_rate_per_s > 0) {
                        meta_add(&m, "stall_min_ns", "%" PRIu64,
                                 cfg->stall_min_ns);
                        meta_add(&m, "stall_max_ns", "%" PRIu64,
                                 cfg->stall_max_ns);
                }
        }
        if (cfg->count)
                meta_add(&m, "count", "%" PRIu64, cfg->count);
        if (cfg->duration_ns)
                meta_add(&m, "duration_ns", "%" PRIu64, cfg->duration_ns);
        if (cfg->crash_ns != HB_NEVER)
                meta_add(&m, "crash_ns", "%" PRIu64, cfg->crash_ns);
        meta_add(&m, "delay", "%s", delay_names[cfg->delay]);
        switch (cfg->delay) {
        case HBTG_DELAY_CONSTANT:
                meta_add(&m, "delay_ns", "%" PRIu64, cfg->delay_ns);
                break;
        case HBTG_DELAY_NORMAL:
                meta_add(&m, "delay_mean_ns", "%" PRIu64, cfg->delay_mean_ns);
                meta_add(&m, "delay_sd_ns", "%" PRIu64, cfg->delay_sd_ns);
                break;
        case HBTG_DELAY_LOGNORMAL:
                meta_add(&m, "delay_median_ns", "%" PRIu64,
                         cfg->delay_median_ns);
                meta_add(&m, "delay_sigma", "%.9g", cfg->delay_sigma);
                break;
        case HBTG_DELAY_PARETO:
                meta_add(&m, "delay_scale_ns", "%" PRIu64,
                         cfg->delay_scale_ns);
                meta_add(&m, "delay_shape", "%.9g", cfg->delay_shape);
                break;
        }
        if (cfg->delay_tail_prob > 0) {
                meta_add(&m, "delay_tail_prob", "%.9g", cfg->delay_tail_prob);
                meta_add(&m, "delay_tail_scale_ns", "%" PRIu64,
                         cfg->delay_tail_scale_ns);
                meta_add(&m, "delay_tail_shape", "%.9g",
                         cfg->delay_tail_shape);
        }
        meta_add(&m, "delay_max_ns", "%" PRIu64, cfg->delay_max_ns);
        meta_add(&m, "loss_prob", "%.9g", cfg->loss_prob);
        if (cfg->ge_p_good_bad > 0) {
                meta_add(&m, "ge_p_good_bad", "%.9g", cfg->ge_p_good_bad);
                meta_add(&m, "ge_p_bad_good", "%.9g", cfg->ge_p_bad_good);
                meta_add(&m, "ge_loss_good", "%.9g", cfg->ge_loss_good);
                meta_add(&m, "ge_loss_bad", "%.9g", cfg->ge_loss_bad);
        }
        meta_add(&m, "loss_rate_expected", "%.9g", hbtg_loss_rate(cfg));
        if (m.rc) {
                hbtg_meta_free(m.v, m.n);
                return m.rc;
        }
        *ret = m.v;
        *n = m.n;
        return 0;
}

void hbtg_meta_free(hbt_meta_t *meta, size_t n)
{
        if (!meta)
                return;
        for (size_t i = 0; i < n; i++) {
                free(meta[i].key);
                free(meta[i].value);
        }
        free(meta);
}
