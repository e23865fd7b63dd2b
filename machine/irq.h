/* irq.h - an interrupt request line between a device and a controller.
 *
 * A device holds a struct irq_line and calls irq_set(line, level); it
 * knows nothing of who listens.  The controller (the 8259 pair, later an
 * I/O APIC) supplies the callback.  An unconnected line (set == NULL) is a
 * no-op, so devices can be unit-tested alone.
 */
#ifndef VMS_IRQ_H
#define VMS_IRQ_H

struct irq_line {
    /* Drive input @pin of the controller @opaque to @level (0 or 1). */
    void (*set)(void *opaque, int pin, int level);
    void *opaque;
    int pin;
};

static inline void irq_set(const struct irq_line *l, int level)
{
    if (l && l->set)
        l->set(l->opaque, l->pin, level);
}

/* An edge for edge-triggered inputs: raise then lower. */
static inline void irq_pulse(const struct irq_line *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

#endif
