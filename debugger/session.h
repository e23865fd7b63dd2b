/* session.h - a debugger session over a hypervisor: execution control,
 * breakpoints, and every view as plain data.
 *
 * A session owns one hypervisor with the VM(s) built from an image or a
 * scenario.  The line-mode front end (`vmscope debug`), the TUI and the gdb
 * stub are all clients of this one API; nothing here knows about curses,
 * sockets or readline.  All calls are made from one thread.  The only call
 * that may come from elsewhere (a signal handler) is session_interrupt().
 *
 * Addresses.  "Virtual" addresses are *linear* addresses (after
 * segmentation: CS.base + offset in real mode), translated through the
 * current vCPU's CR3 when paging is on.  "Physical" means guest-physical.
 * Every view is computed from the current vCPU's state (session_select())
 * and never changes the guest: page walks use machine/paging.c without
 * setting A/D bits, memory is read from guest RAM directly.
 *
 * Numbering.  Breakpoints, watchpoints and event breakpoints share one
 * number space starting at 1, as in gdb.
 *
 * Ownership.  session_create() returns a session the caller destroys with
 * session_destroy().  View functions fill caller-provided structs; strings
 * inside them are arrays (no pointers into the session) unless a comment
 * says otherwise.
 */
#ifndef VMS_SESSION_H
#define VMS_SESSION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/err.h"
#include "machine/event.h"
#include "machine/loader.h"
#include "machine/paging.h"
#include "machine/symtab.h"
#include "machine/vcpu.h"
#include "machine/vga.h"
#include "machine/vm.h"
#include "machine/x86.h"

struct session;
struct hv;

/* ------------------------------------------------------------ output */

/* Where command output goes: a function receiving text.  The batch front
 * end writes to stdout, the TUI to a pane, the gdb stub to an O packet. */
struct dbg_out {
    void (*write)(void *opaque, const char *text, size_t len);
    void *opaque;
};

int dbg_printf(struct dbg_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int dbg_vprintf(struct dbg_out *o, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* A sink writing to a stdio stream (@f not owned). */
void dbg_out_file(struct dbg_out *o, void *f /* FILE * */);

/* A sink collecting into a growing buffer (for the TUI and qRcmd). */
struct dbg_outbuf {
    struct dbg_out out;
    char *text;         /* NUL-terminated; owned, free with dbg_outbuf_fini() */
    size_t len, cap;
    bool oom;           /* an allocation failed: text is truncated */
};
void dbg_outbuf_init(struct dbg_outbuf *b);
void dbg_outbuf_reset(struct dbg_outbuf *b);   /* empty it, keep the memory */
void dbg_outbuf_fini(struct dbg_outbuf *b);

/* ------------------------------------------------------ create/destroy */

struct session_config {
    const char *target;      /* image path or scenario name (required) */
    const char *argv0;       /* locates build/scenarios (may be NULL) */
    const char *engine;      /* "auto" (NULL), "unicorn", "kvm" */
    bool kvm_irqchip;        /* --kvm-irqchip: KVM's in-kernel PIC/APICs */
    uint64_t mem;            /* guest RAM bytes; 0: scenario's or default */
    unsigned nvms;           /* copies of the image; 0: 1 */
    unsigned ncpus;          /* vCPUs per VM; 0: 1 */
    unsigned npcpus;         /* simulated physical CPUs; 0: 1 */
    uint64_t quantum;        /* scheduler slice, virtual ns; 0: default */
    uint64_t load_addr;      /* flat binaries (with flat) */
    bool flat;
    const char *cmdline;     /* kernel arguments after the image name
                                (multiboot/ELF64); NULL: the scenario's */
    const char *modules[LOADER_MAX_MODULES];   /* "FILE [ARGS]" each */
    unsigned nmodules;
    const char *symfile;     /* extra `nm -n` listing; NULL: the image's */
    /* Guest serial output.  NULL: written to the output sink of the
     * command that runs the guest (so batch transcripts contain it). */
    vm_console_fn console;
    void *console_opaque;
    /* Called every few thousand instructions while the guest runs (not
     * while single-stepping): return true to stop (DSTOP_INTERRUPT).  The
     * gdb stub polls its socket for Ctrl-C here, the TUI its keyboard. */
    bool (*poll)(void *opaque);
    void *poll_opaque;
};

/* Build the hypervisor and its VM(s), load the image, stop before the
 * first instruction.  -VMS_ERR_NOTFOUND / BADIMAGE / ENGINE / NOMEM with
 * a one-line vms_lasterr() detail. */
int session_create(struct session **out, const struct session_config *cfg)
    VMS_MUST_CHECK;
void session_destroy(struct session *s);

/* Start over: rebuild the VMs from the image (gdb's `run`).  Breakpoints,
 * watchpoints, displays and settings are kept. */
int session_restart(struct session *s) VMS_MUST_CHECK;

/* The hypervisor (for the TUI's scheduler timeline and tests; read only
 * by convention). */
struct hv *session_hv(struct session *s);
const struct session_config *session_config(const struct session *s);
/* The image's symbols (may be empty, never NULL). */
const struct symtab *session_symbols(const struct session *s);
/* "scenario hello: bootsector, entry 0x7c00" */
const char *session_describe(const struct session *s);

/* ---------------------------------------------------- current vCPU */

/* The vCPU views and stepping apply to.  A stop on another vCPU makes it
 * current (as gdb switches threads). */
int session_select(struct session *s, unsigned vm, unsigned vcpu) VMS_MUST_CHECK;
void session_current(const struct session *s, unsigned *vm, unsigned *vcpu);
struct vcpu *session_vcpu(struct session *s);

/* ---------------------------------------------------------- stops */

enum dbg_stop_reason {
    DSTOP_NONE,         /* still running (session_run_slice) */
    DSTOP_START,        /* before the first instruction */
    DSTOP_STEP,         /* stepi/step/next count done */
    DSTOP_BREAKPOINT,
    DSTOP_WATCHPOINT,
    DSTOP_EVENT,        /* event breakpoint matched */
    DSTOP_FINISH,       /* finish: returned to the caller */
    DSTOP_LOCATION,     /* until/advance: location reached */
    DSTOP_COUNT,        /* run-to-instruction-count reached */
    DSTOP_INTERRUPT,    /* session_interrupt() / poll() / Ctrl-C */
    DSTOP_EXITED,       /* the VM ended: exited, halted, shut down, failed */
    DSTOP_ERROR,        /* engine or session failure */
    DSTOP_REASON_COUNT
};

struct dbg_stop {
    enum dbg_stop_reason reason;
    unsigned vm, vcpu;          /* where it stopped (now current) */
    uint64_t rip;               /* RIP (offset in CS) */
    uint64_t pc;                /* linear address of the next instruction */
    uint64_t steps;             /* instructions retired by this command */
    int bp;                     /* breakpoint/watchpoint number, else 0 */
    /* DSTOP_WATCHPOINT: the access; old_value is the watched value before
     * it (writes) */
    uint64_t addr, value, old_value;
    unsigned size;
    bool write;
    struct event ev;            /* DSTOP_EVENT: the event that matched */
    enum vm_state vm_state;     /* DSTOP_EXITED */
    int exit_status;            /* DSTOP_EXITED */
    char line[200];             /* why, in one line (no newline) */
};

const char *dbg_stop_reason_name(enum dbg_stop_reason r);

/* The last stop (DSTOP_START after create/restart). */
const struct dbg_stop *session_last_stop(const struct session *s);
/* Print the last stop's line and then the current instruction
 * ("=> 0x7c05 <start+5>:\tmov ax, 0x10"), as the front ends do. */
void session_print_stop(struct session *s, struct dbg_out *out);

/* ------------------------------------------------ execution control
 *
 * Each call runs the guest and returns when it stops; @why (may be NULL)
 * receives the stop, which is also session_last_stop().  The return value
 * is 0, or -VMS_ERR_x when the command could not run at all (the VM has
 * exited: -VMS_ERR_SHUTDOWN).  Stepping runs only the current vCPU;
 * continue runs every VM under the scheduler, and any enabled breakpoint
 * on any vCPU stops it.  Breakpoints and watchpoints apply during every
 * command, event breakpoints too.
 */

/* Execute @n instructions (into calls and interrupt handlers). */
int session_stepi(struct session *s, uint64_t n, struct dbg_stop *why);
/* Like stepi, but a `call`, `int n`/`int3`/`into`, `syscall`/`sysenter`,
 * `rep`-prefixed string instruction or `loop*` counts as one step: run
 * until the instruction after it (or a breakpoint). */
int session_next(struct session *s, uint64_t n, struct dbg_stop *why);
/* Run until the current function returns (frame-pointer frames: stop
 * at the return address with the stack pointer above the current frame). */
int session_finish(struct session *s, struct dbg_stop *why);
/* Run until linear address @pc is reached.  With @until_frame (gdb's
 * `until`), also stop when the current frame returns. */
int session_until(struct session *s, uint64_t pc, bool until_frame,
                  struct dbg_stop *why);
/* Continue until something stops the guest. */
int session_continue(struct session *s, struct dbg_stop *why);
/* Run until the current vCPU has retired @icount instructions in total
 * (vcpu->insns; shown by `info vms`). */
int session_run_to_count(struct session *s, uint64_t icount, struct dbg_stop *why);
/* Continue in whole scheduling rounds until @max_insns instructions
 * (summed over vCPUs) have run or something stops the guest: why->reason
 * is DSTOP_NONE when nothing did yet.  A round is at most one quantum per
 * pCPU (1 ms of virtual time by default, a few ms of host time), so a UI
 * calling this in a loop stays responsive, and the guest runs exactly as
 * under session_continue(). */
int session_run_slice(struct session *s, uint64_t max_insns, struct dbg_stop *why);

/* Ask a running command to stop (async-signal-safe). */
void session_interrupt(struct session *s);

/* --------------------------------------------------- breakpoints */

enum dbg_bp_type {
    BPT_BREAK,      /* execution at an address */
    BPT_WATCH,      /* data access to a range */
    BPT_EVENT,      /* an event of the event stream */
};

/* An event filter: used by event breakpoints and the event log view.
 * Every field narrows the match; the zero-ish values below match all. */
struct dbg_evfilter {
    uint32_t kinds;             /* bits (1u << enum ev_kind); 0: every kind */
    int vm, vcpu;               /* -1: any */
    int vector;                 /* EXCEPTION/INJECT/SOFTINT; -1: any */
    int write;                  /* PIO/MMIO: 0 read, 1 write, -1 any */
    int mode;                   /* MODE: enum x86_mode; -1: any */
    int paging;                 /* MODE: 0 off, 1 on, -1 any */
    bool has_range;             /* PIO/MMIO port/address, CR3 value */
    uint64_t lo, hi;            /* inclusive range when has_range */
    char text[32];              /* substring of event.text ("uart0"); "" any */
};

void dbg_evfilter_any(struct dbg_evfilter *f);   /* match everything */
bool dbg_evfilter_match(const struct dbg_evfilter *f, const struct event *e);
/* Parse a filter in the command language ("exception 14", "pio 0x3f8
 * write", "mode long", "cr3", "sched vm0.vcpu1", "device uart0",
 * "triple", "exit hlt", ...).  docs/COMMANDS.md lists the forms. */
int dbg_evfilter_parse(struct dbg_evfilter *f, const char *text, char *err,
                       size_t errlen) VMS_MUST_CHECK;
/* Describe @f in the same language, e.g. "exception 14". */
void dbg_evfilter_format(const struct dbg_evfilter *f, char *buf, size_t len);

#define DBG_SPEC_MAX 128

struct dbg_bp {
    int id;                     /* from 1 */
    enum dbg_bp_type type;
    bool enabled;
    bool temporary;             /* tbreak: deleted when hit */
    bool phys;                  /* BREAK/WATCH: addr is guest-physical (an enabled
                                   physical BREAK makes continue single-step to
                                   be exact through every mapping) */
    uint64_t addr;              /* BREAK: where; WATCH: range start */
    uint64_t len;               /* WATCH: bytes (1..) */
    unsigned wkind;             /* WATCH: enum vcpu_watch_kind */
    struct dbg_evfilter ev;     /* EVENT */
    uint64_t hits;
    uint64_t ignore;            /* hits still to ignore */
    char cond[DBG_SPEC_MAX];    /* condition expression; "" none */
    char spec[DBG_SPEC_MAX];    /* as the user gave it: "main", "*0x7c00" */
    /* WATCH: the watched bytes (the first 8) when the guest last resumed;
     * a write watchpoint stops only when a write changes them (gdb) */
    uint64_t value;
    bool value_ok;
};

/* Add a breakpoint from @tmpl (id, hits ignored); *id receives its number.
 * -VMS_ERR_RANGE when the engine has no room (VCPU_MAX_BREAK/WATCH). */
int session_bp_add(struct session *s, const struct dbg_bp *tmpl, int *id)
    VMS_MUST_CHECK;
int session_bp_delete(struct session *s, int id) VMS_MUST_CHECK;  /* 0: all */
int session_bp_enable(struct session *s, int id, bool on) VMS_MUST_CHECK;
/* Set (or with "" / NULL clear) the condition; it is parsed now. */
int session_bp_condition(struct session *s, int id, const char *cond) VMS_MUST_CHECK;
int session_bp_ignore(struct session *s, int id, uint64_t count) VMS_MUST_CHECK;
unsigned session_bp_count(const struct session *s);
const struct dbg_bp *session_bp_at(const struct session *s, unsigned i);  /* by position */
const struct dbg_bp *session_bp_find(const struct session *s, int id);
/* The BREAK breakpoint at linear address @pc (also physical ones whose
 * address @pc maps to now), an enabled one first; NULL when none (for
 * the disassembly markers). */
const struct dbg_bp *session_bp_at_pc(struct session *s, uint64_t pc);

/* ------------------------------------------------------ registers */

/* Register numbers for the changed-set, expressions ($rax) and the gdb
 * stub.  The table dbg_reg_names[] gives the lower-case names. */
#define DBG_REGS(X)                                                       \
    X(RAX, "rax") X(RBX, "rbx") X(RCX, "rcx") X(RDX, "rdx")               \
    X(RSI, "rsi") X(RDI, "rdi") X(RBP, "rbp") X(RSP, "rsp")               \
    X(R8, "r8") X(R9, "r9") X(R10, "r10") X(R11, "r11")                   \
    X(R12, "r12") X(R13, "r13") X(R14, "r14") X(R15, "r15")               \
    X(RIP, "rip") X(RFLAGS, "rflags")                                     \
    X(CS, "cs") X(SS, "ss") X(DS, "ds") X(ES, "es") X(FS, "fs") X(GS, "gs") \
    X(LDTR, "ldtr") X(TR, "tr")                                           \
    X(FS_BASE, "fs_base") X(GS_BASE, "gs_base")                           \
    X(GDTR_BASE, "gdtr") X(GDTR_LIMIT, "gdtr_limit")                      \
    X(IDTR_BASE, "idtr") X(IDTR_LIMIT, "idtr_limit")                      \
    X(CR0, "cr0") X(CR2, "cr2") X(CR3, "cr3") X(CR4, "cr4") X(CR8, "cr8") \
    X(EFER, "efer")                                                       \
    X(DR0, "dr0") X(DR1, "dr1") X(DR2, "dr2") X(DR3, "dr3")               \
    X(DR6, "dr6") X(DR7, "dr7")                                           \
    X(STAR, "star") X(LSTAR, "lstar") X(CSTAR, "cstar") X(FMASK, "fmask") \
    X(KERNEL_GS_BASE, "kernel_gs_base")                                   \
    X(SYSENTER_CS, "sysenter_cs") X(SYSENTER_ESP, "sysenter_esp")         \
    X(SYSENTER_EIP, "sysenter_eip")

enum dbg_reg {
#define DBG_REG_ENUM(id, name) DREG_##id,
    DBG_REGS(DBG_REG_ENUM)
#undef DBG_REG_ENUM
    DREG_COUNT
};

extern const char *const dbg_reg_names[DREG_COUNT];

/* Find a register by name: "rax", "eax", "ax", "al", "ah", "eip", "ip",
 * "eflags", "pc" (= rip), "sp", "fp", ... Sub-registers give their
 * width and shift.  -VMS_ERR_NOTFOUND if unknown. */
struct dbg_regref {
    enum dbg_reg reg;
    unsigned bits;       /* 8, 16, 32, 64 */
    unsigned shift;      /* 8 for ah/bh/ch/dh, else 0 */
};
int dbg_reg_lookup(const char *name, struct dbg_regref *out) VMS_MUST_CHECK;

/* Read/write one register of the current vCPU (writes go to the engine
 * immediately; writing a segment selector reloads its hidden part from
 * the GDT/LDT, or as in real mode). */
uint64_t dbg_reg_get(const struct cpu_state *cpu, enum dbg_reg r);
int session_reg_get(struct session *s, enum dbg_reg r, uint64_t *v) VMS_MUST_CHECK;
int session_reg_set(struct session *s, enum dbg_reg r, uint64_t v) VMS_MUST_CHECK;
/* The full state of the current vCPU (cached since the last stop). */
const struct cpu_state *session_cpu(struct session *s);
int session_set_cpu(struct session *s, const struct cpu_state *cpu) VMS_MUST_CHECK;

/* A bit of a control/flags register, for decoding tables. */
struct dbg_bitname {
    unsigned bit;         /* lowest bit */
    unsigned width;       /* 1, or 2 for RFLAGS.IOPL */
    const char *name;     /* "PE", "IF", "IOPL" */
    const char *what;     /* "protected mode enable" */
};
/* Tables (terminated by name == NULL) for RFLAGS, CR0, CR4, EFER. */
extern const struct dbg_bitname dbg_rflags_bits[], dbg_cr0_bits[],
                                dbg_cr4_bits[], dbg_efer_bits[];
/* "PE ET PG" for the set bits of @v (IOPL as "IOPL=3"); "" if none. */
void dbg_bits_format(const struct dbg_bitname *t, uint64_t v, char *buf, size_t len);

/* The register view. */
struct dbg_regs_view {
    struct cpu_state cpu;
    enum x86_mode mode;
    unsigned bits;                 /* code width: 16, 32, 64 */
    unsigned cpl;
    enum pg_mode paging;
    bool changed[DREG_COUNT];      /* differs from the previous stop */
    char rflags_text[96];          /* "[ IF ZF PF ]" style, from the tables */
    char cr0_text[96], cr4_text[128], efer_text[48];
    char seg_text[SEG_COUNT][96];  /* "0x0008 base=0 limit=0xffffffff code32 RX dpl0" */
};
int session_regs(struct session *s, struct dbg_regs_view *out) VMS_MUST_CHECK;

/* --------------------------------------------------- disassembly */

struct dbg_insn {
    uint64_t pc;             /* linear address */
    uint64_t pa;             /* its physical address when pa_ok */
    bool pa_ok;
    bool ok;                 /* readable and decodable */
    uint8_t len;
    uint8_t bytes[15];
    char text[96];           /* "mov eax, dword ptr [ebx + 4]"; "(bad)" */
    char sym[64];            /* "main+4", or "" */
    uint64_t target;         /* call/jmp target when has_target */
    bool has_target;
    char target_sym[64];     /* "<kputs>" for the target, or "" */
    bool is_pc;              /* the current instruction */
    int bp;                  /* breakpoint number here (enabled or not), 0 none */
    bool bp_enabled;
    bool is_call, is_ret, is_jump;
};

/* Disassemble @n instructions from linear address @pc in @bits (16, 32,
 * 64; 0: the current mode).  Returns the number filled (< n at the end of
 * readable memory: the last one has ok = false) or -VMS_ERR_x. */
int session_disasm(struct session *s, uint64_t pc, unsigned n, unsigned bits,
                   struct dbg_insn *out) VMS_MUST_CHECK;
/* @n lines around the current instruction, about @before of them before
 * it (found by decoding forward from a symbol start or a few bytes back;
 * fewer if the stream does not line up). */
int session_disasm_pc(struct session *s, unsigned before, unsigned n,
                      struct dbg_insn *out) VMS_MUST_CHECK;

/* ---------------------------------------------------------- memory */

/* Read @len bytes at linear (virtual) address @va through the current
 * paging, or at guest-physical @pa.  Returns the number of bytes read
 * (short at the first unmapped or non-RAM byte), or -VMS_ERR_FAULT when
 * none could be read (@w, if not NULL, says why). */
int64_t session_read_virt(struct session *s, uint64_t va, void *buf, size_t len,
                          struct pg_walk *w);
int64_t session_read_phys(struct session *s, uint64_t pa, void *buf, size_t len);
/* Writes (for `set *addr = v`, gdb M packets); the engine forgets stale
 * translations of the bytes written. */
int session_write_virt(struct session *s, uint64_t va, const void *buf, size_t len)
    VMS_MUST_CHECK;
int session_write_phys(struct session *s, uint64_t pa, const void *buf, size_t len)
    VMS_MUST_CHECK;

struct dbg_stack_slot {
    uint64_t addr;           /* linear */
    uint64_t value;
    bool ok;                 /* readable */
    bool is_sp, is_fp;       /* RSP / RBP points here */
    char sym[64];            /* value as a symbol ("main+12"), or "" */
};
/* @n slots from the stack pointer up, slot width = code width (2/4/8).
 * Returns the number filled. */
int session_stack(struct session *s, unsigned n, struct dbg_stack_slot *out)
    VMS_MUST_CHECK;

/* ------------------------------------------------------- paging */

struct dbg_pagewalk {
    struct pg_walk w;                 /* machine/paging.h: levels, result */
    char level_flags[5][64];          /* decoded flags per level "P RW US A" */
    char result[160];                 /* "-> 0x1234 (4 KiB page, RW user NX)"
                                         or "fault: not present at PDE" */
};
/* Walk @va under the current vCPU's paging for an access @flags (PGW_*,
 * 0: a supervisor read).  Never sets A/D bits.  Returns 0 (even when the
 * walk faults: see out->w.ok) or -VMS_ERR_x. */
int session_pagewalk(struct session *s, uint64_t va, unsigned flags,
                     struct dbg_pagewalk *out) VMS_MUST_CHECK;

/* One run of contiguous linear addresses mapped to contiguous physical
 * ones with the same rights (`info tab` / `info mem`). */
struct dbg_map_range {
    uint64_t va, pa, len;
    bool writable, user, executable;
    uint64_t page_size;      /* of the pages in the run */
};
/* Fill at most @max ranges; returns the number filled (the total may be
 * larger: *total).  Without paging: one identity range over RAM. */
int session_mappings(struct session *s, struct dbg_map_range *out, unsigned max,
                     unsigned *total) VMS_MUST_CHECK;

/* The guest-physical memory map (`info mtree`): RAM, MMIO devices, and
 * the port-I/O map of the VM. */
enum dbg_region_kind { REGION_RAM, REGION_MMIO, REGION_PIO };
struct dbg_region {
    uint64_t base, len;
    enum dbg_region_kind kind;
    char name[32];           /* "ram", "uart0", ... */
    uint64_t reads, writes;  /* device accesses so far */
};
/* Returns the number filled. */
int session_memmap(struct session *s, struct dbg_region *out, unsigned max)
    VMS_MUST_CHECK;

/* ------------------------------------------- descriptor tables */

enum dbg_table { DT_GDT, DT_LDT, DT_IDT, DT_IVT };

struct dbg_desc {
    unsigned index;
    uint64_t addr;           /* linear address of the entry */
    bool ok;                 /* readable */
    uint64_t raw[2];         /* raw[1] only for 16-byte system entries */
    bool present, system, gate;
    unsigned type, dpl;
    struct x86_segment seg;  /* segment descriptors: decoded */
    uint16_t gate_sel;       /* gates, IVT: target selector/segment */
    uint64_t gate_off;       /* gates, IVT: target offset */
    unsigned ist;            /* 64-bit gates */
    char kind[32];           /* "code32 RX", "data RW", "int gate64", "tss64 busy" */
    char sym[64];            /* gate target as a symbol, or "" */
    char text[160];          /* the whole entry in one line */
};
/* Entries [first, first+max) of table @t (IVT: real-mode vectors at the
 * IDTR base).  Returns the number filled (stops at the table limit). */
int session_dtable(struct session *s, enum dbg_table t, unsigned first, unsigned max,
                   struct dbg_desc *out) VMS_MUST_CHECK;

/* Decoded fields of the current task state segment. */
struct dbg_kv {
    char name[16];
    uint64_t value;
};
struct dbg_tss {
    bool ok;
    char err[96];            /* why not, when !ok */
    unsigned bits;           /* 16, 32 or 64 */
    uint64_t base;
    uint32_t limit;
    unsigned n;
    struct dbg_kv f[40];     /* "esp0", "ss0", ..., "rsp0", "ist1", "iomap" */
};
int session_tss(struct session *s, struct dbg_tss *out) VMS_MUST_CHECK;

/* --------------------------------------------------------- frames */

struct dbg_frame {
    unsigned level;
    uint64_t pc;             /* linear */
    uint64_t fp;             /* frame pointer of this frame (linear) */
    char sym[64];            /* "main+12", or "" */
};
/* Walk frame pointers (RBP/EBP/BP chain) from the current state.  Returns
 * the number of frames filled (at least 1: the current pc). */
int session_backtrace(struct session *s, struct dbg_frame *out, unsigned max)
    VMS_MUST_CHECK;

/* "main+12" for linear address @addr into @buf, "" when no symbol; returns
 * true when found. */
bool session_symbolize(const struct session *s, uint64_t addr, char *buf, size_t len);

/* ------------------------------------------------- VMs, devices */

struct dbg_vcpu_info {
    unsigned vm, index;
    bool current;
    bool halted, runnable, scheduled;
    uint64_t insns, exits;
    uint64_t rip, pc;
    enum x86_mode mode;
};
struct dbg_vm_info {
    unsigned index;
    char name[16];
    enum vm_state state;
    char reason[160];
    int exit_status;
    uint64_t mem;            /* bytes of RAM */
    uint64_t insns;
    uint64_t vtime;          /* virtual ns */
    unsigned nvcpu;
};
struct dbg_sched_info {
    char policy[16];
    unsigned npcpu;
    uint64_t now, rounds, quantum;
    unsigned nvm, nvcpu;
};
int session_sched(struct session *s, struct dbg_sched_info *out) VMS_MUST_CHECK;
/* Returns the number filled. */
int session_vms(struct session *s, struct dbg_vm_info *out, unsigned max) VMS_MUST_CHECK;
int session_vcpus(struct session *s, struct dbg_vcpu_info *out, unsigned max)
    VMS_MUST_CHECK;

/* A device of the current VM as seen on its bus (no register read has a
 * side effect: the view never touches the device's registers). */
struct dbg_device {
    char name[32];
    enum bus_space space;
    uint64_t base, len;
    uint64_t reads, writes;
    unsigned nevents;        /* recent events of this device in the ring */
    bool in_kernel;          /* an interrupt controller KVM emulates instead
                                (--kvm-irqchip): the guest's accesses and the
                                live state never reach vmscope */
};
int session_devices(struct session *s, struct dbg_device *out, unsigned max)
    VMS_MUST_CHECK;

/* A device register as the device last reported a write to it in the
 * event stream ("uart0 LCR <- 0x03 8N1" gives reg "LCR", value "0x03 8N1"),
 * remembered from the VM's start (not limited to the event ring). */
struct dbg_devreg {
    char reg[24];
    char value[48];
    uint64_t seq;            /* event number of that write */
};
/* The registers of device @name of the current VM, in the order first
 * written; returns the number filled. */
int session_device_regs(struct session *s, const char *name, struct dbg_devreg *out,
                        unsigned max) VMS_MUST_CHECK;

/* ------------------------------------------------------- events */

/* The last @max events matching @f, oldest first (only those still in the
 * stream's ring).  Returns the number filled. */
int session_events(struct session *s, const struct dbg_evfilter *f,
                   struct event *out, unsigned max) VMS_MUST_CHECK;
/* One line: "#123 vm0.0 t=4500ns pio write 0x3f8 <- 0x48 uart0 THR 'H'". */
void dbg_event_format(const struct event *e, char *buf, size_t len);

/* ------------------------------------------------- expressions */

/* Evaluate an expression: numbers (0x1f, 0o17, 0b101, 017, 10, 10d),
 * registers ($rax, $eax, $al, $cr3, $pc ...), symbols (main, 'sym.name'),
 * + - * / % & | ^ ~ << >> ! == != < <= > >= && || ( ), unary -, memory
 * dereference *ADDR (8 bytes, or the width of a cast: {b,h,w,g}@ADDR /
 * *(uint32_t *)ADDR), and $_ (last x address).  On error returns
 * -VMS_ERR_SYNTAX / NOTFOUND / FAULT with a vms_lasterr() detail. */
int session_eval(struct session *s, const char *expr, uint64_t *out) VMS_MUST_CHECK;

/* --------------------------------------------- command language */

/* Execute one command line of the language (docs/COMMANDS.md), writing
 * everything it prints to @out.  An empty line repeats the last
 * stepping/x command (gdb), except in batch mode (session_set_batch).
 * Returns 0, SESSION_QUIT for `quit`, or -VMS_ERR_x after printing one
 * line saying what was wrong. */
#define SESSION_QUIT 1
int session_exec(struct session *s, const char *line, struct dbg_out *out);

/* Execute every line of file @path (`source`); stops at the first failing
 * command when @stop_on_error. */
int session_source(struct session *s, const char *path, bool stop_on_error,
                   struct dbg_out *out);

/* Batch mode: echo each command as "(vmscope) CMD", no empty-line repeat. */
void session_set_batch(struct session *s, bool on);

/* ------------------------------------ the guest's screen and keyboard */

/* VM @vm's VGA text screen (80x25 cells, the CRTC cursor) into @out.
 * Returns 1 when the screen shows something (the guest wrote text or
 * colour to 0xB8000), 0 when it is still blank, -VMS_ERR_NOTFOUND when
 * there is no such VM. */
int session_vga(struct session *s, unsigned vm, struct vga_screen *out);

/* Where typed bytes go (bits): COM1's receiver, the i8042 keyboard
 * (ASCII turned into scan code set 1), or both, as `vmscope run --input`. */
#define SESSION_INPUT_SERIAL 1u
#define SESSION_INPUT_KBD    2u
/* Bytes the user typed for VM @vm.  Only what every target takes now
 * without a loss is given (COM1 with its FIFO off holds one byte; the
 * keyboard queue may fill): returns that count, the caller keeps the rest
 * for later; -VMS_ERR_NOTFOUND when there is no such VM, -VMS_ERR_INVAL
 * for an empty @where. */
int session_type(struct session *s, unsigned vm, const uint8_t *bytes, size_t n,
                 unsigned where);

/* Completion for a command line: the @i-th candidate (from 0) for the word
 * being typed at the end of @line (command names, sub-commands, register
 * names, symbols), or NULL when there are no more.  Returned strings are
 * owned by the session and valid until the next call. */
const char *session_complete(struct session *s, const char *line, unsigned i);

#endif
