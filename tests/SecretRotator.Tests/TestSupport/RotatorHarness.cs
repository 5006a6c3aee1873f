using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Cli;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Runs the real CLI against the loopback fake API server through the real KubernetesClient, with a fake
/// clock and captured stdout, stderr and logs. Config files and password files live in a temp directory.
/// </summary>
public sealed class RotatorHarness : IAsyncDisposable
{
    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("secret-rotator-test-");

    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private RotatorHarness(FakeKubeApiServer api) => Api = api;

    public FakeKubeApiServer Api { get; }
    public FakeTimeProvider Time { get; private set; } = new(Start);
    public FakeLogCollector Logs { get; } = new();
    public string Directory => _dir.FullName;
    /// <summary>Extra service overrides applied after the defaults (e.g. a registry provider fake).</summary>
    public Action<IServiceCollection>? Configure { get; set; }
    /// <summary>Handlers put into the Kubernetes client's pipeline (e.g. the retry handler).</summary>
    public Func<DelegatingHandler[]> Handlers { get; set; } = () => [];

    public static async Task<RotatorHarness> StartAsync(params string[] namespaces)
    {
        var harness = new RotatorHarness(await FakeKubeApiServer.StartAsync());
        foreach (var ns in namespaces) harness.Api.AddNamespace(ns);
        return harness;
    }

    public IKubernetes Client() => Api.CreateClient();

    /// <summary>The tool's services as a daemon event uses them, on this harness's clock and fake API server (fake logging).</summary>
    public ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddFakeLogging();
        services.AddSecretRotator();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IKubernetesClientProvider>(new FixedKubernetesClientProvider(Client()));
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Puts the product's retry handler (default options, but per-try timeouts longer than any test) on a clock where
    /// backoff waits of up to a minute pass at once: the CLI rides out minutes of faults in milliseconds.
    /// </summary>
    public void UseProductRetriesOnSkippingClock()
    {
        var time = new BackoffSkippingTimeProvider(Start, TimeSpan.FromMinutes(1));
        Time = time;
        Handlers = () => [KubernetesResilience.CreateHandler(new KubernetesRetryOptions { AttemptTimeout = TimeSpan.FromHours(1) }, time,
            new FakeLogger(Logs))];
    }

    public string WriteFile(string name, string content)
    {
        var path = System.IO.Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public string WriteConfig(string yaml, string name = "config.yaml") => WriteFile(name, yaml);

    /// <summary>
    /// Two static registries (reg-a: a.example.com, password-a; reg-b: b.example.com, password-b, from a.txt / b.txt)
    /// merged into the target "regcred"; <paramref name="extraSecrets"/> are more items of the secrets list.
    /// </summary>
    public string WriteTwoRegistryConfig(string namespaces = "[default]", string settings = "{}", string serviceAccounts = "[]", string extraSecrets = "")
    {
        WriteFile("a.txt", "password-a");
        WriteFile("b.txt", "password-b");
        return WriteConfig($$"""
            registries:
              - name: reg-a
                type: static
                server: a.example.com
                username: ua
                password: {file: a.txt}
              - name: reg-b
                type: static
                server: b.example.com
                username: ub
                password: {file: b.txt}
            secrets:
              - name: regcred
                registries: [reg-a, reg-b]
                namespaces: {names: {{namespaces}}}
                serviceAccounts: {{serviceAccounts}}
            {{extraSecrets}}
            settings: {{settings}}
            """);
    }

    /// <summary>One static registry "local" (password from password.txt) written to default/regcred, with settings.verify set.</summary>
    public string WriteVerifyConfig(string server, string username, string password, bool verify)
    {
        WriteFile("password.txt", password);
        return WriteConfig($$"""
            registries:
              - name: local
                type: static
                server: {{server}}
                username: {{username}}
                password: {file: password.txt}
            secrets:
              - name: regcred
                registries: [local]
                namespaces:
                  names: [default]
            settings:
              verify: {{(verify ? "true" : "false")}}
            """);
    }

    public Task<CliResult> RunCliAsync(params string[] args) => RunCliUntilAsync(CancellationToken.None, args);

    /// <param name="shutdown">Stands in for SIGTERM.</param>
    public async Task<CliResult> RunCliUntilAsync(CancellationToken shutdown, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<IKubernetesClientProvider>(new FixedKubernetesClientProvider(Api.CreateClient(Handlers())));
            services.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(Logs)));
            Configure?.Invoke(services);
        });
        var code = await app.RunAsync(args, shutdown);
        return new CliResult(code, stdout.ToString(), stderr.ToString(), string.Join("\n", Logs.GetSnapshot().Select(r => r.Message)));
    }

    public V1Secret Secret(string ns, string name) =>
        Api.GetSecret(ns, name) ?? throw new Xunit.Sdk.XunitException($"secret {ns}/{name} does not exist");

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr, string Logs)
{
    public string All => $"{Stdout}\n{Stderr}\n{Logs}";
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}\n--- logs\n{Logs}";
}
