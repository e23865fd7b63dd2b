/* rsp.h - the packet layer of gdb's Remote Serial Protocol.
 *
 * A packet is `$payload#cc`: cc is the modulo-256 sum of the payload bytes
 * in two hex digits (gdb manual, "Overview" of E.1).  The receiver answers
 * `+` (good) or `-` (send again) until QStartNoAckMode is agreed.  Binary
 * payload bytes `#`, `$`, `}` and `*` travel escaped as `}` followed by the
 * byte XOR 0x20; a reply may compress a run with `*` and a count character
 * (n + 29 repeats of the byte before it).  A lone 0x03 byte outside a
 * packet is Ctrl-C: gdb asks the running target to stop.
 *
 * The parser is a byte-at-a-time state machine with no I/O, so the tests
 * can feed it any garbage; the connection wraps it around a socket.  No
 * input makes it overflow: a packet longer than RSP_MAX_PACKET is read to
 * its end, acknowledged and reported as RSP_EV_OVERSIZE.
 */
#ifndef VMS_RSP_H
#define VMS_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest payload we accept (advertised as PacketSize in qSupported). */
#define RSP_MAX_PACKET 16384
/* Room for a framed reply: worst case every byte escaped, plus `$`, `#cc`. */
#define RSP_MAX_FRAME (2 * RSP_MAX_PACKET + 4)

#define RSP_CTRL_C 0x03     /* interrupt request outside a packet */
#define RSP_ESCAPE '}'      /* next byte is XOR 0x20 */
#define RSP_ESCAPE_XOR 0x20
#define RSP_RLE '*'         /* repeat the previous byte (count - 29) times */
#define RSP_RLE_BIAS 29
#define RSP_RLE_MAX (126 - RSP_RLE_BIAS)   /* the count stays printable */

enum rsp_event {
    RSP_EV_NONE,        /* need more bytes */
    RSP_EV_PACKET,      /* a complete packet with a good checksum */
    RSP_EV_BADSUM,      /* a complete packet with a bad checksum (send '-') */
    RSP_EV_OVERSIZE,    /* a complete packet longer than RSP_MAX_PACKET */
    RSP_EV_INTERRUPT,   /* 0x03 outside a packet */
    RSP_EV_ACK,         /* '+' */
    RSP_EV_NAK,         /* '-' */
};

enum rsp_pstate { RSP_IDLE, RSP_DATA, RSP_SUM1, RSP_SUM2 };

struct rsp_parser {
    enum rsp_pstate state;
    size_t len;                      /* payload bytes kept */
    bool overflow;                   /* payload longer than the buffer */
    uint8_t sum;                     /* running checksum */
    uint8_t want;                    /* checksum sent by the peer */
    bool badhex;                     /* checksum digits were not hex */
    char buf[RSP_MAX_PACKET + 1];    /* payload, NUL-terminated (raw: escapes kept) */
};

void rsp_parser_init(struct rsp_parser *p);
/* Feed one byte; returns what it completed.  After RSP_EV_PACKET the
 * payload is p->buf[0..p->len) until the next call. */
enum rsp_event rsp_parser_feed(struct rsp_parser *p, uint8_t byte);

/* ---- encoding (pure functions) ---- */

uint8_t rsp_checksum(const void *data, size_t len);
/* Frame @len payload bytes as `$...#cc` into @out (@cap bytes), escaping
 * `#$}*` and, with @rle, compressing runs.  Returns the frame length, or
 * -VMS_ERR_RANGE when it does not fit. */
int rsp_frame(char *out, size_t cap, const void *payload, size_t len, bool rle);
/* Undo escapes and run-length encoding in place-independent fashion:
 * decode @len bytes of @in into @out (@cap).  Returns the decoded length,
 * or -VMS_ERR_SYNTAX (dangling escape, repeat with nothing before it, bad
 * count) / -VMS_ERR_RANGE (does not fit). */
int rsp_decode(void *out, size_t cap, const char *in, size_t len);
/* Only escapes (binary data in X packets): same contract as rsp_decode. */
int rsp_unescape(void *out, size_t cap, const char *in, size_t len);

/* Hex: @out gets 2*len chars plus NUL.  rsp_hex_decode accepts exactly
 * 2*@len hex digits (either case) and returns 0 or -VMS_ERR_SYNTAX. */
void rsp_hex_encode(char *out, const void *data, size_t len);
int rsp_hex_decode(void *out, const char *hex, size_t len);
/* Parse a hex number of at most 16 digits at *@p, advancing *@p.
 * Returns 0, or -VMS_ERR_SYNTAX (no digit, too long). */
int rsp_parse_hex(const char **p, uint64_t *out);

/* ---- a connection on a stream socket ---- */

struct rsp_conn {
    int fd;
    bool noack;               /* QStartNoAckMode agreed */
    bool interrupted;         /* a Ctrl-C arrived while we waited for an ack */
    struct rsp_parser p;
    uint8_t in[512];          /* bytes read but not yet fed */
    size_t inpos, inlen;
    char out[RSP_MAX_FRAME];
};

void rsp_conn_init(struct rsp_conn *c, int fd);
/* Wait up to @timeout_ms (-1: forever, 0: just look) for the next packet
 * or Ctrl-C.  Acknowledges packets in ack mode ('-' for a bad checksum, and
 * waits for the resend).  Returns RSP_EV_PACKET (payload in c->p.buf,
 * c->p.len), RSP_EV_OVERSIZE, RSP_EV_INTERRUPT, RSP_EV_NONE on timeout, or
 * -VMS_ERR_IO when the peer closed or the socket failed. */
int rsp_recv(struct rsp_conn *c, int timeout_ms);
/* Send one packet; in ack mode wait for '+' (resend on '-', at most a
 * few times).  Returns 0 or -VMS_ERR_IO. */
int rsp_send(struct rsp_conn *c, const void *payload, size_t len);
int rsp_send_str(struct rsp_conn *c, const char *payload);

/* Listen on @spec: "PORT" (loopback only) or "ADDR:PORT" (IPv4 address or
 * host name, e.g. 0.0.0.0:1234).  Port 0 picks a free port.  Returns the
 * socket, and the bound address as text ("127.0.0.1:40123") in @where. */
int rsp_listen(const char *spec, char *where, size_t wcap);
/* Accept one connection on @lfd (blocking).  Returns the socket or
 * -VMS_ERR_IO. */
int rsp_accept(int lfd);

#endif
