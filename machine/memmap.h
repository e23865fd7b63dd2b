/* memmap.h - the guest platform: every guest address, port and IRQ number
 * vmscope's virtual PC uses, in one place (like xv6's memlayout.h).
 *
 * These are the IBM PC's real assignments, so the same scenario image runs
 * under vmscope and under qemu-system-x86_64 and both agree.
 */
#ifndef VMS_MEMMAP_H
#define VMS_MEMMAP_H

/* ---- guest-physical memory ---- */
#define MM_RAM_BASE        0x00000000u
#define MM_IVT_BASE        0x00000000u /* real-mode interrupt vector table */
#define MM_BDA_BASE        0x00000400u /* BIOS data area */
#define MM_BOOT_LOAD       0x00007C00u /* boot sector load address */
#define MM_BOOT_SIG_OFF    510u        /* 0x55 0xAA at bytes 510..511 */
#define MM_LOW_RAM_END     0x0009FC00u /* conventional memory ends (EBDA after) */
#define MM_EBDA_BASE       0x0009FC00u /* 1 KiB; BDA 0x40E holds its segment */
#define MM_EBDA_FREE       0x0009FC10u /* word 0 is the EBDA size in KiB (the
                                          firmware writes it): tables go here on */
#define MM_VGA_TEXT        0x000B8000u /* 80x25 colour text buffer */
#define MM_VGA_TEXT_SIZE   0x00008000u /* 32 KiB: 8 pages of 80x25x2 */
#define MM_BIOS_BASE       0x000E0000u /* BIOS area up to 1 MiB */
/* vmscope's firmware (machine/firmware/bios.S, docs/PC.md): its data and
 * bounce buffer in the E segment, its ROM code at the start of the F
 * segment, the reset vector at its end.  Free for MP/ACPI tables:
 * [MM_BIOS_BASE, MM_FW_DATA) and [MM_ROM_CODE_END, MM_ROM_RESET). */
#define MM_FW_DATA         0x000E8000u /* 32 KiB firmware bounce buffer */
#define MM_FW_DATA_SIZE    0x00008000u
#define MM_ROM_BASE        0x000F0000u /* ROM image: segment 0xF000 */
#define MM_ROM_CODE_END    0x000F4000u /* ROM code and data end below this */
#define MM_ROM_RESET       0x000FFFF0u /* reset vector F000:FFF0 */
#define MM_BIOS_END        0x00100000u
#define MM_HIGH_RAM        0x00100000u /* extended memory starts at 1 MiB */
#define MM_IOAPIC_BASE     0xFEC00000u
#define MM_LAPIC_BASE      0xFEE00000u

/* Scratch area the loaders use for boot information (multiboot info, memory
 * map, command line) and the ELF64 start-up page tables: below the EBDA,
 * above everything a boot sector may use. */
#define MM_BOOTINFO_BASE   0x00090000u
#define MM_BOOTINFO_SIZE   0x0000F000u

/* ---- APICs and the firmware tables that describe them ----
 * (machine/lapic.h, ioapic.h, mptable.h, acpi.h; docs/APIC.md) */
#define IOAPIC_PIN_IRQ0    2           /* ISA IRQ0 (PIT) enters the I/O APIC on pin 2 */
#define MM_EBDA_SIZE       0x00000400u /* 1 KiB: 0x9FC00-0x9FFFF */
#define MM_EBDA_SIZE_KB    1u          /* the EBDA's first word: its size in KiB */
#define MM_MPTABLE_BASE    (MM_EBDA_BASE + 0x10u) /* MP floating pointer, then the
                                          config table (after the size word) */
#define MM_MP_FLOAT_BIOS   0x000F8000u /* a copy of the floating pointer in the
                                          BIOS area (free of firmware code) */
#define MM_ACPI_BASE       0x000E0000u /* RSDP (16-byte aligned), RSDT, MADT */
#define MM_ACPI_SIZE       0x00000400u
#define MM_BDA_EBDA_SEG    0x0000040Eu /* BDA word: EBDA segment (0x9FC0) */
#define MM_BDA_BASEMEM_KB  0x00000413u /* BDA word: base memory in KiB (639) */

/* Default guest RAM when --mem is not given: 256 MiB, as the QEMU oracle
 * runs (-m 256).  Teaching kernels assume RAM up to 224 MiB without asking
 * (xv6's PHYSTOP); guest RAM is mapped MAP_NORESERVE, so untouched pages
 * cost nothing (measured: the same ~18.5 MB RSS as with 64 MiB). */
#define MM_DEFAULT_RAM     (256u << 20)
/* ... and when booting a PC disk: the same (kept for the callers that
 * choose by image kind). */
#define MM_DEFAULT_DISK_RAM MM_DEFAULT_RAM

/* ---- I/O ports ---- */
#define PORT_PIC1          0x20u  /* master 8259: command 0x20, data 0x21 */
#define PORT_PIC2          0xA0u  /* slave 8259: command 0xA0, data 0xA1 */
#define PORT_PIT           0x40u  /* 8254: counters 0x40-0x42, control 0x43 */
#define PORT_PIT_LEN       4u
#define PORT_I8042_DATA    0x60u
#define PORT_SYSCTRL_B     0x61u  /* PC speaker / PIT gate 2 (NMI status) */
#define PORT_I8042_CMD     0x64u
#define PORT_RTC           0x70u  /* index 0x70, data 0x71 */
#define PORT_SYSCTRL_A     0x92u  /* PS/2 system control port A: fast A20, reset */
#define PORT_DEBUG_EXIT    0xF4u  /* QEMU isa-debug-exit: write v -> exit (v<<1)|1 */
#define PORT_DEBUG_EXIT_LEN 4u
#define PORT_ATA0          0x1F0u /* primary ATA command block 0x1F0-0x1F7 */
#define PORT_ATA0_CTL      0x3F6u /* primary ATA device control */
#define PORT_VGA           0x3C0u /* VGA registers 0x3C0-0x3DF */
#define PORT_VGA_LEN       0x20u
#define PORT_CRTC          0x3D4u /* VGA CRTC index 0x3D4, data 0x3D5 */
#define PORT_FWCALL        0x7F0u /* vmscope firmware hypercall (docs/PC.md), 4 ports */
#define PORT_FWCALL_LEN    4u
#define PORT_COM1          0x3F8u /* 16550A UART, 8 registers */
#define PORT_COM1_LEN      8u
#define PORT_ELCR          0x4D0u /* 8259 edge/level control (0x4D0, 0x4D1) */

/* ---- ISA IRQ lines (8259 inputs) ---- */
#define IRQ_PIT            0
#define IRQ_KBD            1
#define IRQ_CASCADE        2
#define IRQ_COM1           4
#define IRQ_RTC            8
#define IRQ_MOUSE          12
#define IRQ_ATA0           14
#define ISA_IRQS           16

/* The one description of where an ISA IRQ line enters the I/O APIC, used
 * by the device wiring (platform.c), the MP table (mptable.c: one I/O
 * interrupt entry per IRQ but the cascade) and KVM's GSI routing
 * (kvm_state_gsi_routing): pin = IRQ, except IRQ0 -> pin 2, the interrupt
 * source override the MADT declares (acpi.c), as on QEMU's PC.  IRQ 2 is
 * the 8259 cascade and has no I/O APIC entry: -1. */
static inline int isa_irq_ioapic_pin(unsigned irq)
{
    if (irq == IRQ_CASCADE || irq >= ISA_IRQS)
        return -1;
    return irq == IRQ_PIT ? IOAPIC_PIN_IRQ0 : (int)irq;
}

/* ---- clocks ---- */
#define PIT_HZ             1193182u   /* 8254 input clock */
/* Virtual time on the emulated engine: one retired instruction is one
 * nanosecond of guest time (a 1 GHz virtual CPU).  Documented in docs/. */
#define VCLOCK_NS_PER_INSN 1u

#endif
