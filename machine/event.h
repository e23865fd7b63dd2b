/* event.h - the event stream: everything the hypervisor does, in order.
 *
 * VM exits, interrupt injections, exceptions delivered, scheduling
 * decisions, device traffic decoded by the device, mode switches and CR3
 * writes are appended here.  Views, the JSON Lines trace, the timeline and
 * tests all read this one stream.  Events carry virtual time only (never
 * host time), so the same guest with the same input gives the same stream,
 * byte for byte.
 *
 * The stream keeps the last EV_RING events in memory and hands each event
 * to the sinks (trace writer, debugger stop conditions) as it is emitted.
 */
#ifndef VMS_EVENT_H
#define VMS_EVENT_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define EV_KINDS(X)                                                            \
    X(VM_START,  "vm_start")   /* a VM was created and reset */               \
    X(PIO,       "pio")        /* port I/O exit */                            \
    X(MMIO,      "mmio")       /* MMIO exit */                                \
    X(HLT,       "hlt")        /* vCPU executed HLT */                        \
    X(EXCEPTION, "exception")  /* CPU exception delivered through the IDT */  \
    X(INJECT,    "inject")     /* external interrupt injected */              \
    X(SOFTINT,   "softint")    /* INT n / INT3 / INTO delivered */            \
    X(SYSCALL,   "syscall")    /* SYSCALL/SYSRET/SYSENTER/SYSEXIT */         \
    X(SCHED,     "sched")      /* scheduler put a vCPU on a pCPU */           \
    X(DEVICE,    "device")     /* device-decoded traffic */                   \
    X(MODE,      "mode")       /* CPU mode switch */                          \
    X(CR3,       "cr3")        /* CR3 changed */                              \
    X(SHUTDOWN,  "shutdown")   /* triple fault or fatal engine error */       \
    X(EXIT,      "exit")       /* VM ended (debug exit, halt, limit) */

enum ev_kind {
#define EV_ENUM(name, text) EV_##name,
    EV_KINDS(EV_ENUM)
#undef EV_ENUM
    EV_KIND_COUNT
};

#define EV_TEXT_MAX 64

struct event {
    uint64_t seq;        /* position in the stream, from 0 */
    uint64_t vtime;      /* VM virtual time in ns (host time for SCHED) */
    uint16_t vm, vcpu;   /* indexes; vcpu is 0xFFFF where none applies */
    uint8_t kind;        /* enum ev_kind */
    uint8_t size;        /* PIO/MMIO access size in bytes */
    uint8_t write;       /* PIO/MMIO: 1 for a write */
    uint8_t vector;      /* EXCEPTION/INJECT/SOFTINT */
    uint8_t has_error;   /* EXCEPTION: error code valid */
    uint16_t pcpu;       /* SCHED: simulated physical CPU */
    uint32_t error;      /* EXCEPTION: error code */
    uint64_t rip;        /* guest RIP at the event */
    uint64_t addr;       /* port, MMIO address, CR2 (#PF), new CR3 */
    uint64_t value;      /* PIO/MMIO value; MODE: new enum x86_mode;
                            EXIT: status; SCHED: instructions in slice */
    char text[EV_TEXT_MAX]; /* device name + decoded text, reason, ... */
};

const char *ev_kind_name(enum ev_kind k);

/* A sink is told of every event as it is emitted. */
struct ev_sink {
    void (*emit)(void *opaque, const struct event *e);
    void *opaque;
    struct ev_sink *next;
};

#define EV_RING 4096u   /* power of two */

struct evstream {
    struct event ring[EV_RING];
    uint64_t seq;           /* events emitted so far */
    uint32_t kind_mask;     /* kinds recorded: bit (1 << kind); default all */
    struct ev_sink *sinks;
};

void ev_init(struct evstream *s);
void ev_add_sink(struct evstream *s, struct ev_sink *k);
void ev_remove_sink(struct evstream *s, struct ev_sink *k);

/* True when events of @kind are recorded (cheap: check before formatting). */
static inline bool ev_wants(const struct evstream *s, enum ev_kind kind)
{
    return s && (s->kind_mask & (1u << kind));
}

/* Append @e (its seq is assigned here).  A NULL stream is a no-op. */
void ev_emit(struct evstream *s, struct event *e);

/* Convenience for devices: a DEVICE event "<dev> <text>". */
void ev_device(struct evstream *s, uint16_t vm, uint64_t vtime, const char *dev,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void ev_devicev(struct evstream *s, uint16_t vm, uint64_t vtime, const char *dev,
                const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* The event with sequence number @seq if still in the ring, else NULL. */
const struct event *ev_get(const struct evstream *s, uint64_t seq);

/* The longest JSON line: fixed keys, at most 8 numbers of 20 digits and a
 * text of EV_TEXT_MAX bytes escaped to at most 6 bytes each. */
#define EV_JSON_MAX (256 + 8 * 20 + 6 * EV_TEXT_MAX)

/* @e as one JSON object on one line, newline included (schema:
 * docs/TRACE.md), into @out (EV_JSON_MAX bytes).  Returns its length. */
size_t ev_format_json(char *out, const struct event *e);

/* A JSON Lines writer's formatter: the same bytes as ev_format_json(),
 * faster on a stream.  Sequence numbers are counted up in decimal, and
 * the part of a line after the time is kept for a few recent events
 * (EV_JMEMO, chosen by kind and address): an event equal to one of them
 * but for seq and time, as when a guest polls a port, copies those bytes.
 * Zero it before use; ~20 KiB, so not on a small stack. */
#define EV_JMEMO 16u
struct ev_jmemo {
    struct event ev;
    uint16_t len;                 /* 0: empty */
    char tail[EV_JSON_MAX];
};
struct ev_jwriter {
    uint64_t seq;                 /* the last line's */
    size_t seq_len;               /* 0: none yet */
    char seq_digits[24];
    uint64_t misses;              /* tails formatted */
    struct ev_jmemo memo[EV_JMEMO];
};

/* ev_format_json() through @w's memory of the lines before. */
size_t ev_jwriter_format(struct ev_jwriter *w, char *out, const struct event *e);

/* Write @e as one JSON line to @f. */
int ev_write_json(FILE *f, const struct event *e);

#endif
