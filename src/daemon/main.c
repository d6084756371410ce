/* SPDX-License-Identifier: MIT */
/*
 * hbeatd: command line, config load, run.
 *
 *   hbeatd -c FILE [--log-format human|json] [--log-level LEVEL]
 *
 * Exit status: 0 clean shutdown, 1 runtime failure, 2 bad config or usage.
 * Everything else is in daemon.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: hbeatd -c FILE [OPTIONS]\n"
                "Heartbeat failure detector daemon: runs one node of an "
                "hbeat cluster.\n"
                "\n"
                "  -c, --config FILE          configuration file (YAML), "
                "required\n"
                "      --log-format FORMAT    human (default) or json\n"
                "      --log-level LEVEL      debug, info (default), "
                "warning or error\n"
                "  -V, --version              print the version and exit\n"
                "  -h, --help                 print this help and exit\n"
                "\n"
                "Signals: SIGHUP reloads the configuration; SIGTERM and "
                "SIGINT leave the\n"
                "cluster and stop. Exit status: 0 clean shutdown, 1 runtime "
                "failure,\n"
                "2 bad configuration or usage. See hbeatd(8).\n");
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "log-format", required_argument, NULL, 'F' },
                { "log-level", required_argument, NULL, 'L' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        hbd_options_t opts = {
                .config_path = NULL,
                .log_format = HBD_LOG_HUMAN,
                .log_level = HBD_LOG_INFO,
        };
        hbd_config_t *cfg = NULL;
        char err[1024];
        int c, r;

        while ((c = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        opts.config_path = optarg;
                        break;
                case 'F':
                        if (hbd_log_format_parse(optarg,
                                                 &opts.log_format) < 0) {
                                fprintf(stderr, "hbeatd: --log-format must "
                                        "be human or json, not '%s'\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'L':
                        if (hbd_log_level_parse(optarg,
                                                &opts.log_level) < 0) {
                                fprintf(stderr, "hbeatd: --log-level must "
                                        "be debug, info, warning or error, "
                                        "not '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'V':
                        printf("hbeatd %s\n", HB_VERSION_STRING);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "hbeatd: unexpected argument '%s'\n",
                        argv[optind]);
                usage(stderr);
                return EXIT_USAGE;
        }
        if (opts.config_path == NULL) {
                fprintf(stderr, "hbeatd: -c FILE is required\n");
                usage(stderr);
                return EXIT_USAGE;
        }

        r = hbd_config_load(&cfg, opts.config_path, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "%s\n", err);
                return r == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
        }

        /* A control client that hangs up must not kill the daemon with
         * SIGPIPE; writes report EPIPE instead. (libuv resets dispositions
         * in spawned notify scripts.) */
        signal(SIGPIPE, SIG_IGN);

        return hbd_run(cfg, &opts);
}
