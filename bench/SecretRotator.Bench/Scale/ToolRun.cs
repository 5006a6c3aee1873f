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
    string Stderr);

/// <summary>
/// Execs the built binary against the fake API server and measures it: wall time, user+sys CPU (from the kernel,
/// not wall time, as the machine is shared), peak RSS, and the time and CPU until the fake sees the first request.
/// </summary>
internal sealed class ToolRun(string tool, FakeKubeApiServer api, FakeTokenEndpoint tokens, TimeSpan latency, IReadOnlyDictionary<string, string> environment)
{
    public IReadOnlyDictionary<string, string> Environment => environment;

    public async Task<ToolRunResult> ExecAsync(params string[] args)
    {
        api.ClearJournal();
        var tokensBefore = tokens.Requests;
        var sw = new Stopwatch();
        long firstRequestTicks = 0;
        TimeSpan? cpuAtFirst = null, cpuAtLast = null;
        var pid = 0;
        api.FaultHook = _ =>
        {
            var at = sw.ElapsedTicks;
            if (Interlocked.CompareExchange(ref firstRequestTicks, at, 0) == 0) cpuAtFirst = ChildProcessStats.Cpu(pid);
            else cpuAtLast = ChildProcessStats.Cpu(pid);
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
        sw.Start();
        using var process = Process.Start(start)!;
        pid = process.Id;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                if (ChildProcessStats.PeakRss(pid) is { } rss) peak = Math.Max(peak, rss);
                try { await Task.Delay(5, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        await process.WaitForExitAsync();
        sw.Stop();
        await sampling.CancelAsync();
        await sampler;
        await stdout;
        var cpu = ChildProcessStats.ReapedChildrenCpu() - cpuBefore;
        api.FaultHook = null;

        var journal = api.Journal;
        var byVerb = journal.GroupBy(r => $"{r.Verb} {r.Resource}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var first = Interlocked.Read(ref firstRequestTicks);
        return new ToolRunResult(process.ExitCode, sw.Elapsed, cpu, peak,
            first == 0 ? null : TimeSpan.FromSeconds(first / (double)Stopwatch.Frequency), cpuAtFirst, cpuAtLast,
            byVerb, journal.Count, journal.Count(r => r.IsWrite), tokens.Requests - tokensBefore, await stderr);
    }
}
