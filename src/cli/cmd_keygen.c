/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl keygen [--force] [FILE|-]`: generate a cluster key.
 *
 * 32 random bytes from libsodium (hb_key_generate()), written as base64
 * plus "\n", the format the daemon's key_file expects (hb_key_from_base64()).
 * Offline: no daemon involved.
 *
 * A key file is a secret, so:
 * - FILE is created with O_CREAT|O_EXCL and mode 0600, never through an
 *   existing file or symlink; an existing FILE is an error (overwriting a
 *   cluster's key by accident splits the cluster).
 * - --force replaces FILE atomically: the key goes to a new 0600 file in
 *   the same directory, which is then renamed over FILE. The old file's
 *   permissions are never reused and there is no moment at which FILE is
 *   empty or half-written; a symlink at FILE is replaced, not followed.
 * - The key and its text are wiped from memory after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/hbctl.h"
#include "hbeat/wire.h"

/* Write all of buf, make it durable, close. 0 or -errno; fd closed. */
static int write_close(int fd, const char *buf, size_t len)
{
        size_t off = 0;
        int r = 0;

        while (off < len) {
                ssize_t n = write(fd, buf + off, len - off);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                off += (size_t)n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static int write_new(const char *path, const char *buf, size_t len)
{
        int fd, r;

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                if (r == -EEXIST)
                        hbctl_err("%s already exists; not overwriting a key "
                                  "(use --force to replace it)", path);
                else
                        hbctl_err("cannot create %s: %s", path, strerror(-r));
                return r;
        }
        r = write_close(fd, buf, len);
        if (r < 0) {
                hbctl_err("cannot write %s: %s", path, strerror(-r));
                unlink(path);
        }
        return r;
}

static int write_replace(const char *path, const char *buf, size_t len)
{
        char *tmp = NULL;
        int fd, r;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
                hbctl_err("out of memory");
                return -ENOMEM;
        }
        /* mkostemp() creates with O_EXCL and mode 0600. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                hbctl_err("cannot create a file next to %s: %s", path,
                          strerror(-r));
                free(tmp);
                return r;
        }
        r = write_close(fd, buf, len);
        if (r < 0) {
                hbctl_err("cannot write %s: %s", tmp, strerror(-r));
        } else if (rename(tmp, path) < 0) {
                r = -errno;
                hbctl_err("cannot replace %s: %s", path, strerror(-r));
        }
        if (r < 0)
                unlink(tmp);
        free(tmp);
        return r;
}

int hbctl_cmd_keygen(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        char line[HB_KEY_BASE64_LEN + 1]; /* base64, '\n', NUL */
        const char *path = NULL;
        bool force = false;
        hb_key_t key;
        size_t len;
        int c, r, status = HBCTL_EXIT_OK;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":fh", opts)) != -1) {
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (argc - optind > 1)
                return hbctl_usage_error(argv[0], "too many arguments");
        if (optind < argc && strcmp(argv[optind], "-") != 0)
                path = argv[optind];

        if (hb_wire_init() < 0) {
                hbctl_err("cannot initialise libsodium");
                return HBCTL_EXIT_FAIL;
        }
        hb_key_generate(&key);
        r = hb_key_to_base64(line, sizeof(line), &key);
        hb_key_wipe(&key);
        if (r < 0) {
                hbctl_err("cannot encode the key: %s", hb_strerror(r));
                sodium_memzero(line, sizeof(line));
                return HBCTL_EXIT_FAIL;
        }
        len = strlen(line);
        line[len++] = '\n';

        if (!path) {
                if (fwrite(line, 1, len, stdout) != len)
                        status = HBCTL_EXIT_FAIL;
                status = hbctl_finish_stdout(status);
        } else {
                r = force ? write_replace(path, line, len)
                          : write_new(path, line, len);
                if (r < 0)
                        status = HBCTL_EXIT_FAIL;
        }
        /* stdio may keep a copy in its buffer; it was flushed above and the
         * buffer is not ours to wipe. */
        sodium_memzero(line, sizeof(line));
        return status;
}
