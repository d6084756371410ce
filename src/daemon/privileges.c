/* SPDX-License-Identifier: MIT */
/*
 * The privileges module (daemon.user, daemon.group; docs/operations.md,
 * "User and capabilities"): once what needs root is done, hbeatd keeps only the
 * capabilities its configuration needs, and, with daemon.user, runs as
 * that user.
 *
 *   needed     CAP_NET_ADMIN and CAP_NET_RAW while a vip uses the netlink
 *              provider (addresses added and removed over netlink, the
 *              gratuitous ARP on an AF_PACKET socket and the neighbour
 *              advertisement on a raw ICMPv6 one, vip.c); CAP_SYS_NICE
 *              with realtime.enabled, and CAP_IPC_LOCK with
 *              realtime.lock_memory too (later mappings stay locked past
 *              RLIMIT_MEMLOCK, realtime.c). Nothing else: the UDP socket,
 *              the control socket and the HTTP listener are open by now
 *              and cannot change on a reload, ICMP errors come on the UDP
 *              socket (IP_RECVERR), and no port below 1024 is bound later.
 *   as root    with daemon.user: PR_SET_KEEPCAPS, the user's groups
 *              (initgroups(3), daemon.group as the primary one when set),
 *              setresgid(), setresuid(), then the capability sets cut to
 *              what is needed and still permitted (libcap), and a check
 *              that root cannot be had back (as OpenSSH's
 *              permanently_set_uid()). Without daemon.user hbeatd stays
 *              root with everything, as before.
 *   not root   (systemd's User= with AmbientCapabilities=, the shipped
 *              unit): the capability sets cut the same way.
 *   always     the ambient set cleared: children (scripts, checks,
 *              fencing and exec vip commands) run without capabilities,
 *              as the user hbeatd runs as.
 *
 * Started after the vips (their netlink socket is open) and before the
 * actions, whose start may run resource.stop: every child hbeatd spawns
 * runs as the final user. The loop thread is the one that matters: it
 * spawns every child and makes every privileged call. Capability sets are
 * per thread (libcap's cap_set_proc()); the uid change is for every
 * thread (glibc), and threads made before it (libuv's pool, with
 * realtime.enabled) lose their capabilities with it, since PR_SET_KEEPCAPS
 * is the loop thread's only. Under User= with ambient capabilities those
 * threads keep theirs; they run no child and make no privileged call.
 *
 * Nothing changes on a reload: daemon.* are not reloadable, and a vip or
 * realtime change that would need a capability dropped here is refused
 * by the module that needs it when it fails, with the kernel's EPERM.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "daemon/module.h"

#define CAPS_MAX 4
#define CAPS_TEXT 160

typedef struct privileges {
        hbd_ctx_t *ctx;
        bool switched;                 /* daemon.user applied by us */
        bool cut;                      /* capability sets cut to needs */
        char caps[CAPS_TEXT];          /* kept: cap_to_text(), or "all" */
} privileges_t;

/* The capabilities `cfg` needs after start-up (out: CAPS_MAX). */
static int needed_caps(const hbd_config_t *cfg, cap_value_t *out)
{
        int n = 0;
        size_t i;

        for (i = 0; i < cfg->n_vips; i++)
                if (cfg->vips[i].provider == HBD_VIP_NETLINK) {
                        out[n++] = CAP_NET_ADMIN;
                        out[n++] = CAP_NET_RAW;
                        break;
                }
        if (cfg->realtime.enabled) {
                out[n++] = CAP_SYS_NICE;
                if (cfg->realtime.lock_memory)
                        out[n++] = CAP_IPC_LOCK;
        }
        return n;
}

/* Of `want`, those in the permitted set now (into `keep`). */
static int still_permitted(const cap_value_t *want, int n, cap_value_t *keep)
{
        cap_t cur = cap_get_proc();
        cap_flag_value_t v;
        int i, k = 0;

        if (cur == NULL)
                return -errno;
        for (i = 0; i < n; i++)
                if (cap_get_flag(cur, want[i], CAP_PERMITTED, &v) == 0 &&
                    v == CAP_SET)
                        keep[k++] = want[i];
        cap_free(cur);
        return k;
}

/* daemon.user's groups and uid, keeping the permitted set. */
static int switch_user(privileges_t *p, const hbd_config_t *cfg)
{
        hbd_log_t *log = p->ctx->log;
        uid_t uid = cfg->daemon.uid;
        gid_t gid = cfg->daemon.gid;

        if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0) {
                hbd_error(log, "cannot keep capabilities across the user "
                          "change (PR_SET_KEEPCAPS): %s", strerror(errno));
                return -errno;
        }
        if (initgroups(cfg->daemon.user, gid) < 0 ||
            setresgid(gid, gid, gid) < 0) {
                hbd_error(log, "cannot switch to group %u of daemon.user "
                          "%s: %s", (unsigned)gid, cfg->daemon.user,
                          strerror(errno));
                return -errno;
        }
        if (setresuid(uid, uid, uid) < 0) {
                hbd_error(log, "cannot switch to daemon.user %s (uid %u): "
                          "%s", cfg->daemon.user, (unsigned)uid,
                          strerror(errno));
                return -errno;
        }
        (void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
        p->switched = true;
        return 0;
}

/* Permitted and effective: exactly keep[]; inheritable and ambient:
 * nothing. */
static int cut_caps(privileges_t *p, const cap_value_t *keep, int n)
{
        cap_t caps = cap_init();
        char *text;
        int r = 0;

        if (caps == NULL)
                return -ENOMEM;
        if (n > 0 &&
            (cap_set_flag(caps, CAP_PERMITTED, n, keep, CAP_SET) < 0 ||
             cap_set_flag(caps, CAP_EFFECTIVE, n, keep, CAP_SET) < 0))
                r = -errno;
        if (r == 0 && cap_set_proc(caps) < 0)
                r = -errno;
        cap_free(caps);
        if (r < 0) {
                hbd_error(p->ctx->log, "cannot set the capabilities: %s",
                          strerror(-r));
                return r;
        }
        /* EINVAL: a kernel without ambient capabilities (< 4.3). */
        if (cap_reset_ambient() < 0 && errno != EINVAL) {
                hbd_error(p->ctx->log, "cannot clear the ambient "
                          "capabilities: %s", strerror(errno));
                return -errno;
        }
        p->cut = true;
        caps = cap_get_proc();
        text = caps != NULL ? cap_to_text(caps, NULL) : NULL;
        snprintf(p->caps, sizeof(p->caps), "%s",
                 text == NULL ? "?" : text[0] == '=' && text[1] == '\0'
                                          ? "none" : text);
        cap_free(text);
        cap_free(caps);
        return 0;
}

static int start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        cap_value_t want[CAPS_MAX], keep[CAPS_MAX];
        privileges_t *p;
        int n, r;

        p = calloc(1, sizeof(*p));
        if (p == NULL)
                return -ENOMEM;
        p->ctx = ctx;
        snprintf(p->caps, sizeof(p->caps), "all (root)");
        *state = p;
        if (geteuid() == 0 &&
            (cfg->daemon.user == NULL || cfg->daemon.uid == 0))
                return 0;       /* stays root: as before daemon.user */
        if (cfg->daemon.user != NULL && geteuid() != cfg->daemon.uid &&
            geteuid() != 0) {
                hbd_error(ctx->log, "daemon.user is %s (uid %u), but hbeatd "
                          "runs as uid %u and cannot switch: start it as "
                          "root, or as that user", cfg->daemon.user,
                          (unsigned)cfg->daemon.uid, (unsigned)geteuid());
                r = -EPERM;
                goto fail;
        }
        n = still_permitted(want, needed_caps(cfg, want), keep);
        if (n < 0) {
                r = n;
                hbd_error(ctx->log, "cannot read the capabilities: %s",
                          strerror(-r));
                goto fail;
        }
        if (cfg->daemon.user != NULL && geteuid() != cfg->daemon.uid) {
                r = switch_user(p, cfg);
                if (r < 0)
                        goto fail;
        }
        r = cut_caps(p, keep, n);
        if (r < 0)
                goto fail;
        if (p->switched && (setuid(0) == 0 || seteuid(0) == 0)) {
                hbd_error(ctx->log, "could get root back after switching "
                          "to daemon.user %s: refusing to run",
                          cfg->daemon.user);
                r = -EPERM;
                goto fail;
        }
        hbd_info(ctx->log, "running as uid %u gid %u%s%s%s, capabilities: "
                 "%s", (unsigned)geteuid(), (unsigned)getegid(),
                 p->switched ? " (daemon.user " : "",
                 p->switched ? cfg->daemon.user : "",
                 p->switched ? ")" : "", p->caps);
        return 0;
fail:
        free(p);
        *state = NULL;
        return r;
}

static void status(void *state, json_t *doc)
{
        privileges_t *p = state;
        const hbd_config_t *cfg = p->ctx->cfg;

        json_object_set_new(doc, "privileges",
                            json_pack("{s:s?, s:I, s:I, s:s}",
                                      "user", cfg->daemon.user,
                                      "uid", (json_int_t)geteuid(),
                                      "gid", (json_int_t)getegid(),
                                      "capabilities", p->caps));
}

static void stop(void *state, void (*done)(void *arg), void *arg)
{
        free(state);
        done(arg);
}

const hbd_module_t hbd_privileges_module = {
        .name = "privileges",
        .events = 0,
        .start = start,
        .status = status,
        .stop = stop,
};
