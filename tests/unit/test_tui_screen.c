/* test_tui_screen.c - the cell grid, canvases, frames, dumps, text buffer,
 * layouts and the key table (everything of the TUI that needs no guest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/keys.h"
#include "tui/layout.h"
#include "tui/pane.h"
#include "tui/screen.h"
#include "tui/textbuf.h"

static char *row(const struct screen *s, int y)
{
    static char buf[1024];
    char *all = screen_dump_string(s, false), *p = all;

    for (int i = 0; i < y; i++)
        p = strchr(p, '\n') + 1;
    size_t n = strcspn(p, "\n");
    memcpy(buf, p, n);
    buf[n] = '\0';
    free(all);
    return buf;
}

static void test_canvas_clip(void **state)
{
    (void)state;
    struct screen *s;

    assert_int_equal(screen_create(&s, 10, 3, false), 0);
    struct canvas c = canvas_sub(canvas_of(s), (struct rect){ 2, 1, 4, 1 });
    assert_int_equal(cv_text(c, 0, 0, -1, STY_CHANGED, "abcdefgh"), 4);
    cv_text(c, 0, 1, -1, STY_NORMAL, "below");          /* clipped away */
    cv_put(c, -1, 0, 'X', STY_NORMAL);                   /* clipped away */
    assert_string_equal(row(s, 1), "  abcd    ");
    assert_string_equal(row(s, 2), "          ");
    assert_int_equal(screen_at(s, 2, 1)->style, STY_CHANGED);
    assert_int_equal(screen_at(s, 6, 1)->style, STY_NORMAL);
    assert_null(screen_at(s, 10, 0));
    /* a scrolled canvas: origin above the clip */
    struct canvas sc = canvas_sub(c, (struct rect){ 0, -2, 4, 3 });
    cv_text(sc, 0, 2, -1, STY_NORMAL, "WXYZ");
    cv_text(sc, 0, 0, -1, STY_NORMAL, "hidden");
    assert_string_equal(row(s, 1), "  WXYZ    ");
    assert_string_equal(row(s, 0), "          ");
    screen_destroy(s);
}

static void test_unprintable(void **state)
{
    (void)state;
    struct screen *s;

    assert_int_equal(screen_create(&s, 12, 1, true), 0);
    /* ESC, a C1 control, bad UTF-8, a CJK (double width) character */
    cv_text(canvas_of(s), 0, 0, -1, STY_NORMAL, "a\x1b[b\xc2\x9b\xff\xe4\xb8\xad\xc3\xa9\t");
    assert_string_equal(row(s, 0), "a?[b???\xc3\xa9    ");
    assert_int_equal(screen_text_width("\xe2\x94\x80x"), 2);
    screen_destroy(s);
}

static void test_box_ascii_unicode(void **state)
{
    (void)state;
    struct screen *a, *u;

    assert_int_equal(screen_create(&a, 12, 3, false), 0);
    assert_int_equal(screen_create(&u, 12, 3, true), 0);
    cv_box(canvas_of(a), "Regs", STY_FOCUS);
    cv_box(canvas_of(u), "Regs", STY_BORDER);
    assert_string_equal(row(a, 0), "+[Regs]----+");
    assert_string_equal(row(a, 1), "|          |");
    assert_string_equal(row(a, 2), "+----------+");
    assert_string_equal(row(u, 0), "\xe2\x94\x8c\xe2\x94\xa4Regs\xe2\x94\x9c"
                        "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x90");
    assert_int_equal(screen_at(a, 0, 0)->style, STY_FOCUS);
    assert_int_equal(screen_at(u, 3, 0)->style, STY_TITLE);
    screen_destroy(a);
    screen_destroy(u);
}

static void test_dump_styles(void **state)
{
    (void)state;
    struct screen *s;

    assert_int_equal(screen_create(&s, 4, 2, false), 0);
    cv_text(canvas_of(s), 1, 0, -1, STY_ERROR, "E!");
    char *d = screen_dump_string(s, true);
    assert_string_equal(d, " E! \n    \n--\n.EE.\n....\n");
    free(d);
    assert_int_equal(screen_resize(s, 0, 5), -VMS_ERR_INVAL);
    assert_int_equal(s->w, 4);
    assert_int_equal(screen_resize(s, 2, 1), 0);
    assert_string_equal(row(s, 0), "  ");
    screen_destroy(s);
}

/* VGA cells: the attribute in a third grid; a semantic cell written over
 * a VGA cell is no longer one; control code points still show as '?'. */
static void test_dump_vga(void **state)
{
    (void)state;
    struct screen *s;

    assert_int_equal(screen_create(&s, 3, 2, false), 0);
    struct canvas c = canvas_of(s);
    cv_put_vga(c, 0, 0, 'A', 0x1E);
    cv_put_vga(c, 1, 0, 0x1B, 0xCF);
    cv_put_vga(c, 2, 1, 0x2592, 0x07);
    cv_put_vga(c, 5, 5, 'x', 0x07);                 /* clipped */
    char *d = screen_dump_string(s, true);
    assert_string_equal(d, "A? \n  \xe2\x96\x92\n--\n...\n...\n-- vga\n1ecf  \n    07\n");
    free(d);
    cv_put(c, 2, 1, 'z', STY_ERROR);
    d = screen_dump_string(s, true);
    assert_string_equal(d, "A? \n  z\n--\n...\n..E\n-- vga\n1ecf  \n      \n");
    free(d);
    d = screen_dump_string(s, false);                /* no styles: no grids */
    assert_string_equal(d, "A? \n  z\n");
    free(d);
    screen_clear(s);
    d = screen_dump_string(s, true);
    assert_null(strstr(d, "-- vga"));
    free(d);
    screen_destroy(s);
}

static void test_wrap(void **state)
{
    (void)state;
    struct screen *s;

    assert_int_equal(screen_create(&s, 10, 5, false), 0);
    int n = pane_wrap(canvas_of(s), 0, 1, STY_NORMAL,
                      "one two three four\n  pre formatted line\nabcdefghijklm");
    /* "one two" / "three four" / "  pre formatted line" (cut) / "abcdefghij" / "klm" */
    assert_int_equal(n, 5);
    assert_string_equal(row(s, 0), "three four");
    assert_string_equal(row(s, 1), "  pre form");
    assert_string_equal(row(s, 2), "abcdefghij");
    assert_string_equal(row(s, 3), "klm       ");
    screen_destroy(s);
}

static void test_textbuf(void **state)
{
    (void)state;
    struct textbuf b;

    assert_int_equal(textbuf_init(&b, 3), 0);
    const char *in = "hello\r\nab\bc\td\x07\n";
    textbuf_write(&b, 0, in, strlen(in));
    assert_int_equal(textbuf_lines(&b), 2);
    assert_string_equal(textbuf_get(&b, 0)->text, "hello");
    assert_string_equal(textbuf_get(&b, 1)->text, "ac      d?");
    textbuf_write(&b, 1, "x", 1);           /* another VM: a new line */
    textbuf_write(&b, 0, "y", 1);
    assert_int_equal(textbuf_lines(&b), 3);   /* the oldest dropped */
    assert_string_equal(textbuf_get(&b, 0)->text, "ac      d?");
    assert_string_equal(textbuf_get(&b, 1)->text, "x");
    assert_int_equal(textbuf_get(&b, 2)->tag, 0);
    assert_null(textbuf_get(&b, 3));
    textbuf_printf(&b, 'M', "n=%d", 5);
    assert_string_equal(textbuf_get(&b, 2)->text, "n=5");
    textbuf_fini(&b);
}

static void test_layout_parse(void **state)
{
    (void)state;
    struct layout l;
    const char *names[8];

    assert_int_equal(layout_parse(&l, "t", "|(-(regs=14, stack), disasm:2)"), 0);
    assert_int_equal(layout_leaves(&l, names, 8), 3);
    assert_string_equal(names[0], "regs");
    assert_string_equal(names[2], "disasm");
    assert_int_equal(layout_parse(&l, "t", "|(a,"), -VMS_ERR_SYNTAX);
    assert_int_equal(l.count, 0);
    assert_int_equal(layout_parse(&l, "t", "a b"), -VMS_ERR_SYNTAX);
    assert_int_equal(layout_parse(&l, "t", "|(a:0)"), -VMS_ERR_SYNTAX);
    assert_int_equal(layout_parse(&l, "t", "|a"), -VMS_ERR_SYNTAX);
    assert_int_equal(layout_parse(&l, "t", ""), -VMS_ERR_SYNTAX);
    for (unsigned i = 0; i < layout_builtin_count; i++)
        assert_int_equal(layout_parse(&l, layout_builtin[i].name, layout_builtin[i].spec), 0);
    assert_non_null(layout_find_builtin("hypervisor"));
    assert_null(layout_find_builtin("nope"));
}

static void test_layout_compute(void **state)
{
    (void)state;
    struct layout l;
    struct lay_slot s[8];

    assert_int_equal(layout_parse(&l, "t", "|(-(regs=14,stack),disasm:2)"), 0);
    assert_int_equal(layout_compute(&l, (struct rect){ 0, 1, 90, 30 }, s, 8), 3);
    /* columns 1:2 of 90; regs fixed 14 rows */
    assert_int_equal(s[0].r.x, 0);
    assert_int_equal(s[0].r.w, 30);
    assert_int_equal(s[0].r.h, 14);
    assert_int_equal(s[1].r.y, 15);
    assert_int_equal(s[1].r.h, 16);
    assert_int_equal(s[2].r.x, 30);
    assert_int_equal(s[2].r.w, 60);
    assert_int_equal(s[2].r.h, 30);
    /* fixed sizes shrink when they do not fit; sizes still add up */
    assert_int_equal(layout_parse(&l, "t", "-(a=20,b=20)"), 0);
    assert_int_equal(layout_compute(&l, (struct rect){ 0, 0, 10, 10 }, s, 8), 2);
    assert_int_equal(s[0].r.h + s[1].r.h, 10);
    assert_int_equal(s[0].r.h, 5);
}

static void test_keys(void **state)
{
    (void)state;
    int k[16];
    char buf[64], help[ACT_COUNT][96];

    assert_int_equal(keys_lookup(TK_F(5), false), ACT_CONTINUE);
    assert_int_equal(keys_lookup(TK_F(5), true), ACT_CONTINUE);
    assert_int_equal(keys_lookup('c', false), ACT_CONTINUE);
    assert_int_equal(keys_lookup('c', true), ACT_NONE);      /* typed at the prompt */
    assert_int_equal(keys_lookup('q', false), ACT_QUIT);
    assert_int_equal(keys_lookup(TK_F(9), false), ACT_BREAK);
    assert_int_equal(keys_script("s<F10><C-l>:x<Enter><lt>", k, 16), 7);
    assert_int_equal(k[0], 's');
    assert_int_equal(k[1], TK_F(10));
    assert_int_equal(k[2], TK_CTRL('l'));
    assert_int_equal(k[5], TK_ENTER);
    assert_int_equal(k[6], '<');
    assert_int_equal(keys_script("<Nope>", k, 16), -VMS_ERR_SYNTAX);
    assert_string_equal(keys_for_action(ACT_STEP, buf, sizeof(buf)), "F11, s");
    /* every action has a key and a help line */
    int n = keys_help_lines(help, ACT_COUNT);
    assert_int_equal(n, ACT_COUNT - 1);
    assert_non_null(strstr(help[0], "F5, c"));
    assert_non_null(strstr(help[0], "continue"));
}

/* docs/TUI.md holds the key reference generated from the table. */
static void test_keys_doc(void **state)
{
    (void)state;
    char gen[8192], doc[65536];
    FILE *f = fopen("docs/TUI.md", "r");

    assert_non_null(f);
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[n] = '\0';
    assert_true(keys_markdown(gen, sizeof(gen)) > 0);
    if (!strstr(doc, gen))
        fail_msg("docs/TUI.md: the key table is out of date; put in `vmscope --help-keys`:\n%s",
                 gen);
    assert_int_equal(keys_markdown(gen, 40), -VMS_ERR_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canvas_clip),
        cmocka_unit_test(test_unprintable),
        cmocka_unit_test(test_box_ascii_unicode),
        cmocka_unit_test(test_dump_styles),
        cmocka_unit_test(test_dump_vga),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_textbuf),
        cmocka_unit_test(test_layout_parse),
        cmocka_unit_test(test_layout_compute),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_keys_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
