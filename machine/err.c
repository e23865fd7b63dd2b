/* err.c - error texts and the thread-local detail line. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const err_text[VMS_ERR_COUNT] = {
#define VMS_ERR_TEXT(name, text) [VMS_ERR_##name] = text,
    VMS_ERRORS(VMS_ERR_TEXT)
#undef VMS_ERR_TEXT
};

static _Thread_local char err_detail[512];

const char *vms_strerror(int err)
{
    if (err < 0)
        err = -err;
    if (err >= VMS_ERR_COUNT)
        return "unknown error";
    return err_text[err];
}

int vms_seterr(enum vms_error err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
    va_end(ap);
    return -(int)err;
}

const char *vms_lasterr(int err)
{
    return err_detail[0] ? err_detail : vms_strerror(err);
}

void vms_clearerr(void)
{
    err_detail[0] = '\0';
}
