/* SPDX-License-Identifier: MIT */
/*
 * hbeatd logging (see log.h): formats one line, human or JSON (jansson),
 * and writes it to stderr with one write(2).
 *
 * Timestamps are wall-clock UTC with milliseconds: logs are read by people
 * and correlated across hosts, which is the one place wall time belongs
 * (ARCHITECTURE.md, "Time"). Monotonic times of events are in the event
 * fields (at_ns) where they matter.
 *
 * Failure to log (ENOMEM, a closed stderr) is ignored on purpose: the
 * daemon's job is heartbeats, and there is nobody left to tell.
 *
 * Also here: the rate limiter for noisy lines and the one line per peer
 * state transition, so that every transition reads the same everywhere.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HB_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/ctl_proto.h"
#include "daemon/log.h"

uint64_t hbd_wall_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t hbd_wall_at_ns(uint64_t at_ns)
{
        struct timespec ts;
        uint64_t mono, wall = hbd_wall_now_ns();

        clock_gettime(CLOCK_MONOTONIC, &ts);
        mono = (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
        if (mono > at_ns && wall > mono - at_ns)
                wall -= mono - at_ns;
        return wall;
}

void hbd_sd_notify(const char *msg)
{
#ifdef HB_HAVE_SYSTEMD
        (void)sd_notify(0, msg);
#else
        (void)msg;
#endif
}

static const char *const level_names[] = {
        [HBD_LOG_DEBUG] = "debug",
        [HBD_LOG_INFO] = "info",
        [HBD_LOG_WARNING] = "warning",
        [HBD_LOG_ERROR] = "error",
};

void hbd_log_init(hbd_log_t *log, hbd_log_format_t format,
                  hbd_log_level_t level)
{
        memset(log, 0, sizeof(*log));
        log->format = format;
        log->level = level;
        log->pid = (long)getpid();
        log->fd = STDERR_FILENO;
        hbd_log_set_node(log, "-");
}

void hbd_log_set_node(hbd_log_t *log, const char *name)
{
        snprintf(log->node, sizeof(log->node), "%s",
                 name != NULL && name[0] != '\0' ? name : "-");
}

int hbd_log_level_parse(const char *text, hbd_log_level_t *out)
{
        if (strcmp(text, "debug") == 0)
                *out = HBD_LOG_DEBUG;
        else if (strcmp(text, "info") == 0)
                *out = HBD_LOG_INFO;
        else if (strcmp(text, "warning") == 0 || strcmp(text, "warn") == 0)
                *out = HBD_LOG_WARNING;
        else if (strcmp(text, "error") == 0)
                *out = HBD_LOG_ERROR;
        else
                return -EINVAL;
        return 0;
}

int hbd_log_format_parse(const char *text, hbd_log_format_t *out)
{
        if (strcmp(text, "human") == 0)
                *out = HBD_LOG_HUMAN;
        else if (strcmp(text, "json") == 0)
                *out = HBD_LOG_JSON;
        else
                return -EINVAL;
        return 0;
}

const char *hbd_log_level_name(hbd_log_level_t level)
{
        if ((unsigned)level > HBD_LOG_ERROR)
                return "info";
        return level_names[level];
}

static void write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                buf += n;
                len -= (size_t)n;
        }
}

/* Human lines must stay one line whatever a message contains. */
static void flatten(char *s)
{
        for (; *s != '\0'; s++) {
                if (*s == '\n' || *s == '\r' || *s == '\t')
                        *s = ' ';
        }
}

static void emit(const hbd_log_t *log, hbd_log_level_t level, json_t *fields,
                 const char *msg)
{
        char ts[HBP_WALL_TIME_LEN];
        struct timespec now;
        char *line = NULL;
        size_t len = 0;

        clock_gettime(CLOCK_REALTIME, &now);
        if (hbp_format_wall_time(ts, sizeof(ts),
                                    (uint64_t)now.tv_sec * HB_NS_PER_S +
                                    (uint64_t)now.tv_nsec) < 0)
                snprintf(ts, sizeof(ts), "-");

        if (log->format == HBD_LOG_JSON) {
                json_t *obj = json_pack("{s:s, s:s, s:s, s:I, s:s}",
                                        "ts", ts,
                                        "level", hbd_log_level_name(level),
                                        "node", log->node,
                                        "pid", (json_int_t)log->pid,
                                        "msg", msg);

                if (obj != NULL) {
                        /* Fixed keys win over fields of the same name. */
                        if (fields != NULL)
                                json_object_update_missing(obj, fields);
                        line = hbp_dump_line(obj, &len);
                        json_decref(obj);
                }
        } else {
                int n = asprintf(&line, "%s hbeatd[%ld] %s %s: %s\n", ts,
                                 log->pid, log->node,
                                 hbd_log_level_name(level), msg);

                if (n < 0)
                        line = NULL;
                else
                        len = (size_t)n;
        }
        if (line != NULL)
                write_all(log->fd, line, len);
        free(line);
}

static void vlog(const hbd_log_t *log, hbd_log_level_t level, json_t *fields,
                 const char *fmt, va_list ap)
{
        char *msg = NULL;

        if (!hbd_log_enabled(log, level))
                return;
        if (vasprintf(&msg, fmt, ap) < 0)
                return;
        flatten(msg);
        emit(log, level, fields, msg);
        free(msg);
}

void hbd_log(const hbd_log_t *log, hbd_log_level_t level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vlog(log, level, NULL, fmt, ap);
        va_end(ap);
}

void hbd_logj(const hbd_log_t *log, hbd_log_level_t level, json_t *fields,
              const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vlog(log, level, fields, fmt, ap);
        va_end(ap);
        json_decref(fields);
}

bool hbd_ratelimit(hbd_ratelimit_t *rl, uint64_t now_ns, uint64_t *count)
{
        rl->count++;
        if (rl->last_ns != 0 && now_ns - rl->last_ns < HBD_RATELIMIT_WINDOW_NS)
                return false;
        *count = rl->count;
        rl->count = 0;
        rl->last_ns = now_ns;
        return true;
}

void hbd_log_transition(const hbd_log_t *log, const hb_event_t *ev,
                        const char *peer, hb_detector_kind_t kind)
{
        const char *old_s = hb_peer_state_name(ev->old_state);
        const char *new_s = hb_peer_state_name(ev->new_state);
        hbd_log_level_t level = HBD_LOG_INFO;
        char evidence[64];
        json_t *age;

        if (ev->new_state == HB_PEER_SUSPECT || ev->new_state == HB_PEER_DEAD)
                level = HBD_LOG_WARNING;
        if (!hbd_log_enabled(log, level))
                return;
        if (ev->last_arrival_ns == HB_NEVER) {
                snprintf(evidence, sizeof(evidence), "never heard from");
                age = json_null();
        } else {
                uint64_t ms = ev->at_ns > ev->last_arrival_ns ?
                        (ev->at_ns - ev->last_arrival_ns) / HB_NS_PER_MS : 0;

                snprintf(evidence, sizeof(evidence),
                         "last heartbeat %" PRIu64 " ms ago", ms);
                age = json_integer((json_int_t)ms);
        }
        hbd_logj(log, level,
                 json_pack("{s:s, s:I, s:s, s:s, s:s, s:f, s:o}",
                           "peer", peer, "peer_id", (json_int_t)ev->peer_id,
                           "old", old_s, "new", new_s,
                           "reason", hb_reason_name(ev->reason),
                           "suspicion", hbp_round(ev->suspicion, 3),
                           "last_heartbeat_age_ms", age),
                 "peer %s (id %" PRIu32 ") %s -> %s (%s, %s %.2f, %s)",
                 peer, ev->peer_id, old_s, new_s,
                 hb_reason_name(ev->reason), hb_detector_suspicion_unit(kind),
                 ev->suspicion, evidence);
}
