//go:build !linux

package soak

import "os/exec"

// dieWithParent does nothing where the kernel has no parent-death signal; the test's cleanups kill the
// children.
func dieWithParent(*exec.Cmd) {}
