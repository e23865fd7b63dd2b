# scenario: longmode
# SYSCALL/SYSRET as events, ring transitions, the IST stack of #PF, and
# event filters in the log.
catch syscall
continue
info registers rip rcx r11 cs ss
x/2i $pc
continue
info events 4 syscall
delete
catch exception pf
continue
info registers rsp cs
info tss
bt
delete
catch mode compat
catch exit end
continue
info vms
