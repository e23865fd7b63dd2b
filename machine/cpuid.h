/* cpuid.h - the one CPU model every engine presents (documented in
 * docs/CPU.md): what CPUID returns for each leaf/subleaf. */
#ifndef VMS_CPUID_H
#define VMS_CPUID_H

#include <stdint.h>

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

/* CPUID(@leaf, @subleaf) for vCPU @apic_id of a VM with @ncpus vCPUs. */
void cpuid_model(uint32_t leaf, uint32_t subleaf, unsigned apic_id, unsigned ncpus,
                 struct cpuid_regs *out);

#endif
