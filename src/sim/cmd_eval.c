/* SPDX-License-Identifier: MIT */
/* stub: hbeat-sim eval, being written */
#include <stdio.h>

#include "sim/cmd.h"

int hbsim_cmd_eval(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "hbeat-sim eval: not implemented yet\n");
        return 1;
}
