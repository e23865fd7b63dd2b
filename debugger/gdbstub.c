/* gdbstub.c - gdb's remote commands over a gdb_target (see gdbstub.h).
 *
 * Packet formats: gdb manual, appendix E "GDB Remote Serial Protocol"
 * (E.2 Packets, E.3 Stop Reply Packets, E.4 General Query Packets).
 * Every number in a packet is checked before use; a malformed packet is
 * answered with an E reply and the session goes on.
 */
#include "gdbstub.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugger/gdbregs.h"
#include "debugger/rsp.h"
#include "machine/err.h"
#include "machine/paging.h"

/* Error numbers in E replies (gdb shows them; errno values by habit). */
#define E_INVAL  "E16"    /* malformed packet or argument */
#define E_FAULT  "E0e"    /* memory not accessible */
#define E_FAIL   "E05"    /* the target refused */

#define GDB_SIGINT  2     /* gdb's signal numbers (gdb/signals.def) */
#define GDB_SIGTRAP 5
#define GDB_SIGSEGV 11

#define XML_MAX 16384
#define MEM_MAX (RSP_MAX_PACKET / 2)   /* bytes per m reply */
#define POLL_SOCKET_MS 0

struct gdbstub {
    struct rsp_conn conn;
    const struct gdb_target_ops *ops;
    void *t;
    const struct gdbstub_config *cfg;
    unsigned gcpu;               /* Hg: CPU for registers and memory */
    int ccpu;                    /* Hc: CPU to step (-1: any) */
    unsigned regflags;           /* GDBREGS_* */
    struct gdb_stop last;        /* what '?' reports */
    bool done;
    enum gdbstub_end end;
    size_t rlen;                 /* reply length */
    char reply[RSP_MAX_PACKET + 1];
    char scratch[RSP_MAX_PACKET + 1];
    char xml[XML_MAX];
    int xmllen;
};

/* ---- replies ---- */

static void reply(struct gdbstub *g, const char *s)
{
    size_t n = strlen(s);
    if (n > RSP_MAX_PACKET)
        n = RSP_MAX_PACKET;
    memcpy(g->reply, s, n);
    g->rlen = n;
}

__attribute__((format(printf, 2, 3)))
static void replyf(struct gdbstub *g, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(g->reply, sizeof(g->reply), fmt, ap);
    va_end(ap);
    g->rlen = n < 0 ? 0 : (size_t)n < sizeof(g->reply) ? (size_t)n : sizeof(g->reply) - 1;
}

static void reply_hex(struct gdbstub *g, const void *data, size_t len)
{
    if (len > RSP_MAX_PACKET / 2)
        len = RSP_MAX_PACKET / 2;
    rsp_hex_encode(g->reply, data, len);
    g->rlen = 2 * len;
}

/* "O" + hex text: console output while a monitor command runs. */
static void send_output(void *opaque, const char *text)
{
    struct gdbstub *g = opaque;
    size_t len = strlen(text);
    const size_t chunk = (RSP_MAX_PACKET - 1) / 2;

    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        g->scratch[0] = 'O';
        rsp_hex_encode(g->scratch + 1, text + off, n);
        if (rsp_send(&g->conn, g->scratch, 1 + 2 * n) < 0)
            return;
    }
}

__attribute__((format(printf, 2, 3)))
static void outf(struct gdbstub *g, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    send_output(g, line);
}

/* ---- argument parsing ---- */

/* "ADDR,LEN" then @term (':' or '\0'); *p advances past @term. */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char term)
{
    if (rsp_parse_hex(p, addr) < 0 || **p != ',')
        return -VMS_ERR_SYNTAX;
    (*p)++;
    if (rsp_parse_hex(p, len) < 0 || **p != term)
        return -VMS_ERR_SYNTAX;
    if (term)
        (*p)++;
    return 0;
}

/* A thread id: "-1" (all), "0" (any) or a hex id. */
static int parse_thread(const char *s, int64_t *tid)
{
    uint64_t v;

    if (!strcmp(s, "-1")) {
        *tid = -1;
        return 0;
    }
    if (rsp_parse_hex(&s, &v) < 0 || *s || v > 0xFFFF)
        return -VMS_ERR_SYNTAX;
    *tid = (int64_t)v;
    return 0;
}

/* Thread id -> CPU number, or -1 when it names no CPU. */
static int cpu_of(struct gdbstub *g, int64_t tid)
{
    if (tid < 1 || (uint64_t)tid > g->ops->ncpus(g->t))
        return -1;
    return (int)(tid - 1);
}

/* ---- stop replies ---- */

static void stop_reply(struct gdbstub *g, const struct gdb_stop *s)
{
    static const char *const watch_name[] = {
        [GDB_WP_WRITE] = "watch", [GDB_WP_READ] = "rwatch", [GDB_WP_ACCESS] = "awatch",
    };
    unsigned tid = s->cpu + 1;

    switch (s->kind) {
    case GDB_STOP_EXITED:
        replyf(g, "W%02x", (unsigned)s->status & 0xFF);
        return;
    case GDB_STOP_KILLED:
        replyf(g, "X%02x", (unsigned)s->status & 0xFF);
        return;
    case GDB_STOP_INTERRUPT:
        replyf(g, "T%02xthread:%x;", GDB_SIGINT, tid);
        return;
    case GDB_STOP_FAULT:
        replyf(g, "T%02xthread:%x;", (unsigned)s->status & 0xFF, tid);
        return;
    case GDB_STOP_BREAK:
        replyf(g, "T%02xthread:%x;%s:;", GDB_SIGTRAP, tid,
               s->type == GDB_BP_HW ? "hwbreak" : "swbreak");
        return;
    case GDB_STOP_WATCH:
        if (s->type >= GDB_WP_WRITE && s->type <= GDB_WP_ACCESS) {
            replyf(g, "T%02xthread:%x;%s:%llx;", GDB_SIGTRAP, tid, watch_name[s->type],
                   (unsigned long long)s->addr);
            return;
        }
        break;
    case GDB_STOP_NONE:
    case GDB_STOP_STEP:
        break;
    }
    replyf(g, "T%02xthread:%x;", GDB_SIGTRAP, tid);
}

/* Run the target until it stops, forwarding Ctrl-C.  Leaves the stop
 * reply in g->reply. */
static void run_until_stop(struct gdbstub *g, int step_cpu)
{
    struct gdb_stop s = { .kind = GDB_STOP_NONE };
    bool asked = false;

    int err = g->ops->resume(g->t, step_cpu);
    while (err >= 0) {
        err = g->ops->poll(g->t, &s);
        if (err != 0)
            break;
        int ev = rsp_recv(&g->conn, POLL_SOCKET_MS);
        bool quit = g->cfg->quit && *g->cfg->quit;
        if ((ev == RSP_EV_INTERRUPT || ev < 0 || quit) && !asked) {
            g->ops->interrupt(g->t);
            asked = true;
        }
        if (ev < 0 || quit) {
            g->done = true;
            g->end = GDBSTUB_DISCONNECTED;
        }
    }
    if (err < 0) {
        s = (struct gdb_stop){ .kind = GDB_STOP_KILLED, .status = GDB_SIGSEGV };
        snprintf(s.why, sizeof(s.why), "target failure: %s", vms_lasterr(err));
    }
    g->last = s;
    stop_reply(g, &s);
    if (s.kind == GDB_STOP_EXITED || s.kind == GDB_STOP_KILLED) {
        g->done = true;
        g->end = GDBSTUB_GUEST_ENDED;
    }
}

/* ---- registers ---- */

static int get_state(struct gdbstub *g, struct cpu_state *s)
{
    return g->ops->get_state(g->t, g->gcpu, s);
}

static void cmd_g(struct gdbstub *g, const char *a)
{
    struct cpu_state s;
    uint8_t buf[512];

    (void)a;
    if (get_state(g, &s) < 0 || gdbregs_g_size(g->regflags) > sizeof(buf))
        return reply(g, E_FAIL);
    gdbregs_read_all(&s, buf, g->regflags);
    reply_hex(g, buf, gdbregs_g_size(g->regflags));
}

static void cmd_G(struct gdbstub *g, const char *a)
{
    struct cpu_state s;
    uint8_t buf[512];
    size_t hex = strlen(a);

    if (hex % 2 || hex / 2 > sizeof(buf) || rsp_hex_decode(buf, a, hex / 2) < 0)
        return reply(g, E_INVAL);
    if (get_state(g, &s) < 0)
        return reply(g, E_FAIL);
    if (gdbregs_write_all(&s, buf, hex / 2, g->regflags) < 0 ||
        g->ops->set_state(g->t, g->gcpu, &s) < 0)
        return reply(g, E_FAIL);
    reply(g, "OK");
}

static void cmd_p(struct gdbstub *g, const char *a)
{
    struct cpu_state s;
    uint8_t buf[GDBREGS_MAX_BYTES];
    uint64_t n;

    if (rsp_parse_hex(&a, &n) < 0 || *a || n >= gdbregs_count(g->regflags))
        return reply(g, E_INVAL);
    if (get_state(g, &s) < 0)
        return reply(g, E_FAIL);
    int size = gdbregs_read(&s, (unsigned)n, buf, g->regflags);
    reply_hex(g, buf, (size_t)size);
}

static void cmd_P(struct gdbstub *g, const char *a)
{
    struct cpu_state s;
    uint8_t buf[GDBREGS_MAX_BYTES];
    uint64_t n;

    if (rsp_parse_hex(&a, &n) < 0 || *a != '=' || n >= gdbregs_count(g->regflags))
        return reply(g, E_INVAL);
    a++;
    unsigned size = gdbregs_size((unsigned)n, g->regflags);
    if (strlen(a) != 2 * size || rsp_hex_decode(buf, a, size) < 0)
        return reply(g, E_INVAL);
    if (get_state(g, &s) < 0)
        return reply(g, E_FAIL);
    if (gdbregs_write(&s, (unsigned)n, buf, g->regflags) < 0 ||
        g->ops->set_state(g->t, g->gcpu, &s) < 0)
        return reply(g, E_FAIL);
    reply(g, "OK");
}

/* ---- memory ---- */

static void cmd_m(struct gdbstub *g, const char *a)
{
    uint64_t addr, len;
    static uint8_t buf[MEM_MAX];

    if (parse_addr_len(&a, &addr, &len, '\0') < 0)
        return reply(g, E_INVAL);
    if (len > MEM_MAX)
        len = MEM_MAX;                /* a short reply is allowed (E.2 'm') */
    int n = g->ops->read_mem(g->t, g->gcpu, addr, buf, (size_t)len);
    if (n <= 0 && len > 0)
        return reply(g, E_FAULT);
    reply_hex(g, buf, (size_t)(n > 0 ? n : 0));
}

static void write_mem(struct gdbstub *g, uint64_t addr, const uint8_t *buf, size_t len)
{
    if (len && g->ops->write_mem(g->t, g->gcpu, addr, buf, len) < 0)
        return reply(g, E_FAULT);
    reply(g, "OK");
}

static void cmd_M(struct gdbstub *g, const char *a)
{
    uint64_t addr, len;
    static uint8_t buf[MEM_MAX];

    if (parse_addr_len(&a, &addr, &len, ':') < 0 || len > MEM_MAX ||
        strlen(a) != 2 * len || rsp_hex_decode(buf, a, (size_t)len) < 0)
        return reply(g, E_INVAL);
    write_mem(g, addr, buf, (size_t)len);
}

/* X: binary data, escaped; the packet is not NUL-safe, so use its length. */
static void cmd_X(struct gdbstub *g, const char *a)
{
    uint64_t addr, len;
    static uint8_t buf[MEM_MAX];
    const char *start = a;

    if (parse_addr_len(&a, &addr, &len, ':') < 0 || len > MEM_MAX)
        return reply(g, E_INVAL);
    size_t raw = g->conn.p.len - 1 - (size_t)(a - start);
    int n = rsp_unescape(buf, sizeof(buf), a, raw);
    if (n < 0 || (uint64_t)n != len)
        return reply(g, E_INVAL);
    write_mem(g, addr, buf, (size_t)len);
}

/* ---- breakpoints ---- */

static void cmd_Z(struct gdbstub *g, const char *a, bool insert)
{
    uint64_t type, addr, kind;

    if (rsp_parse_hex(&a, &type) < 0 || *a++ != ',' || type > GDB_WP_ACCESS ||
        rsp_parse_hex(&a, &addr) < 0 || *a++ != ',' || rsp_parse_hex(&a, &kind) < 0 ||
        (*a && *a != ';') || kind == 0 || kind > 4096)
        return reply(g, E_INVAL);
    int err = g->ops->set_break(g->t, (enum gdb_bp_type)type, addr, kind, insert);
    if (err == -VMS_ERR_UNSUPPORTED)
        return reply(g, "");
    reply(g, err < 0 ? E_FAIL : "OK");
}

static void cmd_Zins(struct gdbstub *g, const char *a) { cmd_Z(g, a, true); }
static void cmd_zdel(struct gdbstub *g, const char *a) { cmd_Z(g, a, false); }

/* ---- execution ---- */

/* s/c [ADDR]: resume at ADDR when given (the linear PC if linear_pc). */
static int set_pc(struct gdbstub *g, const char *a)
{
    struct cpu_state s;
    uint64_t addr;
    uint8_t buf[8];

    if (!*a)
        return 0;
    if (rsp_parse_hex(&a, &addr) < 0 || *a || get_state(g, &s) < 0)
        return -VMS_ERR_INVAL;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(addr >> (8 * i));
    if (gdbregs_write(&s, gdbregs_pc(g->regflags), buf, g->regflags) < 0)
        return -VMS_ERR_INVAL;
    return g->ops->set_state(g->t, g->gcpu, &s);
}

static void cmd_s(struct gdbstub *g, const char *a)
{
    if (set_pc(g, a) < 0)
        return reply(g, E_INVAL);
    run_until_stop(g, g->ccpu >= 0 ? g->ccpu : (int)g->gcpu);
}

static void cmd_c(struct gdbstub *g, const char *a)
{
    if (set_pc(g, a) < 0)
        return reply(g, E_INVAL);
    run_until_stop(g, -1);
}

static void cmd_vcont_query(struct gdbstub *g, const char *a)
{
    (void)a;
    reply(g, "vCont;c;C;s;S");
}

/* vCont;ACTION[:TID](;ACTION[:TID])*: all-stop, so a step action steps
 * its CPU alone; otherwise any continue action runs every CPU. */
static void cmd_vcont(struct gdbstub *g, const char *a)
{
    int step = -2;
    bool cont = false;

    while (*a) {
        char act = *a++;
        int64_t tid = 0;
        const char *end = strchr(a, ';');
        size_t n = end ? (size_t)(end - a) : strlen(a);
        if (act == 'C' || act == 'S') {            /* a signal number: ignored */
            while (n && *a != ':') { a++; n--; }
        }
        if (n && *a == ':') {
            char tbuf[24];
            if (n - 1 >= sizeof(tbuf))
                return reply(g, E_INVAL);
            memcpy(tbuf, a + 1, n - 1);
            tbuf[n - 1] = '\0';
            if (parse_thread(tbuf, &tid) < 0)
                return reply(g, E_INVAL);
        } else if (n) {
            return reply(g, E_INVAL);
        }
        if ((act == 's' || act == 'S') && step == -2)
            step = tid > 0 ? cpu_of(g, tid) : (int)g->gcpu;
        else if (act == 'c' || act == 'C')
            cont = true;
        else if (act != 's' && act != 'S' && act != 't')
            return reply(g, E_INVAL);
        a += n;
        if (*a == ';')
            a++;
    }
    if (step == -1 || (step == -2 && !cont))
        return reply(g, E_INVAL);
    run_until_stop(g, step >= 0 ? step : -1);
}

static void cmd_question(struct gdbstub *g, const char *a)
{
    (void)a;
    stop_reply(g, &g->last);
}

static void cmd_detach(struct gdbstub *g, const char *a)
{
    (void)a;
    g->ops->detach(g->t, false);
    g->done = true;
    g->end = GDBSTUB_DETACHED;
    reply(g, "OK");
}

static void cmd_kill(struct gdbstub *g, const char *a)
{
    (void)a;
    g->ops->detach(g->t, true);
    g->done = true;
    g->end = GDBSTUB_KILLED;
    g->rlen = SIZE_MAX;               /* 'k' has no reply */
}

static void cmd_vkill(struct gdbstub *g, const char *a)
{
    cmd_kill(g, a);
    reply(g, "OK");
}

/* ---- threads ---- */

static void cmd_H(struct gdbstub *g, const char *a)
{
    int64_t tid;
    char op = *a++;

    if ((op != 'g' && op != 'c') || parse_thread(a, &tid) < 0)
        return reply(g, E_INVAL);
    int cpu = cpu_of(g, tid);
    if (tid > 0 && cpu < 0)
        return reply(g, E_INVAL);
    if (op == 'g' && cpu >= 0)
        g->gcpu = (unsigned)cpu;
    if (op == 'c')
        g->ccpu = cpu;
    reply(g, "OK");
}

static void cmd_T(struct gdbstub *g, const char *a)
{
    int64_t tid;

    if (parse_thread(a, &tid) < 0 || cpu_of(g, tid) < 0)
        return reply(g, E_INVAL);
    reply(g, "OK");
}

static void cmd_qC(struct gdbstub *g, const char *a)
{
    (void)a;
    replyf(g, "QC%x", g->last.cpu + 1);
}

static void cmd_qfthreads(struct gdbstub *g, const char *a)
{
    size_t o = 0;
    unsigned n = g->ops->ncpus(g->t);

    (void)a;
    g->reply[o++] = 'm';
    for (unsigned i = 0; i < n && o + 8 < sizeof(g->reply); i++)
        o += (size_t)snprintf(g->reply + o, sizeof(g->reply) - o, "%s%x", i ? "," : "", i + 1);
    g->rlen = o;
}

static void cmd_qsthreads(struct gdbstub *g, const char *a)
{
    (void)a;
    reply(g, "l");
}

/* One line about @cpu: its mode and paging, for `info threads` and
 * `monitor mode`. */
static int describe_cpu(struct gdbstub *g, unsigned cpu, char *buf, size_t cap)
{
    struct cpu_state s;

    if (g->ops->get_state(g->t, cpu, &s) < 0)
        return snprintf(buf, cap, "vcpu%u: state unavailable", cpu);
    return snprintf(buf, cap, "vcpu%u %s, %u-bit code, paging %s, CS=%04x base=%#llx RIP=%#llx",
                    cpu, x86_mode_name(x86_mode_of(&s)), x86_code_bits(&s),
                    pg_mode_name(pg_mode_of(&s)), s.seg[SEG_CS].selector,
                    (unsigned long long)s.seg[SEG_CS].base, (unsigned long long)s.rip);
}

static void cmd_qextra(struct gdbstub *g, const char *a)
{
    int64_t tid;
    char text[200];

    if (parse_thread(a, &tid) < 0 || cpu_of(g, tid) < 0)
        return reply(g, E_INVAL);
    int n = describe_cpu(g, (unsigned)cpu_of(g, tid), text, sizeof(text));
    reply_hex(g, text, n > 0 && (size_t)n < sizeof(text) ? (size_t)n : strlen(text));
}

/* ---- queries ---- */

static void cmd_qsupported(struct gdbstub *g, const char *a)
{
    (void)a;
    replyf(g, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;"
              "vContSupported+", RSP_MAX_PACKET);
}

static void cmd_noack(struct gdbstub *g, const char *a)
{
    (void)a;
    reply(g, "OK");
    /* The OK itself is still acknowledged: switch after sending it. */
    g->rlen = SIZE_MAX - 1;
}

static void cmd_attached(struct gdbstub *g, const char *a)
{
    (void)a;
    reply(g, "1");                    /* detach, don't kill, when gdb quits */
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void cmd_xfer_features(struct gdbstub *g, const char *a)
{
    static const char annex[] = "target.xml:";
    uint64_t off, len;

    if (strncmp(a, annex, sizeof(annex) - 1))
        return reply(g, "E00");       /* no such annex */
    a += sizeof(annex) - 1;
    if (parse_addr_len(&a, &off, &len, '\0') < 0)
        return reply(g, E_INVAL);
    if (off > (uint64_t)g->xmllen)
        return reply(g, E_INVAL);
    uint64_t left = (uint64_t)g->xmllen - off;
    uint64_t n = len < left ? len : left;
    if (n > RSP_MAX_PACKET - 1)
        n = RSP_MAX_PACKET - 1;
    g->reply[0] = n < left ? 'm' : 'l';
    memcpy(g->reply + 1, g->xml + off, (size_t)n);
    g->rlen = 1 + (size_t)n;
}

/* ---- monitor ---- */

static void mon_mode(struct gdbstub *g, const char *arg)
{
    char line[200];

    (void)arg;
    for (unsigned i = 0; i < g->ops->ncpus(g->t); i++) {
        describe_cpu(g, i, line, sizeof(line));
        outf(g, "%s\n", line);
    }
    outf(g, "gdb sees: %s register layout (fixed); $pc is %s\n",
         g->regflags & GDBREGS_I8086 ? "i386 (as i8086)"
         : g->regflags & GDBREGS_I386 ? "i386" : "x86-64",
         g->regflags & GDBREGS_LINEAR_PC ? "the linear PC (CS.base + RIP) outside 64-bit mode"
                                         : "RIP as the CPU has it");
}

static void mon_linear_pc(struct gdbstub *g, const char *arg)
{
    if (!strcmp(arg, "on"))
        g->regflags |= GDBREGS_LINEAR_PC;
    else if (!strcmp(arg, "off"))
        g->regflags &= ~GDBREGS_LINEAR_PC;
    else if (*arg) {
        outf(g, "usage: monitor linear-pc [on|off]\n");
        return;
    }
    outf(g, "linear-pc is %s (`maintenance flush register-cache` makes gdb reread $pc)\n",
         g->regflags & GDBREGS_LINEAR_PC ? "on" : "off");
}

static void mon_why(struct gdbstub *g, const char *arg)
{
    (void)arg;
    outf(g, "%s\n", g->last.why[0] ? g->last.why : "stopped");
}

static void mon_help(struct gdbstub *g, const char *arg);

static const struct {
    const char *name;
    void (*fn)(struct gdbstub *g, const char *arg);
    const char *help;
} monitor_cmds[] = {
    { "mode", mon_mode, "each vCPU's mode, code width, paging and CS:RIP" },
    { "linear-pc", mon_linear_pc, "[on|off] $pc as CS.base + RIP outside 64-bit mode" },
    { "why", mon_why, "why the guest last stopped" },
    { "help", mon_help, "this list; other commands go to vmscope's debugger" },
};

#define N_MONITOR (sizeof(monitor_cmds) / sizeof(monitor_cmds[0]))

static void mon_help(struct gdbstub *g, const char *arg)
{
    (void)arg;
    for (size_t i = 0; i < N_MONITOR; i++)
        outf(g, "monitor %-10s %s\n", monitor_cmds[i].name, monitor_cmds[i].help);
}

static void run_monitor(struct gdbstub *g, char *cmd)
{
    size_t n = strcspn(cmd, " \t");
    const char *arg = cmd + n + strspn(cmd + n, " \t");

    for (size_t i = 0; i < N_MONITOR; i++) {
        if (strlen(monitor_cmds[i].name) == n && !strncmp(cmd, monitor_cmds[i].name, n)) {
            monitor_cmds[i].fn(g, arg);
            return;
        }
    }
    int err = g->ops->monitor ? g->ops->monitor(g->t, cmd, send_output, g)
                              : -VMS_ERR_NOTFOUND;
    if (err == -VMS_ERR_NOTFOUND)
        outf(g, "unknown monitor command '%.*s' (monitor help)\n", (int)n, cmd);
    else if (err < 0)
        outf(g, "%s\n", vms_lasterr(err));
}

static void cmd_rcmd(struct gdbstub *g, const char *a)
{
    size_t hex = strlen(a);
    static char line[RSP_MAX_PACKET / 2 + 1];

    if (hex % 2 || rsp_hex_decode(line, a, hex / 2) < 0 || memchr(line, '\0', hex / 2))
        return reply(g, E_INVAL);
    line[hex / 2] = '\0';
    run_monitor(g, line);
    reply(g, "OK");
}

/* ---- dispatch ---- */

struct gdb_cmd {
    const char *prefix;
    bool exact;              /* the packet must be exactly the prefix */
    void (*fn)(struct gdbstub *g, const char *args);
};

/* Longer prefixes before the one-letter ones they start with. */
static const struct gdb_cmd commands[] = {
    { "qSupported", false, cmd_qsupported },
    { "qXfer:features:read:", false, cmd_xfer_features },
    { "qRcmd,", false, cmd_rcmd },
    { "qAttached", false, cmd_attached },
    { "qC", true, cmd_qC },
    { "qfThreadInfo", true, cmd_qfthreads },
    { "qsThreadInfo", true, cmd_qsthreads },
    { "qThreadExtraInfo,", false, cmd_qextra },
    { "QStartNoAckMode", true, cmd_noack },
    { "vCont?", true, cmd_vcont_query },
    { "vCont;", false, cmd_vcont },
    { "vKill", false, cmd_vkill },
    { "?", true, cmd_question },
    { "g", true, cmd_g },
    { "G", false, cmd_G },
    { "p", false, cmd_p },
    { "P", false, cmd_P },
    { "m", false, cmd_m },
    { "M", false, cmd_M },
    { "X", false, cmd_X },
    { "Z", false, cmd_Zins },
    { "z", false, cmd_zdel },
    { "s", false, cmd_s },
    { "c", false, cmd_c },
    { "H", false, cmd_H },
    { "T", false, cmd_T },
    { "D", false, cmd_detach },
    { "k", true, cmd_kill },
};

static void dispatch(struct gdbstub *g, const char *pkt)
{
    g->rlen = 0;                      /* default: the empty reply, "unsupported" */
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const struct gdb_cmd *c = &commands[i];
        size_t n = strlen(c->prefix);
        if (strncmp(pkt, c->prefix, n) || (c->exact && pkt[n]))
            continue;
        c->fn(g, pkt + n);
        return;
    }
}

static void send_reply(struct gdbstub *g)
{
    if (g->rlen == SIZE_MAX)          /* no reply at all */
        return;
    if (g->rlen == SIZE_MAX - 1) {    /* OK, then no-ack mode */
        if (rsp_send(&g->conn, g->reply, 2) < 0)
            goto broken;
        g->conn.noack = true;
        return;
    }
    if (rsp_send(&g->conn, g->reply, g->rlen) < 0)
        goto broken;
    return;
broken:
    g->done = true;
    g->end = GDBSTUB_DISCONNECTED;
}

/* One received packet (NUL-terminated by the parser; a NUL inside a
 * non-binary packet truncates it, which can only make it malformed). */
static void handle_packet(struct gdbstub *g)
{
    dispatch(g, g->conn.p.buf);
    send_reply(g);
}

enum gdbstub_end gdbstub_serve(int fd, const struct gdb_target_ops *ops, void *target,
                               const struct gdbstub_config *cfg)
{
    struct gdbstub *g = calloc(1, sizeof(*g));

    if (!g)
        return GDBSTUB_DISCONNECTED;
    rsp_conn_init(&g->conn, fd);
    g->ops = ops;
    g->t = target;
    g->cfg = cfg;
    g->ccpu = -1;
    g->regflags = (cfg->linear_pc ? GDBREGS_LINEAR_PC : 0) |
                  (cfg->arch & (GDBREGS_I386 | GDBREGS_I8086));
    g->last = (struct gdb_stop){ .kind = GDB_STOP_STEP, .why = "stopped at the start" };
    g->xmllen = gdbregs_target_xml(g->xml, sizeof(g->xml), g->regflags);
    if (g->xmllen < 0)
        g->xmllen = 0;
    while (!g->done) {
        int ev = rsp_recv(&g->conn, 200);
        if (ev < 0 || (cfg->quit && *cfg->quit)) {
            g->end = GDBSTUB_DISCONNECTED;
            break;
        }
        if (ev == RSP_EV_OVERSIZE) {
            reply(g, E_INVAL);
            send_reply(g);
        } else if (ev == RSP_EV_PACKET) {
            handle_packet(g);
        }
    }
    enum gdbstub_end end = g->end;
    free(g);
    return end;
}

/* ---- listening ---- */

int gdbstub_parse_arch(const char *name, unsigned *arch)
{
    static const struct { const char *name; unsigned flags; } arches[] = {
        { "x86-64", 0 }, { "i386:x86-64", 0 },
        { "i386", GDBREGS_I386 }, { "i8086", GDBREGS_I8086 },
    };

    for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
        if (!strcmp(name, arches[i].name)) {
            *arch = arches[i].flags;
            return 0;
        }
    }
    return -VMS_ERR_INVAL;
}

/* Wait for gdb's connection; @quit gives up. */
static int accept_one(int lfd, volatile sig_atomic_t *quit)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };

    while (!quit || !*quit) {
        int r = poll(&p, 1, 200);
        if (r > 0)
            return rsp_accept(lfd);
        if (r < 0 && errno != EINTR)
            return vms_seterr(VMS_ERR_IO, "gdb stub: poll: %s", strerror(errno));
    }
    return vms_seterr(VMS_ERR_IO, "gdb stub: interrupted while waiting for gdb");
}

int gdbstub_listen_serve(const char *spec, const struct gdb_target_ops *ops, void *target,
                         const struct gdbstub_config *cfg, enum gdbstub_end *end)
{
    char where[96];
    int lfd = rsp_listen(spec, where, sizeof(where));

    if (lfd < 0)
        return lfd;
    fprintf(stderr, "vmscope: waiting for gdb on %s (gdb: target remote %s)\n", where, where);
    int fd = accept_one(lfd, cfg->quit);
    close(lfd);
    if (fd < 0)
        return fd;
    *end = gdbstub_serve(fd, ops, target, cfg);
    if (*end == GDBSTUB_DISCONNECTED)
        ops->detach(target, false);
    close(fd);
    return 0;
}
