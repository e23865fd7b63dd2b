/* test_tracew.c - the threaded JSON Lines trace writer: the file is the
 * synchronous writer's, byte for byte, whatever the queue does (wraps,
 * waits); write errors are reported, never a hang; a lone event reaches
 * the file while the run goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "machine/err.h"
#include "machine/event.h"
#include "machine/tracew.h"

/* Event @i of a deterministic mix of kinds, with and without text
 * (quotes, control bytes and bytes >= 0x80 to escape). */
static void make_event(struct event *e, uint64_t i)
{
    static const char *const texts[] = { "", "unassigned", "uart0 THR <- 'A' \"q\"\\",
                                         "tab\there\x01\x7f\xc3\xa9", "" };
    memset(e, 0, sizeof(*e));
    e->seq = i;
    e->vtime = i * 37 + (i >> 3);
    e->vm = (uint16_t)(i % 3);
    e->vcpu = i % 5 == 4 ? 0xFFFF : (uint16_t)(i % 2);
    e->kind = (uint8_t)(i % EV_KIND_COUNT);
    e->size = (uint8_t)(1u << (i % 4));
    e->write = (uint8_t)(i & 1);
    e->vector = (uint8_t)(i * 7);
    e->has_error = (uint8_t)(i % 2);
    e->error = (uint32_t)(i * 3);
    e->pcpu = (uint16_t)(i % 2);
    e->rip = 0xFFFFFFFF80000000ull + i;
    e->addr = i * 4096;
    e->value = i % 7 == 0 ? UINT64_MAX : i;
    snprintf(e->text, sizeof(e->text), "%s", texts[i % 5]);
}

/* The stream formatter against ev_format_json(): events drawn from a few
 * templates (so tails repeat and collide in the memo), each template one
 * field away from the first, so a memo that ignored any field would reuse
 * a wrong tail; sequence numbers mostly consecutive, crossing 9 -> 10,
 * 99 -> 100 and jumping (and down) now and then. */
static void test_jwriter_same_bytes(void **state)
{
    enum { NT = 17 };
    struct event t[NT];
    static struct ev_jwriter w;    /* ~20 KiB: not on the stack */
    char a[EV_JSON_MAX], b[EV_JSON_MAX];
    uint64_t rng = 88172645463325252ull, seq = 0;
    int cur = 0;

    (void)state;
    memset(&w, 0, sizeof(w));
    make_event(&t[0], 1);
    t[0].kind = EV_PIO;
    snprintf(t[0].text, sizeof(t[0].text), "uart0");
    for (int i = 1; i < NT; i++)
        t[i] = t[0];
    t[1].kind = EV_MMIO;
    t[2].vm = 2;
    t[3].vcpu = 0xFFFF;
    t[4].size = 4;
    t[5].write = !t[0].write;
    t[6].rip++;
    t[7].addr ^= 1;
    t[8].value++;
    t[9].text[4] = '1';                 /* "uart1" */
    t[10].text[0] = 0;
    t[11].kind = EV_EXCEPTION;
    t[12] = t[11];
    t[12].error++;
    t[13] = t[11];
    t[13].has_error = !t[11].has_error;
    t[14] = t[11];
    t[14].vector = 14;
    t[15].kind = EV_SCHED;
    t[16] = t[15];
    t[16].pcpu = 7;
    for (int i = 0; i < 300000; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        if (rng % 4 == 0)                /* else the last one again, as a poll */
            cur = (int)((rng >> 8) % NT);
        struct event e = t[cur];
        if (rng % 1000 == 0)
            seq = (rng >> 20) % 4 == 0 ? UINT64_MAX - 3 : (rng >> 24) % 2000;
        e.seq = seq++;
        e.vtime = i % 5000 ? (uint64_t)i * 3 : rng;
        size_t n = ev_format_json(a, &e), m = ev_jwriter_format(&w, b, &e);
        assert_int_equal(m, n);
        assert_memory_equal(a, b, n);
    }
    assert_true(w.misses > 1000 && w.misses < 150000);   /* the memo was used, and missed */
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void tmp_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/vms-tracew-%ld.jsonl", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
}

/* 200,000 events (the queue wraps many times): the same bytes as
 * ev_write_json() one by one. */
static void test_same_bytes_as_sync_writer(void **state)
{
    enum { N = 200000 };
    char path[256], ref[300];
    struct tracew *t;
    struct tracew_stats st;
    struct event e;

    (void)state;
    tmp_path(path, sizeof(path));
    snprintf(ref, sizeof(ref), "%s.ref", path);
    FILE *r = fopen(ref, "w");
    assert_non_null(r);
    assert_int_equal(tracew_open(&t, path), 0);
    struct ev_sink *k = tracew_sink(t);
    for (uint64_t i = 0; i < N; i++) {
        make_event(&e, i);
        k->emit(k->opaque, &e);
        assert_int_equal(ev_write_json(r, &e), 0);
    }
    fclose(r);
    assert_int_equal(tracew_close(t, &st), 0);
    assert_int_equal(st.events, N);

    size_t na, nb;
    char *a = slurp(path, &na), *b = slurp(ref, &nb);
    assert_int_equal(st.bytes, nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    unlink(path);
    unlink(ref);
}

/* A device that is full: the error comes out of tracew_close, and the
 * producer never blocks on a writer that can no longer write. */
static void test_write_error_reported(void **state)
{
    struct tracew *t;
    struct event e;

    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    assert_int_equal(tracew_open(&t, "/dev/full"), 0);
    struct ev_sink *k = tracew_sink(t);
    for (uint64_t i = 0; i < 100000; i++) {
        make_event(&e, i);
        k->emit(k->opaque, &e);
    }
    assert_int_equal(tracew_close(t, NULL), -VMS_ERR_IO);
    assert_non_null(strstr(vms_lasterr(VMS_ERR_IO), "No space"));
}

static void test_open_error(void **state)
{
    struct tracew *t = (struct tracew *)1;

    (void)state;
    assert_int_equal(tracew_open(&t, "/nonexistent-dir/x.jsonl"), -VMS_ERR_IO);
    assert_null(t);
    assert_non_null(strstr(vms_lasterr(VMS_ERR_IO), "/nonexistent-dir/x.jsonl"));
    assert_int_equal(tracew_close(NULL, NULL), 0);
}

/* One event and then silence (a paused debugger session): its line
 * reaches the file without waiting for more events or the close. */
static void test_lone_event_reaches_file(void **state)
{
    char path[256];
    struct tracew *t;
    struct event e;
    size_t n = 0;

    (void)state;
    tmp_path(path, sizeof(path));
    assert_int_equal(tracew_open(&t, path), 0);
    make_event(&e, 1);
    struct ev_sink *k = tracew_sink(t);
    k->emit(k->opaque, &e);
    for (int i = 0; i < 500 && n == 0; i++) {   /* up to 5 s: never a timing assertion */
        nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
        free(slurp(path, &n));
    }
    char line[EV_JSON_MAX];
    assert_int_equal(n, ev_format_json(line, &e));
    assert_int_equal(tracew_close(t, NULL), 0);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwriter_same_bytes),
        cmocka_unit_test(test_same_bytes_as_sync_writer),
        cmocka_unit_test(test_write_error_reported),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_lone_event_reaches_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
