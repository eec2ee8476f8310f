/* A guest for the tests and the demo: a 512-byte boot sector that keeps the
 * boot vCPU busy forever (the other vCPUs stay halted, waiting for a SIPI
 * that never comes).  Built with: as --32, objcopy -O binary. */
	.code16
	.globl _start
_start:
	cli
spin:
	jmp spin
	.org 510
	.byte 0x55, 0xaa	/* the BIOS boots a sector only with this signature */
