/* SPDX-License-Identifier: MIT */
/*
 * libbpf's messages, into the program's one log sink (lib/errors.h):
 * libbpf's warnings are its own account of a failure that trec reports in
 * its own words, so they arrive as TREC_DEBUG (shown when the front end
 * asks for debug output: TREC_BPF_DEBUG=1); its info and debug chatter is
 * dropped. Installed once, for the whole process.
 */
#ifndef TREC_RECORD_BPF_LOG_H
#define TREC_RECORD_BPF_LOG_H

void rec_bpf_log_install(void);

#endif
