/* SPDX-License-Identifier: MIT */
/*
 * See dashboard.h. The page's three files (src/daemon/dashboard/) are
 * turned into C arrays at build time (xxd -i, meson.build) and served
 * from memory with a Content-Security-Policy that lets the page load
 * nothing but its own script and style sheet and talk to nothing but
 * this server: no CDN, font or analytics host can be reached even by
 * mistake, and an injected script would not run.
 *
 * /v1/events?after=ID answers the events with an id above ID, oldest
 * first, from a ring of the last HBD_DASH_RING (the same objects as the
 * control socket's event stream, plus "id"). Ids count from 1 at start,
 * so a page that sees last_id fall below what it has knows hbeatd was
 * restarted. Bounded: at most HBD_DASH_RING events per answer, each
 * computed on the spot; nothing waits for new events (the page polls).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "daemon/dashboard.h"
#include "daemon/status.h"

/* Generated (meson.build): hbd_dash_<file>[] and hbd_dash_<file>_len. */
#include "dashboard_index_html.h"
#include "dashboard_app_js.h"
#include "dashboard_style_css.h"

/* Where the page may load from and connect to: this server only. */
#define HBD_DASH_CSP "default-src 'none'; script-src 'self'; " \
        "style-src 'self'; connect-src 'self'; img-src 'self'; " \
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct hbd_dash {
        hbd_ctx_t *ctx;
        json_t *ring[HBD_DASH_RING];   /* events with their "id" */
        unsigned head, len;            /* oldest slot, events kept */
        uint64_t last_id;              /* id of the newest event, 0: none */
};

typedef struct asset {
        const char *path;
        const char *type;
        const unsigned char *data;
        const unsigned int *len;
} asset_t;

static const asset_t assets[] = {
        { "/", "text/html; charset=utf-8", hbd_dash_index_html,
          &hbd_dash_index_html_len },
        { "/dashboard.js", "text/javascript; charset=utf-8",
          hbd_dash_app_js, &hbd_dash_app_js_len },
        { "/dashboard.css", "text/css; charset=utf-8", hbd_dash_style_css,
          &hbd_dash_style_css_len },
};

hbd_dash_t *hbd_dash_new(hbd_ctx_t *ctx)
{
        hbd_dash_t *d = calloc(1, sizeof(*d));

        if (d != NULL)
                d->ctx = ctx;
        return d;
}

void hbd_dash_free(hbd_dash_t *d)
{
        unsigned i;

        if (d == NULL)
                return;
        for (i = 0; i < d->len; i++)
                json_decref(d->ring[(d->head + i) % HBD_DASH_RING]);
        free(d);
}

void hbd_dash_on_event(hbd_dash_t *d, const hbd_event_t *ev)
{
        json_t *obj;

        if (d == NULL)
                return;
        obj = hbd_event_json(d->ctx, ev);
        if (obj == NULL)
                return;
        if (json_object_set_new(obj, "id",
                                json_integer((json_int_t)(d->last_id + 1)))
            < 0) {
                json_decref(obj);
                return;
        }
        d->last_id++;
        if (d->len < HBD_DASH_RING) {
                d->ring[(d->head + d->len) % HBD_DASH_RING] = obj;
                d->len++;
                return;
        }
        json_decref(d->ring[d->head]);
        d->ring[d->head] = obj;
        d->head = (d->head + 1) % HBD_DASH_RING;
}

/* ---- answers ------------------------------------------------------ */

/* Queue `len` bytes at `body` (static: MHD_RESPMEM_PERSISTENT; or
 * malloc()ed: MHD_RESPMEM_MUST_FREE, freed here on failure) with the
 * dashboard's headers. */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
                              const char *type, void *body, size_t len,
                              enum MHD_ResponseMemoryMode mode)
{
        static const char *const headers[][2] = {
                { MHD_HTTP_HEADER_CACHE_CONTROL, "no-store" },
                { MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, HBD_DASH_CSP },
                { MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff" },
                { "Referrer-Policy", "no-referrer" },
                { MHD_HTTP_HEADER_X_FRAME_OPTIONS, "DENY" },
        };
        struct MHD_Response *resp;
        enum MHD_Result ret;
        size_t i;

        resp = MHD_create_response_from_buffer(len, body, mode);
        if (resp == NULL) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO;
        }
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    type) != MHD_YES)
                goto fail;
        for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
                if (MHD_add_response_header(resp, headers[i][0],
                                            headers[i][1]) != MHD_YES)
                        goto fail;
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
fail:
        MHD_destroy_response(resp);
        return MHD_NO;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn,
                                   unsigned status, const char *text)
{
        return answer(conn, status, "text/plain; charset=utf-8",
                      (void *)(uintptr_t)text, strlen(text),
                      MHD_RESPMEM_PERSISTENT);
}

/*
 * The `after` argument: absent is 0; else decimal digits only, at most
 * 20 of them, within uint64_t. Returns 0 or -EINVAL.
 */
static int parse_after(struct MHD_Connection *conn, uint64_t *after)
{
        const char *s;
        char *end;
        unsigned long long v;
        size_t n;

        s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                        "after");
        if (s == NULL) {
                *after = 0;
                return 0;
        }
        n = strlen(s);
        if (n == 0 || n > 20 || strspn(s, "0123456789") != n)
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *after = (uint64_t)v;
        return 0;
}

/* {"ok": true, "first_id": N, "last_id": N, "events": [...], "now_ns": N}
 * with the events whose id is above `after`. */
static json_t *events_json(const hbd_dash_t *d, uint64_t after)
{
        uint64_t first_id = d->last_id - d->len + 1;
        json_t *arr = json_array();
        unsigned i;

        for (i = 0; arr != NULL && i < d->len; i++) {
                if (first_id + i <= after)
                        continue;
                if (json_array_append(arr, d->ring[(d->head + i) %
                                                   HBD_DASH_RING]) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        if (arr == NULL)
                return NULL;
        return json_pack("{s:b, s:I, s:I, s:o, s:I}", "ok", 1,
                         "first_id", (json_int_t)(d->len > 0 ? first_id : 0),
                         "last_id", (json_int_t)d->last_id,
                         "events", arr,
                         "now_ns", (json_int_t)uv_hrtime());
}

static enum MHD_Result do_events(const hbd_dash_t *d,
                                 struct MHD_Connection *conn)
{
        uint64_t after;
        json_t *obj;
        char *body;
        size_t len;

        if (parse_after(conn, &after) < 0)
                return answer_text(conn, MHD_HTTP_BAD_REQUEST,
                                   "bad 'after': an event id (decimal "
                                   "digits) is expected\n");
        obj = events_json(d, after);
        if (obj == NULL)
                return MHD_NO;
        body = hbp_dump_line(obj, &len);
        json_decref(obj);
        if (body == NULL)
                return MHD_NO;
        return answer(conn, MHD_HTTP_OK, "application/json", body, len,
                      MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result hbd_dash_request(hbd_dash_t *d, struct MHD_Connection *conn,
                                 const char *url, bool *handled)
{
        size_t i;

        *handled = true;
        if (strcmp(url, "/v1/events") == 0)
                return do_events(d, conn);
        for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
                if (strcmp(url, assets[i].path) == 0)
                        /* PERSISTENT: the arrays live as long as hbeatd
                         * and are never written (MHD does not write
                         * them either). */
                        return answer(conn, MHD_HTTP_OK, assets[i].type,
                                      (void *)(uintptr_t)assets[i].data,
                                      *assets[i].len,
                                      MHD_RESPMEM_PERSISTENT);
        *handled = false;
        return MHD_NO;
}
