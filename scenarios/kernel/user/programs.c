/* programs.c - the user processes.  Each computes something whose result
 * does not depend on timing, writes it, waits until it has been preempted
 * a few times, and exits.  All run at the same virtual addresses; each has
 * its own copy of `owner` (a private data page). */
#include "ulib.h"

int prog_primes(void);
int prog_wc(void);
int prog_collatz(void);
int prog_bad(void);

static volatile int owner;         /* .bss: one per address space */
static volatile int yields = 3;            /* .data: copied into each process */

static void claim(void)
{
	owner = getpid();
}

static void check_private(void)
{
	printf("my data page at %p still says pid %d\n", (void *)&owner, owner);
}

/* Count the primes below 30000 by trial division. */
int prog_primes(void)
{
	int count = 0;

	claim();
	for (int n = 2; n < 30000; n++) {
		int prime = 1;

		for (int d = 2; d * d <= n; d++)
			if (n % d == 0) {
				prime = 0;
				break;
			}
		count += prime;
	}
	printf("primes below 30000: %d\n", count);
	wait_preempted(MIN_UTICKS);
	check_private();
	return 0;
}

/* Read numbers.txt from the file system; count lines, words, bytes, and
 * sum the numbers in it. */
int prog_wc(void)
{
	static char buf[2048];
	int lines = 0, words = 0, sum = 0, cur = 0, inword = 0;

	claim();
	int n = readfile("numbers.txt", buf, sizeof buf);
	if (n < 0) {
		printf("cannot read numbers.txt\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n')
			lines++;
		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (c - '0');
		} else {
			sum += cur;
			cur = 0;
		}
		if (c == ' ' || c == '\n' || c == '\t')
			inword = 0;
		else if (!inword) {
			inword = 1;
			words++;
		}
	}
	sum += cur;
	printf("numbers.txt: %d lines, %d words, %d bytes, sum %d\n",
	       lines, words, n, sum);
	printf("readfile(\"nope\") = %d\n", readfile("nope", buf, sizeof buf));
	wait_preempted(MIN_UTICKS);
	check_private();
	return 0;
}

/* The start below 20000 with the longest Collatz chain. */
int prog_collatz(void)
{
	int best = 1, best_len = 1;

	claim();
	for (int s = 1; s < 20000; s++) {
		uint32_t x = (uint32_t)s;
		int len = 1;

		while (x != 1) {
			x = (x & 1) ? 3 * x + 1 : x / 2;
			len++;
		}
		if (len > best_len) {
			best_len = len;
			best = s;
		}
	}
	printf("longest Collatz chain below 20000: %d (%d steps)\n", best, best_len);
	for (int i = 0; i < yields; i++)
		yield();
	printf("yielded %d times\n", yields);
	wait_preempted(MIN_UTICKS);
	check_private();
	return 7;
}

/* Misbehave: hand the kernel a kernel pointer, then write to kernel
 * memory.  The first is refused (-1), the second kills us with #PF. */
int prog_bad(void)
{
	claim();
	printf("write(kernel address) = %d\n", write((void *)0x10000, 16));
	printf("now writing to 0x10000\n");
	*(volatile int *)0x10000 = 1;
	printf("not reached\n");
	return 0;
}
