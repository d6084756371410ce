/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl events`: the daemon's recent peer state changes, or with
 * --follow a live stream of them until SIGINT/SIGTERM or until the daemon
 * closes the connection (both exit 0).
 *
 * Human form, one line per event:
 *
 *     2026-11-21T10:00:00.123Z n1: peer n2 alive -> suspect
 *         (suspect_threshold, suspicion 8.03)          <- on the same line
 *     2026-11-21T10:00:01.500Z n1: role follower -> leader (term 7,
 *         elected)
 *     2026-11-21T10:00:01.400Z n1: quorum gained (term 6, leader n2, ...)
 *
 * --json prints each EVENT object as one compact line: in a stream the
 * bytes exactly as received, so a pipe sees what the daemon said. stdout
 * is flushed after every event, so `hbeatctl events -f | grep ...` reacts
 * at once instead of when a stdio buffer fills.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"
#include "common/ctl_proto.h"

void hbctl_print_event_human(const json_t *ev)
{
        const char *type = hbctl_json_str(ev, "event", "?");
        const json_t *wall = json_object_get(ev, "wall_time");
        const json_t *node = json_object_get(ev, "node");

        if (json_is_string(wall))
                printf("%s ", json_string_value(wall));
        if (json_is_string(node))
                printf("%s: ", json_string_value(node));

        if (strcmp(type, "peer_state") == 0) {
                const char *peer = hbctl_json_str(ev, "peer", NULL);
                const json_t *id = json_object_get(ev, "peer_id");
                bool has_s;
                double s = hbctl_json_num(ev, "suspicion", &has_s);

                if (peer)
                        printf("peer %s", peer);
                else if (json_is_integer(id))
                        printf("peer id %" JSON_INTEGER_FORMAT,
                               json_integer_value(id));
                else
                        fputs("peer ?", stdout);
                printf(" %s -> %s (%s", hbctl_json_str(ev, "old", "?"),
                       hbctl_json_str(ev, "new", "?"),
                       hbctl_json_str(ev, "reason", "?"));
                if (has_s)
                        printf(", suspicion %.2f", s);
                puts(")");
        } else if (strcmp(type, "link") == 0) {
                printf("link %s of peer %s %s -> %s (%s; peer %s)\n",
                       hbctl_json_str(ev, "link", "?"),
                       hbctl_json_str(ev, "peer", "?"),
                       hbctl_json_str(ev, "old_state", "?"),
                       hbctl_json_str(ev, "state", "?"),
                       hbctl_json_str(ev, "reason", "?"),
                       hbctl_json_str(ev, "peer_state", "?"));
        } else if (strcmp(type, "role") == 0 ||
                   strcmp(type, "quorum") == 0) {
                const char *leader = hbctl_json_str(ev, "leader", NULL);
                const json_t *term = json_object_get(ev, "term");

                if (type[0] == 'r')
                        printf("role %s -> %s (", hbctl_json_str(ev, "old",
                                                                 "?"),
                               hbctl_json_str(ev, "new", "?"));
                else
                        printf("quorum %s (",
                               json_is_true(json_object_get(ev, "quorate"))
                                       ? "gained" : "lost");
                if (json_is_integer(term))
                        printf("term %" JSON_INTEGER_FORMAT ", ",
                               json_integer_value(term));
                if (leader)
                        printf("leader %s, ", leader);
                printf("%s)\n", hbctl_json_str(ev, "reason", "?"));
        } else if (strcmp(type, "region") == 0) {
                /* Topology hierarchy (docs/hierarchy.md). */
                printf("region %" JSON_INTEGER_FORMAT " %s -> %s\n",
                       json_integer_value(json_object_get(ev, "region")),
                       hbctl_json_str(ev, "old_state", "?"),
                       hbctl_json_str(ev, "state", "?"));
        } else if (strcmp(type, "global_role") == 0) {
                printf("global role %s -> %s (term %" JSON_INTEGER_FORMAT
                       ", leading region %" JSON_INTEGER_FORMAT "%s)\n",
                       hbctl_json_str(ev, "old_role", "?"),
                       hbctl_json_str(ev, "role", "?"),
                       json_integer_value(json_object_get(ev, "term")),
                       json_integer_value(json_object_get(ev,
                                                          "leader_region")),
                       json_is_true(json_object_get(ev, "established"))
                               ? ", established"
                               : "");
        } else {
                /* An event this client does not know yet: show it all. */
                char *rest = json_dumps(ev, HBP_JSON_FLAGS);

                printf("%s %s\n", type, rest ? rest : "");
                free(rest);
        }
}

/* Print one event and flush. Returns an exit status. */
static int print_event(const json_t *ev, const char *raw, size_t raw_len,
                       bool json)
{
        if (json && raw) {
                fwrite(raw, 1, raw_len, stdout);
                putchar('\n');
        } else if (json) {
                hbctl_json_print(ev, false);
        } else {
                hbctl_print_event_human(ev);
        }
        if (fflush(stdout) != 0 || ferror(stdout))
                return hbctl_finish_stdout(HBCTL_EXIT_FAIL);
        return HBCTL_EXIT_OK;
}

static int recent(hbctl_ctx_t *ctx, bool json)
{
        json_t *extra = json_pack("{sb}", "follow", 0);
        json_t *resp = NULL, *events, *ev;
        size_t i;
        int status;

        if (!extra) {
                hbctl_err("out of memory");
                return HBCTL_EXIT_FAIL;
        }
        status = hbctl_call(ctx, "events", extra, &resp);
        json_decref(extra);
        if (status != HBCTL_EXIT_OK)
                return status;
        events = json_object_get(resp, "events");
        if (!json_is_array(events)) {
                hbctl_err("bad response from hbeatd: no \"events\" array");
                status = HBCTL_EXIT_FAIL;
        }
        json_array_foreach(events, i, ev) {
                status = print_event(ev, NULL, 0, json);
                if (status != HBCTL_EXIT_OK)
                        break;
        }
        json_decref(resp);
        return hbctl_finish_stdout(status);
}

static int follow(hbctl_ctx_t *ctx, bool json)
{
        const char *path = hbctl_socket_path(ctx);
        hbctl_conn_t *conn = NULL;
        json_t *req = NULL, *v = NULL;
        const char *raw;
        size_t raw_len;
        int status = HBCTL_EXIT_FAIL, r;

        if (!path)
                return HBCTL_EXIT_FAIL;
        req = json_pack("{sssb}", "cmd", "events", "follow", 1);
        if (!req) {
                hbctl_err("out of memory");
                return HBCTL_EXIT_FAIL;
        }
        if (hbctl_conn_open(&conn, path) < 0 ||
            hbctl_conn_send(conn, req) < 0)
                goto out;
        /* Only now: until here ^C should just kill us (a connect() to a
         * daemon with a full backlog blocks). */
        r = hbctl_catch_signals();
        if (r < 0) {
                hbctl_err("cannot set up signal handling: %s", strerror(-r));
                goto out;
        }

        /* The acknowledgement: {"ok": true, "follow": true}. */
        r = hbctl_conn_recv(conn, HBCTL_TIMEOUT_MS, &v, NULL, NULL);
        if (r == -EINTR)
                status = HBCTL_EXIT_OK;
        if (r == 0)
                hbctl_err("%s closed the connection without a response",
                          path);
        if (r <= 0 || hbctl_check_ok(v) != HBCTL_EXIT_OK)
                goto out;
        json_decref(v);
        v = NULL;

        for (;;) {
                r = hbctl_conn_recv(conn, -1, &v, &raw, &raw_len);
                if (r == 0 || r == -EINTR) {
                        status = HBCTL_EXIT_OK; /* daemon gone, or ^C */
                        break;
                }
                if (r < 0)
                        break;
                /* The daemon may end a stream with an error line (say, we
                 * read too slowly); anything with "ok" is not an event. */
                if (json_object_get(v, "ok")) {
                        if (hbctl_check_ok(v) != HBCTL_EXIT_OK)
                                break;
                } else if (print_event(v, raw, raw_len, json) !=
                           HBCTL_EXIT_OK) {
                        break;
                }
                json_decref(v);
                v = NULL;
        }
out:
        json_decref(v);
        json_decref(req);
        hbctl_conn_close(conn);
        return status;
}

int hbctl_cmd_events(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "follow", no_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        bool json = false, do_follow = false;
        int c;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":fjh", opts)) != -1) {
                switch (c) {
                case 'f':
                        do_follow = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind < argc)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind]);
        return do_follow ? follow(ctx, json) : recent(ctx, json);
}
