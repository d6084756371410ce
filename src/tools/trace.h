/* SPDX-License-Identifier: MIT */
/*
 * Arrival traces: read and write the CSV format of docs/trace-format.md
 * (parsed with libcsv), and read the other layouts of its section "Other
 * layouts" (plain CSV or whitespace-separated columns, gzip-compressed or
 * not). Used by hbeat-sim (trace, eval) and hbeatctl (record, suggest).
 * Not part of libhbeat: this is file I/O.
 */
#ifndef HBSIM_TRACE_H
#define HBSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/qos.h"

/*
 * Layouts (docs/trace-format.md, "Other layouts"). All but V1 are the
 * "plain" layouts: columns seq, send, arrival, peer and kind in any order
 * (named by a header row, --columns, or seq,arrival / seq,send,arrival
 * without either), times in a chosen unit with decimals, seqs re-based to
 * start at 1 (seq 0 means "unknown" to the detectors).
 */
typedef enum hbt_layout {
        HBT_LAYOUT_AUTO = 0,          /* V1 if the first line starts with
                                         "# hbeat-trace", else CSV if the
                                         first row has a comma, else WS */
        HBT_LAYOUT_V1,                /* "# hbeat-trace v1" only */
        HBT_LAYOUT_CSV,               /* comma-separated (libcsv) */
        HBT_LAYOUT_TSV,               /* tab-separated, empty fields
                                         allowed (libcsv) */
        HBT_LAYOUT_WS,                /* runs of spaces and tabs */
        HBT_LAYOUT_LIP6,              /* LIP6 PlanetLab reception log:
                                         WS, "site numseq send receive
                                         hops", ns */
} hbt_layout_t;

typedef struct hbt_meta {
        char *key;
        char *value;
} hbt_meta_t;

typedef struct hbt_trace {
        char *peer;                   /* owned; "" if unknown */
        uint64_t interval_ns;         /* from metadata; 0 if absent */
        hbt_arrival_t *arrivals;       /* owned, arrival order (each
                                          with its send time, 0 =
                                          unknown) */
        size_t n;
        uint64_t crash_ns;            /* HB_NEVER if no crash row */
        uint64_t end_ns;              /* end row, else last arrival */
        hbt_meta_t *meta;             /* owned, other "# k=v" lines */
        size_t n_meta;
        hbt_layout_t layout;          /* what was read: V1, CSV, TSV, WS
                                         or LIP6 */
} hbt_trace_t;

/* Columns of the plain layouts; index of hbt_read_opts_t.cols. */
enum {
        HBT_COL_SEQ,                  /* sender's sequence number */
        HBT_COL_SEND,                 /* sender's clock at sending */
        HBT_COL_ARRIVAL,              /* observer's clock at arrival */
        HBT_COL_PEER,                 /* sender's name */
        HBT_COL_KIND,                 /* hb, crash or end (as in v1) */
        HBT_NCOLS
};

/* Highest field number a column can have (rows may have more fields). */
#define HBT_MAX_FIELDS 64

/*
 * How to read a file: hbt_read_with(). All zero = auto-detect with no
 * option. Filled by hbt_read_opt() from the command line (trace_opts.c).
 */
typedef struct hbt_read_opts {
        hbt_layout_t layout;
        uint64_t unit_ns;             /* ns per unit of send and arrival
                                         times (1, 10^3, 10^6, 10^9); 0 =
                                         not given: a header name's suffix
                                         (_s, _ms, _us, _ns), else ns */
        unsigned cols[HBT_NCOLS];     /* 1-based field number of each
                                         column (<= HBT_MAX_FIELDS), 0 =
                                         none; all 0 = not given */
        const char *peer;             /* borrowed: keep only the rows of
                                         this peer (peer column); NULL =
                                         not given (one peer per file) */
} hbt_read_opts_t;

/*
 * Read a trace file ("-" = stdin), gzip-compressed or not (told by its
 * first two bytes, 1f 8b; zlib), in the layout `opts` names or detects
 * (NULL: auto, no option). The options other than the layout apply only to
 * the plain layouts: a v1 file with any of them is an error.
 *
 * Returns 0, or on failure (*ret untouched):
 *   -EINVAL  bad content (also corrupt or truncated gzip data) or options
 *            that do not fit the file; err = "FILE:LINE:FIELD: message"
 *            for a wrong value (FIELD: its 1-based field number in the
 *            row), "FILE:LINE: message" for a wrong line and v1 files;
 *   -errno   cannot open or read (err = "FILE: strerror");
 *   -ENOMEM.
 */
int hbt_read_with(hbt_trace_t **ret, const char *path,
                  const hbt_read_opts_t *opts, char *err, size_t errlen);

/*
 * Read an hbeat-trace v1 file: hbt_read_with() with HBT_LAYOUT_V1 and no
 * option. Errors as there ("FILE:LINE: message").
 */
int hbt_read(hbt_trace_t **ret, const char *path, char *err, size_t errlen);

/*
 * Command-line options for the reader, shared by `hbeat-sim eval` and
 * `hbeatctl suggest --trace` (trace_opts.c). Add HBT_READ_LONGOPTS to the
 * getopt_long() table (their values are HBT_OPT_*, outside the range of
 * characters), pass every value getopt_long() returns that the command
 * does not know to hbt_read_opt(), and put HBT_READ_OPTS_HELP in --help.
 */
enum {
        HBT_OPT_LAYOUT = 0x4801,
        HBT_OPT_TIME_UNIT,
        HBT_OPT_COLUMNS,
        HBT_OPT_PEER,
};

#define HBT_READ_LONGOPTS                                                    \
        { "trace-layout", required_argument, NULL, HBT_OPT_LAYOUT },         \
        { "time-unit", required_argument, NULL, HBT_OPT_TIME_UNIT },         \
        { "columns", required_argument, NULL, HBT_OPT_COLUMNS },             \
        { "trace-peer", required_argument, NULL, HBT_OPT_PEER }

#define HBT_READ_OPTS_HELP                                                   \
        "  --trace-layout L      auto (default), v1, csv, tsv, ws\n"         \
        "                        (spaces or tabs), lip6 (PlanetLab\n"        \
        "                        LIP6 reception log)\n"                      \
        "  --time-unit U         times in s, ms, us or ns (default:\n"       \
        "                        a header's _s/_ms/_us/_ns, else ns);\n"     \
        "                        decimals allowed\n"                         \
        "  --columns LIST        field numbers: seq=N,send=N,\n"             \
        "                        arrival=N,peer=N,kind=N (default: the\n"    \
        "                        header, else seq,arrival or\n"              \
        "                        seq,send,arrival)\n"                        \
        "  --trace-peer NAME     keep only the rows of peer NAME\n"

/*
 * Apply one option: `c` as getopt_long() returned it, `arg` its argument
 * (borrowed by --trace-peer until the options are no longer used).
 * Returns 1 (done), 0 (`c` is not a reader option: opts untouched), or
 * -EINVAL with err = "--OPTION 'ARG': why" (opts untouched).
 */
int hbt_read_opt(hbt_read_opts_t *opts, int c, const char *arg, char *err,
                 size_t errlen);

/* Free a trace. NULL is a no-op. */
void hbt_free(hbt_trace_t *t);

/*
 * Trace writer: writes the "# hbeat-trace v1" line, metadata and header
 * row at open, one row per call, with stdio buffering. 0 or -errno.
 */
typedef struct hbt_writer hbt_writer_t;
int hbt_writer_open(hbt_writer_t **ret, FILE *f, const char *peer,
                    uint64_t interval_ns, const hbt_meta_t *meta,
                    size_t n_meta);
int hbt_write_hb(hbt_writer_t *w, uint64_t seq, uint64_t send_ns,
                 uint64_t arrival_ns);
int hbt_write_crash(hbt_writer_t *w, uint64_t at_ns);
int hbt_write_end(hbt_writer_t *w, uint64_t at_ns);
/* Flush and free (does not close the FILE). 0 or -errno of a write. */
int hbt_writer_close(hbt_writer_t *w);

#endif /* HBSIM_TRACE_H */
