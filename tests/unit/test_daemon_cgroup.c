/*
 * test_daemon_cgroup.c: what the daemon reads from a cgroup v2 path
 * (daemon/cgroup.c): systemd unit, container id for each runtime's layout,
 * Kubernetes pod uid, and the cgroup2 mount in either host layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "8f2b7e43-9a6c-4d1e-b5f0-2c3d4e5f6a7b"
#define POD_ "8f2b7e43_9a6c_4d1e_b5f0_2c3d4e5f6a7b"

static void expect(const char *path, const char *unit, const char *container, const char *pod)
{
	struct pgd_cgroup_info info;

	pgd_cgroup_parse(path, &info);
	if (strcmp(info.unit, unit) || strcmp(info.container_id, container) ||
	    strcmp(info.pod_uid, pod))
		fail_msg("%s: unit '%s' container '%s' pod '%s'", path, info.unit,
			 info.container_id, info.pod_uid);
}

static void test_systemd(void **state)
{
	expect("/system.slice/ssh.service", "ssh.service", "", "");
	expect("/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "", "");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/jupyter.service",
	       "jupyter.service", "", "");
	expect("/", "", "", "");
	expect("", "", "", "");
	expect("/pgtest/plain", "", "", "");
}

static void test_containers(void **state)
{
	expect("/system.slice/docker-" ID ".scope", "docker-" ID ".scope", ID, "");
	expect("/docker/" ID, "", ID, "");
	expect("/machine.slice/libpod-" ID ".scope", "libpod-" ID ".scope", ID, "");
	expect("/system.slice/crio-" ID ".scope", "crio-" ID ".scope", ID, "");
	/* conmon, the runtime's monitor, is not the container */
	expect("/system.slice/crio-conmon-" ID ".scope", "crio-conmon-" ID ".scope", "", "");
	/* not 64 lowercase hex: no id */
	expect("/docker/" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "", "",
	       "");
	expect("/docker/0123", "", "", "");
}

static void test_kubernetes(void **state)
{
	/* systemd cgroup driver, containerd */
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	       ".slice/cri-containerd-" ID ".scope",
	       "cri-containerd-" ID ".scope", ID, POD);
	/* cgroupfs driver */
	expect("/kubepods/burstable/pod" POD "/" ID, "", ID, POD);
	expect("/kubepods.slice/kubepods-pod" POD_ ".slice", "", "", POD);
}

static void test_cgroup2_mount(void **state)
{
	char point[256];
	/* a hybrid host: v1 controllers, cgroup2 at /sys/fs/cgroup/unified */
	static const char hybrid[] =
		"25 30 0:22 / /sys rw - sysfs sysfs rw\n"
		"31 25 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
		"32 31 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		"33 31 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	static const char unified[] = "31 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
	static const char none[] = "31 25 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";

	assert_true(pgd_cgroup2_mount(hybrid, point, sizeof(point)));
	assert_string_equal(point, "/sys/fs/cgroup/unified");
	assert_true(pgd_cgroup2_mount(unified, point, sizeof(point)));
	assert_string_equal(point, "/sys/fs/cgroup");
	assert_false(pgd_cgroup2_mount(none, point, sizeof(point)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_cgroup2_mount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
