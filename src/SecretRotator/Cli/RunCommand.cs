using System.CommandLine;
using k8s.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Rotation;

namespace SecretRotator.Cli;

internal sealed class RunCommand(TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken shutdown)
    {
        await using var services = CommandServices.Build(parse, configure);
        var config = await CommandServices.LoadConfigAsync(services, parse, stderr);
        if (config is null) return CliApp.ExitUsage;

        var options = new RunOptions
        {
            Secret = parse.GetValue(CliApp.Secret),
            Namespaces = parse.GetValue(CliApp.Namespace) ?? [],
            DryRun = parse.GetValue(CliApp.DryRun),
            Force = parse.GetValue(CliApp.Force),
        };
        if (options.Secret is { } only && config.Secrets.All(s => s.Name != only))
        {
            await stderr.WriteLineAsync($"error: --secret {only}: no such secret in {config.File} (known: {string.Join(", ", config.Secrets.Select(s => s.Name))})");
            return CliApp.ExitUsage;
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
        await RunSummary.WriteAsync(stdout, report);
        return report.ExitCode;
    }
}
