/* SPDX-License-Identifier: MIT */
/*
 * Entry points of the analysis subcommands, called by cli/main.c with
 * argv[0] set to "trec CMD" (so getopt's own messages name the command).
 * Each returns a process exit code (cli_util.h).
 */
#ifndef TREC_COMMANDS_H
#define TREC_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_script(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
