/* SPDX-License-Identifier: MIT */
/* stub: hbeat-sim trace, being written */
#include <stdio.h>

#include "sim/cmd.h"

int hbsim_cmd_trace(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "hbeat-sim trace: not implemented yet\n");
        return 1;
}
