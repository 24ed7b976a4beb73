/* SPDX-License-Identifier: MIT */
/*
 * Making a cut or damaged trace whole again, in place: keep every complete
 * block whose checksum holds, cut what follows the last one, and write a
 * fresh footer index and trailer.
 */
#ifndef TREC_RECOVER_H
#define TREC_RECOVER_H

#include <stdint.h>

#include "errors.h"

struct trec_recover_result {
	uint32_t blocks_kept;  /* complete, checked blocks now in the index */
	uint32_t blocks_bad;   /* blocks left out of the index (failed checks) */
	uint64_t old_size;
	uint64_t new_size;
	uint64_t cut_at;       /* offset where the file was cut before the footer */
	int was_whole;         /* the file already had a valid footer: nothing done */
};

int trec_recover(const char *path, struct trec_recover_result *res, struct trec_err *err);

#endif
