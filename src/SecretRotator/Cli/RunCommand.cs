using System.CommandLine;
using k8s.Exceptions;
using Microsoft.Extensions.DependencyInjection;
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

        RunReport report;
        try
        {
            report = await services.GetRequiredService<RotationRunner>().RunAsync(config, options, shutdown);
        }
        catch (KubeConfigException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return CliApp.ExitUsage;
        }
        catch (OperationCanceledException)
        {
            // Stopped (SIGTERM or the run timeout) before any write started: nothing is half done.
            await stderr.WriteLineAsync(shutdown.IsCancellationRequested
                ? "error: interrupted before any secret was written"
                : $"error: run timeout {Configuration.Duration.Format(config.Settings.Timeout)} reached before any secret was written");
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
