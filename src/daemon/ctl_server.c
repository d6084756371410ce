/* SPDX-License-Identifier: MIT */
/*
 * Control socket transport (see ctl_server.h, docs/control-protocol.md);
 * the commands are the control module's (ctl.c).
 *
 * Framing: each connection reads into a growing buffer and handles every
 * complete line ('\n'-terminated) in order; a line or an unterminated tail
 * longer than HBP_MAX_LINE gets an error and the connection is shut
 * down once that error is written. Responses are written with uv_write;
 * a client that pipelines requests without reading its answers is paused
 * (reading stops) while more than HBP_MAX_QUEUED bytes are unsent, and
 * resumed when they drain. A stream client (`events` follower, `record`)
 * cannot be paused (events and arrivals do not wait), so one with more
 * than HBP_MAX_QUEUED bytes unsent is disconnected.
 *
 * Lifetimes: a connection leaves the list when its close starts and is
 * freed from its close callback; the server is freed when the listener
 * and every connection have closed. Pending write callbacks run (with
 * UV_ECANCELED) before the close callback, so they may still touch the
 * connection.
 *
 * All JSON is built with jansson (json_pack, json_object_set_new) and
 * serialised by hbp_dump_line().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctl_proto.h"
#include "daemon/ctl_server.h"

#define READ_CHUNK 4096

/* What a connection has turned into, if anything. */
enum conn_stream {
        STREAM_NONE = 0,               /* requests and responses */
        STREAM_EVENTS,                 /* events --follow */
        STREAM_RECORD,                 /* record: arrivals of one peer */
};

struct hbd_ctl_conn {
        uv_pipe_t pipe;
        uv_shutdown_t shutdown_req;
        hbd_ctl_t *ctl;
        struct hbd_ctl_conn *prev, *next;
        char *in;
        size_t in_len, in_cap;
        enum conn_stream stream;       /* STREAM_NONE: request/response */
        uint32_t record_peer;          /* STREAM_RECORD: the peer's id */
        bool paused;                   /* reading stopped: too much unsent */
        bool closing;
        bool in_list;
        uid_t uid;                     /* the client's, SO_PEERCRED */
        uint64_t active_ms;            /* uv_now() of its last input */
};

struct wreq {
        uv_write_t req;
        struct hbd_ctl_conn *c;
        char *data;
};

struct hbd_ctl {
        const hbd_log_t *log;
        const hbd_ctl_command_t *cmds;
        void *user;
        uv_pipe_t listener;
        char *path;
        bool bound;
        dev_t dev;
        ino_t ino;
        struct hbd_ctl_conn *conns;
        unsigned n_conns, n_followers, n_recorders;
        unsigned open_handles;         /* listener + connections */
        bool closing;
        hbd_ratelimit_t refuse_rl;     /* "refusing a connection" lines */
        json_t *ring[HBD_CTL_RING];
        unsigned ring_head, ring_len;
};

static void process(struct hbd_ctl_conn *c);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* ---- lifetimes ---------------------------------------------------- */

static void ctl_free(hbd_ctl_t *ctl)
{
        unsigned i;

        for (i = 0; i < ctl->ring_len; i++)
                json_decref(ctl->ring[(ctl->ring_head + i) % HBD_CTL_RING]);
        free(ctl->path);
        free(ctl);
}

static void handle_closed(hbd_ctl_t *ctl)
{
        if (--ctl->open_handles == 0 && ctl->closing)
                ctl_free(ctl);
}

static void on_conn_close(uv_handle_t *h)
{
        struct hbd_ctl_conn *c = h->data;
        hbd_ctl_t *ctl = c->ctl;

        free(c->in);
        free(c);
        handle_closed(ctl);
}

static void conn_unlist(struct hbd_ctl_conn *c)
{
        hbd_ctl_t *ctl = c->ctl;

        if (!c->in_list)
                return;
        if (c->prev != NULL)
                c->prev->next = c->next;
        else
                ctl->conns = c->next;
        if (c->next != NULL)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
        c->in_list = false;
        ctl->n_conns--;
        if (c->stream == STREAM_EVENTS)
                ctl->n_followers--;
        else if (c->stream == STREAM_RECORD)
                ctl->n_recorders--;
}

static void conn_close(struct hbd_ctl_conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        conn_unlist(c);
        uv_close((uv_handle_t *)&c->pipe, on_conn_close);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
        struct hbd_ctl_conn *c = req->data;

        (void)status;
        uv_close((uv_handle_t *)&c->pipe, on_conn_close);
}

/* Close after everything queued so far has been written. */
static void conn_close_after_write(struct hbd_ctl_conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        conn_unlist(c);
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->shutdown_req.data = c;
        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe,
                        on_shutdown) < 0)
                uv_close((uv_handle_t *)&c->pipe, on_conn_close);
}

/* ---- writing ------------------------------------------------------ */

static size_t conn_queued(struct hbd_ctl_conn *c)
{
        return uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
}

static void on_write(uv_write_t *req, int status)
{
        struct wreq *w = req->data;
        struct hbd_ctl_conn *c = w->c;

        free(w->data);
        free(w);
        if (c->closing)
                return;
        if (status < 0) {
                hbd_debug(c->ctl->log, "control: write failed: %s",
                          uv_strerror(status));
                conn_close(c);
                return;
        }
        if (c->paused && conn_queued(c) == 0) {
                c->paused = false;
                process(c);
                if (!c->closing && !c->paused &&
                    uv_read_start((uv_stream_t *)&c->pipe, on_alloc,
                                  on_read) < 0)
                        conn_close(c);
        }
}

/* Queue `len` bytes of `data` (taken over: freed here in every case). */
static int conn_write_raw(struct hbd_ctl_conn *c, char *data, size_t len)
{
        struct wreq *w;
        uv_buf_t b;
        int r;

        if (c->closing) {
                free(data);
                return UV_ECANCELED;
        }
        w = malloc(sizeof(*w));
        if (w == NULL) {
                free(data);
                conn_close(c);
                return UV_ENOMEM;
        }
        w->c = c;
        w->data = data;
        w->req.data = w;
        b = uv_buf_init(data, (unsigned)len);
        r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write);
        if (r < 0) {
                free(data);
                free(w);
                conn_close(c);
        }
        return r;
}

/* Send one protocol object (reference stolen). */
static void conn_send(struct hbd_ctl_conn *c, json_t *obj)
{
        char *line;
        size_t len;

        if (obj == NULL) {
                hbd_error(c->ctl->log, "control: out of memory "
                          "building a response");
                conn_close(c);
                return;
        }
        line = hbp_dump_line(obj, &len);
        json_decref(obj);
        if (line == NULL) {
                conn_close(c);
                return;
        }
        conn_write_raw(c, line, len);
}

/* ---- requests ----------------------------------------------------- */

void hbd_ctl_reply(struct hbd_ctl_conn *c, json_t *obj)
{
        conn_send(c, obj);
}

void hbd_ctl_reply_error(struct hbd_ctl_conn *c, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                conn_close(c);
                return;
        }
        conn_send(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
        free(msg);
}

void hbd_ctl_follow(struct hbd_ctl_conn *c)
{
        if (c->stream != STREAM_NONE)
                return;
        c->stream = STREAM_EVENTS;
        c->ctl->n_followers++;
}

void hbd_ctl_record(struct hbd_ctl_conn *c, uint32_t peer_id)
{
        if (c->stream != STREAM_NONE)
                return;
        c->stream = STREAM_RECORD;
        c->record_peer = peer_id;
        c->ctl->n_recorders++;
}

json_t *hbd_ctl_events(const hbd_ctl_t *ctl)
{
        json_t *arr = json_array();
        unsigned i;

        for (i = 0; arr != NULL && i < ctl->ring_len; i++) {
                json_t *ev = ctl->ring[(ctl->ring_head + i) % HBD_CTL_RING];

                if (json_array_append(arr, ev) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

static void handle_line(struct hbd_ctl_conn *c, const char *line, size_t len)
{
        json_error_t jerr;
        json_t *req, *cmdv;
        const char *cmd;
        size_t i = 0;

        while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (i == len) {
                hbd_ctl_reply_error(c, "bad request: empty line (one JSON "
                                    "object per line expected)");
                return;
        }
        req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (req == NULL) {
                hbd_ctl_reply_error(c, "bad request: %s", jerr.text);
                return;
        }
        cmdv = json_object_get(req, "cmd");
        if (!json_is_object(req)) {
                hbd_ctl_reply_error(c, "bad request: not a JSON object");
        } else if (!json_is_string(cmdv)) {
                hbd_ctl_reply_error(c, "bad request: missing \"cmd\" string");
        } else {
                const hbd_ctl_command_t *k;

                cmd = json_string_value(cmdv);
                for (k = c->ctl->cmds; k->name != NULL; k++)
                        if (strcmp(k->name, cmd) == 0)
                                break;
                if (k->name != NULL)
                        k->fn(c->ctl->user, c, req);
                else
                        hbd_ctl_reply_error(c, "unknown command '%s'", cmd);
        }
        json_decref(req);
}

static void too_long(struct hbd_ctl_conn *c)
{
        hbd_warn(c->ctl->log, "control: request longer than %d bytes; "
                 "closing the connection", HBP_MAX_LINE);
        hbd_ctl_reply_error(c, "request too long (more than %d bytes)",
                   HBP_MAX_LINE);
        conn_close_after_write(c);
}

/* Handle the complete lines buffered in c->in, in order. */
static void process(struct hbd_ctl_conn *c)
{
        size_t start = 0;

        while (!c->closing && c->stream == STREAM_NONE &&
               start < c->in_len) {
                char *nl = memchr(c->in + start, '\n', c->in_len - start);
                size_t len;

                if (nl == NULL)
                        break;
                if (conn_queued(c) > HBP_MAX_QUEUED) {
                        /* The client is not reading its answers. */
                        c->paused = true;
                        uv_read_stop((uv_stream_t *)&c->pipe);
                        break;
                }
                len = (size_t)(nl - (c->in + start));
                if (len > HBP_MAX_LINE) {
                        too_long(c);
                        return;
                }
                if (len > 0 && c->in[start + len - 1] == '\r')
                        len--;
                /* A blank line is a request too: it gets its one line
                 * of answer (control-protocol.md), a "bad request". */
                handle_line(c, c->in + start, len);
                start = (size_t)(nl - c->in) + 1;
        }
        if (c->closing)
                return;
        if (c->stream != STREAM_NONE) {
                /* Input on a stream has no meaning: discard it. */
                c->in_len = 0;
                return;
        }
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        /* Unless paused (complete lines may wait then), what is left is an
         * unterminated line. */
        if (!c->paused && c->in_len > HBP_MAX_LINE)
                too_long(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct hbd_ctl_conn *c = h->data;

        (void)suggested;
        if (c->in_cap - c->in_len < READ_CHUNK) {
                size_t cap = c->in_cap * 2;
                char *p;

                if (cap < c->in_len + READ_CHUNK)
                        cap = c->in_len + READ_CHUNK;
                p = realloc(c->in, cap);
                if (p == NULL) {
                        *buf = uv_buf_init(NULL, 0);  /* -> UV_ENOBUFS */
                        return;
                }
                c->in = p;
                c->in_cap = cap;
        }
        *buf = uv_buf_init(c->in + c->in_len,
                           (unsigned)(c->in_cap - c->in_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        struct hbd_ctl_conn *c = s->data;

        (void)buf;
        c->active_ms = uv_now(s->loop);
        if (nread < 0) {
                if (nread != UV_EOF)
                        hbd_debug(c->ctl->log, "control: read: %s",
                                  uv_strerror((int)nread));
                conn_close(c);
                return;
        }
        if (nread == 0 || c->closing)
                return;
        c->in_len += (size_t)nread;
        process(c);
}

/* The connecting process's uid (SO_PEERCRED), or (uid_t)-1. */
static uid_t peer_uid(struct hbd_ctl_conn *c)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        uv_os_fd_t fd;

        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return (uid_t)-1;
        return cred.uid;
}

/*
 * Room for `c` (review F7: 64 idle clients locked everyone out): at most
 * HBD_CTL_MAX_CLIENTS_PER_UID connections of one uid and
 * HBD_CTL_MAX_CLIENTS in all. At a limit, the request/response connection
 * idle the longest (of that uid, or of all), if idle for HBD_CTL_IDLE_MS
 * or more, is closed to make room; streams are meant to be quiet and are
 * kept. Connections count against a limit as long as they are open, so a
 * client of another uid always finds room while one uid holds its share.
 * NULL when admitted, else why not.
 */
static const char *admit(hbd_ctl_t *ctl, const struct hbd_ctl_conn *c)
{
        struct hbd_ctl_conn *o, *idlest = NULL, *idlest_uid = NULL;
        uint64_t now = c->active_ms;
        unsigned same_uid = 0;

        for (o = ctl->conns; o != NULL; o = o->next) {
                if (o->stream != STREAM_NONE || o->closing)
                        continue;
                if (idlest == NULL || o->active_ms < idlest->active_ms)
                        idlest = o;
                if (o->uid != c->uid)
                        continue;
                same_uid++;
                if (idlest_uid == NULL ||
                    o->active_ms < idlest_uid->active_ms)
                        idlest_uid = o;
        }
        if (same_uid >= HBD_CTL_MAX_CLIENTS_PER_UID)
                o = idlest_uid;
        else if (ctl->n_conns >= HBD_CTL_MAX_CLIENTS)
                o = idlest;
        else
                return NULL;
        if (o == NULL || now - o->active_ms < HBD_CTL_IDLE_MS)
                return same_uid >= HBD_CTL_MAX_CLIENTS_PER_UID
                               ? "too many connections of this uid, none "
                                 "idle"
                               : "too many clients, none idle";
        hbd_debug(ctl->log, "control: closing a connection idle for %" PRIu64
                  " ms to make room", now - o->active_ms);
        conn_close(o);
        return NULL;
}

static void on_connection(uv_stream_t *server, int status)
{
        hbd_ctl_t *ctl = server->data;
        struct hbd_ctl_conn *c;
        const char *why;
        int r;

        if (status < 0) {
                hbd_warn(ctl->log, "control: accept: %s",
                         uv_strerror(status));
                return;
        }
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
                hbd_error(ctl->log, "control: out of memory accepting "
                          "a connection");
                return;
        }
        c->ctl = ctl;
        r = uv_pipe_init(server->loop, &c->pipe, 0);
        if (r < 0) {
                free(c);
                return;
        }
        c->pipe.data = c;
        ctl->open_handles++;
        r = uv_accept(server, (uv_stream_t *)&c->pipe);
        if (r < 0) {
                hbd_warn(ctl->log, "control: accept: %s", uv_strerror(r));
                conn_close(c);
                return;
        }
        c->active_ms = uv_now(server->loop);
        c->uid = peer_uid(c);
        why = admit(ctl, c);
        if (why != NULL) {
                uint64_t count;

                if (hbd_ratelimit(&ctl->refuse_rl, uv_hrtime(), &count))
                        hbd_warn(ctl->log, "control: refusing a connection "
                                 "from uid %u: %s (%" PRIu64 " refused "
                                 "since the last such line)",
                                 (unsigned)c->uid, why, count);
                conn_close(c);
                return;
        }
        c->next = ctl->conns;
        if (ctl->conns != NULL)
                ctl->conns->prev = c;
        ctl->conns = c;
        c->in_list = true;
        ctl->n_conns++;
        r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
        if (r < 0)
                conn_close(c);
}

/* ---- events and record streams ------------------------------------ */

/* Queue a copy of `line` on a stream, or disconnect a stream client that
 * has more than HBP_MAX_QUEUED bytes unread. */
static void stream_write(struct hbd_ctl_conn *c, const char *line, size_t len,
                         const char *what)
{
        char *copy;

        if (conn_queued(c) + len > HBP_MAX_QUEUED) {
                hbd_warn(c->ctl->log, "control: %s has %zu bytes unread; "
                         "disconnecting it", what, conn_queued(c));
                conn_close(c);
                return;
        }
        copy = malloc(len);
        if (copy == NULL) {
                conn_close(c);
                return;
        }
        memcpy(copy, line, len);
        conn_write_raw(c, copy, len);
}

void hbd_ctl_publish(hbd_ctl_t *ctl, json_t *event)
{
        struct hbd_ctl_conn *c, *next;
        char *line;
        size_t len;

        if (ctl == NULL || event == NULL || ctl->closing) {
                json_decref(event);
                return;
        }
        if (ctl->ring_len < HBD_CTL_RING) {
                ctl->ring[(ctl->ring_head + ctl->ring_len) % HBD_CTL_RING] =
                        event;
                ctl->ring_len++;
        } else {
                json_decref(ctl->ring[ctl->ring_head]);
                ctl->ring[ctl->ring_head] = event;
                ctl->ring_head = (ctl->ring_head + 1) % HBD_CTL_RING;
        }
        if (ctl->n_followers == 0)
                return;
        line = hbp_dump_line(event, &len);
        if (line == NULL)
                return;
        for (c = ctl->conns; c != NULL; c = next) {
                next = c->next;
                if (c->stream == STREAM_EVENTS)
                        stream_write(c, line, len, "events follower");
        }
        free(line);
}

void hbd_ctl_record_arrival(hbd_ctl_t *ctl, uint32_t peer_id, uint64_t seq,
                            uint64_t send_ns, uint64_t arrival_ns)
{
        struct hbd_ctl_conn *c, *next;
        char *line = NULL;
        size_t len = 0;

        if (ctl == NULL || ctl->n_recorders == 0 || ctl->closing)
                return;
        for (c = ctl->conns; c != NULL; c = next) {
                next = c->next;
                if (c->stream != STREAM_RECORD || c->record_peer != peer_id)
                        continue;
                if (line == NULL) {
                        json_t *obj = hbp_arrival_json(seq, send_ns,
                                                          arrival_ns);

                        line = obj != NULL ? hbp_dump_line(obj, &len)
                                           : NULL;
                        json_decref(obj);
                        if (line == NULL) {
                                hbd_error(ctl->log, "control: out of "
                                          "memory recording an arrival");
                                return;
                        }
                }
                stream_write(c, line, len, "record stream");
        }
        free(line);
}

bool hbd_ctl_recording(const hbd_ctl_t *ctl)
{
        return ctl != NULL && ctl->n_recorders > 0 && !ctl->closing;
}

void hbd_ctl_end_records(hbd_ctl_t *ctl, bool (*keep)(void *, uint32_t),
                         void *user)
{
        struct hbd_ctl_conn *c, *next;

        if (ctl == NULL || ctl->n_recorders == 0 || ctl->closing)
                return;
        for (c = ctl->conns; c != NULL; c = next) {
                next = c->next;
                if (c->stream != STREAM_RECORD || keep(user, c->record_peer))
                        continue;
                hbd_ctl_reply_error(c, "peer id %u was removed from the "
                           "configuration; recording ends",
                           (unsigned)c->record_peer);
                conn_close_after_write(c);
        }
}

/* ---- socket file -------------------------------------------------- */

/* mkdir -p of the directory part of `path`, new directories 0755. */
static int make_parent_dirs(const char *path)
{
        char *dir = strdup(path);
        char *p;
        int r = 0;

        if (dir == NULL)
                return -ENOMEM;
        p = strrchr(dir, '/');
        if (p == NULL || p == dir) {
                free(dir);
                return 0;
        }
        *p = '\0';
        for (p = dir + 1; ; p++) {
                char saved = *p;

                if (saved != '/' && saved != '\0')
                        continue;
                *p = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        break;
                }
                *p = saved;
                if (saved == '\0')
                        break;
        }
        free(dir);
        return r;
}

/*
 * Is someone listening on the socket file `path`? 1 yes, 0 no (stale),
 * negative errno when we cannot tell. A non-blocking connect never waits
 * on a live daemon whose backlog is full: EAGAIN means alive.
 */
static int socket_alive(const char *path)
{
        struct sockaddr_un sun;
        int fd, r;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
        if (r == 0 || errno == EAGAIN || errno == EINPROGRESS)
                r = 1;
        else if (errno == ECONNREFUSED || errno == ENOENT)
                r = 0;
        else
                r = -errno;
        close(fd);
        return r;
}

static void on_listener_close(uv_handle_t *h)
{
        handle_closed(h->data);
}

int hbd_ctl_open(hbd_ctl_t **ret, uv_loop_t *loop, const hbd_log_t *log,
                 const char *path, const hbd_ctl_command_t *cmds,
                 void *user, char *err, size_t errlen)
{
        struct sockaddr_un sun;
        struct stat st;
        hbd_ctl_t *ctl;
        mode_t old_mask;
        int r;

        if (strlen(path) >= sizeof(sun.sun_path)) {
                snprintf(err, errlen, "control socket path %s is too long "
                         "(at most %zu bytes)", path,
                         sizeof(sun.sun_path) - 1);
                return -ENAMETOOLONG;
        }
        r = make_parent_dirs(path);
        if (r < 0) {
                snprintf(err, errlen, "cannot create the directory of the "
                         "control socket %s: %s", path, strerror(-r));
                return r;
        }
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        snprintf(err, errlen, "control socket path %s "
                                 "exists and is not a socket; not touching "
                                 "it", path);
                        return -EEXIST;
                }
                r = socket_alive(path);
                if (r > 0) {
                        snprintf(err, errlen, "another process (another "
                                 "hbeatd?) is listening on the control "
                                 "socket %s", path);
                        return -EADDRINUSE;
                }
                if (r < 0) {
                        snprintf(err, errlen, "cannot probe the existing "
                                 "control socket %s: %s", path,
                                 strerror(-r));
                        return r;
                }
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        snprintf(err, errlen, "cannot remove the stale "
                                 "control socket %s: %s", path,
                                 strerror(errno));
                        return r;
                }
                hbd_info(log, "removed stale control socket %s", path);
        }

        ctl = calloc(1, sizeof(*ctl));
        if (ctl == NULL || (ctl->path = strdup(path)) == NULL) {
                free(ctl);
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        ctl->log = log;
        ctl->cmds = cmds;
        ctl->user = user;
        r = uv_pipe_init(loop, &ctl->listener, 0);
        if (r < 0) {
                snprintf(err, errlen, "control socket: %s", uv_strerror(r));
                ctl_free(ctl);
                return r;
        }
        ctl->listener.data = ctl;
        ctl->open_handles = 1;

        /* Create the file as 0660 from the start (no window in which it
         * is world-writable); the chmod below makes it explicit. */
        old_mask = umask(0117);
        r = uv_pipe_bind(&ctl->listener, path);
        umask(old_mask);
        if (r < 0) {
                snprintf(err, errlen, "cannot bind the control socket %s: "
                         "%s", path, uv_strerror(r));
                goto fail;
        }
        ctl->bound = true;
        if (lstat(path, &st) == 0) {
                ctl->dev = st.st_dev;
                ctl->ino = st.st_ino;
        }
        if (chmod(path, 0660) < 0) {
                r = -errno;
                snprintf(err, errlen, "cannot chmod the control socket %s: "
                         "%s", path, strerror(errno));
                goto fail;
        }
        r = uv_listen((uv_stream_t *)&ctl->listener, 64, on_connection);
        if (r < 0) {
                snprintf(err, errlen, "cannot listen on the control socket "
                         "%s: %s", path, uv_strerror(r));
                goto fail;
        }
        *ret = ctl;
        return 0;

fail:
        hbd_ctl_close(ctl);
        return r;
}

void hbd_ctl_close(hbd_ctl_t *ctl)
{
        struct stat st;

        if (ctl == NULL || ctl->closing)
                return;
        ctl->closing = true;
        /* Remove the file only if it is still ours: an operator may have
         * started another daemon on the same path since. */
        if (ctl->bound && lstat(ctl->path, &st) == 0 &&
            st.st_dev == ctl->dev && st.st_ino == ctl->ino)
                unlink(ctl->path);
        while (ctl->conns != NULL)
                conn_close(ctl->conns);
        uv_close((uv_handle_t *)&ctl->listener, on_listener_close);
}
