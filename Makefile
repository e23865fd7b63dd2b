# vmscope - an interactive terminal workbench for teaching virtual machines.
#
#   make run     build, then run the default scenario
#   make check   every test (unit, integration, QEMU oracle)
#   make asan    the same tests under ASan + UBSan
#   make bench   benchmarks (ratios measured in one run)
#   make deps    install missing Debian packages (apt-get; sudo when not root)
#   make install PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=

PKGS     := ncursesw readline unicorn capstone cmocka
UNICORN_MIN := 2.1.4

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -MMD -MP \
           -DVMS_DATADIR=\"$(PREFIX)/share/vmscope\"
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs ncursesw readline unicorn capstone 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm

LIB_SRC  := $(wildcard machine/*.c) $(wildcard debugger/*.c) \
            $(filter-out tui/main.c,$(wildcard tui/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# The firmware ROM (machine/firmware/bios.S, docs/PC.md): a 64 KiB real-mode
# image linked at F000:0000, embedded in libvms.a by machine/firmware/rom.S.
FW_DIR   := $(BUILD)/machine/firmware
LIB_OBJ  += $(FW_DIR)/rom.o
MAIN_OBJ := $(BUILD)/tui/main.o
LIB      := $(BUILD)/libvms.a
PROG     := vmscope$(if $(filter 1,$(SAN)),-asan)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
HEADERS  := $(wildcard machine/*.h debugger/*.h tui/*.h)

.PHONY: all run check check-nodeps asan bench deps install hdrcheck clean \
        scenarios unicorn-version

all: unicorn-version $(PROG) scenarios $(UNIT_BIN)

# Refuse an older libunicorn: 2.0.x ignores guest paging (see DESIGN.md).
unicorn-version:
	@v=$$(pkg-config --modversion unicorn 2>/dev/null) || { \
	  echo "vmscope: libunicorn not found (run 'make deps')" >&2; exit 1; }; \
	if ! printf '%s\n%s\n' "$(UNICORN_MIN)" "$$v" | sort -V -C; then \
	  echo "vmscope: libunicorn $$v is too old: $(UNICORN_MIN) or newer is required (run 'make deps')" >&2; \
	  exit 1; fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(FW_DIR)/bios.o: machine/firmware/bios.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c $< -o $@

$(FW_DIR)/bios.bin: $(FW_DIR)/bios.o
	ld -m elf_i386 -Ttext=0 -e 0 -o $(FW_DIR)/bios.elf $<
	objcopy -O binary -j .text $(FW_DIR)/bios.elf $@
	objdump -d -m i8086 $(FW_DIR)/bios.elf > $(FW_DIR)/bios.lst
	@test $$(stat -c %s $@) -eq 65536 || { echo "bios.bin is not 64 KiB" >&2; rm -f $@; exit 1; }

$(FW_DIR)/rom.o: machine/firmware/rom.S $(FW_DIR)/bios.bin
	$(CC) -c -Wa,-I$(FW_DIR) $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(PROG): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(CMOCKA_LIBS) $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Guest programs: each scenario directory builds into build/scenarios/NAME/.
SCN_BUILD := build/scenarios
-include scenarios/scenarios.mk

# Headless, the guest's own debug-exit status (odd, docs/RUN.md) is its
# result, not a failure of `make run`; vmscope's own statuses are even.
run: deps all
	@if [ -t 0 ] && [ -t 1 ] && [ -x ./$(PROG) ] && ./$(PROG) --has-tui 2>/dev/null; then \
	  ./$(PROG) hello; else ./$(PROG) run hello; st=$$?; \
	  if [ $$((st % 2)) -eq 1 ]; then echo "(the guest ended through the debug-exit port: status $$st)"; \
	  else exit $$st; fi; fi

check: deps
	$(MAKE) check-nodeps

check-nodeps: all
	BUILD=$(BUILD) PROG=./$(PROG) tests/run_tests.sh

asan:
	$(MAKE) BUILD=build-asan SAN=1 check-nodeps

bench: deps all $(BENCH_BIN)
	BUILD=$(BUILD) PROG=./$(PROG) tests/bench/run_bench.sh

deps:
	@tests/deps.sh

# Every header compiles on its own.
hdrcheck:
	@for h in $(HEADERS); do \
	  echo "#include \"$$h\"" | $(CC) $(CFLAGS) $(PKG_CFLAGS) -fsyntax-only -x c - || exit 1; \
	done; echo "hdrcheck: $(words $(HEADERS)) headers compile alone"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/vmscope/scenarios
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/vmscope
	cp -R $(SCN_BUILD)/. $(DESTDIR)$(PREFIX)/share/vmscope/scenarios/

clean:
	rm -rf build build-asan vmscope vmscope-asan

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
