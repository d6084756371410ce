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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ctl_proto.h"
#include "daemon/log.h"

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
        char ts[HB_CTL_WALL_TIME_LEN];
        struct timespec now;
        char *line = NULL;
        size_t len = 0;

        clock_gettime(CLOCK_REALTIME, &now);
        if (hb_ctl_format_wall_time(ts, sizeof(ts),
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
                        line = hb_ctl_dump_line(obj, &len);
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
