/* SPDX-License-Identifier: MIT */
/*
 * Schedules of health checks and pull peers (docs/checks.md,
 * "Schedules"): an interval, a daily window "HH:MM-HH:MM" and the days of
 * the week it opens on, in the operator's time zone (daemon.timezone, an
 * IANA name; the system's when not set), from the C library's time zone
 * database.
 *
 * Runs are anchored to the window: at its start, then every interval
 * while inside it (08:00, 08:05, ... 17:55 for "every 5 minutes between
 * 08:00 and 18:00"). A window whose end is not after its start crosses
 * midnight (22:00-06:00) and belongs to the day it opens on. Local times
 * are turned into instants as "the first instant whose local time is at
 * or after it": a window start inside a spring-forward gap (02:30 in
 * Europe/Berlin on the last Sunday of March) opens when the gap ends
 * (03:00), an ambiguous time after a fall-back takes its first occurrence,
 * and a window that lies wholly in a gap (02:00-03:00 that day) does not
 * exist that day.
 *
 * Pure functions of their arguments, but they read the time zone database
 * through localtime_r()/mktime(): with a zone name they set TZ and call
 * tzset() for the duration of the call and put both back (hbeatd's loop is
 * single-threaded; not thread-safe). Times are milliseconds since the Unix
 * epoch.
 */
#ifndef HBS_SCHEDULE_H
#define HBS_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every day of the week: bit tm_wday (0 Sunday .. 6 Saturday). */
#define HBS_ALL_DAYS 0x7fu

/* Longest hbs_format_local() output, NUL included. */
#define HBS_LOCAL_MAX 48

typedef struct hbs_window {
        bool set;                      /* a window or days were given */
        uint32_t start_min;            /* 0..1439, minutes after midnight */
        uint32_t end_min;              /* 1..1440; <= start_min: the next
                                          day's */
        uint8_t days;                  /* bits of tm_wday the window opens
                                          on; HBS_ALL_DAYS by default */
} hbs_window_t;

/* "HH:MM-HH:MM" (00:00..23:59, the end may be 24:00; start != end) into
 * w->start_min, w->end_min. 0 or -EINVAL. */
int hbs_parse_between(const char *text, hbs_window_t *w);

/* Days: "mon-fri", "sat,sun", "mon,wed-fri", "daily" (English
 * three-letter names, any case; a range may wrap: "fri-mon") into
 * w->days. 0 or -EINVAL. */
int hbs_parse_days(const char *text, hbs_window_t *w);

/*
 * Is `name` a time zone of the database: [A-Za-z0-9/_+-] only, not
 * absolute, no "..", naming a TZif file under $TZDIR or
 * /usr/share/zoneinfo? 0, -EINVAL (not a name) or -ENOENT (no such zone).
 */
int hbs_zone_check(const char *name);

/*
 * The first run at or after `now_ms` of a schedule of `interval_ms`
 * (> 0) with window `w` in zone `tz` (NULL: the process's), or -1 when
 * the window never opens within 9 days (no day). Without a window
 * (w->set false) every instant is inside: returns now_ms.
 */
int64_t hbs_next_run(const hbs_window_t *w, uint64_t interval_ms,
                     const char *tz, int64_t now_ms);

/*
 * Is `now_ms` inside a window of `w` (always, when w->set is false)? If
 * so and `end_ms` is not NULL, *end_ms is when that window closes
 * (INT64_MAX without a window).
 */
bool hbs_in_window(const hbs_window_t *w, const char *tz, int64_t now_ms,
                   int64_t *end_ms);

/* `t_ms` as local time in `tz` (NULL: the process's), "2026-12-05
 * 08:00:00 CET", into buf (HBS_LOCAL_MAX bytes). Returns buf. */
char *hbs_format_local(int64_t t_ms, const char *tz, char *buf, size_t cap);

/* The window as text: "08:00-18:00 mon-fri", "all day sat,sun",
 * "22:00-06:00 daily". Returns buf. */
char *hbs_window_text(const hbs_window_t *w, char *buf, size_t cap);

#endif /* HBS_SCHEDULE_H */
