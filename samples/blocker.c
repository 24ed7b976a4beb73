/* SPDX-License-Identifier: MIT */
/*
 * blocker: blocks in named functions for known times, for off-CPU tests.
 *   sleep_here()  sleeps 3 x 100 ms (nanosleep)
 *   wait_pipe()   reads a pipe that a child writes to after 200 ms
 * The system calls are made from inside those functions (inline syscall
 * instructions on x86-64), so the blocking frame is the named function
 * itself rather than a libc wrapper built without frame pointers, and the
 * whole call path main -> sleep_here / wait_pipe is on the stack.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long sys3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(nr, a, b, c);
#endif
}

__attribute__((noinline)) void sleep_here(void)
{
	for (int i = 0; i < 3; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		sys3(SYS_nanosleep, (long)&ts, 0, 0);
	}
}

__attribute__((noinline)) void wait_pipe(int fd)
{
	char c;
	sys3(SYS_read, fd, (long)&c, 1);
}

int main(void)
{
	sleep_here();
	int p[2];
	if (pipe(p))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	wait_pipe(p[0]);
	waitpid(pid, NULL, 0);
	printf("slept 300 ms in sleep_here, waited 200 ms in wait_pipe\n");
	return 0;
}
