/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim subcommands. Each takes argv with argv[0] = the subcommand's
 * name and returns the process exit status (0 ok, 1 failure, 2 usage).
 */
#ifndef HBSIM_CMD_H
#define HBSIM_CMD_H

int hbsim_cmd_run(int argc, char **argv);   /* cmd_run.c: simulate */
int hbsim_cmd_trace(int argc, char **argv); /* cmd_trace.c: generate */
int hbsim_cmd_eval(int argc, char **argv);  /* cmd_eval.c: QoS replay */

#endif /* HBSIM_CMD_H */
