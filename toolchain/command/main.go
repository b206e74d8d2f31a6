// Command pulumi-resource-command is a small, self-written stand-in for the Pulumi "command"
// provider, built offline by scripts/toolchain.sh.
//
// Why: pulumi-command v1.2.1 lives in the untagged module github.com/pulumi/pulumi-command/provider,
// which can only be required by pseudo-version, and the Go module proxy reachable here refuses
// those ("403 This module version is not available"). This binary serves the same plugin name
// and version so that the unmodified @pulumi/command 1.2.1 SDK works without downloads.
//
// Implemented: the resource command:local:Command and the function command:local:run with
// create/update/delete, dir, environment, interpreter (default /bin/sh -c), stdin, triggers
// (replace on change), addPreviousOutputInEnv (PULUMI_COMMAND_STDOUT/STDERR, default true),
// logging (stdout|stderr|stdoutAndStderr|none, streamed as engine info messages) and the
// stdout/stderr outputs (one trailing newline trimmed). Not implemented: assetPaths /
// archivePaths (rejected with an error) and everything under command:remote:* (SSH).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set with -ldflags "-X main.Version=1.2.1".
var Version = "1.2.1"

const (
	commandType = "command:local:Command"
	runToken    = "command:local:run"
)

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return plugin.NewProviderServer(&commandProvider{host: host}), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type commandProvider struct {
	plugin.UnimplementedProvider
	host *provider.HostClient
}

func (p *commandProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v, err := semver.ParseTolerant(Version)
	if err != nil {
		return plugin.PluginInfo{}, err
	}
	return plugin.PluginInfo{Version: &v}, nil
}

func (p *commandProvider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	s := fmt.Sprintf(`{"name":"command","version":%q,"description":"offline stand-in: command:local:Command and command:local:run only"}`,
		strings.TrimPrefix(Version, "v"))
	return plugin.GetSchemaResponse{Schema: []byte(s)}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *commandProvider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

func (p *commandProvider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (p *commandProvider) SignalCancellation(context.Context) error { return nil }

func checkType(t string) error {
	if t != commandType {
		return fmt.Errorf("resource type %q is not supported by this offline command provider "+
			"(only %s)", t, commandType)
	}
	return nil
}

func (p *commandProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	if err := checkType(string(req.Type)); err != nil {
		return plugin.CheckResponse{}, err
	}
	var failures []plugin.CheckFailure
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := req.News[k]; ok && !v.IsNull() {
			failures = append(failures, plugin.CheckFailure{Property: k,
				Reason: string(k) + " is not supported by the offline command provider"})
		}
	}
	if v, ok := req.News["logging"]; ok && v.IsString() {
		switch v.StringValue() {
		case "stdout", "stderr", "stdoutAndStderr", "none":
		default:
			failures = append(failures, plugin.CheckFailure{Property: "logging",
				Reason: "logging must be one of stdout, stderr, stdoutAndStderr, none"})
		}
	}
	return plugin.CheckResponse{Properties: req.News, Failures: failures}, nil
}

func (p *commandProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	keys := map[resource.PropertyKey]bool{}
	for k := range req.OldInputs {
		keys[k] = true
	}
	for k := range req.NewInputs {
		keys[k] = true
	}
	ignored := map[string]bool{}
	for _, k := range req.IgnoreChanges {
		ignored[k] = true
	}
	var changed, replace []resource.PropertyKey
	detailed := map[string]plugin.PropertyDiff{}
	for k := range keys {
		if ignored[string(k)] {
			continue
		}
		o, hasOld := req.OldInputs[k]
		n, hasNew := req.NewInputs[k]
		if hasOld && hasNew && !n.ContainsUnknowns() && o.DeepEquals(n) {
			continue
		}
		if (!hasOld || o.IsNull()) && (!hasNew || n.IsNull()) {
			continue
		}
		changed = append(changed, k)
		kind := plugin.DiffUpdate
		if !hasOld {
			kind = plugin.DiffAdd
		} else if !hasNew {
			kind = plugin.DiffDelete
		}
		if k == "triggers" {
			replace = append(replace, k)
			kind = kind.AsReplace()
		}
		detailed[string(k)] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	return plugin.DiffResult{
		Changes:      plugin.DiffSome,
		ChangedKeys:  changed,
		ReplaceKeys:  replace,
		DetailedDiff: detailed,
	}, nil
}

// ---- running commands ----------------------------------------------------------------

type spec struct {
	dir         string
	env         []string
	interpreter []string
	stdin       string
	addPrevious bool
	logging     string
}

func str(m resource.PropertyMap, k resource.PropertyKey) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	v = unwrap(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
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

func isSecret(m resource.PropertyMap, k resource.PropertyKey) bool {
	v, ok := m[k]
	return ok && v.ContainsSecrets()
}

func specFrom(m resource.PropertyMap) spec {
	s := spec{addPrevious: true, logging: "stdoutAndStderr"}
	s.dir = str(m, "dir")
	s.stdin = str(m, "stdin")
	if l := str(m, "logging"); l != "" {
		s.logging = l
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

type lineLogger struct {
	ctx     context.Context
	host    *provider.HostClient
	urn     resource.URN
	enabled bool
	mu      *sync.Mutex
	buf     bytes.Buffer
	pending []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.enabled || l.host == nil {
		return len(p), nil
	}
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			break
		}
		line := string(l.pending[:i])
		l.pending = l.pending[i+1:]
		_ = l.host.LogStatus(l.ctx, diag.Info, l.urn, line)
	}
	return len(p), nil
}

func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// run executes one command line and returns trimmed stdout/stderr.
func (p *commandProvider) run(ctx context.Context, urn resource.URN, command string, s spec, extraEnv []string,
) (string, string, error) {
	args := append(append([]string{}, s.interpreter[1:]...), command)
	cmd := exec.CommandContext(ctx, s.interpreter[0], args...)
	cmd.Dir = s.dir
	cmd.Env = append(append(os.Environ(), s.env...), extraEnv...)
	if s.stdin != "" {
		cmd.Stdin = strings.NewReader(s.stdin)
	}
	var mu sync.Mutex
	stdout := &lineLogger{ctx: ctx, host: p.host, urn: urn, mu: &mu,
		enabled: s.logging == "stdout" || s.logging == "stdoutAndStderr"}
	stderr := &lineLogger{ctx: ctx, host: p.host, urn: urn, mu: &mu,
		enabled: s.logging == "stderr" || s.logging == "stdoutAndStderr"}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	err := cmd.Run()
	out, errOut := trimNewline(stdout.buf.String()), trimNewline(stderr.buf.String())
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return out, errOut, fmt.Errorf("exit status %d: running %q:\nStdout:\n%s\nStderr:\n%s",
				exitErr.ExitCode(), command, out, errOut)
		}
		return out, errOut, fmt.Errorf("running %q: %w", command, err)
	}
	return out, errOut, nil
}

func previousEnv(s spec, outputs resource.PropertyMap) []string {
	if !s.addPrevious || outputs == nil {
		return nil
	}
	return []string{
		"PULUMI_COMMAND_STDOUT=" + str(outputs, "stdout"),
		"PULUMI_COMMAND_STDERR=" + str(outputs, "stderr"),
	}
}

func outputsFor(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := inputs.Copy()
	out["stdout"] = stdout
	out["stderr"] = stderr
	return out
}

func maybeSecret(secret bool, v resource.PropertyValue) resource.PropertyValue {
	if secret {
		return resource.MakeSecret(v)
	}
	return v
}

func unknownString() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func randomID(name string) string {
	b := make([]byte, 4)
	_, _ = io.ReadFull(rand.Reader, b)
	if name == "" {
		name = "command"
	}
	return name + hex.EncodeToString(b)
}

func (p *commandProvider) Create(ctx context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	if err := checkType(string(req.Type)); err != nil {
		return plugin.CreateResponse{}, err
	}
	if req.Preview {
		return plugin.CreateResponse{
			Properties: outputsFor(req.Properties, unknownString(), unknownString()),
		}, nil
	}
	id := resource.ID(randomID(req.Name))
	s := specFrom(req.Properties)
	var stdout, stderr string
	if c := str(req.Properties, "create"); c != "" {
		var err error
		stdout, stderr, err = p.run(ctx, req.URN, c, s, nil)
		if err != nil {
			return plugin.CreateResponse{}, err
		}
	}
	secret := isSecret(req.Properties, "create") || isSecret(req.Properties, "stdin")
	return plugin.CreateResponse{
		ID: id,
		Properties: outputsFor(req.Properties,
			maybeSecret(secret, resource.NewStringProperty(stdout)),
			maybeSecret(secret, resource.NewStringProperty(stderr))),
		Status: resource.StatusOK,
	}, nil
}

func (p *commandProvider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	return plugin.ReadResponse{
		ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: req.State},
		Status:     resource.StatusOK,
	}, nil
}

func (p *commandProvider) Update(ctx context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	if err := checkType(string(req.Type)); err != nil {
		return plugin.UpdateResponse{}, err
	}
	if req.Preview {
		return plugin.UpdateResponse{
			Properties: outputsFor(req.NewInputs, unknownString(), unknownString()),
		}, nil
	}
	s := specFrom(req.NewInputs)
	command := str(req.NewInputs, "update")
	if command == "" {
		command = str(req.NewInputs, "create")
	}
	stdout, stderr := str(req.OldOutputs, "stdout"), str(req.OldOutputs, "stderr")
	if command != "" {
		var err error
		stdout, stderr, err = p.run(ctx, req.URN, command, s, previousEnv(s, req.OldOutputs))
		if err != nil {
			return plugin.UpdateResponse{}, err
		}
	}
	secret := isSecret(req.NewInputs, "create") || isSecret(req.NewInputs, "update") ||
		isSecret(req.NewInputs, "stdin")
	return plugin.UpdateResponse{
		Properties: outputsFor(req.NewInputs,
			maybeSecret(secret, resource.NewStringProperty(stdout)),
			maybeSecret(secret, resource.NewStringProperty(stderr))),
		Status: resource.StatusOK,
	}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	props := req.Outputs
	if props == nil {
		props = req.Inputs
	}
	if c := str(props, "delete"); c != "" {
		s := specFrom(props)
		if _, _, err := p.run(ctx, req.URN, c, s, previousEnv(s, req.Outputs)); err != nil {
			return plugin.DeleteResponse{Status: resource.StatusOK}, err
		}
	}
	return plugin.DeleteResponse{Status: resource.StatusOK}, nil
}

func (p *commandProvider) Invoke(ctx context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	if string(req.Tok) != runToken {
		return plugin.InvokeResponse{}, fmt.Errorf("function %q is not supported by this offline command "+
			"provider (only %s)", req.Tok, runToken)
	}
	command := str(req.Args, "command")
	if command == "" {
		return plugin.InvokeResponse{Failures: []plugin.CheckFailure{{Property: "command", Reason: "missing required property 'command'"}}}, nil
	}
	s := specFrom(req.Args)
	stdout, stderr, err := p.run(ctx, "", command, s, nil)
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	out := req.Args.Copy()
	out["stdout"] = resource.NewStringProperty(stdout)
	out["stderr"] = resource.NewStringProperty(stderr)
	return plugin.InvokeResponse{Properties: out}, nil
}

