/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: the knob table (contract: config_impl.h).
 *
 * What lives here: the knob table (HBD_KNOB_ROWS_HEAD and _TAIL,
 * config_impl.h) turned into data, and the detector rows between them,
 * which come from the core's parameter schema (hb_detector_param_at():
 * key, unit, range, field, help, kinds); hbd__knobs() gives them all as
 * `struct knob`s. Then what follows from a row: pass 2 of one knob
 * (hbd__knob_apply(): its value, its default, its kinds), the default
 * texts generated from the code that computes the defaults
 * (hbd__knob_default_text()) and the check of a derived default, and the
 * public description of the table (hbd_config_knob()). How a value is
 * parsed, stored and compared, per store: config_store.c.
 *
 * Called by config.c (load_document(): pass 2 of the top-level knobs, the
 * derived-default check; hbd_config_reloadable()), config_lists.c (pass 2
 * of each peers[], checks[] and vips[] entry), config_rules.c, and
 * hbeatctl through hbd_config_knob().
 */
#include "config/config_impl.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* A row of the static table. */
struct row {
        const char *path, *unit;
        double min, max;
        const char *default_text;
        hbd_reload_t reload;
        enum store store;
        unsigned flags;
        size_t off, addr_off, len_off;
        const char *help;
};

#define C(f) offsetof(hbd_config_t, f)
#define P(f) offsetof(hbd_peer_conf_t, f)
#define Q(f) offsetof(hbd_check_conf_t, f)
#define V(f) offsetof(hbd_vip_conf_t, f)
#define K(f) offsetof(hbd_key_conf_t, f)
#define L(f) offsetof(hbd_link_conf_t, f)
#define CL(f) offsetof(hbd_class_conf_t, f)
#define X(id, path_, unit_, min_, max_, def_, rel_, st_, fl_, off_, off2_,   \
          off3_, help_)                                                      \
        { .path = path_, .unit = unit_, .min = min_, .max = max_,            \
          .default_text = def_, .reload = rel_, .store = st_, .flags = fl_,  \
          .off = off_, .addr_off = off2_, .len_off = off3_, .help = help_ },

static const struct row head_rows[] = { HBD_KNOB_ROWS_HEAD(X) };
static const struct row tail_rows[] = { HBD_KNOB_ROWS_TAIL(X) };

#undef X
#undef C
#undef P
#undef Q
#undef V

_Static_assert(sizeof head_rows / sizeof head_rows[0] == K_DETECTOR,
               "head rows");
_Static_assert(sizeof tail_rows / sizeof tail_rows[0] ==
                       K_COUNT - K_DETECTOR_LAST - 1,
               "tail rows");
_Static_assert(HBD_VIP_NETLINK == 0 && HBD_VIP_EXEC == 1 &&
                       HBD_CHECK_EXEC == 0 && HBD_CHECK_TCP == 1 &&
                       HBD_CHECK_HTTP == 2,
               "enum stores index their names by value");


/* ---- the table --------------------------------------------------------- */

static enum store det_store(hb_detector_param_type_t type)
{
        switch (type) {
        case HB_DETECTOR_PARAM_COUNT:
                return S_U32;
        case HB_DETECTOR_PARAM_MS:
                return S_MS;
        case HB_DETECTOR_PARAM_MS_FRAC:
                return S_MS_NUM;
        case HB_DETECTOR_PARAM_REAL:
                break;
        }
        return S_NUM;
}

static void from_row(const struct row *r, struct knob *out)
{
        snprintf(out->path, sizeof out->path, "%s", r->path);
        out->name = r->path;
        out->unit = r->unit;
        out->min = r->min;
        out->max = r->max;
        out->default_text = r->default_text;
        out->reload = r->reload;
        out->store = r->store;
        out->flags = r->flags;
        out->off = r->off;
        out->addr_off = r->addr_off;
        out->len_off = r->len_off;
        out->help = r->help;
}

/*
 * A detector parameter as a knob: every one reloads, takes its default
 * from hb_node_config_default() (F_DERIVED) and belongs to the kinds
 * that read it (F_FOR()).
 */
static void from_param(const hb_detector_param_t *p, unsigned kinds,
                       struct knob *out)
{
        snprintf(out->path, sizeof out->path, "detector.%s", p->key);
        out->name = NULL;
        out->unit = p->unit;
        out->min = p->min;
        out->max = p->max;
        out->default_text = NULL;
        out->reload = HBD_RELOAD_YES;
        out->store = det_store(p->type);
        out->flags = F_DERIVED | (kinds << F_KIND_SHIFT) |
                     ((p->flags & HB_DETECTOR_PARAM_MIN_OPEN) ? F_MIN_OPEN
                                                               : 0);
        out->off = offsetof(hbd_config_t, node.detector) + p->offset;
        out->addr_off = out->len_off = 0;
        out->help = p->help;
}

/* Static row `k` into `out`; false for a detector slot or k >= K_COUNT. */
static bool row_knob(size_t k, struct knob *out)
{
        if (k < K_DETECTOR) {
                from_row(&head_rows[k], out);
                return true;
        }
        if (k > K_DETECTOR_LAST && k < K_COUNT) {
                from_row(&tail_rows[k - K_DETECTOR_LAST - 1], out);
                return true;
        }
        return false;
}

void hbd__knobs(struct knob out[K_COUNT])
{
        const hb_detector_param_t *p;
        size_t slot = 0;
        unsigned kinds;

        for (size_t k = 0; k < K_COUNT; k++) {
                if (row_knob(k, &out[k]))
                        continue;
                memset(&out[k], 0, sizeof out[k]);
                out[k].flags = F_UNUSED;
                out[k].unit = out[k].help = "";
        }
        for (size_t i = 0;
             (p = hb_detector_param_at(HB_DETECTOR_ALL, i, &kinds)); i++) {
                if (p->flags & HB_DETECTOR_PARAM_EXPERT)
                        continue;
                /* test_config.c checks that the schema fits. */
                assert(slot < HBD_DETECTOR_SLOTS);
                if (slot < HBD_DETECTOR_SLOTS)
                        from_param(p, kinds, &out[K_DETECTOR + slot++]);
        }
}

int hbd__knob_find(const struct knob *knobs, const char *path)
{
        for (size_t k = 0; k < K_COUNT; k++)
                if (strcmp(knobs[k].path, path) == 0)
                        return (int)k;
        return -1;
}

/* Does knob `kn` apply to detector `kind`? */
static bool knob_for_kind(const struct knob *kn, hb_detector_kind_t kind)
{
        unsigned mask = kn->flags & F_KIND_MASK;

        return mask == 0 || (mask & F_FOR(kind)) != 0;
}

/* The knob's path with "[]" replaced by "[index]" for list entries. */
static const char *knob_label(const struct knob *kn, size_t index, char *buf,
                              size_t cap)
{
        const char *br = strstr(kn->path, "[]");

        if (!br) {
                snprintf(buf, cap, "%s", kn->path);
                return buf;
        }
        snprintf(buf, cap, "%.*s[%zu]%s", (int)(br - kn->path), kn->path,
                 index, br + 2);
        return buf;
}

/* ---- pass 2: values ---------------------------------------------------- */

int hbd__knob_apply(struct loader *l, const struct found *f, size_t k,
                    size_t index, void *base, hb_detector_kind_t kind)
{
        const struct knob *kn = &l->knobs[k];
        const yaml_node_t *val = f->val[k];
        char label[96], kinds[96];
        const char *text;
        int r;

        if (kn->flags & F_UNUSED)
                return 0;
        knob_label(kn, index, label, sizeof label);
        if (val && hbd__is_null(val)) {
                /* "key:" with no value is the same as no key, except
                 * for a required one. */
                if (kn->flags & F_REQUIRED)
                        return hbd__fail_at(l, &val->start_mark, -EINVAL,
                                            "%s: no value given", label);
                val = NULL;
        }
        if (!val) {
                if (kn->flags & F_REQUIRED)
                        return hbd__fail_at(l, &f->parent[k], -EINVAL,
                                            "missing required key '%s'",
                                            label);
                if (!kn->default_text)
                        return 0;
                return hbd__store_set(l, kn, label, kn->default_text, NULL,
                                      base);
        }
        if (kn->store == S_ARGV || kn->store == S_STRS)
                return hbd__store_set_argv(l, kn, label, val, base);
        /* classes[].detector as a map: hbd__class_detector() reads it. */
        if (k == K_CLASS_KIND && val->type == YAML_MAPPING_NODE)
                return 0;
        if (!knob_for_kind(kn, kind))
                return hbd__fail_at(l, &f->key[k]->start_mark, -EINVAL,
                                    "%s: only valid with detector.kind %s "
                                    "(kind is %s)", label,
                                    hbd__kinds_text(kn->flags, " or ", kinds,
                                               sizeof kinds),
                                    hb_detector_kind_name(kind));
        r = hbd__scalar_text(l, val, label, &text);
        if (r < 0)
                return r;
        return hbd__store_set(l, kn, label, text, &val->start_mark, base);
}

/*
 * classes[i].detector given as a map (docs/classes.md): `kind` and the
 * top-level detector's keys (detector.*), each checked as there. Sets
 * cfg->node.classes[i] to the kind's defaults at the class's interval
 * (hb_class_config_default()) with the keys given on top; *kind_out is
 * the class's kind (`dflt` without a `kind` key).
 */
int hbd__class_detector(struct loader *l, const yaml_node_t *map, size_t i,
                        hb_detector_kind_t dflt, hbd_config_t *cfg,
                        hb_detector_kind_t *kind_out)
{
        hb_class_config_t *c = &cfg->node.classes[i];
        hb_detector_kind_t kind = dflt;
        const yaml_node_pair_t *pair;
        char where[48], label[128], kinds[96], q[QUOTE_BUF];
        const char *name, *text;
        int r;

        snprintf(where, sizeof where, "classes[%zu].detector", i);
        /* The kind first: the other keys' defaults and validity follow
         * from it. */
        for (pair = map->data.mapping.pairs.start;
             pair < map->data.mapping.pairs.top; pair++) {
                const yaml_node_t *key, *val;

                key = yaml_document_get_node(l->doc, pair->key);
                val = yaml_document_get_node(l->doc, pair->value);
                r = hbd__scalar_text(l, key, where, &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "kind") != 0)
                        continue;
                r = hbd__scalar_text(l, val, where, &text);
                if (r < 0)
                        return r;
                if (hb_detector_kind_parse(text, &kind) < 0)
                        return hbd__fail_at(
                                l, &val->start_mark, -EINVAL,
                                "%s.kind: '%s' is not a detector kind (%s)",
                                where, hbd__quote(text, strlen(text), q),
                                hbd__kinds_text(0, ", ", kinds,
                                                sizeof kinds));
        }
        hb_class_config_default(c, kind, cfg->classes[i].interval_ns);
        for (pair = map->data.mapping.pairs.start;
             pair < map->data.mapping.pairs.top; pair++) {
                const yaml_node_t *key, *val;
                struct knob kn;
                char path[80];
                int k;

                key = yaml_document_get_node(l->doc, pair->key);
                val = yaml_document_get_node(l->doc, pair->value);
                r = hbd__scalar_text(l, key, where, &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "kind") == 0)
                        continue;
                for (const yaml_node_pair_t *o = map->data.mapping.pairs.start;
                     o < pair; o++) {
                        const char *prev;

                        if (hbd__scalar_text(l, yaml_document_get_node(
                                                     l->doc, o->key),
                                             where, &prev) == 0 &&
                            strcmp(prev, name) == 0)
                                return hbd__fail_at(
                                        l, &key->start_mark, -EINVAL,
                                        "duplicate key '%s' in '%s'",
                                        hbd__quote(name, strlen(name), q),
                                        where);
                }
                snprintf(path, sizeof path, "detector.%s", name);
                k = hbd__knob_find(l->knobs, path);
                if (k < K_DETECTOR || k > K_DETECTOR_LAST)
                        return hbd__fail_at(
                                l, &key->start_mark, -EINVAL,
                                "unknown key '%s' in '%s' (the keys of "
                                "detector, and kind)",
                                hbd__quote(name, strlen(name), q), where);
                kn = l->knobs[k];
                snprintf(label, sizeof label, "%s.%s", where, name);
                if (!knob_for_kind(&kn, kind))
                        return hbd__fail_at(
                                l, &key->start_mark, -EINVAL,
                                "%s: only valid with detector kind %s (the "
                                "class's kind is %s)", label,
                                hbd__kinds_text(kn.flags, " or ", kinds,
                                                sizeof kinds),
                                hb_detector_kind_name(kind));
                /* The same parameter, in this class's detector. */
                kn.off += offsetof(hbd_config_t, node.classes[0].detector) -
                          offsetof(hbd_config_t, node.detector) +
                          i * sizeof(hb_class_config_t);
                r = hbd__scalar_text(l, val, label, &text);
                if (r < 0)
                        return r;
                r = hbd__store_set(l, &kn, label, text, &val->start_mark,
                                   cfg);
                if (r < 0)
                        return r;
        }
        *kind_out = kind;
        return 0;
}

/* ---- defaults as text -------------------------------------------------- */

/* Knob `kn`'s derived default for `kind` at an interval of `iv_ms`. */
static double derived_value(const struct knob *kn, hb_detector_kind_t kind,
                            double iv_ms)
{
        hbd_config_t cfg;

        memset(&cfg, 0, sizeof cfg);
        hbd__config_derive(&cfg, kind, (uint64_t)iv_ms * HB_NS_PER_MS);
        return hbd__store_number(kn, &cfg);
}

/*
 * The rule of a derived numeric default, read off the code that applies
 * it: a constant; or r x interval ("interval", "interval / 4", "4 x
 * interval"), plus a constant when there is one ("6 x interval + 1000"),
 * followed by the values it is clamped to at the shortest and longest
 * interval when it is clamped ("2 x interval, 50..3600000"). A rule that
 * is none of these gives its value at an interval of 1000.
 */
static void rule_text(const struct knob *kn, hb_detector_kind_t kind,
                      char *buf, size_t len)
{
        struct knob iv;
        double a, b, c, r, off, lo, hi;
        int n;

        row_knob(K_INTERVAL, &iv);
        a = derived_value(kn, kind, 1000);
        b = derived_value(kn, kind, 2000);
        c = derived_value(kn, kind, 4000);
        if (a == b) {
                snprintf(buf, len, "%.15g", a);
                return;
        }
        r = (b - a) / 1000;
        off = a - 1000 * r;
        if (c - b != 2 * (b - a)) {
                r = a / 1000;
                off = 0;
                n = snprintf(buf, len, "%.15g at an interval of 1000", a);
        } else if (r == 1) {
                n = snprintf(buf, len, "interval");
        } else if (r < 1 && 1 / r == floor(1 / r)) {
                n = snprintf(buf, len, "interval / %.15g", 1 / r);
        } else {
                n = snprintf(buf, len, "%.15g x interval", r);
        }
        if (n > 0 && (size_t)n < len && off != 0)
                n += snprintf(buf + n, len - (size_t)n, " %s %.15g",
                              off > 0 ? "+" : "-", fabs(off));
        lo = derived_value(kn, kind, iv.min);
        hi = derived_value(kn, kind, iv.max);
        if (n > 0 && (size_t)n < len &&
            (lo != r * iv.min + off || hi != r * iv.max + off))
                snprintf(buf + n, len - (size_t)n, ", %.15g..%.15g", lo, hi);
}

void hbd__knob_default_text(const struct knob *kn, hb_detector_kind_t kind,
                            char *buf, size_t len)
{
        struct {
                char text[64];
                unsigned kinds;
        } group[HB_DETECTOR_KIND_END];
        size_t n = 0, used = 0;

        buf[0] = '\0';
        if (!(kn->flags & F_DERIVED)) {
                snprintf(buf, len, "%s", kn->default_text ? kn->default_text
                                                           : "");
                return;
        }
        if (kn->store == S_PATH) {
                hbd__state_file_default(buf, len, "NODE",
                                        kn->off == offsetof(hbd_config_t,
                                                            incarnation_file)
                                        ? "incarnation" : "state");
                return;
        }
        if (kind != HB_DETECTOR_ALL) {
                rule_text(kn, kind, buf, len);
                return;
        }
        /* Every kind the knob applies to; kinds that agree share a text. */
        for (int d = HB_DETECTOR_FIXED; d < HB_DETECTOR_KIND_END; d++) {
                char text[64];
                size_t g;

                if (!knob_for_kind(kn, (hb_detector_kind_t)d))
                        continue;
                rule_text(kn, (hb_detector_kind_t)d, text, sizeof text);
                for (g = 0; g < n && strcmp(group[g].text, text) != 0; g++)
                        ;
                if (g == n) {
                        memcpy(group[n].text, text, sizeof text);
                        group[n++].kinds = 0;
                }
                group[g].kinds |= F_FOR(d);
        }
        for (size_t g = 0; g < n && used < len; g++) {
                char kinds[96];

                if (n == 1) {
                        snprintf(buf, len, "%s", group[g].text);
                        break;
                }
                used += (size_t)snprintf(buf + used, len - used, "%s%s (%s)",
                                         g ? ", " : "", group[g].text,
                                         hbd__kinds_text(group[g].kinds, ", ",
                                                    kinds, sizeof kinds));
        }
}

/*
 * A derived default (4 x interval, ...) may fall outside the range allowed
 * when the knob is written explicitly; say so rather than load it.
 */
int hbd__knob_check_derived(struct loader *l, const struct found *f,
                            size_t k, const hbd_config_t *cfg)
{
        const struct knob *kn = &l->knobs[k];
        const yaml_node_t *at = f->val[K_INTERVAL];
        char range[64], rule[96];
        double v;

        if (!(kn->flags & F_DERIVED) || hbd__given(f, k) ||
            !knob_for_kind(kn, cfg->node.detector.kind))
                return 0;
        if ((kn->flags & F_GOSSIP) &&
            (cfg->topology_kind == NULL ||
             strcmp(cfg->topology_kind, "gossip") != 0))
                return 0;
        v = hbd__store_number(kn, cfg);
        if (!hbd__store_ranged(kn->store) || hbd__in_range(kn, v))
                return 0;
        hbd__knob_default_text(kn, cfg->node.detector.kind, rule,
                               sizeof rule);
        return hbd__fail_at(l, at ? &at->start_mark : NULL, -EINVAL,
                            "%s: the default (%s) for this interval is %.15g, "
                            "out of range (%s); set it explicitly", kn->path,
                            rule, v, hbd__range_text(kn, range, sizeof range));
}

/* ---- the table, described (config.h) ----------------------------------- */

const char *hbd_reload_name(hbd_reload_t reload)
{
        switch (reload) {
        case HBD_RELOAD_YES:
                return "yes";
        case HBD_RELOAD_NO:
                return "no";
        case HBD_RELOAD_NO_ELECTION:
                return "no with election.enabled";
        }
        return "?";
}

/* Knob id of the i-th knob of `knobs`, skipping unused detector slots;
 * K_COUNT past the end. */
static size_t nth_knob(const struct knob *knobs, size_t i)
{
        for (size_t k = 0; k < K_COUNT; k++) {
                if (knobs[k].flags & F_UNUSED)
                        continue;
                if (i-- == 0)
                        return k;
        }
        return K_COUNT;
}

size_t hbd_config_knob_count(void)
{
        struct knob knobs[K_COUNT];
        size_t n = 0;

        hbd__knobs(knobs);
        while (nth_knob(knobs, n) < K_COUNT)
                n++;
        return n;
}

int hbd_config_knob(size_t i, hbd_knob_t *out)
{
        struct knob knobs[K_COUNT];
        const struct knob *kn;
        size_t k;

        if (!out)
                return -EINVAL;
        hbd__knobs(knobs);
        k = nth_knob(knobs, i);
        if (k >= K_COUNT)
                return -EINVAL;
        kn = &knobs[k];
        memset(out, 0, sizeof *out);
        snprintf(out->path, sizeof out->path, "%s", kn->path);
        out->type = hbd__store_type(kn->store);
        out->unit = kn->unit;
        out->numeric = hbd__store_ranged(kn->store);
        if (out->numeric) {
                out->min = kn->min;
                out->max = kn->max;
                out->min_open = (kn->flags & F_MIN_OPEN) != 0;
                hbd__range_text(kn, out->range, sizeof out->range);
        } else {
                hbd__store_values(kn, out->range, sizeof out->range);
        }
        out->required = (kn->flags & F_REQUIRED) != 0;
        out->derived = (kn->flags & F_DERIVED) != 0;
        hbd__knob_default_text(kn, HB_DETECTOR_ALL, out->default_text,
                               sizeof out->default_text);
        out->election_only = (kn->flags & F_COORD) != 0;
        out->realtime_only = (kn->flags & F_REALTIME) != 0;
        out->kinds = (kn->flags & F_KIND_MASK) >> F_KIND_SHIFT;
        out->reload = kn->reload;
        out->help = kn->help;
        return 0;
}
