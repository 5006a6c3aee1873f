using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Runs the built secret-rotator binary (copied next to the tests) as a user would: its own process, real
/// console, real environment. For what only a process shows: log lines on stderr, --version, environment variables.
/// With <see cref="BinaryVariable"/> set (e.g. to a Native AOT build), that executable is started instead of
/// <c>dotnet secret-rotator.dll</c>, so the same tests run against what ships.
/// </summary>
public static class RotatorProcess
{
    /// <summary>Path of a native secret-rotator executable to run instead of the dll next to the tests.</summary>
    public const string BinaryVariable = "SECRET_ROTATOR_BINARY";

    /// <summary>The native executable under test, or null for <c>dotnet secret-rotator.dll</c>.</summary>
    public static string? Binary => Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    /// <summary>Runs to completion and returns exit code, stdout and stderr.</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        await using var process = Start(environment, args);
        var exitCode = await process.WaitForExitAsync(Timeout.InfiniteTimeSpan);
        return new CliResult(exitCode, process.Stdout, process.Stderr, "");
    }

    /// <summary>What a JIT fallback writes to the test's output, so a green local run never claims to have tested the image.</summary>
    public const string JitNotice = "ran the JIT build, not the image's binary (set " + BinaryVariable + " to an `AOT=1 scripts/publish.sh` output)";

    /// <summary>
    /// The executable to start: <see cref="Binary"/> (CI sets it to the AOT binary scripts/publish.sh built, the file the
    /// Dockerfile copies). Unset, the JIT dll next to the tests, said in the test output; unset under CI=true, a failure.
    /// </summary>
    private static string? BinaryUnderTest()
    {
        if (Binary is { } binary) return binary;
        if (RequiredTool.IsCi) Assert.Fail($"CI=true but {BinaryVariable} is not set: process tests must run the image's binary, not the JIT build");
        TestContext.Current.TestOutputHelper?.WriteLine(JitNotice);
        return null;
    }

    /// <summary>Runs to completion with <paramref name="input"/> written to stdin and stdin then closed, as kubelet execs a credential provider.</summary>
    public static async Task<CliResult> RunWithInputAsync(IReadOnlyDictionary<string, string?> environment, string input, params string[] args)
    {
        await using var process = Start(environment, input, args);
        var exitCode = await process.WaitForExitAsync(Timeout.InfiniteTimeSpan);
        return new CliResult(exitCode, process.Stdout, process.Stderr, "");
    }

    /// <summary>Starts the binary and returns at once (for `daemon`); disposing kills it if it is still running.</summary>
    public static RunningRotator Start(IReadOnlyDictionary<string, string?> environment, params string[] args) => Start(environment, null, args);

    private static RunningRotator Start(IReadOnlyDictionary<string, string?> environment, string? input, string[] args)
    {
        var binary = BinaryUnderTest();
        var start = new ProcessStartInfo(binary ?? "dotnet")
        {
            RedirectStandardInput = input is not null,
            StandardInputEncoding = input is null ? null : new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        if (binary is null) start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "secret-rotator.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // No cluster from the developer's own kubeconfig, and no log settings from the caller's shell.
        start.Environment["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), "secret-rotator-no-kubeconfig");
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SECRET_ROTATOR_", StringComparison.Ordinal) || k.StartsWith("Logging__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {start.FileName}");
        if (input is not null)
        {
            // A small request fits the pipe buffer; closing stdin is the end of the request, as kubelet's exec does.
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        return new RunningRotator(process, TestContext.Current.CancellationToken);
    }
}

/// <summary>A started secret-rotator process; stdout and stderr are read as they come, so they can be polled while it runs.</summary>
public sealed class RunningRotator : IAsyncDisposable
{
    private readonly Process _process;
    private readonly CancellationToken _ct;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;

    internal RunningRotator(Process process, CancellationToken ct)
    {
        _process = process;
        _ct = ct;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput, _stdout, ct), PumpAsync(process.StandardError, _stderr, ct));
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into, CancellationToken ct)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            lock (into) into.Append(buffer, 0, read);
        }
    }

    /// <summary>Polls stderr until <paramref name="condition"/> holds; fails if the process exits first or the deadline passes.</summary>
    public async Task<string> WaitForStderrAsync(Func<string, bool> condition, TimeSpan within, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition(Stderr))
        {
            if (_process.HasExited) throw new Xunit.Sdk.XunitException($"exited ({_process.ExitCode}) before: {what}\n{this}");
            if (TimeProvider.System.GetElapsedTime(started) > within) throw new Xunit.Sdk.XunitException($"not within {within}: {what}\n{this}");
            await Task.Delay(50, _ct);
        }
        return Stderr;
    }

    /// <summary>Sends SIGTERM, as kubelet does when it stops a pod.</summary>
    public async Task TerminateAsync()
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("cannot start kill");
        await kill.WaitForExitAsync(_ct);
    }

    /// <summary>Waits for the exit (and for all its output); fails after <paramref name="within"/> (infinite: only the test's token).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        deadline.CancelAfter(within);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            await _pumps.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!_ct.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"still running after {within}\n{this}");
        }
        return _process.ExitCode;
    }

    public override string ToString() =>
        $"{(_process.HasExited ? $"exit {_process.ExitCode}" : "running")}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        try
        {
            await _pumps;
        }
        catch (OperationCanceledException)
        {
            // the test was cancelled: the pumps stopped with it
        }
        _process.Dispose();
    }
}
