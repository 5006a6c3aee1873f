using System.CommandLine;
using k8s.Autorest;
using k8s.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Explain;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;

namespace SecretRotator.Cli;

/// <summary>
/// <c>explain IMAGE</c>: which secret and <c>auths</c> entry kubelet would use to pull IMAGE for a pod of a service
/// account, or why none. Reads the cluster (get/list only), or with --config what a run of that config would write.
/// Exit 0: a credential matches; 1: none (or the pull fails); 2: usage or config error.
/// </summary>
internal sealed class ExplainCommand(CliOptions o, ExplainCommand.Options e, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    internal sealed class Options
    {
        public Argument<string> Image { get; } = new("IMAGE") { Description = "Image reference as written in the pod spec, e.g. nginx or ghcr.io/org/app:1.0" };
        public Option<string> Namespace { get; } = new("--namespace", "-n") { Description = "Namespace of the pod", DefaultValueFactory = _ => "default" };
        public Option<string> ServiceAccount { get; } = new("--service-account") { Description = "Service account of the pod", DefaultValueFactory = _ => "default" };
        public Option<string> Output { get; } = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" }.AcceptOnlyFromAmong("text", "json");
    }

    public static Command Create(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
    {
        var e = new Options();
        var command = new Command("explain", "Which pull secret and auths entry kubelet would use for an image, or why none (read-only; --config: what a run would write)");
        command.Arguments.Add(e.Image);
        foreach (var option in new Option[] { e.Namespace, e.ServiceAccount, o.Config, o.Kubeconfig, o.Context, e.Output }) command.Options.Add(option);
        command.SetAction((parse, ct) => new ExplainCommand(o, e, stdout, stderr, configure, environment).ExecuteAsync(parse, ct));
        return command;
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var text = parse.GetValue(e.Image) ?? "";
        if (!ImageReference.TryParse(text, out var image, out var problem))
        {
            await stderr.WriteLineAsync($"error: IMAGE '{text}' {problem}");
            return CliApp.ExitUsage;
        }
        var ns = parse.GetValue(e.Namespace) ?? "default";
        var account = parse.GetValue(e.ServiceAccount) ?? "default";

        await using var services = CommandServices.Build(parse, o, configure, environment);
        PodView view;
        try
        {
            if (parse.GetResult(o.Config) is { Implicit: false })
            {
                var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
                if (config is null) return CliApp.ExitUsage;
                var builder = new ConfigPodViewBuilder(services.GetRequiredService<CredentialFetcher>(), services.GetServices<IRegistryProvider>(),
                    services.GetRequiredService<TimeProvider>());
                view = await builder.BuildAsync(config, ns, account, cancellationToken);
            }
            else
            {
                var client = services.GetRequiredService<IKubernetesClientProvider>().Client;
                view = await new ClusterPodViewReader(client).ReadAsync(ns, account, cancellationToken);
            }
        }
        catch (KubeConfigException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (or pass --config F to explain what a run of that config would write)");
            return CliApp.ExitUsage;
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException)
        {
            // Name the call that failed (and for a 403 the RBAC rule): the service account get, a secret get or the list.
            var path = (ex as HttpOperationException)?.Request?.RequestUri?.AbsolutePath ?? "";
            var (verb, resource) = path.Contains("/serviceaccounts", StringComparison.Ordinal) ? ("get", "serviceaccounts")
                : path.EndsWith("/secrets", StringComparison.Ordinal) ? ("list", "secrets") : ("get", "secrets");
            await stderr.WriteLineAsync($"error: {KubernetesErrors.Describe(ex, verb, resource, ns).Message}");
            return CliApp.ExitFailed;
        }

        var explanation = Explainer.Explain(image, view);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await stdout.WriteAsync(parse.GetValue(e.Output) == "json" ? ExplanationWriter.JsonText(explanation) : ExplanationWriter.Text(explanation, now));
        return explanation.Match is null ? CliApp.ExitFailed : CliApp.ExitOk;
    }
}
