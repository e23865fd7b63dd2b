# scenario: longmode
# Stepping across a ring change: IRETQ into ring 3 and the user
# instructions up to the first SYSCALL.  Not the SYSCALL itself: KVM's
# trap-flag step ends there (FMASK clears TF; nested, the kernel then runs
# to the next exit) and Unicorn's step of it also runs the handler's first
# instruction (docs/KVM-DEBUG.md).
break iretq_to_user
continue
delete
stepi
info registers rip cs ss rflags
stepi 3
info registers rip rax rdi rsi cs rflags
x/2i $pc
pagewalk $pc user
