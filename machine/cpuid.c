/* cpuid.c - the one CPU model of vmscope (docs/CPU.md explains each
 * choice).  Feature bits follow SDM Vol. 2A "CPUID", Tables 3-8 to 3-20.
 * Only features that both engines really provide are claimed: QEMU's TCG
 * (inside Unicorn) and KVM on any x86-64 host.
 */
#include "cpuid.h"

#include <string.h>

#include "paging.h"

#define LEAF_MAX_BASIC     0x00000007u
#define LEAF_HYPERVISOR    0x40000000u
#define LEAF_MAX_EXTENDED  0x80000008u

/* Family 6, model 15, stepping 11 ("Core 2" class), type 0 (SDM Figure 3-6). */
#define CPU_STEPPING       0xBu
#define CPU_MODEL          0xFu
#define CPU_FAMILY         0x6u
#define CPU_SIGNATURE      (CPU_STEPPING | (CPU_MODEL << 4) | (CPU_FAMILY << 8))

/* CPUID.01H:EBX fields */
#define EBX1_CLFLUSH_SHIFT 8       /* CLFLUSH line size in 8-byte units */
#define EBX1_CLFLUSH_LINE  8u      /* 64 bytes */
#define EBX1_LOGICAL_SHIFT 16      /* maximum addressable logical processor IDs */
#define EBX1_APIC_SHIFT    24      /* initial APIC ID */

/* CPUID.01H:EDX (SDM Table 3-11) */
#define EDX1_FPU    (1u << 0)
#define EDX1_DE     (1u << 2)      /* CR4.DE, debugging extensions */
#define EDX1_PSE    (1u << 3)      /* 4 MiB pages */
#define EDX1_TSC    (1u << 4)
#define EDX1_MSR    (1u << 5)
#define EDX1_PAE    (1u << 6)
#define EDX1_CX8    (1u << 8)
#define EDX1_APIC   (1u << 9)      /* a local APIC at 0xFEE00000 */
#define EDX1_SEP    (1u << 11)     /* SYSENTER/SYSEXIT */
#define EDX1_PGE    (1u << 13)
#define EDX1_CMOV   (1u << 15)
#define EDX1_PAT    (1u << 16)
#define EDX1_PSE36  (1u << 17)     /* 4 MiB pages above 4 GiB */
#define EDX1_CLFSH  (1u << 19)
#define EDX1_MMX    (1u << 23)
#define EDX1_FXSR   (1u << 24)
#define EDX1_SSE    (1u << 25)
#define EDX1_SSE2   (1u << 26)
#define EDX1_HTT    (1u << 28)     /* EBX[23:16] is valid: more than one logical CPU */

/* CPUID.01H:ECX (SDM Table 3-10) */
#define ECX1_SSE3       (1u << 0)
#define ECX1_CX16       (1u << 13)
#define ECX1_POPCNT     (1u << 23)
#define ECX1_HYPERVISOR (1u << 31) /* reserved for hypervisors: "you run in a VM" */

/* CPUID.80000001H (SDM Table 3-8) */
#define ECX81_LAHF      (1u << 0)  /* LAHF/SAHF in 64-bit mode */
#define EDX81_SYSCALL   (1u << 11)
#define EDX81_NX        (1u << 20)
#define EDX81_PAGE1GB   (1u << 26)
#define EDX81_LM        (1u << 29)

/* CPUID.80000008H:EAX: [7:0] physical, [15:8] linear address bits. */
#define EAX88_LINEAR_SHIFT 8

static const uint32_t leaf1_edx =
    EDX1_FPU | EDX1_DE | EDX1_PSE | EDX1_TSC | EDX1_MSR | EDX1_PAE | EDX1_CX8 |
    EDX1_APIC | EDX1_SEP | EDX1_PGE | EDX1_CMOV | EDX1_PAT | EDX1_PSE36 |
    EDX1_CLFSH | EDX1_MMX | EDX1_FXSR | EDX1_SSE | EDX1_SSE2;

static const uint32_t leaf1_ecx = ECX1_SSE3 | ECX1_CX16 | ECX1_POPCNT | ECX1_HYPERVISOR;

/* Four ASCII bytes, little endian, as CPUID returns strings. */
static uint32_t str4(const char *s)
{
    uint32_t v = 0;

    for (int i = 0; i < 4 && s[i]; i++)
        v |= (uint32_t)(uint8_t)s[i] << (8 * i);
    return v;
}

static void set(struct cpuid_regs *o, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    o->eax = a;
    o->ebx = b;
    o->ecx = c;
    o->edx = d;
}

static void leaf1(unsigned apic_id, unsigned ncpus, struct cpuid_regs *o)
{
    unsigned logical = ncpus > 255 ? 255 : (ncpus ? ncpus : 1);
    uint32_t ebx = (EBX1_CLFLUSH_LINE << EBX1_CLFLUSH_SHIFT) |
                   ((uint32_t)logical << EBX1_LOGICAL_SHIFT) |
                   ((uint32_t)(apic_id & 0xFF) << EBX1_APIC_SHIFT);

    set(o, CPU_SIGNATURE, ebx, leaf1_ecx, leaf1_edx | (ncpus > 1 ? EDX1_HTT : 0));
}

/* Brand string, 48 bytes NUL-padded over leaves 80000002H-80000004H. */
static void brand(uint32_t leaf, struct cpuid_regs *o)
{
    static const char text[] = "vmscope virtual CPU";
    char buf[48] = { 0 };
    const char *p = buf + (leaf - 0x80000002u) * 16;

    memcpy(buf, text, sizeof(text));
    set(o, str4(p), str4(p + 4), str4(p + 8), str4(p + 12));
}

void cpuid_model(uint32_t leaf, uint32_t subleaf, unsigned apic_id, unsigned ncpus,
                 struct cpuid_regs *out)
{
    (void)subleaf;   /* no leaf of this model has subleaves with data */
    set(out, 0, 0, 0, 0);
    switch (leaf) {
    case 0:
        set(out, LEAF_MAX_BASIC, str4("Genu"), str4("ntel"), str4("ineI"));
        break;
    case 1:
        leaf1(apic_id, ncpus, out);
        break;
    case 2:
        out->eax = 0x01;   /* one CPUID(2) round, no cache descriptors */
        break;
    case LEAF_HYPERVISOR:
        set(out, LEAF_HYPERVISOR, str4("vmsc"), str4("ope"), 0);
        break;
    case 0x80000000u:
        out->eax = LEAF_MAX_EXTENDED;
        break;
    case 0x80000001u:
        set(out, 0, 0, ECX81_LAHF, EDX81_SYSCALL | EDX81_NX | EDX81_PAGE1GB | EDX81_LM);
        break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u:
        brand(leaf, out);
        break;
    case 0x80000008u:
        out->eax = PG_MAXPHYADDR | (PG_LINEAR_BITS << EAX88_LINEAR_SHIFT);
        break;
    default:
        /* Leaves 3-7 and 80000005H-80000007H are all zero; so is the
         * highest basic leaf (7), so Intel's rule "out-of-range leaves
         * return the highest basic leaf" also gives zeros. */
        break;
    }
}
