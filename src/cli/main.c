/* SPDX-License-Identifier: MIT */
/*
 * hbeatctl: command-line client of hbeatd, and offline helpers.
 *
 *     hbeatctl [-s PATH | -c FILE] COMMAND [ARGS]
 *
 * This file holds the subcommand table (name, function, synopsis, one-line
 * description, options), global option parsing, help and the helpers the
 * commands share for errors and option parsing. Each command lives in its
 * own cmd_<name>.c. Commands that need the daemon ask for the socket path
 * through hbctl_socket_path(), resolved lazily so that offline commands
 * (keygen, check-config, config) never depend on -c or the environment.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hbctl.h"
#include "common/ctl_proto.h"
#include "common/util.h"
#include "config/config.h"
#include "hbeat/hbeat.h"
#include "tools/trace.h"

static int cmd_help(hbctl_ctx_t *ctx, int argc, char **argv);

static const hbctl_cmd_t commands[] = {
        { "status", hbctl_cmd_status, "[--json]",
          "show this node, peer counts by state and counters",
          "  -j, --json     print the daemon's response as JSON\n" },
        { "members", hbctl_cmd_members, "[--json]",
          "show every peer: state, suspicion, last heartbeat",
          "  -j, --json     print the members array as JSON\n" },
        { "links", hbctl_cmd_links, "[--json]",
          "show every link of every peer: state, suspicion, last "
          "heartbeat, RTT and loss per link (docs/links.md)",
          "  -j, --json     print the daemon's response as JSON\n" },
        { "leader", hbctl_cmd_leader, "[--json]",
          "show the leader and term (exit 1 when there is none)",
          "  -j, --json     print the daemon's response as JSON\n" },
        { "quorum", hbctl_cmd_quorum, "[--json]",
          "show quorum: votes present, needed, expected, per member",
          "  -j, --json     print the daemon's response as JSON\n" },
        { "events", hbctl_cmd_events, "[--follow] [--json]",
          "show recent peer, role and quorum changes, or follow new ones",
          "  -f, --follow   stream events as they happen, until interrupted\n"
          "  -j, --json     print each event as one JSON line\n" },
        { "subscribe", hbctl_cmd_subscribe,
          "--connect HOST:PORT --key FILE [--state FILE] [--from WHERE] "
          "[--json] [--retry MAX]",
          "receive hbeatd's events reliably over TCP (events.listen): in "
          "order, acknowledged, resumed after a reconnect",
          "  -C, --connect HOST:PORT  hbeatd's events.listen address\n"
          "  -k, --key FILE           the events.key_file key (chmod 600)\n"
          "  -S, --state FILE         keep the last event handled here and "
          "resume\n"
          "                           after it (written atomically)\n"
          "  -F, --from WHERE         without a state: now (default), "
          "oldest, or\n"
          "                           after an event id INC:SEQ\n"
          "  -j, --json               print each event as one JSON line "
          "with its id\n"
          "  -r, --retry MAX          reconnect when the connection fails "
          "or ends,\n"
          "                           after 1 s doubling up to MAX s\n" },
        { "checks", hbctl_cmd_checks, "[--json]",
          "show the health checks: state, last result, effect (exit 1 "
          "when one is not passing)",
          "  -j, --json     print the daemon's response as JSON\n" },
        { "reload", hbctl_cmd_reload, "",
          "make hbeatd re-read its configuration file", NULL },
        { "forget", hbctl_cmd_forget, "PEER",
          "accept PEER's next authentic message whatever its incarnation "
          "(after it restarted with its clock stepped back, or a forged "
          "incarnation locked it out: dropped as old_incarnation)", NULL },
        { "record", hbctl_cmd_record, "PEER [--duration S] [-o FILE]",
          "record a peer's heartbeat arrivals as a trace (CSV)",
          "  -d, --duration S   stop after S seconds (default: at Ctrl-C or "
          "SIGTERM)\n"
          "  -o, --output FILE  write the trace to FILE (default: stdout)\n" },
        { "suggest", hbctl_cmd_suggest,
          "[--interval-ms I] [--rtt-ms R] | --trace FILE "
          "--max-mistakes-per-week N [--detector LIST]",
          "suggest a timeout and detector settings (rule, or from a trace)",
          "  -i, --interval-ms I   heartbeat interval, ms (default: the "
          "daemon's,\n"
          "                        or the trace's)\n"
          "  -r, --rtt-ms R        round-trip time, ms (default: the worst "
          "peer's RTT\n"
          "                        p99 from the daemon)\n"
          "  -t, --trace FILE      search detector settings on an arrival "
          "trace\n"
          "  -m, --max-mistakes-per-week N\n"
          "                        allowed false suspicions per peer per week "
          "(--trace)\n"
          "  -D, --detector LIST   detectors to search, comma-separated "
          "(default: all)\n"
          HBT_READ_OPTS_HELP },
        { "push", hbctl_cmd_push,
          "--url URL --peer NAME --token FILE [--interval-ms MS] "
          "[--count N]",
          "send authenticated HTTP push heartbeats for a push peer "
          "(peers[].push) to hbeatd's http.listen",
          "  -u, --url URL         hbeatd's HTTP base URL "
          "(http://10.0.0.1:8080)\n"
          "  -p, --peer NAME       the push peer (peers[].name)\n"
          "  -t, --token FILE      its token_file (hbeatctl keygen)\n"
          "  -i, --interval-ms MS  push every MS until stopped (default: "
          "once)\n"
          "  -n, --count N         with --interval-ms, stop after N pushes\n"
          "  -T, --timeout-ms MS   per request (default 2000)\n"
          "  -q, --quiet           print only refusals and errors\n" },
        { "keygen", hbctl_cmd_keygen, "[--force] [FILE|-]",
          "generate a cluster key (base64) into FILE (mode 0600) or stdout",
          "  -f, --force    replace FILE if it exists\n" },
        { "check-config", hbctl_cmd_check_config, "[--json] FILE",
          "validate a config file and show the timings it implies",
          "  -j, --json     print the result as a JSON object\n" },
        { "config", hbctl_cmd_config, "schema --md|--man",
          "print every configuration key (type, unit, default, range, "
          "reload)",
          "  --md           as the Markdown tables of docs/configuration.md\n"
          "  --man          as the entries of hbeatd.yaml(5)\n" },
        { "help", cmd_help, "[COMMAND]",
          "show the help of hbeatctl or of a command", NULL },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const hbctl_cmd_t *find_command(const char *name)
{
        for (size_t i = 0; i < N_COMMANDS; i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

void hbctl_err(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("hbeatctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int hbctl_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("hbeatctl: ", stderr);
        if (cmd)
                fprintf(stderr, "%s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (cmd)
                fprintf(stderr, "\nTry 'hbeatctl %s --help'.\n", cmd);
        else
                fputs("\nTry 'hbeatctl --help'.\n", stderr);
        return HBCTL_EXIT_USAGE;
}

int hbctl_getopt(const char *cmd, int argc, char **argv,
                 const char *shortopts, const struct option *longopts)
{
        int c;
        const char *arg;

        opterr = 0;
        optopt = 0;
        c = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (c != '?' && c != ':')
                return c;

        /*
         * getopt leaves the offending word in argv[optind - 1] for long
         * options; for a short one inside a cluster ("-jx") only optopt
         * is reliable.
         */
        arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        if (c == ':') {
                if (strncmp(arg, "--", 2) == 0)
                        hbctl_usage_error(cmd, "option '%s' needs an argument",
                                          arg);
                else
                        hbctl_usage_error(cmd, "option '-%c' needs an argument",
                                          optopt);
        } else if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=')) {
                hbctl_usage_error(cmd, "option '%.*s' takes no argument",
                                  (int)(strchr(arg, '=') - arg), arg);
        } else if (strncmp(arg, "--", 2) == 0) {
                hbctl_usage_error(cmd, "unknown option '%s'", arg);
        } else {
                hbctl_usage_error(cmd, "unknown option '-%c'", optopt);
        }
        return '?';
}

int hbctl_parse_json_only(int argc, char **argv, bool *json)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;

        *json = false;
        while ((c = hbctl_getopt(argv[0], argc, argv, ":jh", opts)) != -1) {
                switch (c) {
                case 'j':
                        *json = true;
                        break;
                case 'h':
                        return hbctl_cmd_help(argv[0]);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind < argc)
                return hbctl_usage_error(argv[0], "unexpected argument '%s'",
                                         argv[optind]);
        return -1;
}

int hbctl_query(hbctl_ctx_t *ctx, int argc, char **argv, const char *cmd,
                void (*print)(const json_t *resp),
                int (*judge)(const json_t *resp))
{
        json_t *resp = NULL;
        bool json;
        int status;

        status = hbctl_parse_json_only(argc, argv, &json);
        if (status >= 0)
                return status;
        status = hbctl_call(ctx, cmd, NULL, &resp);
        if (status != HBCTL_EXIT_OK)
                return status;
        if (json)
                status = hbctl_json_print(resp, true);
        else
                print(resp);
        if (status == HBCTL_EXIT_OK && judge)
                status = judge(resp);
        json_decref(resp);
        return hbctl_finish_stdout(status);
}

static void print_cmd_help(const hbctl_cmd_t *c, FILE *f)
{
        fprintf(f, "Usage: hbeatctl [GLOBAL OPTIONS] %s%s%s\n\n%c%s.\n",
                c->name, c->synopsis[0] ? " " : "", c->synopsis,
                toupper((unsigned char)c->description[0]),
                c->description + 1);
        fputs("\nOptions:\n", f);
        if (c->options)
                fputs(c->options, f);
        fputs("  -h, --help     show this help\n", f);
}

int hbctl_cmd_help(const char *cmd)
{
        const hbctl_cmd_t *c = find_command(cmd);

        if (!c)
                return hbctl_usage_error(NULL, "unknown command '%s'", cmd);
        print_cmd_help(c, stdout);
        return hbctl_finish_stdout(HBCTL_EXIT_OK);
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: hbeatctl [OPTIONS] COMMAND [ARGS]\n"
                "\n"
                "Query and control a running hbeatd, record traces, suggest "
                "timeouts,\ngenerate keys and check configs.\n"
                "\n"
                "Options:\n"
                "  -s, --socket PATH  control socket of hbeatd (default: "
                "$HBEAT_SOCKET,\n"
                "                     else %s)\n"
                "  -c, --config FILE  use the control.socket of config FILE\n"
                "  -h, --help         show this help\n"
                "  -V, --version      show the version\n"
                "\n"
                "Commands:\n",
                HBP_DEFAULT_SOCKET);
        for (size_t i = 0; i < N_COMMANDS; i++)
                fprintf(f, "  %-13s %s\n", commands[i].name,
                        commands[i].description);
        fputs("\nRun 'hbeatctl help COMMAND' for the options of a command.\n",
              f);
}

static int cmd_help(hbctl_ctx_t *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;

        while ((c = hbctl_getopt(argv[0], argc, argv, ":h", opts)) != -1) {
                if (c == 'h')
                        return hbctl_cmd_help(argv[0]);
                return HBCTL_EXIT_USAGE;
        }
        if (argc - optind > 1)
                return hbctl_usage_error(argv[0], "too many arguments");
        if (optind == argc) {
                usage(stdout);
                return hbctl_finish_stdout(HBCTL_EXIT_OK);
        }
        return hbctl_cmd_help(argv[optind]);
}

const char *hbctl_socket_path(hbctl_ctx_t *ctx)
{
        const char *env;

        if (ctx->socket_path)
                return ctx->socket_path;
        if (ctx->arg_socket)
                return ctx->arg_socket;
        if (ctx->arg_config) {
                char err[1024];
                hbd_config_t *cfg = NULL;
                int r;

                /* The loader reads the key file too, so libsodium first. */
                if (hb_wire_init() < 0) {
                        hbctl_err("cannot initialise libsodium");
                        return NULL;
                }
                r = hbd_config_load_flags(&cfg, ctx->arg_config,
                                          HBD_CONFIG_NO_KEY, err,
                                          sizeof(err));
                if (r < 0) {
                        hbctl_err("%s", err);
                        return NULL;
                }
                ctx->socket_path = strdup(cfg->control_socket);
                hbd_config_free(cfg);
                if (!ctx->socket_path)
                        hbctl_err("out of memory");
                return ctx->socket_path;
        }
        env = getenv("HBEAT_SOCKET");
        if (env && env[0])
                return env;
        return HBP_DEFAULT_SOCKET;
}

const char *hbctl_dur(uint64_t ns, char buf[static HBCTL_DUR_LEN])
{
        hbu_format_duration_ns(ns, buf, HBCTL_DUR_LEN);
        return buf;
}

int hbctl_finish_stdout(int status)
{
        if (fflush(stdout) != 0 || ferror(stdout)) {
                hbctl_err("cannot write to standard output: %s",
                          strerror(errno));
                return HBCTL_EXIT_FAIL;
        }
        return status;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' },
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { 0 },
        };
        hbctl_ctx_t ctx = { 0 };
        const hbctl_cmd_t *cmd;
        int c, status;

        /* '+': stop at the command name; its options are its own. */
        while ((c = hbctl_getopt(NULL, argc, argv, "+:s:c:hV", opts)) != -1) {
                switch (c) {
                case 's':
                        ctx.arg_socket = optarg;
                        break;
                case 'c':
                        ctx.arg_config = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return hbctl_finish_stdout(HBCTL_EXIT_OK);
                case 'V':
                        printf("hbeatctl %s\n", HB_VERSION_STRING);
                        return hbctl_finish_stdout(HBCTL_EXIT_OK);
                default:
                        return HBCTL_EXIT_USAGE;
                }
        }
        if (optind == argc) {
                hbctl_err("no command given");
                usage(stderr);
                return HBCTL_EXIT_USAGE;
        }
        cmd = find_command(argv[optind]);
        if (!cmd)
                return hbctl_usage_error(NULL, "unknown command '%s'",
                                         argv[optind]);

        argc -= optind;
        argv += optind;
        optind = 0; /* glibc: full re-initialisation for the command */
        status = cmd->fn(&ctx, argc, argv);
        free(ctx.socket_path);
        return status;
}
