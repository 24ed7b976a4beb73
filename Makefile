# trec build. `make` builds everything into build/; `make report` builds the
# analysis half alone (libc + libzstd); `make check` runs every test.
#
#   WERROR=1   warnings are errors (CI sets it)
#   SAN=1      AddressSanitizer + UndefinedBehaviorSanitizer build in build/asan
#   V=1        show commands

ifeq ($(SAN),1)
BUILD ?= build/asan
else
BUILD ?= build
endif

CC ?= cc
ifeq ($(CC),cc)
CC := gcc
endif
CLANG ?= clang
PKG_CONFIG ?= pkg-config

OPT ?= -O2
CFLAGS_BASE := -std=gnu11 $(OPT) -g -pthread -D_GNU_SOURCE \
	-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wno-unused-parameter -fno-strict-aliasing
ifeq ($(WERROR),1)
CFLAGS_BASE += -Werror
endif
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=address,undefined
endif
TREC_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS_BASE += -DTREC_VERSION='"$(TREC_VERSION)"'
# The two objects that print the version are rebuilt when it changes (a
# commit changes no source they depend on): the stamp is rewritten only then.
VERSION_STAMP := $(BUILD)/gen/version
$(shell mkdir -p $(BUILD)/gen && { [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = "$(TREC_VERSION)" ] || echo "$(TREC_VERSION)" >$(VERSION_STAMP); })
override CFLAGS := $(CFLAGS_BASE) $(CFLAGS)
LDLIBS_ANALYSIS := -lzstd -lm -pthread $(LDFLAGS_SAN)

ifneq ($(V),1)
Q := @
endif

LIB_SRCS := $(sort $(wildcard lib/*.c))
FORMAT_SRCS := $(sort $(wildcard format/*.c))
REPORT_SRCS := $(sort $(wildcard report/*.c))
FLAME_SRCS := $(sort $(wildcard flamegraph/*.c))
# cli/: main.c, and every command; the recorder's commands link record/.
CLI_RECORD_SRCS := cli/cmd_record.c cli/cmd_list.c
CLI_SRCS := $(filter-out cli/main.c $(CLI_RECORD_SRCS),$(sort $(wildcard cli/*.c)))
TESTLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

RECORD_SRCS := $(sort $(wildcard record/*.c))
BPF_SRCS := $(sort $(wildcard bpf/*.bpf.c))

LIB_OBJS := $(call obj,$(LIB_SRCS))
FORMAT_OBJS := $(call obj,$(FORMAT_SRCS))
REPORT_OBJS := $(call obj,$(REPORT_SRCS))
FLAME_OBJS := $(call obj,$(FLAME_SRCS))
CLI_OBJS := $(call obj,$(CLI_SRCS))
CLI_RECORD_OBJS := $(call obj,$(CLI_RECORD_SRCS))
RECORD_OBJS := $(call obj,$(RECORD_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
LDLIBS_RECORD := -lbpf -lelf -lz -llzma -liberty
# Everything but main and the recorder: what the analysis-only binary,
# the tests, tools and benchmarks link.
ANALYSIS_OBJS := $(LIB_OBJS) $(FORMAT_OBJS) $(REPORT_OBJS) $(FLAME_OBJS) $(CLI_OBJS)

# ---- layers (docs/ARCHITECTURE.md) --------------------------------------------
# Each layer compiles with its own headers and those of the layers below it
# only, so an include that crosses the layers fails to compile
# (scripts/check-layers.sh checks the rest). LAYER_DEBT_* are known
# crossings still to remove (scripts/layers-debt.txt).
LAYER_DEBT_report :=
INC_lib := -Ilib
INC_format := $(INC_lib) -Iformat
INC_flamegraph := $(INC_lib) -Iflamegraph
INC_report := $(INC_format) -Ireport $(LAYER_DEBT_report)
INC_record := $(INC_format) -Irecord -Ibpf -I$(BUILD)/bpf
INC_all := -Ilib -Iformat -Iflamegraph -Ireport -Irecord -Icli -Ibpf -I$(BUILD)/bpf -I$(BUILD)/gen
$(LIB_OBJS): INC := $(INC_lib)
$(FORMAT_OBJS): INC := $(INC_format)
$(FLAME_OBJS): INC := $(INC_flamegraph)
$(REPORT_OBJS): INC := $(INC_report)
$(RECORD_OBJS): INC := $(INC_record)
$(CLI_OBJS) $(CLI_RECORD_OBJS) $(call obj,cli/main.c): INC := $(INC_all)
TESTLIB_OBJS := $(call obj,$(TESTLIB_SRCS))
$(TESTLIB_OBJS): INC = $(INC_all) -Itests/lib
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all report tests tools samples bench-bins check demo bench fuzz fuzz-smoke setup clean
.DEFAULT_GOAL := all

all: $(BUILD)/trec tests tools samples

# The analysis-only front command: no recorder, no libbpf/libelf.
report: $(BUILD)/report/trec

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(INC) -MMD -MP -c $< -o $@

$(BUILD)/obj/cli/main.o $(BUILD)/obj/cli/main.report.o $(BUILD)/obj/record/hostmeta.o: $(VERSION_STAMP)

$(BUILD)/obj/cli/main.report.o: cli/main.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $< (analysis only)")
	$(Q)$(CC) $(CFLAGS) $(INC_all) -DTREC_ANALYSIS_ONLY -MMD -MP -c $< -o $@

$(BUILD)/trec: $(call obj,cli/main.c) $(CLI_RECORD_OBJS) $(ANALYSIS_OBJS) $(RECORD_OBJS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_RECORD) $(LDLIBS_ANALYSIS)

# ---- BPF: CO-RE objects and their skeletons ---------------------------------
# vmlinux.h comes from the build host's kernel BTF.
$(BUILD)/bpf/vmlinux.h:
	@mkdir -p $(dir $@)
	@test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux is missing: building the recorder needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; }
	$(if $(Q),@echo "  GEN     $@")
	$(Q)bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

BPF_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(BUILD)/bpf -Ibpf \
	-I/usr/include/$(shell uname -m)-linux-gnu -Wall -Wno-unused-function
ifeq ($(WERROR),1)
BPF_CFLAGS += -Werror
endif

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/bpf/vmlinux.h $(wildcard bpf/*.h)
	$(if $(Q),@echo "  BPF     $<")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(if $(Q),@echo "  SKEL    $@")
	$(Q)bpftool gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# Recorder objects include the skeletons.
$(RECORD_OBJS) $(CLI_RECORD_OBJS): | $(BPF_SKELS)

$(BUILD)/report/trec: $(BUILD)/obj/cli/main.report.o $(ANALYSIS_OBJS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_ANALYSIS)

# System call names of x86-64 traces for `trec report --latency syscalls`, from
# the kernel's uapi header (linux-libc-dev); empty where the header is missing.
SYSCALL_HDR := /usr/include/x86_64-linux-gnu/asm/unistd_64.h
$(BUILD)/gen/syscalls_x86_64.h:
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  GEN     $@")
	$(Q)if [ -r $(SYSCALL_HDR) ]; then \
		awk '$$1 == "#define" && $$2 ~ /^__NR_/ && $$3 ~ /^[0-9]+$$/ { sub("^__NR_", "", $$2); printf "\t[%d] = \"%s\",\n", $$3, $$2 }' $(SYSCALL_HDR); \
	else echo "/* $(SYSCALL_HDR) missing: numbers only */ NULL,"; fi > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/report/syscall_names.o: $(BUILD)/gen/syscalls_x86_64.h
$(BUILD)/obj/report/syscall_names.o: INC += -I$(BUILD)/gen

# The interactive report (cli/tui.c) where ncurses is: pkg-config's
# ncursesw or ncurses, else a header and link check. TREC_NO_CURSES=1
# builds without it (`trec report --tui` then says so and prints text).
ifneq ($(TREC_NO_CURSES),1)
CURSES_PC := $(shell for p in ncursesw ncurses; do $(PKG_CONFIG) --exists $$p 2>/dev/null && { echo $$p; break; }; done)
ifneq ($(CURSES_PC),)
CURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(CURSES_PC))
CURSES_LIBS := $(shell $(PKG_CONFIG) --libs $(CURSES_PC))
else
CURSES_LIBS := $(shell for l in '-lncursesw -ltinfo' -lncursesw '-lncurses -ltinfo' -lncurses; do \
	printf '#include <curses.h>\nint main(void) { return initscr() == 0; }\n' | \
	$(CC) -x c - -o /dev/null $$l >/dev/null 2>&1 && { echo "$$l"; break; }; done)
endif
endif
ifneq ($(CURSES_LIBS),)
$(call obj,cli/tui.c): INC += -DTREC_HAVE_CURSES $(CURSES_CFLAGS)
LDLIBS_ANALYSIS += $(CURSES_LIBS)
endif
# A change of TREC_NO_CURSES rebuilds cli/tui.o.
$(call obj,cli/tui.c): $(BUILD)/gen/curses.flags
$(BUILD)/gen/curses.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CURSES_LIBS)' | cmp -s - $@ || echo '$(CURSES_LIBS)' > $@
.PHONY: FORCE
FORCE:

tests: $(UNIT_BINS)

# test_rec_*: recorder unit tests, linked with record/ and libbpf/libelf.
$(BUILD)/tests/test_rec_%: tests/unit/test_rec_%.c $(TESTLIB_OBJS) $(ANALYSIS_OBJS) $(RECORD_OBJS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(INC_all) -Itests/lib -o $@ $^ -lcmocka $(LDLIBS_RECORD) $(LDLIBS_ANALYSIS)

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_OBJS) $(ANALYSIS_OBJS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(INC_all) -Itests/lib -o $@ $^ -lcmocka $(LDLIBS_ANALYSIS)

# samples/: small programs with known behaviour, traced by tests and demos.
# Frame pointers kept and no inlining or sibling calls, so their stacks are exact.
SAMPLE_SRCS := $(sort $(wildcard samples/*.c))
SAMPLE_BINS := $(patsubst samples/%.c,$(BUILD)/samples/%,$(SAMPLE_SRCS))
SAMPLE_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls -Wall -Wextra
samples: $(SAMPLE_BINS)
$(BUILD)/samples/%: samples/%.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  SAMPLE  $@")
	$(Q)$(CLANG) $(SAMPLE_CFLAGS) $(if $(filter 1,$(WERROR)),-Werror) -o $@ $<

# samples/nofp/: programs with a known call tree and CPU split built the way
# distributions build (gcc/g++ -O2, no frame pointers), for checking unwinders
# that do not rely on frame pointers (tests/e2e/unwind.t, bench/unwind_bench.sh).
# Every function of the tree is noipa in the source and sibling calls are off,
# so the stacks are exactly the source's. Each program also comes stripped
# (.stripped) with a separate debug file (.debug, objcopy --only-keep-debug);
# nofp_c loads libnofp_leaf.so (stripped; static functions on one path).
NOFP_FLAGS := -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
NOFP_DIR := $(BUILD)/samples
NOFP_BINS := $(foreach p,nofp_c nofp_cxx,$(NOFP_DIR)/$(p) $(NOFP_DIR)/$(p).stripped $(NOFP_DIR)/$(p).debug) \
	$(NOFP_DIR)/libnofp_leaf.so $(NOFP_DIR)/libnofp_leaf.so.debug
samples: $(NOFP_BINS)
$(NOFP_DIR)/libnofp_leaf.so.unstripped: samples/nofp/nofp_leaf.c samples/nofp/nofp_leaf.h
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  SAMPLE  $@")
	$(Q)gcc -std=c11 $(NOFP_FLAGS) -fPIC -shared -Wl,-soname,libnofp_leaf.so -o $@ $<
$(NOFP_DIR)/libnofp_leaf.so: $(NOFP_DIR)/libnofp_leaf.so.unstripped
	$(Q)strip --strip-all -o $@ $<
$(NOFP_DIR)/nofp_c: samples/nofp/nofp_c.c samples/nofp/nofp_leaf.h $(NOFP_DIR)/libnofp_leaf.so
	$(if $(Q),@echo "  SAMPLE  $@")
	$(Q)gcc -std=c11 $(NOFP_FLAGS) -o $@ $< -L$(NOFP_DIR) -l:libnofp_leaf.so -Wl,-rpath,'$$ORIGIN'
$(NOFP_DIR)/nofp_cxx: samples/nofp/nofp_cxx.cpp
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  SAMPLE  $@")
	$(Q)g++ -std=c++17 $(NOFP_FLAGS) -o $@ $<
$(NOFP_DIR)/%.stripped: $(NOFP_DIR)/%
	$(Q)strip --strip-all -o $@ $<
$(NOFP_DIR)/nofp_c.debug $(NOFP_DIR)/nofp_cxx.debug: $(NOFP_DIR)/%.debug: $(NOFP_DIR)/%
	$(Q)objcopy --only-keep-debug $< $@
$(NOFP_DIR)/libnofp_leaf.so.debug: $(NOFP_DIR)/libnofp_leaf.so.unstripped
	$(Q)objcopy --only-keep-debug $< $@

# Helper programs for tests and benchmarks (synthetic traces).
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
tools: $(TOOL_BINS)
$(BUILD)/tools/%: tests/tools/%.c $(TESTLIB_OBJS) $(ANALYSIS_OBJS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  TOOL    $@")
	$(Q)$(CC) $(CFLAGS) $(INC_all) -Itests/lib -o $@ $^ $(LDLIBS_ANALYSIS)

# The bare BPF consumer: the limit the recorder benchmark compares with.
$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(BUILD)/bpf/vmlinux.h
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BPF     $<")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(Q)bpftool gen skeleton $< name $(subst -,_,$*) > $@.tmp && mv $@.tmp $@
$(BUILD)/bench/bare_consumer: bench/bare_consumer.c $(BUILD)/bench/bare_tp.skel.h
	$(if $(Q),@echo "  BENCH   $@")
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/bench -o $@ $< -lbpf -lelf -lz
$(BUILD)/bench/runstat: bench/runstat.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $<
BENCH_BINS_RECORD := $(BUILD)/bench/bare_consumer $(BUILD)/bench/runstat

# Benchmarks (bench/bench_*.c), built optimized; `make bench` runs them.
BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
bench-bins: $(BENCH_BINS) $(BENCH_BINS_RECORD) samples tools $(BUILD)/trec
$(BUILD)/bench/%: bench/%.c $(TESTLIB_OBJS) $(ANALYSIS_OBJS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BENCH   $@")
	$(Q)$(CC) $(CFLAGS) $(INC_all) -Itests/lib -o $@ $^ $(LDLIBS_ANALYSIS)

setup:
	$(Q)scripts/setup-deps.sh

check:
	$(Q)scripts/run-tests.sh

demo:
	$(Q)scripts/demo.sh

bench:
	$(Q)bench/run.sh

# libFuzzer on the reader: `make fuzz` runs for FUZZ_SECONDS (default 600).
FUZZ_SECONDS ?= 600
fuzz:
	$(Q)scripts/fuzz.sh $(FUZZ_SECONDS)
fuzz-smoke:
	$(Q)scripts/fuzz.sh 30

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
