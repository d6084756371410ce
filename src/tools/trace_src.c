/* SPDX-License-Identifier: MIT */
/*
 * trace_src.c - the bytes of a trace or sender-times file: read as they
 * are, or inflated by zlib when they start with the gzip magic (1f 8b).
 * Contract: trace_impl.h.
 *
 * The magic, not the file name, decides: stdin has no name, and a renamed
 * file is common. The first read goes straight into the caller's buffer
 * (so a plain file is read exactly as before, one fread() per block); if
 * it holds the magic, those bytes become zlib's first input block and
 * every later read inflates. inflateInit2() with 16 + MAX_WBITS takes the
 * gzip wrapper only (raw zlib data is not a trace format). After the end
 * of a gzip member another member may follow (gzip(1) and zcat read
 * `cat a.gz b.gz` as one stream, so do we); anything else after the end is
 * an error, as is data that ends inside a member (a truncated download).
 *
 * zlib's own code is used, not gzread(): its allocations go through our
 * calloc/free hooks (failalloc's --wrap counts them in the unit tests),
 * and its errors can name the file.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/trace_impl.h"

#define SRC_BLOCK (64u * 1024u)       /* compressed bytes per fread() */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
        (void)opaque;
        return calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
        (void)opaque;
        free(p);
}

void hbt__src_init(hbt__src_t *s, FILE *f, const char *name)
{
        memset(s, 0, sizeof(*s));
        s->f = f;
        s->name = name;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static long src_fail(const hbt__src_t *s, int rc, char *err, size_t errlen,
                     const char *fmt, ...)
{
        va_list ap;
        int k;

        if (!errlen)
                return rc;
        k = snprintf(err, errlen, "%s: ", s->name);
        if (k >= 0 && (size_t)k < errlen) {
                va_start(ap, fmt);
                vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
                va_end(ap);
        }
        return rc;
}

static long read_error(const hbt__src_t *s, char *err, size_t errlen)
{
        int rc = errno ? -errno : -EIO;

        return src_fail(s, rc, err, errlen, "%s", strerror(-rc));
}

/* fread() up to `cap` bytes; a short count only at the end of the file. */
static long read_block(hbt__src_t *s, void *buf, size_t cap, char *err,
                       size_t errlen)
{
        size_t n;

        if (s->eof)
                return 0;
        errno = 0;
        n = fread(buf, 1, cap, s->f);
        if (n < cap) {
                if (ferror(s->f))
                        return read_error(s, err, errlen);
                s->eof = true;
        }
        return (long)n;
}

/* The first `n` bytes, read into `buf`, start with the magic. */
static long gz_start(hbt__src_t *s, const char *buf, size_t n, char *err,
                     size_t errlen)
{
        size_t cap = n > SRC_BLOCK ? n : SRC_BLOCK;
        int z;

        s->in = malloc(cap);
        if (!s->in)
                return src_fail(s, -ENOMEM, err, errlen, "out of memory");
        s->in_cap = cap;
        memcpy(s->in, buf, n);
        s->zs.zalloc = z_alloc;
        s->zs.zfree = z_free;
        s->zs.opaque = Z_NULL;
        s->zs.next_in = s->in;
        s->zs.avail_in = (uInt)n;
        z = inflateInit2(&s->zs, 16 + MAX_WBITS);
        if (z == Z_MEM_ERROR)
                return src_fail(s, -ENOMEM, err, errlen, "out of memory");
        if (z != Z_OK)
                return src_fail(s, -EINVAL, err, errlen, "zlib: %s",
                                s->zs.msg ? s->zs.msg : zError(z));
        s->zinit = true;
        s->gz = true;
        return 0;
}

static long gz_read(hbt__src_t *s, char *buf, size_t cap, char *err,
                    size_t errlen)
{
        z_stream *zs = &s->zs;

        zs->next_out = (Bytef *)buf;
        zs->avail_out = (uInt)cap;
        while (zs->avail_out > 0) {
                int z;

                if (zs->avail_in == 0) {
                        long n = read_block(s, s->in, s->in_cap, err, errlen);

                        if (n < 0)
                                return n;
                        zs->next_in = s->in;
                        zs->avail_in = (uInt)n;
                }
                if (s->member_end) {
                        if (zs->avail_in == 0)
                                break;          /* the end */
                        if (zs->next_in[0] != 0x1f)
                                return src_fail(s, -EINVAL, err, errlen,
                                                "data after the end of the "
                                                "gzip data");
                        if (inflateReset(zs) != Z_OK)
                                return src_fail(s, -EINVAL, err, errlen,
                                                "zlib: cannot reset");
                        s->member_end = false;
                }
                if (zs->avail_in == 0)
                        return src_fail(s, -EINVAL, err, errlen,
                                        "gzip data ends early (truncated "
                                        "file?)");
                z = inflate(zs, Z_NO_FLUSH);
                if (z == Z_STREAM_END) {
                        s->member_end = true;
                } else if (z == Z_MEM_ERROR) {
                        return src_fail(s, -ENOMEM, err, errlen,
                                        "out of memory");
                } else if (z != Z_OK && z != Z_BUF_ERROR) {
                        return src_fail(s, -EINVAL, err, errlen,
                                        "corrupt gzip data (%s)",
                                        zs->msg ? zs->msg : zError(z));
                } else if (z == Z_BUF_ERROR && zs->avail_in > 0) {
                        /* No progress with input and room: cannot be. */
                        return src_fail(s, -EINVAL, err, errlen,
                                        "corrupt gzip data");
                }
        }
        return (long)(cap - zs->avail_out);
}

long hbt__src_read(hbt__src_t *s, char *buf, size_t cap, char *err,
                   size_t errlen)
{
        long n, rc;

        assert(cap > 0 && cap <= UINT_MAX && cap <= LONG_MAX);
        if (s->gz)
                return gz_read(s, buf, cap, err, errlen);
        n = read_block(s, buf, cap, err, errlen);
        if (s->started || n < 2 || (unsigned char)buf[0] != 0x1f ||
            (unsigned char)buf[1] != 0x8b) {
                s->started = true;
                return n;
        }
        s->started = true;
        rc = gz_start(s, buf, (size_t)n, err, errlen);
        if (rc < 0)
                return rc;
        return gz_read(s, buf, cap, err, errlen);
}

void hbt__src_end(hbt__src_t *s)
{
        if (s->zinit)
                inflateEnd(&s->zs);
        s->zinit = false;
        free(s->in);
        s->in = NULL;
}
