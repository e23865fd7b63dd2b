/* expr.h - the debugger's expression language.
 *
 *   numbers    42  0x2a  0o52  052 (octal, as in gdb)  0b101010  2ah  0d42
 *   registers  $rax $eax $al $rip $pc $cr3 ... and $_ (last examined address)
 *   symbols    main  kputs  'name.with.dots'
 *   operators  C's, with C's precedence: * / % + - << >> < <= > >= == !=
 *              & ^ | && || and unary - ~ ! +; parentheses
 *   memory     *ADDR reads a word of the current code width (2, 4 or 8
 *              bytes); {b}ADDR {h}ADDR {w}ADDR {g}ADDR read 1, 2, 4, 8
 *              bytes (gdb's x sizes), as do *(uint8_t *)ADDR ... and
 *              {char} {short} {int} {long}
 * Everything is 64-bit unsigned arithmetic (comparisons are unsigned).
 * The language knows nothing of the session: lookups go through @env, so
 * the parser is tested on its own.
 */
#ifndef VMS_DBG_EXPR_H
#define VMS_DBG_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "machine/err.h"

struct expr_env {
    /* $name (without the '$'); 0 or -VMS_ERR_NOTFOUND */
    int (*reg)(void *opaque, const char *name, uint64_t *v);
    /* a symbol; 0 or -VMS_ERR_NOTFOUND */
    int (*sym)(void *opaque, const char *name, uint64_t *v);
    /* read @size bytes (1, 2, 4, 8) at virtual @addr; 0 or -VMS_ERR_FAULT */
    int (*mem)(void *opaque, uint64_t addr, unsigned size, uint64_t *v);
    unsigned word;     /* bytes *ADDR reads: 2, 4 or 8 */
    void *opaque;
};

/* Evaluate all of @text.  On failure returns -VMS_ERR_SYNTAX,
 * -VMS_ERR_NOTFOUND, -VMS_ERR_FAULT or -VMS_ERR_INVAL (division by zero)
 * and writes a one-line reason into @err. */
int expr_eval(const struct expr_env *env, const char *text, uint64_t *out, char *err,
              size_t errlen) VMS_MUST_CHECK;

#endif
