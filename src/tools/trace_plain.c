/* SPDX-License-Identifier: MIT */
/*
 * trace_plain.c - the plain layouts of docs/trace-format.md, "Other
 * layouts": rows of the columns seq, send, arrival, peer and kind, in any
 * order, separated by commas or tabs (libcsv) or by runs of blanks
 * (strtok_r()), times in a unit with decimals. Contract: trace.h,
 * hbt_read_with(); the driver, comments and metadata are in trace.c.
 *
 * Line by line: a whole line is gathered in r->cbuf, then it is blank, a
 * comment ('#' after optional blanks; "# key=value" is metadata as in v1,
 * so "# interval_ns=100000000" works here too), or a row (a CSV record
 * may go on over the next lines inside quotes). The first row is a header
 * if the field that should hold the arrival time (without --columns: the
 * first field) is not a number; the header names the columns (names[]
 * below: case, blanks and dashes do not matter, a time column's name may
 * end in its unit). Without a header or --columns, a row is seq,arrival or
 * seq,send,arrival. Every row has as many fields as the first, except the
 * short marker row "crash,TIME" / "end,TIME" (or blank-separated).
 *
 * Sequence numbers. The detectors take seq 0 as "unknown" and expect the
 * sender to count from 1 (hbeat's senders do), but published traces count
 * from 0, or from wherever the logger started. So every seq is moved by
 * the same amount, to seq - min + 1 with min the smallest seq in the file
 * (known at the end: the array is fixed up once). Differences are kept: a
 * gap is still a loss, a decrease still a reordering or a restart, as in
 * v1. A seq must be below 2^64 - 1 for the result to fit. Send times
 * have the same trouble (0 = unknown to hb_detector_heartbeat_sent()), and
 * the detectors use only their differences: if one is 0, all known ones
 * move up by 1 ns. Until the end they are stored plus 1, so that a known 0
 * stays apart from an unknown one.
 *
 * Times are decimal fixed point, parsed exactly: the integer digits, as
 * many decimals as the unit has down to 1 ns (9 for seconds), and one more
 * to round to the nearest ns (halves up); decimals after it change
 * nothing. strtod() would lose the nanoseconds of an epoch time in
 * seconds (a double holds whole ns only up to 2^53 ns, 104 days). Without
 * a unit (neither --time-unit nor a suffix in the header) times are ns and
 * a fraction is an error: "1700000000.25" read as ns would be 1.7 s.
 *
 * Errors are "FILE:LINE:FIELD: message", FIELD the 1-based number of the
 * field at fault in its row, or "FILE:LINE: message" when no one field is
 * (LINE: where a CSV record starts).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/trace_impl.h"

#define SHOW(len) ((int)((len) < HBT_SHOW ? (len) : HBT_SHOW))
#define F(r, i) HBT_FIELD(r, i)
#define FL(r, i) ((r)->flens[i])

enum kind { K_NONE = -1, K_HB, K_CRASH, K_END };

static const char *const kind_names[] = { "hb", "crash", "end" };

static const char *const col_names[HBT_NCOLS] = {
        "seq", "send", "arrival", "peer", "kind",
};

/* Header names, lower case, '_' for blanks and dashes, without a unit. */
static const struct {
        const char *name;
        int col;
} names[] = {
        { "seq", HBT_COL_SEQ },              { "seqno", HBT_COL_SEQ },
        { "seq_no", HBT_COL_SEQ },           { "seqnum", HBT_COL_SEQ },
        { "seq_num", HBT_COL_SEQ },          { "sequence", HBT_COL_SEQ },
        { "numseq", HBT_COL_SEQ },           { "num_seq", HBT_COL_SEQ },
        { "send", HBT_COL_SEND },            { "sent", HBT_COL_SEND },
        { "send_time", HBT_COL_SEND },       { "sent_time", HBT_COL_SEND },
        { "send_ts", HBT_COL_SEND },         { "tx", HBT_COL_SEND },
        { "timestamp_send", HBT_COL_SEND },  { "tx_time", HBT_COL_SEND },
        { "arrival", HBT_COL_ARRIVAL },      { "arrive", HBT_COL_ARRIVAL },
        { "arrival_time", HBT_COL_ARRIVAL }, { "arrived", HBT_COL_ARRIVAL },
        { "recv", HBT_COL_ARRIVAL },         { "recv_time", HBT_COL_ARRIVAL },
        { "receive", HBT_COL_ARRIVAL },      { "received", HBT_COL_ARRIVAL },
        { "receive_time", HBT_COL_ARRIVAL }, { "rx", HBT_COL_ARRIVAL },
        { "rx_time", HBT_COL_ARRIVAL },      { "time", HBT_COL_ARRIVAL },
        { "timestamp", HBT_COL_ARRIVAL },
        { "timestamp_receive", HBT_COL_ARRIVAL },
        { "peer", HBT_COL_PEER },            { "site", HBT_COL_PEER },
        { "node", HBT_COL_PEER },            { "host", HBT_COL_PEER },
        { "sender", HBT_COL_PEER },          { "src", HBT_COL_PEER },
        { "source", HBT_COL_PEER },          { "from", HBT_COL_PEER },
        { "kind", HBT_COL_KIND },            { "event", HBT_COL_KIND },
        { "type", HBT_COL_KIND },
};

/* Unit suffixes of time column names; "_s" last ("_ms" ends in "s"). */
static const struct {
        const char *suffix;
        uint64_t ns;
} suffixes[] = {
        { "_ns", 1 }, { "_us", 1000 }, { "_ms", 1000000 },
        { "_s", 1000000000 },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(HBT_MAX_FIELDS <= 64, "--columns check uses a uint64_t");

static int lookup_name(const char *n)
{
        for (size_t i = 0; i < N_OF(names); i++)
                if (strcmp(names[i].name, n) == 0)
                        return names[i].col;
        return -1;
}

/* The column a header field names (or -1), and the unit its name gives
 * (*unit, ns per unit; 0 for none). */
static int name_col(const char *s, size_t len, uint64_t *unit)
{
        char n[32];
        int c;

        *unit = 0;
        if (len == 0 || len >= sizeof(n))
                return -1;
        for (size_t i = 0; i < len; i++) {
                char ch = s[i];

                if (ch >= 'A' && ch <= 'Z')
                        ch = (char)(ch - 'A' + 'a');
                else if (ch == ' ' || ch == '-')
                        ch = '_';
                n[i] = ch;
        }
        n[len] = '\0';
        c = lookup_name(n);
        if (c >= 0)
                return c;
        for (size_t i = 0; i < N_OF(suffixes); i++) {
                size_t sl = strlen(suffixes[i].suffix);

                if (len <= sl || strcmp(n + len - sl, suffixes[i].suffix))
                        continue;
                n[len - sl] = '\0';
                c = lookup_name(n);
                if (c != HBT_COL_SEND && c != HBT_COL_ARRIVAL)
                        return -1;
                *unit = suffixes[i].ns;
                return c;
        }
        return -1;
}

/* Digits with at most one '.', at least one digit. */
static bool is_number(const char *s, size_t len)
{
        bool digit = false, dot = false;

        for (size_t i = 0; i < len; i++) {
                if (s[i] >= '0' && s[i] <= '9')
                        digit = true;
                else if (s[i] == '.' && !dot)
                        dot = true;
                else
                        return false;
        }
        return digit;
}

/* "crash" or "end" in the seq field (or alone before a time). */
static enum kind marker(const char *s, size_t len)
{
        if (len == 5 && memcmp(s, "crash", 5) == 0)
                return K_CRASH;
        if (len == 3 && memcmp(s, "end", 3) == 0)
                return K_END;
        return K_NONE;
}

static bool empty_or_dash(const char *s, size_t len)
{
        return len == 0 || (len == 1 && s[0] == '-');
}

/*
 * A time "DIGITS[.DIGITS]" (either side may be empty, not both) in units
 * of `unit` ns (0: ns, and a fraction is -EDOM) into ns, rounded to the
 * nearest (halves up). 0, -EINVAL (not such a number), -EDOM, -ERANGE
 * (above HBT_MAX_VALUE ns).
 */
static int parse_time(const char *s, size_t len, uint64_t unit,
                      uint64_t *out)
{
        uint64_t scale = unit ? unit : 1, place = scale, ip = 0, frac = 0;
        bool digits = false, dot = false, big = false;
        unsigned up = 0;
        size_t i = 0;

        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                unsigned d = (unsigned)(s[i] - '0');

                if (ip > (UINT64_MAX - d) / 10)
                        big = true;
                else
                        ip = ip * 10 + d;
                digits = true;
        }
        if (i < len && s[i] == '.') {
                dot = true;
                for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                        unsigned d = (unsigned)(s[i] - '0');

                        /* scale is a power of 10: each place is exact. */
                        if (place >= 10) {
                                place /= 10;
                                frac += d * place;
                        } else if (place == 1) {
                                up = d >= 5;
                                place = 0;
                        }
                        digits = true;
                }
        }
        if (i != len || !digits)
                return -EINVAL;
        if (dot && !unit)
                return -EDOM;
        if (big || ip > (HBT_MAX_VALUE - frac - up) / scale)
                return -ERANGE;
        *out = ip * scale + frac + up;
        return 0;
}

static const char *cname(const struct hbt__reader *r, int c)
{
        return r->p.name[c] ? r->p.name[c] : col_names[c];
}

static int bad_time(struct hbt__reader *r, size_t field, int c, int e)
{
        const char *v = F(r, field - 1);
        size_t len = FL(r, field - 1);

        if (e == -EDOM)
                return hbt__fail(r, -EINVAL, r->row_line, field,
                                 "%s '%.*s' has decimals but no unit: give "
                                 "--time-unit s, ms, us or ns, or a header "
                                 "name ending in _s, _ms, _us or _ns",
                                 cname(r, c), SHOW(len), v);
        if (e == -ERANGE)
                return hbt__fail(r, -EINVAL, r->row_line, field,
                                 "%s '%.*s' is out of range (at most "
                                 "%" PRIu64 " ns)",
                                 cname(r, c), SHOW(len), v, HBT_MAX_VALUE);
        return hbt__fail(r, -EINVAL, r->row_line, field,
                         "%s '%.*s' is not a time (digits, and a '.' with "
                         "decimals if needed)",
                         cname(r, c), SHOW(len), v);
}

/* ---- separators -------------------------------------------------------- */

static int csv_blank(unsigned char c)
{
        return c == ' ' || c == '\t';
}

static int tsv_blank(unsigned char c)
{
        return c == ' ';
}

/* Blanks around a field are not data here, unlike in v1: hand-written
 * "1, 100, 200" is common. */
static void set_sep(struct hbt__reader *r, hbt_layout_t sep)
{
        r->p.sep = sep;
        if (sep == HBT_LAYOUT_CSV) {
                csv_set_delim(&r->csv, ',');
                csv_set_space_func(&r->csv, csv_blank);
        } else if (sep == HBT_LAYOUT_TSV) {
                csv_set_delim(&r->csv, '\t');
                csv_set_space_func(&r->csv, tsv_blank);
        }
}

/* ---- the header and the columns ---------------------------------------- */

static bool want_header(const struct hbt__reader *r)
{
        const struct hbt__plain *p = &r->p;
        size_t a = p->col[HBT_COL_ARRIVAL];

        if (p->cols_given && a <= r->nf)
                return !is_number(F(r, a - 1), FL(r, a - 1));
        return !is_number(F(r, 0), FL(r, 0)) &&
               marker(F(r, 0), FL(r, 0)) == K_NONE;
}

static bool is_sentinterval(const struct hbt__reader *r)
{
        static const char *const want[] = {
                "numseq", "timestamp_start_send", "timestamp_end_send",
        };

        if (r->nf != N_OF(want))
                return false;
        for (size_t i = 0; i < N_OF(want); i++)
                if (strcmp(F(r, i), want[i]) != 0)
                        return false;
        return true;
}

/* The columns that --columns or the layout name must exist. */
static int check_fields(struct hbt__reader *r, const char *what)
{
        const struct hbt__plain *p = &r->p;

        for (int c = 0; c < HBT_NCOLS; c++)
                if (p->col[c] > r->nf)
                        return hbt__fail(r, -EINVAL, r->row_line, 0,
                                         "the %s has %zu fields, but the %s "
                                         "column is field %u (%s)",
                                         what, r->nf, col_names[c], p->col[c],
                                         p->o->layout == HBT_LAYOUT_LIP6 &&
                                                         !p->o->cols[c]
                                                 ? "--trace-layout lip6"
                                                 : "--columns");
        return 0;
}

static int read_header(struct hbt__reader *r)
{
        struct hbt__plain *p = &r->p;
        size_t n = r->nf < HBT_MAX_FIELDS ? r->nf : HBT_MAX_FIELDS;
        uint64_t u;

        if (!p->cols_given) {
                if (is_sentinterval(r))
                        return hbt__fail(r, -EINVAL, r->row_line, 0,
                                         "sender timing, not arrivals "
                                         "(PlanetLab sentinterval: numseq,"
                                         "timestamp_start_send,"
                                         "timestamp_end_send): make an "
                                         "arrival trace of it with "
                                         "'hbeat-sim trace --sender-times "
                                         "%s' (docs/trace-format.md)",
                                         strcmp(r->name, "<stdin>") == 0
                                                 ? "-"
                                                 : r->name);
                for (size_t i = 0; i < n; i++) {
                        int c = name_col(F(r, i), FL(r, i), &u);

                        if (c < 0)
                                continue;       /* a column not read */
                        if (p->col[c])
                                return hbt__fail(r, -EINVAL, r->row_line,
                                                 i + 1,
                                                 "'%.*s' names a second %s "
                                                 "column (field %u is one)",
                                                 SHOW(FL(r, i)), F(r, i),
                                                 col_names[c], p->col[c]);
                        p->col[c] = (unsigned)i + 1;
                }
                if (!p->col[HBT_COL_ARRIVAL])
                        return hbt__fail(r, -EINVAL, r->row_line, 0,
                                         "the header row names no arrival "
                                         "column (arrival, arrival_ns, "
                                         "recv, receive, time, ...; "
                                         "docs/trace-format.md), or give "
                                         "--columns");
        } else if (check_fields(r, "header row") < 0) {
                return r->rc;
        }
        /* Each column read is called in messages as its header calls it,
         * and a time column's name may give the unit. */
        for (int c = 0; c < HBT_NCOLS; c++) {
                unsigned k = p->col[c];

                if (!k)
                        continue;
                p->name[c] = hbt__dup_mem(F(r, k - 1), FL(r, k - 1));
                if (!p->name[c])
                        return hbt__fail_oom(r);
                if ((c == HBT_COL_SEND || c == HBT_COL_ARRIVAL) &&
                    !p->unit[c] && name_col(F(r, k - 1), FL(r, k - 1),
                                            &u) >= 0)
                        p->unit[c] = u;
        }
        p->from_header = true;
        p->nfields = r->nf;
        return 0;
}

/* The first row is data: it sets the column count (and the columns). */
static int first_row(struct hbt__reader *r)
{
        struct hbt__plain *p = &r->p;

        if (p->cols_given) {
                if (check_fields(r, "first row") < 0)
                        return r->rc;
        } else if (r->nf == 2) {
                p->col[HBT_COL_SEQ] = 1;
                p->col[HBT_COL_ARRIVAL] = 2;
        } else if (r->nf == 3) {
                p->col[HBT_COL_SEQ] = 1;
                p->col[HBT_COL_SEND] = 2;
                p->col[HBT_COL_ARRIVAL] = 3;
        } else {
                return hbt__fail(r, -EINVAL, r->row_line, 0,
                                 "%zu fields and no header row: without "
                                 "one a row is seq,arrival or seq,send,"
                                 "arrival; name the columns in a header row "
                                 "or with --columns%s",
                                 r->nf,
                                 r->nf == 5 && p->sep == HBT_LAYOUT_WS
                                         ? " (a LIP6 PlanetLab reception "
                                           "log? --trace-layout lip6)"
                                         : "");
        }
        p->nfields = r->nf;
        return 0;
}

/* ---- rows -------------------------------------------------------------- */

/*
 * The peer column: with --trace-peer, *skip rows of other peers; without,
 * every row must name the same peer. 0 or r->rc.
 */
static int row_peer(struct hbt__reader *r, bool *skip)
{
        struct hbt__plain *p = &r->p;
        hbt_trace_t *t = r->t;
        size_t k = p->col[HBT_COL_PEER] - 1;
        const char *v = F(r, k);
        size_t len = FL(r, k);
        bool same = t->peer && strlen(t->peer) == len &&
                    memcmp(t->peer, v, len) == 0;

        *skip = false;
        if (p->o->peer) {
                *skip = !same;
                return 0;
        }
        if (same)
                return 0;
        if (t->peer)
                return hbt__fail(r, -EINVAL, r->row_line, k + 1,
                                 "%s '%.*s' differs from '%.*s' named "
                                 "before (one peer per trace: pick one with "
                                 "--trace-peer)",
                                 cname(r, HBT_COL_PEER), SHOW(len), v,
                                 HBT_SHOW, t->peer);
        t->peer = hbt__dup_mem(v, len);
        return t->peer ? 0 : hbt__fail_oom(r);
}

static int data_row(struct hbt__reader *r)
{
        struct hbt__plain *p = &r->p;
        hbt_trace_t *t = r->t;
        enum kind kind = K_HB;
        bool short_row = false, skip;
        uint64_t seq = 0, send = 0, at;
        size_t nf = r->nf, tf, k;
        int e;

        if (!p->col[HBT_COL_KIND] && nf == 2 &&
            marker(F(r, 0), FL(r, 0)) != K_NONE) {
                kind = marker(F(r, 0), FL(r, 0));
                short_row = true;
                tf = 2;
        } else {
                if (nf != p->nfields)
                        return hbt__fail(r, -EINVAL, r->row_line,
                                         (nf < p->nfields ? nf : p->nfields) +
                                                 1,
                                         "%zu fields, expected %zu (as the "
                                         "%s)",
                                         nf, p->nfields,
                                         p->from_header ? "header row"
                                                        : "first row");
                tf = p->col[HBT_COL_ARRIVAL];
                if ((k = p->col[HBT_COL_KIND])) {
                        for (kind = K_HB; kind <= K_END; kind++)
                                if (strcmp(F(r, k - 1), kind_names[kind]) ==
                                    0)
                                        break;
                        if (kind > K_END)
                                return hbt__fail(r, -EINVAL, r->row_line, k,
                                                 "%s '%.*s' is not hb, crash "
                                                 "or end",
                                                 cname(r, HBT_COL_KIND),
                                                 SHOW(FL(r, k - 1)),
                                                 F(r, k - 1));
                } else if ((k = p->col[HBT_COL_SEQ]) &&
                           marker(F(r, k - 1), FL(r, k - 1)) != K_NONE) {
                        kind = marker(F(r, k - 1), FL(r, k - 1));
                }
                if (p->col[HBT_COL_PEER]) {
                        if (row_peer(r, &skip) < 0)
                                return r->rc;
                        if (skip) {
                                p->other_rows++;
                                return 0;
                        }
                }
        }
        p->peer_rows++;
        if (kind != K_HB && !short_row) {
                /* The seq field holds the word unless kind does. */
                k = p->col[HBT_COL_KIND] ? p->col[HBT_COL_SEQ] : 0;
                if (k && !empty_or_dash(F(r, k - 1), FL(r, k - 1)))
                        return hbt__fail(r, -EINVAL, r->row_line, k,
                                         "%s must be empty or '-' on %s "
                                         "rows",
                                         cname(r, HBT_COL_SEQ),
                                         kind_names[kind]);
                k = p->col[HBT_COL_SEND];
                if (k && !empty_or_dash(F(r, k - 1), FL(r, k - 1)))
                        return hbt__fail(r, -EINVAL, r->row_line, k,
                                         "%s must be empty or '-' on %s "
                                         "rows",
                                         cname(r, HBT_COL_SEND),
                                         kind_names[kind]);
        }
        if (r->ended)
                return hbt__fail(r, -EINVAL, r->row_line, 0,
                                 "%s row after the end row (end is the last "
                                 "row)",
                                 kind_names[kind]);
        e = parse_time(F(r, tf - 1), FL(r, tf - 1), p->unit[HBT_COL_ARRIVAL],
                       &at);
        if (e < 0)
                return bad_time(r, tf, HBT_COL_ARRIVAL, e);
        if (kind == K_HB && (k = p->col[HBT_COL_SEQ]) &&
            hbt__parse_u64(F(r, k - 1), FL(r, k - 1), HBT_MAX_VALUE, &seq) < 0)
                return hbt__fail(r, -EINVAL, r->row_line, k,
                                 "%s '%.*s' is not an integer in 0..%" PRIu64,
                                 cname(r, HBT_COL_SEQ), SHOW(FL(r, k - 1)),
                                 F(r, k - 1), HBT_MAX_VALUE);
        if (kind == K_HB && (k = p->col[HBT_COL_SEND]) &&
            !empty_or_dash(F(r, k - 1), FL(r, k - 1))) {
                e = parse_time(F(r, k - 1), FL(r, k - 1),
                               p->unit[HBT_COL_SEND], &send);
                if (e < 0)
                        return bad_time(r, k, HBT_COL_SEND, e);
                p->send_zero |= send == 0;
                send++;                 /* <= HBT_MAX_VALUE + 1: fits */
        }
        if (r->seen_rows && at < r->last_ns)
                return hbt__fail(r, -EINVAL, r->row_line, tf,
                                 "%s '%.*s' is before the previous row's "
                                 "(%" PRIu64 " ns < %" PRIu64 " ns; rows "
                                 "must be in arrival order)",
                                 cname(r, HBT_COL_ARRIVAL),
                                 SHOW(FL(r, tf - 1)), F(r, tf - 1), at,
                                 r->last_ns);
        r->seen_rows = true;
        r->last_ns = at;
        switch (kind) {
        case K_HB:
                /* After the crash, rows are checked but ignored (v1). */
                if (r->crashed)
                        return 0;
                if (p->col[HBT_COL_SEQ] && (!p->any_seq || seq < p->seq_min)) {
                        p->seq_min = seq;
                        p->any_seq = true;
                }
                return hbt__push_arrival(r, seq, send, at);
        case K_CRASH:
                if (r->crashed)
                        return hbt__fail(r, -EINVAL, r->row_line, 0,
                                         "second crash row (at most one)");
                r->crashed = true;
                t->crash_ns = at;
                return 0;
        case K_END:
                r->ended = true;
                t->end_ns = at;
                return 0;
        case K_NONE:
                break;
        }
        return 0;
}

/* One row of fields in r->fbuf: the header, or data. */
static int plain_row(struct hbt__reader *r)
{
        struct hbt__plain *p = &r->p;

        if (r->nf == 0)
                return 0;
        if (!p->started) {
                p->started = true;
                if (want_header(r)) {
                        if (read_header(r) < 0)
                                return r->rc;
                } else if (first_row(r) < 0) {
                        return r->rc;
                }
                if (p->o->peer && !p->col[HBT_COL_PEER])
                        return hbt__fail(r, -EINVAL, r->row_line, 0,
                                         "--trace-peer needs a peer column "
                                         "(a header name peer, site, node, "
                                         "host, ...; or --columns peer=N)");
                if (p->from_header)
                        return 0;
        }
        return data_row(r);
}

static void plain_on_row(int c, void *data)
{
        struct hbt__reader *r = data;

        (void)c;
        r->saw_row = true;
        if (!r->rc)
                plain_row(r);
        r->nf = 0;
        r->flen = 0;
}

/* ---- lines ------------------------------------------------------------- */

static int csv_line(struct hbt__reader *r, const char *s, size_t len)
{
        r->saw_row = false;
        if (csv_parse(&r->csv, s, len, hbt__on_field, plain_on_row, r) !=
                    len ||
            csv_parse(&r->csv, "\n", 1, hbt__on_field, plain_on_row, r) !=
                    1) {
                int e = csv_error(&r->csv);

                if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
                        return hbt__fail_oom(r);
                return hbt__fail(r, -EINVAL, r->line, r->nf + 1,
                                 "malformed CSV (%s)", csv_strerror(e));
        }
        r->p.in_record = !r->saw_row;
        return r->rc;
}

static int ws_row(struct hbt__reader *r, char *s)
{
        static const char blanks[] = " \t\v\f";
        char *save = NULL;

        for (char *tok = strtok_r(s, blanks, &save); tok;
             tok = strtok_r(NULL, blanks, &save))
                hbt__on_field(tok, strlen(tok), r);
        if (!r->rc)
                plain_row(r);
        r->nf = 0;
        r->flen = 0;
        return r->rc;
}

/* The whole line in r->cbuf (without its '\n'). */
static int plain_line(struct hbt__reader *r)
{
        struct hbt__plain *p = &r->p;
        char *s = r->cbuf;
        size_t len = r->clen, k;

        if (len && s[len - 1] == '\r')
                s[--len] = '\0';
        /* A byte order mark, as some spreadsheets write. */
        if (r->line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
                s += 3;
                len -= 3;
        }
        if (memchr(s, '\0', len))
                return hbt__fail(r, -EINVAL, r->line, 0,
                                 "a NUL byte: not a text file (gzip data is "
                                 "read, other compressed data is not)");
        if (p->in_record)
                return csv_line(r, s, len);
        k = strspn(s, " \t");
        if (k == len)
                return 0;
        r->row_line = r->line;
        if (s[k] == '#')
                return hbt__comment(r, s + k + 1, len - k - 1);
        if (p->sep == HBT_LAYOUT_AUTO)
                set_sep(r, memchr(s, ',', len) ? HBT_LAYOUT_CSV
                                               : HBT_LAYOUT_WS);
        if (p->sep == HBT_LAYOUT_WS)
                return ws_row(r, s);
        return csv_line(r, s, len);
}

int hbt__plain_feed(struct hbt__reader *r, const char *buf, size_t len)
{
        size_t i = 0;

        while (i < len && !r->rc) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - buf) : len;

                if (hbt__grow(&r->cbuf, &r->ccap, r->clen + end - i + 1) < 0)
                        return hbt__fail_oom(r);
                memcpy(r->cbuf + r->clen, buf + i, end - i);
                r->clen += end - i;
                r->cbuf[r->clen] = '\0';
                if (!nl)
                        break;
                i = end + 1;
                plain_line(r);
                r->clen = 0;
                r->line++;
        }
        return r->rc;
}

/* ---- start and end ----------------------------------------------------- */

int hbt__plain_init(struct hbt__reader *r, const hbt_read_opts_t *o)
{
        struct hbt__plain *p = &r->p;
        uint64_t seen = 0;              /* bit n - 1: field n is used */

        p->o = o;
        p->sep = HBT_LAYOUT_AUTO;
        if (o->layout == HBT_LAYOUT_LIP6) {
                /* "site numseq send receive hops", ns: the format of the
                 * traceX.log files (ORIGINAL-README of the LIP6 data). */
                p->col[HBT_COL_PEER] = 1;
                p->col[HBT_COL_SEQ] = 2;
                p->col[HBT_COL_SEND] = 3;
                p->col[HBT_COL_ARRIVAL] = 4;
                p->unit[HBT_COL_SEND] = p->unit[HBT_COL_ARRIVAL] = 1;
                p->cols_given = true;
                set_sep(r, HBT_LAYOUT_WS);
        } else if (o->layout != HBT_LAYOUT_AUTO) {
                set_sep(r, o->layout);
        }
        for (int c = 0; c < HBT_NCOLS; c++) {
                if (!o->cols[c])
                        continue;
                if (o->cols[c] > HBT_MAX_FIELDS ||
                    (seen & (UINT64_C(1) << (o->cols[c] - 1))))
                        return hbt__fail(r, -EINVAL, 1, 0,
                                         "--columns: field numbers must "
                                         "differ and be in 1..%d",
                                         HBT_MAX_FIELDS);
                seen |= UINT64_C(1) << (o->cols[c] - 1);
        }
        if (seen) {
                if (!o->cols[HBT_COL_ARRIVAL])
                        return hbt__fail(r, -EINVAL, 1, 0,
                                         "--columns: no arrival column");
                memcpy(p->col, o->cols, sizeof(p->col));
                p->cols_given = true;
        }
        if (o->unit_ns)
                p->unit[HBT_COL_SEND] = p->unit[HBT_COL_ARRIVAL] = o->unit_ns;
        if (o->peer) {
                r->t->peer = hbt__dup_mem(o->peer, strlen(o->peer));
                if (!r->t->peer)
                        return hbt__fail_oom(r);
        }
        return 0;
}

int hbt__plain_finish(struct hbt__reader *r)
{
        struct hbt__plain *p = &r->p;
        hbt_trace_t *t = r->t;
        uint64_t last = r->line;

        if (r->rc)
                return r->rc;
        if (r->clen > 0) {
                if (plain_line(r) < 0)
                        return r->rc;
        } else if (last > 1) {
                last--;         /* a final '\n' moved r->line past it */
        }
        if (p->in_record)
                return hbt__fail(r, -EINVAL, r->row_line, 0,
                                 "unterminated quoted field");
        if (!p->started)
                return hbt__fail(r, -EINVAL, last, 0,
                                 "no rows (the file is empty, or holds only "
                                 "comments)");
        if (p->o->peer && p->peer_rows == 0)
                return hbt__fail(r, -EINVAL, last, 0,
                                 "no row of peer '%.*s' (--trace-peer) in "
                                 "%" PRIu64 " rows",
                                 HBT_SHOW, p->o->peer, p->other_rows);
        for (size_t i = 0; i < t->n; i++) {
                uint64_t send = t->arrivals[i].send_ns;

                if (p->any_seq)
                        t->arrivals[i].seq = t->arrivals[i].seq -
                                             p->seq_min + 1;
                if (send && !p->send_zero)
                        send--;
                t->arrivals[i].send_ns = send;
        }
        if (!r->ended)
                t->end_ns = r->seen_rows ? r->last_ns : 0;
        if (!t->peer) {
                t->peer = hbt__dup_mem("", 0);
                if (!t->peer)
                        return hbt__fail_oom(r);
        }
        t->layout = p->o->layout == HBT_LAYOUT_LIP6 ? HBT_LAYOUT_LIP6 : p->sep;
        return 0;
}

void hbt__plain_free(struct hbt__reader *r)
{
        for (int c = 0; c < HBT_NCOLS; c++) {
                free(r->p.name[c]);
                r->p.name[c] = NULL;
        }
}
