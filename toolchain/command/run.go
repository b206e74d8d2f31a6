package main

// Running one command line the way pulumi-command 1.2.1's local provider does
// (provider/pkg/provider/local/commandOutputs.go upstream): interpreter (default /bin/sh -c),
// dir (default the provider's working directory), the process environment plus `environment`,
// PULUMI_COMMAND_STDOUT/STDERR from the previous run when non-empty, stdin, stdout and stderr
// captured apart and one trailing "\n" trimmed, the lines selected by `logging` streamed to the
// engine as ephemeral info messages of the resource, and on failure the error
// `<exit error>: running "<command>":\n<stdout and stderr interleaved>`.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
)

// spec is what a run needs from the resource's (or function's) inputs.
type spec struct {
	dir         string
	env         []string
	interpreter []string
	stdin       string
	addPrevious bool
	logStdout   bool
	logStderr   bool
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func str(m resource.PropertyMap, k resource.PropertyKey) (string, bool) {
	v, ok := m[k]
	if !ok {
		return "", false
	}
	if v = unwrap(v); v.IsString() {
		return v.StringValue(), true
	}
	return "", false
}

func strOr(m resource.PropertyMap, k resource.PropertyKey) string {
	s, _ := str(m, k)
	return s
}

func specFrom(m resource.PropertyMap) spec {
	s := spec{addPrevious: true, logStdout: true, logStderr: true}
	s.dir = strOr(m, "dir")
	s.stdin = strOr(m, "stdin")
	if l, ok := str(m, "logging"); ok {
		s.logStdout = l == "stdout" || l == "stdoutAndStderr"
		s.logStderr = l == "stderr" || l == "stdoutAndStderr"
	}
	if v, ok := m["addPreviousOutputInEnv"]; ok {
		if u := unwrap(v); u.IsBool() {
			s.addPrevious = u.BoolValue()
		}
	}
	if v, ok := m["interpreter"]; ok {
		if u := unwrap(v); u.IsArray() {
			for _, e := range u.ArrayValue() {
				if e = unwrap(e); e.IsString() {
					s.interpreter = append(s.interpreter, e.StringValue())
				}
			}
		}
	}
	if len(s.interpreter) == 0 {
		s.interpreter = []string{"/bin/sh", "-c"}
	}
	if v, ok := m["environment"]; ok {
		if u := unwrap(v); u.IsObject() {
			obj := u.ObjectValue()
			for _, k := range obj.StableKeys() {
				if e := unwrap(obj[k]); e.IsString() {
					s.env = append(s.env, string(k)+"="+e.StringValue())
				}
			}
		}
	}
	return s
}

// previousEnv: the last create/update's outputs, only when non-empty (as upstream).
func previousEnv(s spec, outputs resource.PropertyMap) []string {
	if !s.addPrevious || outputs == nil {
		return nil
	}
	var env []string
	if out := strOr(outputs, "stdout"); out != "" {
		env = append(env, "PULUMI_COMMAND_STDOUT="+out)
	}
	if errOut := strOr(outputs, "stderr"); errOut != "" {
		env = append(env, "PULUMI_COMMAND_STDERR="+errOut)
	}
	return env
}

// lockedWriter lets stdout and stderr share one buffer (the error message's interleaved output).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// run executes one command line and returns its stdout and stderr (one trailing "\n" trimmed).
func run(ctx context.Context, host *provider.HostClient, urn resource.URN, command string, s spec,
	extraEnv []string,
) (string, string, error) {
	args := append(append([]string{}, s.interpreter[1:]...), command)
	cmd := exec.CommandContext(ctx, s.interpreter[0], args...)
	cmd.Dir = s.dir
	if cmd.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		cmd.Dir = wd
	}
	cmd.Env = append(append(os.Environ(), s.env...), extraEnv...)
	if s.stdin != "" {
		cmd.Stdin = strings.NewReader(s.stdin)
	}

	var stdout, stderr, both bytes.Buffer
	var mu sync.Mutex
	logR, logW := io.Pipe()
	outWriters := []io.Writer{&stdout, lockedWriter{&mu, &both}}
	if s.logStdout {
		outWriters = append(outWriters, lockedWriter{&mu, logW})
	}
	errWriters := []io.Writer{&stderr, lockedWriter{&mu, &both}}
	if s.logStderr {
		errWriters = append(errWriters, lockedWriter{&mu, logW})
	}
	cmd.Stdout = io.MultiWriter(outWriters...)
	cmd.Stderr = io.MultiWriter(errWriters...)

	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(logR)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if host != nil {
				_ = host.LogStatus(ctx, diag.Info, urn, sc.Text())
			}
		}
		_, _ = io.Copy(io.Discard, logR) // a line over 1 MiB: keep draining
	}()

	err := cmd.Run()
	_ = logW.Close()
	<-logged
	if err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, command, both.String())
	}
	return strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n"), nil
}
