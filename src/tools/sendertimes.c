/* SPDX-License-Identifier: MIT */
/*
 * sendertimes.c - read real sender timing (the PlanetLab "sentinterval"
 * CSV of ../shared/traces/planetlab-lip6-sentinterval/: numseq,
 * timestamp_start_send, timestamp_end_send, ns) with libcsv, for
 * `hbeat-sim trace --sender-times` (contract: tracegen.h). The files are
 * gzip: the bytes come through the trace reader's source (trace_src.c),
 * which inflates them when they start with the gzip magic.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "tools/trace_impl.h"
#include "tools/tracegen.h"

#define ST_NF 3
#define ST_FIELD_MAX 32

static const char *const st_header[ST_NF] = {
        "numseq", "timestamp_start_send", "timestamp_end_send",
};

struct st_reader {
        const char *name;
        char *err;
        size_t errlen;
        int rc;
        uint64_t line;                /* of the row being parsed */
        char field[ST_NF][ST_FIELD_MAX + 1];
        size_t flen[ST_NF];
        size_t nf;
        bool seen_header;
        uint64_t first_start, last_start, last_numseq;
        hbtg_sender_times_t out;
        size_t cap;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int st_fail(struct st_reader *r, const char *fmt, ...)
{
        va_list ap;
        int k;

        if (r->rc)
                return r->rc;
        r->rc = -EINVAL;
        if (!r->errlen)
                return r->rc;
        k = snprintf(r->err, r->errlen, "%s:%" PRIu64 ": ", r->name, r->line);
        if (k >= 0 && (size_t)k < r->errlen) {
                va_start(ap, fmt);
                vsnprintf(r->err + k, r->errlen - (size_t)k, fmt, ap);
                va_end(ap);
        }
        return r->rc;
}

static void st_on_field(void *s, size_t len, void *data)
{
        struct st_reader *r = data;

        if (r->nf < ST_NF) {
                size_t n = len < ST_FIELD_MAX ? len : ST_FIELD_MAX;

                memcpy(r->field[r->nf], s, n);
                r->field[r->nf][n] = '\0';
                r->flen[r->nf] = len;
        }
        r->nf++;
}

static int st_u64(struct st_reader *r, size_t i, uint64_t max, uint64_t *v)
{
        const char *s = r->field[i];
        uint64_t x = 0;

        if (r->flen[i] == 0 || r->flen[i] > 20)
                goto bad_value;
        for (size_t j = 0; j < r->flen[i]; j++) {
                unsigned d = (unsigned char)s[j] - '0';

                if (d > 9 || x > (max - d) / 10)
                        goto bad_value;
                x = x * 10 + d;
        }
        *v = x;
        return 0;
bad_value:
        return st_fail(r, "%s '%s' is not an integer in 0..%" PRIu64,
                       st_header[i], s, max);
}

static int st_row(struct st_reader *r)
{
        uint64_t numseq, start, end;
        hbtg_sender_times_t *o = &r->out;

        if (r->nf != ST_NF)
                return st_fail(r, "%zu fields, expected 3 (%s,%s,%s)", r->nf,
                               st_header[0], st_header[1], st_header[2]);
        if (!r->seen_header) {
                for (size_t i = 0; i < ST_NF; i++)
                        if (strcmp(r->field[i], st_header[i]) != 0)
                                return st_fail(r, "expected the header row "
                                                  "'%s,%s,%s'",
                                               st_header[0], st_header[1],
                                               st_header[2]);
                r->seen_header = true;
                return 0;
        }
        if (st_u64(r, 0, UINT64_MAX - 1, &numseq) < 0 ||
            st_u64(r, 1, UINT64_MAX, &start) < 0 ||
            st_u64(r, 2, UINT64_MAX, &end) < 0)
                return r->rc;
        if (o->n == 0) {
                r->first_start = start;
        } else {
                if (numseq <= r->last_numseq)
                        return st_fail(r, "numseq %" PRIu64 " after %" PRIu64
                                          " (must increase)",
                                       numseq, r->last_numseq);
                if (start < r->last_start)
                        return st_fail(r, "timestamp_start_send %" PRIu64
                                          " is before the previous %" PRIu64,
                                       start, r->last_start);
        }
        if (start - r->first_start >= HBTG_MAX_TIME_NS / 2)
                return st_fail(r, "timestamp_start_send %" PRIu64 " is more "
                                  "than 2^61 ns after the first",
                               start);
        if (o->n == r->cap) {
                size_t ncap = r->cap ? 2 * r->cap : 4096;
                uint64_t *a = realloc(o->send_ns, ncap * sizeof(*a));

                if (!a)
                        return r->rc = -ENOMEM;
                o->send_ns = a;
                a = realloc(o->seq, ncap * sizeof(*a));
                if (!a)
                        return r->rc = -ENOMEM;
                o->seq = a;
                r->cap = ncap;
        }
        o->send_ns[o->n] = start - r->first_start;
        o->seq[o->n] = numseq + 1;
        o->n++;
        r->last_start = start;
        r->last_numseq = numseq;
        return 0;
}

static void st_on_row(int c, void *data)
{
        struct st_reader *r = data;

        if (!r->rc && r->nf > 0)
                st_row(r);
        r->nf = 0;
        if (c == '\n')
                r->line++;
}

int hbtg_sender_times_read(hbtg_sender_times_t *ret, FILE *f,
                           const char *name, char *err, size_t errlen)
{
        struct st_reader r = { 0 };
        struct csv_parser p;
        hbt__src_t src;
        char buf[64 * 1024];
        int rc = 0;

        if (errlen)
                err[0] = '\0';
        if (!ret || !f || (errlen && !err))
                return -EINVAL;
        r.name = name ? name : "-";
        r.err = err;
        r.errlen = errlen;
        r.line = 1;
        if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
                return -ENOMEM;
        csv_set_realloc_func(&p, realloc);
        csv_set_free_func(&p, free);
        hbt__src_init(&src, f, r.name);
        for (;;) {
                long got = hbt__src_read(&src, buf, sizeof(buf), err, errlen);
                size_t n;

                if (got < 0) {
                        rc = (int)got;
                        goto out_src;
                }
                n = (size_t)got;
                if (n && csv_parse(&p, buf, n, st_on_field, st_on_row, &r) !=
                             n) {
                        rc = csv_error(&p) == CSV_EPARSE
                                     ? st_fail(&r, "malformed CSV (%s)",
                                               csv_strerror(csv_error(&p)))
                                     : -ENOMEM;
                        goto out;
                }
                if (r.rc) {
                        rc = r.rc;
                        goto out;
                }
                if (n < sizeof(buf))
                        break;
        }
        if (csv_fini(&p, st_on_field, st_on_row, &r) != 0 && !r.rc)
                st_fail(&r, "unterminated quoted field");
        if (!r.rc && r.out.n == 0)
                st_fail(&r, "no send times (expected a header row and data "
                            "rows)");
        rc = r.rc;
out:
        if (rc == -ENOMEM && errlen)
                snprintf(err, errlen, "%s: out of memory", r.name);
out_src:
        hbt__src_end(&src);
        csv_free(&p);
        if (rc == 0) {
                *ret = r.out;
                return 0;
        }
        hbtg_sender_times_free(&r.out);
        return rc;
}

void hbtg_sender_times_free(hbtg_sender_times_t *st)
{
        if (!st)
                return;
        free(st->send_ns);
        free(st->seq);
        st->send_ns = NULL;
        st->seq = NULL;
        st->n = 0;
}
