/* SPDX-License-Identifier: MIT */
/*
 * Answers of the HTTP listener (http.c) and of the pages it serves
 * (dashboard.c): one way to queue a response with hbeatd's headers.
 */
#ifndef HBD_HTTP_REPLY_H
#define HBD_HTTP_REPLY_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

/* One response header besides Content-Type and Cache-Control. */
typedef struct hbd_http_header {
        const char *name;
        const char *value;
} hbd_http_header_t;

/*
 * Queue a response of `status` whose body is `len` bytes at `body`:
 * static text (MHD_RESPMEM_PERSISTENT) or a malloc()ed buffer MHD frees
 * (MHD_RESPMEM_MUST_FREE; freed here if the response cannot be made).
 * Every answer has Cache-Control: no-store (computed on the spot, never
 * cached); a 405 has Allow: GET, HEAD; then the n `extra` headers.
 * Returns MHD's result; MHD_NO makes MHD close the connection.
 */
enum MHD_Result hbd_http_reply(struct MHD_Connection *conn, unsigned status,
                               const char *type, void *body, size_t len,
                               enum MHD_ResponseMemoryMode mode,
                               const hbd_http_header_t *extra, size_t n);

/* hbd_http_reply() of static text, text/plain. */
enum MHD_Result hbd_http_reply_text(struct MHD_Connection *conn,
                                    unsigned status, const char *text,
                                    const hbd_http_header_t *extra,
                                    size_t n);

/* hbd_http_reply() of `obj` (reference stolen) as one line of JSON.
 * NULL (out of memory): MHD_NO, the connection is closed. */
enum MHD_Result hbd_http_reply_json(struct MHD_Connection *conn,
                                    unsigned status, json_t *obj,
                                    const hbd_http_header_t *extra,
                                    size_t n);

#endif /* HBD_HTTP_REPLY_H */
