/* rtc.h - the PC's CMOS real-time clock (Motorola MC146818A) at 0x70/0x71, IRQ 8.
 *
 * Port 0x70 selects a register (bits 6-0) and holds the NMI mask (bit 7,
 * stored and shown, vmscope delivers no NMI); port 0x71 reads or writes
 * it.  Registers (MC146818A datasheet, "Address map"):
 *   0x00 seconds  0x01 seconds alarm  0x02 minutes  0x03 minutes alarm
 *   0x04 hours    0x05 hours alarm    0x06 day of week (1 = Sunday)
 *   0x07 day of month  0x08 month  0x09 year (00-99)
 *   0x0A register A: UIP (bit 7, read-only), DV2-0, RS3-0 (periodic rate)
 *   0x0B register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary), 24/12, DSE
 *   0x0C register C: IRQF, PF, AF, UF (read-only, cleared by reading)
 *   0x0D register D: VRT (valid RAM and time, always 1)
 *   0x0E-0x7F NVRAM, with the IBM PC's meanings (as QEMU fills them):
 *   0x0F shutdown status, 0x10 floppy types, 0x12 hard disk types,
 *   0x14 equipment, 0x15-0x16 base memory (KiB), 0x17-0x18 and 0x30-0x31
 *   extended memory above 1 MiB (KiB, at most 65535), 0x19/0x1A extended
 *   disk types, 0x1B-0x2C disk geometry, 0x32 century (BCD), 0x34-0x35
 *   memory above 16 MiB (64 KiB units), 0x5B-0x5D memory above 4 GiB
 *   (64 KiB units), 0x5F number of CPUs - 1.
 *
 * Time: a base (Unix seconds, UTC: from the host at creation, or fixed
 * for tests) plus the VM's virtual time, so a fixed base gives the same
 * readings every run.  The time registers follow DM (BCD or binary) and
 * 24/12 (bit 7 of the hour is PM in 12-hour mode).  Writing them while
 * SET is 1 sets the clock; SET stops updates until it is cleared.  UIP
 * is 1 during the last 244 us of every virtual second.
 *
 * Interrupts: PF at the rate RS selects (32768 >> (RS - 1) Hz, RS 1 and 2
 * as 256 and 128 Hz), UF once a second, AF when the time matches the
 * alarm (an alarm byte >= 0xC0 matches anything).  A flag enabled in B
 * sets IRQF and raises IRQ 8, which stays high until register C is read:
 * a guest that never reads C gets one interrupt only, as on hardware.
 */
#ifndef VMS_RTC_H
#define VMS_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "irq.h"
#include "vclock.h"

#define RTC_NREGS 128u

/* Register indexes. */
#define RTC_SEC        0x00u
#define RTC_SEC_ALARM  0x01u
#define RTC_MIN        0x02u
#define RTC_MIN_ALARM  0x03u
#define RTC_HOUR       0x04u
#define RTC_HOUR_ALARM 0x05u
#define RTC_WDAY       0x06u
#define RTC_MDAY       0x07u
#define RTC_MONTH      0x08u
#define RTC_YEAR       0x09u
#define RTC_REG_A      0x0Au
#define RTC_REG_B      0x0Bu
#define RTC_REG_C      0x0Cu
#define RTC_REG_D      0x0Du
#define RTC_SHUTDOWN   0x0Fu   /* shutdown status byte (warm reset reason) */
#define RTC_FLOPPY     0x10u
#define RTC_DISK       0x12u
#define RTC_EQUIPMENT  0x14u
#define RTC_BASEMEM_LO 0x15u
#define RTC_EXTMEM_LO  0x17u
#define RTC_DISK0_EXT  0x19u
#define RTC_DISK1_EXT  0x1Au
#define RTC_DISK0_GEOM 0x1Bu   /* 9 bytes: cyl lo/hi, heads, wpcomp lo/hi, ctrl, lz lo/hi, spt */
#define RTC_DISK1_GEOM 0x24u
#define RTC_EXTMEM2_LO 0x30u
#define RTC_CENTURY    0x32u
#define RTC_BOOT_FLAGS 0x38u   /* QEMU/SeaBIOS: third boot device, floppy check */
#define RTC_BOOT_ORDER 0x3Du   /* QEMU/SeaBIOS: first and second boot devices */
#define RTC_HIMEM_LO   0x34u   /* memory above 16 MiB, 64 KiB units */
#define RTC_MEM4G_LO   0x5Bu   /* memory above 4 GiB, 64 KiB units, 3 bytes */
#define RTC_NCPUS      0x5Fu   /* CPUs - 1 (QEMU) */

/* Register A */
#define RTC_A_UIP   0x80u      /* update in progress */
#define RTC_A_DV    0x70u      /* divider: 010 = 32.768 kHz time base */
#define RTC_A_RS    0x0Fu      /* periodic rate select */
/* Register B */
#define RTC_B_SET   0x80u      /* stop updates, the host sets the time */
#define RTC_B_PIE   0x40u      /* periodic interrupt enable */
#define RTC_B_AIE   0x20u      /* alarm interrupt enable */
#define RTC_B_UIE   0x10u      /* update-ended interrupt enable */
#define RTC_B_SQWE  0x08u      /* square wave output (stored) */
#define RTC_B_DM    0x04u      /* data mode: 1 binary, 0 BCD */
#define RTC_B_24H   0x02u      /* 1: 24-hour mode */
#define RTC_B_DSE   0x01u      /* daylight saving (stored, not applied) */
/* Register C */
#define RTC_C_IRQF  0x80u
#define RTC_C_PF    0x40u
#define RTC_C_AF    0x20u
#define RTC_C_UF    0x10u
/* Register D */
#define RTC_D_VRT   0x80u

#define RTC_UIP_NS  244000u    /* UIP lead time before an update */
#define RTC_NMI_MASK 0x80u     /* port 0x70 bit 7 */

struct rtc {
    struct dev_ctx ctx;        /* copy; clock needed for time to pass */
    struct irq_line irq;
    uint8_t index;             /* last value written to 0x70 (with NMI bit) */
    uint8_t cmos[RTC_NREGS];   /* NVRAM and the A/B/alarm registers */
    int64_t base;              /* Unix seconds at virtual time 0 */
    int64_t frozen;            /* SET held: the time being set */
    uint64_t c_read_at;        /* virtual ns of the last register C read */
    uint8_t c;                 /* register C flags not yet read */
    bool irq_level;
    struct vtimer timer;       /* next PF/UF/AF moment while enabled */
};

/* Reset @r with the time base @epoch (Unix seconds, UTC).  @ctx is
 * copied; without a clock the time never advances. */
int rtc_init(struct rtc *r, const struct dev_ctx *ctx, struct irq_line irq, int64_t epoch)
    VMS_MUST_CHECK;
int rtc_attach(struct rtc *r, struct bus *b) VMS_MUST_CHECK;
void rtc_destroy(struct rtc *r);

/* Fill the NVRAM bytes for @ram bytes of guest RAM and @ncpus CPUs. */
void rtc_set_memory(struct rtc *r, uint64_t ram, unsigned ncpus);
/* Describe hard disk @unit (0, 1) in the NVRAM (type 47, geometry). */
void rtc_set_disk(struct rtc *r, unsigned unit, unsigned cyls, unsigned heads, unsigned spt);

/* The clock now, Unix seconds (for views and tests). */
int64_t rtc_time(const struct rtc *r);

/* Parse "YYYY-MM-DDTHH:MM:SS" (UTC) into Unix seconds; -VMS_ERR_INVAL. */
int rtc_parse_time(const char *text, int64_t *out) VMS_MUST_CHECK;

/* Register @reg as the guest would read it, without side effects. */
uint8_t rtc_peek(const struct rtc *r, unsigned reg);

#endif
