/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: the list sections (contract: config_impl.h).
 *
 * What lives here: the peers[] sequence (each entry walked and its knobs
 * set like the top level's, then checked against this node and the other
 * entries: id, name and address unique; a pull peer's probe), and the
 * checks[] and vips[] sequences (load_list(): each entry walked, its knobs
 * set, then the section's own rules: the keys a check kind needs and only
 * those, targets and URLs, VIP addresses and providers, unique names and
 * addresses).
 *
 * Called by load_document() in config.c, after every top-level knob is set
 * (so cfg holds this node's id, name, listen address and whether election
 * is enabled).
 */
#include "config/config_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/push.h"
#include "common/util.h"

/* Positions of one peer's values, for "also at line N". */
struct peer_marks {
        yaml_mark_t name, id, address;
};

static int split_target(struct loader *l, const yaml_mark_t *mark,
                        const char *where, const char *key,
                        hbd_check_conf_t *c);

/* A non-empty sequence, or 0 elements (absent, null, empty). */
static int list_items(struct loader *l, const yaml_node_t *seq,
                      const char *name, size_t *n)
{
        *n = 0;
        if (!seq || hbd__is_null(seq))
                return 0;
        if (seq->type != YAML_SEQUENCE_NODE)
                return hbd__fail_at(l, &seq->start_mark, -EINVAL,
                                    "%s: expected a sequence, found %s",
                                    name, hbd__node_type_name(seq));
        *n = (size_t)(seq->data.sequence.items.top -
                      seq->data.sequence.items.start);
        return 0;
}

/*
 * The loop every list section shares (peers[], checks[], vips[]): a
 * sequence of mappings, each walked for its own keys ("NAME[].key") and
 * its knobs applied to element i of *array, then `item` runs the
 * section's own checks (which may compare with elements [0, i)).
 * Allocates *array with n elements of `size` bytes and sets *count; the
 * caller frees them with the config.
 */
struct list_spec {
        const char *name;       /* "checks" */
        const char *prefix;     /* "checks[]." */
        unsigned flag;          /* knob flag of the section's rows */
        size_t size;            /* bytes per element */
        size_t line_off;        /* offsetof(element, line) */
        int (*item)(struct loader *l, const struct found *pf,
                    hbd_config_t *cfg, size_t i, const char *where,
                    void *ctx);
        const char *election;   /* why the section needs election.enabled,
                                   or NULL when it does not */
};

/* The list section `seq` (its key `key`, NULL if absent or unknown);
 * `ctx` is passed to spec->item. */
static int load_list(struct loader *l, const yaml_node_t *key,
                     const yaml_node_t *seq, hbd_config_t *cfg,
                     const struct list_spec *spec, void **array,
                     size_t *count, void *ctx)
{
        struct found *pf;
        char *elems;
        size_t n;
        int r = list_items(l, seq, spec->name, &n);

        if (r < 0 || n == 0)
                return r;
        if (spec->election && !cfg->node.coord.enabled)
                return hbd__fail_at(l, key ? &key->start_mark
                                           : &seq->start_mark, -EINVAL,
                                    "%s: only used with election.enabled: "
                                    "true (%s)", spec->name, spec->election);
        elems = calloc(n, spec->size);
        pf = malloc(sizeof *pf);
        if (!elems || !pf) {
                free(elems);
                free(pf);
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        }
        *array = elems;
        *count = n;
        for (size_t i = 0; i < n; i++) {
                const yaml_node_t *item = yaml_document_get_node(
                        l->doc, seq->data.sequence.items.start[i]);
                char *e = elems + i * spec->size;
                char where[32];

                snprintf(where, sizeof where, "%s[%zu]", spec->name, i);
                if (!item || item->type != YAML_MAPPING_NODE) {
                        r = hbd__fail_at(l, item ? &item->start_mark : NULL,
                                         -EINVAL, "%s: expected a mapping, "
                                         "found %s", where,
                                         item ? hbd__node_type_name(item)
                                              : "nothing");
                        break;
                }
                memset(pf, 0, sizeof *pf);
                r = hbd__walk(l, pf, item, spec->prefix, where,
                              &item->start_mark);
                if (r < 0)
                        break;
                *(int *)(void *)(e + spec->line_off) =
                        (int)item->start_mark.line + 1;
                for (size_t k = 0; k < K_COUNT && r >= 0; k++)
                        if (l->knobs[k].flags & spec->flag)
                                r = hbd__knob_apply(l, pf, k, i, e,
                                                    HB_DETECTOR_PHI);
                if (r < 0)
                        break;
                r = spec->item(l, pf, cfg, i, where, ctx);
                if (r < 0)
                        break;
        }
        free(pf);
        return r;
}

/*
 * A schedule's window from `between` and `days` (either may be NULL)
 * into *w; `bk` and `dk` are their knobs, for messages.
 */
static int load_window(struct loader *l, const struct found *pf,
                       const char *where, const char *between,
                       const char *days, size_t bk, size_t dk,
                       hbs_window_t *w)
{
        const char *kb = strrchr(l->knobs[bk].path, '.') + 1;
        const char *kd = strrchr(l->knobs[dk].path, '.') + 1;
        char q[QUOTE_BUF];

        w->set = false;
        w->start_min = 0;
        w->end_min = 1440;
        w->days = HBS_ALL_DAYS;
        if (between && hbs_parse_between(between, w) < 0)
                return hbd__fail_at(l, &pf->val[bk]->start_mark, -EINVAL,
                                    "%s.%s: '%s' is not a daily window "
                                    "HH:MM-HH:MM (08:00-18:00; 22:00-06:00 "
                                    "crosses midnight; start and end "
                                    "differ)", where, kb,
                                    hbd__quote(between, strlen(between), q));
        if (days && hbs_parse_days(days, w) < 0)
                return hbd__fail_at(l, &pf->val[dk]->start_mark, -EINVAL,
                                    "%s.%s: '%s' is not a list of days "
                                    "(mon-fri, sat,sun, mon,wed-fri, daily)",
                                    where, kd,
                                    hbd__quote(days, strlen(days), q));
        return 0;
}

/*
 * A pull peer (peers[].pull): its probe, a check of kind http (GET, 200)
 * or tcp (connect) run every heartbeat interval with a timeout of one
 * interval, each success a heartbeat (checks.c). Votes default to 0: a
 * polled service takes no part in the quorum.
 */
static int load_pull(struct loader *l, const struct found *pf,
                     hbd_config_t *cfg, hbd_peer_conf_t *peer,
                     const char *where)
{
        const yaml_mark_t *mark = &pf->val[K_PEER_PULL]->start_mark;
        hbd_check_conf_t *c = &peer->pull_check;
        const char *u = peer->pull;
        char q[QUOTE_BUF];

        peer->address = strdup(u);
        if (!peer->address)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        snprintf(c->name, sizeof c->name, "%s", peer->name);
        c->peer_id = peer->id;
        c->interval_ns = cfg->node.interval_ns;
        c->timeout_ns = cfg->node.interval_ns;
        c->rise = c->fall = 1;
        c->line = peer->line;
        if (strchr(u, ' ') || strchr(u, '\t'))
                return hbd__fail_at(l, mark, -EINVAL, "%s.pull: '%s' "
                                    "contains a space", where,
                                    hbd__quote(u, strlen(u), q));
        if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) {
                c->kind = HBD_CHECK_HTTP;
                c->expect_status = 200;
                c->url = strdup(u);
                if (!c->url)
                        return hbd__fail_at(l, NULL, -ENOMEM,
                                            "out of memory");
        } else if (strncmp(u, "tcp://", 6) == 0 ||
                   strncmp(u, "udp://", 6) == 0) {
                c->kind = u[0] == 't' ? HBD_CHECK_TCP : HBD_CHECK_UDP;
                c->target = strdup(u + 6);
                if (!c->target)
                        return hbd__fail_at(l, NULL, -ENOMEM,
                                            "out of memory");
                return split_target(l, mark, where, "pull", c);
        } else {
                return hbd__fail_at(l, mark, -EINVAL, "%s.pull: '%s' is not "
                                    "an http://, https://, tcp:// or udp:// "
                                    "URL",
                                    where, hbd__quote(u, strlen(u), q));
        }
        return 0;
}

/*
 * peers[i].addresses (with links): one HOST:PORT per link, in the order
 * of links; the first is also the peer's `address` (messages, status,
 * duplicate checks).
 */
static int peer_addresses(struct loader *l, const struct found *pf,
                          hbd_config_t *cfg, hbd_peer_conf_t *peer,
                          const char *where)
{
        const yaml_node_t *seq = pf->val[K_PEER_ADDRESSES];
        size_t n = 0;
        char q[QUOTE_BUF], why[160];

        while (peer->addresses[n])
                n++;
        if (n != cfg->n_links)
                return hbd__fail_at(l, &seq->start_mark, -EINVAL,
                                    "%s.addresses: %zu address%s for %zu "
                                    "links: give the peer's address on "
                                    "every link, in the order of links", where,
                                    n, n == 1 ? "" : "es", cfg->n_links);
        for (size_t k = 0; k < n; k++) {
                const yaml_node_t *item = yaml_document_get_node(
                        l->doc, seq->data.sequence.items.start[k]);
                const char *a = peer->addresses[k];
                socklen_t len;

                if (cfg->links[k].tty) {
                        /* A serial link: the one peer on the cable. */
                        if (strcmp(a, "serial") != 0)
                                return hbd__fail_at(
                                        l, item ? &item->start_mark
                                                : &seq->start_mark,
                                        -EINVAL, "%s.addresses[%zu]: link "
                                        "%s is a serial link: write "
                                        "'serial'", where, k,
                                        cfg->links[k].name);
                        if (++cfg->links[k].serial_peers > 1)
                                return hbd__fail_at(
                                        l, item ? &item->start_mark
                                                : &seq->start_mark,
                                        -EINVAL, "%s: serial link %s is "
                                        "point-to-point: only one peer "
                                        "can be on it", where,
                                        cfg->links[k].name);
                        memset(&peer->link_addr[k], 0,
                               sizeof(peer->link_addr[k]));
                        continue;
                }
                if (cfg->links[k].device) {
                        /* A disk link: the peer's slot, by its id. */
                        if (strcmp(a, "disk") != 0)
                                return hbd__fail_at(
                                        l, item ? &item->start_mark
                                                : &seq->start_mark,
                                        -EINVAL, "%s.addresses[%zu]: link "
                                        "%s is a disk link: write 'disk'",
                                        where, k, cfg->links[k].name);
                        if (peer->id == 0 || peer->id > cfg->links[k].slots)
                                return hbd__fail_at(
                                        l, item ? &item->start_mark
                                                : &seq->start_mark,
                                        -EINVAL, "%s: id %u has no slot on "
                                        "disk link %s (slots: %u)", where,
                                        (unsigned)peer->id,
                                        cfg->links[k].name,
                                        (unsigned)cfg->links[k].slots);
                        memset(&peer->link_addr[k], 0,
                               sizeof(peer->link_addr[k]));
                        continue;
                }

                if (hbu_parse_address(a, &peer->link_addr[k], &len, why,
                                      sizeof why) < 0) {
                        for (char *c = why; *c; c++)
                                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                        *c = '?';
                        return hbd__fail_at(
                                l, item ? &item->start_mark
                                        : &seq->start_mark,
                                -EINVAL, "%s.addresses[%zu] (link %s): bad "
                                "address '%s': %s (expected HOST:PORT or "
                                "[V6]:PORT)", where, k, cfg->links[k].name,
                                hbd__quote(a, strlen(a), q), why);
                }
                if (k == 0) {
                        peer->addr = peer->link_addr[0];
                        peer->addr_len = len;
                }
        }
        peer->address = strdup(peer->addresses[0]);
        if (!peer->address)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        return 0;
}

/*
 * peers[i], its knobs set: votes only with election, exactly one of
 * address and pull (and a pull peer's probe, with no vote); `ctx` is the
 * peer_marks array that check_peers() reads.
 */
/* peers[].class: the index of the named class (docs/classes.md). */
static int peer_class(struct loader *l, const struct found *pf,
                      const hbd_config_t *cfg, hbd_peer_conf_t *peer,
                      const char *where)
{
        char q[QUOTE_BUF], names[HB_CLASSES_MAX * (HBD_NAME_MAX + 2) + 8];
        size_t len;

        peer->class_idx = 0;
        if (!hbd__given(pf, K_PEER_CLASS) ||
            strcmp(peer->class_name, "default") == 0)
                return 0;
        for (size_t j = 0; j < cfg->n_classes; j++) {
                if (strcmp(cfg->classes[j].name, peer->class_name) == 0) {
                        peer->class_idx = (uint32_t)j + 1;
                        return 0;
                }
        }
        len = (size_t)snprintf(names, sizeof names, "default");
        for (size_t j = 0; j < cfg->n_classes && len < sizeof names; j++)
                len += (size_t)snprintf(names + len, sizeof names - len,
                                        ", %s", cfg->classes[j].name);
        return hbd__fail_at(l, &pf->val[K_PEER_CLASS]->start_mark, -EINVAL,
                            "%s.class: no class '%s'; classes are: %s",
                            where,
                            hbd__quote(peer->class_name,
                                       strlen(peer->class_name), q),
                            names);
}

static int peer_item(struct loader *l, const struct found *pf,
                     hbd_config_t *cfg, size_t i, const char *where,
                     void *ctx)
{
        struct peer_marks *marks = ctx;
        hbd_peer_conf_t *peer = &cfg->peers[i];
        int kinds = hbd__given(pf, K_PEER_ADDRESS) +
                    hbd__given(pf, K_PEER_ADDRESSES) +
                    hbd__given(pf, K_PEER_PULL) + hbd__given(pf, K_PEER_PUSH);
        size_t which = hbd__given(pf, K_PEER_PULL)        ? K_PEER_PULL
                       : hbd__given(pf, K_PEER_PUSH)      ? K_PEER_PUSH
                       : hbd__given(pf, K_PEER_ADDRESSES) ? K_PEER_ADDRESSES
                                                          : K_PEER_ADDRESS;
        char q[QUOTE_BUF];
        int r;

        r = peer_class(l, pf, cfg, peer, where);
        if (r < 0)
                return r;
        if (!cfg->node.coord.enabled && hbd__given(pf, K_PEER_VOTES))
                return hbd__fail_at(l, &pf->key[K_PEER_VOTES]->start_mark,
                                    -EINVAL, "%s.votes: only used with "
                                    "election.enabled: true", where);
        if (cfg->n_links > 0 && hbd__given(pf, K_PEER_ADDRESS))
                return hbd__fail_at(l, &pf->key[K_PEER_ADDRESS]->start_mark,
                                    -EINVAL, "%s.address: with links, give "
                                    "the peer's address on every link in "
                                    "'addresses' (in the order of links)",
                                    where);
        if (cfg->n_links == 0 && hbd__given(pf, K_PEER_ADDRESSES))
                return hbd__fail_at(l, &pf->key[K_PEER_ADDRESSES]->start_mark,
                                    -EINVAL, "%s.addresses: only with links "
                                    "(else the peer has one 'address')",
                                    where);
        if (kinds != 1)
                return hbd__fail_at(l, kinds > 1 ? &pf->key[which]->start_mark
                                               : &pf->parent[K_PEER_ADDRESS],
                                    -EINVAL, "%s: needs exactly one of "
                                    "'%s' (the peer runs hbeatd), "
                                    "'pull' (it is polled) and 'push' (it "
                                    "pushes over HTTP)", where,
                                    cfg->n_links > 0 ? "addresses"
                                                     : "address");
        if (which == K_PEER_ADDRESSES) {
                r = peer_addresses(l, pf, cfg, peer, where);
                if (r < 0)
                        return r;
        }
        /* Keys of one kind of peer only. */
        if (which != K_PEER_PUSH && hbd__given(pf, K_PEER_TOKEN_FILE))
                return hbd__fail_at(l, &pf->key[K_PEER_TOKEN_FILE]->start_mark,
                                    -EINVAL, "%s.token_file: only used with "
                                    "push", where);
        for (size_t k = K_PEER_BETWEEN; k <= K_PEER_DAYS; k++)
                if (which != K_PEER_PULL && hbd__given(pf, k))
                        return hbd__fail_at(l, &pf->key[k]->start_mark,
                                            -EINVAL, "%s.%s: only used with "
                                            "pull (a schedule of its probe)",
                                            where, l->knobs[k].path +
                                                    strlen("peers[]."));
        if (which == K_PEER_PULL) {
                r = load_pull(l, pf, cfg, peer, where);
                if (r == 0)
                        r = load_window(l, pf, where, peer->between,
                                        peer->days, K_PEER_BETWEEN,
                                        K_PEER_DAYS,
                                        &peer->pull_check.window);
                if (r < 0)
                        return r;
        }
        if (which == K_PEER_PUSH) {
                const yaml_mark_t *m = &pf->val[K_PEER_PUSH]->start_mark;

                if (strcmp(peer->push, "http") != 0)
                        return hbd__fail_at(l, m, -EINVAL, "%s.push: '%s' is "
                                            "not a push transport (http)",
                                            where, hbd__quote(peer->push,
                                                    strlen(peer->push), q));
                if (!cfg->http_listen)
                        return hbd__fail_at(l, m, -EINVAL, "%s.push: needs "
                                            "http.listen (pushes are HTTP "
                                            "requests to it)", where);
                if (!hbd__given(pf, K_PEER_TOKEN_FILE))
                        return hbd__fail_at(l, &pf->key[K_PEER_PUSH]
                                                    ->start_mark,
                                            -EINVAL, "%s: push needs "
                                            "token_file (the secret its "
                                            "pushes are signed with)", where);
                peer->token_line = (int)pf->val[K_PEER_TOKEN_FILE]
                                           ->start_mark.line;
                peer->token_col = (int)pf->val[K_PEER_TOKEN_FILE]
                                          ->start_mark.column;
                if (asprintf(&peer->address, "push %s%s",
                             HBP_PUSH_PATH_PREFIX, peer->name) < 0) {
                        peer->address = NULL;
                        return hbd__fail_at(l, NULL, -ENOMEM,
                                            "out of memory");
                }
        }
        if (which != K_PEER_ADDRESS && which != K_PEER_ADDRESSES) {
                peer->external = true;
                if (!hbd__given(pf, K_PEER_VOTES))
                        peer->votes = 0;
                else if (peer->votes > 0)
                        return hbd__fail_at(
                                l, &pf->val[K_PEER_VOTES]->start_mark,
                                -EINVAL, "%s.votes: a %s peer runs no "
                                "hbeatd and cannot vote", where,
                                which == K_PEER_PULL ? "pull" : "push");
        }
        marks[i].name = pf->val[K_PEER_NAME]->start_mark;
        marks[i].id = pf->val[K_PEER_ID]->start_mark;
        marks[i].address = pf->val[which]->start_mark;
        return 0;
}

/*
 * Duplicates among peers, in O(n log n) (review F10: comparing every pair
 * took 6.5 s for 40,000 peers). For each key (id, name, address), the
 * peer indexes are sorted by the key and then by index; in each run of
 * equal keys the first is the original and every other entry is a
 * duplicate of it: dup[i] = the smallest j < i with the same key, or
 * SIZE_MAX. check_peers() then reports, in file order, exactly what a
 * comparison of every pair would: the first entry with a problem, and for
 * that entry the earliest entry it repeats (id, then name, then address
 * of that one).
 */
enum peer_key { PK_ID, PK_NAME, PK_ADDRESS };

struct peer_sort {
        const hbd_peer_conf_t *peers;
        enum peer_key key;
};

/* Order of two addresses consistent with hbu_address_equal(): family,
 * port, address (and scope); families other than IPv4 and IPv6, never
 * equal there, are ordered by nothing and kept apart by the index. */
static int addr_cmp(const struct sockaddr_storage *x,
                    const struct sockaddr_storage *y)
{
        if (x->ss_family != y->ss_family)
                return x->ss_family < y->ss_family ? -1 : 1;
        if (x->ss_family == AF_INET) {
                const struct sockaddr_in *a = (const void *)x;
                const struct sockaddr_in *b = (const void *)y;

                if (a->sin_port != b->sin_port)
                        return a->sin_port < b->sin_port ? -1 : 1;
                return memcmp(&a->sin_addr, &b->sin_addr,
                              sizeof(a->sin_addr));
        }
        if (x->ss_family == AF_INET6) {
                const struct sockaddr_in6 *a = (const void *)x;
                const struct sockaddr_in6 *b = (const void *)y;

                if (a->sin6_port != b->sin6_port)
                        return a->sin6_port < b->sin6_port ? -1 : 1;
                if (a->sin6_scope_id != b->sin6_scope_id)
                        return a->sin6_scope_id < b->sin6_scope_id ? -1 : 1;
                return memcmp(&a->sin6_addr, &b->sin6_addr,
                              sizeof(a->sin6_addr));
        }
        return 1;       /* never equal: the caller checks equality apart */
}

static int key_cmp(const struct peer_sort *ps, size_t i, size_t j)
{
        const hbd_peer_conf_t *a = &ps->peers[i], *b = &ps->peers[j];

        switch (ps->key) {
        case PK_ID:
                return a->id < b->id ? -1 : a->id > b->id ? 1 : 0;
        case PK_NAME:
                return strcmp(a->name, b->name);
        default:
                if (!hbu_address_equal((const void *)&a->addr,
                                       (const void *)&b->addr))
                        return addr_cmp(&a->addr, &b->addr) < 0 ? -1 : 1;
                return 0;
        }
}

/* qsort_r's comparator: by key, then by index. */
static int index_cmp(const void *x, const void *y, void *arg)
{
        size_t i = *(const size_t *)x, j = *(const size_t *)y;
        int c = key_cmp(arg, i, j);

        if (c != 0)
                return c;
        return i < j ? -1 : i > j ? 1 : 0;
}

/* dup[] for one key; `idx` is scratch of n entries. Pull peers have no
 * address to compare. */
static void find_dups(const hbd_config_t *cfg, enum peer_key key,
                      size_t *idx, size_t *dup)
{
        struct peer_sort ps = { cfg->peers, key };
        size_t n = 0;

        for (size_t i = 0; i < cfg->n_peers; i++) {
                dup[i] = SIZE_MAX;
                if (key != PK_ADDRESS || !cfg->peers[i].external)
                        idx[n++] = i;
        }
        qsort_r(idx, n, sizeof(*idx), index_cmp, &ps);
        for (size_t k = 1, first = 0; k < n; k++) {
                if (key_cmp(&ps, idx[first], idx[k]) == 0)
                        dup[idx[k]] = idx[first];
                else
                        first = k;
        }
}

/* The earliest entry that entry i duplicates, in any key (the key in *key; at
 * the same entry id, then name, then address), or SIZE_MAX. */
static size_t first_dup(size_t *const dup[3], size_t i, enum peer_key *key)
{
        size_t best = SIZE_MAX;

        for (int k = 0; k < 3; k++) {
                if (dup[k][i] < best) {
                        best = dup[k][i];
                        *key = (enum peer_key)k;
                }
        }
        return best;
}

static int check_peers(struct loader *l, const hbd_config_t *cfg,
                       const struct peer_marks *marks)
{
        size_t n = cfg->n_peers, *idx, *dup[3];
        char q[QUOTE_BUF];
        int r = 0;

        idx = calloc(4 * n, sizeof(*idx));
        if (idx == NULL)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        for (int k = 0; k < 3; k++) {
                dup[k] = idx + (size_t)(k + 1) * n;
                find_dups(cfg, (enum peer_key)k, idx, dup[k]);
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];
                enum peer_key k;
                size_t j;

                if (p->id == cfg->node.node_id)
                        r = hbd__fail_at(l, &marks[i].id, -EINVAL,
                                         "peers[%zu].id: %u is this node's "
                                         "own id", i, (unsigned)p->id);
                else if (strcmp(p->name, cfg->node_name) == 0)
                        r = hbd__fail_at(l, &marks[i].name, -EINVAL,
                                         "peers[%zu].name: '%s' is this "
                                         "node's own name", i, p->name);
                else if (!p->pull &&
                         hbu_address_equal((const void *)&p->addr,
                                           (const void *)&cfg->listen_addr))
                        r = hbd__fail_at(
                                l, &marks[i].address, -EINVAL,
                                "peers[%zu].address: '%s' is this node's "
                                "listen address", i,
                                hbd__quote(p->address, strlen(p->address),
                                           q));
                else if ((j = first_dup(dup, i, &k)) == SIZE_MAX)
                        continue;
                else if (k == PK_ID)
                        r = hbd__fail_at(l, &marks[i].id, -EINVAL,
                                         "peers[%zu].id: duplicate peer id "
                                         "%u (also at line %zu)", i,
                                         (unsigned)p->id,
                                         marks[j].id.line + 1);
                else if (k == PK_NAME)
                        r = hbd__fail_at(l, &marks[i].name, -EINVAL,
                                         "peers[%zu].name: duplicate peer "
                                         "name '%s' (also at line %zu)", i,
                                         p->name, marks[j].name.line + 1);
                else
                        r = hbd__fail_at(
                                l, &marks[i].address, -EINVAL,
                                "peers[%zu].address: duplicate peer "
                                "address '%s' (also at line %zu)", i,
                                hbd__quote(p->address, strlen(p->address),
                                           q),
                                marks[j].address.line + 1);
        }
        free(idx);
        return r;
}

/*
 * Loading and checking stay two steps so that every entry is parsed (and
 * its own errors reported first, in file order) before entries are compared
 * with each other.
 */
int hbd__load_peers(struct loader *l, const yaml_node_t *seq,
                    hbd_config_t *cfg)
{
        static const struct list_spec spec = {
                "peers", "peers[].", F_PEER, sizeof(hbd_peer_conf_t),
                offsetof(hbd_peer_conf_t, line), peer_item, NULL,
        };
        struct peer_marks *marks;
        size_t n;
        int r = list_items(l, seq, spec.name, &n);

        if (r < 0 || n == 0)
                return r;
        marks = calloc(n, sizeof *marks);
        if (!marks)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        r = load_list(l, NULL, seq, cfg, &spec, (void **)&cfg->peers,
                      &cfg->n_peers, marks);
        if (r >= 0)
                r = check_peers(l, cfg, marks);
        free(marks);
        return r;
}

/* ---- checks[] ---------------------------------------------------------- */

/* Split a tcp target "HOST:PORT" / "[V6]:PORT" into c->target_host and
 * c->target_port. */
static int split_target(struct loader *l, const yaml_mark_t *mark,
                        const char *where, const char *key,
                        hbd_check_conf_t *c)
{
        const char *t = c->target, *colon, *host = t, *host_end;
        char q[QUOTE_BUF];
        unsigned long port;
        char *end;

        if (t[0] == '[') {
                host = t + 1;
                host_end = strchr(host, ']');
                colon = host_end ? host_end + 1 : NULL;
                if (!colon || *colon != ':')
                        colon = NULL;
        } else {
                colon = strrchr(t, ':');
                host_end = colon;
                if (colon && memchr(t, ':', (size_t)(colon - t)))
                        colon = NULL; /* bare IPv6 needs brackets */
        }
        if (!colon || host_end == host)
                goto bad;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
            errno == ERANGE || port < 1 || port > 65535)
                goto bad;
        c->target_host = strndup(host, (size_t)(host_end - host));
        if (!c->target_host)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        c->target_port = (uint32_t)port;
        return 0;
bad:
        return hbd__fail_at(l, mark, -EINVAL, "%s.%s: bad target '%s' "
                            "(expected HOST:PORT or [V6]:PORT, port "
                            "1..65535)", where, key,
                            hbd__quote(t, strlen(t), q));
}

/* Keys that belong to one kind only. */
static int refuse_key(struct loader *l, const struct found *f, size_t k,
                      const char *where, const char *kind)
{
        if (!hbd__given(f, k))
                return 0;
        return hbd__fail_at(l, &f->key[k]->start_mark, -EINVAL,
                            "%s: '%s' is not used by a check of kind %s",
                            where, l->knobs[k].path + strlen("checks[]."),
                            kind);
}

static int need_key(struct loader *l, const struct found *f, size_t k,
                    const char *where, const char *kind)
{
        if (hbd__given(f, k))
                return 0;
        return hbd__fail_at(l, &f->parent[k], -EINVAL,
                            "%s: a check of kind %s needs '%s'", where, kind,
                            l->knobs[k].path + strlen("checks[]."));
}

/* Cross-field checks of one entry. */
static int check_check(struct loader *l, const struct found *f,
                       const hbd_config_t *cfg, hbd_check_conf_t *c,
                       const char *where)
{
        /* The key each kind needs; the other kinds' keys are refused. */
        static const size_t needs[] = {
                [HBD_CHECK_EXEC] = K_CHECK_COMMAND,
                [HBD_CHECK_TCP] = K_CHECK_TARGET,
                [HBD_CHECK_HTTP] = K_CHECK_URL,
        };
        const char *kind = hbd__check_kind_name(c->kind);
        char q[QUOTE_BUF];
        int r = need_key(l, f, needs[c->kind], where, kind);

        for (uint32_t k = 0; k < sizeof needs / sizeof needs[0] && r == 0;
             k++)
                if (k != c->kind)
                        r = refuse_key(l, f, needs[k], where, kind);
        if (r == 0 && c->kind != HBD_CHECK_HTTP)
                r = refuse_key(l, f, K_CHECK_EXPECT, where, kind);
        switch (c->kind) {
        case HBD_CHECK_EXEC:
                break;
        case HBD_CHECK_TCP:
                if (r == 0)
                        r = split_target(l, &f->val[K_CHECK_TARGET]->start_mark,
                                         where, "target", c);
                break;
        default:
                if (r == 0 && strncmp(c->url, "http://", 7) != 0 &&
                    strncmp(c->url, "https://", 8) != 0)
                        r = hbd__fail_at(l, &f->val[K_CHECK_URL]->start_mark,
                                         -EINVAL, "%s.url: '%s' is not an "
                                         "http:// or https:// URL", where,
                                         hbd__quote(c->url, strlen(c->url),
                                                    q));
                if (r == 0 && strchr(c->url, ' '))
                        r = hbd__fail_at(l, &f->val[K_CHECK_URL]->start_mark,
                                         -EINVAL, "%s.url: '%s' contains a "
                                         "space", where,
                                         hbd__quote(c->url, strlen(c->url),
                                                    q));
                break;
        }
        if (r < 0)
                return r;
        /* Pull peers' probes are listed with the checks, by peer name. */
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].pull &&
                    strcmp(cfg->peers[i].name, c->name) == 0)
                        return hbd__fail_at(l,
                                            &f->val[K_CHECK_NAME]->start_mark,
                                            -EINVAL, "%s.name: '%s' is the "
                                            "name of a pull peer (line %d)",
                                            where, c->name,
                                            cfg->peers[i].line);
        if (c->timeout_ns > c->interval_ns)
                return hbd__fail_at(l,
                                    hbd__given(f, K_CHECK_TIMEOUT)
                                            ? &f->val[K_CHECK_TIMEOUT]
                                                       ->start_mark
                                            : &f->parent[K_CHECK_TIMEOUT],
                                    -EINVAL, "%s.timeout_ms: %" PRIu64 " is "
                                    "more than interval_ms (%" PRIu64 ")",
                                    where, c->timeout_ns / HB_NS_PER_MS,
                                    c->interval_ns / HB_NS_PER_MS);
        if (hbd__given(f, K_CHECK_WEIGHT) && hbd__given(f, K_CHECK_EFFECT))
                return hbd__fail_at(l, &f->key[K_CHECK_EFFECT]->start_mark,
                                    -EINVAL, "%s: 'weight' and 'effect' "
                                    "cannot both be set", where);
        if ((c->weight != 0 || c->fault) && !cfg->node.coord.enabled) {
                size_t k = c->fault ? K_CHECK_EFFECT : K_CHECK_WEIGHT;

                return hbd__fail_at(l, &f->key[k]->start_mark, -EINVAL,
                                    "%s.%s: only used with election.enabled: "
                                    "true", where,
                                    l->knobs[k].path + strlen("checks[]."));
        }
        return 0;
}

/* checks[i]: its own rules, and a name not used before. */
static int check_item(struct loader *l, const struct found *pf,
                      hbd_config_t *cfg, size_t i, const char *where,
                      void *ctx)
{
        hbd_check_conf_t *c = &cfg->checks[i];
        int r = check_check(l, pf, cfg, c, where);

        if (r == 0)
                r = load_window(l, pf, where, c->between, c->days,
                                K_CHECK_BETWEEN, K_CHECK_DAYS, &c->window);
        if (r < 0)
                return r;
        for (size_t j = 0; j < i; j++) {
                if (strcmp(cfg->checks[j].name, c->name) != 0)
                        continue;
                return hbd__fail_at(l, &pf->val[K_CHECK_NAME]->start_mark,
                                    -EINVAL, "%s.name: '%s' is also the "
                                    "name of checks[%zu] (line %d)", where,
                                    c->name, j, cfg->checks[j].line);
        }
        return 0;
}

int hbd__load_checks(struct loader *l, const yaml_node_t *seq,
                     hbd_config_t *cfg)
{
        static const struct list_spec spec = {
                "checks", "checks[].", F_CHECK, sizeof(hbd_check_conf_t),
                offsetof(hbd_check_conf_t, line), check_item, NULL,
        };

        return load_list(l, NULL, seq, cfg, &spec, (void **)&cfg->checks,
                         &cfg->n_checks, NULL);
}

int hbd__load_push_tokens(struct loader *l, hbd_config_t *cfg, bool read)
{
        for (size_t i = 0; read && i < cfg->n_peers; i++) {
                hbd_peer_conf_t *p = &cfg->peers[i];
                yaml_mark_t m = { 0 };
                char label[48];
                int r;

                if (!p->push)
                        continue;
                m.line = (size_t)p->token_line;
                m.column = (size_t)p->token_col;
                snprintf(label, sizeof label, "peers[%zu].token_file", i);
                r = hbd__read_key_file(l, cfg, &m, label, p->token_file,
                                       &p->push_key);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- vips[] ------------------------------------------------------------ */

/* "ADDR/PREFIX" into the entry's family, addr and prefix_len. */
static int parse_vip_address(struct loader *l, const yaml_mark_t *mark,
                             const char *where, hbd_vip_conf_t *v)
{
        const char *slash = strchr(v->address, '/');
        char host[INET6_ADDRSTRLEN + 1], q[QUOTE_BUF];
        unsigned long prefix;
        size_t hl;
        char *end;

        hbd__quote(v->address, strlen(v->address), q);
        hl = slash ? (size_t)(slash - v->address) : 0;
        if (!slash || hl == 0 || hl >= sizeof host || slash[1] == '\0')
                return hbd__fail_at(l, mark, -EINVAL, "%s.address: '%s' is "
                                    "not ADDRESS/PREFIX (10.0.0.100/24 or "
                                    "2001:db8::100/64)", where, q);
        memcpy(host, v->address, hl);
        host[hl] = '\0';
        if (inet_pton(AF_INET, host, v->addr) == 1)
                v->family = AF_INET;
        else if (inet_pton(AF_INET6, host, v->addr) == 1)
                v->family = AF_INET6;
        else
                return hbd__fail_at(l, mark, -EINVAL, "%s.address: '%s' is "
                                    "not an IPv4 or IPv6 address", where, q);
        errno = 0;
        prefix = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || errno != 0 || slash[1] < '0' || slash[1] > '9' ||
            prefix > (v->family == AF_INET ? 32u : 128u))
                return hbd__fail_at(l, mark, -EINVAL, "%s.address: '%s': the "
                                    "prefix length must be 0..%u", where, q,
                                    v->family == AF_INET ? 32u : 128u);
        v->prefix_len = (uint32_t)prefix;
        return 0;
}

/* Cross-field checks of one entry. */
static int check_vip(struct loader *l, const struct found *f,
                     hbd_vip_conf_t *v, const char *where)
{
        static const size_t exec_keys[] = { K_VIP_UP, K_VIP_DOWN };
        char q[QUOTE_BUF];
        int r;

        r = parse_vip_address(l, &f->val[K_VIP_ADDRESS]->start_mark, where,
                              v);
        if (r < 0)
                return r;
        if (strlen(v->interface) >= IF_NAMESIZE ||
            strpbrk(v->interface, "/ :") ||
            strcmp(v->interface, ".") == 0 ||
            strcmp(v->interface, "..") == 0)
                return hbd__fail_at(l, &f->val[K_VIP_INTERFACE]->start_mark,
                                    -EINVAL, "%s.interface: '%s' is not an "
                                    "interface name (1..%d bytes, no '/', "
                                    "':' or space)", where,
                                    hbd__quote(v->interface,
                                               strlen(v->interface), q),
                                    IF_NAMESIZE - 1);
        for (size_t i = 0; i < 2; i++) {
                size_t k = exec_keys[i];
                const char *key = l->knobs[k].path + strlen("vips[].");

                if (v->provider == HBD_VIP_EXEC && !hbd__given(f, k))
                        return hbd__fail_at(l, &f->parent[k], -EINVAL,
                                            "%s: provider exec needs '%s'",
                                            where, key);
                if (v->provider != HBD_VIP_EXEC && hbd__given(f, k))
                        return hbd__fail_at(l, &f->key[k]->start_mark,
                                            -EINVAL, "%s.%s: only used with "
                                            "provider: exec", where, key);
        }
        return 0;
}

/* vips[i]: its own rules, and an address not used before. */
static int vip_item(struct loader *l, const struct found *pf,
                    hbd_config_t *cfg, size_t i, const char *where,
                    void *ctx)
{
        hbd_vip_conf_t *v = &cfg->vips[i];
        int r = check_vip(l, pf, v, where);

        if (r < 0)
                return r;
        for (size_t j = 0; j < i; j++) {
                const hbd_vip_conf_t *o = &cfg->vips[j];

                if (o->family != v->family ||
                    memcmp(o->addr, v->addr, 16) != 0)
                        continue;
                return hbd__fail_at(l, &pf->val[K_VIP_ADDRESS]->start_mark,
                                    -EINVAL, "%s.address: '%s' is the same "
                                    "address as vips[%zu] (line %d)", where,
                                    v->address, j, o->line);
        }
        return 0;
}

int hbd__load_vips(struct loader *l, const yaml_node_t *key,
                   const yaml_node_t *seq, hbd_config_t *cfg)
{
        static const struct list_spec spec = {
                "vips", "vips[].", F_VIP, sizeof(hbd_vip_conf_t),
                offsetof(hbd_vip_conf_t, line), vip_item,
                "the leader holds them",
        };

        return load_list(l, key, seq, cfg, &spec, (void **)&cfg->vips,
                         &cfg->n_vips, NULL);
}

/* ---- keys[] ------------------------------------------------------------ */

/* keys[i]: at most HB_KEYRING_MAX entries, an id not used before; the
 * mode cluster.encryption unless the entry sets its own. */
static int key_item(struct loader *l, const struct found *pf,
                    hbd_config_t *cfg, size_t i, const char *where,
                    void *ctx)
{
        hbd_key_conf_t *k = &cfg->keys[i];
        char label[32];
        hb_key_t key;
        int r;

        if (i >= HB_KEYRING_MAX)
                return hbd__fail_at(l, &pf->key[K_KEYS_ID]->start_mark,
                                    -EINVAL, "%s: at most %u keys (a ring "
                                    "holds the keys in use and the ones "
                                    "being rotated in or out)", where,
                                    (unsigned)HB_KEYRING_MAX);
        if (!hbd__given(pf, K_KEYS_ENCRYPTION))
                k->encryption = cfg->encryption;
        for (size_t j = 0; j < i; j++) {
                if (cfg->keys[j].id != k->id)
                        continue;
                return hbd__fail_at(l, &pf->val[K_KEYS_ID]->start_mark,
                                    -EINVAL, "%s.id: %" PRIu32 " is also the "
                                    "id of keys[%zu] (line %d); key ids must "
                                    "be unique", where, k->id, j,
                                    cfg->keys[j].line);
        }
        if (!*(const bool *)ctx)
                return 0;
        snprintf(label, sizeof label, "%s.file", where);
        r = hbd__read_key_file(l, cfg, &pf->val[K_KEYS_FILE]->start_mark,
                               label, k->file, &key);
        if (r == 0)
                r = hb_keyring_add(&cfg->node.keyring, (uint8_t)k->id, &key,
                                   (uint8_t)k->encryption);
        hb_key_wipe(&key);
        return r;
}

int hbd__load_key_list(struct loader *l, const yaml_node_t *key,
                       const yaml_node_t *seq, hbd_config_t *cfg, bool read)
{
        static const struct list_spec spec = {
                "keys", "keys[].", F_KEY, sizeof(hbd_key_conf_t),
                offsetof(hbd_key_conf_t, line), key_item, NULL,
        };

        return load_list(l, key, seq, cfg, &spec, (void **)&cfg->keys,
                         &cfg->n_keys, &read);
}

/* ---- links[] ----------------------------------------------------------- */

static bool sa_multicast(const struct sockaddr_storage *a)
{
        if (a->ss_family == AF_INET)
                return IN_MULTICAST(ntohl(((const struct sockaddr_in *)
                                           (const void *)a)->sin_addr.s_addr));
        return a->ss_family == AF_INET6 &&
               IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)
                                       (const void *)a)->sin6_addr);
}

static bool sa_wildcard(const struct sockaddr_storage *a)
{
        if (a->ss_family == AF_INET)
                return ((const struct sockaddr_in *)(const void *)a)
                               ->sin_addr.s_addr == htonl(INADDR_ANY);
        return a->ss_family == AF_INET6 &&
               IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)
                                         (const void *)a)->sin6_addr);
}

static uint16_t sa_port(const struct sockaddr_storage *a)
{
        return ntohs(a->ss_family == AF_INET6
                             ? ((const struct sockaddr_in6 *)(const void *)a)
                                       ->sin6_port
                             : ((const struct sockaddr_in *)(const void *)a)
                                       ->sin_port);
}

/* links[i].transport, .group, .ttl (docs/links.md, "Multicast and
 * broadcast"). */
static int link_transport(struct loader *l, const struct found *pf,
                          hbd_link_conf_t *k, const char *where)
{
        const yaml_mark_t *gm = hbd__given(pf, K_LINK_GROUP)
                                        ? &pf->val[K_LINK_GROUP]->start_mark
                                        : NULL;
        const char *what = k->transport == HBD_TRANSPORT_MULTICAST
                                   ? "multicast" : "broadcast";
        char q[QUOTE_BUF];

        if (k->transport == HBD_TRANSPORT_UNICAST) {
                if (gm != NULL)
                        return hbd__fail_at(l, gm, -EINVAL, "%s.group: only "
                                            "with transport multicast or "
                                            "broadcast", where);
                if (hbd__given(pf, K_LINK_TTL))
                        return hbd__fail_at(
                                l, &pf->val[K_LINK_TTL]->start_mark, -EINVAL,
                                "%s.ttl: only with transport multicast",
                                where);
                return 0;
        }
        if (gm == NULL)
                return hbd__fail_at(l, &pf->val[K_LINK_TRANSPORT]->start_mark,
                                    -EINVAL, "%s.transport: %s needs "
                                    "%s.group (the %s address and port "
                                    "every node sends heartbeats to)",
                                    where, what, where,
                                    k->transport == HBD_TRANSPORT_MULTICAST
                                            ? "group" : "broadcast");
        if (sa_wildcard(&k->listen_addr))
                return hbd__fail_at(l, &pf->val[K_LINK_LISTEN]->start_mark,
                                    -EINVAL, "%s.listen: with transport %s, "
                                    "give this node's own address on the "
                                    "link (the peers check that heartbeats "
                                    "come from it), not a wildcard", where,
                                    what);
        if (k->group_addr.ss_family != k->listen_addr.ss_family)
                return hbd__fail_at(l, gm, -EINVAL, "%s.group: '%s' is not "
                                    "of the family of %s.listen (IPv4 and "
                                    "IPv6 do not mix on one link)", where,
                                    hbd__quote(k->group, strlen(k->group), q),
                                    where);
        if (sa_port(&k->group_addr) == 0)
                return hbd__fail_at(l, gm, -EINVAL, "%s.group: port 0 (give "
                                    "the port every node uses)", where);
        if (k->transport == HBD_TRANSPORT_MULTICAST) {
                if (!sa_multicast(&k->group_addr))
                        return hbd__fail_at(
                                l, gm, -EINVAL, "%s.group: '%s' is not a "
                                "multicast address (224.0.0.0/4 or "
                                "ff00::/8)", where,
                                hbd__quote(k->group, strlen(k->group), q));
                if (k->group_addr.ss_family == AF_INET6 &&
                    k->interface == NULL &&
                    ((const struct sockaddr_in6 *)(const void *)
                             &k->group_addr)->sin6_scope_id == 0)
                        return hbd__fail_at(
                                l, gm, -EINVAL, "%s.group: an IPv6 group "
                                "needs an interface: %s.interface or "
                                "[GROUP%%IFACE]:PORT", where, where);
                return 0;
        }
        if (hbd__given(pf, K_LINK_TTL))
                return hbd__fail_at(l, &pf->val[K_LINK_TTL]->start_mark,
                                    -EINVAL, "%s.ttl: only with transport "
                                    "multicast (a broadcast never leaves "
                                    "its segment)", where);
        if (k->group_addr.ss_family != AF_INET ||
            sa_multicast(&k->group_addr) || sa_wildcard(&k->group_addr))
                return hbd__fail_at(l, gm, -EINVAL, "%s.group: '%s' is not "
                                    "an IPv4 broadcast address (IPv6 has "
                                    "no broadcast: use multicast)", where,
                                    hbd__quote(k->group, strlen(k->group), q));
        if (k->interface == NULL)
                return hbd__fail_at(l, &pf->val[K_LINK_TRANSPORT]->start_mark,
                                    -EINVAL, "%s.transport: broadcast needs "
                                    "%s.interface (the segment's "
                                    "interface: a broadcast leaves and is "
                                    "taken only there)", where, where);
        return 0;
}

/* The termios rates a serial link accepts (serial_link.c's table). */
static bool baud_ok(uint32_t baud)
{
        static const uint32_t ok[] = {
                9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
                1000000, 1500000, 2000000, 3000000, 4000000,
        };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                if (ok[i] == baud)
                        return true;
        return false;
}

/* links[i]: at most HB_LINKS_MAX, name and listen address unique, an
 * interface name that fits IFNAMSIZ. */
static int link_item(struct loader *l, const struct found *pf,
                     hbd_config_t *cfg, size_t i, const char *where,
                     void *ctx)
{
        hbd_link_conf_t *k = &cfg->links[i];
        char q[QUOTE_BUF];
        int r;

        (void)ctx;
        if (i >= HB_LINKS_MAX)
                return hbd__fail_at(l, &pf->key[K_LINK_NAME]->start_mark,
                                    -EINVAL, "%s: at most %u links", where,
                                    (unsigned)HB_LINKS_MAX);
        if ((int)hbd__given(pf, K_LINK_LISTEN) +
            (int)hbd__given(pf, K_LINK_DEVICE) +
            (int)hbd__given(pf, K_LINK_TTY) != 1)
                return hbd__fail_at(l, &pf->key[K_LINK_NAME]->start_mark,
                                    -EINVAL, "%s: needs exactly one of "
                                    "'listen' (UDP), 'device' (a disk "
                                    "link) and 'tty' (a serial link)",
                                    where);
        if (k->tty && i == 0)
                return hbd__fail_at(l, &pf->val[K_LINK_TTY]->start_mark,
                                    -EINVAL, "%s.tty: links[0] is a UDP "
                                    "link (listen); put the serial link "
                                    "after it", where);
        if (!k->tty && hbd__given(pf, K_LINK_BAUD))
                return hbd__fail_at(l, &pf->key[K_LINK_BAUD]->start_mark,
                                    -EINVAL, "%s.baud: only with tty",
                                    where);
        if (k->tty && !baud_ok(k->baud))
                return hbd__fail_at(l, &pf->val[K_LINK_BAUD]->start_mark,
                                    -EINVAL, "%s.baud: %u is not a "
                                    "standard rate (9600, 19200, 38400, "
                                    "57600, 115200, 230400, 460800, "
                                    "921600, 1000000, 1500000, 2000000, "
                                    "3000000 or 4000000)", where,
                                    (unsigned)k->baud);
        if (k->tty && (k->interface || hbd__given(pf, K_LINK_TRANSPORT) ||
                       hbd__given(pf, K_LINK_GROUP) ||
                       hbd__given(pf, K_LINK_TTL) ||
                       hbd__given(pf, K_LINK_SLOT_SIZE) ||
                       hbd__given(pf, K_LINK_SLOTS)))
                return hbd__fail_at(l, &pf->key[K_LINK_TTY]->start_mark,
                                    -EINVAL, "%s: interface, transport, "
                                    "group, ttl, slot_size and slots are "
                                    "not for a serial link (tty)", where);
        if (k->device && i == 0)
                return hbd__fail_at(l, &pf->val[K_LINK_DEVICE]->start_mark,
                                    -EINVAL, "%s.device: links[0] is a UDP "
                                    "link (listen); put the disk link "
                                    "after it", where);
        if (!k->device && (hbd__given(pf, K_LINK_SLOT_SIZE) ||
                           hbd__given(pf, K_LINK_SLOTS)))
                return hbd__fail_at(l, &pf->key[K_LINK_NAME]->start_mark,
                                    -EINVAL, "%s: slot_size and slots only "
                                    "with device", where);
        if (k->device && k->slot_size != 512 && k->slot_size != 4096)
                return hbd__fail_at(l, &pf->val[K_LINK_SLOT_SIZE]->start_mark,
                                    -EINVAL, "%s.slot_size: %u; 512 or 4096",
                                    where, (unsigned)k->slot_size);
        if (k->device && cfg->node.node_id > k->slots)
                return hbd__fail_at(l, &pf->key[K_LINK_NAME]->start_mark,
                                    -EINVAL, "%s: node.id %u has no slot "
                                    "(slots: %u; slot = id - 1): raise "
                                    "slots", where,
                                    (unsigned)cfg->node.node_id,
                                    (unsigned)k->slots);
        if (k->interface && k->device)
                return hbd__fail_at(l, &pf->val[K_LINK_INTERFACE]->start_mark,
                                    -EINVAL, "%s.interface: not with device",
                                    where);
        if (k->device && (hbd__given(pf, K_LINK_TRANSPORT) ||
                          hbd__given(pf, K_LINK_GROUP) ||
                          hbd__given(pf, K_LINK_TTL)))
                return hbd__fail_at(l, &pf->key[hbd__given(pf,
                                            K_LINK_TRANSPORT)
                                            ? K_LINK_TRANSPORT
                                            : hbd__given(pf, K_LINK_GROUP)
                                            ? K_LINK_GROUP : K_LINK_TTL]
                                            ->start_mark,
                                    -EINVAL, "%s: transport, group and ttl "
                                    "are for UDP links, not with device",
                                    where);
        if (k->interface && (strlen(k->interface) >= IF_NAMESIZE ||
                             strchr(k->interface, '/') ||
                             strchr(k->interface, ' ')))
                return hbd__fail_at(
                        l, &pf->val[K_LINK_INTERFACE]->start_mark, -EINVAL,
                        "%s.interface: '%s' is not an interface name (1..%d "
                        "bytes, no '/' or space)", where,
                        hbd__quote(k->interface, strlen(k->interface), q),
                        IF_NAMESIZE - 1);
        r = link_transport(l, pf, k, where);
        if (r < 0)
                return r;
        for (size_t j = 0; j < i; j++) {
                if (k->group != NULL && cfg->links[j].group != NULL &&
                    hbu_address_equal(
                            (const void *)&cfg->links[j].group_addr,
                            (const void *)&k->group_addr))
                        return hbd__fail_at(
                                l, &pf->val[K_LINK_GROUP]->start_mark,
                                -EINVAL, "%s.group: '%s' is also the group "
                                "of links[%zu] (line %d)", where,
                                hbd__quote(k->group, strlen(k->group), q),
                                j, cfg->links[j].line);
                if (strcmp(cfg->links[j].name, k->name) == 0)
                        return hbd__fail_at(
                                l, &pf->val[K_LINK_NAME]->start_mark,
                                -EINVAL, "%s.name: '%s' is also the name of "
                                "links[%zu] (line %d)", where, k->name, j,
                                cfg->links[j].line);
                if (k->listen && cfg->links[j].listen &&
                    hbu_address_equal(
                            (const void *)&cfg->links[j].listen_addr,
                            (const void *)&k->listen_addr))
                        return hbd__fail_at(
                                l, &pf->val[K_LINK_LISTEN]->start_mark,
                                -EINVAL, "%s.listen: '%s' is also the "
                                "listen address of links[%zu] (line %d)",
                                where,
                                hbd__quote(k->listen, strlen(k->listen), q),
                                j, cfg->links[j].line);
        }
        return 0;
}

int hbd__load_links(struct loader *l, const struct found *f,
                    hbd_config_t *cfg)
{
        static const struct list_spec spec = {
                "links", "links[].", F_LINK, sizeof(hbd_link_conf_t),
                offsetof(hbd_link_conf_t, line), link_item, NULL,
        };
        const yaml_node_t *key = f->sect_key[K_LINK_NAME];
        int r;

        if (key && hbd__given(f, K_LISTEN))
                return hbd__fail_at(l, &f->key[K_LISTEN]->start_mark,
                                    -EINVAL, "listen: not used with links "
                                    "(each link has its own listen)");
        r = load_list(l, key, f->sect_val[K_LINK_NAME], cfg, &spec,
                      (void **)&cfg->links, &cfg->n_links, NULL);
        if (r < 0 || cfg->n_links == 0)
                return r;
        /* Link 0 is the node's listen address for everything else. */
        free(cfg->listen);
        cfg->listen = strdup(cfg->links[0].listen);
        if (!cfg->listen)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        cfg->listen_addr = cfg->links[0].listen_addr;
        cfg->listen_addr_len = cfg->links[0].listen_addr_len;
        cfg->node.n_links = (uint32_t)cfg->n_links;
        return 0;
}

/* ---- classes[] (docs/classes.md) -------------------------------------- */

/* classes[].adaptive (docs/classes.md): both bounds, around the
 * class's interval; the rest defaulted by the knob table. */
static int class_adaptive(struct loader *l, const struct found *pf,
                          const hbd_class_conf_t *k, hb_class_config_t *c,
                          const char *where)
{
        static const size_t keys[] = {
                K_CLASS_AD_MIN, K_CLASS_AD_MAX, K_CLASS_AD_RTT,
                K_CLASS_AD_DAMP, K_CLASS_AD_HYST, K_CLASS_AD_RAISE,
                K_CLASS_AD_LOWER, K_CLASS_AD_LOSS, K_CLASS_AD_HOLD,
        };
        const yaml_node_t *first = NULL;
        hb_class_adaptive_t *a = &c->adaptive;

        for (size_t j = 0; j < sizeof keys / sizeof keys[0] && !first; j++)
                if (hbd__given(pf, keys[j]))
                        first = pf->key[keys[j]];
        if (!first)
                return 0;
        if (!hbd__given(pf, K_CLASS_AD_MIN) || !hbd__given(pf, K_CLASS_AD_MAX))
                return hbd__fail_at(l, &first->start_mark, -EINVAL,
                                    "%s.adaptive: min_interval_ms and "
                                    "max_interval_ms are both required",
                                    where);
        if (k->ad_min_ns > k->interval_ns || k->ad_max_ns < k->interval_ns)
                return hbd__fail_at(
                        l, &pf->key[K_CLASS_AD_MIN]->start_mark, -EINVAL,
                        "%s.adaptive: min_interval_ms %" PRIu64 " <= "
                        "interval_ms %" PRIu64 " <= max_interval_ms %" PRIu64
                        " does not hold (interval_ms is where the class "
                        "starts)", where, k->ad_min_ns / HB_NS_PER_MS,
                        k->interval_ns / HB_NS_PER_MS,
                        k->ad_max_ns / HB_NS_PER_MS);
        hb_class_adaptive_default(a, k->ad_min_ns, k->ad_max_ns);
        a->rtt_factor = k->ad_rtt_factor;
        a->dampening_ns = k->ad_dampening_ns;
        a->hysteresis = k->ad_hysteresis;
        a->raise = k->ad_raise;
        a->lower = k->ad_lower;
        a->loss_high = k->ad_loss_high;
        a->hold = k->ad_hold;
        return 0;
}

static int class_item(struct loader *l, const struct found *pf,
                      hbd_config_t *cfg, size_t i, const char *where,
                      void *ctx)
{
        hbd_class_conf_t *k = &cfg->classes[i];
        hb_class_config_t *c = &cfg->node.classes[i];
        hb_detector_kind_t kind = cfg->node.detector.kind;
        char q[QUOTE_BUF];
        int ra;

        (void)ctx;
        if (i >= HB_CLASSES_MAX)
                return hbd__fail_at(l, &pf->key[K_CLASS_NAME]->start_mark,
                                    -EINVAL, "%s: at most %u classes", where,
                                    (unsigned)HB_CLASSES_MAX);
        if (strcmp(k->name, "default") == 0)
                return hbd__fail_at(l, &pf->val[K_CLASS_NAME]->start_mark,
                                    -EINVAL, "%s.name: 'default' is the "
                                    "top-level timing (heartbeat.interval_ms, "
                                    "detector.*); give the class another "
                                    "name", where);
        for (size_t j = 0; j < i; j++)
                if (strcmp(cfg->classes[j].name, k->name) == 0)
                        return hbd__fail_at(
                                l, &pf->val[K_CLASS_NAME]->start_mark,
                                -EINVAL, "%s.name: duplicate class name "
                                "'%s' (classes[%zu], line %d)", where,
                                hbd__quote(k->name, strlen(k->name), q), j,
                                cfg->classes[j].line);
        if (hbd__given(pf, K_CLASS_KIND) &&
            pf->val[K_CLASS_KIND]->type == YAML_MAPPING_NODE) {
                /* detector: {kind: ..., window: ...} */
                int r = hbd__class_detector(l, pf->val[K_CLASS_KIND], i,
                                            kind, cfg, &kind);

                if (r < 0)
                        return r;
        } else {
                if (hbd__given(pf, K_CLASS_KIND))
                        kind = k->kind;
                hb_class_config_default(c, kind, k->interval_ns);
        }
        if (hbd__given(pf, K_CLASS_SUSPECT))
                c->suspect_threshold = k->suspect_threshold;
        if (hbd__given(pf, K_CLASS_DEAD))
                c->dead_threshold = k->dead_threshold;
        if (c->dead_threshold < c->suspect_threshold)
                return hbd__fail_at(
                        l, &pf->key[K_CLASS_NAME]->start_mark, -EINVAL,
                        "%s: dead_threshold %.15g is below "
                        "suspect_threshold %.15g", where, c->dead_threshold,
                        c->suspect_threshold);
        /* Set by the operator: fixed; defaults follow the interval. */
        if (hbd__given(pf, K_CLASS_DEAD_AFTER)) {
                c->dead_after_ns = k->dead_after_ns;
                c->flags &= ~HB_CLASS_DEAD_AFTER_FOLLOWS;
        }
        if (hbd__given(pf, K_CLASS_PROBATION)) {
                c->probation_ns = k->probation_ns;
                c->flags &= ~HB_CLASS_PROBATION_FOLLOWS;
        }
        ra = class_adaptive(l, pf, k, c, where);
        if (ra < 0)
                return ra;
        k->kind = kind;
        k->suspect_threshold = c->suspect_threshold;
        k->dead_threshold = c->dead_threshold;
        k->dead_after_ns = c->dead_after_ns;
        k->probation_ns = c->probation_ns;
        return 0;
}

int hbd__load_classes(struct loader *l, const struct found *f,
                      hbd_config_t *cfg)
{
        static const struct list_spec spec = {
                "classes", "classes[].", F_CLASS, sizeof(hbd_class_conf_t),
                offsetof(hbd_class_conf_t, line), class_item, NULL,
        };
        int r;

        r = load_list(l, f->sect_key[K_CLASS_NAME],
                      f->sect_val[K_CLASS_NAME], cfg, &spec,
                      (void **)&cfg->classes, &cfg->n_classes, NULL);
        if (r < 0 || cfg->n_classes == 0)
                return r;
        cfg->node.n_classes = (uint32_t)cfg->n_classes;
        /* docs/classes.md: not yet with shared links or monitors. */
        for (size_t k = 0; k < cfg->n_links; k++) {
                const hbd_link_conf_t *lk = &cfg->links[k];
                const char *what = lk->device ? "a disk link"
                                   : lk->tty  ? "a serial link"
                                   : lk->transport == HBD_TRANSPORT_MULTICAST
                                           ? "a multicast link"
                                   : lk->transport == HBD_TRANSPORT_BROADCAST
                                           ? "a broadcast link"
                                           : NULL;

                if (what)
                        return hbd__fail_at(
                                l, &f->sect_key[K_CLASS_NAME]->start_mark,
                                -EINVAL, "classes: links[%zu] (%s, line %d) "
                                "sends one heartbeat to every peer, at one "
                                "rate; classes need unicast links only in "
                                "this version (docs/classes.md)", k, what,
                                lk->line);
        }
        if (cfg->topology_kind && strcmp(cfg->topology_kind, "mesh") != 0)
                return hbd__fail_at(l, &f->sect_key[K_CLASS_NAME]->start_mark,
                                    -EINVAL, "classes: not with topology "
                                    "'%s' in this version (docs/classes.md)",
                                    cfg->topology_kind);
        return 0;
}
