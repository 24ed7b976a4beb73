/* SPDX-License-Identifier: MIT */
/*
 * gzip without zlib, for the analysis-only build (libc + libzstd): one
 * gzip member (RFC 1952: header, deflate data, CRC-32, ISIZE) whose
 * deflate stream (RFC 1951) is made of fixed-Huffman blocks fed by a
 * hash-chain LZ77 match finder, or stored blocks where those would be
 * bigger (incompressible input grows by 5 bytes per 64 KiB, not 12%).
 * Any inflater reads it (gzip -d, zlib, Go's compress/gzip). It
 * compresses worse than zlib's dynamic Huffman blocks (typically 10-30%
 * bigger) and needs no tables beyond the fixed ones.
 */
#ifndef TREC_GZWRITE_H
#define TREC_GZWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* CRC-32 (ISO 3309, gzip's): crc = gz_crc32(0, p, n), or chained. */
uint32_t gz_crc32(uint32_t crc, const void *p, size_t n);

/* Appends a whole gzip member holding in[0..n) to out. 0, or -ENOMEM
 * (out's oom is set too). */
int gz_compress(const void *in, size_t n, struct tbuf *out);

#endif
