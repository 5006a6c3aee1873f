using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Explain;
using SecretRotator.Registries;

namespace SecretRotator.Cli;

internal sealed class ValidateCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure, environment);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        // Keys kubelet would read differently from how they look (never an error: the exit code stays 0).
        var lint = new ServerKeyLint(services.GetServices<IRegistryProvider>()).Check(config);
        foreach (var warning in lint)
            await stderr.WriteLineAsync($"warning: {warning}");
        var counts = new List<string> { CommandServices.Count(config.Registries.Count, "registry"), CommandServices.Count(config.Secrets.Count, "secret") };
        var warnings = config.Warnings.Count + lint.Count;
        if (warnings > 0) counts.Add(CommandServices.Count(warnings, "warning"));
        await stdout.WriteLineAsync($"{config.File}: OK ({string.Join(", ", counts)})".AsMemory(), cancellationToken);
        return CliApp.ExitOk;
    }
}
