/* test_symtab.c - symbol table: sorting, lookup rules, nm listings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "machine/symtab.h"

static const char *name_at(const struct symtab *t, uint64_t addr, uint64_t *off)
{
    const struct sym *s = symtab_lookup(t, addr, off);
    return s ? s->name : NULL;
}

static void test_empty(void **state)
{
    (void)state;
    struct symtab t;
    uint64_t a;

    symtab_init(&t);
    assert_null(symtab_lookup(&t, 0x1000, NULL));
    symtab_sort(&t);
    assert_null(symtab_lookup(&t, 0x1000, NULL));
    assert_int_equal(symtab_find(&t, "x", &a), -VMS_ERR_NOTFOUND);
    assert_int_equal(symtab_add(&t, "", 1, 0), -VMS_ERR_INVAL);
    assert_int_equal(symtab_add(&t, NULL, 1, 0), -VMS_ERR_INVAL);
    symtab_fini(&t);
    symtab_fini(NULL);
}

static void test_lookup_rules(void **state)
{
    (void)state;
    struct symtab t;
    uint64_t off = 99, a;

    symtab_init(&t);
    /* added out of order */
    assert_int_equal(symtab_add(&t, "data", 0x5000, 0x10), 0);
    assert_int_equal(symtab_add(&t, "main", 0x1000, 0x100), 0);
    assert_int_equal(symtab_add(&t, ".loop", 0x1040, 0), 0);
    assert_int_equal(symtab_add(&t, "tail", 0x20000, 0), 0);
    assert_int_equal(symtab_add(&t, "alias", 0x1000, 0), 0);
    assert_int_equal(symtab_add(&t, "high", 0xFFFFFFFF80000000ull, 0x40), 0);
    assert_null(symtab_lookup(&t, 0x1000, NULL));    /* not sorted yet */
    symtab_sort(&t);

    assert_null(name_at(&t, 0xFFF, &off));            /* below the first */
    assert_string_equal(name_at(&t, 0x1000, &off), "main"); /* sized wins a tie */
    assert_int_equal(off, 0);
    assert_string_equal(name_at(&t, 0x103F, &off), "main");
    assert_int_equal(off, 0x3F);
    assert_string_equal(name_at(&t, 0x1040, &off), ".loop");   /* nearest below */
    assert_string_equal(name_at(&t, 0x4FFF, &off), ".loop");   /* size unknown: */
    assert_int_equal(off, 0x4FFF - 0x1040);                     /* within 64 KiB */
    assert_null(name_at(&t, 0x1040 + SYMTAB_NEAR_LIMIT, &off)); /* beyond 64 KiB */
    assert_string_equal(name_at(&t, 0x500F, &off), "data");
    assert_null(name_at(&t, 0x5010, &off));           /* past a known size */
    assert_string_equal(name_at(&t, 0x2FFFF, &off), "tail");
    assert_null(name_at(&t, 0x30000, &off));
    assert_string_equal(name_at(&t, 0xFFFFFFFF8000003Full, &off), "high");
    assert_null(name_at(&t, UINT64_MAX, &off));

    assert_int_equal(symtab_find(&t, "data", &a), 0);
    assert_int_equal(a, 0x5000);
    assert_int_equal(symtab_find(&t, "alias", &a), 0);
    assert_int_equal(a, 0x1000);
    assert_int_equal(symtab_find(&t, "nope", &a), -VMS_ERR_NOTFOUND);
    symtab_fini(&t);
    assert_int_equal(t.n, 0);
}

static void test_many(void **state)
{
    (void)state;
    struct symtab t;
    char name[32];
    uint64_t off;

    symtab_init(&t);
    for (unsigned i = 5000; i-- > 0;) {
        snprintf(name, sizeof(name), "f%u", i);
        assert_int_equal(symtab_add(&t, name, 0x100000 + 16ull * i, 16), 0);
    }
    symtab_sort(&t);
    for (unsigned i = 0; i < 5000; i += 7) {
        snprintf(name, sizeof(name), "f%u", i);
        assert_string_equal(name_at(&t, 0x100000 + 16ull * i + 5, &off), name);
        assert_int_equal(off, 5);
    }
    symtab_fini(&t);
}

static void test_parse_nm(void **state)
{
    (void)state;
    struct symtab t;
    uint64_t a, off;
    const char text[] =
        "                 U external\n"
        "0000000000007c00 T _start\r\n"
        "0000000000007c1a t print_loop\n"
        "garbage line without address\n"
        "\n"
        "0000000000007c40 r message\n"
        "0000000000000000 N debug_only\n"
        "ffffffff80100000 T kmain\n"
        "0000000000100000 W weak_fn";                 /* no final newline */

    symtab_init(&t);
    assert_int_equal(symtab_parse_nm(&t, text, sizeof(text) - 1), 5);
    assert_true(t.sorted);
    assert_int_equal(symtab_find(&t, "external", &a), -VMS_ERR_NOTFOUND);
    assert_int_equal(symtab_find(&t, "debug_only", &a), -VMS_ERR_NOTFOUND);
    assert_int_equal(symtab_find(&t, "_start", &a), 0);
    assert_int_equal(a, 0x7C00);
    assert_int_equal(symtab_find(&t, "kmain", &a), 0);
    assert_int_equal(a, 0xFFFFFFFF80100000ull);
    assert_string_equal(name_at(&t, 0x7C20, &off), "print_loop");
    assert_int_equal(off, 6);
    assert_string_equal(name_at(&t, 0x100004, &off), "weak_fn");
    symtab_fini(&t);

    /* a huge unterminated name never overruns */
    size_t n = 10000;
    char *big = malloc(n);
    memset(big, 'A', n);
    memcpy(big, "1000 T ", 7);
    symtab_init(&t);
    assert_true(symtab_parse_nm(&t, big, n) >= 0);
    symtab_fini(&t);
    free(big);
}

static void test_load_nm_file(void **state)
{
    (void)state;
    char path[] = "/tmp/vms-symtab-XXXXXX";
    int fd = mkstemp(path);
    struct symtab t;
    uint64_t a;
    const char text[] = "00001000 T one\n00002000 D two\n";

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    symtab_init(&t);
    assert_int_equal(symtab_load_nm(&t, path), 2);
    assert_int_equal(symtab_find(&t, "two", &a), 0);
    assert_int_equal(a, 0x2000);
    symtab_fini(&t);
    unlink(path);
    assert_int_equal(symtab_load_nm(&t, path), -VMS_ERR_NOTFOUND);
    assert_int_equal(symtab_load_nm(&t, "/tmp"), -VMS_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_lookup_rules),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_parse_nm),
        cmocka_unit_test(test_load_nm_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
