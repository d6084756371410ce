/* SPDX-License-Identifier: MIT */
/*
 * hbeatd logging: one line per message on stderr, human or JSON.
 *
 * Human:  2026-11-21T10:00:00.123Z hbeatd[4242] n1 info: message
 * JSON:   {"ts":"2026-11-21T10:00:00.123Z","level":"info","node":"n1",
 *          "pid":4242,"msg":"message", ...structured fields}
 *
 * stderr is the log because hbeatd runs under a supervisor (systemd's
 * journal, a container runtime) that timestamps, stores and rotates it;
 * each line is written with a single write(2) so lines from the daemon and
 * from notify scripts (which inherit stderr) never interleave mid-line.
 *
 * The logger is a plain value owned by the daemon and passed by pointer:
 * no global state.
 */
#ifndef HBD_LOG_H
#define HBD_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"

typedef enum hbd_log_level {
        HBD_LOG_DEBUG = 0,
        HBD_LOG_INFO = 1,
        HBD_LOG_WARNING = 2,
        HBD_LOG_ERROR = 3,
} hbd_log_level_t;

typedef enum hbd_log_format {
        HBD_LOG_HUMAN = 0,
        HBD_LOG_JSON = 1,
} hbd_log_format_t;

typedef struct hbd_log {
        /* public, read-only after hbd_log_init() */
        hbd_log_format_t format;
        hbd_log_level_t level;         /* messages below are skipped */
        /* private */
        char node[HBD_NAME_MAX + 1];   /* "-" until the config is known */
        long pid;
        int fd;                        /* 2 (stderr) */
} hbd_log_t;

#if defined(__GNUC__)
#define HBD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define HBD_PRINTF(fmt, args)
#endif

/* Set up a logger writing to stderr. */
void hbd_log_init(hbd_log_t *log, hbd_log_format_t format,
                  hbd_log_level_t level);

/* Set the node name shown on every line (copied, truncated to
 * HBD_NAME_MAX). */
void hbd_log_set_node(hbd_log_t *log, const char *name);

/* Parse "debug", "info", "warning" (or "warn"), "error". Returns 0 or
 * -EINVAL. */
int hbd_log_level_parse(const char *text, hbd_log_level_t *out);
/* Parse "human", "json". Returns 0 or -EINVAL. */
int hbd_log_format_parse(const char *text, hbd_log_format_t *out);
/* "debug", "info", "warning", "error". */
const char *hbd_log_level_name(hbd_log_level_t level);

/* Whether a message at `level` would be written. */
static inline bool hbd_log_enabled(const hbd_log_t *log, hbd_log_level_t level)
{
        return level >= log->level;
}

/* Log a printf-style message. */
void hbd_log(const hbd_log_t *log, hbd_log_level_t level, const char *fmt,
             ...) HBD_PRINTF(3, 4);

/*
 * Log with structured fields. `fields` is a JSON object whose members are
 * added to the JSON line (ignored in human format, where the message says
 * it all); the reference is stolen, NULL is allowed.
 */
void hbd_logj(const hbd_log_t *log, hbd_log_level_t level, json_t *fields,
              const char *fmt, ...) HBD_PRINTF(4, 5);

/*
 * Rate limit for one kind of log line (bad packets of one reason, failed
 * sends): at most one line per HBD_RATELIMIT_WINDOW_NS, carrying the
 * number of occurrences since the previous line. Zero-initialise.
 */
typedef struct hbd_ratelimit {
        uint64_t last_ns;              /* 0: never logged */
        uint64_t count;                /* occurrences since the last line */
} hbd_ratelimit_t;

#define HBD_RATELIMIT_WINDOW_NS (UINT64_C(10) * 1000000000u)

/*
 * Count one occurrence at monotonic time `now_ns`. Returns true when a
 * line is due now, with the occurrences since the last line (this one
 * included) in `*count`.
 */
bool hbd_ratelimit(hbd_ratelimit_t *rl, uint64_t now_ns, uint64_t *count);

/*
 * The one log line of a peer state transition, e.g.
 * "peer n2 (id 2) alive -> suspect (suspect_threshold, phi 8.03, last
 * heartbeat 612 ms ago)", with structured fields in JSON format. `peer` is
 * the peer's name; `kind` the detector, whose suspicion unit labels the
 * value (hb_detector_suspicion_unit(): phi, missed intervals, margins,
 * timeouts).
 */
void hbd_log_transition(const hbd_log_t *log, const hb_event_t *ev,
                        const char *peer, hb_detector_kind_t kind);

/* CLOCK_REALTIME now, ns (for display only: detection never reads it). */
uint64_t hbd_wall_now_ns(void);

/* The wall time (CLOCK_REALTIME ns) of something that happened at
 * monotonic `at_ns` (CLOCK_MONOTONIC, uv_hrtime()'s clock): now, minus how
 * long ago it happened. */
uint64_t hbd_wall_at_ns(uint64_t at_ns);

/* Tell systemd `msg` (sd_notify(): "READY=1", "RELOADING=1\n...",
 * "STOPPING=1"); a no-op without systemd support or outside a service. */
void hbd_sd_notify(const char *msg);

#define hbd_debug(log, ...) hbd_log((log), HBD_LOG_DEBUG, __VA_ARGS__)
#define hbd_info(log, ...) hbd_log((log), HBD_LOG_INFO, __VA_ARGS__)
#define hbd_warn(log, ...) hbd_log((log), HBD_LOG_WARNING, __VA_ARGS__)
#define hbd_error(log, ...) hbd_log((log), HBD_LOG_ERROR, __VA_ARGS__)

#endif /* HBD_LOG_H */
