/* test_gdbstub.c - the stub's command handling, driven by a hostile client
 * over a real socket pair: the stub serves a debugger session on the
 * protected scenario (real Unicorn engine) in a thread while this thread
 * sends well-formed and malformed packets and checks every reply.  The
 * real gdb is tests/integration/gdb.sh; this covers what gdb never sends. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "debugger/gdb_target_session.h"
#include "debugger/gdbregs.h"
#include "debugger/gdbstub.h"
#include "debugger/rsp.h"
#include "debugger/session.h"

#define PROTECTED "build/scenarios/protected/protected.elf"
#define MB_HEADER 0x100000u       /* the Multiboot header: 02 b0 ad 1b */

static void quiet(void *opaque, unsigned vm, uint8_t byte) { (void)opaque; (void)vm; (void)byte; }

struct server {
    int fd;
    struct session *s;
    struct gdb_session_target *t;
    enum gdbstub_end end;
};

static void *serve(void *arg)
{
    struct server *sv = arg;
    struct gdbstub_config cfg = { .linear_pc = true };
    sv->end = gdbstub_serve(sv->fd, &gdb_session_target_ops, sv->t, &cfg);
    return NULL;
}

/* ---- the client ---- */

static int cfd;
static bool noack;
static struct rsp_parser cp;

static void send_raw(const void *data, size_t len)
{
    assert_int_equal(send(cfd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_pkt_len(const char *payload, size_t len)
{
    static char frame[RSP_MAX_FRAME * 2];
    int n = rsp_frame(frame, sizeof(frame), payload, len, false);
    assert_true(n > 0);
    send_raw(frame, (size_t)n);
}

static void send_pkt(const char *payload)
{
    send_pkt_len(payload, strlen(payload));
}

/* The next packet from the stub (acks skipped), with run-length
 * encoding and escapes undone as gdb does; fails after 20 s. */
static const char *recv_pkt(void)
{
    static char plain[RSP_MAX_PACKET * 2 + 1];

    for (;;) {
        struct pollfd p = { .fd = cfd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 20000), 1);
        uint8_t b;
        assert_int_equal(read(cfd, &b, 1), 1);
        enum rsp_event ev = rsp_parser_feed(&cp, b);
        if (ev == RSP_EV_PACKET) {
            if (!noack)
                send_raw("+", 1);
            int n = rsp_decode(plain, sizeof(plain) - 1, cp.buf, cp.len);
            assert_true(n >= 0);
            plain[n] = '\0';
            return plain;
        }
        assert_int_not_equal(ev, RSP_EV_BADSUM);
    }
}

/* Send @req, return the reply (skipping O packets, which go to @out). */
static const char *ask(const char *req, char *out, size_t cap)
{
    send_pkt(req);
    if (out)
        out[0] = '\0';
    for (;;) {
        const char *r = recv_pkt();
        if (r[0] != 'O' || r[1] == 'K' || !out)
            return r;
        size_t have = strlen(out), n = strlen(r + 1) / 2;
        if (have + n < cap) {
            assert_int_equal(rsp_hex_decode(out + have, r + 1, n), 0);
            out[have + n] = '\0';
        }
    }
}

static void expect_reply(const char *req, const char *want)
{
    const char *r = ask(req, NULL, 0);
    if (strcmp(r, want))
        fail_msg("'%s' -> '%s', wanted '%s'", req, r, want);
}

static void expect_error(const char *req)
{
    const char *r = ask(req, NULL, 0);
    if (r[0] != 'E' && r[0] != '\0')
        fail_msg("'%s' -> '%s', wanted an E reply or the empty reply", req, r);
}

static uint64_t le_hex(const char *hex, unsigned bytes)
{
    uint8_t b[8] = { 0 };
    assert_int_equal(rsp_hex_decode(b, hex, bytes), 0);
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void test_stub(void **state)
{
    (void)state;
    struct server sv = { 0 };
    struct session_config cfg = { .target = PROTECTED, .engine = "unicorn", .console = quiet };
    int sp[2];
    pthread_t th;
    char out[4096], req[128];
    uint64_t kmain;

    if (access(PROTECTED, R_OK) != 0)
        skip();
    assert_int_equal(session_create(&sv.s, &cfg), 0);
    assert_int_equal(session_eval(sv.s, "kmain", &kmain), 0);
    assert_int_equal(gdb_session_target_create(&sv.t, sv.s), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    sv.fd = sp[0];
    cfd = sp[1];
    noack = false;
    rsp_parser_init(&cp);
    assert_int_equal(pthread_create(&th, NULL, serve, &sv), 0);

    /* handshake, with acks; a bad checksum is answered '-' */
    send_raw("$qSupported#00", 14);
    const char *r = ask("qSupported:multiprocess+;swbreak+;xmlRegisters=i386", NULL, 0);
    assert_non_null(strstr(r, "PacketSize=4000"));
    assert_non_null(strstr(r, "qXfer:features:read+"));
    expect_reply("QStartNoAckMode", "OK");
    noack = true;

    /* well-formed requests */
    expect_reply("?", "T05thread:1;");
    r = ask("g", NULL, 0);
    assert_int_equal(strlen(r), 2 * gdbregs_g_size(0));
    assert_true(le_hex(r + 2 * 16 * 8, 8) == 0x10000c);            /* rip: _start */
    snprintf(req, sizeof(req), "m%x,4", MB_HEADER);
    expect_reply(req, "02b0ad1b");
    r = ask("qXfer:features:read:target.xml:0,ffff", NULL, 0);
    assert_true(r[0] == 'l' && strstr(r, "<architecture>i386:x86-64</architecture>"));
    r = ask("qXfer:features:read:target.xml:0,10", NULL, 0);
    assert_true(r[0] == 'm' && strlen(r) == 1 + 0x10);               /* chunked */
    expect_reply("qfThreadInfo", "m1");
    expect_reply("qsThreadInfo", "l");
    expect_reply("qAttached", "1");
    expect_reply("Hg1", "OK");
    expect_reply("T1", "OK");
    expect_reply("vCont?", "vCont;c;C;s;S");
    expect_reply("vMustReplyEmpty", "");
    r = ask("qRcmd,6d6f6465", out, sizeof(out));                     /* "mode" */
    assert_string_equal(r, "OK");
    assert_non_null(strstr(out, "vcpu0 protected32"));
    /* "info gdt" goes to the session's language */
    r = ask("qRcmd,696e666f20676474", out, sizeof(out));
    assert_string_equal(r, "OK");
    assert_non_null(strstr(out, "GDT"));

    /* malformed: every one an E (or empty) reply, and the stub goes on */
    const char *bad[] = {
        "m", "mzz,4", "m0,", "m0,4x", "m12345678901234567,4", "p999", "pzz",
        "P0=zz", "P0=12", "P999=00", "G123", "Gzz", "Z9,0,1", "Z0,100000,0",
        "Z0,100000", "z0,,1", "vCont;x", "vCont;s:zz", "vCont;s:99", "vCont;",
        "Hg99", "Hx1", "T7", "Tzz", "qXfer:features:read:foo.xml:0,10",
        "qXfer:features:read:target.xml:99999,10", "qXfer:features:read:target.xml:0",
        "qRcmd,zz", "qRcmd,6", "M0,4:zz", "M0,2:001122", "X0,4:ab", "X0,ffffffff:",
        "qThreadExtraInfo,7", "sZZ", "c12345678901234567",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(bad[i]);
    /* an address that maps nothing: E, and no access at all */
    expect_error("mfffff000,10");
    /* a packet longer than the stub takes */
    static char big[RSP_MAX_PACKET + 100];
    memset(big, 'm', sizeof(big) - 1);
    send_pkt_len(big, sizeof(big) - 1);
    assert_int_equal(recv_pkt()[0], 'E');
    /* a NUL inside a text packet only truncates it */
    send_pkt_len("m10\0000c,4", 9);
    assert_int_equal(recv_pkt()[0], 'E');
    expect_reply("?", "T05thread:1;");                               /* still fine */

    /* a breakpoint, continue, the stop, the PC */
    snprintf(req, sizeof(req), "Z0,%llx,1", (unsigned long long)kmain);
    expect_reply(req, "OK");
    expect_reply(req, "OK");                                         /* twice is fine */
    expect_reply("vCont;c", "T05thread:1;swbreak:;");
    r = ask("g", NULL, 0);
    assert_true(le_hex(r + 2 * 16 * 8, 8) == kmain);
    snprintf(req, sizeof(req), "z0,%llx,1", (unsigned long long)kmain);
    expect_reply(req, "OK");
    expect_reply(req, "OK");                                         /* gone already */
    expect_reply("vCont;s:1", "T05thread:1;");
    r = ask("p10", NULL, 0);                                         /* rip */
    assert_true(le_hex(r, 8) == kmain + 1);                          /* push ebx: 1 byte */
    /* writing a register through P and reading it back */
    expect_reply("P0=efbeadde00000000", "OK");
    expect_reply("p0", "efbeadde00000000");
    expect_reply("D", "OK");
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(sv.end, GDBSTUB_DETACHED);
    close(sp[0]);
    close(sp[1]);
    gdb_session_target_destroy(sv.t);
    session_destroy(sv.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
