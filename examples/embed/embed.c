/* SPDX-License-Identifier: MIT */
/*
 * Embedding libhbeat on libuv (docs/embedding.md): two nodes in one
 * process, on one loop, on loopback. They find each other alive; then b
 * stops (its socket closes, as when a process dies) and a reports it dead
 * — at once, from the ICMP port unreachable its next heartbeat draws.
 * Exit 0 when a has seen b alive and then dead, 1 otherwise (within 5 s).
 *
 * Build against an installed libhbeat:
 *     cc -o embed embed.c $(pkg-config --cflags --libs hbeat-uv)
 * In the source tree it is built and run by `make test` (meson.build).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <hbeat/hbeat.h>
#include <hbeat/uv.h>

static hb_uv_node_t *a, *b;
static int saw_alive, saw_dead;

static void on_event(void *user, const hb_event_t *ev)
{
        (void)user;
        if (ev->type != HB_EVENT_PEER_STATE || ev->peer_id != 2)
                return;
        printf("a: peer b %s -> %s (%s)\n", hb_peer_state_name(ev->old_state),
               hb_peer_state_name(ev->new_state), hb_reason_name(ev->reason));
        if (ev->new_state == HB_PEER_ALIVE && b != NULL) {
                saw_alive = 1;
                hb_uv_node_close(b, NULL, NULL);   /* b "dies" */
                b = NULL;
        } else if (ev->new_state == HB_PEER_DEAD && saw_alive) {
                saw_dead = 1;
                hb_uv_node_close(a, NULL, NULL);   /* done: the loop ends */
                a = NULL;
        }
}

/* One node: id, bound to 127.0.0.1 on a port the kernel picks. */
static hb_uv_node_t *start(uv_loop_t *loop, uint32_t id, hb_event_cb cb)
{
        struct sockaddr_in any = { .sin_family = AF_INET };
        hb_node_config_t cfg;
        hb_uv_options_t opt;
        hb_uv_node_t *un;

        any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        hb_node_config_default(&cfg, HB_DETECTOR_PHI, 20 * HB_NS_PER_MS);
        cfg.cluster_id = 7;
        cfg.node_id = id;
        cfg.incarnation = (uint64_t)time(NULL);
        memset(cfg.key.bytes, 0x42, sizeof(cfg.key.bytes)); /* shared key */
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&any;
        opt.event = cb;
        if (hb_uv_node_new(&un, loop, &cfg, &opt) < 0)
                return NULL;
        return un;
}

static void on_timeout(uv_timer_t *t)
{
        fprintf(stderr, "embed: timed out\n");
        hb_uv_node_close(a, NULL, NULL);
        hb_uv_node_close(b, NULL, NULL);
        a = b = NULL;
        uv_close((uv_handle_t *)t, NULL);
}

int main(void)
{
        uv_loop_t *loop = uv_default_loop();
        struct sockaddr_storage addr_a, addr_b;
        uv_timer_t timeout;

        if (hb_version() >> 8 != HB_VERSION_HEX >> 8) {
                fprintf(stderr, "embed: built for libhbeat %s, running "
                        "with %s\n", HB_VERSION_STRING, hb_version_string());
                return 1;
        }
        a = start(loop, 1, on_event);
        b = start(loop, 2, NULL);
        if (a == NULL || b == NULL ||
            hb_uv_node_sockname(a, &addr_a) < 0 ||
            hb_uv_node_sockname(b, &addr_b) < 0 ||
            hb_uv_node_peer_add(a, 2, (struct sockaddr *)&addr_b) < 0 ||
            hb_uv_node_peer_add(b, 1, (struct sockaddr *)&addr_a) < 0)
                return 1;
        uv_timer_init(loop, &timeout);
        uv_timer_start(&timeout, on_timeout, 5000, 0);
        uv_unref((uv_handle_t *)&timeout);  /* the nodes keep it running */
        uv_run(loop, UV_RUN_DEFAULT);
        if (!uv_is_closing((uv_handle_t *)&timeout))
                uv_close((uv_handle_t *)&timeout, NULL);
        uv_run(loop, UV_RUN_DEFAULT);
        printf("embed: %s\n", saw_dead ? "b seen alive, then dead" : "FAIL");
        return saw_dead && uv_loop_close(loop) == 0 ? 0 : 1;
}
