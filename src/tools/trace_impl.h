/* SPDX-License-Identifier: MIT */
/*
 * Internals of the trace reader, shared by trace.c (the v1 format, the
 * driver and what both kinds of layout share: comments, metadata, rows),
 * trace_plain.c (the other layouts) and trace_src.c (the bytes: a file or
 * stdin, gzip or not). Not installed, not for other callers.
 */
#ifndef HBT_TRACE_IMPL_H
#define HBT_TRACE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <csv.h>
#include <zlib.h>

#include "tools/trace.h"

#define HBT_SHOW 64                    /* bytes of a bad value quoted */
#define HBT_MAX_VALUE (UINT64_MAX - 1) /* UINT64_MAX is HB_NEVER */

/* ---- bytes (trace_src.c) ----------------------------------------------- */

/*
 * A byte source: a FILE read as is, or inflated by zlib when its first two
 * bytes are the gzip magic (1f 8b). Concatenated gzip members are read as
 * one stream, as gzip(1) does. zlib allocates through calloc() and free()
 * here, so failalloc's --wrap reaches its allocations too.
 */
typedef struct hbt__src {
        FILE *f;                      /* borrowed */
        const char *name;             /* for messages, borrowed */
        bool started;                 /* first read done */
        bool gz;                      /* inflating */
        bool zinit;                   /* zs needs inflateEnd() */
        bool member_end;              /* a gzip member just ended */
        bool eof;                     /* f is exhausted */
        z_stream zs;
        unsigned char *in;            /* compressed input block */
        size_t in_cap;
} hbt__src_t;

/* Start reading `f` (borrowed until hbt__src_end()). Never fails. */
void hbt__src_init(hbt__src_t *s, FILE *f, const char *name);

/*
 * Read up to `cap` bytes (> 0) into `buf`: fewer only at the end of the
 * data. Returns the count (0 at the end), or -EINVAL (corrupt or
 * truncated gzip data), -errno (read error), -ENOMEM, each with err =
 * "NAME: message".
 */
long hbt__src_read(hbt__src_t *s, char *buf, size_t cap, char *err,
                   size_t errlen);

/* Free what hbt__src_read() allocated. Does not close the FILE. */
void hbt__src_end(hbt__src_t *s);

/* ---- the reader (trace.c) ---------------------------------------------- */

enum hbt__rd_state { ST_BOL, ST_COMMENT, ST_CSV };

/* State of the plain layouts (trace_plain.c). */
struct hbt__plain {
        hbt_layout_t sep;             /* CSV, TSV or WS; AUTO until the
                                         first row shows a comma or not */
        const hbt_read_opts_t *o;     /* borrowed */
        unsigned col[HBT_NCOLS];      /* 1-based field, 0 = none */
        uint64_t unit[HBT_NCOLS];     /* ns per unit (send, arrival); 0 =
                                         not given: ns, no fraction */
        char *name[HBT_NCOLS];        /* header names, owned; NULL: use
                                         the column's own name */
        bool cols_given;              /* by --columns or the layout */
        bool started;                 /* header or first row seen */
        bool in_record;               /* CSV record goes on next line */
        bool from_header;             /* nfields counted in the header */
        size_t nfields;               /* fields of every row */
        bool any_seq;                 /* seq_min is set */
        uint64_t seq_min;             /* for re-basing (see trace_plain.c) */
        bool send_zero;               /* a known send time is 0 */
        uint64_t peer_rows;           /* data rows of the trace's peer */
        uint64_t other_rows;          /* rows of peers other than o->peer */
};

struct hbt__reader {
        struct csv_parser csv;
        const char *name;             /* for messages */
        char *err;
        size_t errlen;
        int rc;                       /* first error, sticky */

        uint64_t line;                /* line being read, 1-based */
        uint64_t row_line;            /* line where the record started */
        enum hbt__rd_state state;
        bool saw_nl;                  /* row callback got '\n' */
        bool saw_row;                 /* row callback called */

        char *cbuf;                   /* current comment line; plain */
        size_t clen, ccap;            /* layouts: current line */

        char *fbuf;                   /* current record's fields, each */
        size_t flen, fcap;            /* NUL-terminated in fbuf */
        size_t foff[HBT_MAX_FIELDS];
        size_t flens[HBT_MAX_FIELDS];
        size_t nf;                    /* fields seen, may exceed the
                                         arrays */

        hbt_layout_t layout;          /* V1, or plain (any other) */
        bool seen_version, seen_header, seen_rows, seen_interval;
        bool crashed, ended;
        uint64_t last_ns;             /* last row's arrival_ns */
        size_t cap;                   /* of t->arrivals */
        size_t meta_cap;
        hbt_trace_t *t;
        struct hbt__plain p;
};

#define HBT_FIELD(r, i) ((r)->fbuf + (r)->foff[i])

/*
 * Record the first error as "FILE:LINE: message", or with `col` > 0 as
 * "FILE:LINE:COL: message". Returns r->rc (rc if this is the first).
 */
int hbt__fail(struct hbt__reader *r, int rc, uint64_t line, size_t col,
              const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 5, 6)))
#endif
        ;
int hbt__fail_oom(struct hbt__reader *r);

/* Parse digits only into 0..max (no sign, no space, not empty).
 * 0 or -EINVAL. */
int hbt__parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Copy `len` bytes of `s`, NUL-terminated; NULL if out of memory. */
char *hbt__dup_mem(const char *s, size_t len);

/* Grow *buf to hold at least `need` bytes (geometric). 0 or -ENOMEM. */
int hbt__grow(char **buf, size_t *cap, size_t need);

/* libcsv field callback: store the field in r->fbuf (also used for
 * whitespace-separated tokens). */
void hbt__on_field(void *s, size_t len, void *data);

/* A comment line's text after the '#' (metadata, as in v1). */
int hbt__comment(struct hbt__reader *r, const char *s, size_t len);

/* Append an arrival to the trace. 0 or -ENOMEM (recorded). */
int hbt__push_arrival(struct hbt__reader *r, uint64_t seq, uint64_t send,
                      uint64_t at);

/* ---- plain layouts (trace_plain.c) ------------------------------------- */

/* Set up r->p for reading `o` (layout other than V1; AUTO = detect).
 * 0 or -ENOMEM (recorded). */
int hbt__plain_init(struct hbt__reader *r, const hbt_read_opts_t *o);
/* Feed bytes; 0 or r->rc. */
int hbt__plain_feed(struct hbt__reader *r, const char *buf, size_t len);
/* At the end of the data: last line, checks, re-basing. 0 or r->rc. */
int hbt__plain_finish(struct hbt__reader *r);
/* Free what r->p owns. */
void hbt__plain_free(struct hbt__reader *r);

#endif /* HBT_TRACE_IMPL_H */
