using System.Diagnostics;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Bench.Scale;

/// <summary>What one exec of the tool cost, seen from outside the process.</summary>
internal sealed record ToolRunResult(
    int ExitCode,
    TimeSpan Wall,
    TimeSpan Cpu,
    long PeakRss,
    TimeSpan? StartupToFirstRequest,
    TimeSpan? CpuAtFirstRequest,
    TimeSpan? CpuAtLastRequest,
    IReadOnlyDictionary<string, int> RequestsByVerb,
    int Requests,
    int Writes,
    int TokenRequests,
    TimeSpan ServerCpu,
    string Stderr);

/// <summary>
/// Execs the built binary against the fake API server and measures it: wall time, user+sys CPU (from the kernel,
/// not wall time, as the machine is shared), peak RSS, and the time and CPU until the fake sees the first request;
/// and the CPU this process (the fake API server, on the same cores) spent meanwhile. The fake's per-request hook only
/// notes the time: the tool's CPU is sampled every 5 ms on one task, so the measuring costs the fake little.
/// </summary>
internal sealed class ToolRun(string tool, FakeKubeApiServer api, FakeTokenEndpoint tokens, TimeSpan latency, IReadOnlyDictionary<string, string> environment)
{
    public IReadOnlyDictionary<string, string> Environment => environment;

    public async Task<ToolRunResult> ExecAsync(params string[] args)
    {
        api.ClearJournal();
        var tokensBefore = tokens.Requests;
        var sw = new Stopwatch();
        long firstRequestTicks = 0, lastRequestTicks = 0;
        var pid = 0;
        api.FaultHook = _ =>
        {
            var at = sw.ElapsedTicks;
            Interlocked.CompareExchange(ref firstRequestTicks, at, 0);
            Interlocked.Exchange(ref lastRequestTicks, at);
            return latency > TimeSpan.Zero ? KubeFault.Slow(latency) : null;
        };

        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (tool.EndsWith(".dll", StringComparison.Ordinal))
        {
            start.FileName = "dotnet";
            start.ArgumentList.Add(tool);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;

        var cpuBefore = ChildProcessStats.ReapedChildrenCpu();
        var serverCpuBefore = ServerCpu();
        sw.Start();
        using var process = Process.Start(start)!;
        pid = process.Id;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var cpuSamples = new List<(long Ticks, TimeSpan Cpu)>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                if (ChildProcessStats.PeakRss(pid) is { } rss) peak = Math.Max(peak, rss);
                if (ChildProcessStats.Cpu(pid) is { } used) cpuSamples.Add((sw.ElapsedTicks, used));
                try { await Task.Delay(5, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        await process.WaitForExitAsync();
        sw.Stop();
        await sampling.CancelAsync();
        await sampler;
        await stdout;
        var cpu = ChildProcessStats.ReapedChildrenCpu() - cpuBefore;
        var serverCpu = ServerCpu() - serverCpuBefore;
        api.FaultHook = null;
        var first = Interlocked.Read(ref firstRequestTicks);
        var last = Interlocked.Read(ref lastRequestTicks);

        var journal = api.Journal;
        var byVerb = journal.GroupBy(r => $"{r.Verb} {r.Resource}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new ToolRunResult(process.ExitCode, sw.Elapsed, cpu, peak,
            first == 0 ? null : TimeSpan.FromSeconds(first / (double)Stopwatch.Frequency), CpuAt(cpuSamples, first), CpuAt(cpuSamples, last),
            byVerb, journal.Count, journal.Count(r => r.IsWrite), tokens.Requests - tokensBefore, serverCpu, await stderr);
    }

    /// <summary>The tool's CPU at the last sample taken before <paramref name="ticks"/> (5 ms sampling, 10 ms kernel ticks).</summary>
    private static TimeSpan? CpuAt(List<(long Ticks, TimeSpan Cpu)> samples, long ticks)
    {
        if (ticks == 0) return null;
        TimeSpan? at = null;
        foreach (var (t, c) in samples)
        {
            if (t > ticks) break;
            at = c;
        }
        return at;
    }

    private static TimeSpan ServerCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
