// Command conformance runs Pulumi's language-host conformance suite (pulumi-test-language, from the
// served pkg/v3 v3.259.0) against vast-reranker's own Node.js language host. Test-only: not part of
// the offline toolchain build; toolchain/conformance/run.sh builds and runs it, README.md there says
// what runs and what it found. Helpers (known failures, test selection, our host process, logs):
// support.go.
//
// One process holds Pulumi's conformance runner (runner.Start, the same server `pulumi-test-language`
// starts) and the adapter (adapter.go); our host runs as its own process, started the way the engine
// starts it (`pulumi-language-nodejs <engine address>`, port on the first stdout line), with the
// runner's engine service as its engine. The runner then talks to "the language host" through the
// adapter: code generation and packing by Pulumi's own Node.js codegen, everything else by our host.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/testing/pulumi-test-language/runner"
	"github.com/pulumi/pulumi/pkg/v3/testing/pulumi-test-language/tests"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	testingrpc "github.com/pulumi/pulumi/sdk/v3/proto/go/testing"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	hostBin := flag.String("host", "", "our language host binary (pulumi-language-nodejs)")
	coreDir := flag.String("core", "", "built @pulumi/pulumi package directory to pack as the core SDK")
	coreVersion := flag.String("core-version", "", "version of that package")
	work := flag.String("work", "", "working directory (emptied first)")
	run := flag.String("run", "^l1-", "regexp: tests to run")
	skip := flag.String("skip", "", "regexp: tests not to run")
	parallel := flag.Int("j", 1, "tests run at once")
	expect := flag.String("expect", "", "file of known failures: `<test> <reason>` lines, # comments")
	keep := flag.Bool("keep", false, "keep each test project's node_modules (default: removed after the test)")
	list := flag.Bool("list", false, "only list the suite's tests")
	flag.Parse()

	if *list {
		names := make([]string, 0, len(tests.LanguageTests))
		for n := range tests.LanguageTests {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
		return
	}
	if *hostBin == "" || *coreDir == "" || *coreVersion == "" || *work == "" {
		fatalf("-host, -core, -core-version and -work are required")
	}
	known, err := readExpected(*expect)
	if err != nil {
		fatalf("%v", err)
	}
	os.Exit(runSuite(*hostBin, *coreDir, *coreVersion, *work, *run, *skip, *parallel, known, *keep))
}

var (
	errOut   io.Writer = os.Stderr // the real stderr, also after redirectStdio
	cleanups []func()              // run in reverse order on exit, also by fatalf and on a signal
)

func fatalf(format string, args ...any) {
	fmt.Fprintf(errOut, "conformance: "+format+"\n", args...)
	cleanup()
	os.Exit(2)
}

var cleanupOnce sync.Once

func cleanup() {
	cleanupOnce.Do(func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	})
}

func runSuite(hostBin, coreDir, coreVersion, work, runPattern, skipPattern string, parallel int,
	known map[string]string, keep bool,
) int {
	started := time.Now()
	selected := selectTests(runPattern, skipPattern)
	if len(selected) == 0 {
		fatalf("no test matches -run %q -skip %q", runPattern, skipPattern)
	}
	if err := os.RemoveAll(work); err != nil {
		fatalf("%v", err)
	}
	logDir := filepath.Join(work, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		fatalf("%v", err)
	}
	logFile, err := os.Create(filepath.Join(logDir, "run.log"))
	if err != nil {
		fatalf("%v", err)
	}
	defer logFile.Close()
	log := &syncWriter{w: logFile}
	// The runner and the engine print progress and every engine log line to fds 1 and 2 directly:
	// send those to the log, keep the real stdout and stderr for the results.
	out, realErr, err := redirectStdio(logFile)
	if err != nil {
		fatalf("%v", err)
	}
	errOut = realErr
	report := func(format string, args ...any) { fmt.Fprintf(out, format, args...) }

	// No snapshots of Pulumi's generated code exist for this setup; PULUMI_ACCEPT makes the runner
	// write them (into work/snapshots) instead of failing on their absence. Code generation is not
	// what is under test here.
	os.Setenv("PULUMI_ACCEPT", "true")

	ctx := context.Background()
	server, err := runner.Start(ctx, tests.LanguageTestdata, tests.LanguageTests)
	if err != nil {
		fatalf("start conformance runner: %v", err)
	}
	defer cleanup()

	host, hostAddr, err := startHost(hostBin, server.Address(), log)
	if err != nil {
		fatalf("start language host: %v", err)
	}
	stopHost := func() {
		_ = syscall.Kill(-host.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = host.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-host.Process.Pid, syscall.SIGKILL)
		}
	}
	cleanups = append(cleanups, stopHost)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(errOut, "conformance: %v, stopping the language host (pid %d)\n", s, host.Process.Pid)
		cleanup()
		os.Exit(130)
	}()

	conn, err := grpc.NewClient(hostAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fatalf("dial language host: %v", err)
	}
	npmCtx, stopNpm := context.WithCancel(ctx) // npm run by the adapter's Pack
	cleanups = append(cleanups, stopNpm)
	ad := newAdapter(npmCtx, pulumirpc.NewLanguageRuntimeClient(conn), log)
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, ad)
			return nil
		},
	})
	if err != nil {
		fatalf("serve adapter: %v", err)
	}
	cleanups = append(cleanups, func() { close(cancel) })

	prepStart := time.Now()
	tmp := filepath.Join(work, "tmp")
	prepare, err := server.PrepareLanguageTests(ctx, &testingrpc.PrepareLanguageTestsRequest{
		LanguagePluginName:   "nodejs",
		LanguagePluginTarget: fmt.Sprintf("127.0.0.1:%d", handle.Port),
		TemporaryDirectory:   tmp,
		SnapshotDirectory:    filepath.Join(work, "snapshots"),
		CoreSdkDirectory:     coreDir,
		CoreSdkVersion:       coreVersion,
		// As Pulumi's own Node.js conformance test does.
		SnapshotEdits: []*testingrpc.PrepareLanguageTestsRequest_Replacement{
			{Path: `package\.json`, Pattern: regexp.QuoteMeta("pulumi-pulumi-" + coreVersion + ".tgz"),
				Replacement: "pulumi-pulumi-CORE.VERSION.tgz"},
			{Path: `package\.json`, Pattern: regexp.QuoteMeta(tmp + "/artifacts"), Replacement: "ROOT/artifacts"},
		},
	})
	if err != nil {
		fatalf("PrepareLanguageTests: %v", err)
	}
	report("conformance: prepared in %.1fs (core SDK packed); running %d of %d tests, %d at once\n",
		time.Since(prepStart).Seconds(), len(selected), len(tests.LanguageTests), parallel)

	var mu sync.Mutex
	var passed, failed, unexpected []string
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for _, name := range selected {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			res, err := server.RunLanguageTest(ctx, &testingrpc.RunLanguageTestRequest{Token: prepare.Token, Test: name})
			secs := time.Since(t0).Seconds()
			ok := err == nil && res.GetSuccess()
			writeTestLog(filepath.Join(logDir, name+".log"), res, err)
			if !keep {
				// About 70 MB a test: the whole suite would leave more than 13 GB on a shared disk.
				removeNodeModules(filepath.Join(tmp, "projects", name))
			}
			mu.Lock()
			defer mu.Unlock()
			reason, isKnown := known[name]
			if ok {
				passed = append(passed, name)
				if isKnown {
					unexpected = append(unexpected, name)
					report("PASS %s (%.1fs) -- listed as a known failure (%s): update the list\n", name, secs, reason)
				} else {
					report("PASS %s (%.1fs)\n", name, secs)
				}
				return
			}
			failed = append(failed, name)
			if isKnown {
				report("FAIL %s (%.1fs) -- known: %s\n", name, secs, reason)
			} else {
				unexpected = append(unexpected, name)
				report("FAIL %s (%.1fs)\n", name, secs)
			}
			for _, m := range failureLines(res, err) {
				report("    %s\n", m)
			}
		}()
	}
	wg.Wait()

	sort.Strings(failed)
	report("conformance: %d run, %d passed, %d failed in %.1fs (logs: %s)\n",
		len(selected), len(passed), len(failed), time.Since(started).Seconds(), logDir)
	if len(failed) > 0 {
		report("conformance: failed: %s\n", strings.Join(failed, " "))
	}
	report("conformance: calls served: %s\n", strings.Join(ad.callCounts(), ", "))
	if len(unexpected) > 0 {
		sort.Strings(unexpected)
		report("conformance: NOT as expected (-expect list): %s\n", strings.Join(unexpected, " "))
		return 1
	}
	report("conformance: every result as expected (%d known failures)\n", len(failed))
	return 0
}
