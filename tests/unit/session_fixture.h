/* session_fixture.h - what the debugger-session unit tests share: the
 * hello scenario's addresses, a session over an image on the Unicorn
 * engine (the test is skipped when the image is not built), the linear
 * PC, a breakpoint.  Include after <cmocka.h>. */
#ifndef VMS_TEST_SESSION_FIXTURE_H
#define VMS_TEST_SESSION_FIXTURE_H

#include <unistd.h>

#include "debugger/session.h"

#define HELLO "build/scenarios/hello/hello.img"
#define HEX8 0x7dd1u         /* hello.sym */
#define CALL_HEX8 0x7c65u    /* call hex8, 3 bytes */

static inline void quiet(void *opaque, unsigned vm, uint8_t byte)
{
    (void)opaque; (void)vm; (void)byte;
}

static inline struct session *open_image(const char *path)
{
    struct session *s = NULL;
    struct session_config cfg = { .target = path, .engine = "unicorn", .console = quiet };

    if (access(path, R_OK) != 0)
        skip();
    int err = session_create(&s, &cfg);
    if (err < 0)
        fail_msg("session_create(%s): %s", path, vms_lasterr(err));
    return s;
}

static inline uint64_t pc(struct session *s)
{
    const struct cpu_state *c = session_cpu(s);
    return c->seg[SEG_CS].base + c->rip;
}

static inline int add_break(struct session *s, uint64_t addr)
{
    struct dbg_bp b = { .type = BPT_BREAK, .enabled = true, .addr = addr };
    int id;

    assert_int_equal(session_bp_add(s, &b, &id), 0);
    return id;
}

#endif
