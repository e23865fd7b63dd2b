/* pane_sys.h - panes of the machine around the CPU: the event stream,
 * the devices, and the VMs with the scheduler's timeline. */
#ifndef VMS_TUI_PANE_SYS_H
#define VMS_TUI_PANE_SYS_H

#include <stdint.h>

#include "tui/pane.h"

extern const struct pane_ops pane_events_ops, pane_devices_ops, pane_vms_ops;

/* The events pane's filter presets, cycled by the filter key: a name and
 * the event kinds (bits of 1 << enum ev_kind; 0 = all). */
struct ev_preset {
    const char *name;
    uint32_t kinds;
};
extern const struct ev_preset pane_ev_presets[];
extern const unsigned pane_ev_preset_count;

#endif
