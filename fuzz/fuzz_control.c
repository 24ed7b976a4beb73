/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the control FIFO's command lines (record/control.c)
 * on arbitrary bytes, fed through a pipe in pieces whose sizes come from
 * the input (byte 0), as a writer on the other end of the FIFO would.
 *
 * Beyond "no crash, no leak, no hang": every command returned is one of
 * the enum's, and never more commands than the input has newlines.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t piece = 1 + data[0] % 97;
	data++;
	size--;
	int in[2], ack[2];
	if (pipe2(in, O_NONBLOCK | O_CLOEXEC))
		return 0;
	if (pipe2(ack, O_NONBLOCK | O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return 0;
	}
	struct control *c;
	if (control_fdopen(&c, in[0], ack[1])) {
		close(in[0]);
		close(in[1]);
		close(ack[0]);
		close(ack[1]);
		return 0;
	}
	size_t newlines = 0, commands = 0;
	for (size_t i = 0; i < size; i++)
		newlines += data[i] == '\n';
	char sink[4096];
	for (size_t at = 0; at < size;) {
		size_t n = size - at < piece ? size - at : piece;
		ssize_t w = write(in[1], data + at, n);
		if (w <= 0)
			abort(); /* the loop below empties the pipe each time */
		at += (size_t)w;
		enum control_cmd cmd;
		while ((cmd = control_next(c)) != CONTROL_NONE) {
			if (cmd != CONTROL_SNAPSHOT && cmd != CONTROL_STOP)
				abort();
			commands++;
		}
		while (read(ack[0], sink, sizeof(sink)) > 0)
			;
	}
	if (commands > newlines)
		abort();
	control_close(c);
	close(in[1]);
	close(ack[0]);
	return 0;
}
