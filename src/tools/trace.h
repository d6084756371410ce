/* SPDX-License-Identifier: MIT */
/*
 * Arrival traces: read and write the CSV format of docs/trace-format.md
 * (parsed with libcsv). Used by hbeat-sim (trace, eval) and hbeatctl
 * (record, suggest). Not part of libhbeat: this is file I/O.
 */
#ifndef HBSIM_TRACE_H
#define HBSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/qos.h"

typedef struct hbt_meta {
        char *key;
        char *value;
} hbt_meta_t;

typedef struct hbt_trace {
        char *peer;                   /* owned; "" if unknown */
        uint64_t interval_ns;         /* from metadata; 0 if absent */
        hbt_arrival_t *arrivals;       /* owned, arrival order */
        uint64_t *send_ns;            /* owned, parallel to arrivals;
                                         0 = unknown */
        size_t n;
        uint64_t crash_ns;            /* HB_NEVER if no crash row */
        uint64_t end_ns;              /* end row, else last arrival */
        hbt_meta_t *meta;             /* owned, other "# k=v" lines */
        size_t n_meta;
} hbt_trace_t;

/*
 * Read a trace file ("-" = stdin). On failure returns -EINVAL (bad
 * content, err = "FILE:LINE: message"), -errno (cannot open/read), or
 * -ENOMEM; *ret untouched.
 */
int hbt_read(hbt_trace_t **ret, const char *path, char *err, size_t errlen);

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
