using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Explain;
using SecretRotator.Registries;

namespace SecretRotator.Cli;

internal sealed class ValidateCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        // Keys kubelet would read differently from how they look (never an error: the exit code stays 0).
        foreach (var warning in new ServerKeyLint(services.GetServices<IRegistryProvider>()).Check(config))
            await stderr.WriteLineAsync($"warning: {warning}");
        await stdout.WriteLineAsync($"{config.File}: OK ({config.Registries.Count} registries, {config.Secrets.Count} secrets)".AsMemory(), cancellationToken);
        return CliApp.ExitOk;
    }
}
