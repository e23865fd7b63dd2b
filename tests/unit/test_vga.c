/* test_vga.c - VGA text mode: CRTC cursor and start address registers,
 * write protection, input status 1 timing, the screen view and dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "machine/bus.h"
#include "machine/memmap.h"
#include "machine/vga.h"

struct fixture {
    struct bus bus;
    struct vclock clock;
    struct gmem mem;
    struct vga v;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    bus_init(&f->bus);
    vclock_init(&f->clock);
    assert_int_equal(gmem_init(&f->mem, 1 << 20), 0);
    struct dev_ctx ctx = { .clock = &f->clock };
    assert_int_equal(vga_init(&f->v, &ctx, &f->mem), 0);
    assert_int_equal(vga_attach(&f->v, &f->bus), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    vga_destroy(&f->v);
    gmem_fini(&f->mem);
    bus_fini(&f->bus);
    test_free(f);
    return 0;
}

static uint8_t in(struct fixture *f, uint16_t port)
{
    uint64_t v = 0;

    assert_non_null(bus_read(&f->bus, BUS_PIO, port, 1, &v));
    return (uint8_t)v;
}

static void out(struct fixture *f, uint16_t port, uint8_t v)
{
    assert_non_null(bus_write(&f->bus, BUS_PIO, port, 1, v));
}

static void crtc_w(struct fixture *f, uint8_t i, uint8_t v)
{
    out(f, PORT_CRTC, i);
    out(f, PORT_CRTC + 1, v);
}

static uint8_t crtc_r(struct fixture *f, uint8_t i)
{
    out(f, PORT_CRTC, i);
    return in(f, PORT_CRTC + 1);
}

static void put_text(struct fixture *f, unsigned cell, const char *s, uint8_t attr)
{
    for (; *s; s++, cell++) {
        f->mem.ram[MM_VGA_TEXT + 2 * cell] = (uint8_t)*s;
        f->mem.ram[MM_VGA_TEXT + 2 * cell + 1] = attr;
    }
}

static void test_mode3_reset_values(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(crtc_r(f, 0x01), 0x4F);        /* 80 columns - 1 */
    assert_int_equal(crtc_r(f, 0x12), 0x8F);        /* 400 lines - 1, low byte */
    assert_int_equal(crtc_r(f, CRTC_CURSOR_START), 0x0D);
    assert_int_equal(crtc_r(f, CRTC_CURSOR_END), 0x0E);
    assert_int_equal(in(f, 0x3CC), 0x67);
    assert_int_equal(crtc_r(f, CRTC_CURSOR_HI), 0);
    assert_int_equal(crtc_r(f, CRTC_CURSOR_LO), 0);
}

static void test_cursor_location(void **state)
{
    struct fixture *f = *state;
    struct vga_screen s;

    crtc_w(f, CRTC_CURSOR_HI, 0x01);
    crtc_w(f, CRTC_CURSOR_LO, 0x90);                /* 400 = row 5 col 0 */
    assert_int_equal(vga_cursor_pos(&f->v), 400);
    vga_screen(&f->v, &s);
    assert_true(s.cursor_visible);
    assert_int_equal(s.cursor_row, 5);
    assert_int_equal(s.cursor_col, 0);
    assert_int_equal(s.cursor_start, 0x0D);
    /* 16-bit OUT: index in AL, value in AH */
    assert_non_null(bus_write(&f->bus, BUS_PIO, PORT_CRTC, 2, 0x2A0F));
    assert_int_equal(vga_cursor_pos(&f->v), 0x12A);
    vga_screen(&f->v, &s);
    assert_int_equal(s.cursor_row, 3);
    assert_int_equal(s.cursor_col, 58);
    crtc_w(f, CRTC_CURSOR_START, 0x20 | 0x0D);      /* cursor off */
    vga_screen(&f->v, &s);
    assert_false(s.cursor_visible);
    crtc_w(f, CRTC_CURSOR_START, 0x0D);
    crtc_w(f, CRTC_CURSOR_HI, 0x07);
    crtc_w(f, CRTC_CURSOR_LO, 0xD0);                /* 2000: off the screen */
    vga_screen(&f->v, &s);
    assert_false(s.cursor_visible);
}

static void test_start_address_scrolls_view(void **state)
{
    struct fixture *f = *state;
    struct vga_screen s;

    put_text(f, 0, "top", 0x07);
    put_text(f, 80, "second", 0x1F);
    crtc_w(f, CRTC_START_HI, 0);
    crtc_w(f, CRTC_START_LO, 80);
    vga_screen(&f->v, &s);
    assert_int_equal(s.cell[0][0].ch, 's');
    assert_int_equal(s.cell[0][0].attr, 0x1F);
    crtc_w(f, CRTC_CURSOR_LO, 85);
    vga_screen(&f->v, &s);
    assert_int_equal(s.cursor_row, 0);
    assert_int_equal(s.cursor_col, 5);
    /* wraps at the end of the 32 KiB buffer */
    crtc_w(f, CRTC_START_HI, 0x3F);
    crtc_w(f, CRTC_START_LO, 0xFF);
    vga_screen(&f->v, &s);
    assert_int_equal(s.cell[0][1].ch, 't');
}

static void test_protect_bit(void **state)
{
    struct fixture *f = *state;

    crtc_w(f, CRTC_VSYNC_END, 0x8E);                /* protect 0-7 */
    crtc_w(f, 0x01, 0x10);
    assert_int_equal(crtc_r(f, 0x01), 0x4F);
    crtc_w(f, CRTC_CURSOR_LO, 0x10);                /* 0x0F is not protected */
    assert_int_equal(crtc_r(f, CRTC_CURSOR_LO), 0x10);
    crtc_w(f, CRTC_VSYNC_END, 0x0E);
    crtc_w(f, 0x01, 0x10);
    assert_int_equal(crtc_r(f, 0x01), 0x10);
}

static void test_input_status1_timing(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(in(f, 0x3DA) & (VGA_IS1_DD | VGA_IS1_VRETRACE), 0);   /* line 0, active */
    vclock_advance_to(&f->clock, 26000);            /* horizontal blanking */
    assert_int_equal(in(f, 0x3DA) & (VGA_IS1_DD | VGA_IS1_VRETRACE), VGA_IS1_DD);
    vclock_advance_to(&f->clock, 412ull * 31778 + 10);
    assert_int_equal(in(f, 0x3DA) & (VGA_IS1_DD | VGA_IS1_VRETRACE),
                     VGA_IS1_DD | VGA_IS1_VRETRACE);
    vclock_advance_to(&f->clock, 449ull * 31778 + 10);   /* the next frame */
    assert_int_equal(in(f, 0x3DA) & VGA_IS1_VRETRACE, 0);
}

static void test_attribute_flip_flop_and_dac(void **state)
{
    struct fixture *f = *state;

    in(f, 0x3DA);                                   /* reset flip-flop */
    out(f, 0x3C0, 0x01);                            /* index */
    out(f, 0x3C0, 0x3A);                            /* data */
    assert_int_equal(in(f, 0x3C1), 0x3A);
    out(f, 0x3C8, 5);
    out(f, 0x3C9, 10);
    out(f, 0x3C9, 20);
    out(f, 0x3C9, 0xFF);                            /* 6 bits kept */
    out(f, 0x3C7, 5);
    assert_int_equal(in(f, 0x3C9), 10);
    assert_int_equal(in(f, 0x3C9), 20);
    assert_int_equal(in(f, 0x3C9), 0x3F);
}

static void test_dump(void **state)
{
    struct fixture *f = *state;
    char buf[4096];

    for (unsigned i = 0; i < 2000; i++)
        put_text(f, i, " ", 0x07);
    put_text(f, 0, "Hello, VGA", 0x0A);
    put_text(f, 24 * 80 + 70, "end\x01", 0x07);
    crtc_w(f, CRTC_CURSOR_LO, 10);
    FILE *fp = fmemopen(buf, sizeof(buf), "w");
    assert_non_null(fp);
    assert_int_equal(vga_dump(&f->v, fp), 0);
    fclose(fp);
    assert_int_equal(strncmp(buf, "Hello, VGA\n\n", 12), 0);
    assert_non_null(strstr(buf, "\n                                                                      end.\ncursor 0,10\n"));
}

static void test_hostile(void **state)
{
    struct fixture *f = *state;
    uint32_t x = 3;
    struct vga_screen s;

    for (unsigned i = 0; i < 100000; i++) {
        uint64_t v;
        x = x * 1103515245u + 12345u;
        uint16_t port = (uint16_t)(PORT_VGA + ((x >> 8) & 0x1F));
        unsigned size = 1u << ((x >> 14) % 3);
        if (x & 0x10000)
            bus_write(&f->bus, BUS_PIO, port, size, x >> 3);
        else
            bus_read(&f->bus, BUS_PIO, port, size, &v);
    }
    vga_screen(&f->v, &s);
    assert_true(s.cursor_row < VGA_ROWS && s.cursor_col < VGA_COLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mode3_reset_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_location, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_address_scrolls_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protect_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_status1_timing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attribute_flip_flop_and_dac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
