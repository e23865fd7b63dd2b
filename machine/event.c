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

/* A line being built: JSON is formatted by hand into a stack buffer and
 * written with one fwrite (stdio's printf per field cost 6x the run time
 * of an exit-heavy guest). */
struct jbuf {
    char b[320];
    size_t n;
};

static void j_str(struct jbuf *j, const char *t)
{
    while (*t && j->n < sizeof(j->b) - 1)
        j->b[j->n++] = *t++;
}

static void j_u64(struct jbuf *j, uint64_t v)
{
    char tmp[20];
    int k = 0;

    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && j->n < sizeof(j->b) - 1)
        j->b[j->n++] = tmp[--k];
}

static void j_field(struct jbuf *j, const char *name, uint64_t v)
{
    j_str(j, ",\"");
    j_str(j, name);
    j_str(j, "\":");
    j_u64(j, v);
}

/* @t as a JSON string (quotes and escapes included). */
static void j_text(struct jbuf *j, const char *t)
{
    static const char hex[] = "0123456789abcdef";

    j_str(j, "\"");
    for (const unsigned char *p = (const unsigned char *)t; *p && j->n < sizeof(j->b) - 8; p++) {
        if (*p == '"' || *p == '\\') {
            j->b[j->n++] = '\\';
            j->b[j->n++] = (char)*p;
        } else if (*p < 0x20 || *p >= 0x7F) {
            j_str(j, "\\u00");
            j->b[j->n++] = hex[*p >> 4];
            j->b[j->n++] = hex[*p & 15];
        } else {
            j->b[j->n++] = (char)*p;
        }
    }
    j_str(j, "\"");
}

static void j_kind_fields(struct jbuf *j, const struct event *e)
{
    switch ((enum ev_kind)e->kind) {
    case EV_PIO:
    case EV_MMIO:
        j_field(j, "rip", e->rip);
        j_field(j, "addr", e->addr);
        j_field(j, "size", e->size);
        j_str(j, e->write ? ",\"dir\":\"out\"" : ",\"dir\":\"in\"");
        j_field(j, "value", e->value);
        break;
    case EV_EXCEPTION:
    case EV_INJECT:
    case EV_SOFTINT:
        j_field(j, "rip", e->rip);
        j_field(j, "vector", e->vector);
        if (e->has_error)
            j_field(j, "error", e->error);
        if (e->kind == EV_EXCEPTION && e->vector == 14)
            j_field(j, "cr2", e->addr);
        break;
    case EV_SCHED:
        j_field(j, "pcpu", e->pcpu);
        j_field(j, "insns", e->value);
        break;
    case EV_MODE:
        j_field(j, "rip", e->rip);
        j_field(j, "value", e->value);
        break;
    case EV_EXIT:
    case EV_SHUTDOWN:
        j_field(j, "value", e->value);
        break;
    case EV_DEVICE:
        break;
    case EV_CR3:
        j_field(j, "rip", e->rip);
        j_field(j, "cr3", e->addr);
        break;
    default:
        j_field(j, "rip", e->rip);
        break;
    }
}

int ev_write_json(FILE *f, const struct event *e)
{
    struct jbuf j = { .n = 0 };

    j_str(&j, "{\"seq\":");
    j_u64(&j, e->seq);
    j_field(&j, "t", e->vtime);
    j_str(&j, ",\"kind\":\"");
    j_str(&j, ev_kind_name((enum ev_kind)e->kind));
    j_str(&j, "\"");
    j_field(&j, "vm", e->vm);
    if (e->vcpu != 0xFFFF)
        j_field(&j, "vcpu", e->vcpu);
    j_kind_fields(&j, e);
    if (e->text[0]) {
        j_str(&j, ",\"text\":");
        j_text(&j, e->text);
    }
    j_str(&j, "}\n");
    return fwrite(j.b, 1, j.n, f) == j.n ? 0 : -VMS_ERR_IO;
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
