/* SPDX-License-Identifier: MIT */
/*
 * The service manager's watchdog (systemd's WatchdogSec=, sd_watchdog_
 * enabled(3); docs/operations.md, "systemd"): a timer on hbeatd's event
 * loop sends WATCHDOG=1 every half of the period systemd asked for
 * (WATCHDOG_USEC, for this pid: WATCHDOG_PID). The ping comes from the
 * loop itself, not from a thread of its own, so that a loop that is stuck
 * (a blocking call, a livelock, SIGSTOP) sends nothing, and systemd kills
 * and restarts hbeatd after WatchdogSec. Half the period is what
 * sd_watchdog_enabled(3) recommends: one late ping does not kill.
 *
 * Not to be confused with fencing.watchdog, the kernel's device that
 * self-fences the machine (actions.c): this one restarts the process.
 *
 * Nothing to do outside systemd, or without WatchdogSec= (or in a build
 * without libsystemd): the module starts, and reports itself off.
 * Reload changes nothing: the period is systemd's, fixed at start.
 * READY=1, RELOADING=1 and STOPPING=1 are sent from daemon.c and
 * reload.c, where those things happen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#ifdef HB_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/module.h"

typedef struct watchdog {
        hbd_ctx_t *ctx;
        uv_timer_t timer;
        uint64_t period_us;            /* systemd's WATCHDOG_USEC; 0: off */
        uint64_t pings_total;          /* WATCHDOG=1 sent */
        void (*done)(void *arg);
        void *done_arg;
} watchdog_t;

static void on_tick(uv_timer_t *t)
{
        watchdog_t *w = t->data;

        hbd_sd_notify("WATCHDOG=1");
        w->pings_total++;
}

/* The period systemd asks for, in µs; 0 when it asks for none. */
static uint64_t period_us(void)
{
#ifdef HB_HAVE_SYSTEMD
        uint64_t usec = 0;

        /* Keeps WATCHDOG_USEC and WATCHDOG_PID: they name this pid only,
         * so a child that reads them ignores them. */
        if (sd_watchdog_enabled(0, &usec) > 0)
                return usec;
#endif
        return 0;
}

static void free_closed(uv_handle_t *h)
{
        free(h->data);
}

static int start(hbd_ctx_t *ctx, void **state)
{
        watchdog_t *w;
        uint64_t every_ms;
        int r;

        w = calloc(1, sizeof(*w));
        if (w == NULL)
                return -ENOMEM;
        w->ctx = ctx;
        w->period_us = period_us();
        r = uv_timer_init(ctx->loop, &w->timer);
        if (r < 0) {
                free(w);
                return r;
        }
        w->timer.data = w;
        if (w->period_us > 0) {
                every_ms = w->period_us / 2000;
                if (every_ms == 0)
                        every_ms = 1;
                r = uv_timer_start(&w->timer, on_tick, every_ms, every_ms);
                if (r < 0) {
                        hbd_error(ctx->log, "cannot start the systemd "
                                  "watchdog timer: %s", uv_strerror(r));
                        /* Freed once closed, on the loop's next turn. */
                        uv_close((uv_handle_t *)&w->timer, free_closed);
                        return r;
                }
                /* Not unref'd: it stops with the module, as the rest. */
                hbd_info(ctx->log, "systemd watchdog: %" PRIu64 " ms, "
                         "pinging every %" PRIu64 " ms", w->period_us / 1000,
                         every_ms);
        }
        *state = w;
        return 0;
}

static void status(void *state, json_t *doc)
{
        watchdog_t *w = state;

        json_object_set_new(doc, "systemd_watchdog",
                            json_pack("{s:b, s:I, s:I}",
                                      "enabled", w->period_us > 0,
                                      "period_ms",
                                      (json_int_t)(w->period_us / 1000),
                                      "pings_total",
                                      (json_int_t)w->pings_total));
}

static void on_closed(uv_handle_t *h)
{
        watchdog_t *w = h->data;
        void (*done)(void *arg) = w->done;
        void *arg = w->done_arg;

        free(w);
        done(arg);
}

static void stop(void *state, void (*done)(void *arg), void *arg)
{
        watchdog_t *w = state;

        w->done = done;
        w->done_arg = arg;
        uv_close((uv_handle_t *)&w->timer, on_closed);
}

const hbd_module_t hbd_watchdog_module = {
        .name = "watchdog",
        .events = 0,
        .start = start,
        .status = status,
        .stop = stop,
};
