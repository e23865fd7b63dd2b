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
        cmocka_unit_test(test_same_bytes_as_sync_writer),
        cmocka_unit_test(test_write_error_reported),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_lone_event_reaches_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
