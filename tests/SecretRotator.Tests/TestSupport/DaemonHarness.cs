using System.Text.RegularExpressions;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Scheduling;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Runs `secret-rotator daemon` in-process against a loopback fake API server through the real KubernetesClient, on the
/// system clock with short lease and backoff timings. Waits poll state with a deadline; nothing sleeps as an assertion.
/// </summary>
public sealed partial class DaemonHarness : IAsyncDisposable
{
    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("secret-rotator-daemon-");
    private readonly List<RunningDaemon> _daemons = [];

    private DaemonHarness(FakeKubeApiServer api) => Api = api;

    public FakeKubeApiServer Api { get; }

    public static async Task<DaemonHarness> StartAsync(params string[] namespaces)
    {
        var harness = new DaemonHarness(await FakeKubeApiServer.StartAsync());
        foreach (var ns in namespaces) harness.Api.AddNamespace(ns);
        return harness;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>One static registry "hub" (password from password.txt) into secret "regcred".</summary>
    public string WriteConfig(string namespaces = "names: [\"team-*\"]", string serviceAccounts = "[]", string settings = "{}")
    {
        WriteFile("password.txt", Password);
        return WriteFile("config.yaml", $$"""
            registries:
              - name: hub
                type: static
                server: registry.example.com
                username: robot
                password: {file: password.txt}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces:
                  {{namespaces}}
                serviceAccounts: {{serviceAccounts}}
            settings: {{settings}}
            """);
    }

    public const string Password = "s3cr3t-daemon-password";

    /// <summary>Starts a daemon; it runs until disposed or <see cref="RunningDaemon.StopAsync"/>.</summary>
    public RunningDaemon Start(string config, string identity = "daemon-a", bool leaderElect = false, Action<DaemonOptions>? timings = null,
        string leaseNamespace = "kube-system", string leaseName = "secret-rotator", Action<IServiceCollection>? services = null, bool viaKubeconfig = false,
        bool namespaced = false,
        string[]? extraArgs = null)
    {
        var logs = new FakeLogCollector();
        var writes = new WriteCounter();
        var stop = new CancellationTokenSource();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, collection =>
        {
            // viaKubeconfig: the product builds its own client (retry and rate-limit handlers included), as in a pod.
            if (!viaKubeconfig) collection.AddSingleton<IKubernetesClientProvider>(new FixedKubernetesClientProvider(Api.CreateClient(writes)));
            services?.Invoke(collection);
            collection.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(logs)));
            collection.PostConfigure<DaemonOptions>(o =>
            {
                o.Identity = identity;
                o.LeaseDuration = TimeSpan.FromSeconds(2);
                o.RenewDeadline = TimeSpan.FromSeconds(1.5);
                o.RetryPeriod = TimeSpan.FromMilliseconds(250);
                o.WatchBackoffInitial = TimeSpan.FromMilliseconds(50);
                o.WatchBackoffMax = TimeSpan.FromMilliseconds(400);
                timings?.Invoke(o);
            });
        });
        string[] args = ["daemon", "--config", config, "--port", "0", "--leader-elect", leaderElect ? "true" : "false",
            "--lease-namespace", leaseNamespace, "--lease-name", leaseName, .. viaKubeconfig ? ["--kubeconfig", WriteKubeconfig()] : Array.Empty<string>(),
            .. namespaced ? ["--namespaced"] : Array.Empty<string>(), .. extraArgs ?? []];
        var exit = Task.Run(() => app.RunAsync(args, stop.Token));
        var daemon = new RunningDaemon(exit, stop, logs, writes, stderr);
        _daemons.Add(daemon);
        return daemon;
    }

    private string WriteKubeconfig() => WriteFile("kubeconfig.yaml", $$$"""
        apiVersion: v1
        kind: Config
        clusters:
        - {name: fake, cluster: {server: "{{{Api.Url.ToString().TrimEnd('/')}}}"}}
        contexts:
        - {name: fake, context: {cluster: fake, user: fake}}
        current-context: fake
        users:
        - {name: fake, user: {token: daemon-token}}
        """);

    /// <summary>Polls <paramref name="condition"/> until true or the deadline; returns how long it took.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > within) throw new Xunit.Sdk.XunitException($"not within {within}: {what}");
            await Task.Delay(20);
        }
        return TimeProvider.System.GetElapsedTime(started);
    }

    public static async Task<TimeSpan> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > within) throw new Xunit.Sdk.XunitException($"not within {within}: {what}");
            await Task.Delay(50);
        }
        return TimeProvider.System.GetElapsedTime(started);
    }

    public V1Secret? Secret(string ns) => Api.GetSecret(ns, "regcred");

    public async ValueTask DisposeAsync()
    {
        foreach (var daemon in _daemons) await daemon.StopAsync();
        await Api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>Counts this daemon's write requests per resource, so two daemons' writes can be told apart.</summary>
    public sealed class WriteCounter : DelegatingHandler
    {
        private int _secretWrites;
        private int _accountWrites;

        public int SecretWrites => Volatile.Read(ref _secretWrites);
        public int ServiceAccountWrites => Volatile.Read(ref _accountWrites);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get)
            {
                var path = request.RequestUri!.AbsolutePath;
                if (path.Contains("/secrets", StringComparison.Ordinal)) Interlocked.Increment(ref _secretWrites);
                if (path.Contains("/serviceaccounts", StringComparison.Ordinal)) Interlocked.Increment(ref _accountWrites);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}

public sealed partial class RunningDaemon(Task<int> exit, CancellationTokenSource stop, FakeLogCollector logs, DaemonHarness.WriteCounter writes, StringWriter stderr)
{
    public Task<int> Exit => exit;
    public DaemonHarness.WriteCounter Writes => writes;
    public string Logs => string.Join("\n", logs.GetSnapshot().Select(r => $"{r.Level} {r.Category}: {r.Message}")) + "\n" + stderr;

    [GeneratedRegex(@"http://[^\s,]*:(\d+)")]
    private static partial Regex Listening();

    /// <summary>The bound address of /healthz, /readyz, /metrics (once the host has started).</summary>
    public async Task<Uri> AddressAsync()
    {
        Match? match = null;
        await DaemonHarness.WaitUntilAsync(() => exit.IsCompleted || (match = Listening().Match(Logs)).Success, TimeSpan.FromSeconds(20), "the daemon listens");
        if (match is not { Success: true }) throw new Xunit.Sdk.XunitException($"daemon exited: {Logs}");
        return new Uri($"http://127.0.0.1:{match.Groups[1].Value}/");
    }

    public async Task<(int Status, string Body)> GetAsync(string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(await AddressAsync(), path));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<int> StopAsync()
    {
        if (!stop.IsCancellationRequested) await stop.CancelAsync();
        return await exit;
    }
}
