/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl links`: one {"cmd":"links"} request (docs/links.md), printed
 * as a table with one row per (peer, link): the link's own state, how
 * long it has held it, its detector's suspicion, the age of the last
 * heartbeat that came over it, its round-trip time (median/p99, from the
 * echoes answered on that link) and its loss (sequence numbers never seen
 * on it / all it should have carried). Laid out as `hbeatctl members`.
 *
 * --json prints the daemon's response ("links" and "peers" arrays).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"

enum { COL_PEER, COL_LINK, COL_ADDRESS, COL_STATE, COL_FOR, COL_SUSPICION,
       COL_LAST_HB, COL_RTT, COL_LOSS, COL_PEER_STATE, N_COLS };

static const struct {
        const char *title;
        bool right;     /* right-aligned (numbers) */
} columns[N_COLS] = {
        [COL_PEER] = { "PEER", false },
        [COL_LINK] = { "LINK", false },
        [COL_ADDRESS] = { "ADDRESS", false },
        [COL_STATE] = { "STATE", false },
        [COL_FOR] = { "FOR", true },
        [COL_SUSPICION] = { "SUSPICION", true },
        [COL_LAST_HB] = { "LAST HB", true },
        [COL_RTT] = { "RTT", true },
        [COL_LOSS] = { "LOSS", true },
        [COL_PEER_STATE] = { "PEER STATE", false },
};

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

static char *fmt_age(const json_t *m, const char *key, const char *null_text)
{
        char dur[HBCTL_DUR_LEN];
        bool ok;
        double ms = hbctl_json_num(m, key, &ok);

        if (!ok || ms < 0)
                return fmt("%s", null_text);
        return fmt("%s", hbctl_dur((uint64_t)llround(ms * 1e6), dur));
}

/* "gaps/seen (p%)", or "-" before anything was received. */
static char *fmt_loss(const json_t *m)
{
        bool ok_r, ok_g;
        double rx = hbctl_json_num(m, "received", &ok_r);
        double gaps = hbctl_json_num(m, "seq_gaps", &ok_g);

        if (!ok_r || !ok_g || rx + gaps <= 0)
                return fmt("-");
        return fmt("%.0f/%.0f (%.1f%%)", gaps, rx + gaps,
                   100.0 * gaps / (rx + gaps));
}

static int fill_row(char **cells, const json_t *m)
{
        bool ok, ok_med, ok_p99;
        double s = hbctl_json_num(m, "suspicion", &ok);
        double med = hbctl_json_num(m, "rtt_median_ms", &ok_med);
        double p99 = hbctl_json_num(m, "rtt_p99_ms", &ok_p99);

        cells[COL_PEER] = fmt("%s", hbctl_json_str(m, "peer", "-"));
        cells[COL_LINK] = fmt("%s", hbctl_json_str(m, "link", "-"));
        cells[COL_ADDRESS] = fmt("%s", hbctl_json_str(m, "address", "-"));
        cells[COL_STATE] = fmt("%s", hbctl_json_str(m, "state", "-"));
        cells[COL_FOR] = fmt_age(m, "state_age_ms", "-");
        cells[COL_SUSPICION] = !ok ? fmt("-")
                               : s >= 1000 ? fmt(">1000")
                                           : fmt("%.2f", s);
        cells[COL_LAST_HB] = fmt_age(m, "last_heartbeat_age_ms", "never");
        cells[COL_RTT] = ok_med && ok_p99 ? fmt("%.2f/%.2f ms", med, p99)
                                          : fmt("-");
        cells[COL_LOSS] = fmt_loss(m);
        cells[COL_PEER_STATE] = fmt("%s",
                                    hbctl_json_str(m, "peer_state", "-"));
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

static int print_links(const json_t *rows)
{
        size_t n_rows = json_array_size(rows) + 1;
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
                             json_array_get(rows, i - 1)) < 0)
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

int hbctl_cmd_links(hbctl_ctx_t *ctx, int argc, char **argv)
{
        json_t *resp = NULL, *rows;
        bool json;
        int status;

        status = hbctl_parse_json_only(argc, argv, &json);
        if (status >= 0)
                return status;

        status = hbctl_call(ctx, "links", NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        rows = json_object_get(resp, "peers");
        if (!json_is_array(rows)) {
                hbctl_err("bad response from hbeatd: no \"peers\" array");
                status = HBCTL_EXIT_FAIL;
        } else if (json) {
                json_object_del(resp, "ok");
                status = hbctl_json_print(resp, true);
        } else {
                status = print_links(rows);
        }
        json_decref(resp);
        return hbctl_finish_stdout(status);
}
