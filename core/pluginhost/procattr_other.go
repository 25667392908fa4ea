//go:build unix && !linux

package pluginhost

import "syscall"

// procAttr puts a plugin in its own process group. Without a parent-death
// signal, sdk.Serve's own watch of its parent ends orphaned plugins.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the plugin's whole process group.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
