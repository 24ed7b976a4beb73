/* faulter: touches fresh pages in two functions, 3:1. */
#include <stdlib.h>
#include <sys/mman.h>
__attribute__((noinline)) static void touch(char *p, size_t n) { for (size_t i = 0; i < n; i += 4096) p[i] = 1; }
__attribute__((noinline)) static void touch_a(size_t n) { char *p = mmap(0, n, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); touch(p, n); }
__attribute__((noinline)) static void touch_b(size_t n) { char *p = mmap(0, n, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); touch(p, n); }
int main(int argc, char **argv) { size_t mb = argc > 1 ? strtoul(argv[1], 0, 10) : 64; for (int i = 0; i < 4; i++) { touch_a(mb << 18); if (i == 0) touch_b(mb << 18); else touch_a(0); } return 0; }
