/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: rules across keys and checks of files (contract:
 * config_impl.h).
 *
 * What lives here: the cross-field checks of the detector section (the two
 * thresholds; the adaptive detector's bounds and ratios), the quorum and
 * election rules (keys that need election.enabled, votes, two_node,
 * witness, expected_votes, resource start and stop together), and the
 * checks that touch the file system: the notify scripts must be executable
 * regular files, the watchdog a character device, the key file a regular
 * file closed to other users, holding a valid key.
 *
 * Called by load_document() in config.c, after every top-level knob is set
 * and the peers are loaded. Secrets: the key file text is wiped before it
 * is freed; the key itself lives only in hbd_config_t.node.key.
 */
#include "config/config_impl.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"

/* The value node of the first of knobs `a`, `b` (paths) written in the
 * file (not null), for the position of a cross-field error; NULL if
 * neither is. */
static const yaml_mark_t *first_given(const struct loader *l,
                                      const struct found *f, const char *a,
                                      const char *b)
{
        int ka = hbd__knob_find(l->knobs, a);
        int kb = hbd__knob_find(l->knobs, b);

        if (ka >= 0 && hbd__given(f, (size_t)ka))
                return &f->val[ka]->start_mark;
        if (kb >= 0 && hbd__given(f, (size_t)kb))
                return &f->val[kb]->start_mark;
        return NULL;
}

/* The adaptive detector's keys (its schema, detector_adaptive.c). */
#define AD_MIN "detector.adaptive_min_ms"
#define AD_MAX "detector.adaptive_max_ms"
#define AD_INITIAL "detector.adaptive_initial_ms"
#define AD_LOW "detector.adaptive_low_ratio"
#define AD_HIGH "detector.adaptive_high_ratio"

/*
 * The adaptive timeout's order min <= initial <= max and its ratios
 * low <= high (hb_detector_config_validate() would refuse them without
 * naming a key). Values are reported as the file writes them (ms); the
 * error points at the key that was written (the other side may be a
 * derived default, which is never adjusted to fit: set both).
 */
static int check_adaptive(struct loader *l, const struct found *f,
                          const hb_detector_config_t *dc)
{
        const double ms = (double)HB_NS_PER_MS;
        bool below = dc->adaptive_initial_ns < dc->adaptive_min_ns;

        if (dc->adaptive_min_ns > dc->adaptive_max_ns)
                return hbd__fail_at(l, first_given(l, f, AD_MIN, AD_MAX),
                                    -EINVAL, AD_MIN " (%.15g) must be <= "
                                    AD_MAX " (%.15g)",
                                    (double)dc->adaptive_min_ns / ms,
                                    (double)dc->adaptive_max_ns / ms);
        if (dc->adaptive_initial_ns < dc->adaptive_min_ns ||
            dc->adaptive_initial_ns > dc->adaptive_max_ns)
                return hbd__fail_at(l, first_given(l, f, AD_INITIAL, below
                                                                  ? AD_MIN
                                                                  : AD_MAX),
                                    -EINVAL, AD_INITIAL " (%.15g) must be "
                                    "within " AD_MIN " .. " AD_MAX
                                    " (%.15g..%.15g)",
                                    (double)dc->adaptive_initial_ns / ms,
                                    (double)dc->adaptive_min_ns / ms,
                                    (double)dc->adaptive_max_ns / ms);
        if (dc->adaptive_low_ratio > dc->adaptive_high_ratio)
                return hbd__fail_at(l, first_given(l, f, AD_LOW, AD_HIGH),
                                    -EINVAL, AD_LOW " (%.15g) must be <= "
                                    AD_HIGH " (%.15g)",
                                    dc->adaptive_low_ratio,
                                    dc->adaptive_high_ratio);
        return 0;
}

int hbd__check_thresholds(struct loader *l, const struct found *f,
                          const hbd_config_t *cfg)
{
        const yaml_node_t *at =
                hbd__given(f, K_DEAD) ? f->val[K_DEAD] : f->val[K_SUSPECT];

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

/* Root, or the user this process runs as. */
static bool trusted_owner(uid_t uid)
{
        return uid == 0 || uid == geteuid();
}

/* The key file may also belong to daemon.user: hbeatd reads it again
 * on a reload, as that user. */
static bool trusted_key_owner(const hbd_config_t *cfg, uid_t uid)
{
        return trusted_owner(uid) ||
               (cfg->daemon.user != NULL && uid == cfg->daemon.uid);
}

/* Group `name` (the value of `key` at `val`) as a gid. */
static int lookup_group(struct loader *l, const yaml_node_t *val,
                        const char *key, const char *name, gid_t *gid)
{
        char q[QUOTE_BUF], *buf;
        struct group gr, *grp = NULL;
        long max = sysconf(_SC_GETGR_R_SIZE_MAX);
        size_t len = max > 16384 ? (size_t)max : 16384;
        int r = 0, e;

        buf = malloc(len);
        if (buf == NULL)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        e = getgrnam_r(name, &gr, buf, len, &grp);
        if (grp == NULL) {
                hbd__quote(name, strlen(name), q);
                r = hbd__fail_at(l, val ? &val->start_mark : NULL, -EINVAL,
                                 "%s: no group '%s' on this system%s%s", key,
                                 q, e ? ": " : "", e ? strerror(e) : "");
        } else {
                *gid = gr.gr_gid;
        }
        free(buf);
        return r;
}

int hbd__check_daemon_user(struct loader *l, const struct found *f,
                           hbd_config_t *cfg)
{
        char q[QUOTE_BUF], *buf;
        struct passwd pw, *pwp = NULL;
        long max = sysconf(_SC_GETPW_R_SIZE_MAX);
        size_t len = max > 16384 ? (size_t)max : 16384;
        int r = 0, e;

        if (cfg->daemon.key_group != NULL) {
                r = lookup_group(l, f->val[K_DAEMON_KEY_GROUP],
                                 "daemon.key_group", cfg->daemon.key_group,
                                 &cfg->daemon.key_gid);
                if (r < 0)
                        return r;
        }
        if (cfg->daemon.user == NULL) {
                if (cfg->daemon.group != NULL)
                        return hbd__fail_at(l, &f->val[K_DAEMON_GROUP]->
                                            start_mark, -EINVAL,
                                            "daemon.group: only used with "
                                            "daemon.user");
                return 0;
        }
        buf = malloc(len);
        if (buf == NULL)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        e = getpwnam_r(cfg->daemon.user, &pw, buf, len, &pwp);
        if (pwp == NULL) {
                hbd__quote(cfg->daemon.user, strlen(cfg->daemon.user), q);
                r = hbd__fail_at(l, &f->val[K_DAEMON_USER]->start_mark,
                                 -EINVAL, "daemon.user: no user '%s' on this "
                                 "system%s%s", q, e ? ": " : "",
                                 e ? strerror(e) : "");
                goto out;
        }
        cfg->daemon.uid = pw.pw_uid;
        cfg->daemon.gid = pw.pw_gid;
        if (cfg->daemon.group != NULL)
                r = lookup_group(l, f->val[K_DAEMON_GROUP], "daemon.group",
                                 cfg->daemon.group, &cfg->daemon.gid);
out:
        free(buf);
        return r;
}

/* Read one key file `path` (named `label` in messages, its value at
 * `at`) into `out`: a regular file, mode 0600 or stricter, owned by root,
 * this user or daemon.user, holding one base64 key. */
int hbd__read_key_file(struct loader *l, const hbd_config_t *cfg,
                       const yaml_mark_t *at, const char *label,
                       const char *path, hb_key_t *out)
{
        char q[QUOTE_BUF];
        struct stat st;
        char *text = NULL;
        size_t len = 0;
        int r;

        hbd__quote(path, strlen(path), q);
        if (stat(path, &st) < 0) {
                r = -errno;
                return hbd__fail_at(l, at, r, "%s: cannot read '%s': %s",
                                    label, q, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not a "
                                    "regular file", label, q);
        /* As sshd's StrictModes for host keys (review F5): only its
         * owner may read it (and daemon.key_group, when configured), and
         * the owner is root, whoever loads it, or daemon.user (who reads
         * it again on a reload). */
        if (cfg->daemon.key_group != NULL &&
            st.st_gid == cfg->daemon.key_gid && (st.st_mode & 0077) == 0040)
                ; /* group-readable by the key group only */
        else if (st.st_mode & 0077)
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is readable "
                                    "or writable by its group or other "
                                    "users (mode %04o); run chmod 600 on it "
                                    "(or set daemon.key_group to let one "
                                    "group read it: chmod 640)", label, q,
                                    (unsigned)(st.st_mode & 07777));
        if (!trusted_key_owner(cfg, st.st_uid))
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is owned by "
                                    "uid %u, not by root, by the user "
                                    "loading it (uid %u) or by daemon.user",
                                    label, q,
                                    (unsigned)st.st_uid,
                                    (unsigned)geteuid());
        r = hbu_read_file(path, &text, &len);
        if (r < 0)
                return hbd__fail_at(l, at, r == -EINVAL ? -EINVAL : r,
                                    "%s: cannot read '%s': %s", label, q,
                                    r == -EINVAL ? "not a regular file"
                                            : strerror(-r));
        if (memchr(text, '\0', len) || hb_key_from_base64(out, text) < 0)
                r = hbd__fail_at(l, at, -EINVAL, "%s: '%s' does not hold a "
                                 "valid key (base64 of %u bytes, as written "
                                 "by 'hbeatctl keygen')", label, q,
                                 (unsigned)HB_KEY_LEN);
        sodium_memzero(text, len);
        free(text);
        return r;
}

int hbd__load_keys(struct loader *l, const struct found *f,
                   hbd_config_t *cfg, bool read)
{
        const yaml_node_t *list_key = f->sect_key[K_KEYS_ID];
        hb_keyring_t *ring = &cfg->node.keyring;
        hb_key_t key;
        int r;

        hb_keyring_wipe(ring);
        r = hbd__load_key_list(l, list_key, f->sect_val[K_KEYS_ID], cfg,
                               read);
        if (r < 0)
                return r;
        if (cfg->key_file && cfg->n_keys > 0)
                return hbd__fail_at(l, &list_key->start_mark, -EINVAL,
                                    "keys: not with cluster.key_file (line "
                                    "%zu): the key file is the one-key form "
                                    "of keys[] (id 0); move it into keys[]",
                                    f->key[K_KEY_FILE]->start_mark.line + 1);
        if (!cfg->key_file && cfg->n_keys == 0)
                return hbd__fail_at(l, list_key ? &list_key->start_mark
                                                : &f->parent[K_KEY_FILE],
                                    -EINVAL, "missing cluster.key_file (or "
                                    "keys[]): every message is "
                                    "authenticated with a cluster key");
        if (cfg->key_file) {
                if (hbd__given(f, K_PRIMARY_KEY))
                        return hbd__fail_at(l, &f->key[K_PRIMARY_KEY]
                                                       ->start_mark,
                                            -EINVAL, "cluster.primary_key: "
                                            "only used with keys[] "
                                            "(cluster.key_file is key id 0)");
                cfg->primary_key = 0;
        } else if (!hbd__given(f, K_PRIMARY_KEY)) {
                if (cfg->n_keys > 1)
                        return hbd__fail_at(l, &list_key->start_mark,
                                            -EINVAL, "missing "
                                            "cluster.primary_key: keys[] "
                                            "holds %zu keys; name the one "
                                            "this node sends with",
                                            cfg->n_keys);
                cfg->primary_key = cfg->keys[0].id;
        } else {
                size_t i;

                for (i = 0; i < cfg->n_keys; i++)
                        if (cfg->keys[i].id == cfg->primary_key)
                                break;
                if (i == cfg->n_keys)
                        return hbd__fail_at(l, &f->val[K_PRIMARY_KEY]
                                                       ->start_mark,
                                            -EINVAL, "cluster.primary_key: "
                                            "%" PRIu32 " is not the id of "
                                            "any keys[] entry (keys at line "
                                            "%zu)", cfg->primary_key,
                                            list_key->start_mark.line + 1);
        }
        if (!read)
                return 0;

        if (cfg->key_file) {
                r = hbd__read_key_file(l, cfg,
                                       &f->val[K_KEY_FILE]->start_mark,
                                       "cluster.key_file", cfg->key_file,
                                       &key);
                if (r == 0)
                        r = hb_keyring_add(ring, 0, &key,
                                           (uint8_t)cfg->encryption);
                hb_key_wipe(&key);
                return r;
        }
        ring->primary = (uint8_t)cfg->primary_key;
        return 0;
}

int hbd__check_events(struct loader *l, const struct found *f,
                      hbd_config_t *cfg, bool read)
{
        if (cfg->events.listen == NULL) {
                if (hbd__given(f, K_EVENTS_KEY_FILE))
                        return hbd__fail_at(l, &f->key[K_EVENTS_KEY_FILE]
                                                       ->start_mark,
                                            -EINVAL, "events.key_file: "
                                            "only used with events.listen "
                                            "(the event stream is off)");
                return 0;
        }
        if (cfg->events.key_file == NULL)
                return hbd__fail_at(l, &f->key[K_EVENTS_LISTEN]->start_mark,
                                    -EINVAL, "missing events.key_file: "
                                    "subscribers of events.listen are "
                                    "authenticated with a pre-shared key "
                                    "(hbeatctl keygen)");
        if (!read)
                return 0;
        return hbd__read_key_file(l, cfg,
                                  &f->val[K_EVENTS_KEY_FILE]->start_mark,
                                  "events.key_file", cfg->events.key_file,
                                  &cfg->events.key);
}

/* A directory another user may create files in, where they would not be
 * replaced by their owner (a sticky one such as /tmp is safe). */
static bool dir_open_to_others(const struct stat *dst)
{
        return ((dst->st_mode & 0022) && !(dst->st_mode & S_ISVTX)) ||
               !trusted_owner(dst->st_uid);
}

/*
 * A program hbeatd runs, often as root, must not be replaceable by anyone
 * else (review F5: a world-writable notify script ran as root), as sshd's
 * StrictModes: the file owned by root or this process's user and not
 * writable by group or others; its directory the same, except that a
 * sticky directory (/tmp) may be writable by others, since they cannot
 * replace a file they do not own there.
 */
static int check_writers(struct loader *l, const yaml_mark_t *at,
                         const char *key, const char *path,
                         const struct stat *st)
{
        char q[QUOTE_BUF], dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        struct stat dst;

        hbd__quote(path, strlen(path), q);
        if ((st->st_mode & 0022) || !trusted_owner(st->st_uid))
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' could be "
                                    "changed by another user (owner uid %u, "
                                    "mode %04o): it must belong to root or "
                                    "uid %u and not be writable by group or "
                                    "others (chmod go-w)", key, q,
                                    (unsigned)st->st_uid,
                                    (unsigned)(st->st_mode & 07777),
                                    (unsigned)geteuid());
        if (slash == NULL)
                snprintf(dir, sizeof(dir), ".");
        else if (slash == path)
                snprintf(dir, sizeof(dir), "/");
        else
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
        if (stat(dir, &dst) < 0)
                return 0;       /* the file was there: nothing to add */
        if (dir_open_to_others(&dst))
                return hbd__fail_at(l, at, -EINVAL, "%s: the directory of "
                                    "'%s' could be changed by another user "
                                    "(owner uid %u, mode %04o), who could "
                                    "replace the program", key, q,
                                    (unsigned)dst.st_uid,
                                    (unsigned)(dst.st_mode & 07777));
        return 0;
}

int hbd__check_program(struct loader *l, const yaml_mark_t *at,
                       const char *label, const char *program)
{
        char path[PATH_MAX], q[QUOTE_BUF];
        const char *dirs, *end;
        struct stat st;

        if (strchr(program, '/') != NULL) {
                if (stat(program, &st) == 0)
                        return S_ISREG(st.st_mode)
                                       ? check_writers(l, at, label, program,
                                                       &st)
                                       : 0;
                /* Not there yet: nobody else may put it there. */
                snprintf(path, sizeof(path), "%s", program);
                *strrchr(path, '/') = '\0';
                if (path[0] != '\0' && stat(path, &st) == 0 &&
                    dir_open_to_others(&st)) {
                        hbd__quote(program, strlen(program), q);
                        return hbd__fail_at(l, at, -EINVAL, "%s: '%s' does "
                                            "not exist, and another user "
                                            "could create it (its directory "
                                            "has owner uid %u, mode %04o)",
                                            label, q, (unsigned)st.st_uid,
                                            (unsigned)(st.st_mode & 07777));
                }
                return 0;
        }
        /* A bare name: the first match in PATH, as execvp() finds it. */
        dirs = getenv("PATH");
        if (dirs == NULL || dirs[0] == '\0')
                dirs = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                       "/sbin:/bin";
        for (; *dirs != '\0'; dirs = *end ? end + 1 : end) {
                int n;

                end = strchrnul(dirs, ':');
                n = snprintf(path, sizeof(path), "%.*s/%s",
                             (int)(end - dirs), end == dirs ? "." : dirs,
                             program);
                if (n < 0 || (size_t)n >= sizeof(path))
                        continue;
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
                    access(path, X_OK) == 0)
                        return check_writers(l, at, label, path, &st);
        }
        return 0;
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
                                    l->knobs[k].path, q, strerror(errno));
        if (device) {
                if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
                        return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not "
                                            "a character device",
                                            l->knobs[k].path, q);
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not a "
                                    "regular file", l->knobs[k].path, q);
        if (access(path, X_OK) < 0)
                return hbd__fail_at(l, at, -EINVAL, "%s: '%s' is not "
                                    "executable: %s", l->knobs[k].path, q,
                                    strerror(errno));
        return check_writers(l, at, l->knobs[k].path, path, &st);
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


/* Where to point at for knob `k`: its value, else its section or the
 * place it is missing from. */
static const yaml_mark_t *mark_of(const struct found *f, size_t k)
{
        return hbd__given(f, k) ? &f->val[k]->start_mark : &f->parent[k];
}

/*
 * Top-level keys flagged `flag` given while `switch_key` is false: an
 * error, since the value would be silently unused.
 */
static int refuse_unused(struct loader *l, const struct found *f,
                         unsigned flag, const char *switch_key)
{
        for (size_t k = 0; k < K_COUNT; k++) {
                unsigned fl = l->knobs[k].flags;

                if ((fl & flag) && !(fl & F_LIST) && hbd__given(f, k))
                        return hbd__fail_at(l, &f->key[k]->start_mark,
                                            -EINVAL, "%s: only used with "
                                            "%s: true", l->knobs[k].path,
                                            switch_key);
        }
        return 0;
}

int hbd__check_realtime(struct loader *l, const struct found *f,
                        const hbd_config_t *cfg)
{
        return cfg->realtime.enabled ? 0 : refuse_unused(l, f, F_REALTIME,
                                                         "realtime.enabled");
}

int hbd__check_timezone(struct loader *l, const struct found *f,
                        const hbd_config_t *cfg)
{
        const char *tz = cfg->daemon.timezone;
        char q[QUOTE_BUF];
        int r;

        if (!tz)
                return 0;
        r = hbs_zone_check(tz);
        if (r == 0)
                return 0;
        return hbd__fail_at(l, &f->val[K_DAEMON_TIMEZONE]->start_mark,
                            -EINVAL, "daemon.timezone: '%s' is %s",
                            hbd__quote(tz, strlen(tz), q),
                            r == -ENOENT ? "not a zone of the time zone "
                                           "database (/usr/share/zoneinfo; "
                                           "an IANA name such as "
                                           "Europe/Berlin)"
                                         : "not a time zone name (an IANA "
                                           "name such as Europe/Berlin)");
}

void hbd__state_file_default(char *buf, size_t len, const char *name,
                             const char *suffix)
{
        snprintf(buf, len, "/var/lib/hbeat/%s.%s", name, suffix);
}

int hbd__derive_incarnation_file(struct loader *l, hbd_config_t *cfg)
{
        char path[HBD_NAME_MAX + 32];

        if (cfg->incarnation_file)
                return 0;
        hbd__state_file_default(path, sizeof path, cfg->node_name,
                                "incarnation");
        cfg->incarnation_file = strdup(path);
        if (!cfg->incarnation_file)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        return 0;
}

int hbd__check_coord(struct loader *l, const struct found *f,
                     hbd_config_t *cfg)
{
        hb_coord_config_t *cc = &cfg->node.coord;
        char path[HBD_NAME_MAX + 32];
        uint64_t sum;

        if (!cc->enabled && cfg->topology_kind != NULL &&
            strcmp(cfg->topology_kind, "hierarchy") == 0 &&
            (hbd__given(f, K_RES_START) || hbd__given(f, K_RES_STOP)))
                return hbd__fail_at(l, mark_of(f, hbd__given(f, K_RES_START)
                                                      ? K_RES_START
                                                      : K_RES_STOP),
                                    -EINVAL, "%s: with topology.kind "
                                    "hierarchy only on electors "
                                    "(node.elector and election.enabled: "
                                    "true): the global coordinator, an "
                                    "elector, holds the resource "
                                    "(docs/hierarchy.md)",
                                    hbd__given(f, K_RES_START)
                                            ? "resource.start"
                                            : "resource.stop");
        if (!cc->enabled)
                return refuse_unused(l, f, F_COORD, "election.enabled");

        /* Derived default (the others are set by hbd__config_derive()
         * before the knobs: this one needs node.name). */
        if (!cfg->election_state_file) {
                hbd__state_file_default(path, sizeof path, cfg->node_name,
                                        "state");
                cfg->election_state_file = strdup(path);
                if (!cfg->election_state_file)
                        return hbd__fail_at(l, NULL, -ENOMEM,
                                            "out of memory");
        }

        if (cc->promise_max_ns != 0 &&
            cc->promise_max_ns < cfg->node.interval_ns)
                return hbd__fail_at(l, mark_of(f, K_ELECTION_PROMISE_MAX),
                                    -EINVAL, "election.promise_max_ms: %"
                                    PRIu64 " is below heartbeat.interval_ms "
                                    "(%" PRIu64 "); 0 derives it",
                                    cc->promise_max_ns / HB_NS_PER_MS,
                                    cfg->node.interval_ns / HB_NS_PER_MS);
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

/* One monitor of topology.monitors: this node's or a peer's name or id;
 * 0 if none. */
static uint32_t monitor_id(const hbd_config_t *cfg, const char *text)
{
        char *end;
        unsigned long v;

        if (strcmp(text, cfg->node_name) == 0)
                return cfg->node.node_id;
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (strcmp(text, cfg->peers[i].name) == 0)
                        return cfg->peers[i].id;
        errno = 0;
        v = strtoul(text, &end, 10);
        if (errno != 0 || *end != '\0' || end == text || v == 0 ||
            v > UINT32_MAX)
                return 0;
        if (v == cfg->node.node_id)
                return (uint32_t)v;
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].id == v)
                        return (uint32_t)v;
        return 0;
}

/* The gossip-only keys (topology.seeds ... push_pull_interval_ms). */
static const size_t gossip_keys[] = {
        K_TOPOLOGY_SEEDS, K_TOPOLOGY_ADVERTISE, K_GOSSIP_PROBE_TIMEOUT,
        K_GOSSIP_INDIRECT, K_GOSSIP_RETRANSMIT, K_GOSSIP_SUSPICION,
        K_GOSSIP_SUSPICION_MAX, K_GOSSIP_CONFIRMATIONS, K_GOSSIP_LHM_MAX,
        K_GOSSIP_FANOUT, K_GOSSIP_INTERVAL, K_GOSSIP_RECONNECT,
        K_GOSSIP_PUSH_PULL,
};

static bool wildcard(const struct sockaddr_storage *ss)
{
        static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

        if (ss->ss_family == AF_INET)
                return ((const struct sockaddr_in *)(const void *)ss)
                               ->sin_addr.s_addr == htonl(INADDR_ANY);
        return ss->ss_family == AF_INET6 &&
               memcmp(&((const struct sockaddr_in6 *)(const void *)ss)
                               ->sin6_addr, &any6, sizeof(any6)) == 0;
}

/* topology.kind gossip: what it cannot be combined with, the seeds
 * resolved, the advertised address. */
static int check_gossip(struct loader *l, const struct found *f,
                        hbd_config_t *cfg)
{
        const yaml_mark_t *kind_at = mark_of(f, K_TOPOLOGY_KIND);
        hb_node_config_t *n = &cfg->node;
        size_t count = 0;
        char q[QUOTE_BUF], err[128];

        n->topology = HB_TOPOLOGY_GOSSIP;
        if (cfg->topology_monitors)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_MONITORS),
                                    -EINVAL, "topology.monitors: only with "
                                    "topology.kind monitors");
        /* Quorum and election on gossip: the voters are the configured
         * peers (docs/gossip.md, "Quorum and election"); members learned
         * by gossip never vote. Without peers, every node that joins
         * with election on would be a cluster of its own vote. */
        if (n->coord.enabled && cfg->n_peers == 0)
                return hbd__fail_at(l, mark_of(f, K_ELECTION_ENABLED),
                                    -EINVAL, "election.enabled: with "
                                    "topology.kind gossip the voters are "
                                    "the peers, and none is configured (a "
                                    "member learned by gossip never "
                                    "votes); list the voters in peers, or "
                                    "leave election off on a member that "
                                    "only joins");
        if (cfg->n_links > 0)
                return hbd__fail_at(l, kind_at, -EINVAL,
                                    "topology.kind gossip: not with links "
                                    "in this version (one UDP socket, "
                                    "listen)");
        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                if (p->pull || p->push)
                        return hbd__fail_at(l, kind_at, -EINVAL,
                                            "topology.kind gossip: peer "
                                            "'%s' is a %s peer; pull and "
                                            "push peers need the mesh",
                                            p->name, p->pull ? "pull"
                                                             : "push");
                if (p->roaming)
                        return hbd__fail_at(l, kind_at, -EINVAL,
                                            "topology.kind gossip: peer "
                                            "'%s' is roaming; in gossip "
                                            "leave it out of peers (a member "
                                            "learned by gossip is admitted "
                                            "by the key from any address)",
                                            p->name);
        }
        if (cfg->gossip_advertise == NULL) {
                if (wildcard(&cfg->listen_addr))
                        return hbd__fail_at(l, mark_of(f, K_LISTEN),
                                            -EINVAL, "topology.kind gossip: "
                                            "listen is a wildcard address; "
                                            "set topology.advertise to the "
                                            "address members reach this "
                                            "node at");
                memcpy(&cfg->gossip_advertise_addr, &cfg->listen_addr,
                       sizeof(cfg->listen_addr));
                cfg->gossip_advertise_addr_len = cfg->listen_addr_len;
        } else if (wildcard(&cfg->gossip_advertise_addr)) {
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_ADVERTISE),
                                    -EINVAL, "topology.advertise: not a "
                                    "wildcard address");
        }
        if (n->gossip.probe_timeout_ns > n->interval_ns)
                return hbd__fail_at(l, mark_of(f, K_GOSSIP_PROBE_TIMEOUT),
                                    -EINVAL, "topology.probe_timeout_ms: at "
                                    "most heartbeat.interval_ms (%" PRIu64
                                    ", the probe interval)",
                                    n->interval_ns / HB_NS_PER_MS);
        if (n->gossip.gossip_interval_ns > n->interval_ns)
                return hbd__fail_at(l, mark_of(f, K_GOSSIP_INTERVAL),
                                    -EINVAL, "topology.gossip_interval_ms: "
                                    "at most heartbeat.interval_ms (%" PRIu64
                                    ")", n->interval_ns / HB_NS_PER_MS);
        if (cfg->push_pull_interval_ns != 0 &&
            cfg->push_pull_interval_ns < n->interval_ns)
                return hbd__fail_at(l, mark_of(f, K_GOSSIP_PUSH_PULL),
                                    -EINVAL, "topology.push_pull_interval_ms"
                                    ": 0 or at least heartbeat.interval_ms "
                                    "(%" PRIu64 ")",
                                    n->interval_ns / HB_NS_PER_MS);
        if (cfg->topology_seeds == NULL)
                count = cfg->n_peers;
        else
                for (char **m = cfg->topology_seeds; *m; m++)
                        count++;
        cfg->gossip_seed_addr = calloc(count + 1,
                                       sizeof(*cfg->gossip_seed_addr));
        if (!cfg->gossip_seed_addr)
                return hbd__fail_at(l, NULL, -ENOMEM, "out of memory");
        cfg->n_gossip_seeds = 0;
        for (size_t i = 0; i < count; i++) {
                const hbd_peer_conf_t *p = NULL;
                const char *text;
                socklen_t alen;

                if (cfg->topology_seeds == NULL) {
                        memcpy(&cfg->gossip_seed_addr[i],
                               &cfg->peers[i].addr,
                               sizeof(cfg->peers[i].addr));
                        cfg->n_gossip_seeds++;
                        continue;
                }
                text = cfg->topology_seeds[i];
                if (strcmp(text, cfg->node_name) == 0)
                        return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_SEEDS),
                                            -EINVAL, "topology.seeds: '%s' "
                                            "is this node",
                                            hbd__quote(text, strlen(text),
                                                       q));
                for (size_t j = 0; j < cfg->n_peers && !p; j++)
                        if (strcmp(text, cfg->peers[j].name) == 0)
                                p = &cfg->peers[j];
                if (p != NULL) {
                        memcpy(&cfg->gossip_seed_addr[i], &p->addr,
                               sizeof(p->addr));
                } else if (hbu_parse_address(text,
                                             &cfg->gossip_seed_addr[i],
                                             &alen, err, sizeof(err)) < 0) {
                        return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_SEEDS),
                                            -EINVAL, "topology.seeds: '%s' "
                                            "is neither a peer's name nor "
                                            "an address (%s)",
                                            hbd__quote(text, strlen(text),
                                                       q), err);
                }
                cfg->n_gossip_seeds++;
        }
        return 0;
}

/*
 * topology.kind hierarchy (docs/hierarchy.md): every node and peer has a
 * region; the electors (node.elector, peers[].elector) run the regional
 * election, so election.enabled is on exactly on them; every region has
 * at least one elector; not with links, classes, pull or push peers.
 */
static int check_hierarchy(struct loader *l, const struct found *f,
                           hbd_config_t *cfg)
{
        hb_node_config_t *n = &cfg->node;
        uint64_t present = 0, with_elector = 0;
        const yaml_mark_t *kind = mark_of(f, K_TOPOLOGY_KIND);

        if (cfg->topology_monitors)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_MONITORS),
                                    -EINVAL, "topology.monitors: only with "
                                    "topology.kind monitors");
        if (n->hier.region == 0)
                return hbd__fail_at(l, mark_of(f, K_NODE_REGION), -EINVAL,
                                    "node.region: required with "
                                    "topology.kind hierarchy (1 to %u)",
                                    HB_HIER_REGIONS_MAX);
        if (n->hier.elector && !n->coord.enabled)
                return hbd__fail_at(l, mark_of(f, K_NODE_ELECTOR), -EINVAL,
                                    "node.elector: an elector runs its "
                                    "region's election: set "
                                    "election.enabled: true");
        if (!n->hier.elector && n->coord.enabled)
                return hbd__fail_at(l, mark_of(f, K_ELECTION_ENABLED),
                                    -EINVAL, "election.enabled: with "
                                    "topology.kind hierarchy only on "
                                    "electors (node.elector: true)");
        if (n->hier.global_interval_ns == 0)
                n->hier.global_interval_ns = n->interval_ns * 5 / 2;
        if (n->hier.global_interval_ns < n->interval_ns)
                return hbd__fail_at(l, mark_of(f,
                                               K_TOPOLOGY_GLOBAL_INTERVAL),
                                    -EINVAL, "topology.global_interval_ms: "
                                    "at least heartbeat.interval_ms");
        if (cfg->n_links > 0 || cfg->n_classes > 0)
                return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                    "hierarchy: not with %s in this "
                                    "version (docs/hierarchy.md)",
                                    cfg->n_links > 0 ? "links" : "classes");
        /*
         * The resource and the VIPs follow the global role there
         * (policy.c role_event(): the global coordinator, established,
         * holds them; docs/hierarchy.md). Fencing does not fit yet: a
         * new holder hears no heartbeat of the other regions' nodes, so
         * it cannot tell a former holder that reports its resource
         * stopped (spared) from one that may still run it, and would
         * fence every elector of every other region on each handover.
         */
        if (hbd__given(f, K_FENCE_COMMAND) || hbd__given(f, K_WATCHDOG))
                return hbd__fail_at(l, mark_of(f, hbd__given(f,
                                                             K_FENCE_COMMAND)
                                                      ? K_FENCE_COMMAND
                                                      : K_WATCHDOG),
                                    -EINVAL, "%s: not with topology.kind "
                                    "hierarchy in this version: a new "
                                    "global holder hears no heartbeat from "
                                    "the other regions' nodes, so it could "
                                    "not tell which former holder still "
                                    "runs the resource; the global term "
                                    "(HBEAT_TERM) is the fencing token to "
                                    "give the resource (docs/hierarchy.md)",
                                    hbd__given(f, K_FENCE_COMMAND)
                                            ? "fencing.command"
                                            : "fencing.watchdog");
        present |= UINT64_C(1) << (n->hier.region - 1);
        if (n->hier.elector)
                with_elector |= UINT64_C(1) << (n->hier.region - 1);
        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                if (p->external)
                        return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                            "hierarchy: peer '%s' (line %d) "
                                            "is a %s peer; pull and push "
                                            "peers need the mesh", p->name,
                                            p->line, p->pull ? "pull"
                                                             : "push");
                if (p->region == 0)
                        return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                            "hierarchy: peer '%s' (line %d) "
                                            "has no region (peers[].region, "
                                            "1 to %u)", p->name, p->line,
                                            HB_HIER_REGIONS_MAX);
                if (p->votes != 1)
                        return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                            "hierarchy: peers[].votes (peer "
                                            "'%s', line %d): votes follow "
                                            "the electors; use "
                                            "peers[].elector", p->name,
                                            p->line);
                present |= UINT64_C(1) << (p->region - 1);
                if (p->elector)
                        with_elector |= UINT64_C(1) << (p->region - 1);
        }
        if (present != with_elector) {
                uint64_t miss = present & ~with_elector;
                unsigned r = 1;

                while (!(miss & 1)) {
                        miss >>= 1;
                        r++;
                }
                return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                    "hierarchy: region %u has no elector "
                                    "(node.elector, peers[].elector): it "
                                    "could never elect a coordinator", r);
        }
        n->hier.enabled = true;
        return 0;
}

/*
 * topology.kind subset (docs/subset.md): k from topology.k; every node
 * lists every other node (the ring is this node and its peers); not with
 * what the core refuses with it in this version (election, links,
 * classes), nor with peers that run no hbeatd (pull, push) or whose
 * address is learned from their heartbeats (roaming: only its monitors
 * hear them, the others could not send it their verdicts).
 */
static int check_subset(struct loader *l, const struct found *f,
                        hbd_config_t *cfg)
{
        hb_node_config_t *n = &cfg->node;
        const yaml_mark_t *kind = mark_of(f, K_TOPOLOGY_KIND);

        if (cfg->topology_monitors)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_MONITORS),
                                    -EINVAL, "topology.monitors: only with "
                                    "topology.kind monitors (subset "
                                    "chooses each node's monitors on its "
                                    "ring; set topology.k)");
        if (n->coord.enabled)
                return hbd__fail_at(l, mark_of(f, K_ELECTION_ENABLED),
                                    -EINVAL, "election.enabled: not with "
                                    "topology.kind subset in this version "
                                    "(docs/subset.md)");
        if (cfg->n_links > 0 || cfg->n_classes > 0)
                return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                    "subset: not with %s in this version "
                                    "(docs/subset.md)",
                                    cfg->n_links > 0 ? "links" : "classes");
        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                if (p->pull || p->push)
                        return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                            "subset: peer '%s' (line %d) is "
                                            "a %s peer; pull and push peers "
                                            "need the mesh", p->name,
                                            p->line, p->pull ? "pull"
                                                             : "push");
                if (p->roaming)
                        return hbd__fail_at(l, kind, -EINVAL, "topology.kind "
                                            "subset: peer '%s' (line %d) is "
                                            "roaming; in subset every node "
                                            "sends verdicts to every peer, "
                                            "so each needs a configured "
                                            "address", p->name, p->line);
        }
        n->topology = HB_TOPOLOGY_SUBSET;
        return 0;
}

/* Another topology than hierarchy: none of its keys. */
static int no_hier_keys(struct loader *l, const struct found *f,
                        const hbd_config_t *cfg)
{
        size_t k = hbd__given(f, K_NODE_REGION)    ? K_NODE_REGION
                   : hbd__given(f, K_NODE_ELECTOR) ? K_NODE_ELECTOR
                                                   : K_TOPOLOGY_GLOBAL_INTERVAL;

        if (hbd__given(f, k))
                return hbd__fail_at(l, mark_of(f, k), -EINVAL,
                                    "node.region, node.elector and "
                                    "topology.global_interval_ms: only "
                                    "with topology.kind hierarchy");
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].region != 0 || cfg->peers[i].elector)
                        return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_KIND),
                                            -EINVAL, "peers[].region and "
                                            "peers[].elector (peer '%s', "
                                            "line %d): only with "
                                            "topology.kind hierarchy",
                                            cfg->peers[i].name,
                                            cfg->peers[i].line);
        return 0;
}

int hbd__check_topology(struct loader *l, const struct found *f,
                        hbd_config_t *cfg)
{
        hb_node_config_t *n = &cfg->node;
        size_t count = 0;

        n->n_monitors = 0;
        n->topology = HB_TOPOLOGY_MESH;
        n->hier.enabled = false;
        if (strcmp(cfg->topology_kind, "hierarchy") != 0 &&
            no_hier_keys(l, f, cfg) < 0)
                return -EINVAL;
        if (strcmp(cfg->topology_kind, "subset") != 0 &&
            hbd__given(f, K_TOPOLOGY_K))
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_K), -EINVAL,
                                    "topology.k: only with topology.kind "
                                    "subset");
        if (strcmp(cfg->topology_kind, "gossip") == 0)
                return check_gossip(l, f, cfg);
        for (size_t i = 0; i < sizeof(gossip_keys) / sizeof(gossip_keys[0]);
             i++)
                if (hbd__given(f, gossip_keys[i]))
                        return hbd__fail_at(l, mark_of(f, gossip_keys[i]),
                                            -EINVAL, "%s: only with "
                                            "topology.kind gossip",
                                            l->knobs[gossip_keys[i]].path);
        if (strcmp(cfg->topology_kind, "hierarchy") == 0)
                return check_hierarchy(l, f, cfg);
        if (strcmp(cfg->topology_kind, "subset") == 0)
                return check_subset(l, f, cfg);
        if (strcmp(cfg->topology_kind, "mesh") == 0) {
                if (cfg->topology_monitors)
                        return hbd__fail_at(l, mark_of(f,
                                                       K_TOPOLOGY_MONITORS),
                                            -EINVAL, "topology.monitors: "
                                            "only with topology.kind "
                                            "monitors");
                return 0;
        }
        if (strcmp(cfg->topology_kind, "monitors") != 0)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_KIND), -EINVAL,
                                    "topology.kind: mesh, monitors, "
                                    "gossip, hierarchy or subset");
        if (!cfg->topology_monitors)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_MONITORS),
                                    -EINVAL, "topology.monitors: required "
                                    "with topology.kind monitors");
        for (char **m = cfg->topology_monitors; *m; m++)
                count++;
        if (count > HB_MONITORS_MAX)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_MONITORS),
                                    -EINVAL, "topology.monitors: at most "
                                    "%u monitors", HB_MONITORS_MAX);
        if (n->coord.enabled)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_KIND), -EINVAL,
                                    "topology.kind monitors: not with "
                                    "election.enabled in this version "
                                    "(docs/topologies.md)");
        if (cfg->n_links > 0)
                return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_KIND), -EINVAL,
                                    "topology.kind monitors: not with "
                                    "links in this version "
                                    "(docs/topologies.md)");
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].pull || cfg->peers[i].push)
                        return hbd__fail_at(l, mark_of(f, K_TOPOLOGY_KIND),
                                            -EINVAL, "topology.kind "
                                            "monitors: peer '%s' is a %s "
                                            "peer; pull and push peers need "
                                            "the mesh", cfg->peers[i].name,
                                            cfg->peers[i].pull ? "pull"
                                                               : "push");
        for (size_t i = 0; i < count; i++) {
                const char *text = cfg->topology_monitors[i];
                uint32_t id = monitor_id(cfg, text);
                char q[QUOTE_BUF];

                if (id == 0)
                        return hbd__fail_at(l, mark_of(f,
                                                       K_TOPOLOGY_MONITORS),
                                            -EINVAL, "topology.monitors: "
                                            "'%s' is neither this node nor "
                                            "a peer (name or id)",
                                            hbd__quote(text, strlen(text),
                                                       q));
                for (uint32_t j = 0; j < n->n_monitors; j++)
                        if (n->monitors[j] == id)
                                return hbd__fail_at(
                                        l, mark_of(f, K_TOPOLOGY_MONITORS),
                                        -EINVAL, "topology.monitors: '%s' "
                                        "twice", hbd__quote(text,
                                                            strlen(text), q));
                n->monitors[n->n_monitors++] = id;
        }
        return 0;
}
