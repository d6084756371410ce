/* SPDX-License-Identifier: MIT */
/*
 * The virtual IPs module (vips[], docs/vip.md): at-least-one semantics
 * driven by the election. A node that *may act* (leader and established:
 * the one signal of the policy machine, include/hbeat/policy.h, which the
 * resource follows too) holds every configured address; any other node
 * holds none. The machine decides; its executor (actions.c) says so on
 * the bus (HBD_EV_MAY_ACT), and this module follows.
 *
 *   acquire           netlink: RTM_NEWADDR for each address, all or
 *                     nothing (a failure removes those added in the same
 *                     transition), then announce: gratuitous ARP (IPv4)
 *                     or unsolicited neighbour advertisement (IPv6), three
 *                     times 100 ms apart; exec: run `up`
 *   release           netlink: RTM_DELADDR; exec: run `down`
 *   quorum regained   while held: announce again (a healed partition)
 *   start             remove stale copies (we may not act yet)
 *   shutdown          remove (before the leave message)
 *
 * The netlink requests are synchronous: a local NETLINK_ROUTE socket with
 * a receive timeout of HBD_VIP_NL_TIMEOUT_MS answers in microseconds, so
 * they run on the loop. The exec provider's commands run asynchronously
 * as children of the process supervisor (src/io/proc.c), killed with
 * their group after notify.timeout_ms, with HBEAT_VIP, HBEAT_INTERFACE and
 * HBEAT_TERM (the fencing token) in the environment.
 *
 * Reload, as one step of the daemon's all-or-nothing transaction
 * (module.h): prepare matches the new entries with the running ones (same
 * address, interface and provider, and commands for exec) and opens the
 * netlink socket if the new set needs one (the step that can fail);
 * commit removes the entries that went away (if held), carries the state
 * of those that stay, and, while this node may act, adds the new ones.
 * s->cfg is the config the entries are parallel to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "daemon/module.h"
#include "io/proc.h"

#define HBD_VIP_NL_TIMEOUT_MS 1000
#define HBD_VIP_ANNOUNCE_COUNT 3
#define HBD_VIP_ANNOUNCE_GAP_MS 100
#define HBD_VIP_ERR_MAX 160

struct vip {
        bool held;                     /* netlink: added by us; exec: up
                                          succeeded and down not run */
        char last_error[HBD_VIP_ERR_MAX]; /* "" when none */
        bool added_now;                /* in this transition (roll back) */
        bool fresh;                    /* new with a reload's commit */
};

struct hbd_vips {
        hbd_ctx_t *ctx;
        const hbd_config_t *cfg;       /* the entries' config */
        size_t n;
        struct vip *v;                 /* n entries, parallel to cfg->vips */
        struct mnl_socket *nl;         /* NULL when no netlink vip */
        uint32_t seq;
        uv_timer_t announce_timer;
        unsigned announce_left;
        bool acting;                   /* this node may act: VIPs held */
        bool stopped;
        bool timer_closed;             /* freed once closed and no job */
        uint64_t term;                 /* of the last acquire/release */
        unsigned jobs;                 /* exec commands running */
};

/* One exec command, until the supervisor reports its end. It names its
 * entry by address: a reload may renumber or remove entries meanwhile. */
struct job {
        struct hbd_vips *s;
        char address[64];
        bool up;
};

static const hbd_vip_conf_t *conf(const struct hbd_vips *s, size_t i)
{
        return &s->cfg->vips[i];
}

/* The entry with this address, or s->n. */
static size_t find(const struct hbd_vips *s, const char *address)
{
        size_t i;

        for (i = 0; i < s->n; i++)
                if (strcmp(conf(s, i)->address, address) == 0)
                        break;
        return i;
}

static void set_error(struct hbd_vips *s, size_t i, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_error(struct hbd_vips *s, size_t i, const char *fmt, ...)
{
        struct vip *v = &s->v[i];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(v->last_error, sizeof v->last_error, fmt, ap);
        va_end(ap);
        hbd_error(s->ctx->log, "vip %s: %s", conf(s, i)->address,
                  v->last_error);
}

/* ---- netlink ------------------------------------------------------ */

static int nl_open(struct hbd_vips *s)
{
        struct timeval tv = {
                .tv_sec = HBD_VIP_NL_TIMEOUT_MS / 1000,
                .tv_usec = (HBD_VIP_NL_TIMEOUT_MS % 1000) * 1000,
        };
        int r;

        s->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!s->nl)
                return -errno;
        if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
            setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO,
                       &tv, sizeof tv) < 0) {
                r = -errno;
                mnl_socket_close(s->nl);
                s->nl = NULL;
                return r;
        }
        return 0;
}

/*
 * RTM_NEWADDR or RTM_DELADDR of entry `c` on `ifindex`, waiting for the
 * kernel's ACK. Returns 0 or the kernel's negative errno (-EEXIST: already
 * there; -EADDRNOTAVAIL: not there), -ETIMEDOUT without an answer.
 */
static int nl_addr(struct hbd_vips *s, uint16_t type,
                   const hbd_vip_conf_t *c, unsigned ifindex)
{
        char buf[8192];
        size_t alen = c->family == AF_INET ? 4 : 16;
        unsigned portid = mnl_socket_get_portid(s->nl);
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        uint32_t seq;
        ssize_t n;

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        if (type == RTM_NEWADDR)
                nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
        seq = ++s->seq;
        nlh->nlmsg_seq = seq;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t)c->family;
        ifa->ifa_prefixlen = (uint8_t)c->prefix_len;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, alen, c->addr);
        mnl_attr_put(nlh, IFA_ADDRESS, alen, c->addr);
        if (c->family == AF_INET6 && type == RTM_NEWADDR) {
                /* Usable at once: the address moves, it is not new on
                 * the link; duplicate detection would delay it. */
                ifa->ifa_flags = IFA_F_NODAD;
                mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
        }
        if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                n = mnl_socket_recvfrom(s->nl, buf, sizeof buf);
                if (n < 0)
                        return errno == EAGAIN || errno == EWOULDBLOCK
                                       ? -ETIMEDOUT : -errno;
                for (nlh = (struct nlmsghdr *)(void *)buf;
                     mnl_nlmsg_ok(nlh, (int)n);
                     nlh = mnl_nlmsg_next(nlh, (int *)(void *)&n)) {
                        const struct nlmsgerr *e;

                        /* Answers to an earlier request that timed out. */
                        if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
                                continue;
                        if (nlh->nlmsg_type != NLMSG_ERROR)
                                continue;
                        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *e))
                                return -EBADMSG;
                        e = mnl_nlmsg_get_payload(nlh);
                        return e->error;
                }
        }
}

/* The interface's index, or 0 with the error recorded. */
static unsigned ifindex_of(struct hbd_vips *s, size_t i)
{
        unsigned idx = if_nametoindex(conf(s, i)->interface);

        if (idx == 0)
                set_error(s, i, "interface '%s' not found",
                          conf(s, i)->interface);
        return idx;
}

static int nl_add(struct hbd_vips *s, size_t i)
{
        const hbd_vip_conf_t *c = conf(s, i);
        unsigned idx = ifindex_of(s, i);
        int r;

        if (idx == 0)
                return -ENODEV;
        r = nl_addr(s, RTM_NEWADDR, c, idx);
        if (r == -EEXIST)
                r = 0;          /* already there (ours, from before) */
        if (r < 0) {
                set_error(s, i, "cannot add to %s: %s%s", c->interface,
                          strerror(-r), r == -EPERM ? " (needs "
                          "CAP_NET_ADMIN)" : "");
                return r;
        }
        s->v[i].held = true;
        s->v[i].last_error[0] = '\0';
        hbd_info(s->ctx->log, "vip %s: added to %s", c->address,
                 c->interface);
        return 0;
}

/* Remove entry i if present; `why` for the log ("stale", ...). */
static int nl_del(struct hbd_vips *s, size_t i, const char *why)
{
        const hbd_vip_conf_t *c = conf(s, i);
        unsigned idx = ifindex_of(s, i);
        int r;

        if (idx == 0) {
                s->v[i].held = false;   /* gone with its interface */
                return -ENODEV;
        }
        r = nl_addr(s, RTM_DELADDR, c, idx);
        if (r == -EADDRNOTAVAIL) {
                s->v[i].held = false;
                return 0;
        }
        if (r < 0) {
                set_error(s, i, "cannot remove from %s: %s%s", c->interface,
                          strerror(-r), r == -EPERM ? " (needs "
                          "CAP_NET_ADMIN)" : "");
                return r;
        }
        s->v[i].held = false;
        hbd_info(s->ctx->log, "vip %s: removed from %s (%s)", c->address,
                 c->interface, why);
        return 0;
}

/* ---- announcements ------------------------------------------------ */

static int hw_addr(int fd, const char *ifname, uint8_t mac[6])
{
        struct ifreq ifr;

        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                return -errno;
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
        return 0;
}

/* Gratuitous ARP: a request and a reply, sender = target = the VIP,
 * to the broadcast address. */
static int send_garp(const hbd_vip_conf_t *c, unsigned idx)
{
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = (int)idx,
                .sll_halen = 6,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };
        uint8_t pkt[28], mac[6];
        int fd, r = 0;

        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
        if (fd < 0)
                return -errno;
        r = hw_addr(fd, c->interface, mac);
        for (int op = 1; r == 0 && op <= 2; op++) {
                pkt[0] = 0;             /* hardware: Ethernet */
                pkt[1] = 1;
                pkt[2] = 0x08;          /* protocol: IPv4 */
                pkt[3] = 0x00;
                pkt[4] = 6;
                pkt[5] = 4;
                pkt[6] = 0;
                pkt[7] = (uint8_t)op;   /* 1 request, 2 reply */
                memcpy(pkt + 8, mac, 6);
                memcpy(pkt + 14, c->addr, 4);
                if (op == 1)
                        memset(pkt + 18, 0, 6);
                else
                        memcpy(pkt + 18, mac, 6);
                memcpy(pkt + 24, c->addr, 4);
                if (sendto(fd, pkt, sizeof pkt, 0,
                           (const struct sockaddr *)&sll, sizeof sll) < 0)
                        r = -errno;
        }
        close(fd);
        return r;
}

/* Unsolicited neighbour advertisement to ff02::1, override flag set, with
 * the target link-layer address option; hop limit 255. */
static int send_na(const hbd_vip_conf_t *c, unsigned idx)
{
        struct sockaddr_in6 dst = { .sin6_family = AF_INET6,
                                    .sin6_scope_id = idx };
        struct sockaddr_in6 src = { .sin6_family = AF_INET6 };
        struct {
                struct nd_neighbor_advert na;
                struct nd_opt_hdr opt;
                uint8_t mac[6];
        } __attribute__((packed)) pkt;
        int hops = 255, ifi = (int)idx, fd, r = 0;

        fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
        if (fd < 0)
                return -errno;
        memset(&pkt, 0, sizeof pkt);
        r = hw_addr(fd, c->interface, pkt.mac);
        if (r < 0)
                goto out;
        pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
        pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
        memcpy(&pkt.na.nd_na_target, c->addr, 16);
        pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
        pkt.opt.nd_opt_len = 1;         /* units of 8 bytes */
        inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
        memcpy(&src.sin6_addr, c->addr, 16);
        /* The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
         * Source: the VIP itself when it can be bound (it was added with
         * NODAD), else whatever the kernel picks. */
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
                       sizeof hops) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
                       sizeof hops) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi,
                       sizeof ifi) < 0) {
                r = -errno;
                goto out;
        }
        (void)bind(fd, (const struct sockaddr *)&src, sizeof src);
        if (sendto(fd, &pkt, sizeof pkt, 0, (const struct sockaddr *)&dst,
                   sizeof dst) < 0)
                r = -errno;
out:
        close(fd);
        return r;
}

static void announce_once(struct hbd_vips *s)
{
        for (size_t i = 0; i < s->n; i++) {
                const hbd_vip_conf_t *c = conf(s, i);
                unsigned idx;
                int r;

                if (c->provider != HBD_VIP_NETLINK || !s->v[i].held)
                        continue;
                idx = if_nametoindex(c->interface);
                if (idx == 0)
                        continue;
                r = c->family == AF_INET ? send_garp(c, idx)
                                         : send_na(c, idx);
                if (r < 0)
                        hbd_warn(s->ctx->log, "vip %s: cannot announce on "
                                    "%s: %s", c->address, c->interface,
                                    strerror(-r));
        }
}

static void on_announce_timer(uv_timer_t *t)
{
        struct hbd_vips *s = t->data;

        /* After a stop this may run before the node's own timer: let the
         * node find that its lease ran out (and release the VIPs) first,
         * so a deposed leader never announces after the new one. */
        if (s->ctx->sync != NULL)
                s->ctx->sync(s->ctx);
        if (!s->acting || s->stopped || s->announce_left == 0) {
                uv_timer_stop(t);
                return;
        }
        announce_once(s);
        if (--s->announce_left == 0)
                uv_timer_stop(t);
}

/* Announce now and HBD_VIP_ANNOUNCE_COUNT - 1 more times. */
static void announce(struct hbd_vips *s)
{
        s->announce_left = HBD_VIP_ANNOUNCE_COUNT;
        if (uv_timer_start(&s->announce_timer, on_announce_timer, 0,
                           HBD_VIP_ANNOUNCE_GAP_MS) < 0)
                announce_once(s);
}

/* ---- exec provider ------------------------------------------------ */

static void vips_free(struct hbd_vips *s)
{
        free(s->v);
        free(s);
}

static void on_job_done(void *arg, const hb__proc_result_t *r)
{
        struct job *j = arg;
        struct hbd_vips *s = j->s;
        const char *what = j->up ? "up" : "down";
        size_t i = find(s, j->address);

        if (i == s->n || s->stopped) {
                /* Removed by a reload, or shutting down: the outcome is
                 * only logged. */
                if (r->timed_out || r->term_signal != 0 ||
                    r->exit_status != 0)
                        hbd_error(s->ctx->log, "vip %s: %s command failed",
                                  j->address, what);
        } else if (r->timed_out) {
                set_error(s, i, "%s command timed out; killed its process "
                          "group", what);
        } else if (r->term_signal != 0) {
                set_error(s, i, "%s command killed by signal %d", what,
                          r->term_signal);
        } else if (r->exit_status != 0) {
                set_error(s, i, "%s command exited with status %" PRId64,
                          what, r->exit_status);
        } else {
                hbd_info(s->ctx->log, "vip %s: %s command succeeded",
                         j->address, what);
                if (j->up && s->acting)
                        s->v[i].held = true;
                s->v[i].last_error[0] = '\0';
        }
        free(j);
        if (--s->jobs == 0 && s->timer_closed)
                vips_free(s);
}

/* Run entry i's up or down command (HBEAT_VIP, HBEAT_INTERFACE,
 * HBEAT_TERM), killed with its group after notify.timeout_ms. */
static void run_exec(struct hbd_vips *s, size_t i, bool up)
{
        const hbd_vip_conf_t *c = conf(s, i);
        hb__proc_opts_t o = {
                .argv = up ? c->up : c->down,
                .timeout_ms = (s->ctx->cfg->notify_timeout_ns +
                               HB_NS_PER_MS - 1) / HB_NS_PER_MS,
        };
        hb__proc_t *proc;
        hb__env_t env;
        struct job *j;
        int r = UV_ENOMEM;

        if (!up)
                s->v[i].held = false;
        j = calloc(1, sizeof *j);
        hb__env_init(&env);
        hb__env_add(&env, "HBEAT_VIP=%s", c->address);
        hb__env_add(&env, "HBEAT_INTERFACE=%s", c->interface);
        hb__env_add(&env, "HBEAT_TERM=%" PRIu64, s->term);
        o.env = hb__env_vec(&env);
        if (j != NULL && o.env != NULL) {
                j->s = s;
                snprintf(j->address, sizeof j->address, "%s", c->address);
                j->up = up;
                r = hb__proc_spawn(&proc, s->ctx->loop, &o, on_job_done, j);
        }
        hb__env_free(&env);
        if (r < 0) {
                free(j);
                set_error(s, i, "cannot run the %s command %s: %s",
                          up ? "up" : "down", o.argv[0], uv_strerror(r));
                return;
        }
        s->jobs++;
}

/* ---- transitions -------------------------------------------------- */

/*
 * Take the addresses: every one (fresh_only false: this node may act now)
 * or only those new with a reload's commit. The netlink ones all or
 * nothing: on a failure those added here are removed again. Then `up` of
 * the exec ones.
 */
static void take(struct hbd_vips *s, bool fresh_only)
{
        bool ok = true, any = false;

        for (size_t i = 0; i < s->n; i++) {
                s->v[i].added_now = false;
                if (conf(s, i)->provider != HBD_VIP_NETLINK ||
                    s->v[i].held || (fresh_only && !s->v[i].fresh))
                        continue;
                if (nl_add(s, i) < 0) {
                        ok = false;
                        break;
                }
                s->v[i].added_now = true;
                any = true;
        }
        if (!ok) {
                for (size_t i = 0; i < s->n; i++) {
                        if (s->v[i].added_now)
                                (void)nl_del(s, i, "rolled back");
                }
                hbd_error(s->ctx->log, "virtual IPs not taken: an address "
                          "could not be added (see above)");
        } else if (any) {
                announce(s);
        }
        for (size_t i = 0; i < s->n; i++) {
                if (conf(s, i)->provider == HBD_VIP_EXEC &&
                    (!fresh_only || s->v[i].fresh))
                        run_exec(s, i, true);
        }
}

static void release(struct hbd_vips *s, const char *why)
{
        uv_timer_stop(&s->announce_timer);
        s->announce_left = 0;
        for (size_t i = 0; i < s->n; i++) {
                if (conf(s, i)->provider == HBD_VIP_NETLINK) {
                        if (s->v[i].held)
                                (void)nl_del(s, i, why);
                } else if (s->v[i].held || s->acting) {
                        run_exec(s, i, false);
                }
        }
}

static void may_act(struct hbd_vips *s, const hbd_event_t *ev)
{
        if (s->stopped || ev->may_act.may_act == s->acting)
                return;
        s->term = ev->may_act.term;
        if (ev->may_act.may_act) {
                take(s, false);
                s->acting = true;
        } else {
                release(s, ev->may_act.reason);
                s->acting = false;
        }
}

/* Leaving: release everything before the peers hear the leave. */
static void leave(struct hbd_vips *s)
{
        if (s->stopped)
                return;
        if (s->acting)
                release(s, "shutting down");
        else
                for (size_t i = 0; i < s->n; i++)
                        if (conf(s, i)->provider == HBD_VIP_NETLINK &&
                            s->v[i].held)
                                (void)nl_del(s, i, "shutting down");
        s->acting = false;
        s->stopped = true;
}

/* ---- the module ---------------------------------------------------- */

static bool needs_netlink(const hbd_config_t *cfg)
{
        for (size_t i = 0; i < cfg->n_vips; i++)
                if (cfg->vips[i].provider == HBD_VIP_NETLINK)
                        return true;
        return false;
}

static void on_timer_closed(uv_handle_t *h)
{
        struct hbd_vips *s = h->data;

        s->timer_closed = true;
        if (s->jobs == 0)
                vips_free(s);
}

static int module_start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        struct hbd_vips *s;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->v = calloc(cfg->n_vips ? cfg->n_vips : 1, sizeof *s->v);
        if (!s->v) {
                free(s);
                return -ENOMEM;
        }
        s->ctx = ctx;
        s->cfg = cfg;
        s->n = cfg->n_vips;
        if (needs_netlink(cfg)) {
                r = nl_open(s);
                if (r < 0) {
                        hbd_error(ctx->log, "cannot start the virtual IPs: "
                                  "no netlink socket: %s", strerror(-r));
                        vips_free(s);
                        return r;
                }
        }
        (void)uv_timer_init(ctx->loop, &s->announce_timer);
        s->announce_timer.data = s;
        /* Not leader yet: a copy left by an earlier run (or a crash) must
         * go, or two nodes would answer for it. */
        for (size_t i = 0; i < s->n; i++) {
                if (cfg->vips[i].provider == HBD_VIP_NETLINK)
                        (void)nl_del(s, i, "stale copy at start");
        }
        if (s->n > 0)
                hbd_info(ctx->log, "%zu virtual IP%s configured", s->n,
                         s->n == 1 ? "" : "s");
        *state = s;
        return 0;
}

struct vip_plan {
        const hbd_config_t *next;
        struct vip *v;                 /* next->n_vips entries */
        bool *kept;                    /* per running entry */
        struct mnl_socket *nl;         /* opened for the new set */
};

static bool same_vip(const hbd_vip_conf_t *a, const hbd_vip_conf_t *b)
{
        if (strcmp(a->address, b->address) != 0 ||
            strcmp(a->interface, b->interface) != 0 ||
            a->provider != b->provider)
                return false;
        if (a->provider != HBD_VIP_EXEC)
                return true;
        for (size_t k = 0;; k++) {
                if (a->up[k] == NULL || b->up[k] == NULL) {
                        if (a->up[k] != b->up[k])
                                return false;
                        break;
                }
                if (strcmp(a->up[k], b->up[k]) != 0)
                        return false;
        }
        for (size_t k = 0;; k++) {
                if (a->down[k] == NULL || b->down[k] == NULL)
                        return a->down[k] == b->down[k];
                if (strcmp(a->down[k], b->down[k]) != 0)
                        return false;
        }
}

static void module_abort(void *state, void *plan)
{
        struct vip_plan *p = plan;

        (void)state;
        if (!p)
                return;
        if (p->nl)
                mnl_socket_close(p->nl);
        free(p->v);
        free(p->kept);
        free(p);
}

static int module_prepare(void *state, const hbd_config_t *next, void **plan,
                          char *err, size_t errlen)
{
        struct hbd_vips *s = state;
        struct vip_plan *p = calloc(1, sizeof *p);
        int r;

        if (p) {
                p->v = calloc(next->n_vips ? next->n_vips : 1, sizeof *p->v);
                p->kept = calloc(s->n ? s->n : 1, sizeof *p->kept);
        }
        if (!p || !p->v || !p->kept) {
                module_abort(s, p);
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        p->next = next;
        for (size_t j = 0; j < next->n_vips; j++) {
                size_t i;

                for (i = 0; i < s->n; i++)
                        if (!p->kept[i] &&
                            same_vip(&next->vips[j], conf(s, i)))
                                break;
                if (i < s->n) {
                        p->v[j] = s->v[i];
                        p->kept[i] = true;
                } else {
                        p->v[j].fresh = true;
                }
                p->v[j].added_now = false;
        }
        if (needs_netlink(next) && !s->nl) {
                struct mnl_socket *cur = s->nl;

                r = nl_open(s);
                p->nl = s->nl;
                s->nl = cur;
                if (r < 0) {
                        module_abort(s, p);
                        snprintf(err, errlen, "vips: cannot open a netlink "
                                 "socket: %s", strerror(-r));
                        return r;
                }
        }
        *plan = p;
        return 0;
}

static void module_commit(void *state, void *plan)
{
        struct hbd_vips *s = state;
        struct vip_plan *p = plan;
        struct vip *old;

        /* The entries that went away, from the config they came with
         * (freed only after this commit). */
        for (size_t i = 0; i < s->n; i++) {
                if (p->kept[i] || !s->v[i].held || s->stopped)
                        continue;
                if (conf(s, i)->provider == HBD_VIP_NETLINK)
                        (void)nl_del(s, i, "removed from the configuration");
                else
                        run_exec(s, i, false);
        }
        if (p->nl) {
                s->nl = p->nl;
                p->nl = NULL;
        }
        old = s->v;
        s->v = p->v;
        p->v = old;
        s->n = p->next->n_vips;
        s->cfg = p->next;
        if (s->acting && !s->stopped)
                take(s, true);
        else
                /* As at start: a stale copy of a new address must go. */
                for (size_t i = 0; i < s->n; i++)
                        if (s->v[i].fresh &&
                            conf(s, i)->provider == HBD_VIP_NETLINK)
                                (void)nl_del(s, i, "stale copy");
        for (size_t i = 0; i < s->n; i++)
                s->v[i].fresh = false;
        module_abort(s, p);
}

static void module_on_event(void *state, const hbd_event_t *ev)
{
        struct hbd_vips *s = state;

        switch (ev->kind) {
        case HBD_EV_MAY_ACT:
                may_act(s, ev);
                return;
        case HBD_EV_CORE:
                /* A healed partition: announce again while held. */
                if (ev->core->type == HB_EVENT_QUORUM && ev->core->quorate &&
                    s->acting && !s->stopped)
                        announce(s);
                return;
        case HBD_EV_LEAVING:
                leave(s);
                return;
        default:
                return;
        }
}

static void module_status(void *state, json_t *doc)
{
        const struct hbd_vips *s = state;
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < s->n; i++) {
                const hbd_vip_conf_t *c = conf(s, i);
                const struct vip *v = &s->v[i];

                json_array_append_new(
                        arr, json_pack("{s:s, s:s, s:s, s:b, s:s?}",
                                       "address", c->address,
                                       "interface", c->interface,
                                       "provider",
                                       c->provider == HBD_VIP_EXEC ? "exec"
                                                                   : "netlink",
                                       "held", (int)v->held,
                                       "last_error",
                                       v->last_error[0] ? v->last_error
                                                        : NULL));
        }
        json_object_set_new(doc, "vips", arr);
}

static void module_stop(void *state, void (*done)(void *), void *arg)
{
        struct hbd_vips *s = state;

        leave(s);
        if (s->nl) {
                mnl_socket_close(s->nl);
                s->nl = NULL;
        }
        /* Freed once the timer has closed and the last exec command
         * (a `down` just started) has ended; the loop runs until then. */
        uv_close((uv_handle_t *)&s->announce_timer, on_timer_closed);
        done(arg);
}

const hbd_module_t hbd_vip_module = {
        .name = "vips",
        .events = HBD_EV_MAY_ACT | HBD_EV_CORE | HBD_EV_LEAVING,
        .start = module_start,
        .prepare = module_prepare,
        .commit = module_commit,
        .abort = module_abort,
        .on_event = module_on_event,
        .status = module_status,
        .stop = module_stop,
};
