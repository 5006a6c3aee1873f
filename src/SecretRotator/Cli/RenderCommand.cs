using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Exceptions;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Rotation;

namespace SecretRotator.Cli;

/// <summary>
/// Prints the Secrets a run would write, like <c>kubectl create secret docker-registry --dry-run=client -o yaml|json</c>.
/// Namespaces are chosen as run chooses them: the config's selection (names, globs, exclude), narrowed by
/// --namespace. Needs no cluster unless a label selector (or a glob without --namespace) must be resolved,
/// or a {secret:} source read.
/// </summary>
internal sealed class RenderCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    /// <param name="shutdown">Ctrl-C / SIGTERM: nothing is printed but the reason.</param>
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken shutdown)
    {
        await using var services = CommandServices.Build(parse, o, configure, environment);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        var only = parse.GetValue(o.Secret);
        if (!await CommandServices.CheckSecretAsync(config, only, stderr)) return CliApp.ExitUsage;
        var requested = parse.GetValue(o.Namespace) ?? [];
        var targets = config.Secrets.Where(s => only is null || s.Name == only).ToList();

        // The same deadline as run: a cloud endpoint or API server that never answers ends render, named.
        var timeout = config.Settings.Timeout;
        using var deadline = new CancellationTokenSource(timeout, services.GetRequiredService<TimeProvider>());
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);
        var cancellationToken = linked.Token;

        var plan = new List<(SecretTarget Target, IReadOnlyList<string> Namespaces)>();
        foreach (var target in targets)
        {
            using var requests = Networking.OutboundRequests.Watch(deadline.Token);
            try
            {
                plan.Add((target, await NamespacesAsync(services, target, requested, cancellationToken)));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await stderr.WriteLineAsync(deadline.IsCancellationRequested
                    ? $"error: secret {target.Name}: resolving its namespaces: {requests.DescribeTimeout(timeout, "settings.timeout")}"
                    : "error: interrupted; nothing rendered");
                return CliApp.ExitFailed;
            }
            catch (KubeConfigException e)
            {
                var how = target.Namespaces.Selector is { } selector ? $"by label selector '{selector}'" : "by glob";
                var hint = target.Namespaces.Selector is null ? "pass --namespace NS, or a cluster with --kubeconfig/--context" : "pass a cluster with --kubeconfig/--context";
                await stderr.WriteLineAsync($"error: secret {target.Name} selects namespaces {how}, which needs a cluster to resolve ({hint}): {e.Message}");
                return CliApp.ExitUsage;
            }
        }
        foreach (var (target, namespaces) in plan.Where(p => p.Namespaces.Count == 0))
            await stderr.WriteLineAsync($"note: secret {target.Name}: no namespace selected{(requested.Length > 0 ? $" among --namespace {string.Join(", ", requested)}" : "")}; nothing to render");

        var used = targets.SelectMany(t => t.Registries).Distinct(StringComparer.Ordinal).Select(config.Registry);
        var secrets = new List<V1Secret>();
        try
        {
            var (fresh, results) = await services.GetRequiredService<CredentialFetcher>().FetchAsync(used, cancellationToken, new FetchDeadline(timeout, deadline.Token));
            foreach (var failed in results.Values.Where(r => r.Error is not null))
                await stderr.WriteLineAsync($"error: registry {failed.Registry}: {failed.Error}");
            if (results.Values.Any(r => r.Error is not null)) return CliApp.ExitFailed;

            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            foreach (var (target, namespaces) in plan)
            {
                foreach (var ns in namespaces)
                    secrets.Add(SecretBuilder.Build(target, ns, fresh, existing: null, now, config.Settings.Instance).Secret);
            }
        }
        catch (KubeConfigException e)
        {
            await stderr.WriteLineAsync($"error: a {{secret:}} source needs the cluster: {e.Message}");
            return CliApp.ExitUsage;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: interrupted; nothing rendered");
            return CliApp.ExitFailed;
        }
        await stdout.WriteAsync((parse.GetValue(o.RenderOutput) == "json" ? Json(secrets) : Yaml(secrets)).AsMemory(), shutdown);
        return CliApp.ExitOk;
    }

    /// <summary>
    /// The namespaces run would write to. Exact names and globs narrowed by --namespace are known offline; a label
    /// selector, or globs without --namespace, ask the cluster (one namespace LIST, as run does).
    /// </summary>
    private async Task<IReadOnlyList<string>> NamespacesAsync(IServiceProvider services, SecretTarget target, string[] requested, CancellationToken cancellationToken)
    {
        var selection = target.Namespaces;
        if (selection.Selector is null && (selection.IsExplicitOnly || requested.Length > 0))
        {
            return (requested.Length > 0 ? requested : selection.Names)
                .Where(n => selection.Names.Any(g => Glob.IsMatch(g, n)))
                .Where(n => !selection.Exclude.Any(g => Glob.IsMatch(g, n)))
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        var resolver = new NamespaceResolver(services.GetRequiredService<IKubernetesClientProvider>().Client);
        var namespaces = await resolver.ResolveAsync(selection, requested, cancellationToken);
        foreach (var ns in await resolver.DroppedBySelectorAsync(selection, requested, cancellationToken))
            await stderr.WriteLineAsync($"warning: secret {target.Name}: namespace {ns} is named in the config, but the selector '{selection.Selector}' does not select it (a namespace must match both), or it does not exist; skipped");
        return namespaces;
    }

    /// <summary>Documents separated by '---', each as kubectl -o yaml prints it.</summary>
    private static string Yaml(List<V1Secret> secrets) => string.Join("---\n", secrets.Select(ManifestYaml.Serialize));

    /// <summary>One object as itself, several as a v1 List, indented like kubectl -o json.</summary>
    private static string Json(List<V1Secret> secrets)
    {
        if (secrets.Count == 0) return "";
        JsonNode node = secrets.Count == 1
            ? JsonNode.Parse(KubernetesJson.Serialize(secrets[0]))!
            : new JsonObject
            {
                ["apiVersion"] = "v1",
                ["items"] = new JsonArray([.. secrets.Select(s => JsonNode.Parse(KubernetesJson.Serialize(s)))]),
                ["kind"] = "List",
                ["metadata"] = new JsonObject { ["resourceVersion"] = "" },
            };
        return node.ToJsonString(Indented) + "\n";
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 4, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
