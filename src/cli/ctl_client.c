/* SPDX-License-Identifier: MIT */
/*
 * Blocking client of hbeatd's control socket (docs/control-protocol.md):
 * JSON lines over a Unix stream socket. One request line out, one response
 * line back, or, for `events --follow`, a stream of lines until either side
 * closes.
 *
 * Lines are bounded by HBP_MAX_RESPONSE (the buffer starts at 64 KiB
 * and grows as needed): a daemon (or anything else bound to
 * the socket path) cannot make the client grow without limit. Every wait
 * is a poll() with a timeout, except a stream's, which instead can be
 * interrupted by SIGINT/SIGTERM (hbctl_catch_signals()).
 *
 * Also here: small helpers to read JSON fields for display.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/hbctl.h"
#include "common/ctl_proto.h"

struct hbctl_conn {
        int fd;
        char *path;     /* for messages */
        char *buf;      /* grows up to HBP_MAX_RESPONSE + 1 bytes */
        size_t cap;     /* bytes allocated for buf */
        size_t start;   /* first byte not yet returned */
        size_t len;     /* bytes in buf */
};

/* Signal handling for streams: see hbctl_catch_signals(). */
static bool signals_caught;
static sigset_t wait_mask;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
        got_signal = sig;
}

int hbctl_catch_signals(void)
{
        struct sigaction sa = { .sa_handler = on_signal };
        sigset_t block;

        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        /*
         * Blocked except inside ppoll(): a signal arriving while we print
         * an event is delivered at the next wait instead of being lost in
         * the gap before it.
         */
        if (sigprocmask(SIG_BLOCK, &block, &wait_mask) < 0)
                return -errno;
        sigdelset(&wait_mask, SIGINT);
        sigdelset(&wait_mask, SIGTERM);
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0 ||
            sigaction(SIGTERM, &sa, NULL) < 0)
                return -errno;
        signals_caught = true;
        return 0;
}

int hbctl_conn_open(hbctl_conn_t **ret, const char *path)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        hbctl_conn_t *conn;
        int r;

        if (strlen(path) >= sizeof(sun.sun_path)) {
                hbctl_err("socket path too long (max %zu bytes): %s",
                          sizeof(sun.sun_path) - 1, path);
                return -ENAMETOOLONG;
        }
        memcpy(sun.sun_path, path, strlen(path) + 1);

        conn = calloc(1, sizeof(*conn));
        if (!conn)
                goto nomem;
        conn->fd = -1;
        conn->path = strdup(path);
        conn->cap = HBP_MAX_LINE + 1;
        conn->buf = malloc(conn->cap);
        if (!conn->path || !conn->buf)
                goto nomem;

        conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (conn->fd < 0) {
                r = -errno;
                hbctl_err("cannot create a Unix socket: %s", strerror(-r));
                hbctl_conn_close(conn);
                return r;
        }
        while (connect(conn->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                if (errno == EINTR)
                        continue;
                r = -errno;
                hbctl_err("cannot connect to %s: %s (is hbeatd running? "
                          "see -s/--socket)", path, strerror(-r));
                hbctl_conn_close(conn);
                return r;
        }
        *ret = conn;
        return 0;

nomem:
        hbctl_err("out of memory");
        hbctl_conn_close(conn);
        return -ENOMEM;
}

void hbctl_conn_close(hbctl_conn_t *conn)
{
        if (!conn)
                return;
        if (conn->fd >= 0)
                close(conn->fd);
        free(conn->path);
        free(conn->buf);
        free(conn);
}

int hbctl_conn_send(hbctl_conn_t *conn, const json_t *req)
{
        size_t len, off = 0;
        char *line = hbp_dump_line(req, &len);
        int r = 0;

        if (!line) {
                hbctl_err("cannot encode the request");
                return -ENOMEM;
        }
        while (off < len) {
                /* MSG_NOSIGNAL: a daemon that went away is an error to
                 * report, not a SIGPIPE to die of. */
                ssize_t n = send(conn->fd, line + off, len - off,
                                 MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        hbctl_err("cannot send to %s: %s", conn->path,
                                  strerror(-r));
                        break;
                }
                off += (size_t)n;
        }
        free(line);
        return r;
}

static int wait_readable(hbctl_conn_t *conn, int timeout_ms)
{
        return hbctl_wait_readable(conn->fd, timeout_ms);
}

int hbctl_wait_readable(int fd, int timeout_ms)
{
        return hbctl_wait_fd(fd, POLLIN, timeout_ms);
}

int hbctl_wait_fd(int fd, short events, int timeout_ms)
{
        struct pollfd pfd = { .fd = fd, .events = events };
        struct timespec ts, *tsp = NULL;
        int n;

        if (timeout_ms >= 0) {
                ts.tv_sec = timeout_ms / 1000;
                ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
                tsp = &ts;
        }
        for (;;) {
                n = ppoll(&pfd, 1, tsp, signals_caught ? &wait_mask : NULL);
                if (n > 0)
                        return 0;
                if (n == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
                if (got_signal)
                        return -EINTR;
                /* Another signal: ppoll has not updated tsp, so a stream of
                 * unrelated signals could extend the wait; harmless. */
        }
}

int hbctl_conn_recv(hbctl_conn_t *conn, int timeout_ms, json_t **obj,
                    const char **raw, size_t *raw_len)
{
        size_t scanned = conn->start;
        char *nl;
        json_error_t jerr;
        json_t *v;
        int r;

        for (;;) {
                nl = memchr(conn->buf + scanned, '\n', conn->len - scanned);
                if (nl)
                        break;
                scanned = conn->len;
                if (conn->len - conn->start > HBP_MAX_RESPONSE) {
                        hbctl_err("response from %s longer than %u bytes",
                                  conn->path, (unsigned)HBP_MAX_RESPONSE);
                        return -EMSGSIZE;
                }
                /* Make room: move the partial line to the front. */
                if (conn->start > 0) {
                        memmove(conn->buf, conn->buf + conn->start,
                                conn->len - conn->start);
                        conn->len -= conn->start;
                        scanned -= conn->start;
                        conn->start = 0;
                }
                /* Large answers (members of a big cluster): grow. */
                if (conn->len == conn->cap &&
                    conn->cap < HBP_MAX_RESPONSE + 1) {
                        size_t cap = 2 * conn->cap;
                        char *b;

                        if (cap > HBP_MAX_RESPONSE + 1)
                                cap = HBP_MAX_RESPONSE + 1;
                        b = realloc(conn->buf, cap);
                        if (!b) {
                                hbctl_err("out of memory");
                                return -ENOMEM;
                        }
                        conn->buf = b;
                        conn->cap = cap;
                }
                r = wait_readable(conn, timeout_ms);
                if (r == -EINTR)
                        return r;
                if (r == -ETIMEDOUT) {
                        hbctl_err("no response from %s within %d s",
                                  conn->path, timeout_ms / 1000);
                        return r;
                }
                if (r < 0) {
                        hbctl_err("cannot read from %s: %s", conn->path,
                                  strerror(-r));
                        return r;
                }
                ssize_t n = recv(conn->fd, conn->buf + conn->len,
                                 conn->cap - conn->len, 0);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        r = -errno;
                        hbctl_err("cannot read from %s: %s", conn->path,
                                  strerror(-r));
                        return r;
                }
                if (n == 0) {
                        if (conn->len == conn->start)
                                return 0;
                        hbctl_err("%s closed the connection in the middle "
                                  "of a response", conn->path);
                        return -EPIPE;
                }
                conn->len += (size_t)n;
        }

        size_t line_len = (size_t)(nl - (conn->buf + conn->start));
        const char *line = conn->buf + conn->start;

        conn->start += line_len + 1;
        v = json_loadb(line, line_len, 0, &jerr);
        if (!v) {
                hbctl_err("bad response from %s: %s (column %d)", conn->path,
                          jerr.text, jerr.column);
                return -EBADMSG;
        }
        if (!json_is_object(v)) {
                hbctl_err("bad response from %s: not a JSON object",
                          conn->path);
                json_decref(v);
                return -EBADMSG;
        }
        *obj = v;
        if (raw)
                *raw = line;
        if (raw_len)
                *raw_len = line_len;
        return 1;
}

int hbctl_check_ok(const json_t *resp)
{
        const json_t *ok = json_object_get(resp, "ok");

        if (json_is_true(ok))
                return HBCTL_EXIT_OK;
        hbctl_err("hbeatd: %s", hbctl_json_str(resp, "error",
                                               "request failed (no reason "
                                               "given)"));
        return HBCTL_EXIT_FAIL;
}

int hbctl_call(hbctl_ctx_t *ctx, const char *cmd, const json_t *extra,
               json_t **resp)
{
        const char *path = hbctl_socket_path(ctx);
        hbctl_conn_t *conn = NULL;
        json_t *req, *v = NULL;
        int status = HBCTL_EXIT_FAIL, r;

        if (!path)
                return HBCTL_EXIT_FAIL;
        req = json_pack("{ss}", "cmd", cmd);
        if (!req || (extra && json_object_update(req, (json_t *)extra) < 0)) {
                hbctl_err("out of memory");
                goto out;
        }
        if (hbctl_conn_open(&conn, path) < 0 ||
            hbctl_conn_send(conn, req) < 0)
                goto out;
        r = hbctl_conn_recv(conn, HBCTL_TIMEOUT_MS, &v, NULL, NULL);
        if (r == 0)
                hbctl_err("%s closed the connection without a response",
                          path);
        if (r <= 0)
                goto out;
        status = hbctl_check_ok(v);
        if (status == HBCTL_EXIT_OK) {
                *resp = v;
                v = NULL;
        }
out:
        json_decref(v);
        json_decref(req);
        hbctl_conn_close(conn);
        return status;
}

const char *hbctl_json_str(const json_t *obj, const char *key,
                           const char *fallback)
{
        const char *s = json_string_value(json_object_get(obj, key));

        return s ? s : fallback;
}

double hbctl_json_num(const json_t *obj, const char *key, bool *ok)
{
        const json_t *v = json_object_get(obj, key);

        if (ok)
                *ok = json_is_number(v);
        return json_is_number(v) ? json_number_value(v) : 0.0;
}

int hbctl_json_print(const json_t *v, bool pretty)
{
        size_t flags = pretty ? JSON_INDENT(2) | JSON_REAL_PRECISION(15)
                              : HBP_JSON_FLAGS;

        /* Keys in the daemon's order, reals as the protocol writes them. */
        if (json_dumpf(v, stdout, flags) < 0 ||
            fputc('\n', stdout) == EOF) {
                hbctl_err("cannot write to standard output: %s",
                          strerror(errno));
                return HBCTL_EXIT_FAIL;
        }
        return HBCTL_EXIT_OK;
}
