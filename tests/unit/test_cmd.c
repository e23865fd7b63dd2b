/* test_cmd.c - the one command table (debugger/cmd.c): every name and
 * alias finds its own command, prefixes and ambiguity, /FMT suffixes, and
 * the generated reference names every command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "debugger/cmd.h"

static const struct dbg_cmd *find(const char *line, const char **rest, char *fmt)
{
    char err[160];
    return cmd_find(line, rest, fmt, 32, err, sizeof(err));
}

/* Call @fn for every name of every command ("info_b" -> "info b"). */
static void each_name(void (*fn)(const struct dbg_cmd *d, const char *name))
{
    for (unsigned i = 0; i < dbg_ncmds; i++) {
        const struct dbg_cmd *d = &dbg_cmds[i];
        fn(d, d->name);
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", d->aliases);
        for (char *save = NULL, *a = strtok_r(buf, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
            for (char *p = a; *p; p++)
                if (*p == '_')
                    *p = ' ';
            fn(d, a);
        }
    }
}

static void resolves_to_self(const struct dbg_cmd *d, const char *name)
{
    const char *rest;
    char fmt[32];
    const struct dbg_cmd *got = find(name, &rest, fmt);
    if (got != d)
        fail_msg("'%s' resolves to %s, not %s", name, got ? got->name : "nothing", d->name);
    assert_string_equal(rest, "");
}

static void test_every_name_resolves(void **state)
{
    (void)state;
    assert_true(dbg_ncmds > 30);
    each_name(resolves_to_self);
}

static void test_table_complete(void **state)
{
    (void)state;
    for (unsigned i = 0; i < dbg_ncmds; i++) {
        const struct dbg_cmd *d = &dbg_cmds[i];
        assert_non_null(d->run);
        assert_non_null(d->args);
        assert_true(d->help && d->help[0]);
        assert_true((unsigned)d->group < CG_COUNT);
        for (unsigned k = i + 1; k < dbg_ncmds; k++)
            if (!strcmp(d->name, dbg_cmds[k].name))
                fail_msg("%s twice", d->name);
    }
}

static void test_gdb_bochs_qemu_names(void **state)
{
    static const char *const want[][2] = {
        { "stepi", "stepi" }, { "si", "stepi" }, { "step", "stepi" }, { "next", "nexti" },
        { "n", "nexti" }, { "finish", "finish" }, { "until", "until" }, { "advance", "advance" },
        { "c", "continue" }, { "b", "break" }, { "tbreak", "tbreak" }, { "pb", "pbreak" },
        { "watch", "watch" }, { "rwatch", "rwatch" }, { "awatch", "awatch" },
        { "info b", "info breakpoints" }, { "info tab", "info tab" }, { "info mem", "info tab" },
        { "info tlb", "info tab" }, { "page", "pagewalk" }, { "xp", "xp" }, { "x", "x" },
        { "info gdt", "info gdt" }, { "info idt", "info idt" }, { "creg", "creg" },
        { "sreg", "sreg" }, { "info mtree", "info mtree" }, { "bt", "backtrace" },
        { "info r", "info registers" }, { "i r", "info registers" }, { "p", "print" },
        { "info device", "info device" }, { "info vms", "info vms" }, { "catch", "catch" },
        { "source", "source" }, { "help", "help" }, { "q", "quit" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *rest;
        char fmt[32];
        const struct dbg_cmd *d = find(want[i][0], &rest, fmt);
        if (!d || strcmp(d->name, want[i][1]))
            fail_msg("'%s' -> %s, wanted %s", want[i][0], d ? d->name : "nothing", want[i][1]);
    }
}

static void test_prefixes(void **state)
{
    const char *rest;
    char fmt[32], err[160];
    (void)state;

    assert_string_equal(find("cont", &rest, fmt)->name, "continue");
    assert_string_equal(find("info reg rax", &rest, fmt)->name, "info registers");
    assert_string_equal(rest, "rax");
    assert_string_equal(find("info break", &rest, fmt)->name, "info breakpoints");
    assert_string_equal(find("disas 0x7c00 4", &rest, fmt)->name, "disassemble");
    assert_string_equal(rest, "0x7c00 4");
    assert_null(cmd_find("di", &rest, fmt, sizeof(fmt), err, sizeof(err)));   /* disable, display... */
    assert_non_null(strstr(err, "ambiguous"));
    assert_null(cmd_find("frobnicate", &rest, fmt, sizeof(fmt), err, sizeof(err)));
    assert_non_null(strstr(err, "undefined command"));
    assert_null(cmd_find("", &rest, fmt, sizeof(fmt), err, sizeof(err)));
}

static void test_formats(void **state)
{
    const char *rest;
    char fmt[32], err[160];
    (void)state;

    assert_string_equal(find("x/4xw $esp", &rest, fmt)->name, "x");
    assert_string_equal(fmt, "4xw");
    assert_string_equal(rest, "$esp");
    assert_string_equal(find("p/x 1+1", &rest, fmt)->name, "print");
    assert_string_equal(fmt, "x");
    assert_string_equal(rest, "1+1");
    assert_string_equal(find("xp/2gx 0", &rest, fmt)->name, "xp");
    assert_string_equal(fmt, "2gx");
    assert_string_equal(find("disassemble/16 0x7c00", &rest, fmt)->name, "disassemble");
    assert_string_equal(fmt, "16");
    assert_null(cmd_find("stepi/3", &rest, fmt, sizeof(fmt), err, sizeof(err)));
    assert_non_null(strstr(err, "FORMAT"));
}

static void test_markdown(void **state)
{
    struct dbg_outbuf b;
    (void)state;

    dbg_outbuf_init(&b);
    cmd_write_markdown(&b.out);
    assert_false(b.oom);
    for (unsigned i = 0; i < dbg_ncmds; i++) {
        char head[96];
        snprintf(head, sizeof(head), "\n### `%s", dbg_cmds[i].name);
        if (!strstr(b.text, head))
            fail_msg("reference lacks %s", dbg_cmds[i].name);
    }
    for (int g = 0; g < CG_COUNT; g++)
        assert_non_null(strstr(b.text, cmd_group_names[g]));
    assert_non_null(strstr(b.text, "`info mem`"));
    dbg_outbuf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_name_resolves),
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_gdb_bochs_qemu_names),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
