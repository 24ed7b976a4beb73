/* SPDX-License-Identifier: MIT */
/*
 * An event's call chain as `trec script` prints it under the event:
 * perf script's frame lines in text, a "frames" array in JSON. Frames are
 * named by the symbolizer of the event's file (symbolize.h), leaf first,
 * kernel frames before user ones.
 */
#ifndef TREC_REPORT_SCRIPT_STACK_H
#define TREC_REPORT_SCRIPT_STACK_H

#include <stdint.h>

#include "json.h"
#include "outbuf.h"
#include "reader.h"
#include "symbolize.h"

/*
 * Text: one line per frame, "\t%16x SYM+0xOFF (DSO)" as perf script
 * prints them ("[unknown]" where nothing names the frame), then a blank
 * line. st NULL (the file does not hold the event's stack): one unknown
 * frame, so the event still reads as one with a stack. no_kernel, no_user
 * leave out those frames.
 */
void script_stack_text(struct outbuf *o, struct symbolizer *sym, const struct trec_event *ev,
		       const struct trec_stack *st, int no_kernel, int no_user);

/* JSON: the value of "frames", an array of {"ip", "sym", "offset", "dso",
 * "kernel"} ("sym" and "dso" null where unknown); [] when st is NULL. */
void script_stack_json(struct json *j, struct symbolizer *sym, const struct trec_event *ev,
		       const struct trec_stack *st, int no_kernel, int no_user);

#endif
