using System.Diagnostics;
using System.Text;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Runs the built secret-rotator binary (copied next to the tests) as a user would: its own process, real
/// console, real environment. For what only a process shows: log lines on stderr, --version, environment variables.
/// </summary>
public static class RotatorProcess
{
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "secret-rotator.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // No cluster from the developer's own kubeconfig, and no log settings from the caller's shell.
        start.Environment["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), "secret-rotator-no-kubeconfig");
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SECRET_ROTATOR_", StringComparison.Ordinal) || k.StartsWith("Logging__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new CliResult(process.ExitCode, await stdout, await stderr, "");
    }
}
