/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl members`: one {"cmd":"members"} request, printed as a table.
 *
 * Every cell is formatted first, then each column is as wide as its widest
 * cell (header included), so the table stays aligned for any name, address
 * or counter width. Text columns are left-aligned, numbers right-aligned,
 * columns separated by two spaces, no trailing blanks, no colour: the
 * output is meant for terminals, logs and `column`/`awk` alike.
 *
 * --json prints the "members" array as the daemon sent it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"

enum { COL_PEER, COL_ID, COL_ADDRESS, COL_STATE, COL_FOR, COL_SUSPICION,
       COL_LAST_HB, COL_RTT, COL_INCARNATION, COL_SEQ, COL_GAPS, N_COLS };

static const struct {
        const char *title;
        bool right;     /* right-aligned (numbers) */
} columns[N_COLS] = {
        [COL_PEER] = { "PEER", false },
        [COL_ID] = { "ID", true },
        [COL_ADDRESS] = { "ADDRESS", false },
        [COL_STATE] = { "STATE", false },
        [COL_FOR] = { "FOR", true },
        [COL_SUSPICION] = { "SUSPICION", true },
        [COL_LAST_HB] = { "LAST HB", true },
        [COL_RTT] = { "RTT", true },
        [COL_INCARNATION] = { "INCARNATION", true },
        [COL_SEQ] = { "SEQ", true },
        [COL_GAPS] = { "GAPS", true },
};

/* A newly allocated formatted string, or NULL when out of memory. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, f);
        r = vasprintf(&s, f, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static char *fmt_int(const json_t *m, const char *key)
{
        const json_t *v = json_object_get(m, key);

        if (!json_is_integer(v))
                return fmt("-");
        return fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
}

/* A duration field in ms; `null_text` when it is null (or absent). */
static char *fmt_age(const json_t *m, const char *key, const char *null_text)
{
        char dur[HBCTL_DUR_LEN];
        bool ok;
        double ms = hbctl_json_num(m, key, &ok);

        if (!ok || ms < 0)
                return fmt("%s", null_text);
        return fmt("%s", hbctl_dur((uint64_t)llround(ms * 1e6), dur));
}

/*
 * Round-trip time: "median/p99 ms" with two decimals ("0.21/0.35 ms"), or
 * "-" before the first sample (the daemon sends null then).
 */
static char *fmt_rtt(const json_t *m)
{
        bool ok_med, ok_p99;
        double med = hbctl_json_num(m, "rtt_median_ms", &ok_med);
        double p99 = hbctl_json_num(m, "rtt_p99_ms", &ok_p99);

        if (!ok_med || !ok_p99)
                return fmt("-");
        return fmt("%.2f/%.2f ms", med, p99);
}

/* Fill one row of cells from a member object. 0, or -1 (no memory). */
static int fill_row(char **cells, const json_t *m)
{
        bool ok;
        double s = hbctl_json_num(m, "suspicion", &ok);

        cells[COL_PEER] = fmt("%s", hbctl_json_str(m, "name", "-"));
        cells[COL_ID] = fmt_int(m, "id");
        cells[COL_ADDRESS] = fmt("%s", hbctl_json_str(m, "address", "-"));
        cells[COL_STATE] = fmt("%s", hbctl_json_str(m, "state", "-"));
        cells[COL_FOR] = fmt_age(m, "state_age_ms", "-");
        /* phi saturates (at 1e6) long before a dead peer's silence ends:
         * past 1000 the number says nothing more than "very high". */
        cells[COL_SUSPICION] = !ok ? fmt("-")
                               : s >= 1000 ? fmt(">1000")
                                           : fmt("%.2f", s);
        cells[COL_LAST_HB] = fmt_age(m, "last_heartbeat_age_ms", "never");
        cells[COL_RTT] = fmt_rtt(m);
        cells[COL_INCARNATION] = fmt_int(m, "incarnation");
        cells[COL_SEQ] = fmt_int(m, "seq");
        cells[COL_GAPS] = fmt_int(m, "seq_gaps");
        for (int c = 0; c < N_COLS; c++)
                if (!cells[c])
                        return -1;
        return 0;
}

static void print_table(char **cells, size_t n_rows)
{
        size_t width[N_COLS] = { 0 };

        for (size_t r = 0; r < n_rows; r++)
                for (int c = 0; c < N_COLS; c++) {
                        size_t w = strlen(cells[r * N_COLS + c]);

                        if (w > width[c])
                                width[c] = w;
                }
        for (size_t r = 0; r < n_rows; r++) {
                for (int c = 0; c < N_COLS; c++) {
                        const char *s = cells[r * N_COLS + c];
                        int w = (int)width[c];

                        if (c > 0)
                                fputs("  ", stdout);
                        if (columns[c].right)
                                printf("%*s", w, s);
                        else if (c == N_COLS - 1)
                                fputs(s, stdout);
                        else
                                printf("%-*s", w, s);
                }
                putchar('\n');
        }
}

static int print_members(const json_t *members)
{
        size_t n_rows = json_array_size(members) + 1;
        char **cells = calloc(n_rows * N_COLS, sizeof(*cells));
        int status = HBCTL_EXIT_OK;

        if (!cells)
                goto nomem;
        for (int c = 0; c < N_COLS; c++) {
                cells[c] = fmt("%s", columns[c].title);
                if (!cells[c])
                        goto nomem;
        }
        for (size_t i = 1; i < n_rows; i++)
                if (fill_row(cells + i * N_COLS,
                             json_array_get(members, i - 1)) < 0)
                        goto nomem;
        print_table(cells, n_rows);
        goto out;

nomem:
        hbctl_err("out of memory");
        status = HBCTL_EXIT_FAIL;
out:
        if (cells)
                for (size_t i = 0; i < n_rows * N_COLS; i++)
                        free(cells[i]);
        free(cells);
        return status;
}

int hbctl_cmd_members(hbctl_ctx_t *ctx, int argc, char **argv)
{
        json_t *resp = NULL, *members;
        bool json;
        int status;

        status = hbctl_parse_json_only(argc, argv, &json);
        if (status >= 0)
                return status;

        status = hbctl_call(ctx, "members", NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        members = json_object_get(resp, "members");
        if (!json_is_array(members)) {
                hbctl_err("bad response from hbeatd: no \"members\" array");
                status = HBCTL_EXIT_FAIL;
        } else if (json) {
                status = hbctl_json_print(members, true);
        } else {
                status = print_members(members);
        }
        json_decref(resp);
        return hbctl_finish_stdout(status);
}
