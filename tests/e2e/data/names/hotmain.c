/* names.t: runs libhot.so's hot_run for argv[1] seconds. */
#include <stdio.h>
#include <stdlib.h>

double hot_run(double secs);

int main(int argc, char **argv)
{
	printf("%f\n", hot_run(argc > 1 ? atof(argv[1]) : 1.0));
	return 0;
}
