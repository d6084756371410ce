/* SPDX-License-Identifier: MIT */
/*
 * Synthetic arrival traces: a seeded model of one sender and the network
 * between it and an observer, streamed as trace records in arrival order
 * (docs/trace-format.md, "Generating traces"). Used by `hbeat-sim trace`
 * and by tests; pure computation except hbtg_sender_times_read().
 *
 * Model, per heartbeat:
 *
 *   sender   send time = k * interval_ns + jitter (uniform or normal),
 *            kept non-decreasing; or the real send times of a recorded
 *            sender (hbtg_sender_times_t, e.g. PlanetLab sentinterval).
 *            Stalls (GC-like pauses) start as a Poisson process of
 *            stall_rate_per_s on the sender's clock and last
 *            uniform [stall_min_ns, stall_max_ns]: nothing is sent
 *            during a stall; the overdue heartbeat goes at the stall's end
 *            and the next ones return to the k * interval grid. Seq numbers
 *            count heartbeats actually handed to the network, from 1, so a
 *            stall leaves no seq gap (like the PlanetLab senders).
 *   loss     lost if an independent coin with loss_prob says so OR the
 *            Gilbert-Elliott chain says so (state stepped once per
 *            heartbeat, then loss with the state's probability). Lost
 *            heartbeats use their seq: gaps in seq are losses.
 *   delay    body (constant, normal truncated at 0, log-normal, Pareto)
 *            plus, with probability delay_tail_prob, an extra
 *            Pareto(delay_tail_scale_ns, delay_tail_shape) delay; then
 *            capped at delay_max_ns. Delays may reorder heartbeats; the
 *            records come out sorted by arrival time (exactly: a heap of
 *            the heartbeats in flight).
 *   clocks   the observer's clock equals the sender's (offset 0): the
 *            generator knows true time. Consumers must still not compare
 *            send_ns with arrival_ns (the format forbids it).
 *   end      sending stops at `count` heartbeats, at duration_ns, or at the
 *            crash, whichever comes first. With duration_ns the
 *            observation ends at duration_ns (arrivals after it are not
 *            recorded); without it, at max(last arrival, last send +
 *            interval_ns). The crash (crash_ns, needs duration_ns) writes
 *            a crash row at crash_ns; heartbeats sent before it that are
 *            still in flight arrive and are written after the crash row
 *            (readers ignore them, as the format says).
 *
 * Randomness: xoshiro256** streams seeded with splitmix64 from `seed`, one
 * stream per model part (jitter, stalls, loss, Gilbert-Elliott, delay,
 * tail), and every part draws the same numbers for every heartbeat
 * whether it is lost or not. So the same seed gives the same trace
 * (byte for byte, same build and libm), and changing one part (say the
 * loss rate) leaves the draws of the others unchanged.
 */
#ifndef HBSIM_TRACEGEN_H
#define HBSIM_TRACEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/trace.h"

/* Times stay below this, so that sums of a time and a delay never wrap
 * (generator and sender-times reader). */
#define HBTG_MAX_TIME_NS (UINT64_C(1) << 62)

typedef enum hbtg_jitter {
        HBTG_JITTER_UNIFORM = 0,      /* uniform in [-jitter_ns, +jitter_ns] */
        HBTG_JITTER_NORMAL,           /* normal, sd = jitter_ns */
} hbtg_jitter_t;

typedef enum hbtg_delay {
        HBTG_DELAY_CONSTANT = 0,      /* delay_ns */
        HBTG_DELAY_NORMAL,            /* delay_mean_ns, delay_sd_ns;
                                         negative draws are redrawn */
        HBTG_DELAY_LOGNORMAL,         /* delay_median_ns * exp(sigma * Z) */
        HBTG_DELAY_PARETO,            /* delay_scale_ns * U^(-1/shape):
                                         minimum = scale */
} hbtg_delay_t;

/* Recorded sender send times (hbtg_sender_times_read()). Owned arrays. */
typedef struct hbtg_sender_times {
        uint64_t *send_ns;            /* rebased: the first is 0;
                                         non-decreasing */
        uint64_t *seq;                /* numseq + 1 (seq 0 = unknown) */
        size_t n;
} hbtg_sender_times_t;

/*
 * Generator parameters. Public, read/write; start from
 * hbtg_config_default() or hbtg_config_preset(). Times in ns; fields
 * that do not apply to the chosen distribution are ignored.
 */
typedef struct hbtg_config {
        uint64_t seed;
        const char *peer;             /* borrowed; NULL = "" */

        /* sender */
        uint64_t interval_ns;         /* >= 1000 */
        hbtg_jitter_t jitter;
        uint64_t jitter_ns;           /* 0 = none; < interval_ns */
        double stall_rate_per_s;      /* 0 = no stalls */
        uint64_t stall_min_ns;        /* stall length, uniform */
        uint64_t stall_max_ns;
        const hbtg_sender_times_t *sender_times; /* borrowed; if set,
                                         replaces the k * interval schedule,
                                         jitter and stalls */

        /* how long */
        uint64_t count;               /* heartbeats to send; 0 = no limit */
        uint64_t duration_ns;         /* 0 = no limit; one of the two limits
                                         is needed without sender_times */
        uint64_t crash_ns;            /* HB_NEVER = no crash */

        /* network: one-way delay */
        hbtg_delay_t delay;
        uint64_t delay_ns;            /* constant */
        uint64_t delay_mean_ns;       /* normal */
        uint64_t delay_sd_ns;
        uint64_t delay_median_ns;     /* log-normal */
        double delay_sigma;           /* log-normal shape, sd of ln(delay) */
        uint64_t delay_scale_ns;      /* Pareto: minimum */
        double delay_shape;           /* Pareto alpha, > 0 */
        double delay_tail_prob;       /* 0 = no extra tail */
        uint64_t delay_tail_scale_ns;
        double delay_tail_shape;
        uint64_t delay_max_ns;        /* cap on every delay, > 0 */

        /* network: loss */
        double loss_prob;             /* independent, 0..1 */
        double ge_p_good_bad;         /* Gilbert-Elliott; 0 = off */
        double ge_p_bad_good;         /* > 0 when the chain is on */
        double ge_loss_good;          /* loss probability in good state */
        double ge_loss_bad;           /* ... in bad state */
} hbtg_config_t;

/* Defaults: see docs/trace-format.md (also `hbeat-sim trace --help`). */
void hbtg_config_default(hbtg_config_t *cfg);

/*
 * Reset *cfg to the defaults, then apply preset `name` ("lan", "wan",
 * "stall"; documented in docs/trace-format.md). Seed, peer and the
 * duration/count are kept. 0, or -EINVAL for an unknown name (*cfg
 * untouched).
 */
int hbtg_config_preset(hbtg_config_t *cfg, const char *name);

/* The preset names, NULL-terminated, for help texts. */
extern const char *const hbtg_preset_names[];

/*
 * Check every parameter. 0, or -EINVAL with err = "name = value: reason
 * (valid range)".
 */
int hbtg_config_check(const hbtg_config_t *cfg, char *err, size_t errlen);

/*
 * Log-normal parameters from the mean and standard deviation of the delay:
 * sigma^2 = ln(1 + sd^2 / mean^2), median = mean / sqrt(1 + sd^2 / mean^2).
 * -EINVAL unless mean > 0 and sd >= 0.
 */
int hbtg_lognormal_from_mean_sd(double mean_ns, double sd_ns,
                                double *median_ns, double *sigma);

/* Stationary loss rate of the whole loss model (independent + GE). */
double hbtg_loss_rate(const hbtg_config_t *cfg);

typedef enum hbtg_kind {
        HBTG_HB = 0,
        HBTG_CRASH,
        HBTG_END,
} hbtg_kind_t;

typedef struct hbtg_record {
        hbtg_kind_t kind;
        uint64_t seq;                 /* HBTG_HB only */
        uint64_t send_ns;             /* HBTG_HB only */
        uint64_t arrival_ns;
} hbtg_record_t;

/* Return 0 to go on; anything else stops hbtg_run(), which returns it. */
typedef int (*hbtg_record_cb)(void *ctx, const hbtg_record_t *rec);

/* What happened, for summaries and tests. Public, read-only. */
typedef struct hbtg_stats {
        uint64_t sent;                /* heartbeats handed to the network */
        uint64_t lost_independent;
        uint64_t lost_burst;          /* by the GE chain (not also by the
                                         independent coin) */
        uint64_t delivered;           /* hb records written */
        uint64_t unobserved;          /* arrived after the end */
        uint64_t reordered;           /* arrived after a higher seq */
        uint64_t stalls;              /* that began before sending stopped */
        uint64_t stall_ns;            /* their total length */
        uint64_t max_delay_ns;        /* of delivered heartbeats */
        uint64_t end_ns;              /* the end record's time */
} hbtg_stats_t;

/*
 * Generate: call cb for every record in arrival order (hb records, at
 * most one crash record, then exactly one end record). `stats` (may be
 * NULL) is written when 0 is returned.
 *
 * Returns 0; -EINVAL (cfg fails hbtg_config_check(), cb NULL); -ENOMEM
 * (the heap of heartbeats in flight could not grow; records may already
 * have been delivered); or the callback's non-zero value.
 */
int hbtg_run(const hbtg_config_t *cfg, hbtg_record_cb cb, void *ctx,
             hbtg_stats_t *stats);

/* hbtg_run() into an open writer (hbt_writer_open()); 0 or -errno. */
int hbtg_write(const hbtg_config_t *cfg, hbt_writer_t *w,
               hbtg_stats_t *stats);

/*
 * The generator's parameters as "# key=value" metadata (seed, model, the
 * parameters of the chosen distributions), for hbt_writer_open(). *ret is
 * owned by the caller: hbtg_meta_free(). 0 or -ENOMEM.
 */
int hbtg_meta(const hbtg_config_t *cfg, hbt_meta_t **ret, size_t *n);
void hbtg_meta_free(hbt_meta_t *meta, size_t n);

/*
 * Read PlanetLab sentinterval CSV (header
 * `numseq,timestamp_start_send,timestamp_end_send`, ns) from f with
 * libcsv, gzip-compressed (zlib; told by the magic bytes) or not. Send
 * time = timestamp_start_send minus the first row's; seq = numseq + 1.
 * `name` labels messages. Returns 0; -EINVAL with err = "NAME:LINE:
 * message" (bad header, bad or decreasing numbers, no rows) or "NAME:
 * message" (corrupt or truncated gzip data); -errno; -ENOMEM. *ret
 * untouched on failure.
 */
int hbtg_sender_times_read(hbtg_sender_times_t *ret, FILE *f,
                           const char *name, char *err, size_t errlen);
/* Free the arrays (not st itself). NULL is a no-op. */
void hbtg_sender_times_free(hbtg_sender_times_t *st);

#endif /* HBSIM_TRACEGEN_H */
