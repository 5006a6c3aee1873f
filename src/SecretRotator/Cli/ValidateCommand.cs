using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;

namespace SecretRotator.Cli;

internal sealed class ValidateCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure, environment);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        var counts = new List<string> { CommandServices.Count(config.Registries.Count, "registry"), CommandServices.Count(config.Secrets.Count, "secret") };
        if (config.Warnings.Count > 0) counts.Add(CommandServices.Count(config.Warnings.Count, "warning"));
        await stdout.WriteLineAsync($"{config.File}: OK ({string.Join(", ", counts)})".AsMemory(), cancellationToken);
        return CliApp.ExitOk;
    }
}
