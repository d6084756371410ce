/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration loader (contract: config.h).
 *
 * The YAML text is loaded as one document with libyaml's document API
 * (yaml_parser_load()), so that every node carries its position, and then
 * read in two passes driven by the knob table below:
 *
 * 1. walk():  structure only. Every key is matched against the table
 *             (unknown and duplicate keys fail here, in file order), and the
 *             value node of each knob is remembered in a `struct found`.
 * 2. apply:   values. heartbeat.interval_ms and detector.kind first, then
 *             hb_node_config_default() for that kind and interval (so the
 *             derived defaults follow the interval), then every other knob
 *             in table order: parse the value found, or the table's default
 *             text, or fail when the knob is required. Then the peers, the
 *             cross-field checks, the files (notify script, key file) and
 *             finally hb_node_config_validate() as a safety net.
 *
 * Nothing is applied to a running daemon here: the result is a complete new
 * hbd_config_t or nothing (parse, validate, then apply all or nothing).
 *
 * Parser state lives in `struct loader` on the stack: no globals. Secrets:
 * the key file text is wiped before it is freed; the key itself lives only
 * in hbd_config_t.node.key and is wiped by hbd_config_free().
 */
#include "daemon/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>
#include <yaml.h>

#include "common/util.h"

/* How a knob's value is stored. */
enum store {
        S_NAME,   /* char[HBD_NAME_MAX + 1], [A-Za-z0-9._-]{1,63} */
        S_U32,    /* uint32_t */
        S_MS,     /* uint64_t ns, from an integer number of ms */
        S_MS_NUM, /* uint64_t ns, from a (fractional) number of ms */
        S_NUM,    /* double */
        S_KIND,   /* hb_detector_kind_t */
        S_PATH,   /* char *, resolved against the config's directory */
        S_ADDR,   /* char * as written, sockaddr_storage, socklen_t */
};

enum {
        F_REQUIRED = 1u << 0, /* no default: must be given */
        F_DERIVED = 1u << 1,  /* default from hb_node_config_default();
                                 default_text only describes it */
        F_FIRST = 1u << 2,    /* read before the defaults are applied */
        F_PHI_ONLY = 1u << 3, /* an error with detector.kind fixed */
        F_MIN_OPEN = 1u << 4, /* value must be > min (not >= min) */
        F_PEER = 1u << 5,     /* key of a peers[] entry (hbd_peer_conf_t) */
        F_SOCKET = 1u << 6,   /* path of a Unix socket: fits sun_path */
};

#define C(f) offsetof(hbd_config_t, f)
#define P(f) offsetof(hbd_peer_conf_t, f)

/*
 * The knob table: one row per key, the only place a key is described.
 *
 *   X(id, path, type, unit, min, max, default_text, reloadable,
 *     store, flags, offset, addr_offset, addr_len_offset, help)
 *
 * `offset` is into hbd_config_t, or hbd_peer_conf_t for F_PEER rows; the
 * two address offsets are used by S_ADDR only. default_text is parsed as if
 * written in the file, except for F_DERIVED rows; NULL means no default.
 * Ranges are in the unit the file uses (ms, not ns).
 */
#define HBD_KNOB_ROWS(X)                                                     \
X(NODE_NAME, "node.name", "string", "", 0, 0, NULL, true,                    \
  S_NAME, F_REQUIRED, C(node_name), 0, 0,                                    \
  "Name of this node, unique in the cluster: 1..63 characters of "           \
  "A-Z a-z 0-9 . _ -.")                                                      \
X(NODE_ID, "node.id", "uint", "", 1, 4294967295.0, NULL, false,              \
  S_U32, F_REQUIRED, C(node.node_id), 0, 0,                                  \
  "Id of this node on the wire, unique in the cluster.")                     \
X(LISTEN, "listen", "address", "", 0, 0, "0.0.0.0:7400", false,              \
  S_ADDR, 0, C(listen), C(listen_addr), C(listen_addr_len),                  \
  "UDP address heartbeats are received on: HOST:PORT or [V6]:PORT.")         \
X(CLUSTER_ID, "cluster.id", "uint", "", 0, 4294967295.0, "0", false,         \
  S_U32, 0, C(node.cluster_id), 0, 0,                                        \
  "Cluster id carried by every message; must match the peers'.")             \
X(KEY_FILE, "cluster.key_file", "path", "path", 0, 0, NULL, true,            \
  S_PATH, F_REQUIRED, C(key_file), 0, 0,                                     \
  "File holding the cluster key in base64 (hbeatctl keygen); must not be "   \
  "accessible by other users.")                                              \
X(INTERVAL, "heartbeat.interval_ms", "uint", "ms", 1, 3600000, "100", true,  \
  S_MS, F_FIRST, C(node.interval_ns), 0, 0,                                  \
  "Time between two heartbeats sent by this node.")                          \
X(KIND, "detector.kind", "enum", "", 0, 0, "phi", true,                      \
  S_KIND, F_FIRST, C(node.detector.kind), 0, 0,                              \
  "Failure detector: phi (accrual) or fixed (missed intervals).")            \
X(SUSPECT, "detector.suspect_threshold", "number", "phi or intervals",       \
  0, 1000000, "8 (phi), 3 (fixed)", true,                                    \
  S_NUM, F_DERIVED | F_MIN_OPEN, C(node.suspect_threshold), 0, 0,            \
  "Suspicion at which a peer becomes suspect.")                              \
X(DEAD, "detector.dead_threshold", "number", "phi or intervals",             \
  0, 1000000, "16 (phi), 5 (fixed)", true,                                   \
  S_NUM, F_DERIVED | F_MIN_OPEN, C(node.dead_threshold), 0, 0,               \
  "Suspicion at which a suspect peer is declared dead; "                     \
  ">= suspect_threshold.")                                                   \
X(DEAD_AFTER, "detector.dead_after_ms", "uint", "ms", 0, 3600000,            \
  "4 x interval", true,                                                      \
  S_MS, F_DERIVED, C(node.dead_after_ns), 0, 0,                              \
  "A peer suspect for this long is declared dead; 0 turns this off.")        \
X(WINDOW, "detector.window", "uint", "samples", 2, 10000, "100", true,       \
  S_U32, F_DERIVED | F_PHI_ONLY, C(node.detector.window), 0, 0,              \
  "phi: number of inter-arrival times kept per peer.")                       \
X(MIN_STD_DEV, "detector.min_std_dev_ms", "number", "ms", 0.001, 3600000,    \
  "interval / 4", true,                                                      \
  S_MS_NUM, F_DERIVED | F_PHI_ONLY, C(node.detector.min_std_dev_ns), 0, 0,   \
  "phi: floor for the standard deviation of inter-arrival times.")           \
X(PAUSE, "detector.acceptable_pause_ms", "uint", "ms", 0, 3600000,           \
  "4 x interval", true,                                                      \
  S_MS, F_DERIVED | F_PHI_ONLY, C(node.detector.acceptable_pause_ns), 0, 0,  \
  "phi: pause added to the mean inter-arrival time before suspicion "        \
  "grows.")                                                                  \
X(PROBATION, "membership.probation_ms", "uint", "ms", 0, 3600000,            \
  "5 x interval", true,                                                      \
  S_MS, F_DERIVED, C(node.probation_ns), 0, 0,                               \
  "A peer that comes back must send steady heartbeats this long before it "  \
  "is alive again.")                                                         \
X(SCRIPT, "notify.script", "path", "path", 0, 0, NULL, true,                 \
  S_PATH, 0, C(notify_script), 0, 0,                                         \
  "Executable run on every peer state change; none when absent.")            \
X(NOTIFY_TIMEOUT, "notify.timeout_ms", "uint", "ms", 1, 3600000, "5000",     \
  true, S_MS, 0, C(notify_timeout_ns), 0, 0,                                 \
  "The notify script is killed if it runs longer than this.")               \
X(SOCKET, "control.socket", "path", "path", 0, 0,                            \
  "/run/hbeat/hbeatd.sock", false,                                           \
  S_PATH, F_SOCKET, C(control_socket), 0, 0,                                 \
  "Unix socket of the control protocol (hbeatctl); at most 107 bytes once "  \
  "resolved.")                                                               \
X(PEER_NAME, "peers[].name", "string", "", 0, 0, NULL, true,                 \
  S_NAME, F_REQUIRED | F_PEER, P(name), 0, 0,                                \
  "Name of the peer; unique, not this node's name.")                         \
X(PEER_ID, "peers[].id", "uint", "", 1, 4294967295.0, NULL, true,            \
  S_U32, F_REQUIRED | F_PEER, P(id), 0, 0,                                   \
  "Node id of the peer; unique, not this node's id.")                        \
X(PEER_ADDRESS, "peers[].address", "address", "", 0, 0, NULL, true,          \
  S_ADDR, F_REQUIRED | F_PEER, P(address), P(addr), P(addr_len),            \
  "Where the peer's heartbeats are sent: HOST:PORT or [V6]:PORT; unique.")

enum knob_id {
#define X(id, ...) K_##id,
        HBD_KNOB_ROWS(X)
#undef X
        K_COUNT
};

const hbd_knob_t hbd_knobs[] = {
#define X(id, path_, type_, unit_, min_, max_, def_, rel_, st_, fl_, off_,   \
          off2_, off3_, help_)                                               \
        { .path = path_, .unit = unit_, .type = type_, .min = min_,          \
          .max = max_, .default_text = def_, .reloadable = rel_,             \
          .help = help_ },
        HBD_KNOB_ROWS(X)
#undef X
};

const size_t hbd_knobs_count = K_COUNT;

struct knob_how {
        enum store store;
        unsigned flags;
        size_t off, addr_off, len_off;
};

static const struct knob_how knob_how[] = {
#define X(id, path_, type_, unit_, min_, max_, def_, rel_, st_, fl_, off_,   \
          off2_, off3_, help_)                                               \
        { .store = st_, .flags = fl_, .off = off_, .addr_off = off2_,        \
          .len_off = off3_ },
        HBD_KNOB_ROWS(X)
#undef X
};

_Static_assert(sizeof hbd_knobs / sizeof hbd_knobs[0] == K_COUNT,
               "knob table size");

#undef C
#undef P

/* Longest value quoted in a message, bytes, before "...". */
#define QUOTE_MAX 64

struct loader {
        const char *name;       /* file name for messages (borrowed) */
        char *err;              /* caller's buffer, may be NULL */
        size_t errlen;
        yaml_document_t *doc;
        char *dir;              /* absolute directory of the file, owned */
        unsigned flags;         /* HBD_CONFIG_* */
};

/* Where the knobs of one mapping walk were found. */
struct found {
        const yaml_node_t *key[K_COUNT];      /* leaf: key node */
        const yaml_node_t *val[K_COUNT];      /* leaf: value node */
        /* Sections ("node", "peers"), indexed by their first knob. */
        const yaml_node_t *sect_key[K_COUNT];
        const yaml_node_t *sect_val[K_COUNT];
        /* Where a missing knob should have been (for "missing" errors). */
        yaml_mark_t parent[K_COUNT];
};

/* Positions of one peer's values, for "also at line N". */
struct peer_marks {
        yaml_mark_t name, id, address;
};

/* ---- messages ---------------------------------------------------------- */

static int fail_at(struct loader *l, const yaml_mark_t *mark, int code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Write "NAME:LINE:COL: message" (or "NAME: message" without a mark) and
 * return `code`. libyaml marks are 0-based; messages are 1-based.
 */
static int fail_at(struct loader *l, const yaml_mark_t *mark, int code,
                   const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!l->err || l->errlen == 0)
                return code;
        if (mark)
                n = snprintf(l->err, l->errlen, "%s:%zu:%zu: ", l->name,
                             mark->line + 1, mark->column + 1);
        else
                n = snprintf(l->err, l->errlen, "%s: ", l->name);
        if (n >= 0 && (size_t)n < l->errlen) {
                va_start(ap, fmt);
                vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return code;
}

/*
 * Copy `text` for a one-line message: control bytes become \xNN, long text
 * is cut at QUOTE_MAX bytes with "...". `out` holds QUOTE_MAX * 4 + 4.
 */
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)
static const char *quote(const char *text, size_t len, char *out)
{
        size_t o = 0;

        for (size_t i = 0; i < len && i < QUOTE_MAX; i++) {
                unsigned char ch = (unsigned char)text[i];

                if (ch < 0x20 || ch == 0x7f) {
                        snprintf(out + o, 5, "\\x%02x", ch);
                        o += 4;
                } else {
                        out[o++] = (char)ch;
                }
        }
        if (len > QUOTE_MAX) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o] = '\0';
        return out;
}

/* "1..3600000", "> 0 .. 1000000": the valid range of a numeric knob. */
static const char *range_text(size_t k, char *buf, size_t cap)
{
        const hbd_knob_t *kn = &hbd_knobs[k];

        if (knob_how[k].flags & F_MIN_OPEN)
                snprintf(buf, cap, "> %.15g .. %.15g", kn->min, kn->max);
        else
                snprintf(buf, cap, "%.15g..%.15g", kn->min, kn->max);
        return buf;
}

/* The knob's path with "[]" replaced by "[index]" for peers. */
static const char *knob_label(size_t k, size_t index, char *buf, size_t cap)
{
        const char *path = hbd_knobs[k].path;
        const char *br = strstr(path, "[]");

        if (!br) {
                snprintf(buf, cap, "%s", path);
                return buf;
        }
        snprintf(buf, cap, "%.*s[%zu]%s", (int)(br - path), path, index,
                 br + 2);
        return buf;
}

static const char *node_type_name(const yaml_node_t *n)
{
        switch (n->type) {
        case YAML_SCALAR_NODE:
                return "a scalar";
        case YAML_SEQUENCE_NODE:
                return "a sequence";
        case YAML_MAPPING_NODE:
                return "a mapping";
        default:
                return "nothing";
        }
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
static bool is_null(const yaml_node_t *n)
{
        const char *v;

        if (n->type != YAML_SCALAR_NODE ||
            n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        v = (const char *)n->data.scalar.value;
        return v[0] == '\0' || strcmp(v, "~") == 0 ||
               strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
               strcmp(v, "NULL") == 0;
}

/* A scalar's text, refusing embedded NULs ("\0" escapes). */
static int scalar_text(struct loader *l, const yaml_node_t *n,
                       const char *label, const char **text)
{
        char q[QUOTE_BUF];

        if (n->type != YAML_SCALAR_NODE)
                return fail_at(l, &n->start_mark, -EINVAL,
                               "%s: expected a scalar, found %s", label,
                               node_type_name(n));
        if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
                return fail_at(l, &n->start_mark, -EINVAL,
                               "%s: '%s' contains a NUL character", label,
                               quote((const char *)n->data.scalar.value,
                                     n->data.scalar.length, q));
        *text = (const char *)n->data.scalar.value;
        return 0;
}

/* ---- value parsers ----------------------------------------------------- */

/* Decimal digits only: no sign, no space, no exponent, no suffix. */
static int parse_uint(const char *text, unsigned long long *out)
{
        char *end;

        if (text[0] < '0' || text[0] > '9')
                return -EINVAL;
        errno = 0;
        *out = strtoull(text, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        return errno == ERANGE ? -ERANGE : 0;
}

/* A finite decimal number ("0.5", "1e3", "-2"); no hex, inf or nan. */
static int parse_number(const char *text, double *out)
{
        char *end;

        if (text[0] == '\0' || strspn(text, "0123456789.eE+-") !=
                                       strlen(text))
                return -EINVAL;
        errno = 0;
        *out = strtod(text, &end);
        if (end == text || *end != '\0')
                return -EINVAL;
        if (errno == ERANGE || !isfinite(*out))
                return -ERANGE;
        return 0;
}

static bool in_range(size_t k, double v)
{
        const hbd_knob_t *kn = &hbd_knobs[k];

        if (knob_how[k].flags & F_MIN_OPEN)
                return v > kn->min && v <= kn->max;
        return v >= kn->min && v <= kn->max;
}

static char *join_path(const char *dir, const char *rel)
{
        size_t dl = strlen(dir), rl = strlen(rel);
        char *p = malloc(dl + 1 + rl + 1);

        if (!p)
                return NULL;
        memcpy(p, dir, dl);
        if (dl == 0 || dir[dl - 1] != '/')
                p[dl++] = '/';
        memcpy(p + dl, rel, rl + 1);
        return p;
}

static int check_name(struct loader *l, const yaml_mark_t *mark,
                      const char *label, const char *text, char *out)
{
        static const char allowed[] = "1..63 characters of A-Z a-z 0-9 . _ -";
        char q[QUOTE_BUF];
        size_t len = strlen(text);
        size_t bad;

        if (len == 0)
                return fail_at(l, mark, -EINVAL, "%s: '' is empty (%s)",
                               label, allowed);
        if (len > HBD_NAME_MAX)
                return fail_at(l, mark, -EINVAL, "%s: '%s' is too long (%s)",
                               label, quote(text, len, q), allowed);
        bad = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "abcdefghijklmnopqrstuvwxyz0123456789._-");
        if (bad != len)
                return fail_at(l, mark, -EINVAL,
                               "%s: '%s' has an invalid character at "
                               "position %zu (%s)", label,
                               quote(text, len, q), bad + 1, allowed);
        memcpy(out, text, len + 1);
        return 0;
}

/*
 * Parse `text` (from the file at `mark`, or a default text when `mark` is
 * NULL) as knob `k` and store it into `base` (hbd_config_t, or
 * hbd_peer_conf_t for F_PEER knobs).
 */
static int set_knob(struct loader *l, size_t k, const char *label,
                    const char *text, const yaml_mark_t *mark, void *base)
{
        const struct knob_how *how = &knob_how[k];
        char *field = (char *)base + how->off;
        char q[QUOTE_BUF], range[64], why[160];
        unsigned long long u;
        double d;
        int r;

        switch (how->store) {
        case S_NAME:
                return check_name(l, mark, label, text, field);
        case S_U32:
        case S_MS:
                r = parse_uint(text, &u);
                if (r == -EINVAL)
                        return fail_at(l, mark, -EINVAL,
                                       "%s: '%s' is not an unsigned integer "
                                       "(%s)", label,
                                       quote(text, strlen(text), q),
                                       range_text(k, range, sizeof range));
                if (r < 0 || !in_range(k, (double)u))
                        return fail_at(l, mark, -EINVAL,
                                       "%s: %s is out of range (%s)", label,
                                       quote(text, strlen(text), q),
                                       range_text(k, range, sizeof range));
                if (how->store == S_U32)
                        *(uint32_t *)(void *)field = (uint32_t)u;
                else
                        *(uint64_t *)(void *)field = u * HB_NS_PER_MS;
                return 0;
        case S_NUM:
        case S_MS_NUM:
                r = parse_number(text, &d);
                if (r == -EINVAL)
                        return fail_at(l, mark, -EINVAL,
                                       "%s: '%s' is not a number (%s)",
                                       label, quote(text, strlen(text), q),
                                       range_text(k, range, sizeof range));
                if (r < 0 || !in_range(k, d))
                        return fail_at(l, mark, -EINVAL,
                                       "%s: %s is out of range (%s)", label,
                                       quote(text, strlen(text), q),
                                       range_text(k, range, sizeof range));
                if (how->store == S_NUM)
                        *(double *)(void *)field = d;
                else
                        *(uint64_t *)(void *)field =
                                (uint64_t)llround(d * (double)HB_NS_PER_MS);
                return 0;
        case S_KIND: {
                hb_detector_kind_t kind;

                if (hb_detector_kind_parse(text, &kind) < 0)
                        return fail_at(l, mark, -EINVAL,
                                       "%s: '%s' is not a detector kind "
                                       "(phi, fixed)", label,
                                       quote(text, strlen(text), q));
                *(hb_detector_kind_t *)(void *)field = kind;
                return 0;
        }
        case S_PATH: {
                char **slot = (char **)(void *)field;
                char *p;

                if (text[0] == '\0')
                        return fail_at(l, mark, -EINVAL,
                                       "%s: the path is empty", label);
                p = text[0] == '/' ? strdup(text) : join_path(l->dir, text);
                if (!p)
                        return fail_at(l, NULL, -ENOMEM, "out of memory");
                if ((how->flags & F_SOCKET) &&
                    strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                        fail_at(l, mark, -EINVAL, "%s: '%s' is too long for "
                                "a Unix socket (at most %zu bytes)", label,
                                quote(p, strlen(p), q),
                                sizeof(((struct sockaddr_un *)0)->sun_path) -
                                        1);
                        free(p);
                        return -EINVAL;
                }
                free(*slot);
                *slot = p;
                return 0;
        }
        case S_ADDR: {
                char **slot = (char **)(void *)field;
                struct sockaddr_storage *ss =
                        (void *)((char *)base + how->addr_off);
                socklen_t *len = (void *)((char *)base + how->len_off);
                char *p;

                r = hbu_parse_address(text, ss, len, why, sizeof why);
                /* `why` may echo parts of the text: keep it one line. */
                for (char *c = why; r < 0 && *c; c++) {
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                *c = '?';
                }
                if (r < 0)
                        return fail_at(l, mark, -EINVAL,
                                       "%s: bad address '%s': %s (expected "
                                       "HOST:PORT or [V6]:PORT)", label,
                                       quote(text, strlen(text), q), why);
                p = strdup(text);
                if (!p)
                        return fail_at(l, NULL, -ENOMEM, "out of memory");
                free(*slot);
                *slot = p;
                return 0;
        }
        }
        return fail_at(l, NULL, -EINVAL, "internal error: knob %s",
                       hbd_knobs[k].path);
}

/* A numeric knob's stored value, in the file's unit (ms, not ns). */
static double knob_number(size_t k, const void *base)
{
        const char *field = (const char *)base + knob_how[k].off;

        switch (knob_how[k].store) {
        case S_U32:
                return *(const uint32_t *)(const void *)field;
        case S_MS:
        case S_MS_NUM:
                return (double)*(const uint64_t *)(const void *)field /
                       (double)HB_NS_PER_MS;
        case S_NUM:
                return *(const double *)(const void *)field;
        case S_KIND:
                return *(const hb_detector_kind_t *)(const void *)field;
        default:
                return 0;
        }
}

/* Same stored value in two configs? (for hbd_config_reloadable()) */
static bool knob_equal(size_t k, const void *a, const void *b)
{
        const struct knob_how *how = &knob_how[k];
        const char *fa = (const char *)a + how->off;
        const char *fb = (const char *)b + how->off;

        switch (how->store) {
        case S_NAME:
                return strcmp(fa, fb) == 0;
        case S_PATH: {
                const char *pa = *(char *const *)(const void *)fa;
                const char *pb = *(char *const *)(const void *)fb;

                return (!pa && !pb) || (pa && pb && strcmp(pa, pb) == 0);
        }
        case S_ADDR:
                return hbu_address_equal(
                        (const void *)((const char *)a + how->addr_off),
                        (const void *)((const char *)b + how->addr_off));
        default:
                return knob_number(k, a) == knob_number(k, b);
        }
}

/* ---- pass 1: structure ------------------------------------------------- */

/* Leaf knob whose path is prefix + key, or -1. */
static int match_leaf(const char *prefix, const char *key)
{
        size_t plen = strlen(prefix);

        if (strpbrk(key, ".[]"))
                return -1;
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = hbd_knobs[k].path;

                if (strncmp(path, prefix, plen) == 0 &&
                    strcmp(path + plen, key) == 0)
                        return (int)k;
        }
        return -1;
}

/*
 * First knob of the top-level section `key` ("node" -> node.name), or -1;
 * `*is_seq` tells a sequence section ("peers[].") from a mapping ("node.").
 */
static int match_section(const char *key, bool *is_seq)
{
        size_t len = strlen(key);

        if (len == 0 || strpbrk(key, ".[]"))
                return -1;
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = hbd_knobs[k].path;

                if (strncmp(path, key, len) != 0)
                        continue;
                if (path[len] == '.') {
                        *is_seq = false;
                        return (int)k;
                }
                if (strncmp(path + len, "[].", 3) == 0) {
                        *is_seq = true;
                        return (int)k;
                }
        }
        return -1;
}

/*
 * Record where each knob of mapping `map` is. `prefix` is "" at the top
 * level, "node." in a section, "peers[]." in a peer entry; `where` names
 * the mapping in messages ("node", "peers[1]"), NULL at the top level.
 * `parent` is where a missing knob of this mapping is reported.
 */
static int walk(struct loader *l, struct found *f, const yaml_node_t *map,
                const char *prefix, const char *where,
                const yaml_mark_t *parent)
{
        size_t plen = strlen(prefix);
        char q[QUOTE_BUF], label[96];
        int r;

        /* At the top level every knob defaults to the document's start;
         * a section refines it for its own knobs. */
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = hbd_knobs[k].path;

                if (plen == 0 || (strncmp(path, prefix, plen) == 0 &&
                                  !strpbrk(path + plen, ".[")))
                        f->parent[k] = *parent;
        }
        if (is_null(map))
                return 0;
        if (map->type != YAML_MAPPING_NODE) {
                if (!where)
                        return fail_at(l, &map->start_mark, -EINVAL,
                                       "expected a mapping at the top "
                                       "level, found %s",
                                       node_type_name(map));
                return fail_at(l, &map->start_mark, -EINVAL,
                               "%s: expected a mapping, found %s", where,
                               node_type_name(map));
        }
        for (const yaml_node_pair_t *pair = map->data.mapping.pairs.start;
             pair < map->data.mapping.pairs.top; pair++) {
                const yaml_node_t *key, *val, *prev;
                const char *name;
                bool is_seq = false;
                int k, s;

                key = yaml_document_get_node(l->doc, pair->key);
                val = yaml_document_get_node(l->doc, pair->value);
                if (!key || !val)
                        return fail_at(l, &map->start_mark, -EINVAL,
                                       "malformed mapping");
                if (key->type != YAML_SCALAR_NODE)
                        return fail_at(l, &key->start_mark, -EINVAL,
                                       "a key must be a scalar, found %s",
                                       node_type_name(key));
                r = scalar_text(l, key, where ? where : "key", &name);
                if (r < 0)
                        return r;
                quote(name, strlen(name), q);

                k = match_leaf(prefix, name);
                if (k >= 0) {
                        prev = f->key[k];
                        if (prev)
                                goto duplicate;
                        f->key[k] = key;
                        f->val[k] = val;
                        continue;
                }
                s = plen == 0 ? match_section(name, &is_seq) : -1;
                if (s < 0) {
                        if (!where)
                                return fail_at(l, &key->start_mark, -EINVAL,
                                               "unknown top-level key '%s'",
                                               q);
                        return fail_at(l, &key->start_mark, -EINVAL,
                                       "unknown key '%s' in '%s'", q, where);
                }
                prev = f->sect_key[s];
                if (prev)
                        goto duplicate;
                f->sect_key[s] = key;
                f->sect_val[s] = val;
                if (is_seq)
                        continue;       /* entries are walked in pass 2 */
                snprintf(label, sizeof label, "%s.", name);
                r = walk(l, f, val, label, name, &key->start_mark);
                if (r < 0)
                        return r;
                continue;
duplicate:
                if (!where)
                        return fail_at(l, &key->start_mark, -EINVAL,
                                       "duplicate key '%s' (also at line "
                                       "%zu)", q, prev->start_mark.line + 1);
                return fail_at(l, &key->start_mark, -EINVAL,
                               "duplicate key '%s' in '%s' (also at line "
                               "%zu)", q, where, prev->start_mark.line + 1);
        }
        return 0;
}

/* ---- pass 2: values ---------------------------------------------------- */

/*
 * Set knob `k` from what pass 1 found, or its default. `index` is the peer
 * index for F_PEER knobs.
 */
static int apply(struct loader *l, const struct found *f, size_t k,
                 size_t index, void *base, hb_detector_kind_t kind)
{
        const yaml_node_t *val = f->val[k];
        char label[96];
        const char *text;
        int r;

        knob_label(k, index, label, sizeof label);
        if (val && is_null(val)) {
                /* "key:" with no value is the same as no key, except
                 * for a required one. */
                if (knob_how[k].flags & F_REQUIRED)
                        return fail_at(l, &val->start_mark, -EINVAL,
                                       "%s: no value given", label);
                val = NULL;
        }
        if (!val) {
                if (knob_how[k].flags & F_REQUIRED)
                        return fail_at(l, &f->parent[k], -EINVAL,
                                       "missing required key '%s'", label);
                if ((knob_how[k].flags & F_DERIVED) ||
                    !hbd_knobs[k].default_text)
                        return 0;
                return set_knob(l, k, label, hbd_knobs[k].default_text,
                                NULL, base);
        }
        if ((knob_how[k].flags & F_PHI_ONLY) && kind != HB_DETECTOR_PHI)
                return fail_at(l, &f->key[k]->start_mark, -EINVAL,
                               "%s: only valid with detector.kind phi "
                               "(kind is %s)", label,
                               hb_detector_kind_name(kind));
        r = scalar_text(l, val, label, &text);
        if (r < 0)
                return r;
        return set_knob(l, k, label, text, &val->start_mark, base);
}

/*
 * A derived default (4 x interval, ...) may fall outside the range allowed
 * when the knob is written explicitly; say so rather than load it.
 */
static int check_derived(struct loader *l, const struct found *f, size_t k,
                         const hbd_config_t *cfg)
{
        const yaml_node_t *at = f->val[K_INTERVAL];
        char range[64];
        double v;

        if (!(knob_how[k].flags & F_DERIVED) ||
            (f->val[k] && !is_null(f->val[k])))
                return 0;
        if ((knob_how[k].flags & F_PHI_ONLY) &&
            cfg->node.detector.kind != HB_DETECTOR_PHI)
                return 0;
        v = knob_number(k, cfg);
        if (in_range(k, v))
                return 0;
        return fail_at(l, at ? &at->start_mark : NULL, -EINVAL,
                       "%s: the default (%s) for this interval is %.15g, "
                       "out of range (%s); set it explicitly",
                       hbd_knobs[k].path, hbd_knobs[k].default_text, v,
                       range_text(k, range, sizeof range));
}

static int load_peers(struct loader *l, const yaml_node_t *seq,
                      hbd_config_t *cfg, struct peer_marks **marks_out)
{
        struct peer_marks *marks;
        struct found *pf;
        size_t n;
        int r = 0;

        if (!seq || is_null(seq))
                return 0;
        if (seq->type != YAML_SEQUENCE_NODE)
                return fail_at(l, &seq->start_mark, -EINVAL,
                               "peers: expected a sequence, found %s",
                               node_type_name(seq));
        n = (size_t)(seq->data.sequence.items.top -
                     seq->data.sequence.items.start);
        if (n == 0)
                return 0;
        cfg->peers = calloc(n, sizeof *cfg->peers);
        marks = calloc(n, sizeof *marks);
        pf = malloc(sizeof *pf);
        if (!cfg->peers || !marks || !pf) {
                free(marks);
                free(pf);
                return fail_at(l, NULL, -ENOMEM, "out of memory");
        }
        cfg->n_peers = n;
        *marks_out = marks;

        for (size_t i = 0; i < n; i++) {
                const yaml_node_t *item = yaml_document_get_node(
                        l->doc, seq->data.sequence.items.start[i]);
                hbd_peer_conf_t *peer = &cfg->peers[i];
                char where[32];

                snprintf(where, sizeof where, "peers[%zu]", i);
                if (!item || item->type != YAML_MAPPING_NODE) {
                        r = fail_at(l, item ? &item->start_mark : NULL,
                                    -EINVAL, "%s: expected a mapping, "
                                    "found %s", where,
                                    item ? node_type_name(item) : "nothing");
                        goto out;
                }
                memset(pf, 0, sizeof *pf);
                r = walk(l, pf, item, "peers[].", where, &item->start_mark);
                if (r < 0)
                        goto out;
                peer->line = (int)item->start_mark.line + 1;
                for (size_t k = 0; k < K_COUNT; k++) {
                        if (!(knob_how[k].flags & F_PEER))
                                continue;
                        r = apply(l, pf, k, i, peer, HB_DETECTOR_PHI);
                        if (r < 0)
                                goto out;
                }
                marks[i].name = pf->val[K_PEER_NAME]->start_mark;
                marks[i].id = pf->val[K_PEER_ID]->start_mark;
                marks[i].address = pf->val[K_PEER_ADDRESS]->start_mark;
        }
out:
        free(pf);
        return r;
}

static int check_peers(struct loader *l, const hbd_config_t *cfg,
                       const struct peer_marks *marks)
{
        char q[QUOTE_BUF];

        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                if (p->id == cfg->node.node_id)
                        return fail_at(l, &marks[i].id, -EINVAL,
                                       "peers[%zu].id: %u is this node's "
                                       "own id", i, (unsigned)p->id);
                if (strcmp(p->name, cfg->node_name) == 0)
                        return fail_at(l, &marks[i].name, -EINVAL,
                                       "peers[%zu].name: '%s' is this "
                                       "node's own name", i, p->name);
                if (hbu_address_equal((const void *)&p->addr,
                                      (const void *)&cfg->listen_addr))
                        return fail_at(l, &marks[i].address, -EINVAL,
                                       "peers[%zu].address: '%s' is this "
                                       "node's listen address", i,
                                       quote(p->address, strlen(p->address),
                                             q));
                for (size_t j = 0; j < i; j++) {
                        const hbd_peer_conf_t *o = &cfg->peers[j];

                        if (o->id == p->id)
                                return fail_at(l, &marks[i].id, -EINVAL,
                                               "peers[%zu].id: duplicate "
                                               "peer id %u (also at line "
                                               "%zu)", i, (unsigned)p->id,
                                               marks[j].id.line + 1);
                        if (strcmp(o->name, p->name) == 0)
                                return fail_at(l, &marks[i].name, -EINVAL,
                                               "peers[%zu].name: duplicate "
                                               "peer name '%s' (also at "
                                               "line %zu)", i, p->name,
                                               marks[j].name.line + 1);
                        if (hbu_address_equal((const void *)&o->addr,
                                              (const void *)&p->addr))
                                return fail_at(
                                        l, &marks[i].address, -EINVAL,
                                        "peers[%zu].address: duplicate peer "
                                        "address '%s' (also at line %zu)",
                                        i,
                                        quote(p->address, strlen(p->address),
                                              q),
                                        marks[j].address.line + 1);
                }
        }
        return 0;
}

static int check_thresholds(struct loader *l, const struct found *f,
                            const hbd_config_t *cfg)
{
        const yaml_node_t *at = f->val[K_DEAD] && !is_null(f->val[K_DEAD])
                                        ? f->val[K_DEAD]
                                        : f->val[K_SUSPECT];

        if (cfg->node.dead_threshold >= cfg->node.suspect_threshold)
                return 0;
        return fail_at(l, at ? &at->start_mark : NULL, -EINVAL,
                       "detector.dead_threshold (%.15g) must be >= "
                       "detector.suspect_threshold (%.15g)",
                       cfg->node.dead_threshold,
                       cfg->node.suspect_threshold);
}

static int read_key(struct loader *l, const struct found *f,
                    hbd_config_t *cfg)
{
        const yaml_mark_t *at = &f->val[K_KEY_FILE]->start_mark;
        const char *path = cfg->key_file;
        char q[QUOTE_BUF];
        struct stat st;
        char *text = NULL;
        size_t len = 0;
        int r;

        quote(path, strlen(path), q);
        if (stat(path, &st) < 0) {
                r = -errno;
                return fail_at(l, at, r, "cluster.key_file: cannot read "
                               "'%s': %s", q, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return fail_at(l, at, -EINVAL, "cluster.key_file: '%s' is "
                               "not a regular file", q);
        if (st.st_mode & 0007)
                return fail_at(l, at, -EINVAL, "cluster.key_file: '%s' is "
                               "readable or writable by other users (mode "
                               "%04o); run chmod 600 on it", q,
                               (unsigned)(st.st_mode & 07777));
        r = hbu_read_file(path, &text, &len);
        if (r < 0)
                return fail_at(l, at, r == -EINVAL ? -EINVAL : r,
                               "cluster.key_file: cannot read '%s': %s", q,
                               r == -EINVAL ? "not a regular file"
                                            : strerror(-r));
        if (memchr(text, '\0', len) ||
            hb_key_from_base64(&cfg->node.key, text) < 0)
                r = fail_at(l, at, -EINVAL, "cluster.key_file: '%s' does "
                            "not hold a valid key (base64 of %u bytes, as "
                            "written by 'hbeatctl keygen')", q,
                            (unsigned)HB_KEY_LEN);
        sodium_memzero(text, len);
        free(text);
        return r;
}

static int check_script(struct loader *l, const struct found *f,
                        const hbd_config_t *cfg)
{
        const char *path = cfg->notify_script;
        const yaml_mark_t *at;
        char q[QUOTE_BUF];
        struct stat st;

        if (!path)
                return 0;
        at = &f->val[K_SCRIPT]->start_mark;
        quote(path, strlen(path), q);
        if (stat(path, &st) < 0)
                return fail_at(l, at, -EINVAL, "notify.script: cannot use "
                               "'%s': %s", q, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail_at(l, at, -EINVAL, "notify.script: '%s' is not "
                               "a regular file", q);
        if (access(path, X_OK) < 0)
                return fail_at(l, at, -EINVAL, "notify.script: '%s' is not "
                               "executable: %s", q, strerror(errno));
        return 0;
}

/* Report a libyaml parse error at its position. */
static int yaml_fail(struct loader *l, const yaml_parser_t *p,
                     const char *text, size_t len)
{
        yaml_mark_t m;

        if (p->error == YAML_MEMORY_ERROR)
                return fail_at(l, NULL, -ENOMEM, "out of memory");
        if (p->error == YAML_READER_ERROR) {
                /* Reader errors carry a byte offset, not a mark. */
                memset(&m, 0, sizeof m);
                for (size_t i = 0; i < p->problem_offset && i < len; i++) {
                        if (text[i] == '\n') {
                                m.line++;
                                m.column = 0;
                        } else {
                                m.column++;
                        }
                }
                if (p->problem_value >= 0)
                        return fail_at(l, &m, -EINVAL, "%s (byte 0x%02x)",
                                       p->problem ? p->problem
                                                  : "invalid input",
                                       (unsigned)p->problem_value);
                return fail_at(l, &m, -EINVAL, "%s",
                               p->problem ? p->problem : "invalid input");
        }
        if (p->context)
                return fail_at(l, &p->problem_mark, -EINVAL,
                               "%s (%s at line %zu, column %zu)",
                               p->problem ? p->problem : "syntax error",
                               p->context, p->context_mark.line + 1,
                               p->context_mark.column + 1);
        return fail_at(l, &p->problem_mark, -EINVAL, "%s",
                       p->problem ? p->problem : "syntax error");
}

/* Absolute directory of the file `name`, for relative paths in it. */
static char *config_dir(const char *name)
{
        const char *slash = strrchr(name, '/');
        char cwd[4096];
        char *dir, *abs;

        if (slash == name)
                return strdup("/");
        dir = slash ? strndup(name, (size_t)(slash - name)) : strdup(".");
        if (!dir || dir[0] == '/')
                return dir;
        if (!getcwd(cwd, sizeof cwd))
                return dir;     /* keep it relative: better than failing */
        abs = strcmp(dir, ".") == 0 ? strdup(cwd) : join_path(cwd, dir);
        free(dir);
        return abs;
}

static int load_document(struct loader *l, hbd_config_t *cfg,
                         const yaml_node_t *root)
{
        struct peer_marks *marks = NULL;
        struct found *f;
        yaml_mark_t top;
        hb_detector_kind_t kind;
        int r;

        f = calloc(1, sizeof *f);
        if (!f)
                return fail_at(l, NULL, -ENOMEM, "out of memory");
        memset(&top, 0, sizeof top);
        /* An empty document has no node: every knob is then missing, and
         * reported at 1:1. */
        if (root) {
                top = root->start_mark;
                r = walk(l, f, root, "", NULL, &top);
                if (r < 0)
                        goto out;
        }

        /* Interval and kind first: the other defaults depend on them. */
        for (size_t k = 0; k < K_COUNT; k++) {
                if (!(knob_how[k].flags & F_FIRST))
                        continue;
                r = apply(l, f, k, 0, cfg, HB_DETECTOR_PHI);
                if (r < 0)
                        goto out;
        }
        kind = cfg->node.detector.kind;
        hb_node_config_default(&cfg->node, kind, cfg->node.interval_ns);

        for (size_t k = 0; k < K_COUNT; k++) {
                if (knob_how[k].flags & (F_FIRST | F_PEER))
                        continue;
                r = apply(l, f, k, 0, cfg, kind);
                if (r < 0)
                        goto out;
        }
        for (size_t k = 0; k < K_COUNT; k++) {
                r = check_derived(l, f, k, cfg);
                if (r < 0)
                        goto out;
        }
        r = check_thresholds(l, f, cfg);
        if (r < 0)
                goto out;
        r = load_peers(l, f->sect_val[K_PEER_NAME], cfg, &marks);
        if (r < 0)
                goto out;
        r = check_peers(l, cfg, marks);
        if (r < 0)
                goto out;
        r = check_script(l, f, cfg);
        if (r < 0)
                goto out;
        r = (l->flags & HBD_CONFIG_NO_KEY) ? 0 : read_key(l, f, cfg);
        if (r < 0)
                goto out;
        if (hb_node_config_validate(&cfg->node) < 0)
                r = fail_at(l, NULL, -EINVAL, "configuration rejected by "
                            "libhbeat (hb_node_config_validate)");
out:
        free(marks);
        free(f);
        return r;
}

static int load_string(hbd_config_t **ret, const char *name,
                       const char *text, size_t len, unsigned flags,
                       char *err, size_t errlen)
{
        struct loader l = { .name = name ? name : "<config>", .err = err,
                            .errlen = errlen, .flags = flags };
        yaml_parser_t parser;
        yaml_document_t doc, extra;
        hbd_config_t *cfg = NULL;
        const yaml_node_t *root;
        int r;

        if (!ret || (!text && len > 0))
                return -EINVAL;
        if (!text)
                text = "";

        cfg = calloc(1, sizeof *cfg);
        if (cfg)
                cfg->path = strdup(l.name);
        l.dir = config_dir(l.name);
        if (!cfg || !cfg->path || !l.dir) {
                r = fail_at(&l, NULL, -ENOMEM, "out of memory");
                goto out;
        }
        if (!yaml_parser_initialize(&parser)) {
                r = fail_at(&l, NULL, -ENOMEM, "out of memory");
                goto out;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                                     len);
        if (!yaml_parser_load(&parser, &doc)) {
                r = yaml_fail(&l, &parser, text, len);
                yaml_parser_delete(&parser);
                goto out;
        }
        /* A second document would be silently ignored: refuse it. */
        if (!yaml_parser_load(&parser, &extra)) {
                r = yaml_fail(&l, &parser, text, len);
                yaml_document_delete(&doc);
                yaml_parser_delete(&parser);
                goto out;
        }
        root = yaml_document_get_root_node(&extra);
        if (root) {
                r = fail_at(&l, &root->start_mark, -EINVAL, "only one YAML "
                            "document is allowed");
        } else {
                l.doc = &doc;
                root = yaml_document_get_root_node(&doc);
                if (root && is_null(root))
                        root = NULL;
                r = load_document(&l, cfg, root);
        }
        yaml_document_delete(&extra);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
out:
        free(l.dir);
        if (r < 0) {
                hbd_config_free(cfg);
                return r;
        }
        *ret = cfg;
        return 0;
}

int hbd_config_load_string(hbd_config_t **ret, const char *name,
                           const char *text, size_t len, char *err,
                           size_t errlen)
{
        return load_string(ret, name, text, len, 0, err, errlen);
}

int hbd_config_load_flags(hbd_config_t **ret, const char *path,
                          unsigned flags, char *err, size_t errlen)
{
        struct loader l = { .name = path, .err = err, .errlen = errlen };
        char *text = NULL;
        size_t len = 0;
        int r;

        if (!ret || !path)
                return -EINVAL;
        r = hbu_read_file(path, &text, &len);
        if (r < 0)
                return fail_at(&l, NULL, r, "cannot read: %s",
                               r == -EINVAL ? "not a regular file"
                                            : strerror(-r));
        r = load_string(ret, path, text, len, flags, err, errlen);
        free(text);
        return r;
}

int hbd_config_load(hbd_config_t **ret, const char *path, char *err,
                    size_t errlen)
{
        return hbd_config_load_flags(ret, path, 0, err, errlen);
}

void hbd_config_free(hbd_config_t *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < cfg->n_peers; i++)
                free(cfg->peers[i].address);
        free(cfg->peers);
        free(cfg->path);
        free(cfg->listen);
        free(cfg->key_file);
        free(cfg->notify_script);
        free(cfg->control_socket);
        hb_key_wipe(&cfg->node.key);
        hb_key_wipe(&cfg->node.old_key);
        free(cfg);
}

bool hbd_config_reloadable(const hbd_config_t *cur, const hbd_config_t *next,
                           const char **what)
{
        if (!cur || !next) {
                if (what)
                        *what = "config";
                return false;
        }
        for (size_t k = 0; k < K_COUNT; k++) {
                if (hbd_knobs[k].reloadable || (knob_how[k].flags & F_PEER))
                        continue;
                if (!knob_equal(k, cur, next)) {
                        if (what)
                                *what = hbd_knobs[k].path;
                        return false;
                }
        }
        return true;
}

const hbd_peer_conf_t *hbd_config_peer(const hbd_config_t *cfg, uint32_t id)
{
        if (!cfg)
                return NULL;
        for (size_t i = 0; i < cfg->n_peers; i++) {
                if (cfg->peers[i].id == id)
                        return &cfg->peers[i];
        }
        return NULL;
}
