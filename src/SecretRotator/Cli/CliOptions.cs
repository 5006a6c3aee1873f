using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using SecretRotator.Rbac;

namespace SecretRotator.Cli;

/// <summary>
/// The command-line options, one set per invocation. Commands that share an option share this instance, so
/// its wording and meaning are the same everywhere (run and render: --secret, --namespace).
/// </summary>
internal sealed partial class CliOptions
{
    public const string LogFormatVariable = "SECRET_ROTATOR_LOG_FORMAT";

    public Option<string> Config { get; } = new("--config", "-c")
    {
        Description = "Path to the config YAML",
        DefaultValueFactory = _ => CliApp.DefaultConfigPath,
    };

    public Option<string?> Kubeconfig { get; } = new("--kubeconfig") { Description = "Path to a kubeconfig (default: KUBECONFIG, then in-cluster, then ~/.kube/config)" };
    public Option<string?> Context { get; } = new("--context") { Description = "kubeconfig context to use" };
    public Option<string[]> Namespace { get; } = new("--namespace", "-n")
    {
        Description = "Only these namespaces, if the config selects them (repeatable; exact names, no globs)",
        Validators = { NamespaceNames },
    };
    public Option<string?> Secret { get; } = new("--secret") { Description = "Only this secret (a secrets[].name of the config)" };
    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Print what would be created, updated or left alone; write nothing" };
    public Option<bool> Force { get; } = new("--force") { Description = "Fetch tokens and write even when the stored token is still fresh" };
    public Option<int?> MetricsPort { get; } = new("--metrics-port")
    {
        Description = "Serve /metrics on this port while the run is in progress",
        CustomParser = ParsePort,
    };
    /// <summary>render's -o: the manifests as kubectl would print them.</summary>
    public Option<string> RenderOutput { get; } = new Option<string>("--output", "-o")
    {
        Description = "Output format: yaml or json",
        DefaultValueFactory = _ => "yaml",
    }.AcceptOnlyFromAmong("yaml", "json");

    /// <summary>status's -o.</summary>
    public Option<string> Output { get; } = CreateOutput();

    /// <summary>On every command (recursive); the default comes from SECRET_ROTATOR_LOG_FORMAT, else text.</summary>
    public Option<string?> LogFormat { get; } = new Option<string?>("--log-format")
    {
        Description = $"Log lines on stderr as json or text (default: ${LogFormatVariable}, else text)",
        Recursive = true,
    }.AcceptOnlyFromAmong("json", "text");

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\z")]
    private static partial Regex NamespaceName();

    private static void NamespaceNames(OptionResult result)
    {
        foreach (var token in result.Tokens.Where(t => !NamespaceName().IsMatch(t.Value)))
            result.AddError($"--namespace '{token.Value}' is not a namespace name (lowercase letters, digits and '-', at most 63; globs belong in the config)");
    }

    private static int? ParsePort(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535) return port;
        result.AddError($"--metrics-port expects a port number (1-65535), not '{text}'");
        return null;
    }

    private static Option<string> CreateOutput()
    {
        var option = new Option<string>("--output", "-o") { Description = "Output format: table or json", DefaultValueFactory = _ => "table" };
        option.AcceptOnlyFromAmong("table", "json");
        return option;
    }

    // rbac
    public Option<string> RbacScope { get; } = new Option<string>("--scope") { Description = "cluster (one ClusterRole) or namespaced (a Role per namespace; exact names only)", DefaultValueFactory = _ => "cluster" }.AcceptOnlyFromAmong("cluster", "namespaced");
    public Option<bool> RbacDaemon { get; } = new("--daemon") { Description = "Rules for the daemon: adds watch and the leader-election Lease" };
    public Option<bool> TypeRepair { get; } = new("--type-repair") { Description = "Grant secrets delete without prune, to replace a managed Secret whose type was changed" };
    public Option<string?> ServiceAccount { get; } = new("--service-account") { Description = "ServiceAccount to bind (default secret-rotator); also the role name" };
    public Option<string?> ServiceAccountNamespace { get; } = new("--service-account-namespace") { Description = "Namespace of that ServiceAccount (default secret-rotator)" };
    public Option<string?> RbacLeaseName { get; } = new("--lease-name") { Description = "Leader-election Lease name with --daemon (default: the role name)" };


    // daemon
    public Option<int> Port { get; } = new("--port") { Description = "Serve /healthz, /readyz and /metrics on this port", DefaultValueFactory = _ => 8080 };
    public Option<bool> LeaderElect { get; } = new("--leader-elect") { Description = "Hold a Lease so that only one replica writes (true|false)", DefaultValueFactory = _ => true };
    public Option<string> LeaseName { get; } = new("--lease-name") { Description = "Name of the coordination.k8s.io Lease", DefaultValueFactory = _ => "secret-rotator" };
    public Option<string?> LeaseNamespace { get; } = new("--lease-namespace") { Description = "Namespace of the Lease (default: POD_NAMESPACE, then the in-cluster namespace, then default)" };
    public Option<bool> Namespaced { get; } = new("--namespaced") { Description = "Namespace-scoped RBAC: watch each namespace the config names, never cluster-wide (exact names only)" };

    // daemon --webhook-port: the flag names kube-apiserver and kubelet use for a serving certificate
    public Option<int?> WebhookPort { get; } = new("--webhook-port")
    {
        Description = "Serve the mutating admission webhook (HTTPS) on this port; needs --tls-cert-file and --tls-private-key-file",
        CustomParser = ParseWebhookPort,
    };
    public Option<string?> TlsCertFile { get; } = new("--tls-cert-file") { Description = "PEM certificate (chain) of the webhook; re-read when it changes" };
    public Option<string?> TlsPrivateKeyFile { get; } = new("--tls-private-key-file") { Description = "PEM private key matching --tls-cert-file" };

    private static int? ParseWebhookPort(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535) return port;
        result.AddError($"--webhook-port expects a port number (0-65535), not '{text}'");
        return null;
    }
}
