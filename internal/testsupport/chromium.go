package testsupport

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// FindChromium returns the path of the browser for browser tests: $CHROME_PATH when set (it must be an
// executable), else the first of chromium, chromium-browser, google-chrome-stable and google-chrome on PATH.
func FindChromium() (string, error) {
	return findChromium(os.Getenv("CHROME_PATH"), exec.LookPath)
}

func findChromium(envPath string, lookPath func(string) (string, error)) (string, error) {
	if envPath != "" {
		p, err := lookPath(envPath)
		if err != nil {
			return "", fmt.Errorf("CHROME_PATH=%s: %w", envPath, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH (or set CHROME_PATH)")
}
