/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: values by how they are stored (contract:
 * config_impl.h).
 *
 * What lives here: one set of functions per store (stores[]): parse a
 * value's text and check it against the knob's range or words, store it
 * (hbd__store_set(); sequences: hbd__store_set_argv()), read it back as a
 * number (hbd__store_number()) and compare two configs (hbd__knob_equal());
 * the words of the enum stores, for parsing, messages and the docs
 * (hbd__store_values()); ranges and kind lists as message text. Values
 * only: which knob is where, its default and its flags are the table's
 * business (config_knobs.c).
 *
 * Called by config_knobs.c (pass 2 of each knob, the defaults, the
 * description of the table), config.c (hbd_config_reloadable()),
 * config_lists.c and config_rules.c (messages).
 */
#include "config/config_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/util.h"

/* The words of the enum stores, indexed by the stored value. */
static const char *const check_kinds[] = { "exec", "tcp", "http" };
static const char *const vip_providers[] = { "netlink", "exec" };
/* Indexed by hb_wire_mode_t. */
static const char *const encryptions[] = { "none", "aead" };
/* Indexed by hb_uv_transport_t. */
static const char *const transports[] = { "unicast", "multicast",
                                          "broadcast" };
static const char name_chars[] = "1..63 characters of A-Z a-z 0-9 . _ -";

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *hbd__check_kind_name(uint32_t kind)
{
        return kind < N_OF(check_kinds) ? check_kinds[kind] : "?";
}
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

const char *hbd__kinds_text(unsigned flags, const char *last, char *buf,
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

/* `n` words joined as "a, b or c" (`last` before the last one). */
static const char *words_text(const char *const *words, size_t n,
                              const char *last, char *buf, size_t cap)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0,
                                        "%s%s",
                                        i == 0 ? "" : i + 1 == n ? last : ", ",
                                        words[i]);
        return buf;
}

const char *hbd__range_text(const struct knob *kn, char *buf, size_t cap)
{
        if (kn->flags & F_MIN_OPEN)
                snprintf(buf, cap, "> %.15g .. %.15g", kn->min, kn->max);
        else
                snprintf(buf, cap, "%.15g..%.15g", kn->min, kn->max);
        return buf;
}

bool hbd__in_range(const struct knob *kn, double v)
{
        if (kn->flags & F_MIN_OPEN)
                return v > kn->min && v <= kn->max;
        return v >= kn->min && v <= kn->max;
}

/* ---- stores: parse, set, read back, compare ---------------------------- */

/*
 * Each set function parses `text` (from the file at `mark`, or a default
 * text when `mark` is NULL) as knob `kn` and stores it at `field`;
 * `label` names the value in messages.
 */
struct set_args {
        struct loader *l;
        const struct knob *kn;
        const char *label;
        const char *text;
        const yaml_mark_t *mark;
        char *field;
        void *base;             /* the struct `field` is in (S_ADDR) */
};

/* "LABEL: 'TEXT' is not WHAT (RANGE)" or "LABEL: TEXT is out of range
 * (RANGE)" for numeric knobs. */
static int bad_number(const struct set_args *a, const char *what,
                      bool out_of_range)
{
        char q[QUOTE_BUF], range[64];

        hbd__quote(a->text, strlen(a->text), q);
        hbd__range_text(a->kn, range, sizeof range);
        if (out_of_range)
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: %s is out of range (%s)", a->label,
                                    q, range);
        return hbd__fail_at(a->l, a->mark, -EINVAL, "%s: '%s' is not %s (%s)",
                            a->label, q, what, range);
}

/* "LABEL: 'TEXT' is not WHAT": a word outside an enum store's list. */
static int bad_word(const struct set_args *a, const char *what)
{
        char q[QUOTE_BUF];

        return hbd__fail_at(a->l, a->mark, -EINVAL, "%s: '%s' is not %s",
                            a->label, hbd__quote(a->text, strlen(a->text), q),
                            what);
}

static int oom(const struct set_args *a)
{
        return hbd__fail_at(a->l, NULL, -ENOMEM, "out of memory");
}

/* Replace the owned string at a->field with `p` (NULL: out of memory). */
static int set_owned(const struct set_args *a, char *p)
{
        char **slot = (char **)(void *)a->field;

        if (!p)
                return oom(a);
        free(*slot);
        *slot = p;
        return 0;
}

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

static int set_name(const struct set_args *a)
{
        char q[QUOTE_BUF];
        size_t len = strlen(a->text);
        size_t bad;

        if (len == 0)
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: '' is empty (%s)", a->label,
                                    name_chars);
        hbd__quote(a->text, len, q);
        if (len > HBD_NAME_MAX)
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: '%s' is too long (%s)", a->label, q,
                                    name_chars);
        bad = strspn(a->text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz0123456789._-");
        if (bad != len)
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: '%s' has an invalid character at "
                                    "position %zu (%s)", a->label, q,
                                    bad + 1, name_chars);
        memcpy(a->field, a->text, len + 1);
        return 0;
}

/* S_U32 and S_MS: an unsigned integer in range. */
static int set_uint(const struct set_args *a)
{
        unsigned long long u;
        int r = parse_uint(a->text, &u);

        if (r == -EINVAL)
                return bad_number(a, "an unsigned integer", false);
        if (r < 0 || !hbd__in_range(a->kn, (double)u))
                return bad_number(a, NULL, true);
        if (a->kn->store == S_U32)
                *(uint32_t *)(void *)a->field = (uint32_t)u;
        else
                *(uint64_t *)(void *)a->field = u * HB_NS_PER_MS;
        return 0;
}

/* S_NUM and S_MS_NUM: a finite number in range. */
static int set_number(const struct set_args *a)
{
        double d;
        int r = parse_number(a->text, &d);

        if (r == -EINVAL)
                return bad_number(a, "a number", false);
        if (r < 0 || !hbd__in_range(a->kn, d))
                return bad_number(a, NULL, true);
        if (a->kn->store == S_NUM)
                *(double *)(void *)a->field = d;
        else
                *(uint64_t *)(void *)a->field =
                        (uint64_t)llround(d * (double)HB_NS_PER_MS);
        return 0;
}

static int set_int(const struct set_args *a)
{
        const char *text = a->text;
        long long v;
        char *end;

        errno = 0;
        v = strtoll(text, &end, 10);
        if (text[0] == '\0' || *end != '\0' ||
            strspn(text, "-0123456789") != strlen(text))
                return bad_number(a, "an integer", false);
        if (errno == ERANGE || !hbd__in_range(a->kn, (double)v))
                return bad_number(a, NULL, true);
        *(int32_t *)(void *)a->field = (int32_t)v;
        return 0;
}

static int set_kind(const struct set_args *a)
{
        hb_detector_kind_t kind;
        char kinds[96], what[128];

        if (hb_detector_kind_parse(a->text, &kind) < 0) {
                snprintf(what, sizeof what, "a detector kind (%s)",
                         hbd__kinds_text(0, ", ", kinds, sizeof kinds));
                return bad_word(a, what);
        }
        *(hb_detector_kind_t *)(void *)a->field = kind;
        return 0;
}

static int set_path(const struct set_args *a)
{
        char q[QUOTE_BUF];
        char *p;

        if (a->text[0] == '\0')
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: the path is empty", a->label);
        p = a->text[0] == '/' ? strdup(a->text)
                              : hbd__join_path(a->l->dir, a->text);
        if (!p)
                return oom(a);
        if ((a->kn->flags & F_SOCKET) && strlen(p) > SUN_PATH_MAX) {
                hbd__fail_at(a->l, a->mark, -EINVAL, "%s: '%s' is too long "
                             "for a Unix socket (at most %zu bytes)",
                             a->label, hbd__quote(p, strlen(p), q),
                             SUN_PATH_MAX);
                free(p);
                return -EINVAL;
        }
        return set_owned(a, p);
}

static int set_str(const struct set_args *a)
{
        if (a->text[0] == '\0')
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: the value is empty", a->label);
        for (const char *c = a->text; *c; c++) {
                char q[QUOTE_BUF];

                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        return hbd__fail_at(a->l, a->mark, -EINVAL,
                                            "%s: '%s' contains a control "
                                            "character", a->label,
                                            hbd__quote(a->text,
                                                       strlen(a->text), q));
        }
        return set_owned(a, strdup(a->text));
}

/* The index of `text` in `words`, or -1. */
static int word_index(const char *text, const char *const *words, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(text, words[i]) == 0)
                        return (int)i;
        return -1;
}

static int set_check_kind(const struct set_args *a)
{
        int i = word_index(a->text, check_kinds, N_OF(check_kinds));
        char words[64], what[96];

        if (i < 0) {
                snprintf(what, sizeof what, "a check kind (%s)",
                         words_text(check_kinds, N_OF(check_kinds), " or ",
                                    words, sizeof words));
                return bad_word(a, what);
        }
        *(uint32_t *)(void *)a->field = (uint32_t)i;
        return 0;
}

static int set_vip_provider(const struct set_args *a)
{
        int i = word_index(a->text, vip_providers, N_OF(vip_providers));
        char words[64], what[96];

        if (i < 0) {
                snprintf(what, sizeof what, "a provider (%s)",
                         words_text(vip_providers, N_OF(vip_providers),
                                    " or ", words, sizeof words));
                return bad_word(a, what);
        }
        *(uint32_t *)(void *)a->field = (uint32_t)i;
        return 0;
}

static int set_encryption(const struct set_args *a)
{
        int i = word_index(a->text, encryptions, N_OF(encryptions));

        if (i < 0)
                return bad_word(a, "an encryption mode (none or aead)");
        *(uint32_t *)(void *)a->field = (uint32_t)i;
        return 0;
}

static int set_transport(const struct set_args *a)
{
        int i = word_index(a->text, transports, N_OF(transports));

        if (i < 0)
                return bad_word(a, "a transport (unicast, multicast or "
                                   "broadcast)");
        *(uint32_t *)(void *)a->field = (uint32_t)i;
        return 0;
}

static int set_effect(const struct set_args *a)
{
        if (strcmp(a->text, "fault") != 0)
                return bad_word(a, "an effect (fault; use weight for a "
                                   "priority change)");
        *(bool *)(void *)a->field = true;
        return 0;
}

/* YAML 1.2's core schema spellings only: "yes", "on" and friends are
 * strings there, and a typo must not pass. */
static int set_bool(const struct set_args *a)
{
        static const char *const yes[] = { "true", "True", "TRUE" };
        static const char *const no[] = { "false", "False", "FALSE" };

        if (word_index(a->text, yes, N_OF(yes)) >= 0 ||
            word_index(a->text, no, N_OF(no)) >= 0) {
                *(bool *)(void *)a->field = a->text[0] != 'f' &&
                                            a->text[0] != 'F';
                return 0;
        }
        return bad_word(a, "a boolean (true or false)");
}

static int set_addr(const struct set_args *a)
{
        struct sockaddr_storage *ss =
                (void *)((char *)a->base + a->kn->addr_off);
        socklen_t *len = (void *)((char *)a->base + a->kn->len_off);
        char q[QUOTE_BUF], why[160];
        int r;

        r = hbu_parse_address(a->text, ss, len, why, sizeof why);
        if (r < 0) {
                /* `why` may echo parts of the text: keep it one line. */
                for (char *c = why; *c; c++) {
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                *c = '?';
                }
                return hbd__fail_at(a->l, a->mark, -EINVAL,
                                    "%s: bad address '%s': %s (expected "
                                    "HOST:PORT or [V6]:PORT)", a->label,
                                    hbd__quote(a->text, strlen(a->text), q),
                                    why);
        }
        return set_owned(a, strdup(a->text));
}

/*
 * S_CPUS: a CPU list as the kernel and taskset -c write it ("0-1,3"):
 * numbers and ascending ranges of numbers below CPU_SETSIZE, joined by
 * commas. Whether the CPUs exist is a property of the machine hbeatd runs
 * on, not of the file: realtime.c reports what the kernel accepted.
 */
static int set_cpus(const struct set_args *a)
{
        cpu_set_t *set = (void *)((char *)a->base + a->kn->addr_off);
        cpu_set_t parsed;
        const char *p = a->text;
        char q[QUOTE_BUF];

        CPU_ZERO(&parsed);
        for (;;) {
                unsigned long long lo, hi;
                char *end;

                if (*p < '0' || *p > '9')
                        goto bad;
                lo = strtoull(p, &end, 10);
                hi = lo;
                p = end;
                if (*p == '-') {
                        if (p[1] < '0' || p[1] > '9')
                                goto bad;
                        hi = strtoull(p + 1, &end, 10);
                        p = end;
                }
                if (hi < lo || hi >= CPU_SETSIZE)
                        goto bad;
                for (unsigned long long c = lo; c <= hi; c++)
                        CPU_SET((size_t)c, &parsed);
                if (*p == '\0')
                        break;
                if (*p++ != ',')
                        goto bad;
        }
        *set = parsed;
        return set_owned(a, strdup(a->text));
bad:
        return hbd__fail_at(a->l, a->mark, -EINVAL, "%s: '%s' is not a CPU "
                            "list (CPU numbers 0..%d and ranges of them "
                            "joined by commas: 0-1,3)", a->label,
                            hbd__quote(a->text, strlen(a->text), q),
                            CPU_SETSIZE - 1);
}

static double num_u32(const void *f)
{
        return *(const uint32_t *)f;
}

static double num_ns(const void *f)
{
        return (double)*(const uint64_t *)f / (double)HB_NS_PER_MS;
}

static double num_double(const void *f)
{
        return *(const double *)f;
}

static double num_int(const void *f)
{
        return *(const int32_t *)f;
}

static double num_bool(const void *f)
{
        return *(const bool *)f ? 1 : 0;
}

static double num_kind(const void *f)
{
        return *(const hb_detector_kind_t *)f;
}

/* char * (S_PATH, S_STR, S_ADDR as written): both NULL or both equal. */
static bool eq_ptr_str(const void *a, const void *b)
{
        const char *pa = *(char *const *)a, *pb = *(char *const *)b;

        return (!pa && !pb) || (pa && pb && strcmp(pa, pb) == 0);
}

static bool eq_name(const void *a, const void *b)
{
        return strcmp(a, b) == 0;
}

static bool eq_argv(const void *a, const void *b)
{
        char *const *x = *(char **const *)a, *const *y = *(char **const *)b;

        if (!x || !y)
                return x == y;
        for (; *x && *y; x++, y++) {
                if (strcmp(*x, *y) != 0)
                        return false;
        }
        return !*x && !*y;
}

/*
 * One row per store. `number` reads a numeric field back in the file's
 * unit (NULL: not a number; compared with `equal`). S_ARGV has no `set`:
 * sequences are read by hbd__store_set_argv(), never from text. S_ADDR is
 * compared resolved (hbd__knob_equal()).
 */
static const struct store_ops {
        const char *type;       /* what the file writes, for the docs */
        bool ranged;            /* min and max apply */
        int (*set)(const struct set_args *a);
        double (*number)(const void *field);
        bool (*equal)(const void *a, const void *b);
} stores[S_COUNT] = {
        [S_NAME] = { "string", false, set_name, NULL, eq_name },
        [S_U32] = { "uint", true, set_uint, num_u32, NULL },
        [S_MS] = { "uint", true, set_uint, num_ns, NULL },
        [S_MS_NUM] = { "number", true, set_number, num_ns, NULL },
        [S_NUM] = { "number", true, set_number, num_double, NULL },
        [S_KIND] = { "enum", false, set_kind, num_kind, NULL },
        [S_PATH] = { "path", false, set_path, NULL, eq_ptr_str },
        [S_ADDR] = { "address", false, set_addr, NULL, eq_ptr_str },
        [S_BOOL] = { "bool", false, set_bool, num_bool, NULL },
        [S_INT] = { "int", true, set_int, num_int, NULL },
        [S_STR] = { "string", false, set_str, NULL, eq_ptr_str },
        [S_ARGV] = { "list of strings", false, NULL, NULL, eq_argv },
        [S_STRS] = { "list of strings", false, NULL, NULL, eq_argv },
        [S_CHECK_KIND] = { "enum", false, set_check_kind, num_u32, NULL },
        [S_EFFECT] = { "enum", false, set_effect, num_bool, NULL },
        [S_VIP_PROVIDER] = { "enum", false, set_vip_provider, num_u32,
                             NULL },
        [S_CPUS] = { "cpu list", false, set_cpus, NULL, eq_ptr_str },
        [S_ENCRYPTION] = { "enum", false, set_encryption, num_u32, NULL },
        [S_TRANSPORT] = { "enum", false, set_transport, num_u32, NULL },
};

int hbd__store_set(struct loader *l, const struct knob *kn,
                   const char *label, const char *text,
                   const yaml_mark_t *mark, void *base)
{
        const struct set_args a = {
                .l = l, .kn = kn, .label = label, .text = text,
                .mark = mark, .field = (char *)base + kn->off, .base = base,
        };

        if (!stores[kn->store].set)
                return hbd__fail_at(l, NULL, -EINVAL, "internal error: knob "
                                    "%s", kn->path);
        return stores[kn->store].set(&a);
}

double hbd__store_number(const struct knob *kn, const void *base)
{
        double (*number)(const void *) = stores[kn->store].number;

        return number ? number((const char *)base + kn->off) : 0;
}

bool hbd__knob_equal(const struct knob *kn, const void *a, const void *b)
{
        const struct store_ops *ops = &stores[kn->store];
        const char *fa = (const char *)a + kn->off;
        const char *fb = (const char *)b + kn->off;

        if (kn->flags & F_UNUSED)
                return true;
        if (kn->store == S_ADDR) {
                /* An optional address (http.listen) left unset in both. */
                if (!*(char *const *)(const void *)fa &&
                    !*(char *const *)(const void *)fb)
                        return true;
                return hbu_address_equal(
                        (const void *)((const char *)a + kn->addr_off),
                        (const void *)((const char *)b + kn->addr_off));
        }
        if (ops->number)
                return hbd__store_number(kn, a) == hbd__store_number(kn, b);
        return ops->equal(fa, fb);
}

/*
 * S_ARGV: a non-empty sequence of non-empty strings, copied into a
 * NULL-terminated array. A plain string is refused on purpose: it would
 * need a shell (or a home-grown splitter) to become an argv.
 */
int hbd__store_set_argv(struct loader *l, const struct knob *kn,
                        const char *label, const yaml_node_t *val,
                        void *base)
{
        char ***slot = (char ***)(void *)((char *)base + kn->off);
        size_t n;
        char **argv;
        int r;

        bool cmd = kn->store == S_ARGV;

        if (val->type != YAML_SEQUENCE_NODE)
                return hbd__fail_at(l, &val->start_mark, -EINVAL,
                                    "%s: expected a sequence of strings%s, "
                                    "found %s", label,
                                    cmd ? " (the program and its arguments, "
                                          "run without a shell)"
                                        : "",
                                    hbd__node_type_name(val));
        n = (size_t)(val->data.sequence.items.top -
                     val->data.sequence.items.start);
        if (n == 0)
                return hbd__fail_at(l, &val->start_mark, -EINVAL,
                                    "%s: %s", label,
                                    cmd ? "the command is empty"
                                        : "the list is empty");
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
                if (!cmd) {
                        if (text[0] == '\0') {
                                r = hbd__fail_at(l, &item->start_mark,
                                                 -EINVAL, "%s[%zu]: empty",
                                                 label, i);
                                goto fail;
                        }
                        argv[i] = strdup(text);
                        if (!argv[i]) {
                                r = hbd__fail_at(l, NULL, -ENOMEM,
                                                 "out of memory");
                                goto fail;
                        }
                        continue;
                }
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
                if (i == 0) {
                        r = hbd__check_program(l, &item->start_mark, label,
                                               argv[0]);
                        if (r < 0)
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

/* The accepted values of a knob that is not a number, as text. */
void hbd__store_values(const struct knob *kn, char *buf, size_t len)
{
        switch (kn->store) {
        case S_KIND:
                hbd__kinds_text(0, ", ", buf, len);
                return;
        case S_CHECK_KIND:
                words_text(check_kinds, N_OF(check_kinds), ", ", buf, len);
                return;
        case S_VIP_PROVIDER:
                words_text(vip_providers, N_OF(vip_providers), ", ", buf,
                           len);
                return;
        case S_EFFECT:
                snprintf(buf, len, "fault");
                return;
        case S_ENCRYPTION:
                words_text(encryptions, N_OF(encryptions), ", ", buf, len);
                return;
        case S_TRANSPORT:
                words_text(transports, N_OF(transports), ", ", buf, len);
                return;
        case S_BOOL:
                snprintf(buf, len, "true, false");
                return;
        case S_NAME:
                snprintf(buf, len, "%s", name_chars);
                return;
        case S_ADDR:
                snprintf(buf, len, "HOST:PORT or [V6]:PORT");
                return;
        case S_CPUS:
                snprintf(buf, len, "CPUs 0..%d, ranges, commas: 0-1,3",
                         CPU_SETSIZE - 1);
                return;
        case S_PATH:
                if (kn->flags & F_SOCKET)
                        snprintf(buf, len, "at most %zu bytes",
                                 SUN_PATH_MAX);
                else
                        buf[0] = '\0';
                return;
        default:
                buf[0] = '\0';
                return;
        }
}

const char *hbd__store_type(enum store s)
{
        return stores[s].type;
}

bool hbd__store_ranged(enum store s)
{
        return stores[s].ranged;
}
