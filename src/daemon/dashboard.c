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
 *
 * /v1/suspicion is each peer's suspicion over the last minute, one value
 * a second: the highest the detector gave when this node sent a
 * heartbeat in that second (HBD_EV_HEARTBEAT_SENT, so no timer of its
 * own, and a heartbeat interval's resolution within the second). A
 * second without a sample (interval above 1 s, the node stopped) is
 * null. Kept here rather than by the page, so that the page has the
 * whole minute as soon as it opens. Memory: HBD_DASH_SAMPLES floats a
 * peer; peers removed by a reload are dropped (HBD_EV_PEERS).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "daemon/dashboard.h"
#include "daemon/http_reply.h"
#include "daemon/status.h"

/* Generated (meson.build): hbd_dash_<file>[] and hbd_dash_<file>_len. */
#include "dashboard_index_html.h"
#include "dashboard_app_js.h"
#include "dashboard_style_css.h"

/* Where the page may load from and connect to: this server only. */
#define HBD_DASH_CSP "default-src 'none'; script-src 'self'; " \
        "style-src 'self'; connect-src 'self'; img-src 'self'; " \
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* Suspicion values above this are kept as this (phi of a long-dead
 * peer grows without bound). */
#define HBD_DASH_SUSPICION_MAX 1e6f

/* One peer's suspicion, a value a second (NAN: no sample), a ring whose
 * current second is hbd_dash.slot. */
typedef struct hist {
        uint32_t id;
        float v[HBD_DASH_SAMPLES];
} hist_t;

struct hbd_dash {
        hbd_ctx_t *ctx;
        json_t *ring[HBD_DASH_RING];   /* events with their "id" */
        unsigned head, len;            /* oldest slot, events kept */
        uint64_t last_id;              /* id of the newest event, 0: none */
        hist_t *hist;                  /* a peer each (any order) */
        size_t n_hist, cap_hist;
        unsigned slot;                 /* the current second's slot */
        uint64_t second;               /* the current second, monotonic */
        bool sampled;                  /* `second` is set */
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
        free(d->hist);
        free(d);
}

/* ---- suspicion history -------------------------------------------- */

/* Peer `id`'s history, a new one (no samples) if it has none; NULL when
 * out of memory. */
static hist_t *hist_of(hbd_dash_t *d, uint32_t id, size_t hint)
{
        hist_t *h;
        size_t i;

        if (hint < d->n_hist && d->hist[hint].id == id)
                return &d->hist[hint];
        for (i = 0; i < d->n_hist; i++)
                if (d->hist[i].id == id)
                        return &d->hist[i];
        if (d->n_hist == d->cap_hist) {
                size_t cap = d->cap_hist != 0 ? 2 * d->cap_hist : 8;

                h = reallocarray(d->hist, cap, sizeof(*h));
                if (h == NULL)
                        return NULL;
                d->hist = h;
                d->cap_hist = cap;
        }
        h = &d->hist[d->n_hist++];
        h->id = id;
        for (i = 0; i < HBD_DASH_SAMPLES; i++)
                h->v[i] = NAN;
        return h;
}

/* Every peer's suspicion at `now_ns` into the second it falls in. */
static void sample(hbd_dash_t *d, uint64_t now_ns)
{
        const hb_node_t *node = d->ctx->node;
        uint64_t sec = now_ns / HBD_DASH_SAMPLE_NS, k;
        size_t i, j, n = hb_node_peer_count(node);

        if (!d->sampled) {
                d->sampled = true;
                d->second = sec;
        }
        if (sec > d->second) {
                /* Seconds without a sample are NAN. */
                k = sec - d->second;
                if (k > HBD_DASH_SAMPLES)
                        k = HBD_DASH_SAMPLES;
                while (k-- > 0) {
                        d->slot = (d->slot + 1) % HBD_DASH_SAMPLES;
                        for (j = 0; j < d->n_hist; j++)
                                d->hist[j].v[d->slot] = NAN;
                }
                d->second = sec;
        }
        for (i = 0; i < n; i++) {
                hb_peer_info_t pi;
                hist_t *h;
                float v;

                if (hb_node_peer_at(node, i, now_ns, &pi) < 0 ||
                    !(pi.suspicion >= 0.0))
                        continue;
                h = hist_of(d, pi.id, i);
                if (h == NULL)
                        continue;
                v = pi.suspicion < HBD_DASH_SUSPICION_MAX ?
                    (float)pi.suspicion : HBD_DASH_SUSPICION_MAX;
                if (isnan(h->v[d->slot]) || v > h->v[d->slot])
                        h->v[d->slot] = v;
        }
}

/* A reload changed the peers: forget the ones no longer configured. */
static void prune(hbd_dash_t *d)
{
        size_t i, n = 0;

        for (i = 0; i < d->n_hist; i++)
                if (hbd_config_peer(d->ctx->cfg, d->hist[i].id) != NULL)
                        d->hist[n++] = d->hist[i];
        d->n_hist = n;
}

/* ---- events -------------------------------------------------------- */

void hbd_dash_on_event(hbd_dash_t *d, const hbd_event_t *ev)
{
        json_t *obj;

        if (d == NULL)
                return;
        if (ev->kind == HBD_EV_HEARTBEAT_SENT) {
                sample(d, ev->at_ns);
                return;
        }
        if (ev->kind == HBD_EV_PEERS) {
                prune(d);
                return;
        }
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

/* The dashboard's headers, besides hbeatd's (http_reply.h): nothing but
 * hbeatd itself may be loaded, framed or told of. */
static const hbd_http_header_t dash_headers[] = {
        { MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, HBD_DASH_CSP },
        { MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff" },
        { "Referrer-Policy", "no-referrer" },
        { MHD_HTTP_HEADER_X_FRAME_OPTIONS, "DENY" },
};

#define N_DASH_HEADERS (sizeof(dash_headers) / sizeof(dash_headers[0]))

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
                              const char *type, void *body, size_t len,
                              enum MHD_ResponseMemoryMode mode)
{
        return hbd_http_reply(conn, status, type, body, len, mode,
                              dash_headers, N_DASH_HEADERS);
}

static enum MHD_Result answer_text(struct MHD_Connection *conn,
                                   unsigned status, const char *text)
{
        return hbd_http_reply_text(conn, status, text, dash_headers,
                                   N_DASH_HEADERS);
}

/* A peer's samples, oldest first, the current second last. */
static json_t *samples_json(const hbd_dash_t *d, const hist_t *h)
{
        json_t *arr = json_array();
        unsigned i;

        for (i = 1; arr != NULL && i <= HBD_DASH_SAMPLES; i++) {
                float v = h != NULL ? h->v[(d->slot + i) % HBD_DASH_SAMPLES]
                                    : NAN;

                if (json_array_append_new(arr, isnan(v) ? json_null() :
                                          json_real(hbp_round(v, 3))) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

/* {"ok": true, "sample_ms": 1000, "samples": 60, "members": [{"name",
 * "id", "suspicion": [...]}], "now_ns": N}, peers in /v1/members' order */
static json_t *suspicion_json(hbd_dash_t *d)
{
        const hb_node_t *node = d->ctx->node;
        uint64_t now = uv_hrtime();
        size_t i, n = hb_node_peer_count(node);
        json_t *arr = json_array();

        for (i = 0; arr != NULL && i < n; i++) {
                const hbd_peer_conf_t *pc;
                const hist_t *h = NULL;
                hb_peer_info_t pi;
                size_t j;

                if (hb_node_peer_at(node, i, now, &pi) < 0)
                        continue;
                for (j = 0; j < d->n_hist && h == NULL; j++)
                        if (d->hist[j].id == pi.id)
                                h = &d->hist[j];
                pc = hbd_config_peer(d->ctx->cfg, pi.id);
                if (json_array_append_new(arr, json_pack(
                            "{s:s, s:I, s:o}",
                            "name", pc != NULL ? pc->name : "",
                            "id", (json_int_t)pi.id,
                            "suspicion", samples_json(d, h))) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        if (arr == NULL)
                return NULL;
        return json_pack("{s:b, s:I, s:I, s:o, s:I}", "ok", 1,
                         "sample_ms", (json_int_t)(HBD_DASH_SAMPLE_NS /
                                                   HB_NS_PER_MS),
                         "samples", (json_int_t)HBD_DASH_SAMPLES,
                         "members", arr, "now_ns", (json_int_t)now);
}

/* `obj` (stolen; NULL: out of memory) as one line of JSON. */
static enum MHD_Result answer_json(struct MHD_Connection *conn, json_t *obj)
{
        return hbd_http_reply_json(conn, MHD_HTTP_OK, obj, dash_headers,
                                   N_DASH_HEADERS);
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

        if (parse_after(conn, &after) < 0)
                return answer_text(conn, MHD_HTTP_BAD_REQUEST,
                                   "bad 'after': an event id (decimal "
                                   "digits) is expected\n");
        return answer_json(conn, events_json(d, after));
}

enum MHD_Result hbd_dash_request(hbd_dash_t *d, struct MHD_Connection *conn,
                                 const char *url, bool *handled)
{
        size_t i;

        *handled = true;
        if (strcmp(url, "/v1/events") == 0)
                return do_events(d, conn);
        if (strcmp(url, "/v1/suspicion") == 0)
                return answer_json(conn, suspicion_json(d));
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
