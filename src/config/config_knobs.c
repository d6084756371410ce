/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: the knob table's values (contract: config_impl.h).
 *
 * What lives here: the knob table (HBD_KNOB_ROWS, config_impl.h) turned into
 * data, the public hbd_knobs[] (for hbeatctl check-config, docs and tests)
 * and the private knob_how[] (how and where each knob is stored), and
 * everything that reads or writes a knob's value through them: parsing a
 * value's text (parse_uint(), parse_number(), check_name()), storing it
 * (set_knob()), reading it back (knob_number(), hbd__knob_equal()), ranges
 * and labels for messages. Only this file knows a knob's store and offsets;
 * the others see its flags (hbd__knob_flags()).
 *
 * Called by config.c (load_document(): pass 2 of the top-level knobs, the
 * derived-default check; hbd_config_reloadable()) and config_lists.c (pass 2
 * of each peers[], checks[] and vips[] entry).
 */
#include "config/config_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/util.h"

struct knob_how {
        enum store store;
        unsigned flags;
        size_t off, addr_off, len_off;
};

#define C(f) offsetof(hbd_config_t, f)
#define P(f) offsetof(hbd_peer_conf_t, f)
#define Q(f) offsetof(hbd_check_conf_t, f)
#define V(f) offsetof(hbd_vip_conf_t, f)

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
#undef Q
#undef V

/* ---- table lookups ----------------------------------------------------- */

unsigned hbd__knob_flags(size_t k)
{
        return knob_how[k].flags;
}

/*
 * The detector kinds of `flags` (F_FOR() bits; every kind when there is
 * none), in kind order, as "phi, chen or bertier" with `last` (" or ",
 * ", ") before the last one. `buf` of 96 bytes holds all six names.
 */
static const char *kinds_text(unsigned flags, const char *last, char *buf,
                              size_t cap)
{
        unsigned mask = flags & F_KIND_MASK;
        int total = 0, n = 0;
        size_t len = 0;

        if (mask == 0)
                mask = F_KIND_MASK;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++)
                total += (mask & F_FOR(k)) != 0;
        buf[0] = '\0';
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                if (!(mask & F_FOR(k)))
                        continue;
                len += (size_t)snprintf(
                        buf + len, len < cap ? cap - len : 0, "%s%s",
                        n == 0 ? "" : n == total - 1 ? last : ", ",
                        hb_detector_kind_name((hb_detector_kind_t)k));
                n++;
        }
        return buf;
}

/* Does knob `k` apply to detector `kind`? */
static bool knob_for_kind(size_t k, hb_detector_kind_t kind)
{
        unsigned mask = knob_how[k].flags & F_KIND_MASK;

        return mask == 0 || (mask & F_FOR(kind)) != 0;
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

static int check_name(struct loader *l, const yaml_mark_t *mark,
                      const char *label, const char *text, char *out)
{
        static const char allowed[] = "1..63 characters of A-Z a-z 0-9 . _ -";
        char q[QUOTE_BUF];
        size_t len = strlen(text);
        size_t bad;

        if (len == 0)
                return hbd__fail_at(l, mark, -EINVAL, "%s: '' is empty (%s)",
                                    label, allowed);
        if (len > HBD_NAME_MAX)
                return hbd__fail_at(l, mark, -EINVAL,
                                    "%s: '%s' is too long (%s)", label,
                                    hbd__quote(text, len, q), allowed);
        bad = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "abcdefghijklmnopqrstuvwxyz0123456789._-");
        if (bad != len)
                return hbd__fail_at(l, mark, -EINVAL,
                                    "%s: '%s' has an invalid character at "
                                    "position %zu (%s)", label,
                                    hbd__quote(text, len, q), bad + 1,
                                    allowed);
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
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: '%s' is not an unsigned "
                                            "integer (%s)", label,
                                            hbd__quote(text, strlen(text), q),
                                            range_text(k, range, sizeof range));
                if (r < 0 || !in_range(k, (double)u))
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: %s is out of range (%s)",
                                            label,
                                            hbd__quote(text, strlen(text), q),
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
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: '%s' is not a number (%s)",
                                            label,
                                            hbd__quote(text, strlen(text), q),
                                            range_text(k, range, sizeof range));
                if (r < 0 || !in_range(k, d))
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: %s is out of range (%s)",
                                            label,
                                            hbd__quote(text, strlen(text), q),
                                            range_text(k, range, sizeof range));
                if (how->store == S_NUM)
                        *(double *)(void *)field = d;
                else
                        *(uint64_t *)(void *)field =
                                (uint64_t)llround(d * (double)HB_NS_PER_MS);
                return 0;
        case S_KIND: {
                hb_detector_kind_t kind;
                char kinds[96];

                if (hb_detector_kind_parse(text, &kind) < 0)
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: '%s' is not a detector kind "
                                            "(%s)", label,
                                            hbd__quote(text, strlen(text), q),
                                            kinds_text(0, ", ", kinds,
                                                       sizeof kinds));
                *(hb_detector_kind_t *)(void *)field = kind;
                return 0;
        }
        case S_PATH: {
                char **slot = (char **)(void *)field;
                char *p;

                if (text[0] == '\0')
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: the path is empty", label);
                p = text[0] == '/' ? strdup(text)
                                   : hbd__join_path(l->dir, text);
                if (!p)
                        return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
                if ((how->flags & F_SOCKET) &&
                    strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                        hbd__fail_at(l, mark, -EINVAL, "%s: '%s' is too long "
                                     "for a Unix socket (at most %zu bytes)",
                                     label, hbd__quote(p, strlen(p), q),
                                     sizeof(((struct sockaddr_un *)0)
                                                    ->sun_path) - 1);
                        free(p);
                        return -EINVAL;
                }
                free(*slot);
                *slot = p;
                return 0;
        }
        case S_INT: {
                long long v;
                char *end;

                errno = 0;
                v = strtoll(text, &end, 10);
                if (text[0] == '\0' || *end != '\0' ||
                    strspn(text, "-0123456789") != strlen(text))
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: '%s' is not an integer (%s)",
                                            label,
                                            hbd__quote(text, strlen(text), q),
                                            range_text(k, range, sizeof range));
                if (errno == ERANGE || !in_range(k, (double)v))
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: %s is out of range (%s)",
                                            label,
                                            hbd__quote(text, strlen(text), q),
                                            range_text(k, range, sizeof range));
                *(int32_t *)(void *)field = (int32_t)v;
                return 0;
        }
        case S_STR: {
                char **slot = (char **)(void *)field;
                char *p;

                if (text[0] == '\0')
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: the value is empty", label);
                for (const char *c = text; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                return hbd__fail_at(
                                        l, mark, -EINVAL,
                                        "%s: '%s' contains a control "
                                        "character", label,
                                        hbd__quote(text, strlen(text), q));
                p = strdup(text);
                if (!p)
                        return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
                free(*slot);
                *slot = p;
                return 0;
        }
        case S_CHECK_KIND: {
                static const char *const names[] = { "exec", "tcp", "http" };

                for (uint32_t i = 0; i < 3; i++) {
                        if (strcmp(text, names[i]) == 0) {
                                *(uint32_t *)(void *)field = i;
                                return 0;
                        }
                }
                return hbd__fail_at(l, mark, -EINVAL,
                                    "%s: '%s' is not a check kind (exec, tcp "
                                    "or http)", label,
                                    hbd__quote(text, strlen(text), q));
        }
        case S_EFFECT:
                if (strcmp(text, "fault") == 0) {
                        *(bool *)(void *)field = true;
                        return 0;
                }
                return hbd__fail_at(l, mark, -EINVAL,
                                    "%s: '%s' is not an effect (fault; use "
                                    "weight for a priority change)", label,
                                    hbd__quote(text, strlen(text), q));
        case S_VIP_PROVIDER:
                if (strcmp(text, "netlink") == 0 ||
                    strcmp(text, "exec") == 0) {
                        *(uint32_t *)(void *)field = text[0] == 'n' ?
                                HBD_VIP_NETLINK : HBD_VIP_EXEC;
                        return 0;
                }
                return hbd__fail_at(l, mark, -EINVAL,
                                    "%s: '%s' is not a provider (netlink or "
                                    "exec)", label,
                                    hbd__quote(text, strlen(text), q));
        case S_ARGV:
                /* Sequences are read by set_argv(); never from text. */
                break;
        case S_BOOL:
                /* YAML 1.2's core schema spellings only: "yes", "on" and
                 * friends are strings there, and a typo must not pass. */
                if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 ||
                    strcmp(text, "TRUE") == 0) {
                        *(bool *)(void *)field = true;
                        return 0;
                }
                if (strcmp(text, "false") == 0 ||
                    strcmp(text, "False") == 0 ||
                    strcmp(text, "FALSE") == 0) {
                        *(bool *)(void *)field = false;
                        return 0;
                }
                return hbd__fail_at(l, mark, -EINVAL,
                                    "%s: '%s' is not a boolean (true or "
                                    "false)", label,
                                    hbd__quote(text, strlen(text), q));
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
                        return hbd__fail_at(l, mark, -EINVAL,
                                            "%s: bad address '%s': %s "
                                            "(expected HOST:PORT or "
                                            "[V6]:PORT)", label,
                                            hbd__quote(text, strlen(text), q),
                                            why);
                p = strdup(text);
                if (!p)
                        return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
                free(*slot);
                *slot = p;
                return 0;
        }
        }
        return hbd__fail_at(l, NULL, -EINVAL, "internal error: knob %s",
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
        case S_BOOL:
                return *(const bool *)(const void *)field ? 1 : 0;
        default:
                return 0;
        }
}

/* Same stored value in two configs? (for hbd_config_reloadable()) */
bool hbd__knob_equal(size_t k, const void *a, const void *b)
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
                /* An optional address (http.listen) left unset in both. */
                if (!*(char *const *)(const void *)fa &&
                    !*(char *const *)(const void *)fb)
                        return true;
                return hbu_address_equal(
                        (const void *)((const char *)a + how->addr_off),
                        (const void *)((const char *)b + how->addr_off));
        default:
                return knob_number(k, a) == knob_number(k, b);
        }
}

/* ---- pass 2: values ---------------------------------------------------- */

/*
 * S_ARGV: a non-empty sequence of non-empty strings, copied into a
 * NULL-terminated array. A plain string is refused on purpose: it would
 * need a shell (or a home-grown splitter) to become an argv.
 */
static int set_argv(struct loader *l, size_t k, const char *label,
                    const yaml_node_t *val, void *base)
{
        char ***slot = (char ***)(void *)((char *)base + knob_how[k].off);
        size_t n;
        char **argv;
        int r;

        if (val->type != YAML_SEQUENCE_NODE)
                return hbd__fail_at(l, &val->start_mark, -EINVAL,
                                    "%s: expected a sequence of strings (the "
                                    "program and its arguments, run without "
                                    "a shell), found %s", label,
                                    hbd__node_type_name(val));
        n = (size_t)(val->data.sequence.items.top -
                     val->data.sequence.items.start);
        if (n == 0)
                return hbd__fail_at(l, &val->start_mark, -EINVAL,
                                    "%s: the command is empty", label);
        argv = calloc(n + 1, sizeof *argv);
        if (!argv)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const yaml_node_t *item = yaml_document_get_node(
                        l->doc, val->data.sequence.items.start[i]);
                const char *text;

                if (!item) {
                        r = hbd__fail_at(l, &val->start_mark, -EINVAL,
                                         "%s: malformed sequence", label);
                        goto fail;
                }
                r = hbd__scalar_text(l, item, label, &text);
                if (r < 0)
                        goto fail;
                if (i == 0 && text[0] == '\0') {
                        r = hbd__fail_at(l, &item->start_mark, -EINVAL,
                                         "%s: the program name is empty",
                                         label);
                        goto fail;
                }
                if (i == 0 && strchr(text, '/') && text[0] != '/')
                        argv[i] = hbd__join_path(l->dir, text);
                else
                        argv[i] = strdup(text);
                if (!argv[i]) {
                        r = hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
                        goto fail;
                }
        }
        hbd__argv_free(*slot);
        *slot = argv;
        return 0;
fail:
        hbd__argv_free(argv);
        return r;
}

void hbd__argv_free(char **argv)
{
        if (!argv)
                return;
        for (char **a = argv; *a; a++)
                free(*a);
        free(argv);
}

/*
 * Set knob `k` from what pass 1 found, or its default. `index` is the peer
 * index for F_PEER knobs.
 */
int hbd__knob_apply(struct loader *l, const struct found *f, size_t k,
                    size_t index, void *base, hb_detector_kind_t kind)
{
        const yaml_node_t *val = f->val[k];
        char label[96], kinds[96];
        const char *text;
        int r;

        knob_label(k, index, label, sizeof label);
        if (val && hbd__is_null(val)) {
                /* "key:" with no value is the same as no key, except
                 * for a required one. */
                if (knob_how[k].flags & F_REQUIRED)
                        return hbd__fail_at(l, &val->start_mark, -EINVAL,
                                            "%s: no value given", label);
                val = NULL;
        }
        if (!val) {
                if (knob_how[k].flags & F_REQUIRED)
                        return hbd__fail_at(l, &f->parent[k], -EINVAL,
                                            "missing required key '%s'",
                                            label);
                if ((knob_how[k].flags & F_DERIVED) ||
                    !hbd_knobs[k].default_text)
                        return 0;
                return set_knob(l, k, label, hbd_knobs[k].default_text,
                                NULL, base);
        }
        if (knob_how[k].store == S_ARGV)
                return set_argv(l, k, label, val, base);
        if (!knob_for_kind(k, kind))
                return hbd__fail_at(l, &f->key[k]->start_mark, -EINVAL,
                                    "%s: only valid with detector.kind %s "
                                    "(kind is %s)", label,
                                    kinds_text(knob_how[k].flags, " or ",
                                               kinds, sizeof kinds),
                                    hb_detector_kind_name(kind));
        r = hbd__scalar_text(l, val, label, &text);
        if (r < 0)
                return r;
        return set_knob(l, k, label, text, &val->start_mark, base);
}

/*
 * A derived default (4 x interval, ...) may fall outside the range allowed
 * when the knob is written explicitly; say so rather than load it.
 */
int hbd__knob_check_derived(struct loader *l, const struct found *f,
                            size_t k, const hbd_config_t *cfg)
{
        const yaml_node_t *at = f->val[K_INTERVAL];
        char range[64];
        double v;

        if (!(knob_how[k].flags & F_DERIVED) ||
            (f->val[k] && !hbd__is_null(f->val[k])))
                return 0;
        if (!knob_for_kind(k, cfg->node.detector.kind))
                return 0;
        v = knob_number(k, cfg);
        if (in_range(k, v))
                return 0;
        return hbd__fail_at(l, at ? &at->start_mark : NULL, -EINVAL,
                            "%s: the default (%s) for this interval is %.15g, "
                            "out of range (%s); set it explicitly",
                            hbd_knobs[k].path, hbd_knobs[k].default_text, v,
                            range_text(k, range, sizeof range));
}
