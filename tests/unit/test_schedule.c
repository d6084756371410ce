/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the schedules (src/common/schedule.c): parsing of
 * windows and days, the next run from a given time (inside a window,
 * after it, across midnight, over a weekend) and across the daylight
 * saving transitions of Europe/Berlin and America/New_York (2026: Berlin
 * springs forward on 29 March at 02:00 CET and falls back on 25 October
 * at 03:00 CEST; New York on 8 March at 02:00 EST and 1 November at
 * 02:00 EDT), checked against instants written in UTC.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/schedule.h"

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)

static const char *const BER = "Europe/Berlin";
static const char *const NYC = "America/New_York";

/* An instant given in UTC, ms. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1,
                         .tm_mday = d, .tm_hour = h, .tm_min = mi };

        return (int64_t)timegm(&tm) * 1000;
}

static hbs_window_t win(const char *between, const char *days)
{
        hbs_window_t w = { .set = false, .start_min = 0, .end_min = 1440,
                           .days = HBS_ALL_DAYS };

        if (between)
                assert_int_equal(hbs_parse_between(between, &w), 0);
        if (days)
                assert_int_equal(hbs_parse_days(days, &w), 0);
        return w;
}

static void test_parse(void **state)
{
        hbs_window_t w = { 0 };

        (void)state;
        assert_int_equal(hbs_parse_between("08:00-18:00", &w), 0);
        assert_int_equal(w.start_min, 480);
        assert_int_equal(w.end_min, 1080);
        assert_int_equal(hbs_parse_between("22:00-06:00", &w), 0);
        assert_int_equal(w.end_min, 360);
        assert_int_equal(hbs_parse_between("00:00-24:00", &w), 0);
        assert_int_equal(w.end_min, 1440);
        assert_int_equal(hbs_parse_between("18:00-00:00", &w), 0);
        assert_int_equal(w.end_min, 1440);
        assert_int_equal(hbs_parse_between("8:00-18:00", &w), -EINVAL);
        assert_int_equal(hbs_parse_between("08:00-08:00", &w), -EINVAL);
        assert_int_equal(hbs_parse_between("08:60-09:00", &w), -EINVAL);
        assert_int_equal(hbs_parse_between("24:00-09:00", &w), -EINVAL);
        assert_int_equal(hbs_parse_between("08:00", &w), -EINVAL);
        assert_int_equal(hbs_parse_between("08:00-18:00x", &w), -EINVAL);
        assert_int_equal(hbs_parse_days("mon-fri", &w), 0);
        assert_int_equal(w.days, 0x3e);
        assert_int_equal(hbs_parse_days("Sat,sun", &w), 0);
        assert_int_equal(w.days, 0x41);
        assert_int_equal(hbs_parse_days("fri-mon", &w), 0);
        assert_int_equal(w.days, 0x63);
        assert_int_equal(hbs_parse_days("daily", &w), 0);
        assert_int_equal(w.days, HBS_ALL_DAYS);
        assert_int_equal(hbs_parse_days("mon,", &w), -EINVAL);
        assert_int_equal(hbs_parse_days("monday", &w), -EINVAL);
        assert_int_equal(hbs_parse_days("", &w), -EINVAL);
        {
                hbs_window_t t = { .set = true, .start_min = 480,
                                   .end_min = 1080, .days = 0x3e };
                char buf[64];

                assert_string_equal(hbs_window_text(&t, buf, sizeof buf),
                                    "08:00-18:00 mon-fri");
                t.days = 0x41;
                t.start_min = 0;
                t.end_min = 1440;
                assert_string_equal(hbs_window_text(&t, buf, sizeof buf),
                                    "all day sat,sun");
                t.days = HBS_ALL_DAYS;
                t.start_min = 1320;
                t.end_min = 360;
                assert_string_equal(hbs_window_text(&t, buf, sizeof buf),
                                    "22:00-06:00 daily");
        }
        assert_int_equal(hbs_zone_check(BER), 0);
        assert_int_equal(hbs_zone_check("UTC"), 0);
        assert_int_equal(hbs_zone_check("Europe/Nowhere"), -ENOENT);
        assert_int_equal(hbs_zone_check("../etc/passwd"), -EINVAL);
        assert_int_equal(hbs_zone_check("/etc/localtime"), -EINVAL);
        assert_int_equal(hbs_zone_check("Europe"), -ENOENT); /* a dir */
}

/* Every 5 minutes, 08:00-18:00, Monday to Friday, Berlin (CET = UTC+1
 * in December). 2026-12-04 is a Friday. */
static void test_weekdays_and_weekend(void **state)
{
        hbs_window_t w = win("08:00-18:00", "mon-fri");
        uint64_t every = 5 * 60 * 1000;
        int64_t end;

        (void)state;
        /* Inside: the next slot of the grid anchored at 08:00. */
        assert_int_equal(hbs_next_run(&w, every, BER, utc(2026, 12, 4, 9, 2)),
                         utc(2026, 12, 4, 9, 5));
        /* On a slot: now. */
        assert_int_equal(hbs_next_run(&w, every, BER, utc(2026, 12, 4, 9, 5)),
                         utc(2026, 12, 4, 9, 5));
        /* Before the window: its start. */
        assert_int_equal(hbs_next_run(&w, every, BER, utc(2026, 12, 4, 5, 0)),
                         utc(2026, 12, 4, 7, 0));
        /* Friday 17:58: the last slot was 17:55; next Monday 08:00. */
        assert_int_equal(hbs_next_run(&w, every, BER,
                                      utc(2026, 12, 4, 16, 58)),
                         utc(2026, 12, 7, 7, 0));
        assert_true(hbs_in_window(&w, BER, utc(2026, 12, 4, 16, 58), &end));
        assert_int_equal(end, utc(2026, 12, 4, 17, 0));
        assert_false(hbs_in_window(&w, BER, utc(2026, 12, 4, 17, 0), NULL));
        assert_false(hbs_in_window(&w, BER, utc(2026, 12, 5, 10, 0), NULL));
        /* Weekends only, all day: from Wednesday to Saturday 00:00. */
        w = win(NULL, "sat,sun");
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 12, 2, 12, 0)),
                         utc(2026, 12, 4, 23, 0));
        assert_true(hbs_in_window(&w, BER, utc(2026, 12, 6, 22, 30), &end));
        assert_int_equal(end, utc(2026, 12, 6, 23, 0));
        /* Without a window every instant is a run time. */
        w = win(NULL, NULL);
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER, 12345), 12345);
        assert_true(hbs_in_window(&w, BER, 12345, &end));
        assert_int_equal(end, INT64_MAX);
}

/* A window across midnight belongs to the day it opens on. */
static void test_across_midnight(void **state)
{
        hbs_window_t w = win("22:00-06:00", NULL);
        int64_t end;

        (void)state;
        /* 23:30 CET: next hour slot 00:00 CET (23:00 UTC). */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 12, 4, 22, 30)),
                         utc(2026, 12, 4, 23, 0));
        /* 05:30 CET: the window closes at 06:00; next is 22:00. */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 12, 5, 4, 30)),
                         utc(2026, 12, 5, 21, 0));
        assert_true(hbs_in_window(&w, BER, utc(2026, 12, 5, 4, 30), &end));
        assert_int_equal(end, utc(2026, 12, 5, 5, 0));
        /* Fridays only: Friday 22:00 to Saturday 06:00 is in, Saturday
         * 22:00 is not. */
        w = win("22:00-06:00", "fri");
        assert_true(hbs_in_window(&w, BER, utc(2026, 12, 5, 1, 0), NULL));
        assert_false(hbs_in_window(&w, BER, utc(2026, 12, 5, 22, 0), NULL));
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 12, 5, 6, 0)),
                         utc(2026, 12, 11, 21, 0));
}

static void test_dst_berlin(void **state)
{
        hbs_window_t w = win("08:00-18:00", NULL);

        (void)state;
        /* Saturday 28 March 18:30 CET -> Sunday 08:00 CEST (06:00 UTC). */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 3, 28, 17, 30)),
                         utc(2026, 3, 29, 6, 0));
        /* Saturday 24 October 18:30 CEST -> Sunday 08:00 CET (07:00). */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 10, 24, 16, 30)),
                         utc(2026, 10, 25, 7, 0));
        /* A start in the gap opens when the gap ends, 03:00 CEST. */
        w = win("02:30-04:00", NULL);
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 3, 28, 23, 0)),
                         utc(2026, 3, 29, 1, 0));
        /* A window wholly in the gap does not exist that day. */
        w = win("02:00-03:00", NULL);
        assert_int_equal(hbs_next_run(&w, 10 * MIN_MS, BER,
                                      utc(2026, 3, 28, 23, 0)),
                         utc(2026, 3, 30, 0, 0));
        assert_false(hbs_in_window(&w, BER, utc(2026, 3, 29, 1, 0), NULL));
        /* Fall back: 01:00-05:00 lasts 5 hours on 25 October, slots are
         * instants an interval apart: 23:00, 00:00, ... 03:00 UTC. */
        w = win("01:00-05:00", NULL);
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 10, 24, 22, 30)),
                         utc(2026, 10, 24, 23, 0));
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 10, 25, 0, 30)),
                         utc(2026, 10, 25, 1, 0));
        assert_int_equal(hbs_next_run(&w, HOUR_MS, BER,
                                      utc(2026, 10, 25, 3, 30)),
                         utc(2026, 10, 26, 0, 0));
        assert_true(hbs_in_window(&w, BER, utc(2026, 10, 25, 3, 30), NULL));
        assert_false(hbs_in_window(&w, BER, utc(2026, 10, 25, 4, 0), NULL));
}

static void test_dst_new_york(void **state)
{
        hbs_window_t w = win("08:00-18:00", NULL);
        char buf[HBS_LOCAL_MAX];

        (void)state;
        /* Saturday 7 March 19:00 EST -> Sunday 08:00 EDT (12:00 UTC). */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, NYC,
                                      utc(2026, 3, 8, 0, 0)),
                         utc(2026, 3, 8, 12, 0));
        /* Saturday 31 October 19:00 EDT -> Sunday 08:00 EST (13:00). */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, NYC,
                                      utc(2026, 10, 31, 23, 0)),
                         utc(2026, 11, 1, 13, 0));
        w = win("02:30-03:30", NULL);
        assert_int_equal(hbs_next_run(&w, 10 * MIN_MS, NYC,
                                      utc(2026, 3, 8, 5, 0)),
                         utc(2026, 3, 8, 7, 0));
        assert_true(hbs_in_window(&w, NYC, utc(2026, 3, 8, 7, 20), NULL));
        assert_false(hbs_in_window(&w, NYC, utc(2026, 3, 8, 7, 30), NULL));
        assert_string_equal(hbs_format_local(utc(2026, 3, 8, 7, 0), NYC,
                                             buf, sizeof buf),
                            "2026-03-08 03:00:00 EDT");
        assert_string_equal(hbs_format_local(utc(2026, 12, 4, 7, 0), BER,
                                             buf, sizeof buf),
                            "2026-12-04 08:00:00 CET");
}

/* The zone is put back after each call. */
static void test_tz_restored(void **state)
{
        hbs_window_t w = win("08:00-18:00", NULL);
        const char *tz;

        (void)state;
        assert_int_equal(setenv("TZ", "UTC", 1), 0);
        (void)hbs_next_run(&w, HOUR_MS, BER, utc(2026, 12, 4, 12, 0));
        tz = getenv("TZ");
        assert_non_null(tz);
        assert_string_equal(tz, "UTC");
        /* NULL: the process's zone (UTC here). */
        assert_int_equal(hbs_next_run(&w, HOUR_MS, NULL,
                                      utc(2026, 12, 4, 5, 0)),
                         utc(2026, 12, 4, 8, 0));
        unsetenv("TZ");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_weekdays_and_weekend),
                cmocka_unit_test(test_across_midnight),
                cmocka_unit_test(test_dst_berlin),
                cmocka_unit_test(test_dst_new_york),
                cmocka_unit_test(test_tz_restored),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
