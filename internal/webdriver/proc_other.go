//go:build !unix

package webdriver

import (
	"os/exec"
	"time"
)

// setProcessGroup does nothing where process groups are not available.
func setProcessGroup(*exec.Cmd) {}

// stopProcessGroup kills the chromedriver process.
func stopProcessGroup(cmd *exec.Cmd, _ <-chan struct{}, _ time.Duration) {
	_ = cmd.Process.Kill()
}
