/* err.h - the one error vocabulary of vmscope.
 *
 * Functions that can fail return 0 (or a non-negative count) on success and
 * -VMS_ERR_x on failure.  A human-readable detail ("disk.img: truncated ELF
 * header") may be left with vms_seterr(); front ends print it with
 * vms_lasterr().  Nothing below main() exits.
 */
#ifndef VMS_ERR_H
#define VMS_ERR_H

#define VMS_MUST_CHECK __attribute__((warn_unused_result))

#define VMS_ERRORS(X)                                                 \
    X(OK, "success")                                                  \
    X(NOMEM, "out of memory")                                         \
    X(INVAL, "invalid argument")                                      \
    X(IO, "input/output error")                                       \
    X(BADIMAGE, "bad guest image")                                    \
    X(RANGE, "address or length out of range")                        \
    X(OVERLAP, "range overlaps an existing mapping")                  \
    X(NOTFOUND, "not found")                                          \
    X(UNSUPPORTED, "not supported")                                   \
    X(ENGINE, "CPU engine failure")                                   \
    X(NOKVM, "/dev/kvm is not usable")                                \
    X(VERSION, "library version too old")                             \
    X(FAULT, "guest fault")                                           \
    X(SHUTDOWN, "VM is shut down")                                    \
    X(BUSY, "resource busy")                                          \
    X(SYNTAX, "syntax error")

enum vms_error {
#define VMS_ERR_ENUM(name, text) VMS_ERR_##name,
    VMS_ERRORS(VMS_ERR_ENUM)
#undef VMS_ERR_ENUM
    VMS_ERR_COUNT
};

/* Text for an error code; accepts either sign. */
const char *vms_strerror(int err);

/* Remember a one-line detail for the most recent failure (thread-local).
 * Returns -err so callers can write: return vms_seterr(VMS_ERR_IO, "...").  */
int vms_seterr(enum vms_error err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The detail left by the last vms_seterr() on this thread, or the plain
 * text of @err when none was left since vms_clearerr(). */
const char *vms_lasterr(int err);
void vms_clearerr(void);

#endif
