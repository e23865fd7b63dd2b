/* i8042.c - keyboard controller, keyboard and port 0x92 (see i8042.h). */
#include "i8042.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memmap.h"

static const char KBC_NAME[] = "i8042";

/* Keyboard replies (IBM PS/2 keyboard technical reference). */
#define KBD_ACK      0xFAu
#define KBD_BAT_OK   0xAAu   /* basic assurance test passed */
#define KBD_RESEND   0xFEu
#define KBD_ECHO     0xEEu
#define KBD_ID0      0xABu
#define KBD_ID1      0x83u
#define KBD_ID1_XLAT 0x41u   /* 0x83 as the translating controller passes it */
#define SELF_TEST_OK 0x55u
#define IFACE_OK     0x00u
#define INPUT_PORT   0xA0u   /* 0xC0 reply: keyboard not locked, colour display */

/* Set 1 codes (IBM PC AT technical reference, scan code set 1). */
#define SC_LSHIFT    0x2Au
#define SC_LCTRL     0x1Du
#define SC_ENTER     0x1Cu
#define SC_BACKSPACE 0x0Eu
#define SC_ESC       0x01u
#define SC_BREAK     0x80u   /* break code = make | 0x80 */
#define SC_EXT       0xE0u   /* prefix of the extended (grey) keys */
#define SC_COUNT     0x3Au   /* codes 0x00-0x39 carry characters */

/* Characters of the US layout by set 1 make code, without and with shift;
 * 0 = no character (modifiers, unused). */
static const char set1_plain[SC_COUNT] =
    "\0\x1b" "1234567890-=" "\b\t" "qwertyuiop[]" "\r\0" "asdfghjkl;'`" "\0\\"
    "zxcvbnm,./" "\0*\0 ";
static const char set1_shift[SC_COUNT] =
    "\0\x1b" "!@#$%^&*()_+" "\b\t" "QWERTYUIOP{}" "\r\0" "ASDFGHJKL:\"~" "\0|"
    "ZXCVBNM<>?" "\0*\0 ";

static void kbc_ev(const struct i8042 *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void kbc_ev(const struct i8042 *k, const char *fmt, ...)
{
    va_list ap;

    if (!ev_wants(k->ctx.ev, EV_DEVICE))
        return;
    va_start(ap, fmt);
    dev_eventv(&k->ctx, KBC_NAME, fmt, ap);
    va_end(ap);
}

/* ---- scan codes ---- */

static unsigned find_code(const char *table, uint8_t c)
{
    for (unsigned i = 1; i < SC_COUNT; i++)
        if ((uint8_t)table[i] == c)
            return i;
    return 0;
}

static unsigned wrap(uint8_t mod, uint8_t code, uint8_t out[6])
{
    out[0] = mod;
    out[1] = code;
    out[2] = (uint8_t)(code | SC_BREAK);
    out[3] = (uint8_t)(mod | SC_BREAK);
    return 4;
}

unsigned i8042_ascii_to_set1(uint8_t c, uint8_t out[6])
{
    unsigned code;

    if (c == '\n')
        c = '\r';                          /* the Enter key */
    if (c == 0x7F)
        c = '\b';                          /* DEL from a terminal: backspace */
    if ((code = find_code(set1_plain, c)) != 0) {
        out[0] = (uint8_t)code;
        out[1] = (uint8_t)(code | SC_BREAK);
        return 2;
    }
    if ((code = find_code(set1_shift, c)) != 0)
        return wrap(SC_LSHIFT, (uint8_t)code, out);
    if (c >= 1 && c <= 26 && (code = find_code(set1_plain, (uint8_t)('a' + c - 1))) != 0)
        return wrap(SC_LCTRL, (uint8_t)code, out);   /* control-letter */
    return 0;
}

uint8_t i8042_set1_to_ascii(uint8_t code, bool shift)
{
    if (code >= SC_COUNT)
        return 0;
    return (uint8_t)(shift ? set1_shift[code] : set1_plain[code]);
}

/* ---- output buffer and IRQs ---- */

static void update_irqs(struct i8042 *k)
{
    bool obf = k->status & I8042_STR_OBF;
    bool kbd = obf && !k->obuf_aux && (k->ram[0] & I8042_CB_KBDINT);
    bool aux = obf && k->obuf_aux && (k->ram[0] & I8042_CB_AUXINT);

    k->outport = (uint8_t)((k->outport & ~(I8042_OUT_OBF_KBD | I8042_OUT_OBF_AUX)) |
                           (kbd ? I8042_OUT_OBF_KBD : 0) | (aux ? I8042_OUT_OBF_AUX : 0));
    if (kbd != k->irq_kbd_level) {
        k->irq_kbd_level = kbd;
        irq_set(&k->irq_kbd, kbd);
    }
    if (aux != k->irq_aux_level) {
        k->irq_aux_level = aux;
        irq_set(&k->irq_aux, aux);
    }
}

/* Entries in the queue carry a source bit above the byte. */
#define Q_AUX   0x100u
#define Q_REPLY 0x200u

static bool kbd_enabled(const struct i8042 *k) { return !(k->ram[0] & I8042_CB_KBDDIS); }

/* Move the next byte into the output buffer when it is free. */
static void refill(struct i8042 *k)
{
    if ((k->status & I8042_STR_OBF) || k->q_count == 0)
        return;
    if (!kbd_enabled(k))
        return;                 /* the controller inhibits the keyboard */
    k->obuf = k->q[k->q_head];
    k->obuf_aux = false;
    k->q_head = (k->q_head + 1) % I8042_QUEUE;
    k->q_count--;
    k->status |= I8042_STR_OBF;
    k->status &= (uint8_t)~I8042_STR_AUXB;
    update_irqs(k);
}

static void queue_byte(struct i8042 *k, uint8_t b)
{
    if (k->q_count == I8042_QUEUE) {
        k->dropped++;
        return;
    }
    k->q[(k->q_head + k->q_count) % I8042_QUEUE] = b;
    k->q_count++;
    refill(k);
}

/* Keyboard command replies go ahead of keystrokes still queued (QEMU's
 * command queue), in the order given. */
static void queue_replies(struct i8042 *k, const uint8_t *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        if (k->q_count == I8042_QUEUE)
            k->q_count--;       /* drop the newest keystroke byte */
        k->q_head = (k->q_head + I8042_QUEUE - 1) % I8042_QUEUE;
        k->q[k->q_head] = b[i];
        k->q_count++;
    }
    refill(k);
}

static void queue_reply(struct i8042 *k, uint8_t b)
{
    queue_replies(k, &b, 1);
}

/* A byte from the controller itself: straight into the output buffer. */
static void controller_reply(struct i8042 *k, uint8_t b, bool aux)
{
    k->obuf = b;
    k->obuf_aux = aux;
    k->status |= I8042_STR_OBF;
    if (aux)
        k->status |= I8042_STR_AUXB;
    else
        k->status &= (uint8_t)~I8042_STR_AUXB;
    update_irqs(k);
}

uint8_t i8042_read_data(struct i8042 *k)
{
    uint8_t v = k->obuf;
    bool was_full = k->status & I8042_STR_OBF;

    k->status &= (uint8_t)~(I8042_STR_OBF | I8042_STR_AUXB);
    update_irqs(k);
    refill(k);
    if (was_full)
        kbc_ev(k, "data -> 0x%02x", v);
    return v;
}

size_t i8042_room(const struct i8042 *k)
{
    return I8042_QUEUE - k->q_count;
}

void i8042_push_scancodes(struct i8042 *k, const uint8_t *codes, size_t n)
{
    if (!k->kbd_scanning) {
        k->dropped += n;        /* 0xF5: the keyboard does not scan */
        return;
    }
    for (size_t i = 0; i < n; i++)
        queue_byte(k, codes[i]);
}

/* "\e[A".."\e[D" from a terminal: the grey arrow keys. */
static unsigned arrow(const uint8_t *buf, size_t n, uint8_t out[6])
{
    static const uint8_t codes[4] = { 0x48, 0x50, 0x4D, 0x4B };   /* up down right left */

    if (n < 3 || buf[0] != 0x1B || buf[1] != '[' || buf[2] < 'A' || buf[2] > 'D')
        return 0;
    uint8_t c = codes[buf[2] - 'A'];
    out[0] = SC_EXT;
    out[1] = c;
    out[2] = SC_EXT;
    out[3] = (uint8_t)(c | SC_BREAK);
    return 4;
}

size_t i8042_type(struct i8042 *k, const uint8_t *buf, size_t n)
{
    size_t i = 0;
    uint8_t codes[6];

    while (i < n) {
        unsigned len = arrow(buf + i, n - i, codes), used = 3;
        if (!len) {
            len = i8042_ascii_to_set1(buf[i], codes);
            used = 1;
        }
        if (len > i8042_room(k))
            break;
        i8042_push_scancodes(k, codes, len);
        i += used;
    }
    return i;
}

/* ---- the keyboard (bytes written to 0x60 with no controller command) ---- */

static void kbd_defaults(struct i8042 *k)
{
    k->scan_set = 2;
    k->typematic = 0x2B;
    k->leds = 0;
}

static uint8_t translated_set(const struct i8042 *k)
{
    static const uint8_t xlat[4] = { 0, 0x43, 0x41, 0x3F };   /* 8042 translation */

    return (k->ram[0] & I8042_CB_XLAT) ? xlat[k->scan_set & 3] : k->scan_set;
}

static void kbd_param(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->kbd_cmd;

    k->kbd_cmd = 0;
    if (cmd == 0xED) {
        k->leds = v & 0x07;
        kbc_ev(k, "kbd LEDs <- 0x%02x", v);
    } else if (cmd == 0xF0 && v == 0) {
        uint8_t r[2] = { KBD_ACK, translated_set(k) };
        queue_replies(k, r, 2);
        return;
    } else if (cmd == 0xF0 && v <= 3) {
        k->scan_set = v;
        kbc_ev(k, "kbd scan code set %u (the guest still gets set 1)", v);
    } else if (cmd == 0xF0) {
        queue_reply(k, KBD_RESEND);
        return;
    } else {
        k->typematic = v;
    }
    queue_reply(k, KBD_ACK);
}

static void kbd_command(struct i8042 *k, uint8_t v)
{
    kbc_ev(k, "kbd <- 0x%02x", v);
    switch (v) {
    case 0xFF:                               /* reset: ACK, then BAT passed */
        k->q_count = 0;
        kbd_defaults(k);
        k->kbd_scanning = true;
        queue_byte(k, KBD_ACK);
        queue_byte(k, KBD_BAT_OK);
        return;
    case 0xED: case 0xF0: case 0xF3:         /* a parameter follows */
        k->kbd_cmd = v;
        queue_reply(k, KBD_ACK);
        return;
    case 0xF2: {                             /* identify */
        uint8_t r[3] = { KBD_ACK, KBD_ID0,
                         (k->ram[0] & I8042_CB_XLAT) ? KBD_ID1_XLAT : KBD_ID1 };
        queue_replies(k, r, 3);
        return;
    }
    case 0xEE: queue_reply(k, KBD_ECHO); return;
    case 0xF4: k->kbd_scanning = true; queue_reply(k, KBD_ACK); return;
    case 0xF5: kbd_defaults(k); k->kbd_scanning = false; queue_reply(k, KBD_ACK); return;
    case 0xF6: kbd_defaults(k); queue_reply(k, KBD_ACK); return;
    case 0xFE: queue_reply(k, KBD_ACK); return;
    }
    queue_reply(k, KBD_RESEND);              /* unknown command */
}

/* ---- A20 and reset ---- */

bool i8042_a20(const struct i8042 *k)
{
    return (k->outport & I8042_OUT_A20) || (k->sysctrl_a & SYSCTRL_A_A20);
}

static void request_reset(struct i8042 *k, const char *why)
{
    kbc_ev(k, "system reset: %s", why);
    if (k->reset)
        k->reset(k->reset_opaque, why);
}

static void write_outport(struct i8042 *k, uint8_t v)
{
    bool a20 = v & I8042_OUT_A20;

    if (a20 != (bool)(k->outport & I8042_OUT_A20))
        kbc_ev(k, "A20 gate %s (vmscope memory never wraps at 1 MiB)", a20 ? "on" : "off");
    k->outport = (uint8_t)((k->outport & (I8042_OUT_OBF_KBD | I8042_OUT_OBF_AUX)) |
                           (v & (uint8_t)~(I8042_OUT_OBF_KBD | I8042_OUT_OBF_AUX)));
    if (!(v & I8042_OUT_RESET))
        request_reset(k, "the guest reset the machine (i8042 output port bit 0 cleared)");
}

/* ---- controller commands (port 0x64) ---- */

static void write_command_byte(struct i8042 *k, uint8_t v)
{
    k->ram[0] = v;
    /* the system flag in the status register follows command byte bit 2 */
    k->status = (uint8_t)((k->status & ~I8042_STR_SYS) | (v & I8042_CB_SYS));
    kbc_ev(k, "command byte <- 0x%02x%s%s%s%s", v, (v & I8042_CB_KBDINT) ? " KBDINT" : "",
           (v & I8042_CB_KBDDIS) ? " KBDDIS" : "", (v & I8042_CB_AUXDIS) ? " AUXDIS" : "",
           (v & I8042_CB_XLAT) ? " XLAT" : "");
    update_irqs(k);
    refill(k);
}

/* Data for a controller command that expected it. */
static void controller_param(struct i8042 *k, uint8_t cmd, uint8_t v)
{
    if (cmd >= 0x60 && cmd < 0x60 + I8042_RAM) {
        if (cmd == 0x60)
            write_command_byte(k, v);
        else
            k->ram[cmd - 0x60] = v;
        return;
    }
    switch (cmd) {
    case 0xD1: write_outport(k, v); return;
    case 0xD2: controller_reply(k, v, false); return;
    case 0xD3: controller_reply(k, v, true); return;
    case 0xD4: controller_reply(k, KBD_RESEND, true); return;   /* no mouse */
    }
}

static bool command_takes_data(uint8_t cmd)
{
    return (cmd >= 0x60 && cmd < 0x60 + I8042_RAM) || (cmd >= 0xD1 && cmd <= 0xD4);
}

static void controller_command(struct i8042 *k, uint8_t cmd)
{
    kbc_ev(k, "command 0x%02x", cmd);
    if (command_takes_data(cmd)) {
        k->pending_cmd = cmd;
        return;
    }
    if (cmd >= 0x20 && cmd < 0x20 + I8042_RAM) {
        controller_reply(k, k->ram[cmd - 0x20], false);
        return;
    }
    if (cmd >= 0xF0) {                        /* pulse output bits (0 = pulse) */
        if (!(cmd & 0x01))
            request_reset(k, "the guest reset the machine (i8042 command 0xfe)");
        return;
    }
    switch (cmd) {
    case 0xA7: k->ram[0] |= I8042_CB_AUXDIS; return;
    case 0xA8: k->ram[0] &= (uint8_t)~I8042_CB_AUXDIS; return;
    case 0xA9: controller_reply(k, IFACE_OK, false); return;
    case 0xAA:
        k->status |= I8042_STR_SYS;
        controller_reply(k, SELF_TEST_OK, false);
        return;
    case 0xAB: controller_reply(k, IFACE_OK, false); return;
    case 0xAD: write_command_byte(k, k->ram[0] | I8042_CB_KBDDIS); return;
    case 0xAE: write_command_byte(k, k->ram[0] & (uint8_t)~I8042_CB_KBDDIS); return;
    case 0xC0: controller_reply(k, INPUT_PORT, false); return;
    case 0xD0: controller_reply(k, k->outport, false); return;
    case 0xDD: write_outport(k, k->outport & (uint8_t)~I8042_OUT_A20); return;
    case 0xDF: write_outport(k, k->outport | I8042_OUT_A20); return;
    }
}

static void write_data_port(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;

    k->status &= (uint8_t)~I8042_STR_A2;
    if (cmd) {
        k->pending_cmd = 0;
        controller_param(k, cmd, v);
        return;
    }
    /* QEMU: data for the keyboard re-enables its interface */
    k->ram[0] &= (uint8_t)~I8042_CB_KBDDIS;
    if (k->kbd_cmd)
        kbd_param(k, v);
    else
        kbd_command(k, v);
}

/* ---- bus glue ---- */

static uint64_t kbc_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8042 *k = opaque;

    (void)size;
    if (offset == 0)
        return i8042_read_data(k);
    if (offset == PORT_I8042_CMD - PORT_I8042_DATA)
        return k->status;
    return 0xFF;
}

static void kbc_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *k = opaque;

    (void)size;
    if (offset == 0) {
        write_data_port(k, (uint8_t)value);
    } else if (offset == PORT_I8042_CMD - PORT_I8042_DATA) {
        k->status |= I8042_STR_A2;
        k->pending_cmd = 0;
        controller_command(k, (uint8_t)value);
    }
}

static uint64_t sysctrl_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset; (void)size;
    return ((struct i8042 *)opaque)->sysctrl_a;
}

static void sysctrl_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *k = opaque;
    uint8_t v = (uint8_t)value, old = k->sysctrl_a;

    (void)offset; (void)size;
    k->sysctrl_a = v & (uint8_t)~SYSCTRL_A_RESET;
    if ((v ^ old) & SYSCTRL_A_A20)
        kbc_ev(k, "port 0x92 fast A20 %s", (v & SYSCTRL_A_A20) ? "on" : "off");
    if (v & SYSCTRL_A_RESET)
        request_reset(k, "the guest reset the machine (port 0x92 bit 0)");
}

/* 0x60-0x64 as one range: 0x61 belongs to the PIT, so two ranges. */
static const struct bus_dev_ops kbc_ops = {
    .read = kbc_read,        /* 0x60 output buffer, 0x64 status */
    .write = kbc_write,      /* 0x60 data, 0x64 command */
};

static const struct bus_dev_ops sysctrl_ops = {
    .read = sysctrl_read,    /* A20 gate bit */
    .write = sysctrl_write,  /* A20 gate, fast reset */
};

static uint64_t cmd_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset;
    return kbc_read(opaque, PORT_I8042_CMD - PORT_I8042_DATA, size);
}

static void cmd_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset;
    kbc_write(opaque, PORT_I8042_CMD - PORT_I8042_DATA, size, value);
}

static const struct bus_dev_ops kbc_cmd_ops = {
    .read = cmd_read,        /* status */
    .write = cmd_write,      /* controller command */
};

/* ---- life cycle ---- */

int i8042_init(struct i8042 *k, const struct dev_ctx *ctx, struct irq_line irq_kbd,
               struct irq_line irq_aux)
{
    if (!k)
        return -VMS_ERR_INVAL;
    memset(k, 0, sizeof(*k));
    if (ctx)
        k->ctx = *ctx;
    k->irq_kbd = irq_kbd;
    k->irq_aux = irq_aux;
    k->ram[0] = I8042_CB_RESET;
    k->status = I8042_STR_SYS | I8042_STR_A2 | I8042_STR_INH;   /* 0x1C */
    k->outport = I8042_OUT_RESET | I8042_OUT_A20;   /* a BIOS enables A20 */
    k->sysctrl_a = SYSCTRL_A_A20;
    k->kbd_scanning = true;
    kbd_defaults(k);
    return 0;
}

int i8042_attach(struct i8042 *k, struct bus *b)
{
    if (!k || !b)
        return -VMS_ERR_INVAL;
    int err = bus_map(b, BUS_PIO, PORT_I8042_DATA, 1, &kbc_ops, k, KBC_NAME);
    if (err == 0)
        err = bus_map(b, BUS_PIO, PORT_I8042_CMD, 1, &kbc_cmd_ops, k, KBC_NAME);
    if (err == 0)
        err = bus_map(b, BUS_PIO, PORT_SYSCTRL_A, 1, &sysctrl_ops, k, "sysctrl");
    return err;
}

void i8042_destroy(struct i8042 *k)
{
    (void)k;
}
