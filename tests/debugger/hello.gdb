# hello: a real-mode boot sector.  Stepping, next over a call, the IVT,
# real-mode segments, conditions, x formats, event breakpoints.
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
catch softint 0x30
continue
info ivt 0x30 1
info idt 0 1
sreg
catch exception de
continue
info events 3 exception
pagewalk 0x7c00
info tab
info breakpoints
delete
continue
info vms
