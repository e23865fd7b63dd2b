# scenarios/kernel/kernel.mk - the teaching kernel (included by scenarios.mk).
#
#   build/scenarios/kernel/
#     disk0.img     boot sector + kernel.bin, padded to 1 MiB (boots from it)
#     disk0-chs.img the same with a boot sector that reads with CHS only
#     disk1.img     KFS file system with files/* (built by mkfs)
#     disk1-coop.img the same plus files-coop/sched.cfg ("cooperative"):
#                   the kernel's boot option for scheduling without a timer
#     kernel.elf    the kernel with symbols (user code at 0x40000000 inside)
#     kernel.lst    objdump -d -S of kernel.elf, then of the boot sector (16-bit)
#     kernel.sym    nm -n of kernel.elf
#     mkfs          the host tool that builds disk1.img
#   See docs/KERNEL.md.

SCN_K       := $(SCN_BUILD)/kernel
SCN_K_SRC   := scenarios/kernel
SCN_K_OBJ   := $(addprefix $(SCN_K)/,entry.o main.o trap.o proc.o mm.o apic.o \
	ata.o fs.o kbd.o console.o fmt.o uart.o)
SCN_K_UOBJ  := $(addprefix $(SCN_K)/user/,ulib.o programs.o fmt.o)
SCN_K_FILES := $(SCN_K_SRC)/files/motd.txt $(SCN_K_SRC)/files/numbers.txt
SCN_K_CFLAGS := $(SCN_CFLAGS32) -I$(SCN_K_SRC)
SCN_K_HOSTCC ?= cc

$(SCN_BUILD)/kernel/scenario.conf: $(SCN_K)/disk0.img $(SCN_K)/disk0-chs.img $(SCN_K)/disk1.img \
	$(SCN_K)/disk1-coop.img \
	$(SCN_K)/kernel.elf $(SCN_K)/kernel.lst $(SCN_K)/kernel.sym

$(SCN_K)/%.o: $(SCN_K_SRC)/%.S
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_ASFLAGS32) -c $< -o $@
$(SCN_K)/%.o: $(SCN_K_SRC)/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_K_CFLAGS) -c $< -o $@
$(SCN_K)/uart.o: scenarios/common/uart.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_K_CFLAGS) -c $< -o $@
$(SCN_K)/user/%.o: $(SCN_K_SRC)/user/%.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_K_CFLAGS) -I$(SCN_K_SRC)/user -c $< -o $@
$(SCN_K)/user/fmt.o: $(SCN_K_SRC)/fmt.c
	@mkdir -p $(dir $@)
	$(SCN_CC) $(SCN_K_CFLAGS) -c $< -o $@

# User space is one relocatable object whose only global symbols are the
# entry points the kernel names: its own copies of fmt.c's functions stay
# local and do not clash with the kernel's.
SCN_K_UENTRY := u_start prog_primes prog_wc prog_collatz prog_bad
$(SCN_K)/user/user.o: $(SCN_K_UOBJ)
	$(SCN_LD) -m elf_i386 -r -o $@.tmp $^
	$(SCN_OBJCOPY) $(addprefix -G ,$(SCN_K_UENTRY)) $@.tmp $@
	rm -f $@.tmp

$(SCN_K)/kernel.elf: $(SCN_K_OBJ) $(SCN_K)/user/user.o $(SCN_K_SRC)/kernel.ld
	$(SCN_LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments \
	  -T $(SCN_K_SRC)/kernel.ld -o $@ $(SCN_K_OBJ) $(SCN_K)/user/user.o

$(SCN_K)/kernel.bin: $(SCN_K)/kernel.elf
	$(SCN_OBJCOPY) -O binary $< $@

# The boot sector reads exactly the kernel's sectors: their count is
# assembled in.
# boot-chs: the same boot sector without the LBA extension (-DFORCE_CHS).
SCN_K_KSECT = $$(( ($$(stat -c %s $(SCN_K)/kernel.bin) + 511) / 512 ))
$(SCN_K)/boot.elf: $(SCN_K_SRC)/boot.S $(SCN_K_SRC)/boot.ld $(SCN_K)/kernel.bin
	$(SCN_CC) $(SCN_ASFLAGS32) -DKERNEL_SECTORS=$(SCN_K_KSECT) -c $< -o $(SCN_K)/boot.o
	$(SCN_LD) -m elf_i386 -T $(SCN_K_SRC)/boot.ld -o $@ $(SCN_K)/boot.o
$(SCN_K)/boot-chs.elf: $(SCN_K_SRC)/boot.S $(SCN_K_SRC)/boot.ld $(SCN_K)/kernel.bin
	$(SCN_CC) $(SCN_ASFLAGS32) -DKERNEL_SECTORS=$(SCN_K_KSECT) -DFORCE_CHS -c $< -o $(SCN_K)/boot-chs.o
	$(SCN_LD) -m elf_i386 -T $(SCN_K_SRC)/boot.ld -o $@ $(SCN_K)/boot-chs.o

$(SCN_K)/%.bin: $(SCN_K)/%.elf
	$(SCN_OBJCOPY) -O binary -j .text -j .sig $< $@
	@test $$(stat -c %s $@) -eq 512 || { echo "$@ is not 512 bytes" >&2; rm -f $@; exit 1; }

# A 1 MiB disk: the boot sector, the kernel from sector 1, zeros.
$(SCN_K)/disk0.img: $(SCN_K)/boot.bin $(SCN_K)/kernel.bin
	cat $^ > $@.tmp
	truncate -s 1M $@.tmp
	mv $@.tmp $@
$(SCN_K)/disk0-chs.img: $(SCN_K)/boot-chs.bin $(SCN_K)/kernel.bin
	cat $^ > $@.tmp
	truncate -s 1M $@.tmp
	mv $@.tmp $@

$(SCN_K)/mkfs: $(SCN_K_SRC)/mkfs.c $(SCN_K_SRC)/fs.h
	@mkdir -p $(dir $@)
	$(SCN_K_HOSTCC) -O2 -std=c11 -Wall -Wextra -Werror -o $@ $<

$(SCN_K)/disk1.img: $(SCN_K)/mkfs $(SCN_K_FILES)
	$(SCN_K)/mkfs $@ $(SCN_K_FILES)

$(SCN_K)/disk1-coop.img: $(SCN_K)/mkfs $(SCN_K_FILES) $(SCN_K_SRC)/files-coop/sched.cfg
	$(SCN_K)/mkfs $@ $(SCN_K_FILES) $(SCN_K_SRC)/files-coop/sched.cfg

# The AP trampoline is 16-bit code inside the 32-bit kernel: disassembled
# again as such at the end, after the boot sector.
$(SCN_K)/kernel.lst: $(SCN_K)/kernel.elf $(SCN_K)/boot.elf
	$(SCN_OBJDUMP) -d -S $(SCN_K)/kernel.elf > $@.tmp
	$(SCN_OBJDUMP) -d -S -m i8086 $(SCN_K)/boot.elf >> $@.tmp
	echo "==== the AP trampoline as 16-bit code (copied to 0x7000) ====" >> $@.tmp
	$(SCN_OBJDUMP) -d -m i8086 \
	  --start-address=0x$$($(SCN_NM) $(SCN_K)/kernel.elf | awk '$$3 == "ap_trampoline" { print $$1 }') \
	  --stop-address=0x$$($(SCN_NM) $(SCN_K)/kernel.elf | awk '$$3 == "ap_trampoline_end" { print $$1 }') \
	  $(SCN_K)/kernel.elf >> $@.tmp
	mv $@.tmp $@

-include $(wildcard $(SCN_K)/user/*.d)
