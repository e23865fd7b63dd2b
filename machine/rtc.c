/* rtc.c - MC146818A CMOS clock and NVRAM (see rtc.h). */
#include "rtc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "memmap.h"

#define NS_PER_SEC 1000000000ull
#define KIB 1024ull
#define MIB (1024ull * 1024ull)
#define ALARM_DONT_CARE 0xC0u   /* alarm bytes 11xxxxxx match any value */
#define REG_A_RESET 0x26u       /* 32.768 kHz time base, 1024 Hz periodic */
#define REG_B_RESET RTC_B_24H   /* BCD, 24-hour (as a PC BIOS leaves it) */
#define DISK_TYPE_EXT 0x2Fu     /* "user defined" type 47: geometry follows */

static const char RTC_NAME[] = "rtc";

static void rtc_ev(const struct rtc *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void rtc_ev(const struct rtc *r, const char *fmt, ...)
{
    va_list ap;

    if (!ev_wants(r->ctx.ev, EV_DEVICE))
        return;
    va_start(ap, fmt);
    dev_eventv(&r->ctx, RTC_NAME, fmt, ap);
    va_end(ap);
}

/* ---- time ---- */

static bool set_held(const struct rtc *r) { return r->cmos[RTC_REG_B] & RTC_B_SET; }

int64_t rtc_time(const struct rtc *r)
{
    if (set_held(r))
        return r->frozen;
    return r->base + (int64_t)(dev_now(&r->ctx) / NS_PER_SEC);
}

static bool binary(const struct rtc *r) { return r->cmos[RTC_REG_B] & RTC_B_DM; }

static uint8_t enc(const struct rtc *r, unsigned v)
{
    v %= 100;
    return binary(r) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned dec(const struct rtc *r, uint8_t v)
{
    return binary(r) ? v : (unsigned)((v >> 4) * 10 + (v & 0x0F));
}

/* Hours in the current 12/24-hour mode (datasheet table 3: in 12-hour
 * mode bit 7 is PM and the hour runs 1-12). */
static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return enc(r, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct rtc *r, uint8_t v)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return dec(r, v);
    return dec(r, v & 0x7F) % 12 + ((v & 0x80) ? 12 : 0);
}

static void broken_down(const struct rtc *r, struct tm *tm)
{
    time_t t = (time_t)rtc_time(r);

    memset(tm, 0, sizeof(*tm));
    gmtime_r(&t, tm);
}

static uint8_t read_time_reg(const struct rtc *r, unsigned reg)
{
    struct tm tm;

    broken_down(r, &tm);
    switch (reg) {
    case RTC_SEC: return enc(r, (unsigned)tm.tm_sec);
    case RTC_MIN: return enc(r, (unsigned)tm.tm_min);
    case RTC_HOUR: return enc_hour(r, (unsigned)tm.tm_hour);
    case RTC_WDAY: return enc(r, (unsigned)tm.tm_wday + 1);
    case RTC_MDAY: return enc(r, (unsigned)tm.tm_mday);
    case RTC_MONTH: return enc(r, (unsigned)tm.tm_mon + 1);
    case RTC_YEAR: return enc(r, (unsigned)(tm.tm_year + 1900) % 100);
    case RTC_CENTURY: return enc(r, (unsigned)(tm.tm_year + 1900) / 100);
    }
    return 0;
}

static bool is_time_reg(unsigned reg)
{
    return reg == RTC_SEC || reg == RTC_MIN || reg == RTC_HOUR || reg == RTC_WDAY ||
           reg == RTC_MDAY || reg == RTC_MONTH || reg == RTC_YEAR || reg == RTC_CENTURY;
}

/* The guest sets one field of the clock. */
static void write_time_reg(struct rtc *r, unsigned reg, uint8_t v)
{
    struct tm tm;
    int century;

    broken_down(r, &tm);
    century = (tm.tm_year + 1900) / 100;
    switch (reg) {
    case RTC_SEC: tm.tm_sec = (int)dec(r, v) % 60; break;
    case RTC_MIN: tm.tm_min = (int)dec(r, v) % 60; break;
    case RTC_HOUR: tm.tm_hour = (int)dec_hour(r, v) % 24; break;
    case RTC_WDAY: return;                      /* derived from the date */
    case RTC_MDAY: tm.tm_mday = (int)dec(r, v) % 32; break;
    case RTC_MONTH: tm.tm_mon = ((int)dec(r, v) + 11) % 12; break;
    case RTC_YEAR: tm.tm_year = century * 100 + (int)dec(r, v) % 100 - 1900; break;
    case RTC_CENTURY:
        tm.tm_year = (int)dec(r, v) % 100 * 100 + (tm.tm_year + 1900) % 100 - 1900;
        break;
    }
    int64_t t = (int64_t)timegm(&tm);
    if (set_held(r))
        r->frozen = t;
    else
        r->base = t - (int64_t)(dev_now(&r->ctx) / NS_PER_SEC);
    rtc_ev(r, "time set: %lld", (long long)t);
}

/* ---- interrupts ---- */

static uint64_t period_ns(const struct rtc *r)
{
    unsigned rs = r->cmos[RTC_REG_A] & RTC_A_RS;

    if (rs == 0)
        return 0;
    unsigned hz = rs == 1 ? 256 : rs == 2 ? 128 : 65536u >> rs;
    return NS_PER_SEC / hz;
}

static bool alarm_match(const struct rtc *r)
{
    static const unsigned pairs[3][2] = {
        { RTC_SEC_ALARM, RTC_SEC }, { RTC_MIN_ALARM, RTC_MIN }, { RTC_HOUR_ALARM, RTC_HOUR },
    };

    for (unsigned i = 0; i < 3; i++) {
        uint8_t alarm = r->cmos[pairs[i][0]];
        if ((alarm & ALARM_DONT_CARE) != ALARM_DONT_CARE &&
            alarm != read_time_reg(r, pairs[i][1]))
            return false;
    }
    return true;
}

/* Flags for what happened since the last collection. */
static void collect(struct rtc *r, uint64_t now)
{
    uint64_t last = r->c_read_at, p = period_ns(r);

    if (now <= last)
        return;
    if (p && now / p > last / p)
        r->c |= RTC_C_PF;
    if (!set_held(r) && now / NS_PER_SEC > last / NS_PER_SEC) {
        r->c |= RTC_C_UF;
        if (alarm_match(r))
            r->c |= RTC_C_AF;
    }
    r->c_read_at = now;
}

static uint8_t enabled_flags(const struct rtc *r)
{
    uint8_t b = r->cmos[RTC_REG_B];

    return (uint8_t)(((b & RTC_B_PIE) ? RTC_C_PF : 0) | ((b & RTC_B_AIE) ? RTC_C_AF : 0) |
                     ((b & RTC_B_UIE) ? RTC_C_UF : 0));
}

static void update_irq(struct rtc *r)
{
    if (r->c & enabled_flags(r))
        r->c |= RTC_C_IRQF;
    bool level = r->c & RTC_C_IRQF;
    if (level != r->irq_level) {
        r->irq_level = level;
        irq_set(&r->irq, level);
    }
}

/* Arm the timer at the next moment an enabled flag can be set. */
static void rearm(struct rtc *r)
{
    struct vclock *c = r->ctx.clock;
    uint8_t en = enabled_flags(r);

    if (!c)
        return;
    uint64_t now = vclock_now(c), next = VCLOCK_NEVER, p = period_ns(r);
    if ((en & RTC_C_PF) && p)
        next = (now / p + 1) * p;
    if ((en & (RTC_C_UF | RTC_C_AF)) && !set_held(r)) {
        uint64_t s = (now / NS_PER_SEC + 1) * NS_PER_SEC;
        next = s < next ? s : next;
    }
    if (next == VCLOCK_NEVER)
        vtimer_cancel(c, &r->timer);
    else
        vtimer_arm(c, &r->timer, next);
}

static void timer_fire(void *opaque, uint64_t now)
{
    struct rtc *r = opaque;

    collect(r, now);
    update_irq(r);
    rearm(r);
}

/* ---- registers ---- */

static uint8_t read_reg_a(const struct rtc *r)
{
    uint8_t a = r->cmos[RTC_REG_A] & (uint8_t)~RTC_A_UIP;
    uint64_t ns = dev_now(&r->ctx) % NS_PER_SEC;

    if (!set_held(r) && ns >= NS_PER_SEC - RTC_UIP_NS)
        a |= RTC_A_UIP;    /* an update starts within 244 us */
    return a;
}

uint8_t rtc_peek(const struct rtc *r, unsigned reg)
{
    reg &= RTC_NREGS - 1;
    if (is_time_reg(reg))
        return read_time_reg(r, reg);
    switch (reg) {
    case RTC_REG_A: return read_reg_a(r);
    case RTC_REG_C: return r->c;
    case RTC_REG_D: return RTC_D_VRT;
    }
    return r->cmos[reg];
}

static uint8_t read_data(struct rtc *r)
{
    unsigned reg = r->index & (RTC_NREGS - 1);

    if (reg != RTC_REG_C)
        return rtc_peek(r, reg);
    collect(r, dev_now(&r->ctx));
    update_irq(r);
    uint8_t v = r->c;
    r->c = 0;                       /* reading C clears every flag */
    update_irq(r);
    rearm(r);
    if (v)
        rtc_ev(r, "C -> 0x%02x%s%s%s", v, (v & RTC_C_PF) ? " PF" : "",
               (v & RTC_C_AF) ? " AF" : "", (v & RTC_C_UF) ? " UF" : "");
    return v;
}

static void write_reg_b(struct rtc *r, uint8_t v)
{
    uint8_t old = r->cmos[RTC_REG_B];

    if ((v & RTC_B_SET) && !(old & RTC_B_SET))
        r->frozen = rtc_time(r);          /* stop the clock where it is */
    r->cmos[RTC_REG_B] = v;
    if (!(v & RTC_B_SET) && (old & RTC_B_SET))
        r->base = r->frozen - (int64_t)(dev_now(&r->ctx) / NS_PER_SEC);
    rtc_ev(r, "B <- 0x%02x%s%s%s%s%s%s", v, (v & RTC_B_SET) ? " SET" : "",
           (v & RTC_B_PIE) ? " PIE" : "", (v & RTC_B_AIE) ? " AIE" : "",
           (v & RTC_B_UIE) ? " UIE" : "", (v & RTC_B_DM) ? " binary" : " BCD",
           (v & RTC_B_24H) ? " 24h" : " 12h");
    collect(r, dev_now(&r->ctx));
    update_irq(r);
    rearm(r);
}

static void write_data(struct rtc *r, uint8_t v)
{
    unsigned reg = r->index & (RTC_NREGS - 1);

    if (is_time_reg(reg)) {
        write_time_reg(r, reg, v);
        return;
    }
    switch (reg) {
    case RTC_REG_A:
        r->cmos[RTC_REG_A] = v & (uint8_t)~RTC_A_UIP;   /* UIP is read-only */
        rtc_ev(r, "A <- 0x%02x", v);
        rearm(r);
        return;
    case RTC_REG_B: write_reg_b(r, v); return;
    case RTC_REG_C: case RTC_REG_D: return;             /* read-only */
    }
    if (reg == RTC_SHUTDOWN)
        rtc_ev(r, "shutdown status <- 0x%02x", v);
    r->cmos[reg] = v;
}

static uint64_t rtc_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    struct rtc *r = opaque;

    (void)size;
    return offset == 1 ? read_data(r) : 0xFF;   /* 0x70 is write-only */
}

static void rtc_bus_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct rtc *r = opaque;

    (void)size;
    if (offset == 0)
        r->index = (uint8_t)value;   /* bit 7: NMI mask, kept */
    else
        write_data(r, (uint8_t)value);
}

static const struct bus_dev_ops rtc_ops = {
    .read = rtc_bus_read,    /* 0x71: the selected register */
    .write = rtc_bus_write,  /* 0x70: index + NMI mask; 0x71: data */
};

/* ---- life cycle ---- */

int rtc_init(struct rtc *r, const struct dev_ctx *ctx, struct irq_line irq, int64_t epoch)
{
    if (!r)
        return -VMS_ERR_INVAL;
    memset(r, 0, sizeof(*r));
    if (ctx)
        r->ctx = *ctx;
    r->irq = irq;
    r->base = epoch - (int64_t)(dev_now(&r->ctx) / NS_PER_SEC);
    r->cmos[RTC_REG_A] = REG_A_RESET;
    r->cmos[RTC_REG_B] = REG_B_RESET;
    r->cmos[RTC_EQUIPMENT] = 0x06;   /* QEMU: FPU present, PS/2 mouse port */
    r->cmos[RTC_BOOT_ORDER] = 0x12;  /* QEMU: boot from hard disk, then floppy */
    r->cmos[RTC_BOOT_FLAGS] = 0x30;
    r->c_read_at = dev_now(&r->ctx);
    vtimer_init(&r->timer, timer_fire, r);
    return 0;
}

int rtc_attach(struct rtc *r, struct bus *b)
{
    if (!r || !b)
        return -VMS_ERR_INVAL;
    return bus_map(b, BUS_PIO, PORT_RTC, 2, &rtc_ops, r, RTC_NAME);
}

void rtc_destroy(struct rtc *r)
{
    if (r && r->ctx.clock)
        vtimer_cancel(r->ctx.clock, &r->timer);
}

static void put16(struct rtc *r, unsigned reg, uint64_t v)
{
    r->cmos[reg] = (uint8_t)v;
    r->cmos[reg + 1] = (uint8_t)(v >> 8);
}

/* The same values QEMU's pc_cmos_init writes (hw/i386/pc.c). */
void rtc_set_memory(struct rtc *r, uint64_t ram, unsigned ncpus)
{
    uint64_t below4g = ram < (4096 * MIB) ? ram : 4096 * MIB;
    uint64_t base = below4g / KIB < 640 ? below4g / KIB : 640;
    uint64_t ext = below4g > MIB ? (below4g - MIB) / KIB : 0;
    uint64_t high = below4g > 16 * MIB ? (below4g - 16 * MIB) / (64 * KIB) : 0;
    uint64_t above = (ram - below4g) / (64 * KIB);

    put16(r, RTC_BASEMEM_LO, base);
    put16(r, RTC_EXTMEM_LO, ext > 0xFFFF ? 0xFFFF : ext);
    put16(r, RTC_EXTMEM2_LO, ext > 0xFFFF ? 0xFFFF : ext);
    put16(r, RTC_HIMEM_LO, high > 0xFFFF ? 0xFFFF : high);
    r->cmos[RTC_MEM4G_LO] = (uint8_t)above;
    r->cmos[RTC_MEM4G_LO + 1] = (uint8_t)(above >> 8);
    r->cmos[RTC_MEM4G_LO + 2] = (uint8_t)(above >> 16);
    r->cmos[RTC_NCPUS] = (uint8_t)(ncpus ? ncpus - 1 : 0);
}

void rtc_set_disk(struct rtc *r, unsigned unit, unsigned cyls, unsigned heads, unsigned spt)
{
    unsigned g = unit ? RTC_DISK1_GEOM : RTC_DISK0_GEOM;

    if (unit > 1)
        return;
    r->cmos[RTC_DISK] |= unit ? 0x0F : 0xF0;   /* type 15: see the extended byte */
    r->cmos[unit ? RTC_DISK1_EXT : RTC_DISK0_EXT] = DISK_TYPE_EXT;
    put16(r, g, cyls);
    r->cmos[g + 2] = (uint8_t)heads;
    put16(r, g + 3, 0xFFFF);                  /* write precompensation: none */
    r->cmos[g + 5] = heads > 8 ? 0xC0 : 0x00; /* control byte */
    put16(r, g + 6, cyls);                    /* landing zone */
    r->cmos[g + 8] = (uint8_t)spt;
}

int rtc_parse_time(const char *text, int64_t *out)
{
    struct tm tm;
    char tail;

    memset(&tm, 0, sizeof(tm));
    if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail) != 6)
        return vms_seterr(VMS_ERR_INVAL, "'%s' is not a time (YYYY-MM-DDTHH:MM:SS)",
                          text ? text : "");
    if (tm.tm_year < 1970 || tm.tm_year > 2999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 59 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
        return vms_seterr(VMS_ERR_INVAL, "'%s' is out of range", text);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return 0;
}
