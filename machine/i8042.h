/* i8042.h - the PC keyboard controller (Intel 8042 / PS/2) at 0x60/0x64,
 * its keyboard, IRQ 1, and system control port A at 0x92.
 *
 * Port 0x64 read: the status register; write: a controller command.
 * Port 0x60 read: the output buffer; write: a command parameter, else a
 * byte for the keyboard (IBM PS/2 Technical Reference, "Keyboard/
 * Auxiliary Device Controller"; QEMU hw/input/pckbd.c where it is silent).
 *
 * Status: OBF (output buffer full), IBF (never set: commands complete at
 * once), SYS (system flag, from the command byte / self test), A2 (last
 * write was to 0x64), INH (1 = keyboard not inhibited), AUXB (the byte is
 * from the auxiliary device), TIMEOUT, PARITY.
 * Command byte: KBDINT (IRQ 1 on a keyboard byte), AUXINT, SYS, KBDDIS,
 * AUXDIS, XLAT.  Power-on: what QEMU + SeaBIOS show a boot sector (measured):
 * command byte 0x61 (translation, keyboard interrupt, mouse off) and status
 * 0x1C (SYS, A2, INH).  Writing the command byte copies its bit 2 into the
 * status SYS bit, as the 8042 does (QEMU leaves SYS alone).
 * Controller commands: 0x20-0x3F read RAM (0x20 = command byte), 0x60-0x7F
 * write RAM, 0xA7/0xA8 disable/enable aux, 0xA9 aux test (0x00), 0xAA
 * self test (0x55), 0xAB keyboard test (0x00), 0xAD/0xAE disable/enable
 * keyboard, 0xC0 input port, 0xD0/0xD1 read/write output port (bit 0
 * reset - 0 resets the machine, bit 1 the A20 gate), 0xD2/0xD3 write the
 * keyboard/aux output buffer, 0xD4 write to aux (no mouse: 0xFE), 0xDD/0xDF
 * A20 off/on, 0xF0-0xFF pulse output bits (bit 0 clear = reset, so 0xFE
 * resets).  Unknown commands are ignored.
 * Keyboard commands: 0xED LEDs, 0xEE echo, 0xF0 scan code set, 0xF2
 * identify (0xAB 0x83, or 0xAB 0x41 with translation), 0xF3 typematic,
 * 0xF4 enable, 0xF5 disable, 0xF6 defaults, 0xFE resend, 0xFF reset
 * (0xFA 0xAA); every command is acknowledged with 0xFA, unknown ones get
 * 0xFE.
 *
 * Keystrokes arrive as bytes from the host (the user's typing) and are
 * turned into scan code set 1 make/break codes (US layout; shift and
 * control wrapped around the key; "\e[A" style arrow keys become their
 * E0-prefixed codes).  The guest sees set 1 whatever set it selected,
 * which is what translation (XLAT, on by default) gives on a real PC.
 * The output queue holds I8042_QUEUE bytes; the host asks i8042_room().
 *
 * A20: vmscope's memory never wraps at 1 MiB (A20 is always on); the gate
 * bit is stored, reported, and reads back.  A reset request calls reset().
 */
#ifndef VMS_I8042_H
#define VMS_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "irq.h"

/* Status register (port 0x64 read). */
#define I8042_STR_OBF     0x01u  /* output buffer full: read 0x60 */
#define I8042_STR_IBF     0x02u  /* input buffer full */
#define I8042_STR_SYS     0x04u  /* system flag: self test passed */
#define I8042_STR_A2      0x08u  /* last write was a command (0x64) */
#define I8042_STR_INH     0x10u  /* 1: keyboard not inhibited */
#define I8042_STR_AUXB    0x20u  /* output buffer holds aux data */
#define I8042_STR_TIMEOUT 0x40u
#define I8042_STR_PARITY  0x80u

/* Command byte (controller RAM byte 0). */
#define I8042_CB_KBDINT   0x01u
#define I8042_CB_AUXINT   0x02u
#define I8042_CB_SYS      0x04u
#define I8042_CB_KBDDIS   0x10u
#define I8042_CB_AUXDIS   0x20u
#define I8042_CB_XLAT     0x40u
#define I8042_CB_RESET    0x61u  /* as SeaBIOS leaves it: XLAT, AUXDIS, KBDINT */

/* Output port (0xD0/0xD1). */
#define I8042_OUT_RESET   0x01u  /* 0 = assert system reset */
#define I8042_OUT_A20     0x02u  /* A20 gate */
#define I8042_OUT_OBF_KBD 0x10u  /* IRQ 1 line */
#define I8042_OUT_OBF_AUX 0x20u  /* IRQ 12 line */

/* System control port A (0x92). */
#define SYSCTRL_A_RESET   0x01u  /* 1 = fast reset */
#define SYSCTRL_A_A20     0x02u  /* fast A20 gate */

#define I8042_QUEUE 1024u        /* keyboard bytes waiting for the guest */
#define I8042_RAM   32u          /* controller RAM (byte 0: command byte) */

struct i8042 {
    struct dev_ctx ctx;           /* copy; ev and clock may be NULL */
    struct irq_line irq_kbd;      /* IRQ 1 */
    struct irq_line irq_aux;      /* IRQ 12 */
    /* The guest asked for a machine reset (@why says how). */
    void (*reset)(void *opaque, const char *why);
    void *reset_opaque;

    uint8_t ram[I8042_RAM];       /* ram[0] is the command byte */
    uint8_t status;
    uint8_t outport;
    uint8_t sysctrl_a;            /* port 0x92 */
    uint8_t pending_cmd;          /* controller command waiting for 0x60 */
    uint8_t kbd_cmd;              /* keyboard command waiting for a parameter */
    bool kbd_scanning;            /* 0xF4 / 0xF5 */
    uint8_t leds, scan_set, typematic;
    uint8_t obuf;                 /* the output buffer (valid when OBF) */
    bool obuf_aux;
    /* bytes waiting: controller replies first, then keyboard bytes */
    uint8_t q[I8042_QUEUE];
    unsigned q_head, q_count;
    uint64_t dropped;             /* host bytes that found no room */
    bool irq_kbd_level, irq_aux_level;
};

int i8042_init(struct i8042 *k, const struct dev_ctx *ctx, struct irq_line irq_kbd,
               struct irq_line irq_aux) VMS_MUST_CHECK;
/* Map 0x60, 0x64 and 0x92. */
int i8042_attach(struct i8042 *k, struct bus *b) VMS_MUST_CHECK;
void i8042_destroy(struct i8042 *k);

/* The user typed @n bytes: queue their set 1 scan codes.  Returns the
 * number of bytes taken (the rest found no room). */
size_t i8042_type(struct i8042 *k, const uint8_t *buf, size_t n);
/* Queue raw scan code bytes (as a keyboard would send them). */
void i8042_push_scancodes(struct i8042 *k, const uint8_t *codes, size_t n);
/* Scan code bytes that still fit in the queue. */
size_t i8042_room(const struct i8042 *k);

/* Set 1 codes for one ASCII byte: up to 6 bytes into @out (make/break,
 * with shift or control around it).  Returns the count, 0 if unmapped. */
unsigned i8042_ascii_to_set1(uint8_t c, uint8_t out[6]);
/* The ASCII byte for a set 1 make code with @shift held, 0 for none
 * (used by the firmware's int 09h). */
uint8_t i8042_set1_to_ascii(uint8_t code, bool shift);

/* The A20 gate as the guest set it (output port or port 0x92). */
bool i8042_a20(const struct i8042 *k);

/* Read the output buffer as an IN from port 0x60 would. */
uint8_t i8042_read_data(struct i8042 *k);

#endif
