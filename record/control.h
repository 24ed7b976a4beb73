/* SPDX-License-Identifier: MIT */
/*
 * --control fifo:CTL[,ACK]: commands read line by line from a FIFO, as
 * perf record's control FIFO. Commands: "snapshot" (a flight recorder
 * snapshot, --overwrite) and "stop" (end the recording); each is answered
 * "ack\n" on ACK, if given, once it is done (a snapshot: once its file is
 * complete), so a script can wait for it. Unknown commands are answered
 * "error: ...\n" and otherwise ignored.
 *
 * Both FIFOs must exist (mkfifo). They are opened read-write, so that the
 * recorder never sees end-of-file when a writer goes away and never blocks
 * on an ACK nobody reads (a reply that does not fit is dropped).
 */
#ifndef TREC_RECORD_CONTROL_H
#define TREC_RECORD_CONTROL_H

#include "errors.h"

enum control_cmd { CONTROL_NONE = 0, CONTROL_SNAPSHOT, CONTROL_STOP };

struct control;

/* spec: "fifo:CTL[,ACK]". */
int control_open(struct control **out, const char *spec, struct trec_err *err);
/* Over open fds (non-blocking; ack_fd may be -1), owned from here on:
 * for tests and the fuzz target. */
int control_fdopen(struct control **out, int fd, int ack_fd);
/* The fd to poll for commands. */
int control_fd(const struct control *c);
/* The next complete command line read so far, CONTROL_NONE when there is
 * none; reads what the FIFO holds first. */
enum control_cmd control_next(struct control *c);
/* Replies "ack\n" (or "error: MSG\n" when msg is not NULL). */
void control_ack(struct control *c, const char *msg);
void control_close(struct control *c);

#endif
