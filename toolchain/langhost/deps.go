package main

// Dependencies: the program's installed packages (for `pulumi about`) and `npm install`, whose
// output streams back to the engine.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func (h *nodeHost) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), "")
	pj, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return &pulumirpc.GetProgramDependenciesResponse{}, nil
	}
	names := make([]string, 0, len(pj.Dependencies))
	for n := range pj.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	var deps []*pulumirpc.DependencyInfo
	for _, n := range names {
		v := pj.Dependencies[n]
		if inst, err := readPackageJSON(filepath.Join(dir, "node_modules", n, "package.json")); err == nil {
			v = inst.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

type streamWriter struct {
	send func([]byte) error
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := make([]byte, len(p))
	copy(b, p)
	if err := w.send(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *nodeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := req.GetDirectory()
	if dir == "" {
		dir = programDir(req.GetInfo(), "")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return status.Errorf(codes.FailedPrecondition, "could not find npm on the $PATH: %v", err)
	}
	var mu sync.Mutex
	send := func(stdout, stderr []byte) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: stdout, Stderr: stderr})
	}
	cmd := exec.Command(npm, "install")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = streamWriter{func(b []byte) error { return send(nil, b) }}
	if err := cmd.Start(); err != nil {
		return err
	}
	rd := bufio.NewReader(stdout)
	_, copyErr := io.Copy(streamWriter{func(b []byte) error { return send(b, nil) }}, rd)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("npm install failed: %w", err)
	}
	return copyErr
}
