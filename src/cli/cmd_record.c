/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl record PEER [--duration S] [-o FILE]`: record the arrival
 * times of one peer's heartbeats at this node as an arrival trace
 * (docs/trace-format.md), for `hbeat-sim eval` and `hbeatctl suggest`.
 *
 * Protocol: one {"cmd":"record","peer":PEER} request; the daemon answers
 * {"ok":true,"record":true,"node":…,"interval_ns":…,…} (or ok:false for
 * an unknown peer) and then writes one {"seq","send_ns","arrival_ns"}
 * line per accepted HEARTBEAT of that peer (docs/control-protocol.md).
 * Each line becomes an `hb` row through the trace writer
 * (src/tools/trace.h); the file is opened only after the daemon accepted
 * the request, so a mistyped peer leaves no empty file behind.
 *
 * Stopping. The recording ends at SIGINT/SIGTERM or when the duration
 * has elapsed, whichever is first, with an `end` row at that time. The
 * time is this process's CLOCK_MONOTONIC, which is the daemon's clock
 * (uv_hrtime()) because the control socket is a Unix socket: same host,
 * and network namespaces do not change that clock. The duration is a
 * POSIX timer that raises SIGTERM at the deadline: the stream client
 * (ctl_client.c) waits for lines with no timeout and returns -EINTR on
 * SIGINT/SIGTERM (hbctl_catch_signals()), so the deadline and Ctrl-C take
 * the same path. Lines already buffered past the deadline are not
 * written (their arrival_ns is checked).
 *
 * If the daemon ends the stream (it went away, or disconnected us for
 * reading too slowly), the trace still gets its `end` row, at the last
 * moment the stream was known to be complete, and the exit status is 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/hbctl.h"
#include "common/ctl_proto.h"
#include "hbeat/hbeat.h"
#include "tools/trace.h"

/* Longest --duration: 30 days (a trace of 26 million heartbeats at
 * 100 ms; longer recordings are better split into files). */
#define MAX_DURATION_S (30.0 * 86400.0)

struct recording {
        const char *peer;
        const char *out_path;          /* NULL: stdout */
        FILE *out;
        hbt_writer_t *w;
        uint64_t deadline_ns;          /* UINT64_MAX: until a signal */
        uint64_t last_arrival_ns;
        uint64_t count;
        timer_t timer;
        bool has_timer;
};

static uint64_t mono_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Arm a one-shot timer raising SIGTERM at `deadline_ns` (monotonic). */
static int arm_deadline(struct recording *rec)
{
        struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
                                .sigev_signo = SIGTERM };
        struct itimerspec its = { 0 };

        if (timer_create(CLOCK_MONOTONIC, &sev, &rec->timer) < 0)
                return -errno;
        rec->has_timer = true;
        its.it_value.tv_sec = (time_t)(rec->deadline_ns / HB_NS_PER_S);
        its.it_value.tv_nsec = (long)(rec->deadline_ns % HB_NS_PER_S);
        if (timer_settime(rec->timer, TIMER_ABSTIME, &its, NULL) < 0)
                return -errno;
        return 0;
}

static int parse_duration(const char *text, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(text, &end);
        if (errno != 0 || end == text || *end != '\0' || !isfinite(v) ||
            v <= 0 || v > MAX_DURATION_S)
                return -EINVAL;
        *out = v;
        return 0;
}

/* A JSON integer field >= 0, or -1 (absent, wrong type, negative). */
static int get_u64(const json_t *obj, const char *key, uint64_t *out)
{
        const json_t *v = json_object_get(obj, key);

        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return -1;
        *out = (uint64_t)json_integer_value(v);
        return 0;
}

/* Open the output and write the trace header. Returns an exit status. */
static int open_trace(struct recording *rec, const json_t *ack)
{
        char source[160];
        hbt_meta_t meta[1];
        uint64_t interval_ns = 0;
        int r;

        if (get_u64(ack, "interval_ns", &interval_ns) < 0 ||
            interval_ns == 0) {
                hbctl_err("bad response from hbeatd: no \"interval_ns\"");
                return HBCTL_EXIT_FAIL;
        }
        snprintf(source, sizeof(source), "hbeatctl record (node %s)",
                 hbctl_json_str(ack, "node", "?"));
        meta[0].key = (char *)"source";
        meta[0].value = source;

        if (rec->out_path != NULL) {
                rec->out = fopen(rec->out_path, "we");
                if (rec->out == NULL) {
                        hbctl_err("cannot create %s: %s", rec->out_path,
                                  strerror(errno));
                        return HBCTL_EXIT_FAIL;
                }
        } else {
                rec->out = stdout;
        }
        r = hbt_writer_open(&rec->w, rec->out, rec->peer, interval_ns, meta,
                            1);
        if (r < 0) {
                hbctl_err("cannot write the trace header to %s: %s",
                          rec->out_path ? rec->out_path : "standard output",
                          strerror(-r));
                return HBCTL_EXIT_FAIL;
        }
        return HBCTL_EXIT_OK;
}

/*
 * One arrival line. Returns 1 to go on, 0 when it lies past the deadline
 * (recording over), or an exit status < 0 encoded as -1 (error printed).
 */
static int write_arrival(struct recording *rec, const json_t *line)
{
        uint64_t seq, send_ns, arrival_ns;
        int r;

        if (get_u64(line, "seq", &seq) < 0 ||
            get_u64(line, "send_ns", &send_ns) < 0 ||
            get_u64(line, "arrival_ns", &arrival_ns) < 0) {
                hbctl_err("bad record line from hbeatd: no seq, send_ns "
                          "and arrival_ns");
                return -1;
        }
        if (arrival_ns > rec->deadline_ns)
                return 0;
        /* The daemon's clock never goes back; keep the file valid if a
         * line ever did (the reader rejects decreasing times). */
        if (arrival_ns < rec->last_arrival_ns)
                arrival_ns = rec->last_arrival_ns;
        r = hbt_write_hb(rec->w, seq, send_ns, arrival_ns);
        /* Row by row, so `tail -f` and readers of a recording in progress
         * see every heartbeat (ten writes a second at 100 ms). */
        if (r == 0 && fflush(rec->out) != 0)
                r = -errno;
        if (r < 0) {
                hbctl_err("cannot write to %s: %s",
                          rec->out_path ? rec->out_path : "standard output",
                          strerror(-r));
                return -1;
        }
        rec->last_arrival_ns = arrival_ns;
        rec->count++;
        return 1;
}

/* The `end` row, flush, close. Returns `status`, or EXIT_FAIL on a write
 * error. */
static int finish_trace(struct recording *rec, uint64_t end_ns, int status)
{
        const char *name = rec->out_path ? rec->out_path : "standard output";
        int r = 0;

        if (rec->w != NULL) {
                if (end_ns < rec->last_arrival_ns)
                        end_ns = rec->last_arrival_ns;
                r = hbt_write_end(rec->w, end_ns);
                if (hbt_writer_close(rec->w) < 0 && r == 0)
                        r = -EIO;
                rec->w = NULL;
        }
        if (r == 0 && rec->out != NULL && fflush(rec->out) != 0)
                r = -errno;
        if (rec->out != NULL && rec->out != stdout && fclose(rec->out) != 0 &&
            r == 0)
                r = -errno;
        rec->out = NULL;
        if (r < 0) {
                hbctl_err("cannot write to %s: %s", name, strerror(-r));
                return HBCTL_EXIT_FAIL;
        }
        return status;
}

static int record(hbctl_ctx_t *ctx, struct recording *rec, double duration)
{
        const char *path = hbctl_socket_path(ctx);
        hbctl_conn_t *conn = NULL;
        json_t *req = NULL, *v = NULL;
        uint64_t start_ns, stop_ns;
        int status = HBCTL_EXIT_FAIL, r;

        if (!path)
                return HBCTL_EXIT_FAIL;
        req = json_pack("{ssss}", "cmd", "record", "peer", rec->peer);
        if (!req) {
                hbctl_err("out of memory");
                return HBCTL_EXIT_FAIL;
        }
        if (hbctl_conn_open(&conn, path) < 0 ||
            hbctl_conn_send(conn, req) < 0)
                goto out;
        r = hbctl_conn_recv(conn, HBCTL_TIMEOUT_MS, &v, NULL, NULL);
        if (r == 0)
                hbctl_err("%s closed the connection without a response",
                          path);
        if (r <= 0 || hbctl_check_ok(v) != HBCTL_EXIT_OK)
                goto out;
        if (open_trace(rec, v) != HBCTL_EXIT_OK)
                goto out;
        json_decref(v);
        v = NULL;

        r = hbctl_catch_signals();
        start_ns = mono_now_ns();
        rec->deadline_ns = UINT64_MAX;
        if (r == 0 && duration > 0) {
                rec->deadline_ns = start_ns + (uint64_t)llround(duration *
                                                                1e9);
                r = arm_deadline(rec);
        }
        if (r < 0) {
                hbctl_err("cannot set up signals and the timer: %s",
                          strerror(-r));
                stop_ns = mono_now_ns();
                status = finish_trace(rec, stop_ns, HBCTL_EXIT_FAIL);
                goto out;
        }

        for (;;) {
                r = hbctl_conn_recv(conn, -1, &v, NULL, NULL);
                if (r == -EINTR) {
                        status = HBCTL_EXIT_OK; /* ^C, or the duration */
                        break;
                }
                if (r == 0) {
                        hbctl_err("%s ended the recording (hbeatd "
                                  "stopped?)", path);
                        break;
                }
                if (r < 0)
                        break;
                if (json_object_get(v, "ok")) {
                        /* An error line ends a stream (too slow a reader,
                         * the peer removed by a reload). */
                        (void)hbctl_check_ok(v);
                        break;
                }
                r = write_arrival(rec, v);
                json_decref(v);
                v = NULL;
                if (r < 0)
                        break;
                if (r == 0 || mono_now_ns() >= rec->deadline_ns) {
                        status = HBCTL_EXIT_OK;
                        break;
                }
        }
        stop_ns = mono_now_ns();
        if (stop_ns > rec->deadline_ns)
                stop_ns = rec->deadline_ns;
        status = finish_trace(rec, stop_ns, status);
        if (status == HBCTL_EXIT_OK && rec->out_path != NULL) {
                char dur[HBCTL_DUR_LEN];

                printf("recorded %" PRIu64 " heartbeats of %s in %s to %s\n",
                       rec->count, rec->peer,
                       hbctl_dur(stop_ns - start_ns, dur), rec->out_path);
                status = hbctl_finish_stdout(status);
        }
out:
        if (rec->w != NULL || rec->out != NULL)
                (void)finish_trace(rec, mono_now_ns(), status);
        if (rec->has_timer)
                timer_delete(rec->timer);
        json_decref(v);
        json_decref(req);
        hbctl_conn_close(conn);
        return status;
}

int hbctl_cmd_record(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "duration", required_argument, NULL, 'd' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        struct recording rec = { 0 };
        double duration = 0;
        int c;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":d:o:h", opts)) != -1) {
                switch (c) {
                case 'd':
                        if (parse_duration(optarg, &duration) < 0)
                                return hbctl_usage_error(argv[0],
                                        "--duration: '%s' is not a number "
                                        "of seconds in (0, %.0f]", optarg,
                                        MAX_DURATION_S);
                        break;
                case 'o':
                        rec.out_path = strcmp(optarg, "-") == 0 ? NULL
                                                                : optarg;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind == argc)
                return hbctl_usage_error(argv[0], "missing PEER (a peer "
                                         "name, as in 'hbeatctl members')");
        if (argc - optind > 1)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind + 1]);
        rec.peer = argv[optind];
        return record(ctx, &rec, duration);
}
