/* test_rsp.c - the gdb remote protocol packet layer: checksums, framing,
 * escapes, run-length encoding, the parser on good and hostile input, and
 * a connection over a real socket pair. */
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

#include "debugger/rsp.h"
#include "machine/err.h"

static struct rsp_parser parser;

/* Feed a whole string; return the last event that was not NONE. */
static enum rsp_event feed(struct rsp_parser *p, const char *s, size_t len)
{
    enum rsp_event last = RSP_EV_NONE;

    for (size_t i = 0; i < len; i++) {
        enum rsp_event ev = rsp_parser_feed(p, (uint8_t)s[i]);
        if (ev != RSP_EV_NONE)
            last = ev;
    }
    return last;
}

static enum rsp_event feeds(struct rsp_parser *p, const char *s)
{
    return feed(p, s, strlen(s));
}

static void test_checksum(void **state)
{
    (void)state;
    /* Values from the gdb manual and a gdb session: $OK#9a, $g#67, $?#3f. */
    assert_int_equal(rsp_checksum("OK", 2), 0x9a);
    assert_int_equal(rsp_checksum("g", 1), 0x67);
    assert_int_equal(rsp_checksum("?", 1), 0x3f);
    assert_int_equal(rsp_checksum("", 0), 0);
    char out[32];
    int n = rsp_frame(out, sizeof(out), "OK", 2, false);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "$OK#9a", 6);
}

static void test_parser_good(void **state)
{
    (void)state;
    rsp_parser_init(&parser);
    assert_int_equal(feeds(&parser, "$g#67"), RSP_EV_PACKET);
    assert_int_equal(parser.len, 1);
    assert_string_equal(parser.buf, "g");
    /* noise and acks between packets */
    assert_int_equal(feeds(&parser, "xyz"), RSP_EV_NONE);
    assert_int_equal(rsp_parser_feed(&parser, '+'), RSP_EV_ACK);
    assert_int_equal(rsp_parser_feed(&parser, '-'), RSP_EV_NAK);
    assert_int_equal(rsp_parser_feed(&parser, RSP_CTRL_C), RSP_EV_INTERRUPT);
    /* upper-case checksum digits are accepted */
    assert_int_equal(feeds(&parser, "$OK#9A"), RSP_EV_PACKET);
    assert_string_equal(parser.buf, "OK");
    /* an unescaped '$' inside a packet starts over */
    assert_int_equal(feeds(&parser, "$garbage$?#3f"), RSP_EV_PACKET);
    assert_string_equal(parser.buf, "?");
    /* 0x03 inside a packet is data, not an interrupt */
    char pkt[16];
    int n = rsp_frame(pkt, sizeof(pkt), "\x03", 1, false);
    assert_int_equal(feed(&parser, pkt, (size_t)n), RSP_EV_PACKET);
    assert_int_equal(parser.len, 1);
    assert_int_equal(parser.buf[0], 3);
}

static void test_parser_bad(void **state)
{
    (void)state;
    rsp_parser_init(&parser);
    assert_int_equal(feeds(&parser, "$g#68"), RSP_EV_BADSUM);
    assert_int_equal(feeds(&parser, "$g#6z"), RSP_EV_BADSUM);
    assert_int_equal(feeds(&parser, "$g#zz"), RSP_EV_BADSUM);
    assert_int_equal(feeds(&parser, "$#00"), RSP_EV_PACKET);   /* empty is legal */
    assert_int_equal(parser.len, 0);
    /* after a bad packet the next good one parses */
    assert_int_equal(feeds(&parser, "$?#3f"), RSP_EV_PACKET);
}

static void test_parser_oversize(void **state)
{
    (void)state;
    size_t len = RSP_MAX_PACKET * 3;
    char *big = malloc(len + 8);
    assert_non_null(big);
    memset(big, 'A', len);
    uint8_t sum = rsp_checksum(big, len);
    char tail[8];
    snprintf(tail, sizeof(tail), "#%02x", sum);

    rsp_parser_init(&parser);
    assert_int_equal(rsp_parser_feed(&parser, '$'), RSP_EV_NONE);
    assert_int_equal(feed(&parser, big, len), RSP_EV_NONE);
    assert_int_equal(feeds(&parser, tail), RSP_EV_OVERSIZE);
    assert_true(parser.len <= RSP_MAX_PACKET);
    /* exactly the maximum is still a packet */
    uint8_t s2 = rsp_checksum(big, RSP_MAX_PACKET);
    snprintf(tail, sizeof(tail), "#%02x", s2);
    rsp_parser_feed(&parser, '$');
    feed(&parser, big, RSP_MAX_PACKET);
    assert_int_equal(feeds(&parser, tail), RSP_EV_PACKET);
    assert_int_equal(parser.len, RSP_MAX_PACKET);
    /* and the parser goes on */
    assert_int_equal(feeds(&parser, "$g#67"), RSP_EV_PACKET);
    free(big);
}

/* Random garbage never crashes the parser and never yields a packet
 * longer than the buffer. */
static void test_parser_fuzz(void **state)
{
    (void)state;
    const char alphabet[] = "$#}*+-\x03" "0123456789abcdefgXZ";
    unsigned seed = 12345;
    int packets = 0;

    rsp_parser_init(&parser);
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t pick = (seed >> 16) % (sizeof(alphabet) - 1);
        uint8_t b = (seed >> 16) % 7 == 0 ? (uint8_t)(seed >> 8) : (uint8_t)alphabet[pick];
        enum rsp_event ev = rsp_parser_feed(&parser, b);
        if (ev == RSP_EV_PACKET) {
            packets++;
            assert_true(parser.len <= RSP_MAX_PACKET);
            assert_int_equal(parser.buf[parser.len], '\0');
        }
    }
    assert_true(packets > 0);    /* the alphabet makes short valid packets */
}

static void test_escape_roundtrip(void **state)
{
    (void)state;
    const char payload[] = "a#b$c}d*e\x03";
    size_t plen = sizeof(payload) - 1;
    char frame[64];
    uint8_t back[64];

    int n = rsp_frame(frame, sizeof(frame), payload, plen, false);
    assert_true(n > 0);
    /* none of the special bytes appears raw inside the frame */
    for (int i = 1; i < n - 3; i++) {
        if (frame[i] == '}') { i++; continue; }
        assert_true(frame[i] != '#' && frame[i] != '$' && frame[i] != '*');
    }
    assert_memory_equal(frame, "$a}\x03" "b}\x04" "c}]d}\x0a" "e\x03#", 16);
    /* the parser takes it and the decoder restores it */
    rsp_parser_init(&parser);
    assert_int_equal(feed(&parser, frame, (size_t)n), RSP_EV_PACKET);
    int m = rsp_unescape(back, sizeof(back), parser.buf, parser.len);
    assert_int_equal(m, (int)plen);
    assert_memory_equal(back, payload, plen);
}

/* Every run length from 1 to 300 of every kind of byte survives RLE, and
 * no count character is '#' or '$' or beyond '~'. */
static void test_rle_roundtrip(void **state)
{
    (void)state;
    static uint8_t data[400], back[400];
    static char frame[2 * sizeof(data) + 8];
    const uint8_t kinds[] = { '0', 'f', 0, '*', '}', 'x' };

    for (size_t k = 0; k < sizeof(kinds); k++) {
        for (size_t run = 1; run <= 300; run++) {
            memset(data, 'q', sizeof(data));
            memset(data + 5, kinds[k], run);
            size_t len = run + 10;
            int n = rsp_frame(frame, sizeof(frame), data, len, true);
            assert_true(n > 0);
            for (int i = 1; i < n - 3; i++) {
                if (frame[i] == '*') {
                    uint8_t c = (uint8_t)frame[i + 1];
                    assert_true(c != '#' && c != '$' && c > RSP_RLE_BIAS && c <= 126);
                }
            }
            rsp_parser_init(&parser);
            assert_int_equal(feed(&parser, frame, (size_t)n), RSP_EV_PACKET);
            int m = rsp_decode(back, sizeof(back), parser.buf, parser.len);
            assert_int_equal(m, (int)len);
            assert_memory_equal(back, data, len);
        }
    }
    /* compression happens: 512 zeros take far fewer than 512 bytes */
    memset(data, '0', 300);
    assert_true(rsp_frame(frame, sizeof(frame), data, 300, true) < 40);
}

static void test_decode_malformed(void **state)
{
    (void)state;
    uint8_t out[8];

    assert_int_equal(rsp_decode(out, sizeof(out), "ab}", 3), -VMS_ERR_SYNTAX);
    assert_int_equal(rsp_decode(out, sizeof(out), "*#", 2), -VMS_ERR_SYNTAX);
    assert_int_equal(rsp_decode(out, sizeof(out), "a*", 2), -VMS_ERR_SYNTAX);
    assert_int_equal(rsp_decode(out, sizeof(out), "a*\x10", 3), -VMS_ERR_SYNTAX);
    assert_int_equal(rsp_decode(out, sizeof(out), "a*~", 3), -VMS_ERR_RANGE);
    assert_int_equal(rsp_decode(out, sizeof(out), "123456789", 9), -VMS_ERR_RANGE);
    assert_int_equal(rsp_decode(out, sizeof(out), "a*!", 3), 5);   /* '!' = 33: 4 more */
    assert_memory_equal(out, "aaaaa", 5);
    /* X packets carry '*' escaped, so an unescaped one is plain data */
    assert_int_equal(rsp_unescape(out, sizeof(out), "a*", 2), 2);
}

static void test_frame_small_buffer(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(rsp_frame(out, sizeof(out), "hello world", 11, false), -VMS_ERR_RANGE);
    assert_int_equal(rsp_frame(out, 3, "", 0, false), -VMS_ERR_RANGE);
    assert_int_equal(rsp_frame(out, sizeof(out), "", 0, false), 4);
    assert_memory_equal(out, "$#00", 4);
}

static void test_hex(void **state)
{
    (void)state;
    char hex[16];
    uint8_t b[4];
    uint64_t v;
    const char *p;

    rsp_hex_encode(hex, "\x01\xab\xff", 3);
    assert_string_equal(hex, "01abff");
    assert_int_equal(rsp_hex_decode(b, "01ABff", 3), 0);
    assert_memory_equal(b, "\x01\xab\xff", 3);
    assert_int_equal(rsp_hex_decode(b, "0g", 1), -VMS_ERR_SYNTAX);
    assert_int_equal(rsp_hex_decode(b, "0", 1), -VMS_ERR_SYNTAX);  /* odd: NUL is no digit */
    p = "ffffffff80001000,4";
    assert_int_equal(rsp_parse_hex(&p, &v), 0);
    assert_true(v == 0xffffffff80001000ull);
    assert_string_equal(p, ",4");
    p = "10000000000000000";                 /* 17 digits */
    assert_int_equal(rsp_parse_hex(&p, &v), -VMS_ERR_SYNTAX);
    p = ",4";
    assert_int_equal(rsp_parse_hex(&p, &v), -VMS_ERR_SYNTAX);
}

/* ---- a connection over a socket pair ---- */

static void peer_write(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static size_t peer_read(int fd, char *buf, size_t cap)
{
    ssize_t n = read(fd, buf, cap - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    return (size_t)n;
}

static void test_conn(void **state)
{
    (void)state;
    int sv[2];
    static struct rsp_conn c;
    char buf[128];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    rsp_conn_init(&c, sv[0]);
    assert_int_equal(rsp_recv(&c, 0), RSP_EV_NONE);           /* nothing yet */
    /* a bad checksum is answered '-', then the resend '+' */
    peer_write(sv[1], "$g#00");
    peer_write(sv[1], "$g#67");
    assert_int_equal(rsp_recv(&c, 1000), RSP_EV_PACKET);
    assert_string_equal(c.p.buf, "g");
    peer_read(sv[1], buf, sizeof(buf));
    assert_string_equal(buf, "-+");
    /* send waits for the ack and resends on '-' */
    peer_write(sv[1], "-+");
    assert_int_equal(rsp_send_str(&c, "OK"), 0);
    size_t n = peer_read(sv[1], buf, sizeof(buf));
    if (n < 12)
        n += peer_read(sv[1], buf + n, sizeof(buf) - n);
    assert_string_equal(buf, "$OK#9a$OK#9a");
    /* Ctrl-C while waiting for an ack is kept for the next recv */
    peer_write(sv[1], "\x03+");
    assert_int_equal(rsp_send_str(&c, "S05"), 0);
    peer_read(sv[1], buf, sizeof(buf));
    assert_int_equal(rsp_recv(&c, 0), RSP_EV_INTERRUPT);
    /* no-ack mode: nothing is written back */
    c.noack = true;
    peer_write(sv[1], "$?#3f");
    assert_int_equal(rsp_recv(&c, 1000), RSP_EV_PACKET);
    assert_int_equal(rsp_send_str(&c, "OK"), 0);
    peer_read(sv[1], buf, sizeof(buf));
    assert_string_equal(buf, "$OK#9a");
    /* the peer goes away */
    close(sv[1]);
    assert_int_equal(rsp_recv(&c, 1000), -VMS_ERR_IO);
    close(sv[0]);
}

static void test_listen_spec(void **state)
{
    (void)state;
    char where[64];

    assert_int_equal(rsp_listen("abc", where, sizeof(where)), -VMS_ERR_INVAL);
    assert_int_equal(rsp_listen("70000", where, sizeof(where)), -VMS_ERR_INVAL);
    assert_int_equal(rsp_listen("", where, sizeof(where)), -VMS_ERR_INVAL);
    assert_int_equal(rsp_listen("127.0.0.1:", where, sizeof(where)), -VMS_ERR_INVAL);
    int fd = rsp_listen("0", where, sizeof(where));
    assert_true(fd >= 0);
    assert_int_equal(strncmp(where, "127.0.0.1:", 10), 0);
    assert_true(atoi(where + 10) > 0);
    close(fd);
    fd = rsp_listen("127.0.0.1:0", where, sizeof(where));
    assert_true(fd >= 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_parser_good),
        cmocka_unit_test(test_parser_bad),
        cmocka_unit_test(test_parser_oversize),
        cmocka_unit_test(test_parser_fuzz),
        cmocka_unit_test(test_escape_roundtrip),
        cmocka_unit_test(test_rle_roundtrip),
        cmocka_unit_test(test_decode_malformed),
        cmocka_unit_test(test_frame_small_buffer),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_conn),
        cmocka_unit_test(test_listen_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
