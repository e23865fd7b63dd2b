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

/* @dir/@val into @out (PATH_MAX); false when it does not fit. */
static int join(char *out, const char *dir, const char *val)
{
    size_t d = strlen(dir), v = strlen(val);

    if (d + 1 + v >= PATH_MAX)
        return 0;
    memcpy(out, dir, d);
    out[d] = '/';
    memcpy(out + d + 1, val, v + 1);
    return 1;
}

static void set_field(struct scenario *s, const char *key, const char *val)
{
    if (!strcmp(key, "disk")) {
        if (s->ndisks < SCENARIO_MAX_DISKS && join(s->disk[s->ndisks], s->dir, val))
            s->ndisks++;
    }
    else if (!strcmp(key, "image")) {
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
    else if (!strcmp(key, "symbols")) {
        if (!join(s->symbols, s->dir, val))
            s->symbols[0] = '\0';
    }
    else if (!strcmp(key, "cmdline")) {
        snprintf(s->cmdline, sizeof(s->cmdline), "%.*s", (int)sizeof(s->cmdline) - 1, val);
        s->has_cmdline = true;
    }
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

    if (!strcmp(name, "."))
        snprintf(s->dir, sizeof(s->dir), "%s", base);
    else
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

/* The disk=, cpus= and symbols= lines of the scenario.conf beside image @path, if
 * that scenario.conf names it as its image: the machine a scenario needs
 * is the same whether it is run by name or by path. */
static void sibling_disks(const char *path, struct scenario *out)
{
    struct scenario conf;
    char dir[PATH_MAX], real_img[PATH_MAX], real_arg[PATH_MAX];

    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    memset(&conf, 0, sizeof(conf));
    if (try_dir(dir, ".", &conf) < 0 || !realpath(conf.image, real_img) ||
        !realpath(path, real_arg) || strcmp(real_img, real_arg) != 0)
        return;
    memcpy(out->disk, conf.disk, sizeof(out->disk));
    out->ndisks = conf.ndisks;
    out->cpus = conf.cpus;
    memcpy(out->symbols, conf.symbols, sizeof(out->symbols));
}

int scenario_resolve(const char *arg, const char *argv0, struct scenario *out)
{
    memset(out, 0, sizeof(*out));
    out->expect_exit = -1;
    snprintf(out->name, sizeof(out->name), "%s", arg);
    if (is_file(arg) || strchr(arg, '/')) {
        snprintf(out->image, sizeof(out->image), "%s", arg);
        sibling_disks(arg, out);
        return 0;
    }
    return find_named(arg, argv0, out);
}
