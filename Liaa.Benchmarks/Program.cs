using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Short runs in this process by default: the machine has two shared cores, and a separate process per
// benchmark would mostly measure builds. Any BenchmarkDotNet option (--job, --filter, …) still applies.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
BenchmarkSwitcher.FromAssembly(typeof(Liaa.Benchmarks.WireCodecBenchmarks).Assembly).Run(args, config);
