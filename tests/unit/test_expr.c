/* test_expr.c - the debugger's expression language (debugger/expr.c):
 * numbers in every base, registers, symbols, precedence, dereference with
 * sizes and casts, and every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/expr.h"

static uint8_t mem[64];

static int reg(void *o, const char *name, uint64_t *v)
{
    (void)o;
    if (!strcmp(name, "rax")) { *v = 0x1122334455667788ull; return 0; }
    if (!strcmp(name, "esp")) { *v = 0x10; return 0; }
    if (!strcmp(name, "cr3")) { *v = 0x101000; return 0; }
    return -VMS_ERR_NOTFOUND;
}

static int sym(void *o, const char *name, uint64_t *v)
{
    (void)o;
    if (!strcmp(name, "main")) { *v = 0x7c00; return 0; }
    if (!strcmp(name, "a.b")) { *v = 5; return 0; }
    return -VMS_ERR_NOTFOUND;
}

static int rdmem(void *o, uint64_t addr, unsigned size, uint64_t *v)
{
    (void)o;
    if (addr + size > sizeof(mem))
        return -VMS_ERR_FAULT;
    *v = 0;
    memcpy(v, mem + addr, size);
    return 0;
}

static const struct expr_env env = { .reg = reg, .sym = sym, .mem = rdmem, .word = 4 };

static uint64_t ev(const char *text)
{
    uint64_t v = 0xdeadbeef;
    char err[128];
    int rc = expr_eval(&env, text, &v, err, sizeof(err));
    if (rc != 0)
        fail_msg("'%s': %s", text, err);
    return v;
}

static int ev_err(const char *text, char *err, size_t len)
{
    uint64_t v;
    return expr_eval(&env, text, &v, err, len);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(ev("42"), 42);
    assert_int_equal(ev("0x2a"), 42);
    assert_int_equal(ev("0X2A"), 42);
    assert_int_equal(ev("0o52"), 42);
    assert_int_equal(ev("052"), 42);
    assert_int_equal(ev("0b101010"), 42);
    assert_int_equal(ev("2ah"), 42);
    assert_int_equal(ev("7c00h"), 0x7c00);
    assert_int_equal(ev("0d42"), 42);
    assert_int_equal(ev("0"), 0);
    assert_true(ev("0xffffffffffffffff") == UINT64_MAX);
}

static void test_precedence(void **state)
{
    (void)state;
    assert_int_equal(ev("1 + 2 * 3"), 7);
    assert_int_equal(ev("(1 + 2) * 3"), 9);
    assert_int_equal(ev("10 - 4 - 3"), 3);          /* left associative */
    assert_int_equal(ev("100 / 10 / 5"), 2);
    assert_int_equal(ev("17 % 5"), 2);
    assert_int_equal(ev("1 << 4 + 1"), 32);         /* + binds tighter than << */
    assert_int_equal(ev("0x100 >> 4"), 0x10);
    assert_int_equal(ev("6 & 3"), 2);
    assert_int_equal(ev("6 | 3"), 7);
    assert_int_equal(ev("6 ^ 3"), 5);
    assert_int_equal(ev("1 | 2 & 0"), 1);           /* & before | */
    assert_int_equal(ev("1 == 1 && 2 != 3"), 1);
    assert_int_equal(ev("0 || 5"), 1);
    assert_int_equal(ev("3 < 4"), 1);
    assert_int_equal(ev("4 <= 4"), 1);
    assert_int_equal(ev("5 > 6"), 0);
    assert_int_equal(ev("6 >= 7"), 0);
    assert_true(ev("-1") == UINT64_MAX);
    assert_true(ev("~0") == UINT64_MAX);
    assert_int_equal(ev("!0"), 1);
    assert_int_equal(ev("!5"), 0);
    assert_int_equal(ev("- -3"), 3);
    assert_int_equal(ev("1 << 64"), 0);             /* no UB on wide shifts */
}

static void test_names(void **state)
{
    (void)state;
    assert_true(ev("$rax") == 0x1122334455667788ull);
    assert_int_equal(ev("$cr3 + 0x10"), 0x101010);
    assert_int_equal(ev("main + 5"), 0x7c05);
    assert_int_equal(ev("'a.b'"), 5);
    assert_int_equal(ev("a.b * 2"), 10);
}

static void test_deref(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(mem); i++)
        mem[i] = (uint8_t)i;
    assert_int_equal(ev("*4"), 0x07060504);                 /* word = 4 bytes */
    assert_int_equal(ev("{b}4"), 4);
    assert_int_equal(ev("{h}4"), 0x0504);
    assert_int_equal(ev("{w}4"), 0x07060504);
    assert_true(ev("{g}8") == 0x0f0e0d0c0b0a0908ull);
    assert_int_equal(ev("*(uint8_t *)5"), 5);
    assert_int_equal(ev("*(unsigned short *) 6"), 0x0706);
    assert_int_equal(ev("{char}$esp"), 0x10);
    assert_int_equal(ev("*($esp + 4) & 0xff"), 0x14);
    memcpy(mem + 0x20, (uint8_t[4]){ 0x08, 0, 0, 0 }, 4);  /* a pointer to 8 */
    assert_int_equal(ev("**0x20"), 0x0b0a0908);
    assert_int_equal(ev("*(uint8_t *)*0x20"), 0x08);
}

static void test_errors(void **state)
{
    char err[128];
    (void)state;
    assert_int_equal(ev_err("", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("1 +", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("(1", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_non_null(strstr(err, ")"));
    assert_int_equal(ev_err("1 2", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("0x", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("0b102", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("089", err, sizeof(err)), -VMS_ERR_SYNTAX);   /* not octal */
    assert_int_equal(ev_err("99999999999999999999", err, sizeof(err)), -VMS_ERR_RANGE);
    assert_int_equal(ev_err("$nosuch", err, sizeof(err)), -VMS_ERR_NOTFOUND);
    assert_non_null(strstr(err, "$nosuch"));
    assert_int_equal(ev_err("nosuch + 1", err, sizeof(err)), -VMS_ERR_NOTFOUND);
    assert_int_equal(ev_err("1 / 0", err, sizeof(err)), -VMS_ERR_INVAL);
    assert_int_equal(ev_err("1 % 0", err, sizeof(err)), -VMS_ERR_INVAL);
    assert_int_equal(ev_err("*1000", err, sizeof(err)), -VMS_ERR_FAULT);
    assert_int_equal(ev_err("{q}4", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("'unterminated", err, sizeof(err)), -VMS_ERR_SYNTAX);
    assert_int_equal(ev_err("@", err, sizeof(err)), -VMS_ERR_SYNTAX);
    /* a NULL lookup table is an error, not a crash */
    struct expr_env none = { 0 };
    uint64_t v;
    assert_int_equal(expr_eval(&none, "$rax", &v, err, sizeof(err)), -VMS_ERR_NOTFOUND);
    assert_int_equal(expr_eval(&none, "*0", &v, err, sizeof(err)), -VMS_ERR_FAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_deref),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
