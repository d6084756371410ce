/* SPDX-License-Identifier: MIT */
/*
 * Internals of hbeatd's health checks, shared by their two files only
 * (nothing else may include this; the contract is checks.h):
 *
 *   checks.c       the check set, one timer per check, the probe lifetime,
 *                  the exec, tcp and udp kinds, schedules, the rise/fall
 *                  state machine and its effects, reload, the API
 *   checks_http.c  the http kind: libcurl's multi interface driven by the
 *                  libuv loop (one CURLM and one uv_timer_t per set, one
 *                  uv_poll_t per socket, one easy handle per probe)
 *
 * The structs are here because both files reach into them: checks_http.c
 * owns the set's curl fields (multi, curl_timer) and a probe's (easy,
 * multi, curl_err), checks.c everything else.
 */
#ifndef HBD_CHECKS_IMPL_H
#define HBD_CHECKS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <uv.h>

#include "daemon/module.h"

typedef enum check_state {
        ST_INITIAL = 0,
        ST_PASSING = 1,
        ST_FAILING = 2,
} check_state_t;

struct check;
struct probe;
struct conn_try;                       /* tcp, checks.c only */

/* One check set: the running one, or a reload's prepared one. */
struct hbd_checks {
        hbd_ctx_t *ctx;
        struct check **checks;
        size_t n;
        CURLM *multi;                  /* NULL without http checks */
        uv_timer_t curl_timer;         /* .data is the set, always (see
                                          handle_closed) */
        /* Close callback for a handle of the set (h->data is the set):
         * drops one of `open` and frees the set with the last; also
         * called with &curl_timer to drop a reference held by something
         * else. checks.c's (checks_http.c only calls it: no call goes
         * back from checks_http.c to checks.c by name). */
        uv_close_cb handle_closed;
        bool curl_timer_open;
        unsigned open;                 /* handles of the set not closed */
        bool stopped;
};

struct check {
        struct hbd_checks *set;
        const hbd_check_conf_t *conf;  /* borrowed from d->cfg while
                                          running; NULL once stopped */
        char name[HBD_NAME_MAX + 1];
        uint32_t kind;
        uv_timer_t timer;
        struct probe *probe;           /* running, or NULL */
        check_state_t state;
        uint32_t successes, failures;  /* consecutive */
        uint64_t runs;
        uint64_t runs_ok;              /* of runs: passed */
        int last;                      /* -1 none, 0 fail, 1 ok */
        char last_msg[128];
        uint64_t last_run_ns, last_ok_ns, last_fail_ns, state_since_ns;
        /* Schedule (conf->window.set): the timer is one-shot, armed for
         * the next run or the window's end (pull peers), whichever is
         * first, and at most HBD_SCHED_RECHECK_MS ahead. */
        int64_t next_run_ms;           /* wall ms of the next run; -1
                                          none (no day of the window) */
        int64_t window_end_ms;         /* wall ms; 0: outside a window */
        bool in_window;
};

/* One run. `check` is NULL once detached. */
struct probe {
        struct check *check;
        /* Report the result to the check (once; later calls do nothing)
         * and release everything of the run, the easy handle included
         * (hbd_checks_http_cancel()). `msg` is copied. checks.c's. */
        void (*finish)(struct probe *p, bool ok, const char *msg);
        uint32_t kind;
        unsigned refs;                 /* open handles + pending requests */
        bool reported;
        uv_timer_t timer;              /* timeout */
        /* exec */
        struct hb__proc *proc;         /* running (holds one of refs) */
        /* tcp */
        uv_getaddrinfo_t gai;
        bool gai_pending;
        struct conn_try *tries;
        size_t n_tries, n_done;
        bool all_ok;
        char port[8];
        /* udp (pull peers): an echo of `nonce` on a connected socket */
        uv_udp_t udp;
        bool udp_open;                 /* holds one of refs until closed */
        uint8_t nonce[16];
        char rbuf[64];
        /* http (tcp also writes its message into curl_err) */
        CURL *easy;                    /* holds one of refs while set */
        CURLM *multi;
        char curl_err[CURL_ERROR_SIZE];
};

/* ---- checks_http.c ----------------------------------------------------- */

/* curl_global_init(), once per process (never cleaned up: libcurl's global
 * state lives until exit). 0 or -ENOMEM. */
int hbd_checks_http_global_init(void);

/*
 * Give `set` its CURLM and curl_timer (which then holds one of set->open).
 * 0, or -ENOMEM with set->multi NULL and nothing to close.
 */
int hbd_checks_http_open(struct hbd_checks *set);

/*
 * Release the set's CURLM and close its curl_timer. Every probe must have
 * been finished first (no easy handle left in the multi). No-op without
 * http checks.
 */
void hbd_checks_http_close(struct hbd_checks *set);

/*
 * Start the GET of check `c` as probe `p` (p->kind is HBD_CHECK_HTTP). The
 * result reaches p->finish() from the loop, or at once when the transfer
 * cannot start.
 */
void hbd_checks_http_run(struct check *c, struct probe *p);

/*
 * Remove and free p->easy (set) and clear it; the caller then drops the
 * probe reference it held. libcurl may report sockets to close.
 */
void hbd_checks_http_cancel(struct probe *p);

#endif /* HBD_CHECKS_IMPL_H */
