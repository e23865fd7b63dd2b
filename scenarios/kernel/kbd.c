/* kbd.c - the i8042 keyboard controller and the keyboard behind it.
 *
 * Ports (IBM PC/AT Technical Reference, 8042 section): 0x64 read = status
 * (bit 0 output buffer full, bit 1 input buffer full), 0x64 write = a
 * controller command, 0x60 = data (to the keyboard when written).
 * Controller commands used: 0x20 read / 0x60 write the configuration
 * ("command") byte, 0xAA self-test (answers 0x55), 0xAB port 1 interface
 * test (0x00 = ok), 0xAD / 0xAE disable / enable port 1, 0xA7 disable
 * port 2.  Keyboard commands: 0xFF reset (answers 0xFA ACK, then 0xAA
 * "basic assurance test passed"), 0xF4 enable scanning (0xFA).
 *
 * Everything printed is a fact of the protocol, not of timing; keys
 * typed while the kernel runs arrive on IRQ 1 (through the I/O APIC) and
 * are echoed.
 */
#include "kernel.h"

#define KBD_DATA        0x60
#define KBD_STATUS      0x64
#define KBD_CMD         0x64
#define ST_OBF          0x01
#define ST_IBF          0x02
#define CFG_IRQ1        0x01
#define CFG_IRQ12       0x02
#define CCMD_READ_CFG   0x20
#define CCMD_WRITE_CFG  0x60
#define CCMD_SELF_TEST  0xAA
#define CCMD_PORT1_TEST 0xAB
#define CCMD_DIS_PORT2  0xA7
#define CCMD_DIS_PORT1  0xAD
#define CCMD_EN_PORT1   0xAE
#define KCMD_RESET      0xFF
#define KCMD_ENABLE     0xF4
#define POLL_LIMIT      1000000u

static uint32_t keys_seen;

static void wait_write(void)
{
	for (uint32_t i = 0; i < POLL_LIMIT && (inb(KBD_STATUS) & ST_IBF); i++)
		cpu_relax();
}

/* The next byte from the controller, or -1 if none comes. */
static int read_byte(void)
{
	for (uint32_t i = 0; i < POLL_LIMIT; i++)
		if (inb(KBD_STATUS) & ST_OBF)
			return inb(KBD_DATA);
	return -1;
}

static void ctl_cmd(uint8_t cmd)
{
	wait_write();
	outb(KBD_CMD, cmd);
}

static void data_out(uint8_t v)
{
	wait_write();
	outb(KBD_DATA, v);
}

static int flush(void)
{
	int n = 0;

	while (n < 64 && (inb(KBD_STATUS) & ST_OBF)) {
		(void)inb(KBD_DATA);
		n++;
	}
	return n;
}

/* Controller: both ports off, old bytes out, interrupts off, then the
 * self-test and the port 1 interface test.  Returns the config byte. */
static int controller_test(int *pending, int *self, int *port)
{
	ctl_cmd(CCMD_DIS_PORT1);
	ctl_cmd(CCMD_DIS_PORT2);
	*pending = flush();
	ctl_cmd(CCMD_READ_CFG);
	int cfg = read_byte();
	if (cfg < 0)
		cfg = 0;
	cfg &= ~(CFG_IRQ1 | CFG_IRQ12);          /* no interrupts while testing */
	ctl_cmd(CCMD_WRITE_CFG);
	data_out((uint8_t)cfg);
	ctl_cmd(CCMD_SELF_TEST);
	*self = read_byte();
	ctl_cmd(CCMD_PORT1_TEST);
	*port = read_byte();
	ctl_cmd(CCMD_WRITE_CFG);                  /* a self-test may reset it */
	data_out((uint8_t)cfg);
	return cfg;
}

void kbd_init(void)
{
	int pending, self, port;
	int cfg = controller_test(&pending, &self, &port);

	ctl_cmd(CCMD_EN_PORT1);
	data_out(KCMD_RESET);                     /* the keyboard itself */
	int ack = read_byte(), bat = read_byte();
	data_out(KCMD_ENABLE);
	int ack2 = read_byte();

	cfg |= CFG_IRQ1;                          /* keys now raise IRQ 1 */
	ctl_cmd(CCMD_WRITE_CFG);
	data_out((uint8_t)cfg);
	ctl_cmd(CCMD_READ_CFG);
	int back = read_byte();

	kprintf("kbd: %d byte(s) pending at start, i8042 self-test 0x%02x, port 1 test 0x%02x\n",
		pending, self & 0xFF, port & 0xFF);
	kprintf("kbd: keyboard reset 0x%02x 0x%02x, enable 0x%02x, config byte read back %s\n",
		ack & 0xFF, bat & 0xFF, ack2 & 0xFF, back == cfg ? "ok" : "DIFFERENT");
}

/* Scan code set 1, make codes 0x02-0x39 (the main block), to ASCII. */
static const char set1[0x3A] =
	"\0\0" "1234567890-=" "\b\t" "qwertyuiop[]" "\n\0" "asdfghjkl;'`"
	"\0\\" "zxcvbnm,./" "\0*\0 ";

void kbd_intr(void)
{
	while (inb(KBD_STATUS) & ST_OBF) {
		uint8_t sc = inb(KBD_DATA);

		if (sc < sizeof set1 && set1[sc]) {
			keys_seen++;
			kprintf("[key '%c']", set1[sc]);
		}
	}
}

uint32_t kbd_keys_seen(void)
{
	return keys_seen;
}
