/* SPDX-License-Identifier: MIT */
/*
 * Tables of `hbeatctl members` and `hbeatctl links`: one row per JSON
 * object of the daemon's answer, columns as wide as their widest cell,
 * numbers right-aligned, the last column not padded; and the cells both
 * share (durations, suspicion, round-trip times).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"

char *hbctl_fmt(const char *f, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, f);
        r = vasprintf(&s, f, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

char *hbctl_fmt_age(const json_t *m, const char *key, const char *null_text)
{
        char dur[HBCTL_DUR_LEN];
        bool ok;
        double ms = hbctl_json_num(m, key, &ok);

        if (!ok || ms < 0)
                return hbctl_fmt("%s", null_text);
        return hbctl_fmt("%s", hbctl_dur((uint64_t)llround(ms * 1e6), dur));
}

char *hbctl_fmt_suspicion(const json_t *m)
{
        bool ok;
        double s = hbctl_json_num(m, "suspicion", &ok);

        /* phi saturates (at 1e6) long before a dead peer's silence ends:
         * past 1000 the number says nothing more than "very high". */
        if (!ok)
                return hbctl_fmt("-");
        return s >= 1000 ? hbctl_fmt(">1000") : hbctl_fmt("%.2f", s);
}

char *hbctl_fmt_rtt(const json_t *m)
{
        bool ok_med, ok_p99;
        double med = hbctl_json_num(m, "rtt_median_ms", &ok_med);
        double p99 = hbctl_json_num(m, "rtt_p99_ms", &ok_p99);

        if (!ok_med || !ok_p99)
                return hbctl_fmt("-");
        return hbctl_fmt("%.2f/%.2f ms", med, p99);
}

static void print_cells(const hbctl_column_t *cols, size_t n_cols,
                        char **cells, size_t n_rows)
{
        size_t width[HBCTL_TABLE_MAX_COLS] = { 0 };

        for (size_t r = 0; r < n_rows; r++)
                for (size_t c = 0; c < n_cols; c++) {
                        size_t w = strlen(cells[r * n_cols + c]);

                        if (w > width[c])
                                width[c] = w;
                }
        for (size_t r = 0; r < n_rows; r++) {
                for (size_t c = 0; c < n_cols; c++) {
                        const char *s = cells[r * n_cols + c];
                        int w = (int)width[c];

                        if (c > 0)
                                fputs("  ", stdout);
                        if (cols[c].right)
                                printf("%*s", w, s);
                        else if (c == n_cols - 1)
                                fputs(s, stdout);
                        else
                                printf("%-*s", w, s);
                }
                putchar('\n');
        }
}

int hbctl_print_table(const hbctl_column_t *cols, size_t n_cols,
                      const json_t *rows,
                      void (*fill)(char **cells, const json_t *row))
{
        size_t n_rows = json_array_size(rows) + 1;
        char **cells;
        int status = HBCTL_EXIT_OK;

        if (n_cols == 0 || n_cols > HBCTL_TABLE_MAX_COLS)
                return HBCTL_EXIT_FAIL;
        cells = calloc(n_rows * n_cols, sizeof(*cells));
        if (!cells)
                goto nomem;
        for (size_t c = 0; c < n_cols; c++)
                cells[c] = hbctl_fmt("%s", cols[c].title);
        for (size_t i = 1; i < n_rows; i++)
                fill(cells + i * n_cols, json_array_get(rows, i - 1));
        for (size_t i = 0; i < n_rows * n_cols; i++)
                if (!cells[i])
                        goto nomem;
        print_cells(cols, n_cols, cells, n_rows);
        goto out;

nomem:
        hbctl_err("out of memory");
        status = HBCTL_EXIT_FAIL;
out:
        if (cells)
                for (size_t i = 0; i < n_rows * n_cols; i++)
                        free(cells[i]);
        free(cells);
        return status;
}
