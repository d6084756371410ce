/* SPDX-License-Identifier: MIT */
/*
 * See status.h. Reads the node (read-only calls), the adapter's counters
 * and the running config; the modules' parts come through the bus.
 */
#include <inttypes.h>
#include <math.h>
#include <unistd.h>

#include "common/ctl_proto.h"
#include "common/util.h"
#include "daemon/status.h"

json_t *hbd_coord_json(const hbd_ctx_t *ctx, uint64_t now_ns)
{
        hb_coord_info_t ci;

        hb_node_coord_info(ctx->node, &ci);
        return hbp_coord_json(&ci, hbd_name(ctx, ci.leader_id), now_ns);
}

static json_t *drops_json(const hb_node_t *node)
{
        json_t *drops = json_object();
        size_t i;

        for (i = 0; drops != NULL && i < hb_drop_reason_count(); i++) {
                int reason = hb_drop_reason_at(i);

                json_object_set_new(drops, hb_errname(reason),
                                    json_integer((json_int_t)
                                        hb_node_dropped(node, reason)));
        }
        return drops;
}

/* The key ring: ids, modes, which one is sent with, and what each has
 * verified, so an operator sees when an old key is no longer used
 * before removing it (docs/operations.md, "Key rotation"). Never key
 * material. */
static json_t *keys_json(const hbd_ctx_t *ctx, uint64_t now_ns)
{
        json_t *arr = json_array();
        hb_key_info_t ki;

        for (size_t i = 0; arr != NULL &&
                           hb_node_key_at(ctx->node, i, &ki) == 0; i++) {
                json_t *k = json_pack(
                        "{s:i, s:s, s:b, s:I}", "id", (int)ki.id,
                        "encryption",
                        ki.mode == HB_WIRE_MODE_AEAD ? "aead" : "none",
                        "primary", ki.primary,
                        "received", (json_int_t)ki.received);

                if (k != NULL)
                        json_object_set_new(
                                k, "last_received_ms_ago",
                                ki.last_received_ns == HB_NEVER ||
                                                ki.last_received_ns > now_ns
                                        ? json_null()
                                        : json_integer((json_int_t)(
                                                  (now_ns -
                                                   ki.last_received_ns) /
                                                  HB_NS_PER_MS)));
                json_array_append_new(arr, k);
        }
        return arr;
}

static json_t *counters_json(const hbd_ctx_t *ctx)
{
        hb_node_counters_t n;
        hb_uv_counters_t u;
        json_t *obj;

        hb_node_counters(ctx->node, &n);
        hb_uv_node_counters(ctx->un, &u);
        obj = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I,"
                        " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                        "rx_accepted", (json_int_t)n.rx_accepted,
                        "rx_dropped", (json_int_t)n.rx_dropped,
                        "tx_messages", (json_int_t)n.tx_messages,
                        "transitions", (json_int_t)n.transitions,
                        "reloads", (json_int_t)ctx->reloads,
                        "reload_failures", (json_int_t)ctx->reload_failures,
                        "drops", drops_json(ctx->node),
                        "tx_eagain", (json_int_t)u.tx_eagain,
                        "tx_errors", (json_int_t)u.tx_errors,
                        "local_pauses", (json_int_t)n.local_pauses,
                        "acks_sent", (json_int_t)n.acks_sent,
                        "acks_withheld", (json_int_t)n.acks_withheld,
                        "rtt_samples", (json_int_t)n.rtt_samples,
                        "port_unreachable", (json_int_t)n.port_unreachable,
                        "port_unreachable_rejected",
                        (json_int_t)n.port_unreachable_rejected,
                        "port_unreachable_foreign",
                        (json_int_t)u.unreachable_foreign,
                        "send_late", (json_int_t)n.send_late,
                        "output_dropped", (json_int_t)n.output_dropped);
        if (obj != NULL)
                json_object_set_new(obj, "heartbeats_sent", json_integer(
                        (json_int_t)u.tx_by_type[HB_MSG_HEARTBEAT]));
        if (obj != NULL && (u.tx_group > 0 || u.rx_own > 0)) {
                /* Multicast and broadcast links (docs/links.md). */
                json_object_set_new(obj, "group_sent", json_integer(
                        (json_int_t)u.tx_group));
                json_object_set_new(obj, "rx_own", json_integer(
                        (json_int_t)u.rx_own));
        }
        if (obj != NULL && ctx->cfg->node.n_classes > 0) {
                /* Peer classes (docs/classes.md). */
                json_object_set_new(obj, "class_mismatch", json_integer(
                        (json_int_t)n.class_mismatch));
                json_object_set_new(obj, "interval_changes", json_integer(
                        (json_int_t)n.interval_changes));
        }
        if (obj != NULL && hb_node_links(ctx->node) > 1)
                json_object_set_new(obj, "link_copies", json_integer(
                        (json_int_t)n.link_copies));
        if (obj != NULL && ctx->cfg->node.n_monitors > 0)
                json_object_set_new(obj, "verdicts_sent", json_integer(
                        (json_int_t)u.tx_by_type[HB_MSG_VERDICT]));
        if (obj != NULL && ctx->cfg->node.coord.enabled) {
                json_object_set_new(obj, "coord_sent", json_integer(
                        (json_int_t)(u.tx_by_type[HB_MSG_VOTE_REQ] +
                                     u.tx_by_type[HB_MSG_VOTE_RESP])));
                json_object_set_new(obj, "coord_send_failures", json_integer(
                        (json_int_t)(u.tx_failed_by_type[HB_MSG_VOTE_REQ] +
                                     u.tx_failed_by_type[HB_MSG_VOTE_RESP])));
        }
        return obj;
}

/* A name for node `id` in status and members: its configured name, or
 * "id:N". */
static json_t *name_json(const hbd_ctx_t *ctx, uint32_t id)
{
        const char *name = hbd_name(ctx, id);

        return name ? json_string(name)
                    : json_sprintf("id:%" PRIu32, id);
}

/* Topology "subset" (docs/subset.md): k, this node's monitors (where its
 * heartbeats go), the members it judges, its verdicts' version, the
 * digest of the verdicts it holds, and the verdict traffic. Consumes
 * `mons` (empty). */
static json_t *subset_json(const hbd_ctx_t *ctx, json_t *mons)
{
        hb_subset_info_t si;
        hb_node_counters_t nc;
        json_t *judged = json_array();
        size_t n = hb_node_peer_count(ctx->node);

        hb_node_subset_info(ctx->node, &si);
        hb_node_counters(ctx->node, &nc);
        for (uint32_t i = 0; mons != NULL && i < si.n_monitors; i++)
                json_array_append_new(mons, name_json(ctx, si.monitors[i]));
        for (size_t i = 0; judged != NULL && i < n; i++) {
                hb_peer_info_t pi;
                hb_subset_peer_info_t sp;

                if (hb_node_peer_at(ctx->node, i, 0, &pi) == 0 &&
                    hb_node_subset_peer(ctx->node, pi.id, &sp) == 0 &&
                    sp.judged)
                        json_array_append_new(judged,
                                              name_json(ctx, pi.id));
        }
        return json_pack("{s:s, s:I, s:I, s:o*, s:b, s:o*, s:I, s:I, s:I, "
                         "s:I, s:I, s:I}",
                         "kind", "subset", "k", (json_int_t)si.k,
                         "majority", (json_int_t)(si.k / 2 + 1),
                         "monitors", mons, "monitor", si.n_judged > 0,
                         "judges", judged,
                         "epoch", (json_int_t)si.epoch,
                         "digest_entries", (json_int_t)si.digest_entries,
                         "verdicts_sent",
                         (json_int_t)nc.subset_verdicts_sent,
                         "verdicts_received",
                         (json_int_t)nc.subset_verdicts_received,
                         "repairs_sent", (json_int_t)nc.subset_repairs_sent,
                         "ring_size", (json_int_t)(n + 1));
}

/* topology.* (docs/topologies.md): kind, the monitors' names, and
 * whether this node is one of them. */
static json_t *topology_json(const hbd_ctx_t *ctx)
{
        const hb_node_config_t *nc = &ctx->cfg->node;
        json_t *mons = json_array();
        bool self = false;

        for (uint32_t i = 0; mons != NULL && i < nc->n_monitors; i++) {
                self = self || nc->monitors[i] == nc->node_id;
                json_array_append_new(mons, json_string(
                        nc->monitors[i] == nc->node_id
                                ? ctx->cfg->node_name
                                : hbd_name(ctx, nc->monitors[i])));
        }
        if (nc->topology == HB_TOPOLOGY_SUBSET)
                return subset_json(ctx, mons);
        return json_pack("{s:s, s:o*, s:b}", "kind",
                         nc->topology == HB_TOPOLOGY_GOSSIP ? "gossip"
                         : nc->hier.enabled                 ? "hierarchy"
                         : nc->n_monitors > 0 ? "monitors" : "mesh",
                         "monitors", mons, "monitor", self);
}

/* Topology "hierarchy" (docs/hierarchy.md): this node's region, its
 * coordinator, its role at the global level, unreachable regions. */
static json_t *hier_json(const hbd_ctx_t *ctx)
{
        hb_hier_info_t hi;
        json_t *unreach = json_array();
        const char *coord, *holder;

        hb_node_hier_info(ctx->node, &hi);
        for (uint32_t r = 1; unreach != NULL && r <= HB_HIER_REGIONS_MAX;
             r++)
                if (hi.unreachable_map & (UINT64_C(1) << (r - 1)))
                        json_array_append_new(unreach, json_integer(r));
        coord = hi.coordinator_id == 0 ? NULL
                : hi.coordinator_id == ctx->cfg->node.node_id
                        ? ctx->cfg->node_name
                        : hbd_name(ctx, hi.coordinator_id);
        holder = hi.holder_id == 0 ? NULL
                 : hi.holder_id == ctx->cfg->node.node_id
                         ? ctx->cfg->node_name
                         : hbd_name(ctx, hi.holder_id);
        return json_pack("{s:I, s:b, s:s*, s:I, s:I, s:b, s:s, s:I, s:I, "
                         "s:b, s:I, s:s*, s:I, s:o*, s:I}",
                         "region", (json_int_t)hi.region,
                         "elector", ctx->cfg->node.hier.elector,
                         "coordinator", coord,
                         "coordinator_id", (json_int_t)hi.coordinator_id,
                         "regional_term", (json_int_t)hi.regional_term,
                         "is_coordinator", hi.coordinator,
                         "global_role", hb_role_name(hi.global_role),
                         "global_term", (json_int_t)hi.global_term,
                         "global_leader_region",
                         (json_int_t)hi.global_leader,
                         "holds", hi.holds,
                         "holder_region", (json_int_t)hi.holder_region,
                         "holder", holder,
                         "holder_id", (json_int_t)hi.holder_id,
                         "unreachable_regions", unreach,
                         "global_interval_ms",
                         (json_int_t)(ctx->cfg->node.hier.global_interval_ns /
                                      HB_NS_PER_MS));
}

json_t *hbd_status_json(hbd_ctx_t *ctx)
{
        const hb_node_config_t *nc = hb_node_config(ctx->node);
        const hbd_config_t *cfg = ctx->cfg;
        uint64_t now = uv_hrtime();
        uint64_t by_state[HB_PEER_LEFT + 1] = { 0 };
        size_t i, n = hb_node_peer_count(ctx->node);
        json_t *doc;

        for (i = 0; i < n; i++) {
                hb_peer_info_t pi;

                if (hb_node_peer_at(ctx->node, i, now, &pi) == 0 &&
                    (unsigned)pi.state <= HB_PEER_LEFT)
                        by_state[pi.state]++;
        }
        doc = json_pack(
                "{s:b, s:{s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:I,"
                " s:s, s:f, s:f, s:s, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I,"
                " s:I}, s:o, s:o, s:I}",
                "ok", 1,
                "node",
                "name", cfg->node_name,
                "id", (json_int_t)hb_node_id(ctx->node),
                "cluster_id", (json_int_t)nc->cluster_id,
                "incarnation", (json_int_t)ctx->incarnation,
                "seq", (json_int_t)hb_node_seq(ctx->node),
                "listen", cfg->listen,
                "version", HB_VERSION_STRING,
                "uptime_ms", (json_int_t)((now - ctx->start_ns) /
                                          HB_NS_PER_MS),
                "interval_ms", (json_int_t)(nc->interval_ns / HB_NS_PER_MS),
                "interval_ns", (json_int_t)nc->interval_ns,
                "detector", hb_detector_kind_name(nc->detector.kind),
                "suspect_threshold", nc->suspect_threshold,
                "dead_threshold", nc->dead_threshold,
                "config", ctx->config_path,
                "pid", (json_int_t)getpid(),
                "peers",
                "total", (json_int_t)n,
                "unknown", (json_int_t)by_state[HB_PEER_UNKNOWN],
                "alive", (json_int_t)by_state[HB_PEER_ALIVE],
                "suspect", (json_int_t)by_state[HB_PEER_SUSPECT],
                "dead", (json_int_t)by_state[HB_PEER_DEAD],
                "probation", (json_int_t)by_state[HB_PEER_PROBATION],
                "left", (json_int_t)by_state[HB_PEER_LEFT],
                "coordination", hbd_coord_json(ctx, now),
                "counters", counters_json(ctx),
                "now_ns", (json_int_t)now);
        if (doc != NULL)
                json_object_set_new(doc, "keys", keys_json(ctx, now));
        if (doc != NULL)
                json_object_set_new(doc, "topology", topology_json(ctx));
        if (doc != NULL && cfg->node.hier.enabled)
                json_object_set_new(doc, "hierarchy", hier_json(ctx));
        if (doc != NULL)
                hbd_bus_status(ctx, doc);
        return doc;
}

/* A member's class (docs/classes.md): its name and index, the interval
 * its detector expects and the one it announced (null: none). */
static void class_json(const hbd_ctx_t *ctx, const hb_peer_info_t *pi,
                       json_t *m)
{
        const char *name = "default";

        if (pi->class_idx > 0 && pi->class_idx <= ctx->cfg->n_classes)
                name = ctx->cfg->classes[pi->class_idx - 1].name;
        json_object_set_new(m, "class", json_string(name));
        json_object_set_new(m, "class_index",
                            json_integer((json_int_t)pi->class_idx));
        json_object_set_new(m, "interval_ms",
                            json_real((double)pi->interval_ns /
                                      (double)HB_NS_PER_MS));
        json_object_set_new(m, "announced_interval_ms",
                            pi->announced_interval_ns == 0
                                    ? json_null()
                                    : json_real((double)
                                                pi->announced_interval_ns /
                                                (double)HB_NS_PER_MS));
}

/* docs/subset.md: a member's monitors here with the verdict each gave
 * (its state is their majority), and this node's own when it judges it. */
static void subset_member_json(const hbd_ctx_t *ctx, uint32_t id, json_t *m)
{
        hb_subset_peer_info_t sp;
        json_t *mons;

        if (hb_node_subset_peer(ctx->node, id, &sp) < 0)
                return;
        mons = json_array();
        for (uint32_t i = 0; mons != NULL && i < sp.n_monitors; i++)
                json_array_append_new(
                        mons, json_pack("{s:o, s:I, s:s}", "name",
                                        name_json(ctx, sp.monitors[i]),
                                        "id", (json_int_t)sp.monitors[i],
                                        "verdict",
                                        hb_peer_state_name(
                                                (hb_peer_state_t)
                                                        sp.verdicts[i])));
        json_object_set_new(m, "monitors", mons ? mons : json_null());
        json_object_set_new(m, "judged", json_boolean(sp.judged));
        if (sp.judged)
                json_object_set_new(m, "own_verdict",
                                    json_string(hb_peer_state_name(
                                            (hb_peer_state_t)
                                                    sp.own_verdict)));
}

json_t *hbd_members_json(const hbd_ctx_t *ctx)
{
        char addr[HBU_ADDRESS_MAX];
        uint64_t now = uv_hrtime();
        size_t i, n = hb_node_peer_count(ctx->node);
        json_t *arr = json_array();

        for (i = 0; arr != NULL && i < n; i++) {
                const hbd_peer_conf_t *pc;
                hb_peer_info_t pi;
                json_t *m;

                if (hb_node_peer_at(ctx->node, i, now, &pi) < 0)
                        continue;
                pc = hbd_config_peer(ctx->cfg, pi.id);
                if (pc == NULL) {
                        /* Gossip: a member learned by gossip, named by
                         * its id, at the address it advertised. */
                        struct sockaddr_storage ss;
                        const char *name = hbd_name(ctx, pi.id);

                        if (hb_uv_node_member_address(ctx->un, pi.id,
                                                      &ss) == 0)
                                hbu_format_address(
                                        (const struct sockaddr *)&ss,
                                        addr, sizeof(addr));
                        else
                                addr[0] = '\0';
                        m = hbp_member_json(&pi, name ? name : "", addr,
                                            now);
                } else {
                        m = hbp_member_json(&pi, pc->name, pc->address,
                                            now);
                }
                if (m != NULL && ctx->cfg->n_classes > 0)
                        class_json(ctx, &pi, m);
                if (m != NULL && ctx->cfg->node.hier.enabled) {
                        /* docs/hierarchy.md: judged here or learned. */
                        json_object_set_new(m, "region",
                                            json_integer(pi.region));
                        json_object_set_new(m, "elector",
                                            json_boolean(pi.elector));
                        json_object_set_new(m, "learned",
                                            json_boolean(pi.learned));
                }
                if (m != NULL &&
                    ctx->cfg->node.topology == HB_TOPOLOGY_SUBSET)
                        subset_member_json(ctx, pi.id, m);
                if (m == NULL || json_array_append_new(arr, m) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return json_pack("{s:b, s:I, s:o}", "ok", 1,
                         "now_ns", (json_int_t)now, "members", arr);
}

/* A time in ms from ns with µs resolution, or null when `ok` is false. */
static json_t *ms_or_null(bool ok, uint64_t ns)
{
        return ok ? json_real(hbp_round(ns / 1e6, 3)) : json_null();
}

/* One (peer, link) row of `links` (docs/links.md). */
static json_t *link_row(const hbd_ctx_t *ctx, const hb_peer_info_t *pi,
                        const hbd_peer_conf_t *pc, uint32_t k, uint64_t now)
{
        const char *addr = pc == NULL ? ""
                           : pc->addresses ? pc->addresses[k]
                                           : pc->address;
        uint64_t gaps, seen;
        hb_link_info_t li;
        json_t *age;

        if (hb_node_peer_link_info(ctx->node, pi->id, k, now, &li) < 0)
                return NULL;
        age = li.last_arrival_ns == HB_NEVER
                      ? json_null()
                      : json_integer((json_int_t)(
                                now > li.last_arrival_ns
                                        ? (now - li.last_arrival_ns) /
                                                  HB_NS_PER_MS
                                        : 0));
        gaps = li.seq_gaps;
        seen = li.received + gaps;
        return json_pack(
                "{s:s, s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:o, s:o, s:I,"
                " s:I, s:o, s:I, s:o, s:o, s:I}",
                "peer", pc != NULL ? pc->name : "",
                "peer_id", (json_int_t)pi->id,
                "peer_state", hb_peer_state_name(pi->state),
                "link", hbd_link_name(ctx->cfg, k),
                "link_index", (json_int_t)k,
                "address", addr ? addr : "",
                "state", hb_link_state_name(li.state),
                "state_age_ms",
                (json_int_t)(now > li.state_since_ns
                                     ? (now - li.state_since_ns) /
                                               HB_NS_PER_MS
                                     : 0),
                "suspicion", isfinite(li.suspicion)
                                     ? json_real(hbp_round(li.suspicion, 3))
                                     : json_null(),
                "last_heartbeat_age_ms", age,
                "received", (json_int_t)li.received,
                "seq_gaps", (json_int_t)gaps,
                "loss", seen > 0 ? json_real(hbp_round(
                                           (double)gaps / (double)seen, 4))
                                 : json_null(),
                "replays", (json_int_t)li.replays,
                "rtt_median_ms", ms_or_null(li.rtt_samples > 0,
                                            li.rtt_median_ns),
                "rtt_p99_ms", ms_or_null(li.rtt_samples > 0, li.rtt_p99_ns),
                "rtt_samples", (json_int_t)li.rtt_samples);
}

json_t *hbd_links_json(const hbd_ctx_t *ctx)
{
        uint64_t now = uv_hrtime();
        size_t i, n = hb_node_peer_count(ctx->node);
        uint32_t k, nl = hb_node_links(ctx->node);
        json_t *rows = json_array(), *links = json_array();

        for (k = 0; links != NULL && k < nl; k++) {
                const hbd_link_conf_t *lc =
                        k < ctx->cfg->n_links ? &ctx->cfg->links[k] : NULL;

                json_array_append_new(
                        links,
                        json_pack("{s:I, s:s, s:s, s:s?}", "index",
                                  (json_int_t)k, "name",
                                  hbd_link_name(ctx->cfg, k), "listen",
                                  lc ? lc->listen : ctx->cfg->listen,
                                  "interface", lc ? lc->interface : NULL));
        }
        for (i = 0; rows != NULL && i < n; i++) {
                const hbd_peer_conf_t *pc;
                hb_peer_info_t pi;

                if (hb_node_peer_at(ctx->node, i, now, &pi) < 0)
                        continue;
                pc = hbd_config_peer(ctx->cfg, pi.id);
                if (pc != NULL && pc->external)
                        continue;       /* pull, push: no link */
                for (k = 0; k < nl; k++) {
                        json_t *r = link_row(ctx, &pi, pc, k, now);

                        if (r == NULL || json_array_append_new(rows, r) < 0) {
                                json_decref(rows);
                                json_decref(links);
                                return NULL;
                        }
                }
        }
        if (rows == NULL || links == NULL) {
                json_decref(rows);
                json_decref(links);
                return NULL;
        }
        return json_pack("{s:b, s:I, s:o, s:o}", "ok", 1, "now_ns",
                         (json_int_t)now, "links", links, "peers", rows);
}

/* One member of `quorum`: this node first, then every peer. */
static int add_member(json_t *arr, json_t *m)
{
        return m != NULL ? json_array_append_new(arr, m) : -1;
}

json_t *hbd_quorum_json(const hbd_ctx_t *ctx, const char **why)
{
        const hb_coord_config_t *cc = &hb_node_config(ctx->node)->coord;
        uint64_t now = uv_hrtime();
        size_t i, n = hb_node_peer_count(ctx->node);
        hb_coord_info_t ci;
        json_t *obj, *arr;

        hb_node_coord_info(ctx->node, &ci);
        if (!ci.enabled) {
                *why = "election is not enabled (election.enabled)";
                return NULL;
        }
        arr = json_array();
        if (arr != NULL &&
            add_member(arr, json_pack("{s:s, s:I, s:I, s:s, s:b, s:b, s:b}",
                                      "name", ctx->cfg->node_name,
                                      "id", (json_int_t)hb_node_id(ctx->node),
                                      "votes", (json_int_t)cc->votes,
                                      "state", "self", "counted", 1,
                                      "self", 1,
                                      "witness", (int)cc->witness)) < 0) {
                json_decref(arr);
                arr = NULL;
        }
        for (i = 0; arr != NULL && i < n; i++) {
                const hbd_peer_conf_t *pc;
                hb_peer_info_t pi;

                if (hb_node_peer_at(ctx->node, i, now, &pi) < 0)
                        continue;
                pc = hbd_config_peer(ctx->cfg, pi.id);
                if (add_member(arr, json_pack(
                            "{s:s, s:I, s:I, s:s, s:b, s:b}",
                            "name", pc != NULL ? pc->name : "",
                            "id", (json_int_t)pi.id,
                            "votes", (json_int_t)(pc != NULL ? pc->votes : 0),
                            "state", hb_peer_state_name(pi.state),
                            "counted", pi.state == HB_PEER_ALIVE,
                            "self", 0)) < 0) {
                        json_decref(arr);
                        arr = NULL;
                }
        }
        obj = hbp_coord_json(&ci, hbd_name(ctx, ci.leader_id), now);
        if (obj == NULL || arr == NULL) {
                json_decref(obj);
                json_decref(arr);
                *why = "out of memory";
                return NULL;
        }
        json_object_set_new(obj, "ok", json_true());
        json_object_set_new(obj, "two_node", json_boolean(cc->two_node));
        json_object_set_new(obj, "wait_for_all",
                            json_boolean(cc->wait_for_all));
        json_object_set_new(obj, "members", arr);
        return obj;
}

/* Name of class `idx` ("default" for 0). */
static const char *class_name(const hbd_ctx_t *ctx, uint32_t idx)
{
        if (idx > 0 && idx <= ctx->cfg->n_classes)
                return ctx->cfg->classes[idx - 1].name;
        return "default";
}

/* HB_EVENT_INTERVAL ("interval": this node's class changed its rate) and
 * HB_EVENT_CLASS_MISMATCH ("class_mismatch": a peer announced an
 * interval outside its class's bounds here), docs/classes.md. */
static json_t *class_event_json(const hbd_ctx_t *ctx, const hbd_event_t *ev)
{
        const hb_event_t *c = ev->core;
        double old_ms = (double)c->old_interval_ns / (double)HB_NS_PER_MS;
        double new_ms = (double)c->new_interval_ns / (double)HB_NS_PER_MS;

        if (c->type == HB_EVENT_INTERVAL)
                return json_pack(
                        "{s:s, s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:I, s:I}",
                        "event", "interval", "node", ctx->cfg->node_name,
                        "class", class_name(ctx, c->class_idx),
                        "class_index", (json_int_t)c->class_idx,
                        "old_interval_ms", old_ms,
                        "interval_ms", new_ms,
                        "rtt_max_ms",
                        (double)c->rtt_max_ns / (double)HB_NS_PER_MS,
                        "loss", c->loss, "at_ns", (json_int_t)c->at_ns,
                        "wall_time_ns", (json_int_t)ev->wall_ns);
        return json_pack(
                "{s:s, s:s, s:s, s:I, s:s, s:I, s:f, s:f, s:I, s:I}",
                "event", "class_mismatch", "node", ctx->cfg->node_name,
                "peer", ev->peer_name != NULL ? ev->peer_name : "?",
                "peer_id", (json_int_t)c->peer_id,
                "class", class_name(ctx, c->class_idx),
                "class_index", (json_int_t)c->class_idx,
                "announced_interval_ms", new_ms,
                "interval_ms", old_ms,
                "at_ns", (json_int_t)c->at_ns,
                "wall_time_ns", (json_int_t)ev->wall_ns);
}

static json_t *core_event(const hbd_ctx_t *ctx, const hbd_event_t *ev)
{
        switch (ev->core->type) {
        case HB_EVENT_PEER_STATE:
                return hbp_event_json(ev->core, ctx->cfg->node_name,
                                         ev->peer_name, ev->wall_ns);
        case HB_EVENT_ROLE:
        case HB_EVENT_QUORUM:
                return hbp_coord_event_json(ev->core, ctx->cfg->node_name,
                                               ev->leader_name, ev->wall_ns);
        case HB_EVENT_LINK:
                return json_pack(
                        "{s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:s, "
                        "s:s, s:f, s:I, s:I}",
                        "event", "link", "node", ctx->cfg->node_name,
                        "peer", ev->peer_name,
                        "peer_id", (json_int_t)ev->core->peer_id,
                        "link", ev->link_name,
                        "link_index", (json_int_t)ev->core->link,
                        "state", hb_link_state_name(ev->core->new_link_state),
                        "old_state",
                        hb_link_state_name(ev->core->old_link_state),
                        "peer_state", hb_peer_state_name(ev->core->new_state),
                        "reason", hb_reason_name(ev->core->reason),
                        "suspicion", ev->core->suspicion,
                        "at_ns", (json_int_t)ev->core->at_ns,
                        "wall_time_ns", (json_int_t)ev->wall_ns);
        case HB_EVENT_CLASS_MISMATCH:
        case HB_EVENT_INTERVAL:
                return class_event_json(ctx, ev);
        case HB_EVENT_REGION:
                return json_pack(
                        "{s:s, s:s, s:I, s:s, s:s, s:I, s:I}",
                        "event", "region", "node", ctx->cfg->node_name,
                        "region", (json_int_t)ev->core->region,
                        "state",
                        hb_region_state_name(ev->core->new_region_state),
                        "old_state",
                        hb_region_state_name(ev->core->old_region_state),
                        "at_ns", (json_int_t)ev->core->at_ns,
                        "wall_time_ns", (json_int_t)ev->wall_ns);
        case HB_EVENT_GLOBAL_ROLE:
                return json_pack(
                        "{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:I, "
                        "s:I}",
                        "event", "global_role", "node", ctx->cfg->node_name,
                        "role", hb_role_name(ev->core->new_role),
                        "old_role", hb_role_name(ev->core->old_role),
                        "term", (json_int_t)ev->core->term,
                        "leader_region", (json_int_t)ev->core->leader_id,
                        "established", ev->core->established,
                        "reason", ev->core->why != NULL ? ev->core->why : "",
                        "at_ns", (json_int_t)ev->core->at_ns,
                        "wall_time_ns", (json_int_t)ev->wall_ns);
        default:
                return NULL; /* terms and pauses: logged, not streamed */
        }
}

json_t *hbd_event_json(const hbd_ctx_t *ctx, const hbd_event_t *ev)
{
        const char *node = ctx->cfg->node_name;

        switch (ev->kind) {
        case HBD_EV_CORE:
                return core_event(ctx, ev);
        case HBD_EV_RESOURCE:
                return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I}",
                                 "event", "resource", "node", node,
                                 "state", ev->resource.new_state,
                                 "old_state", ev->resource.old_state,
                                 "term", (json_int_t)ev->resource.term,
                                 "reason", ev->resource.reason,
                                 "at_ns", (json_int_t)ev->at_ns,
                                 "wall_time_ns", (json_int_t)ev->wall_ns);
        case HBD_EV_FENCE:
                return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:I,"
                                 " s:I}",
                                 "event", "fence", "node", node,
                                 "target", ev->fence.target,
                                 "target_id", (json_int_t)ev->fence.target_id,
                                 "term", (json_int_t)ev->fence.term,
                                 "result", ev->fence.result,
                                 "ok", (int)ev->fence.ok,
                                 "attempt", (json_int_t)ev->fence.attempt,
                                 "at_ns", (json_int_t)ev->at_ns);
        case HBD_EV_CHECK:
                return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I,"
                                 " s:I}",
                                 "event", "check", "node", node,
                                 "name", ev->check.name,
                                 "kind", ev->check.kind,
                                 "state", ev->check.new_state,
                                 "old_state", ev->check.old_state,
                                 "reason", ev->check.reason,
                                 "at_ns", (json_int_t)ev->at_ns,
                                 "wall_time_ns", (json_int_t)ev->wall_ns);
        default:
                return NULL;
        }
}
