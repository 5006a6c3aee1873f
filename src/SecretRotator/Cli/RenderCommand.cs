using System.CommandLine;
using k8s;
using k8s.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Rotation;

namespace SecretRotator.Cli;

/// <summary>
/// Prints the Secrets a run would write, like <c>kubectl create secret docker-registry --dry-run=client -o yaml</c>.
/// Needs no cluster when namespaces are explicit (or given with --namespace) and no {secret:} source is used.
/// </summary>
internal sealed class RenderCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        var only = parse.GetValue(o.Secret);
        var namespaces = parse.GetValue(o.Namespace) ?? [];
        var targets = config.Secrets.Where(s => only is null || s.Name == only).ToList();

        foreach (var target in targets.Where(t => namespaces.Length == 0 && !t.Namespaces.IsExplicitOnly))
        {
            await stderr.WriteLineAsync($"error: secret {target.Name} selects namespaces by glob or selector; pass --namespace NS to render it offline");
            return CliApp.ExitUsage;
        }

        var used = targets.SelectMany(t => t.Registries).Distinct(StringComparer.Ordinal).Select(config.Registry);
        try
        {
            var (fresh, results) = await services.GetRequiredService<CredentialFetcher>().FetchAsync(used, cancellationToken);
            foreach (var failed in results.Values.Where(r => r.Error is not null))
                await stderr.WriteLineAsync($"error: registry {failed.Registry}: {failed.Error}");
            if (results.Values.Any(r => r.Error is not null)) return CliApp.ExitFailed;

            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var first = true;
            foreach (var target in targets)
            {
                foreach (var ns in namespaces.Length > 0 ? namespaces : target.Namespaces.Names)
                {
                    var desired = SecretBuilder.Build(target, ns, fresh, existing: null, now, config.Settings.Instance);
                    if (!first) await stdout.WriteLineAsync("---");
                    first = false;
                    await stdout.WriteAsync(KubernetesYaml.Serialize(desired.Secret).AsMemory(), cancellationToken);
                    await stdout.WriteLineAsync();
                }
            }
        }
        catch (KubeConfigException e)
        {
            await stderr.WriteLineAsync($"error: a {{secret:}} source needs the cluster: {e.Message}");
            return CliApp.ExitUsage;
        }
        return CliApp.ExitOk;
    }
}
