# scenario: protected
# tests/debugger/protected.gdb on both engines, in ring 0: mode catch,
# 32-bit page walks, GDT/IDT/TSS, breakpoints, finish, device views.
# Changed or left out:
#  - a stepi after the mode stop, before the page walks: Unicorn has
#    already translated the next instruction there and set the Accessed
#    bit of PDE 0, the CPU under KVM sets it when it fetches (both allowed,
#    SDM Vol. 3A 4.8); after one step both show it;
#  - watch/rwatch: nested, KVM's debug registers never fire (refused);
#  - catch exception pf / catch interrupt 0x80: no such events on KVM;
#  - the ring-3 part after user_main: its int 0x80 is a softint event
#    (not on KVM), and KVM's trap-flag step does not follow INT n into the
#    handler (docs/KVM-DEBUG.md).
info registers
catch mode
continue
stepi
creg
pagewalk 0xc0001280
pagewalk 0x10
pagewalk 0xc0003000 user write
info tab
delete
break kputs
continue
bt
finish
sreg
info gdt
info tss
disassemble $pc 3
info idt 0x80 1
delete
tbreak user_main
continue
info registers cs ss esp
stack 2
catch pio 0xf4 write
continue
info mtree
info device debugexit
delete
continue
