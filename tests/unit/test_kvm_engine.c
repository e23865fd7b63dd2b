/* test_kvm_engine.c - choosing the engine (machine/engine.c) and the KVM
 * engine's behaviour where /dev/kvm is missing or refused.  What needs a
 * working /dev/kvm is in tests/kvm/ (run directly or in the nested guest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "machine/engine.h"
#include "machine/kvm_engine.h"
#include "machine/vm.h"

static bool kvm_usable(char *why, size_t len)
{
    return kvm_engine_probe(why, len) == 0;
}

static void test_by_name(void **state)
{
    (void)state;
    assert_ptr_equal(engine_by_name("unicorn"), &uc_vcpu_ops);
    assert_ptr_equal(engine_by_name("kvm"), &kvm_vcpu_ops);
    assert_null(engine_by_name("auto"));
    assert_null(engine_by_name("qemu"));
}

static void test_unknown_engine(void **state)
{
    const struct vcpu_ops *ops = NULL;
    char why[160];
    (void)state;

    assert_int_equal(engine_choose("tcg", &ops, why, sizeof(why)), -VMS_ERR_INVAL);
    assert_non_null(strstr(why, "'tcg'"));
    assert_null(strchr(why, '\n'));
}

static void test_unicorn_forced(void **state)
{
    const struct vcpu_ops *ops = NULL;
    char why[160];
    (void)state;

    assert_int_equal(engine_choose("unicorn", &ops, why, sizeof(why)), 0);
    assert_ptr_equal(ops, &uc_vcpu_ops);
    assert_string_equal(why, "");
}

/* --engine kvm: the KVM engine when usable, else one line naming /dev/kvm. */
static void test_kvm_forced(void **state)
{
    const struct vcpu_ops *ops = NULL;
    char why[160], probe[160];
    (void)state;

    int err = engine_choose("kvm", &ops, why, sizeof(why));
    if (kvm_usable(probe, sizeof(probe))) {
        assert_int_equal(err, 0);
        assert_ptr_equal(ops, &kvm_vcpu_ops);
        return;
    }
    assert_true(err == -VMS_ERR_NOKVM || err == -VMS_ERR_UNSUPPORTED);
    assert_non_null(strstr(why, "--engine kvm: "));
    assert_non_null(strstr(why, "/dev/kvm"));
    assert_null(strchr(why, '\n'));
}

/* auto: KVM when usable, else Unicorn, never failing. */
static void test_auto(void **state)
{
    const struct vcpu_ops *ops = NULL;
    char why[160], probe[160];
    (void)state;

    assert_int_equal(engine_choose("auto", &ops, why, sizeof(why)), 0);
    assert_ptr_equal(ops, kvm_usable(probe, sizeof(probe)) ? &kvm_vcpu_ops : &uc_vcpu_ops);
    if (ops == &uc_vcpu_ops && why[0])
        assert_non_null(strstr(why, "using the Unicorn engine"));
    if (kvm_engine_probe(probe, sizeof(probe)) == -VMS_ERR_UNSUPPORTED)
        assert_string_equal(why, "");   /* KVM-PVM: Unicorn, no note */
}

/* A KVM-PVM /dev/kvm is refused unless forced (it mis-runs 32-bit paging
 * and SYSCALL, measured); the reason names it. */
static void test_pvm_named(void **state)
{
    char why[160];
    (void)state;

    unsetenv("VMSCOPE_KVM_ALLOW_PVM");
    if (kvm_engine_probe(why, sizeof(why)) < 0 && strstr(why, "PVM"))
        assert_non_null(strstr(why, "VMSCOPE_KVM_ALLOW_PVM=1"));
}

/* Without a usable /dev/kvm, creating a KVM VM fails cleanly with a
 * message, and nothing leaks (ASan checks). */
static void test_create_without_kvm(void **state)
{
    struct vm_config cfg = { .mem_size = 1u << 20, .ncpus = 1, .engine = &kvm_vcpu_ops };
    struct vm *vm = NULL;
    char why[160];
    (void)state;

    if (kvm_usable(why, sizeof(why))) {
        assert_int_equal(vm_create(&vm, 0, &cfg, NULL), 0);
        vm_destroy(vm);
        return;
    }
    setenv("VMSCOPE_KVM_ALLOW_PVM", "0", 1);
    int err = vm_create(&vm, 0, &cfg, NULL);
    if (err == 0) {          /* a PVM /dev/kvm opens: still a valid VM */
        vm_destroy(vm);
        return;
    }
    assert_true(err < 0);
    assert_non_null(strstr(vms_lasterr(err), "kvm"));
}

static void test_debug_trust_env(void **state)
{
    (void)state;
    setenv("VMSCOPE_KVM_NESTED", "1", 1);
    assert_false(kvm_engine_debug_trusted());
    setenv("VMSCOPE_KVM_NESTED", "0", 1);
    assert_true(kvm_engine_debug_trusted());
    unsetenv("VMSCOPE_KVM_NESTED");
    assert_true(kvm_engine_debug_trusted());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_name), cmocka_unit_test(test_unknown_engine),
        cmocka_unit_test(test_unicorn_forced), cmocka_unit_test(test_kvm_forced),
        cmocka_unit_test(test_auto), cmocka_unit_test(test_pvm_named),
        cmocka_unit_test(test_create_without_kvm), cmocka_unit_test(test_debug_trust_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
