/* SPDX-License-Identifier: MIT */
/*
 * Answers of the HTTP listener and its pages (http_reply.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "daemon/http_reply.h"

enum MHD_Result hbd_http_reply(struct MHD_Connection *conn, unsigned status,
                               const char *type, void *body, size_t len,
                               enum MHD_ResponseMemoryMode mode,
                               const hbd_http_header_t *extra, size_t n)
{
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
                                    type) != MHD_YES ||
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                                    "no-store") != MHD_YES ||
            (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
             MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                     "GET, HEAD") != MHD_YES))
                goto fail;
        for (i = 0; i < n; i++)
                if (MHD_add_response_header(resp, extra[i].name,
                                            extra[i].value) != MHD_YES)
                        goto fail;
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
fail:
        MHD_destroy_response(resp);
        return MHD_NO;
}

enum MHD_Result hbd_http_reply_text(struct MHD_Connection *conn,
                                    unsigned status, const char *text,
                                    const hbd_http_header_t *extra,
                                    size_t n)
{
        /* PERSISTENT: MHD neither copies nor frees the static text. */
        return hbd_http_reply(conn, status, "text/plain; charset=utf-8",
                              (void *)(uintptr_t)text, strlen(text),
                              MHD_RESPMEM_PERSISTENT, extra, n);
}

enum MHD_Result hbd_http_reply_json(struct MHD_Connection *conn,
                                    unsigned status, json_t *obj,
                                    const hbd_http_header_t *extra,
                                    size_t n)
{
        size_t len;
        char *body;

        if (obj == NULL)
                return MHD_NO;
        body = hbp_dump_line(obj, &len);
        json_decref(obj);
        if (body == NULL)
                return MHD_NO;
        return hbd_http_reply(conn, status, "application/json", body, len,
                              MHD_RESPMEM_MUST_FREE, extra, n);
}
