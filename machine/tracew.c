/* tracew.c - the JSON Lines trace, formatted and written by a thread.
 *
 * The queue is a ring of bytes holding events packed one after another:
 * an event's fixed fields and its text up to the NUL, rounded up to 8
 * bytes (a port access is ~72 bytes, not the 120 of struct event).  Two
 * counters of bytes: head (put in, written only by the hypervisor) and
 * tail (formatted, written only by the writer).  Each side publishes its
 * counter with a release store and reads the other's with an acquire
 * load, so an event's bytes are visible before they are counted.  An
 * event that starts near the end of the ring runs on into a spare area
 * past it (RING_SPARE) rather than wrapping, so the writer always reads
 * it as one struct.
 *
 * What costs the hypervisor here is not the copy but sharing: a cache
 * line the writer reads while the hypervisor still writes next to it, or
 * a signal to wake the writer (a system call and, in a virtual machine,
 * an interrupt to another vCPU), each cost more than the event.  So the
 * hypervisor never signals in the common case: the writer wakes on its
 * own every WAIT_MIN_NS while there is work (and drains all that came
 * meanwhile, staying well behind the lines being written), doubling its
 * sleep up to WAIT_MAX_NS while there is none.  Measured on the port-I/O
 * loop (docs/TRACE.md): a signal every 4,096 events cost ~4% of the run,
 * and a writer that spun to chase the hypervisor cost +40% to +75%.
 *
 * The hypervisor signals only when the ring is full and it waits for
 * room, and at the end.  Formatted lines are written in blocks of OUTBUF,
 * or when FLUSH_NS passed since the last write, so a line waits at most
 * about WAIT_MAX_NS + FLUSH_NS to reach the file.  The flag checks on the
 * fast paths are plain loads that may miss a wait just starting; the
 * bounded sleeps make that a delay, never a hang.
 */
#include "tracew.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING_BYTES (1u << 20)       /* ~14,000 port accesses; power of two */
#define RING_SPARE 128u              /* >= the largest record, and a whole
                                        struct event read at the end */
#define SHORT_REC 72u                /* fields and 16 bytes of text */
#define OUTBUF   (1u << 20)          /* bytes per write() */
#define RELEASE_EVERY 256u           /* formatted events that free room */
#define WAIT_MIN_NS 100000L          /* the writer's sleep after work ... */
#define WAIT_MAX_NS 100000000L       /* ... doubling up to this when idle */
#define FLUSH_NS    100000000L       /* longest a formatted line waits */
#define WAIT_ROOM_NS 1000000L        /* the hypervisor's sleep when full */

/* Each side's counters on cache lines of their own: a line written by one
 * core and read by the other on every event would bounce between them. */
#define LINE 64

/* Bytes of @e in the ring: its fields, its text to the NUL (at most
 * EV_TEXT_MAX bytes), 8-aligned.  The writer finds the same length from
 * the copy. */
static size_t rec_len(const struct event *e)
{
    size_t n = offsetof(struct event, text) + strnlen(e->text, EV_TEXT_MAX - 1) + 1;

    return (n + 7) & ~(size_t)7;
}

_Static_assert(sizeof(struct event) <= RING_SPARE, "a record fits in the spare area");
_Static_assert(SHORT_REC <= sizeof(struct event) && SHORT_REC % 8 == 0, "SHORT_REC");
_Static_assert(_Alignof(struct event) <= 8, "records are 8-aligned");

struct tracew {
    struct ev_sink sink;
    /* hypervisor side */
    alignas(LINE) _Atomic uint64_t head;
    uint64_t room_until;             /* tail + RING_BYTES as last read: no need to
                                        look at tail before head reaches it */
    uint64_t producer_waits;
    /* writer side */
    alignas(LINE) _Atomic uint64_t tail;
    int fd;
    int err;                         /* first write error (errno) */
    char *out;                       /* OUTBUF + EV_JSON_MAX bytes */
    struct ev_jwriter jw;
    size_t nout;
    uint64_t events, bytes;
    long sleep_ns;                   /* the writer's next sleep */
    struct timespec last_write;
    /* sleeping and stopping */
    pthread_mutex_t mu;
    pthread_cond_t cv_data, cv_room;
    atomic_bool writer_waiting, producer_waiting, done;
    pthread_t thread;
    alignas(LINE) unsigned char ring[RING_BYTES + RING_SPARE];
};

static void sleep_on(struct tracew *t, pthread_cond_t *cv, long ns)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);   /* the condvars use it */
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec += ns % 1000000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, &t->mu, &until);
}

static void wake(struct tracew *t, pthread_cond_t *cv)
{
    pthread_mutex_lock(&t->mu);
    pthread_cond_signal(cv);
    pthread_mutex_unlock(&t->mu);
}

/* ----------------------------------------------------------- the writer */

static void flush_out(struct tracew *t)
{
    size_t off = 0;

    while (off < t->nout && !t->err) {
        ssize_t n = write(t->fd, t->out + off, t->nout - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            t->err = n < 0 ? errno : EIO;
        else
            off += (size_t)n;
    }
    t->bytes += off;
    t->nout = 0;
    clock_gettime(CLOCK_MONOTONIC, &t->last_write);
}

/* Formatted lines have waited FLUSH_NS since the last write. */
static bool flush_due(const struct tracew *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->last_write.tv_sec) * 1000000000L +
           (now.tv_nsec - t->last_write.tv_nsec) >= FLUSH_NS;
}

/* Slots [.., @tail) are free again: say so, and wake a waiting producer. */
static void release(struct tracew *t, uint64_t tail)
{
    atomic_store_explicit(&t->tail, tail, memory_order_release);
    if (atomic_load_explicit(&t->producer_waiting, memory_order_relaxed))
        wake(t, &t->cv_room);
}

/* Format the events in [tail, head), freeing their room in batches. */
static void drain(struct tracew *t, uint64_t tail, uint64_t head)
{
    unsigned n = 0;

    while (tail != head) {
        const struct event *e = (const void *)&t->ring[tail & (RING_BYTES - 1)];
        if (!t->err) {
            t->nout += ev_jwriter_format(&t->jw, t->out + t->nout, e);
            t->events++;
        }
        tail += rec_len(e);
        if (++n % RELEASE_EVERY == 0)
            release(t, tail);
        if (t->nout >= OUTBUF)
            flush_out(t);
    }
    release(t, tail);
}

/* Nothing queued: sleep for the bound, or until the hypervisor waits for
 * room or stops. */
static void wait_data(struct tracew *t, uint64_t tail)
{
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->writer_waiting, true);
    if (atomic_load(&t->head) == tail && !atomic_load(&t->done))
        sleep_on(t, &t->cv_data, t->sleep_ns);
    atomic_store(&t->writer_waiting, false);
    pthread_mutex_unlock(&t->mu);
    if (atomic_load_explicit(&t->head, memory_order_relaxed) == tail)
        t->sleep_ns = t->sleep_ns * 2 > WAIT_MAX_NS ? WAIT_MAX_NS : t->sleep_ns * 2;
    else
        t->sleep_ns = WAIT_MIN_NS;
}

static void *writer(void *arg)
{
    struct tracew *t = arg;

    for (;;) {
        uint64_t tail = atomic_load_explicit(&t->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&t->head, memory_order_acquire);
        if (head != tail) {
            drain(t, tail, head);
            continue;
        }
        bool done = atomic_load(&t->done) && atomic_load(&t->head) == tail;
        if (t->nout && (done || flush_due(t)))
            flush_out(t);
        if (done)
            return NULL;
        wait_data(t, tail);
    }
}

/* ------------------------------------------------------- the hypervisor */

static void wait_room(struct tracew *t, uint64_t head)
{
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->producer_waiting, true);
    pthread_cond_signal(&t->cv_data);
    if (head - atomic_load(&t->tail) > RING_BYTES - RING_SPARE)
        sleep_on(t, &t->cv_room, WAIT_ROOM_NS);
    atomic_store(&t->producer_waiting, false);
    pthread_mutex_unlock(&t->mu);
}

static void put(void *opaque, const struct event *e)
{
    struct tracew *t = opaque;
    uint64_t head = atomic_load_explicit(&t->head, memory_order_relaxed);
    size_t len = rec_len(e);

    /* Room is counted as if every record were the largest, so that
     * wait_room() needs no length. */
    while (head + RING_SPARE > t->room_until) {
        t->room_until = atomic_load_explicit(&t->tail, memory_order_acquire) + RING_BYTES;
        if (head + RING_SPARE <= t->room_until)
            break;
        t->producer_waits++;
        wait_room(t, head);
    }
    /* A short record (a port access) as one fixed-size copy the compiler
     * inlines; the bytes past it are room this side owns, overwritten by
     * the next record. */
    unsigned char *d = &t->ring[head & (RING_BYTES - 1)];
    if (len <= SHORT_REC)
        memcpy(d, e, SHORT_REC);
    else
        memcpy(d, e, len);
    atomic_store_explicit(&t->head, head + len, memory_order_release);
}

/* The writer takes no signals: the KVM engine's slice timer and the
 * terminal's signals belong to the thread that runs the VMs. */
static int start_writer(struct tracew *t)
{
    sigset_t all, old;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t->thread, NULL, writer, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int tracew_open(struct tracew **out, const char *path)
{
    struct tracew *t = aligned_alloc(LINE, sizeof(*t));   /* a multiple of LINE */

    *out = NULL;
    if (t)
        memset(t, 0, sizeof(*t));
    if (!t || !(t->out = malloc(OUTBUF + EV_JSON_MAX))) {
        free(t);
        return vms_seterr(VMS_ERR_NOMEM, "%s: no memory for the trace writer", path);
    }
    t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (t->fd < 0) {
        int e = errno;
        free(t->out);
        free(t);
        return vms_seterr(VMS_ERR_IO, "%s: %s", path, strerror(e));
    }
    /* Timed waits on the monotonic clock: a wall clock set back (a test
     * guest's first NTP step) must not stretch a bounded sleep. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv_data, &ca);
    pthread_cond_init(&t->cv_room, &ca);
    pthread_condattr_destroy(&ca);
    t->sink = (struct ev_sink){ .emit = put, .opaque = t };
    t->sleep_ns = WAIT_MIN_NS;
    t->room_until = RING_BYTES;
    clock_gettime(CLOCK_MONOTONIC, &t->last_write);
    if (start_writer(t) != 0) {
        close(t->fd);
        pthread_cond_destroy(&t->cv_room);
        pthread_cond_destroy(&t->cv_data);
        pthread_mutex_destroy(&t->mu);
        free(t->out);
        free(t);
        return vms_seterr(VMS_ERR_IO, "%s: cannot start the trace writer thread", path);
    }
    *out = t;
    return 0;
}

struct ev_sink *tracew_sink(struct tracew *t)
{
    return &t->sink;
}

int tracew_close(struct tracew *t, struct tracew_stats *stats)
{
    if (!t)
        return 0;
    atomic_store(&t->done, true);
    wake(t, &t->cv_data);
    pthread_join(t->thread, NULL);
    int err = t->err;
    if (stats)
        *stats = (struct tracew_stats){ t->events, t->bytes, t->producer_waits };
    if (close(t->fd) != 0 && !err)
        err = errno;
    pthread_cond_destroy(&t->cv_room);
    pthread_cond_destroy(&t->cv_data);
    pthread_mutex_destroy(&t->mu);
    free(t->out);
    free(t);
    return err ? vms_seterr(VMS_ERR_IO, "%s", strerror(err)) : 0;
}
