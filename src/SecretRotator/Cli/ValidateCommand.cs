using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;

namespace SecretRotator.Cli;

internal sealed class ValidateCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        await stdout.WriteLineAsync($"{config.File}: OK ({config.Registries.Count} registries, {config.Secrets.Count} secrets)".AsMemory(), cancellationToken);
        return CliApp.ExitOk;
    }
}
