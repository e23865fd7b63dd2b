/* tracew.h - the JSON Lines trace (`--trace FILE`), written by a thread.
 *
 * Formatting and writing a line costs ~3x what an exit-heavy guest spends
 * on the exit itself, so the hypervisor does neither: its sink copies the
 * event into a single-producer/single-consumer queue and goes on; a
 * writer thread formats the lines (docs/TRACE.md) and writes them in
 * large blocks.  The file is the one the synchronous writer would produce,
 * byte for byte: one producer, one consumer, the order kept.
 *
 * When the writer falls behind by the whole queue, the producer waits for
 * it (no event is ever dropped).  A write error is kept and reported by
 * tracew_close(); events after it are discarded, never blocking the guest.
 */
#ifndef VMS_TRACEW_H
#define VMS_TRACEW_H

#include "event.h"

struct tracew;

/* Create @path (truncated) and start the writer.  0, or -VMS_ERR_IO with
 * the reason in vms_lasterr(). */
int tracew_open(struct tracew **out, const char *path);

/* The sink to add to an event stream (valid until tracew_close). */
struct ev_sink *tracew_sink(struct tracew *t);

/* What the writer did. */
struct tracew_stats {
    uint64_t events;          /* lines written */
    uint64_t bytes;           /* bytes written */
    uint64_t producer_waits;  /* times the hypervisor waited for room */
};

/* Write what is queued, stop the writer, close the file, free @t; the
 * counters into @stats (may be NULL).  0, or -VMS_ERR_IO when any write
 * (or the close) failed.  NULL is a no-op. */
int tracew_close(struct tracew *t, struct tracew_stats *stats);

#endif
