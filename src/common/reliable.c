/* SPDX-License-Identifier: MIT */
/*
 * The reliable transport's link state and framing (common/reliable.h),
 * sans-I/O: tests/unit/test_reliable.c drives it with a fake clock and
 * two in-memory stream ends.
 */
#include <errno.h>

#include "common/reliable.h"

void hbrl_link_init(hbrl_link_t *l)
{
        l->state = HBRL_IDLE;
        l->retry_ns = 0;
        l->backoff_ns = HBRL_BACKOFF_MIN_NS;
        l->queued = 0;
        l->queued_bytes = 0;
}

enum hbrl_verdict hbrl_offer(hbrl_link_t *l, size_t frame_len,
                             uint64_t now_ns)
{
        switch (l->state) {
        case HBRL_BACKOFF:
                if (now_ns < l->retry_ns)
                        return HBRL_DOWN;
                /* Time to try again. */
                /* fall through */
        case HBRL_IDLE:
                l->state = HBRL_CONNECTING;
                return HBRL_CONNECT;
        case HBRL_CONNECTING:
                return HBRL_DOWN;
        case HBRL_OPEN:
                break;
        }
        if (l->queued >= HBRL_QUEUE_MAX ||
            l->queued_bytes + frame_len > HBRL_QUEUE_BYTES_MAX)
                return HBRL_FULL;
        l->queued++;
        l->queued_bytes += frame_len;
        return HBRL_SEND;
}

void hbrl_written(hbrl_link_t *l, size_t frame_len)
{
        if (l->queued > 0)
                l->queued--;
        l->queued_bytes = l->queued_bytes > frame_len
                                  ? l->queued_bytes - frame_len
                                  : 0;
}

void hbrl_opened(hbrl_link_t *l)
{
        l->state = HBRL_OPEN;
        l->backoff_ns = HBRL_BACKOFF_MIN_NS;
        l->queued = 0;
        l->queued_bytes = 0;
}

void hbrl_failed(hbrl_link_t *l, uint64_t now_ns)
{
        l->state = HBRL_BACKOFF;
        l->retry_ns = now_ns + l->backoff_ns;
        l->backoff_ns *= 2;
        if (l->backoff_ns > HBRL_BACKOFF_MAX_NS)
                l->backoff_ns = HBRL_BACKOFF_MAX_NS;
        l->queued = 0;
        l->queued_bytes = 0;
}

int hbrl_frame(hbes_t *es, const uint8_t *msg, size_t len, hbes_buf_t *out)
{
        if (msg == NULL || len == 0 || len > HBRL_MSG_MAX)
                return -EMSGSIZE;
        return hbes_send(es, HBRL_FRAME_MESSAGE, msg, len, out);
}

int hbrl_unframe(const hbes_frame_t *f, const uint8_t **msg, size_t *len)
{
        if (f->type != HBRL_FRAME_MESSAGE)
                return -EPROTO;
        if (f->len == 0 || f->len > HBRL_MSG_MAX)
                return -EMSGSIZE;
        *msg = f->body;
        *len = f->len;
        return 0;
}
