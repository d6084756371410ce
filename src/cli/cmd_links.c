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

static const hbctl_column_t columns[N_COLS] = {
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

/* "gaps/seen (p%)", or "-" before anything was received. */
static char *fmt_loss(const json_t *m)
{
        bool ok_r, ok_g;
        double rx = hbctl_json_num(m, "received", &ok_r);
        double gaps = hbctl_json_num(m, "seq_gaps", &ok_g);

        if (!ok_r || !ok_g || rx + gaps <= 0)
                return hbctl_fmt("-");
        return hbctl_fmt("%.0f/%.0f (%.1f%%)", gaps, rx + gaps,
                   100.0 * gaps / (rx + gaps));
}

static void fill_row(char **cells, const json_t *m)
{
        cells[COL_PEER] = hbctl_fmt("%s", hbctl_json_str(m, "peer", "-"));
        cells[COL_LINK] = hbctl_fmt("%s", hbctl_json_str(m, "link", "-"));
        cells[COL_ADDRESS] = hbctl_fmt("%s", hbctl_json_str(m, "address", "-"));
        cells[COL_STATE] = hbctl_fmt("%s", hbctl_json_str(m, "state", "-"));
        cells[COL_FOR] = hbctl_fmt_age(m, "state_age_ms", "-");
        cells[COL_SUSPICION] = hbctl_fmt_suspicion(m);
        cells[COL_LAST_HB] = hbctl_fmt_age(m, "last_heartbeat_age_ms", "never");
        cells[COL_RTT] = hbctl_fmt_rtt(m);
        cells[COL_LOSS] = fmt_loss(m);
        cells[COL_PEER_STATE] = hbctl_fmt("%s",
                                    hbctl_json_str(m, "peer_state", "-"));
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
                status = hbctl_print_table(columns, N_COLS, rows,
                                           fill_row);
        }
        json_decref(resp);
        return hbctl_finish_stdout(status);
}
