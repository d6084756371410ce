/* SPDX-License-Identifier: MIT */
/*
 * See prom.h. The text grows in one buffer (doubling); a series is
 * rendered in place, hashed (FNV-1a over its name and labels) and taken
 * back out if that hash was written before.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/prom.h"

void hbd_hist_init(hbd_hist_t *h, const double *bounds, size_t n)
{
        memset(h, 0, sizeof(*h));
        h->bounds = bounds;
        h->n_bounds = n < HBD_HIST_MAX_BOUNDS ? n : HBD_HIST_MAX_BOUNDS;
}

void hbd_hist_observe(hbd_hist_t *h, double v)
{
        size_t i = 0;

        while (i < h->n_bounds && v > h->bounds[i])
                i++;
        h->counts[i]++;
        h->count++;
        h->sum += v;
}

void hbd_prom_init(hbd_prom_t *p)
{
        memset(p, 0, sizeof(*p));
}

void hbd_prom_free(hbd_prom_t *p)
{
        size_t i;

        free(p->buf);
        free(p->seen);
        for (i = 0; i < p->n_families; i++)
                free(p->families[i]);
        free(p->families);
        memset(p, 0, sizeof(*p));
}

char *hbd_prom_take(hbd_prom_t *p, size_t *len)
{
        char *buf = p->oom ? NULL : p->buf;

        *len = buf != NULL ? p->len : 0;
        if (buf == NULL)
                free(p->buf);
        p->buf = NULL;
        p->len = p->cap = 0;
        return buf;
}

/* ---- the buffer ------------------------------------------------------ */

static bool reserve(hbd_prom_t *p, size_t more)
{
        size_t cap = p->cap ? p->cap : 4096;
        char *b;

        if (p->oom)
                return false;
        if (p->len + more + 1 <= p->cap)
                return true;
        while (cap < p->len + more + 1)
                cap *= 2;
        b = realloc(p->buf, cap);
        if (b == NULL) {
                p->oom = true;
                return false;
        }
        p->buf = b;
        p->cap = cap;
        return true;
}

static void put(hbd_prom_t *p, const char *s, size_t n)
{
        if (!reserve(p, n))
                return;
        memcpy(p->buf + p->len, s, n);
        p->len += n;
        p->buf[p->len] = '\0';
}

static void puts_(hbd_prom_t *p, const char *s)
{
        put(p, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(hbd_prom_t *p, const char *fmt, ...)
{
        char tmp[64];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n > 0)
                put(p, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
                                                     : sizeof(tmp) - 1);
}

/* `s` with `\` and newline escaped, and `"` too when `quote`. */
static void put_escaped(hbd_prom_t *p, const char *s, bool quote)
{
        for (; *s != '\0'; s++) {
                if (*s == '\\')
                        puts_(p, "\\\\");
                else if (*s == '\n')
                        puts_(p, "\\n");
                else if (quote && *s == '"')
                        puts_(p, "\\\"");
                else
                        put(p, s, 1);
        }
}

/* `v` as the format writes it into tmp[40]: +Inf, -Inf, NaN; whole
 * numbers (byte counts, fds) as integers, not 2.5e+07; else the shortest
 * %g that reads back as `v`. */
static void fmt_double(char tmp[40], double v)
{
        int prec;

        if (isnan(v)) {
                snprintf(tmp, 40, "NaN");
                return;
        }
        if (isinf(v)) {
                snprintf(tmp, 40, "%s", v > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (v == floor(v) && fabs(v) < 9007199254740992.0) {
                snprintf(tmp, 40, "%.0f", v);
                return;
        }
        for (prec = 1; prec <= 17; prec++) {
                snprintf(tmp, 40, "%.*g", prec, v);
                if (strtod(tmp, NULL) == v)
                        return;
        }
}

static void put_double(hbd_prom_t *p, double v)
{
        char tmp[40];

        fmt_double(tmp, v);
        puts_(p, tmp);
}

/* ---- names and series ------------------------------------------------ */

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, without ':' for labels. */
static bool valid_name(const char *s, bool metric)
{
        size_t i;

        if (s == NULL || *s == '\0')
                return false;
        for (i = 0; s[i] != '\0'; i++) {
                char c = s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          c == '_' || (metric && c == ':') ||
                          (i > 0 && c >= '0' && c <= '9');

                if (!ok)
                        return false;
        }
        return true;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static uint64_t fnv1a(const char *s, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ull;
        size_t i;

        for (i = 0; i < n; i++) {
                h ^= (unsigned char)s[i];
                h *= 0x100000001b3ull;
        }
        return h != 0 ? h : 1; /* 0 marks an empty slot */
}

/* Record hash `h`; false if it was there already (or out of memory). */
static bool remember(hbd_prom_t *p, uint64_t h)
{
        size_t i, mask;

        if (2 * (p->n_seen + 1) > p->cap_seen) {
                size_t cap = p->cap_seen ? 2 * p->cap_seen : 256;
                uint64_t *t = calloc(cap, sizeof(*t));

                if (t == NULL) {
                        p->oom = true;
                        return false;
                }
                for (i = 0; i < p->cap_seen; i++) {
                        size_t j;

                        if (p->seen[i] == 0)
                                continue;
                        j = p->seen[i] & (cap - 1);
                        while (t[j] != 0)
                                j = (j + 1) & (cap - 1);
                        t[j] = p->seen[i];
                }
                free(p->seen);
                p->seen = t;
                p->cap_seen = cap;
        }
        mask = p->cap_seen - 1;
        for (i = h & mask; p->seen[i] != 0; i = (i + 1) & mask)
                if (p->seen[i] == h)
                        return false;
        p->seen[i] = h;
        p->n_seen++;
        return true;
}

/*
 * Write `name{labels,le="x"} ` (le when `le` is not NULL); false, with
 * nothing written, if the series was written before or a label name is
 * invalid.
 */
static bool series(hbd_prom_t *p, const char *name, const char *const *labels,
                   const char *le)
{
        size_t start = p->len;
        bool any = false;

        puts_(p, name);
        for (; labels != NULL && labels[0] != NULL; labels += 2) {
                if (!valid_name(labels[0], false) ||
                    strcmp(labels[0], "le") == 0 || labels[1] == NULL) {
                        p->errors++;
                        goto undo;
                }
                puts_(p, any ? "," : "{");
                puts_(p, labels[0]);
                puts_(p, "=\"");
                put_escaped(p, labels[1], true);
                puts_(p, "\"");
                any = true;
        }
        if (le != NULL) {
                puts_(p, any ? ",le=\"" : "{le=\"");
                puts_(p, le);
                puts_(p, "\"");
                any = true;
        }
        if (any)
                puts_(p, "}");
        if (p->oom)
                return false;
        if (!remember(p, fnv1a(p->buf + start, p->len - start))) {
                if (!p->oom)
                        p->errors++;
                goto undo;
        }
        puts_(p, " ");
        return true;
undo:
        if (p->buf != NULL) {
                p->len = start;
                p->buf[start] = '\0';
        }
        return false;
}

/* ---- families and samples -------------------------------------------- */

void hbd_prom_family(hbd_prom_t *p, const char *name, const char *type,
                     const char *help)
{
        char **f;
        size_t i;

        p->family[0] = '\0';
        if (!valid_name(name, true) || strlen(name) >= sizeof(p->family) ||
            (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0 &&
             strcmp(type, "histogram") != 0) ||
            (strcmp(type, "counter") == 0) != ends_with(name, "_total")) {
                p->errors++;
                return;
        }
        for (i = 0; i < p->n_families; i++)
                if (strcmp(p->families[i], name) == 0) {
                        p->errors++;
                        return;
                }
        f = realloc(p->families, (p->n_families + 1) * sizeof(*f));
        if (f == NULL || (f[p->n_families] = strdup(name)) == NULL) {
                if (f != NULL)
                        p->families = f;
                p->oom = true;
                return;
        }
        p->families = f;
        p->n_families++;
        snprintf(p->family, sizeof(p->family), "%s", name);
        snprintf(p->type, sizeof(p->type), "%s", type);
        puts_(p, "# HELP ");
        puts_(p, name);
        puts_(p, " ");
        put_escaped(p, help, false);
        puts_(p, "\n# TYPE ");
        puts_(p, name);
        puts_(p, " ");
        puts_(p, type);
        puts_(p, "\n");
}

/* The open family is a counter or gauge. */
static bool scalar_open(hbd_prom_t *p)
{
        if (p->family[0] == '\0' || strcmp(p->type, "histogram") == 0) {
                p->errors++;
                return false;
        }
        return true;
}

void hbd_prom_u64(hbd_prom_t *p, const char *const *labels, uint64_t v)
{
        if (!scalar_open(p) || !series(p, p->family, labels, NULL))
                return;
        putf(p, "%" PRIu64 "\n", v);
}

void hbd_prom_double(hbd_prom_t *p, const char *const *labels, double v)
{
        if (!scalar_open(p) || !series(p, p->family, labels, NULL))
                return;
        put_double(p, v);
        puts_(p, "\n");
}

void hbd_prom_hist(hbd_prom_t *p, const char *const *labels,
                   const hbd_hist_t *h)
{
        char name[sizeof(p->family) + 8], le[40];
        uint64_t cum = 0;
        size_t i, start = p->len;

        if (p->family[0] == '\0' || strcmp(p->type, "histogram") != 0) {
                p->errors++;
                return;
        }
        snprintf(name, sizeof(name), "%s_bucket", p->family);
        for (i = 0; i <= h->n_bounds; i++) {
                cum += h->counts[i];
                if (i < h->n_bounds)
                        fmt_double(le, h->bounds[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                if (!series(p, name, labels, le))
                        goto undo;
                putf(p, "%" PRIu64 "\n", cum);
        }
        snprintf(name, sizeof(name), "%s_sum", p->family);
        if (!series(p, name, labels, NULL))
                goto undo;
        put_double(p, h->sum);
        puts_(p, "\n");
        snprintf(name, sizeof(name), "%s_count", p->family);
        if (!series(p, name, labels, NULL))
                goto undo;
        putf(p, "%" PRIu64 "\n", h->count);
        return;
undo:
        /* A half-written histogram is worse than none (the hashes of its
         * first lines stay remembered: writing it again is an error). */
        if (p->buf != NULL) {
                p->len = start;
                p->buf[start] = '\0';
        }
}
