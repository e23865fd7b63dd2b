/* kvmtest.c - tests of the KVM engine that need a working /dev/kvm.
 *
 * Run by tests/kvm/kvm-tests.sh, directly where /dev/kvm is hardware KVM
 * and inside the nested test guest everywhere else (tests/kvm/harness.sh).
 *
 *   kvmtest SCNDIR REFDIR
 *   kvmtest --probe          (exit 0 when /dev/kvm is usable here)
 *
 * SCNDIR holds the built scenarios; REFDIR the Unicorn engine's results
 * for them (NAME.out, NAME.status).  Tests:
 *   roundtrip  set_state/get_state keep every field, in real, protected
 *              and long mode
 *   step       single steps on KVM follow the same RIPs as on Unicorn
 *   debug      a hardware breakpoint stops before its instruction and a
 *              resume runs it (skipped only when VMSCOPE_KVM_NESTED=1)
 *   migrate    a scenario moved KVM -> Unicorn and Unicorn -> KVM in the
 *              middle of its run ends with Unicorn's unmoved output
 *   errors     a refused state, a triple fault and an entry KVM cannot
 *              run stop only their own VM, with a clear message
 *   df         #DE through a not-present gate is #DF on a fresh KVM VM,
 *              whether or not the guest touched its IDT page first
 *              (nested: the untouched run is an XFAIL, docs/KVM-DEBUG.md)
 * Prints "ok:", "FAIL:" and "SKIP:" lines; exit 0 when nothing failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/hv.h"
#include "machine/kvm_engine.h"
#include "machine/loader.h"
#include "machine/memmap.h"
#include "machine/paging.h"
#include "machine/vm.h"

#define OUT_MAX      (256u << 10)
#define STEPS        200u
#define MAX_ROUNDS   2000000u
#define TEST_MEM     (16u << 20)

static int fails;
static const char *scn_dir, *ref_dir;

#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); fails++; } while (0)
#define OK(...)   do { printf("ok: " __VA_ARGS__); putchar('\n'); } while (0)

/* ---------------------------------------------------------- helpers */

struct capture {
    char *buf;
    size_t n;
};

static void capture_byte(void *opaque, unsigned vm, uint8_t byte)
{
    struct capture *c = opaque;

    (void)vm;
    if (c->n < OUT_MAX)
        c->buf[c->n++] = (char)byte;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(OUT_MAX + 1);

    *len = 0;
    if (!f || !buf) {
        if (f)
            fclose(f);
        free(buf);
        return NULL;
    }
    *len = fread(buf, 1, OUT_MAX, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* scenario.conf value of @key for scenario @name into @out. */
static int conf(const char *name, const char *key, char *out, size_t len)
{
    char path[512], line[512];
    size_t klen = strlen(key);
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/scenario.conf", scn_dir, name);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, key, klen) && line[klen] == '=') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, len, "%s", line + klen + 1);
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    return -1;
}

static int image_path(const char *name, char *out, size_t len)
{
    char img[256];

    if (conf(name, "image", img, sizeof(img)) < 0)
        return -1;
    snprintf(out, len, "%s/%s/%s", scn_dir, name, img);
    return 0;
}

static uint64_t scenario_mem(const char *name)
{
    char text[32];
    uint64_t mem;

    if (conf(name, "mem", text, sizeof(text)) == 0 && gmem_parse_size(text, &mem) == 0)
        return mem;
    return MM_DEFAULT_RAM;
}

/* A VM for scenario @name (or no image when NULL) on @engine, added to
 * @hv, started at the loader's entry state. */
static struct vm *boot(struct hv *hv, const char *name, const struct vcpu_ops *engine,
                       struct capture *cap)
{
    struct vm_config cfg = { .mem_size = name ? scenario_mem(name) : TEST_MEM, .ncpus = 1,
                             .engine = engine, .console = cap ? capture_byte : NULL,
                             .console_opaque = cap };
    struct load_opts lo = { 0 };
    struct load_result lr;
    struct vm *vm;
    char img[512];

    if (vm_create(&vm, hv->nvm, &cfg, &hv->ev) < 0) {
        FAIL("vm_create on %s: %s", engine->name, vms_lasterr(VMS_ERR_ENGINE));
        return NULL;
    }
    if (hv_add_vm(hv, vm) < 0) {
        vm_destroy(vm);
        return NULL;
    }
    if (!name)
        return vm;
    if (image_path(name, img, sizeof(img)) < 0 || loader_load(&vm->mem, img, &lo, &lr) < 0) {
        FAIL("%s: cannot load: %s", name, vms_lasterr(VMS_ERR_BADIMAGE));
        return NULL;
    }
    int err = vm_start(vm, &lr.cpu);
    load_result_fini(&lr);
    if (err < 0) {
        FAIL("%s: vm_start on %s: %s", name, engine->name, vms_lasterr(err));
        return NULL;
    }
    return vm;
}

static struct hv *new_hv(uint64_t quantum)
{
    struct hv_config hc = { .npcpu = 1, .quantum = quantum, .exact_slices = true };
    struct hv *hv;

    return hv_create(&hv, &hc) < 0 ? NULL : hv;
}

/* Real mode at 0:0x1000 with code @code and IVT limit @ivt_limit. */
static struct vm *boot_code(struct hv *hv, const uint8_t *code, size_t len, uint16_t ivt_limit)
{
    struct vm *vm = boot(hv, NULL, &kvm_vcpu_ops, NULL);
    struct cpu_state s;

    if (!vm || gmem_write(&vm->mem, 0x1000, code, len) < 0)
        return NULL;
    x86_reset_state(&s, 0, 0x1000);
    s.idt.limit = ivt_limit;
    if (vm_start(vm, &s) < 0)
        return NULL;
    return vm;
}

/* ------------------------------------------------------- roundtrip */

static void fill_regs(struct cpu_state *s)
{
    for (int i = 0; i < GPR_COUNT; i++)
        s->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1) ^ 0x0123456789ABCDEFull;
    s->rflags = RFLAGS_FIXED | RFLAGS_CF | RFLAGS_ZF | RFLAGS_DF;
    s->dr[0] = 0x1000; s->dr[1] = 0x2000; s->dr[2] = 0x3000; s->dr[3] = 0x4000;
    s->star = 0x0023001000000000ull;
    s->cstar = 0xFFFFFFFF81000040ull;
    s->fmask = 0x47700;
    s->sysenter_cs = 0x10;
    s->sysenter_esp = 0xFFFF880000010000ull;
    s->sysenter_eip = 0xFFFFFFFF81000080ull;
    s->tsc = 1000000;
}

static struct x86_segment flat(uint16_t sel, unsigned type, unsigned dpl, bool l)
{
    return (struct x86_segment){ .selector = sel, .base = 0, .limit = 0xFFFFFFFF,
                                 .type = (uint8_t)type, .s = 1, .dpl = (uint8_t)dpl,
                                 .present = 1, .l = l, .db = !l, .g = 1 };
}

static void state_prot32(struct cpu_state *s)
{
    x86_reset_state(s, 0, 0);
    fill_regs(s);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        s->seg[i] = flat(0x10, SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED, 0, false);
    s->seg[SEG_CS] = flat(0x08, SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED, 0, false);
    s->seg[SEG_FS].base = 0x12345000;
    s->seg[SEG_TR] = (struct x86_segment){ .selector = 0x28, .base = 0x9000, .limit = 0x67,
                                           .type = SYSTYPE_TSS_BUSY, .present = 1 };
    s->seg[SEG_LDTR] = (struct x86_segment){ .unusable = 1 };
    s->gdt = (struct x86_dtable){ 0x8000, 0x2F };
    s->idt = (struct x86_dtable){ 0x8800, 0x7FF };
    s->cr0 = CR0_PE | CR0_ET | CR0_PG | CR0_WP | CR0_NE;
    s->cr2 = 0xC0001234;
    s->cr3 = 0x10C000;
    s->cr4 = CR4_PSE | CR4_PGE;
    s->rip = 0xC0001000;
}

static void state_long(struct cpu_state *s)
{
    state_prot32(s);
    s->seg[SEG_CS] = flat(0x2B, SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED, 3, true);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        if (i != SEG_CS)
            s->seg[i] = flat(0x23, SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED, 3, false);
    s->seg[SEG_FS].base = 0x7FFF12345000ull;
    s->seg[SEG_GS].base = 0x7FFF00001000ull;
    s->seg[SEG_TR].base = 0xFFFFFFFF8010D000ull;
    s->gdt.base = 0xFFFFFFFF8010C000ull;
    s->idt.base = 0xFFFFFFFF80116000ull;
    s->cr3 = 0x101000;
    s->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR;
    s->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    s->lstar = 0xFFFFFFFF80109128ull;
    s->kernel_gs_base = 0xFFFF888000200000ull;
    s->rflags |= RFLAGS_IF;
    s->rip = 0x400000;
}

static void state_real(struct cpu_state *s)
{
    x86_reset_state(s, 0x07C0, 0x0010);
    fill_regs(s);
    s->gpr[GPR_RSP] &= 0xFFFF;
    s->seg[SEG_DS] = s->seg[SEG_ES];
    x86_seg_real(&s->seg[SEG_DS], 0x1234);
    s->idt = (struct x86_dtable){ 0, 0x3FF };
}

static bool seg_equal(const struct x86_segment *a, const struct x86_segment *b)
{
    if ((a->unusable || !a->present) && (b->unusable || !b->present))
        return a->selector == b->selector;   /* attributes of an unusable segment do not matter */
    return a->selector == b->selector && a->base == b->base && a->limit == b->limit &&
           a->type == b->type && a->s == b->s && a->dpl == b->dpl &&
           a->present == b->present && a->l == b->l && a->db == b->db && a->g == b->g;
}

/* Fields of @got that differ from @want, named in @why. */
static int state_diff(const struct cpu_state *want, const struct cpu_state *got,
                      char *why, size_t len)
{
    static const char *const segn[SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
    int n = 0;
    size_t used = 0;

#define DIFF(cond, ...) do { if (cond) { n++; used += (size_t)snprintf(why + used, \
        used < len ? len - used : 0, __VA_ARGS__); if (used >= len) used = len; } } while (0)
    for (int i = 0; i < GPR_COUNT; i++)
        DIFF(want->gpr[i] != got->gpr[i], " gpr%d", i);
    DIFF(want->rip != got->rip, " rip");
    DIFF((want->rflags | RFLAGS_FIXED) != got->rflags, " rflags %llx", (unsigned long long)got->rflags);
    for (int i = 0; i < SEG_COUNT; i++)
        DIFF(!seg_equal(&want->seg[i], &got->seg[i]), " %s", segn[i]);
    DIFF(want->gdt.base != got->gdt.base || want->gdt.limit != got->gdt.limit, " gdt");
    DIFF(want->idt.base != got->idt.base || want->idt.limit != got->idt.limit, " idt");
    DIFF(want->cr0 != got->cr0, " cr0 %llx", (unsigned long long)got->cr0);
    DIFF(want->cr2 != got->cr2 || want->cr3 != got->cr3 || want->cr4 != got->cr4, " cr2-4");
    DIFF(want->efer != got->efer, " efer %llx", (unsigned long long)got->efer);
    for (int i = 0; i < 4; i++)
        DIFF(want->dr[i] != got->dr[i], " dr%d", i);
    DIFF(want->dr[7] != got->dr[7], " dr7 %llx", (unsigned long long)got->dr[7]);
    DIFF(want->star != got->star || want->lstar != got->lstar || want->cstar != got->cstar ||
         want->fmask != got->fmask, " syscall msrs");
    DIFF(want->kernel_gs_base != got->kernel_gs_base, " kernel_gs_base");
    DIFF(want->sysenter_cs != got->sysenter_cs || want->sysenter_esp != got->sysenter_esp ||
         want->sysenter_eip != got->sysenter_eip, " sysenter msrs");
    DIFF(want->apic_base != got->apic_base, " apic_base %llx", (unsigned long long)got->apic_base);
    /* The TSC keeps counting: it may only have moved forward a little. */
    DIFF(got->tsc < want->tsc || got->tsc - want->tsc > 100000000000ull, " tsc");
#undef DIFF
    return n;
}

static void test_roundtrip(void)
{
    static void (*const make[])(struct cpu_state *) = { state_real, state_prot32, state_long };
    static const char *const names[] = { "real mode", "protected mode, paging", "long mode, CPL 3" };
    struct hv *hv = new_hv(0);
    struct vm *vm = hv ? boot(hv, NULL, &kvm_vcpu_ops, NULL) : NULL;

    if (!vm) {
        FAIL("roundtrip: no KVM VM");
        hv_destroy(hv);
        return;
    }
    struct vcpu *v = vm->vcpu[0];
    for (unsigned i = 0; i < sizeof(make) / sizeof(make[0]); i++) {
        struct cpu_state want, got;
        char why[512] = "";
        make[i](&want);
        if (v->ops->set_state(v, &want) < 0 || v->ops->get_state(v, &got) < 0) {
            FAIL("roundtrip %s: %s", names[i], vms_lasterr(VMS_ERR_ENGINE));
            continue;
        }
        if (state_diff(&want, &got, why, sizeof(why)))
            FAIL("roundtrip %s: differs in%s", names[i], why);
        else
            OK("roundtrip %s: every field kept", names[i]);
    }
    hv_destroy(hv);
}

/* ------------------------------------------------------------ step */

/* RIPs (CS.base + RIP) of the first @n single steps of scenario @name,
 * and the first two bytes of each instruction in @ops (may be NULL). */
static unsigned step_trace(const char *name, const struct vcpu_ops *engine, uint64_t *rips,
                           uint16_t *ops, unsigned n)
{
    struct hv *hv = new_hv(0);
    struct vm *vm = hv ? boot(hv, name, engine, NULL) : NULL;
    unsigned got = 0;

    if (!vm || vm->vcpu[0]->ops->set_step(vm->vcpu[0], true) < 0) {
        FAIL("step: cannot single-step on %s: %s", engine->name, vms_lasterr(VMS_ERR_ENGINE));
        hv_destroy(hv);
        return 0;
    }
    struct vcpu *v = vm->vcpu[0];
    while (got < n && vm->state == VM_RUNNING) {
        struct vcpu_exit ex;
        struct cpu_state s;
        if (v->ops->run(v, 1, &ex) < 0 || ex.kind != VEXIT_STEP)
            break;
        if (v->ops->get_state(v, &s) < 0)
            break;
        if (ops) {
            ops[got] = 0;
            pg_read_linear(&s, &vm->mem, s.seg[SEG_CS].base + s.rip, &ops[got], 2, 0, NULL);
        }
        rips[got++] = s.seg[SEG_CS].base + s.rip;
    }
    hv_destroy(hv);
    return got;
}

/* MOV SS (8E /2) or POP SS (17): the CPU holds off a single-step trap
 * until after the next instruction (SDM Vol. 3A 6.8.3), so a hardware
 * step covers two instructions there; Unicorn steps them one by one. */
static bool loads_ss(uint16_t op)
{
    uint8_t b0 = (uint8_t)op, modrm = (uint8_t)(op >> 8);
    return b0 == 0x17 || (b0 == 0x8E && ((modrm >> 3) & 7) == 2);
}

static void test_step(uint64_t *kvm_rips, unsigned *nk)
{
    uint64_t uc[STEPS + 8];
    uint16_t ops[STEPS + 8];
    unsigned nu = step_trace("hello", &uc_vcpu_ops, uc, ops, STEPS + 8), held = 0;

    *nk = step_trace("hello", &kvm_vcpu_ops, kvm_rips, NULL, STEPS);
    if (*nk != STEPS || nu != STEPS + 8) {
        FAIL("step: %u steps on KVM, %u on Unicorn, wanted %u", *nk, nu, STEPS);
        return;
    }
    for (unsigned i = 0, j = 0; i < STEPS; i++, j++) {
        if (kvm_rips[i] != uc[j] && j > 0 && loads_ss(ops[j - 1]) && kvm_rips[i] == uc[j + 1]) {
            j++;     /* the instruction after MOV SS ran in the same step */
            held++;
        }
        if (kvm_rips[i] != uc[j]) {
            FAIL("step %u: KVM at %#llx, Unicorn at %#llx", i,
                 (unsigned long long)kvm_rips[i], (unsigned long long)uc[j]);
            return;
        }
    }
    if (held == 0)
        FAIL("step: hello's MOV SS did not hold off a step on KVM");
    OK("step: %u single steps on KVM follow Unicorn's RIPs (%u held off by MOV SS, "
       "as the SDM says)", STEPS, held);
}

/* ----------------------------------------------------------- debug */

/* A breakpoint inside a loop stops once per iteration; a write
 * watchpoint stops after the store with the value stored. */
static void test_debug_loop(void)
{
    /* mov ecx, 5; 1: out 0x80, al; dec ecx; jnz 1b; mov byte [0x2000], 0x55; hlt */
    static const uint8_t code[] = { 0x66, 0xB9, 5, 0, 0, 0, 0xE6, 0x80, 0x66, 0x49, 0x75, 0xFA,
                                    0xC6, 0x06, 0x00, 0x20, 0x55, 0xF4 };
    struct hv *hv = new_hv(0);
    struct vm *vm = hv ? boot_code(hv, code, sizeof(code), 0x3FF) : NULL;
    struct vcpu_debug d = { .nbreak = 1, .brk = { 0x1006 }, .nwatch = 1,
                            .watch = { { .addr = 0x2000, .len = 1, .kind = WATCH_WRITE } } };
    struct vcpu_exit ex;
    struct cpu_state s;
    unsigned breaks = 0, watches = 0;

    if (!vm || vm->vcpu[0]->ops->set_debug(vm->vcpu[0], &d) < 0) {
        FAIL("debug: loop guest: %s", vms_lasterr(VMS_ERR_ENGINE));
        hv_destroy(hv);
        return;
    }
    struct vcpu *v = vm->vcpu[0];
    for (unsigned i = 0; i < 20; i++) {
        if (v->ops->run(v, 100000000, &ex) < 0 || v->ops->get_state(v, &s) < 0)
            break;
        if (ex.kind == VEXIT_BREAK && s.rip == 0x1006 && s.gpr[GPR_RCX] == 5 - breaks)
            breaks++;
        else if (ex.kind == VEXIT_WATCH && ex.addr == 0x2000 && ex.value == 0x55 && s.rip == 0x1011)
            watches++;
        else if (ex.kind != VEXIT_BUDGET)
            break;
    }
    if (breaks == 5 && watches == 1 && ex.kind == VEXIT_HLT)
        OK("debug: a loop breakpoint stopped 5 times, the write watchpoint once, after the store");
    else
        FAIL("debug: loop guest: %u breaks (want 5), %u watch stops (want 1), last exit %d at %#llx",
             breaks, watches, ex.kind, (unsigned long long)s.rip);
    hv_destroy(hv);
}

static void test_debug(const uint64_t *rips, unsigned n)
{
    if (!kvm_engine_debug_trusted()) {
        printf("SKIP: debug: breakpoints do not reach user space when KVM runs nested "
               "under emulation (VMSCOPE_KVM_NESTED=1)\n");
        return;
    }
    test_debug_loop();
    /* An address executed exactly once in the traced steps, after some. */
    uint64_t target = 0;
    for (unsigned i = n / 2; i < n && !target; i++) {
        unsigned seen = 0;
        for (unsigned j = 0; j < n; j++)
            seen += rips[j] == rips[i];
        if (seen == 1)
            target = rips[i];
    }
    if (!target) {
        FAIL("debug: no instruction runs once in the first %u steps of hello", n);
        return;
    }
    struct hv *hv = new_hv(0);
    struct vm *vm = hv ? boot(hv, "hello", &kvm_vcpu_ops, NULL) : NULL;
    struct vcpu_debug d = { .nbreak = 1, .brk = { target } };
    struct vcpu_exit ex;
    struct cpu_state s;

    if (!vm || vm->vcpu[0]->ops->set_debug(vm->vcpu[0], &d) < 0) {
        FAIL("debug: set_debug: %s", vms_lasterr(VMS_ERR_ENGINE));
        hv_destroy(hv);
        return;
    }
    struct vcpu *v = vm->vcpu[0];
    int rc = v->ops->run(v, 100000000, &ex);
    v->ops->get_state(v, &s);
    if (rc < 0 || ex.kind != VEXIT_BREAK || s.seg[SEG_CS].base + s.rip != target)
        FAIL("debug: wanted a break at %#llx, got exit %d at %#llx", (unsigned long long)target,
             ex.kind, (unsigned long long)(s.seg[SEG_CS].base + s.rip));
    else
        OK("debug: hardware breakpoint at %#llx stops before the instruction",
           (unsigned long long)target);
    rc = v->ops->run(v, 100000000, &ex);
    v->ops->get_state(v, &s);
    if (ex.kind == VEXIT_BREAK && s.seg[SEG_CS].base + s.rip == target)
        FAIL("debug: resuming at the breakpoint stopped there again");
    else
        OK("debug: resuming runs the instruction (next exit %d)", ex.kind);
    hv_destroy(hv);
}

/* --------------------------------------------------------- migrate */

/* Run @name starting on @a, move to @b after @k rounds; 1 if it moved. */
static int run_moved(const char *name, const struct vcpu_ops *a, const struct vcpu_ops *b,
                     unsigned k, struct capture *cap, int *status)
{
    struct hv *hv = new_hv(2000);
    struct vm *vm = hv ? boot(hv, name, a, cap) : NULL;
    int moved = 0;

    *status = -1;
    if (!vm) {
        hv_destroy(hv);
        return -1;
    }
    for (unsigned r = 0; r < MAX_ROUNDS && hv_round(hv); r++) {
        if (r + 1 == k && vm->state == VM_RUNNING) {
            if (vm_switch_engine(vm, b) < 0) {
                FAIL("%s: vm_switch_engine %s -> %s: %s", name, a->name, b->name, vm->reason);
                break;
            }
            moved = 1;
        }
    }
    *status = vm->exit_status;
    hv_destroy(hv);
    return moved;
}

/* Nested only (VMSCOPE_KVM_NESTED=1): a KVM VM that has not touched a
 * page yet takes a nested-paging fault when an exception is delivered
 * through it, and KVM re-injects the exception.  QEMU's emulated SVM
 * (the "hardware" of the nested test guest) delivers an injected event
 * without its double-fault rule, so a #DE whose gate is not present ends
 * as #NP instead of #DF.  The same guest moved KVM -> KVM shows it, so it
 * is not the moved state; real hardware escalates (SDM Vol. 3A 6.15,
 * interrupt 8).  Recognised exactly: the outputs part where Unicorn says
 * #DF and KVM says #NP. */
static bool nested_df_quirk(const char *want, const char *got, size_t got_len)
{
    if (kvm_engine_debug_trusted())
        return false;
    size_t wl = strcspn(want, "\n"), gl = strcspn(got, "\n");

    if (gl > got_len)
        gl = got_len;
    return memmem(want, wl, "#DF double fault", 16) && memmem(got, gl, "#NP segment not present", 23);
}

static void migrate_one(const char *name, const struct vcpu_ops *a, const struct vcpu_ops *b)
{
    char path[512];
    size_t rlen;
    int want, got;
    unsigned moved = 0, tries = 0;

    snprintf(path, sizeof(path), "%s/%s.out", ref_dir, name);
    char *ref = read_file(path, &rlen);
    snprintf(path, sizeof(path), "%s/%s.status", ref_dir, name);
    FILE *f = fopen(path, "r");
    if (!ref || !f || fscanf(f, "%d", &want) != 1) {
        FAIL("migrate %s: no reference results in %s", name, ref_dir);
        free(ref);
        if (f)
            fclose(f);
        return;
    }
    fclose(f);
    struct capture cap = { .buf = malloc(OUT_MAX) };
    static const unsigned points[] = { 1, 8 };
    for (unsigned i = 0; i < sizeof(points) / sizeof(points[0]) && cap.buf; i++) {
        cap.n = 0;
        int m = run_moved(name, a, b, points[i], &cap, &got);
        if (m <= 0)
            continue;   /* ended before that round: nothing was moved */
        tries++;
        if (got != want || cap.n != rlen || memcmp(cap.buf, ref, rlen)) {
            size_t at = 0;
            while (at < cap.n && at < rlen && cap.buf[at] == ref[at])
                at++;
            while (at > 0 && ref[at - 1] != '\n')
                at--;
            if (b == &kvm_vcpu_ops && nested_df_quirk(ref + at, cap.buf + at, cap.n - at)) {
                printf("XFAIL: migrate %s %s -> kvm after %u rounds: #NP where #DF is due; "
                       "QEMU's emulated SVM does not escalate a re-injected exception "
                       "(only when nested, docs/KVM-DEBUG.md)\n", name, a->name, points[i]);
                tries--;
                continue;
            }
            FAIL("migrate %s %s -> %s after %u rounds: status %d (want %d), %zu bytes "
                 "of output (want %zu); from byte %zu: \"%.160s\"", name, a->name, b->name,
                 points[i], got, want, cap.n, rlen, at, cap.n > at ? cap.buf + at : "");
            continue;
        }
        moved++;
    }
    if (tries == 0)
        FAIL("migrate %s %s -> %s: the scenario ended before any move", name, a->name, b->name);
    else if (moved == tries)
        OK("migrate %s %s -> %s: %u moves mid-run, same output and status as unmoved",
           name, a->name, b->name, moved);
    free(cap.buf);
    free(ref);
}

/* -------------------------------------------------- df_fresh_page */

/* The #DF rule on a fresh KVM VM, with no engine move (docs/KVM-DEBUG.md,
 * "#NP where #DF is due").  32-bit protected mode, no paging; the IDT (and
 * the GDT after it) in a page 4 MiB up, away from the code's 2 MiB;
 * gate 0 (#DE) an interrupt gate with P=0, gates 8 (#DF), 11 (#NP) and
 * 13 (#GP) present,
 * each handler writing its vector to the debug-exit port.  DIV by zero
 * makes #DE; delivering it through a not-present gate makes #NP, and a
 * contributory exception while delivering a contributory one is #DF
 * (SDM Vol. 3A 6.15, table 6-5): exit status (8 << 1) | 1 = 17.
 * Two runs differ only in whether the guest read its IDT page (and pushed
 * on its stack) before the DIV: if only the untouched run ends as #NP,
 * the difference comes from the first access to a page during event
 * delivery (a nested-paging exit, KVM re-injects the event), not from the
 * CPU state vmscope gives KVM, which is the same in both. */
#define DF_IDT      0x400000u
#define DF_GDT      (DF_IDT + 0x800u)
#define DF_CODE     0x1000u
#define DF_STATUS(vec) (((vec) << 1) | 1)

static void df_gate(uint8_t *idt, unsigned vec, uint32_t handler, bool present)
{
    uint8_t *g = idt + vec * 8;   /* 32-bit interrupt gate, SDM Vol. 3A 6.11 fig. 6-2 */
    g[0] = (uint8_t)handler;
    g[1] = (uint8_t)(handler >> 8);
    g[2] = 0x08;                  /* selector: the code segment */
    g[3] = 0;
    g[4] = 0;
    g[5] = present ? 0x8E : 0x0E; /* P DPL=0 type 0xE (32-bit interrupt gate) */
    g[6] = (uint8_t)(handler >> 16);
    g[7] = (uint8_t)(handler >> 24);
}

enum df_how { DF_UNTOUCHED, DF_TOUCHED, DF_TOUCHED_MOVED };

/* The touched run, stepped through its three touching instructions, then
 * moved KVM -> KVM (a new KVM VM: nothing mapped yet), then run on. */
static int df_step_and_move(struct vm *vm)
{
    struct vcpu *v = vm->vcpu[0];
    struct vcpu_exit ex;

    if (v->ops->set_step(v, true) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (v->ops->run(v, 1, &ex) < 0 || ex.kind != VEXIT_STEP)
            return -1;
    if (v->ops->set_step(v, false) < 0)
        return -1;
    return vm_switch_engine(vm, &kvm_vcpu_ops);
}

static int df_run(enum df_how how)
{
    bool touch = how != DF_UNTOUCHED;
    static const uint8_t touched[] = { 0xA1, 0x00, 0x00, 0x40, 0x00,   /* mov eax, [DF_IDT] */
                                       0x50, 0x58 };                    /* push eax; pop eax */
    static const uint8_t div0[] = { 0x31, 0xC9, 0xF7, 0xF1, 0xF4 };     /* xor ecx,ecx; div ecx; hlt */
    static const uint64_t gdt[3] = { 0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull };
    uint8_t code[sizeof(touched) + sizeof(div0)], idt[256], hnd[5];
    struct hv *hv = new_hv(0);
    struct vm *vm = hv ? boot(hv, NULL, &kvm_vcpu_ops, NULL) : NULL;
    struct cpu_state s;
    int status = -1;

    if (!vm) {
        hv_destroy(hv);
        return -1;
    }
    memset(code, 0x90, sizeof(touched));                 /* the same length: NOPs */
    if (touch)
        memcpy(code, touched, sizeof(touched));
    memcpy(code + sizeof(touched), div0, sizeof(div0));
    memset(idt, 0, sizeof(idt));
    static const uint8_t vecs[] = { 8, 11, 13 };
    int err = 0;
    for (unsigned i = 0; i < sizeof(vecs); i++) {
        uint32_t at = DF_CODE + 0x100u * (i + 1);
        uint8_t h[5] = { 0xB0, vecs[i], 0xE6, 0xF4, 0xF4 };  /* mov al, vec; out 0xf4, al; hlt */
        memcpy(hnd, h, sizeof(hnd));
        df_gate(idt, vecs[i], at, true);
        err |= gmem_write(&vm->mem, at, hnd, sizeof(hnd));
    }
    /* gate 0: a 32-bit interrupt gate with P=0 (an all-zero gate would be
     * #GP: its type is checked before P, SDM Vol. 3A 6.12.1) */
    df_gate(idt, 0, DF_CODE + 0x400u, false);
    err |= gmem_write(&vm->mem, DF_CODE, code, sizeof(code));
    err |= gmem_write(&vm->mem, DF_IDT, idt, sizeof(idt));
    err |= gmem_write(&vm->mem, DF_GDT, gdt, sizeof(gdt));
    x86_reset_state(&s, 0, 0);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        s.seg[i] = flat(0x10, SEGTYPE_DATA_WRITE | SEGTYPE_ACCESSED, 0, false);
    s.seg[SEG_CS] = flat(0x08, SEGTYPE_CODE | SEGTYPE_CODE_READ | SEGTYPE_ACCESSED, 0, false);
    s.seg[SEG_TR] = (struct x86_segment){ .selector = 0x18, .base = 0x9000, .limit = 0x67,
                                          .type = SYSTYPE_TSS_BUSY, .present = 1 };
    s.seg[SEG_LDTR] = (struct x86_segment){ .unusable = 1 };
    s.gdt = (struct x86_dtable){ DF_GDT, sizeof(gdt) - 1 };
    s.idt = (struct x86_dtable){ DF_IDT, sizeof(idt) - 1 };
    s.cr0 = CR0_PE | CR0_ET | CR0_NE;
    s.gpr[GPR_RSP] = 0x8000;
    s.rip = DF_CODE;
    if (err == 0 && vm_start(vm, &s) == 0 && (how != DF_TOUCHED_MOVED || df_step_and_move(vm) == 0))
        for (unsigned r = 0; r < 100000 && vm->state == VM_RUNNING; r++)
            hv_round(hv);
    if (vm->state == VM_EXITED)
        status = vm->exit_status;
    hv_destroy(hv);
    return status;
}

static void test_df_fresh_page(void)
{
    int fresh = df_run(DF_UNTOUCHED), touched = df_run(DF_TOUCHED);
    int moved = df_run(DF_TOUCHED_MOVED);
    bool nested = !kvm_engine_debug_trusted();

    if (touched != DF_STATUS(8))
        FAIL("df: IDT page touched first: status %d, want %d (#DF)", touched, DF_STATUS(8));
    else
        OK("df: #DE through a not-present gate is #DF when the guest has touched its IDT page");
    if (fresh == DF_STATUS(8))
        OK("df: ... and #DF too when it has not (no re-injected event)");
    else if (nested && fresh == DF_STATUS(11))
        printf("XFAIL: df: IDT page untouched: #NP, not #DF: the event re-injected after the "
               "nested-paging exit is delivered by QEMU's emulated SVM without the double-fault "
               "rule (only when nested, docs/KVM-DEBUG.md)\n");
    else
        FAIL("df: IDT page untouched: status %d, want %d (#DF)", fresh, DF_STATUS(8));
    /* The touched guest moved to a new KVM VM just before its DIV: its IDT
     * page is untouched again there, whatever the state says. */
    if (moved == DF_STATUS(8))
        OK("df: ... and #DF after the touched guest moved KVM -> KVM before the DIV");
    else if (nested && moved == DF_STATUS(11))
        printf("XFAIL: df: touched, then moved KVM -> KVM: #NP, not #DF, as untouched: the move "
               "gives a new KVM VM whose pages are all untouched (only when nested, "
               "docs/KVM-DEBUG.md)\n");
    else
        FAIL("df: touched, then moved KVM -> KVM: status %d, want %d (#DF)", moved, DF_STATUS(8));
}

static void test_migrate(void)
{
    static const char *const names[] = { "hello", "protected", "longmode" };

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        migrate_one(names[i], &kvm_vcpu_ops, &uc_vcpu_ops);
        migrate_one(names[i], &uc_vcpu_ops, &kvm_vcpu_ops);
    }
}

/* --kvm-irqchip: the in-kernel controllers' state is not carried, so a
 * move out of (or into) kvm-irqchip is refused in one line and the VM runs
 * on where it was, to the same end as the unmoved Unicorn run. */
static void test_irqchip_migrate(void)
{
    static const struct vcpu_ops *const to[] = { &uc_vcpu_ops, &kvm_vcpu_ops };
    struct capture cap = { .buf = malloc(OUT_MAX) };
    struct hv *hv = cap.buf ? new_hv(2000) : NULL;
    struct vm *vm = hv ? boot(hv, "protected", &kvm_irqchip_vcpu_ops, &cap) : NULL;
    unsigned refused = 0;
    char msg[160] = "";

    for (unsigned r = 0; vm && r < MAX_ROUNDS && hv_round(hv); r++) {
        if (r == 2 || r == 5) {
            const struct vcpu_ops *b = to[r == 5];
            int err = vm_switch_engine(vm, b);
            const char *why = vms_lasterr(err);
            if (err == -VMS_ERR_UNSUPPORTED && strstr(why, "in-kernel irqchip") &&
                !strchr(why, '\n') && vm->state == VM_RUNNING &&
                vm->vcpu[0]->ops == &kvm_irqchip_vcpu_ops) {
                refused++;
                snprintf(msg, sizeof(msg), "%s", why);
            }
            else
                FAIL("irqchip migrate -> %s: %d %s (state %s)", b->name, err, why,
                     vm_state_name(vm->state));
        }
    }
    char path[512];
    int want = -1;
    snprintf(path, sizeof(path), "%s/protected.status", ref_dir);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%d", &want) != 1)
        FAIL("irqchip migrate: no reference status in %s", ref_dir);
    if (f)
        fclose(f);
    if (vm && refused == 2 && vm->exit_status == want)
        OK("irqchip migrate: moves out to unicorn and kvm refused in one line (\"%.80s...\"); "
           "the VM ran on to status %d", msg, want);
    else if (vm && refused == 2)
        FAIL("irqchip migrate: status %d after the refused moves, want %d", vm->exit_status, want);
    hv_destroy(hv);
    free(cap.buf);
}

/* ---------------------------------------------------------- errors */

static void test_errors(void)
{
    static const uint8_t ud2[] = { 0x0F, 0x0B };                 /* #UD, no IVT: shutdown */
    static const uint8_t out_exit[] = { 0xB0, 0x05, 0xE6, 0xF4 }; /* mov al,5; out 0xf4,al */
    static const uint8_t spin[] = { 0xEB, 0xFE };                 /* jmp $ */
    struct hv *hv = new_hv(0);
    struct cpu_state s;

    /* 1. A state KVM refuses: CR0.PG without CR0.PE (SDM Vol. 3A 2.5). */
    struct vm *bad = hv ? boot(hv, NULL, &kvm_vcpu_ops, NULL) : NULL;
    if (bad) {
        x86_reset_state(&s, 0, 0x1000);
        s.cr0 |= CR0_PG;
        int err = vm_start(bad, &s);
        if (err < 0 && strstr(vms_lasterr(err), "refused"))
            OK("errors: a refused state is an error: %s", vms_lasterr(err));
        else
            FAIL("errors: CR0.PG without PE was accepted (%d)", err);
        vm_stop(bad, VM_FAILED, VMS_STATUS_ENGINE, "test: not started");
    }
    /* 2. A triple fault stops its VM only; the VM next to it runs on. */
    struct vm *tf = hv ? boot_code(hv, ud2, sizeof(ud2), 0) : NULL;
    /* 3. A guest that never exits: only the slice timer takes the pCPU
     * back from it, so the VM after it gets its turn. */
    struct vm *spinner = hv ? boot_code(hv, spin, sizeof(spin), 0x3FF) : NULL;
    struct vm *good = hv ? boot_code(hv, out_exit, sizeof(out_exit), 0x3FF) : NULL;
    if (!tf || !good || !spinner) {
        FAIL("errors: cannot set up the VMs: %s", vms_lasterr(VMS_ERR_ENGINE));
        hv_destroy(hv);
        return;
    }
    for (unsigned r = 0; r < 100000 && (good->state == VM_RUNNING || tf->state == VM_RUNNING); r++)
        hv_round(hv);
    if (spinner->state == VM_RUNNING && spinner->insns > 0)
        OK("errors: a spinning guest gave the pCPU back at each slice's end");
    else
        FAIL("errors: the spinning VM ended %s", vm_state_name(spinner->state));
    hv_stop_all(hv, VM_LIMIT, VMS_STATUS_INSN_LIMIT, "test over");
    if (tf->state == VM_SHUTDOWN && strstr(tf->reason, "triple fault"))
        OK("errors: triple fault: %s", tf->reason);
    else
        FAIL("errors: triple-faulting VM ended %s: %s", vm_state_name(tf->state), tf->reason);
    if (good->state == VM_EXITED && good->exit_status == 11)
        OK("errors: the other VM ran on and exited with status 11");
    else
        FAIL("errors: the other VM ended %s (%d): %s", vm_state_name(good->state),
             good->exit_status, good->reason);
    hv_destroy(hv);
}

static void test_step_debug(void)
{
    uint64_t rips[STEPS];
    unsigned n = 0;

    test_step(rips, &n);
    test_debug(rips, n);
}

int main(int argc, char **argv)
{
    char why[160];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && !strcmp(argv[1], "--probe")) {
        /* For the scripts: is this machine's /dev/kvm usable? */
        int err = kvm_engine_probe(why, sizeof(why));
        printf("%s\n", err < 0 ? why : "KVM is usable");
        return err < 0 ? 1 : 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: kvmtest SCNDIR REFDIR\n");
        return 2;
    }
    scn_dir = argv[1];
    ref_dir = argv[2];
    if (kvm_engine_probe(why, sizeof(why)) < 0) {
        printf("FAIL: KVM is not usable: %s\n", why);
        return 1;
    }
    static void (*const tests[])(void) = { test_roundtrip, test_step_debug, test_errors,
                                           test_df_fresh_page, test_migrate,
                                           test_irqchip_migrate };
    for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        tests[i]();
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("  (%.1f s)\n", (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    }
    printf("kvmtest: %d failure(s)\n", fails);
    return fails ? 1 : 0;
}
