# scenario: hello --vms 2
# Two copies of the boot sector under one scheduler: a breakpoint stops the
# vCPU that reaches it, which becomes current; per-VM views and selection.
info vms
break hex8
continue
info vms
catch sched vm1.vcpu0
continue
delete 2
vcpu vm1.vcpu0
info registers eip
stepi 2
continue
continue
info breakpoints
info vms
