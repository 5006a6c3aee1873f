using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecretRotator.Bench.Scale;

namespace SecretRotator.Bench;

/// <summary>
/// <c>credential-provider [--binary PATH] [--execs 200]</c>: exec to response of the kubelet plugin, as kubelet runs
/// it (a new process, the request on stdin, the response read from stdout until exit), p50 and p99. Two sources: static
/// (a password file) and ECR against a loopback token endpoint, whose own round trip is measured beside it, so the
/// plugin's share of a cloud exec is the difference.
/// </summary>
internal static class CredentialProviderBench
{
    private const int WarmUpExecs = 10;
    private const string Request = """{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"IMAGE"}""";

    public static async Task<int> RunAsync(string[] args)
    {
        // This harness's own tiered JIT recompiles its hot methods in the background during the first seconds, on the
        // same two cores as the measured plugin: a 60-70 ms p99 tail that was the harness, not the plugin (kubelet is
        // not JIT-compiled). So the measuring process runs with tiering off; other subcommands keep the default.
        if (Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0")
            return await RelaunchWithoutTieringAsync(args);
        var binary = Option(args, "--binary") ?? "artifacts/aot/secret-rotator";
        var execs = int.Parse(Option(args, "--execs") ?? "200", CultureInfo.InvariantCulture);
        if (!File.Exists(binary))
        {
            await Console.Error.WriteLineAsync($"no executable at {binary}: publish one with AOT=1 scripts/publish.sh artifacts/aot, or pass --binary");
            return 2;
        }
        var dir = Directory.CreateTempSubdirectory("secret-rotator-credprov-bench-");
        try
        {
            await using var ecr = await FakeTokenEndpoint.StartAsync();
            var password = Path.Combine(dir.FullName, "password.txt");
            await File.WriteAllTextAsync(password, "bench-password");
            var config = Path.Combine(dir.FullName, "config.yaml");
            await File.WriteAllTextAsync(config, $$$"""
                registries:
                  - {name: harbor, type: static, server: harbor.example.com, username: robot, password: {file: "{{{password}}}"}}
                  - {name: ecr, type: ecr, region: us-east-1, accounts: ["123456789012"]}
                """);
            var environment = new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = "AKIDBENCH00000000001",
                ["AWS_SECRET_ACCESS_KEY"] = "bench/secret/key/00000000000000000000000",
                ["AWS_EC2_METADATA_DISABLED"] = "true",
                ["AWS_ENDPOINT_URL_ECR"] = ecr.Url.ToString(),
            };

            Console.WriteLine($"credential-provider exec to response: {execs} execs each, {Environment.ProcessorCount} cores, {Path.GetFullPath(binary)}");
            Console.WriteLine();
            Console.WriteLine("| source | p50 | p99 | max |");
            Console.WriteLine("|---|---|---|---|");
            await MeasureAsync("static ({file:})", binary, config, "harbor.example.com/team/app", environment, execs);
            await MeasureAsync("ECR (loopback token endpoint)", binary, config, "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", environment, execs);
            await RoundTripAsync(ecr.Url, execs);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        return 0;
    }

    private static async Task<int> RelaunchWithoutTieringAsync(string[] args)
    {
        // Started by its apphost (dotnet run) or as `dotnet SecretRotator.Bench.dll`.
        var host = Environment.ProcessPath!;
        var start = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? new ProcessStartInfo(host, [Environment.GetCommandLineArgs()[0], "credential-provider", .. args])
            : new ProcessStartInfo(host, ["credential-provider", .. args]);
        start.Environment["DOTNET_TieredCompilation"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot restart the benchmark");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private static async Task MeasureAsync(string label, string binary, string config, string image, Dictionary<string, string> environment, int execs)
    {
        var request = Request.Replace("IMAGE", image, StringComparison.Ordinal);
        // Not measured: the first execs warm the page cache (as on a node that pulled before) and this harness's own
        // code paths.
        for (var i = 0; i < WarmUpExecs; i++) await ExecAsync(binary, config, request, environment);
        var samples = new List<double>(execs);
        for (var i = 0; i < execs; i++) samples.Add(await ExecAsync(binary, config, request, environment));
        Print(label, samples);
    }

    private static async Task<double> ExecAsync(string binary, string config, string request, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(binary, ["credential-provider", "--config", config])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + binary);
        await process.StandardInput.WriteAsync(request);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = stopwatch.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0 || !(await stdout).Contains("\"auth\"", StringComparison.Ordinal))
            throw new InvalidOperationException($"exit {process.ExitCode}: {await stderr}");
        return elapsed;
    }

    /// <summary>The fake's own cost: one POST from a fresh connection, as the plugin makes it.</summary>
    private static async Task RoundTripAsync(Uri url, int count)
    {
        var samples = new List<double>(count);
        for (var i = 0; i < count + 1; i++)
        {
            using var http = new HttpClient();
            var stopwatch = Stopwatch.StartNew();
            using var response = await http.PostAsync(url, new StringContent("{}"));
            await response.Content.ReadAsStringAsync();
            if (i > 0) samples.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        Print("(the token endpoint's own round trip, in-process client)", samples);
    }

    private static void Print(string label, List<double> samples)
    {
        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {At(0.50):0.0} ms | {At(0.99):0.0} ms | {samples[^1]:0.0} ms |"));
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
