using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using k8s.Exceptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Watching;
using SecretRotator.Registries;
using SecretRotator.Scheduling;
using SecretRotator.Telemetry;
using SecretRotator.Webhook;

namespace SecretRotator.Cli;

/// <summary>
/// `daemon`: the Generic Host (a slim WebApplication, for /healthz, /readyz and /metrics on --port) running Quartz and the
/// leader election. The config is read once; a changed ConfigMap restarts the pod through the chart's checksum annotation.
/// SIGTERM: no new writes, in-flight ones finish within HostOptions.ShutdownTimeout (below the pod's grace period).
/// </summary>
internal sealed class DaemonCommand(CliOptions o, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    /// <summary>The pod's default terminationGracePeriodSeconds is 30: leave room for the process to exit.</summary>
    internal static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    private const string InClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken shutdown)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        CommandServices.Add(builder.Services, parse, o, configure, environment);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = ShutdownTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(c => c.SuppressStatusMessages = true);

        // The config is loaded from a throwaway container first: errors exit 2 before anything starts.
        await using (var probe = CommandServices.Build(parse, o, configure, environment))
        {
            var config = await CommandServices.LoadConfigAsync(probe, parse.GetValue(o.Config), stderr);
            if (config is null) return CliApp.ExitUsage;
            try
            {
                // Fails fast (exit 2) without a cluster connection rather than inside a hosted service.
                _ = probe.GetRequiredService<IKubernetesClientProvider>().Client;
            }
            catch (KubeConfigException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return CliApp.ExitUsage;
            }
            var namespaced = parse.GetValue(o.Namespaced);
            if (namespaced && ClusterWatches.NamespacedProblem(config) is { } problem)
            {
                await stderr.WriteLineAsync($"error: --namespaced: {problem}");
                return CliApp.ExitUsage;
            }
            var environment = probe.GetService<IEnvironmentVariables>() ?? new ProcessEnvironmentVariables();
            builder.Services.AddSecretRotatorDaemon(config, d =>
            {
                d.Port = parse.GetValue(o.Port);
                d.LeaderElect = parse.GetValue(o.LeaderElect);
                d.LeaseName = parse.GetValue(o.LeaseName)!;
                d.LeaseNamespace = parse.GetValue(o.LeaseNamespace) ?? LeaseNamespace(environment);
                d.Identity = environment.Get("POD_NAME") ?? Environment.MachineName;
                d.Namespaced = namespaced;
                d.WebhookPort = parse.GetValue(o.WebhookPort);
                d.TlsCertFile = parse.GetValue(o.TlsCertFile);
                d.TlsPrivateKeyFile = parse.GetValue(o.TlsPrivateKeyFile);
            });
            // LoadConfigAsync set settings.qps/burst on the probe's limiter; the host has its own container, so its
            // limiter (registered last, it wins) takes the same settings.
            var rateLimit = new KubernetesRateLimit();
            rateLimit.Configure(config.Settings.Qps, config.Settings.Burst);
            builder.Services.AddSingleton(rateLimit);
        }
        var port = parse.GetValue(o.Port);
        if (port is < 0 or > 65535)
        {
            await stderr.WriteLineAsync($"error: --port {port}: must be 0-65535");
            return CliApp.ExitUsage;
        }
        builder.WebHost.UseKestrel(k => k.ListenAnyIP(port));
        var webhookPort = parse.GetValue(o.WebhookPort);
        var (certFile, keyFile) = (parse.GetValue(o.TlsCertFile), parse.GetValue(o.TlsPrivateKeyFile));
        if (webhookPort is not null && (certFile is null || keyFile is null))
        {
            await stderr.WriteLineAsync("error: --webhook-port needs --tls-cert-file and --tls-private-key-file (the API server calls webhooks over TLS only)");
            return CliApp.ExitUsage;
        }
        if (webhookPort is { } hook) builder.AddSecretRotatorWebhook(hook, certFile!, keyFile!);

        await using var app = builder.Build();
        app.MapSecretRotatorTelemetry();
        if (webhookPort is not null)
        {
            try
            {
                // Loaded now: a missing or wrong certificate is a usage error at start, not a failed handshake later.
                _ = app.Services.GetRequiredService<WebhookCertificate>();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                await stderr.WriteLineAsync($"error: --tls-cert-file {certFile} / --tls-private-key-file {keyFile}: {e.Message}");
                return CliApp.ExitUsage;
            }
            app.MapSecretRotatorWebhook();
        }
        app.MapGet("/readyz", (DaemonStatus status, Leadership leadership, WatchHealth watches) =>
            watches.ForbiddenRules() is { Count: > 0 } forbidden
                // A watch refused by RBAC retries for ever and writes nothing: not ready, and the message names the rule to add.
                ? Results.Text($"not ready: watch forbidden (HTTP 403): {string.Join("; ", forbidden)}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
                : status.FirstPassDone || (!leadership.IsLeader && status.ElectionRunning)
                ? Results.Text(leadership.IsLeader ? "ok\n" : "ok (standby)\n")
                : Results.Text("not ready: first full pass not done\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        try
        {
            await app.StartAsync(shutdown);
            TelemetryLog.Serving(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<DaemonCommand>(), string.Join(", ", app.Urls));
            await app.WaitForShutdownAsync(shutdown);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
        }
        catch (KubeConfigException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return CliApp.ExitUsage;
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"error: --port {port}: {e.Message}");
            return CliApp.ExitUsage;
        }
        // Stops the election loop (draining the runner) and Quartz; bounded by ShutdownTimeout.
        await app.StopAsync(CancellationToken.None);
        return app.Services.GetRequiredService<DaemonStatus>().Fault is null ? CliApp.ExitOk : CliApp.ExitFailed;
    }

    private static string LeaseNamespace(IEnvironmentVariables environment)
    {
        if (environment.Get("POD_NAMESPACE") is { } ns) return ns;
        try
        {
            if (File.Exists(InClusterNamespaceFile) && File.ReadAllText(InClusterNamespaceFile).Trim() is { Length: > 0 } file) return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // fall through to the default
        }
        return "default";
    }
}
