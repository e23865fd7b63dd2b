/* loops.S - benchmark guests: boot sectors that run a loop ITERS times and
 * leave through the debug-exit port.  Assembled by run_bench.sh with
 *   -defsym KIND=0 (register-only) | 1 (load+store) | 2 (port I/O exits)
 *               | 3 (register-only, a branch splits each iteration into two
 *                    blocks; 9.5 instructions per iteration for even ITERS)
 *   -defsym ITERS=n
 * The loop body is INSNS_PER_ITER instructions (counted by hand below).
 * Data lives at 0x20000, a page that holds no code, so stores never hit
 * the emulator's code-coherence slow path. */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7c00, %sp
    mov $0x2000, %ax
    mov %ax, %ds
    mov $ITERS, %ecx
    xor %ebx, %ebx
    xor %esi, %esi
    xor %edi, %edi
    .globl loop
loop:
.if KIND == 0                 /* 10 instructions, registers only */
    add %ecx, %ebx
    xor %ebx, %esi
    lea 1(%esi,%ebx), %edi
    rol $3, %ebx
    sub %edi, %esi
    add $7, %edi
    and %edi, %ebx
    or %esi, %ebx
.elseif KIND == 3             /* two blocks: 10 instructions, 9 when ECX is even */
    add %ecx, %ebx
    xor %ebx, %esi
    lea 1(%esi,%ebx), %edi
    test $1, %cl
    jz 1f                     /* a branch ends a translated block */
    rol $3, %ebx
1:  sub %edi, %esi
    add $7, %edi
.elseif KIND == 1             /* 10 instructions: 4 loads, 4 stores */
    mov 0(%bx), %eax
    add %ecx, %eax
    mov %eax, 4(%bx)
    mov 8(%bx), %edx
    mov %edx, 12(%bx)
    mov 4(%bx), %esi
    mov %esi, 16(%bx)
    mov 16(%bx), %edi
.else                         /* 3 instructions, one port I/O exit */
    out %al, $0x80
.endif
    dec %ecx
    jnz loop
    .globl done
done:
    mov $0, %al
    out %al, $0xf4
    cli
    hlt
    .org 510
    .byte 0x55, 0xaa
