/* Unit tests of the pure parsers and the UTF-8 guard, on byte strings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "parse.h"
#include "qemu_args.h"
#include "text.h"

static struct qemu_args args;

static void parse_args(const char *buf, size_t len)
{
	qemu_args_free(&args);
	CHECK(parse_qemu_cmdline(buf, len, &args) == 0);
}

static bool name_is(const char *want)
{
	return args.name && args.name_len == strlen(want) && memcmp(args.name, want, args.name_len) == 0;
}

static void name_from_libvirt_guest_key(void)
{
	parse_args(BYTES("/usr/libexec/qemu-kvm\0-name\0guest=instance-00001782,debug-threads=on\0-S\0"
			 "-uuid\0006f2ade4b-2732-4202-b750-48daee771b06\0-smbios\0type=1,uuid=x\0"));
	CHECK(name_is("instance-00001782"));
	CHECK(args.has_uuid);
	CHECK_STR(args.uuid, "6f2ade4b-2732-4202-b750-48daee771b06");
}

static void name_plain_old_style(void)
{
	parse_args(BYTES("qemu-system-x86_64\0-name\0web01\0-m\0001024\0"));
	CHECK(name_is("web01"));
	CHECK(!args.has_uuid && !args.uuid_malformed);
}

static void name_plain_with_trailing_keys(void)
{
	parse_args(BYTES("kvm\0-name\0db,process=qemu-db,debug-threads=on\0"));
	CHECK(name_is("db"));
}

static void name_double_comma_is_literal_comma(void)
{
	parse_args(BYTES("kvm\0-name\0guest=a,,b,,,debug-threads=on\0"));
	CHECK(name_is("a,b,"));
	parse_args(BYTES("kvm\0-name\0x,,y=z,debug-threads=on\0"));
	CHECK(name_is("x,y=z"));
}

static void name_guest_key_after_other_keys(void)
{
	parse_args(BYTES("kvm\0--name\0process=p,debug-threads,guest=late\0"));
	CHECK(name_is("late"));
}

static void name_empty_and_missing(void)
{
	parse_args(BYTES("kvm\0-name\0\0-m\0001\0"));
	CHECK(name_is(""));
	parse_args(BYTES("kvm\0-name\0guest=,debug-threads=on\0"));
	CHECK(name_is(""));
	parse_args(BYTES("kvm\0-m\0001024\0"));
	CHECK(args.name == NULL);
	parse_args(BYTES("kvm\0-name\0process=only,debug-threads=on\0"));
	CHECK(args.name == NULL);
	parse_args(BYTES("kvm\0-name"));
	CHECK(args.name == NULL);
}

static void name_last_one_wins_and_keeps_bytes(void)
{
	parse_args(BYTES("kvm\0-name\0first\0-name\0guest=se\xc3\xa7ond \"q\"\0"));
	CHECK(name_is("se\xc3\xa7ond \"q\""));
}

static void name_without_final_nul(void)
{
	parse_args(BYTES("kvm\0-name\0guest=cut"));
	CHECK(name_is("cut"));
}

static void uuid_forms(void)
{
	parse_args(BYTES("kvm\0--uuid\0006F2ADE4B-2732-4202-B750-48DAEE771B06\0"));
	CHECK(args.has_uuid);
	CHECK_STR(args.uuid, "6f2ade4b-2732-4202-b750-48daee771b06");
	parse_args(BYTES("kvm\0-uuid\0006f2ade4b27324202b75048daee771b06\0"));
	CHECK(!args.has_uuid && args.uuid_malformed);
	parse_args(BYTES("kvm\0-uuid\0006f2ade4b-2732-4202-b750-48daee771b0g\0"));
	CHECK(!args.has_uuid && args.uuid_malformed);
}

/* Proxmox VE passes no -uuid, only -smbios type=1,uuid=...; -uuid wins. */
static void uuid_from_smbios_type1(void)
{
	parse_args(BYTES("/usr/bin/kvm\0-id\000100\0-name\0pve-web,debug-threads=on\0"
			 "-smbios\0type=1,uuid=6CF17DC3-8341-4ecc-aebd-7503f2583fb3\0"));
	CHECK(args.has_uuid && !args.uuid_malformed);
	CHECK_STR(args.uuid, "6cf17dc3-8341-4ecc-aebd-7503f2583fb3");
	CHECK_STR(args.id, "100");
	CHECK(name_is("pve-web"));
	parse_args(BYTES("kvm\0-smbios\0type=1,manufacturer=Red Hat,,Inc.,product=x,uuid=6cf17dc3-8341-4ecc-aebd-7503f2583fb3,"
			 "serial=s\0"));
	CHECK(args.has_uuid);
	CHECK_STR(args.uuid, "6cf17dc3-8341-4ecc-aebd-7503f2583fb3");
	parse_args(BYTES("kvm\0-smbios\0uuid=6cf17dc3-8341-4ecc-aebd-7503f2583fb3,type=1\0"));
	CHECK(args.has_uuid);
	parse_args(BYTES("kvm\0-smbios\0type=2,uuid=6cf17dc3-8341-4ecc-aebd-7503f2583fb3\0"));
	CHECK(!args.has_uuid && !args.uuid_malformed);
	parse_args(BYTES("kvm\0-smbios\0type=11,uuid=6cf17dc3-8341-4ecc-aebd-7503f2583fb3\0"));
	CHECK(!args.has_uuid);
	parse_args(BYTES("kvm\0-smbios\0type=1,uuid=not-a-uuid\0"));
	CHECK(!args.has_uuid && args.uuid_malformed);
	parse_args(BYTES("kvm\0-smbios\0type=1,uuid=6cf17dc3-8341-4ecc-aebd-7503f2583fb3\0"
			 "-uuid\0" "00000000-0000-4000-8000-000000000001\0"));
	CHECK_STR(args.uuid, "00000000-0000-4000-8000-000000000001");
	parse_args(BYTES("kvm\0-smbios\0type=1,uuid=6cf17dc3-8341-4ecc-aebd-7503f2583fb3,,x\0"));
	CHECK(!args.has_uuid && args.uuid_malformed); /* ",," is part of the value */
	parse_args(BYTES("kvm\0-smbios\0file=/tmp/x,type=1\0-smbios\0type=1\0"));
	CHECK(!args.has_uuid && !args.uuid_malformed);
}

static void vm_id_from_proxmox(void)
{
	parse_args(BYTES("/usr/bin/kvm\0-id\000123456789\0"));
	CHECK_STR(args.id, "123456789");
	CHECK(!args.id_malformed);
	parse_args(BYTES("/usr/bin/kvm\0-id\0a\"b\0"));
	CHECK_STR(args.id, "");
	CHECK(args.id_malformed);
	parse_args(BYTES("/usr/bin/kvm\0-id\0\0"));
	CHECK(args.id_malformed && args.id[0] == '\0');
	parse_args(BYTES("/usr/bin/kvm\0-id\0000123456789012345678901234567890123\0"));
	CHECK(args.id_malformed && args.id[0] == '\0');
	parse_args(BYTES("/usr/bin/kvm\0-name\0x\0"));
	CHECK(!args.id_malformed && args.id[0] == '\0');
	parse_args(BYTES("/usr/bin/kvm\0-id\0"));
	CHECK(!args.id_malformed && args.id[0] == '\0');
}

static void cpu_list_from_mask(void)
{
	char cpus[CPU_LIST_MAX + 1];
	unsigned char mask[32] = { 0 };

	CHECK(format_cpu_list(mask, 256, cpus) == -EINVAL);
	mask[0] = 0x0f; mask[1] = 0x01; /* 0-3, 8 */
	mask[1] |= 0xfc; mask[7] = 0xff; /* 10-15, 56-63 */
	CHECK(format_cpu_list(mask, 256, cpus) == 0);
	CHECK_STR(cpus, "0-3,8,10-15,56-63");
	memset(mask, 0, sizeof(mask));
	mask[0] = 0x02; /* a single CPU, no range */
	CHECK(format_cpu_list(mask, 256, cpus) == 0);
	CHECK_STR(cpus, "1");
	memset(mask, 0xff, sizeof(mask)); /* every CPU up to the mask's end */
	CHECK(format_cpu_list(mask, 256, cpus) == 0);
	CHECK_STR(cpus, "0-255");
	memset(mask, 0x55, sizeof(mask)); /* every other CPU: longer than CPU_LIST_MAX, never cut */
	CHECK(format_cpu_list(mask, 256, cpus) == -ENOSPC);
}

static void cpu_list_from_status(void)
{
	char cpus[CPU_LIST_MAX + 1];

	CHECK(parse_status_cpus(BYTES("Name:\tCPU 0/KVM\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n"), cpus) == 0);
	CHECK_STR(cpus, "0-1");
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t2-3,8,10-63"), cpus) == 0);
	CHECK_STR(cpus, "2-3,8,10-63");
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t5\n"), cpus) == 0);
	CHECK_STR(cpus, "5");
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t\n"), cpus) == -EINVAL);
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t1-\n"), cpus) == -EINVAL);
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t1-2-3\n"), cpus) == -EINVAL);
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t,1\n"), cpus) == -EINVAL);
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t1,,2\n"), cpus) == -EINVAL);
	CHECK(parse_status_cpus(BYTES("Cpus_allowed_list:\t0-1 \"x\"\n"), cpus) == -EINVAL);
	CHECK(parse_status_cpus(BYTES("Name:\tx\n"), cpus) == -EINVAL);
	{
		char big[400] = "Cpus_allowed_list:\t0";
		for (int i = 2; i < 200; i += 2)
			snprintf(big + strlen(big), sizeof(big) - strlen(big), ",%d", i);
		CHECK(parse_status_cpus(big, strlen(big), cpus) == -EINVAL); /* longer than CPU_LIST_MAX: not cut */
	}
}

static void cgroup_of_a_thread(void)
{
	struct cgroup_ref ref;

	/* cgroup v1 with cpu and cpuacct mounted together (RHEL), the libvirt vCPU cgroup */
	CHECK(parse_proc_cgroup(BYTES("12:pids:/machine.slice\n4:cpu,cpuacct:/machine.slice/machine-qemu\\x2d1\\x2dvm.scope/libvirt/vcpu0\n"
				      "1:name=systemd:/machine.slice\n0::/machine.slice\n"), &ref) == 0);
	CHECK(ref.v1);
	CHECK_STR(ref.controllers, "cpu,cpuacct");
	CHECK_STR(ref.path, "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope/libvirt/vcpu0");
	/* this machine: cpu and cpuacct apart */
	CHECK(parse_proc_cgroup(BYTES("2:cpuacct:/\n1:cpu:/kvmsteal test\n0::/\n"), &ref) == 0);
	CHECK(ref.v1);
	CHECK_STR(ref.controllers, "cpu");
	CHECK_STR(ref.path, "/kvmsteal test");
	/* cgroup v2 only (Proxmox VE 7+) */
	CHECK(parse_proc_cgroup(BYTES("0::/qemu.slice/100.scope\n"), &ref) == 0);
	CHECK(!ref.v1);
	CHECK_STR(ref.path, "/qemu.slice/100.scope");
	/* "cpuset" is not "cpu" */
	CHECK(parse_proc_cgroup(BYTES("3:cpuset:/x\n"), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("3:cpuset:/x\n0::/y"), &ref) == 0 && !ref.v1);
	/* paths that would leave the hierarchy, or are not absolute */
	CHECK(parse_proc_cgroup(BYTES("0::/a/../../etc\n"), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("0::/..\n"), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("0::/a/./b\n"), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("0::relative\n"), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("0::/a\tb\n"), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("0::/a..b/...\n"), &ref) == 0); /* only whole "." and ".." components */
	CHECK(parse_proc_cgroup(BYTES(""), &ref) == -EINVAL);
	CHECK(parse_proc_cgroup(BYTES("garbage\n:::\n"), &ref) == -EINVAL);
}

static void cgroup_limits_and_throttling(void)
{
	int64_t quota, value;
	uint64_t period, throttled;

	CHECK(parse_cpu_max(BYTES("max 100000\n"), &quota, &period) == 0 && quota == -1 && period == 100000);
	CHECK(parse_cpu_max(BYTES("20000 100000\n"), &quota, &period) == 0 && quota == 20000 && period == 100000);
	CHECK(parse_cpu_max(BYTES("20000\n"), &quota, &period) == -EINVAL);
	CHECK(parse_cpu_max(BYTES("0 100000\n"), &quota, &period) == -EINVAL);
	CHECK(parse_cpu_max(BYTES("20000 0\n"), &quota, &period) == -EINVAL);
	CHECK(parse_cpu_max(BYTES("maxx 100000\n"), &quota, &period) == -EINVAL);
	CHECK(parse_cgroup_int(BYTES("-1\n"), &value) == 0 && value == -1);
	CHECK(parse_cgroup_int(BYTES("50000\n"), &value) == 0 && value == 50000);
	CHECK(parse_cgroup_int(BYTES("5e4\n"), &value) == -EINVAL);
	CHECK(parse_cgroup_int(BYTES(""), &value) == -EINVAL);
	CHECK(parse_cpu_stat(BYTES("nr_periods 30\nnr_throttled 24\nthrottled_time 2320000000\nnr_bursts 0\n"),
			     "throttled_time", &throttled) == 0 && throttled == 2320000000ULL);
	CHECK(parse_cpu_stat(BYTES("usage_usec 5\nthrottled_usec 77\n"), "throttled_usec", &throttled) == 0 && throttled == 77);
	CHECK(parse_cpu_stat(BYTES("throttled_usecs 77\n"), "throttled_usec", &throttled) == -EINVAL);
	CHECK(parse_cpu_stat(BYTES("throttled_usec x\n"), "throttled_usec", &throttled) == -EINVAL);
	CHECK(parse_cpu_stat(BYTES("throttled_us"), "throttled_usec", &throttled) == -EINVAL);
}

static void qemu_program_names(void)
{
	CHECK(parse_is_qemu_program(BYTES("kvm-spice")));
	CHECK(!parse_is_qemu_program(BYTES("kvm-spice2")));
	CHECK(parse_is_qemu_argv0(BYTES("/usr/bin/kvm\0-id\000100\0")));
	CHECK(!parse_is_qemu_argv0(BYTES("/bin/bash\0/usr/local/bin/qemu-system-x86_64\0-name\0x\0")));
	CHECK(parse_is_qemu_program(BYTES("qemu-kvm")));
	CHECK(parse_is_qemu_program(BYTES("kvm")));
	CHECK(parse_is_qemu_program(BYTES("qemu-system-x86")));
	CHECK(!parse_is_qemu_program(BYTES("qemu-system-")));
	CHECK(!parse_is_qemu_program(BYTES("kvmtop")));
	CHECK(!parse_is_qemu_program(BYTES("qemu-img")));
	CHECK(parse_is_qemu_argv0(BYTES("/usr/bin/qemu-system-x86_64\0-name\0x\0")));
	CHECK(parse_is_qemu_argv0(BYTES("/usr/libexec/qemu-kvm\0")));
	CHECK(!parse_is_qemu_argv0(BYTES("less\0qemu-system-x86_64.log\0-name\0guest=x\0")));
	CHECK(!parse_is_qemu_argv0(BYTES("virsh\0console\0qemu-kvm\0")));
	CHECK(!parse_is_qemu_argv0(BYTES("")));
}

static void vcpu_thread_names(void)
{
	struct vcpu_name v;

	CHECK(parse_vcpu_comm(BYTES("CPU 0/KVM"), &v) && v.id == 0 && !v.tcg);
	CHECK(parse_vcpu_comm(BYTES("CPU 511/KVM"), &v) && v.id == 511 && !v.tcg);
	CHECK(parse_vcpu_comm(BYTES("CPU 3/TCG"), &v) && v.id == 3 && v.tcg);
	CHECK(!parse_vcpu_comm(BYTES("ALL CPUs/TCG"), &v));
	CHECK(!parse_vcpu_comm(BYTES("CPU /KVM"), &v));
	CHECK(!parse_vcpu_comm(BYTES("CPU 01/KVM"), &v));
	CHECK(!parse_vcpu_comm(BYTES("CPU 1/KVMX"), &v));
	CHECK(!parse_vcpu_comm(BYTES("CPU -1/KVM"), &v));
	CHECK(!parse_vcpu_comm(BYTES("worker"), &v));
}

static void schedstat_lines(void)
{
	struct schedstat s;

	CHECK(parse_schedstat(BYTES("189601784545 36269883 2783129\n"), &s) == 0);
	CHECK(s.cpu_ns == 189601784545ULL && s.wait_ns == 36269883ULL && s.timeslices == 2783129ULL);
	CHECK(parse_schedstat(BYTES("0 0 0"), &s) == 0 && s.wait_ns == 0);
	CHECK(parse_schedstat(BYTES("18446744073709551615 1 2\n"), &s) == 0 && s.cpu_ns == UINT64_MAX);
	CHECK(parse_schedstat(BYTES("18446744073709551616 1 2\n"), &s) != 0);
	CHECK(parse_schedstat(BYTES("1 2\n"), &s) != 0);
	CHECK(parse_schedstat(BYTES(""), &s) != 0);
	CHECK(parse_schedstat(BYTES("1 2 3 4\n"), &s) != 0);
	CHECK(parse_schedstat(BYTES("1 -2 3\n"), &s) != 0);
	CHECK(parse_schedstat(BYTES("1 2x 3\n"), &s) != 0);
}

/* A real line, with the comm replaced by one holding spaces and ')'. */
static const char stat_line[] =
	"4031 (CPU 0/KVM) x) S 1 4031 4031 0 -1 138412352 3451 0 0 0 "
	"1234 567 0 0 20 0 9 0 98765 1234567890 2000 18446744073709551615 1 1 0 0 0 0 "
	"2147171071 4096 66 0 0 0 -1 1 0 0 0 890 0 0 0 0 0 0 0 0 0 0\n";

static void pid_stat_with_hostile_comm(void)
{
	struct pid_stat st;

	CHECK(parse_pid_stat(BYTES(stat_line), &st) == 0);
	CHECK_STR(st.comm, "CPU 0/KVM) x");
	CHECK(st.state == 'S');
	CHECK(st.utime == 1234 && st.stime == 567);
	CHECK(st.num_threads == 9);
	CHECK(st.starttime == 98765);
	CHECK(st.guest_time == 890);
	CHECK(parse_pid_stat(stat_line, 60, &st) != 0); /* truncated */
	CHECK(parse_pid_stat(BYTES("garbage"), &st) != 0);
	CHECK(parse_pid_stat(BYTES("1 (a) S 1 2 3\n"), &st) != 0);
}

static void proc_stat_cpu_lines(void)
{
	struct host_stat h;

	CHECK(parse_proc_stat(BYTES("cpu  100 2 30 400 5 6 7 8 90 1\ncpu0 50 1 15 200 2 3 3 4 45 1\n"
				    "cpu1 50 1 15 200 3 3 4 4 45 0\nintr 12345 1 2\nctxt 99\n"), &h) == 0);
	CHECK(h.cpu_count == 2);
	CHECK(h.cpu.user == 100 && h.cpu.nice == 2 && h.cpu.system == 30 && h.cpu.idle == 400);
	CHECK(h.cpu.iowait == 5 && h.cpu.irq == 6 && h.cpu.softirq == 7 && h.cpu.steal == 8);
	CHECK(h.cpu.guest == 90 && h.cpu.guest_nice == 1);
	/* an old kernel's shorter line */
	CHECK(parse_proc_stat(BYTES("cpu 1 2 3 4\ncpu0 1 2 3 4\n"), &h) == 0 && h.cpu.steal == 0);
	CHECK(parse_proc_stat(BYTES("cpu 1 2 3\ncpu0 1 2 3\n"), &h) != 0);
	CHECK(parse_proc_stat(BYTES("cpu 1 2 3 4 5 6 7 8 9 10\n"), &h) != 0);         /* no cpuN */
	CHECK(parse_proc_stat(BYTES("cpu 1 2 3 4 5 6 7 8 9 10\ncpu0 1 2"), &h) != 0); /* cut */
	CHECK(parse_proc_stat(BYTES("intr 1\n"), &h) != 0);
	CHECK(parse_proc_stat(BYTES(""), &h) != 0);
}

static void proc_stat_each_cpu(void)
{
	struct cpu_line lines[4];
	/* CPU 1 offline: its line is missing */
	const char *text = "cpu  9 0 9 9 0 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu2 11 0 13 14 0 16 17 0 0 0\nintr 1\n";

	CHECK(parse_proc_stat_cpus(text, strlen(text), lines, 4) == 2);
	CHECK(lines[0].id == 0 && lines[0].t.user == 1 && lines[0].t.guest_nice == 10);
	CHECK(lines[1].id == 2 && lines[1].t.system == 13 && lines[1].t.softirq == 17);
	CHECK(parse_proc_stat_cpus(text, strlen(text), lines, 1) == -ENOSPC);
	CHECK(parse_proc_stat_cpus(BYTES("cpu 1 2 3 4\ncpu3 1 2 3 4\ncpu3 1 2 3 4\n"), lines, 4) == -EINVAL);
	CHECK(parse_proc_stat_cpus(BYTES("cpu 1 2 3 4\ncpu0 1 2 3\n"), lines, 4) == -EINVAL);
	CHECK(parse_proc_stat_cpus(BYTES("cpu 1 2 3 4\ncpu99999999999 1 2 3 4\n"), lines, 4) == -EINVAL);
}

static bool cpu_list_is(const char *list, size_t ncpus, const char *want)
{
	unsigned char mask[8];
	char back[CPU_LIST_MAX + 1];

	return parse_cpu_list(list, mask, ncpus) == 0 && format_cpu_list(mask, ncpus, back) == 0 &&
	       strcmp(back, want) == 0;
}

static void cpu_lists(void)
{
	unsigned char mask[8];

	CHECK(cpu_list_is("0-3,8", 64, "0-3,8"));
	CHECK(cpu_list_is("5", 64, "5"));
	CHECK(cpu_list_is("0,1,2,7-9", 64, "0-2,7-9"));
	CHECK(cpu_list_is("2-3,7", 4, "2-3"));        /* past ncpus: left out */
	CHECK(cpu_list_is("0-4294967295", 8, "0-7")); /* a huge range costs ncpus steps */
	CHECK(parse_cpu_list("", mask, 64) == -EINVAL);
	CHECK(parse_cpu_list("3-1", mask, 64) == -EINVAL);
	CHECK(parse_cpu_list("1,", mask, 64) == -EINVAL);
	CHECK(parse_cpu_list("1-", mask, 64) == -EINVAL);
	CHECK(parse_cpu_list("a", mask, 64) == -EINVAL);
	CHECK(parse_cpu_list("4294967296", mask, 64) == -EINVAL);
	CHECK(parse_cpu_list("1 ", mask, 64) == -EINVAL);
}

static bool sanitizes_to(const char *in, size_t len, const char *want)
{
	char out[TEXT_UTF8_MAX(64)];
	size_t n = text_to_utf8(in, len, out);
	return n == strlen(want) && strcmp(out, want) == 0 && text_is_utf8(out, n);
}

static void utf8_guard(void)
{
	CHECK(sanitizes_to(BYTES("plain"), "plain"));
	CHECK(sanitizes_to(BYTES("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80"));
	CHECK(sanitizes_to(BYTES("a\xff" "b"), "a\xef\xbf\xbd" "b"));
	CHECK(sanitizes_to(BYTES("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd"));      /* overlong */
	CHECK(sanitizes_to(BYTES("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")); /* surrogate */
	CHECK(sanitizes_to(BYTES("\xe6\x97"), "\xef\xbf\xbd"));                 /* cut sequence: one U+FFFD */
	CHECK(sanitizes_to(BYTES("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	CHECK(sanitizes_to(BYTES("a\0b"), "a\xef\xbf\xbd" "b"));
	CHECK(sanitizes_to(BYTES("tab\there\x01"), "tab\there\x01")); /* JSON escapes these later */
	CHECK(!text_is_utf8(BYTES("\x80")));
}

int main(void)
{
	RUN(name_from_libvirt_guest_key);
	RUN(name_plain_old_style);
	RUN(name_plain_with_trailing_keys);
	RUN(name_double_comma_is_literal_comma);
	RUN(name_guest_key_after_other_keys);
	RUN(name_empty_and_missing);
	RUN(name_last_one_wins_and_keeps_bytes);
	RUN(name_without_final_nul);
	RUN(uuid_forms);
	RUN(uuid_from_smbios_type1);
	RUN(vm_id_from_proxmox);
	RUN(cpu_list_from_status);
	RUN(cpu_list_from_mask);
	RUN(cgroup_of_a_thread);
	RUN(cgroup_limits_and_throttling);
	RUN(qemu_program_names);
	RUN(vcpu_thread_names);
	RUN(schedstat_lines);
	RUN(pid_stat_with_hostile_comm);
	RUN(proc_stat_cpu_lines);
	RUN(proc_stat_each_cpu);
	RUN(cpu_lists);
	RUN(utf8_guard);
	qemu_args_free(&args);
	return check_report("test_parse");
}
