# scenarios/scenarios.mk - the guest programs, included by the top Makefile.
#
#   make scenarios   build every scenario into $(SCN_BUILD)/NAME/:
#                      the image, NAME.lst (disassembly with source),
#                      NAME.sym (nm -n), scenario.conf, expected.txt
#
# The guests are freestanding x86 code built with the host gcc/binutils
# (gcc-multilib for -m32).  They never use the host's CFLAGS: a guest is not
# a host program.  See docs/SCENARIOS.md.

SCN_BUILD   ?= build/scenarios
SCN_NAMES   := hello protected longmode smp disk kernel
SCN_CC      ?= gcc
SCN_LD      ?= ld
SCN_OBJCOPY ?= objcopy
SCN_OBJDUMP ?= objdump
SCN_NM      ?= nm

SCN_CFLAGS_COMMON := -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-builtin -nostdlib -mgeneral-regs-only \
	-O2 -g -std=c11 -Wall -Wextra -Werror -Iscenarios/common -MMD -MP
SCN_CFLAGS32 := -m32 $(SCN_CFLAGS_COMMON)
# 64-bit kernel code: linked at 0xFFFFFFFF80000000 + physical (-mcmodel=kernel);
# no red zone, because interrupts push onto the current stack.
SCN_CFLAGS64 := -m64 -mcmodel=kernel -mno-red-zone $(SCN_CFLAGS_COMMON)
SCN_ASFLAGS32 := -m32 -g -Iscenarios/common -MMD -MP
SCN_ASFLAGS64 := -m64 -g -Iscenarios/common -MMD -MP

.PHONY: scenarios scenarios-clean
.PRECIOUS: $(SCN_BUILD)/%/expected.txt $(SCN_BUILD)/%.elf $(SCN_BUILD)/%.o
SCN_LESSONS := $(patsubst scenarios/%,$(SCN_BUILD)/%,$(wildcard $(foreach n,$(SCN_NAMES),scenarios/$(n)/lesson.txt)))
scenarios: $(foreach n,$(SCN_NAMES),$(SCN_BUILD)/$(n)/scenario.conf) $(SCN_LESSONS)

scenarios-clean:
	rm -rf $(SCN_BUILD)

# Every scenario: copy its metadata, golden transcript and lesson (if it
# has one, docs/LESSONS.md) next to the image.
$(SCN_BUILD)/%/scenario.conf: scenarios/%/scenario.conf $(SCN_BUILD)/%/expected.txt
	@mkdir -p $(dir $@)
	cp $< $@

$(SCN_BUILD)/%/lesson.txt: scenarios/%/lesson.txt
	@mkdir -p $(dir $@)
	cp $< $@

$(SCN_BUILD)/%/expected.txt: scenarios/%/expected.txt
	@mkdir -p $(dir $@)
	cp $< $@

# ---- hello: a 512-byte boot sector (16-bit real mode) ----
SCN_HELLO := $(SCN_BUILD)/hello
$(SCN_BUILD)/hello/scenario.conf: $(SCN_HELLO)/hello.img $(SCN_HELLO)/hello.lst $(SCN_HELLO)/hello.sym

$(SCN_HELLO)/hello.o: scenarios/hello/hello.S
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_ASFLAGS32) -c $< -o $@

$(SCN_HELLO)/hello.elf: $(SCN_HELLO)/hello.o scenarios/hello/hello.ld
	$(SCN_LD) -m elf_i386 -T scenarios/hello/hello.ld -o $@ $<

$(SCN_HELLO)/hello.img: $(SCN_HELLO)/hello.elf
	$(SCN_OBJCOPY) -O binary -j .text -j .sig $< $@
	@test $$(stat -c %s $@) -eq 512 || { echo "hello.img is not 512 bytes" >&2; rm -f $@; exit 1; }

$(SCN_HELLO)/hello.lst: $(SCN_HELLO)/hello.elf
	$(SCN_OBJDUMP) -d -S -m i8086 $< > $@

# ---- protected: Multiboot ELF32, 32-bit protected mode ----
SCN_PROT := $(SCN_BUILD)/protected
SCN_PROT_OBJ := $(addprefix $(SCN_PROT)/,boot.o trapentry.o user.o kernel.o uart.o kprintf.o)
$(SCN_BUILD)/protected/scenario.conf: $(SCN_PROT)/protected.elf $(SCN_PROT)/protected.lst $(SCN_PROT)/protected.sym

$(SCN_PROT)/%.o: scenarios/protected/%.S
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_ASFLAGS32) -c $< -o $@
$(SCN_PROT)/%.o: scenarios/protected/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_CFLAGS32) -c $< -o $@
$(SCN_PROT)/%.o: scenarios/common/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_CFLAGS32) -c $< -o $@

$(SCN_PROT)/protected.elf: $(SCN_PROT_OBJ) scenarios/protected/kernel.ld
	$(SCN_LD) -m elf_i386 -nostdlib -z noexecstack -z max-page-size=4096 \
	  -T scenarios/protected/kernel.ld -o $@ $(SCN_PROT_OBJ)

$(SCN_PROT)/protected.lst: $(SCN_PROT)/protected.elf
	$(SCN_OBJDUMP) -d -S $< > $@

# ---- longmode: Multiboot ELF32 entry, then 64-bit long mode ----
# Linked as an x86-64 ELF (the 32-bit entry is .code32 inside it), then
# converted to ELF32 with objcopy, because Multiboot loaders (QEMU -kernel)
# take ELF32 only.  The .sym and .lst come from the 64-bit link.
SCN_LM := $(SCN_BUILD)/longmode
SCN_LM_OBJ := $(addprefix $(SCN_LM)/,boot.o entry64.o user.o kernel.o uart.o kprintf.o)
$(SCN_BUILD)/longmode/scenario.conf: $(SCN_LM)/longmode.elf $(SCN_LM)/longmode.lst $(SCN_LM)/longmode.sym

$(SCN_LM)/%.o: scenarios/longmode/%.S
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_ASFLAGS64) -c $< -o $@
$(SCN_LM)/%.o: scenarios/longmode/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_CFLAGS64) -c $< -o $@
$(SCN_LM)/%.o: scenarios/common/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_CFLAGS64) -c $< -o $@

$(SCN_LM)/longmode64.elf: $(SCN_LM_OBJ) scenarios/longmode/kernel.ld
	$(SCN_LD) -m elf_x86_64 -nostdlib -z noexecstack -z max-page-size=4096 --no-warn-rwx-segments \
	  -T scenarios/longmode/kernel.ld -o $@ $(SCN_LM_OBJ)

$(SCN_LM)/longmode.elf: $(SCN_LM)/longmode64.elf
	$(SCN_OBJCOPY) -O elf32-i386 $< $@

$(SCN_LM)/longmode.lst: $(SCN_LM)/longmode64.elf
	$(SCN_OBJDUMP) -d -S $< > $@

# ---- smp: Multiboot ELF32, two CPUs, APICs, MP table ----
SCN_SMP := $(SCN_BUILD)/smp
SCN_SMP_OBJ := $(addprefix $(SCN_SMP)/,boot.o smp.o uart.o kprintf.o)
$(SCN_BUILD)/smp/scenario.conf: $(SCN_SMP)/smp.elf $(SCN_SMP)/smp.lst $(SCN_SMP)/smp.sym

$(SCN_SMP)/%.o: scenarios/smp/%.S
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_ASFLAGS32) -c $< -o $@
$(SCN_SMP)/%.o: scenarios/smp/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_CFLAGS32) -c $< -o $@
$(SCN_SMP)/%.o: scenarios/common/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_CFLAGS32) -c $< -o $@

$(SCN_SMP)/smp.elf: $(SCN_SMP_OBJ) scenarios/smp/kernel.ld
	$(SCN_LD) -m elf_i386 -nostdlib -z noexecstack -z max-page-size=4096 --no-warn-rwx-segments \
	  -T scenarios/smp/kernel.ld -o $@ $(SCN_SMP_OBJ)

$(SCN_SMP)/smp.lst: $(SCN_SMP)/smp.elf
	$(SCN_OBJDUMP) -d -S $< > $@

# ---- disk: a boot loader on disk 0 (stage 1 + stage 2), data on disk 1 ----
# disk0.img is the boot sector and stage 2 padded to 64 KiB; disk1.img is
# 32 sectors of text.  scenario.conf's disk= line attaches disk1.img.
SCN_DISK := $(SCN_BUILD)/disk
$(SCN_BUILD)/disk/scenario.conf: $(SCN_DISK)/disk0.img $(SCN_DISK)/disk1.img $(SCN_DISK)/disk0.lst $(SCN_DISK)/disk0.sym

$(SCN_DISK)/%.o: scenarios/disk/%.S
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_ASFLAGS32) -c $< -o $@

$(SCN_DISK)/disk0.elf: $(SCN_DISK)/disk.o scenarios/disk/disk.ld
	$(SCN_LD) -m elf_i386 -T scenarios/disk/disk.ld -o $@ $<

$(SCN_DISK)/disk0.img: $(SCN_DISK)/disk0.elf
	$(SCN_OBJCOPY) -O binary -j .boot -j .sig -j .text -j .pad $< $@
	truncate -s 64K $@
	@test $$(stat -c %s $@) -eq 65536 || { echo "disk0.img is larger than 64 KiB" >&2; rm -f $@; exit 1; }

$(SCN_DISK)/disk0.lst: $(SCN_DISK)/disk0.elf
	$(SCN_OBJDUMP) -d -S -m i8086 $< > $@

$(SCN_DISK)/disk1.img: $(SCN_DISK)/disk1.o
	$(SCN_OBJCOPY) -O binary -j .data $< $@
	@test $$(stat -c %s $@) -eq 16384 || { echo "disk1.img is not 32 sectors" >&2; rm -f $@; exit 1; }

# nm -n: "ADDR T name" lines, sorted by address; absolute symbols (.equ
# constants, type a/A) are left out: they are not locations.
SCN_SYMS = $(SCN_NM) -n --defined-only $< | awk '$$2 !~ /^[aAN]$$/' > $@

$(SCN_LM)/longmode.sym: $(SCN_LM)/longmode64.elf
	$(SCN_SYMS)

$(SCN_BUILD)/%.sym: $(SCN_BUILD)/%.elf
	$(SCN_SYMS)

include scenarios/kernel/kernel.mk

-include $(wildcard $(SCN_BUILD)/*/*.d)
