/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "stack_agg.h"

int stack_agg_grow(struct stack_agg_tab *t)
{
	uint32_t n = t->slot ? (t->mask + 1) * 2 : 4096;
	if (!n)
		return -ENOMEM;
	struct stack_agg *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; t->slot && i <= t->mask; i++) {
		if (!t->slot[i].events)
			continue;
		uint32_t k = (uint32_t)ktab_hash(&t->slot[i].k, sizeof(t->slot[i].k)) & (n - 1);
		while (s[k].events)
			k = (k + 1) & (n - 1);
		s[k] = t->slot[i];
	}
	free(t->slot);
	t->slot = s;
	t->mask = n - 1;
	t->last = 0;
	return 0;
}

void stack_agg_free(struct stack_agg_tab *t)
{
	free(t->slot);
	*t = (struct stack_agg_tab){ 0 };
}
