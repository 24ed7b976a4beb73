/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What ksym_name.bpf.c and record/ksym_bpf.c share: one slot per kernel
 * address to name. KSYM_NAME_TEXT holds "name+0xOFF/0xSIZE [module]" for
 * names up to the kernel's usual length; longer text is cut, which the
 * reader sees (len >= KSYM_NAME_TEXT) and answers from kallsyms instead.
 */
#ifndef TREC_KSYM_NAME_ABI_H
#define TREC_KSYM_NAME_ABI_H

#define KSYM_NAME_BATCH 512
#define KSYM_NAME_TEXT 240

struct ksym_slot {
	__u64 addr;
	__s64 len; /* bpf_snprintf's return: the text's length + 1, or -errno */
	char text[KSYM_NAME_TEXT];
};

#endif
