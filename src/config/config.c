/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration loader (contract: config.h).
 *
 * The YAML text is loaded as one document with libyaml's document API
 * (yaml_parser_load()), so that every node carries its position, and then
 * read in two passes driven by the knob table (config_impl.h, with the
 * detector parameters of the core's schema; struct loader.knobs):
 *
 * 1. walk():  structure only. Every key is matched against the table
 *             (unknown and duplicate keys fail here, in file order), and the
 *             value node of each knob is remembered in a `struct found`.
 * 2. apply:   values. heartbeat.interval_ms and detector.kind first, then
 *             hbd__config_derive() for that kind and interval (so the
 *             derived defaults follow the interval), then every other knob
 *             in table order: parse the value found, or the table's default
 *             text, or fail when the knob is required. Then the peers, the
 *             cross-field checks, the files (notify script, key file) and
 *             finally hb_node_config_validate() as a safety net.
 *
 * What lives here: the public entry points (hbd_config_load*(),
 * hbd_config_free(), hbd_config_reloadable(), hbd_config_peer()), YAML
 * document loading, pass 1, the load_document() flow that runs pass 2, and
 * the message and YAML helpers every part uses (hbd__fail_at(),
 * hbd__quote(), ...), and the derived defaults (hbd__config_derive()).
 * Pass 2 itself is in config_knobs.c (one knob's value), config_lists.c
 * (peers[], checks[], vips[]) and config_rules.c (cross-field and file
 * checks). Callers: hbeatd (start, SIGHUP) and hbeatctl (check-config,
 * -c).
 *
 * Nothing is applied to a running daemon here: the result is a complete new
 * hbd_config_t or nothing (parse, validate, then apply all or nothing).
 *
 * Parser state lives in `struct loader` on the stack: no globals. Secrets:
 * the key file text is wiped before it is freed (config_rules.c); the key
 * itself lives only in hbd_config_t.node.key and is wiped by
 * hbd_config_free().
 */
#include "config/config_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"

/* ---- messages ---------------------------------------------------------- */

/*
 * Write "NAME:LINE:COL: message" (or "NAME: message" without a mark) and
 * return `code`. libyaml marks are 0-based; messages are 1-based.
 */
int hbd__fail_at(struct loader *l, const yaml_mark_t *mark, int code,
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
 * is cut at QUOTE_MAX bytes with "...". `out` holds QUOTE_BUF bytes.
 */
const char *hbd__quote(const char *text, size_t len, char *out)
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

/* ---- YAML nodes and paths ---------------------------------------------- */

const char *hbd__node_type_name(const yaml_node_t *n)
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
bool hbd__is_null(const yaml_node_t *n)
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

bool hbd__given(const struct found *f, size_t k)
{
        return f->val[k] && !hbd__is_null(f->val[k]);
}

/* A scalar's text, refusing embedded NULs ("\0" escapes). */
int hbd__scalar_text(struct loader *l, const yaml_node_t *n,
                     const char *label, const char **text)
{
        char q[QUOTE_BUF];

        if (n->type != YAML_SCALAR_NODE)
                return hbd__fail_at(l, &n->start_mark, -EINVAL,
                                    "%s: expected a scalar, found %s", label,
                                    hbd__node_type_name(n));
        if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
                return hbd__fail_at(l, &n->start_mark, -EINVAL,
                                    "%s: '%s' contains a NUL character",
                                    label,
                                    hbd__quote((const char *)
                                                       n->data.scalar.value,
                                               n->data.scalar.length, q));
        *text = (const char *)n->data.scalar.value;
        return 0;
}

char *hbd__join_path(const char *dir, const char *rel)
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

/* ---- pass 1: structure ------------------------------------------------- */

/* Leaf knob whose path is prefix + key, or -1. */
static int match_leaf(const struct loader *l, const char *prefix,
                      const char *key)
{
        size_t plen = strlen(prefix);

        if (strpbrk(key, ".[]"))
                return -1;
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = l->knobs[k].path;

                if (strncmp(path, prefix, plen) == 0 &&
                    strcmp(path + plen, key) == 0)
                        return (int)k;
        }
        return -1;
}

/* Is `key` under `prefix` a mapping of knobs ("classes[]." + "adaptive":
 * classes[].adaptive.min_interval_ms, ...)? */
static bool sub_mapping(const struct loader *l, const char *prefix,
                        const char *key)
{
        size_t plen = strlen(prefix), klen = strlen(key);

        if (strpbrk(key, ".[]"))
                return false;
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = l->knobs[k].path;

                if (strncmp(path, prefix, plen) == 0 &&
                    strncmp(path + plen, key, klen) == 0 &&
                    path[plen + klen] == '.')
                        return true;
        }
        return false;
}

/*
 * First knob of the top-level section `key` ("node" -> node.name), or -1;
 * `*is_seq` tells a sequence section ("peers[].") from a mapping ("node.").
 */
static int match_section(const struct loader *l, const char *key,
                         bool *is_seq)
{
        size_t len = strlen(key);

        if (len == 0 || strpbrk(key, ".[]"))
                return -1;
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = l->knobs[k].path;

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
int hbd__walk(struct loader *l, struct found *f, const yaml_node_t *map,
              const char *prefix, const char *where,
              const yaml_mark_t *parent)
{
        size_t plen = strlen(prefix);
        char q[QUOTE_BUF], label[96];
        int r;

        /* At the top level every knob defaults to the document's start;
         * a section refines it for its own knobs. */
        for (size_t k = 0; k < K_COUNT; k++) {
                const char *path = l->knobs[k].path;

                if (plen == 0 || (strncmp(path, prefix, plen) == 0 &&
                                  !strpbrk(path + plen, ".[")))
                        f->parent[k] = *parent;
        }
        if (hbd__is_null(map))
                return 0;
        if (map->type != YAML_MAPPING_NODE) {
                if (!where)
                        return hbd__fail_at(l, &map->start_mark, -EINVAL,
                                            "expected a mapping at the top "
                                            "level, found %s",
                                            hbd__node_type_name(map));
                return hbd__fail_at(l, &map->start_mark, -EINVAL,
                                    "%s: expected a mapping, found %s", where,
                                    hbd__node_type_name(map));
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
                        return hbd__fail_at(l, &map->start_mark, -EINVAL,
                                            "malformed mapping");
                if (key->type != YAML_SCALAR_NODE)
                        return hbd__fail_at(l, &key->start_mark, -EINVAL,
                                            "a key must be a scalar, found %s",
                                            hbd__node_type_name(key));
                r = hbd__scalar_text(l, key, where ? where : "key", &name);
                if (r < 0)
                        return r;
                hbd__quote(name, strlen(name), q);

                k = match_leaf(l, prefix, name);
                if (k >= 0) {
                        prev = f->key[k];
                        if (prev)
                                goto duplicate;
                        f->key[k] = key;
                        f->val[k] = val;
                        continue;
                }
                s = plen == 0 ? match_section(l, name, &is_seq) : -1;
                if (s < 0 && plen > 0 && sub_mapping(l, prefix, name)) {
                        /* A mapping inside a section or list entry
                         * (classes[].adaptive): its keys are knobs
                         * "prefix.name.key". */
                        char sub[KNOB_PATH_MAX], at[96];

                        snprintf(sub, sizeof sub, "%s%s.", prefix, name);
                        snprintf(at, sizeof at, "%s.%s", where ? where : "",
                                 name);
                        r = hbd__walk(l, f, val, sub, at, &key->start_mark);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (s < 0) {
                        if (!where)
                                return hbd__fail_at(l, &key->start_mark,
                                                    -EINVAL,
                                                    "unknown top-level key "
                                                    "'%s'", q);
                        return hbd__fail_at(l, &key->start_mark, -EINVAL,
                                            "unknown key '%s' in '%s'", q,
                                            where);
                }
                prev = f->sect_key[s];
                if (prev)
                        goto duplicate;
                f->sect_key[s] = key;
                f->sect_val[s] = val;
                if (is_seq)
                        continue;       /* entries are walked in pass 2 */
                snprintf(label, sizeof label, "%s.", name);
                r = hbd__walk(l, f, val, label, name, &key->start_mark);
                if (r < 0)
                        return r;
                continue;
duplicate:
                if (!where)
                        return hbd__fail_at(l, &key->start_mark, -EINVAL,
                                            "duplicate key '%s' (also at line "
                                            "%zu)", q,
                                            prev->start_mark.line + 1);
                return hbd__fail_at(l, &key->start_mark, -EINVAL,
                                    "duplicate key '%s' in '%s' (also at line "
                                    "%zu)", q, where,
                                    prev->start_mark.line + 1);
        }
        return 0;
}

/* ---- the document ------------------------------------------------------ */

/* Deepest nesting of mappings and sequences a configuration may have.
 * The schema's deepest path is a handful of levels; the bound is there
 * because libyaml's document loader takes time quadratic in the depth
 * (40,000 nested '[' took 4 s: review F10). */
#define MAX_DEPTH 32

/*
 * Refuse a document nested deeper than MAX_DEPTH before libyaml builds
 * it: one linear pass over the parser's events. A syntax error stops the
 * pass without an error of its own; the load that follows reports it as
 * always. 0, or -EINVAL (reported at the offending node), or -ENOMEM.
 */
static int check_depth(struct loader *l, const char *text, size_t len)
{
        yaml_parser_t parser;
        yaml_event_t ev;
        int depth = 0, r = 0;

        if (!yaml_parser_initialize(&parser))
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                                     len);
        while (r == 0 && yaml_parser_parse(&parser, &ev)) {
                yaml_event_type_t t = ev.type;

                if (t == YAML_SEQUENCE_START_EVENT ||
                    t == YAML_MAPPING_START_EVENT) {
                        if (++depth > MAX_DEPTH)
                                r = hbd__fail_at(l, &ev.start_mark, -EINVAL,
                                                 "nested deeper than %d "
                                                 "levels (no setting is)",
                                                 MAX_DEPTH);
                } else if (t == YAML_SEQUENCE_END_EVENT ||
                           t == YAML_MAPPING_END_EVENT) {
                        depth--;
                }
                yaml_event_delete(&ev);
                if (t == YAML_STREAM_END_EVENT)
                        break;
        }
        yaml_parser_delete(&parser);
        return r;
}

/* Report a libyaml parse error at its position. */
static int yaml_fail(struct loader *l, const yaml_parser_t *p,
                     const char *text, size_t len)
{
        yaml_mark_t m;

        if (p->error == YAML_MEMORY_ERROR)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
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
                        return hbd__fail_at(l, &m, -EINVAL, "%s (byte 0x%02x)",
                                            p->problem ? p->problem
                                                  : "invalid input",
                                            (unsigned)p->problem_value);
                return hbd__fail_at(l, &m, -EINVAL, "%s",
                                    p->problem ? p->problem : "invalid input");
        }
        if (p->context)
                return hbd__fail_at(l, &p->problem_mark, -EINVAL,
                                    "%s (%s at line %zu, column %zu)",
                                    p->problem ? p->problem : "syntax error",
                                    p->context, p->context_mark.line + 1,
                                    p->context_mark.column + 1);
        return hbd__fail_at(l, &p->problem_mark, -EINVAL, "%s",
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
        abs = strcmp(dir, ".") == 0 ? strdup(cwd) : hbd__join_path(cwd, dir);
        free(dir);
        return abs;
}

void hbd__config_derive(hbd_config_t *cfg, hb_detector_kind_t kind,
                        uint64_t interval_ns)
{
        /* Every derived default, membership.local_pause_ms's included,
         * is the core's. */
        hb_node_config_default(&cfg->node, kind, interval_ns);
        cfg->push_pull_interval_ns = 30 * interval_ns;
        cfg->fence_two_node_delay_ns =
                hb_policy_two_node_delay_default(interval_ns);
}

/* The nonce randomness of AEAD keys (hb_node_config_t.random): the core
 * draws none itself. libsodium's CSPRNG (getrandom()). */
static void random_bytes(void *user, uint8_t *buf, size_t len)
{
        (void)user;
        randombytes_buf(buf, len);
}

static int load_document(struct loader *l, hbd_config_t *cfg,
                         const yaml_node_t *root)
{
        struct found *f;
        yaml_mark_t top;
        hb_detector_kind_t kind;
        int r;

        f = calloc(1, sizeof *f);
        if (!f)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        memset(&top, 0, sizeof top);
        /* An empty document has no node: every knob is then missing, and
         * reported at 1:1. */
        if (root) {
                top = root->start_mark;
                r = hbd__walk(l, f, root, "", NULL, &top);
                if (r < 0)
                        goto out;
        }

        /* Interval and kind first: the other defaults depend on them. */
        for (size_t k = 0; k < K_COUNT; k++) {
                if (!(l->knobs[k].flags & F_FIRST))
                        continue;
                r = hbd__knob_apply(l, f, k, 0, cfg, HB_DETECTOR_PHI);
                if (r < 0)
                        goto out;
        }
        kind = cfg->node.detector.kind;
        hbd__config_derive(cfg, kind, cfg->node.interval_ns);
        cfg->node.random = random_bytes;

        for (size_t k = 0; k < K_COUNT; k++) {
                if (l->knobs[k].flags & (F_FIRST | F_LIST | F_UNUSED))
                        continue;
                r = hbd__knob_apply(l, f, k, 0, cfg, kind);
                if (r < 0)
                        goto out;
        }
        for (size_t k = 0; k < K_COUNT; k++) {
                r = hbd__knob_check_derived(l, f, k, cfg);
                if (r < 0)
                        goto out;
        }
        r = hbd__check_thresholds(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__load_links(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__load_classes(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__load_peers(l, f->sect_val[K_PEER_NAME], cfg);
        if (r < 0)
                goto out;
        r = hbd__derive_incarnation_file(l, cfg);
        if (r < 0)
                goto out;
        r = hbd__check_coord(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__check_topology(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__check_realtime(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__check_timezone(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__load_checks(l, f->sect_val[K_CHECK_NAME], cfg);
        if (r < 0)
                goto out;
        r = hbd__load_vips(l, f->sect_key[K_VIP_ADDRESS],
                           f->sect_val[K_VIP_ADDRESS], cfg);
        if (r < 0)
                goto out;
        r = hbd__check_script(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__check_daemon_user(l, f, cfg);
        if (r < 0)
                goto out;
        r = hbd__load_push_tokens(l, cfg, !(l->flags & HBD_CONFIG_NO_KEY));
        if (r < 0)
                goto out;
        r = hbd__load_keys(l, f, cfg, !(l->flags & HBD_CONFIG_NO_KEY));
        if (r < 0)
                goto out;
        r = hbd__check_events(l, f, cfg, !(l->flags & HBD_CONFIG_NO_KEY));
        if (r < 0)
                goto out;
        if (hb_node_config_validate(&cfg->node) < 0)
                r = hbd__fail_at(l, NULL, -EINVAL, "configuration rejected by "
                                 "libhbeat (hb_node_config_validate)");
out:
        free(f);
        return r;
}

static int load_string(hbd_config_t **ret, const char *name,
                       const char *text, size_t len, unsigned flags,
                       char *err, size_t errlen)
{
        struct loader l = { .name = name ? name : "<config>", .err = err,
                            .errlen = errlen, .flags = flags };
        struct knob knobs[K_COUNT];
        yaml_parser_t parser;
        yaml_document_t doc, extra;
        hbd_config_t *cfg = NULL;
        const yaml_node_t *root;
        int r;

        if (!ret || (!text && len > 0))
                return -EINVAL;
        if (!text)
                text = "";
        hbd__knobs(knobs);
        l.knobs = knobs;

        cfg = calloc(1, sizeof *cfg);
        if (cfg)
                cfg->path = strdup(l.name);
        l.dir = config_dir(l.name);
        if (!cfg || !cfg->path || !l.dir) {
                r = hbd__fail_at(&l, NULL, -ENOMEM, "out of memory");
                goto out;
        }
        r = check_depth(&l, text, len);
        if (r < 0)
                goto out;
        if (!yaml_parser_initialize(&parser)) {
                r = hbd__fail_at(&l, NULL, -ENOMEM, "out of memory");
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
                r = hbd__fail_at(&l, &root->start_mark, -EINVAL,
                                 "only one YAML document is allowed");
        } else {
                l.doc = &doc;
                root = yaml_document_get_root_node(&doc);
                if (root && hbd__is_null(root))
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

/* ---- entry points (config.h) ------------------------------------------- */

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
                return hbd__fail_at(&l, NULL, r, "cannot read: %s",
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
        for (size_t i = 0; i < cfg->n_peers; i++) {
                free(cfg->peers[i].address);
                hbd__argv_free(cfg->peers[i].addresses);
                free(cfg->peers[i].pull);
                free(cfg->peers[i].pull_check.url);
                free(cfg->peers[i].pull_check.target);
                free(cfg->peers[i].pull_check.target_host);
                free(cfg->peers[i].push);
                free(cfg->peers[i].token_file);
                free(cfg->peers[i].between);
                free(cfg->peers[i].days);
                hb_key_wipe(&cfg->peers[i].push_key);
        }
        free(cfg->peers);
        for (size_t i = 0; i < cfg->n_checks; i++) {
                hbd__argv_free(cfg->checks[i].argv);
                free(cfg->checks[i].target);
                free(cfg->checks[i].target_host);
                free(cfg->checks[i].url);
                free(cfg->checks[i].between);
                free(cfg->checks[i].days);
        }
        free(cfg->checks);
        for (size_t i = 0; i < cfg->n_vips; i++) {
                free(cfg->vips[i].address);
                free(cfg->vips[i].interface);
                hbd__argv_free(cfg->vips[i].up);
                hbd__argv_free(cfg->vips[i].down);
        }
        free(cfg->vips);
        hbd__argv_free(cfg->resource_start);
        hbd__argv_free(cfg->resource_stop);
        hbd__argv_free(cfg->fence_command);
        hbd__argv_free(cfg->fence_self);
        free(cfg->watchdog);
        free(cfg->path);
        free(cfg->listen);
        free(cfg->key_file);
        free(cfg->notify_script);
        free(cfg->notify_on_leader);
        free(cfg->notify_on_follower);
        free(cfg->notify_on_no_quorum);
        free(cfg->election_state_file);
        free(cfg->topology_kind);
        hbd__argv_free(cfg->topology_monitors);
        hbd__argv_free(cfg->topology_seeds);
        free(cfg->gossip_seed_addr);
        free(cfg->gossip_advertise);
        free(cfg->incarnation_file);
        free(cfg->control_socket);
        free(cfg->http_listen);
        free(cfg->events.listen);
        free(cfg->events.key_file);
        hb_key_wipe(&cfg->events.key);
        free(cfg->daemon.user);
        free(cfg->daemon.group);
        free(cfg->daemon.key_group);
        free(cfg->daemon.timezone);
        free(cfg->realtime.cpus);
        for (size_t i = 0; i < cfg->n_keys; i++)
                free(cfg->keys[i].file);
        free(cfg->keys);
        for (size_t i = 0; i < cfg->n_links; i++) {
                free(cfg->links[i].listen);
                free(cfg->links[i].interface);
                free(cfg->links[i].device);
                free(cfg->links[i].tty);
                free(cfg->links[i].group);
        }
        free(cfg->links);
        free(cfg->classes);
        hb_key_wipe(&cfg->node.key);
        hb_keyring_wipe(&cfg->node.keyring);
        free(cfg);
}

/* A list section as hbd_config_reloadable() compares it. */
static const struct list_view {
        unsigned flag;          /* F_PEER, ... of its rows */
        const char *name;       /* reported when HBD_RELOAD_NO rows differ */
        const char *set_what;   /* reported when the set of entries
                                   changes (HBD_RELOAD_NO_ELECTION on the
                                   key row) */
        size_t arr_off, n_off, size;
        size_t key;             /* the row that identifies an entry (the
                                   peer id), or K_COUNT: by position */
} list_views[] = {
        { F_PEER, "peers", "the set of peers (with election.enabled)",
          offsetof(hbd_config_t, peers), offsetof(hbd_config_t, n_peers),
          sizeof(hbd_peer_conf_t), K_PEER_ID },
        { F_CHECK, "checks", "the set of checks",
          offsetof(hbd_config_t, checks), offsetof(hbd_config_t, n_checks),
          sizeof(hbd_check_conf_t), K_COUNT },
        { F_VIP, "vips", "the set of vips", offsetof(hbd_config_t, vips),
          offsetof(hbd_config_t, n_vips), sizeof(hbd_vip_conf_t), K_COUNT },
        { F_LINK, "links", "the set of links",
          offsetof(hbd_config_t, links), offsetof(hbd_config_t, n_links),
          sizeof(hbd_link_conf_t), K_COUNT },
        { F_CLASS, "classes", "the set of classes",
          offsetof(hbd_config_t, classes), offsetof(hbd_config_t, n_classes),
          sizeof(hbd_class_conf_t), K_COUNT },
};

static const char *entry(const hbd_config_t *cfg, const struct list_view *v,
                         size_t i)
{
        return *(char *const *)(const void *)((const char *)cfg + v->arr_off) +
               i * v->size;
}

static size_t entries(const hbd_config_t *cfg, const struct list_view *v)
{
        return *(const size_t *)(const void *)((const char *)cfg + v->n_off);
}

/* The entry of `cfg` with the same key as `e`, or NULL. */
static const char *entry_like(const struct knob *knobs,
                              const hbd_config_t *cfg,
                              const struct list_view *v, const char *e)
{
        for (size_t i = 0; i < entries(cfg, v); i++)
                if (hbd__knob_equal(&knobs[v->key], entry(cfg, v, i), e))
                        return entry(cfg, v, i);
        return NULL;
}

/*
 * List knob `k` of list `v` unchanged from `cur` to `next`? By position
 * for HBD_RELOAD_NO (the list as a whole, `*what` its name); for
 * HBD_RELOAD_NO_ELECTION, entries matched by key: the key row says the
 * set is the same, another row that each entry's value is.
 */
static bool list_same(const struct knob *knobs, const struct list_view *v,
                      size_t k, const hbd_config_t *cur,
                      const hbd_config_t *next, const char **what)
{
        hbd_reload_t rule = knobs[k].reload;
        size_t n = entries(next, v);

        if (rule == HBD_RELOAD_NO || k == v->key) {
                *what = rule == HBD_RELOAD_NO ? v->name : v->set_what;
                if (entries(cur, v) != n)
                        return false;
        }
        for (size_t i = 0; i < n; i++) {
                const char *b = entry(next, v, i);
                const char *a = rule == HBD_RELOAD_NO || v->key == K_COUNT
                                        ? entry(cur, v, i)
                                        : entry_like(knobs, cur, v, b);

                if (a == NULL) {
                        *what = v->set_what;
                        return false;
                }
                if (!hbd__knob_equal(&knobs[k], a, b))
                        return false;
        }
        return true;
}

bool hbd_config_reloadable(const hbd_config_t *cur, const hbd_config_t *next,
                           const char **what)
{
        static const hbd_reload_t rules[] = { HBD_RELOAD_NO,
                                              HBD_RELOAD_NO_ELECTION };
        const char *why = "config";
        struct knob knobs[K_COUNT];

        if (!cur || !next)
                goto refused;
        hbd__knobs(knobs);
        /*
         * The quorum is fixed while the daemon runs (HBD_RELOAD_NO_ELECTION:
         * a vote counted here and not there could make two majorities);
         * every node restarts with the new peers and votes instead, one
         * at a time.
         */
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
                if (rules[r] == HBD_RELOAD_NO_ELECTION &&
                    !next->node.coord.enabled)
                        break;
                for (size_t k = 0; k < K_COUNT; k++) {
                        const struct knob *kn = &knobs[k];
                        const struct list_view *v = NULL;

                        if ((kn->flags & F_UNUSED) || kn->reload != rules[r])
                                continue;
                        /* Gossip's knobs, derived from the interval,
                         * are unused in the other topologies (a change
                         * of topology.kind is refused by its own row). */
                        if ((kn->flags & F_GOSSIP) &&
                            cur->node.topology != HB_TOPOLOGY_GOSSIP &&
                            next->node.topology != HB_TOPOLOGY_GOSSIP)
                                continue;
                        for (size_t i = 0; i < sizeof list_views /
                                                       sizeof list_views[0];
                             i++)
                                if (kn->flags & list_views[i].flag)
                                        v = &list_views[i];
                        /* Only table rows (static names) are not
                         * HBD_RELOAD_YES. */
                        why = kn->name;
                        if (v ? !list_same(knobs, v, k, cur, next, &why)
                              : !hbd__knob_equal(kn, cur, next))
                                goto refused;
                }
        }
        return true;
refused:
        if (what)
                *what = why;
        return false;
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
