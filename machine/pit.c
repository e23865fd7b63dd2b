/* pit.c - Intel 8254 PIT, computed lazily from virtual time.
 *
 * Section names refer to the Intel 8254 datasheet (231164): "Control Word
 * Format", "Read-Back Command", "Counter Latch Command", "Modes" (mode 0
 * interrupt on terminal count ... mode 5 hardware triggered strobe),
 * "Gate".  Port 0x61 is the IBM PC/AT system control port B.
 */
#include "pit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memmap.h"

#define PIT_PORT_CONTROL 3        /* 0x43 */
#define PIT_NAME "pit"
#define NS_PER_SEC 1000000000ull

/* Control word (0x43). */
#define CW_SC_SHIFT   6           /* SC1 SC0: counter, 3 = read-back */
#define CW_SC_READBACK 3
#define CW_RW_SHIFT   4           /* RW1 RW0: 0 = counter latch command */
#define CW_RW_MASK    0x3
#define CW_RW_LATCH   0
#define CW_RW_LSB     1
#define CW_RW_MSB     2
#define CW_RW_WORD    3
#define CW_MODE_SHIFT 1           /* M2 M1 M0; 6 and 7 mean 2 and 3 */
#define CW_MODE_MASK  0x7
#define CW_BCD        0x01
/* Read-back command (SC = 3). */
#define RB_NOT_COUNT  0x20        /* 0: latch the counts */
#define RB_NOT_STATUS 0x10        /* 0: latch the status */
#define RB_CNT(c)     (0x02u << (c))
/* Status byte (read-back). */
#define ST_OUT        0x80
#define ST_NULL_COUNT 0x40
/* Port 0x61. */
#define P61_GATE2     0x01
#define P61_SPEAKER   0x02
#define P61_WRITABLE  0x0F
#define P61_REFRESH   0x10        /* toggles every 15.085 us (AT refresh) */
#define P61_OUT2      0x20
#define REFRESH_NS    15085u

#define BIN_MODULUS 65536
#define BCD_MODULUS 10000
#define COUNTER_TIED_HIGH_GATES 2 /* counters 0 and 1 */

static const char *const mode_name[6] = {
    "int-on-tc", "one-shot", "rate", "square", "sw-strobe", "hw-strobe",
};

static void pit_ev(const struct pit *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pit_ev(const struct pit *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dev_eventv(&p->ctx, PIT_NAME, fmt, ap);
    va_end(ap);
}

/* ---- time <-> input-clock ticks, exact ---- */

static int64_t tick_at(uint64_t ns)
{
    return (int64_t)((unsigned __int128)ns * PIT_HZ / NS_PER_SEC);
}

/* The first nanosecond at which tick_at() reaches @tick (>= 0). */
static uint64_t tick_time(int64_t tick)
{
    unsigned __int128 t = ((unsigned __int128)tick * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;

    return t >= VCLOCK_NEVER ? VCLOCK_NEVER - 1 : (uint64_t)t;
}

/* ---- counter model ---- */

/* Clocks since the count was loaded (negative: not loaded yet). */
static int64_t elapsed(const struct pit_channel *ch, uint64_t now)
{
    return ch->frozen ? ch->frozen_k : tick_at(now) - ch->load_tick;
}

static bool is_hw_triggered(const struct pit_channel *ch)
{
    return ch->mode == 1 || ch->mode == 5;
}

/* Counting with a defined OUT waveform. */
static bool running(const struct pit_channel *ch)
{
    return ch->loaded && (!is_hw_triggered(ch) || ch->triggered);
}

static bool out_at(const struct pit_channel *ch, uint64_t now)
{
    if (!ch->loaded)
        return ch->mode != 0;          /* mode 0: OUT low after the CW */
    if (!running(ch) || (!ch->gate && (ch->mode == 2 || ch->mode == 3)))
        return true;                   /* modes 2, 3: gate low forces high */
    int64_t k = elapsed(ch, now), n = ch->count;
    switch (ch->mode) {
    case 0: return k >= n;             /* high at terminal count */
    case 1: return k < 0 || k >= n;    /* low for N clocks after trigger */
    case 2: return k < 0 || n < 2 || k % n != n - 1;  /* low 1 clock */
    case 3: return k < 0 || k % n < (n + 1) / 2;      /* high first half */
    default: return k != n;            /* 4, 5: low 1 clock at count 0 */
    }
}

/* Mode 3 counts down by two ("Mode 3"): even N reloads N each half;
 * odd N loads N-1 in both halves, the high half one clock longer. */
static int64_t square_value(int64_t k, int64_t n)
{
    int64_t j = k % n, high = (n + 1) / 2;

    if (n % 2 == 0)
        return n - 2 * (j % (n / 2));
    return (n - 1) - 2 * (j < high ? j : j - high);
}

/* Binary counting element value @k >= 0 clocks after loading. */
static uint32_t ce_value(const struct pit_channel *ch, int64_t k)
{
    int64_t n = ch->count, m = ch->bcd ? BCD_MODULUS : BIN_MODULUS;

    switch (ch->mode) {
    case 2: return (uint32_t)(n - k % n);
    case 3: return (uint32_t)square_value(k, n);
    default: return (uint32_t)(((n - k % m) % m + m) % m);  /* wraps */
    }
}

static uint16_t to_bcd(uint32_t v)
{
    v %= BCD_MODULUS;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 |
                      (v / 10 % 10) << 4 | v % 10);
}

/* BCD digits to binary; bad digits (A-F) count as their value: bounded. */
static uint32_t from_bcd(uint16_t v)
{
    return (v >> 12) * 1000u + (v >> 8 & 0xF) * 100u + (v >> 4 & 0xF) * 10u +
           (v & 0xF);
}

/* What a latch or a read sees now; a stopped or not yet loaded counter
 * shows @hold (already in the reading's format). */
static uint16_t reading(const struct pit_channel *ch, uint64_t now)
{
    int64_t k = elapsed(ch, now);

    if (!running(ch) || k < 0)
        return ch->hold;
    uint32_t v = ce_value(ch, k);
    return ch->bcd ? to_bcd(v) : (uint16_t)v;   /* 65536 reads as 0 */
}

/* Next OUT transition strictly after tick @tc, or -1 (counter 0 only:
 * its gate is high, so no freezing). */
static int64_t next_edge_tick(const struct pit_channel *ch, int64_t tc)
{
    if (!running(ch) || ch->frozen)
        return -1;
    int64_t k = tc - ch->load_tick, n = ch->count, next = -1;
    int64_t half = (n + 1) / 2, j = k < 0 ? 0 : k % n;
    switch (ch->mode) {
    case 0: next = k < n ? n : -1; break;
    case 1: next = k < 0 ? 0 : (k < n ? n : -1); break;
    case 2:
        if (n >= 2)
            next = k < 0 ? n - 1 : (j < n - 1 ? k + (n - 1 - j) : k + 1);
        break;
    case 3:
        if (n >= 2)
            next = k < 0 ? half : (j < half ? k + (half - j) : k + (n - j));
        break;
    default: next = k < n ? n : (k == n ? n + 1 : -1); break;
    }
    return next < 0 ? -1 : ch->load_tick + next;
}

/* ---- IRQ 0 ---- */

static void drive_irq0(struct pit *p, bool level)
{
    if (level != p->irq_level) {
        p->irq_level = level;
        irq_set(&p->irq0, level);
    }
}

static void arm_from(struct pit *p, uint64_t t)
{
    int64_t next = next_edge_tick(&p->ch[0], tick_at(t));

    if (next < 0)
        vtimer_cancel(p->ctx.clock, &p->timer);
    else
        vtimer_arm(p->ctx.clock, &p->timer, tick_time(next));
}

/* After a guest access to counter 0: OUT now, and the next transition. */
static void sync_ch0(struct pit *p)
{
    uint64_t now = dev_now(&p->ctx);

    drive_irq0(p, out_at(&p->ch[0], now));
    arm_from(p, now);
}

/* Fired at an OUT 0 transition.  When the clock ran more than two periods
 * past it, the skipped edges collapse into one rising edge (the PIC's IRR
 * would have merged them anyway), so a long jump costs O(1). */
static void pit_timer_fire(void *opaque, uint64_t when)
{
    struct pit *p = opaque;
    struct pit_channel *ch = &p->ch[0];
    uint64_t now = dev_now(&p->ctx);
    uint64_t lag_max = 2 * (tick_time(ch->count) + 1);

    if ((ch->mode == 2 || ch->mode == 3) && now > when && now - when > lag_max) {
        drive_irq0(p, false);
        drive_irq0(p, true);
        when = now;
    }
    drive_irq0(p, out_at(ch, when));
    arm_from(p, when);
}

/* ---- gate (counter 2 via port 0x61) ---- */

static void set_gate(struct pit_channel *ch, uint64_t now, bool gate)
{
    if (gate == ch->gate)
        return;
    int64_t k = elapsed(ch, now);
    ch->gate = gate;
    if (!gate) {                        /* modes 0, 2, 3, 4 stop counting */
        if (!is_hw_triggered(ch) && !ch->frozen) {
            ch->frozen = true;
            ch->frozen_k = k;
        }
        return;
    }
    if (ch->mode == 0 || ch->mode == 4) {
        if (ch->frozen)                 /* resume where it stopped */
            ch->load_tick = tick_at(now) - ch->frozen_k;
    } else {                            /* 2, 3 restart; 1, 5 trigger */
        ch->load_tick = tick_at(now) + 1;
        ch->triggered = true;
    }
    ch->frozen = false;
}

/* ---- writes ---- */

static void load_count(struct pit *p, unsigned c, uint16_t raw)
{
    struct pit_channel *ch = &p->ch[c];
    uint64_t now = dev_now(&p->ctx);

    if (raw == 0)
        ch->count = ch->bcd ? BCD_MODULUS : BIN_MODULUS;  /* 0 is the max */
    else
        ch->count = ch->bcd ? from_bcd(raw) : raw;
    ch->hold = raw;
    ch->loaded = true;
    ch->load_tick = tick_at(now) + 1;   /* loaded on the next clock */
    ch->frozen = !ch->gate && !is_hw_triggered(ch);
    ch->frozen_k = 0;
    pit_ev(p, "ch%u count <- %u%s (%u.%u Hz)", c, raw, ch->bcd ? " BCD" : "",
           (unsigned)(PIT_HZ / ch->count),
           (unsigned)(PIT_HZ * 10ull / ch->count % 10));
}

static void write_counter(struct pit *p, unsigned c, uint8_t v)
{
    struct pit_channel *ch = &p->ch[c];

    if (ch->rw == CW_RW_LSB) {
        load_count(p, c, v);
    } else if (ch->rw == CW_RW_MSB) {
        load_count(p, c, (uint16_t)(v << 8));
    } else if (!ch->write_msb_next) {
        ch->write_lsb = v;
        ch->write_msb_next = true;
        if (ch->mode == 0 && ch->loaded) {   /* "Mode 0": 1st byte stops it */
            ch->hold = reading(ch, dev_now(&p->ctx));
            ch->loaded = false;
        }
    } else {
        ch->write_msb_next = false;
        load_count(p, c, (uint16_t)(ch->write_lsb | v << 8));
    }
}

static void latch_count(struct pit_channel *ch, uint64_t now)
{
    if (ch->latched)                    /* a second latch is ignored */
        return;
    ch->latched = true;
    ch->latch_msb_next = false;
    ch->latch = reading(ch, now);
}

static uint8_t status_byte(const struct pit_channel *ch, uint64_t now)
{
    bool null_count = !running(ch) || tick_at(now) < ch->load_tick;

    return (uint8_t)((out_at(ch, now) ? ST_OUT : 0) |
                     (null_count ? ST_NULL_COUNT : 0) |
                     ch->rw << CW_RW_SHIFT | ch->mode << CW_MODE_SHIFT |
                     (ch->bcd ? CW_BCD : 0));
}

static void read_back(struct pit *p, uint8_t v)
{
    uint64_t now = dev_now(&p->ctx);

    pit_ev(p, "read-back 0x%02x%s%s", v, (v & RB_NOT_COUNT) ? "" : " count",
           (v & RB_NOT_STATUS) ? "" : " status");
    for (unsigned c = 0; c < PIT_CHANNELS; c++) {
        struct pit_channel *ch = &p->ch[c];
        if (!(v & RB_CNT(c)))
            continue;
        if (!(v & RB_NOT_COUNT))
            latch_count(ch, now);
        if (!(v & RB_NOT_STATUS) && !ch->status_latched) {
            ch->status_latched = true;
            ch->status = status_byte(ch, now);
        }
    }
}

static void write_control(struct pit *p, uint8_t v)
{
    unsigned c = v >> CW_SC_SHIFT, rw = (v >> CW_RW_SHIFT) & CW_RW_MASK;
    uint64_t now = dev_now(&p->ctx);

    if (c == CW_SC_READBACK) {
        read_back(p, v);
        return;
    }
    struct pit_channel *ch = &p->ch[c];
    if (rw == CW_RW_LATCH) {
        latch_count(ch, now);
        pit_ev(p, "ch%u latch", c);
        return;
    }
    ch->hold = reading(ch, now);
    unsigned mode = (v >> CW_MODE_SHIFT) & CW_MODE_MASK;
    ch->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);  /* 6, 7 = 2, 3 */
    ch->rw = (uint8_t)rw;
    ch->bcd = v & CW_BCD;
    ch->loaded = ch->triggered = ch->frozen = false;
    ch->latched = ch->status_latched = false;
    ch->write_msb_next = ch->read_msb_next = false;
    pit_ev(p, "ch%u mode %u (%s) %s%s", c, ch->mode, mode_name[ch->mode],
           rw == CW_RW_LSB ? "lsb" : rw == CW_RW_MSB ? "msb" : "lsb/msb",
           ch->bcd ? " bcd" : "");
}

static void pit_write_port(struct pit *p, unsigned port, uint8_t v)
{
    if (port == PIT_PORT_CONTROL)
        write_control(p, v);
    else
        write_counter(p, port, v);
    sync_ch0(p);
}

/* ---- reads ---- */

static uint8_t read_counter(struct pit *p, unsigned c)
{
    struct pit_channel *ch = &p->ch[c];
    uint16_t v;
    bool msb;

    if (ch->status_latched) {           /* status first, then the count */
        ch->status_latched = false;
        pit_ev(p, "ch%u status -> 0x%02x", c, ch->status);
        return ch->status;
    }
    if (ch->latched) {
        v = ch->latch;
        msb = ch->rw == CW_RW_MSB || (ch->rw == CW_RW_WORD && ch->latch_msb_next);
        ch->latch_msb_next = !ch->latch_msb_next;
        ch->latched = ch->rw == CW_RW_WORD && ch->latch_msb_next;
    } else {
        v = reading(ch, dev_now(&p->ctx));
        msb = ch->rw == CW_RW_MSB || (ch->rw == CW_RW_WORD && ch->read_msb_next);
        if (ch->rw == CW_RW_WORD)
            ch->read_msb_next = !ch->read_msb_next;
    }
    uint8_t byte = (uint8_t)(msb ? v >> 8 : v);
    pit_ev(p, "ch%u %s -> 0x%02x", c, msb ? "msb" : "lsb", byte);
    return byte;
}

/* ---- bus glue ---- */

static uint64_t pit_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size && offset + i < PORT_PIT_LEN; i++) {
        unsigned port = (unsigned)(offset + i);
        uint8_t b = port == PIT_PORT_CONTROL ? 0xFF : read_counter(opaque, port);
        v |= (uint64_t)b << (8 * i);    /* 0x43 is write-only */
    }
    return v;
}

static void pit_bus_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    for (unsigned i = 0; i < size && offset + i < PORT_PIT_LEN; i++)
        pit_write_port(opaque, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
}

static const struct bus_dev_ops pit_ops = {
    .read = pit_bus_read,    /* counters 0-2 (0x43 reads all ones) */
    .write = pit_bus_write,  /* counters 0-2, control word */
};

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
    struct pit *p = opaque;
    uint64_t now = dev_now(&p->ctx);

    (void)offset;
    (void)size;
    return (p->port61 & P61_WRITABLE) |
           ((now / REFRESH_NS) & 1 ? P61_REFRESH : 0) |
           (out_at(&p->ch[2], now) ? P61_OUT2 : 0);
}

static void port61_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pit *p = opaque;

    (void)offset;
    (void)size;
    p->port61 = (uint8_t)(value & P61_WRITABLE);
    set_gate(&p->ch[2], dev_now(&p->ctx), value & P61_GATE2);
    pit_ev(p, "port61 <- 0x%02x gate2 %s speaker %s", (unsigned)(value & 0xFF),
           (value & P61_GATE2) ? "on" : "off", (value & P61_SPEAKER) ? "on" : "off");
}

static const struct bus_dev_ops port61_ops = {
    .read = port61_read,     /* gate 2, speaker, refresh toggle, OUT 2 */
    .write = port61_write,   /* bits 0-3 */
};

/* ---- life cycle, views ---- */

int pit_init(struct pit *p, const struct dev_ctx *ctx, struct irq_line irq0)
{
    if (!p || !ctx || !ctx->clock)
        return -VMS_ERR_INVAL;
    memset(p, 0, sizeof(*p));
    p->ctx = *ctx;
    p->irq0 = irq0;
    p->irq_level = true;                /* see pit.h: OUT 0 idles high */
    for (unsigned c = 0; c < PIT_CHANNELS; c++) {
        p->ch[c].gate = c < COUNTER_TIED_HIGH_GATES;
        p->ch[c].rw = CW_RW_WORD;
        p->ch[c].mode = 3;              /* unprogrammed: OUT high */
    }
    vtimer_init(&p->timer, pit_timer_fire, p);
    return 0;
}

int pit_attach(struct pit *p, struct bus *b)
{
    if (!p || !b)
        return -VMS_ERR_INVAL;
    int err = bus_map(b, BUS_PIO, PORT_PIT, PORT_PIT_LEN, &pit_ops, p, PIT_NAME);
    if (err)
        return err;
    return bus_map(b, BUS_PIO, PORT_SYSCTRL_B, 1, &port61_ops, p, "port61");
}

void pit_destroy(struct pit *p)
{
    if (p && p->ctx.clock)
        vtimer_cancel(p->ctx.clock, &p->timer);
}

uint16_t pit_peek_count(const struct pit *p, unsigned c)
{
    return c < PIT_CHANNELS ? reading(&p->ch[c], dev_now(&p->ctx)) : 0;
}

bool pit_peek_out(const struct pit *p, unsigned c)
{
    return c < PIT_CHANNELS && out_at(&p->ch[c], dev_now(&p->ctx));
}
