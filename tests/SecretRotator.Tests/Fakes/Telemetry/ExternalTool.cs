using System.Diagnostics;
using System.Text;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Telemetry;

/// <summary>The real Prometheus binaries (Debian packages prometheus, prometheus-pushgateway; scripts/install-deps.sh).</summary>
internal static class ExternalTool
{
    /// <summary>Path of the tool; when missing, fails under CI=true (CI must have installed it), else skips.</summary>
    public static string Require(string name) => Require(name, RequiredTool.IsCi);

    public static string Require(string name, bool ci) => RequiredTool.Find(name, "run scripts/install-deps.sh", ci);

    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs a tool to completion; stdout and stderr are returned together for assertion messages.</summary>
    public static async Task<Result> RunAsync(string tool, IEnumerable<string> args, string workingDirectory, CancellationToken ct)
    {
        using var process = Start(tool, args, workingDirectory, out var output);
        await process.WaitForExitAsync(ct);
        return new Result(process.ExitCode, output.ToString());
    }

    public static Process Start(string tool, IEnumerable<string> args, string workingDirectory, out StringBuilder output)
    {
        var info = new ProcessStartInfo(tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var buffer = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (buffer) buffer.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (buffer) buffer.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = buffer;
        return process;
    }

    /// <summary>The repository root (holds SecretRotator.sln), for the shipped helm files.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SecretRotator.sln"))) return dir.FullName;
        throw new InvalidOperationException("SecretRotator.sln not found above " + AppContext.BaseDirectory);
    }
}
