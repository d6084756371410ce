/* SPDX-License-Identifier: MIT */
/*
 * `hbeatctl subscribe`: the reliable client of hbeatd's event stream
 * (events.listen, docs/event-stream.md), over TCP from any host.
 *
 * It connects, proves the pre-shared key (--key) and asks for the events
 * after the id kept in --state (else from now, or --from oldest). Each
 * event is printed (human form as `events`, or with --json the object
 * plus its "id"), stdout flushed, the id written to --state (atomically:
 * a new file renamed over the old), and only then acknowledged. So a
 * subscriber that is stopped (SIGINT/SIGTERM, handled between events),
 * loses its connection or has hbeatd restart resumes where it was: every
 * event once, in order. A crash (SIGKILL) between the print and the
 * state write shows that one event again on resume: at least once.
 *
 * Events the server no longer holds (older than its log, or of an
 * earlier run of hbeatd) are never skipped silently: a "gap" line says
 * what was lost and where the stream resumes.
 *
 * Exit: 0 after SIGINT/SIGTERM; 1 connection refused, lost or closed by
 * hbeatd, or an output/state write error; 2 usage, unreadable key or
 * state file; 3 the handshake failed (wrong key, or hbeatd refused the
 * connection: events.max_subscribers). With --retry MAX, a connection
 * that cannot be made, is lost, goes silent, times out or is closed
 * during the handshake (hbeatd restarting, its subscriber limit) is made
 * again after 1 s, doubling up to MAX s (1 s again once streaming), from
 * the last event handled; a wrong key proved by the server's answer, a
 * protocol error or a local write error still end it.
 *
 * Plain blocking sockets and ppoll(); the protocol is the sans-I/O
 * src/common/evstream.c, the same code as hbeatd's end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/hbctl.h"
#include "common/evstream.h"
#include "common/util.h"
#include "hbeat/hbeat.h"
#include "hbeat/tcp.h"

#define EXIT_AUTH 3
/* Until the server's WELCOME, and for a connect(). */
#define HANDSHAKE_MS 10000
#define ID_TEXT_MAX 48

struct sub {
        int fd;
        hbes_t es;
        bool json;
        const char *state_path;
        hbes_id_t last;         /* last event handled (0:0: none yet) */
        bool have_last;
        int ping_ms;            /* from WELCOME; 0 until then */
        bool welcomed;
        uint8_t mode;           /* what the first SUBSCRIBE asked */
        bool transient;         /* the last failure may pass (--retry) */
};

static void id_text(hbes_id_t id, char buf[ID_TEXT_MAX])
{
        snprintf(buf, ID_TEXT_MAX, "%" PRIu64 ":%" PRIu64, id.inc, id.seq);
}

static int parse_id(const char *text, hbes_id_t *out)
{
        char *end;
        unsigned long long inc, seq;

        if (text[0] < '0' || text[0] > '9')
                return -EINVAL;
        errno = 0;
        inc = strtoull(text, &end, 10);
        if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
                return -EINVAL;
        seq = strtoull(end + 1, &end, 10);
        if (errno != 0 || (*end != '\0' && strcmp(end, "\n") != 0))
                return -EINVAL;
        out->inc = inc;
        out->seq = seq;
        return 0;
}

/* The key: a file only its owner (and its group, to read) may touch. */
static int read_key(const char *path, uint8_t key[HBES_KEY_LEN])
{
        struct stat st;
        hb_key_t k;
        char *text = NULL;
        size_t len = 0;
        int r;

        if (stat(path, &st) < 0) {
                hbctl_err("subscribe: cannot read the key file %s: %s", path,
                          strerror(errno));
                return -errno;
        }
        if (st.st_mode & 0037) {
                hbctl_err("subscribe: the key file %s may be written by its "
                          "group or read by other users (mode %04o); run "
                          "chmod 600 on it", path,
                          (unsigned)(st.st_mode & 07777));
                return -EINVAL;
        }
        r = hbu_read_file(path, &text, &len);
        if (r < 0) {
                hbctl_err("subscribe: cannot read the key file %s: %s", path,
                          strerror(-r));
                return r;
        }
        if (memchr(text, '\0', len) != NULL ||
            hb_key_from_base64(&k, text) < 0) {
                hbctl_err("subscribe: %s does not hold a valid key (base64 "
                          "of %u bytes, as written by 'hbeatctl keygen')",
                          path, (unsigned)HB_KEY_LEN);
                r = -EINVAL;
        } else {
                memcpy(key, k.bytes, HBES_KEY_LEN);
                hb_key_wipe(&k);
        }
        sodium_memzero(text, len);
        free(text);
        return r;
}

/* The state file: "INC:SEQ\n", the last event handled. 1 read, 0 none. */
static int read_state(const char *path, hbes_id_t *out)
{
        char *text = NULL;
        int r = hbu_read_file(path, &text, NULL);

        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                hbctl_err("subscribe: cannot read the state file %s: %s",
                          path, strerror(-r));
                return r;
        }
        r = parse_id(text, out);
        if (r < 0)
                hbctl_err("subscribe: the state file %s does not hold an "
                          "event id (INC:SEQ)", path);
        free(text);
        return r < 0 ? r : 1;
}

static int write_state(const struct sub *s, hbes_id_t id)
{
        char buf[ID_TEXT_MAX + 1];
        int n, r;

        id_text(id, buf);
        n = (int)strlen(buf);
        buf[n++] = '\n';
        r = hbu_write_file_replace(s->state_path, buf, (size_t)n, 0600);
        if (r < 0)
                hbctl_err("subscribe: cannot write the state file %s: %s",
                          s->state_path, strerror(-r));
        return r;
}

/* Write all of `out` (blocking), then empty it. */
static int send_all(struct sub *s, hbes_buf_t *out)
{
        size_t off = 0;

        while (off < out->len) {
                ssize_t n = send(s->fd, out->data + off, out->len - off,
                                 MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;

                        s->transient = true;
                        hbctl_err("subscribe: cannot send: %s", strerror(e));
                        return -e;
                }
                off += (size_t)n;
        }
        out->len = 0;
        return 0;
}

static int send_frame(struct sub *s, uint8_t type, const void *body,
                      size_t len)
{
        hbes_buf_t out = { 0 };
        int r = hbes_send(&s->es, type, body, len, &out);

        if (r == 0)
                r = send_all(s, &out);
        else
                hbctl_err("subscribe: cannot encode a frame: %s",
                          strerror(-r));
        hbes_buf_free(&out);
        return r;
}

static int do_connect(const char *addr_text)
{
        struct sockaddr_storage ss;
        socklen_t len;
        char err[128];
        int fd, r;

        r = hbu_parse_address(addr_text, &ss, &len, err, sizeof(err));
        if (r < 0) {
                hbctl_err("subscribe: --connect '%s': %s", addr_text, err);
                return -EINVAL;
        }
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    0);
        if (fd < 0) {
                hbctl_err("subscribe: cannot create a socket: %s",
                          strerror(errno));
                return -errno;
        }
        /* Non-blocking, so that an unreachable host costs HANDSHAKE_MS,
         * not the kernel's minutes of SYN retries, and a signal ends the
         * wait. */
        r = connect(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
        if (r == -EINPROGRESS) {
                socklen_t elen = sizeof(int);
                int e = 0;

                r = hbctl_wait_fd(fd, POLLOUT, HANDSHAKE_MS);
                if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
                                         &elen) < 0)
                        e = errno;
                if (r == 0)
                        r = -e;
        }
        if (r == 0 && fcntl(fd, F_SETFL, 0) < 0)
                r = -errno;
        if (r < 0) {
                if (r != -EINTR)
                        hbctl_err("subscribe: cannot connect to %s: %s",
                                  addr_text, strerror(-r));
                close(fd);
                return r;
        }
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
                         sizeof(int));
        /* A vanished server host is noticed in about 30 s even when no
         * event is due (the server's pings also time the wait out). */
        (void)hb_tcp_keepalive(fd, 15000, 5000, 3, 30000);
        return fd;
}

/* One EVENT: check its order, print it, save its id, ack it. */
static int on_event(struct sub *s, const hbes_frame_t *f)
{
        hbes_id_t id;
        char idt[ID_TEXT_MAX];
        uint8_t ack[16];
        json_t *ev;
        int r;

        if (f->len < 16) {
                hbctl_err("subscribe: malformed EVENT frame");
                return HBCTL_EXIT_FAIL;
        }
        id.inc = hbes_get_u64(f->body);
        id.seq = hbes_get_u64(f->body + 8);
        if (s->have_last && !hbes_id_less(s->last, id)) {
                hbctl_err("subscribe: hbeatd sent event %" PRIu64 ":%" PRIu64
                          " out of order", id.inc, id.seq);
                return HBCTL_EXIT_FAIL;
        }
        ev = json_loadb((const char *)f->body + 16, f->len - 16, 0, NULL);
        if (!json_is_object(ev)) {
                json_decref(ev);
                hbctl_err("subscribe: event %" PRIu64 ":%" PRIu64 " is not "
                          "a JSON object", id.inc, id.seq);
                return HBCTL_EXIT_FAIL;
        }
        id_text(id, idt);
        if (s->json) {
                json_object_set_new(ev, "id", json_string(idt));
                hbctl_json_print(ev, false);
        } else {
                printf("%s ", idt);
                hbctl_print_event_human(ev);
        }
        json_decref(ev);
        if (fflush(stdout) != 0 || ferror(stdout))
                return hbctl_finish_stdout(HBCTL_EXIT_FAIL);
        if (s->state_path != NULL && write_state(s, id) < 0)
                return HBCTL_EXIT_FAIL;
        s->last = id;
        s->have_last = true;
        hbes_put_u64(ack, id.inc);
        hbes_put_u64(ack + 8, id.seq);
        r = send_frame(s, HBES_ACK, ack, sizeof(ack));
        return r < 0 ? HBCTL_EXIT_FAIL : -1;
}

static int on_gap(struct sub *s, const hbes_frame_t *f)
{
        hbes_id_t asked, resume;
        char a[ID_TEXT_MAX], b[ID_TEXT_MAX];
        const char *why;

        if (f->len != 33 || (f->body[0] != HBES_GAP_EXPIRED &&
                             f->body[0] != HBES_GAP_RESTARTED)) {
                hbctl_err("subscribe: malformed GAP frame");
                return HBCTL_EXIT_FAIL;
        }
        asked.inc = hbes_get_u64(f->body + 1);
        asked.seq = hbes_get_u64(f->body + 9);
        resume.inc = hbes_get_u64(f->body + 17);
        resume.seq = hbes_get_u64(f->body + 25);
        id_text(asked, a);
        id_text(resume, b);
        why = f->body[0] == HBES_GAP_RESTARTED ? "restarted" : "expired";
        if (s->json) {
                json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "event", "gap",
                                      "reason", why, "after", a,
                                      "resume", b);

                if (o != NULL)
                        hbctl_json_print(o, false);
                json_decref(o);
        } else {
                printf("gap: events after %s are lost (%s); resuming at %s\n",
                       a, f->body[0] == HBES_GAP_RESTARTED ?
                       "hbeatd restarted since" : "older than hbeatd's log",
                       b);
        }
        hbctl_err("subscribe: events after %s are lost (%s), resuming at %s",
                  a, why, b);
        if (fflush(stdout) != 0 || ferror(stdout))
                return hbctl_finish_stdout(HBCTL_EXIT_FAIL);
        return -1;
}

/*
 * The first WELCOME of a subscriber without a position (--from now or
 * oldest, no state yet): where it starts is its position from now on,
 * saved, so that a reconnect or a restart resumes from there instead of
 * from a new "now" that would skip what happened in between.
 */
static int on_start(struct sub *s, const hbes_frame_t *f)
{
        hbes_id_t at;

        at.inc = hbes_get_u64(f->body);
        at.seq = s->mode == HBES_FROM_OLDEST ? hbes_get_u64(f->body + 8)
                                             : hbes_get_u64(f->body + 16);
        at.seq = at.seq > 0 ? at.seq - 1 : 0;
        if (s->state_path != NULL && write_state(s, at) < 0)
                return HBCTL_EXIT_FAIL;
        s->last = at;
        s->have_last = true;
        return -1;
}

/* A frame: -1 to go on, or an exit status. */
static int on_frame(struct sub *s, const hbes_frame_t *f)
{
        switch (f->type) {
        case HBES_WELCOME:
                if (s->welcomed || f->len < 32) {
                        hbctl_err("subscribe: unexpected WELCOME frame");
                        return HBCTL_EXIT_FAIL;
                }
                s->welcomed = true;
                s->ping_ms = (int)hbes_get_u32(f->body + 28);
                if (s->ping_ms < 100)
                        s->ping_ms = 100;
                if (!s->have_last)
                        return on_start(s, f);
                return -1;
        case HBES_EVENT:
                return s->welcomed ? on_event(s, f) : HBCTL_EXIT_FAIL;
        case HBES_GAP:
                return s->welcomed ? on_gap(s, f) : HBCTL_EXIT_FAIL;
        case HBES_PING:
                return send_frame(s, HBES_PONG, NULL, 0) < 0 ?
                       HBCTL_EXIT_FAIL : -1;
        case HBES_ERROR:
                s->transient = f->len >= 1 &&
                               (f->body[0] == HBES_ERR_TIMEOUT ||
                                f->body[0] == HBES_ERR_SHUTDOWN);
                hbctl_err("subscribe: hbeatd ended the stream: %.*s",
                          f->len > 1 ? (int)(f->len - 1) : 0,
                          f->len > 1 ? (const char *)f->body + 1 : "");
                return HBCTL_EXIT_FAIL;
        default:
                hbctl_err("subscribe: unknown frame type 0x%02x", f->type);
                return HBCTL_EXIT_FAIL;
        }
}

static int run(struct sub *s, uint8_t mode, hbes_id_t from)
{
        uint8_t buf[16384], body[17];
        hbes_buf_t out = { 0 };
        bool subscribed = false;
        hbes_frame_t f;
        int r, status = -1;

        r = hbes_start(&s->es, &out);
        if (r == 0)
                r = send_all(s, &out);
        while (r >= 0 && status < 0) {
                int timeout = s->welcomed ? 3 * s->ping_ms : HANDSHAKE_MS;
                ssize_t n;

                r = hbctl_wait_readable(s->fd, timeout);
                if (r == -EINTR) {
                        status = HBCTL_EXIT_OK;
                        break;
                }
                if (r == -ETIMEDOUT) {
                        s->transient = true;
                        hbctl_err("subscribe: hbeatd silent for %d ms",
                                  timeout);
                        status = s->es.phase == HBES_OPEN ? HBCTL_EXIT_FAIL
                                                          : EXIT_AUTH;
                        break;
                }
                if (r < 0)
                        break;
                n = recv(s->fd, buf, sizeof(buf), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        s->transient = true;
                        if (s->es.phase != HBES_OPEN) {
                                hbctl_err("subscribe: hbeatd closed the "
                                          "connection during the handshake:"
                                          " wrong key, or "
                                          "events.max_subscribers reached "
                                          "(see hbeatd's log)");
                                status = EXIT_AUTH;
                        } else {
                                hbctl_err("subscribe: connection %s",
                                          n == 0 ? "closed by hbeatd"
                                                 : strerror(errno));
                                status = HBCTL_EXIT_FAIL;
                        }
                        break;
                }
                r = hbes_feed(&s->es, buf, (size_t)n);
                while (r >= 0 && status < 0) {
                        r = hbes_next(&s->es, &out, &f);
                        if (r >= 0 && out.len > 0)
                                r = send_all(s, &out) < 0 ? -EIO : r;
                        if (r == HBES_NEED)
                                break;
                        if (r == HBES_GOT_OPEN && !subscribed) {
                                body[0] = mode;
                                hbes_put_u64(body + 1, from.inc);
                                hbes_put_u64(body + 9, from.seq);
                                if (send_frame(s, HBES_SUBSCRIBE, body,
                                               sizeof(body)) < 0)
                                        r = -EIO;
                                subscribed = true;
                        } else if (r == HBES_GOT_FRAME) {
                                status = on_frame(s, &f);
                        }
                }
                if (r == -EACCES) {
                        hbctl_err("subscribe: hbeatd did not prove the key: "
                                  "wrong key (or not hbeatd)");
                        status = EXIT_AUTH;
                } else if (r < 0 && r != -EIO && status < 0) {
                        hbctl_err("subscribe: %s", hbes_strerror(r));
                        status = HBCTL_EXIT_FAIL;
                }
        }
        hbes_buf_free(&out);
        return status < 0 ? HBCTL_EXIT_FAIL : status;
}

int hbctl_cmd_subscribe(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "connect", required_argument, NULL, 'C' },
                { "key", required_argument, NULL, 'k' },
                { "state", required_argument, NULL, 'S' },
                { "from", required_argument, NULL, 'F' },
                { "json", no_argument, NULL, 'j' },
                { "retry", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *connect_to = NULL, *key_path = NULL, *from_text = NULL;
        uint8_t key[HBES_KEY_LEN], nonce[HBES_NONCE_LEN];
        struct sub s = { .fd = -1 };
        uint8_t mode = HBES_FROM_NOW;
        hbes_id_t from = { 0, 0 };
        unsigned retry_max_s = 0, delay_s = 1;
        int c, r, status;

        (void)ctx;
        while ((c = hbctl_getopt(argv[0], argc, argv, ":C:k:S:F:jr:h",
                                 opts)) != -1) {
                switch (c) {
                case 'C':
                        connect_to = optarg;
                        break;
                case 'k':
                        key_path = optarg;
                        break;
                case 'S':
                        s.state_path = optarg;
                        break;
                case 'F':
                        from_text = optarg;
                        break;
                case 'j':
                        s.json = true;
                        break;
                case 'r': {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != '\0' ||
                            optarg[0] == '-' || v < 1 || v > 3600)
                                return hbctl_usage_error(
                                        argv[0], "--retry '%s': not a "
                                        "number of seconds 1..3600", optarg);
                        retry_max_s = (unsigned)v;
                        break;
                }
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind < argc)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind]);
        if (connect_to == NULL || key_path == NULL)
                return hbctl_usage_error(argv[0], "--connect and --key are "
                                         "required");
        if (from_text != NULL) {
                if (strcmp(from_text, "now") == 0) {
                        mode = HBES_FROM_NOW;
                } else if (strcmp(from_text, "oldest") == 0) {
                        mode = HBES_FROM_OLDEST;
                } else if (parse_id(from_text, &from) == 0) {
                        mode = HBES_FROM_ID;
                } else {
                        return hbctl_usage_error(argv[0], "--from '%s': "
                                                 "not now, oldest or an "
                                                 "event id INC:SEQ",
                                                 from_text);
                }
        }
        if (sodium_init() < 0) {
                hbctl_err("subscribe: libsodium cannot start");
                return HBCTL_EXIT_FAIL;
        }
        if (read_key(key_path, key) < 0)
                return HBCTL_EXIT_USAGE;
        /* A saved position wins over --from: it is where we stand. */
        if (s.state_path != NULL) {
                r = read_state(s.state_path, &from);
                if (r < 0) {
                        sodium_memzero(key, sizeof(key));
                        return HBCTL_EXIT_USAGE;
                }
                if (r == 1) {
                        mode = HBES_FROM_ID;
                        s.last = from;
                        s.have_last = true;
                }
        }
        if (mode == HBES_FROM_ID && !s.have_last) {
                s.last = from;
                s.have_last = true;
        }
        r = hbctl_catch_signals();
        if (r < 0) {
                sodium_memzero(key, sizeof(key));
                hbctl_err("cannot set up signal handling: %s", strerror(-r));
                return HBCTL_EXIT_FAIL;
        }
        s.mode = mode;
        for (;;) {
                s.transient = false;
                s.welcomed = false;
                s.fd = do_connect(connect_to);
                if (s.fd == -EINVAL) {
                        status = HBCTL_EXIT_USAGE;
                        break;
                }
                if (s.fd == -EINTR) {
                        status = HBCTL_EXIT_OK;
                        break;
                }
                if (s.fd < 0) {
                        status = HBCTL_EXIT_FAIL;
                        s.transient = true;
                } else {
                        randombytes_buf(nonce, sizeof(nonce));
                        hbes_init(&s.es, false, key, nonce);
                        status = run(&s, mode, from);
                        hbes_wipe(&s.es);
                        close(s.fd);
                }
                if (retry_max_s == 0 || status == HBCTL_EXIT_OK ||
                    !s.transient)
                        break;
                /* Resume after the last event handled (or the start). */
                if (s.have_last) {
                        mode = HBES_FROM_ID;
                        from = s.last;
                }
                if (s.welcomed)
                        delay_s = 1;
                hbctl_err("subscribe: reconnecting in %u s", delay_s);
                if (hbctl_wait_readable(-1, (int)delay_s * 1000) == -EINTR) {
                        status = HBCTL_EXIT_OK;
                        break;
                }
                delay_s = delay_s * 2 < retry_max_s ? delay_s * 2
                                                    : retry_max_s;
        }
        sodium_memzero(key, sizeof(key));
        return status;
}
