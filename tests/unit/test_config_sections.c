/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the configuration (src/config/), second part: what a
 * reload may change (hbd_config_reloadable() and the table's reload
 * rules), the knob table itself (hbd_config_knob()), and the checks[],
 * vips[], http, election, resource and realtime sections. The fixture:
 * config_test_util.h.
 */
#include "config_test_util.h"

/* A config from the knobs hbd_config_reloadable() looks at. */
static hbd_config_t *reload_cfg(const char *name, const char *id,
                                const char *listen, const char *cluster_id,
                                const char *interval, const char *socket,
                                const char *peers)
{
        char text[1024];

        snprintf(text, sizeof text,
                 "node:\n  name: %s\n  id: %s\nlisten: \"%s\"\n"
                 "cluster:\n  id: %s\n  key_file: cluster.key\n"
                 "heartbeat:\n  interval_ms: %s\n"
                 "control:\n  socket: %s\npeers: %s\n",
                 name, id, listen, cluster_id, interval, socket, peers);
        return load_ok(text);
}

static void test_reloadable(void **state)
{
        static const char *const peers =
                "[{name: n2, id: 2, address: \"127.0.0.1:7402\"}]";
        static const struct {
                const char *id, *listen, *cluster_id, *socket, *what;
        } fixed[] = {
                { "5", "127.0.0.1:7401", "7", "/tmp/a.sock", "node.id" },
                { "1", "127.0.0.1:7409", "7", "/tmp/a.sock", "listen" },
                { "1", "[::1]:7401", "7", "/tmp/a.sock", "listen" },
                { "1", "127.0.0.1:7401", "8", "/tmp/a.sock", "cluster.id" },
                { "1", "127.0.0.1:7401", "7", "/tmp/b.sock",
                  "control.socket" },
        };
        hbd_config_t *cur, *next;
        const char *what;

        (void)state;
        cur = reload_cfg("n1", "1", "127.0.0.1:7401", "7", "100",
                         "/tmp/a.sock", peers);
        for (size_t i = 0; i < N(fixed); i++) {
                next = reload_cfg("n1", fixed[i].id, fixed[i].listen,
                                  fixed[i].cluster_id, "100",
                                  fixed[i].socket, peers);
                what = NULL;
                assert_false(hbd_config_reloadable(cur, next, &what));
                assert_non_null(what);
                assert_string_equal(what, fixed[i].what);
                hbd_config_free(next);
        }

        /* Everything else may change; the listen address is compared
         * resolved, not as written. */
        next = reload_cfg("other", "1", "127.0.0.1:07401", "7", "250",
                          "/tmp/a.sock", "[]");
        what = "untouched";
        assert_true(hbd_config_reloadable(cur, next, &what));
        assert_true(hbd_config_reloadable(cur, cur, NULL));
        assert_false(hbd_config_reloadable(cur, NULL, NULL));
        hbd_config_free(next);
        hbd_config_free(cur);

        /* The table marks exactly those keys, the quorum's, and the
         * peers' set and votes with election; nothing else decides. */
        for (size_t i = 0; i < hbd_config_knob_count(); i++) {
                hbd_knob_t kn;
                const char *p;
                bool fixed_key, election_key;

                assert_int_equal(hbd_config_knob(i, &kn), 0);
                p = kn.path;
                fixed_key = strcmp(p, "node.id") == 0 ||
                            strcmp(p, "listen") == 0 ||
                            strcmp(p, "node.region") == 0 ||
                            strcmp(p, "node.elector") == 0 ||
                            strcmp(p, "cluster.id") == 0 ||
                            strcmp(p, "control.socket") == 0 ||
                            strcmp(p, "http.listen") == 0 ||
                            strncmp(p, "events.", 7) == 0 ||
                            strncmp(p, "quorum.", 7) == 0 ||
                            strcmp(p, "election.enabled") == 0 ||
                            strcmp(p, "election.state_file") == 0 ||
                            strcmp(p, "realtime.enabled") == 0 ||
                            strcmp(p, "realtime.priority") == 0 ||
                            strcmp(p, "realtime.lock_memory") == 0 ||
                            (strncmp(p, "daemon.", 7) == 0 &&
                             strcmp(p, "daemon.timezone") != 0) ||
                            strncmp(p, "links[].", 8) == 0 ||
                            strncmp(p, "topology.", 9) == 0;
                election_key = strcmp(p, "peers[].id") == 0 ||
                               strcmp(p, "peers[].votes") == 0 ||
                               strcmp(p, "peers[].region") == 0 ||
                               strcmp(p, "peers[].elector") == 0;
                if (kn.reload != (fixed_key ? HBD_RELOAD_NO
                                  : election_key ? HBD_RELOAD_NO_ELECTION
                                                 : HBD_RELOAD_YES))
                        fail_msg("%s: reload is %s", p,
                                 hbd_reload_name(kn.reload));
        }
}

/*
 * http.listen: optional (NULL and no address when absent), an address like
 * `listen`, rejected with the file position when bad, and not reloadable
 * (set, unset or moved: restart), while absent in both is no change.
 */
static void test_http_listen(void **state)
{
        hbd_config_t *none, *v4, *v4b, *v6;
        const char *what;

        (void)state;
        none = load_ok(MINIMAL);
        assert_null(none->http_listen);
        assert_int_equal(none->http_listen_addr.ss_family, AF_UNSPEC);

        v4 = load_ok(MINIMAL "http:\n  listen: \"127.0.0.1:8080\"\n");
        assert_string_equal(v4->http_listen, "127.0.0.1:8080");
        assert_int_equal(v4->http_listen_addr.ss_family, AF_INET);
        assert_int_equal(port_of(&v4->http_listen_addr), 8080);
        v6 = load_ok(MINIMAL "http: {listen: \"[::1]:9090\"}\n");
        assert_int_equal(v6->http_listen_addr.ss_family, AF_INET6);
        assert_int_equal(port_of(&v6->http_listen_addr), 9090);
        /* An explicit null is the same as no key. */
        v4b = load_ok(MINIMAL "http:\n  listen:\n");
        assert_null(v4b->http_listen);
        hbd_config_free(v4b);

        expect_err_prefix(MINIMAL "http:\n  listen: localhost\n",
                          "n1.yaml:7:11: http.listen: bad address "
                          "'localhost': ");
        expect_err_prefix(MINIMAL "http:\n  listen: \"10.0.0.1:99999\"\n",
                          "n1.yaml:7:11: http.listen: bad address "
                          "'10.0.0.1:99999': ");
        expect_err(MINIMAL "http:\n  port: 80\n",
                   "n1.yaml:7:3: unknown key 'port' in 'http'");

        assert_true(hbd_config_reloadable(none, none, NULL));
        assert_true(hbd_config_reloadable(v4, v4, NULL));
        v4b = load_ok(MINIMAL "http:\n  listen: \"127.0.0.1:08080\"\n");
        assert_true(hbd_config_reloadable(v4, v4b, NULL));
        hbd_config_free(v4b);
        what = NULL;
        assert_false(hbd_config_reloadable(none, v4, &what));
        assert_string_equal(what, "http.listen");
        what = NULL;
        assert_false(hbd_config_reloadable(v4, none, &what));
        assert_string_equal(what, "http.listen");
        what = NULL;
        assert_false(hbd_config_reloadable(v4, v6, &what));
        assert_string_equal(what, "http.listen");
        hbd_config_free(none);
        hbd_config_free(v4);
        hbd_config_free(v6);
}

/*
 * events.*: off by default; with listen, key_file is required and read
 * (the cluster key's checks); key_file alone is an error; the defaults;
 * not reloadable.
 */
static void test_events(void **state)
{
        hbd_config_t *none, *on, *on2;
        const char *what;
        hb_key_t zero = { { 0 } };

        (void)state;
        none = load_ok(MINIMAL);
        assert_null(none->events.listen);
        on = load_ok(MINIMAL "events:\n  listen: \"127.0.0.1:7501\"\n"
                     "  key_file: events.key\n");
        assert_string_equal(on->events.listen, "127.0.0.1:7501");
        assert_int_equal(port_of(&on->events.listen_addr), 7501);
        assert_memory_not_equal(on->events.key.bytes, zero.bytes,
                                sizeof(zero.bytes));
        assert_int_equal(on->events.log_size, 10000);
        assert_int_equal(on->events.window, 64);
        assert_int_equal(on->events.max_subscribers, 16);
        assert_int_equal(on->events.timeout_ns, 30000 * HB_NS_PER_MS);
        assert_int_equal(on->events.handshake_timeout_ns,
                         5000 * HB_NS_PER_MS);
        expect_err(MINIMAL "events:\n  listen: \"127.0.0.1:7501\"\n",
                   "n1.yaml:7:3: missing events.key_file: subscribers of "
                   "events.listen are authenticated with a pre-shared key "
                   "(hbeatctl keygen)");
        expect_err(MINIMAL "events:\n  key_file: events.key\n",
                   "n1.yaml:7:3: events.key_file: only used with "
                   "events.listen (the event stream is off)");
        expect_err_len(MINIMAL "events:\n  listen: \"127.0.0.1:7501\"\n"
                       "  key_file: nothere.key\n",
                       strlen(MINIMAL) + 59, -ENOENT,
                       "n1.yaml:8:13: events.key_file: cannot read ", true);
        expect_err_prefix(MINIMAL "events:\n  listen: \"127.0.0.1:7501\"\n"
                          "  key_file: events.key\n  window: 0\n",
                          "n1.yaml:9:11: events.window: ");
        on2 = load_ok(MINIMAL "events:\n  listen: \"127.0.0.1:7502\"\n"
                      "  key_file: events.key\n");
        what = NULL;
        assert_false(hbd_config_reloadable(on, on2, &what));
        assert_string_equal(what, "events.listen");
        assert_true(hbd_config_reloadable(on, on, NULL));
        hbd_config_free(none);
        hbd_config_free(on);
        hbd_config_free(on2);
}

/* ---- vips[] ------------------------------------------------------------ */

#define ELECT "election: {enabled: true}\n"

static void test_vips(void **state)
{
        hbd_config_t *cfg, *next;
        const char *what;

        (void)state;
        cfg = load_ok(MINIMAL ELECT
                      "vips:\n"
                      "  - {address: \"10.213.1.100/24\", interface: eth0}\n"
                      "  - {address: \"2001:db8::100/64\", interface: eth1,"
                      " provider: exec, up: [bin/up, a], down: [/bin/dn]}\n");
        assert_int_equal(cfg->n_vips, 2);
        assert_string_equal(cfg->vips[0].address, "10.213.1.100/24");
        assert_int_equal(cfg->vips[0].family, AF_INET);
        assert_int_equal(cfg->vips[0].prefix_len, 24);
        assert_int_equal(cfg->vips[0].addr[3], 100);
        assert_string_equal(cfg->vips[0].interface, "eth0");
        assert_int_equal(cfg->vips[0].provider, HBD_VIP_NETLINK);
        assert_null(cfg->vips[0].up);
        assert_int_equal(cfg->vips[1].family, AF_INET6);
        assert_int_equal(cfg->vips[1].prefix_len, 64);
        assert_int_equal(cfg->vips[1].provider, HBD_VIP_EXEC);
        assert_int_equal(cfg->vips[1].up[0][0], '/');
        assert_string_equal(cfg->vips[1].up[1], "a");
        assert_string_equal(cfg->vips[1].down[0], "/bin/dn");

        /* Reloadable: the VIP module's prepare and commit take the
         * difference (vip.c). */
        assert_true(hbd_config_reloadable(cfg, cfg, NULL));
        next = load_ok(MINIMAL ELECT
                       "vips:\n"
                       "  - {address: \"10.213.1.101/24\", interface: eth0}"
                       "\n");
        assert_true(hbd_config_reloadable(cfg, next, &what));
        hbd_config_free(next);
        hbd_config_free(cfg);

        expect_err(MINIMAL "vips:\n  - {address: \"10.0.0.1/24\", "
                   "interface: eth0}\n",
                   "n1.yaml:6:1: vips: only used with election.enabled: "
                   "true (the leader holds them)");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1\", "
                   "interface: eth0}\n",
                   "n1.yaml:8:15: vips[0].address: '10.0.0.1' is not "
                   "ADDRESS/PREFIX (10.0.0.100/24 or 2001:db8::100/64)");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1/33\", "
                   "interface: eth0}\n",
                   "n1.yaml:8:15: vips[0].address: '10.0.0.1/33': the "
                   "prefix length must be 0..32");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.x/24\", "
                   "interface: eth0}\n",
                   "n1.yaml:8:15: vips[0].address: '10.0.0.x/24' is not "
                   "an IPv4 or IPv6 address");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1/24\"}\n",
                   "n1.yaml:8:5: missing required key "
                   "'vips[0].interface'");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1/24\", "
                   "interface: eth0, provider: ip}\n",
                   "n1.yaml:8:57: vips[0].provider: 'ip' is not a "
                   "provider (netlink or exec)");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1/24\", "
                   "interface: eth0, up: [x]}\n",
                   "n1.yaml:8:47: vips[0].up: only used with provider: "
                   "exec");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1/24\", "
                   "interface: eth0, provider: exec, up: [x]}\n",
                   "n1.yaml:8:5: vips[0]: provider exec needs 'down'");
        expect_err(MINIMAL ELECT "vips:\n"
                   "  - {address: \"10.0.0.1/24\", interface: eth0}\n"
                   "  - {address: \"10.0.0.1/16\", interface: eth1}\n",
                   "n1.yaml:9:15: vips[1].address: '10.0.0.1/16' is the "
                   "same address as vips[0] (line 8)");
        expect_err(MINIMAL ELECT "vips:\n  - {address: \"10.0.0.1/24\", "
                   "interface: \"a/b\"}\n",
                   "n1.yaml:8:41: vips[0].interface: 'a/b' is not an "
                   "interface name (1..15 bytes, no '/', ':' or space)");
}

/* ---- checks[] ---------------------------------------------------------- */

static void test_checks(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok(MINIMAL "election: {enabled: true}\n"
                      "peers:\n  - {name: n2, id: 2, address: "
                      "\"127.0.0.1:7402\"}\n"
                      "checks:\n"
                      "  - name: app\n"
                      "    kind: exec\n"
                      "    command: [bin/check, \"--x\", \"a b\"]\n"
                      "    weight: -50\n"
                      "  - {name: db, kind: tcp, target: \"db.example:5432\","
                      " interval_ms: 500, timeout_ms: 500, rise: 1, fall: 1,"
                      " initial_delay_ms: 3000, effect: fault}\n"
                      "  - {name: web, kind: http, url: \"http://[::1]:80/\","
                      " expect_status: 204, weight: 20}\n"
                      "  - {name: v6, kind: tcp, target: \"[::1]:22\"}\n");
        assert_int_equal(cfg->n_checks, 4);
        assert_string_equal(cfg->checks[0].name, "app");
        assert_int_equal(cfg->checks[0].kind, HBD_CHECK_EXEC);
        /* A program with a slash is relative to the config directory. */
        assert_non_null(strstr(cfg->checks[0].argv[0], "/bin/check"));
        assert_int_equal(cfg->checks[0].argv[0][0], '/');
        assert_string_equal(cfg->checks[0].argv[2], "a b");
        assert_null(cfg->checks[0].argv[3]);
        assert_int_equal(cfg->checks[0].weight, -50);
        assert_false(cfg->checks[0].fault);
        assert_int_equal(cfg->checks[0].interval_ns, 2000 * HB_NS_PER_MS);
        assert_int_equal(cfg->checks[0].timeout_ns, 1000 * HB_NS_PER_MS);
        assert_int_equal(cfg->checks[0].rise, 2);
        assert_int_equal(cfg->checks[0].fall, 3);
        assert_int_equal(cfg->checks[0].initial_delay_ns, 0);
        assert_int_equal(cfg->checks[1].kind, HBD_CHECK_TCP);
        assert_string_equal(cfg->checks[1].target_host, "db.example");
        assert_int_equal(cfg->checks[1].target_port, 5432);
        assert_true(cfg->checks[1].fault);
        assert_int_equal(cfg->checks[1].initial_delay_ns, 3000 * HB_NS_PER_MS);
        assert_int_equal(cfg->checks[2].expect_status, 204);
        assert_int_equal(cfg->checks[2].weight, 20);
        assert_string_equal(cfg->checks[3].target_host, "::1");
        assert_int_equal(cfg->checks[3].target_port, 22);
        hbd_config_free(cfg);

        /* A check without effect needs no election. */
        cfg = load_ok(MINIMAL "checks:\n  - {name: a, kind: exec, "
                      "command: [true]}\n");
        assert_int_equal(cfg->checks[0].weight, 0);
        hbd_config_free(cfg);

        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, "
                   "command: \"true\"}\n",
                   "n1.yaml:7:36: checks[0].command: expected a sequence of "
                   "strings (the program and its arguments, run without a "
                   "shell), found a scalar");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: ping}\n",
                   "n1.yaml:7:21: checks[0].kind: 'ping' is not a check kind "
                   "(exec, tcp or http)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: tcp}\n",
                   "n1.yaml:7:5: checks[0]: a check of kind tcp needs "
                   "'target'");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: tcp, "
                   "target: \"h:99999\"}\n",
                   "n1.yaml:7:34: checks[0].target: bad target 'h:99999' "
                   "(expected HOST:PORT or [V6]:PORT, port 1..65535)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, "
                   "command: [x], url: \"http://a/\"}\n",
                   "n1.yaml:7:41: checks[0]: 'url' is not used by a check "
                   "of kind exec");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: http, "
                   "url: \"ftp://a/\"}\n",
                   "n1.yaml:7:32: checks[0].url: 'ftp://a/' is not an "
                   "http:// or https:// URL");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "checks:\n  - {name: a, kind: exec, command: [x], "
                   "weight: -256}\n",
                   "n1.yaml:8:49: checks[0].weight: -256 is out of range "
                   "(-255..255)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, command: [x], "
                   "weight: 5}\n",
                   "n1.yaml:7:41: checks[0].weight: only used with "
                   "election.enabled: true");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "checks:\n  - {name: a, kind: exec, command: [x], "
                   "weight: 5, effect: fault}\n",
                   "n1.yaml:8:52: checks[0]: 'weight' and 'effect' cannot "
                   "both be set");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "checks:\n  - {name: a, kind: exec, command: [x], "
                   "effect: reboot}\n",
                   "n1.yaml:8:49: checks[0].effect: 'reboot' is not an "
                   "effect (fault; use weight for a priority change)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, command: [x], "
                   "interval_ms: 100, timeout_ms: 200}\n",
                   "n1.yaml:7:71: checks[0].timeout_ms: 200 is more than "
                   "interval_ms (100)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, command: [x]}\n"
                   "  - {name: a, kind: exec, command: [y]}\n",
                   "n1.yaml:8:12: checks[1].name: 'a' is also the name of "
                   "checks[0] (line 7)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, command: [x], "
                   "rise: 0}\n",
                   "n1.yaml:7:47: checks[0].rise: 0 is out of range "
                   "(1..1000)");
        expect_err(MINIMAL "checks:\n  - {name: a, kind: exec, command: [x], "
                   "bogus: 1}\n",
                   "n1.yaml:7:41: unknown key 'bogus' in 'checks[0]'");
}

/* ---- quorum and election ----------------------------------------------- */

/* Lines 1-5 MINIMAL, 6-12 two peers. */
#define PEERS2                                                               \
        "peers:\n"                                                           \
        "  - {name: n2, id: 2, address: \"127.0.0.1:7402\"}\n"               \
        "  - {name: n3, id: 3, address: \"127.0.0.1:7403\", votes: 2}\n"

/*
 * realtime: on by default (priority 40, memory locked, not pinned); a CPU
 * list parsed into the set and kept as written; bad lists and the other
 * keys with realtime.enabled: false refused with the position; only the
 * CPUs change on reload.
 */
static void test_realtime(void **state)
{
        hbd_config_t *cfg, *next;
        const char *what;
        cpu_set_t want;

        (void)state;
        cfg = load_ok(MINIMAL);
        assert_true(cfg->realtime.enabled);
        assert_int_equal(cfg->realtime.priority, 40);
        assert_true(cfg->realtime.lock_memory);
        assert_null(cfg->realtime.cpus);
        assert_int_equal(CPU_COUNT(&cfg->realtime.cpu_set), 0);

        next = load_ok(MINIMAL "realtime:\n  cpus: 0-2,5,7-7\n"
                       "  priority: 99\n  lock_memory: false\n");
        assert_string_equal(next->realtime.cpus, "0-2,5,7-7");
        CPU_ZERO(&want);
        for (int c = 0; c <= 7; c++)
                if (c <= 2 || c == 5 || c == 7)
                        CPU_SET(c, &want);
        assert_true(CPU_EQUAL(&next->realtime.cpu_set, &want));
        assert_int_equal(next->realtime.priority, 99);
        assert_false(next->realtime.lock_memory);
        /* Priority and memory need a restart... */
        assert_false(hbd_config_reloadable(cfg, next, &what));
        assert_string_equal(what, "realtime.priority");
        hbd_config_free(next);
        /* ...the CPUs do not. */
        next = load_ok(MINIMAL "realtime: {cpus: \"1023\"}\n");
        assert_true(CPU_ISSET(1023, &next->realtime.cpu_set));
        assert_true(hbd_config_reloadable(cfg, next, NULL));
        hbd_config_free(next);
        hbd_config_free(cfg);
        /* Whom hbeatd runs as is fixed at start (privileges.c). */
        cfg = load_ok(MINIMAL);
        next = load_ok(MINIMAL "daemon: {user: root}\n");
        assert_false(hbd_config_reloadable(cfg, next, &what));
        assert_string_equal(what, "daemon.user");
        hbd_config_free(next);
        hbd_config_free(cfg);

        cfg = load_ok(MINIMAL "realtime: {enabled: false}\n");
        assert_false(cfg->realtime.enabled);
        hbd_config_free(cfg);

        expect_err(MINIMAL "realtime:\n  cpus: 1-0\n",
                   "n1.yaml:7:9: realtime.cpus: '1-0' is not a CPU list "
                   "(CPU numbers 0..1023 and ranges of them joined by "
                   "commas: 0-1,3)");
        expect_err(MINIMAL "realtime:\n  cpus: \"1024\"\n",
                   "n1.yaml:7:9: realtime.cpus: '1024' is not a CPU list "
                   "(CPU numbers 0..1023 and ranges of them joined by "
                   "commas: 0-1,3)");
        expect_err(MINIMAL "realtime:\n  cpus: \"0, 1\"\n",
                   "n1.yaml:7:9: realtime.cpus: '0, 1' is not a CPU list "
                   "(CPU numbers 0..1023 and ranges of them joined by "
                   "commas: 0-1,3)");
        expect_err(MINIMAL "realtime:\n  priority: 0\n",
                   "n1.yaml:7:13: realtime.priority: 0 is out of range "
                   "(1..99)");
        expect_err(MINIMAL "realtime:\n  enabled: false\n  cpus: 1\n",
                   "n1.yaml:8:3: realtime.cpus: only used with "
                   "realtime.enabled: true");
}

static void test_coord(void **state)
{
        hbd_config_t *cfg;
        char want[PATH_MAX + 64];

        (void)state;
        /* Off by default, with the documented defaults. */
        cfg = load_ok(MINIMAL);
        assert_false(cfg->node.coord.enabled);
        assert_int_equal(cfg->node.coord.votes, 1);
        assert_int_equal(cfg->node.coord.priority, 100);
        assert_int_equal(cfg->node.coord.election_delay_ns,
                         100 * HB_NS_PER_MS);
        assert_null(cfg->election_state_file);
        assert_null(cfg->notify_on_leader);
        hbd_config_free(cfg);

        /* On: derived state file, delay = interval, peer votes. */
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 250}\n"
                      "election: {enabled: true}\n" PEERS2);
        assert_true(cfg->node.coord.enabled);
        assert_false(cfg->node.coord.two_node);
        assert_int_equal(cfg->node.coord.expected_votes, 0);
        assert_int_equal(cfg->node.coord.election_delay_ns,
                         250 * HB_NS_PER_MS);
        assert_string_equal(cfg->election_state_file,
                            "/var/lib/hbeat/n1.state");
        assert_int_equal(cfg->peers[0].votes, 1);
        assert_int_equal(cfg->peers[1].votes, 2);
        hbd_config_free(cfg);

        /* Everything set; relative paths against the config's directory. */
        cfg = load_ok(MINIMAL
                      "quorum: {votes: 3, expected_votes: 9, "
                      "wait_for_all: true, witness: true}\n"
                      "election: {enabled: true, priority: 255, "
                      "preempt: True, delay_ms: 40, state_file: st/n1}\n"
                      "notify: {on_leader: notify.sh, on_follower: "
                      "notify.sh, on_no_quorum: notify.sh}\n" PEERS2);
        assert_int_equal(cfg->node.coord.votes, 3);
        assert_int_equal(cfg->node.coord.expected_votes, 9);
        assert_true(cfg->node.coord.wait_for_all);
        assert_true(cfg->node.coord.witness);
        assert_int_equal(cfg->node.coord.priority, 255);
        assert_true(cfg->node.coord.preempt);
        assert_int_equal(cfg->node.coord.election_delay_ns,
                         40 * HB_NS_PER_MS);
        snprintf(want, sizeof want, "%s/st/n1", tmpdir);
        assert_string_equal(cfg->election_state_file, want);
        snprintf(want, sizeof want, "%s/notify.sh", tmpdir);
        assert_string_equal(cfg->notify_on_leader, want);
        assert_string_equal(cfg->notify_on_follower, want);
        assert_string_equal(cfg->notify_on_no_quorum, want);
        hbd_config_free(cfg);

        /* two_node. */
        cfg = load_ok(MINIMAL "quorum: {two_node: true}\n"
                      "election: {enabled: true}\n"
                      "peers: [{name: n2, id: 2, address: \"127.0.0.1:9\"}]\n");
        assert_true(cfg->node.coord.two_node);
        hbd_config_free(cfg);
}

/* ---- resource and fencing ----------------------------------------------- */

static void test_actions(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok(MINIMAL);
        assert_null(cfg->resource_start);
        assert_null(cfg->fence_command);
        hbd_config_free(cfg);

        /* fencing.watchdog: a character device (or a FIFO), nothing
         * else; the timeout defaults to 5 s. */
        cfg = load_ok(MINIMAL "election: {enabled: true}\n"
                      "fencing: {watchdog: /dev/null}\n");
        assert_string_equal(cfg->watchdog, "/dev/null");
        assert_int_equal(cfg->watchdog_timeout_ns, 5 * HB_NS_PER_S);
        hbd_config_free(cfg);
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "fencing: {watchdog: cluster.key}\n",
                   "n1.yaml:7:21: fencing.watchdog: '@/cluster.key' is not a "
                   "character device");

        cfg = load_ok(MINIMAL "election: {enabled: true}\n"
                      "resource: {start: [/bin/app, start], stop: [app, "
                      "stop], stop_timeout_ms: 500}\n"
                      "fencing: {command: [/bin/fence, \"a b\"], "
                      "self_fence: [/bin/reboot], two_node_delay_ms: 7}\n");
        assert_string_equal(cfg->resource_start[0], "/bin/app");
        assert_string_equal(cfg->resource_start[1], "start");
        assert_null(cfg->resource_start[2]);
        assert_string_equal(cfg->resource_stop[0], "app");
        assert_int_equal(cfg->resource_start_timeout_ns,
                         10000 * HB_NS_PER_MS);
        assert_int_equal(cfg->resource_stop_timeout_ns, 500 * HB_NS_PER_MS);
        assert_string_equal(cfg->fence_command[1], "a b");
        assert_int_equal(cfg->fence_timeout_ns, 30000 * HB_NS_PER_MS);
        assert_string_equal(cfg->fence_self[0], "/bin/reboot");
        assert_int_equal(cfg->fence_two_node_delay_ns, 7 * HB_NS_PER_MS);
        hbd_config_free(cfg);

        /* The two-node fence delay's default: 6 intervals (the higher
         * id's head start after a split) plus 1 s (the lower id's fence
         * runs), so the margin does not shrink with the interval; 0 turns
         * it off. */
        cfg = load_ok(MINIMAL "election: {enabled: true}\n"
                      "quorum: {two_node: true}\n"
                      "peers: [{name: n2, id: 2, address: 127.0.0.1:7402}]\n"
                      "fencing: {command: [/bin/fence]}\n");
        assert_int_equal(cfg->node.interval_ns, 100 * HB_NS_PER_MS);
        assert_int_equal(cfg->fence_two_node_delay_ns, 1600 * HB_NS_PER_MS);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 20}\n"
                      "election: {enabled: true}\n"
                      "quorum: {two_node: true}\n"
                      "peers: [{name: n2, id: 2, address: 127.0.0.1:7402}]\n"
                      "fencing: {command: [/bin/fence]}\n");
        assert_int_equal(cfg->fence_two_node_delay_ns, 1120 * HB_NS_PER_MS);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 20}\n"
                      "election: {enabled: true}\n"
                      "fencing: {command: [/bin/fence], "
                      "two_node_delay_ms: 0}\n");
        assert_int_equal(cfg->fence_two_node_delay_ns, 0);
        hbd_config_free(cfg);
        /* Long intervals: the default stays in range (1 hour at most). */
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 600000}\n"
                      "election: {enabled: true}\n"
                      "fencing: {command: [/bin/fence]}\n");
        assert_int_equal(cfg->fence_two_node_delay_ns, 3600 * HB_NS_PER_S);
        hbd_config_free(cfg);

        expect_err(MINIMAL "resource: {start: [a], stop: [b]}\n",
                   "n1.yaml:6:12: resource.start: only used with "
                   "election.enabled: true");
        expect_err(MINIMAL "fencing: {command: [a]}\n",
                   "n1.yaml:6:11: fencing.command: only used with "
                   "election.enabled: true");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "resource: {start: [a]}\n",
                   "n1.yaml:7:12: resource.start: given without "
                   "resource.stop; a resource needs both commands");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "resource: {start: a, stop: [b]}\n",
                   "n1.yaml:7:19: resource.start: expected a sequence of "
                   "strings (the program and its arguments, run without a "
                   "shell), found a scalar");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "fencing: {command: [a], timeout_ms: 0}\n",
                   "n1.yaml:7:37: fencing.timeout_ms: 0 is out of range "
                   "(1..3600000)");
}

static void test_err_coord(void **state)
{
        (void)state;
        /* Unused without election.enabled: an error, not ignored. */
        expect_err(MINIMAL "election:\n  priority: 7\n",
                   "n1.yaml:7:3: election.priority: only used with "
                   "election.enabled: true");
        expect_err(MINIMAL "quorum: {witness: false}\n",
                   "n1.yaml:6:10: quorum.witness: only used with "
                   "election.enabled: true");
        expect_err(MINIMAL "notify: {on_leader: notify.sh}\n",
                   "n1.yaml:6:10: notify.on_leader: only used with "
                   "election.enabled: true");
        expect_err(MINIMAL PEERS2,
                   "n1.yaml:8:50: peers[1].votes: only used with "
                   "election.enabled: true");
        /* Values. */
        expect_err(MINIMAL "election: {enabled: yes}\n",
                   "n1.yaml:6:21: election.enabled: 'yes' is not a boolean "
                   "(true or false)");
        expect_err(MINIMAL "election: {enabled: true, priority: 256}\n",
                   "n1.yaml:6:37: election.priority: 256 is out of range "
                   "(0..255)");
        expect_err(MINIMAL "election: {enabled: true, delay_ms: 0}\n",
                   "n1.yaml:6:37: election.delay_ms: 0 is out of range "
                   "(1..3600000)");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "peers: [{name: n2, id: 2, address: \"127.0.0.1:9\", "
                   "votes: 300}]\n",
                   "n1.yaml:7:58: peers[0].votes: 300 is out of range "
                   "(0..255)");
        /* Cross-field. */
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "quorum: {votes: 0}\n"
                   "peers: [{name: n2, id: 2, address: \"127.0.0.1:9\", "
                   "votes: 0}]\n",
                   "n1.yaml:7:17: quorum.votes: 0, and every peer has 0 "
                   "votes: no partition could ever be quorate; give at "
                   "least one node a vote");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "quorum: {votes: 0, witness: true}\n" PEERS2,
                   "n1.yaml:7:17: quorum.witness: a witness needs a vote "
                   "(quorum.votes >= 1; it is 0)");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "quorum: {two_node: true}\n" PEERS2,
                   "n1.yaml:7:20: quorum.two_node: needs exactly 1 peer "
                   "(2 configured)");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "quorum: {two_node: true}\n"
                   "peers: [{name: n2, id: 2, address: \"127.0.0.1:9\", "
                   "votes: 2}]\n",
                   "n1.yaml:7:20: quorum.two_node: needs 1 vote on each "
                   "node (this node 1, peer n2 2)");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "quorum: {expected_votes: 3}\n" PEERS2,
                   "n1.yaml:7:26: quorum.expected_votes: 3 is less than the "
                   "votes configured (4: quorum.votes plus every "
                   "peers[].votes); two partitions could both be quorate "
                   "(0 means that sum)");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "notify: {on_no_quorum: notify.txt}\n",
                   "n1.yaml:7:24: notify.on_no_quorum: '@/notify.txt' is "
                   "not executable: Permission denied");
}

static void test_reloadable_coord(void **state)
{
        static const char base[] = MINIMAL
                "election: {enabled: true, priority: %s}\n"
                "quorum: {votes: %s}\n"
                "peers: [{name: n2, id: 2, address: \"127.0.0.1:9\", votes: %s}%s]\n";
        char text[1024];
        hbd_config_t *cur, *next;
        const char *what;

        (void)state;
        snprintf(text, sizeof text, base, "100", "1", "1", "");
        cur = load_ok(text);
        /* Priority reloads. */
        snprintf(text, sizeof text, base, "200", "1", "1", "");
        next = load_ok(text);
        assert_true(hbd_config_reloadable(cur, next, &what));
        hbd_config_free(next);
        /* Votes, own or a peer's, and the set of peers do not. */
        snprintf(text, sizeof text, base, "100", "2", "1", "");
        next = load_ok(text);
        assert_false(hbd_config_reloadable(cur, next, &what));
        assert_string_equal(what, "quorum.votes");
        hbd_config_free(next);
        snprintf(text, sizeof text, base, "100", "1", "2", "");
        next = load_ok(text);
        assert_false(hbd_config_reloadable(cur, next, &what));
        assert_string_equal(what, "peers[].votes");
        hbd_config_free(next);
        snprintf(text, sizeof text, base, "100", "1", "1",
                 ", {name: n3, id: 3, address: \"127.0.0.1:10\"}");
        next = load_ok(text);
        assert_false(hbd_config_reloadable(cur, next, &what));
        assert_string_equal(what, "the set of peers (with election.enabled)");
        hbd_config_free(next);
        /* Nor election.enabled. */
        next = load_ok(MINIMAL "peers: [{name: n2, id: 2, address: "
                       "\"127.0.0.1:9\"}]\n");
        assert_false(hbd_config_reloadable(cur, next, &what));
        assert_string_equal(what, "election.enabled");
        hbd_config_free(next);
        hbd_config_free(cur);
}

/* The knob whose path is `path`, into `out`; fails the test if none. */
static void find_knob(const char *path, hbd_knob_t *out)
{
        for (size_t i = 0; i < hbd_config_knob_count(); i++) {
                assert_int_equal(hbd_config_knob(i, out), 0);
                if (strcmp(out->path, path) == 0)
                        return;
        }
        fail_msg("no knob %s", path);
}

/* "node", "peers[]": the section of a path. */
static size_t section_len(const char *path)
{
        return strcspn(path, ".");
}

/*
 * The table by its properties, not by a copy of its rows: every key once,
 * sections contiguous, ranges and defaults consistent with the types, the
 * detector rows exactly the core's schema (without its tools-only keys),
 * and the rules read off the code where a default is derived. Plus the
 * drifts the review of 4c2eaf6 found, so that they stay fixed.
 */
static void test_knob_table(void **state)
{
        size_t n = hbd_config_knob_count(), n_det = 0, n_schema = 0;
        const hb_detector_param_t *p;
        hbd_knob_t kn, other;
        unsigned kinds;

        (void)state;
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
                size_t plen, slen;

                assert_int_equal(hbd_config_knob(i, &kn), 0);
                plen = strlen(kn.path);
                slen = section_len(kn.path);
                assert_non_null(kn.type);
                assert_non_null(kn.unit);
                assert_non_null(kn.help);
                assert_true(kn.help[0] != '\0' &&
                            kn.help[strlen(kn.help) - 1] == '.');
                /* Said by election_only, not by hand. */
                assert_null(strstr(kn.help, "Needs election.enabled"));
                /* Units in names. */
                assert_int_equal(strcmp(kn.unit, "ms") == 0,
                                 plen > 3 &&
                                         strcmp(kn.path + plen - 3, "_ms") ==
                                                 0);
                if (kn.numeric) {
                        assert_true(kn.min < kn.max);
                        assert_true(kn.range[0] != '\0');
                }
                if (kn.required)
                        assert_false(kn.derived);
                if (kn.derived)
                        assert_true(kn.default_text[0] != '\0');
                /* A plain numeric default lies in the key's range. */
                if (kn.numeric && !kn.derived && !kn.required &&
                    kn.default_text[0]) {
                        double v = strtod(kn.default_text, NULL);

                        assert_true(v <= kn.max &&
                                    (kn.min_open ? v > kn.min
                                                 : v >= kn.min));
                }
                for (size_t j = 0; j < i; j++) {
                        assert_int_equal(hbd_config_knob(j, &other), 0);
                        assert_string_not_equal(other.path, kn.path);
                        /* A section, once left, does not come back. */
                        if (j + 1 < i && strncmp(other.path, kn.path,
                                                 slen) == 0 &&
                            section_len(other.path) == slen) {
                                hbd_knob_t next;

                                assert_int_equal(hbd_config_knob(j + 1,
                                                                 &next), 0);
                                assert_true(section_len(next.path) == slen &&
                                            strncmp(next.path, kn.path,
                                                    slen) == 0);
                        }
                }
                if (strncmp(kn.path, "detector.", 9) == 0)
                        n_det++;
        }
        assert_int_equal(hbd_config_knob(n, &kn), -EINVAL);
        assert_int_equal(hbd_config_knob(0, NULL), -EINVAL);

        /* The detector rows are the schema's, with its ranges and kinds. */
        for (size_t i = 0; (p = hb_detector_param_at(HB_DETECTOR_ALL, i,
                                                     &kinds)); i++) {
                char path[64];
                bool found = false;

                snprintf(path, sizeof path, "detector.%s", p->key);
                for (size_t j = 0; j < n && !found; j++) {
                        assert_int_equal(hbd_config_knob(j, &kn), 0);
                        found = strcmp(kn.path, path) == 0;
                }
                if (p->flags & HB_DETECTOR_PARAM_EXPERT) {
                        assert_false(found);
                        continue;
                }
                n_schema++;
                assert_true(found);
                assert_int_equal(kn.kinds, kinds);
                assert_true(kn.min == p->min && kn.max == p->max);
                assert_int_equal(kn.min_open,
                                 (p->flags & HB_DETECTOR_PARAM_MIN_OPEN) != 0);
                assert_string_equal(kn.help, p->help);
                assert_true(kn.derived);
                assert_int_equal(kn.reload, HBD_RELOAD_YES);
        }
        /* detector.kind, the two thresholds, dead_after_ms: the rest is
         * the schema (and all of it fits the table's detector slots). */
        assert_int_equal(n_det, 4 + n_schema);

        /* Derived defaults are the rules the code applies. */
        find_knob("detector.dead_after_ms", &kn);
        assert_string_equal(kn.default_text, "4 x interval");
        find_knob("detector.min_std_dev_ms", &kn);
        assert_string_equal(kn.default_text, "interval / 4");
        find_knob("detector.window", &kn);
        assert_string_equal(kn.default_text, "100");
        find_knob("membership.local_pause_ms", &kn);
        assert_string_equal(kn.default_text, "2 x interval, 50..3600000");
        find_knob("fencing.two_node_delay_ms", &kn);
        assert_string_equal(kn.default_text,
                            "6 x interval + 1000, 1006..3600000");
        find_knob("election.state_file", &kn);
        assert_string_equal(kn.default_text, "/var/lib/hbeat/NODE.state");
        find_knob("detector.suspect_threshold", &kn);
        assert_string_equal(kn.default_text,
                            "3 (fixed, phi_exp), 8 (phi), 1 (chen, bertier, "
                            "adaptive)");

        /* The drifts found at 4c2eaf6. */
        find_knob("detector.dead_threshold", &kn);
        assert_non_null(strstr(kn.default_text, "50 (phi)"));
        find_knob("election.delay_ms", &kn);
        assert_string_equal(kn.default_text, "interval");
        assert_non_null(strstr(kn.help, "U(0, 1/4) x delay"));
        assert_non_null(strstr(kn.help, "(r + U(0, 1)) x delay"));
        find_knob("peers[].votes", &kn);
        assert_int_equal(kn.reload, HBD_RELOAD_NO_ELECTION);
        assert_true(kn.election_only);
        find_knob("checks[].url", &kn);
        assert_int_equal(kn.reload, HBD_RELOAD_YES);
        find_knob("vips[].up", &kn);
        assert_int_equal(kn.reload, HBD_RELOAD_YES);
        assert_string_equal(hbd_reload_name(HBD_RELOAD_NO_ELECTION),
                            "no with election.enabled");
}


/* links[] and peers[].addresses (docs/links.md). */
#define LINKS2                                                               \
        "links:\n"                                                           \
        "  - {name: ring0, listen: \"10.0.0.1:7400\", interface: eth0}\n"    \
        "  - {name: ring1, listen: \"10.1.0.1:7400\"}\n"

/* topology.* (docs/topologies.md): monitors by name or id. */
#define PEERS4                                                               \
        "peers:\n"                                                           \
        "  - {name: n2, id: 2, address: \"10.0.0.2:7400\"}\n"               \
        "  - {name: n3, id: 3, address: \"10.0.0.3:7400\"}\n"               \
        "  - {name: n4, id: 4, address: \"10.0.0.4:7400\"}\n"

static void test_topology(void **state)
{
        hbd_config_t *cfg, *next;
        const char *what;

        (void)state;
        cfg = load_ok(MINIMAL PEERS4);
        assert_string_equal(cfg->topology_kind, "mesh");
        assert_int_equal(cfg->node.n_monitors, 0);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL PEERS4 "topology:\n  kind: monitors\n"
                      "  monitors: [n1, \"3\", n2]\n");
        assert_int_equal(cfg->node.n_monitors, 3);
        assert_int_equal(cfg->node.monitors[0], 1);
        assert_int_equal(cfg->node.monitors[1], 3);
        assert_int_equal(cfg->node.monitors[2], 2);
        /* Not reloadable. */
        next = load_ok(MINIMAL PEERS4 "topology:\n  kind: monitors\n"
                       "  monitors: [n1, n2, n4]\n");
        assert_false(hbd_config_reloadable(cfg, next, &what));
        assert_string_equal(what, "topology.monitors");
        hbd_config_free(next);
        hbd_config_free(cfg);

        expect_err(MINIMAL PEERS4 "topology:\n  kind: star\n",
                   "n1.yaml:11:9: topology.kind: mesh, monitors, "
                   "gossip, hierarchy or subset");
        expect_err(MINIMAL PEERS4 "topology:\n  kind: monitors\n",
                   "n1.yaml:10:1: topology.monitors: required with "
                   "topology.kind monitors");
        expect_err(MINIMAL PEERS4 "topology:\n  monitors: [n2]\n",
                   "n1.yaml:11:13: topology.monitors: only with "
                   "topology.kind monitors");
        expect_err(MINIMAL PEERS4 "topology:\n  kind: monitors\n"
                   "  monitors: [n2, n9]\n",
                   "n1.yaml:12:13: topology.monitors: 'n9' is neither "
                   "this node nor a peer (name or id)");
        expect_err(MINIMAL PEERS4 "topology:\n  kind: monitors\n"
                   "  monitors: [n2, \"2\"]\n",
                   "n1.yaml:12:13: topology.monitors: '2' twice");
        expect_err(MINIMAL PEERS4 "election:\n  enabled: true\n"
                   "topology:\n  kind: monitors\n  monitors: [n2]\n",
                   "n1.yaml:13:9: topology.kind monitors: not with "
                   "election.enabled in this version "
                   "(docs/topologies.md)");
}

static void test_links(void **state)
{
        hbd_config_t *cfg, *next;
        const char *what;

        (void)state;
        cfg = load_ok(MINIMAL LINKS2
                      "peers:\n"
                      "  - {name: n2, id: 2, addresses: [\"10.0.0.2:7400\","
                      " \"10.1.0.2:7400\"]}\n");
        assert_int_equal(cfg->n_links, 2);
        assert_int_equal(cfg->node.n_links, 2);
        assert_string_equal(cfg->links[0].name, "ring0");
        assert_string_equal(cfg->links[0].interface, "eth0");
        assert_null(cfg->links[1].interface);
        assert_string_equal(cfg->listen, "10.0.0.1:7400");
        assert_string_equal(cfg->peers[0].address, "10.0.0.2:7400");
        assert_string_equal(cfg->peers[0].addresses[1], "10.1.0.2:7400");
        assert_false(cfg->peers[0].external);
        assert_int_equal(cfg->peers[0].votes, 1);
        assert_int_equal(cfg->peers[0].link_addr[1].ss_family, AF_INET);
        assert_true(hbu_address_equal(
                (const void *)&cfg->peers[0].addr,
                (const void *)&cfg->peers[0].link_addr[0]));

        /* Peers' addresses reload; the links do not. */
        next = load_ok(MINIMAL LINKS2
                       "peers:\n"
                       "  - {name: n2, id: 2, addresses: [\"10.0.0.2:7400\","
                       " \"10.1.0.9:7400\"]}\n");
        assert_true(hbd_config_reloadable(cfg, next, &what));
        hbd_config_free(next);
        next = load_ok(MINIMAL
                       "links:\n"
                       "  - {name: ring0, listen: \"10.0.0.1:7400\","
                       " interface: eth0}\n"
                       "  - {name: ring1, listen: \"10.1.0.1:7401\"}\n");
        assert_false(hbd_config_reloadable(cfg, next, &what));
        assert_string_equal(what, "links");
        hbd_config_free(next);
        next = load_ok(MINIMAL "peers:\n  - {name: n2, id: 2, address: "
                       "\"10.0.0.2:7400\"}\n");
        assert_int_equal(next->n_links, 0);
        assert_int_equal(next->node.n_links, 0);
        assert_false(hbd_config_reloadable(cfg, next, &what));
        hbd_config_free(next);
        hbd_config_free(cfg);

        expect_err(MINIMAL "listen: \"10.0.0.1:7400\"\n" LINKS2,
                   "n1.yaml:6:1: listen: not used with links (each link "
                   "has its own listen)");
        expect_err(MINIMAL LINKS2 "peers:\n  - {name: n2, id: 2, address: "
                   "\"10.0.0.2:7400\"}\n",
                   "n1.yaml:10:23: peers[0].address: with links, give the "
                   "peer's address on every link in 'addresses' (in the "
                   "order of links)");
        expect_err(MINIMAL LINKS2 "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"10.0.0.2:7400\"]}\n",
                   "n1.yaml:10:34: peers[0].addresses: 1 address for 2 "
                   "links: give the peer's address on every link, in the "
                   "order of links");
        expect_err_prefix(MINIMAL LINKS2 "peers:\n  - {name: n2, id: 2, "
                          "addresses: [\"10.0.0.2:7400\", \"nohost\"]}\n",
                          "n1.yaml:10:52: peers[0].addresses[1] (link "
                          "ring1): bad address 'nohost': ");
        expect_err(MINIMAL "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"10.0.0.2:7400\"]}\n",
                   "n1.yaml:7:23: peers[0].addresses: only with links "
                   "(else the peer has one 'address')");
        expect_err(MINIMAL LINKS2 "peers:\n  - {name: n2, id: 2}\n",
                   "n1.yaml:10:5: peers[0]: needs exactly one of "
                   "'addresses' (the peer runs hbeatd), 'pull' (it is "
                   "polled) and 'push' (it pushes over HTTP)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: ring0, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: ring0, listen: \"10.1.0.1:7400\"}\n",
                   "n1.yaml:8:12: links[1].name: 'ring0' is also the name "
                   "of links[0] (line 7)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: ring0, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: ring1, listen: \"10.0.0.1:7400\"}\n",
                   "n1.yaml:8:27: links[1].listen: '10.0.0.1:7400' is also "
                   "the listen address of links[0] (line 7)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: ring0, listen: \"10.0.0.1:7400\", "
                   "interface: a_very_long_ifname}\n",
                   "n1.yaml:7:55: links[0].interface: 'a_very_long_ifname' "
                   "is not an interface name (1..15 bytes, no '/' or "
                   "space)");
        expect_err(MINIMAL "links:\n  - {name: ring0}\n",
                   "n1.yaml:7:6: links[0]: needs exactly one of 'listen' "
                   "(UDP), 'device' (a disk link) and 'tty' (a serial "
                   "link)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: l0, listen: \"10.0.0.1:1\"}\n"
                   "  - {name: l1, listen: \"10.0.0.1:2\"}\n"
                   "  - {name: l2, listen: \"10.0.0.1:3\"}\n"
                   "  - {name: l3, listen: \"10.0.0.1:4\"}\n"
                   "  - {name: l4, listen: \"10.0.0.1:5\"}\n"
                   "  - {name: l5, listen: \"10.0.0.1:6\"}\n"
                   "  - {name: l6, listen: \"10.0.0.1:7\"}\n"
                   "  - {name: l7, listen: \"10.0.0.1:8\"}\n"
                   "  - {name: l8, listen: \"10.0.0.1:9\"}\n",
                   "n1.yaml:15:6: links[8]: at most 8 links");
}

/* links[].transport, .group, .ttl (docs/links.md, "Multicast and
 * broadcast"). */
#define MC_PEER                                                              \
        "peers:\n  - {name: n2, id: 2, addresses: [\"10.0.0.2:7400\"]}\n"
#define MC_LINK(rest)                                                        \
        "links:\n  - {name: lan, listen: \"10.0.0.1:7400\", " rest "}\n"

static void test_link_transports(void **state)
{
        hbd_config_t *cfg, *next;
        const char *what;

        (void)state;
        cfg = load_ok(MINIMAL MC_LINK("interface: eth0") MC_PEER);
        assert_int_equal(cfg->links[0].transport, HBD_TRANSPORT_UNICAST);
        assert_null(cfg->links[0].group);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL MC_LINK("transport: multicast, group: "
                                      "\"239.1.2.3:7401\", ttl: 4")
                      MC_PEER);
        assert_int_equal(cfg->links[0].transport, HBD_TRANSPORT_MULTICAST);
        assert_string_equal(cfg->links[0].group, "239.1.2.3:7401");
        assert_int_equal(cfg->links[0].group_addr.ss_family, AF_INET);
        assert_int_equal(cfg->links[0].ttl, 4);
        /* Not reloadable (the sockets are set up at start). */
        next = load_ok(MINIMAL MC_LINK("transport: multicast, group: "
                                       "\"239.1.2.3:7401\", ttl: 5")
                       MC_PEER);
        assert_false(hbd_config_reloadable(cfg, next, &what));
        assert_string_equal(what, "links");
        hbd_config_free(next);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "links:\n  - {name: lan, listen: "
                      "\"[fd00::1]:7400\", interface: eth0, transport: "
                      "multicast, group: \"[ff02::1234]:7400\"}\n"
                      "peers:\n  - {name: n2, id: 2, addresses: "
                      "[\"[fd00::2]:7400\"]}\n");
        assert_int_equal(cfg->links[0].group_addr.ss_family, AF_INET6);
        assert_int_equal(cfg->links[0].ttl, 0);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL MC_LINK("interface: eth0, transport: "
                                      "broadcast, group: "
                                      "\"10.0.0.255:7400\"")
                      MC_PEER);
        assert_int_equal(cfg->links[0].transport, HBD_TRANSPORT_BROADCAST);
        hbd_config_free(cfg);

        expect_err(MINIMAL MC_LINK("transport: anycast") MC_PEER,
                   "n1.yaml:7:53: links[0].transport: 'anycast' is not a "
                   "transport (unicast, multicast or broadcast)");
        expect_err(MINIMAL MC_LINK("transport: multicast") MC_PEER,
                   "n1.yaml:7:53: links[0].transport: multicast needs "
                   "links[0].group (the group address and port every node "
                   "sends heartbeats to)");
        expect_err(MINIMAL MC_LINK("transport: multicast, group: "
                                   "\"10.1.2.3:7400\"") MC_PEER,
                   "n1.yaml:7:71: links[0].group: '10.1.2.3:7400' is not a "
                   "multicast address (224.0.0.0/4 or ff00::/8)");
        expect_err(MINIMAL MC_LINK("transport: multicast, group: "
                                   "\"239.1.2.3:7400\", ttl: 256") MC_PEER,
                   "n1.yaml:7:94: links[0].ttl: 256 is out of range "
                   "(1..255)");
        expect_err(MINIMAL MC_LINK("transport: multicast, group: "
                                   "\"239.1.2.3:7400\", ttl: 0") MC_PEER,
                   "n1.yaml:7:94: links[0].ttl: 0 is out of range (1..255)");
        expect_err(MINIMAL MC_LINK("group: \"239.1.2.3:7400\"") MC_PEER,
                   "n1.yaml:7:49: links[0].group: only with transport "
                   "multicast or broadcast");
        expect_err(MINIMAL MC_LINK("ttl: 2") MC_PEER,
                   "n1.yaml:7:47: links[0].ttl: only with transport "
                   "multicast");
        expect_err(MINIMAL MC_LINK("transport: multicast, group: "
                                   "\"[ff02::1]:7400\"") MC_PEER,
                   "n1.yaml:7:71: links[0].group: '[ff02::1]:7400' is not "
                   "of the family of links[0].listen (IPv4 and IPv6 do not "
                   "mix on one link)");
        expect_err(MINIMAL "links:\n  - {name: lan, listen: "
                   "\"[fd00::1]:7400\", transport: multicast, group: "
                   "\"[ff02::1234]:7400\"}\n"
                   "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"[fd00::2]:7400\"]}\n",
                   "n1.yaml:7:72: links[0].group: an IPv6 group needs an "
                   "interface: links[0].interface or [GROUP%IFACE]:PORT");
        expect_err(MINIMAL MC_LINK("transport: broadcast, group: "
                                   "\"10.0.0.255:7400\"") MC_PEER,
                   "n1.yaml:7:53: links[0].transport: broadcast needs "
                   "links[0].interface (the segment's interface: a "
                   "broadcast leaves and is taken only there)");
        expect_err(MINIMAL MC_LINK("interface: eth0, transport: broadcast, "
                                   "group: \"239.1.2.3:7400\"") MC_PEER,
                   "n1.yaml:7:88: links[0].group: '239.1.2.3:7400' is not "
                   "an IPv4 broadcast address (IPv6 has no broadcast: use "
                   "multicast)");
        expect_err(MINIMAL MC_LINK("interface: eth0, transport: broadcast, "
                                   "group: \"10.0.0.255:7400\", ttl: 2")
                   MC_PEER,
                   "n1.yaml:7:112: links[0].ttl: only with transport "
                   "multicast (a broadcast never leaves its segment)");
        expect_err(MINIMAL "links:\n  - {name: lan, listen: "
                   "\"0.0.0.0:7400\", transport: multicast, group: "
                   "\"239.1.2.3:7400\"}\n" MC_PEER,
                   "n1.yaml:7:25: links[0].listen: with transport "
                   "multicast, give this node's own address on the link "
                   "(the peers check that heartbeats come from it), not a "
                   "wildcard");
        expect_err(MINIMAL MC_LINK("transport: multicast, group: "
                                   "\"239.1.2.3:0\"") MC_PEER,
                   "n1.yaml:7:71: links[0].group: bad address "
                   "'239.1.2.3:0': port 0 is out of range (1..65535) "
                   "(expected HOST:PORT or [V6]:PORT)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: a, listen: \"10.0.0.1:7400\", transport: "
                   "multicast, group: \"239.1.2.3:7400\"}\n"
                   "  - {name: b, listen: \"10.1.0.1:7400\", transport: "
                   "multicast, group: \"239.1.2.3:7400\"}\n"
                   "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"10.0.0.2:7400\", \"10.1.0.2:7400\"]}\n",
                   "n1.yaml:8:69: links[1].group: '239.1.2.3:7400' is also "
                   "the group of links[0] (line 7)");
}

/* A disk link (docs/links.md, "Disk link"): device instead of listen,
 * peers give 'disk', ids within the slots. */
#define DISK_LINKS "links:\n" \
        "  - {name: net, listen: \"10.0.0.1:7400\"}\n" \
        "  - {name: disk, device: /dev/shared, slots: 4}\n"

static void test_disk_link(void **state)
{
        hbd_config_t *cfg, *next;
        const char *what;

        (void)state;
        cfg = load_ok(MINIMAL DISK_LINKS
                      "peers:\n  - {name: n2, id: 2, addresses: "
                      "[\"10.0.0.2:7400\", disk]}\n");
        assert_int_equal(cfg->n_links, 2);
        assert_null(cfg->links[0].device);
        assert_string_equal(cfg->links[1].device, "/dev/shared");
        assert_int_equal(cfg->links[1].slot_size, 512);
        assert_int_equal(cfg->links[1].slots, 4);
        assert_string_equal(cfg->peers[0].addresses[1], "disk");
        assert_int_equal(cfg->peers[0].link_addr[1].ss_family, AF_UNSPEC);
        /* The device is part of links: a restart, not a reload. */
        next = load_ok(MINIMAL "links:\n"
                       "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                       "  - {name: disk, device: /dev/other, slots: 4}\n"
                       "peers:\n  - {name: n2, id: 2, addresses: "
                       "[\"10.0.0.2:7400\", disk]}\n");
        assert_false(hbd_config_reloadable(cfg, next, &what));
        assert_string_equal(what, "links");
        hbd_config_free(next);
        hbd_config_free(cfg);

        expect_err(MINIMAL DISK_LINKS
                   "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"10.0.0.2:7400\", \"10.1.0.2:7400\"]}\n",
                   "n1.yaml:10:52: peers[0].addresses[1]: link disk is a "
                   "disk link: write 'disk'");
        expect_err(MINIMAL DISK_LINKS
                   "peers:\n  - {name: n2, id: 5, addresses: "
                   "[\"10.0.0.2:7400\", disk]}\n",
                   "n1.yaml:10:52: peers[0]: id 5 has no slot on disk "
                   "link disk (slots: 4)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: d, device: /dev/x, transport: multicast, "
                   "group: \"239.1.1.1:7400\"}\n",
                   "n1.yaml:8:31: links[1]: transport, group and ttl are "
                   "for UDP links, not with device");
        expect_err(MINIMAL "links:\n  - {name: d, device: /dev/x}\n",
                   "n1.yaml:7:23: links[0].device: links[0] is a UDP link "
                   "(listen); put the disk link after it");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: d, device: /dev/x, listen: \"10.1.0.1:1\"}"
                   "\n",
                   "n1.yaml:8:6: links[1]: needs exactly one of 'listen' "
                   "(UDP), 'device' (a disk link) and 'tty' (a serial "
                   "link)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: d, device: /dev/x, slot_size: 1024}\n",
                   "n1.yaml:8:42: links[1].slot_size: 1024; 512 or 4096");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\", "
                   "slots: 4}\n",
                   "n1.yaml:7:6: links[0]: slot_size and slots only with "
                   "device");
}

/* A serial link (docs/links.md, "Serial link"): tty instead of listen,
 * the one peer gives 'serial', a standard baud rate. */
#define SERIAL_LINKS "links:\n" \
        "  - {name: net, listen: \"10.0.0.1:7400\"}\n" \
        "  - {name: cable, tty: /dev/ttyS1}\n"

static void test_serial_link(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok(MINIMAL SERIAL_LINKS
                      "peers:\n  - {name: n2, id: 2, addresses: "
                      "[\"10.0.0.2:7400\", serial]}\n");
        assert_int_equal(cfg->n_links, 2);
        assert_null(cfg->links[0].tty);
        assert_string_equal(cfg->links[1].tty, "/dev/ttyS1");
        assert_int_equal(cfg->links[1].baud, 115200);
        assert_string_equal(cfg->peers[0].addresses[1], "serial");
        assert_int_equal(cfg->peers[0].link_addr[1].ss_family, AF_UNSPEC);
        hbd_config_free(cfg);

        expect_err(MINIMAL SERIAL_LINKS
                   "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"10.0.0.2:7400\", disk]}\n",
                   "n1.yaml:10:52: peers[0].addresses[1]: link cable is a "
                   "serial link: write 'serial'");
        expect_err(MINIMAL SERIAL_LINKS
                   "peers:\n  - {name: n2, id: 2, addresses: "
                   "[\"10.0.0.2:7400\", serial]}\n"
                   "  - {name: n3, id: 3, addresses: "
                   "[\"10.0.0.3:7400\", serial]}\n",
                   "n1.yaml:11:52: peers[1]: serial link cable is "
                   "point-to-point: only one peer can be on it");
        expect_err(MINIMAL "links:\n  - {name: c, tty: /dev/ttyS1}\n",
                   "n1.yaml:7:20: links[0].tty: links[0] is a UDP link "
                   "(listen); put the serial link after it");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: c, tty: /dev/ttyS1, baud: 115201}\n",
                   "n1.yaml:8:38: links[1].baud: 115201 is not a standard "
                   "rate (9600, 19200, 38400, 57600, 115200, 230400, "
                   "460800, 921600, 1000000, 1500000, 2000000, 3000000 or "
                   "4000000)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\", "
                   "baud: 9600}\n",
                   "n1.yaml:7:42: links[0].baud: only with tty");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: c, tty: /dev/ttyS1, slots: 4}\n",
                   "n1.yaml:8:15: links[1]: interface, transport, group, "
                   "ttl, slot_size and slots are not for a serial link "
                   "(tty)");
        expect_err(MINIMAL "links:\n"
                   "  - {name: net, listen: \"10.0.0.1:7400\"}\n"
                   "  - {name: c, tty: /dev/ttyS1, device: /dev/x}\n",
                   "n1.yaml:8:6: links[1]: needs exactly one of 'listen' "
                   "(UDP), 'device' (a disk link) and 'tty' (a serial "
                   "link)");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_serial_link, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_disk_link, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_link_transports, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_reloadable, setup,
                                                teardown),
                cmocka_unit_test(test_knob_table),
                cmocka_unit_test_setup_teardown(test_events, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_vips, setup, teardown),
                cmocka_unit_test_setup_teardown(test_http_listen, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_realtime, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_coord, setup, teardown),
                cmocka_unit_test_setup_teardown(test_actions, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_coord, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_topology, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_links, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_reloadable_coord, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
