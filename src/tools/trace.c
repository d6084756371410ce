/* SPDX-License-Identifier: MIT */
/*
 * trace.c - read and write arrival traces (trace.h, docs/trace-format.md).
 *
 * Reading: hbt_read_with() gets the bytes from trace_src.c (a file or
 * stdin, inflated if gzip), looks at the first block to choose between
 * the v1 format, read here, and the plain layouts of trace_plain.c
 * ("Other layouts"), and feeds every block to the one chosen. Both share
 * the helpers below (errors, metadata comments, the arrays); their state
 * is struct hbt__reader (trace_impl.h).
 *
 * The v1 format mixes two kinds of line: "#" comments (the version
 * line and "# key=value" metadata), which are not CSV (a comment may hold
 * an unbalanced quote), and CSV records, which libcsv parses (strict mode,
 * RFC 4180 quoting; a quoted field may span lines). So the reader is a
 * small line dispatcher in front of libcsv:
 *
 *   - at the start of a record, a line beginning with '#' is a comment
 *     and is handled here, whole;
 *   - any other line is fed to csv_parse() up to and including its '\n'.
 *     With CSV_REPALL_NL libcsv reports every unquoted line end (an empty
 *     row for a blank line, or for the '\n' of a "\r\n"), so "the row
 *     callback saw '\n'" tells us the record is complete and the next line
 *     may be a comment again; if it did not, the '\n' was inside quotes
 *     and the next line continues the record.
 *
 * Errors are "FILE:LINE: message"; LINE is the line where the offending
 * record starts (a libcsv syntax error: the line of the bad byte). The
 * callbacks cannot stop csv_parse(), so they record the first error and
 * ignore everything after it; feeding one line at a time bounds the
 * wasted work to one line.
 *
 * Input is read in 256 KiB blocks (lines may straddle blocks: the comment
 * buffer and libcsv's own field buffer carry the partial line), arrays
 * grow geometrically, and integers are parsed by hand (digits only, with
 * an overflow check), so a 1-million-row trace (~45 MB) loads in about
 * 0.2 s. Every allocation, libcsv's included (its realloc and free are
 * set to the C library's), goes through the malloc family, so that the
 * unit tests, linked with failalloc's --wrap (tests/unit/failalloc.c), can
 * fail the Nth one.
 *
 * Writing formats each row into one buffer and fwrite()s it; the peer name
 * is CSV-quoted once at open (csv_write(), only when it needs quoting).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "tools/trace_impl.h"

#define HBT_MAGIC "# hbeat-trace"          /* auto-detection */
#define HBT_VERSION_LINE HBT_MAGIC " v1"
#define HBT_HEADER "kind,peer,seq,send_ns,arrival_ns"
#define HBT_NF 5                       /* fields per record */
#define HBT_BLOCK (256u * 1024u)       /* read size */

static const char *const header_names[HBT_NF] = {
        "kind", "peer", "seq", "send_ns", "arrival_ns",
};

/* ---- small helpers ----------------------------------------------------- */

char *hbt__dup_mem(const char *s, size_t len)
{
        char *p = malloc(len + 1);

        if (p) {
                memcpy(p, s, len);
                p[len] = '\0';
        }
        return p;
}

int hbt__grow(char **buf, size_t *cap, size_t need)
{
        size_t ncap = *cap ? *cap : 64;
        char *p;

        if (need <= *cap)
                return 0;
        while (ncap < need)
                ncap *= 2;
        p = realloc(*buf, ncap);
        if (!p)
                return -ENOMEM;
        *buf = p;
        *cap = ncap;
        return 0;
}

int hbt__parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                unsigned d = (unsigned char)s[i] - '0';

                if (d > 9 || v > (max - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *out = v;
        return 0;
}

int hbt__fail(struct hbt__reader *r, int rc, uint64_t line, size_t col,
              const char *fmt, ...)
{
        va_list ap;
        int k;

        if (r->rc)
                return r->rc;
        r->rc = rc;
        if (!r->errlen)
                return rc;
        if (col)
                k = snprintf(r->err, r->errlen, "%s:%" PRIu64 ":%zu: ",
                             r->name, line, col);
        else
                k = snprintf(r->err, r->errlen, "%s:%" PRIu64 ": ", r->name,
                             line);
        if (k >= 0 && (size_t)k < r->errlen) {
                va_start(ap, fmt);
                vsnprintf(r->err + k, r->errlen - (size_t)k, fmt, ap);
                va_end(ap);
        }
        return r->rc;
}

/* The v1 format's errors name the line only. */
#define fail(r, rc, line, ...) hbt__fail(r, rc, line, 0, __VA_ARGS__)

int hbt__fail_oom(struct hbt__reader *r)
{
        return fail(r, -ENOMEM, r->line, "out of memory");
}

#define fail_oom hbt__fail_oom

/* ---- comments and metadata --------------------------------------------- */

static bool is_key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int add_meta(struct hbt__reader *r, const char *k, size_t klen,
                    const char *v, size_t vlen)
{
        hbt_trace_t *t = r->t;
        hbt_meta_t m;

        if (t->n_meta == r->meta_cap) {
                size_t ncap = r->meta_cap ? 2 * r->meta_cap : 8;
                hbt_meta_t *p = realloc(t->meta, ncap * sizeof(*p));

                if (!p)
                        return fail_oom(r);
                t->meta = p;
                r->meta_cap = ncap;
        }
        m.key = hbt__dup_mem(k, klen);
        m.value = hbt__dup_mem(v, vlen);
        if (!m.key || !m.value) {
                free(m.key);
                free(m.value);
                return fail_oom(r);
        }
        t->meta[t->n_meta++] = m;
        return 0;
}

/* Compare the trace's peer (if known) with a new name; adopt it if not. */
static int check_peer(struct hbt__reader *r, const char *p, size_t len,
                      const char *where)
{
        hbt_trace_t *t = r->t;

        if (t->peer) {
                if (strlen(t->peer) == len && memcmp(t->peer, p, len) == 0)
                        return 0;
                return fail(r, -EINVAL, r->row_line,
                            "%s '%.*s' differs from peer '%.*s' named "
                            "before (one peer per trace)",
                            where, (int)(len < HBT_SHOW ? len : HBT_SHOW), p,
                            HBT_SHOW, t->peer);
        }
        t->peer = hbt__dup_mem(p, len);
        return t->peer ? 0 : fail_oom(r);
}

/* One whole v1 comment line (without '#' and '\n'). */
static int handle_comment(struct hbt__reader *r)
{
        const char *s = r->cbuf ? r->cbuf : "";
        size_t len = r->clen;

        if (len && s[len - 1] == '\r')
                len--;
        if (r->line == 1) {
                static const char want[] = HBT_VERSION_LINE;

                if (len == sizeof(want) - 2 &&
                    memcmp(s, want + 1, len) == 0) {
                        r->seen_version = true;
                        return 0;
                }
                return fail(r, -EINVAL, 1,
                            "first line is '#%.*s', expected '%s'",
                            (int)(len < HBT_SHOW ? len : HBT_SHOW), s,
                            HBT_VERSION_LINE);
        }
        return hbt__comment(r, s, len);
}

int hbt__comment(struct hbt__reader *r, const char *s, size_t len)
{
        size_t k = 0, v;

        while (k < len && (s[k] == ' ' || s[k] == '\t'))
                k++;
        s += k;
        len -= k;
        for (k = 0; k < len && is_key_char(s[k]); k++)
                ;
        if (k == 0 || k == len || s[k] != '=')
                return 0;               /* a plain comment */
        v = k + 1;
        while (len > v && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        r->row_line = r->line;
        if (k == 11 && memcmp(s, "interval_ns", 11) == 0) {
                uint64_t iv;

                if (r->seen_interval)
                        return fail(r, -EINVAL, r->line,
                                    "interval_ns given twice");
                if (hbt__parse_u64(s + v, len - v, HBT_MAX_VALUE, &iv) < 0 ||
                    iv == 0)
                        return fail(r, -EINVAL, r->line,
                                    "interval_ns '%.*s' is not an integer "
                                    "in 1..%" PRIu64,
                                    (int)(len - v < HBT_SHOW ? len - v
                                                             : HBT_SHOW),
                                    s + v, HBT_MAX_VALUE);
                r->seen_interval = true;
                r->t->interval_ns = iv;
                return 0;
        }
        if (k == 4 && memcmp(s, "peer", 4) == 0)
                return check_peer(r, s + v, len - v, "metadata peer");
        return add_meta(r, s, k, s + v, len - v);
}

/* ---- records ----------------------------------------------------------- */

void hbt__on_field(void *s, size_t len, void *data)
{
        struct hbt__reader *r = data;

        if (r->rc)
                return;
        if (r->nf < HBT_MAX_FIELDS) {
                if (hbt__grow(&r->fbuf, &r->fcap, r->flen + len + 1) < 0) {
                        fail_oom(r);
                        return;
                }
                r->foff[r->nf] = r->flen;
                r->flens[r->nf] = len;
                if (len)
                        memcpy(r->fbuf + r->flen, s, len);
                r->flen += len;
                r->fbuf[r->flen++] = '\0';
        }
        r->nf++;
}

#define FIELD HBT_FIELD

int hbt__push_arrival(struct hbt__reader *r, uint64_t seq, uint64_t send,
                      uint64_t at)
{
        hbt_trace_t *t = r->t;

        if (t->n == r->cap) {
                size_t ncap = r->cap ? 2 * r->cap : 4096;
                hbt_arrival_t *a;

                a = realloc(t->arrivals, ncap * sizeof(*a));
                if (!a)
                        return fail_oom(r);
                t->arrivals = a;
                r->cap = ncap;
        }
        t->arrivals[t->n].seq = seq;
        t->arrivals[t->n].send_ns = send;
        t->arrivals[t->n].arrival_ns = at;
        t->n++;
        return 0;
}

static int bad_int(struct hbt__reader *r, size_t i, uint64_t max)
{
        size_t len = r->flens[i];

        return fail(r, -EINVAL, r->row_line,
                    "%s '%.*s' is not an integer in 0..%" PRIu64,
                    header_names[i], (int)(len < HBT_SHOW ? len : HBT_SHOW),
                    FIELD(r, i), max);
}

static int handle_header(struct hbt__reader *r)
{
        bool ok = r->nf == HBT_NF;

        for (size_t i = 0; ok && i < HBT_NF; i++)
                ok = strcmp(FIELD(r, i), header_names[i]) == 0;
        if (!ok)
                return fail(r, -EINVAL, r->row_line,
                            "expected the header row '%s'", HBT_HEADER);
        r->seen_header = true;
        return 0;
}

static int handle_record(struct hbt__reader *r)
{
        enum { K_HB, K_CRASH, K_END } kind;
        const char *k;
        uint64_t seq = 0, send = 0, at;

        if (r->nf != HBT_NF)
                return fail(r, -EINVAL, r->row_line,
                            "%zu fields, expected %d (%s)", r->nf, HBT_NF,
                            HBT_HEADER);
        k = FIELD(r, 0);
        if (r->flens[0] == 2 && strcmp(k, "hb") == 0)
                kind = K_HB;
        else if (r->flens[0] == 5 && strcmp(k, "crash") == 0)
                kind = K_CRASH;
        else if (r->flens[0] == 3 && strcmp(k, "end") == 0)
                kind = K_END;
        else
                return fail(r, -EINVAL, r->row_line,
                            "unknown kind '%.*s' (hb, crash, end)",
                            HBT_SHOW, k);
        if (r->ended)
                return fail(r, -EINVAL, r->row_line,
                            "%s row after the end row (end is the last row)",
                            k);
        if (check_peer(r, FIELD(r, 1), r->flens[1], "peer") < 0)
                return r->rc;
        if (kind == K_HB) {
                if (hbt__parse_u64(FIELD(r, 2), r->flens[2], UINT64_MAX,
                                   &seq) < 0)
                        return bad_int(r, 2, UINT64_MAX);
                if (r->flens[3] &&
                    hbt__parse_u64(FIELD(r, 3), r->flens[3], UINT64_MAX,
                                   &send) < 0)
                        return bad_int(r, 3, UINT64_MAX);
        } else {
                if (r->flens[2] || r->flens[3])
                        return fail(r, -EINVAL, r->row_line,
                                    "%s must be empty on %s rows",
                                    r->flens[2] ? "seq" : "send_ns", k);
        }
        if (hbt__parse_u64(FIELD(r, 4), r->flens[4], HBT_MAX_VALUE, &at) < 0)
                return bad_int(r, 4, HBT_MAX_VALUE);
        if (r->seen_rows && at < r->last_ns)
                return fail(r, -EINVAL, r->row_line,
                            "arrival_ns %" PRIu64 " is before the previous "
                            "row's %" PRIu64 " (rows must be in arrival "
                            "order)",
                            at, r->last_ns);
        r->seen_rows = true;
        r->last_ns = at;
        switch (kind) {
        case K_HB:
                /* After the crash, hb rows are checked but ignored. */
                if (!r->crashed)
                        return hbt__push_arrival(r, seq, send, at);
                return 0;
        case K_CRASH:
                if (r->crashed)
                        return fail(r, -EINVAL, r->row_line,
                                    "second crash row (at most one)");
                r->crashed = true;
                r->t->crash_ns = at;
                return 0;
        case K_END:
                r->ended = true;
                r->t->end_ns = at;
                return 0;
        }
        return 0;
}

static void on_row(int c, void *data)
{
        struct hbt__reader *r = data;

        if (c == '\n')
                r->saw_nl = true;
        if (r->rc)
                return;
        if (r->nf > 0) {
                if (!r->seen_header)
                        handle_header(r);
                else
                        handle_record(r);
        }
        r->nf = 0;
        r->flen = 0;
}

/* ---- the dispatcher ---------------------------------------------------- */

static int csv_failed(struct hbt__reader *r)
{
        int e = csv_error(&r->csv);

        if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
                return fail_oom(r);
        return fail(r, -EINVAL, r->line, "malformed CSV (%s)",
                    csv_strerror(e));
}

static int no_space(unsigned char c)
{
        (void)c;
        return 0;
}

static int feed(struct hbt__reader *r, const char *buf, size_t len)
{
        size_t i = 0;

        while (i < len && !r->rc) {
                const char *nl;
                size_t end;

                if (r->state == ST_BOL) {
                        if (buf[i] == '#') {
                                r->state = ST_COMMENT;
                                r->clen = 0;
                                i++;
                                continue;
                        }
                        if (!r->seen_version)
                                return fail(r, -EINVAL, 1,
                                            "first line must be '%s'",
                                            HBT_VERSION_LINE);
                        r->state = ST_CSV;
                        r->row_line = r->line;
                }
                nl = memchr(buf + i, '\n', len - i);
                end = nl ? (size_t)(nl - buf) + 1 : len;
                if (r->state == ST_COMMENT) {
                        size_t n = end - i - (nl ? 1 : 0);

                        if (hbt__grow(&r->cbuf, &r->ccap, r->clen + n + 1) < 0)
                                return fail_oom(r);
                        memcpy(r->cbuf + r->clen, buf + i, n);
                        r->clen += n;
                        r->cbuf[r->clen] = '\0';
                        i = end;
                        if (nl) {
                                handle_comment(r);
                                r->line++;
                                r->state = ST_BOL;
                        }
                        continue;
                }
                r->saw_nl = false;
                if (csv_parse(&r->csv, buf + i, end - i, hbt__on_field, on_row,
                              r) != end - i)
                        return csv_failed(r);
                i = end;
                if (nl) {
                        r->line++;
                        if (r->saw_nl)
                                r->state = ST_BOL;
                }
        }
        return r->rc;
}

static int finish(struct hbt__reader *r)
{
        uint64_t last = r->line;

        if (r->rc)
                return r->rc;
        if (r->state == ST_COMMENT) {
                if (handle_comment(r) < 0)
                        return r->rc;
        } else if (r->state == ST_CSV) {
                if (csv_fini(&r->csv, hbt__on_field, on_row, r) != 0)
                        return r->rc ? r->rc
                                     : fail(r, -EINVAL, r->row_line,
                                            "unterminated quoted field");
                if (r->rc)
                        return r->rc;
        }
        /* A final '\n' moved r->line past the last line. */
        if (r->state == ST_BOL && last > 1)
                last--;
        if (!r->seen_version)
                return fail(r, -EINVAL, 1, "empty file, expected '%s'",
                            HBT_VERSION_LINE);
        if (!r->seen_header)
                return fail(r, -EINVAL, last, "no header row '%s'",
                            HBT_HEADER);
        if (!r->ended)
                r->t->end_ns = r->seen_rows ? r->last_ns : 0;
        if (!r->t->peer) {
                r->t->peer = hbt__dup_mem("", 0);
                if (!r->t->peer)
                        return fail_oom(r);
        }
        return 0;
}

/* Whether `o` asks for anything only the plain layouts have. */
static bool plain_options(const hbt_read_opts_t *o)
{
        if (o->unit_ns || o->peer)
                return true;
        for (size_t i = 0; i < HBT_NCOLS; i++)
                if (o->cols[i])
                        return true;
        return false;
}

/*
 * With the first block of data at hand: v1 or a plain layout. Auto-
 * detection looks at the first line only; a v1 file that lost its
 * version line is read as a plain CSV with a header (its column names are
 * among those known), which gives the same rows but re-based seqs.
 */
static int choose_layout(struct hbt__reader *r, const hbt_read_opts_t *o,
                         const char *buf, size_t n)
{
        size_t m = strlen(HBT_MAGIC);

        if (r->layout == HBT_LAYOUT_AUTO && n >= m &&
            memcmp(buf, HBT_MAGIC, m) == 0)
                r->layout = HBT_LAYOUT_V1;
        if (r->layout == HBT_LAYOUT_V1) {
                r->t->layout = HBT_LAYOUT_V1;
                if (plain_options(o))
                        return fail(r, -EINVAL, 1,
                                    "an hbeat-trace v1 file (one peer, "
                                    "times in ns): --time-unit, --columns "
                                    "and --trace-peer do not apply");
                return 0;
        }
        return hbt__plain_init(r, o);
}

int hbt_read_with(hbt_trace_t **ret, const char *path,
                  const hbt_read_opts_t *opts, char *err, size_t errlen)
{
        static const hbt_read_opts_t none = { 0 };
        struct hbt__reader r = { 0 };
        hbt__src_t src;
        FILE *f = NULL;
        char *buf = NULL;
        bool first = true;
        int rc;

        if (errlen)
                err[0] = '\0';
        if (!ret || !path || (errlen && !err))
                return -EINVAL;
        if (!opts)
                opts = &none;
        r.name = strcmp(path, "-") == 0 ? "<stdin>" : path;
        r.err = err;
        r.errlen = errlen;
        r.line = 1;
        r.state = ST_BOL;
        r.layout = opts->layout;
        hbt__src_init(&src, NULL, r.name);
        if (csv_init(&r.csv, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) !=
            0)
                return -ENOMEM;
        csv_set_realloc_func(&r.csv, realloc);
        csv_set_free_func(&r.csv, free);
        /* Spaces are data (RFC 4180): " 1" is not the integer 1. */
        csv_set_space_func(&r.csv, no_space);
        r.t = calloc(1, sizeof(*r.t));
        buf = malloc(HBT_BLOCK);
        if (!r.t || !buf) {
                rc = -ENOMEM;
                if (errlen)
                        snprintf(err, errlen, "%s: out of memory", r.name);
                goto out;
        }
        r.t->crash_ns = HB_NEVER;
        if (strcmp(path, "-") == 0) {
                f = stdin;
        } else {
                f = fopen(path, "re");
                if (!f) {
                        rc = -errno;
                        if (errlen)
                                snprintf(err, errlen, "%s: %s", path,
                                         strerror(-rc));
                        goto out;
                }
        }
        hbt__src_init(&src, f, r.name);
        for (;;) {
                long n = hbt__src_read(&src, buf, HBT_BLOCK, err, errlen);

                if (n < 0) {
                        rc = (int)n;
                        goto out;
                }
                if (first) {
                        first = false;
                        if (choose_layout(&r, opts, buf, (size_t)n) < 0) {
                                rc = r.rc;
                                goto out;
                        }
                }
                if (n && (r.layout == HBT_LAYOUT_V1
                                  ? feed(&r, buf, (size_t)n)
                                  : hbt__plain_feed(&r, buf, (size_t)n)) < 0) {
                        rc = r.rc;
                        goto out;
                }
                if ((size_t)n < HBT_BLOCK)
                        break;
        }
        rc = r.layout == HBT_LAYOUT_V1 ? finish(&r) : hbt__plain_finish(&r);
        if (rc == 0) {
                *ret = r.t;
                r.t = NULL;
        }
out:
        hbt__src_end(&src);
        if (f && f != stdin)
                fclose(f);
        csv_free(&r.csv);
        free(buf);
        free(r.cbuf);
        free(r.fbuf);
        hbt__plain_free(&r);
        hbt_free(r.t);
        return rc;
}

int hbt_read(hbt_trace_t **ret, const char *path, char *err, size_t errlen)
{
        static const hbt_read_opts_t v1 = { .layout = HBT_LAYOUT_V1 };

        return hbt_read_with(ret, path, &v1, err, errlen);
}

void hbt_free(hbt_trace_t *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n_meta; i++) {
                free(t->meta[i].key);
                free(t->meta[i].value);
        }
        free(t->meta);
        free(t->arrivals);
        free(t->peer);
        free(t);
}

/* ---- writer ------------------------------------------------------------ */

struct hbt_writer {
        FILE *f;
        char *line;                   /* row buffer */
        char *peer;                   /* CSV form of the peer */
        size_t peer_len;
        int rc;                       /* first I/O error, sticky */
        bool any, crashed, ended;
        uint64_t last_ns;
};

/* Longest row: "crash," + peer + ",20,20,20\n" digits and commas. */
#define HBT_ROW_MAX(peer_len) ((peer_len) + 80)

static bool has_newline(const char *s)
{
        return strpbrk(s, "\r\n") != NULL;
}

static bool valid_key(const char *k)
{
        if (!*k)
                return false;
        for (; *k; k++)
                if (!is_key_char(*k))
                        return false;
        return true;
}

/* Quote the peer for CSV only when libcsv would not read it back as is. */
static char *peer_csv(const char *peer, size_t *len)
{
        size_t n = strlen(peer), need;
        char *p;

        if (strpbrk(peer, ",\"") == NULL &&
            (n == 0 || (peer[0] != ' ' && peer[0] != '\t' &&
                        peer[n - 1] != ' ' && peer[n - 1] != '\t'))) {
                *len = n;
                return hbt__dup_mem(peer, n);
        }
        need = csv_write(NULL, 0, peer, n);
        p = malloc(need + 1);
        if (!p)
                return NULL;
        csv_write(p, need, peer, n);
        p[need] = '\0';
        *len = need;
        return p;
}

static int io_error(void)
{
        return errno ? -errno : -EIO;
}

int hbt_writer_open(hbt_writer_t **ret, FILE *f, const char *peer,
                    uint64_t interval_ns, const hbt_meta_t *meta,
                    size_t n_meta)
{
        hbt_writer_t *w;

        if (!ret || !f || (n_meta && !meta))
                return -EINVAL;
        if (!peer)
                peer = "";
        if (has_newline(peer))
                return -EINVAL;
        for (size_t i = 0; i < n_meta; i++)
                if (!meta[i].key || !meta[i].value ||
                    !valid_key(meta[i].key) || has_newline(meta[i].value) ||
                    strcmp(meta[i].key, "interval_ns") == 0 ||
                    strcmp(meta[i].key, "peer") == 0)
                        return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->f = f;
        w->peer = peer_csv(peer, &w->peer_len);
        w->line = w->peer ? malloc(HBT_ROW_MAX(w->peer_len)) : NULL;
        if (!w->line) {
                free(w->peer);
                free(w);
                return -ENOMEM;
        }
        errno = 0;
        if (fputs(HBT_VERSION_LINE "\n", f) < 0 ||
            (interval_ns &&
             fprintf(f, "# interval_ns=%" PRIu64 "\n", interval_ns) < 0) ||
            (*peer && fprintf(f, "# peer=%s\n", peer) < 0))
                w->rc = io_error();
        for (size_t i = 0; !w->rc && i < n_meta; i++)
                if (fprintf(f, "# %s=%s\n", meta[i].key, meta[i].value) < 0)
                        w->rc = io_error();
        if (!w->rc && fputs(HBT_HEADER "\n", f) < 0)
                w->rc = io_error();
        if (w->rc) {
                int rc = w->rc;

                free(w->line);
                free(w->peer);
                free(w);
                return rc;
        }
        *ret = w;
        return 0;
}

/* Decimal digits of v at p; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
        char tmp[20];
        size_t n = 0;

        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        while (n)
                *p++ = tmp[--n];
        return p;
}

static int put_row(hbt_writer_t *w, const char *kind, size_t kind_len,
                   bool hb, uint64_t seq, uint64_t send_ns,
                   uint64_t arrival_ns)
{
        char *p = w->line;

        if (w->rc)
                return w->rc;
        if (w->ended || arrival_ns == HB_NEVER ||
            (w->any && arrival_ns < w->last_ns))
                return -EINVAL;
        memcpy(p, kind, kind_len);
        p += kind_len;
        *p++ = ',';
        memcpy(p, w->peer, w->peer_len);
        p += w->peer_len;
        *p++ = ',';
        if (hb)
                p = put_u64(p, seq);
        *p++ = ',';
        if (hb)
                p = put_u64(p, send_ns);
        *p++ = ',';
        p = put_u64(p, arrival_ns);
        *p++ = '\n';
        errno = 0;
        if (fwrite(w->line, 1, (size_t)(p - w->line), w->f) !=
            (size_t)(p - w->line)) {
                w->rc = io_error();
                return w->rc;
        }
        w->any = true;
        w->last_ns = arrival_ns;
        return 0;
}

int hbt_write_hb(hbt_writer_t *w, uint64_t seq, uint64_t send_ns,
                 uint64_t arrival_ns)
{
        if (!w)
                return -EINVAL;
        return put_row(w, "hb", 2, true, seq, send_ns, arrival_ns);
}

int hbt_write_crash(hbt_writer_t *w, uint64_t at_ns)
{
        int rc;

        if (!w || w->crashed)
                return -EINVAL;
        rc = put_row(w, "crash", 5, false, 0, 0, at_ns);
        if (rc == 0)
                w->crashed = true;
        return rc;
}

int hbt_write_end(hbt_writer_t *w, uint64_t at_ns)
{
        int rc;

        if (!w)
                return -EINVAL;
        rc = put_row(w, "end", 3, false, 0, 0, at_ns);
        if (rc == 0)
                w->ended = true;
        return rc;
}

int hbt_writer_close(hbt_writer_t *w)
{
        int rc;

        if (!w)
                return 0;
        rc = w->rc;
        errno = 0;
        if (fflush(w->f) != 0 && !rc)
                rc = io_error();
        if (ferror(w->f) && !rc)
                rc = -EIO;
        free(w->line);
        free(w->peer);
        free(w);
        return rc;
}
