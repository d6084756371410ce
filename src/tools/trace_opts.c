/* SPDX-License-Identifier: MIT */
/*
 * trace_opts.c - the trace reader's command-line options, in one place
 * for every command that reads traces (`hbeat-sim eval`, `hbeatctl
 * suggest --trace`): trace.h, hbt_read_opt(). The commands own getopt;
 * this file only turns an option's value into hbt_read_opts_t, and
 * whether the options fit the file is checked when it is read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tools/trace.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
        const char *name;
        hbt_layout_t layout;
} layouts[] = {
        { "auto", HBT_LAYOUT_AUTO }, { "v1", HBT_LAYOUT_V1 },
        { "csv", HBT_LAYOUT_CSV },   { "tsv", HBT_LAYOUT_TSV },
        { "ws", HBT_LAYOUT_WS },     { "lip6", HBT_LAYOUT_LIP6 },
};

static const struct {
        const char *name;
        uint64_t ns;
} units[] = {
        { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 },
};

/* --columns names, in the order of HBT_COL_*. */
static const char *const col_names[HBT_NCOLS] = {
        "seq", "send", "arrival", "peer", "kind",
};

/* "NAME=N,..." into cols[]; 0 or -EINVAL with the reason in err. */
static int parse_columns(const char *arg, unsigned *cols, char *err,
                         size_t errlen)
{
        const char *p = arg;

        memset(cols, 0, HBT_NCOLS * sizeof(*cols));
        for (;;) {
                size_t len = strcspn(p, ",");
                const char *eq = memchr(p, '=', len);
                unsigned n = 0;
                int c = -1;

                for (int i = 0; eq && i < HBT_NCOLS; i++)
                        if (strlen(col_names[i]) == (size_t)(eq - p) &&
                            memcmp(col_names[i], p, (size_t)(eq - p)) == 0)
                                c = i;
                for (const char *d = eq ? eq + 1 : p; eq && d < p + len;
                     d++) {
                        if (*d < '0' || *d > '9' || n > HBT_MAX_FIELDS) {
                                n = 0;
                                break;
                        }
                        n = n * 10 + (unsigned)(*d - '0');
                }
                if (c < 0 || n < 1 || n > HBT_MAX_FIELDS) {
                        snprintf(err, errlen,
                                 "--columns '%s': '%.*s' is not NAME=N "
                                 "with NAME seq, send, arrival, peer or "
                                 "kind and N a field number in 1..%d",
                                 arg, (int)len, p, HBT_MAX_FIELDS);
                        return -EINVAL;
                }
                if (cols[c]) {
                        snprintf(err, errlen, "--columns '%s': %s given "
                                              "twice", arg, col_names[c]);
                        return -EINVAL;
                }
                for (int i = 0; i < HBT_NCOLS; i++) {
                        if (cols[i] == n) {
                                snprintf(err, errlen,
                                         "--columns '%s': %s and %s are "
                                         "both field %u",
                                         arg, col_names[i], col_names[c], n);
                                return -EINVAL;
                        }
                }
                cols[c] = n;
                if (p[len] == '\0')
                        break;
                p += len + 1;
        }
        if (!cols[HBT_COL_ARRIVAL]) {
                snprintf(err, errlen, "--columns '%s': no arrival column "
                                      "(arrival=N)", arg);
                return -EINVAL;
        }
        return 0;
}

int hbt_read_opt(hbt_read_opts_t *opts, int c, const char *arg, char *err,
                 size_t errlen)
{
        unsigned cols[HBT_NCOLS];

        switch (c) {
        case HBT_OPT_LAYOUT:
                for (size_t i = 0; i < N_OF(layouts); i++) {
                        if (strcmp(arg, layouts[i].name) == 0) {
                                opts->layout = layouts[i].layout;
                                return 1;
                        }
                }
                snprintf(err, errlen, "--trace-layout '%s' is not auto, v1, "
                                      "csv, tsv, ws or lip6", arg);
                return -EINVAL;
        case HBT_OPT_TIME_UNIT:
                for (size_t i = 0; i < N_OF(units); i++) {
                        if (strcmp(arg, units[i].name) == 0) {
                                opts->unit_ns = units[i].ns;
                                return 1;
                        }
                }
                snprintf(err, errlen, "--time-unit '%s' is not s, ms, us or "
                                      "ns", arg);
                return -EINVAL;
        case HBT_OPT_COLUMNS:
                if (parse_columns(arg, cols, err, errlen) < 0)
                        return -EINVAL;
                memcpy(opts->cols, cols, sizeof(cols));
                return 1;
        case HBT_OPT_PEER:
                if (arg[0] == '\0') {
                        snprintf(err, errlen, "--trace-peer '': an empty "
                                              "name");
                        return -EINVAL;
                }
                opts->peer = arg;
                return 1;
        default:
                return 0;
        }
}
