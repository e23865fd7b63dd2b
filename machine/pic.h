/* pic.h - the PC's two cascaded Intel 8259A interrupt controllers.
 *
 * Master at 0x20/0x21 (IRQ 0-7), slave at 0xA0/0xA1 (IRQ 8-15) whose INT
 * output drives master input 2; the PIIX edge/level control registers
 * (ELCR) at 0x4D0/0x4D1.  Behaviour follows the Intel 8259A datasheet
 * (order no. 231468) and QEMU's hw/intc/i8259.c where the datasheet leaves
 * room: an edge latches IRR until acknowledged even if the line falls
 * again (so irq_pulse() works); a request that is gone at INTA time gives
 * the spurious vector of IR7 (IR15 on the slave, with the master's IR2 in
 * service).  Only 8086 mode is modelled (ICW4.uPM = 0 is accepted, but
 * the vector is formed the 8086 way).
 *
 * Initial state: the datasheet defines none (the chip must be initialised
 * with ICW1-ICW4), and QEMU's reset leaves IMR = 0 with vector base 0; but
 * no guest ever sees that under QEMU, because its BIOS (SeaBIOS, pic_reset)
 * initialises the pair first.  vmscope has no BIOS, so pic_init() leaves
 * the pair as SeaBIOS does: ICW done, vectors 0x08-0x0F and 0x70-0x77,
 * cascade on IR2, 8086 mode, normal EOI, every input masked except the
 * cascade (IMR 0xFB / 0xFF), all inputs edge-triggered.  A kernel that only
 * masks the 8259 without initialising it is therefore safe; a kernel that
 * unmasks without remapping gets BIOS vectors (0x08 for IRQ0) as under
 * QEMU, but no BIOS handler exists there.
 */
#ifndef VMS_PIC_H
#define VMS_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "devctx.h"
#include "err.h"
#include "irq.h"

#define PIC_PINS 16   /* pic_set_irq() pins: 0-7 master, 8-15 slave */

/* One 8259A. */
struct pic_chip {
    uint8_t irr;          /* interrupt request register */
    uint8_t isr;          /* in-service register */
    uint8_t imr;          /* interrupt mask register (OCW1) */
    uint8_t level;        /* input line levels (edge detection) */
    uint8_t elcr;         /* PIIX ELCR: 1 = level-triggered input */
    uint8_t elcr_mask;    /* ELCR bits that may be set */
    uint8_t vector_base;  /* ICW2 & 0xF8 */
    uint8_t icw3;         /* master: slave bitmap; slave: its id */
    uint8_t init_step;    /* 0 ready; 2, 3, 4: next ICW expected */
    uint8_t priority_add; /* IR with the highest priority (rotation) */
    bool icw4_needed, single, ltim;
    bool auto_eoi, rotate_aeoi, sfnm, special_mask;
    bool read_isr;        /* OCW3 RR/RIS: command port reads ISR */
    bool poll;            /* OCW3 P: next command-port read polls */
    bool master;
};

struct pic {
    struct pic_chip chip[2];   /* [0] master, [1] slave */
    struct dev_ctx ctx;        /* copy; ev and clock may be NULL */
    struct irq_line intr;      /* INTR to the CPU */
    bool intr_level;           /* level last driven on @intr */
};

/* Power on in the BIOS hand-off state described above.  @ctx is copied
 * and may be NULL.  @intr_out goes to 1 while an unmasked request is
 * pending (pic_pending()), then the CPU runs pic_ack(). */
int pic_init(struct pic *p, const struct dev_ctx *ctx, struct irq_line intr_out)
    VMS_MUST_CHECK;
/* Map 0x20-0x21 ("pic1"), 0xA0-0xA1 ("pic2") and 0x4D0-0x4D1 ("elcr"). */
int pic_attach(struct pic *p, struct bus *b) VMS_MUST_CHECK;
/* Nothing is owned; @p may be NULL. */
void pic_destroy(struct pic *p);

/* Drive input @pin (0-15) to @level; an irq_line callback (opaque is the
 * struct pic).  Pin 2 is the internal cascade: external pin 2 is ignored
 * (on an AT, ISA IRQ2 is rewired to IRQ9).  Other pins are ignored too. */
void pic_set_irq(void *pic, int pin, int level);
/* The master would interrupt the CPU now (INTR is high). */
bool pic_pending(const struct pic *p);
/* The INTA cycle: the vector to deliver (always 0-255).  Handles cascade,
 * auto-EOI, rotation and the spurious IR7/IR15 vectors. */
int pic_ack(struct pic *p);

#endif
