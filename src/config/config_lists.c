/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: pass 2 beyond single knobs (contract:
 * config_impl.h).
 *
 * What lives here: the peers[] sequence (each entry walked and its knobs
 * set like the top level's, then checked against this node and the other
 * entries: id, name and address unique), the cross-field checks of the
 * detector section (the two thresholds; the adaptive detector's bounds and
 * ratios), and the checks that touch the file system: the notify script
 * must be an executable regular file, the key file a regular file closed
 * to other users, holding a valid key.
 *
 * Called by load_document() in config.c, after every top-level knob is set
 * (so cfg holds this node's id, name and listen address). Secrets: the key
 * file text is wiped before it is freed; the key itself lives only in
 * hbd_config_t.node.key.
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
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"

/* Positions of one peer's values, for "also at line N". */
struct peer_marks {
        yaml_mark_t name, id, address;
};

static bool given(const struct found *f, size_t k);
static int split_target(struct loader *l, const yaml_mark_t *mark,
                        const char *where, const char *key,
                        hbd_check_conf_t *c);

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
        } else if (strncmp(u, "tcp://", 6) == 0) {
                c->kind = HBD_CHECK_TCP;
                c->target = strdup(u + 6);
                if (!c->target)
                        return hbd__fail_at(l, NULL, -ENOMEM,
                                            "out of memory");
                return split_target(l, mark, where, "pull", c);
        } else {
                return hbd__fail_at(l, mark, -EINVAL, "%s.pull: '%s' is not "
                                    "an http://, https:// or tcp:// URL",
                                    where, hbd__quote(u, strlen(u), q));
        }
        return 0;
}

/*
 * Walk and set each peers[] entry like the top level (pass 1 then pass 2
 * per entry); `*marks_out` (caller frees) gets where each entry's values
 * are, for check_peers().
 */
static int load_peers(struct loader *l, const yaml_node_t *seq,
                      hbd_config_t *cfg, struct peer_marks **marks_out)
{
        struct peer_marks *marks;
        struct found *pf;
        size_t n;
        int r = 0;

        if (!seq || hbd__is_null(seq))
                return 0;
        if (seq->type != YAML_SEQUENCE_NODE)
                return hbd__fail_at(l, &seq->start_mark, -EINVAL,
                                    "peers: expected a sequence, found %s",
                                    hbd__node_type_name(seq));
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
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
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
                        r = hbd__fail_at(l, item ? &item->start_mark : NULL,
                                         -EINVAL, "%s: expected a mapping, "
                                         "found %s", where,
                                         item ? hbd__node_type_name(item)
                                              : "nothing");
                        goto out;
                }
                memset(pf, 0, sizeof *pf);
                r = hbd__walk(l, pf, item, "peers[].", where,
                              &item->start_mark);
                if (r < 0)
                        goto out;
                peer->line = (int)item->start_mark.line + 1;
                for (size_t k = 0; k < K_COUNT; k++) {
                        if (!(hbd__knob_flags(k) & F_PEER))
                                continue;
                        r = hbd__knob_apply(l, pf, k, i, peer,
                                            HB_DETECTOR_PHI);
                        if (r < 0)
                                goto out;
                }
                if (!cfg->node.coord.enabled && pf->val[K_PEER_VOTES] &&
                    !hbd__is_null(pf->val[K_PEER_VOTES])) {
                        r = hbd__fail_at(l, &pf->key[K_PEER_VOTES]->start_mark,
                                         -EINVAL, "%s.votes: only used with "
                                         "election.enabled: true", where);
                        goto out;
                }
                if (given(pf, K_PEER_ADDRESS) == given(pf, K_PEER_PULL)) {
                        r = hbd__fail_at(l, given(pf, K_PEER_PULL)
                                             ? &pf->key[K_PEER_PULL]->start_mark
                                             : &item->start_mark,
                                         -EINVAL, "%s: needs exactly one of "
                                         "'address' (the peer runs hbeatd) "
                                         "and 'pull' (it is polled)", where);
                        goto out;
                }
                if (given(pf, K_PEER_PULL)) {
                        r = load_pull(l, pf, cfg, peer, where);
                        if (r < 0)
                                goto out;
                        if (!given(pf, K_PEER_VOTES)) {
                                peer->votes = 0;
                        } else if (peer->votes > 0) {
                                r = hbd__fail_at(
                                        l,
                                        &pf->val[K_PEER_VOTES]->start_mark,
                                        -EINVAL, "%s.votes: a pull peer runs "
                                        "no hbeatd and cannot vote", where);
                                goto out;
                        }
                }
                marks[i].name = pf->val[K_PEER_NAME]->start_mark;
                marks[i].id = pf->val[K_PEER_ID]->start_mark;
                marks[i].address = given(pf, K_PEER_PULL)
                                           ? pf->val[K_PEER_PULL]->start_mark
                                           : pf->val[K_PEER_ADDRESS]->start_mark;
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
                        return hbd__fail_at(l, &marks[i].id, -EINVAL,
                                            "peers[%zu].id: %u is this node's "
                                            "own id", i, (unsigned)p->id);
                if (strcmp(p->name, cfg->node_name) == 0)
                        return hbd__fail_at(l, &marks[i].name, -EINVAL,
                                            "peers[%zu].name: '%s' is this "
                                            "node's own name", i, p->name);
                if (!p->pull &&
                    hbu_address_equal((const void *)&p->addr,
                                      (const void *)&cfg->listen_addr))
                        return hbd__fail_at(
                                l, &marks[i].address, -EINVAL,
                                "peers[%zu].address: '%s' is this node's "
                                "listen address", i,
                                hbd__quote(p->address, strlen(p->address),
                                           q));
                for (size_t j = 0; j < i; j++) {
                        const hbd_peer_conf_t *o = &cfg->peers[j];

                        if (o->id == p->id)
                                return hbd__fail_at(
                                        l, &marks[i].id, -EINVAL,
                                        "peers[%zu].id: duplicate peer id %u "
                                        "(also at line %zu)", i,
                                        (unsigned)p->id,
                                        marks[j].id.line + 1);
                        if (strcmp(o->name, p->name) == 0)
                                return hbd__fail_at(
                                        l, &marks[i].name, -EINVAL,
                                        "peers[%zu].name: duplicate peer "
                                        "name '%s' (also at line %zu)", i,
                                        p->name, marks[j].name.line + 1);
                        if (!p->pull && !o->pull &&
                            hbu_address_equal((const void *)&o->addr,
                                              (const void *)&p->addr))
                                return hbd__fail_at(
                                        l, &marks[i].address, -EINVAL,
                                        "peers[%zu].address: duplicate peer "
                                        "address '%s' (also at line %zu)",
                                        i,
                                        hbd__quote(p->address,
                                                   strlen(p->address), q),
                                        marks[j].address.line + 1);
                }
        }
        return 0;
}

/*
 * Loading and checking stay two steps so that every entry is parsed (and
 * its own errors reported first, in file order) before entries are compared
 * with each other.
 */
int hbd__load_peers(struct loader *l, const yaml_node_t *seq,
                    hbd_config_t *cfg)
{
        struct peer_marks *marks = NULL;
        int r;

        r = load_peers(l, seq, cfg, &marks);
        if (r >= 0)
                r = check_peers(l, cfg, marks);
        free(marks);
        return r;
}

/* The value node of the first of knobs `a`, `b` written in the file (not
 * null), for the position of a cross-field error; NULL if neither is. */
static const yaml_mark_t *first_given(const struct found *f, size_t a,
                                      size_t b)
{
        if (f->val[a] && !hbd__is_null(f->val[a]))
                return &f->val[a]->start_mark;
        if (f->val[b] && !hbd__is_null(f->val[b]))
                return &f->val[b]->start_mark;
        return NULL;
}

/*
 * The adaptive timeout's order min <= initial <= max and its ratios
 * low <= high. Values are reported as the file writes them (ms); the
 * error points at the key that was written (the other side may be a
 * derived default, which is never adjusted to fit: set both).
 */
static int check_adaptive(struct loader *l, const struct found *f,
                          const hb_detector_config_t *dc)
{
        const double ms = (double)HB_NS_PER_MS;

        if (dc->adaptive_min_ns > dc->adaptive_max_ns)
                return hbd__fail_at(l, first_given(f, K_ADAPTIVE_MIN,
                                                   K_ADAPTIVE_MAX),
                                    -EINVAL, "detector.adaptive_min_ms "
                                    "(%.15g) must be <= "
                                    "detector.adaptive_max_ms (%.15g)",
                                    (double)dc->adaptive_min_ns / ms,
                                    (double)dc->adaptive_max_ns / ms);
        if (dc->adaptive_initial_ns < dc->adaptive_min_ns ||
            dc->adaptive_initial_ns > dc->adaptive_max_ns) {
                size_t other = dc->adaptive_initial_ns < dc->adaptive_min_ns
                                       ? K_ADAPTIVE_MIN
                                       : K_ADAPTIVE_MAX;

                return hbd__fail_at(l, first_given(f, K_ADAPTIVE_INITIAL,
                                                   other),
                                    -EINVAL, "detector.adaptive_initial_ms "
                                    "(%.15g) must be within "
                                    "detector.adaptive_min_ms .. "
                                    "detector.adaptive_max_ms (%.15g..%.15g)",
                                    (double)dc->adaptive_initial_ns / ms,
                                    (double)dc->adaptive_min_ns / ms,
                                    (double)dc->adaptive_max_ns / ms);
        }
        if (dc->adaptive_low_ratio > dc->adaptive_high_ratio)
                return hbd__fail_at(l, first_given(f, K_ADAPTIVE_LOW,
                                                   K_ADAPTIVE_HIGH),
                                    -EINVAL, "detector.adaptive_low_ratio "
                                    "(%.15g) must be <= "
                                    "detector.adaptive_high_ratio (%.15g)",
                                    dc->adaptive_low_ratio,
                                    dc->adaptive_high_ratio);
        return 0;
}

int hbd__check_thresholds(struct loader *l, const struct found *f,
                          const hbd_config_t *cfg)
{
        const yaml_node_t *at =
                f->val[K_DEAD] && !hbd__is_null(f->val[K_DEAD])
                        ? f->val[K_DEAD]
                        : f->val[K_SUSPECT];

        if (cfg->node.dead_threshold < cfg->node.suspect_threshold)
                return hbd__fail_at(l, at ? &at->start_mark : NULL, -EINVAL,
                                    "detector.dead_threshold (%.15g) must be "
                                    ">= detector.suspect_threshold (%.15g)",
                                    cfg->node.dead_threshold,
                                    cfg->node.suspect_threshold);
        if (cfg->node.detector.kind == HB_DETECTOR_ADAPTIVE)
                return check_adaptive(l, f, &cfg->node.detector);
        return 0;
}

int hbd__read_key(struct loader *l, const struct found *f,
                  hbd_config_t *cfg)
{
        const yaml_mark_t *at = &f->val[K_KEY_FILE]->start_mark;
        const char *path = cfg->key_file;
        char q[QUOTE_BUF];
        struct stat st;
        char *text = NULL;
        size_t len = 0;
        int r;

        hbd__quote(path, strlen(path), q);
        if (stat(path, &st) < 0) {
                r = -errno;
                return hbd__fail_at(l, at, r, "cluster.key_file: cannot read "
                                    "'%s': %s", q, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return hbd__fail_at(l, at, -EINVAL, "cluster.key_file: '%s' is "
                                    "not a regular file", q);
        if (st.st_mode & 0007)
                return hbd__fail_at(l, at, -EINVAL, "cluster.key_file: '%s' is "
                                    "readable or writable by other users (mode "
                                    "%04o); run chmod 600 on it", q,
                                    (unsigned)(st.st_mode & 07777));
        r = hbu_read_file(path, &text, &len);
        if (r < 0)
                return hbd__fail_at(l, at, r == -EINVAL ? -EINVAL : r,
                                    "cluster.key_file: cannot read '%s': %s", q,
                                    r == -EINVAL ? "not a regular file"
                                            : strerror(-r));
        if (memchr(text, '\0', len) ||
            hb_key_from_base64(&cfg->node.key, text) < 0)
                r = hbd__fail_at(l, at, -EINVAL, "cluster.key_file: '%s' does "
                                 "not hold a valid key (base64 of %u bytes, as "
                                 "written by 'hbeatctl keygen')", q,
                                 (unsigned)HB_KEY_LEN);
        sodium_memzero(text, len);
        free(text);
        return r;
}

/* Path knob `k`, when set: an executable regular file (a script), or a
 * character device (`device`; a FIFO is accepted too, for tests:
 * something must read it). */
static int check_path(struct loader *l, const struct found *f, size_t k,
                      const char *path, bool device)
{
        const yaml_mark_t *at;
        char q[QUOTE_BUF];
        struct stat st;

        if (!path)
                return 0;
        at = f->val[k] ? &f->val[k]->start_mark : NULL;
        hbd__quote(path, strlen(path), q);
        if (stat(path, &st) < 0)
                return hbd__fail_at(l, at, -EINVAL, "%s: cannot use '%s': %s",
                                    hbd_knobs[k].path, q, strerror(errno));
        if (device) {
                if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
                        return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not "
                                            "a character device",
                                            hbd_knobs[k].path, q);
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not a "
                                    "regular file", hbd_knobs[k].path, q);
        if (access(path, X_OK) < 0)
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not "
                                    "executable: %s", hbd_knobs[k].path, q,
                                    strerror(errno));
        return 0;
}

int hbd__check_script(struct loader *l, const struct found *f,
                      const hbd_config_t *cfg)
{
        int r;

        r = check_path(l, f, K_WATCHDOG, cfg->watchdog, true);
        if (r == 0)
                r = check_path(l, f, K_SCRIPT, cfg->notify_script, false);
        if (r == 0)
                r = check_path(l, f, K_ON_LEADER, cfg->notify_on_leader,
                               false);
        if (r == 0)
                r = check_path(l, f, K_ON_FOLLOWER, cfg->notify_on_follower,
                               false);
        if (r == 0)
                r = check_path(l, f, K_ON_NO_QUORUM,
                               cfg->notify_on_no_quorum, false);
        return r;
}

/* Knob `k` written in the file with a value (not absent, not null)? */
static bool given(const struct found *f, size_t k)
{
        return f->val[k] && !hbd__is_null(f->val[k]);
}

/* Where to point at for knob `k`: its value, else its section or the
 * place it is missing from. */
static const yaml_mark_t *mark_of(const struct found *f, size_t k)
{
        return given(f, k) ? &f->val[k]->start_mark : &f->parent[k];
}

int hbd__check_coord(struct loader *l, const struct found *f,
                     hbd_config_t *cfg)
{
        hb_coord_config_t *cc = &cfg->node.coord;
        char path[HBD_NAME_MAX + 32];
        uint64_t sum;

        if (!cc->enabled) {
                for (size_t k = 0; k < K_COUNT; k++) {
                        unsigned fl = hbd__knob_flags(k);

                        if ((fl & F_COORD) && !(fl & F_PEER) && given(f, k))
                                return hbd__fail_at(l, &f->key[k]->start_mark,
                                                    -EINVAL, "%s: only used "
                                                    "with election.enabled: "
                                                    "true", hbd_knobs[k].path);
                }
                return 0;
        }

        /* Derived default (election.delay_ms's is set with the others,
         * in load_document()). */
        if (!cfg->election_state_file) {
                snprintf(path, sizeof path, "/var/lib/hbeat/%s.state",
                         cfg->node_name);
                cfg->election_state_file = strdup(path);
                if (!cfg->election_state_file)
                        return hbd__fail_at(l, NULL, -ENOMEM,
                                            "out of memory");
        }

        sum = cc->votes;
        for (size_t i = 0; i < cfg->n_peers; i++)
                sum += cfg->peers[i].votes;
        if (sum == 0)
                return hbd__fail_at(l, mark_of(f, K_QUORUM_VOTES), -EINVAL,
                                    "quorum.votes: 0, and every peer has 0 "
                                    "votes: no partition could ever be "
                                    "quorate; give at least one node a "
                                    "vote");
        if (cc->witness && cc->votes == 0)
                return hbd__fail_at(l, mark_of(f, K_QUORUM_VOTES), -EINVAL,
                                    "quorum.witness: a witness needs a vote "
                                    "(quorum.votes >= 1; it is 0)");
        if (cc->two_node) {
                if (cfg->n_peers != 1)
                        return hbd__fail_at(l, mark_of(f, K_QUORUM_TWO_NODE),
                                            -EINVAL, "quorum.two_node: needs "
                                            "exactly 1 peer (%zu configured)",
                                            cfg->n_peers);
                if (cc->votes != 1 || cfg->peers[0].votes != 1)
                        return hbd__fail_at(l, mark_of(f, K_QUORUM_TWO_NODE),
                                            -EINVAL, "quorum.two_node: needs "
                                            "1 vote on each node (this node "
                                            "%u, peer %s %u)",
                                            (unsigned)cc->votes,
                                            cfg->peers[0].name,
                                            (unsigned)cfg->peers[0].votes);
                if (cc->expected_votes != 0 && cc->expected_votes != 2)
                        return hbd__fail_at(l, mark_of(f, K_QUORUM_EXPECTED),
                                            -EINVAL, "quorum.expected_votes: "
                                            "%u with two_node (must be 0 or "
                                            "2)", (unsigned)cc->expected_votes);
        }
        /*
         * Fewer expected votes than configured would let two disjoint
         * partitions each hold more than half of them: split brain. More
         * is allowed (nodes not configured here yet), at the price of a
         * harder quorum.
         */
        if (cc->expected_votes != 0 && cc->expected_votes < sum)
                return hbd__fail_at(l, mark_of(f, K_QUORUM_EXPECTED), -EINVAL,
                                    "quorum.expected_votes: %u is less than "
                                    "the votes configured (%llu: "
                                    "quorum.votes plus every peers[].votes); "
                                    "two partitions could both be quorate "
                                    "(0 means that sum)",
                                    (unsigned)cc->expected_votes,
                                    (unsigned long long)sum);
        /* A resource that can be started but not stopped (or the other
         * way round) could never be handed over safely. */
        if ((cfg->resource_start == NULL) != (cfg->resource_stop == NULL))
                return hbd__fail_at(l, cfg->resource_start ?
                                    &f->key[K_RES_START]->start_mark :
                                    &f->key[K_RES_STOP]->start_mark,
                                    -EINVAL, "%s: given without %s; a "
                                    "resource needs both commands",
                                    cfg->resource_start ? "resource.start" :
                                    "resource.stop",
                                    cfg->resource_start ? "resource.stop" :
                                    "resource.start");
        return 0;
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
        if (!given(f, k))
                return 0;
        return hbd__fail_at(l, &f->key[k]->start_mark, -EINVAL,
                            "%s: '%s' is not used by a check of kind %s",
                            where, hbd_knobs[k].path + strlen("checks[]."),
                            kind);
}

static int need_key(struct loader *l, const struct found *f, size_t k,
                    const char *where, const char *kind)
{
        if (given(f, k))
                return 0;
        return hbd__fail_at(l, &f->parent[k], -EINVAL,
                            "%s: a check of kind %s needs '%s'", where, kind,
                            hbd_knobs[k].path + strlen("checks[]."));
}

/* Cross-field checks of one entry. */
static int check_check(struct loader *l, const struct found *f,
                       const hbd_config_t *cfg, hbd_check_conf_t *c,
                       const char *where)
{
        static const char *const kinds[] = { "exec", "tcp", "http" };
        const char *kind = kinds[c->kind];
        char q[QUOTE_BUF];
        int r = 0;

        switch (c->kind) {
        case HBD_CHECK_EXEC:
                r = need_key(l, f, K_CHECK_COMMAND, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_TARGET, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_URL, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_EXPECT, where, kind);
                break;
        case HBD_CHECK_TCP:
                r = need_key(l, f, K_CHECK_TARGET, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_COMMAND, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_URL, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_EXPECT, where, kind);
                if (r == 0)
                        r = split_target(l, &f->val[K_CHECK_TARGET]->start_mark,
                                         where, "target", c);
                break;
        default:
                r = need_key(l, f, K_CHECK_URL, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_COMMAND, where, kind);
                if (r == 0)
                        r = refuse_key(l, f, K_CHECK_TARGET, where, kind);
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
                        return hbd__fail_at(l, &f->val[K_CHECK_NAME]->start_mark,
                                            -EINVAL, "%s.name: '%s' is the "
                                            "name of a pull peer (line %d)",
                                            where, c->name,
                                            cfg->peers[i].line);
        if (c->timeout_ns > c->interval_ns)
                return hbd__fail_at(l, given(f, K_CHECK_TIMEOUT)
                                           ? &f->val[K_CHECK_TIMEOUT]->start_mark
                                           : &f->parent[K_CHECK_TIMEOUT],
                                    -EINVAL, "%s.timeout_ms: %" PRIu64 " is "
                                    "more than interval_ms (%" PRIu64 ")",
                                    where, c->timeout_ns / HB_NS_PER_MS,
                                    c->interval_ns / HB_NS_PER_MS);
        if (given(f, K_CHECK_WEIGHT) && given(f, K_CHECK_EFFECT))
                return hbd__fail_at(l, &f->key[K_CHECK_EFFECT]->start_mark,
                                    -EINVAL, "%s: 'weight' and 'effect' "
                                    "cannot both be set", where);
        if ((c->weight != 0 || c->fault) && !cfg->node.coord.enabled) {
                size_t k = c->fault ? K_CHECK_EFFECT : K_CHECK_WEIGHT;

                return hbd__fail_at(l, &f->key[k]->start_mark, -EINVAL,
                                    "%s.%s: only used with election.enabled: "
                                    "true", where,
                                    hbd_knobs[k].path + strlen("checks[]."));
        }
        return 0;
}

/*
 * The loop every list section shares (checks[], vips[]): a sequence of
 * mappings, each walked for its own keys ("NAME[].key") and its knobs
 * applied to element i of *array, then `item` runs the section's own
 * checks (which may compare with elements [0, i)). Allocates *array with
 * n elements of `size` bytes and sets *count; the caller frees them with
 * the config.
 */
struct list_spec {
        const char *name;       /* "checks" */
        const char *prefix;     /* "checks[]." */
        unsigned flag;          /* knob flag of the section's rows */
        size_t size;            /* bytes per element */
        size_t line_off;        /* offsetof(element, line) */
        int (*item)(struct loader *l, const struct found *pf,
                    hbd_config_t *cfg, size_t i, const char *where);
};

static int load_list(struct loader *l, const yaml_node_t *seq,
                     hbd_config_t *cfg, const struct list_spec *spec,
                     void **array, size_t *count)
{
        struct found *pf;
        char *elems;
        size_t n;
        int r = 0;

        n = (size_t)(seq->data.sequence.items.top -
                     seq->data.sequence.items.start);
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
                        if (hbd__knob_flags(k) & spec->flag)
                                r = hbd__knob_apply(l, pf, k, i, e,
                                                    HB_DETECTOR_PHI);
                if (r < 0)
                        break;
                r = spec->item(l, pf, cfg, i, where);
                if (r < 0)
                        break;
        }
        free(pf);
        return r;
}

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

/* checks[i]: its own rules, and a name not used before. */
static int check_item(struct loader *l, const struct found *pf,
                      hbd_config_t *cfg, size_t i, const char *where)
{
        hbd_check_conf_t *c = &cfg->checks[i];
        int r = check_check(l, pf, cfg, c, where);

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
                offsetof(hbd_check_conf_t, line), check_item,
        };
        size_t n;
        int r = list_items(l, seq, "checks", &n);

        if (r < 0 || n == 0)
                return r;
        return load_list(l, seq, cfg, &spec, (void **)&cfg->checks,
                         &cfg->n_checks);
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
                const char *key = hbd_knobs[k].path + strlen("vips[].");

                if (v->provider == HBD_VIP_EXEC && !given(f, k))
                        return hbd__fail_at(l, &f->parent[k], -EINVAL,
                                            "%s: provider exec needs '%s'",
                                            where, key);
                if (v->provider != HBD_VIP_EXEC && given(f, k))
                        return hbd__fail_at(l, &f->key[k]->start_mark,
                                            -EINVAL, "%s.%s: only used with "
                                            "provider: exec", where, key);
        }
        return 0;
}

/* vips[i]: its own rules, and an address not used before. */
static int vip_item(struct loader *l, const struct found *pf,
                    hbd_config_t *cfg, size_t i, const char *where)
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
        };
        size_t n;
        int r = list_items(l, seq, "vips", &n);

        if (r < 0 || n == 0)
                return r;
        if (!cfg->node.coord.enabled)
                return hbd__fail_at(l, key ? &key->start_mark
                                           : &seq->start_mark, -EINVAL,
                                    "vips: only used with election.enabled: "
                                    "true (the leader holds them)");
        return load_list(l, seq, cfg, &spec, (void **)&cfg->vips,
                         &cfg->n_vips);
}
