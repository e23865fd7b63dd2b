/* event.c - the event stream, its ring and the JSON Lines writer. */
#include "event.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

static const char *const kind_names[EV_KIND_COUNT] = {
#define EV_NAME(name, text) [EV_##name] = text,
    EV_KINDS(EV_NAME)
#undef EV_NAME
};

const char *ev_kind_name(enum ev_kind k)
{
    return (unsigned)k < EV_KIND_COUNT ? kind_names[k] : "?";
}

void ev_init(struct evstream *s)
{
    s->seq = 0;
    s->kind_mask = (1u << EV_KIND_COUNT) - 1;
    s->sinks = NULL;
}

void ev_add_sink(struct evstream *s, struct ev_sink *k)
{
    struct ev_sink **pp = &s->sinks;

    while (*pp)             /* append: sinks see events in the order added */
        pp = &(*pp)->next;
    k->next = NULL;
    *pp = k;
}

void ev_remove_sink(struct evstream *s, struct ev_sink *k)
{
    for (struct ev_sink **pp = &s->sinks; *pp; pp = &(*pp)->next) {
        if (*pp == k) {
            *pp = k->next;
            return;
        }
    }
}

void ev_emit(struct evstream *s, struct event *e)
{
    if (!ev_wants(s, (enum ev_kind)e->kind))
        return;
    e->seq = s->seq++;
    s->ring[e->seq & (EV_RING - 1)] = *e;
    for (struct ev_sink *k = s->sinks; k; k = k->next)
        k->emit(k->opaque, e);
}

void ev_devicev(struct evstream *s, uint16_t vm, uint64_t vtime, const char *dev,
                const char *fmt, va_list ap)
{
    struct event e = { .kind = EV_DEVICE, .vm = vm, .vcpu = 0xFFFF, .vtime = vtime };

    if (!ev_wants(s, EV_DEVICE))
        return;
    int n = snprintf(e.text, sizeof(e.text), "%s ", dev);
    if (n > 0 && (size_t)n < sizeof(e.text))
        vsnprintf(e.text + n, sizeof(e.text) - (size_t)n, fmt, ap);
    ev_emit(s, &e);
}

void ev_device(struct evstream *s, uint16_t vm, uint64_t vtime, const char *dev,
               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ev_devicev(s, vm, vtime, dev, fmt, ap);
    va_end(ap);
}

const struct event *ev_get(const struct evstream *s, uint64_t seq)
{
    if (seq >= s->seq || s->seq - seq > EV_RING)
        return NULL;
    return &s->ring[seq & (EV_RING - 1)];
}

/* Write @t as a JSON string (quotes and escapes included). */
static void json_string(FILE *f, const char *t)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int ev_write_json(FILE *f, const struct event *e)
{
    fprintf(f, "{\"seq\":%" PRIu64 ",\"t\":%" PRIu64 ",\"kind\":\"%s\",\"vm\":%u",
            e->seq, e->vtime, ev_kind_name((enum ev_kind)e->kind), e->vm);
    if (e->vcpu != 0xFFFF)
        fprintf(f, ",\"vcpu\":%u", e->vcpu);
    switch ((enum ev_kind)e->kind) {
    case EV_PIO:
    case EV_MMIO:
        fprintf(f, ",\"rip\":%" PRIu64 ",\"addr\":%" PRIu64 ",\"size\":%u,"
                   "\"dir\":\"%s\",\"value\":%" PRIu64,
                e->rip, e->addr, e->size, e->write ? "out" : "in", e->value);
        break;
    case EV_EXCEPTION:
    case EV_INJECT:
    case EV_SOFTINT:
        fprintf(f, ",\"rip\":%" PRIu64 ",\"vector\":%u", e->rip, e->vector);
        if (e->has_error)
            fprintf(f, ",\"error\":%u", e->error);
        if (e->kind == EV_EXCEPTION && e->vector == 14)
            fprintf(f, ",\"cr2\":%" PRIu64, e->addr);
        break;
    case EV_SCHED:
        fprintf(f, ",\"pcpu\":%u,\"insns\":%" PRIu64, e->pcpu, e->value);
        break;
    case EV_MODE:
        fprintf(f, ",\"rip\":%" PRIu64 ",\"value\":%" PRIu64, e->rip, e->value);
        break;
    case EV_EXIT:
        fprintf(f, ",\"value\":%" PRIu64, e->value);
        break;
    case EV_DEVICE:
    case EV_SHUTDOWN:
        if (e->kind == EV_SHUTDOWN)
            fprintf(f, ",\"value\":%" PRIu64, e->value);
        break;
    case EV_CR3:
        fprintf(f, ",\"rip\":%" PRIu64 ",\"cr3\":%" PRIu64, e->rip, e->addr);
        break;
    default:
        fprintf(f, ",\"rip\":%" PRIu64, e->rip);
        break;
    }
    if (e->text[0]) {
        fputs(",\"text\":", f);
        json_string(f, e->text);
    }
    fputs("}\n", f);
    return ferror(f) ? -VMS_ERR_IO : 0;
}

static void json_sink_emit(void *opaque, const struct event *e)
{
    struct ev_json_sink *j = opaque;

    if (!j->err)
        j->err = ev_write_json(j->f, e);
}

void ev_json_sink_init(struct ev_json_sink *j, FILE *f)
{
    j->sink = (struct ev_sink){ .emit = json_sink_emit, .opaque = j };
    j->f = f;
    j->err = 0;
}
