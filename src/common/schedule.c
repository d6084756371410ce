/* SPDX-License-Identifier: MIT */
/*
 * Schedules: windows in local time (schedule.h says what they mean).
 *
 * The C library does the time zone work: mktime() (with tm_isdst -1, 0
 * and 1, keeping the results whose localtime_r() gives the same wall
 * time back) turns a local time into instants; a local time that no
 * instant has (a spring-forward gap) is found by bisection of the
 * instants around it, the first one whose wall time is at or after it.
 * Calendar days are stepped with timegm()/gmtime_r() at noon UTC, pure
 * calendar arithmetic.
 */
#include "common/schedule.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- parsing ------------------------------------------------------ */

static int parse_hhmm(const char *s, size_t n, uint32_t *min)
{
        if (n != 5 || !isdigit((unsigned char)s[0]) ||
            !isdigit((unsigned char)s[1]) || s[2] != ':' ||
            !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
                return -EINVAL;
        unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
        unsigned m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');

        if (m > 59 || h > 24 || (h == 24 && m != 0))
                return -EINVAL;
        *min = h * 60 + m;
        return 0;
}

int hbs_parse_between(const char *text, hbs_window_t *w)
{
        const char *dash;
        uint32_t a, b;

        if (!text || !w)
                return -EINVAL;
        dash = strchr(text, '-');
        if (!dash || parse_hhmm(text, (size_t)(dash - text), &a) < 0 ||
            parse_hhmm(dash + 1, strlen(dash + 1), &b) < 0 || a == 1440 ||
            a == b || (b == 0 && a == 0))
                return -EINVAL;
        w->start_min = a;
        w->end_min = b == 0 ? 1440 : b;
        if (w->end_min == a)
                return -EINVAL;
        w->set = true;
        return 0;
}

static int day_index(const char *s, size_t n)
{
        static const char *const names[] = {
                "sun", "mon", "tue", "wed", "thu", "fri", "sat",
        };

        if (n != 3)
                return -1;
        for (int i = 0; i < 7; i++)
                if (strncasecmp(s, names[i], 3) == 0)
                        return i;
        return -1;
}

int hbs_parse_days(const char *text, hbs_window_t *w)
{
        uint8_t days = 0;
        const char *p;

        if (!text || !w || !*text)
                return -EINVAL;
        if (strcasecmp(text, "daily") == 0) {
                w->days = HBS_ALL_DAYS;
                w->set = true;
                return 0;
        }
        for (p = text; *p;) {
                size_t n = strcspn(p, ",");
                const char *dash = memchr(p, '-', n);
                int a, b;

                if (dash) {
                        a = day_index(p, (size_t)(dash - p));
                        b = day_index(dash + 1, n - (size_t)(dash - p) - 1);
                } else {
                        a = b = day_index(p, n);
                }
                if (a < 0 || b < 0)
                        return -EINVAL;
                for (int d = a;; d = (d + 1) % 7) {
                        days |= (uint8_t)(1u << d);
                        if (d == b)
                                break;
                }
                p += n;
                if (*p == ',') {
                        p++;
                        if (!*p)
                                return -EINVAL;
                }
        }
        w->days = days;
        w->set = true;
        return 0;
}

int hbs_zone_check(const char *name)
{
        const char *dir = getenv("TZDIR");
        char path[512], magic[4];
        struct stat st;
        int fd, r;

        if (!name || !*name || name[0] == '/' || strstr(name, "..") ||
            strlen(name) > 255 ||
            strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
                         "yz0123456789/_+-") != strlen(name))
                return -EINVAL;
        snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir
                                             : "/usr/share/zoneinfo", name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -ENOENT;
        r = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
        close(fd);
        return r ? 0 : -ENOENT;
}

/* ---- the zone ----------------------------------------------------- */

struct tz_save {
        bool changed;
        char *old;                     /* TZ before, or NULL if unset */
};

static void tz_enter(const char *tz, struct tz_save *s)
{
        const char *o = getenv("TZ");
        char want[300];

        s->changed = false;
        s->old = NULL;
        if (!tz)
                return;
        snprintf(want, sizeof want, ":%s", tz);
        if (o && strcmp(o, want) == 0)
                return;
        s->old = o ? strdup(o) : NULL;
        if (o && !s->old)
                return; /* out of memory: stay in the process's zone */
        setenv("TZ", want, 1);
        tzset();
        s->changed = true;
}

static void tz_leave(struct tz_save *s)
{
        if (!s->changed)
                return;
        if (s->old)
                setenv("TZ", s->old, 1);
        else
                unsetenv("TZ");
        free(s->old);
        tzset();
}

/* ---- local time --------------------------------------------------- */

struct date {
        int year, mon, mday, wday;     /* struct tm's conventions */
};

/* A wall time as one number that orders like the wall time. */
static int64_t wall_key(int year, int mon, int mday, int64_t sec)
{
        return (((int64_t)year * 12 + mon) * 31 + (mday - 1)) * 86400 + sec;
}

static int64_t key_of(time_t t)
{
        struct tm lt;

        if (!localtime_r(&t, &lt))
                return INT64_MIN;
        return wall_key(lt.tm_year, lt.tm_mon, lt.tm_mday,
                        lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec);
}

/* Date `d` moved by `k` days (calendar arithmetic at noon UTC). */
static struct date date_add(struct date d, int k)
{
        struct tm tm = { .tm_year = d.year, .tm_mon = d.mon,
                         .tm_mday = d.mday + k, .tm_hour = 12 };
        time_t t = timegm(&tm);
        struct date r;

        gmtime_r(&t, &tm);
        r.year = tm.tm_year;
        r.mon = tm.tm_mon;
        r.mday = tm.tm_mday;
        r.wday = tm.tm_wday;
        return r;
}

/* The first instant (s) whose local wall time is at or after `min`
 * minutes after midnight of date `d` (min may be 1440). */
static time_t local_instant(struct date d, uint32_t min)
{
        int64_t target, best = INT64_MAX;
        time_t lo, hi, t0 = (time_t)-1;

        if (min >= 1440) {
                d = date_add(d, 1);
                min -= 1440;
        }
        target = wall_key(d.year, d.mon, d.mday, (int64_t)min * 60);
        for (int isdst = -1; isdst <= 1; isdst++) {
                struct tm tm = { .tm_year = d.year, .tm_mon = d.mon,
                                 .tm_mday = d.mday,
                                 .tm_hour = (int)(min / 60),
                                 .tm_min = (int)(min % 60),
                                 .tm_isdst = isdst };
                time_t t = mktime(&tm);

                if (t == (time_t)-1)
                        continue;
                if (isdst == -1)
                        t0 = t;
                if (key_of(t) == target && t < best)
                        best = t;
        }
        if (best != INT64_MAX)
                return (time_t)best;
        /* In a gap: bisect around it (the wall time is monotonic there:
         * transitions are months apart). */
        if (t0 == (time_t)-1) {
                struct tm tm = { .tm_year = d.year, .tm_mon = d.mon,
                                 .tm_mday = d.mday,
                                 .tm_hour = (int)(min / 60),
                                 .tm_min = (int)(min % 60) };

                t0 = timegm(&tm); /* within a day of it: near enough */
        }
        lo = t0 - 6 * 3600;
        hi = t0 + 6 * 3600;
        while (hi - lo > 1) {
                time_t mid = lo + (hi - lo) / 2;

                if (key_of(mid) >= target)
                        hi = mid;
                else
                        lo = mid;
        }
        return hi;
}

/*
 * Walk the windows that could hold or follow `now_ms`, in order: call
 * `fn` with each [ws, we) (ms) not over before now_ms until it returns
 * true. Returns whether one did.
 */
static bool each_window(const hbs_window_t *w, int64_t now_ms,
                        bool (*fn)(int64_t ws, int64_t we, void *arg),
                        void *arg)
{
        time_t now_s = (time_t)(now_ms / 1000);
        struct tm lt;
        struct date today;

        if (!localtime_r(&now_s, &lt))
                return false;
        today.year = lt.tm_year;
        today.mon = lt.tm_mon;
        today.mday = lt.tm_mday;
        today.wday = lt.tm_wday;
        for (int k = -1; k <= 8; k++) {
                struct date d = date_add(today, k);
                uint32_t end = w->end_min;
                int64_t ws, we;

                if (!(w->days & (1u << d.wday)))
                        continue;
                if (end <= w->start_min)
                        end += 1440;
                ws = (int64_t)local_instant(d, w->start_min) * 1000;
                if (end > 1440)
                        we = (int64_t)local_instant(date_add(d, 1),
                                                    end - 1440) * 1000;
                else
                        we = (int64_t)local_instant(d, end) * 1000;
                if (we <= ws || we <= now_ms)
                        continue; /* not that day (a gap), or over */
                if (fn(ws, we, arg))
                        return true;
        }
        return false;
}

struct next_arg {
        int64_t now_ms, interval_ms, result;
};

static bool next_in(int64_t ws, int64_t we, void *arg)
{
        struct next_arg *a = arg;
        int64_t k, cand;

        if (ws >= a->now_ms) {
                a->result = ws;
                return true;
        }
        k = (a->now_ms - ws + a->interval_ms - 1) / a->interval_ms;
        cand = ws + k * a->interval_ms;
        if (cand < we) {
                a->result = cand;
                return true;
        }
        return false;
}

int64_t hbs_next_run(const hbs_window_t *w, uint64_t interval_ms,
                     const char *tz, int64_t now_ms)
{
        struct next_arg a = { now_ms, (int64_t)interval_ms, -1 };
        struct tz_save s;

        if (!w || !w->set)
                return now_ms;
        if (interval_ms == 0)
                a.interval_ms = 1;
        tz_enter(tz, &s);
        (void)each_window(w, now_ms, next_in, &a);
        tz_leave(&s);
        return a.result;
}

struct in_arg {
        int64_t now_ms, end_ms;
};

static bool holds(int64_t ws, int64_t we, void *arg)
{
        struct in_arg *a = arg;

        if (ws <= a->now_ms && a->now_ms < we) {
                a->end_ms = we;
                return true;
        }
        return ws > a->now_ms; /* later windows cannot hold it either */
}

bool hbs_in_window(const hbs_window_t *w, const char *tz, int64_t now_ms,
                   int64_t *end_ms)
{
        struct in_arg a = { now_ms, -1 };
        struct tz_save s;

        if (!w || !w->set) {
                if (end_ms)
                        *end_ms = INT64_MAX;
                return true;
        }
        tz_enter(tz, &s);
        (void)each_window(w, now_ms, holds, &a);
        tz_leave(&s);
        if (a.end_ms < 0)
                return false;
        if (end_ms)
                *end_ms = a.end_ms;
        return true;
}

char *hbs_format_local(int64_t t_ms, const char *tz, char *buf, size_t cap)
{
        time_t t = (time_t)(t_ms / 1000);
        struct tz_save s;
        struct tm lt;

        if (cap == 0)
                return buf;
        buf[0] = '\0';
        tz_enter(tz, &s);
        if (localtime_r(&t, &lt))
                strftime(buf, cap, "%Y-%m-%d %H:%M:%S %Z", &lt);
        tz_leave(&s);
        return buf;
}

char *hbs_window_text(const hbs_window_t *w, char *buf, size_t cap)
{
        static const char *const names[] = {
                "sun", "mon", "tue", "wed", "thu", "fri", "sat",
        };
        char days[40] = "", span[24];
        size_t n = 0;

        if (w->days == HBS_ALL_DAYS) {
                snprintf(days, sizeof days, "daily");
        } else {
                /* Monday first, as people write weeks; runs of three
                 * days or more as ranges (mon-fri). */
                for (int j = 1; j <= 7; j++) {
                        int k = j;

                        if (!(w->days & (1u << (j % 7))))
                                continue;
                        while (k < 7 && (w->days & (1u << ((k + 1) % 7))))
                                k++;
                        if (k - j >= 2) {
                                n += (size_t)snprintf(days + n,
                                                      sizeof days - n,
                                                      "%s%s-%s",
                                                      n ? "," : "",
                                                      names[j % 7],
                                                      names[k % 7]);
                                j = k;
                                continue;
                        }
                        n += (size_t)snprintf(days + n, sizeof days - n,
                                              "%s%s", n ? "," : "",
                                              names[j % 7]);
                }
        }
        if (w->start_min == 0 && w->end_min == 1440)
                snprintf(span, sizeof span, "all day");
        else
                snprintf(span, sizeof span, "%02u:%02u-%02u:%02u",
                         w->start_min / 60, w->start_min % 60,
                         (w->end_min % 1440) / 60, w->end_min % 60);
        snprintf(buf, cap, "%s %s", span, days);
        return buf;
}
