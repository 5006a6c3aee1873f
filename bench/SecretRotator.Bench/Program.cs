using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Kubernetes;

if (args.FirstOrDefault() == "scale") return await SecretRotator.Bench.Scale.ScaleBenchmark.RunAsync(args[1..]);
if (args.FirstOrDefault() == "daemon-scale") return await SecretRotator.Bench.DaemonScaleBench.RunAsync(args[1..]);
if (args.FirstOrDefault() == "credential-provider") return await SecretRotator.Bench.CredentialProviderBench.RunAsync(args[1..]);
if (args.FirstOrDefault() == "hotpath") { SecretRotator.Bench.Scale.HotPath.Run(int.Parse(args[1], CultureInfo.InvariantCulture)); return 0; }

// Measures the run pipeline end to end (real CLI, real KubernetesClient, loopback fake API server over HTTP)
// and the hot pure function. Usage: dotnet run -c Release --project bench/SecretRotator.Bench -- [namespaces] [latencyMs]
// Daemon: ... -- daemon-latency [served=1000] [burst=100] [memoryNamespaces=10000] [qps=50] (see DaemonLatencyBench.cs).
// Webhook: ... -- webhook BINARY [requests=2000] [concurrency=8] [creates=300] (see WebhookBench.cs).
if (args is ["webhook", .. var webhookArgs]) return await SecretRotator.Bench.WebhookBench.RunAsync(webhookArgs);
if (args is ["daemon-latency", .. var daemonArgs])
{
    await DaemonLatencyBench.RunAsync(daemonArgs);
    return 0;
}
var namespaces = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var latencyMs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var dir = Directory.CreateTempSubdirectory("secret-rotator-bench-");
try
{
    Console.WriteLine($"secret-rotator benchmark: {namespaces} namespaces, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
    Console.WriteLine();
    Console.WriteLine("| scenario | concurrency | requests | writes | wall time | targets/s |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (var concurrency in new[] { 16, 64 })
        await Pipeline(namespaces, concurrency, TimeSpan.Zero);
    foreach (var concurrency in new[] { 1, 16, 64 })
        await Pipeline(Math.Min(namespaces, 200), concurrency, TimeSpan.FromMilliseconds(latencyMs));
    Console.WriteLine();
    DockerConfigThroughput();
}
finally
{
    dir.Delete(recursive: true);
}
return 0;

async Task Pipeline(int count, int concurrency, TimeSpan latency)
{
    await using var api = await FakeKubeApiServer.StartAsync();
    var names = Enumerable.Range(0, count).Select(i => $"team-{i:D5}").ToList();
    foreach (var ns in names) api.AddNamespace(ns, new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
    if (latency > TimeSpan.Zero) api.FaultHook = _ => KubeFault.Slow(latency);
    var password = Path.Combine(dir.FullName, "password.txt");
    File.WriteAllText(password, "initial-password");
    var config = Path.Combine(dir.FullName, "bench.yaml");
    File.WriteAllText(config, $$"""
        registries:
          - name: ghcr
            type: static
            server: ghcr.io
            username: bot
            password: {file: {{password}}}
          - name: hub
            type: static
            server: https://index.docker.io/v1/
            username: bot
            password: {file: {{password}}}
        secrets:
          - name: regcred
            registries: [ghcr, hub]
            namespaces: {names: ["team-*"], selector: "pull-secrets=enabled"}
            serviceAccounts: [default]
        settings: {concurrency: {{concurrency}}, timeout: 30m}
        """);
    var client = api.CreateClient();
    var app = new CliApp(TextWriter.Null, TextWriter.Null, s =>
    {
        s.AddSingleton<IKubernetesClientProvider>(new FixedKubernetesClientProvider(client));
        s.AddLogging(b => b.ClearProviders());
    });
    var label = latency > TimeSpan.Zero ? $"+{latency.TotalMilliseconds:0}ms/request" : "no added latency";

    async Task Measure(string scenario)
    {
        api.ClearJournal();
        var sw = Stopwatch.StartNew();
        var code = await app.RunAsync(["run", "--config", config]);
        sw.Stop();
        if (code != 0) throw new InvalidOperationException($"{scenario}: exit code {code}");
        Console.WriteLine($"| {scenario}, {count} ns, {label} | {concurrency} | {api.Journal.Count} | {api.Writes.Count} | {sw.Elapsed.TotalMilliseconds:0} ms | {count / sw.Elapsed.TotalSeconds:0} |");
    }

    await Measure("first run (create + SA patch)");
    await Measure("second run (unchanged)");
    File.WriteAllText(password, "rotated-password");
    await Measure("rotation (replace)");
}

static void DockerConfigThroughput()
{
    DockerAuthEntry[] entries =
    [
        new("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", new string('x', 1800)),
        new("ghcr.io", "bot", "ghp_" + new string('y', 36), "bot@example.com"),
        new("myregistry.azurecr.io", "00000000-0000-0000-0000-000000000000", new string('z', 1200)),
    ];
    for (var i = 0; i < 1000; i++) DockerConfigJson.Build(entries); // warm-up
    var sw = Stopwatch.StartNew();
    var n = 0;
    while (sw.ElapsedMilliseconds < 1000) { DockerConfigJson.Build(entries); n++; }
    Console.WriteLine($"DockerConfigJson.Build (3 entries, ~3 KB): {n / sw.Elapsed.TotalSeconds:N0} ops/s, {sw.Elapsed.TotalMicroseconds / n:0.0} us/op");
}
