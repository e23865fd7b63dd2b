/* rsp.c - gdb Remote Serial Protocol packets (see rsp.h). */
#include "rsp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "machine/err.h"

#define RSP_ACK_TIMEOUT_MS 5000   /* how long a sender waits for '+' */
#define RSP_MAX_RESEND 3

/* ---- hex ---- */

static const char hexdig[] = "0123456789abcdef";

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

void rsp_hex_encode(char *out, const void *data, size_t len)
{
    const uint8_t *b = data;

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hexdig[b[i] >> 4];
        out[2 * i + 1] = hexdig[b[i] & 15];
    }
    out[2 * len] = '\0';
}

int rsp_hex_decode(void *out, const char *hex, size_t len)
{
    uint8_t *b = out;

    for (size_t i = 0; i < len; i++) {
        int hi = hexval((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : hexval((unsigned char)hex[2 * i + 1]);
        if (lo < 0)
            return -VMS_ERR_SYNTAX;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int rsp_parse_hex(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;

    for (int d; (d = hexval((unsigned char)*s)) >= 0; s++, n++) {
        if (n == 16)
            return -VMS_ERR_SYNTAX;
        v = v << 4 | (uint64_t)d;
    }
    if (n == 0)
        return -VMS_ERR_SYNTAX;
    *p = s;
    *out = v;
    return 0;
}

/* ---- the parser ---- */

void rsp_parser_init(struct rsp_parser *p)
{
    memset(p, 0, offsetof(struct rsp_parser, buf));
    p->buf[0] = '\0';
}

static void start_packet(struct rsp_parser *p)
{
    p->state = RSP_DATA;
    p->len = 0;
    p->sum = 0;
    p->overflow = false;
    p->badhex = false;
}

static enum rsp_event feed_idle(struct rsp_parser *p, uint8_t byte)
{
    switch (byte) {
    case '$': start_packet(p); return RSP_EV_NONE;
    case '+': return RSP_EV_ACK;
    case '-': return RSP_EV_NAK;
    case RSP_CTRL_C: return RSP_EV_INTERRUPT;
    default: return RSP_EV_NONE;     /* line noise between packets */
    }
}

static void feed_data(struct rsp_parser *p, uint8_t byte)
{
    if (byte == '#') {
        p->state = RSP_SUM1;
        return;
    }
    if (byte == '$') {               /* an unescaped '$' restarts (gdb resyncs so) */
        start_packet(p);
        return;
    }
    p->sum = (uint8_t)(p->sum + byte);
    if (p->len < RSP_MAX_PACKET)
        p->buf[p->len++] = (char)byte;
    else
        p->overflow = true;
}

static enum rsp_event finish_packet(struct rsp_parser *p, uint8_t byte)
{
    int lo = hexval(byte);

    p->state = RSP_IDLE;
    p->buf[p->len] = '\0';
    if (p->badhex || lo < 0 || (uint8_t)(p->want | lo) != p->sum)
        return RSP_EV_BADSUM;
    return p->overflow ? RSP_EV_OVERSIZE : RSP_EV_PACKET;
}

enum rsp_event rsp_parser_feed(struct rsp_parser *p, uint8_t byte)
{
    int hi;

    switch (p->state) {
    case RSP_IDLE:
        return feed_idle(p, byte);
    case RSP_DATA:
        feed_data(p, byte);
        return RSP_EV_NONE;
    case RSP_SUM1:
        hi = hexval(byte);
        p->badhex = hi < 0;
        p->want = (uint8_t)((hi < 0 ? 0 : hi) << 4);
        p->state = RSP_SUM2;
        return RSP_EV_NONE;
    case RSP_SUM2:
        return finish_packet(p, byte);
    }
    return RSP_EV_NONE;
}

/* ---- encoding ---- */

uint8_t rsp_checksum(const void *data, size_t len)
{
    const uint8_t *b = data;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum;
}

static bool must_escape(uint8_t b)
{
    return b == '#' || b == '$' || b == RSP_ESCAPE || b == RSP_RLE;
}

/* How many extra copies of b[i] may follow it as one `*n` (0: none).  A
 * count whose character would be '#' or '$' is shortened (E.1: they must
 * not appear), and escaped bytes are never repeated (gdb expands runs
 * before it removes escapes). */
static size_t rle_extra(const uint8_t *b, size_t i, size_t len)
{
    size_t n = 0;

    if (must_escape(b[i]))
        return 0;
    while (i + 1 + n < len && b[i + 1 + n] == b[i] && n < RSP_RLE_MAX)
        n++;
    while (n + RSP_RLE_BIAS == '#' || n + RSP_RLE_BIAS == '$')
        n--;
    return n >= 3 ? n : 0;           /* "x*n" costs 3 chars: only longer runs pay */
}

int rsp_frame(char *out, size_t cap, const void *payload, size_t len, bool rle)
{
    const uint8_t *b = payload;
    size_t o = 0;

    if (cap < 4)
        return -VMS_ERR_RANGE;
    out[o++] = '$';
    for (size_t i = 0; i < len; i++) {
        if (o + 3 + 3 > cap)         /* room for the longest item and "#cc" */
            return -VMS_ERR_RANGE;
        if (must_escape(b[i])) {
            out[o++] = RSP_ESCAPE;
            out[o++] = (char)(b[i] ^ RSP_ESCAPE_XOR);
            continue;
        }
        out[o++] = (char)b[i];
        size_t n = rle ? rle_extra(b, i, len) : 0;
        if (n) {
            out[o++] = RSP_RLE;
            out[o++] = (char)(n + RSP_RLE_BIAS);
            i += n;
        }
    }
    uint8_t sum = rsp_checksum(out + 1, o - 1);
    out[o++] = '#';
    out[o++] = hexdig[sum >> 4];
    out[o++] = hexdig[sum & 15];
    return (int)o;
}

static int decode(void *outp, size_t cap, const char *in, size_t len, bool rle)
{
    uint8_t *out = outp;
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)in[i];
        size_t n = 1;
        if (c == RSP_ESCAPE) {
            if (++i == len)
                return -VMS_ERR_SYNTAX;
            c = (uint8_t)in[i] ^ RSP_ESCAPE_XOR;
        } else if (rle && c == RSP_RLE) {
            if (o == 0 || ++i == len || (uint8_t)in[i] < RSP_RLE_BIAS + 1 ||
                (uint8_t)in[i] > 126)
                return -VMS_ERR_SYNTAX;
            n = (uint8_t)in[i] - RSP_RLE_BIAS;
            c = out[o - 1];
        }
        if (o + n > cap)
            return -VMS_ERR_RANGE;
        memset(out + o, c, n);
        o += n;
    }
    return (int)o;
}

int rsp_decode(void *out, size_t cap, const char *in, size_t len)
{
    return decode(out, cap, in, len, true);
}

int rsp_unescape(void *out, size_t cap, const char *in, size_t len)
{
    return decode(out, cap, in, len, false);
}

/* ---- the connection ---- */

void rsp_conn_init(struct rsp_conn *c, int fd)
{
    c->fd = fd;
    c->noack = false;
    c->interrupted = false;
    c->inpos = c->inlen = 0;
    rsp_parser_init(&c->p);
}

/* Make sure a byte is buffered: 1 yes, 0 timeout, -VMS_ERR_IO. */
static int fill(struct rsp_conn *c, int timeout_ms)
{
    if (c->inpos < c->inlen)
        return 1;
    struct pollfd pf = { .fd = c->fd, .events = POLLIN };
    int r;
    do
        r = poll(&pf, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -VMS_ERR_IO;
    if (r == 0)
        return 0;
    ssize_t n;
    do
        n = read(c->fd, c->in, sizeof(c->in));
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -VMS_ERR_IO;
    c->inpos = 0;
    c->inlen = (size_t)n;
    return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -VMS_ERR_IO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rsp_recv(struct rsp_conn *c, int timeout_ms)
{
    if (c->interrupted) {
        c->interrupted = false;
        return RSP_EV_INTERRUPT;
    }
    for (;;) {
        int r = fill(c, timeout_ms);
        if (r <= 0)
            return r == 0 ? RSP_EV_NONE : r;
        enum rsp_event ev = rsp_parser_feed(&c->p, c->in[c->inpos++]);
        switch (ev) {
        case RSP_EV_PACKET:
        case RSP_EV_OVERSIZE:
            if (!c->noack && write_all(c->fd, "+", 1) < 0)
                return -VMS_ERR_IO;
            return ev;
        case RSP_EV_BADSUM:          /* ask again (no-ack mode: drop it) */
            if (!c->noack && write_all(c->fd, "-", 1) < 0)
                return -VMS_ERR_IO;
            break;
        case RSP_EV_INTERRUPT:
            return ev;
        case RSP_EV_NONE:
        case RSP_EV_ACK:
        case RSP_EV_NAK:
            break;
        }
    }
}

/* After a send in ack mode: 1 acked, 0 resend, -VMS_ERR_IO. */
static int wait_ack(struct rsp_conn *c)
{
    for (;;) {
        int r = fill(c, RSP_ACK_TIMEOUT_MS);
        if (r <= 0)
            return r == 0 ? -VMS_ERR_IO : r;
        uint8_t b = c->in[c->inpos];
        if (b == '$')                /* a new packet: the peer took ours */
            return 1;
        c->inpos++;
        if (b == '+')
            return 1;
        if (b == '-')
            return 0;
        if (b == RSP_CTRL_C)
            c->interrupted = true;
    }
}

int rsp_send(struct rsp_conn *c, const void *payload, size_t len)
{
    int n = rsp_frame(c->out, sizeof(c->out), payload, len, true);
    if (n < 0)
        return n;
    for (int tries = 0; tries <= RSP_MAX_RESEND; tries++) {
        if (write_all(c->fd, c->out, (size_t)n) < 0)
            return -VMS_ERR_IO;
        if (c->noack)
            return 0;
        int r = wait_ack(c);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    return -VMS_ERR_IO;
}

int rsp_send_str(struct rsp_conn *c, const char *payload)
{
    return rsp_send(c, payload, strlen(payload));
}

/* ---- listening ---- */

/* Split "PORT" or "HOST:PORT"; loopback when no host is given. */
static int split_spec(const char *spec, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(spec, ':');
    const char *p = colon ? colon + 1 : spec;
    size_t hlen = colon ? (size_t)(colon - spec) : 0;

    if (!*p || strlen(p) >= pcap || strspn(p, "0123456789") != strlen(p) ||
        strtoul(p, NULL, 10) > 65535 || hlen >= hcap)
        return vms_seterr(VMS_ERR_INVAL, "--gdb %s: expected PORT or ADDR:PORT", spec);
    snprintf(port, pcap, "%s", p);
    if (hlen)
        snprintf(host, hcap, "%.*s", (int)hlen, spec);
    else
        snprintf(host, hcap, "127.0.0.1");
    return 0;
}

static int bind_listen(const struct addrinfo *ai)
{
    int one = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void describe(int fd, char *where, size_t wcap)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char ip[INET_ADDRSTRLEN] = "?";

    if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET)
        inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
    snprintf(where, wcap, "%s:%u", ip, (unsigned)ntohs(sa.sin_port));
}

int rsp_listen(const char *spec, char *where, size_t wcap)
{
    char host[256], port[8];
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res;
    int err = split_spec(spec, host, sizeof(host), port, sizeof(port));

    if (err < 0)
        return err;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return vms_seterr(VMS_ERR_INVAL, "--gdb %s: %s", spec, gai_strerror(gai));
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = bind_listen(ai);
    freeaddrinfo(res);
    if (fd < 0)
        return vms_seterr(VMS_ERR_IO, "--gdb %s: cannot listen: %s", spec, strerror(errno));
    describe(fd, where, wcap);
    return fd;
}

int rsp_accept(int lfd)
{
    int one = 1;
    int fd;

    do
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return vms_seterr(VMS_ERR_IO, "gdb stub: accept: %s", strerror(errno));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}
