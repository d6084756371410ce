/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim: the simulator and detector-science toolbox.
 *
 *   hbeat-sim run    simulate a cluster on a virtual clock (cmd_run.c)
 *   hbeat-sim trace  generate an arrival trace (cmd_trace.c)
 *   hbeat-sim eval   replay a trace through detectors: QoS metrics,
 *                    sweeps, plots (cmd_eval.c)
 */
#include <stdio.h>
#include <string.h>

#include "hbeat/hbeat.h"
#include "sim/cmd.h"

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *help;
} cmds[] = {
        { "run", hbsim_cmd_run, "simulate a cluster (deterministic, seeded)" },
        { "trace", hbsim_cmd_trace, "generate an arrival trace (CSV)" },
        { "eval", hbsim_cmd_eval, "replay a trace through detectors: QoS "
                                  "metrics, sweeps, plots" },
};

static void usage(FILE *f)
{
        fprintf(f, "usage: hbeat-sim COMMAND [options]   "
                   "(hbeat-sim COMMAND --help for each)\n\ncommands:\n");
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
                fprintf(f, "  %-6s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
                printf("hbeat-sim %s\n", HB_VERSION_STRING);
                return 0;
        }
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
                if (strcmp(argv[1], cmds[i].name) == 0)
                        return cmds[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "hbeat-sim: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
