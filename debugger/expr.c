/* expr.c - a recursive-descent evaluator for expr.h's language. */
#include "debugger/expr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 128

struct parser {
    const struct expr_env *env;
    const char *p;
    int err;
    char *msg;
    size_t msglen;
};

static uint64_t parse_expr(struct parser *ps);

static uint64_t fail(struct parser *ps, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static uint64_t fail(struct parser *ps, int err, const char *fmt, ...)
{
    va_list ap;

    if (ps->err)
        return 0;
    ps->err = err;
    va_start(ap, fmt);
    if (ps->msglen)
        vsnprintf(ps->msg, ps->msglen, fmt, ap);
    va_end(ap);
    return 0;
}

static void skip_ws(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

/* Consume @tok if it comes next (and, for one-character operators, is
 * not the start of a longer one given in @not_before). */
static bool accept(struct parser *ps, const char *tok, const char *not_before)
{
    skip_ws(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n) != 0)
        return false;
    if (not_before && ps->p[n] && strchr(not_before, ps->p[n]))
        return false;
    ps->p += n;
    return true;
}

static bool is_name_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == '.'; }
static bool is_name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$'; }

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    return 99;
}

/* Digits of @text[0..n) in @base, or fail. */
static uint64_t digits(struct parser *ps, const char *text, size_t n, unsigned base)
{
    uint64_t v = 0;

    if (n == 0)
        return fail(ps, -VMS_ERR_SYNTAX, "a number needs digits");
    for (size_t i = 0; i < n; i++) {
        int d = digit_value(text[i]);
        if (d >= (int)base)
            return fail(ps, -VMS_ERR_SYNTAX, "'%.*s' is not a base-%u number",
                        (int)n, text, base);
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return fail(ps, -VMS_ERR_RANGE, "'%.*s' does not fit in 64 bits", (int)n, text);
        v = v * base + (uint64_t)d;
    }
    return v;
}

static uint64_t parse_number(struct parser *ps)
{
    const char *s = ps->p;
    size_t n = 0;

    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    ps->p += n;
    if (n > 2 && s[0] == '0') {
        char k = (char)tolower((unsigned char)s[1]);
        if (k == 'x') return digits(ps, s + 2, n - 2, 16);
        if (k == 'o') return digits(ps, s + 2, n - 2, 8);
        if (k == 'b' && digit_value(s[2]) < 2) return digits(ps, s + 2, n - 2, 2);
        if (k == 'd') return digits(ps, s + 2, n - 2, 10);
    }
    if (n > 1 && tolower((unsigned char)s[n - 1]) == 'h')
        return digits(ps, s, n - 1, 16);          /* 7c00h (Bochs, MASM) */
    if (n > 1 && s[0] == '0')
        return digits(ps, s, n, 8);               /* 017: octal, as C and gdb */
    return digits(ps, s, n, 10);
}

/* A name ([A-Za-z_.][A-Za-z0-9_.$]*, or quoted) into @buf. */
static bool read_name(struct parser *ps, char *buf, size_t len)
{
    size_t n = 0;

    if (*ps->p == '\'') {
        const char *end = strchr(ps->p + 1, '\'');
        if (!end) {
            fail(ps, -VMS_ERR_SYNTAX, "unterminated quoted symbol");
            return false;
        }
        n = (size_t)(end - ps->p - 1);
        if (n == 0 || n >= len) {
            fail(ps, -VMS_ERR_SYNTAX, "bad quoted symbol");
            return false;
        }
        memcpy(buf, ps->p + 1, n);
        buf[n] = '\0';
        ps->p = end + 1;
        return true;
    }
    while (is_name_char(ps->p[n]) && n + 1 < len)
        n++;
    memcpy(buf, ps->p, n);
    buf[n] = '\0';
    ps->p += n;
    return n > 0;
}

static uint64_t parse_register(struct parser *ps)
{
    char name[NAME_MAX_LEN];
    uint64_t v = 0;

    ps->p++;   /* '$' */
    if (!read_name(ps, name, sizeof(name)))
        return fail(ps, -VMS_ERR_SYNTAX, "'$' must be followed by a register name");
    if (!ps->env->reg || ps->env->reg(ps->env->opaque, name, &v) < 0)
        return fail(ps, -VMS_ERR_NOTFOUND, "no register $%s", name);
    return v;
}

static uint64_t parse_symbol(struct parser *ps)
{
    char name[NAME_MAX_LEN];
    uint64_t v = 0;

    if (!read_name(ps, name, sizeof(name)))
        return fail(ps, -VMS_ERR_SYNTAX, "expected a name");
    if (!ps->env->sym || ps->env->sym(ps->env->opaque, name, &v) < 0)
        return fail(ps, -VMS_ERR_NOTFOUND, "no symbol \"%s\"", name);
    return v;
}

static uint64_t deref(struct parser *ps, uint64_t addr, unsigned size)
{
    uint64_t v = 0;

    if (ps->err)
        return 0;
    if (!ps->env->mem || ps->env->mem(ps->env->opaque, addr, size, &v) < 0)
        return fail(ps, -VMS_ERR_FAULT, "cannot read %u bytes at 0x%llx", size,
                    (unsigned long long)addr);
    return v;
}

/* Type names a size can be given by, in {T} and (T *) casts. */
struct type_size { const char *name; unsigned size; };
static const struct type_size type_sizes[] = {
    { "b", 1 }, { "h", 2 }, { "w", 4 }, { "g", 8 },
    { "char", 1 }, { "short", 2 }, { "int", 4 }, { "long", 8 },
    { "uint8_t", 1 }, { "uint16_t", 2 }, { "uint32_t", 4 }, { "uint64_t", 8 },
    { "int8_t", 1 }, { "int16_t", 2 }, { "int32_t", 4 }, { "int64_t", 8 },
    { "unsigned char", 1 }, { "unsigned short", 2 }, { "unsigned int", 4 },
    { "unsigned long", 8 }, { "unsigned", 4 },
};

/* The size named by @text[0..n) (spaces trimmed), or 0. */
static unsigned type_size_of(const char *text, size_t n)
{
    while (n && isspace((unsigned char)*text)) { text++; n--; }
    while (n && isspace((unsigned char)text[n - 1])) n--;
    for (size_t i = 0; i < sizeof(type_sizes) / sizeof(type_sizes[0]); i++)
        if (strlen(type_sizes[i].name) == n && !strncmp(type_sizes[i].name, text, n))
            return type_sizes[i].size;
    return 0;
}

/* After '(' : "TYPE *)" gives a pointer cast's size, else 0 (not a cast). */
static unsigned pointer_cast(struct parser *ps)
{
    const char *star = strchr(ps->p, '*');
    if (!star)
        return 0;
    const char *q = star + 1;
    while (isspace((unsigned char)*q))
        q++;
    if (*q != ')')
        return 0;
    unsigned size = type_size_of(ps->p, (size_t)(star - ps->p));
    if (size)
        ps->p = q + 1;
    return size;
}

static uint64_t parse_unary(struct parser *ps);

static uint64_t parse_primary(struct parser *ps)
{
    skip_ws(ps);
    char c = *ps->p;
    if (c == '(') {
        ps->p++;
        uint64_t v = parse_expr(ps);
        if (!accept(ps, ")", NULL))
            return fail(ps, -VMS_ERR_SYNTAX, "missing ')'");
        return v;
    }
    if (c == '{') {
        const char *end = strchr(ps->p, '}');
        unsigned size = end ? type_size_of(ps->p + 1, (size_t)(end - ps->p - 1)) : 0;
        if (!size)
            return fail(ps, -VMS_ERR_SYNTAX, "unknown size in {...}: use b, h, w, g or a C type");
        ps->p = end + 1;
        return deref(ps, parse_unary(ps), size);
    }
    if (c == '$')
        return parse_register(ps);
    if (isdigit((unsigned char)c))
        return parse_number(ps);
    if (is_name_start(c) || c == '\'')
        return parse_symbol(ps);
    if (c == '\0')
        return fail(ps, -VMS_ERR_SYNTAX, "expression expected");
    return fail(ps, -VMS_ERR_SYNTAX, "unexpected '%c'", c);
}

static uint64_t parse_unary(struct parser *ps)
{
    skip_ws(ps);
    if (accept(ps, "-", NULL)) return -parse_unary(ps);
    if (accept(ps, "+", NULL)) return parse_unary(ps);
    if (accept(ps, "~", NULL)) return ~parse_unary(ps);
    if (accept(ps, "!", "=")) return !parse_unary(ps);
    if (accept(ps, "*", NULL)) {
        skip_ws(ps);
        if (*ps->p == '(') {
            const char *save = ps->p;
            ps->p++;
            unsigned size = pointer_cast(ps);
            if (size)
                return deref(ps, parse_unary(ps), size);
            ps->p = save;
        }
        return deref(ps, parse_unary(ps), ps->env->word ? ps->env->word : 8);
    }
    return parse_primary(ps);
}

/* One binary precedence level: operators in @ops (longest first). */
struct binop { const char *tok; const char *not_before; int op; };
enum { OP_MUL, OP_DIV, OP_MOD, OP_ADD, OP_SUB, OP_SHL, OP_SHR, OP_LT, OP_LE, OP_GT,
       OP_GE, OP_EQ, OP_NE, OP_AND, OP_XOR, OP_OR, OP_LAND, OP_LOR };

static uint64_t apply(struct parser *ps, int op, uint64_t a, uint64_t b)
{
    switch (op) {
    case OP_MUL: return a * b;
    case OP_DIV: return b ? a / b : fail(ps, -VMS_ERR_INVAL, "division by zero");
    case OP_MOD: return b ? a % b : fail(ps, -VMS_ERR_INVAL, "division by zero");
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_SHL: return b >= 64 ? 0 : a << b;
    case OP_SHR: return b >= 64 ? 0 : a >> b;
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_AND: return a & b;
    case OP_XOR: return a ^ b;
    case OP_OR: return a | b;
    case OP_LAND: return a && b;
    case OP_LOR: return a || b;
    }
    return 0;
}

static const struct binop level_ops[][4] = {
    { { "||", NULL, OP_LOR } },
    { { "&&", NULL, OP_LAND } },
    { { "|", "|", OP_OR } },
    { { "^", NULL, OP_XOR } },
    { { "&", "&", OP_AND } },
    { { "==", NULL, OP_EQ }, { "!=", NULL, OP_NE } },
    { { "<=", NULL, OP_LE }, { ">=", NULL, OP_GE }, { "<", "<", OP_LT }, { ">", ">", OP_GT } },
    { { "<<", NULL, OP_SHL }, { ">>", NULL, OP_SHR } },
    { { "+", NULL, OP_ADD }, { "-", NULL, OP_SUB } },
    { { "*", NULL, OP_MUL }, { "/", NULL, OP_DIV }, { "%", NULL, OP_MOD } },
};
#define NLEVELS (sizeof(level_ops) / sizeof(level_ops[0]))

static uint64_t parse_level(struct parser *ps, unsigned level)
{
    if (level == NLEVELS)
        return parse_unary(ps);
    uint64_t v = parse_level(ps, level + 1);
    for (;;) {
        const struct binop *hit = NULL;
        for (unsigned i = 0; i < 4 && level_ops[level][i].tok; i++) {
            if (accept(ps, level_ops[level][i].tok, level_ops[level][i].not_before)) {
                hit = &level_ops[level][i];
                break;
            }
        }
        if (!hit || ps->err)
            return v;
        uint64_t rhs = parse_level(ps, level + 1);
        v = apply(ps, hit->op, v, rhs);
    }
}

static uint64_t parse_expr(struct parser *ps)
{
    return parse_level(ps, 0);
}

int expr_eval(const struct expr_env *env, const char *text, uint64_t *out, char *err,
              size_t errlen)
{
    struct parser ps = { .env = env, .p = text, .msg = err, .msglen = errlen };

    if (errlen)
        err[0] = '\0';
    uint64_t v = parse_expr(&ps);
    skip_ws(&ps);
    if (!ps.err && *ps.p)
        fail(&ps, -VMS_ERR_SYNTAX, "unexpected '%s' after the expression", ps.p);
    if (ps.err)
        return ps.err;
    *out = v;
    return 0;
}
