/* SPDX-License-Identifier: MIT */
/*
 * The control module (docs/control-protocol.md): the command table of the
 * control socket, and the event stream. The transport — socket, framing,
 * flow control, the ring, followers and record streams — is
 * ctl_server.c; the documents are status.c's, shared with HTTP.
 *
 * Commands never change the daemon: they read, or ask (`reload`) through
 * the context, like FRR's vtysh only enqueues. Events come from the bus:
 * the core's peer, role and quorum changes, the resource's states, fences
 * and health checks become one JSON line each in the ring and on every
 * follower; accepted heartbeats feed `record` streams.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "daemon/ctl_server.h"
#include "daemon/module.h"
#include "daemon/status.h"

struct ctl {
        hbd_ctx_t *ctx;
        hbd_ctl_t *server;
};

/* ---- commands ------------------------------------------------------ */

static void cmd_status(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;

        (void)req;
        hbd_ctl_reply(c, hbd_status_json(m->ctx));
}

static void cmd_members(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;

        (void)req;
        hbd_ctl_reply(c, hbd_members_json(m->ctx));
}

/* {"cmd": "links"}: every (peer, link) (docs/links.md). */
static void cmd_links(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;

        (void)req;
        hbd_ctl_reply(c, hbd_links_json(m->ctx));
}

/* {"cmd": "leader"}: who leads, in which term, as this node sees it. */
static void cmd_leader(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        hb_coord_info_t ci;
        json_t *obj;

        (void)req;
        hb_node_coord_info(m->ctx->node, &ci);
        if (!ci.enabled) {
                hbd_ctl_reply_error(c, "election is not enabled "
                                    "(election.enabled)");
                return;
        }
        obj = hbd_coord_json(m->ctx, uv_hrtime());
        if (obj != NULL) {
                json_object_set_new(obj, "ok", json_true());
                json_object_set_new(obj, "self", json_boolean(
                        ci.leader_id != 0 &&
                        ci.leader_id == hb_node_id(m->ctx->node)));
        }
        hbd_ctl_reply(c, obj);
}

/* {"cmd": "quorum"}: the coordination object plus every member's votes
 * and whether they count now. */
static void cmd_quorum(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        const char *why = NULL;
        json_t *obj;

        (void)req;
        obj = hbd_quorum_json(m->ctx, &why);
        if (obj == NULL && why != NULL)
                hbd_ctl_reply_error(c, "%s", why);
        else
                hbd_ctl_reply(c, obj);
}

static void cmd_events(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        json_t *follow = json_object_get(req, "follow");

        if (follow != NULL && !json_is_boolean(follow) &&
            !json_is_null(follow)) {
                hbd_ctl_reply_error(c, "bad request: \"follow\" must be "
                                    "true or false");
                return;
        }
        if (!json_is_true(follow)) {
                hbd_ctl_reply(c, json_pack("{s:b, s:o}", "ok", 1, "events",
                                           hbd_ctl_events(m->server)));
                return;
        }
        hbd_ctl_follow(c);
        hbd_ctl_reply(c, json_pack("{s:b, s:b}", "ok", 1, "follow", 1));
}

/* {"cmd": "reload"}: all or nothing, every module included (reload.c). */
static void cmd_reload(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        char err[1024] = "";

        (void)req;
        if (m->ctx->reload(m->ctx, err, sizeof(err)) < 0)
                hbd_ctl_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error",
                                           err[0] != '\0' ? err :
                                           "reload failed"));
        else
                hbd_ctl_reply(c, json_pack("{s:b}", "ok", 1));
}

/*
 * {"cmd": "record", "peer": NAME}: answer with the node's name and
 * interval, then turn the connection into a stream of that peer's
 * accepted heartbeats.
 */
static void cmd_record(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        const hbd_config_t *cfg = m->ctx->cfg;
        const json_t *peer = json_object_get(req, "peer");
        const hbd_peer_conf_t *pc = NULL;
        const char *name;
        size_t i;

        if (!json_is_string(peer)) {
                hbd_ctl_reply_error(c, "bad request: \"peer\" must be a "
                                    "peer name");
                return;
        }
        name = json_string_value(peer);
        for (i = 0; i < cfg->n_peers && pc == NULL; i++)
                if (strcmp(cfg->peers[i].name, name) == 0)
                        pc = &cfg->peers[i];
        if (pc == NULL) {
                hbd_ctl_reply_error(c, "unknown peer '%s'", name);
                return;
        }
        hbd_ctl_record(c, pc->id);
        hbd_ctl_reply(c, json_pack("{s:b, s:b, s:s, s:I, s:s, s:I, s:I}",
                                   "ok", 1, "record", 1, "peer", pc->name,
                                   "peer_id", (json_int_t)pc->id,
                                   "node", cfg->node_name,
                                   "interval_ns", (json_int_t)
                                   hb_node_config(m->ctx->node)->interval_ns,
                                   "now_ns", (json_int_t)uv_hrtime()));
}

/*
 * {"cmd": "forget", "peer": NAME}: forget the incarnation accepted from
 * the peer, so its next authentic message is taken whatever its
 * incarnation (hb_node_peer_forget(): a peer restarted with its clock
 * stepped back, or locked out by a forged incarnation; review F6, F9).
 */
static void cmd_forget(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        const hbd_config_t *cfg = m->ctx->cfg;
        const json_t *peer = json_object_get(req, "peer");
        const hbd_peer_conf_t *pc = NULL;
        hb_peer_info_t pi;
        size_t i;

        if (!json_is_string(peer)) {
                hbd_ctl_reply_error(c, "bad request: \"peer\" must be a "
                                    "peer name");
                return;
        }
        for (i = 0; i < cfg->n_peers && pc == NULL; i++)
                if (strcmp(cfg->peers[i].name, json_string_value(peer)) == 0)
                        pc = &cfg->peers[i];
        if (pc == NULL || hb_node_peer_info(m->ctx->node, pc->id,
                                            uv_hrtime(), &pi) < 0) {
                hbd_ctl_reply_error(c, "unknown peer '%s'",
                                    json_string_value(peer));
                return;
        }
        (void)hb_node_peer_forget(m->ctx->node, pc->id);
        hbd_logj(m->ctx->log, HBD_LOG_WARNING,
                 json_pack("{s:s, s:I}", "peer", pc->name, "incarnation",
                           (json_int_t)pi.incarnation),
                 "forgot peer %s's incarnation %" PRIu64 " (hbeatctl "
                 "forget): its next authentic message is accepted whatever "
                 "its incarnation", pc->name, pi.incarnation);
        hbd_ctl_reply(c, json_pack("{s:b, s:s, s:I}", "ok", 1, "peer",
                                   pc->name, "forgot_incarnation",
                                   (json_int_t)pi.incarnation));
}

/* {"cmd": "checks"}: the checks' part of the status, and readiness. */
static void cmd_checks(void *user, hbd_ctl_conn_t *c, json_t *req)
{
        struct ctl *m = user;
        json_t *doc = json_object(), *checks;
        const char *why = NULL;

        (void)req;
        if (doc == NULL) {
                hbd_ctl_reply(c, NULL);
                return;
        }
        hbd_bus_status(m->ctx, doc);
        checks = json_object_get(doc, "checks");
        hbd_ctl_reply(c, json_pack("{s:b, s:O, s:b, s:I}", "ok", 1,
                                   "checks", checks ? checks : json_null(),
                                   "passing",
                                   (int)hbd_bus_ready(m->ctx, &why),
                                   "now_ns", (json_int_t)uv_hrtime()));
        json_decref(doc);
}

static const hbd_ctl_command_t commands[] = {
        { "status", cmd_status },
        { "members", cmd_members },
        { "links", cmd_links },
        { "leader", cmd_leader },
        { "quorum", cmd_quorum },
        { "events", cmd_events },
        { "reload", cmd_reload },
        { "record", cmd_record },
        { "checks", cmd_checks },
        { "forget", cmd_forget },
        { NULL, NULL },
};

/* ---- events -------------------------------------------------------- */

/* Record streams keep a peer that is still configured. */
static bool peer_configured(void *user, uint32_t id)
{
        const struct ctl *m = user;

        return hbd_config_peer(m->ctx->cfg, id) != NULL;
}

static void on_event(void *state, const hbd_event_t *ev)
{
        struct ctl *m = state;

        switch (ev->kind) {
        case HBD_EV_ARRIVAL:
                if (hbd_ctl_recording(m->server))
                        hbd_ctl_record_arrival(m->server, ev->arrival.peer_id,
                                               ev->arrival.seq,
                                               ev->arrival.send_ns,
                                               ev->at_ns);
                return;
        case HBD_EV_PEERS:
                hbd_ctl_end_records(m->server, peer_configured, m);
                return;
        default:
                hbd_ctl_publish(m->server, hbd_event_json(m->ctx, ev));
                return;
        }
}

/* ---- lifecycle ----------------------------------------------------- */

static int start(hbd_ctx_t *ctx, void **state)
{
        struct ctl *m = calloc(1, sizeof(*m));
        char err[1024];
        int r;

        if (m == NULL)
                return -ENOMEM;
        m->ctx = ctx;
        r = hbd_ctl_open(&m->server, ctx->loop, ctx->log,
                         ctx->cfg->control_socket, commands, m, err,
                         sizeof(err));
        if (r < 0) {
                hbd_error(ctx->log, "%s", err);
                free(m);
                return r;
        }
        *state = m;
        return 0;
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        struct ctl *m = state;

        hbd_ctl_close(m->server); /* frees itself as its handles close */
        free(m);
        done(arg);
}

/* The control socket cannot move on reload (hbd_config_reloadable()). */
const hbd_module_t hbd_ctl_module = {
        .name = "control",
        .events = HBD_EV_CORE | HBD_EV_ARRIVAL | HBD_EV_RESOURCE |
                  HBD_EV_FENCE | HBD_EV_CHECK | HBD_EV_PEERS,
        .start = start,
        .on_event = on_event,
        .stop = stop,
};
