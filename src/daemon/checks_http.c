/* SPDX-License-Identifier: MIT */
/*
 * Health checks, the http kind (internals: checks_impl.h; the rest of the
 * checks, the probe lifetime and the state machine: checks.c).
 *
 * libcurl's multi interface driven by hbeatd's libuv loop, one CURLM per
 * check set (created only when the set has an http check):
 *
 *   CURLMOPT_SOCKETFUNCTION  socket_cb(): a uv_poll_t per socket libcurl
 *                            wants watched (struct sock_ctx, attached with
 *                            curl_multi_assign()), closed on
 *                            CURL_POLL_REMOVE; each holds one of set->open
 *                            until its close callback.
 *   CURLMOPT_TIMERFUNCTION   timer_cb(): the set's one uv_timer_t
 *                            (curl_timer), started or stopped.
 *
 * Both the poll and the timer callbacks call curl_multi_socket_action(),
 * then check_multi_info() hands every finished transfer to
 * p->finish() (checks.c's). A probe is one easy handle: a GET with
 * CURLOPT_TIMEOUT_MS = timeout_ms, no redirects, http and https only, the
 * body discarded, passing when the status is expect_status. The probe's
 * own timeout timer (checks.c) may finish it first; finishing removes the
 * easy handle (hbd_checks_http_cancel()). libcurl resolves the host and
 * connects to the first address that answers (happy eyeballs): an http
 * check tests the service, not every address; use a tcp check for that
 * (docs/checks.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <uv.h>

#include "daemon/checks_impl.h"

/* A socket libcurl asked us to watch; freed from the poll's close callback,
 * which drops the set reference taken when it was opened. */
struct sock_ctx {
        uv_poll_t poll;
        curl_socket_t fd;
        struct hbd_checks *set;
};

static void check_multi_info(struct hbd_checks *set)
{
        CURLMsg *m;
        int left;

        while (set->multi && (m = curl_multi_info_read(set->multi, &left))) {
                struct probe *p = NULL;
                char msg[CURL_ERROR_SIZE + 32];
                long status = 0;
                bool ok;

                if (m->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
                if (!p)
                        continue;
                if (m->data.result != CURLE_OK) {
                        snprintf(msg, sizeof msg, "%s",
                                 p->curl_err[0] ? p->curl_err
                                 : curl_easy_strerror(m->data.result));
                        ok = false;
                } else {
                        curl_easy_getinfo(m->easy_handle,
                                          CURLINFO_RESPONSE_CODE, &status);
                        snprintf(msg, sizeof msg, "status %ld", status);
                        ok = p->check &&
                             status == (long)p->check->conf->expect_status;
                }
                p->finish(p, ok, msg);
        }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
        struct sock_ctx *s = h->data;
        int flags = 0, running;

        if (status < 0)
                flags = CURL_CSELECT_ERR;
        if (events & UV_READABLE)
                flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
                flags |= CURL_CSELECT_OUT;
        curl_multi_socket_action(s->set->multi, s->fd, flags, &running);
        check_multi_info(s->set);
}

static void on_sock_closed(uv_handle_t *h)
{
        struct sock_ctx *s = h->data;
        struct hbd_checks *set = s->set;

        free(s);
        set->handle_closed((uv_handle_t *)&set->curl_timer);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
        struct hbd_checks *set = userp;
        struct sock_ctx *s = socketp;
        int events = 0;

        (void)easy;
        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        uv_poll_stop(&s->poll);
                        uv_close((uv_handle_t *)&s->poll, on_sock_closed);
                        curl_multi_assign(set->multi, fd, NULL);
                }
                return 0;
        }
        if (!s) {
                s = calloc(1, sizeof *s);
                if (!s)
                        return -1;
                s->fd = fd;
                s->set = set;
                if (uv_poll_init_socket(set->ctx->loop, &s->poll, fd) < 0) {
                        free(s);
                        return -1;
                }
                s->poll.data = s;
                set->open++;
                curl_multi_assign(set->multi, fd, s);
        }
        if (what & CURL_POLL_IN)
                events |= UV_READABLE;
        if (what & CURL_POLL_OUT)
                events |= UV_WRITABLE;
        uv_poll_start(&s->poll, events, on_poll);
        return 0;
}

static void on_curl_timer(uv_timer_t *t)
{
        struct hbd_checks *set = t->data;
        int running;

        curl_multi_socket_action(set->multi, CURL_SOCKET_TIMEOUT, 0,
                                 &running);
        check_multi_info(set);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct hbd_checks *set = userp;

        (void)multi;
        if (timeout_ms < 0)
                uv_timer_stop(&set->curl_timer);
        else
                uv_timer_start(&set->curl_timer, on_curl_timer,
                               (uint64_t)timeout_ms, 0);
        return 0;
}

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *u)
{
        (void)ptr;
        (void)u;
        return size * nmemb;
}

void hbd_checks_http_run(struct check *c, struct probe *p)
{
        struct hbd_checks *set = c->set;
        CURL *e = curl_easy_init();
        long ms = (long)(c->conf->timeout_ns / HB_NS_PER_MS);

        if (!e || !set->multi) {
                if (e)
                        curl_easy_cleanup(e);
                p->finish(p, false, "cannot create a transfer");
                return;
        }
        curl_easy_setopt(e, CURLOPT_URL, c->conf->url);
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_USERAGENT, "hbeatd/" HB_VERSION_STRING);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->curl_err);
        curl_easy_setopt(e, CURLOPT_PRIVATE, p);
        /* The body is not needed: discard it (the default writes it to
         * stdout). */
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
        p->easy = e;
        p->multi = set->multi;
        p->refs++;
        if (curl_multi_add_handle(set->multi, e) != CURLM_OK)
                p->finish(p, false, "cannot start the transfer");
}

void hbd_checks_http_cancel(struct probe *p)
{
        curl_multi_remove_handle(p->multi, p->easy);
        curl_easy_cleanup(p->easy);
        p->easy = NULL;
}

int hbd_checks_http_global_init(void)
{
        static bool curl_ready;

        if (!curl_ready) {
                /* Once per process; never cleaned up (libcurl's global
                 * state lives until exit). */
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
                        return -ENOMEM;
                curl_ready = true;
        }
        return 0;
}

int hbd_checks_http_open(struct hbd_checks *set)
{
        set->multi = curl_multi_init();
        if (!set->multi ||
            uv_timer_init(set->ctx->loop, &set->curl_timer) < 0) {
                if (set->multi)
                        curl_multi_cleanup(set->multi);
                set->multi = NULL;
                return -ENOMEM;
        }
        set->curl_timer_open = true;
        set->open++;
        curl_multi_setopt(set->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        curl_multi_setopt(set->multi, CURLMOPT_SOCKETDATA, set);
        curl_multi_setopt(set->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        curl_multi_setopt(set->multi, CURLMOPT_TIMERDATA, set);
        return 0;
}

void hbd_checks_http_close(struct hbd_checks *set)
{
        if (set->multi) {
                /* Every easy handle was removed (probes finished); this
                 * may still report sockets to close through socket_cb(). */
                curl_multi_cleanup(set->multi);
                set->multi = NULL;
        }
        if (set->curl_timer_open) {
                uv_timer_stop(&set->curl_timer);
                uv_close((uv_handle_t *)&set->curl_timer,
                         set->handle_closed);
        }
}
