# scenario: hello
# tests/debugger/hello.gdb on both engines, without what the KVM engine
# cannot show the same way (docs/KVM.md, "Debugging through KVM"):
#  - catch softint / catch exception and `info events ... exception`:
#    the CPU delivers INT n and exceptions itself on KVM, no exit, so
#    there are no softint/exception events to stop at.
# Breakpoints are reached by single steps where KVM refuses them (nested).
info registers
x/6i $pc
stepi
stepi 3
info registers edi eip
print $cs * 16 + $ip
print/x $sp
x/2xh 0x7dfe
xp/2xb 0x7dfe
x/s 0x7dfe
break *0x7c65
continue
next
info registers eip
break hex8
condition 2 $al == 0
info breakpoints
continue
print/x $al
bt
stack 3
finish
delete
info ivt 0x30 1
info idt 0 1
sreg
pagewalk 0x7c00
info tab
info breakpoints
continue
