using System.CommandLine;
using k8s.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Rotation;

namespace SecretRotator.Cli;

/// <summary>
/// Every secret the config expects and every managed secret found, with its expiry and state. Read-only, so it
/// can run with list permissions in a pipeline: exit 1 when an expected secret is missing or expired (or something
/// could not be read), 0 otherwise, 2 for a bad config or no cluster connection.
/// </summary>
internal sealed class StatusCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;

        StatusReport report;
        try
        {
            report = await services.GetRequiredService<SecretStatusReader>().ReadAsync(config, cancellationToken);
        }
        catch (KubeConfigException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return CliApp.ExitUsage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: interrupted");
            return CliApp.ExitFailed;
        }

        if (parse.GetValue(o.Output) == "json") await StatusOutput.WriteJsonAsync(stdout, report, cancellationToken);
        else await StatusOutput.WriteTableAsync(stdout, report);
        foreach (var error in report.Errors) await stderr.WriteLineAsync($"error: {error}");
        return report.Errors.Count > 0 || report.Secrets.Any(s => s.IsProblem) ? CliApp.ExitFailed : CliApp.ExitOk;
    }
}
