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
       COL_LAST_HB, COL_RTT, COL_INCARNATION, COL_SEQ, COL_GAPS,
       /* With classes only (docs/classes.md): */
       COL_CLASS, COL_INTERVAL, N_COLS };

static const hbctl_column_t columns[N_COLS] = {
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
        [COL_CLASS] = { "CLASS", false },
        [COL_INTERVAL] = { "INTERVAL", true },
};

/* The table with the last two columns retitled, left-aligned: topology
 * "hierarchy" (docs/hierarchy.md; instead of classes, the two do not
 * combine): the member's region, and whether its state is judged here or
 * learned from its region's summary; topology "subset" (docs/subset.md):
 * each member's monitors here with the verdict each gave (its state is
 * their majority), and whether this node judges it itself. */
static int print_retitled(const json_t *members, const char *title_class,
                          const char *title_interval,
                          void (*fill)(char **cells, const json_t *row))
{
        hbctl_column_t cols[N_COLS];

        memcpy(cols, columns, sizeof(cols));
        cols[COL_CLASS] = (hbctl_column_t){ title_class, false };
        cols[COL_INTERVAL] = (hbctl_column_t){ title_interval, false };
        return hbctl_print_table(cols, N_COLS, members, fill);
}

/* The integer `key` of `m` as a new string ("-" when absent); NULL when
 * out of memory. */
static char *fmt_int(const json_t *m, const char *key)
{
        const json_t *v = json_object_get(m, key);

        if (!json_is_integer(v))
                return hbctl_fmt("-");
        return hbctl_fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
}

/* A duration field in ms; `null_text` when it is null (or absent). */
/*
 * Round-trip time: "median/p99 ms" with two decimals ("0.21/0.35 ms"), or
 * "-" before the first sample (the daemon sends null then).
 */
/* Fill one row of cells from a member object. 0, or -1 (no memory). */
static void fill_row(char **cells, const json_t *m)
{
        cells[COL_PEER] = hbctl_fmt("%s", hbctl_json_str(m, "name", "-"));
        cells[COL_ID] = fmt_int(m, "id");
        cells[COL_ADDRESS] = hbctl_fmt("%s", hbctl_json_str(m, "address", "-"));
        cells[COL_STATE] = hbctl_fmt("%s", hbctl_json_str(m, "state", "-"));
        cells[COL_FOR] = hbctl_fmt_age(m, "state_age_ms", "-");
        cells[COL_SUSPICION] = hbctl_fmt_suspicion(m);
        cells[COL_LAST_HB] = hbctl_fmt_age(m, "last_heartbeat_age_ms", "never");
        cells[COL_RTT] = hbctl_fmt_rtt(m);
        cells[COL_INCARNATION] = fmt_int(m, "incarnation");
        cells[COL_SEQ] = fmt_int(m, "seq");
        cells[COL_GAPS] = fmt_int(m, "seq_gaps");
}

/* With classes: the class and the interval its detector expects, with
 * the announced one when it differs (a mismatch, docs/classes.md). */
static void fill_row_classes(char **cells, const json_t *m)
{
        const json_t *iv = json_object_get(m, "interval_ms");
        const json_t *ann = json_object_get(m, "announced_interval_ms");

        fill_row(cells, m);
        cells[COL_CLASS] = hbctl_fmt("%s", hbctl_json_str(m, "class", "-"));
        if (!json_is_number(iv))
                cells[COL_INTERVAL] = hbctl_fmt("-");
        else if (json_is_number(ann) &&
                 json_number_value(ann) != json_number_value(iv))
                cells[COL_INTERVAL] = hbctl_fmt(
                        "%.0f ms (announced %.0f)", json_number_value(iv),
                        json_number_value(ann));
        else
                cells[COL_INTERVAL] = hbctl_fmt("%.0f ms",
                                                json_number_value(iv));
}

/* With the hierarchy: "2 (elector)", "summary" or "judged here". */
static void fill_row_hier(char **cells, const json_t *m)
{
        fill_row(cells, m);
        if (json_is_true(json_object_get(m, "learned"))) {
                /* Not judged here: no suspicion of ours to show. */
                free(cells[COL_SUSPICION]);
                cells[COL_SUSPICION] = hbctl_fmt("-");
        }
        cells[COL_CLASS] = hbctl_fmt(
                "%" JSON_INTEGER_FORMAT "%s",
                json_integer_value(json_object_get(m, "region")),
                json_is_true(json_object_get(m, "elector")) ? " (elector)"
                                                            : "");
        cells[COL_INTERVAL] = hbctl_fmt(
                "%s", json_is_true(json_object_get(m, "learned"))
                              ? "summary"
                              : "judged here");
}

/* With the subset topology: "n3 alive, n5 alive, n6 dead" and this
 * node's own verdict when it is one of the member's monitors. */
static void fill_row_subset(char **cells, const json_t *m)
{
        const json_t *mons = json_object_get(m, "monitors"), *v;
        size_t i, len = 0;
        char buf[256];

        fill_row(cells, m);
        if (!json_is_true(json_object_get(m, "judged"))) {
                /* Not judged here: no suspicion of ours to show. */
                free(cells[COL_SUSPICION]);
                cells[COL_SUSPICION] = hbctl_fmt("-");
        }
        buf[0] = '\0';
        json_array_foreach(mons, i, v) {
                int w = snprintf(buf + len, sizeof(buf) - len, "%s%s %s",
                                 i ? ", " : "", hbctl_json_str(v, "name", "?"),
                                 hbctl_json_str(v, "verdict", "?"));

                if (w < 0 || (size_t)w >= sizeof(buf) - len)
                        break;
                len += (size_t)w;
        }
        cells[COL_CLASS] = hbctl_fmt("%s", len ? buf : "-");
        cells[COL_INTERVAL] = hbctl_fmt(
                "%s", json_is_true(json_object_get(m, "judged"))
                              ? hbctl_json_str(m, "own_verdict", "?")
                              : "-");
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
                bool classes = json_object_get(json_array_get(members, 0),
                                               "class") != NULL;
                bool hier = json_object_get(json_array_get(members, 0),
                                            "region") != NULL;

                bool subset = json_object_get(json_array_get(members, 0),
                                              "judged") != NULL;

                if (hier)
                        status = print_retitled(members, "REGION",
                                                "STATE FROM", fill_row_hier);
                else if (subset)
                        status = print_retitled(members,
                                                "MONITORS (VERDICT)",
                                                "JUDGED HERE",
                                                fill_row_subset);
                else
                        status = hbctl_print_table(columns,
                                           classes ? N_COLS : COL_CLASS,
                                           members,
                                           classes ? fill_row_classes
                                                   : fill_row);
        }
        json_decref(resp);
        return hbctl_finish_stdout(status);
}
