# scenario: protected
# tests/debugger/commands.gdb on both engines up to its awatch (a debug
# register watchpoint: refused nested), then to the end and a restart.
# Left out: icount (virtual time is host time on KVM, docs/KVM.md).
break kputs
info breakpoints
continue
info breakpoints
display info registers eip esp
ignore 1 2
continue
info breakpoints
undisplay
delete
print/x $eax
print/d -1
print/t 10
print/o 8
print/c 65
print kputs + 4 * 2
print {b}kputs
print *(uint16_t *)kputs == 0x5657
info symbol $pc + 3
x/s 0xc0002444
x/8xb $esp
x/2dw $esp
x/3a $esp
x
set $eax = 0x1234
print/x $ax
set $al = 0xff
print/x $eax
set {w}($esp - 16) = 0xcafe
x/1xw $esp - 16
advance kputs+3
until
stepi
tbreak uart_putc
continue
info breakpoints
finish
delete
continue
info ldt
info registers cs eflags
run
info breakpoints
info registers eip
