using System.CommandLine;
using k8s.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator.Cli;

internal sealed class RunCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken shutdown)
    {
        await using var services = CommandServices.Build(parse, o, configure, environment);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;

        var options = new RunOptions
        {
            Secret = parse.GetValue(o.Secret),
            Namespaces = parse.GetValue(o.Namespace) ?? [],
            DryRun = parse.GetValue(o.DryRun),
            Force = parse.GetValue(o.Force),
        };
        if (!await CommandServices.CheckSecretAsync(config, options.Secret, stderr)) return CliApp.ExitUsage;

        await using var metricsServer = services.GetRequiredService<MetricsServer>();
        if (parse.GetValue(o.MetricsPort) is { } port)
        {
            try
            {
                await metricsServer.StartAsync(port, shutdown);
            }
            catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await stderr.WriteLineAsync($"error: --metrics-port {port}: {e.Message}");
                return CliApp.ExitUsage;
            }
        }

        // Reach the API server once before fanning out: an unreachable cluster is one line, not a warning per call.
        // Nothing ran on these paths, so nothing is pushed (an empty push would reset the last run's failure counters).
        var time = services.GetRequiredService<TimeProvider>();
        var probeStarted = time.GetTimestamp();
        try
        {
            if (await services.GetRequiredService<ClusterProbe>().ProbeAsync(config.Settings.Timeout, shutdown) is { } unreachable)
            {
                await stderr.WriteLineAsync($"error: {unreachable}");
                return CliApp.ExitFailed;
            }
        }
        catch (KubeConfigException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return CliApp.ExitUsage;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: interrupted before any secret was written");
            return CliApp.ExitFailed;
        }
        // The probe's wait counts against settings.timeout: the run gets what is left (whole seconds, so messages stay readable).
        var timeout = config.Settings.Timeout;
        var waited = time.GetElapsedTime(probeStarted);
        if (waited >= TimeSpan.FromSeconds(1))
            config = config with { Settings = config.Settings with { Timeout = TimeSpan.FromSeconds(Math.Max(1, Math.Floor((timeout - waited).TotalSeconds))) } };

        RunReport report;
        try
        {
            report = await services.GetRequiredService<RotationRunner>().RunAsync(config, options, shutdown);
        }
        catch (OperationCanceledException)
        {
            // Stopped (SIGTERM or the run timeout) before any write started: nothing is half done.
            await stderr.WriteLineAsync(shutdown.IsCancellationRequested
                ? "error: interrupted before any secret was written"
                : $"error: run timeout {Configuration.Duration.Format(timeout)} reached before any secret was written");
            return CliApp.ExitFailed;
        }
        finally
        {
            // Pushed even after SIGTERM (hence no token); bounded by its own timeout; a failed push is logged
            // and never changes the exit code.
            if (!options.DryRun) await services.GetRequiredService<IMetricsPublisher>().PublishAsync(config, CancellationToken.None);
        }
        await RunSummary.WriteAsync(stdout, report);
        return report.ExitCode;
    }
}
