/* event.c - the event stream, its ring and the JSON Lines writer. */
#include "event.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <string.h>

static const char *const kind_names[EV_KIND_COUNT] = {
#define EV_NAME(name, text) [EV_##name] = text,
    EV_KINDS(EV_NAME)
#undef EV_NAME
};

/* Each name with its closing quote, and the length, for the JSON writer. */
static const struct { const char *s; size_t n; } kind_quoted[EV_KIND_COUNT] = {
#define EV_QUOTED(name, text) [EV_##name] = { text "\"", sizeof(text) },
    EV_KINDS(EV_QUOTED)
#undef EV_QUOTED
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

/* A line being built: JSON is formatted by hand (stdio's printf per field
 * cost 6x the run time of an exit-heavy guest) into a buffer that holds
 * the longest line possible (EV_JSON_MAX), so appends need no bounds
 * checks. */
struct jbuf {
    char *b;
    size_t n;
};

static void j_mem(struct jbuf *j, const char *t, size_t len)
{
    memcpy(j->b + j->n, t, len);
    j->n += len;
}

/* A string literal, its length known at compile time. */
#define J_LIT(j, lit) j_mem((j), (lit), sizeof(lit) - 1)

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of @v (1 for 0): log2 to log10 (1233/4096 ~ log10(2)),
 * corrected by one comparison. */
static unsigned decimal_len(uint64_t v)
{
    static const uint64_t pow10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
        1000000000000ull, 10000000000000ull, 100000000000000ull,
        1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
        1000000000000000000ull, 10000000000000000000ull,
    };
    unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;

    return t + (v >= pow10[t]);
}

/* @v in decimal, written in place from its last digit backwards, two
 * digits per division (a trace line holds 6-8 numbers: this is most of
 * the cost of a line). */
static void j_u64(struct jbuf *j, uint64_t v)
{
    if (v < 10) {
        j->b[j->n++] = (char)('0' + v);
        return;
    }
    unsigned len = decimal_len(v);
    char *p = j->b + j->n + len;

    j->n += len;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[d + 1];
        *--p = digit_pairs[d];
    }
    if (v >= 10) {
        *--p = digit_pairs[v * 2 + 1];
        *--p = digit_pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
}

/* ,"name":v  (@key is the literal ",\"name\":"). */
#define J_FIELD(j, key, v) (J_LIT((j), key), j_u64((j), (v)))

/* @t as a JSON string (quotes and escapes included). */
static void j_text(struct jbuf *j, const char *t)
{
    static const char hex[] = "0123456789abcdef";

    J_LIT(j, "\"");
    for (const unsigned char *p = (const unsigned char *)t, *end = p + EV_TEXT_MAX;
         p < end && *p; p++) {
        if (*p == '"' || *p == '\\') {
            j->b[j->n++] = '\\';
            j->b[j->n++] = (char)*p;
        } else if (*p < 0x20 || *p >= 0x7F) {
            J_LIT(j, "\\u00");
            j->b[j->n++] = hex[*p >> 4];
            j->b[j->n++] = hex[*p & 15];
        } else {
            j->b[j->n++] = (char)*p;
        }
    }
    J_LIT(j, "\"");
}

static void j_kind_fields(struct jbuf *j, const struct event *e)
{
    switch ((enum ev_kind)e->kind) {
    case EV_PIO:
    case EV_MMIO:
        J_FIELD(j, ",\"rip\":", e->rip);
        J_FIELD(j, ",\"addr\":", e->addr);
        J_FIELD(j, ",\"size\":", e->size);
        if (e->write)
            J_LIT(j, ",\"dir\":\"out\"");
        else
            J_LIT(j, ",\"dir\":\"in\"");
        J_FIELD(j, ",\"value\":", e->value);
        break;
    case EV_EXCEPTION:
    case EV_INJECT:
    case EV_SOFTINT:
        J_FIELD(j, ",\"rip\":", e->rip);
        J_FIELD(j, ",\"vector\":", e->vector);
        if (e->has_error)
            J_FIELD(j, ",\"error\":", e->error);
        if (e->kind == EV_EXCEPTION && e->vector == 14)
            J_FIELD(j, ",\"cr2\":", e->addr);
        break;
    case EV_SCHED:
        J_FIELD(j, ",\"pcpu\":", e->pcpu);
        J_FIELD(j, ",\"insns\":", e->value);
        break;
    case EV_MODE:
        J_FIELD(j, ",\"rip\":", e->rip);
        J_FIELD(j, ",\"value\":", e->value);
        break;
    case EV_EXIT:
    case EV_SHUTDOWN:
        J_FIELD(j, ",\"value\":", e->value);
        break;
    case EV_DEVICE:
        break;
    case EV_CR3:
        J_FIELD(j, ",\"rip\":", e->rip);
        J_FIELD(j, ",\"cr3\":", e->addr);
        break;
    default:
        J_FIELD(j, ",\"rip\":", e->rip);
        break;
    }
}

/* Everything after the time: from ,"kind" to the newline. */
static void j_tail(struct jbuf *j, const struct event *e)
{
    J_LIT(j, ",\"kind\":\"");
    if (e->kind < EV_KIND_COUNT)
        j_mem(j, kind_quoted[e->kind].s, kind_quoted[e->kind].n);
    else
        J_LIT(j, "?\"");
    J_FIELD(j, ",\"vm\":", e->vm);
    if (e->vcpu != 0xFFFF)
        J_FIELD(j, ",\"vcpu\":", e->vcpu);
    j_kind_fields(j, e);
    if (e->text[0]) {
        J_LIT(j, ",\"text\":");
        j_text(j, e->text);
    }
    J_LIT(j, "}\n");
}

size_t ev_format_json(char *out, const struct event *e)
{
    struct jbuf j = { .b = out, .n = 0 };

    J_LIT(&j, "{\"seq\":");
    j_u64(&j, e->seq);
    J_FIELD(&j, ",\"t\":", e->vtime);
    j_tail(&j, e);
    return j.n;
}

/* Equal but for seq and vtime (field by field: padding is not copied). */
static bool same_but_time(const struct event *a, const struct event *b)
{
    return a->kind == b->kind && a->vm == b->vm && a->vcpu == b->vcpu &&
           a->addr == b->addr && a->value == b->value && a->rip == b->rip &&
           a->size == b->size && a->write == b->write && a->vector == b->vector &&
           a->has_error == b->has_error && a->pcpu == b->pcpu && a->error == b->error &&
           strncmp(a->text, b->text, EV_TEXT_MAX) == 0;
}

/* Add 1 to the decimal number in @d (@n digits, no leading zeros);
 * returns the new length (one more when all digits were 9). */
static size_t dec_increment(char *d, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        if (d[i] != '9') {
            d[i]++;
            return n;
        }
        d[i] = '0';
    }
    memmove(d + 1, d, n);
    d[0] = '1';
    return n + 1;
}

size_t ev_jwriter_format(struct ev_jwriter *w, char *out, const struct event *e)
{
    struct jbuf j = { .b = out, .n = 0 };

    /* seq: consecutive in a stream, so usually the last digit changes */
    J_LIT(&j, "{\"seq\":");
    if (w->seq_len && e->seq == w->seq + 1 && e->seq != 0) {   /* not a wrap */
        w->seq_len = dec_increment(w->seq_digits, w->seq_len);
    } else {
        struct jbuf d = { .b = w->seq_digits, .n = 0 };
        j_u64(&d, e->seq);
        w->seq_len = d.n;
    }
    w->seq = e->seq;
    j_mem(&j, w->seq_digits, w->seq_len);
    J_FIELD(&j, ",\"t\":", e->vtime);

    /* the rest: an exit repeated (a guest polling a port) is formatted once */
    struct ev_jmemo *m = &w->memo[(e->kind * 7u ^ (unsigned)e->addr ^ (unsigned)(e->addr >> 8)) %
                                  EV_JMEMO];
    if (!m->len || !same_but_time(&m->ev, e)) {
        struct jbuf t = { .b = m->tail, .n = 0 };
        j_tail(&t, e);
        m->len = (uint16_t)t.n;
        /* only the event's own bytes: a packed queue has the next one
         * (or bytes being written) after its text */
        size_t tl = strnlen(e->text, EV_TEXT_MAX);
        memcpy(&m->ev, e, offsetof(struct event, text));
        memcpy(m->ev.text, e->text, tl < EV_TEXT_MAX ? tl + 1 : EV_TEXT_MAX);
        w->misses++;
    }
    j_mem(&j, m->tail, m->len);
    return j.n;
}

int ev_write_json(FILE *f, const struct event *e)
{
    char line[EV_JSON_MAX];
    size_t n = ev_format_json(line, e);

    return fwrite(line, 1, n, f) == n ? 0 : -VMS_ERR_IO;
}
