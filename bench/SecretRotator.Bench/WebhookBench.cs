using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.Webhook;

namespace SecretRotator.Bench;

/// <summary>
/// The admission webhook of the running binary, over HTTPS, as the API server calls it. Usage:
/// <c>webhook BINARY [requests=2000] [concurrency=8] [creates=300]</c> (BINARY: the native secret-rotator, or secret-rotator.dll).
/// Present: pods in namespaces whose secret exists (served from the daemon's caches). Create: a namespace is created and
/// its pod posted at once, so every review creates the secret first, against a fake API server answering in 10 ms.
/// </summary>
internal static partial class WebhookBench
{
    [GeneratedRegex(@"https://[^\s,]*:(\d+)")]
    private static partial Regex Https();

    public static async Task<int> RunAsync(string[] args)
    {
        var binary = Path.GetFullPath(args[0]);
        var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        var creates = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 300;
        var dir = Directory.CreateTempSubdirectory("secret-rotator-webhook-bench-");
        try
        {
            await using var api = await FakeKubeApiServer.StartAsync();
            for (var i = 0; i < 100; i++) api.AddNamespace($"team-{i:D3}");
            using var tls = new WebhookTls(dir.FullName);
            File.WriteAllText(Path.Combine(dir.FullName, "password.txt"), "bench-password");
            var config = Write(dir, "config.yaml", $$$"""
                registries:
                  - {name: hub, type: static, server: registry.example.com, username: robot, password: {file: {{{Path.Combine(dir.FullName, "password.txt")}}}}}
                secrets:
                  - {name: regcred, registries: [hub], namespaces: {names: ["team-*"]}, serviceAccounts: [default]}
                """);
            var kubeconfig = Write(dir, "kubeconfig", $$$"""
                apiVersion: v1
                kind: Config
                clusters: [{name: fake, cluster: {server: "{{{api.Url.ToString().TrimEnd('/')}}}"}}]
                users: [{name: fake, user: {token: bench}}]
                contexts: [{name: fake, context: {cluster: fake, user: fake}}]
                current-context: fake
                """);
            var start = new ProcessStartInfo(binary.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet" : binary)
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            if (binary.EndsWith(".dll", StringComparison.Ordinal)) start.ArgumentList.Add(binary);
            foreach (var a in new[] { "daemon", "--config", config, "--kubeconfig", kubeconfig, "--port", "0", "--leader-elect", "false",
                         "--webhook-port", "0", "--tls-cert-file", tls.CertFile, "--tls-private-key-file", tls.KeyFile })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            Uri? webhook = null;
            var waited = Stopwatch.StartNew();
            while (webhook is null || !Logged(stderr, "First full pass done"))
            {
                if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60)) throw new InvalidOperationException($"daemon not ready:\n{stderr}");
                if (Https().Match(Logged(stderr)) is { Success: true } m) webhook = new Uri($"https://127.0.0.1:{m.Groups[1].Value}/mutate/v1/pods");
                await Task.Delay(50);
            }

            using var http = tls.Client();
            Console.WriteLine($"secret-rotator webhook benchmark: {Path.GetFileName(binary)}, {Environment.ProcessorCount} cores, concurrency {concurrency}");
            Console.WriteLine();
            Console.WriteLine("| scenario | requests | p50 | p99 | max | throughput |");
            Console.WriteLine("|---|---|---|---|---|---|");
            await Measure(http, webhook!, "warm-up (discarded)", 200, concurrency, i => Review($"team-{i % 100:D3}", i), print: false);
            await Measure(http, webhook!, "secret present (from the caches)", requests, concurrency, i => Review($"team-{i % 100:D3}", i));
            api.FaultHook = _ => KubeFault.Slow(TimeSpan.FromMilliseconds(10));
            await Measure(http, webhook!, "secret missing: one create, API latency 10 ms", creates, Math.Min(concurrency, 4), i =>
            {
                api.AddNamespace($"team-new-{i:D5}");
                return Review($"team-new-{i:D5}", i);
            });
            api.FaultHook = null;
            process.Kill();
            await process.WaitForExitAsync();
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task Measure(HttpClient http, Uri webhook, string scenario, int count, int concurrency, Func<int, string> review, bool print = true)
    {
        var latencies = new double[count];
        var next = -1;
        var patched = 0;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var body = review(i);
                var sw = Stopwatch.StartNew();
                using var content = new StringContent(body, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(webhook, content);
                var text = await response.Content.ReadAsStringAsync();
                latencies[i] = sw.Elapsed.TotalMilliseconds;
                if (text.Contains("\"patchType\":\"JSONPatch\"", StringComparison.Ordinal)) Interlocked.Increment(ref patched);
            }
        })));
        wall.Stop();
        if (!print) return;
        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(count - 1, (int)Math.Ceiling(q * count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {scenario} | {count} ({patched} patched) | {P(0.50):0.00} ms | {P(0.99):0.00} ms | {latencies[^1]:0.00} ms | {count / wall.Elapsed.TotalSeconds:0} reviews/s |"));
    }

    private static string Review(string ns, int i) =>
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"bench-" + i.ToString(CultureInfo.InvariantCulture) +
        "\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},\"namespace\":\"" + ns +
        "\",\"operation\":\"CREATE\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"app\"},\"spec\":{\"serviceAccountName\":\"default\"," +
        "\"containers\":[{\"name\":\"app\",\"image\":\"registry.example.com/team/app:1.0\"},{\"name\":\"proxy\",\"image\":\"nginx:1.27\"}]}},\"dryRun\":false}}";

    private static string Write(DirectoryInfo dir, string name, string content)
    {
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Logged(StringBuilder stderr)
    {
        lock (stderr) return stderr.ToString();
    }

    private static bool Logged(StringBuilder stderr, string text) => Logged(stderr).Contains(text, StringComparison.Ordinal);
}
