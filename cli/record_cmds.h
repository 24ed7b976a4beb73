/* SPDX-License-Identifier: MIT */
/* Entry points of the recorder's subcommands (full build only). */
#ifndef TREC_RECORD_CMDS_H
#define TREC_RECORD_CMDS_H

int cmd_record(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
