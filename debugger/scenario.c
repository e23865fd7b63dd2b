/* scenario.c - scenario lookup and scenario.conf parsing. */
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VMS_DATADIR
#define VMS_DATADIR "/usr/local/share/vmscope"
#endif

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void set_field(struct scenario *s, const char *key, const char *val)
{
    if (!strcmp(key, "image")) {
        size_t d = strlen(s->dir), v = strlen(val);
        if (d + 1 + v < sizeof(s->image)) {
            memcpy(s->image, s->dir, d);
            s->image[d] = '/';
            memcpy(s->image + d + 1, val, v + 1);
        }
    }
    else if (!strcmp(key, "kind"))
        snprintf(s->kind, sizeof(s->kind), "%.*s", (int)sizeof(s->kind) - 1, val);
    else if (!strcmp(key, "title"))
        snprintf(s->title, sizeof(s->title), "%.*s", (int)sizeof(s->title) - 1, val);
    else if (!strcmp(key, "mem"))
        snprintf(s->mem, sizeof(s->mem), "%.*s", (int)sizeof(s->mem) - 1, val);
    else if (!strcmp(key, "expect_exit"))
        s->expect_exit = atoi(val);
    else if (!strcmp(key, "cpus")) {
        char *end;
        unsigned long n = strtoul(val, &end, 10);
        s->cpus = (*val && !*end && n >= 1 && n <= 255) ? (unsigned)n : 0;
    }
}

static int parse_conf(const char *path, struct scenario *s)
{
    char line[512];
    FILE *f = fopen(path, "r");

    if (!f)
        return vms_seterr(VMS_ERR_IO, "%s: cannot open", path);
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        set_field(s, line, eq + 1);
    }
    fclose(f);
    if (!s->image[0])
        return vms_seterr(VMS_ERR_BADIMAGE, "%s: no image= line", path);
    return 0;
}

/* Try scenario directory @base/@name. */
static int try_dir(const char *base, const char *name, struct scenario *s)
{
    char conf[PATH_MAX + 32];

    snprintf(s->dir, sizeof(s->dir), "%s/%s", base, name);
    snprintf(conf, sizeof(conf), "%s/scenario.conf", s->dir);
    if (!is_file(conf))
        return -VMS_ERR_NOTFOUND;
    return parse_conf(conf, s);
}

static int find_named(const char *arg, const char *argv0, struct scenario *s)
{
    char base[PATH_MAX];
    const char *env = getenv("VMSCOPE_SCENARIOS");

    if (env && try_dir(env, arg, s) != -VMS_ERR_NOTFOUND)
        return s->image[0] ? 0 : -VMS_ERR_BADIMAGE;
    snprintf(base, sizeof(base), "%s", argv0);
    char *slash = strrchr(base, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(base, sizeof(base), ".");
    size_t n = strlen(base);
    /* next to the program in a build tree, then an installed tree that
     * may have been moved (bin/../share/vmscope/scenarios) */
    static const char *const rel[] = { "/build/scenarios", "/../share/vmscope/scenarios" };
    for (unsigned i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(base + n, sizeof(base) - n, "%s", rel[i]);
        int err = try_dir(base, arg, s);
        if (err != -VMS_ERR_NOTFOUND)
            return err;
    }
    int err;
    err = try_dir(VMS_DATADIR "/scenarios", arg, s);
    if (err != -VMS_ERR_NOTFOUND)
        return err;
    return vms_seterr(VMS_ERR_NOTFOUND, "%s: no such file or scenario", arg);
}

int scenario_resolve(const char *arg, const char *argv0, struct scenario *out)
{
    memset(out, 0, sizeof(*out));
    out->expect_exit = -1;
    snprintf(out->name, sizeof(out->name), "%s", arg);
    if (is_file(arg) || strchr(arg, '/')) {
        snprintf(out->image, sizeof(out->image), "%s", arg);
        return 0;
    }
    return find_named(arg, argv0, out);
}
