/* mm.c - physical page frames and page tables.
 *
 * Frames come from a bump allocator over 1-4 MiB (nothing is ever freed:
 * the kernel runs a fixed set of processes once).  The kernel's own
 * addresses are identity mapped (virtual = physical) in every page
 * directory: 0-4 MiB, supervisor-only, plus the local and I/O APIC pages
 * (uncached).  A process's page directory shares those page tables and
 * adds one page table of its own for USER_BASE..USER_TOP.
 *
 * 32-bit paging (Intel SDM Vol. 3A 4.3): CR3 -> page directory (1024
 * PDEs, 4 MiB each) -> page table (1024 PTEs, 4 KiB each).  A PDE's U/S
 * and R/W bits must allow an access too, so PDEs are P|W|U and each PTE
 * decides.
 */
#include "kernel.h"

uint32_t *kpgdir;
static uint32_t next_frame = POOL_START;

/* A zeroed 4 KiB frame (physical = virtual in the kernel map). */
void *page_alloc(void)
{
	if (next_frame >= POOL_END)
		panic("out of page frames");
	void *p = (void *)(uintptr_t)next_frame;
	next_frame += PAGE_SIZE;
	memset(p, 0, PAGE_SIZE);
	return p;
}

/* The PTE for @va, allocating its page table if there is none. */
uint32_t *vm_walk(uint32_t *pgdir, uint32_t va)
{
	uint32_t *pde = &pgdir[PDX(va)];

	if (!(*pde & PTE_P))
		*pde = (uint32_t)(uintptr_t)page_alloc() | PTE_P | PTE_W | PTE_U;
	uint32_t *pt = (uint32_t *)(uintptr_t)PTE_ADDR(*pde);
	return &pt[PTX(va)];
}

void vm_map(uint32_t *pgdir, uint32_t va, uint32_t pa, uint32_t flags)
{
	*vm_walk(pgdir, va) = PTE_ADDR(pa) | flags | PTE_P;
}

void vm_init(void)
{
	kpgdir = page_alloc();
	for (uint32_t a = 0; a < KMAP_END; a += PAGE_SIZE)
		vm_map(kpgdir, a, a, PTE_W);
}

/* A new page directory with the kernel's PDEs (shared page tables).
 * Called after every kernel mapping exists (the APICs included). */
uint32_t *vm_new_pgdir(void)
{
	uint32_t *pd = page_alloc();

	memcpy(pd, kpgdir, PAGE_SIZE);
	return pd;
}

void vm_enable_paging(void)
{
	uint32_t cr0;

	write_cr3((uint32_t)(uintptr_t)kpgdir);
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	/* WP: ring 0 obeys read-only pages too (SDM 4.6) */
	cr0 |= CR0_PG | CR0_WP;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}
