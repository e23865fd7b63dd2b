/* platform.c - wiring the PC devices of one VM (see platform.h). */
#include "platform.h"

#include <stdlib.h>

#include "debugexit.h"
#include "memmap.h"
#include "pic.h"
#include "pit.h"
#include "uart.h"
#include "vm.h"

struct platform {
    struct vm *vm;
    struct dev_ctx ctx;
    struct pic pic;
    struct pit pit;
    struct uart com1;
    struct debugexit dbg;
    vm_console_fn console;
    void *console_opaque;
};

/* The PIC's INTR output: ask the boot vCPU to stop at the next block
 * boundary so the run loop can take the interrupt. */
static void intr_changed(void *opaque, int pin, int level)
{
    struct platform *p = opaque;

    (void)pin;
    if (level && p->vm->nvcpu > 0)
        vcpu_kick(p->vm->vcpu[0]);
}

static void com1_tx(void *opaque, uint8_t byte)
{
    struct platform *p = opaque;

    if (p->console)
        p->console(p->console_opaque, p->vm->index, byte);
}

static void debug_exit(void *opaque, int status)
{
    struct platform *p = opaque;

    vm_stop(p->vm, VM_EXITED, status, "%s: debug exit, status %d", p->vm->name, status);
    for (unsigned i = 0; i < p->vm->nvcpu; i++)
        vcpu_kick(p->vm->vcpu[i]);
}

static struct irq_line pic_input(struct platform *p, int pin)
{
    return (struct irq_line){ .set = pic_set_irq, .opaque = &p->pic, .pin = pin };
}

/* Initialise and attach every device, in this order. */
static int platform_init(struct platform *p, struct bus *bus)
{
    struct irq_line intr = { .set = intr_changed, .opaque = p, .pin = 0 };
    int err;

    if ((err = pic_init(&p->pic, &p->ctx, intr)) < 0 ||
        (err = pic_attach(&p->pic, bus)) < 0)
        return err;
    if ((err = pit_init(&p->pit, &p->ctx, pic_input(p, IRQ_PIT))) < 0 ||
        (err = pit_attach(&p->pit, bus)) < 0)
        return err;
    if ((err = uart_init(&p->com1, "uart0", &p->ctx, pic_input(p, IRQ_COM1), com1_tx, p)) < 0 ||
        (err = uart_attach(&p->com1, bus, PORT_COM1)) < 0)
        return err;
    if ((err = debugexit_init(&p->dbg, &p->ctx, debug_exit, p)) < 0 ||
        (err = debugexit_attach(&p->dbg, bus)) < 0)
        return err;
    return 0;
}

int platform_create(struct vm *vm, const struct vm_config *cfg, struct platform **out)
{
    struct platform *p = calloc(1, sizeof(*p));

    if (!p)
        return -VMS_ERR_NOMEM;
    p->vm = vm;
    p->ctx = (struct dev_ctx){ .ev = vm->ev, .clock = &vm->clock, .vm = (uint16_t)vm->index };
    p->console = cfg->console;
    p->console_opaque = cfg->console_opaque;
    int err = platform_init(p, &vm->bus);
    if (err < 0) {
        platform_destroy(p);
        return err;
    }
    *out = p;
    return 0;
}

void platform_destroy(struct platform *p)
{
    if (!p)
        return;
    debugexit_destroy(&p->dbg);
    uart_destroy(&p->com1);
    pit_destroy(&p->pit);
    pic_destroy(&p->pic);
    free(p);
}

bool platform_irq_pending(struct platform *p)
{
    return pic_pending(&p->pic);
}

int platform_irq_ack(struct platform *p)
{
    return pic_ack(&p->pic);
}

void platform_console_input(struct platform *p, const uint8_t *buf, size_t n)
{
    uart_rx_push(&p->com1, buf, n);
}
