/* SPDX-License-Identifier: MIT */
/* libnofp_leaf.so: one path of nofp_c's call tree in a stripped shared library. */
#ifndef NOFP_LEAF_H
#define NOFP_LEAF_H

typedef unsigned long (*nofp_spin_fn)(unsigned long iters);

/* Calls leaf_c3 > leaf_c4 (static in the library) > spin(iters). */
unsigned long nofp_leaf_c2(nofp_spin_fn spin, unsigned long iters);

#endif
