/* bench_raw.c - raw Unicorn running a benchmark boot sector with no hooks.
 *
 *   bench_raw IMG1 IMG2 INSNS1 INSNS2 [hook]  -> prints MIPS of the difference
 *
 * With "hook", an empty UC_HOOK_BLOCK callback is added: what any engine
 * that counts blocks pays Unicorn before doing anything in the hook.
 *
 * The images are tests/bench/loops.S assembled with two iteration counts;
 * each runs in real mode from 0x7C00 to the debug-exit sequence
 * (mov $0,%al; out %al,$0xf4), which is not executed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#define RAM_SIZE (1u << 20)
#define LOAD 0x7C00u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds to run @path, or a negative value on error. */
static volatile uint64_t blocks;

static void empty_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
    (void)uc; (void)addr; (void)size; (void)opaque;
    blocks++;
}

static double run(const char *path, int hook)
{
    static const uint8_t exit_seq[] = { 0xB0, 0x00, 0xE6, 0xF4 };
    uint8_t img[512];
    FILE *f = fopen(path, "rb");
    if (!f || fread(img, 1, sizeof(img), f) != sizeof(img)) {
        fprintf(stderr, "bench_raw: %s: cannot read 512 bytes\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    uint64_t until = 0;
    for (unsigned i = 0; i + sizeof(exit_seq) <= sizeof(img); i++)
        if (!memcmp(img + i, exit_seq, sizeof(exit_seq)))
            until = LOAD + i;
    uc_engine *uc;
    if (!until || uc_open(UC_ARCH_X86, UC_MODE_16, &uc) != UC_ERR_OK)
        return -1;
    uc_ctl_set_tcg_buffer_size(uc, 32u << 20);
    uc_mem_map(uc, 0, RAM_SIZE, UC_PROT_ALL);
    uc_mem_write(uc, LOAD, img, sizeof(img));
    uc_hook h;
    if (hook && uc_hook_add(uc, &h, UC_HOOK_BLOCK, (void *)empty_hook, NULL, 1, 0) != UC_ERR_OK) {
        uc_close(uc);
        return -1;
    }
    double t0 = now();
    uc_err err = uc_emu_start(uc, LOAD, until, 0, 0);
    double t = now() - t0;
    uc_close(uc);
    if (err != UC_ERR_OK) {
        fprintf(stderr, "bench_raw: %s: %s\n", path, uc_strerror(err));
        return -1;
    }
    return t;
}

int main(int argc, char **argv)
{
    if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "hook"))) {
        fprintf(stderr, "usage: bench_raw IMG1 IMG2 INSNS1 INSNS2 [hook]\n");
        return 2;
    }
    int hook = argc == 6;
    double t1 = run(argv[1], hook), t2 = run(argv[2], hook);
    if (t1 < 0 || t2 < 0 || t2 <= t1)
        return 1;
    double insns = strtod(argv[4], NULL) - strtod(argv[3], NULL);
    printf("%.0f\n", insns / (t2 - t1) / 1e6);
    return 0;
}
