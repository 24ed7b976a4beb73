/* SPDX-License-Identifier: MIT */
/*
 * libnofp_leaf.so: nofp_c's path c continues here, through two static
 * functions, and calls back into the program's spin(). The library is
 * installed stripped (Makefile), so leaf_c3 and leaf_c4 have no symbol in
 * the loaded file: only its debug file (libnofp_leaf.so.debug) or the
 * function starts of its .eh_frame can name them. Built like nofp_c:
 * -O2 -fomit-frame-pointer, noipa, no sibling calls.
 */
#include "nofp_leaf.h"

#define TREE __attribute__((noipa))

static volatile unsigned long leaf_sink;

static TREE unsigned long leaf_c4(nofp_spin_fn spin, unsigned long iters)
{
	unsigned long r = spin(iters);
	leaf_sink += r;
	return r ^ (r >> 7);
}

static TREE unsigned long leaf_c3(nofp_spin_fn spin, unsigned long iters)
{
	unsigned long r = leaf_c4(spin, iters);
	leaf_sink++;
	return r + 3;
}

TREE unsigned long nofp_leaf_c2(nofp_spin_fn spin, unsigned long iters)
{
	unsigned long r = leaf_c3(spin, iters);
	leaf_sink++;
	return r * 5;
}
