/* tracew.c - the JSON Lines trace, formatted and written by a thread.
 *
 * The queue is a ring of QCAP events with two counters: head (events the
 * hypervisor has put in, written only by it) and tail (events the writer
 * has formatted, written only by the writer).  Each side publishes its
 * counter with a release store and reads the other's with an acquire
 * load, so an event's bytes are visible before its slot is counted.
 *
 * Sleeping: the writer sleeps when the queue is empty, the hypervisor
 * when it is full.  Each sets its "waiting" flag under the mutex and
 * re-checks the queue before waiting; the other side signals when it sees
 * the flag.  The hypervisor wakes a sleeping writer only every WAKE_AT
 * events it queues, and at the end: a signal per event would cost more
 * than the line.  So the writer's sleep is bounded: WAIT_MIN_NS, doubling
 * while it finds nothing up to WAIT_MAX_NS (an idle session wakes it a
 * few times a second).  Formatted lines are written in blocks of OUTBUF,
 * or when FLUSH_NS passed since the last write: a guest that emits an
 * event now and then costs a write() every FLUSH_NS, not one per wake,
 * and a line waits at most about WAIT_MAX_NS to reach the file.  The flag
 * checks on the fast paths are plain loads that may miss a wait just
 * starting; the bound makes that a delay, never a hang.
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

#define QCAP     16384u               /* events in the queue; power of two */
#define OUTBUF   (1u << 20)          /* bytes per write() */
#define WAKE_AT  (QCAP / 4)          /* queued events that wake the writer */
#define RELEASE_EVERY 256u           /* formatted events that free slots */
#define WAIT_MIN_NS 10000000L        /* the writer's sleep after work ... */
#define WAIT_MAX_NS 160000000L       /* ... doubling up to this when idle */
#define FLUSH_NS    100000000L       /* longest a formatted line waits */
#define WAIT_ROOM_NS 1000000L        /* the hypervisor's sleep when full */

/* Each side's counters on cache lines of their own: a line written by one
 * core and read by the other on every event would bounce between them. */
#define LINE 64

/* A queued event, on whole cache lines: the header and the start of the
 * text share the first. */
struct slot {
    alignas(LINE) struct event e;
};

struct tracew {
    struct ev_sink sink;
    /* hypervisor side */
    alignas(LINE) _Atomic uint64_t head;
    uint64_t room_until;             /* tail + QCAP as last read: no need to
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
    alignas(LINE) struct slot q[QCAP];
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

/* Format the events in [tail, head), freeing their slots in batches. */
static void drain(struct tracew *t, uint64_t tail, uint64_t head)
{
    while (tail != head) {
        if (!t->err) {
            t->nout += ev_jwriter_format(&t->jw, t->out + t->nout, &t->q[tail & (QCAP - 1)].e);
            t->events++;
        }
        tail++;
        if ((tail & (RELEASE_EVERY - 1)) == 0)
            release(t, tail);
        if (t->nout >= OUTBUF)
            flush_out(t);
    }
    release(t, tail);
}

/* Nothing queued: sleep until a batch is queued, the hypervisor stops, or
 * the bound passes. */
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
    if (head - atomic_load(&t->tail) == QCAP)
        sleep_on(t, &t->cv_room, WAIT_ROOM_NS);
    atomic_store(&t->producer_waiting, false);
    pthread_mutex_unlock(&t->mu);
}

static void put(void *opaque, const struct event *e)
{
    struct tracew *t = opaque;
    uint64_t head = atomic_load_explicit(&t->head, memory_order_relaxed);

    while (head == t->room_until) {
        t->room_until = atomic_load_explicit(&t->tail, memory_order_acquire) + QCAP;
        if (head != t->room_until)
            break;
        t->producer_waits++;
        wait_room(t, head);
    }
    /* Only the bytes the writer reads: the fewer cache lines cross to its
     * core, the cheaper an exit (a port access's line is ~70 bytes). */
    memcpy(&t->q[head & (QCAP - 1)].e, e,
           offsetof(struct event, text) + strnlen(e->text, EV_TEXT_MAX - 1) + 1);
    atomic_store_explicit(&t->head, head + 1, memory_order_release);
    if ((head & (WAKE_AT - 1)) == 0 &&
        atomic_load_explicit(&t->writer_waiting, memory_order_relaxed))
        wake(t, &t->cv_data);
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
    t->room_until = QCAP;
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
