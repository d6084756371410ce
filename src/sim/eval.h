/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim eval, internal: the types shared by the command (cmd_eval.c:
 * options, detector configurations, sweeps, the plan of replays), the
 * replays (eval_run.c: spread over threads) and the output
 * (eval_output.c: text table, JSON, CSV, gnuplot). Not installed; only
 * these three files include it.
 *
 * Every pointer in these structs is borrowed: the command owns the
 * detector table, the sweep values and the points until it returns, and
 * the output functions only read them.
 */
#ifndef HBSIM_EVAL_H
#define HBSIM_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hbeat/hbeat.h"
#include "tools/qos.h"

#define HBSIM_EVAL_PROG "hbeat-sim eval"
#define HBSIM_EVAL_MAX_DETECTORS 16
#define HBSIM_EVAL_MAX_SETS 32

/* A parameter of --set and --sweep (key_find() in cmd_eval.c). */
enum hbsim_eval_key_type {
        HBSIM_EVAL_KT_SUSPECT,  /* the suspect threshold */
        HBSIM_EVAL_KT_DEAD,     /* the dead threshold */
        HBSIM_EVAL_KT_PARAM,    /* a detector parameter (the core's
                                   schema, hb_detector_param_at()) */
};

typedef struct hbsim_eval_param {
        const char *name;               /* as given: a key or an alias */
        enum hbsim_eval_key_type type;
        const hb_detector_param_t *param; /* KT_PARAM: the schema's */
        unsigned kinds;                 /* HB_DETECTOR_KIND_BIT(), of the
                                           kinds it applies to */
        const char *help;               /* thresholds: one line, NULL for
                                           an alias */
} hbsim_eval_param_t;

/* Where the crash is (see cmd_eval.c's file comment). */
enum hbsim_eval_crash {
        HBSIM_EVAL_CRASH_TRACE,         /* the trace's crash row */
        HBSIM_EVAL_CRASH_LAST,          /* virtual, at the last arrival */
        HBSIM_EVAL_CRASH_NONE,          /* none: no T_D */
        HBSIM_EVAL_CRASH_AT,            /* virtual, --crash-at SECONDS */
        HBSIM_EVAL_CRASH_EACH,          /* virtual, after every arrival */
};

/* One --detector configuration. */
typedef struct hbsim_eval_det {
        hb_detector_kind_t kind;
        const char *label_opt;          /* --label, borrowed from argv */
        const char *sets[HBSIM_EVAL_MAX_SETS]; /* "key=value", borrowed */
        size_t n_sets;
        const char *sweep;              /* own --sweep spec, or NULL */
        /* Resolved once the interval is known: */
        hb_detector_config_t cfg;
        double suspect, dead;
        char label[256];
        hbt_qos_result_t res[2];         /* suspect, dead */
} hbsim_eval_det_t;

/* The sweep of one detector: `n` values of one parameter. */
typedef struct hbsim_eval_sweep {
        hbsim_eval_param_t key;
        double *values;                 /* owned by the command */
        size_t n;
} hbsim_eval_sweep_t;

/* One evaluated sweep point. */
typedef struct hbsim_eval_point {
        size_t det;                     /* index in the detector table */
        double value;                   /* of the swept parameter */
        double thr;                     /* threshold evaluated */
        hbt_qos_result_t r;
} hbsim_eval_point_t;

/* What the output functions report, all borrowed. */
typedef struct hbsim_eval_report {
        const char *trace_path;         /* as given ("-" = stdin) */
        const char *peer;               /* the trace's; "" if unknown */
        size_t arrivals;                /* replayed */
        double duration_s;              /* first arrival to the end */
        uint64_t interval_ns;           /* heartbeat interval */
        enum hbsim_eval_crash crash;
        const hbsim_eval_det_t *dets;   /* resolved and evaluated */
        size_t n_dets;                  /* 1 .. HBSIM_EVAL_MAX_DETECTORS */
        const hbsim_eval_sweep_t *sweeps; /* per detector; NULL: no sweep */
        const hbsim_eval_point_t *pts;  /* grouped by detector */
        size_t n_pts;
        /* The plot marks it as the hbeat default: the configuration
         * hbeatd runs with no configuration file, evaluated (one of
         * `dets`, or one of its own with --mark-default); NULL: none. */
        const hbsim_eval_det_t *dflt;
} hbsim_eval_report_t;

/*
 * One replay of the trace (eval_run.c): configuration `cfg` judged at the
 * thresholds of slots first .. first + n - 1 of the run
 * (hbt_qos_evaluate_levels()).
 */
typedef struct hbsim_eval_job {
        hb_detector_config_t cfg;
        size_t det;                     /* index in the detector table */
        size_t first, n;                /* its slots */
} hbsim_eval_job_t;

/* Every replay of a command, and where their results go. */
typedef struct hbsim_eval_run {
        const hbt_arrival_t *arr;       /* the trace's arrivals */
        size_t n;
        uint64_t crash_ns, end_ns;      /* as hbt_qos_evaluate_levels() */
        hbt_qos_td_t td;
        const hbsim_eval_job_t *jobs;
        size_t n_jobs;
        const double *thr;              /* per slot: the threshold */
        hbt_qos_result_t *res;          /* per slot: its result */
} hbsim_eval_run_t;

/*
 * Run every job, spread over up to `threads` threads (>= 1; this one
 * included). The results do not depend on `threads`: each slot is
 * computed by one replay whatever the split. 0; or the first failure in
 * job order (a negative errno of hbt_qos_evaluate_levels()) with its job
 * in *failed. In eval_run.c.
 */
int hbsim_eval_run(const hbsim_eval_run_t *run, unsigned threads,
                   size_t *failed);

/* Print "hbeat-sim eval: <message>" on stderr; return `rc` (the exit
 * status: 2 for bad input, 1 for failures). In cmd_eval.c. */
__attribute__((format(printf, 2, 3))) int hbsim_eval_fail(int rc,
                                                          const char *fmt,
                                                          ...);

/* eval_output.c. Text and JSON go to stdout; write errors show in
 * ferror(stdout), which the command checks once at the end. */
void hbsim_eval_print_text(const hbsim_eval_report_t *rep);

/* 0; 2 with a message if a label, the trace path or the peer name is not
 * UTF-8 (JSON text cannot carry it); 1 with a message if out of memory or
 * on a write error. Writes nothing unless it all fits in memory. */
int hbsim_eval_print_json(const hbsim_eval_report_t *rep);

/* The sweep points as CSV to `path` ("-" = stdout). 0, or 1 with a
 * message. Needs rep->sweeps. */
int hbsim_eval_write_csv(const hbsim_eval_report_t *rep, const char *path);

/* --plot-log: which axes of the plot are logarithmic. */
enum hbsim_eval_plot_log {
        HBSIM_EVAL_LOG_AUTO,            /* each from its range */
        HBSIM_EVAL_LOG_NONE,
        HBSIM_EVAL_LOG_TD,
        HBSIM_EVAL_LOG_RATE,
        HBSIM_EVAL_LOG_BOTH,
};

typedef struct hbsim_eval_plot_opts {
        const char *path;               /* the SVG to write */
        const char *title;              /* NULL: one made from the trace */
        enum hbsim_eval_plot_log log;
} hbsim_eval_plot_opts_t;

/* The sweep as an SVG, drawn by gnuplot (T_D against mistakes per hour;
 * how it reads: eval_output.c, "plot"). 0, or 1 with a message (nothing
 * drawable, gnuplot missing or failing). Needs rep->sweeps and a crash
 * mode other than HBSIM_EVAL_CRASH_NONE. */
int hbsim_eval_plot(const hbsim_eval_report_t *rep,
                    const hbsim_eval_plot_opts_t *po);

/* The gnuplot script hbsim_eval_plot() runs, written to `f` (tests read
 * it). Same arguments and needs. */
void hbsim_eval_plot_script(FILE *f, const hbsim_eval_report_t *rep,
                            const hbsim_eval_plot_opts_t *po);

#endif /* HBSIM_EVAL_H */
