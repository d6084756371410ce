/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format, version 0.0.4, as output only
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): what
 * hbeatd serves at /metrics (metrics.c). Debian has no Prometheus client
 * library for C, and this is an output format (lines of printf), not a
 * parser.
 *
 * A document is a sequence of metric families; each is opened with
 * hbd_prom_family() (its # HELP and # TYPE lines) and followed by its
 * samples, all of them before the next family starts, as the format
 * requires. The writer checks what it can cheaply: metric and label names
 * are valid, a family name is not used twice, a series (name and label
 * set) is not written twice, samples follow their family. A broken rule
 * is a bug of the caller: the sample or family is left out and counted in
 * `errors` (the unit test looks; the daemon logs nothing per scrape).
 *
 * Label values are escaped as the format says (\\, \", \n); HELP text
 * likewise (\\, \n).
 *
 * Histograms (hbd_hist_t) keep per-bucket counts; written, the buckets are
 * cumulative, with le="+Inf" equal to _count, then _sum and _count.
 */
#ifndef HBD_PROM_H
#define HBD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most finite bucket bounds a histogram has. */
#define HBD_HIST_MAX_BOUNDS 20

/* A histogram: observations in base units (seconds). Public; initialise
 * with hbd_hist_init(). */
typedef struct hbd_hist {
        const double *bounds;          /* ascending upper bounds, borrowed
                                          (static tables) */
        size_t n_bounds;               /* <= HBD_HIST_MAX_BOUNDS */
        uint64_t counts[HBD_HIST_MAX_BOUNDS + 1]; /* per bucket, not
                                          cumulative; last: above all */
        uint64_t count;
        double sum;
} hbd_hist_t;

/* Empty histogram over `bounds` (n of them, ascending, at most
 * HBD_HIST_MAX_BOUNDS; more are ignored). */
void hbd_hist_init(hbd_hist_t *h, const double *bounds, size_t n);

/* Count one observation `v` (a value <= a bound falls in its bucket). */
void hbd_hist_observe(hbd_hist_t *h, double v);

/* A document being written. Public, read-only but for init/free. */
typedef struct hbd_prom {
        char *buf;                     /* the text, NUL-terminated */
        size_t len, cap;
        bool oom;                      /* out of memory: text incomplete */
        unsigned errors;               /* rule broken: see the top */
        char family[128];              /* the open family, "" if none */
        char type[16];                 /* its type */
        uint64_t *seen;                /* hashes of series written */
        size_t n_seen, cap_seen;       /* open addressing, cap power of 2 */
        char **families;               /* names of families written */
        size_t n_families;
} hbd_prom_t;

void hbd_prom_init(hbd_prom_t *p);

/* Free the buffers (the text too unless taken with hbd_prom_take()). */
void hbd_prom_free(hbd_prom_t *p);

/* The text (malloc()ed, the caller frees it) and its length; `p` no
 * longer owns it. NULL when out of memory. */
char *hbd_prom_take(hbd_prom_t *p, size_t *len);

/*
 * Open family `name` of `type` ("counter", "gauge", "histogram") with its
 * help text. A counter's name ends in _total (the format's convention;
 * checked).
 */
void hbd_prom_family(hbd_prom_t *p, const char *name, const char *type,
                     const char *help);

/*
 * One sample of the open counter or gauge. `labels`: NULL, or
 * name/value pairs ending with a NULL name, e.g.
 * (const char *[]){ "peer", "b", "reason", "dead_threshold", NULL }.
 */
void hbd_prom_u64(hbd_prom_t *p, const char *const *labels, uint64_t v);
void hbd_prom_double(hbd_prom_t *p, const char *const *labels, double v);

/* One histogram series of the open histogram family (`labels` as above;
 * "le" is added). */
void hbd_prom_hist(hbd_prom_t *p, const char *const *labels,
                   const hbd_hist_t *h);

#endif /* HBD_PROM_H */
