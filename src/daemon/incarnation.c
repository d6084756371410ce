/* SPDX-License-Identifier: MIT */
/*
 * This run's incarnation, kept durably so that it grows at every start
 * (review F6).
 *
 * Peers accept a node's messages only while (incarnation, sequence)
 * grows (docs/wire-format.md): a restart must come back with a greater
 * incarnation, or every message of the new run is dropped as an old
 * incarnation and the node stays dead at its peers. The wall clock in µs
 * at start grows across restarts only while the clock is never stepped
 * back; node.incarnation_file holds the last incarnation used, and the
 * new one is max(wall clock, last + 1), written and fsync'ed before the
 * node exists (so before its first message). The file:
 *
 *     hbeat-incarnation 1
 *     incarnation 1764892800123456
 *
 * Text an operator can read; strict: a damaged file is refused rather
 * than read as 0, which could reuse an incarnation. A missing file is the
 * first start: the wall clock alone. A missing directory is created (one
 * level, mode 0750: /var/lib/hbeat without the package's state
 * directory).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "daemon/incarnation.h"

#define MAGIC "hbeat-incarnation 1"
#define FILE_MAX 128

int hbd_incarnation_choose(uint64_t wall_us, bool have_last, uint64_t last,
                           uint64_t *out)
{
        if (!have_last || wall_us > last) {
                *out = wall_us;
                return 0;
        }
        if (last == UINT64_MAX)
                return -EOVERFLOW;
        *out = last + 1;
        return 0;
}

/* Read the last incarnation: 0 with *have false when there is no file. */
static int read_last(const char *path, bool *have, uint64_t *last,
                     char *err, size_t errlen)
{
        char *text = NULL;
        const char *p;
        size_t len = 0;
        bool ok;
        int r;

        *have = false;
        r = hbu_read_file(path, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                snprintf(err, errlen, "cannot read %s: %s", path,
                         strerror(-r));
                return r;
        }
        p = text;
        ok = len <= FILE_MAX && memchr(text, '\0', len) == NULL &&
             strncmp(p, MAGIC "\n", sizeof(MAGIC)) == 0 &&
             (p += sizeof(MAGIC),
              hbu_parse_field(&p, "incarnation", UINT64_MAX, last)) &&
             *p == '\0';
        free(text);
        if (!ok) {
                snprintf(err, errlen, "%s is malformed (expected '%s' and "
                         "'incarnation N' on two lines); refusing to start "
                         "rather than reuse an incarnation: repair it, or "
                         "remove it if this host's wall clock is right "
                         "(docs/operations.md, \"Incarnations\")", path,
                         MAGIC);
                return -EINVAL;
        }
        *have = true;
        return 0;
}

/* Create the file's directory when it is missing (one level). */
static int make_parent(const char *path)
{
        char *dir = strdup(path);
        char *slash;
        int r = 0;

        if (dir == NULL)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                        r = -errno;
        }
        free(dir);
        return r;
}

int hbd_incarnation_next(const char *path, uint64_t wall_us,
                         hbd_incarnation_t *out, char *err, size_t errlen)
{
        char buf[FILE_MAX];
        int n, r;

        memset(out, 0, sizeof(*out));
        out->wall_us = wall_us;
        r = read_last(path, &out->had_last, &out->last, err, errlen);
        if (r < 0)
                return r;
        r = hbd_incarnation_choose(wall_us, out->had_last, out->last,
                                   &out->incarnation);
        if (r < 0) {
                snprintf(err, errlen, "%s: the last incarnation is the "
                         "largest there is; remove the file (and run "
                         "'hbeatctl forget' for this node on its peers)",
                         path);
                return r;
        }
        n = snprintf(buf, sizeof(buf), MAGIC "\nincarnation %" PRIu64 "\n",
                     out->incarnation);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -EOVERFLOW;
        r = hbu_write_file_durable(path, buf, (size_t)n, 0600);
        if (r == -ENOENT && make_parent(path) == 0)
                r = hbu_write_file_durable(path, buf, (size_t)n, 0600);
        if (r < 0) {
                snprintf(err, errlen, "cannot keep the incarnation in %s: "
                         "%s (set node.incarnation_file to a writable "
                         "path)", path, strerror(-r));
                return r;
        }
        return 0;
}
