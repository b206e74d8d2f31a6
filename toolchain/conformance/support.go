// Helpers of the conformance command (main.go): the known-failures file, test selection, our host's
// process, logs and clean-up of each test's node_modules.

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/pkg/v3/testing/pulumi-test-language/tests"
	testingrpc "github.com/pulumi/pulumi/sdk/v3/proto/go/testing"
)

// syncWriter serialises writes from concurrent tests and subprocesses into one log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// readExpected reads the known failures: test name, whitespace, the reason.
func readExpected(path string) (map[string]string, error) {
	known := map[string]string{}
	if path == "" {
		return known, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		if _, ok := tests.LanguageTests[name]; !ok {
			return nil, fmt.Errorf("%s: %q is not a test of this suite", path, name)
		}
		known[name] = strings.TrimSpace(reason)
	}
	return known, nil
}

// removeNodeModules deletes every node_modules directory under dir.
func removeNodeModules(dir string) {
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil //nolint:nilerr // best effort
		}
		if d.Name() == "node_modules" {
			_ = os.RemoveAll(path)
			return filepath.SkipDir
		}
		return nil
	})
}

// redirectStdio points fds 1 and 2 at f and returns files for the original stdout and stderr.
func redirectStdio(f *os.File) (*os.File, *os.File, error) {
	outFd, err := syscall.Dup(1)
	if err != nil {
		return nil, nil, err
	}
	errFd, err := syscall.Dup(2)
	if err != nil {
		return nil, nil, err
	}
	if err := syscall.Dup2(int(f.Fd()), 1); err != nil {
		return nil, nil, err
	}
	if err := syscall.Dup2(int(f.Fd()), 2); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(outFd), "stdout"), os.NewFile(uintptr(errFd), "stderr"), nil
}

func selectTests(runPattern, skipPattern string) []string {
	runRe := regexp.MustCompile(runPattern)
	var skipRe *regexp.Regexp
	if skipPattern != "" {
		skipRe = regexp.MustCompile(skipPattern)
	}
	var out []string
	for name := range tests.LanguageTests {
		if strings.HasPrefix(name, "internal-") || !runRe.MatchString(name) {
			continue
		}
		if skipRe != nil && skipRe.MatchString(name) {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// startHost starts our language host as the engine does and returns its address.
func startHost(bin, engineAddr string, log io.Writer) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, engineAddr)
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the host and the node programs it starts
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, "", fmt.Errorf("reading the port: %w", err)
	}
	// The rest of its stdout is the programs' output.
	go func() { _, _ = io.Copy(log, rd) }()
	return cmd, "127.0.0.1:" + strings.TrimSpace(line), nil
}

func failureLines(res *testingrpc.RunLanguageTestResponse, err error) []string {
	if err != nil {
		return strings.Split(err.Error(), "\n")
	}
	var out []string
	for _, m := range res.GetMessages() {
		lines := strings.Split(strings.TrimSpace(m), "\n")
		if len(lines) > 12 {
			lines = append(lines[:12], fmt.Sprintf("... (%d more lines in the test's log)", len(lines)-12))
		}
		out = append(out, lines...)
	}
	return out
}

func writeTestLog(path string, res *testingrpc.RunLanguageTestResponse, err error) {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	if res != nil {
		fmt.Fprintf(&b, "success: %v\n", res.GetSuccess())
		for _, m := range res.GetMessages() {
			fmt.Fprintf(&b, "message: %s\n", m)
		}
		fmt.Fprintf(&b, "---- stdout\n%s\n---- stderr\n%s\n", res.GetStdout(), res.GetStderr())
	}
	_ = os.WriteFile(path, []byte(b.String()), 0o644)
}
