/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the configuration loader (src/config/): loading, values
 * and defaults, every kind of error with its position, relative paths,
 * the shipped examples, allocation failures; and the address, duration and
 * file helpers it uses (src/common/util.c). Reload rules, the knob table
 * and the checks[], vips[] and election sections: test_config_sections.c.
 * The fixture: config_test_util.h.
 */
#include <grp.h>
#include <pwd.h>

#include "config_test_util.h"

/* ---- valid configs ----------------------------------------------------- */

static const char full_text[] =
        "node:\n"                               /* 1 */
        "  name: n1\n"
        "  id: 1\n"
        "listen: \"127.0.0.1:7401\"\n"
        "cluster:\n"                            /* 5 */
        "  id: 7\n"
        "  key_file: cluster.key\n"
        "heartbeat:\n"
        "  interval_ms: 200\n"
        "detector:\n"                           /* 10 */
        "  kind: phi\n"
        "  suspect_threshold: 9.5\n"
        "  dead_threshold: 20\n"
        "  dead_after_ms: 1500\n"
        "  window: 50\n"                        /* 15 */
        "  min_std_dev_ms: 0.5\n"
        "  acceptable_pause_ms: 700\n"
        "membership:\n"
        "  probation_ms: 2500\n"
        "notify:\n"                             /* 20 */
        "  script: notify.sh\n"
        "  timeout_ms: 1234\n"
        "control:\n"
        "  socket: ctl.sock\n"
        "peers:\n"                              /* 25 */
        "  - name: n2\n"
        "    id: 2\n"
        "    address: 127.0.0.1:7402\n"
        "  - name: n3.b_c-d\n"
        "    id: 4294967295\n"                  /* 30 */
        "    address: \"[::1]:7403\"\n";

static void test_full(void **state)
{
        hbd_config_t *cfg = load_ok(full_text);
        char buf[PATH_MAX], addr[HBU_ADDRESS_MAX];
        const hb_node_config_t *n = &cfg->node;

        (void)state;
        assert_string_equal(cfg->path, "n1.yaml");
        assert_string_equal(cfg->node_name, "n1");
        assert_int_equal(n->node_id, 1);
        assert_string_equal(cfg->listen, "127.0.0.1:7401");
        assert_int_equal(cfg->listen_addr.ss_family, AF_INET);
        assert_int_equal(cfg->listen_addr_len, sizeof(struct sockaddr_in));
        assert_string_equal(hbu_format_address(
                                    (struct sockaddr *)&cfg->listen_addr,
                                    addr, sizeof addr),
                            "127.0.0.1:7401");
        assert_int_equal(n->cluster_id, 7);
        assert_string_equal(cfg->key_file,
                            at_dir("cluster.key", buf, sizeof buf));
        /* The one-key form: a ring of key id 0, authenticated. */
        assert_int_equal(n->keyring.n, 1);
        assert_int_equal(n->keyring.ids[0], 0);
        assert_int_equal(n->keyring.primary, 0);
        assert_int_equal(n->keyring.modes[0], HB_WIRE_MODE_MAC);
        for (unsigned i = 0; i < HB_KEY_LEN; i++)
                assert_int_equal(n->keyring.keys[0].bytes[i], i);
        assert_non_null(n->random);
        assert_int_equal(n->incarnation, 0);
        assert_int_equal(n->interval_ns, 200 * HB_NS_PER_MS);
        assert_int_equal(n->detector.interval_ns, 200 * HB_NS_PER_MS);
        assert_int_equal(n->detector.kind, HB_DETECTOR_PHI);
        assert_true(n->suspect_threshold == 9.5);
        assert_true(n->dead_threshold == 20.0);
        assert_int_equal(n->dead_after_ns, 1500 * HB_NS_PER_MS);
        assert_int_equal(n->detector.window, 50);
        assert_int_equal(n->detector.min_std_dev_ns, 500000);
        assert_int_equal(n->detector.acceptable_pause_ns, 700 * HB_NS_PER_MS);
        assert_int_equal(n->detector.first_estimate_ns, 200 * HB_NS_PER_MS);
        assert_int_equal(n->probation_ns, 2500 * HB_NS_PER_MS);
        assert_string_equal(cfg->notify_script,
                            at_dir("notify.sh", buf, sizeof buf));
        assert_int_equal(cfg->notify_timeout_ns, 1234 * HB_NS_PER_MS);
        assert_string_equal(cfg->control_socket,
                            at_dir("ctl.sock", buf, sizeof buf));

        assert_int_equal(cfg->n_peers, 2);
        assert_string_equal(cfg->peers[0].name, "n2");
        assert_int_equal(cfg->peers[0].id, 2);
        assert_string_equal(cfg->peers[0].address, "127.0.0.1:7402");
        assert_int_equal(cfg->peers[0].addr.ss_family, AF_INET);
        assert_int_equal(port_of(&cfg->peers[0].addr), 7402);
        assert_int_equal(cfg->peers[0].line, 26);
        assert_string_equal(cfg->peers[1].name, "n3.b_c-d");
        assert_int_equal(cfg->peers[1].id, UINT32_MAX);
        assert_string_equal(cfg->peers[1].address, "[::1]:7403");
        assert_int_equal(cfg->peers[1].addr.ss_family, AF_INET6);
        assert_int_equal(cfg->peers[1].addr_len,
                         sizeof(struct sockaddr_in6));
        assert_string_equal(hbu_format_address(
                                    (struct sockaddr *)&cfg->peers[1].addr,
                                    addr, sizeof addr),
                            "[::1]:7403");
        assert_int_equal(cfg->peers[1].line, 29);

        assert_ptr_equal(hbd_config_peer(cfg, 2), &cfg->peers[0]);
        assert_ptr_equal(hbd_config_peer(cfg, UINT32_MAX), &cfg->peers[1]);
        assert_null(hbd_config_peer(cfg, 1));
        assert_null(hbd_config_peer(cfg, 3));
        assert_null(hbd_config_peer(NULL, 2));
        assert_int_equal(hb_node_config_validate(n), 0);
        hbd_config_free(cfg);
        hbd_config_free(NULL);
}

static void test_defaults(void **state)
{
        hbd_config_t *cfg = load_ok(MINIMAL);
        const hb_node_config_t *n = &cfg->node;
        char addr[HBU_ADDRESS_MAX];

        (void)state;
        assert_string_equal(cfg->listen, "0.0.0.0:7400");
        assert_string_equal(hbu_format_address(
                                    (struct sockaddr *)&cfg->listen_addr,
                                    addr, sizeof addr),
                            "0.0.0.0:7400");
        assert_int_equal(n->cluster_id, 0);
        assert_int_equal(n->interval_ns, 100 * HB_NS_PER_MS);
        assert_int_equal(n->detector.kind, HB_DETECTOR_PHI);
        assert_true(n->suspect_threshold == 8.0);
        assert_true(n->dead_threshold == 50.0);
        assert_int_equal(n->dead_after_ns, 400 * HB_NS_PER_MS);
        assert_int_equal(n->detector.window, 100);
        assert_int_equal(n->detector.min_std_dev_ns, 25 * HB_NS_PER_MS);
        assert_int_equal(n->detector.acceptable_pause_ns, 400 * HB_NS_PER_MS);
        assert_int_equal(n->probation_ns, 500 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.local_pause_ns, 200 * HB_NS_PER_MS);
        assert_true(n->trust_port_unreachable);
        assert_null(cfg->notify_script);
        assert_int_equal(cfg->notify_timeout_ns, 5000 * HB_NS_PER_MS);
        assert_string_equal(cfg->control_socket, "/run/hbeat/hbeatd.sock");
        assert_int_equal(cfg->n_peers, 0);
        assert_null(cfg->peers);
        hbd_config_free(cfg);

        /* Derived defaults follow the interval. */
        cfg = load_ok(MINIMAL "heartbeat:\n  interval_ms: 250\n");
        n = &cfg->node;
        assert_int_equal(n->interval_ns, 250 * HB_NS_PER_MS);
        assert_int_equal(n->detector.interval_ns, 250 * HB_NS_PER_MS);
        assert_int_equal(n->dead_after_ns, 1000 * HB_NS_PER_MS);
        assert_int_equal(n->probation_ns, 1250 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.local_pause_ns, 500 * HB_NS_PER_MS);
        assert_int_equal(n->detector.min_std_dev_ns, 62500 * 1000);
        assert_int_equal(n->detector.acceptable_pause_ns,
                         1000 * HB_NS_PER_MS);
        hbd_config_free(cfg);

        /* ... and the kind: fixed thresholds are missed intervals. */
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 30}\n"
                              "detector: {kind: fixed}\n");
        n = &cfg->node;
        assert_int_equal(n->detector.kind, HB_DETECTOR_FIXED);
        assert_true(n->suspect_threshold == 3.0);
        assert_true(n->dead_threshold == 5.0);
        assert_int_equal(n->dead_after_ns, 120 * HB_NS_PER_MS);
        assert_int_equal(n->probation_ns, 150 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.local_pause_ns, 60 * HB_NS_PER_MS);
        hbd_config_free(cfg);
        /* 2 x 20 ms is below the 50 ms floor. */
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 20}\n");
        assert_int_equal(cfg->node.local_pause_ns, 50 * HB_NS_PER_MS);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "membership: {local_pause_ms: 0}\n");
        assert_int_equal(cfg->node.local_pause_ns, 0);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "membership: {port_unreachable: false}\n");
        assert_false(cfg->node.trust_port_unreachable);
        hbd_config_free(cfg);
        expect_err(MINIMAL "peers:\n  - {name: db, id: 9, pull: "
                   "\"tcp://h:5\"}\nchecks:\n  - {name: db, kind: tcp, "
                   "target: \"h:6\"}\n",
                   "n1.yaml:9:12: checks[0].name: 'db' is the name of a pull "
                   "peer (line 7)");
        /* Pull peers: the probe is built from the URL, every interval,
         * no votes, not sent heartbeats (no address). */
        cfg = load_ok(MINIMAL "election: {enabled: true, state_file: s}\n"
                              "peers:\n"
                              "  - {name: n2, id: 2, address: \"127.0.0.1:7402\"}\n"
                              "  - {name: web, id: 9, pull: \"http://h:8080/x\"}\n"
                              "  - {name: db, id: 10, pull: \"tcp://[::1]:5432\"}\n");
        assert_int_equal(cfg->n_peers, 3);
        assert_null(cfg->peers[0].pull);
        assert_int_equal(cfg->peers[0].votes, 1);
        assert_string_equal(cfg->peers[1].pull, "http://h:8080/x");
        assert_string_equal(cfg->peers[1].address, "http://h:8080/x");
        assert_int_equal(cfg->peers[1].votes, 0);
        assert_int_equal(cfg->peers[1].addr.ss_family, AF_UNSPEC);
        assert_int_equal(cfg->peers[1].pull_check.kind, HBD_CHECK_HTTP);
        assert_string_equal(cfg->peers[1].pull_check.url, "http://h:8080/x");
        assert_int_equal(cfg->peers[1].pull_check.expect_status, 200);
        assert_int_equal(cfg->peers[1].pull_check.peer_id, 9);
        assert_int_equal(cfg->peers[1].pull_check.interval_ns,
                         100 * HB_NS_PER_MS);
        assert_int_equal(cfg->peers[2].pull_check.kind, HBD_CHECK_TCP);
        assert_string_equal(cfg->peers[2].pull_check.target_host, "::1");
        assert_int_equal(cfg->peers[2].pull_check.target_port, 5432);
        assert_string_equal(cfg->peers[2].pull_check.name, "db");
        hbd_config_free(cfg);

        /* Empty sections and null values are the same as absent ones;
         * explicit values override derived defaults. */
        cfg = load_ok(MINIMAL "notify:\nmembership: ~\npeers: []\n"
                              "control:\n  socket:\n"
                              "detector:\n  dead_after_ms: 0\n"
                              "  window: 2\n  min_std_dev_ms: 0.001\n");
        assert_null(cfg->notify_script);
        assert_string_equal(cfg->control_socket, "/run/hbeat/hbeatd.sock");
        assert_int_equal(cfg->n_peers, 0);
        assert_int_equal(cfg->node.dead_after_ns, 0);
        assert_int_equal(cfg->node.detector.window, 2);
        assert_int_equal(cfg->node.detector.min_std_dev_ns, 1000);
        assert_int_equal(cfg->node.probation_ns, 500 * HB_NS_PER_MS);
        hbd_config_free(cfg);

        /* Range ends are accepted. */
        cfg = load_ok("node: {name: " "abcdefghijabcdefghijabcdefghij"
                      "abcdefghijabcdefghijabcdefghijabc, id: 4294967295}\n"
                      KEY "  id: 4294967295\n"
                      "heartbeat: {interval_ms: 1}\n"
                      "detector: {window: 10000, dead_after_ms: 3600000,"
                      " suspect_threshold: 1000000,"
                      " dead_threshold: 1000000}\n"
                      "notify: {timeout_ms: 3600000}\n");
        assert_int_equal(strlen(cfg->node_name), HBD_NAME_MAX);
        assert_int_equal(cfg->node.node_id, UINT32_MAX);
        assert_int_equal(cfg->node.cluster_id, UINT32_MAX);
        assert_int_equal(cfg->node.interval_ns, HB_NS_PER_MS);
        assert_int_equal(cfg->node.detector.window, 10000);
        hbd_config_free(cfg);
}

/* ---- errors ------------------------------------------------------------ */

static void test_err_structure(void **state)
{
        static const struct err_case cases[] = {
                { NODE KEY "heartbeat:\n  interval_ms: 0\n",
                  "n1.yaml:7:16: heartbeat.interval_ms: 0 is out of range "
                  "(1..3600000)" },
                { "node:\n  name: n1\n  nmae: n1\n  id: 1\n" KEY,
                  "n1.yaml:3:3: unknown key 'nmae' in 'node'" },
                { MINIMAL "bogus: 1\n",
                  "n1.yaml:6:1: unknown top-level key 'bogus'" },
                { "node.name: n1\n" MINIMAL,
                  "n1.yaml:1:1: unknown top-level key 'node.name'" },
                { MINIMAL "peers:\n  - name: n2\n    port: 1\n",
                  "n1.yaml:8:5: unknown key 'port' in 'peers[0]'" },
                { MINIMAL "detector:\n  kind: phi\n  peers: []\n",
                  "n1.yaml:8:3: unknown key 'peers' in 'detector'" },
                { "node:\n  name: n1\n  id: 1\n  id: 2\n" KEY,
                  "n1.yaml:4:3: duplicate key 'id' in 'node' (also at line "
                  "3)" },
                { MINIMAL "node:\n  name: x\n",
                  "n1.yaml:6:1: duplicate key 'node' (also at line 1)" },
                { "listen: 1.2.3.4:5\n" MINIMAL "listen: 1.2.3.4:6\n",
                  "n1.yaml:7:1: duplicate key 'listen' (also at line 1)" },
                { "node: 5\n",
                  "n1.yaml:1:7: node: expected a mapping, found a scalar" },
                { "node:\n  - name\n",
                  "n1.yaml:2:3: node: expected a mapping, found a "
                  "sequence" },
                { "node:\n  name: n1\n  id: {a: 1}\n" KEY,
                  "n1.yaml:3:7: node.id: expected a scalar, found a "
                  "mapping" },
                { "node:\n  name: [a]\n  id: 1\n" KEY,
                  "n1.yaml:2:9: node.name: expected a scalar, found a "
                  "sequence" },
                { "- a\n",
                  "n1.yaml:1:1: expected a mapping at the top level, found "
                  "a sequence" },
                { "hello\n",
                  "n1.yaml:1:1: expected a mapping at the top level, found "
                  "a scalar" },
                { MINIMAL "peers: n2\n",
                  "n1.yaml:6:8: peers: expected a sequence, found a "
                  "scalar" },
                { MINIMAL "peers:\n  n2: 1\n",
                  "n1.yaml:7:3: peers: expected a sequence, found a "
                  "mapping" },
                { MINIMAL "peers:\n  - n2\n",
                  "n1.yaml:7:5: peers[0]: expected a mapping, found a "
                  "scalar" },
                { "node:\n  ? [a]\n  : 1\n",
                  "n1.yaml:2:5: a key must be a scalar, found a "
                  "sequence" },
                { MINIMAL "---\nfoo: 1\n",
                  "n1.yaml:7:1: only one YAML document is allowed" },
                { "node:\n  name: \"n\\0x\"\n  id: 1\n" KEY,
                  "n1.yaml:2:9: node.name: 'n\\x00x' contains a NUL "
                  "character" },
                { "node:\n  \"na\\0me\": n1\n  id: 1\n" KEY,
                  "n1.yaml:2:3: node: 'na\\x00me' contains a NUL "
                  "character" },
        };

        (void)state;
        run_cases(cases, N(cases));
}

static void test_err_syntax(void **state)
{
        static const char bad_utf8[] = "node:\n  name: n\xff\n";

        (void)state;
        expect_err("node:\n  name: n1\n id: 1\n",
                   "n1.yaml:3:2: did not find expected key (while parsing "
                   "a block mapping at line 1, column 1)");
        expect_err("node: [1, 2\n",
                   "n1.yaml:2:1: did not find expected ',' or ']' (while "
                   "parsing a flow sequence at line 1, column 7)");
        expect_err("node:\n\tname: n1\n",
                   "n1.yaml:2:1: found character that cannot start any "
                   "token (while scanning for the next token at line 2, "
                   "column 1)");
        expect_err("node: {name: n1, id: 1}\ncluster: *nokey\n",
                   "n1.yaml:2:10: found undefined alias");
        expect_err_len(bad_utf8, sizeof bad_utf8 - 1, -EINVAL,
                       "n1.yaml:2:10: invalid leading UTF-8 octet (byte "
                       "0xff)", false);
        expect_err("node: \"abc\n",
                   "n1.yaml:2:1: found unexpected end of stream (while "
                   "scanning a quoted scalar at line 1, column 7)");
        /* Aliases are resolved, not errors. */
        hbd_config_free(load_ok("node: &n {name: n1, id: 1}\n" KEY
                                "heartbeat: {interval_ms: &i 100}\n"
                                "notify: {timeout_ms: *i}\n"));
}

static void test_err_required(void **state)
{
        static const struct err_case cases[] = {
                { "", "n1.yaml:1:1: missing required key 'node.name'" },
                { "# nothing\n",
                  "n1.yaml:1:1: missing required key 'node.name'" },
                { "# comment\n" KEY,
                  "n1.yaml:2:1: missing required key 'node.name'" },
                { KEY "node:\n  name: n1\n",
                  "n1.yaml:3:1: missing required key 'node.id'" },
                { NODE "cluster:\n  id: 3\n",
                  "n1.yaml:4:1: missing cluster.key_file (or keys[]): "
                  "every message is authenticated with a cluster key" },
                { NODE,
                  "n1.yaml:1:1: missing cluster.key_file (or keys[]): "
                  "every message is authenticated with a cluster key" },
                { "node:\n  name:\n  id: 1\n" KEY,
                  "n1.yaml:2:8: node.name: no value given" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n",
                  "n1.yaml:7:5: peers[0]: needs exactly one of 'address' (the "
                  "peer runs hbeatd), 'pull' (it is polled) and 'push' (it "
                  "pushes over HTTP)" },
                { MINIMAL "peers:\n  - {name: n2, id: 2, address: "
                  "\"127.0.0.1:2\"}\n  - {name: n3, address: "
                  "\"127.0.0.1:3\"}\n",
                  "n1.yaml:8:5: missing required key 'peers[1].id'" },
        };

        (void)state;
        run_cases(cases, N(cases));
}

/* interval_ms: TEXT on line 7, the value at column 16. */
static void expect_interval(const char *value, const char *want)
{
        char text[512], exp[512];

        snprintf(text, sizeof text, NODE KEY "heartbeat:\n  interval_ms: "
                 "%s\n", value);
        snprintf(exp, sizeof exp, "n1.yaml:7:16: heartbeat.interval_ms: %s",
                 want);
        expect_err(text, exp);
}

static void test_err_uint(void **state)
{
        static const char *const junk[][2] = {
                { "100ms", "'100ms'" },
                { "1e3", "'1e3'" },
                { "-5", "'-5'" },
                { "+5", "'+5'" },
                { "0x10", "'0x10'" },
                { "1.0", "'1.0'" },
                { "\" 5\"", "' 5'" },
                { "\"\"", "''" },
                { "\"5\\t\"", "'5\\x09'" },
                { "inf", "'inf'" },
        };

        (void)state;
        for (size_t i = 0; i < N(junk); i++) {
                char want[128];

                snprintf(want, sizeof want, "%s is not an unsigned integer "
                         "(1..3600000)", junk[i][1]);
                expect_interval(junk[i][0], want);
        }
        expect_interval("0", "0 is out of range (1..3600000)");
        expect_interval("3600001", "3600001 is out of range (1..3600000)");
        expect_interval("99999999999999999999",
                        "99999999999999999999 is out of range "
                        "(1..3600000)");
        expect_interval("184467440737095516150000000000000000000000000000"
                        "0000000000000000000000000000000",
                        "184467440737095516150000000000000000000000000000"
                        "0000000000000000... is out of range (1..3600000)");

        expect_err("node:\n  name: n1\n  id: 0\n" KEY,
                   "n1.yaml:3:7: node.id: 0 is out of range "
                   "(1..4294967295)");
        expect_err("node:\n  name: n1\n  id: 4294967296\n" KEY,
                   "n1.yaml:3:7: node.id: 4294967296 is out of range "
                   "(1..4294967295)");
        expect_err(NODE KEY "  id: -1\n",
                   "n1.yaml:6:7: cluster.id: '-1' is not an unsigned "
                   "integer (0..4294967295)");
        expect_err(MINIMAL "detector:\n  window: 1\n",
                   "n1.yaml:7:11: detector.window: 1 is out of range "
                   "(2..10000)");
        expect_err(MINIMAL "detector:\n  dead_after_ms: 3600001\n",
                   "n1.yaml:7:18: detector.dead_after_ms: 3600001 is out "
                   "of range (0..3600000)");
        expect_err(MINIMAL "membership:\n  probation_ms: 1h\n",
                   "n1.yaml:7:17: membership.probation_ms: '1h' is not an "
                   "unsigned integer (0..3600000)");
        expect_err(MINIMAL "notify:\n  timeout_ms: 0\n",
                   "n1.yaml:7:15: notify.timeout_ms: 0 is out of range "
                   "(1..3600000)");
        expect_err(MINIMAL "peers:\n  - {name: n2, id: 0, address: "
                   "\"1.2.3.4:5\"}\n",
                   "n1.yaml:7:20: peers[0].id: 0 is out of range "
                   "(1..4294967295)");
}

static void test_err_number(void **state)
{
        static const struct err_case cases[] = {
                { MINIMAL "detector:\n  suspect_threshold: 0\n",
                  "n1.yaml:7:22: detector.suspect_threshold: 0 is out of "
                  "range (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  suspect_threshold: -1\n",
                  "n1.yaml:7:22: detector.suspect_threshold: -1 is out of "
                  "range (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  suspect_threshold: nan\n",
                  "n1.yaml:7:22: detector.suspect_threshold: 'nan' is not "
                  "a number (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  suspect_threshold: .inf\n",
                  "n1.yaml:7:22: detector.suspect_threshold: '.inf' is "
                  "not a number (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  suspect_threshold: 1e400\n",
                  "n1.yaml:7:22: detector.suspect_threshold: 1e400 is out "
                  "of range (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  dead_threshold: 8 phi\n",
                  "n1.yaml:7:19: detector.dead_threshold: '8 phi' is not a "
                  "number (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  dead_threshold: 0x10\n",
                  "n1.yaml:7:19: detector.dead_threshold: '0x10' is not a "
                  "number (> 0 .. 1000000)" },
                { MINIMAL "detector:\n  min_std_dev_ms: 0.0005\n",
                  "n1.yaml:7:19: detector.min_std_dev_ms: 0.0005 is out "
                  "of range (0.001..3600000)" },
                { MINIMAL "detector:\n  suspect_threshold: 10\n"
                  "  dead_threshold: 9\n",
                  "n1.yaml:8:19: detector.dead_threshold (9) must be >= "
                  "detector.suspect_threshold (10)" },
                { MINIMAL "detector:\n  kind: fixed\n"
                  "  suspect_threshold: 8\n",
                  "n1.yaml:8:22: detector.dead_threshold (5) must be >= "
                  "detector.suspect_threshold (8)" },
                { MINIMAL "detector:\n  kind: cusum\n",
                  "n1.yaml:7:9: detector.kind: 'cusum' is not a detector "
                  "kind (fixed, phi, chen, bertier, phi_exp, adaptive)" },
                { MINIMAL "detector:\n  kind: fixed\n  window: 10\n",
                  "n1.yaml:8:3: detector.window: only valid with "
                  "detector.kind phi, chen, bertier, phi_exp or adaptive "
                  "(kind is fixed)" },
                { MINIMAL "detector:\n  min_std_dev_ms: 5\n"
                  "  kind: fixed\n",
                  "n1.yaml:7:3: detector.min_std_dev_ms: only valid with "
                  "detector.kind phi (kind is fixed)" },
                { MINIMAL "detector:\n  kind: fixed\n"
                  "  acceptable_pause_ms: 0\n",
                  "n1.yaml:8:3: detector.acceptable_pause_ms: only valid "
                  "with detector.kind phi (kind is fixed)" },
                /* Derived defaults must fit the explicit ranges too. */
                { NODE KEY "heartbeat:\n  interval_ms: 1000000\n",
                  "n1.yaml:7:16: detector.dead_after_ms: the default (4 x "
                  "interval) for this interval is 4000000, out of range "
                  "(0..3600000); set it explicitly" },
                { NODE KEY "heartbeat:\n  interval_ms: 1000000\n"
                  "detector: {dead_after_ms: 0}\n",
                  "n1.yaml:7:16: detector.acceptable_pause_ms: the default "
                  "(4 x interval) for this interval is 4000000, out of "
                  "range (0..3600000); set it explicitly" },
                { NODE KEY "heartbeat:\n  interval_ms: 1000000\n"
                  "detector: {dead_after_ms: 0, acceptable_pause_ms: 0}\n",
                  "n1.yaml:7:16: membership.probation_ms: the default (5 x "
                  "interval) for this interval is 5000000, out of range "
                  "(0..3600000); set it explicitly" },
        };
        hbd_config_t *cfg;

        (void)state;
        run_cases(cases, N(cases));
        /* With fixed, the phi-only defaults are unused: not checked. */
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 1000000}\n"
                      "detector: {kind: fixed, dead_after_ms: 0}\n"
                      "membership: {probation_ms: 0}\n");
        assert_int_equal(cfg->node.interval_ns, 1000000 * HB_NS_PER_MS);
        hbd_config_free(cfg);
}

/* The detector kinds beyond phi and fixed: defaults, keys, errors. */
static void test_detector_kinds(void **state)
{
        static const struct err_case cases[] = {
                /* Kind-specific keys with another kind. */
                { MINIMAL "detector:\n  chen_alpha_ms: 100\n",
                  "n1.yaml:7:3: detector.chen_alpha_ms: only valid with "
                  "detector.kind chen (kind is phi)" },
                { MINIMAL "detector:\n  kind: chen\n  bertier_gamma: 0.2\n",
                  "n1.yaml:8:3: detector.bertier_gamma: only valid with "
                  "detector.kind bertier (kind is chen)" },
                { MINIMAL "detector:\n  kind: bertier\n"
                  "  chen_alpha_ms: 100\n",
                  "n1.yaml:8:3: detector.chen_alpha_ms: only valid with "
                  "detector.kind chen (kind is bertier)" },
                { MINIMAL "detector:\n  kind: chen\n  min_std_dev_ms: 5\n",
                  "n1.yaml:8:3: detector.min_std_dev_ms: only valid with "
                  "detector.kind phi (kind is chen)" },
                { MINIMAL "detector:\n  kind: phi_exp\n"
                  "  acceptable_pause_ms: 5\n",
                  "n1.yaml:8:3: detector.acceptable_pause_ms: only valid "
                  "with detector.kind phi (kind is phi_exp)" },
                { MINIMAL "detector:\n  kind: phi_exp\n"
                  "  adaptive_raise: 2\n",
                  "n1.yaml:8:3: detector.adaptive_raise: only valid with "
                  "detector.kind adaptive (kind is phi_exp)" },
                { MINIMAL "detector:\n  kind: fixed\n"
                  "  adaptive_dampening_ms: 2\n",
                  "n1.yaml:8:3: detector.adaptive_dampening_ms: only valid "
                  "with detector.kind adaptive (kind is fixed)" },
                /* Ranges. */
                { MINIMAL "detector:\n  kind: chen\n"
                  "  chen_alpha_ms: 0.0001\n",
                  "n1.yaml:8:18: detector.chen_alpha_ms: 0.0001 is out of "
                  "range (0.001..14400000)" },
                { MINIMAL "detector:\n  kind: bertier\n"
                  "  bertier_gamma: 0\n",
                  "n1.yaml:8:18: detector.bertier_gamma: 0 is out of range "
                  "(> 0 .. 1)" },
                { MINIMAL "detector:\n  kind: bertier\n"
                  "  bertier_beta: 101\n",
                  "n1.yaml:8:17: detector.bertier_beta: 101 is out of range "
                  "(0..100)" },
                { MINIMAL "detector:\n  kind: bertier\n"
                  "  bertier_phi: -1\n",
                  "n1.yaml:8:16: detector.bertier_phi: -1 is out of range "
                  "(0..100)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_raise: 0.9\n",
                  "n1.yaml:8:19: detector.adaptive_raise: 0.9 is out of "
                  "range (1..10)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_lower: 0\n",
                  "n1.yaml:8:19: detector.adaptive_lower: 0 is out of range "
                  "(> 0 .. 1)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_min_ms: 0\n",
                  "n1.yaml:8:20: detector.adaptive_min_ms: 0 is out of range "
                  "(1..108000000)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_dampening_ms: 360000001\n",
                  "n1.yaml:8:26: detector.adaptive_dampening_ms: 360000001 "
                  "is out of range (1..360000000)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_high_ratio: 0.5\n",
                  "n1.yaml:8:24: detector.adaptive_high_ratio: 0.5 is out "
                  "of range (1..1000)" },
                /* Cross-field: min <= initial <= max, low <= high. At 100
                 * ms the defaults are 300, 300 and 3000 ms. */
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_max_ms: 200\n",
                  "n1.yaml:8:20: detector.adaptive_min_ms (300) must be <= "
                  "detector.adaptive_max_ms (200)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_min_ms: 500\n",
                  "n1.yaml:8:20: detector.adaptive_initial_ms (300) must be "
                  "within detector.adaptive_min_ms .. "
                  "detector.adaptive_max_ms (500..3000)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_min_ms: 500\n  adaptive_initial_ms: 4000\n",
                  "n1.yaml:9:24: detector.adaptive_initial_ms (4000) must be "
                  "within detector.adaptive_min_ms .. "
                  "detector.adaptive_max_ms (500..3000)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_low_ratio: 3\n",
                  "n1.yaml:8:23: detector.adaptive_low_ratio (3) must be <= "
                  "detector.adaptive_high_ratio (2)" },
                { MINIMAL "detector:\n  kind: adaptive\n"
                  "  adaptive_high_ratio: 1.2\n",
                  "n1.yaml:8:24: detector.adaptive_low_ratio (1.5) must be "
                  "<= detector.adaptive_high_ratio (1.2)" },
                /* Kind thresholds: chen's dead default is 2. */
                { MINIMAL "detector:\n  kind: chen\n"
                  "  suspect_threshold: 3\n",
                  "n1.yaml:8:22: detector.dead_threshold (2) must be >= "
                  "detector.suspect_threshold (3)" },
        };
        static const struct {
                const char *kind;
                hb_detector_kind_t k;
                double suspect, dead;
        } kinds[] = {
                { "chen", HB_DETECTOR_CHEN, 1, 2 },
                { "bertier", HB_DETECTOR_BERTIER, 1, 16 },
                { "phi_exp", HB_DETECTOR_PHI_EXP, 3, 4 },
                { "adaptive", HB_DETECTOR_ADAPTIVE, 1, 2 },
        };
        hbd_config_t *cfg;
        const hb_detector_config_t *dc;
        char text[512];

        (void)state;
        run_cases(cases, N(cases));

        /* Defaults per kind: the kind's thresholds, the library's
         * defaults for every field (derived from a 200 ms interval). */
        for (size_t i = 0; i < N(kinds); i++) {
                hb_detector_config_t want;

                snprintf(text, sizeof text,
                         MINIMAL "heartbeat: {interval_ms: 200}\n"
                                 "detector: {kind: %s}\n", kinds[i].kind);
                cfg = load_ok(text);
                dc = &cfg->node.detector;
                hb_detector_config_default(&want, kinds[i].k,
                                           200 * HB_NS_PER_MS);
                assert_int_equal(dc->kind, kinds[i].k);
                assert_true(cfg->node.suspect_threshold == kinds[i].suspect);
                assert_true(cfg->node.dead_threshold == kinds[i].dead);
                assert_int_equal(dc->window, 100);
                assert_int_equal(dc->chen_alpha_ns, 600 * HB_NS_PER_MS);
                assert_true(dc->bertier_beta == 1.0);
                assert_true(dc->bertier_phi == 4.0);
                assert_true(dc->bertier_gamma == 0.1);
                assert_int_equal(dc->adaptive_initial_ns,
                                 600 * HB_NS_PER_MS);
                assert_int_equal(dc->adaptive_min_ns, 600 * HB_NS_PER_MS);
                assert_int_equal(dc->adaptive_max_ns, 6000 * HB_NS_PER_MS);
                assert_int_equal(dc->adaptive_dampening_ns,
                                 20000 * HB_NS_PER_MS);
                assert_true(dc->adaptive_raise == want.adaptive_raise);
                assert_true(dc->adaptive_lower == want.adaptive_lower);
                assert_true(dc->adaptive_high_ratio ==
                            want.adaptive_high_ratio);
                assert_true(dc->adaptive_low_ratio ==
                            want.adaptive_low_ratio);
                assert_int_equal(hb_node_config_validate(&cfg->node), 0);
                hbd_config_free(cfg);
        }

        /* Every key of each kind, explicitly. */
        cfg = load_ok(MINIMAL "detector:\n  kind: chen\n  window: 10\n"
                              "  chen_alpha_ms: 250.5\n");
        dc = &cfg->node.detector;
        assert_int_equal(dc->window, 10);
        assert_int_equal(dc->chen_alpha_ns, 250500 * 1000);
        hbd_config_free(cfg);

        cfg = load_ok(MINIMAL "detector:\n  kind: bertier\n  window: 20\n"
                              "  bertier_beta: 0\n  bertier_phi: 100\n"
                              "  bertier_gamma: 1\n"
                              "  suspect_threshold: 2\n"
                              "  dead_threshold: 2\n");
        dc = &cfg->node.detector;
        assert_int_equal(dc->window, 20);
        assert_true(dc->bertier_beta == 0.0);
        assert_true(dc->bertier_phi == 100.0);
        assert_true(dc->bertier_gamma == 1.0);
        assert_true(cfg->node.dead_threshold == 2.0);
        hbd_config_free(cfg);

        cfg = load_ok(MINIMAL "detector: {kind: phi_exp, window: 1000}\n");
        assert_int_equal(cfg->node.detector.window, 1000);
        hbd_config_free(cfg);

        cfg = load_ok(MINIMAL "detector:\n  kind: adaptive\n  window: 50\n"
                              "  adaptive_initial_ms: 400\n"
                              "  adaptive_min_ms: 250\n"
                              "  adaptive_max_ms: 108000000\n"
                              "  adaptive_dampening_ms: 60000\n"
                              "  adaptive_raise: 2\n"
                              "  adaptive_lower: 1\n"
                              "  adaptive_high_ratio: 3\n"
                              "  adaptive_low_ratio: 3\n");
        dc = &cfg->node.detector;
        assert_int_equal(dc->window, 50);
        assert_int_equal(dc->adaptive_initial_ns, 400 * HB_NS_PER_MS);
        assert_int_equal(dc->adaptive_min_ns, 250 * HB_NS_PER_MS);
        assert_int_equal(dc->adaptive_max_ns,
                         UINT64_C(108000000) * HB_NS_PER_MS);
        assert_int_equal(dc->adaptive_dampening_ns, 60000 * HB_NS_PER_MS);
        assert_true(dc->adaptive_raise == 2.0);
        assert_true(dc->adaptive_lower == 1.0);
        assert_true(dc->adaptive_high_ratio == 3.0);
        assert_true(dc->adaptive_low_ratio == 3.0);
        hbd_config_free(cfg);

        /* The largest interval: every kind's derived defaults fit their
         * keys' ranges (3, 30 and 100 x 1 h). */
        for (size_t i = 0; i < N(kinds); i++) {
                snprintf(text, sizeof text,
                         MINIMAL "heartbeat: {interval_ms: 3600000}\n"
                                 "detector: {kind: %s, dead_after_ms: 0}\n"
                                 "membership: {probation_ms: 0}\n",
                         kinds[i].kind);
                cfg = load_ok(text);
                hbd_config_free(cfg);
        }

        /* Reload compares the new keys too: they are reloadable. */
        {
                hbd_config_t *a = load_ok(MINIMAL "detector: {kind: chen}\n");
                hbd_config_t *b = load_ok(MINIMAL "detector: {kind: chen, "
                                                  "chen_alpha_ms: 1}\n");
                const char *what = NULL;

                assert_true(hbd_config_reloadable(a, b, &what));
                hbd_config_free(a);
                hbd_config_free(b);
        }
}

static void test_err_names_addresses(void **state)
{
        static const struct err_case cases[] = {
                { "node:\n  name: a b\n  id: 1\n" KEY,
                  "n1.yaml:2:9: node.name: 'a b' has an invalid character "
                  "at position 2 (1..63 characters of A-Z a-z 0-9 . _ -)" },
                { "node:\n  name: \"a\\tb\"\n  id: 1\n" KEY,
                  "n1.yaml:2:9: node.name: 'a\\x09b' has an invalid "
                  "character at position 2 (1..63 characters of A-Z a-z "
                  "0-9 . _ -)" },
                { "node:\n  name: \"\"\n  id: 1\n" KEY,
                  "n1.yaml:2:9: node.name: '' is empty (1..63 characters "
                  "of A-Z a-z 0-9 . _ -)" },
                { "node:\n  name: abcdefghijabcdefghijabcdefghijabcdefghij"
                  "abcdefghijabcdefghijabcd\n  id: 1\n" KEY,
                  "n1.yaml:2:9: node.name: 'abcdefghijabcdefghijabcdefghij"
                  "abcdefghijabcdefghijabcdefghijabcd' is too long (1..63 "
                  "characters of A-Z a-z 0-9 . _ -)" },
                { MINIMAL "listen: 127.0.0.1\n",
                  "n1.yaml:6:9: listen: bad address '127.0.0.1': missing "
                  "':PORT' (expected HOST:PORT or [V6]:PORT)" },
                { MINIMAL "listen: 127.0.0.1:0\n",
                  "n1.yaml:6:9: listen: bad address '127.0.0.1:0': port 0 "
                  "is out of range (1..65535) (expected HOST:PORT or "
                  "[V6]:PORT)" },
                { MINIMAL "listen: 127.0.0.1:65536\n",
                  "n1.yaml:6:9: listen: bad address '127.0.0.1:65536': "
                  "port 65536 is out of range (1..65535) (expected "
                  "HOST:PORT or [V6]:PORT)" },
                { MINIMAL "listen: 127.0.0.1:7x\n",
                  "n1.yaml:6:9: listen: bad address '127.0.0.1:7x': port "
                  "'7x' is not a number (1..65535) (expected HOST:PORT or "
                  "[V6]:PORT)" },
                { MINIMAL "listen: \"::1:7400\"\n",
                  "n1.yaml:6:9: listen: bad address '::1:7400': an IPv6 "
                  "address must be written in brackets, as in [::1]:7400 "
                  "(expected HOST:PORT or [V6]:PORT)" },
                { MINIMAL "listen: \"[::1]\"\n",
                  "n1.yaml:6:9: listen: bad address '[::1]': missing "
                  "':PORT' after ']' (expected HOST:PORT or [V6]:PORT)" },
                { MINIMAL "listen: \"[::1:7400\"\n",
                  "n1.yaml:6:9: listen: bad address '[::1:7400': missing "
                  "']' after the IPv6 address (expected HOST:PORT or "
                  "[V6]:PORT)" },
                { MINIMAL "listen: \"[1.2.3.4]:7\"\n",
                  "n1.yaml:6:9: listen: bad address '[1.2.3.4]:7': "
                  "'1.2.3.4' is not an IPv6 address (expected HOST:PORT "
                  "or [V6]:PORT)" },
                { MINIMAL "listen: \":7400\"\n",
                  "n1.yaml:6:9: listen: bad address ':7400': missing host "
                  "before ':PORT' (expected HOST:PORT or [V6]:PORT)" },
                { MINIMAL "listen: \"a b:7400\"\n",
                  "n1.yaml:6:9: listen: bad address 'a b:7400': 'a b' is "
                  "not an IPv4 address or a host name (expected HOST:PORT "
                  "or [V6]:PORT)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n"
                  "  - name: n3\n    address: 127.0.0.1:7403\n"
                  "    id: 1\n",
                  "n1.yaml:12:9: peers[1].id: 1 is this node's own id" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n"
                  "  - name: n3\n    address: 127.0.0.1:7403\n"
                  "    id: 2\n",
                  "n1.yaml:12:9: peers[1].id: duplicate peer id 2 (also "
                  "at line 8)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n"
                  "  - name: n2\n    id: 3\n    address: 127.0.0.1:7403\n",
                  "n1.yaml:10:11: peers[1].name: duplicate peer name 'n2' "
                  "(also at line 7)" },
                { MINIMAL "peers:\n  - name: n1\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n",
                  "n1.yaml:7:11: peers[0].name: 'n1' is this node's own "
                  "name" },
                /* Repeats two entries: the earlier one is named (the
                 * checks sort by key, review F10; the answer is the one
                 * comparing every pair gave). */
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n"
                  "  - name: n3\n    id: 3\n    address: 127.0.0.1:7403\n"
                  "  - name: n2\n    id: 3\n    address: 127.0.0.1:7404\n",
                  "n1.yaml:13:11: peers[2].name: duplicate peer name 'n2' "
                  "(also at line 7)" },
                /* Nesting is bounded before libyaml builds the
                 * document (review F10: its loader is quadratic in it). */
                { MINIMAL "x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
                  "n1.yaml:6:35: nested deeper than 32 levels (no setting "
                  "is)" },
                /* The same IPv6 address written two ways. */
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: \"[::1]:7402\"\n"
                  "  - name: n3\n    id: 3\n    address: \"[0::1]:7402\"\n",
                  "n1.yaml:12:14: peers[1].address: duplicate peer address "
                  "'[0::1]:7402' (also at line 9)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n"
                  "  - name: n3\n    id: 3\n    address: 127.0.0.1:7402\n",
                  "n1.yaml:12:14: peers[1].address: duplicate peer address "
                  "'127.0.0.1:7402' (also at line 9)" },
                { MINIMAL "listen: 127.0.0.1:7402\npeers:\n  - name: n2\n"
                  "    id: 2\n    address: 127.0.0.1:7402\n",
                  "n1.yaml:10:14: peers[0].address: '127.0.0.1:7402' is "
                  "this node's listen address" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n    pull: tcp://h:5\n",
                  "n1.yaml:10:5: peers[0]: needs exactly one of 'address' "
                  "(the peer runs hbeatd), 'pull' (it is polled) and 'push' "
                  "(it pushes over HTTP)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    pull: ftp://h:5\n",
                  "n1.yaml:9:11: peers[0].pull: 'ftp://h:5' is not an "
                  "http://, https://, tcp:// or udp:// URL" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    pull: udp://h\n",
                  "n1.yaml:9:11: peers[0].pull: bad target 'h' (expected "
                  "HOST:PORT or [V6]:PORT, port 1..65535)" },
                /* Push peers (docs/http.md, Push). */
                { MINIMAL "peers:\n  - name: app\n    id: 2\n"
                  "    push: http\n    token_file: t.key\n",
                  "n1.yaml:9:11: peers[0].push: needs http.listen (pushes "
                  "are HTTP requests to it)" },
                { MINIMAL "http: {listen: \"127.0.0.1:8080\"}\n"
                  "peers:\n  - name: app\n    id: 2\n    push: http\n",
                  "n1.yaml:10:5: peers[0]: push needs token_file (the "
                  "secret its pushes are signed with)" },
                { MINIMAL "http: {listen: \"127.0.0.1:8080\"}\n"
                  "peers:\n  - name: app\n    id: 2\n    push: tcp\n"
                  "    token_file: t.key\n",
                  "n1.yaml:10:11: peers[0].push: 'tcp' is not a push "
                  "transport (http)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n    token_file: t.key\n",
                  "n1.yaml:10:5: peers[0].token_file: only used with push" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1:7402\n    between: 08:00-18:00\n",
                  "n1.yaml:10:5: peers[0].between: only used with pull (a "
                  "schedule of its probe)" },
                /* Schedules (docs/checks.md, Schedules). */
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    pull: udp://h:5\n    between: 08:00-08:00\n",
                  "n1.yaml:10:14: peers[0].between: '08:00-08:00' is not a "
                  "daily window HH:MM-HH:MM (08:00-18:00; 22:00-06:00 "
                  "crosses midnight; start and end differ)" },
                { MINIMAL "checks:\n  - {name: c, kind: tcp, target: "
                  "\"h:1\", days: \"mon-fry\"}\n",
                  "n1.yaml:7:47: checks[0].days: 'mon-fry' is not a list of "
                  "days (mon-fri, sat,sun, mon,wed-fri, daily)" },
                { MINIMAL "daemon: {timezone: Europe/Nowhere}\n",
                  "n1.yaml:6:20: daemon.timezone: 'Europe/Nowhere' is not a "
                  "zone of the time zone database (/usr/share/zoneinfo; an "
                  "IANA name such as Europe/Berlin)" },
                { MINIMAL "daemon: {timezone: ../../etc/passwd}\n",
                  "n1.yaml:6:20: daemon.timezone: '../../etc/passwd' is not "
                  "a time zone name (an IANA name such as Europe/Berlin)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    pull: tcp://h\n",
                  "n1.yaml:9:11: peers[0].pull: bad target 'h' (expected "
                  "HOST:PORT or [V6]:PORT, port 1..65535)" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    pull: \"http://h/a b\"\n",
                  "n1.yaml:9:11: peers[0].pull: 'http://h/a b' contains a "
                  "space" },
                { MINIMAL "election: {enabled: true, state_file: s}\n"
                  "peers:\n  - name: n2\n    id: 2\n"
                  "    pull: tcp://h:5\n    votes: 1\n",
                  "n1.yaml:11:12: peers[0].votes: a pull peer runs no "
                  "hbeatd and cannot vote" },
                { MINIMAL "peers:\n  - name: n2\n    id: 2\n"
                  "    address: 127.0.0.1\n",
                  "n1.yaml:9:14: peers[0].address: bad address "
                  "'127.0.0.1': missing ':PORT' (expected HOST:PORT or "
                  "[V6]:PORT)" },
        };

        (void)state;
        run_cases(cases, N(cases));
        /* The resolver's wording varies; the position and quote do not. */
        expect_err_prefix(MINIMAL "listen: no-such-host.invalid:7400\n",
                          "n1.yaml:6:9: listen: bad address "
                          "'no-such-host.invalid:7400': cannot resolve "
                          "'no-such-host.invalid': ");
}

/* keys[]: the ring, its limits and the primary, each error at its
 * file:line:col. */
static void test_keys(void **state)
{
        hbd_config_t *cfg;
        char text[2048];
        size_t o;

        (void)state;
        write_file("k1.key", KEY_B64 "\n", 0600);
        write_file("open.key", KEY_B64 "\n", 0644);
        write_file("k2.key", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
                   0600);
        cfg = load_ok(NODE "keys:\n  - id: 1\n    file: k1.key\n"
                      "  - id: 7\n    file: k2.key\n    encryption: aead\n"
                      "cluster:\n  primary_key: 7\n");
        assert_int_equal(cfg->n_keys, 2);
        assert_null(cfg->key_file);
        assert_int_equal(cfg->node.keyring.n, 2);
        assert_int_equal(cfg->node.keyring.primary, 7);
        assert_int_equal(cfg->node.keyring.ids[0], 1);
        assert_int_equal(cfg->node.keyring.modes[0], HB_WIRE_MODE_MAC);
        assert_int_equal(cfg->node.keyring.ids[1], 7);
        assert_int_equal(cfg->node.keyring.modes[1], HB_WIRE_MODE_AEAD);
        assert_int_equal(cfg->node.keyring.keys[1].bytes[0], 1);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);
        /* One key: it is the primary; cluster.encryption its mode. */
        cfg = load_ok(NODE "keys:\n  - id: 3\n    file: k1.key\n"
                      "cluster:\n  encryption: aead\n");
        assert_int_equal(cfg->node.keyring.primary, 3);
        assert_int_equal(cfg->node.keyring.modes[0], HB_WIRE_MODE_AEAD);
        hbd_config_free(cfg);
        cfg = load_ok(NODE "cluster:\n  key_file: k1.key\n"
                      "  encryption: aead\n");
        assert_int_equal(cfg->node.keyring.modes[0], HB_WIRE_MODE_AEAD);
        hbd_config_free(cfg);

        expect_err(NODE "keys:\n  - id: 1\n    file: k1.key\n"
                   "  - id: 1\n    file: k2.key\ncluster:\n  primary_key: 1\n",
                   "n1.yaml:7:9: keys[1].id: 1 is also the id of keys[0] "
                   "(line 5); key ids must be unique");
        expect_err(NODE "keys:\n  - id: 1\n    file: k1.key\n"
                   "  - id: 2\n    file: k2.key\n",
                   "n1.yaml:4:1: missing cluster.primary_key: keys[] holds "
                   "2 keys; name the one this node sends with");
        expect_err(NODE "keys:\n  - id: 1\n    file: k1.key\n"
                   "cluster:\n  primary_key: 2\n",
                   "n1.yaml:8:16: cluster.primary_key: 2 is not the id of "
                   "any keys[] entry (keys at line 4)");
        expect_err(NODE "keys:\n  - id: 1\n    file: k1.key\n"
                   "cluster:\n  key_file: k1.key\n",
                   "n1.yaml:4:1: keys: not with cluster.key_file (line 8): "
                   "the key file is the one-key form of keys[] (id 0); "
                   "move it into keys[]");
        expect_err(NODE "cluster:\n  key_file: k1.key\n  primary_key: 0\n",
                   "n1.yaml:6:3: cluster.primary_key: only used with keys[] "
                   "(cluster.key_file is key id 0)");
        expect_err(NODE "keys:\n  - id: 256\n    file: k1.key\n",
                   "n1.yaml:5:9: keys[0].id: 256 is out of range (0..255)");
        expect_err(NODE "keys:\n  - file: k1.key\n",
                   "n1.yaml:5:5: missing required key 'keys[0].id'");
        expect_err(NODE "keys:\n  - id: 1\n    file: k1.key\n"
                   "    encryption: chacha\n",
                   "n1.yaml:7:17: keys[0].encryption: 'chacha' is not an "
                   "encryption mode (none or aead)");
        expect_err(NODE "keys:\n  - id: 1\n    file: open.key\n",
                   "n1.yaml:6:11: keys[0].file: '@/open.key' is readable or "
                   "writable by its group or other users (mode 0644); run "
                   "chmod 600 on it (or set daemon.key_group to let one "
                   "group read it: chmod 640)");
        /* At most 8. */
        o = (size_t)snprintf(text, sizeof text, NODE "keys:\n");
        for (int i = 0; i < 9; i++)
                o += (size_t)snprintf(text + o, sizeof text - o,
                                      "  - id: %d\n    file: k1.key\n", i);
        snprintf(text + o, sizeof text - o, "cluster:\n  primary_key: 0\n");
        expect_err(text, "n1.yaml:21:5: keys[8]: at most 8 keys (a ring "
                   "holds the keys in use and the ones being rotated in or "
                   "out)");
}

static void test_err_files(void **state)
{
        (void)state;
        assert_int_equal(mkdir("keydir", 0700), 0);
        write_file("open.key", KEY_B64 "\n", 0644);
        write_file("o2.key", KEY_B64 "\n", 0602);
        write_file("group.key", KEY_B64 "\n", 0640);
        write_file("bad.key", "this is not base64\n", 0600);
        write_file("short.key", "AAECAwQ=\n", 0600);

        expect_err_len(NODE "cluster:\n  key_file: nokey\n",
                       sizeof(NODE "cluster:\n  key_file: nokey\n") - 1,
                       -ENOENT,
                       "n1.yaml:5:13: cluster.key_file: cannot read "
                       "'@/nokey': No such file or directory", false);
        expect_err(NODE "cluster:\n  key_file: open.key\n",
                   "n1.yaml:5:13: cluster.key_file: '@/open.key' is "
                   "readable or writable by its group or other users (mode "
                   "0644); run chmod 600 on it (or set daemon.key_group to let one "
                   "group read it: chmod 640)");
        expect_err(NODE "cluster:\n  key_file: o2.key\n",
                   "n1.yaml:5:13: cluster.key_file: '@/o2.key' is readable "
                   "or writable by its group or other users (mode 0602); "
                   "run chmod 600 on it (or set daemon.key_group to let one "
                   "group read it: chmod 640)");
        /* Group-readable too (review F5; it was accepted before). */
        expect_err(NODE "cluster:\n  key_file: group.key\n",
                   "n1.yaml:5:13: cluster.key_file: '@/group.key' is "
                   "readable or writable by its group or other users (mode "
                   "0640); run chmod 600 on it (or set daemon.key_group to let one "
                   "group read it: chmod 640)");
        /* ...unless it is the group daemon.key_group names, with read
         * access only (review F5: "and an explicitly configured group"). */
        {
                struct group *gr = getgrgid(getegid());
                char text[512], want[512];

                assert_non_null(gr);
                snprintf(text, sizeof text, NODE "cluster:\n  key_file: "
                         "group.key\ndaemon:\n  key_group: %s\n",
                         gr->gr_name);
                hbd_config_free(load_ok(text));
                write_file("g2.key", KEY_B64 "\n", 0660);
                snprintf(text, sizeof text, NODE "cluster:\n  key_file: "
                         "g2.key\ndaemon:\n  key_group: %s\n", gr->gr_name);
                expect_err(text, "n1.yaml:5:13: cluster.key_file: "
                           "'@/g2.key' is readable or writable by its group "
                           "or other users (mode 0660); run chmod 600 on it "
                           "(or set daemon.key_group to let one group read "
                           "it: chmod 640)");
                snprintf(text, sizeof text, NODE "cluster:\n  key_file: "
                         "open.key\ndaemon:\n  key_group: %s\n",
                         gr->gr_name);
                snprintf(want, sizeof want, "n1.yaml:5:13: cluster.key_file: "
                         "'@/open.key' is readable or writable by its group "
                         "or other users (mode 0644); run chmod 600 on it "
                         "(or set daemon.key_group to let one group read "
                         "it: chmod 640)");
                expect_err(text, want);
                /* Another group than the file's. */
                assert_int_equal(chown("group.key", (uid_t)-1,
                                       getegid() == 0 ? 65534 : 0), 0);
                snprintf(text, sizeof text, NODE "cluster:\n  key_file: "
                         "group.key\ndaemon:\n  key_group: %s\n",
                         gr->gr_name);
                expect_err(text, "n1.yaml:5:13: cluster.key_file: "
                           "'@/group.key' is readable or writable by its "
                           "group or other users (mode 0640); run chmod 600 "
                           "on it (or set daemon.key_group to let one group "
                           "read it: chmod 640)");
                expect_err(NODE "cluster:\n  key_file: k.key\ndaemon:\n"
                           "  key_group: no-such-group-x\n",
                           "n1.yaml:7:14: daemon.key_group: no group "
                           "'no-such-group-x' on this system");
        }
        expect_err(NODE "cluster:\n  key_file: bad.key\n",
                   "n1.yaml:5:13: cluster.key_file: '@/bad.key' does not "
                   "hold a valid key (base64 of 32 bytes, as written by "
                   "'hbeatctl keygen')");
        expect_err(NODE "cluster:\n  key_file: short.key\n",
                   "n1.yaml:5:13: cluster.key_file: '@/short.key' does not "
                   "hold a valid key (base64 of 32 bytes, as written by "
                   "'hbeatctl keygen')");
        expect_err(NODE "cluster:\n  key_file: keydir\n",
                   "n1.yaml:5:13: cluster.key_file: '@/keydir' is not a "
                   "regular file");
        /* sun_path holds 107 bytes and a NUL: 107 loads, 108 does not. */
        for (int len = 107; len <= 108; len++) {
                char text[512], want[512], sock[128];

                snprintf(sock, sizeof sock, "/run/%0*d.sock", len - 10, 0);
                snprintf(text, sizeof text, MINIMAL "control:\n  socket: "
                         "%s\n", sock);
                if (len == 107) {
                        hbd_config_free(load_ok(text));
                        continue;
                }
                snprintf(want, sizeof want, "n1.yaml:7:11: control.socket: "
                         "'%.64s...' is too long for a Unix socket (at most "
                         "107 bytes)", sock);
                expect_err(text, want);
        }
        expect_err(NODE "cluster:\n  key_file: \"\"\n",
                   "n1.yaml:5:13: cluster.key_file: the path is empty");

        expect_err(MINIMAL "notify:\n  script: notify.txt\n",
                   "n1.yaml:7:11: notify.script: '@/notify.txt' is not "
                   "executable: Permission denied");
        expect_err(MINIMAL "notify:\n  script: nope.sh\n",
                   "n1.yaml:7:11: notify.script: cannot use '@/nope.sh': "
                   "No such file or directory");
        expect_err(MINIMAL "notify:\n  script: keydir\n",
                   "n1.yaml:7:11: notify.script: '@/keydir' is not a "
                   "regular file");
        /* A program anyone else could change is not run (review F5). */
        {
                unsigned me = (unsigned)geteuid();
                char want[512];

                write_file("open.sh", "#!/bin/sh\n", 0777);
                snprintf(want, sizeof want, "n1.yaml:7:11: notify.script: "
                         "'@/open.sh' could be changed by another user "
                         "(owner uid %u, mode 0777): it must belong to root "
                         "or uid %u and not be writable by group or others "
                         "(chmod go-w)", me, me);
                expect_err(MINIMAL "notify:\n  script: open.sh\n", want);
                assert_int_equal(mkdir("opendir", 0777), 0);
                assert_int_equal(chmod("opendir", 0777), 0);
                write_file("opendir/n.sh", "#!/bin/sh\n", 0755);
                snprintf(want, sizeof want, "n1.yaml:7:11: notify.script: "
                         "the directory of '@/opendir/n.sh' could be "
                         "changed by another user (owner uid %u, mode "
                         "0777), who could replace the program", me);
                expect_err(MINIMAL "notify:\n  script: opendir/n.sh\n",
                           want);
        }
        /* The same for the programs of commands: checks, resources,
         * fencing, VIPs (all one store). */
        {
                unsigned me = (unsigned)geteuid();
                char want[512], path_env[PATH_MAX + 16], cwd[PATH_MAX];
                const char *old = getenv("PATH");
                char *saved = old ? strdup(old) : NULL;

                snprintf(want, sizeof want, "n1.yaml:9:15: "
                         "checks[0].command: '@/./open.sh' could be changed "
                         "by another user (owner uid %u, mode 0777): it "
                         "must belong to root or uid %u and not be "
                         "writable by group or others (chmod go-w)", me, me);
                expect_err(MINIMAL "checks:\n  - name: c\n    kind: exec\n"
                           "    command: [./open.sh, x]\n", want);
                snprintf(want, sizeof want, "n1.yaml:9:15: "
                         "checks[0].command: '@/opendir/gone.sh' does not "
                         "exist, and another user could create it (its "
                         "directory has owner uid %u, mode 0777)", me);
                expect_err(MINIMAL "checks:\n  - name: c\n    kind: exec\n"
                           "    command: [opendir/gone.sh]\n", want);
                /* A bare name is checked where PATH finds it. */
                assert_non_null(getcwd(cwd, sizeof cwd));
                snprintf(path_env, sizeof path_env, "%s/opendir", cwd);
                assert_int_equal(setenv("PATH", path_env, 1), 0);
                snprintf(want, sizeof want, "n1.yaml:9:15: "
                         "checks[0].command: the directory of "
                         "'@/opendir/n.sh' could be changed by another user "
                         "(owner uid %u, mode 0777), who could replace the "
                         "program", me);
                expect_err(MINIMAL "checks:\n  - name: c\n    kind: exec\n"
                           "    command: [n.sh]\n", want);
                /* Not found at all: left to fail when run. */
                hbd_config_free(load_ok(MINIMAL "checks:\n  - name: c\n"
                                        "    kind: exec\n"
                                        "    command: [no-such-program]\n"));
                if (saved) {
                        assert_int_equal(setenv("PATH", saved, 1), 0);
                        free(saved);
                } else {
                        unsetenv("PATH");
                }
        }
        /* A sticky directory (as /tmp) is fine. */
        assert_int_equal(chmod("opendir", 01777), 0);
        hbd_config_free(load_ok(MINIMAL "notify:\n  script: opendir/n.sh\n"));
        hbd_config_free(load_ok(MINIMAL "checks:\n  - name: c\n"
                                "    kind: exec\n"
                                "    command: [opendir/gone.sh]\n"));
        hbd_config_free(load_ok(MINIMAL "checks:\n  - name: c\n"
                                "    kind: exec\n    command: [true]\n"));
}

/* daemon.user and daemon.group name a user and group of this system; a
 * key file may belong to daemon.user (it reads it again on a reload). */
static void test_daemon_user(void **state)
{
        const struct passwd *nobody = getpwnam("nobody");
        hbd_config_t *cfg;

        (void)state;
        expect_err(MINIMAL "daemon:\n  user: hbeat-no-such-user\n",
                   "n1.yaml:7:9: daemon.user: no user 'hbeat-no-such-user' "
                   "on this system");
        expect_err(MINIMAL "daemon:\n  group: root\n",
                   "n1.yaml:7:10: daemon.group: only used with daemon.user");
        expect_err(MINIMAL "daemon:\n  user: root\n  group: hbeat-no-such\n",
                   "n1.yaml:8:10: daemon.group: no group 'hbeat-no-such' on "
                   "this system");
        cfg = load_ok(MINIMAL "daemon:\n  user: root\n");
        assert_string_equal(cfg->daemon.user, "root");
        assert_int_equal(cfg->daemon.uid, 0);
        assert_int_equal(cfg->daemon.gid, 0);
        assert_null(cfg->daemon.group);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL);
        assert_null(cfg->daemon.user);
        hbd_config_free(cfg);
        if (geteuid() != 0 || nobody == NULL || nobody->pw_uid == 0)
                return;         /* chown needs root */
        write_file("nobody.key", KEY_B64 "\n", 0600);
        assert_int_equal(chown("nobody.key", nobody->pw_uid,
                               nobody->pw_gid), 0);
        cfg = load_ok(NODE "cluster:\n  key_file: nobody.key\n"
                      "daemon:\n  user: nobody\n");
        assert_int_equal(cfg->daemon.uid, nobody->pw_uid);
        hbd_config_free(cfg);
        {
                char want[256];

                snprintf(want, sizeof want, "n1.yaml:5:13: "
                         "cluster.key_file: '@/nobody.key' is owned by uid "
                         "%u, not by root, by the user loading it (uid 0) "
                         "or by daemon.user", (unsigned)nobody->pw_uid);
                expect_err(NODE "cluster:\n  key_file: nobody.key\n",
                           want);
        }
}

static void test_relative_paths(void **state)
{
        char err[512] = "", buf[PATH_MAX], text[PATH_MAX + 64];
        hbd_config_t *cfg = NULL;

        (void)state;
        assert_int_equal(mkdir("sub", 0700), 0);
        assert_int_equal(mkdir("sub/keys", 0700), 0);
        write_file("sub/keys/k.key", KEY_B64, 0600);
        write_file("sub/n.yaml", NODE "cluster:\n  key_file: keys/k.key\n"
                   "control:\n  socket: run/ctl.sock\n"
                   "notify:\n  script: ../notify.sh\n", 0644);

        /* A relative config path: resolved against the cwd, made
         * absolute. */
        assert_int_equal(hbd_config_load(&cfg, "sub/n.yaml", err,
                                         sizeof err), 0);
        assert_string_equal(cfg->path, "sub/n.yaml");
        assert_string_equal(cfg->key_file,
                            at_dir("sub/keys/k.key", buf, sizeof buf));
        assert_string_equal(cfg->control_socket,
                            at_dir("sub/run/ctl.sock", buf, sizeof buf));
        assert_string_equal(cfg->notify_script,
                            at_dir("sub/../notify.sh", buf, sizeof buf));
        assert_int_equal(cfg->node.keyring.keys[0].bytes[31], 31);
        hbd_config_free(cfg);

        /* An absolute config path, from another cwd. */
        assert_int_equal(chdir("/"), 0);
        cfg = NULL;
        at_dir("sub/n.yaml", buf, sizeof buf);
        assert_int_equal(hbd_config_load(&cfg, buf, err, sizeof err), 0);
        assert_int_equal(chdir(tmpdir), 0);
        assert_string_equal(cfg->key_file,
                            at_dir("sub/keys/k.key", buf, sizeof buf));
        hbd_config_free(cfg);

        /* Absolute key paths are kept as written. */
        snprintf(text, sizeof text, NODE "cluster:\n  key_file: %s\n",
                 at_dir("sub/keys/k.key", buf, sizeof buf));
        cfg = load_named("/nonexistent/dir/n1.yaml", text);
        assert_string_equal(cfg->key_file, buf);
        hbd_config_free(cfg);

        /* The file loader: a missing file has no position. */
        cfg = NULL;
        assert_int_equal(hbd_config_load(&cfg, "nope.yaml", err, sizeof err),
                         -ENOENT);
        assert_null(cfg);
        assert_string_equal(err, "nope.yaml: cannot read: No such file or "
                                 "directory");
        /* ... and positions use the path as given. */
        write_file("bad.yaml", MINIMAL "heartbeat:\n  interval_ms: 0\n",
                   0644);
        assert_int_equal(hbd_config_load(&cfg, "bad.yaml", err, sizeof err),
                         -EINVAL);
        assert_null(cfg);
        assert_string_equal(err, "bad.yaml:7:16: heartbeat.interval_ms: 0 "
                                 "is out of range (1..3600000)");
}

/*
 * Every allocation of a full load (election, peers push and pull, checks
 * of every kind, VIPs, resource and fencing) fails once in turn: the
 * load either copes or fails cleanly (an error message, no config, and
 * no leak: the ASan run checks that), never crashes.
 */
static void test_alloc_failures(void **state)
{
        static const char text[] =
                MINIMAL "election: {enabled: true, state_file: s}\n"
                "notify: {timeout_ms: 100}\n"
                "resource: {start: [bin/start, a], stop: [bin/stop]}\n"
                "fencing: {command: [bin/fence], self_fence: [bin/self]}\n"
                "peers:\n"
                "  - {name: n2, id: 2, address: \"127.0.0.1:7402\"}\n"
                "  - {name: n3, id: 3, address: \"[::1]:7403\", votes: 2}\n"
                "  - {name: web, id: 9, pull: \"http://h:8080/x\"}\n"
                "  - {name: db, id: 10, pull: \"tcp://h:5432\"}\n"
                "checks:\n"
                "  - {name: a, kind: exec, command: [bin/check, x]}\n"
                "  - {name: b, kind: tcp, target: \"h:22\", weight: 10}\n"
                "  - {name: c, kind: http, url: \"http://h/\", "
                "effect: fault}\n"
                "vips:\n"
                "  - {address: \"10.213.1.100/24\", interface: eth0}\n"
                "  - {address: \"2001:db8::1/64\", interface: eth1, "
                "provider: exec, up: [bin/up], down: [bin/down]}\n";
        long k, failures = 0;

        (void)state;
        for (k = 0;; k++) {
                hbd_config_t *cfg = NULL;
                char err[1024] = "";
                int r;

                failalloc_after(k);
                r = hbd_config_load_string(&cfg, "n1.yaml", text,
                                           sizeof(text) - 1, err,
                                           sizeof(err));
                failalloc_after(-1);
                if (!failalloc_failed()) {
                        /* Past the last allocation: a plain load. */
                        assert_int_equal(r, 0);
                        hbd_config_free(cfg);
                        break;
                }
                if (r == 0) {
                        assert_non_null(cfg);
                        hbd_config_free(cfg);
                        continue;
                }
                failures++;
                assert_true(r < 0);
                assert_null(cfg);
                assert_true(err[0] != '\0');
        }
        /* It did walk through a real number of allocations. */
        fprintf(stderr, "config failmalloc: %ld allocations, %ld loads "
                "failed cleanly, %ld coped\n", k, failures, k - failures);
        assert_true(k > 40);
        assert_true(failures > 20);
}

/* A push peer: its token read like a key file (same rules), the peer
 * without an address or a vote; a pull peer's window parsed into its
 * probe; daemon.timezone kept. */
static void test_push_and_schedules(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        write_file("app.token", KEY_B64 "\n", 0600);
        write_file("loose.token", KEY_B64 "\n", 0644);
        cfg = load_ok(MINIMAL "http: {listen: \"127.0.0.1:8080\"}\n"
                      "daemon: {timezone: Europe/Berlin}\n"
                      "peers:\n"
                      "  - {name: app, id: 2, push: http, "
                      "token_file: app.token}\n"
                      "  - {name: e, id: 3, pull: \"udp://127.0.0.1:7\", "
                      "between: \"22:00-06:00\", days: \"sat,sun\"}\n"
                      "checks:\n"
                      "  - {name: c, kind: tcp, target: \"h:1\", "
                      "days: mon-fri}\n");
        assert_int_equal(cfg->n_peers, 2);
        assert_true(cfg->peers[0].external);
        assert_non_null(cfg->peers[0].push);
        assert_int_equal(cfg->peers[0].votes, 0);
        assert_int_equal(cfg->peers[0].addr.ss_family, AF_UNSPEC);
        for (int i = 0; i < 32; i++)
                assert_int_equal(cfg->peers[0].push_key.bytes[i], i);
        assert_string_equal(cfg->peers[0].address, "push /v1/push/app");
        assert_true(cfg->peers[1].external);
        assert_int_equal(cfg->peers[1].pull_check.kind, HBD_CHECK_UDP);
        assert_int_equal(cfg->peers[1].pull_check.target_port, 7);
        assert_true(cfg->peers[1].pull_check.window.set);
        assert_int_equal(cfg->peers[1].pull_check.window.start_min, 1320);
        assert_int_equal(cfg->peers[1].pull_check.window.end_min, 360);
        assert_int_equal(cfg->peers[1].pull_check.window.days, 0x41);
        assert_true(cfg->checks[0].window.set);
        assert_int_equal(cfg->checks[0].window.start_min, 0);
        assert_int_equal(cfg->checks[0].window.end_min, 1440);
        assert_int_equal(cfg->checks[0].window.days, 0x3e);
        assert_string_equal(cfg->daemon.timezone, "Europe/Berlin");
        assert_int_equal(cfg->push_window_ns, 300000 * HB_NS_PER_MS);
        hbd_config_free(cfg);
        expect_err(MINIMAL "http: {listen: \"127.0.0.1:8080\"}\n"
                   "peers:\n  - {name: app, id: 2, push: http, "
                   "token_file: loose.token}\n",
                   "n1.yaml:8:48: peers[0].token_file: '@/loose.token' is "
                   "readable or writable by its group or other users (mode "
                   "0644); run chmod 600 on it (or set daemon.key_group to "
                   "let one group read it: chmod 640)");
        expect_err(MINIMAL "http: {listen: \"127.0.0.1:8080\"}\n"
                   "election: {enabled: true, state_file: s}\n"
                   "peers:\n  - {name: app, id: 2, push: http, "
                   "token_file: app.token, votes: 1}\n",
                   "n1.yaml:9:66: peers[0].votes: a push peer runs no "
                   "hbeatd and cannot vote");
}

/* classes[] and peers[].class (docs/classes.md). */
static void test_classes(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok(MINIMAL "heartbeat: {interval_ms: 100}\n"
                      "classes:\n"
                      "  - {name: remote, interval_ms: 1000, "
                      "detector: fixed, dead_threshold: 6}\n"
                      "  - {name: dc, interval_ms: 300, dead_after_ms: 0}\n"
                      "peers:\n"
                      "  - {name: a, id: 2, address: \"127.0.0.1:7402\"}\n"
                      "  - {name: b, id: 3, address: \"127.0.0.1:7403\", "
                      "class: remote}\n"
                      "  - {name: c, id: 4, address: \"127.0.0.1:7404\", "
                      "class: dc}\n"
                      "  - {name: d, id: 5, address: \"127.0.0.1:7405\", "
                      "class: default}\n");
        assert_int_equal(cfg->n_classes, 2);
        assert_int_equal(cfg->node.n_classes, 2);
        assert_int_equal(cfg->node.classes[0].interval_ns, 1000 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.classes[0].detector.kind,
                         HB_DETECTOR_FIXED);
        assert_int_equal(cfg->node.classes[0].detector.interval_ns,
                         1000 * HB_NS_PER_MS);
        assert_true(cfg->node.classes[0].suspect_threshold == 3.0);
        assert_true(cfg->node.classes[0].dead_threshold == 6.0);
        assert_int_equal(cfg->node.classes[0].dead_after_ns,
                         4000 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.classes[0].probation_ns,
                         5000 * HB_NS_PER_MS);
        /* The top-level kind (phi) and its defaults at 300 ms. */
        assert_int_equal(cfg->node.classes[1].detector.kind, HB_DETECTOR_PHI);
        assert_int_equal(cfg->node.classes[1].dead_after_ns, 0);
        assert_int_equal(cfg->peers[0].class_idx, 0);
        assert_int_equal(cfg->peers[1].class_idx, 1);
        assert_int_equal(cfg->peers[2].class_idx, 2);
        assert_int_equal(cfg->peers[3].class_idx, 0);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);

        /* detector as a map: kind and the top-level detector's keys,
         * the rest at the kind's defaults for the class's interval. */
        cfg = load_ok(MINIMAL "classes:\n"
                      "  - name: remote\n"
                      "    interval_ms: 1000\n"
                      "    detector: {kind: phi, window: 50, "
                      "min_std_dev_ms: 100}\n");
        assert_int_equal(cfg->node.classes[0].detector.kind, HB_DETECTOR_PHI);
        assert_int_equal(cfg->node.classes[0].detector.window, 50);
        assert_int_equal(cfg->node.classes[0].detector.min_std_dev_ns,
                         100 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.classes[0].detector.acceptable_pause_ns,
                         4000 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.detector.window, 100);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "classes:\n"
                      "  - {name: r, interval_ms: 500, detector: "
                      "{window: 20}}\n");
        assert_int_equal(cfg->node.classes[0].detector.kind, HB_DETECTOR_PHI);
        assert_int_equal(cfg->node.classes[0].detector.window, 20);
        hbd_config_free(cfg);
        expect_err(MINIMAL "classes:\n  - {name: r, interval_ms: 500, "
                   "detector: {kind: fixed, window: 20}}\n",
                   "n1.yaml:7:57: classes[0].detector.window: only valid "
                   "with detector kind phi, chen, bertier, phi_exp or "
                   "adaptive (the class's kind is fixed)");
        expect_err(MINIMAL "classes:\n  - {name: r, interval_ms: 500, "
                   "detector: {windo: 20}}\n",
                   "n1.yaml:7:44: unknown key 'windo' in "
                   "'classes[0].detector' (the keys of detector, and kind)");
        expect_err(MINIMAL "classes:\n  - {name: r, interval_ms: 500, "
                   "detector: {kind: nope}}\n",
                   "n1.yaml:7:50: classes[0].detector.kind: 'nope' is not "
                   "a detector kind (fixed, phi, chen, bertier, phi_exp, "
                   "adaptive)");
        expect_err_prefix(MINIMAL "classes:\n  - {name: r, interval_ms: 500, "
                          "detector: {window: 1}}\n",
                          "n1.yaml:7:52: classes[0].detector.window: 1 is "
                          "out of range");
        expect_err(MINIMAL "classes:\n  - {name: remote, interval_ms: 1000}\n"
                   "peers:\n  - {name: a, id: 2, address: "
                   "\"127.0.0.1:7402\", class: remot}\n",
                   "n1.yaml:9:56: peers[0].class: no class 'remot'; "
                   "classes are: default, remote");
        expect_err(MINIMAL "classes:\n  - {name: default, "
                   "interval_ms: 1000}\n",
                   "n1.yaml:7:12: classes[0].name: 'default' is the "
                   "top-level timing (heartbeat.interval_ms, detector.*); "
                   "give the class another name");
        expect_err(MINIMAL "classes:\n  - {name: r, interval_ms: 1000}\n"
                   "  - {name: r, interval_ms: 2000}\n",
                   "n1.yaml:8:12: classes[1].name: duplicate class name "
                   "'r' (classes[0], line 7)");
        expect_err_prefix(MINIMAL "classes:\n  - {name: r}\n",
                          "n1.yaml:7:");
        expect_err(MINIMAL "classes:\n  - {name: r, interval_ms: 1000, "
                   "suspect_threshold: 9, dead_threshold: 4}\n",
                   "n1.yaml:7:6: classes[0]: dead_threshold 4 is below "
                   "suspect_threshold 9");
        expect_err(MINIMAL "classes:\n"
                   "  - {name: c1, interval_ms: 1}\n"
                   "  - {name: c2, interval_ms: 1}\n"
                   "  - {name: c3, interval_ms: 1}\n"
                   "  - {name: c4, interval_ms: 1}\n"
                   "  - {name: c5, interval_ms: 1}\n"
                   "  - {name: c6, interval_ms: 1}\n"
                   "  - {name: c7, interval_ms: 1}\n"
                   "  - {name: c8, interval_ms: 1}\n"
                   "  - {name: c9, interval_ms: 1}\n",
                   "n1.yaml:15:6: classes[8]: at most 8 classes");
        expect_err(MINIMAL "topology: {kind: monitors, monitors: [n1]}\n"
                   "classes:\n  - {name: r, interval_ms: 1000}\n",
                   "n1.yaml:7:1: classes: not with topology 'monitors' in "
                   "this version (docs/classes.md)");
}

/* topology.kind gossip (docs/gossip.md): its knobs, the seeds resolved,
 * the advertised address, and the combinations refused. */
static void test_gossip(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok(MINIMAL "listen: 127.0.0.1:7400\n"
                      "heartbeat: {interval_ms: 1000}\n"
                      "topology: {kind: gossip, seeds: [a, "
                      "\"127.0.0.1:9000\"], suspicion_mult: 6, "
                      "indirect_probes: 2, push_pull_interval_ms: 0}\n"
                      "peers:\n  - {name: a, id: 2, address: "
                      "\"127.0.0.1:7401\"}\n");
        assert_int_equal(cfg->node.topology, HB_TOPOLOGY_GOSSIP);
        assert_int_equal(cfg->node.gossip.suspicion_mult, 6);
        assert_int_equal(cfg->node.gossip.indirect_probes, 2);
        /* Derived from the probe interval where not given. */
        assert_int_equal(cfg->node.gossip.probe_timeout_ns,
                         500 * HB_NS_PER_MS);
        assert_int_equal(cfg->node.gossip.gossip_interval_ns,
                         200 * HB_NS_PER_MS);
        assert_int_equal(cfg->push_pull_interval_ns, 0);
        assert_int_equal(cfg->n_gossip_seeds, 2);
        assert_int_equal(port_of(&cfg->gossip_seed_addr[0]), 7401);
        assert_int_equal(port_of(&cfg->gossip_seed_addr[1]), 9000);
        assert_int_equal(port_of(&cfg->gossip_advertise_addr), 7400);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);
        /* No seeds: every peer is one; the default push-pull period. */
        cfg = load_ok(MINIMAL "listen: 0.0.0.0:7400\n"
                      "topology: {kind: gossip, advertise: "
                      "\"127.0.0.9:7400\"}\n"
                      "peers:\n  - {name: a, id: 2, address: "
                      "\"127.0.0.1:7401\"}\n");
        assert_int_equal(cfg->n_gossip_seeds, 1);
        assert_int_equal(cfg->push_pull_interval_ns, 30 * 100 * HB_NS_PER_MS);
        hbd_config_free(cfg);

        expect_err(MINIMAL "topology: {kind: gossip}\n",
                   "n1.yaml:1:1: topology.kind gossip: listen is a "
                   "wildcard address; set topology.advertise to the "
                   "address members reach this node at");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, seeds: [nope]}\n",
                   "n1.yaml:7:33: topology.seeds: 'nope' is neither a "
                   "peer's name nor an address (missing ':PORT')");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, seeds: [n1]}\n",
                   "n1.yaml:7:33: topology.seeds: 'n1' is this node");
        /* Quorum and election on gossip: the peers vote (with their
         * votes); a seed given by address is a member, never a voter. */
        cfg = load_ok(MINIMAL "listen: 127.0.0.1:7400\n"
                      "topology: {kind: gossip, seeds: [\"127.0.0.1:9000\"]}"
                      "\nelection: {enabled: true}\n"
                      "peers:\n  - {name: a, id: 2, address: "
                      "\"127.0.0.1:7401\", votes: 2}\n"
                      "  - {name: b, id: 3, address: \"127.0.0.1:7402\"}\n");
        assert_true(cfg->node.coord.enabled);
        assert_int_equal(cfg->node.topology, HB_TOPOLOGY_GOSSIP);
        assert_int_equal(cfg->n_peers, 2);
        assert_int_equal(cfg->peers[0].votes, 2);
        assert_int_equal(cfg->n_gossip_seeds, 1);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        /* Voters 1 + 2 + 1: 4 expected, 3 needed, whatever gossip
         * learns. */
        assert_int_equal(hb_coord_expected_votes(&cfg->node.coord, 4), 4);
        /* The promise: the floor, 3 intervals, at 3 members (probe
         * timeouts 2 x 50 ms + 1 x 100 ms = 200 ms); at 1,000 members
         * 2 x 50 + 3 x 100 ms; promise_max: 3 x that, 1.2 s, below 30
         * intervals (3 s). */
        assert_int_equal(hb_coord_gossip_promise_ns(&cfg->node, 3),
                         300 * HB_NS_PER_MS);
        assert_int_equal(hb_coord_gossip_promise_ns(&cfg->node, 1000),
                         400 * HB_NS_PER_MS);
        {
                uint64_t pm = 0;

                assert_int_equal(hb_coord_promise_max(&cfg->node, &pm), 0);
                assert_int_equal(pm, 3 * HB_NS_PER_S);
        }
        hbd_config_free(cfg);
        /* Without peers there is no voter but this node: refused. */
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, seeds: [\"127.0.0.1:9000\"]}"
                   "\nelection: {enabled: true}\n",
                   "n1.yaml:8:21: election.enabled: with topology.kind "
                   "gossip the voters are the peers, and none is "
                   "configured (a member learned by gossip never votes); "
                   "list the voters in peers, or leave election off on a "
                   "member that only joins");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: mesh, suspicion_mult: 3}\n",
                   "n1.yaml:7:40: topology.suspicion_mult: only with "
                   "topology.kind gossip");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, probe_timeout_ms: 500}\n",
                   "n1.yaml:7:44: topology.probe_timeout_ms: at most "
                   "heartbeat.interval_ms (100, the probe interval)");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, advertise: 0.0.0.0:1}\n",
                   "n1.yaml:7:37: topology.advertise: not a wildcard "
                   "address");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, monitors: [n1]}\n",
                   "n1.yaml:7:36: topology.monitors: only with "
                   "topology.kind monitors");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip}\npeers:\n  - {name: a, id: 2, "
                   "address: 127.0.0.1:7401, roaming: true}\n",
                   "n1.yaml:7:18: topology.kind gossip: peer 'a' is "
                   "roaming; in gossip leave it out of peers (a member "
                   "learned by gossip is admitted by the key from any "
                   "address)");
        expect_err(MINIMAL "listen: 127.0.0.1:7400\n"
                   "topology: {kind: gossip, indirect_probes: 17}\n",
                   "n1.yaml:7:43: topology.indirect_probes: 17 is out of "
                   "range (0..16)");
        expect_err(MINIMAL "topology: {kind: ring}\n",
                   "n1.yaml:6:18: topology.kind: mesh, monitors, "
                   "gossip, hierarchy or subset");
}

/* topology.kind hierarchy (docs/hierarchy.md): regions, electors, and
 * every bad combination refused at its place. */
#define HIER_PEERS                                                      \
        "peers:\n"                                                      \
        "  - {name: a, id: 2, address: \"127.0.0.1:7401\", region: 1,"  \
        " elector: true}\n"                                             \
        "  - {name: b, id: 3, address: \"127.0.0.1:7402\", region: 2,"  \
        " elector: true}\n"
static void test_hierarchy(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok("node: {name: n1, id: 1, region: 1, elector: true}\n"
                      KEY "election: {enabled: true}\n"
                      "topology: {kind: hierarchy}\n" HIER_PEERS);
        assert_true(cfg->node.hier.enabled);
        assert_true(cfg->node.hier.elector);
        assert_int_equal(cfg->node.hier.region, 1);
        /* 2.5 x the default 100 ms interval. */
        assert_int_equal(cfg->node.hier.global_interval_ns,
                         250 * HB_NS_PER_MS);
        assert_int_equal(cfg->peers[1].region, 2);
        assert_true(cfg->peers[1].elector);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);

        /* A member: election off. */
        cfg = load_ok("node: {name: n1, id: 1, region: 2}\n" KEY
                      "topology: {kind: hierarchy, global_interval_ms: "
                      "5000}\n" HIER_PEERS);
        assert_false(cfg->node.hier.elector);
        assert_int_equal(cfg->node.hier.global_interval_ns,
                         5000 * HB_NS_PER_MS);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);

        expect_err("node: {name: n1, id: 1}\n" KEY
                   "topology: {kind: hierarchy}\n" HIER_PEERS,
                   "n1.yaml:1:1: node.region: required with "
                   "topology.kind hierarchy (1 to 64)");
        expect_err("node: {name: n1, id: 1, region: 1, elector: true}\n"
                   KEY "topology: {kind: hierarchy}\n" HIER_PEERS,
                   "n1.yaml:1:45: node.elector: an elector runs its "
                   "region's election: set election.enabled: true");
        expect_err("node: {name: n1, id: 1, region: 2}\n" KEY
                   "election: {enabled: true}\n"
                   "topology: {kind: hierarchy}\n" HIER_PEERS,
                   "n1.yaml:4:21: election.enabled: with topology.kind "
                   "hierarchy only on electors (node.elector: true)");
        expect_err("node: {name: n1, id: 1, region: 3}\n" KEY
                   "topology: {kind: hierarchy}\n" HIER_PEERS,
                   "n1.yaml:4:18: topology.kind hierarchy: region 3 has "
                   "no elector (node.elector, peers[].elector): it could "
                   "never elect a coordinator");
        expect_err("node: {name: n1, id: 1, region: 1}\n" KEY
                   "topology: {kind: hierarchy}\n"
                   "peers:\n  - {name: a, id: 2, address: "
                   "\"127.0.0.1:7401\", elector: true}\n",
                   "n1.yaml:4:18: topology.kind hierarchy: peer 'a' "
                   "(line 6) has no region (peers[].region, 1 to 64)");
        expect_err("node: {name: n1, id: 1, region: 1}\n" KEY
                   "heartbeat: {interval_ms: 1000}\n"
                   "topology: {kind: hierarchy, global_interval_ms: "
                   "500}\n" HIER_PEERS,
                   "n1.yaml:5:49: topology.global_interval_ms: at least "
                   "heartbeat.interval_ms");
        expect_err("node: {name: n1, id: 1, region: 1}\n" KEY
                   HIER_PEERS,
                   "n1.yaml:1:33: node.region, node.elector and "
                   "topology.global_interval_ms: only with topology.kind "
                   "hierarchy");
        expect_err(MINIMAL HIER_PEERS,
                   "n1.yaml:1:1: peers[].region and peers[].elector (peer "
                   "'a', line 7): only with topology.kind hierarchy");

        /* The resource and the VIPs follow the global role: on an
         * elector they are fine, on a member they could never run. */
        cfg = load_ok("node: {name: n1, id: 1, region: 1, elector: true}\n"
                      KEY "election: {enabled: true}\n"
                      "topology: {kind: hierarchy}\n"
                      "resource: {start: [/bin/true], stop: [/bin/true]}\n"
                      "vips:\n  - {address: \"10.0.0.100/24\", "
                      "interface: eth0}\n" HIER_PEERS);
        assert_non_null(cfg->resource_start);
        assert_int_equal(cfg->n_vips, 1);
        hbd_config_free(cfg);
        expect_err("node: {name: n1, id: 1, region: 2}\n" KEY
                   "topology: {kind: hierarchy}\n"
                   "resource: {start: [/bin/true], stop: [/bin/true]}\n"
                   HIER_PEERS,
                   "n1.yaml:5:19: resource.start: with topology.kind "
                   "hierarchy only on electors (node.elector and "
                   "election.enabled: true): the global coordinator, an "
                   "elector, holds the resource (docs/hierarchy.md)");
        expect_err("node: {name: n1, id: 1, region: 1, elector: true}\n"
                   KEY "election: {enabled: true}\n"
                   "topology: {kind: hierarchy}\n"
                   "resource: {start: [/bin/true], stop: [/bin/true]}\n"
                   "fencing: {command: [/bin/true]}\n" HIER_PEERS,
                   "n1.yaml:7:20: fencing.command: not with topology.kind "
                   "hierarchy in this version: a new global holder hears "
                   "no heartbeat from the other regions' nodes, so it "
                   "could not tell which former holder still runs the "
                   "resource; the global term (HBEAT_TERM) is the fencing "
                   "token to give the resource (docs/hierarchy.md)");
}

/* topology.kind subset (docs/subset.md): topology.k, and the
 * combinations the core does not support refused at their place. */
#define SUB_PEERS                                                       \
        "peers:\n"                                                      \
        "  - {name: a, id: 2, address: \"127.0.0.1:7401\"}\n"           \
        "  - {name: b, id: 3, address: \"127.0.0.1:7402\"}\n"
static void test_subset(void **state)
{
        hbd_config_t *cfg;

        (void)state;
        cfg = load_ok(MINIMAL "topology: {kind: subset}\n" SUB_PEERS);
        assert_int_equal(cfg->node.topology, HB_TOPOLOGY_SUBSET);
        assert_int_equal(cfg->node.subset.k, HB_SUBSET_K_DEFAULT);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);
        cfg = load_ok(MINIMAL "topology: {kind: subset, k: 5}\n" SUB_PEERS);
        assert_int_equal(cfg->node.subset.k, 5);
        assert_int_equal(hb_node_config_validate(&cfg->node), 0);
        hbd_config_free(cfg);

        expect_err(MINIMAL "topology: {kind: subset, k: 8}\n" SUB_PEERS,
                   "n1.yaml:6:29: topology.k: 8 is out of range (1..7)");
        expect_err(MINIMAL "topology: {kind: subset, k: 0}\n" SUB_PEERS,
                   "n1.yaml:6:29: topology.k: 0 is out of range (1..7)");
        expect_err(MINIMAL "topology: {kind: mesh, k: 3}\n" SUB_PEERS,
                   "n1.yaml:6:27: topology.k: only with topology.kind "
                   "subset");
        expect_err(MINIMAL "election: {enabled: true}\n"
                   "topology: {kind: subset}\n" SUB_PEERS,
                   "n1.yaml:6:21: election.enabled: not with "
                   "topology.kind subset in this version (docs/subset.md)");
        expect_err(MINIMAL "topology: {kind: subset, monitors: [a]}\n"
                   SUB_PEERS,
                   "n1.yaml:6:36: topology.monitors: only with "
                   "topology.kind monitors (subset chooses each node's "
                   "monitors on its ring; set topology.k)");
        expect_err(MINIMAL "topology: {kind: subset}\n"
                   "peers:\n  - {name: a, id: 2, address: "
                   "\"127.0.0.1:7401\", roaming: true}\n",
                   "n1.yaml:6:18: topology.kind subset: peer 'a' (line 8) "
                   "is roaming; in subset every node sends verdicts to "
                   "every peer, so each needs a configured address");
        expect_err(MINIMAL "topology: {kind: subset}\n"
                   "peers:\n  - {name: a, id: 2, pull: "
                   "\"tcp://127.0.0.1:5432\"}\n",
                   "n1.yaml:6:18: topology.kind subset: peer 'a' (line 8) "
                   "is a pull peer; pull and push peers need the mesh");
}

static void test_examples(void **state)
{
        glob_t g;
        size_t n3 = 0;

        (void)state;
        assert_int_equal(glob(HB_SOURCE_ROOT "/examples/*/*.yaml", 0, NULL,
                              &g), 0);
        assert_true(g.gl_pathc >= 3);
        for (size_t i = 0; i < g.gl_pathc; i++) {
                const char *path = g.gl_pathv[i];
                const char *base = strrchr(path, '/') + 1;
                char name[PATH_MAX];
                hbd_config_t *cfg;
                char *text = NULL;
                size_t len;

                /* Load it as if it sat next to our key file: examples do
                 * not ship a key. */
                assert_int_equal(hbu_read_file(path, &text, &len), 0);
                /* The installed default runs as the user hbeat, which
                 * this machine need not have: root stands in for it. */
                if (strstr(path, "/default/")) {
                        char *u = strstr(text, "user: hbeat\n");

                        assert_non_null(u);
                        memcpy(u, "user: root \n", 12);
                }
                /* A push peer's token sits next to the config. */
                if (strstr(path, "/app-monitor/"))
                        write_file("batch.token", KEY_B64 "\n", 0600);
                cfg = load_named(at_dir(base, name, sizeof name), text);
                free(text);
                if (strstr(path, "/gossip-lan/")) {
                        assert_int_equal(cfg->node.topology,
                                         HB_TOPOLOGY_GOSSIP);
                        assert_int_equal(cfg->node.interval_ns,
                                         500 * HB_NS_PER_MS);
                        assert_int_equal(cfg->n_gossip_seeds,
                                         cfg->n_peers);
                }
                if (strstr(path, "/subset-7node/")) {
                        assert_int_equal(cfg->node.topology,
                                         HB_TOPOLOGY_SUBSET);
                        assert_int_equal(cfg->node.subset.k, 3);
                        assert_int_equal(cfg->n_peers, 6);
                        assert_int_equal(hb_node_config_validate(&cfg->node),
                                         0);
                }
                if (strstr(path, "/cluster-3node/")) {
                        uint32_t id = cfg->node.node_id;
                        char sock[64];

                        n3++;
                        assert_true(id >= 1 && id <= 3);
                        assert_int_equal(cfg->node.cluster_id, 7);
                        assert_int_equal(cfg->node.interval_ns,
                                         100 * HB_NS_PER_MS);
                        assert_int_equal(cfg->node.detector.kind,
                                         HB_DETECTOR_PHI);
                        assert_int_equal(port_of(&cfg->listen_addr),
                                         7400 + id);
                        snprintf(sock, sizeof sock, "/tmp/hbeat-n%u.sock",
                                 (unsigned)id);
                        assert_string_equal(cfg->control_socket, sock);
                        assert_int_equal(cfg->n_peers, 2);
                        for (size_t j = 0; j < cfg->n_peers; j++) {
                                const hbd_peer_conf_t *p = &cfg->peers[j];
                                char pname[16];

                                snprintf(pname, sizeof pname, "n%u",
                                         (unsigned)p->id);
                                assert_string_equal(p->name, pname);
                                assert_int_equal(port_of(&p->addr),
                                                 7400 + p->id);
                        }
                }
                hbd_config_free(cfg);
        }
        assert_int_equal(n3, 3);
        globfree(&g);
}

/* ---- util -------------------------------------------------------------- */

static void test_util_address(void **state)
{
        static const char *const ok[][2] = {
                { "1.2.3.4:7400", "1.2.3.4:7400" },
                { "[::1]:1", "[::1]:1" },
                { "[2001:DB8::1]:65535", "[2001:db8::1]:65535" },
                { "[fe80::1%lo]:7400", "[fe80::1%lo]:7400" },
                { "localhost:80", NULL },
                { "127.0.0.1:0080", "127.0.0.1:80" },
        };
        struct sockaddr_storage ss, ss2;
        char buf[HBU_ADDRESS_MAX], err[128];
        socklen_t len = 0;

        (void)state;
        for (size_t i = 0; i < N(ok); i++) {
                if (hbu_parse_address(ok[i][0], &ss, &len, err,
                                      sizeof err) != 0)
                        fail_msg("%s: %s", ok[i][0], err);
                if (ok[i][1])
                        assert_string_equal(
                                hbu_format_address((struct sockaddr *)&ss,
                                                   buf, sizeof buf),
                                ok[i][1]);
                assert_int_equal(port_of(&ss),
                                 atoi(strrchr(ok[i][0], ':') + 1));
        }
        assert_int_equal(hbu_parse_address("1.2.3.4", &ss, &len, err,
                                           sizeof err), -EINVAL);
        assert_string_equal(err, "missing ':PORT'");
        assert_int_equal(hbu_parse_address("nosuch.invalid:1", &ss, &len,
                                           NULL, 0), -ENOENT);
        assert_int_equal(hbu_parse_address(NULL, &ss, &len, NULL, 0),
                         -EINVAL);

        assert_int_equal(hbu_parse_address("10.0.0.1:5", &ss, &len, NULL, 0),
                         0);
        assert_int_equal(hbu_parse_address("10.0.0.1:5", &ss2, &len, NULL,
                                           0), 0);
        assert_true(hbu_address_equal((struct sockaddr *)&ss,
                                      (struct sockaddr *)&ss2));
        assert_int_equal(hbu_parse_address("10.0.0.1:6", &ss2, &len, NULL,
                                           0), 0);
        assert_false(hbu_address_equal((struct sockaddr *)&ss,
                                       (struct sockaddr *)&ss2));
        assert_int_equal(hbu_parse_address("[::ffff:10.0.0.1]:5", &ss2,
                                           &len, NULL, 0), 0);
        assert_false(hbu_address_equal((struct sockaddr *)&ss,
                                       (struct sockaddr *)&ss2));
        /* Link-local addresses differ by scope. */
        assert_int_equal(hbu_parse_address("[fe80::1%lo]:5", &ss, &len,
                                           NULL, 0), 0);
        assert_int_equal(hbu_parse_address("[fe80::1]:5", &ss2, &len, NULL,
                                           0), 0);
        assert_false(hbu_address_equal((struct sockaddr *)&ss,
                                       (struct sockaddr *)&ss2));
        assert_int_equal(hbu_parse_address("[fe80::1%lo]:5", &ss2, &len,
                                           NULL, 0), 0);
        assert_true(hbu_address_equal((struct sockaddr *)&ss,
                                      (struct sockaddr *)&ss2));

        memset(&ss, 0, sizeof ss);
        ss.ss_family = AF_UNIX;
        assert_string_equal(hbu_format_address((struct sockaddr *)&ss, buf,
                                               sizeof buf), "?");
        assert_int_equal(hbu_parse_address("1.2.3.4:7400", &ss, &len, NULL,
                                           0), 0);
        assert_string_equal(hbu_format_address((struct sockaddr *)&ss, buf,
                                               6), "1.2.3");
}

static void test_util_duration(void **state)
{
        static const struct {
                uint64_t ns;
                const char *text;
        } cases[] = {
                { 0, "0 ns" },
                { 999, "999 ns" },
                { 1000, "1 us" },
                { 1500, "1.5 us" },
                { 540 * HB_NS_PER_MS, "540 ms" },
                { 1234567, "1.235 ms" },
                { 1250 * HB_NS_PER_MS, "1.25 s" },
                { 1999999999, "2 s" },
                { 3600 * HB_NS_PER_S, "3600 s" },
                { UINT64_MAX, "18446744073.71 s" },
        };
        char buf[HBU_DURATION_MAX];

        (void)state;
        for (size_t i = 0; i < N(cases); i++)
                assert_string_equal(hbu_format_duration_ns(cases[i].ns, buf,
                                                           sizeof buf),
                                    cases[i].text);
        assert_string_equal(hbu_format_duration_ns(1250 * HB_NS_PER_MS, buf,
                                                   4), "1.2");
}

static void test_util_kinds_phrase(void **state)
{
        char buf[HBU_KINDS_MAX];
        unsigned all = 0;

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++)
                all |= HB_DETECTOR_KIND_BIT(k);
        assert_string_equal(hbu_kinds_phrase(all, buf, sizeof buf), "");
        assert_string_equal(hbu_kinds_phrase(0, buf, sizeof buf), "");
        assert_string_equal(
                hbu_kinds_phrase(HB_DETECTOR_KIND_BIT(HB_DETECTOR_PHI), buf,
                                 sizeof buf),
                "phi only");
        assert_string_equal(
                hbu_kinds_phrase(HB_DETECTOR_KIND_BIT(HB_DETECTOR_PHI) |
                                         HB_DETECTOR_KIND_BIT(
                                                 HB_DETECTOR_PHI_EXP),
                                 buf, sizeof buf),
                "phi, phi_exp only");
        assert_string_equal(
                hbu_kinds_phrase(all & ~HB_DETECTOR_KIND_BIT(HB_DETECTOR_FIXED),
                                 buf, sizeof buf),
                "all kinds but fixed");
}

static void test_util_read_file(void **state)
{
        char *text = NULL;
        size_t len = 99;

        (void)state;
        write_file("data.bin", "ab\0cd", 0600);
        assert_int_equal(hbu_read_file("data.bin", &text, &len), 0);
        assert_int_equal(len, 2);   /* write_file() stops at the NUL */
        assert_memory_equal(text, "ab", 3);
        free(text);
        write_file("empty", "", 0600);
        assert_int_equal(hbu_read_file("empty", &text, NULL), 0);
        assert_string_equal(text, "");
        free(text);
        text = NULL;
        assert_int_equal(hbu_read_file("missing", &text, &len), -ENOENT);
        assert_null(text);
        assert_int_equal(hbu_read_file(".", &text, &len), -EISDIR);
        assert_int_equal(hbu_read_file("/dev/null", &text, &len), -EINVAL);
        assert_int_equal(mkfifo("fifo", 0600), 0);
        assert_int_equal(hbu_read_file("fifo", &text, &len), -EINVAL);
        assert_null(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_full, setup, teardown),
                cmocka_unit_test_setup_teardown(test_defaults, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_structure, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_syntax, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_required, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_uint, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_number, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_detector_kinds, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_err_names_addresses,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_files, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_relative_paths, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_examples, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_hierarchy, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_subset, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_gossip, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_classes, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_push_and_schedules,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_alloc_failures, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_util_address, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_daemon_user, setup,
                                                teardown),
                cmocka_unit_test(test_util_duration),
                cmocka_unit_test(test_util_kinds_phrase),
                cmocka_unit_test_setup_teardown(test_util_read_file, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
