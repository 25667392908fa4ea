package pluginhost

import "syscall"

// procAttr puts a plugin in its own process group, so that stopping it
// reaches its children too, and asks the kernel to kill it when the host
// dies, even by SIGKILL.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the plugin's whole process group.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
