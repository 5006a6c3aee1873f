using System.Diagnostics;
using System.Text;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.EndToEnd;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Finds and runs the Debian binaries the end-to-end tests drive (scripts/install-registry-deps.sh installs them).</summary>
public static class ExternalTool
{
    /// <summary>The binary's full path; see <see cref="RequiredTool.Find"/> for missing ones (.ci/run installs them).</summary>
    public static string Require(string name) => RequiredTool.Find(name, "run scripts/install-registry-deps.sh", RequiredTool.IsCi);

    /// <summary>Runs to completion; killed (with its children) when <paramref name="timeout"/> passes or the test is cancelled.</summary>
    public static async Task<ToolResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Collects a long-running process's output and completes a task when a line matching a predicate appears.</summary>
internal sealed class OutputWatch(Func<string, bool> ready)
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Text
    {
        get { lock (_gate) return _text.ToString(); }
    }

    public void OnLine(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null) return;
        lock (_gate) _text.AppendLine(e.Data);
        if (ready(e.Data)) Ready.TrySetResult();
    }
}
