/* evfilter.c - event filters: parse, match, describe (session.h).
 *
 * One filter serves event breakpoints (`catch exception 14`) and the event
 * log view (`info events pio 0x3f8`).  The words:
 *   mode [real|vm86|protected16|protected32|protected|compat|long64|long]
 *        [paging|nopaging]
 *   cr3 [VALUE]                 exception [VEC]      softint [VEC]
 *   interrupt [VEC] (injected IRQ or INT n)          inject [VEC]
 *   pio|port [PORT[-PORT]] [read|write]              mmio [ADDR[-ADDR]] [read|write]
 *   device NAME (port, MMIO and decoded traffic of that device)
 *   exit [pio|mmio|hlt|shutdown|end]   hlt   triple|shutdown   syscall
 *   sched [vmN[.vcpuM]]   vm_start   any
 * and anywhere: vmN or vmN.vcpuM (or vmN.M) to narrow to a VM / vCPU.
 */
#include "debugger/session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND(k) (1u << EV_##k)

void dbg_evfilter_any(struct dbg_evfilter *f)
{
    memset(f, 0, sizeof(*f));
    f->vm = f->vcpu = f->vector = f->write = f->mode = f->paging = -1;
}

static bool range_match(const struct dbg_evfilter *f, uint64_t v)
{
    return !f->has_range || (v >= f->lo && v <= f->hi);
}

bool dbg_evfilter_match(const struct dbg_evfilter *f, const struct event *e)
{
    if (f->kinds && !(f->kinds & (1u << e->kind)))
        return false;
    if (f->vm >= 0 && e->vm != f->vm)
        return false;
    if (f->vcpu >= 0 && e->vcpu != f->vcpu)
        return false;
    bool vec = e->kind == EV_EXCEPTION || e->kind == EV_INJECT || e->kind == EV_SOFTINT;
    if (f->vector >= 0 && (!vec || e->vector != f->vector))
        return false;
    bool io = e->kind == EV_PIO || e->kind == EV_MMIO;
    if (f->write >= 0 && io && e->write != f->write)
        return false;
    if (e->kind == EV_MODE && f->mode >= 0 && (int)(e->value & 0xFF) != f->mode)
        return false;
    if (e->kind == EV_MODE && f->paging >= 0 &&
        (strstr(e->text, "paging") != NULL) != (f->paging == 1))
        return false;
    if (io && !range_match(f, e->addr))
        return false;
    if (e->kind == EV_CR3 && !range_match(f, e->addr))
        return false;
    if (f->text[0] && !strstr(e->text, f->text))
        return false;
    return true;
}

/* ---- parsing ---- */

struct word_kinds { const char *word; uint32_t kinds; };
static const struct word_kinds kind_words[] = {
    { "mode", KIND(MODE) }, { "cr3", KIND(CR3) }, { "exception", KIND(EXCEPTION) },
    { "softint", KIND(SOFTINT) }, { "interrupt", KIND(INJECT) | KIND(SOFTINT) },
    { "inject", KIND(INJECT) }, { "irq", KIND(INJECT) }, { "pio", KIND(PIO) },
    { "port", KIND(PIO) }, { "mmio", KIND(MMIO) },
    { "device", KIND(PIO) | KIND(MMIO) | KIND(DEVICE) },
    { "exit", KIND(PIO) | KIND(MMIO) | KIND(HLT) | KIND(SHUTDOWN) | KIND(EXIT) },
    { "vmexit", KIND(PIO) | KIND(MMIO) | KIND(HLT) | KIND(SHUTDOWN) | KIND(EXIT) },
    { "hlt", KIND(HLT) }, { "triple", KIND(SHUTDOWN) }, { "shutdown", KIND(SHUTDOWN) },
    { "syscall", KIND(SYSCALL) }, { "sched", KIND(SCHED) }, { "vm_start", KIND(VM_START) },
    { "any", 0 }, { "all", 0 },
};

/* Sub-kinds after "exit". */
static const struct word_kinds exit_words[] = {
    { "pio", KIND(PIO) }, { "io", KIND(PIO) }, { "mmio", KIND(MMIO) }, { "hlt", KIND(HLT) },
    { "shutdown", KIND(SHUTDOWN) }, { "triple", KIND(SHUTDOWN) }, { "end", KIND(EXIT) },
};

struct mode_word { const char *word; int mode; };
static const struct mode_word mode_words[] = {
    { "real", MODE_REAL }, { "vm86", MODE_VM86 }, { "protected16", MODE_PROT16 },
    { "protected32", MODE_PROT32 }, { "protected", MODE_PROT32 }, { "prot", MODE_PROT32 },
    { "compat", MODE_COMPAT }, { "long64", MODE_LONG64 }, { "long", MODE_LONG64 },
};

/* Exception mnemonics (SDM Vol. 3A Table 6-1). */
static const char *const vector_names[32] = {
    "de", "db", "nmi", "bp", "of", "br", "ud", "nm", "df", NULL, "ts", "np", "ss", "gp",
    "pf", NULL, "mf", "ac", "mc", "xm", "ve", "cp",
};

static bool parse_u64(const char *w, uint64_t *v)
{
    char *end;
    if (!isdigit((unsigned char)w[0]))
        return false;
    *v = strtoull(w, &end, 0);
    return *end == '\0';
}

static bool parse_vector(const char *w, int *vec)
{
    uint64_t v;
    if (w[0] == '#')
        w++;
    for (int i = 0; i < 32; i++) {
        if (vector_names[i] && !strcasecmp(w, vector_names[i])) {
            *vec = i;
            return true;
        }
    }
    if (!parse_u64(w, &v) || v > 255)
        return false;
    *vec = (int)v;
    return true;
}

static bool parse_range(const char *w, uint64_t *lo, uint64_t *hi)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", w);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
    if (!parse_u64(buf, lo))
        return false;
    *hi = *lo;
    return !dash || (parse_u64(dash + 1, hi) && *hi >= *lo);
}

/* "vm0", "vm0.vcpu1", "vm0.1" */
static bool parse_vmref(const char *w, int *vm, int *vcpu)
{
    char *end;
    if (strncmp(w, "vm", 2) != 0 || !isdigit((unsigned char)w[2]))
        return false;
    long a = strtol(w + 2, &end, 10);
    if (*end == '\0') {
        *vm = (int)a;
        return true;
    }
    if (*end != '.')
        return false;
    const char *p = end + 1;
    if (!strncmp(p, "vcpu", 4))
        p += 4;
    long b = strtol(p, &end, 10);
    if (end == p || *end)
        return false;
    *vm = (int)a;
    *vcpu = (int)b;
    return true;
}

static int bad(char *err, size_t len, const char *fmt, const char *w)
{
    snprintf(err, len, fmt, w);
    return -VMS_ERR_SYNTAX;
}

static const struct word_kinds *find_word(const struct word_kinds *t, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(t[i].word, w))
            return &t[i];
    return NULL;
}

/* A word after the kind word: fills the matching field, or fails. */
static int parse_arg(struct dbg_evfilter *f, const char *kw, const char *w, char *err,
                     size_t len)
{
    if (parse_vmref(w, &f->vm, &f->vcpu))
        return 0;
    if (!strcmp(w, "read") || !strcmp(w, "write")) {
        f->write = w[0] == 'w';
        return 0;
    }
    if (!strcmp(kw, "mode")) {
        if (!strcmp(w, "paging") || !strcmp(w, "nopaging")) {
            f->paging = w[0] == 'p';
            return 0;
        }
        for (size_t i = 0; i < sizeof(mode_words) / sizeof(mode_words[0]); i++)
            if (!strcasecmp(w, mode_words[i].word)) {
                f->mode = mode_words[i].mode;
                return 0;
            }
        return bad(err, len, "unknown mode '%s' (real, protected, long, paging, ...)", w);
    }
    if (!strcmp(kw, "exit")) {
        const struct word_kinds *k = find_word(exit_words, sizeof(exit_words) / sizeof(exit_words[0]), w);
        if (!k)
            return bad(err, len, "unknown exit kind '%s' (pio, mmio, hlt, shutdown, end)", w);
        f->kinds = (f->kinds == find_word(kind_words, sizeof(kind_words) / sizeof(kind_words[0]), "exit")->kinds)
                       ? k->kinds : f->kinds | k->kinds;
        return 0;
    }
    if (!strcmp(kw, "exception") || !strcmp(kw, "softint") || !strcmp(kw, "interrupt") ||
        !strcmp(kw, "inject") || !strcmp(kw, "irq"))
        return parse_vector(w, &f->vector) ? 0 : bad(err, len, "'%s' is not a vector", w);
    if (!strcmp(kw, "pio") || !strcmp(kw, "port") || !strcmp(kw, "mmio") || !strcmp(kw, "cr3")) {
        f->has_range = parse_range(w, &f->lo, &f->hi);
        return f->has_range ? 0 : bad(err, len, "'%s' is not an address or range (A or A-B)", w);
    }
    if (!strcmp(kw, "device")) {
        snprintf(f->text, sizeof(f->text), "%s", w);
        return 0;
    }
    return bad(err, len, "unexpected '%s'", w);
}

int dbg_evfilter_parse(struct dbg_evfilter *f, const char *text, char *err, size_t errlen)
{
    char buf[256], *save = NULL;
    const char *kw = NULL;

    dbg_evfilter_any(f);
    if (errlen)
        err[0] = '\0';
    snprintf(buf, sizeof(buf), "%s", text);
    for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        const struct word_kinds *k = find_word(kind_words, sizeof(kind_words) / sizeof(kind_words[0]), w);
        if (k && !kw) {
            kw = k->word;
            f->kinds = k->kinds;
            continue;
        }
        if (!kw && parse_vmref(w, &f->vm, &f->vcpu))
            continue;
        if (!kw)
            return bad(err, errlen, "unknown event '%s' (mode, cr3, exception, interrupt, "
                       "pio, mmio, device, exit, triple, sched, ...)", w);
        int rc = parse_arg(f, kw, w, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (!kw && f->vm < 0)
        return bad(err, errlen, "%s", "an event kind is needed (see help catch)");
    if (kw && !strcmp(kw, "sched") && f->vm >= 0 && f->vcpu < 0)
        f->vcpu = -1;
    return 0;
}

/* ---- describing ---- */

static int kinds_name(uint32_t kinds, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof(kind_words) / sizeof(kind_words[0]); i++)
        if (kind_words[i].kinds == kinds)
            return snprintf(buf, len, "%s", kind_words[i].word);
    /* "exit end": one kind of exit, in the words that parse back */
    for (size_t i = 0; i < sizeof(exit_words) / sizeof(exit_words[0]); i++)
        if (exit_words[i].kinds == kinds && kinds != KIND(PIO) && kinds != KIND(MMIO) &&
            kinds != KIND(HLT) && kinds != KIND(SHUTDOWN))
            return snprintf(buf, len, "exit %s", exit_words[i].word);
    int n = 0;
    for (unsigned k = 0; k < EV_KIND_COUNT; k++)
        if (kinds & (1u << k))
            n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%s%s",
                          n ? "|" : "", ev_kind_name((enum ev_kind)k));
    return n;
}

void dbg_evfilter_format(const struct dbg_evfilter *f, char *buf, size_t len)
{
    size_t n = (size_t)kinds_name(f->kinds, buf, len);
#define ADD(...) do { if (n < len) n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
    if (f->mode >= 0) ADD(" %s", x86_mode_name((enum x86_mode)f->mode));
    if (f->paging >= 0) ADD(" %s", f->paging ? "paging" : "nopaging");
    if (f->vector >= 0) ADD(" %d", f->vector);
    if (f->has_range && f->lo == f->hi) ADD(" 0x%llx", (unsigned long long)f->lo);
    if (f->has_range && f->lo != f->hi)
        ADD(" 0x%llx-0x%llx", (unsigned long long)f->lo, (unsigned long long)f->hi);
    if (f->write >= 0) ADD(" %s", f->write ? "write" : "read");
    if (f->text[0]) ADD(" %s", f->text);
    if (f->vm >= 0 && f->vcpu >= 0) ADD(" vm%d.vcpu%d", f->vm, f->vcpu);
    else if (f->vm >= 0) ADD(" vm%d", f->vm);
#undef ADD
}
