package main

// The test-only LanguageRuntime adapter between Pulumi's conformance runner and our language host.
//
// Pulumi's runner generates every test program from PCL (GenerateProject), generates and packs SDKs
// for the test providers (GeneratePackage, Pack) and packs the core SDK before any test. Our host
// does not implement code generation or packing (toolchain/README.md), so this adapter answers those
// four calls with Pulumi's own Node.js code generator (the served pkg/v3/codegen/nodejs, called the
// way Pulumi's host calls it) and `npm pack`, and forwards every other call, unchanged, to our host
// process. It counts who served what, so the report shows which calls reached our host.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	codegen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

type adapter struct {
	pulumirpc.UnsafeLanguageRuntimeServer

	host   pulumirpc.LanguageRuntimeClient // our language host
	log    io.Writer                       // npm output of Pack
	npmCtx context.Context                 // cancelled when the run stops: ends npm run by Pack

	mu     sync.Mutex
	served map[string]int // "host <Method>" / "codegen <Method>" -> calls
}

func newAdapter(npmCtx context.Context, host pulumirpc.LanguageRuntimeClient, log io.Writer) *adapter {
	return &adapter{host: host, log: log, npmCtx: npmCtx, served: map[string]int{}}
}

func (a *adapter) count(by, method string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.served[by+" "+method]++
}

// callCounts returns "by method: n" lines, sorted.
func (a *adapter) callCounts() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for k, n := range a.served {
		out = append(out, fmt.Sprintf("%s x%d", k, n))
	}
	sort.Strings(out)
	return out
}

// ---- forwarded unchanged to our host -------------------------------------------------------

func (a *adapter) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	return forward(a, "Handshake", a.host.Handshake, ctx, req)
}

func (a *adapter) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return forward(a, "GetRequiredPlugins", a.host.GetRequiredPlugins, ctx, req)
}

func (a *adapter) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return forward(a, "GetRequiredPackages", a.host.GetRequiredPackages, ctx, req)
}

func (a *adapter) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return forward(a, "Run", a.host.Run, ctx, req)
}

func (a *adapter) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return forward(a, "GetPluginInfo", a.host.GetPluginInfo, ctx, req)
}

func (a *adapter) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	a.count("host", "InstallDependencies")
	return forwardStream(a.host.InstallDependencies, server, req)
}

func (a *adapter) RuntimeOptionsPrompts(ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return forward(a, "RuntimeOptionsPrompts", a.host.RuntimeOptionsPrompts, ctx, req)
}

func (a *adapter) Template(ctx context.Context, req *pulumirpc.TemplateRequest,
) (*pulumirpc.TemplateResponse, error) {
	return forward(a, "Template", a.host.Template, ctx, req)
}

func (a *adapter) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return forward(a, "About", a.host.About, ctx, req)
}

func (a *adapter) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return forward(a, "GetProgramDependencies", a.host.GetProgramDependencies, ctx, req)
}

func (a *adapter) RunPlugin(req *pulumirpc.RunPluginRequest,
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	a.count("host", "RunPlugin")
	return forwardStream(a.host.RunPlugin, server, req)
}

// GenerateProgram (`pulumi convert`) and Link (provider and policy-pack tests) are forwarded too:
// the tests that need them also need RunPlugin, which our host does not implement either.
func (a *adapter) GenerateProgram(ctx context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	return forward(a, "GenerateProgram", a.host.GenerateProgram, ctx, req)
}

func (a *adapter) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	return forward(a, "Link", a.host.Link, ctx, req)
}

func (a *adapter) Cancel(ctx context.Context, req *emptypb.Empty) (*emptypb.Empty, error) {
	return forward(a, "Cancel", a.host.Cancel, ctx, req)
}

// forward counts a unary call and passes it to our host unchanged.
func forward[Req, Resp any](a *adapter, method string,
	call func(context.Context, Req, ...grpc.CallOption) (Resp, error), ctx context.Context, req Req,
) (Resp, error) {
	a.count("host", method)
	return call(ctx, req)
}

// forwardStream passes a server-streaming call to our host and relays its messages back.
func forwardStream[Req, Resp any](
	call func(context.Context, Req, ...grpc.CallOption) (grpc.ServerStreamingClient[Resp], error),
	server grpc.ServerStreamingServer[Resp], req Req,
) error {
	stream, err := call(server.Context(), req)
	if err != nil {
		return err
	}
	return relay(stream.Recv, server.Send)
}

func relay[T any](recv func() (*T, error), send func(*T) error) error {
	for {
		msg, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := send(msg); err != nil {
			return err
		}
	}
}

// ---- answered with Pulumi's own Node.js code generator and npm ----------------------------

func (a *adapter) GenerateProject(_ context.Context, req *pulumirpc.GenerateProjectRequest,
) (*pulumirpc.GenerateProjectResponse, error) {
	a.count("codegen", "GenerateProject")
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	opts := []pcl.BindOption{pcl.PreferOutputVersionedInvokes} // as Pulumi's Node.js host binds
	if !req.GetStrict() {
		opts = append(opts, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindDirectory(req.GetSourceDirectory(), schema.NewCachedLoader(loader), opts...)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return &pulumirpc.GenerateProjectResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	var project workspace.Project
	if err := json.Unmarshal([]byte(req.GetProject()), &project); err != nil {
		return nil, err
	}
	// forceTsc=false: the TypeScript variant, run by the SDK's own ts-node (our host has no tsc step).
	if err := codegen.GenerateProject(req.GetTargetDirectory(), project, program,
		req.GetLocalDependencies(), false, "nodejs"); err != nil {
		return nil, err
	}
	return &pulumirpc.GenerateProjectResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}

func (a *adapter) GeneratePackage(_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	a.count("codegen", "GeneratePackage")
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, err
	}
	cached := schema.NewCachedLoader(loader)
	pkg, diags, err := schema.BindSpec(spec, cached, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	files, err := codegen.GeneratePackage("pulumi-language-nodejs", pkg, req.GetExtraFiles(),
		req.GetLocalDependencies(), req.GetLocal(), cached)
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		out := filepath.Join(req.GetDirectory(), name)
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(out, data, 0o600); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}

// Pack turns a package directory into an npm tarball. The core SDK given to the runner is the
// published, already built @pulumi/pulumi (node_modules), so it is packed as it is; a generated
// SDK is installed, built (`npm run build` = tsc into bin/) and its bin/ packed, as Pulumi's host does.
func (a *adapter) Pack(_ context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	a.count("codegen", "Pack")
	dir, dest := req.GetPackageDirectory(), req.GetDestinationDirectory()
	var pj struct {
		Name string `json:"name"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("%s/package.json: %w", dir, err)
	}
	packDir := dir
	if pj.Name != "@pulumi/pulumi" {
		if err := a.npm(dir, "install"); err != nil {
			return nil, err
		}
		if err := a.npm(dir, "run", "build"); err != nil {
			return nil, err
		}
		packDir = filepath.Join(dir, "bin")
		if err := copyFile(filepath.Join(dir, "package.json"), filepath.Join(packDir, "package.json")); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(a.npmCtx, "npm", "pack", packDir, "--pack-destination", dest, "--ignore-scripts",
		"--loglevel=warn")
	cmd.Dir = dest
	cmd.Stderr = a.log
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack %s: %w", packDir, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if packDir != dir {
		// Disk: the tarball is what tests use; the runner's post-pack check copies the whole directory.
		if err := os.RemoveAll(filepath.Join(dir, "node_modules")); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.PackResponse{ArtifactPath: filepath.Join(dest, strings.TrimSpace(lines[len(lines)-1]))}, nil
}

func (a *adapter) npm(dir string, args ...string) error {
	fmt.Fprintf(a.log, "$ (cd %s && npm %s)\n", dir, strings.Join(args, " "))
	cmd := exec.CommandContext(a.npmCtx, "npm", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = a.log, a.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}
